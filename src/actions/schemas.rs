//! The input and output JSON Schemas of Backstage's actions, exactly as Backstage 4.3.0 publishes
//! them (`zod-to-json-schema` output, taken from the oracle into `schemas.json` by
//! `schemas.gen.cjs`, not hand-written).

use std::sync::OnceLock;

use serde_json::{Map, Value};

/// A `schemas.json` embedded in the binary (action id → `{input, output, ...}`), parsed at its
/// first use; one for the scaffolder's own actions and one per module family.
pub struct Table {
    text: &'static str,
    parsed: OnceLock<Map<String, Value>>,
}

impl Table {
    pub const fn new(text: &'static str) -> Table {
        Table {
            text,
            parsed: OnceLock::new(),
        }
    }

    /// The `which` schema (`input`, `output`) of action `id`, if the table has one.
    pub fn schema(&self, id: &str, which: &str) -> Option<&Value> {
        self.parsed
            .get_or_init(|| match serde_json::from_str(self.text) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            })
            .get(id)
            .and_then(|a| a.get(which))
    }
}

static ALL: Table = Table::new(include_str!("schemas.json"));

/// The input schema of action `id` (an object accepting nothing if golden has none for it).
pub fn input(id: &str) -> Value {
    ALL.schema(id, "input")
        .cloned()
        .unwrap_or_else(|| serde_json::json!({"type": "object", "additionalProperties": false}))
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
            "debug:log",
            "debug:wait",
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
    }
}
