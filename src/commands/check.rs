//! `golden check [DIR]`, for CI: 0 when the project's record points at the newest commit of its
//! template ref that changes the rendered files, 1 when an update is available (the commits and
//! the files it would change are printed), 2 when golden cannot tell (and says why).

use serde_json::json;

use crate::error::Result;
use crate::lifecycle::project::Project;
use crate::output::Printer;
use crate::settings::CheckSettings;

pub fn run(args: CheckSettings, printer: Printer) -> Result<i32> {
    let dir = args.dir.clone();
    match check(&args, &dir) {
        Ok(r) => {
            if args.json {
                printer.data(serde_json::to_string_pretty(&r.json()).unwrap_or_default());
            } else if !printer.is_quiet() {
                r.print(printer);
            }
            Ok(if r.files.is_empty() { 0 } else { 1 })
        }
        Err(e) => {
            if args.json {
                let why = e.to_string();
                printer.data(
                    serde_json::to_string_pretty(&json!({"status": "unknown", "reason": why}))
                        .unwrap_or_default(),
                );
            } else {
                printer.error(&e.hint("`golden check` exits 2 when it cannot tell"));
            }
            Ok(2)
        }
    }
}

struct Checked {
    name: String,
    recorded: String,
    newest: String,
    commits: Vec<crate::lifecycle::fetch::LogEntry>,
    /// (path, added|modified|deleted)
    files: Vec<(String, &'static str)>,
}

impl Checked {
    fn json(&self) -> serde_json::Value {
        json!({
            "status": if self.files.is_empty() { "up-to-date" } else { "update-available" },
            "template": self.name,
            "recordedCommit": self.recorded,
            "newestCommit": self.newest,
            "commits": self.commits,
            "files": self.files.iter().map(|(p, k)| json!({"path": p, "change": k})).collect::<Vec<_>>(),
        })
    }

    fn print(&self, printer: Printer) {
        if self.files.is_empty() {
            if self.recorded == self.newest {
                printer.data(format!(
                    "up to date: {} at {}",
                    self.name,
                    &self.recorded[..12.min(self.recorded.len())]
                ));
            } else {
                printer.data(format!(
                    "up to date: {} has new commits up to {}, but they change none of this project's files",
                    self.name,
                    &self.newest[..12.min(self.newest.len())]
                ));
            }
            return;
        }
        printer.data(format!(
            "update available: {} {} -> {}",
            self.name,
            &self.recorded[..12.min(self.recorded.len())],
            &self.newest[..12.min(self.newest.len())]
        ));
        printer.data("commits:");
        for c in &self.commits {
            printer.data(format!(
                "  {} {}",
                &c.commit[..12.min(c.commit.len())],
                c.summary
            ));
        }
        printer.data("files:");
        for (p, k) in &self.files {
            printer.data(format!("  {k:<8} {p}"));
        }
        printer.data("run `golden update` to apply it");
    }
}

fn check(args: &CheckSettings, dir: &std::path::Path) -> Result<Checked> {
    let p = Project::open(dir, &args.context, args.offline)?;
    let src = p.git_source()?;
    let newest = p.newest(None)?;
    let recorded = p.record.template.commit.clone().unwrap_or_default();
    let mut out = Checked {
        name: p.record.template.name.clone(),
        recorded: recorded.clone(),
        newest: newest.commit.clone(),
        commits: Vec::new(),
        files: Vec::new(),
    };
    if newest.commit == recorded {
        return Ok(out);
    }
    let base = p.base()?;
    let before = p.render(&base, &p.record.answers)?;
    let after = p.render(&newest, &p.record.answers)?;
    for (path, f) in &after {
        match before.get(path) {
            None => out.files.push((path.clone(), "added")),
            Some(b) if b != f => out.files.push((path.clone(), "modified")),
            Some(_) => {}
        }
    }
    for path in before.keys() {
        if !after.contains_key(path) {
            out.files.push((path.clone(), "deleted"));
        }
    }
    out.files.sort();
    out.commits = p.fetcher.log(&src.url, &recorded, &newest.commit)?;
    Ok(out)
}
