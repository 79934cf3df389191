//! Workflow values: Backstage's coercion of rendered step inputs (SPEC §4.3), conversions between
//! JSON and engine values, and JavaScript truthiness.

use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, State};
use serde_json::Value as Json;

use super::syntax::Node;
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
        ValueKind::String | ValueKind::Bytes => Json::String(
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string()),
        ),
        ValueKind::Seq | ValueKind::Iterable => {
            let items = v
                .try_iter()
                .map(|it| it.collect::<Vec<_>>())
                .unwrap_or_default();
            Json::Array(
                items
                    .iter()
                    .map(|i| to_json(i).unwrap_or(Json::Null))
                    .collect(),
            )
        }
        ValueKind::Map => {
            let mut obj = serde_json::Map::new();
            if let Ok(keys) = v.try_iter() {
                for k in keys {
                    if let Ok(item) = v.get_item(&k) {
                        if let Some(j) = to_json(&item) {
                            obj.insert(
                                k.as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| k.to_string()),
                                j,
                            );
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
    serde_json::Number::from_f64(f)
        .map(Json::Number)
        .unwrap_or(Json::Null)
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

/// See [`super::Engine::render_value`]: nunjitsu's `renderValue(..., {coercion: 'json'})`. When
/// the template is a single non-text node, every output written directly by it is JSON-encoded
/// (`dump`) and the result JSON-parsed; otherwise (or if parsing fails) the rendered text is the
/// value. An empty result is undefined.
pub fn render_value(
    engine: &super::Engine,
    source: &str,
    ctx: &Value,
) -> Result<Option<Json>, RenderError> {
    if !engine.may_contain_syntax(source) {
        return Ok(if source.is_empty() {
            None
        } else {
            Some(Json::String(source.to_string()))
        });
    }
    let nodes = engine.parse_nodes(source)?;
    if nodes.len() == 1 && !matches!(nodes[0], Node::Text(_)) {
        if let Node::Output(expr) = &nodes[0] {
            let value = engine.eval_expr(expr, ctx)?;
            return Ok(to_json(&value));
        }
        let encoded = engine.render_nodes(&nodes, ctx, true)?;
        if encoded.is_empty() {
            return Ok(None);
        }
        if let Ok(v) = serde_json::from_str::<Json>(&encoded) {
            return Ok(Some(v));
        }
    }
    let text = engine.render_nodes(&nodes, ctx, false)?;
    Ok(if text.is_empty() {
        None
    } else {
        Some(Json::String(text))
    })
}

/// See [`super::Engine::render_tree`].
pub fn render_tree(engine: &super::Engine, tree: &Json, ctx: &Value) -> Option<Json> {
    match tree {
        Json::String(s) => match render_value(engine, s, ctx) {
            Ok(v) => v,
            Err(_) => Some(Json::String(s.clone())),
        },
        Json::Array(items) => Some(Json::Array(
            items
                .iter()
                .map(|i| render_tree(engine, i, ctx).unwrap_or(Json::Null))
                .collect(),
        )),
        Json::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                if let Some(r) = render_tree(engine, v, ctx) {
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
    env.add_function("failure", |state: &State| {
        state.lookup(FAILED_FLAG).is_some_and(|v| v.is_true())
    });
}
