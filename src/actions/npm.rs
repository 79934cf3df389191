//! Backstage action modules from npm (`@roadiehq/scaffolder-backend-module-utils`, ...): installed
//! with npm into `<GOLDEN_HOME>/npm` by `golden actions add`, described and run by a bridge script
//! embedded in the binary (`npm_bridge.cjs`), through one Node.js process per run.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::declared::{leak, step_request, Declared, Runs};
use crate::error::{Error, Result};
use crate::runner::{ActionContext, ActionError, Outputs};

const BRIDGE: &str = include_str!("npm_bridge.cjs");
const MARK: &str = "\u{1}golden:";
/// How long one npm step may run unless `actions.timeouts` says otherwise (as external actions'
/// default).
const DEFAULT_TIMEOUT: Duration = super::external::DEFAULT_TIMEOUT;

/// What `golden actions add` recorded about one package.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageRecord {
    /// What was asked for (`NAME[@VERSION]`).
    pub spec: String,
    pub version: String,
    pub actions: Vec<ActionRecord>,
}

/// One action of a package.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionRecord {
    pub id: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub input: Option<Value>,
    #[serde(default)]
    pub supports_dry_run: bool,
}

/// The npm folder in golden's data directory.
pub struct Store {
    dir: PathBuf,
    /// The Node.js program (`GOLDEN_NODE`, else `node` on PATH).
    node: PathBuf,
}

/// `NAME` of `NAME[@VERSION]` (scoped names keep their leading `@`).
pub fn package_name(spec: &str) -> &str {
    let rest = spec.strip_prefix('@').map_or(spec, |r| r);
    match rest.find('@') {
        Some(i) => &spec[..spec.len() - rest.len() + i],
        None => spec,
    }
}

fn node_missing(what: &str) -> String {
    format!("{what} needs Node.js (18 or newer), which golden cannot find: install it (Debian/Ubuntu: `apt-get install nodejs npm`; macOS: `brew install node`; or from nodejs.org), or point GOLDEN_NODE at the `node` program")
}

impl Store {
    pub fn new(home: &Path, programs: &crate::settings::Programs) -> Store {
        Store {
            dir: home.join("npm"),
            node: programs.node(),
        }
    }

    fn records_path(&self) -> PathBuf {
        self.dir.join("actions.json")
    }

    /// Installed packages and their actions (none when nothing was added).
    pub fn records(&self) -> BTreeMap<String, PackageRecord> {
        std::fs::read_to_string(self.records_path())
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    fn save(&self, records: &BTreeMap<String, PackageRecord>) -> Result<()> {
        let path = self.records_path();
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(records).unwrap_or_default();
        std::fs::write(&tmp, text).map_err(|e| Error::io("cannot write", &tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io("cannot write", &path, e))
    }

    /// The npm folder with its package.json and the bridge script.
    fn prepare(&self) -> Result<()> {
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::io("cannot create", &self.dir, e))?;
        let pj = self.dir.join("package.json");
        if !pj.exists() {
            std::fs::write(&pj, "{\"private\": true, \"description\": \"action modules installed by golden actions add\"}\n")
                .map_err(|e| Error::io("cannot write", &pj, e))?;
        }
        let bridge = self.dir.join("bridge.cjs");
        if std::fs::read_to_string(&bridge).ok().as_deref() != Some(BRIDGE) {
            std::fs::write(&bridge, BRIDGE).map_err(|e| Error::io("cannot write", &bridge, e))?;
        }
        Ok(())
    }

    fn npm(&self, args: &[&str]) -> Result<()> {
        let out = Command::new("npm")
            .args(args)
            .args(["--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| {
                Error::usage(format!("cannot run npm: {e}"))
                    .hint(node_missing("installing action modules"))
            })?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = err.lines().rev().take(8).collect();
            return Err(Error::usage(format!(
                "`npm {}` failed:\n  {}",
                args.join(" "),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n  ")
            ))
            .hint("check the package name and version, and that npm can reach its registry"));
        }
        Ok(())
    }

