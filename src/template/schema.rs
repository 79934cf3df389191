//! Checks a Template document against Backstage's own JSON Schemas (`Template.v1beta3` and the
//! catalog's `Entity`, `EntityMeta` and `common`), copied verbatim from the npm packages.

use std::sync::OnceLock;

use serde_json::Value;

use super::Template;
use crate::error::{Error, Result};

const BASE: &str = "https://golden.invalid/schemas/";

fn schema_json(text: &str) -> Value {
    let mut v: Value = serde_json::from_str(text).expect("embedded schema is JSON");
    if let Some(id) = v.get("$id").and_then(Value::as_str).map(str::to_string) {
        v["$id"] = Value::String(format!("{BASE}{id}"));
    }
    v
}

/// The Template v1beta3 JSON Schema with its catalog dependencies registered.
pub fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let template = schema_json(include_str!("schemas/template.v1beta3.json"));
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .with_registry(registry())
            .build(&template)
            .expect("embedded Template schema compiles")
    })
}

/// The catalog's Entity schemas, which the Template schema references.
fn registry() -> &'static jsonschema::Registry<'static> {
    static R: OnceLock<jsonschema::Registry<'static>> = OnceLock::new();
    R.get_or_init(|| {
        let mut builder = jsonschema::Registry::new().draft(jsonschema::Draft::Draft7);
        for text in [
            include_str!("schemas/Entity.json"),
            include_str!("schemas/EntityEnvelope.json"),
            include_str!("schemas/EntityMeta.json"),
            include_str!("schemas/common.json"),
        ] {
            let s = schema_json(text);
            let id = s["$id"].as_str().unwrap_or_default().to_string();
            builder = builder.add(id, s).expect("embedded schema ids are URIs");
        }
        builder.prepare().expect("embedded schemas resolve")
    })
}

/// The Template schema as JSON, for `golden schema`.
pub fn template_schema() -> Value {
    schema_json(include_str!("schemas/template.v1beta3.json"))
}

/// Rejects a document that Backstage's catalog would reject, listing every problem.
pub fn check(t: &Template) -> Result<()> {
    let mut details = Vec::new();
    let mut first = None;
    for err in validator().iter_errors(&t.entity) {
        let pointer = err.instance_path().to_string();
        first.get_or_insert_with(|| t.location(&pointer));
        let path = if pointer.is_empty() {
            "/".to_string()
        } else {
            pointer.clone()
        };
        details.push(format!("{}: `{path}` {}", t.location(&pointer), err));
    }
    if details.is_empty() {
        return Ok(());
    }
    Err(
        Error::template("the template does not match Backstage's Template v1beta3 schema")
            .at(first.unwrap_or_default())
            .with_details(details)
            .hint("run `golden validate` on the template for every problem with its line"),
    )
}
