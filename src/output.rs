//! Everything a human sees: errors with hints, step progress (an indicatif spinner on a terminal,
//! plain lines otherwise), the plan and the final links. Data for machines goes to stdout; the
//! rest goes to stderr.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use console::style;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

use crate::error::Error;
use crate::redact;
use crate::runner::{Report, Reporter, Status, StepRecord};
use crate::template::Step;

/// How much to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// Prints an error with its details and hints on stderr (secrets masked).
pub fn error(e: &Error) {
    let mut err = std::io::stderr().lock();
    let head = match &e.location {
        Some(loc) => format!("{loc}: {}", e.message),
        None => e.message.clone(),
    };
    let head = redact::text(&head);
    let _ = writeln!(err, "{} {head}", style("error:").red().bold());
    for d in &e.details {
        let _ = writeln!(err, "  - {}", redact::text(d));
    }
    for h in &e.hints {
        let _ = writeln!(err, "{} {}", style("hint:").cyan().bold(), redact::text(h));
    }
}

/// A warning line on stderr (secrets masked).
pub fn warn(message: &str) {
    eprintln!(
        "{} {}",
        style("warning:").yellow().bold(),
        redact::text(message)
    );
}

/// A plain line on stderr (secrets masked).
pub fn note(message: &str) {
    eprintln!("{}", redact::text(message));
}

/// A JSON document on stdout, pretty-printed (secrets masked).
pub fn print_json(v: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(&redact::value(v)).unwrap_or_default()
    );
}

/// Step progress on stderr.
pub struct Progress {
    verbosity: Verbosity,
    spinner: Option<ProgressBar>,
    total: usize,
    fancy: bool,
}

impl Progress {
    pub fn new(verbosity: Verbosity, total: usize) -> Progress {
        let fancy = std::io::stderr().is_terminal() && verbosity == Verbosity::Normal;
        Progress {
            verbosity,
            spinner: None,
            total,
            fancy,
        }
    }
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
        if self.verbosity == Verbosity::Quiet {
            return;
        }
        let mark = match r.status {
            Status::Executed => style("✓").green().to_string(),
            Status::Predicted => style("~").cyan().to_string(),
            Status::Skipped => style("-").dim().to_string(),
            Status::Failed => style("✗").red().to_string(),
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
        note(&line);
        if self.verbosity == Verbosity::Verbose {
            for l in &r.log {
                note(&format!("    {l}"));
            }
        }
    }
}

/// The plan as JSON: `{"steps": [{id, action, status, input, output}], "output": {...}}`, with
/// every secret masked.
pub fn report_json(report: &Report, parameters: &serde_json::Map<String, Value>) -> Value {
    redact::value(&json!({
        "parameters": parameters,
        "steps": report.steps.iter().map(|s| {
            let mut v = json!({"id": s.id, "name": s.name, "action": s.action, "status": s.status.as_str(), "input": s.input, "output": s.output});
            if let Some(r) = &s.reason { v["reason"] = json!(r); }
            if !s.invented.is_empty() { v["invented"] = json!(s.invented); }
            v
        }).collect::<Vec<_>>(),
        "output": report.output,
    }))
}

/// Prints `spec.output` links and text for a human; after a dry run that predicted steps, the
/// links are introduced as predicted.
pub fn summary(output: &Value, predicted: bool) {
    let links = output.get("links").and_then(Value::as_array);
    if predicted && links.is_some_and(|l| !l.is_empty()) {
        note("predicted links (dry run: nothing was created or registered):");
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
                note(&format!("  {} {}", style(format!("{title}:")).bold(), url));
            }
        }
    }
    if let Some(text) = output.get("text").and_then(Value::as_array) {
        for t in text {
            if let Some(title) = t.get("title").and_then(Value::as_str) {
                note(&format!("\n{}", style(title).bold()));
            }
            if let Some(content) = t.get("content").and_then(Value::as_str) {
                note(content);
            }
        }
    }
}
