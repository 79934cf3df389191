//! `golden validate`: lints template files before they are merged. Finds `kind: Template`
//! documents under the given paths, checks each file in parallel (rayon) and returns every finding
//! as a [`Diagnostic`] with a stable code. Nothing here prints; `crate::output::diagnostics` draws them.
//!
//! The checks, one file each: `document` (YAML, schema, unknown keys), `parameters`, `steps`
//! (ids, actions, inputs), `workflow` (the `${{ }}` of inputs, `if`, `each`, `when`, `output`),
//! `skeleton` (fetch urls and skeleton files).

pub mod codes;
pub(crate) mod diagnostic;
mod document;
pub mod ecosystem;
mod expr;
mod locate;
mod parameters;
mod skeleton;
mod steps;
mod uses;
mod workflow;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use serde_json::Value;

pub use diagnostic::{Diagnostic, Severity, Span};

use crate::error::{Error, Result};
use crate::render::{Engine, SkeletonOptions};
use crate::runner::Registry;

/// What `golden validate` knows besides the files.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The config file: its external actions, the ids the team's Backstage provides
    /// (`actions.known`), `actions.strict`, and `validate.allow`/`deny`.
    pub config: crate::config::Config,
    /// golden's data directory (the npm modules `golden actions add` installed), if any.
    pub home: Option<PathBuf>,
    /// PATH (external actions on it count as known) and Node.js.
    pub programs: crate::settings::Programs,
    /// Codes not reported (`--allow`), on top of the config's `validate.allow`.
    pub allow: Vec<String>,
    /// Codes reported as errors (`--deny`), on top of the config's `validate.deny`.
    pub deny: Vec<String>,
}

impl Options {
    /// The codes allowed and denied, checked: every one must be a code of [`codes::CODES`].
    fn rules(&self) -> Result<(Vec<&'static str>, Vec<&'static str>)> {
        let lookup = |c: &String, flag: &str| -> Result<&'static str> {
            codes::CODES
                .iter()
                .find(|(k, _, _)| k == c)
                .map(|(k, _, _)| *k)
                .ok_or_else(|| {
                    let mut e = Error::usage(format!("{flag} `{c}`: golden validate has no such code"));
                    if let Some(s) =
                        crate::runner::action::closest(c, codes::CODES.iter().map(|(k, _, _)| *k))
                    {
                        e = e.hint(format!("did you mean `{s}`?"));
                    }
                    e.hint("every finding's code is shown in brackets, e.g. `error[step-duplicate-id]`; `--format sarif` lists them all as rules")
                })
        };
        let mut allow = Vec::new();
        for c in &self.allow {
            allow.push(lookup(c, "--allow")?);
        }
        for c in &self.config.validate.allow {
            allow.push(lookup(c, "validate.allow in the config file:")?);
        }
        let mut deny = Vec::new();
        for c in &self.deny {
            deny.push(lookup(c, "--deny")?);
        }
        for c in &self.config.validate.deny {
            deny.push(lookup(c, "validate.deny in the config file:")?);
        }
        if self.config.actions.strict {
            deny.push("step-unknown-action");
        }
        Ok((allow, deny))
    }
}

/// Applies `--allow`/`--deny` (and the config's) and the inline `# golden-allow: CODE` comments
/// (on the finding's line or the line above it).
fn apply_rules(report: &mut Report, allow: &[&str], deny: &[&str]) {
    let comment = regex::Regex::new(r"#\s*golden-allow:\s*([a-z-]+(?:\s*,\s*[a-z-]+)*)")
        .expect("valid regex");
    let allowed_inline = |d: &Diagnostic| -> bool {
        let (Some(span), Some(text)) = (d.span, report.sources.get(&d.file)) else {
            return false;
        };
        let lines: Vec<&str> = text
            .lines()
            .skip(span.line.saturating_sub(2))
            .take(if span.line >= 2 { 2 } else { 1 })
            .collect();
        lines.iter().any(|l| {
            comment
                .captures_iter(l)
                .any(|c| c[1].split(',').any(|code| code.trim() == d.code))
        })
    };
    let keep: Vec<bool> = report
        .diagnostics
        .iter()
        .map(|d| !allow.contains(&d.code) && !allowed_inline(d))
        .collect();
    let mut i = 0;
    report.diagnostics.retain(|_| {
        i += 1;
        keep[i - 1]
    });
    for d in &mut report.diagnostics {
        if deny.contains(&d.code) {
            d.severity = Severity::Error;
        }
    }
}

/// The result of a run.
#[derive(Debug, Default)]
pub struct Report {
    /// Template files checked.
    pub files: usize,
    /// Every finding, ordered by file, line and column.
    pub diagnostics: Vec<Diagnostic>,
    /// The text of every file a finding points into.
    pub sources: HashMap<PathBuf, Arc<str>>,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}

/// What a templated text uses, or why it does not parse.
type Analyzed = Result<expr::Analysis, expr::SyntaxError>;

