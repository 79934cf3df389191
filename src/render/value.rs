//! Workflow values: Backstage's coercion of rendered step inputs (SPEC §4.3), conversions between
//! JSON and engine values, and JavaScript truthiness.

use minijinja::machinery::ast;
use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, State};
use serde_json::Value as Json;

use super::RenderError;

/// JSON → engine value.
pub fn to_value(json: &Json) -> Value {
    Value::from(minijinja::value::Serde(json))
}

/// Engine value → JSON, `None` for undefined (as `JSON.stringify` drops undefined members).
pub fn to_json(v: &Value) -> Option<Json> {
    Some(match v.kind() {
        ValueKind::Undefined => return None,
        ValueKind::None => Json::Null,
        ValueKind::Bool => Json::Bool(v.is_true()),
        ValueKind::Number => number_json(v),
        ValueKind::String | ValueKind::Bytes => Json::String(v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())),
        ValueKind::Seq | ValueKind::Iterable => {
            let items = v.try_iter().map(|it| it.collect::<Vec<_>>()).unwrap_or_default();
            Json::Array(items.iter().map(|i| to_json(i).unwrap_or(Json::Null)).collect())
        }
        ValueKind::Map => {
            let mut obj = serde_json::Map::new();
            if let Ok(keys) = v.try_iter() {
                for k in keys {
                    if let Ok(item) = v.get_item(&k) {
                        if let Some(j) = to_json(&item) {
                            obj.insert(k.as_str().map(str::to_string).unwrap_or_else(|| k.to_string()), j);
                        }
                    }
                }
            }
            Json::Object(obj)
        }
        ValueKind::Plain | ValueKind::Invalid => Json::String(v.to_string()),
        _ => Json::String(v.to_string()),
    })
}

fn number_json(v: &Value) -> Json {
    if let Ok(i) = i64::try_from(v.clone()) {
        return Json::Number(i.into());
    }
    let f = f64::try_from(v.clone()).unwrap_or(f64::NAN);
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 {
        return Json::Number((f as i64).into());
    }
    serde_json::Number::from_f64(f).map(Json::Number).unwrap_or(Json::Null)
}

/// JavaScript truthiness of a rendered workflow value (`[]` is falsy, as in Backstage's runner).
pub fn is_truthy(v: Option<&Json>) -> bool {
    match v {
        None | Some(Json::Null) => false,
        Some(Json::Bool(b)) => *b,
        Some(Json::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Some(Json::String(s)) => !s.is_empty(),
        Some(Json::Array(a)) => !a.is_empty(),
        Some(Json::Object(_)) => true,
    }
}

/// How a workflow string is shaped.
enum Shape {
    /// Exactly one `${{ expr }}`: the expression's value keeps its type.
    Expression,
    /// Exactly one `{% if %}`/`{% for %}` block: rendered, then JSON-parsed when possible.
    Block,
    /// Anything else: rendered as text.
    Text,
}

fn shape(env: &Environment<'_>, source: &str) -> Result<Shape, RenderError> {
    let syntax = env_syntax(env);
    let tree = minijinja::machinery::parse(source, "<input>", syntax)?;
    let ast::Stmt::Template(t) = tree else { return Ok(Shape::Text) };
    if t.children.len() != 1 {
        return Ok(Shape::Text);
    }
    Ok(match &t.children[0] {
        ast::Stmt::EmitExpr(_) => Shape::Expression,
        ast::Stmt::IfCond(_) | ast::Stmt::ForLoop(_) => Shape::Block,
        _ => Shape::Text,
    })
}

fn env_syntax(_env: &Environment<'_>) -> minijinja::syntax::SyntaxConfig {
    // The workflow renderer always uses Backstage's delimiters.
    let mut b = minijinja::syntax::SyntaxConfig::builder();
    b.variable_delimiters("${{", "}}").block_delimiters("{%", "%}").comment_delimiters("{#", "#}");
    b.build().expect("valid delimiters")
}

/// See [`super::Engine::render_value`].
pub fn render_value(env: &Environment<'_>, source: &str, ctx: &Value) -> Result<Option<Json>, RenderError> {
    if !source.contains("${{") && !source.contains("{%") && !source.contains("{#") {
        return Ok(if source.is_empty() { None } else { Some(Json::String(source.to_string())) });
    }
    match shape(env, source)? {
        Shape::Expression => {
            let inner = source.trim_start_matches("${{").trim_start_matches('-');
            let inner = inner.strip_suffix("}}").unwrap_or(inner);
            let inner = inner.strip_suffix('-').unwrap_or(inner);
            let expr = env.compile_expression(inner)?;
            let v = expr.eval(ctx.clone())?;
            Ok(to_json(&v))
        }
        Shape::Block => {
            let text = env.render_str(source, ctx.clone())?;
            if text.is_empty() {
                return Ok(None);
            }
            Ok(Some(serde_json::from_str::<Json>(&text).unwrap_or(Json::String(text))))
        }
        Shape::Text => {
            let text = env.render_str(source, ctx.clone())?;
            Ok(if text.is_empty() { None } else { Some(Json::String(text)) })
        }
    }
}

/// See [`super::Engine::render_tree`].
pub fn render_tree(env: &Environment<'_>, tree: &Json, ctx: &Value) -> Option<Json> {
    match tree {
        Json::String(s) => match render_value(env, s, ctx) {
            Ok(v) => v,
            Err(_) => Some(Json::String(s.clone())),
        },
        Json::Array(items) => Some(Json::Array(
            items.iter().map(|i| render_tree(env, i, ctx).unwrap_or(Json::Null)).collect(),
        )),
        Json::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                if let Some(r) = render_tree(env, v, ctx) {
                    out.insert(k.clone(), r);
                }
            }
            Some(Json::Object(out))
        }
        other => Some(other.clone()),
    }
}

/// The name under which the runner tells `failure()` that a step failed.
pub const FAILED_FLAG: &str = "__golden_failed";

/// `always()` and `failure()` (Backstage 4), for step `if:` conditions.
pub fn register_status_functions(env: &mut Environment<'static>) {
    env.add_function("always", |_: &State| true);
    env.add_function("failure", |state: &State| state.lookup(FAILED_FLAG).is_some_and(|v| v.is_true()));
}
