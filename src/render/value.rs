//! Workflow values: Backstage's coercion of rendered step inputs (SPEC §4.3), conversions between
//! JSON and engine values, and JavaScript truthiness.

use minijinja::value::Value;
use minijinja::{Environment, State};
use serde_json::Value as Json;

use super::convert::to_json;
use super::syntax::Node;
use super::RenderError;

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
        if let Node::Output(expr, ..) = &nodes[0] {
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
