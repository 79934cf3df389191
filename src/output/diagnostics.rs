//! Drawing `golden validate`'s findings: rustc-style for humans (annotate-snippets, rustc's own
//! renderer: the source line, a caret under the exact place, `--> file:line:column`, the hint),
//! JSON, GitHub workflow annotations and SARIF 2.1.0 for code-scanning tools.

use std::path::Path;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde_json::{json, Value};

use crate::validate::{codes, Diagnostic, Report, Severity};

pub use crate::cli::Format;

fn display(p: &Path) -> String {
    p.display().to_string().replace('\\', "/")
}

/// Every finding rustc-style, then a summary line. `color` adds ANSI styles; `quiet` (`-q`)
/// keeps the errors only, without the summary line.
pub fn human(report: &Report, color: bool, quiet: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in &report.diagnostics {
        if quiet && d.severity != Severity::Error {
            continue;
        }
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let path = display(&d.file);
        let title = level.clone().primary_title(d.message.as_str()).id(d.code);
        let source = report.sources.get(&d.file);
        let mut group = match (d.span, source) {
            (Some(span), Some(text)) => {
                let mut ann = AnnotationKind::Primary.span(span.start..span.end.max(span.start));
                if let Some(l) = &d.label {
                    ann = ann.label(l.as_str());
                }
                title.element(Snippet::source(&**text).path(path.clone()).annotation(ann))
            }
            (Some(span), None) => title.element(
                annotate_snippets::Origin::path(path.clone())
                    .line(span.line)
                    .char_column(span.column - 1),
            ),
            (None, _) => title.element(annotate_snippets::Origin::path(path.clone())),
        };
        if let Some(h) = &d.hint {
            group = group.element(Level::HELP.message(h.as_str()));
        }
        let report_groups: Vec<Group<'_>> = vec![group];
        out.push_str(&renderer.render(&report_groups));
        out.push_str("\n\n");
    }
    if !quiet {
        out.push_str(&summary(report));
        out.push('\n');
    }
    out
}

/// `checked 3 templates: 2 errors, 1 warning`.
pub fn summary(report: &Report) -> String {
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("{n} {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    format!(
        "checked {}: {}, {}",
        plural(report.files, "template"),
        plural(report.count(Severity::Error), "error"),
        plural(report.count(Severity::Warning), "warning")
    )
}

fn diagnostic_json(d: &Diagnostic) -> Value {
    let mut v = json!({
        "code": d.code,
        "severity": d.severity.as_str(),
        "message": d.message,
        "file": display(&d.file),
    });
    if let Some(s) = d.span {
        v["line"] = json!(s.line);
        v["column"] = json!(s.column);
        v["endLine"] = json!(s.end_line);
        v["endColumn"] = json!(s.end_column);
    }
    if let Some(l) = &d.label {
        v["label"] = json!(l);
    }
    if let Some(h) = &d.hint {
        v["hint"] = json!(h);
    }
    v
}

/// `{"files": N, "errors": N, "warnings": N, "diagnostics": [...]}`.
pub fn json(report: &Report) -> String {
    let v = json!({
        "files": report.files,
        "errors": report.count(Severity::Error),
        "warnings": report.count(Severity::Warning),
        "diagnostics": report.diagnostics.iter().map(diagnostic_json).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands (`::error file=...,line=...::message`).
pub fn github(report: &Report) -> String {
    let mut out = String::new();
    for d in &report.diagnostics {
        let mut props = vec![format!("file={}", escape_property(&display(&d.file)))];
        if let Some(s) = d.span {
            props.push(format!("line={}", s.line));
            props.push(format!("col={}", s.column));
            if s.end_line == s.line {
                props.push(format!("endColumn={}", s.end_column));
            } else {
                props.push(format!("endLine={}", s.end_line));
            }
        }
        props.push(format!(
            "title={}",
            escape_property(&format!("golden {}", d.code))
        ));
        let mut message = d.message.clone();
        if let Some(h) = &d.hint {
            message.push_str(&format!("\nhelp: {h}"));
        }
        out.push_str(&format!(
            "::{} {}::{}\n",
            d.severity.as_str(),
            props.join(","),
            escape_data(&message)
        ));
    }
    out
}

/// SARIF 2.1.0, one run, one rule per code.
pub fn sarif(report: &Report) -> String {
    let rules: Vec<Value> = codes::CODES
        .iter()
        .map(|(code, severity, summary)| {
            json!({
                "id": code,
                "name": code,
                "shortDescription": {"text": summary},
                "defaultConfiguration": {"level": severity.as_str()},
            })
        })
        .collect();
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(h) = &d.hint {
                text.push_str(&format!("\nhelp: {h}"));
            }
            let mut location = json!({"physicalLocation": {"artifactLocation": {"uri": display(&d.file)}}});
            if let Some(s) = d.span {
                location["physicalLocation"]["region"] =
                    json!({"startLine": s.line, "startColumn": s.column, "endLine": s.end_line, "endColumn": s.end_column});
            }
            json!({
                "ruleId": d.code,
                "ruleIndex": codes::CODES.iter().position(|(c, _, _)| *c == d.code).unwrap_or(0),
                "level": d.severity.as_str(),
                "message": {"text": text},
                "locations": [location],
            })
        })
        .collect();
    let v = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "golden",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/golden-templates/golden",
                "rules": rules,
            }},
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}
