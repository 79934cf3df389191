//! After the questions: the summary of the answers (secrets masked, as Backstage's review step
//! shows them), the confirmation, and `--save-values FILE` (never a secret or a password).

use std::path::Path;

use serde_json::{Map, Value};

use super::schema::{self, label_of, Ui};
use super::{Answer, Prompt, Prompter};
use crate::error::{Error, Result};
use crate::template::Template;

/// `(label, shown value)` for every parameter, in page order.
pub fn lines(
    template: &Template,
    params: &Map<String, Value>,
    masked: &[String],
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let mut names: Vec<(String, Value)> = Vec::new();
    for page in &template.pages {
        let resolved = schema::resolve(page, params);
        for name in resolved.ordered() {
            let prop = resolved
                .properties
                .get(&name)
                .cloned()
                .unwrap_or(Value::Null);
            names.push((name, prop));
        }
    }
    // Values whose property the resolution above does not reach (an object-level `oneOf`
    // branch chosen by the user, keys not described by any page) come last.
    for k in params.keys() {
        if !names.iter().any(|(n, _)| n == k) {
            let prop = template
                .pages
                .iter()
                .find_map(|p| find_property(p, k))
                .unwrap_or(Value::Null);
            names.push((k.clone(), prop));
        }
    }
    {
        for (name, prop) in names {
            let Some(v) = params.get(&name) else { continue };
            if seen.contains(&name.as_str()) {
                continue;
            }
            let ui = Ui::of(&prop);
            if ui.review_hidden {
                continue;
            }
            let shown = if let Some(m) = ui.review_mask {
                m
            } else if masked.contains(&name) {
                "******".into()
            } else {
                match v {
                    Value::String(s) => s.clone(),
                    Value::Array(a) => a.iter().map(label_of).collect::<Vec<_>>().join(", "),
                    other => other.to_string(),
                }
            };
            out.push((schema::title(&name, &prop), shown));
            if let Some(k) = params.keys().find(|k| **k == name) {
                seen.push(k.as_str());
            }
        }
    }
    out
}

/// Shows the summary and asks whether to run.
pub fn confirm(p: &mut dyn Prompter, lines: &[(String, String)], asked: usize) -> Answer<bool> {
    p.heading(
        "Review",
        Some(if asked == 0 {
            "values from the given files and flags"
        } else {
            "your answers"
        }),
    );
    let width = lines
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    for (l, v) in lines {
        p.notice(&format!("{l:<width$}  {v}"));
    }
    p.confirm(
        &Prompt {
            label: "Run the template with these values?".into(),
            default: None,
            required: true,
            ..Prompt::default()
        },
        Some(true),
    )
}

/// Writes the parameters (minus Secret fields and password widgets) as JSON, all at once.
pub fn save(
    path: &Path,
    params: &Map<String, Value>,
    secret_fields: &[String],
    masked: &[String],
) -> Result<()> {
    let kept: Map<String, Value> = params
        .iter()
        .filter(|(k, _)| !secret_fields.contains(k) && !masked.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let kept = crate::redact::value(&Value::Object(kept));
    let text = serde_json::to_string_pretty(&kept).unwrap_or_default() + "\n";
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| Error::io("cannot write --save-values into", dir, e))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())
        .map_err(|e| Error::io("cannot write", path, e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("cannot write", path, e.error))?;
    Ok(())
}

/// The schema of property `name` anywhere in `schema` (branches and conditionals included).
fn find_property(schema: &Value, name: &str) -> Option<Value> {
    if let Some(p) = schema.get("properties").and_then(|p| p.get(name)) {
        return Some(p.clone());
    }
    let mut parts: Vec<&Value> = Vec::new();
    for k in ["oneOf", "anyOf", "allOf"] {
        parts.extend(
            schema
                .get(k)
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
    }
    for k in ["then", "else"] {
        parts.extend(schema.get(k));
    }
    if let Some(d) = schema.get("dependencies").and_then(Value::as_object) {
        parts.extend(d.values());
    }
    parts.into_iter().find_map(|p| find_property(p, name))
}
