//! Values: the parameters, secrets and user a run gets, from `--values` files, `--set`, the
//! environment and schema defaults, checked against every parameter page's JSON Schema (draft 7,
//! as Backstage's form and backend use) before any step runs. Every problem is reported at once.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::render::{self, Engine};
use crate::template::Template;

/// The complete inputs of a run.
#[derive(Debug, Clone, Default)]
pub struct Values {
    /// `parameters.*`.
    pub parameters: Map<String, Value>,
    /// `secrets.*` (never printed, never saved).
    pub secrets: Map<String, Value>,
    /// `user` (`{ref, entity}`), `{}` when not given.
    pub user: Value,
}

/// Where values come from (resolved by `settings`).
pub use crate::settings::ValueSources as Sources;

/// Reads a YAML or JSON file holding an object.
pub fn read_object(path: &Path, what: &str) -> Result<Map<String, Value>> {
    let text = crate::limits::read_text(path)
        .map_err(|e| Error::usage(format!("cannot read {what} file `{}`: {e}", path.display())))?;
    let v =
        crate::template::yaml::parse_value(text.trim_start_matches('\u{feff}')).map_err(|e| {
            Error::usage(format!(
                "{what} file is not valid YAML or JSON: {}",
                e.message
            ))
            .at(crate::error::Location::file(path, e.pos.line, e.pos.column))
            .hint(MAPPING_HINT)
        })?;
    match v {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err(Error::usage(format!(
            "{what} file `{}` must hold a mapping of names to values",
            path.display()
        ))
        .hint(MAPPING_HINT)),
    }
}

/// What a values (or secrets) file looks like.
const MAPPING_HINT: &str =
    "the file holds one mapping of names to values, e.g. `name: demo` on a line, or `{\"name\": \"demo\"}`";

/// The schema of property `name` on any page.
pub fn property_schema<'a>(template: &'a Template, name: &str) -> Option<&'a Value> {
    template.pages.iter().find_map(|p| {
        p.pointer(&format!(
            "/properties/{}",
            name.replace('~', "~0").replace('/', "~1")
        ))
    })
}

/// Parses a `--set` value according to the schema's type.
pub fn typed(schema: Option<&Value>, raw: &str) -> std::result::Result<Value, String> {
    let ty = schema
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("");
    match ty {
        "integer" => raw
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("`{raw}` is not an integer")),
        "number" => raw
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(|f| {
                if f.fract() == 0.0 && f.abs() < 9e15 {
                    Some(Value::from(f as i64))
                } else {
                    serde_json::Number::from_f64(f).map(Value::Number)
                }
            })
            .ok_or_else(|| format!("`{raw}` is not a number")),
        "boolean" => match raw.trim() {
            "true" | "yes" | "y" | "1" => Ok(Value::Bool(true)),
            "false" | "no" | "n" | "0" => Ok(Value::Bool(false)),
            _ => Err(format!("`{raw}` is not a boolean (use true or false)")),
        },
        "array" => {
            if raw.trim_start().starts_with('[') {
                serde_json::from_str(raw).map_err(|e| format!("`{raw}` is not a JSON list: {e}"))
            } else if raw.is_empty() {
                Ok(Value::Array(Vec::new()))
            } else {
                let item_ty = schema.and_then(|s| s.pointer("/items"));
                raw.split(',')
                    .map(|p| typed(item_ty, p.trim()))
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map(Value::Array)
            }
        }
        "object" => {
            serde_json::from_str(raw).map_err(|e| format!("`{raw}` is not a JSON object: {e}"))
        }
        "null" => Ok(Value::Null),
        _ => Ok(Value::String(raw.to_string())),
    }
}

/// Sets `a.b.c` in a map, creating objects on the way.
fn set_dotted(map: &mut Map<String, Value>, key: &str, value: Value) {
    let mut parts = key.split('.').peekable();
    let mut cur = map;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            cur.insert(part.to_string(), value);
            return;
        }
        let entry = cur
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        cur = entry.as_object_mut().expect("just made an object");
    }
}