    /// `golden actions add SPEC...`: installs the packages (one npm run) and records their
    /// actions.
    pub fn add(&self, specs: &[String]) -> Result<Vec<(String, PackageRecord)>> {
        self.prepare()?;
        // a local folder or tarball (a package of your own): npm runs in the store, so its path
        // is made absolute; `--install-links` copies a folder instead of linking it
        let specs: Vec<String> = specs
            .iter()
            .map(|s| match std::fs::canonicalize(s) {
                Ok(p) if s.starts_with('.') || s.starts_with('/') => {
                    p.to_string_lossy().into_owned()
                }
                _ => s.clone(),
            })
            .collect();
        let mut args = vec!["install", "--save", "--install-links"];
        args.extend(specs.iter().map(String::as_str));
        self.npm(&args)?;
        let mut all = self.records();
        let mut added = Vec::new();
        for spec in &specs {
            let name = self.name_of(spec);
            let name = name.as_str();
            let record = self.describe(spec, name)?;
            all.insert(name.to_string(), record.clone());
            added.push((name.to_string(), record));
        }
        self.save(&all)?;
        Ok(added)
    }

    /// The package name of what `add` installed: `NAME` of `NAME[@VERSION]`, the `name` of a
    /// local folder's package.json, or the dependency npm recorded for a local tarball.
    fn name_of(&self, spec: &str) -> String {
        let path = Path::new(spec);
        let json = |p: &Path| {
            std::fs::read_to_string(p)
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .unwrap_or(Value::Null)
        };
        if path.is_absolute() && path.is_dir() {
            if let Some(n) = json(&path.join("package.json"))["name"].as_str() {
                return n.to_string();
            }
        }
        if path.is_absolute() && path.is_file() {
            let file = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let deps = json(&self.dir.join("package.json"))["dependencies"].clone();
            if let Some((n, _)) = deps
                .as_object()
                .into_iter()
                .flatten()
                .find(|(_, v)| v.as_str().is_some_and(|v| v.ends_with(&file)))
            {
                return n.clone();
            }
        }
        package_name(spec).to_string()
    }

    /// `golden actions remove NAME`.
    pub fn remove(&self, name: &str) -> Result<()> {
        let mut all = self.records();
        if all.remove(name).is_none() {
            let mut e = Error::usage(format!("`{name}` was not added with `golden actions add`"));
            if let Some(s) = crate::runner::action::closest(name, all.keys().map(String::as_str)) {
                e = e.hint(format!("did you mean `{s}`?"));
            }
            return Err(e);
        }
        self.prepare()?;
        self.npm(&["uninstall", "--save", name])?;
        self.save(&all)
    }

    /// Installs the packages the config lists that are not installed yet.
    pub fn ensure(&self, specs: &[String]) -> Result<()> {
        let have = self.records();
        let missing: Vec<String> = specs
            .iter()
            .filter(|s| !have.contains_key(package_name(s)))
            .cloned()
            .collect();
        if !missing.is_empty() {
            self.add(&missing)?;
        }
        Ok(())
    }

