//! After the questions: the summary of the answers (secrets masked, as Backstage's review step
//! shows them), the confirmation, and `--save-values FILE` (never a secret or a password).

use std::path::Path;

use serde_json::{Map, Value};

use super::schema::{self, label_of, Ui};
use super::{Answer, Prompt, Prompter};
use crate::error::{Error, Result};
use crate::template::Template;

/// `(parameter name, label, shown value)` for every parameter, in page order.
pub fn keyed_lines(
    template: &Template,
    params: &Map<String, Value>,
    masked: &[String],
) -> Vec<(String, String, String)> {
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
            out.push((name.clone(), schema::title(&name, &prop), shown));
            if let Some(k) = params.keys().find(|k| **k == name) {
                seen.push(k.as_str());
            }
        }
    }
    out
}

/// The questions asked in this run that are still shown but hold no value (an optional one left
/// empty or set to "(none)"), as `(dotted path, label)`: the review offers them to change.
pub fn unset_asked(
    template: &Template,
    params: &Map<String, Value>,
    asked: &[(String, String)],
    hosts: &crate::backstage::repo_url::Hosts,
) -> Vec<(String, String)> {
    let visible = crate::values::visible_pages(template, params, hosts);
    asked
        .iter()
        .filter(|(path, _)| {
            let parts: Vec<&str> = path.split('.').collect();
            template
                .pages
                .iter()
                .zip(&visible)
                .filter(|(_, v)| **v)
                .any(|(page, _)| shown_unset(page, params, &parts))
        })
        .cloned()
        .collect()
}

/// Whether the property at `parts` (under `schema`, over `map`) is shown, not hidden from the
/// review, and has no value.
fn shown_unset(schema: &Value, map: &Map<String, Value>, parts: &[&str]) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return false;
    };
    let resolved = schema::resolve(schema, map);
    let Some(prop) = resolved.properties.get(*first) else {
        return false;
    };
    if rest.is_empty() {
        return !map.contains_key(*first) && !Ui::of(prop).review_hidden;
    }
    let empty = Map::new();
    let sub = match map.get(*first) {
        Some(Value::Object(o)) => o,
        Some(_) => return false,
        None => &empty,
    };
    shown_unset(prop, sub, rest)
}

/// Where the run publishes and registers, for the plan of the review.
#[derive(Debug, Clone, Copy, Default)]
pub struct Target {
    pub dry_run: bool,
    pub local: bool,
}

/// What the run will do, one line per step that may run, with the repository and catalog each
/// publish or register step names (rendered from the answers).
pub fn plan(
    template: &Template,
    params: &Map<String, Value>,
    target: Target,
    hosts: &crate::backstage::repo_url::Hosts,
) -> Vec<String> {
    let engine = crate::render::Engine::workflow().with_integration_hosts(hosts.clone());
    let ctx = crate::render::to_value(&serde_json::json!({ "parameters": params }));
    let input = |step: &crate::template::Step, key: &str| -> Option<String> {
        let raw = step.input.get(key)?;
        match raw {
            Value::String(s) => match engine.render_value(s, &ctx) {
                Ok(Some(Value::String(v))) => Some(v),
                Ok(Some(other)) => Some(other.to_string()),
                _ => None,
            },
            other => Some(other.to_string()),
        }
    };
    let mut out = Vec::new();
    for step in &template.steps {
        if let Some(Value::Bool(false)) = &step.condition {
            continue;
        }
        let cond = if step.condition.is_some() {
            " (if its condition holds)"
        } else {
            ""
        };
        let what = match step.action.as_str() {
            "publish:github" | "github:repo:create" => {
                let repo = input(step, "repoUrl")
                    .and_then(|u| crate::backstage::repo_url::RepoUrl::parse(&u).ok())
                    .map(|r| {
                        let owner = r.get("owner").unwrap_or_default();
                        let name = r.get("repo").unwrap_or_default();
                        if r.host == "github.com" {
                            format!("{owner}/{name}")
                        } else {
                            format!("{owner}/{name} on {}", r.host)
                        }
                    });
                let visibility = input(step, "repoVisibility").unwrap_or_else(|| "private".into());
                let kind = if target.local {
                    "local-forge"
                } else {
                    "GitHub"
                };
                format!(
                    "create the {visibility} {kind} repository {} and push the files",
                    repo.unwrap_or_else(|| "named by repoUrl".into())
                )
            }
            "catalog:register" => format!(
                "register the catalog file in the {} catalog",
                if target.local { "local" } else { "configured" }
            ),
            "publish:github:pull-request" => "open a pull request".to_string(),
            a if a.starts_with("fetch:") => format!(
                "write files from `{}`",
                input(step, "url").unwrap_or_else(|| ".".into())
            ),
            a => format!("run {a}"),
        };
        out.push(format!("{}: {what}{cond}", step.name));
    }
    if target.dry_run {
        out.push(
            "(dry run: only local steps run; publishing and registering are predicted)".into(),
        );
    }
    out
}

