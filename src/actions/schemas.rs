//! The input and output JSON Schemas of Backstage's actions, exactly as Backstage 4.3.0 publishes
//! them (`zod-to-json-schema` output, taken from the oracle into `schemas.json` by
//! `schemas.gen.cjs`, not hand-written).

use std::sync::OnceLock;

use serde_json::{Map, Value};

fn all() -> &'static Map<String, Value> {
    static ALL: OnceLock<Map<String, Value>> = OnceLock::new();
    ALL.get_or_init(
        || match serde_json::from_str(include_str!("schemas.json")) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        },
    )
}

/// The input schema of action `id` (an object accepting nothing if golden has none for it).
pub fn input(id: &str) -> Value {
    all()
        .get(id)
        .and_then(|a| a.get("input"))
        .cloned()
        .unwrap_or_else(|| serde_json::json!({"type": "object", "additionalProperties": false}))
}

/// The output schema of action `id`, if Backstage declares one.
pub fn output(id: &str) -> Option<Value> {
    all()
        .get(id)
        .and_then(|a| a.get("output"))
        .filter(|v| !v.is_null())
        .cloned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_schema_is_there_and_closed() {
        for id in [
            "fetch:plain",
            "fetch:plain:file",
            "fetch:template",
            "fetch:template:file",
            "workspace:template",
            "workspace:template:file",
            "fs:delete",
            "fs:rename",
            "fs:readdir",
            "catalog:write",
            "catalog:register",
            "publish:github",
            "publish:github:pull-request",
            "github:repo:create",
            "github:repo:push",
        ] {
            let s = super::input(id);
            let closed = s.get("additionalProperties") == Some(&serde_json::Value::Bool(false))
                || s["anyOf"]
                    .as_array()
                    .is_some_and(|a| a.iter().all(|b| b["additionalProperties"] == false));
            assert!(closed, "{id} accepts unknown keys");
            assert!(
                s["properties"].is_object() || s["anyOf"].is_array(),
                "{id} has no properties"
            );
        }
        assert!(super::output("publish:github").unwrap()["properties"]["remoteUrl"].is_object());
    }
}
