//! `debug:log` and `debug:wait` (their input schemas are Backstage's, from `schemas.json`).

use std::time::Duration;

use serde_json::{Map, Value};

use crate::runner::{Action, ActionContext, ActionError, Outputs};

pub fn actions() -> Vec<Box<dyn Action>> {
    vec![Box::new(Log), Box::new(Wait)]
}

struct Log;

impl Action for Log {
    fn id(&self) -> &'static str {
        "debug:log"
    }
    fn description(&self) -> &'static str {
        "Writes a message into the log and optionally lists the workspace"
    }
    fn input_schema(&self) -> Value {
        super::schemas::input("debug:log")
    }
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        if let Some(m) = input.get("message").and_then(Value::as_str) {
            ctx.info(m.to_string());
        }
        let list = input.get("listWorkspace");
        if matches!(list, Some(Value::Bool(true)) | Some(Value::String(_))) {
            let contents = list == Some(&Value::String("with-contents".into()));
            let mut files: Vec<_> = walkdir::WalkDir::new(ctx.workspace)
                .into_iter()
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_file())
                .map(|e| e.into_path())
                .collect();
            files.sort();
            for f in files {
                let rel = f
                    .strip_prefix(ctx.workspace)
                    .unwrap_or(&f)
                    .display()
                    .to_string();
                if contents {
                    let text = std::fs::read_to_string(&f).unwrap_or_default();
                    ctx.info(format!("{rel}:\n{text}"));
                } else {
                    ctx.info(rel);
                }
            }
        }
        Ok(Map::new())
    }
}

struct Wait;

impl Action for Wait {
    fn id(&self) -> &'static str {
        "debug:wait"
    }
    fn description(&self) -> &'static str {
        "Waits for the given duration (at most 10 minutes)"
    }
    fn input_schema(&self) -> Value {
        super::schemas::input("debug:wait")
    }
    fn runs_in_dry_run(&self) -> bool {
        false
    }
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        let n = |k: &str| input.get(k).and_then(Value::as_f64).unwrap_or(0.0);
        let ms = n("minutes") * 60_000.0 + n("seconds") * 1000.0 + n("milliseconds");
        if ms > 600_000.0 {
            return Err(ActionError::new(
                "waiting duration is longer than the maximum threshold of 10 minutes",
            ));
        }
        if ctx.dry_run {
            ctx.info(format!("dry run: would wait {ms} ms"));
        } else if ms > 0.0 {
            std::thread::sleep(Duration::from_millis(ms as u64));
        }
        Ok(Map::new())
    }
}