/// What the user chose on the review screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Review {
    Run,
    /// Ask the question of this parameter again (and what depends on it).
    Change(String),
    Cancel,
}

/// The choices of the review screen, the first taken on Enter.
pub const REVIEW_CHOICES: [&str; 3] = ["Run", "Change an answer…", "Cancel"];

/// How "Which answer?" shows a question that was asked and left without a value.
pub const NOT_SET: &str = "(not set)";

/// Shows the summary and the plan, and asks whether to run, to change an answer, or to cancel.
pub fn review(
    p: &mut dyn Prompter,
    lines: &[(String, String, String)],
    unset: &[(String, String)],
    plan: &[String],
    asked: usize,
) -> Answer<Review> {
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
        .map(|(_, l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    for (_, l, v) in lines {
        p.notice(&format!("{l:<width$}  {v}"));
    }
    if !plan.is_empty() {
        p.heading("What will happen", None);
        for line in plan {
            p.notice(line);
        }
    }
    let question = Prompt {
        label: "Run the template with these values?".into(),
        required: true,
        ..Prompt::default()
    };
    let choices: Vec<String> = REVIEW_CHOICES
        .iter()
        .take(if lines.is_empty() && unset.is_empty() {
            1
        } else {
            2
        })
        .chain([&REVIEW_CHOICES[2]])
        .map(|c| c.to_string())
        .collect();
    let picked = p.select(&question, &choices, 0)?;
    if choices[picked] == REVIEW_CHOICES[0] {
        return Ok(Review::Run);
    }
    if choices[picked] == REVIEW_CHOICES[2] {
        return Ok(Review::Cancel);
    }
    let width = unset
        .iter()
        .map(|(_, l)| l.chars().count())
        .fold(width, usize::max);
    let keys: Vec<String> = lines
        .iter()
        .map(|(k, _, _)| k.clone())
        .chain(unset.iter().map(|(k, _)| k.clone()))
        .collect();
    let items: Vec<String> = lines
        .iter()
        .map(|(_, l, v)| format!("{l:<width$}  {v}"))
        .chain(unset.iter().map(|(_, l)| format!("{l:<width$}  {NOT_SET}")))
        .collect();
    let which = Prompt {
        label: "Which answer?".into(),
        required: true,
        ..Prompt::default()
    };
    let i = p.select(&which, &items, 0)?;
    Ok(Review::Change(keys[i].clone()))
}

/// Writes the parameters (minus Secret fields and password widgets) as JSON, all at once.
pub fn save(
    path: &Path,
    params: &Map<String, Value>,
    secret_fields: &[String],
    masked: &[String],
    redactor: &crate::redact::Redactor,
) -> Result<()> {
    let kept: Map<String, Value> = params
        .iter()
        .filter(|(k, _)| !secret_fields.contains(k) && !masked.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let kept = redactor.value(&Value::Object(kept));
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
