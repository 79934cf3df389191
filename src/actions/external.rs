//! External actions: programs in any language that golden runs as a step, declared under
//! `actions:` in the config file or found on PATH as `golden-action-<id>` (`:` written `-`).
//! The protocol (stdin, stdout, stderr, exit status) is in [`PROTOCOL`] and docs/actions.md.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::declared::{leak, step_request, Declared, Runs};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::runner::{ActionContext, ActionError, Outputs};
use crate::settings::Programs;

/// The protocol, as `golden actions --protocol` prints it (docs/actions.md says the same).
pub const PROTOCOL: &str = include_str!("external_protocol.txt");

/// How long a step may run when its definition sets no `timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// How many of the last stderr lines a failure shows.
const TAIL: usize = 10;

/// Prefix of the executables found on PATH.
pub const PATH_PREFIX: &str = "golden-action-";

/// One external action.
pub type External = Declared<Program>;

/// How an external action runs: a program, given the step on stdin.
pub struct Program {
    /// Program and arguments, paths already resolved.
    argv: Vec<String>,
    /// Whether the step's secrets are sent too.
    secrets: bool,
}

impl External {
    /// The actions declared in the config file's `actions:` (relative paths resolve from the
    /// file's folder, else from `programs.cwd`).
    pub fn from_config(config: &Config, programs: &Programs) -> Result<Vec<External>> {
        let base = config
            .source
            .as_deref()
            .and_then(Path::parent)
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .and_then(|p| std::fs::canonicalize(p).ok())
            .unwrap_or_else(|| programs.cwd.clone());
        let shown = config
            .source
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "the config file".into());
        let mut out = Vec::new();
        for (id, def) in &config.actions.external {
            out.push(
                parse_definition(id, def, &base, &shown).map_err(|m| {
                    Error::usage(format!("`actions.{id}` in `{shown}`: {m}")).hint(
                        "an external action is `{command: [PROGRAM, ARGS...], input?, output?, dryRun?, timeout?, secrets?}`; `golden actions --protocol` describes the rest",
                    )
                })?,
            );
        }
        Ok(out)
    }

    /// `golden-action-<id>` on PATH (`:` in the id written `-`), if there is one.
    pub fn from_path(id: &str, programs: &Programs) -> Option<External> {
        let name = format!("{PATH_PREFIX}{}", id.replace(':', "-"));
        let exe = find_on_path(&name, &programs.path)?;
        Some(External {
            id: leak(id.to_string()),
            description: "an external action found on PATH",
            outputs: &[],
            origin: format!("PATH: {}", exe.display()),
            schema: None,
            dry_run: false,
            timeout: DEFAULT_TIMEOUT,
            how: Program {
                argv: vec![exe.to_string_lossy().into_owned()],
                secrets: false,
            },
        })
    }
}

fn parse_definition(
    id: &str,
    def: &Value,
    base: &Path,
    shown: &str,
) -> std::result::Result<External, String> {
    let Some(obj) = def.as_object() else {
        return Err("must be a mapping with at least `command`".into());
    };
    const KEYS: &[&str] = &[
        "command",
        "description",
        "input",
        "output",
        "dryRun",
        "timeout",
        "secrets",
    ];
    if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
        let mut m = format!("unknown key `{k}`");
        if let Some(s) = crate::runner::action::closest(k, KEYS.iter().copied()) {
            m.push_str(&format!(" (did you mean `{s}`?)"));
        }
        return Err(m);
    }
    let argv = command(obj)?
        .iter()
        .enumerate()
        .map(|(i, a)| resolve_arg(a, i == 0, base))
        .collect();
    // checked in this order: the first problem is the one reported
    let schema = input_schema(obj, base)?;
    let outputs = outputs(obj)?;
    let dry_run = flag(obj, "dryRun")?;
    let secrets = flag(obj, "secrets")?;
    let timeout = match obj.get("timeout") {
        None => DEFAULT_TIMEOUT,
        Some(v) => parse_timeout(v)?,
    };
    let description = obj
        .get("description")
        .and_then(Value::as_str)
        .map(|s| leak(s.to_string()))
        .unwrap_or("an external action declared in the config file");
    Ok(External {
        id: leak(id.to_string()),
        description,
        outputs: Box::leak(outputs.into_boxed_slice()),
        origin: format!("config: {shown}"),
        schema,
        dry_run,
        timeout,
        how: Program { argv, secrets },
    })
}