/// The values the sources give, without schema defaults (the prompts need to know what was given).
pub fn read_sources(template: &Template, sources: &Sources) -> Result<Values> {
    let mut params = Map::new();
    let mut problems = Vec::new();
    for f in &sources.files {
        params.extend(values_file(f)?);
    }
    for (name, raw) in &sources.env {
        let key = template
            .pages
            .iter()
            .filter_map(|p| p.get("properties").and_then(Value::as_object))
            .flat_map(|p| p.keys())
            .find(|k| env_name(k) == *name || snake_env_name(k) == *name)
            .cloned()
            .unwrap_or_else(|| name.clone());
        match typed(property_schema(template, &key), raw) {
            Ok(v) => {
                params.insert(key, v);
            }
            Err(e) => problems.push(format!("GOLDEN_VALUE_{name}: {e}")),
        }
    }
    for item in &sources.set {
        if let Err(problem) = apply_set(template, item, &mut params) {
            problems.push(problem);
        }
    }
    if !problems.is_empty() {
        return Err(Error::values("some values could not be read").with_details(problems));
    }
    let secrets = match &sources.secrets {
        Some(p) => read_object(p, "secrets")?,
        None => Map::new(),
    };
    let user = match &sources.user {
        Some(p) => Value::Object(read_object(p, "user")?),
        None => Value::Object(Map::new()),
    };
    Ok(Values {
        parameters: params,
        secrets,
        user,
    })
}

/// The values of one `--values` file; of a project's record (.golden.yaml, see
/// lifecycle::record), its answers.
fn values_file(path: &Path) -> Result<Map<String, Value>> {
    let mut obj = read_object(path, "values")?;
    let is_record = obj.get("apiVersion").and_then(Value::as_str) == Some("golden/v1")
        && obj.get("kind").and_then(Value::as_str) == Some("ProjectRecord");
    if is_record {
        // a project's record (.golden.yaml): replay its answers
        obj = match obj.remove("answers") {
            Some(Value::Object(a)) => a,
            _ => Map::new(),
        };
    }
    Ok(obj)
}

/// Sets the value of one `--set key=value` (dotted keys for objects), typed by the schema of the
/// property it names; the problem when it cannot.
fn apply_set(
    template: &Template,
    item: &str,
    params: &mut Map<String, Value>,
) -> std::result::Result<(), String> {
    let Some((key, raw)) = item.split_once('=') else {
        return Err(format!("`--set {item}` is not of the form key=value"));
    };
    if key.split('.').count() > crate::limits::MAX_DEPTH {
        return Err(format!(
            "--set {}...: {}",
            key.chars().take(40).collect::<String>(),
            crate::limits::nesting_message()
        ));
    }
    let top = key.split('.').next().unwrap_or(key);
    let schema = if key.contains('.') {
        property_schema(template, top).and_then(|s| {
            s.pointer(&format!(
                "/properties/{}",
                key.split('.')
                    .skip(1)
                    .collect::<Vec<_>>()
                    .join("/properties/")
            ))
        })
    } else {
        property_schema(template, key)
    };
    let v = typed(schema, raw).map_err(|e| format!("--set {key}: {e}"))?;
    set_dotted(params, key, v);
    Ok(())
}

/// `GOLDEN_VALUE_` suffix with camelCase split into words: `repoUrl` → `REPO_URL`.
pub fn snake_env_name(param: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in param.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        });
    }
    out
}

