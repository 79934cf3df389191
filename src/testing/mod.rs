//! Template test cases (`golden test`): finding them under `<template>/tests/<case>/`, running each
//! one as `golden new --dry-run` in a temporary folder, and checking the result against the case's
//! expected tree, assertions and command.
//!
//! A case runs the golden binary itself in a child process, exactly as a user's
//! `golden new TEMPLATE --values values.yaml --dry-run --json` would: cases in parallel cannot
//! share state, and what is tested is the command line template authors run by hand.

pub mod assertions;
pub mod command;
pub mod compare;
pub mod junit;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};
use assertions::Assertion;

/// The folder of a template that holds its test cases.
pub const TESTS_DIR: &str = "tests";
/// The file of a case that holds its command and assertions.
pub const CASE_FILE: &str = "case.yaml";
/// How long a case's command may run when `case.yaml` does not say.
pub const DEFAULT_TIMEOUT_SECS: u64 = 600;

/// One test case: `<template>/tests/<name>/`.
#[derive(Debug, Clone)]
pub struct Case {
    /// The template's directory (holding `template.yaml`).
    pub template: PathBuf,
    /// The case's name (its folder name).
    pub name: String,
    /// The case's folder.
    pub dir: PathBuf,
}

impl Case {
    /// `TEMPLATE_DIR/tests/NAME`, as shown in reports.
    pub fn label(&self) -> String {
        self.dir.display().to_string()
    }
}

/// `case.yaml`: what to check beyond the expected tree.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// A shell command run in the rendered project (`sh -c`); non-zero exit fails the case.
    pub command: Option<String>,
    /// Seconds the command may run (default 600).
    pub timeout: Option<u64>,
    /// Assertions on the rendered files, the steps, the output and the error.
    #[serde(default, rename = "assert")]
    pub assertions: Vec<Assertion>,
}

/// What `run` does besides comparing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Write the rendered tree as the case's `expected/`.
    pub bless: bool,
    /// Do not run the cases' commands.
    pub no_run: bool,
}

/// How a case ended.
#[derive(Debug)]
pub struct Outcome {
    pub case: Case,
    pub duration: Duration,
    /// Why the case failed, one entry per problem (empty: passed).
    pub problems: Vec<String>,
    /// Notes for a passing case (blessed, command skipped).
    pub notes: Vec<String>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Every case of every template under `paths` (a template directory, or a folder searched
/// recursively; hidden folders, `node_modules` and `target` are skipped), sorted. A path that is
/// itself a case folder (`TEMPLATE/tests/CASE`) selects that case alone.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Case>> {
    let mut templates = Vec::new();
    let mut cases = Vec::new();
    for p in paths {
        if !p.exists() {
            return Err(Error::usage(format!("`{}` does not exist", p.display()))
                .hint("pass template directories or folders holding them"));
        }
        if let Some(tests) = p.parent().filter(|t| p.is_dir() && is_tests_dir(t)) {
            cases.push(Case {
                template: tests.parent().map(Path::to_path_buf).unwrap_or_default(),
                name: p
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string(),
                dir: p.clone(),
            });
            continue;
        }
        let dir = if p.is_file() {
            p.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            p.clone()
        };
        let walker = walkdir::WalkDir::new(&dir).into_iter().filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            e.depth() == 0
                || !(name.starts_with('.')
                    || name == "node_modules"
                    || name == "target"
                    || is_tests_dir(e.path()))
        });
        for entry in walker.filter_map(|e| e.ok()) {
            if entry.file_type().is_dir() && entry.path().join("template.yaml").is_file() {
                templates.push(entry.into_path());
            }
        }
    }
    templates.sort();
    templates.dedup();
    for template in templates {
        let tests = template.join(TESTS_DIR);
        let Ok(entries) = std::fs::read_dir(&tests) else {
            continue;
        };
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for dir in dirs {
            cases.push(Case {
                template: template.clone(),
                name: dir
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string(),
                dir,
            });
        }
    }
    cases.sort_by(|a, b| (&a.template, &a.name).cmp(&(&b.template, &b.name)));
    cases.dedup_by(|a, b| a.dir == b.dir);
    Ok(cases)
}

/// Whether `path` is the `tests/` folder of a template (test expectations, not templates).
pub fn is_tests_dir(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == TESTS_DIR)
        && path
            .parent()
            .is_some_and(|p| p.join("template.yaml").is_file())
}

/// The case's values file: `values.yaml`, `values.yml` or `values.json`.
fn input_file(dir: &Path, stem: &str) -> Option<PathBuf> {
    ["yaml", "yml", "json"]
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .find(|p| p.is_file())
}