/// `command`: the program and its arguments, as a list (golden runs no shell).
fn command(obj: &Map<String, Value>) -> std::result::Result<Vec<String>, String> {
    match obj.get("command") {
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err("`command` must be a list of strings".to_string()),
            })
            .collect(),
        Some(Value::String(_)) => Err(
            "`command` must be a list (argv), e.g. `[python3, ./my-action.py]`; golden runs no shell"
                .into(),
        ),
        _ => Err("`command` (a non-empty list: program and arguments) is missing".into()),
    }
}

/// `input`: a JSON Schema, inline or in a file (JSON or YAML) beside the config; checked.
fn input_schema(
    obj: &Map<String, Value>,
    base: &Path,
) -> std::result::Result<Option<Value>, String> {
    let schema = match obj.get("input") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(file)) => {
            let p = base.join(file);
            let text = std::fs::read_to_string(&p)
                .map_err(|e| format!("cannot read the input schema `{}`: {e}", p.display()))?;
            if file.ends_with(".json") {
                serde_json::from_str(&text).map_err(|e| {
                    format!("the input schema `{}` is not valid JSON: {e}", p.display())
                })?
            } else {
                crate::template::yaml::parse_value(&text).map_err(|e| {
                    format!(
                        "the input schema `{}` is not valid YAML: {}",
                        p.display(),
                        e.message
                    )
                })?
            }
        }
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => return Err("`input` must be a JSON Schema (a mapping) or a file name".into()),
    };
    crate::backstage::json_schema::options()
        .build(&schema)
        .map_err(|e| format!("the input schema is not a valid JSON Schema: {e}"))?;
    Ok(Some(schema))
}

/// `output`: `{name: description}` or a JSON Schema with `properties`; the output names.
fn outputs(obj: &Map<String, Value>) -> std::result::Result<Vec<&'static str>, String> {
    match obj.get("output") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => {
            let names = match m.get("properties").and_then(Value::as_object) {
                Some(p) if m.get("type").is_some() => p.keys().cloned().collect::<Vec<_>>(),
                _ => m.keys().cloned().collect(),
            };
            Ok(names.into_iter().map(leak).collect())
        }
        Some(_) => Err(
            "`output` must be a mapping of output names to descriptions (or a JSON Schema)".into(),
        ),
    }
}

/// A boolean key (`dryRun`, `secrets`), false when absent.
fn flag(obj: &Map<String, Value>, key: &str) -> std::result::Result<bool, String> {
    match obj.get(key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("`{key}` must be true or false")),
    }
}

/// `./x` and `../x` are relative to the config file's folder; so is a program name holding a `/`.
/// Anything else is passed as written (a bare program name is looked up on PATH).
fn resolve_arg(arg: &str, program: bool, base: &Path) -> String {
    let relative = arg.starts_with("./")
        || arg.starts_with("../")
        || (program && arg.contains('/') && !Path::new(arg).is_absolute());
    if relative {
        base.join(arg).to_string_lossy().into_owned()
    } else {
        arg.to_string()
    }
}

/// `30`, `30s`, `5m`, `1h` (a number alone is seconds).
pub(crate) fn parse_timeout(v: &Value) -> std::result::Result<Duration, String> {
    let bad =
        || format!("`timeout` must be seconds or a duration like `30s`, `5m`, `1h` (got {v})");
    let secs = match v {
        Value::Number(n) => n.as_f64().ok_or_else(bad)?,
        Value::String(s) => {
            let s = s.trim();
            let (num, unit) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
                Some(i) => (&s[..i], s[i..].trim()),
                None => (s, "s"),
            };
            let n: f64 = num.parse().map_err(|_| bad())?;
            match unit {
                "ms" => n / 1000.0,
                "s" => n,
                "m" => n * 60.0,
                "h" => n * 3600.0,
                _ => return Err(bad()),
            }
        }
        _ => return Err(bad()),
    };
    if !(secs > 0.0 && secs.is_finite()) {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The first executable `name` in PATH's directories.
fn find_on_path(name: &str, path: &[PathBuf]) -> Option<PathBuf> {
    path.iter().map(|d| d.join(name)).find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// Every `golden-action-*` executable on PATH (first one wins), as `(name after the prefix,
/// path)`.
pub fn list_path(path: &[PathBuf]) -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = Vec::new();
    for dir in path {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut found: Vec<(String, PathBuf)> = rd
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let rest = name.strip_prefix(PATH_PREFIX)?.to_string();
                (!rest.is_empty() && is_executable(&e.path())).then(|| (rest, e.path()))
            })
            .collect();
        found.sort();
        for (n, p) in found {
            if !out.iter().any(|(m, _)| *m == n) {
                out.push((n, p));
            }
        }
    }
    out
}