    fn describe(&self, spec: &str, name: &str) -> Result<PackageRecord> {
        let out = Command::new(&self.node)
            .arg(self.dir.join("bridge.cjs"))
            .args(["describe", name])
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|_| Error::usage(node_missing("reading the actions of an npm package")))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix(MARK))
            .ok_or_else(|| {
                Error::usage(format!(
                    "cannot read the actions of `{name}`: {}",
                    String::from_utf8_lossy(&out.stderr)
                        .lines()
                        .last()
                        .unwrap_or("no answer from the bridge")
                ))
            })?;
        let v: Value = serde_json::from_str(line)
            .map_err(|e| Error::internal(format!("the bridge answered badly: {e}")))?;
        if let Some(err) = v.get("error").and_then(Value::as_str) {
            return Err(Error::usage(format!("cannot load `{name}`: {err}")));
        }
        let actions: Vec<ActionRecord> =
            serde_json::from_value(v.get("actions").cloned().unwrap_or(json!([])))
                .unwrap_or_default();
        if actions.is_empty() {
            return Err(Error::usage(format!(
                "`{name}` provides no scaffolder action golden can find"
            ))
            .hint("golden reads the actions a backend module registers with the scaffolder's extension point"));
        }
        let version = std::fs::read_to_string(
            self.dir
                .join("node_modules")
                .join(name)
                .join("package.json"),
        )
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v.get("version").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default();
        Ok(PackageRecord {
            spec: spec.to_string(),
            version,
            actions,
        })
    }

    /// The actions of every installed package, sharing one bridge; an `actions.timeouts` entry
    /// that is not a duration is an error.
    pub fn actions(&self, config: &crate::config::Config) -> Result<Vec<NpmAction>> {
        let timeouts = Timeouts::from_config(config)?;
        let records = self.records();
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let bridge = Arc::new(Bridge {
            dir: self.dir.clone(),
            node: self.node.clone(),
            config: bridge_config(config),
            proc: Mutex::new(None),
        });
        let mut out = Vec::new();
        for (name, r) in records {
            for a in r.actions {
                let a_id = a.id.clone();
                out.push(NpmAction {
                    id: leak(a.id),
                    description: leak(a.description),
                    outputs: &[],
                    origin: format!("npm: {name}@{}", r.version),
                    schema: a.input,
                    dry_run: a.supports_dry_run,
                    timeout: timeouts.of(&a_id, &name),
                    how: Package {
                        name: name.clone(),
                        bridge: bridge.clone(),
                    },
                });
            }
        }
        Ok(out)
    }
}

/// `actions.timeouts` of the config: by action id, by package name, and `default`.
struct Timeouts(BTreeMap<String, Duration>);

impl Timeouts {
    fn from_config(config: &crate::config::Config) -> Result<Timeouts> {
        let mut m = BTreeMap::new();
        for (k, v) in &config.actions.timeouts {
            let d = super::external::parse_timeout(v).map_err(|e| {
                Error::usage(format!("`actions.timeouts.{k}` in the config file: {e}"))
            })?;
            m.insert(k.clone(), d);
        }
        Ok(Timeouts(m))
    }

    /// The action's own entry, else its package's, else `default`, else 10 minutes.
    fn of(&self, id: &str, package: &str) -> Duration {
        [id, package, "default"]
            .iter()
            .find_map(|k| self.0.get(*k).copied())
            .unwrap_or(DEFAULT_TIMEOUT)
    }
}