fn read_spec(dir: &Path) -> std::result::Result<Spec, String> {
    let path = dir.join(CASE_FILE);
    if !path.is_file() {
        return Ok(Spec::default());
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value = crate::template::yaml::parse_value(&text)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if value.is_null() {
        return Ok(Spec::default());
    }
    serde_json::from_value(value).map_err(|e| format!("{}: {e}", path.display()))
}

/// The golden binary that runs the cases, and the `GOLDEN_VALUE_*` variables of the
/// environment it must not see (a case's files are its whole input).
#[derive(Debug, Clone, Default)]
pub struct Golden {
    pub exe: PathBuf,
    pub value_vars: Vec<String>,
}

/// Runs one case; never panics, every failure is a problem of the outcome.
pub fn run(case: &Case, golden: &Golden, options: Options) -> Outcome {
    let started = Instant::now();
    let mut notes = Vec::new();
    let problems = match run_inner(case, golden, options, &mut notes) {
        Ok(problems) => problems,
        Err(problem) => vec![problem],
    };
    Outcome {
        case: case.clone(),
        duration: started.elapsed(),
        problems,
        notes,
    }
}

fn run_inner(
    case: &Case,
    golden: &Golden,
    options: Options,
    notes: &mut Vec<String>,
) -> std::result::Result<Vec<String>, String> {
    // golden new runs in a temporary folder: every path it gets is absolute
    let dir = std::fs::canonicalize(&case.dir)
        .map_err(|e| format!("cannot resolve {}: {e}", case.dir.display()))?;
    let spec = read_spec(&dir)?;
    let values = input_file(&dir, "values").ok_or_else(|| {
        format!(
            "no values.yaml in {}: a case needs the values to run the template with",
            case.dir.display()
        )
    })?;
    let expected = dir.join("expected");
    let expects_failure = spec.assertions.iter().any(Assertion::is_failure);
    if !expected.is_dir() && spec.assertions.is_empty() && !options.bless {
        return Err(format!(
            "nothing to check in {}: add an expected/ tree (`golden test --bless` writes it) or assertions in {CASE_FILE}",
            case.dir.display()
        ));
    }

    let tmp = tempfile::Builder::new()
        .prefix("golden-test-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let out = tmp.path().join("out");
    let run = golden_new(case, golden, &dir, &values, tmp.path())?;
    let stderr = String::from_utf8_lossy(&run.stderr).trim().to_string();
    let report: Value = serde_json::from_slice(&run.stdout).unwrap_or(Value::Null);

    let mut problems = Vec::new();
    if !run.status.success() {
        if expects_failure {
            for a in &spec.assertions {
                if let Err(p) = a.check_failure(&stderr) {
                    problems.push(p);
                }
            }
            return Ok(problems);
        }
        return Err(format!("the template run failed:\n{}", indent(&stderr)));
    }
    if expects_failure {
        problems.push("the run succeeded, but the case expects it to fail".into());
    }

    if options.bless {
        bless(&out, &expected)?;
        notes.push("blessed: expected/ written".into());
    } else if expected.is_dir() {
        problems.extend(compare::trees(&expected, &out));
    }
    for a in &spec.assertions {
        if a.is_failure() {
            continue;
        }
        if let Err(p) = a.check(&out, &report) {
            problems.push(p);
        }
    }
    if let Some(command) = &spec.command {
        if options.no_run {
            notes.push("command not run (--no-run)".into());
        } else if problems.is_empty() {
            let timeout = Duration::from_secs(spec.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS));
            if let Err(p) = command::run(command, &out, timeout, tmp.path()) {
                problems.push(p);
            }
        }
    }
    Ok(problems)
}

/// Runs `golden new --dry-run` of the case (its folder `dir`, its `values` file, its secrets and
/// user files if any) in `tmp`, writing into `tmp/out`.
fn golden_new(
    case: &Case,
    golden: &Golden,
    dir: &Path,
    values: &Path,
    tmp: &Path,
) -> std::result::Result<std::process::Output, String> {
    let template = std::fs::canonicalize(&case.template)
        .map_err(|e| format!("cannot resolve {}: {e}", case.template.display()))?;
    let mut cmd = Command::new(&golden.exe);
    cmd.arg("new")
        .arg(&template)
        .arg("--values")
        .arg(values)
        .args(["--dry-run", "--no-input", "--json", "--quiet", "--output"])
        .arg(tmp.join("out"))
        .current_dir(tmp)
        .stdin(Stdio::null());
    for (stem, flag) in [("secrets", "--secrets"), ("user", "--user")] {
        if let Some(f) = input_file(dir, stem) {
            cmd.arg(flag).arg(f);
        }
    }
    // the case's files are the whole input: no values from the environment
    for key in &golden.value_vars {
        cmd.env_remove(key);
    }
    cmd.output()
        .map_err(|e| format!("cannot run {}: {e}", golden.exe.display()))
}

/// Replaces `expected` with the rendered tree.
fn bless(out: &Path, expected: &Path) -> std::result::Result<(), String> {
    if expected.exists() {
        std::fs::remove_dir_all(expected)
            .map_err(|e| format!("cannot remove {}: {e}", expected.display()))?;
    }
    copy_tree(out, expected).map_err(|e| format!("cannot write {}: {e}", expected.display()))
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.map_err(std::io::Error::other)?;
        let rel = entry.path().strip_prefix(from).unwrap_or(entry.path());
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest)?;
        } else {
            std::fs::copy(entry.path(), &dest)?; // keeps the permission bits
        }
    }
    Ok(())
}

/// Indents every line by four spaces.
pub fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