impl Runs for Program {
    fn dry_run_notice(action: &External) -> String {
        format!(
            "`{}` is an external action that does not declare `dryRun: true`; skipped in dry-run",
            action.id
        )
    }
    fn run(
        action: &External,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> std::result::Result<Outputs, ActionError> {
        // The protocol version first, then the step; secrets only when the definition asks.
        let mut doc = Map::new();
        doc.insert("protocol".into(), json!(1));
        doc.extend(step_request(action.id, ctx, input));
        if action.how.secrets {
            doc.insert("secrets".into(), Value::Object(ctx.secrets.clone()));
        }
        let doc = Value::Object(doc);
        let result = run_process(
            &action.how.argv,
            ctx.workspace,
            &doc.to_string(),
            action.timeout,
        );
        let masker = Masker::new(ctx.secrets);
        let outcome = result.map_err(|e| {
            ActionError::new(format!(
                "cannot run `{}` for action `{}`: {}",
                action.how.argv[0], action.id, e
            ))
            .with_hint(format!(
                "check the command of `{}` ({}); the program must be installed and executable",
                action.id, action.origin
            ))
        })?;
        for line in &outcome.stderr {
            ctx.info(masker.mask(line));
        }
        if outcome.timed_out {
            return Err(ActionError::new(format!(
                "action `{}` did not finish within {}s and was stopped{}",
                action.id,
                action.timeout.as_secs_f64(),
                tail(&outcome.stderr, &masker)
            ))
            .with_hint("raise `timeout` in the action's definition if it needs longer"));
        }
        if !outcome.success {
            return Err(ActionError::new(format!(
                "action `{}` exited with {}{}",
                action.id,
                outcome.status,
                tail(&outcome.stderr, &masker)
            )));
        }
        parse_stdout(action.id, &outcome.stdout).map_err(|m| {
            ActionError::new(masker.mask(&m)).with_hint(
                "an external action writes one JSON object `{\"output\": {...}}` on stdout and its log lines on stderr (`golden actions --protocol`)",
            )
        })
    }
}

/// `:\n  last lines` of stderr (masked), or nothing when it printed none.
fn tail(lines: &[String], masker: &Masker) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let from = lines.len().saturating_sub(TAIL);
    let shown: Vec<String> = lines[from..]
        .iter()
        .map(|l| format!("\n  {}", masker.mask(l)))
        .collect();
    format!("; last lines of its stderr:{}", shown.concat())
}

/// The outputs from stdout: empty, or one JSON object with an optional `output` object.
fn parse_stdout(id: &str, stdout: &[u8]) -> std::result::Result<Outputs, String> {
    let text = String::from_utf8_lossy(stdout);
    let text = text.trim();
    if text.is_empty() {
        return Ok(Map::new());
    }
    let shown = || {
        let mut s: String = text.chars().take(200).collect();
        if s.len() < text.len() {
            s.push('…');
        }
        s
    };
    let v: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "action `{id}` wrote something other than one JSON object on stdout ({e}): {}",
            shown()
        )
    })?;
    match v {
        Value::Object(mut m) => match m.remove("output") {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(o)) => Ok(o),
            Some(_) => Err(format!(
                "action `{id}` wrote `output` that is not an object on stdout: {}",
                shown()
            )),
        },
        _ => Err(format!(
            "action `{id}` wrote JSON that is not an object on stdout: {}",
            shown()
        )),
    }
}

/// Replaces secret values by `***`.
struct Masker {
    needles: Vec<String>,
}

impl Masker {
    fn new(secrets: &Map<String, Value>) -> Masker {
        let mut needles: Vec<String> = secrets
            .values()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => Some(other.to_string()),
            })
            .filter(|s| s.len() >= 3)
            .collect();
        // longest first, so a secret containing another is masked whole
        needles.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Masker { needles }
    }
    fn mask(&self, s: &str) -> String {
        let mut out = s.to_string();
        for n in &self.needles {
            out = out.replace(n.as_str(), "***");
        }
        out
    }
}

struct Outcome {
    success: bool,
    status: String,
    timed_out: bool,
    stdout: Vec<u8>,
    stderr: Vec<String>,
}

