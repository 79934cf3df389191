//! The built-in actions, one file per family. Each action mirrors Backstage's inputs, outputs and
//! input schema (unknown input keys are rejected, as Backstage's zod schemas do).

mod binary;
mod debug;
mod fetch;
mod glob;
pub mod schemas;
mod source;
mod template;

use crate::runner::Action;

/// Every built-in action.
pub fn all() -> Vec<Box<dyn Action>> {
    let mut v: Vec<Box<dyn Action>> = Vec::new();
    v.extend(debug::actions());
    v.push(Box::new(template::FetchTemplate));
    v.extend(fetch::actions());
    v
}

/// Reads an optional string input.
pub fn opt_str<'a>(input: &'a serde_json::Map<String, serde_json::Value>, key: &str) -> Option<&'a str> {
    input.get(key).and_then(serde_json::Value::as_str)
}

/// Reads an optional boolean input (absent → `default`).
pub fn opt_bool(input: &serde_json::Map<String, serde_json::Value>, key: &str, default: bool) -> bool {
    input.get(key).and_then(serde_json::Value::as_bool).unwrap_or(default)
}
