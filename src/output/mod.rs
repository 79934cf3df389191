//! Everything a human sees, and the only module that writes to stdout or stderr: the
//! [`Printer`] (verbosity, colour, data vs messages), errors with hints, step progress (an
//! indicatif spinner on a terminal, plain lines otherwise), `golden validate`'s findings
//! ([`diagnostics`]), the plan as JSON and the final links. Data for machines goes to stdout; the
//! rest goes to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod diagnostics;
mod printer;

use std::time::Duration;

use console::Style;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

use crate::error::Error;
use crate::runner::{Report, Reporter, Status, StepRecord};
use crate::template::Step;

pub use crate::settings::Verbosity;
pub use printer::Printer;

impl Printer {
    /// An error with its details and hints on stderr (whatever the verbosity).
    pub fn error(&self, e: &Error) {
        let head = match &e.location {
            Some(loc) => format!("{loc}: {}", e.message),
            None => e.message.clone(),
        };
        let mut text = format!(
            "{} {head}\n",
            self.paint(Style::new().red().bold(), "error:")
        );
        for d in &e.details {
            text.push_str(&format!("  - {d}\n"));
        }
        for h in &e.hints {
            text.push_str(&format!(
                "{} {h}\n",
                self.paint(Style::new().cyan().bold(), "hint:")
            ));
        }
        let _ = self.report_raw(&text);
    }

    /// Step progress for a run of `total` steps.
    pub fn progress(&self, total: usize) -> Progress {
        Progress {
            printer: self.clone(),
            spinner: None,
            total,
            fancy: self.fancy_progress(),
        }
    }

    /// `golden validate`'s findings in `format`: human on stderr (only errors with `-q`), the
    /// machine formats on stdout.
    pub fn validation(
        &self,
        report: &crate::validate::Report,
        format: diagnostics::Format,
    ) -> std::io::Result<()> {
        use diagnostics::Format;
        match format {
            Format::Human => self.report_raw(&diagnostics::human(
                report,
                self.colors_stderr(),
                self.is_quiet(),
            )),
            Format::Json => self.data_raw(&diagnostics::json(report)),
            Format::Github => self.data_raw(&diagnostics::github(report)),
            Format::Sarif => self.data_raw(&diagnostics::sarif(report)),
        }
    }
}

/// Step progress on stderr.
pub struct Progress {
    printer: Printer,
    spinner: Option<ProgressBar>,
    total: usize,
    fancy: bool,
}

fn duration(d: Duration) -> String {
    if d.as_secs() >= 1 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}ms", d.as_millis())
    }
}

impl Reporter for Progress {
    fn step_started(&mut self, index: usize, step: &Step) {
        if self.fancy {
            let pb = ProgressBar::new_spinner();
            pb.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("valid template"));
            pb.set_message(format!(
                "[{}/{}] {} ({})",
                index + 1,
                self.total,
                step.name,
                step.action
            ));
            pb.enable_steady_tick(Duration::from_millis(80));
            self.spinner = Some(pb);
        }
    }

    fn step_finished(&mut self, index: usize, r: &StepRecord) {
        if let Some(pb) = self.spinner.take() {
            pb.finish_and_clear();
        }
        let p = &self.printer;
        if p.is_quiet() {
            return;
        }
        let mark = match r.status {
            Status::Executed => p.paint(Style::new().green(), "✓"),
            Status::Predicted => p.paint(Style::new().cyan(), "~"),
            Status::Skipped => p.paint(Style::new().dim(), "-"),
            Status::Failed => p.paint(Style::new().red(), "✗"),
        };
        let mut line = format!(
            "{mark} [{}/{}] {} ({}) {}",
            index + 1,
            self.total,
            r.name,
            r.action,
            duration(r.duration)
        );
        match (r.status, &r.reason) {
            (Status::Skipped, Some(reason)) => line.push_str(&format!(" skipped: {reason}")),
            (Status::Failed, Some(reason)) => line.push_str(&format!(" failed: {reason}")),
            (Status::Predicted, _) => {
                line.push_str(" predicted: not run (dry run), outputs predicted from its input")
            }
            _ => {}
        }
        p.always(line);
        if p.verbosity() == Verbosity::Verbose {
            for l in &r.log {
                p.always(format!("    {l}"));
            }
        }
    }
}

