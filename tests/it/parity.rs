//! The terminal and CI give the same values: for every conformance case and every built-in
//! template, answering every question with Enter in a pseudo-terminal gives exactly the
//! parameters `--no-input` gives. The required values (which Enter cannot answer) are given
//! with `--set` in both runs, from the case's values.json.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use expectrl::process::unix::WaitStatus;
use expectrl::Expect;
use serde_json::{Map, Value};

use crate::support::{golden, root};

/// Names any `required` list of the pages holds, at any depth (read with golden's loader).
fn required_names(template: &Path) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for r in m
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(r) = r.as_str() {
                        if !out.iter().any(|o| o == r) {
                            out.push(r.to_string());
                        }
                    }
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let t = golden::template::Template::load(&template.join("template.yaml")).unwrap();
    let mut out: Vec<String> = Vec::new();
    t.pages.iter().for_each(|p| walk(p, &mut out));
    out
}

/// `--set` arguments for the required values of `values`, and for objects (which may hold
/// required fields of their own).
fn set_args(required: &[String], values: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for (name, v) in values {
        if required.contains(name) || v.is_object() {
            let raw = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.push("--set".into());
            out.push(format!("{name}={raw}"));
        }
    }
    out
}

struct Case {
    name: String,
    template: PathBuf,
    args: Vec<String>,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let dir = root().join("tests/conformance/cases");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for case in entries {
        if case.join("expected.error.txt").exists() {
            continue; // the cases golden must refuse have no values to compare
        }
        let template = case.join("template");
        let values: Map<String, Value> =
            serde_json::from_str(&std::fs::read_to_string(case.join("values.json")).unwrap())
                .unwrap();
        let mut args = set_args(&required_names(&template), &values);
        for (flag, file) in [("--secrets", "secrets.json"), ("--user", "user.json")] {
            if case.join(file).exists() {
                args.push(flag.into());
                args.push(case.join(file).display().to_string());
            }
        }
        out.push(Case {
            name: case.file_name().unwrap().to_string_lossy().into_owned(),
            template,
            args,
        });
    }
    out.push(Case {
        name: "fixture parity (optional questions)".into(),
        template: root().join("tests/fixtures/parity"),
        args: vec!["--set".into(), "name=demo".into()],
    });
    // Every built-in template, by name, with the required values of its default test case.
    let builtins = root().join("templates");
    let mut names: Vec<String> = std::fs::read_dir(&builtins)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("template.yaml").is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(!names.is_empty(), "the built-in templates are found");
    for name in names {
        let dir = builtins.join(&name);
        let text = std::fs::read_to_string(dir.join("tests/default/values.yaml")).unwrap();
        let values = match golden::template::yaml::parse_value(&text).unwrap() {
            Value::Object(m) => m,
            other => panic!("{name}: values.yaml holds {other}"),
        };
        out.push(Case {
            name: format!("built-in {name}"),
            template: PathBuf::from(&name),
            args: set_args(&required_names(&dir), &values),
        });
    }
    out
}

/// `--no-input`: (exit code, parameters).
fn no_input(case: &Case, work: &Path) -> (i32, Option<Value>) {
    let out = golden()
        .current_dir(work)
        .env("GOLDEN_HOME", work.join("home"))
        .env("GOLDEN_CONFIG", work.join("config.yaml"))
        .arg("new")
        .arg(&case.template)
        .args(&case.args)
        .args(["--no-input", "--dry-run", "--json", "--output"])
        .arg(work.join("out-ci"))
        .output()
        .unwrap();
    let params = serde_json::from_slice::<Value>(&out.stdout)
        .ok()
        .map(|j| j["parameters"].clone());
    (out.status.code().unwrap_or(-1), params)
}

/// In a pseudo-terminal, Enter on every question: (exit code, parameters, screen).
fn enter_everywhere(case: &Case, work: &Path) -> (i32, Option<Value>, String) {
    let stdout = work.join("stdout.json");
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(r#"out="$1"; shift; exec "$@" > "$out""#)
        .arg("sh")
        .arg(&stdout)
        .arg(env!("CARGO_BIN_EXE_golden"))
        .arg("new")
        .arg(&case.template)
        .args(&case.args)
        .args(["--yes", "--dry-run", "--json", "--output"])
        .arg(work.join("out-tty"))
        .env_remove("CI")
        .env_remove("GOLDEN_TEMPLATE_PATH")
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env("GOLDEN_HOME", work.join("home"))
        .env("GOLDEN_CONFIG", work.join("config.yaml"))
        .current_dir(work);
    let mut session = expectrl::Session::spawn(cmd).expect("spawn golden in a pty");
    session.get_process_mut().set_window_size(110, 40).unwrap();
    session.set_expect_timeout(Some(Duration::from_millis(150)));
    let started = Instant::now();
    let mut screen = String::new();
    loop {
        match session.expect(expectrl::Eof) {
            Ok(c) => {
                screen.push_str(&String::from_utf8_lossy(c.before()));
                break;
            }
            Err(_) => {
                let mut buf = [0u8; 65536];
                if let Ok(n) = session.try_read(&mut buf) {
                    screen.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        }
        if started.elapsed() > Duration::from_secs(40) {
            let _ = session.get_process_mut().exit(true);
            return (-1, None, screen);
        }
        let _ = session.send("\r");
    }
    let code = match session.get_process().wait().unwrap() {
        WaitStatus::Exited(_, c) => c,
        _ => -1,
    };
    let params = std::fs::read_to_string(&stdout)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .map(|j| j["parameters"].clone());
    (code, params, screen)
}

#[test]
fn enter_on_every_question_gives_the_no_input_values() {
    let mut differ = Vec::new();
    let all = cases();
    assert!(all.len() > 25, "the conformance cases are found");
    let escapes = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]|\r").unwrap();
    for case in &all {
        let work = tempfile::tempdir().unwrap();
        std::fs::write(work.path().join("config.yaml"), "").unwrap();
        let ci = no_input(case, work.path());
        let tty = enter_everywhere(case, work.path());
        if ci.0 != tty.0 || ci.1 != tty.1 {
            let screen = escapes.replace_all(&tty.2, "").into_owned();
            let tail: Vec<&str> = screen.lines().rev().take(8).collect();
            differ.push(format!(
                "{}: --no-input exit {} {}\n  Enter      exit {} {}\n  screen end: {}",
                case.name,
                ci.0,
                ci.1.map(|v| v.to_string()).unwrap_or_default(),
                tty.0,
                tty.1.map(|v| v.to_string()).unwrap_or_default(),
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