/// Shared, read-only state of a run (engines, the action registry, caches).
pub(crate) struct Checker {
    pub registry: Registry,
    pub extra_actions: Vec<String>,
    pub programs: crate::settings::Programs,
    pub workflow: Engine,
    pub skeleton: Engine,
    pub cookiecutter: Engine,
    /// `(engine, kind, name)` → exists, so each name is asked of the engine once.
    known: Mutex<HashMap<(u8, u8, String), bool>>,
    /// Analyses by `(engine, text)`: templates of one repository share most of their strings.
    analyses: Mutex<HashMap<(u8, String), Arc<Analyzed>>>,
    /// Compiled property schemas (the same ones recur across a repository's templates) and the
    /// ecosystem's action input schemas, compiled when first used.
    pub schemas: crate::backstage::json_schema::Cache,
    /// Compiled input schemas of the actions.
    pub input_validators: BTreeMap<&'static str, Option<Arc<jsonschema::Validator>>>,
}

/// Which engine an expression is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Workflow,
    Skeleton,
    Cookiecutter,
}

impl Checker {
    fn new(options: &Options) -> Result<Checker> {
        let registry = crate::actions::registry_for(
            &options.config,
            options.home.as_deref(),
            &options.programs,
            [],
        )?;
        let input_validators = registry
            .iter()
            .map(|a| {
                (
                    a.id(),
                    crate::backstage::json_schema::compile(&a.input_schema())
                        .ok()
                        .map(Arc::new),
                )
            })
            .collect();
        Ok(Checker {
            registry,
            extra_actions: options.config.actions.known.clone(),
            programs: options.programs.clone(),
            workflow: Engine::workflow(),
            skeleton: Engine::skeleton(SkeletonOptions::default()),
            cookiecutter: Engine::skeleton(SkeletonOptions {
                cookiecutter: true,
                ..Default::default()
            }),
            known: Mutex::new(HashMap::new()),
            analyses: Mutex::new(HashMap::new()),
            schemas: Default::default(),
            input_validators,
        })
    }

    /// The input schema of `action` and its compiled validator: golden's own actions and the
    /// config's first, then the modules of the ecosystem.
    pub fn input_check(&self, action: &str) -> Option<(Value, Arc<jsonschema::Validator>)> {
        if let Some(a) = self.registry.get(action) {
            let v = self.input_validators.get(action)?.clone()?;
            return Some((a.input_schema(), v));
        }
        let schema = ecosystem::input_schema(action)?;
        Some((schema.clone(), self.schemas.get(schema)?))
    }

    pub fn engine(&self, flavor: Flavor) -> &Engine {
        match flavor {
            Flavor::Workflow => &self.workflow,
            Flavor::Skeleton => &self.skeleton,
            Flavor::Cookiecutter => &self.cookiecutter,
        }
    }

    /// What a templated text uses (or why it does not parse), read with the engine of `flavor`.
    pub fn analyze(
        &self,
        flavor: Flavor,
        source: &str,
    ) -> Arc<Result<expr::Analysis, expr::SyntaxError>> {
        let key = (flavor as u8, source.to_string());
        if let Some(a) = self.analyses.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return a;
        }
        let a = Arc::new(expr::analyze(
            self.engine(flavor),
            source,
            flavor == Flavor::Cookiecutter,
        ));
        if let Ok(mut m) = self.analyses.lock() {
            m.insert(key, a.clone());
        }
        a
    }

    /// Whether the engine of `flavor` has a filter (`kind` 0), test (1) or global (2) `name`.
    pub fn knows(&self, flavor: Flavor, kind: u8, name: &str) -> bool {
        let key = (flavor as u8, kind, name.to_string());
        if let Some(k) = self.known.lock().ok().and_then(|m| m.get(&key).copied()) {
            return k;
        }
        let e = self.engine(flavor);
        let k = match kind {
            0 => e.has_filter(name),
            1 => e.has_test(name),
            _ => e.has_global(name),
        };
        if let Ok(mut m) = self.known.lock() {
            m.insert(key, k);
        }
        k
    }
}

/// One template document being checked: the lenient [`crate::template::Document`] `new` reads
/// too (fields through `Deref`), with line lookups to point at it.
pub(crate) struct Doc {
    pub document: crate::template::Document,
    pub lines: locate::Lines,
}

impl std::ops::Deref for Doc {
    type Target = crate::template::Document;
    fn deref(&self) -> &crate::template::Document {
        &self.document
    }
}

impl std::ops::DerefMut for Doc {
    fn deref_mut(&mut self) -> &mut crate::template::Document {
        &mut self.document
    }
}

/// The findings of one file and the texts they point into.
#[derive(Default)]
pub(crate) struct Sink {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Vec<(PathBuf, Arc<str>)>,
    /// Real paths of the skeleton directories the file's fetch steps use.
    pub skeletons: Vec<PathBuf>,
}

impl Sink {
    pub fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }
    pub fn source(&mut self, path: PathBuf, text: Arc<str>) {
        self.sources.push((path, text));
    }
}