/// Runs `argv` in `cwd` with `stdin_doc` on stdin; collects stdout and stderr's lines; stops the
/// process (its whole group on Unix) after `timeout`.
fn run_process(
    argv: &[String],
    cwd: &Path,
    stdin_doc: &str,
    timeout: Duration,
) -> std::io::Result<Outcome> {
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd.spawn()?;
    let mut stdin = child.stdin.take();
    let doc = stdin_doc.to_string();
    let writer = std::thread::spawn(move || {
        if let Some(s) = stdin.as_mut() {
            // a program that does not read its input closes the pipe: not an error
            let _ = s.write_all(doc.as_bytes());
        }
        drop(stdin);
    });
    let mut out_pipe = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(p) = out_pipe.as_mut() {
            let _ = p.read_to_end(&mut buf);
        }
        buf
    });
    let err_pipe = child.stderr.take();
    let err_reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        if let Some(p) = err_pipe {
            for l in std::io::BufReader::new(p).split(b'\n') {
                match l {
                    Ok(b) => lines.push(
                        String::from_utf8_lossy(&b)
                            .trim_end_matches('\r')
                            .to_string(),
                    ),
                    Err(_) => break,
                }
            }
        }
        lines
    });
    use wait_timeout::ChildExt;
    let (status, timed_out) = match child.wait_timeout(timeout)? {
        Some(s) => (Some(s), false),
        None => {
            kill_group(&mut child);
            (child.wait().ok(), true)
        }
    };
    // the program exited: whatever it started in its group goes too, so the pipes close
    kill_group_quietly(&child);
    let _ = writer.join();
    let stdout = reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    let status_text = match status.and_then(|s| s.code()) {
        Some(c) => format!("status {c}"),
        None => "a signal".to_string(),
    };
    Ok(Outcome {
        success: !timed_out && status.is_some_and(|s| s.success()),
        status: status_text,
        timed_out,
        stdout,
        stderr,
    })
}

#[cfg(unix)]
fn kill_group(child: &mut std::process::Child) {
    // SAFETY: kill(2) with the negated id of the process group golden created for this child.
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGKILL);
    }
    let _ = child.kill();
}

#[cfg(not(unix))]
fn kill_group(child: &mut std::process::Child) {
    let _ = child.kill();
}

#[cfg(unix)]
fn kill_group_quietly(child: &std::process::Child) {
    // SAFETY: as above; the group may already be gone (ESRCH), which is fine.
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGKILL);
    }
}

#[cfg(not(unix))]
fn kill_group_quietly(_child: &std::process::Child) {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::Action;

    #[test]
    fn timeouts_parse() {
        assert_eq!(parse_timeout(&json!(30)).unwrap(), Duration::from_secs(30));
        assert_eq!(
            parse_timeout(&json!("2m")).unwrap(),
            Duration::from_secs(120)
        );
        assert_eq!(
            parse_timeout(&json!("1.5s")).unwrap(),
            Duration::from_millis(1500)
        );
        assert!(parse_timeout(&json!("soon")).is_err());
        assert!(parse_timeout(&json!(0)).is_err());
    }

    #[test]
    fn relative_arguments_resolve_from_the_config_folder() {
        let base = Path::new("/cfg");
        assert_eq!(resolve_arg("python3", true, base), "python3");
        assert_eq!(resolve_arg("./a.py", false, base), "/cfg/./a.py");
        assert_eq!(resolve_arg("bin/x", true, base), "/cfg/bin/x");
        assert_eq!(resolve_arg("bin/x", false, base), "bin/x");
        assert_eq!(resolve_arg("/usr/bin/env", true, base), "/usr/bin/env");
    }

    #[test]
    fn stdout_is_one_object_with_output() {
        assert_eq!(
            parse_stdout("a", br#"{"output":{"x":1}}"#).unwrap()["x"],
            json!(1)
        );
        assert!(parse_stdout("a", b"").unwrap().is_empty());
        assert!(parse_stdout("a", b"hello")
            .unwrap_err()
            .contains("other than one JSON object"));
        assert!(parse_stdout("a", br#"{"output": 3}"#).is_err());
    }

    #[test]
    fn definitions_are_checked() {
        let base = Path::new("/cfg");
        let e = parse_definition("a:b", &json!({"command": "x"}), base, "c.yaml")
            .err()
            .unwrap();
        assert!(e.contains("must be a list"), "{e}");
        let e = parse_definition("a:b", &json!({"command": ["x"], "dryrun": true}), base, "c")
            .err()
            .unwrap();
        assert!(e.contains("did you mean `dryRun`"), "{e}");
        let a = parse_definition(
            "a:b",
            &json!({"command": ["x"], "output": {"url": "where"}, "dryRun": true, "timeout": "5s"}),
            base,
            "c",
        )
        .ok()
        .unwrap();
        assert_eq!(a.outputs, &["url"]);
        assert!(a.skipped_in_dry_run().is_none());
        assert_eq!(a.timeout, Duration::from_secs(5));
    }
}