/// A duration as the config writes it (`90s`, `2m`, `1.5s`).
fn shown(d: Duration) -> String {
    let ms = d.as_millis();
    if ms % 60_000 == 0 {
        format!("{}m", ms / 60_000)
    } else if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

/// The part of golden's config a module's root config gets (integrations).
fn bridge_config(config: &crate::config::Config) -> String {
    let github: Vec<Value> = config
        .integrations
        .github
        .iter()
        .map(|g| {
            let mut m = json!({"host": g.host});
            if let Some(u) = &g.api_base_url {
                m["apiBaseUrl"] = json!(u);
            }
            if let Some(t) = &g.token {
                m["token"] = json!(t.0);
            }
            m
        })
        .collect();
    json!({"integrations": {"github": github}}).to_string()
}

/// The Node.js process of a run (started at the first npm action, stopped with the run).
pub struct Bridge {
    dir: PathBuf,
    node: PathBuf,
    config: String,
    proc: Mutex<Option<Proc>>,
}

struct Proc {
    child: Child,
    stdin: ChildStdin,
    /// stdout's lines, read by a thread (so a step can time out).
    lines: std::sync::mpsc::Receiver<String>,
    stderr: Arc<Mutex<Vec<String>>>,
}

/// How an action run by the bridge ended: its outputs, or the error it threw.
type Finished = std::result::Result<Outputs, ActionError>;

/// Writes one line to the bridge; `false` when it is gone.
fn send(p: &mut Proc, line: &Value) -> bool {
    writeln!(p.stdin, "{line}")
        .and_then(|_| p.stdin.flush())
        .is_ok()
}

/// The bridge stopped: the error names the last lines it printed on stderr.
fn gone(p: &Proc) -> ActionError {
    let tail: Vec<String> = p
        .stderr
        .lock()
        .map(|s| s.iter().rev().take(10).rev().cloned().collect())
        .unwrap_or_default();
    ActionError::new(format!(
        "the Node.js bridge stopped{}",
        if tail.is_empty() {
            String::new()
        } else {
            format!(":\n  {}", tail.join("\n  "))
        }
    ))
}

/// The action of `request` ran out of time and was stopped.
fn timed_out(request: &Value, timeout: Duration) -> ActionError {
    ActionError::new(format!(
        "`{}` did not finish within {} and was stopped",
        request["action"].as_str().unwrap_or_default(),
        shown(timeout)
    ))
    .with_hint("give it more time with `actions.timeouts` in the config file (by action id, package name or `default`), e.g. `timeouts: {default: 30m}`")
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let Ok(mut p) = self.proc.lock() {
            if let Some(mut p) = p.take() {
                let _ = p.child.kill();
                let _ = p.child.wait();
            }
        }
    }
}

impl Bridge {
    fn start(&self) -> std::result::Result<Proc, ActionError> {
        let mut child = Command::new(&self.node)
            .arg(self.dir.join("bridge.cjs"))
            .arg("serve")
            .current_dir(&self.dir)
            .env("GOLDEN_BRIDGE_CONFIG", &self.config)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|_| ActionError::new(node_missing("this action (from an npm package)")))?;
        let stderr = Arc::new(Mutex::new(Vec::new()));
        if let Some(err) = child.stderr.take() {
            let sink = stderr.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err)
                    .lines()
                    .map_while(std::result::Result::ok)
                {
                    if let Ok(mut s) = sink.lock() {
                        s.push(line);
                    }
                }
            });
        }
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| ActionError::new("no stdin for Node.js"))?;
        let stdout: ChildStdout = child
            .stdout
            .take()
            .ok_or_else(|| ActionError::new("no stdout for Node.js"))?;
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout)
                .lines()
                .map_while(std::result::Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Proc {
            child,
            stdin,
            lines,
            stderr,
        })
    }

    /// Runs one action in the bridge; log lines go to `log`; what the module asks of golden's
    /// services (url reader, catalog) `lender` answers. After `timeout` the bridge is stopped.
    fn call(
        &self,
        request: &Value,
        log: &mut Vec<String>,
        lender: &super::npm_services::Lender<'_>,
        timeout: Duration,
    ) -> std::result::Result<Outputs, ActionError> {
        let mut guard = self
            .proc
            .lock()
            .map_err(|_| ActionError::new("the Node.js bridge is unusable after a failure"))?;
        if guard.is_none() {
            *guard = Some(self.start()?);
        }
        let p = guard.as_mut().expect("started above");
        let exchanged = if send(p, request) {
            self.exchange(p, request, log, lender, timeout)
        } else {
            Err(gone(p))
        };
        exchanged.unwrap_or_else(|e| {
            // The bridge stopped (or was stopped): the next call starts a new one.
            *guard = None;
            Err(e)
        })
    }

    /// Reads the bridge's messages until the action finishes. `Err` means the bridge is gone
    /// or was stopped at the time limit, and cannot serve another call.
    fn exchange(
        &self,
        p: &mut Proc,
        request: &Value,
        log: &mut Vec<String>,
        lender: &super::npm_services::Lender<'_>,
        timeout: Duration,
    ) -> std::result::Result<Finished, ActionError> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = match p.lines.recv_timeout(left) {
                Ok(l) => l,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    let _ = p.child.kill();
                    let _ = p.child.wait();
                    return Err(timed_out(request, timeout));
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Err(gone(p)),
            };
            let Some(msg) = line.trim_end().strip_prefix(MARK) else {
                log.push(line.trim_end().to_string());
                continue;
            };
            if let Some(finished) = self.message(p, msg, log, lender)? {
                return Ok(finished);
            }
        }
    }

    /// One marked message of the bridge: a log line, a question for golden's services, or
    /// the action's end (`Some`).
    fn message(
        &self,
        p: &mut Proc,
        msg: &str,
        log: &mut Vec<String>,
        lender: &super::npm_services::Lender<'_>,
    ) -> std::result::Result<Option<Finished>, ActionError> {
        let v: Value = serde_json::from_str(msg).unwrap_or(Value::Null);
        match v.get("type").and_then(Value::as_str) {
            Some("log") => {
                let level = v["level"].as_str().unwrap_or("info");
                let m = v["message"].as_str().unwrap_or_default();
                log.push(if level == "info" {
                    m.to_string()
                } else {
                    format!("{level}: {m}")
                });
            }
            Some("ask") => {
                if !send(p, &lender.answer(&v)) {
                    return Err(gone(p));
                }
            }
            Some("result") => {
                self.drain(p, log);
                return Ok(Some(Ok(v
                    .get("output")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default())));
            }
            Some("error") => {
                self.drain(p, log);
                return Ok(Some(Err(ActionError::new(
                    v["message"]
                        .as_str()
                        .unwrap_or("the action failed")
                        .to_string(),
                ))));
            }
            _ => log.push(msg.to_string()),
        }
        Ok(None)
    }

    /// What the module printed on stderr joins the step's log.
    fn drain(&self, p: &Proc, log: &mut Vec<String>) {
        if let Ok(mut s) = p.stderr.lock() {
            log.append(&mut s);
        }
    }
}