/// The plan as JSON: `{"steps": [{id, action, status, input, output}], "output": {...}}`, with
/// every secret masked.
pub fn report_json(
    report: &Report,
    parameters: &serde_json::Map<String, Value>,
    redactor: &crate::redact::Redactor,
) -> Value {
    redactor.value(&json!({
        "parameters": parameters,
        "steps": report.steps.iter().map(|s| {
            let mut v = json!({"id": s.id, "name": s.name, "action": s.action, "status": s.status.as_str(), "input": s.input, "output": s.output});
            if let Some(r) = &s.reason { v["reason"] = json!(r); }
            // A place in a file is named as the failure is shown (a built-in's file as
            // `built-in:NAME/...`, not in its temporary extracted copy).
            if let Some(f) = s.failure.as_ref().filter(|f| f.error.location.is_some()) { v["location"] = json!(f.location.to_string()); }
            if !s.invented.is_empty() { v["invented"] = json!(s.invented); }
            v
        }).collect::<Vec<_>>(),
        "output": report.output,
    }))
}

impl Printer {
    /// Prints `spec.output` links and text for a human; after a dry run that predicted steps,
    /// the links are introduced as predicted.
    pub fn summary(&self, output: &Value, predicted: bool) {
        let links = output.get("links").and_then(Value::as_array);
        if predicted && links.is_some_and(|l| !l.is_empty()) {
            self.always("predicted links (dry run: nothing was created or registered):");
        }
        if let Some(links) = links {
            for l in links {
                let title = l.get("title").and_then(Value::as_str).unwrap_or("link");
                let url = l
                    .get("url")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| {
                        l.get("entityRef")
                            .and_then(Value::as_str)
                            .map(|r| format!("catalog entity {r}"))
                    });
                if let Some(url) = url {
                    self.always(format!(
                        "  {} {}",
                        self.paint(Style::new().bold(), format!("{title}:")),
                        url
                    ));
                }
            }
        }
        if let Some(text) = output.get("text").and_then(Value::as_array) {
            for t in text {
                if let Some(title) = t.get("title").and_then(Value::as_str) {
                    self.always(format!("\n{}", self.paint(Style::new().bold(), title)));
                }
                if let Some(content) = t.get("content").and_then(Value::as_str) {
                    self.always(content);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::{Registry, Runner, Silent};
    use crate::services::Services;

    /// A built-in template runs from a temporary extracted copy; a render failure in its
    /// skeleton is named `built-in:NAME/...` in the error and in `--json`, never by the copy.
    #[test]
    fn a_render_failure_in_a_built_in_names_the_built_in_not_its_extracted_copy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("template.yaml");
        std::fs::create_dir(dir.path().join("skeleton")).unwrap();
        std::fs::write(
            dir.path().join("skeleton/f.txt"),
            "a\n{%- if values.x | nope %}{% endif %}\n",
        )
        .unwrap();
        std::fs::write(
            &path,
            "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: t\nspec:\n  type: service\n  steps:\n    - id: fetch\n      action: fetch:template\n      input: {url: ./skeleton}\n",
        )
        .unwrap();
        let mut template = crate::template::Template::load(&path).unwrap();
        // What `golden new NAME` does with a built-in (commands/new.rs).
        template.path = std::path::PathBuf::from("built-in:demo/template.yaml");
        let registry = Registry::new(crate::actions::all());
        let services = Services::default();
        let ws = tempfile::tempdir().unwrap();
        let runner = Runner {
            registry: &registry,
            services: &services,
            workspace: ws.path(),
            dry_run: true,
            keep_log: false,
        };
        let report = runner.run(&template, &Default::default(), &mut Silent);
        assert_eq!(report.failed, Some(0));
        let shown = "built-in:demo/skeleton/f.txt:2:19";
        let f = report.steps[0].failure.as_ref().unwrap();
        let e = f.to_error("step failed".into());
        assert_eq!(e.location.map(|l| l.to_string()).as_deref(), Some(shown));
        let json = report_json(&report, &Default::default(), &Default::default());
        assert_eq!(json["steps"][0]["location"], shown);
        let text = json.to_string();
        assert!(
            !text.contains(&dir.path().display().to_string()),
            "the extracted copy is not named: {text}"
        );
    }
}
