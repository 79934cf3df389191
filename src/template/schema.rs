//! Checks a Template document against Backstage's own JSON Schemas (`Template.v1beta3` and the
//! catalog's `Entity`, `EntityMeta` and `common`), copied verbatim from the npm packages.

use std::sync::OnceLock;

use serde_json::Value;

use super::Template;
use crate::backstage::json_schema;
use crate::error::{Error, Result};

/// The Template v1beta3 JSON Schema with its catalog dependencies registered.
pub fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        json_schema::compile_with_entities(include_str!("schemas/template.v1beta3.json"))
    })
}

/// The Template schema as JSON, for `golden schema`.
pub fn template_schema() -> Value {
    json_schema::embedded(include_str!("schemas/template.v1beta3.json"))
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