/// `GOLDEN_VALUE_` suffix for a parameter name: upper case, non-alphanumerics as `_`.
pub fn env_name(param: &str) -> String {
    param
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Whether a page is shown: its `when` (if any) evaluated with `{parameters}`.
pub fn page_visible(engine: &Engine, page: &Value, params: &Map<String, Value>) -> bool {
    match page.get("when") {
        None | Some(Value::Null) => true,
        // Empty keeps the page; a bare expression (`parameters.x == 'y'`) is evaluated as if
        // wrapped in `${{ }}` (scaffolder-common 2.4's `when`).
        Some(Value::String(s)) if s.trim().is_empty() => true,
        Some(Value::String(s)) if !s.contains("${{") => {
            let mut ctx = Map::new();
            ctx.insert("parameters".into(), Value::Object(params.clone()));
            crate::render::condition_holds(
                engine,
                &Value::String(format!("${{{{ {} }}}}", s.trim())),
                &ctx,
            )
        }
        Some(cond) => {
            let mut ctx = Map::new();
            ctx.insert("parameters".into(), Value::Object(params.clone()));
            crate::render::condition_holds(engine, cond, &ctx)
        }
    }
}

/// Which pages are shown, in order, as Backstage 4's `resolveParameterSteps` decides: each
/// page's `when` sees the values left after dropping those of the hidden pages before it, so a
/// page that depends on a dropped value is hidden too.
pub fn visible_pages(
    template: &Template,
    params: &Map<String, Value>,
    hosts: &crate::backstage::repo_url::Hosts,
) -> Vec<bool> {
    let engine = Engine::workflow().with_integration_hosts(hosts.clone());
    let mut shown: Vec<bool> = Vec::with_capacity(template.pages.len());
    for (i, page) in template.pages.iter().enumerate() {
        let mut remaining = params.clone();
        filter_hidden(&template.pages[..i], &shown, &mut remaining);
        shown.push(page_visible(&engine, page, &remaining));
    }
    shown
}

/// Removes the values of hidden pages that no shown page also holds.
fn filter_hidden(pages: &[Value], shown: &[bool], params: &mut Map<String, Value>) {
    if shown.iter().all(|s| *s) {
        return;
    }
    let names = |page: &Value| -> Vec<String> {
        page.get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    };
    let visible: std::collections::HashSet<String> = pages
        .iter()
        .zip(shown)
        .filter(|(_, s)| **s)
        .flat_map(|(p, _)| names(p))
        .collect();
    for (page, _) in pages.iter().zip(shown).filter(|(_, s)| !**s) {
        for name in names(page) {
            if !visible.contains(&name) {
                params.remove(&name);
            }
        }
    }
}

/// Drops values that only belong to hidden pages (Backstage 4's `resolveParameterSteps`).
pub fn drop_hidden(
    template: &Template,
    params: &mut Map<String, Value>,
    hosts: &crate::backstage::repo_url::Hosts,
) {
    let shown = visible_pages(template, params, hosts);
    filter_hidden(&template.pages, &shown, params);
}

/// Validates the parameters against every visible page and the secrets against
/// `spec.secrets.schema`; one error lists every problem.
pub fn validate(
    template: &Template,
    values: &Values,
    hosts: &crate::backstage::repo_url::Hosts,
) -> Result<()> {
    let mut problems = Vec::new();
    let doc = Value::Object(values.parameters.clone());
    let shown = visible_pages(template, &values.parameters, hosts);
    for (i, page) in template.pages.iter().enumerate() {
        if !shown[i] {
            continue;
        }
        let validator = match crate::backstage::json_schema::compile(page) {
            Ok(v) => v,
            Err(e) => {
                return Err(Error::template(format!(
                    "parameter page {} is not a valid JSON Schema: {e}",
                    i + 1
                ))
                .at(template.location(&format!("/spec/parameters/{i}"))))
            }
        };
        for err in validator.iter_errors(&doc) {
            problems.push(describe(template, page, &err));
        }
    }
    if let Some(schema) = template.entity.pointer("/spec/secrets/schema") {
        if let Ok(v) = crate::backstage::json_schema::compile(schema) {
            for err in v.iter_errors(&Value::Object(values.secrets.clone())) {
                problems.push(format!("secrets{}: {err}", err.instance_path()));
            }
        }
    }
    problems.dedup();
    if problems.is_empty() {
        return Ok(());
    }
    Err(Error::values(format!(
        "{} problem{} with the values",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    ))
    .with_details(problems)
    .hint("pass values with `--set name=value` or `--values FILE` (YAML or JSON)"))
}

fn describe(template: &Template, page: &Value, err: &jsonschema::ValidationError<'_>) -> String {
    use jsonschema::error::ValidationErrorKind as K;
    let path = err.instance_path().to_string();
    let name = path.trim_start_matches('/').replace('/', ".");
    match err.kind() {
        K::Required { property } => {
            let prop = property.as_str().unwrap_or_default().to_string();
            let schema = page.pointer(&format!("/properties/{prop}"));
            let full = if name.is_empty() {
                prop.clone()
            } else {
                format!("{name}.{prop}")
            };
            let mut s = format!("`{full}` is required");
            if let Some(t) = schema.and_then(|s| s.get("title")).and_then(Value::as_str) {
                s.push_str(&format!(" ({t})"));
            }
            if let Some(d) = schema
                .and_then(|s| s.get("description"))
                .and_then(Value::as_str)
            {
                s.push_str(&format!(": {d}"));
            }
            if let Some(e) = schema.and_then(|s| s.get("enum")).and_then(Value::as_array) {
                let opts: Vec<String> = e.iter().map(|v| v.to_string()).collect();
                s.push_str(&format!("; one of {}", opts.join(", ")));
            }
            let example = schema.map(example_for).unwrap_or_else(|| "VALUE".into());
            s.push_str(&format!("; pass `--set {full}={example}`"));
            s
        }
        _ => {
            let _ = template;
            format!(
                "`{}`: {err}",
                if name.is_empty() {
                    "parameters".into()
                } else {
                    name
                }
            )
        }
    }
}

fn example_for(schema: &Value) -> String {
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return render::to_json(&render::to_value(first))
            .map(|v| match v {
                Value::String(s) => s,
                o => o.to_string(),
            })
            .unwrap_or_default();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("boolean") => "true".into(),
        Some("integer") | Some("number") => "1".into(),
        Some("array") => "a,b".into(),
        _ => "VALUE".into(),
    }
}

