//! The document as a whole: merge-conflict markers, YAML syntax (with line and column) and
//! duplicate keys, the catalog's `$text`/`$json`/`$yaml` placeholders, Backstage's Template
//! v1beta3 schema, and keys Backstage does not know.

use std::path::Path;

use serde_json::Value;

use super::locate::{seg, Lines};
use super::{Checker, Diagnostic, Doc, Sink};
use crate::template::Document;

/// Parses every YAML document of the file (as `golden new` reads it: [`Document::parse`]); `None`
/// (with findings) when the file does not parse.
pub fn parse(
    path: &Path,
    dir: &Path,
    root: &Path,
    text: &str,
    lines: &Lines,
    sink: &mut Sink,
) -> Option<Vec<Document>> {
    let mut conflict = false;
    for (i, l) in text.lines().enumerate() {
        let marker = ["<<<<<<< ", ">>>>>>> "].iter().any(|m| l.starts_with(m))
            || l == "<<<<<<<"
            || l == ">>>>>>>"
            || l.trim_end() == "=======";
        if marker {
            conflict = true;
            sink.push(
                Diagnostic::new("merge-conflict", path, "unresolved merge-conflict marker")
                    .at(Some(lines.line(i + 1)))
                    .label("conflict marker")
                    .hint("resolve the conflict: keep one side and delete the `<<<<<<<`, `=======` and `>>>>>>>` lines"),
            );
        }
    }
    if conflict {
        return None;
    }
    match Document::parse(path, dir, root, text) {
        Ok(docs) => Some(docs),
        Err(e) => {
            let start = e.pos.offset.min(text.len());
            let span = if e.pos.line == 0 {
                None
            } else {
                Some(lines.span(start, start + 1))
            };
            let d = if e.message.contains("duplicate") {
                Diagnostic::new(
                    "yaml-duplicate-key",
                    path,
                    format!("duplicate key: {}", e.message),
                )
                .label("the second occurrence")
                .hint(
                    "Backstage's YAML parser rejects duplicate keys; keep one and delete the other",
                )
            } else if let Some(value) = colon_in_plain_value(text, lines, e.pos.line, start) {
                // `key: ${{ a }}: ${{ b }}`: point at the value, as Backstage's parser does
                sink.push(
                    Diagnostic::new("yaml-syntax", path, format!("invalid YAML: {}", e.message))
                        .at(Some(value))
                        .label("this unquoted value contains `: `")
                        .hint("quote the value: `key: '${{ a }}: ${{ b }}'`"),
                );
                return None;
            } else {
                Diagnostic::new("yaml-syntax", path, format!("invalid YAML: {}", e.message))
                    .label("here")
                    .hint("quote values that contain `: ` or start with `{`, `[`, `*` or `&`, e.g. `label: '${{ a }}: ${{ b }}'`")
            };
            sink.push(d.at(span));
            None
        }
    }
}

/// When the YAML error sits on a `: ` inside a plain value (`label: ${{ a }}: ${{ b }}`), the
/// span of that value.
fn colon_in_plain_value(
    text: &str,
    lines: &Lines,
    line: usize,
    error: usize,
) -> Option<super::Span> {
    let l = lines.line(line);
    let content = &text[l.start..l.end];
    let key_end = content.find(": ")?;
    let value_start = l.start + key_end + 2 + content[key_end + 2..].len()
        - content[key_end + 2..].trim_start().len();
    let first = text[value_start..].chars().next()?;
    let plain = !matches!(first, '\'' | '"' | '|' | '>' | '[' | '{' | '&' | '*' | '#');
    (plain
        && value_start < error
        && text[value_start..error].trim_end().len() + value_start <= error
        && text[error..].starts_with(':'))
    .then(|| lines.span(value_start, l.end))
}

/// Resolves the catalog's placeholders one by one, so each failure points at its own place;
/// false when one cannot be resolved.
pub fn resolve_placeholders(doc: &mut Doc, sink: &mut Sink) -> bool {
    let mut pointers = Vec::new();
    find_placeholders(&doc.entity, String::new(), &mut pointers);
    let mut ok = true;
    for pointer in pointers {
        let Some(slot) = doc.entity.pointer(&pointer).cloned() else {
            continue;
        };
        let mut resolved = slot.clone();
        match crate::template::placeholders::resolve(&mut resolved, &doc.root, &doc.dir) {
            Ok(()) => {
                if let Some(target) = doc.entity.pointer_mut(&pointer) {
                    *target = resolved;
                }
            }
            Err(e) => {
                ok = false;
                let dir = format!("{}/", doc.dir.display());
                let (key, target) = slot
                    .as_object()
                    .and_then(|m| m.iter().next())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .unwrap_or_default();
                sink.push(
                    Diagnostic::new(
                        "placeholder",
                        &doc.path,
                        e.message
                            .replace(&dir, "")
                            .replace(&format!(" `{}`", doc.root.display()), ""),
                    )
                        .at(doc.value_span(&format!("{pointer}/{}", seg(&key))))
                        .label(format!("`{key}` is resolved by the catalog before the scaffolder sees the template"))
                        .hint(e.hints.into_iter().next().unwrap_or_else(|| {
                            format!("the path `{}` is relative to the template file", target.as_str().unwrap_or_default())
                        })),
                );
            }
        }
    }
    ok
}

