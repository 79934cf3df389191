//! Skeletons of fetch steps: the `url` exists; every file name and every file that will be
//! rendered parses (positions are in the skeleton file itself); filters, functions and methods
//! exist; `values.X` was passed in the step's `values`; GitHub Actions expressions that the
//! scaffolder would evaluate are reported with the fix.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::Value;

use super::expr;
use super::locate::Lines;
use super::steps::{Plan, PlanStep};
use super::uses::{judge, Finding, Scope, GHA_CONTEXTS};
use super::{Checker, Diagnostic, Doc, Flavor, Sink};

/// Fetch actions whose `url` names a directory (true) or a file (false), and whether they render.
fn fetch_kind(action: &str) -> Option<(bool, bool)> {
    match action {
        "fetch:template" => Some((true, true)),
        "fetch:template:file" => Some((false, true)),
        "fetch:plain" => Some((true, false)),
        "fetch:plain:file" => Some((false, false)),
        _ => None,
    }
}

/// `a/./b/../c` → `a/c` without touching the disk (for display).
fn tidy(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if out
                    .components()
                    .next_back()
                    .is_some_and(|l| matches!(l, Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

pub fn check(checker: &Checker, doc: &Doc, plan: &Plan, sink: &mut Sink) {
    for step in plan {
        let Some((is_dir, renders)) = fetch_kind(&step.action) else {
            continue;
        };
        let pointer = format!("/spec/steps/{}/input", step.index);
        let Some(url) = step.input.get("url").and_then(Value::as_str) else {
            continue;
        };
        if url.contains("://") || expr::is_templated(url, false) {
            continue;
        }
        let Some(real) = existing(doc, url, is_dir, &pointer, sink) else {
            continue;
        };
        if is_dir {
            if let Ok(r) = std::fs::canonicalize(&real) {
                sink.skeletons.push(r);
            }
        }
        if !renders {
            continue;
        }
        let cookiecutter = step
            .input
            .get("cookiecutterCompat")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let flavor = if cookiecutter {
            Flavor::Cookiecutter
        } else {
            Flavor::Skeleton
        };
        let shown = tidy(&doc.path.parent().unwrap_or(Path::new("")).join(url));
        if is_dir {
            folder(checker, doc, step, flavor, &real, &shown, &pointer, sink);
        } else {
            let rel = real
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            contents(checker, doc, step, flavor, &real, &shown, &rel, sink);
        }
    }
}

/// The real path of a fetch step's local `url`, when it is inside the source root and exists
/// (`skeleton-outside`, `skeleton-missing` otherwise).
fn existing(
    doc: &Doc,
    url: &str,
    is_dir: bool,
    pointer: &str,
    sink: &mut Sink,
) -> Option<std::path::PathBuf> {
    use crate::template::root::{self, Refused};
    if let Err(r @ (Refused::Absolute | Refused::Outside)) = root::resolve(&doc.root, &doc.dir, url)
    {
        sink.push(
            Diagnostic::new("skeleton-outside", &doc.path, r.message(url, None))
                .at(doc.value_span(&format!("{pointer}/url")))
                .label("outside the template's source root")
                .hint(r.hint()),
        );
        return None;
    }
    let real = doc.dir.join(url);
    let exists = if is_dir {
        real.is_dir()
    } else {
        real.is_file()
    };
    if exists {
        return Some(real);
    }
    let what = if is_dir { "directory" } else { "file" };
    let siblings: Vec<String> = std::fs::read_dir(real.parent().unwrap_or(&doc.dir))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let last = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let hint = crate::backstage::suggest::closest(&last, &siblings)
        .map(|c| format!("did you mean `{}`?", url.replacen(&last, c, 1)))
        .unwrap_or_else(|| "relative `url`s resolve from the directory of template.yaml".into());
    let shown = tidy(&doc.path.parent().unwrap_or(Path::new("")).join(url));
    sink.push(
        Diagnostic::new(
            "skeleton-missing",
            &doc.path,
            format!("the {what} `{}` does not exist", shown.display()),
        )
        .at(doc.value_span(&format!("{pointer}/url")))
        .label(format!("no such {what}"))
        .hint(hint),
    );
    None
}

/// Every file of a `fetch:template` skeleton folder: its name, and the contents of those that
/// are rendered (`templateFileExtension`, `copyWithoutTemplating`).
#[allow(clippy::too_many_arguments)]
fn folder(
    checker: &Checker,
    doc: &Doc,
    step: &PlanStep,
    flavor: Flavor,
    real: &Path,
    shown: &Path,
    pointer: &str,
    sink: &mut Sink,
) {
    if step.input.contains_key("copyWithoutRender") {
        sink.push(
            Diagnostic::new(
                "skeleton-copy-without-render",
                &doc.path,
                "`copyWithoutRender` is ignored by Backstage: the files are rendered",
            )
            .at(doc.key_span(&format!("{pointer}/copyWithoutRender")))
            .label("deprecated and ignored")
            .hint("rename it to `copyWithoutTemplating`"),
        );
    }
    let copy_only = copy_globs(step);
    let extension = crate::actions::template_file_extension(&step.input);
    let mut entries: Vec<_> = walkdir::WalkDir::new(real)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .collect();
    entries.retain(|e| e.depth() > 0);
    for e in entries {
        let rel = e
            .path()
            .strip_prefix(real)
            .unwrap_or(e.path())
            .to_string_lossy()
            .replace('\\', "/");
        let file = shown.join(&rel);
        file_name(checker, doc, flavor, &rel, &file, sink);
        if !e.file_type().is_file() {
            continue;
        }
        let render = match &extension {
            Some(ext) => rel.ends_with(ext.as_str()),
            None => !copy_only.as_ref().is_some_and(|g| g.is_match(&rel)),
        };
        if render {
            contents(checker, doc, step, flavor, e.path(), &file, &rel, sink);
        }
    }
}

/// `copyWithoutTemplating` as globs (a bare directory also matches everything under it).
fn copy_globs(step: &PlanStep) -> Option<GlobSet> {
    let patterns = step.input.get("copyWithoutTemplating")?.as_array()?;
    let mut b = GlobSetBuilder::new();
    for p in patterns.iter().filter_map(Value::as_str) {
        if p.contains("${{") {
            continue;
        }
        let p = p.trim_start_matches("./").trim_end_matches('/');
        for pat in [p.to_string(), format!("{p}/**")] {
            if let Ok(g) = Glob::new(&pat) {
                b.add(g);
            }
        }
    }
    b.build().ok()
}

fn file_name(
    checker: &Checker,
    doc: &Doc,
    flavor: Flavor,
    rel: &str,
    file: &Path,
    sink: &mut Sink,
) {
    if !expr::is_templated(rel, flavor == Flavor::Cookiecutter) {
        return;
    }
    if let Err(e) = &*checker.analyze(flavor, rel) {
        sink.push(
            Diagnostic::new(
                "skeleton-syntax",
                file,
                format!("the file name `{rel}` does not parse: {}", e.message),
            )
            .hint("file and directory names are rendered too; fix the expression in the name"),
        );
    }
    let _ = doc;
}

/// The `${{ ... }}` around `start..end` in `text` (or the range itself).
fn enclosing(text: &str, start: usize, end: usize) -> (usize, usize) {
    let a = text
        .get(..start)
        .and_then(|t| t.rfind("${{"))
        .unwrap_or(start);
    let b = text
        .get(end..)
        .and_then(|t| t.find("}}"))
        .map(|i| end + i + 2)
        .unwrap_or(end);
    (a, b)
}

fn is_binary(bytes: &[u8]) -> bool {
    bytes.iter().take(8000).any(|&b| b == 0)
}

#[allow(clippy::too_many_arguments)]
fn contents(
    checker: &Checker,
    doc: &Doc,
    step: &PlanStep,
    flavor: Flavor,
    real: &Path,
    file: &Path,
    rel: &str,
    sink: &mut Sink,
) {
    let Ok(bytes) = std::fs::read(real) else {
        return;
    };
    if is_binary(&bytes) {
        return;
    }
    let Ok(text) = String::from_utf8(bytes) else {
        return;
    };
    if !expr::is_templated(&text, flavor == Flavor::Cookiecutter) {
        return;
    }
    let lines = Lines::new(&text);
    let analyzed = checker.analyze(flavor, &text);
    let diags: Vec<Diagnostic> = match &*analyzed {
        Err(e) => {
            let span = match (&e.range, e.line) {
                (Some(r), _) => Some(lines.span(r.start, r.end.max(r.start + 1))),
                (None, Some(l)) => Some(lines.line(l)),
                _ => None,
            };
            vec![Diagnostic::new("skeleton-syntax", file, format!("this file does not parse: {}", e.message))
                .at(span)
                .label("syntax error")
                .hint(format!(
                    "Backstage renders every file of the skeleton (step `{}`); escape literal `${{{{`, `{{%` or `{{#` with `{{% raw %}}...{{% endraw %}}`, or list the file in `copyWithoutTemplating`",
                    step.id
                ))]
        }
        Ok(analysis) => findings(checker, step, flavor, &text, rel, analysis)
            .into_iter()
            .map(|f| {
                Diagnostic::new(f.code, file, f.message)
                    .at(Some(lines.span(f.start, f.end.max(f.start + 1))))
                    .label(f.label)
                    .maybe_hint(f.hint)
            })
            .collect(),
    };
    if !diags.is_empty() {
        sink.source(file.to_path_buf(), Arc::from(text.as_str()));
        for d in diags {
            sink.push(d);
        }
    }
    let _ = doc;
}

/// What a skeleton file's expressions use that renders empty: variables outside `values` (or
/// `cookiecutter`), GitHub Actions expressions (one finding per file), and values the step does
/// not pass.
fn findings(
    checker: &Checker,
    step: &PlanStep,
    flavor: Flavor,
    text: &str,
    rel: &str,
    analysis: &expr::Analysis,
) -> Vec<Finding> {
    let root = if flavor == Flavor::Cookiecutter {
        "cookiecutter"
    } else {
        "values"
    };
    let roots = [root];
    let scope = Scope {
        flavor,
        roots: &roots,
    };
    // `secrets`, `steps` and `env` are GitHub contexts only in a GitHub workflow file
    const AMBIGUOUS: &[&str] = &["secrets", "steps", "env"];
    let gha_file =
        rel.contains(".github/") || text.contains("runs-on:") || text.contains("\n    steps:");
    let mut gha: Vec<Finding> = Vec::new();
    let mut gha_regions: Vec<(usize, usize)> = Vec::new();
    let mut findings = judge(checker, &scope, analysis, |r, path, start, end| {
        if GHA_CONTEXTS.contains(&r) && (gha_file || !AMBIGUOUS.contains(&r)) {
            let (finding, region) = gha_expression(step, text, rel, r, path, start, end);
            gha.push(finding);
            gha_regions.push(region);
            return None;
        }
        let hint = if r == "values" && flavor == Flavor::Cookiecutter {
            "with `cookiecutterCompat: true` the values are under `cookiecutter.*`".to_string()
        } else {
            format!("skeleton files see only `{root}`; pass the value in `values:` of step `{}` and write `{root}.<name>`", step.id)
        };
        Some(Finding {
            code: "skeleton-unknown-variable",
            message: format!("`{r}` is not in a skeleton's context"),
            start,
            end,
            label: "renders empty".into(),
            hint: Some(hint),
        })
    });
    // names inside a GitHub expression (`matrix.node-version` reads `version`) belong to it
    findings.retain(|f| {
        !(f.code == "skeleton-unknown-variable"
            && gha_regions
                .iter()
                .any(|(a, b)| f.start >= *a && f.start < *b))
    });
    if let Some(mut f) = gha.first().cloned() {
        if gha.len() > 1 {
            f.message = format!("{} (and {} more in this file)", f.message, gha.len() - 1);
        }
        findings.push(f);
    }
    findings.extend(unpassed_values(step, root, analysis));
    findings
}

/// `skeleton-gha-expression`: a GitHub Actions expression the scaffolder renders (to empty), and
/// the byte range of the whole `${{ }}` it stands in.
fn gha_expression(
    step: &PlanStep,
    text: &str,
    rel: &str,
    r: &str,
    path: &[String],
    start: usize,
    end: usize,
) -> (Finding, (usize, usize)) {
    let (a, b) = enclosing(text, start, end);
    let shown = match text.get(a..b) {
        Some(t) if t.starts_with("${{") => t.to_string(),
        _ => format!(
            "${{{{ {} }}}}",
            std::iter::once(r.to_string())
                .chain(path.iter().cloned())
                .collect::<Vec<_>>()
                .join(".")
        ),
    };
    let inner = shown
        .trim_start_matches("${{")
        .trim_end_matches("}}")
        .trim()
        .to_string();
    let finding = Finding {
        code: "skeleton-gha-expression",
        message: format!("GitHub Actions expression `{shown}` is rendered by the scaffolder, to an empty string"),
        start,
        end,
        label: "evaluated by Backstage, not by GitHub".into(),
        hint: Some(format!(
            "list `{rel}` in `copyWithoutTemplating` of step `{}`, or escape it: `${{{{ '${{{{ {inner} }}}}' }}}}`",
            step.id
        )),
    };
    (finding, (a, b))
}

/// `skeleton-unknown-value`: `values.NAME` where the step's `values` has no NAME.
fn unpassed_values(step: &PlanStep, root: &str, analysis: &expr::Analysis) -> Vec<Finding> {
    let Some(Value::Object(values)) = step.input.get("values") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for u in &analysis.uses {
        let expr::Kind::Var { root: r, path } = &u.kind else {
            continue;
        };
        let Some(name) = path.first().filter(|_| r == root) else {
            continue;
        };
        if values.contains_key(name) {
            continue;
        }
        out.push(Finding {
            code: "skeleton-unknown-value",
            message: format!(
                "`{root}.{name}` is not passed in `values` of step `{}`",
                step.id
            ),
            start: u.start,
            end: u.end,
            label: "renders empty".into(),
            hint: Some(format!(
                "add `{name}: ${{{{ parameters.{name} }}}}` under `values:` of step `{}`",
                step.id
            )),
        });
    }
    out
}