/// Every parameter name the pages declare (top level, in any branch or dependency).
pub fn declared_names(template: &Template) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for page in &template.pages {
        crate::backstage::json_schema::property_names(page, &mut out);
    }
    out
}

/// Keys given by `--values` files and `--set` that no page declares and no expression of the
/// template reads (`parameters.KEY`), each with where it came from and a "did you mean".
pub fn unknown_keys(template: &Template, sources: &Sources) -> Vec<String> {
    let declared = declared_names(template);
    let used = |key: &str| {
        declared.contains(key)
            || template.source.contains(&format!("parameters.{key}"))
            || template.source.contains(&format!("parameters['{key}']"))
            || template.source.contains(&format!("parameters[\"{key}\"]"))
    };
    let describe = |key: &str, origin: String| {
        let mut s = format!("{origin}: `{key}` is not a parameter of this template");
        if let Some(hint) = crate::backstage::suggest::did_you_mean(key, declared.iter()) {
            s.push_str(&format!(" ({hint})"));
        }
        s
    };
    let mut out = Vec::new();
    for f in &sources.files {
        if let Ok(map) = read_object(f, "values") {
            for key in map.keys().filter(|k| !used(k)) {
                out.push(describe(key, format!("values file `{}`", f.display())));
            }
        }
    }
    for item in &sources.set {
        let key = item.split_once('=').map(|(k, _)| k).unwrap_or(item);
        let top = key.split('.').next().unwrap_or(key);
        if !used(top) {
            // A long dotted key is named by its start only.
            let shown: String = if key.chars().count() > 60 {
                key.chars().take(40).chain("…".chars()).collect()
            } else {
                key.to_string()
            };
            out.push(describe(top, format!("`--set {shown}`")));
        }
    }
    out
}