fn find_placeholders(v: &Value, pointer: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if map.len() == 1
                && map
                    .keys()
                    .all(|k| matches!(k.as_str(), "$text" | "$json" | "$yaml"))
            {
                out.push(pointer);
                return;
            }
            for (k, child) in map {
                find_placeholders(child, format!("{pointer}/{}", seg(k)), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                find_placeholders(child, format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

const ROOT_KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "spec",
    "relations",
    "status",
];
const SPEC_KEYS: &[&str] = &[
    "type",
    "owner",
    "lifecycle",
    "parameters",
    "steps",
    "output",
    "presentation",
    "secrets",
    "EXPERIMENTAL_recovery",
    "formDecorators",
    "EXPERIMENTAL_formDecorators",
];
const STEP_KEYS: &[&str] = &[
    "id",
    "name",
    "action",
    "input",
    "if",
    "each",
    "backstage:permissions",
];
const LINK_KEYS: &[&str] = &["url", "entityRef", "title", "icon", "if"];
const TEXT_KEYS: &[&str] = &["title", "content", "icon", "default", "if"];

/// The schema and unknown keys.
pub fn check(_checker: &Checker, doc: &Doc, sink: &mut Sink) {
    schema_errors(doc, sink);
    unknown_keys(doc, sink);
}

/// `schema`: what Backstage's Template v1beta3 schema rejects (unknown root keys aside).
fn schema_errors(doc: &Doc, sink: &mut Sink) {
    use jsonschema::error::ValidationErrorKind;
    for err in crate::template::schema::validator().iter_errors(&doc.entity) {
        let pointer = err.instance_path().to_string();
        if pointer.is_empty()
            && matches!(err.kind(), ValidationErrorKind::AdditionalProperties { .. })
        {
            continue; // reported key by key as `foreign-root-field` by `unknown_keys`
        }
        let shown = if pointer.is_empty() {
            "/".to_string()
        } else {
            pointer.clone()
        };
        let hint = match err.kind() {
            ValidationErrorKind::Type { .. } if pointer.ends_with("/input") => {
                Some("a step's `input` must be a mapping; put the expression into each key instead (`url: ${{ ... }}`)".to_string())
            }
            ValidationErrorKind::Required { property } => {
                Some(format!("add `{}` at `{shown}`", property.as_str().unwrap_or_default()))
            }
            _ => None,
        };
        sink.push(
            Diagnostic::new("schema", &doc.path, format!("`{shown}` {err}"))
                .at(doc.value_span(&pointer))
                .label("rejected by Backstage's Template v1beta3 schema")
                .maybe_hint(hint),
        );
    }
}

/// `foreign-root-field` and `unknown-key`: keys Backstage does not read, at the root, in `spec`,
/// in steps and in output items.
fn unknown_keys(doc: &Doc, sink: &mut Sink) {
    let (root, code) = ("the document root", "foreign-root-field");
    unknown_in(doc, sink, "", &doc.entity, ROOT_KEYS, code, root);
    let Some(spec) = doc.entity.get("spec") else {
        return;
    };
    unknown_in(doc, sink, "/spec", spec, SPEC_KEYS, "unknown-key", "`spec`");
    let lists = [
        ("steps", STEP_KEYS),
        ("output/links", LINK_KEYS),
        ("output/text", TEXT_KEYS),
    ];
    for (list, keys) in lists {
        let items = spec.pointer(&format!("/{list}")).and_then(Value::as_array);
        let what = match list {
            "steps" => "a step".to_string(),
            _ => format!("an output `{}` item", &list["output/".len()..]),
        };
        for (i, item) in items.into_iter().flatten().enumerate() {
            let pointer = format!("/spec/{list}/{i}");
            unknown_in(doc, sink, &pointer, item, keys, "unknown-key", &what);
        }
    }
}

/// The keys of `obj` (at `pointer`) that are not `known`, each with a suggestion.
fn unknown_in(
    doc: &Doc,
    sink: &mut Sink,
    pointer: &str,
    obj: &Value,
    known: &[&str],
    code: &'static str,
    what: &str,
) {
    let Some(map) = obj.as_object() else { return };
    for k in map.keys().filter(|k| !known.contains(&k.as_str())) {
        let p = format!("{pointer}/{}", seg(k));
        let suggestion = crate::backstage::suggest::did_you_mean(k, known.iter().copied());
        sink.push(
            Diagnostic::new(code, &doc.path, format!("unknown key `{k}` in {what}"))
                .at(doc.key_span(&p))
                .label("not a key Backstage reads")
                .hint(suggestion.unwrap_or_else(|| format!("known keys: {}", known.join(", ")))),
        );
    }
}