/// An action of an npm package, run in the bridge.
pub type NpmAction = Declared<Package>;

/// How an npm action runs: in the bridge, from its package.
pub struct Package {
    /// The package's name (no version).
    name: String,
    bridge: Arc<Bridge>,
}

impl Runs for Package {
    fn dry_run_notice(action: &NpmAction) -> String {
        format!(
            "`{}` (npm: {}) does not support dry-run; skipped",
            action.id, action.how.name
        )
    }
    fn run(
        action: &NpmAction,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> std::result::Result<Outputs, ActionError> {
        let mut request = step_request(action.id, ctx, input);
        request.insert("package".into(), json!(action.how.name));
        request.insert("secrets".into(), Value::Object(ctx.secrets.clone()));
        let request = Value::Object(request);
        let mut log = Vec::new();
        let lender = super::npm_services::Lender {
            services: ctx.services,
            source_root: ctx.source_root,
            dry_run: ctx.dry_run,
        };
        let result = action
            .how
            .bridge
            .call(&request, &mut log, &lender, action.timeout);
        for l in log {
            let masked = crate::runner::mask(&Value::String(l), ctx.secrets);
            ctx.info(masked.as_str().unwrap_or_default().to_string());
        }
        result.map_err(|mut e| {
            let m =
                crate::runner::mask(&Value::String(std::mem::take(&mut e.message)), ctx.secrets);
            e.message = format!(
                "{} (npm: {})",
                m.as_str().unwrap_or_default(),
                action.how.name
            );
            e
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn package_names_drop_the_version() {
        assert_eq!(super::package_name("@roadiehq/x@1.2.3"), "@roadiehq/x");
        assert_eq!(super::package_name("@roadiehq/x"), "@roadiehq/x");
        assert_eq!(super::package_name("left-pad@1"), "left-pad");
        assert_eq!(super::package_name("left-pad"), "left-pad");
    }
}
