//! The real run of `golden new` (without `--dry-run`): the steps run in a temporary workspace,
//! publish actions create repositories (on GitHub, or in the local forge with `--local`), then
//! the first published repository is cloned into `./REPO` (or `--checkout DIR`) and the links
//! are printed. A failure names the step, what was already created, and how to go on.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output::{self, Printer, Verbosity};
use crate::runner::Published;
use crate::runner::{Registry, Runner};
use crate::services::Services;
use crate::settings::{Checkout, NewSettings};
use crate::template::Template;
use crate::values::Values;

/// Runs the steps for real and checks the result out.
pub fn run(
    args: &NewSettings,
    template: &Template,
    values: &Values,
    registry: &Registry,
    services: Services,
    printer: Printer,
) -> Result<i32> {
    let verbosity = printer.verbosity();
    check_checkout_dir(&args.checkout)?;
    let saved = match &args.resume {
        Some(dir) => Some(super::resume::load(dir, template, values, &services)?),
        None => None,
    };
    // Named with the pid: a signal removes it, the next run removes those of killed runs.
    let workspace = crate::interrupt::tempdir_in(&args.context.temp_dir, "golden-workspace-")
        .map_err(|e| Error::internal(format!("cannot create a temporary workspace: {e}")))?;
    let cleanup = crate::interrupt::register(workspace.path());
    let mut resumed = crate::runner::Resumed::default();
    if let Some(s) = saved {
        resumed = super::resume::restore(&s, workspace.path(), &services)?;
        // What is left of the kept folder is its run.json: this run keeps its own if it fails.
        let _ = std::fs::remove_dir_all(&s.dir);
    }
    let runner = Runner {
        registry,
        services: &services,
        workspace: workspace.path(),
        dry_run: false,
        keep_log: verbosity == Verbosity::Verbose,
    };
    let mut progress = printer.progress(template.steps.len());
    let report = runner.run_resumed(template, values, &mut progress, &resumed);

    if args.json {
        let json = output::report_json(&report, &values.parameters, printer.redactor());
        printer.data(serde_json::to_string_pretty(&json).unwrap_or_default());
    }
    super::step_warnings(&report, &printer);
    let created = report.record.created.clone();
    if let Some(i) = report.failed {
        drop(cleanup);
        return Err(failed(args, template, values, &report, i, workspace));
    }

    let first = report.record.published.first().cloned();
    let quiet = verbosity == Verbosity::Quiet || args.json;
    if !quiet {
        for c in &created {
            printer.always(format!("created {c}"));
        }
    }
    match (first, args.checkout == Checkout::No) {
        (Some(p), false) => checkout(args, &services, &p, quiet, printer.clone()),
        (None, _) if created.is_empty() && verbosity != Verbosity::Quiet => printer.warn(
            "the template published nothing, so the files its steps wrote were discarded with the temporary workspace; run with `--dry-run --output DIR` to keep them",
        ),
        _ => {}
    }
    if !quiet {
        printer.summary(&report.output, false);
    }
    Ok(0)
}

/// Refuses a `--checkout DIR` that is not empty before anything runs.
fn check_checkout_dir(checkout: &Checkout) -> Result<()> {
    match checkout {
        Checkout::Into(dir) if !empty_or_missing(dir) => Err(Error::usage(format!(
            "`{}` already exists and is not empty; nothing was run",
            dir.display()
        ))
        .hint("choose another --checkout directory, or --no-checkout")),
        _ => Ok(()),
    }
}

/// The error of a run whose step `i` failed: the step, what ran, what was already created,
/// where the workspace is kept (saved for `--resume`), and how to go on.
fn failed(
    args: &NewSettings,
    template: &Template,
    values: &Values,
    report: &crate::runner::Report,
    i: usize,
    workspace: tempfile::TempDir,
) -> Error {
    let created = &report.record.created;
    let (mut e, ran) = super::step_failed(template, report, i);
    e = e.detail(ran);
    if created.is_empty() {
        e = e.detail("nothing was created");
    } else {
        e = e.with_details(created.iter().map(|c| format!("already created: {c}")));
    }
    let kept = keep_failed(workspace, &args.context.temp_dir);
    let saved = super::resume::save(&kept, template, values, report).is_ok();
    e = e.detail(format!(
        "the generated files are kept in `{}` (golden keeps those of the last {KEPT} failed runs; remove them all with `rm -rf {}`)",
        super::resume::workspace(&kept).display(),
        args.context.temp_dir.join("golden-kept-*").display()
    ));
    if !created.is_empty() && saved {
        e.hint(format!(
            "golden never overwrites a repository: fix the cause, then continue where this run stopped with the same values and `--resume {}` (the steps that ran are not run again); or delete what was created before running again from the start",
            kept.display()
        ))
    } else if !created.is_empty() {
        e.hint("golden never overwrites a repository: delete what was created (or choose other names) before running again")
    } else {
        e
    }
}