/// Validates every template found under `paths` (files or directories).
pub fn validate(paths: &[PathBuf], options: &Options) -> Result<Report> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            files.extend(discover(p));
        } else if p.is_file() {
            files.push((p.clone(), true));
        } else {
            return Err(Error::usage(format!("`{}` does not exist", p.display()))
                .hint("pass template files or directories holding them"));
        }
    }
    files.sort();
    files.dedup_by(|a, b| a.0 == b.0);
    let (allow, deny) = options.rules()?;
    let checker = Checker::new(options)?;
    let results: Vec<(bool, Sink)> = files
        .par_iter()
        .map(|(f, explicit)| check_file(&checker, f, *explicit))
        .collect();
    // a template document found inside another template's skeleton is data to be rendered (a
    // template that creates templates), not a template of this repository
    let skeletons: Vec<PathBuf> = results
        .iter()
        .flat_map(|(_, s)| s.skeletons.iter().cloned())
        .collect();
    let inside_skeleton = |f: &Path| {
        !skeletons.is_empty()
            && std::fs::canonicalize(f)
                .is_ok_and(|real| skeletons.iter().any(|s| real.starts_with(s)))
    };
    let mut report = Report::default();
    for ((checked, sink), (file, explicit)) in results.into_iter().zip(&files) {
        if !explicit && inside_skeleton(file) {
            continue;
        }
        report.files += usize::from(checked);
        report.diagnostics.extend(sink.diagnostics);
        for (p, t) in sink.sources {
            report.sources.insert(p, t);
        }
    }
    report.diagnostics.sort_by(|a, b| {
        (&a.file, a.span.map(|s| (s.line, s.column)), a.code).cmp(&(
            &b.file,
            b.span.map(|s| (s.line, s.column)),
            b.code,
        ))
    });
    report.diagnostics.dedup_by(|a, b| {
        a.file == b.file && a.span == b.span && a.code == b.code && a.message == b.message
    });
    apply_rules(&mut report, &allow, &deny);
    Ok(report)
}

/// `*.yaml`/`*.yml` files under `dir` that look like Template documents (hidden directories,
/// `node_modules` and `target` are skipped).
fn discover(dir: &Path) -> Vec<(PathBuf, bool)> {
    let looks_like =
        regex::Regex::new(r#"(?m)^\s*kind:\s*["']?Template["']?\s*(#.*)?$"#).expect("valid regex");
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            // a template's tests/ folder holds test cases (`golden test`), not templates
            e.depth() == 0
                || !(name.starts_with('.')
                    || name == "node_modules"
                    || name == "target"
                    || crate::testing::is_tests_dir(e.path()))
        })
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml")))
        // Not UTF-8 is not a reason to skip a template: `check_file` reports it.
        .filter(|p| {
            crate::limits::read_file(p)
                .map(|b| looks_like.is_match(&String::from_utf8_lossy(&b)))
                .unwrap_or(false)
        })
        .map(|p| (p, false))
        .collect()
}

/// Checks one file; returns whether it held a template, and the findings.
fn check_file(checker: &Checker, path: &Path, explicit: bool) -> (bool, Sink) {
    let mut sink = Sink::default();
    let text = match crate::limits::read_file(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                sink.push(Diagnostic::new(
                    "yaml-syntax",
                    path,
                    "the file is not UTF-8 text",
                ));
                return (true, sink);
            }
        },
        Err(e) => {
            sink.push(Diagnostic::new(
                "yaml-syntax",
                path,
                format!("cannot read the file: {e}"),
            ));
            return (true, sink);
        }
    };
    let text = crate::template::document::without_bom(&text).to_string();
    let shared: Arc<str> = Arc::from(text.as_str());
    sink.source(path.to_path_buf(), shared);
    let lines = locate::Lines::new(&text);
    let dir = std::fs::canonicalize(path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| path.parent().map(Path::to_path_buf).unwrap_or_default());
    let root = crate::template::root::source_root(&dir);
    let docs = match document::parse(path, &dir, &root, &text, &lines, &mut sink) {
        Some(docs) => docs,
        None => return (true, sink),
    };
    let mut found = false;
    for d in docs
        .into_iter()
        .filter(crate::template::Document::is_template)
    {
        found = true;
        let mut doc = Doc {
            document: d,
            lines: lines.clone(),
        };
        if !document::resolve_placeholders(&mut doc, &mut sink) {
            continue;
        }
        document::check(checker, &doc, &mut sink);
        let declared = parameters::check(checker, &doc, &mut sink);
        let plan = steps::check(checker, &doc, &mut sink);
        workflow::check(checker, &doc, &declared, &plan, &mut sink);
        skeleton::check(checker, &doc, &plan, &mut sink);
    }
    if !found && explicit {
        sink.push(
            Diagnostic::new(
                "not-a-template",
                path,
                "the file holds no `kind: Template` document",
            )
            .hint("golden validate checks Backstage Software Templates (`kind: Template`)"),
        );
    }
    (found, sink)
}