/// Clones the published repository; a failure here only warns (the repository exists).
fn checkout(args: &NewSettings, services: &Services, p: &Published, quiet: bool, printer: Printer) {
    let dir = match &args.checkout {
        Checkout::Into(dir) => dir.clone(),
        _ => PathBuf::from(repo_dir_name(&p.remote_url, &p.name)),
    };
    if !empty_or_missing(&dir) {
        printer.warn(&format!(
            "not cloned: `{}` already exists; run `git clone {} <DIR>`",
            dir.display(),
            p.remote_url
        ));
        return;
    }
    match clone_whole(services, p, &dir) {
        Ok(()) if !quiet => printer.always(format!("cloned {} into {}", p.name, dir.display())),
        Ok(()) => {}
        Err(e) => printer.warn(&format!(
            "cannot clone {} into `{}`: {e}; run `git clone {}`",
            p.remote_url,
            dir.display(),
            p.remote_url
        )),
    }
}

/// How many failed runs' workspaces are kept.
const KEPT: usize = 10;

/// Keeps a failed run's workspace as `golden-kept-<time>-<pid>` in the temporary directory and
/// removes the oldest kept ones beyond [`KEPT`].
fn keep_failed(workspace: tempfile::TempDir, tmp: &Path) -> PathBuf {
    let path = workspace.keep();
    let kept = keep_as(&path, tmp);
    prune_kept(tmp, &kept);
    kept
}

/// Moves the workspace `path` into a new `golden-kept-<time>-<pid>/workspace`; returns the kept
/// folder (where `run.json` goes).
fn keep_as(path: &Path, tmp: &Path) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dest = tmp.join(format!("golden-kept-{secs:020}-{}", std::process::id()));
    let moved = std::fs::create_dir(&dest)
        .and_then(|()| std::fs::rename(path, super::resume::workspace(&dest)));
    match moved {
        Ok(()) => dest,
        Err(_) => {
            let _ = std::fs::remove_dir(&dest);
            path.to_path_buf()
        }
    }
}

/// Removes the oldest kept folders beyond [`KEPT`] (never `kept`).
fn prune_kept(tmp: &Path, kept: &Path) {
    let mut all: Vec<PathBuf> = std::fs::read_dir(tmp)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("golden-kept-"))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    all.sort();
    let excess = all.len().saturating_sub(KEPT);
    for old in all.into_iter().take(excess) {
        if old != kept {
            let _ = std::fs::remove_dir_all(old);
        }
    }
}

/// Clones beside `dir` and renames the clone into place, so `dir` appears only complete (a run
/// killed while cloning leaves a hidden `.NAME.golden-clone-*` folder, never a half clone).
fn clone_whole(services: &Services, p: &Published, dir: &Path) -> std::result::Result<(), String> {
    let parent = dir
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "clone".into());
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
    let aside = tempfile::Builder::new()
        .prefix(&format!(".{name}.golden-clone-"))
        .tempdir_in(parent)
        .map_err(|e| format!("cannot create a directory in `{}`: {e}", parent.display()))?;
    let remote = crate::git::Remote::as_user(
        &p.remote_url,
        p.git_user.as_deref().unwrap_or("x-access-token"),
        p.token.as_ref(),
    );
    services
        .git()
        .clone_into(&remote, Some(&p.branch), aside.path())?;
    if dir.exists() {
        std::fs::remove_dir(dir).map_err(|e| format!("cannot replace `{}`: {e}", dir.display()))?;
    }
    std::fs::rename(aside.path(), dir)
        .map_err(|e| format!("cannot move the clone into place: {e}"))?;
    let _ = aside.keep();
    Ok(())
}

/// `svc` for `https://github.com/acme/svc.git` or `file:///…/acme/svc.git`.
fn repo_dir_name(remote_url: &str, full_name: &str) -> String {
    let last = remote_url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let name = last.strip_suffix(".git").unwrap_or(last);
    if name.is_empty() {
        full_name.rsplit('/').next().unwrap_or("repo").to_string()
    } else {
        name.to_string()
    }
}

fn empty_or_missing(dir: &Path) -> bool {
    !dir.exists()
        || (dir.is_dir()
            && std::fs::read_dir(dir)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false))
}

#[cfg(test)]
mod tests {
    #[test]
    fn failed_workspaces_are_kept_up_to_a_cap() {
        let tmp = tempfile::tempdir().unwrap();
        let mut last = Vec::new();
        for i in 0..(super::KEPT + 5) {
            let ws = tempfile::tempdir_in(tmp.path()).unwrap();
            std::fs::write(ws.path().join("f"), i.to_string()).unwrap();
            last.push(super::keep_failed(ws, tmp.path()));
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let kept: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().collect();
        assert_eq!(kept.len(), super::KEPT);
        let newest = last.last().unwrap();
        assert_eq!(
            std::fs::read_to_string(newest.join("workspace/f")).unwrap(),
            (super::KEPT + 4).to_string()
        );
        assert!(!last[0].exists());
    }

    #[test]
    fn checkout_dir_is_the_repository_name() {
        assert_eq!(
            super::repo_dir_name("https://github.com/acme/svc.git", "acme/svc"),
            "svc"
        );
        assert_eq!(
            super::repo_dir_name("file:///h/forge/github.com/acme/web.git", "acme/web"),
            "web"
        );
    }
}
