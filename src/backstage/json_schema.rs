//! JSON Schema as Backstage uses it: draft 7 everywhere (the form, the backend's parameter and
//! action-input checks, the catalog's entity schemas). [`options`] is the one builder, [`Cache`]
//! compiles a schema once per run, and [`entity_registry`] holds the catalog's `Entity`,
//! `EntityEnvelope`, `EntityMeta` and `common` schemas (copied verbatim from
//! `@backstage/catalog-model`) that the Template and kind schemas reference.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

pub use jsonschema::{ValidationError, Validator};

/// Where the embedded schemas' relative `$id`s are rooted.
const BASE: &str = "https://golden.invalid/schemas/";

/// A draft-7 validator builder, with the `format` rules of npm `jsonschema` (the validator
/// Backstage's scaffolder runs on parameters and action inputs; see [`super::formats`]).
pub fn options() -> jsonschema::ValidationOptions<'static> {
    super::formats::options()
}

/// Compiles `schema` as draft 7; a name listed twice in a `required` list is accepted, as
/// Backstage accepts it.
pub fn compile(schema: &Value) -> Result<Validator, ValidationError<'static>> {
    options().build(&super::formats::lenient(schema))
}

/// Compiled schemas by their JSON text, for a run that meets the same schemas many times
/// (the property schemas of a repository's templates); shared across threads.
#[derive(Default)]
pub struct Cache {
    compiled: Mutex<HashMap<String, Option<Arc<Validator>>>>,
}

impl Cache {
    /// `schema` compiled once per cache; `None` when it does not compile.
    pub fn get(&self, schema: &Value) -> Option<Arc<Validator>> {
        let key = schema.to_string();
        if let Some(v) = self.compiled.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return v;
        }
        let v = compile(schema).ok().map(Arc::new);
        if let Ok(mut m) = self.compiled.lock() {
            m.insert(key, v.clone());
        }
        v
    }
}

/// Adds to `names` the property names an object schema declares at its top: its `properties`
/// and those of its `allOf`/`anyOf`/`oneOf` branches, `if`/`then`/`else` and schema
/// `dependencies`, at any depth of those.
pub fn property_names(schema: &Value, names: &mut BTreeSet<String>) {
    let Some(obj) = schema.as_object() else {
        return;
    };
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        names.extend(props.keys().cloned());
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for s in obj.get(key).and_then(Value::as_array).into_iter().flatten() {
            property_names(s, names);
        }
    }
    for key in ["if", "then", "else"] {
        if let Some(s) = obj.get(key) {
            property_names(s, names);
        }
    }
    if let Some(deps) = obj.get("dependencies").and_then(Value::as_object) {
        for d in deps.values() {
            property_names(d, names);
        }
    }
}

/// Whether `value` is valid against `schema`; an uncompilable schema counts as valid.
pub fn holds(schema: &Value, value: &Value) -> bool {
    match compile(schema) {
        Ok(v) => v.is_valid(value),
        Err(_) => true,
    }
}

/// An embedded schema with its relative `$id` rooted at golden's base URI.
pub fn embedded(text: &str) -> Value {
    let mut v: Value = serde_json::from_str(text).expect("embedded schema is JSON");
    if let Some(id) = v.get("$id").and_then(Value::as_str).map(str::to_string) {
        v["$id"] = Value::String(format!("{BASE}{id}"));
    }
    v
}

/// The catalog-model schemas entity and Template schemas reference, by `$id`.
pub const ENTITY_SCHEMAS: [(&str, &str); 4] = [
    ("Entity", include_str!("schemas/Entity.json")),
    (
        "EntityEnvelope",
        include_str!("schemas/EntityEnvelope.json"),
    ),
    ("EntityMeta", include_str!("schemas/EntityMeta.json")),
    ("common", include_str!("schemas/common.json")),
];

/// A registry of [`ENTITY_SCHEMAS`], built once.
pub fn entity_registry() -> &'static jsonschema::Registry<'static> {
    static R: OnceLock<jsonschema::Registry<'static>> = OnceLock::new();
    R.get_or_init(|| {
        let mut builder = jsonschema::Registry::new().draft(jsonschema::Draft::Draft7);
        for (_, text) in ENTITY_SCHEMAS {
            let s = embedded(text);
            let id = s["$id"].as_str().unwrap_or_default().to_string();
            builder = builder.add(id, s).expect("embedded schema ids are URIs");
        }
        builder.prepare().expect("embedded schemas resolve")
    })
}

/// Compiles an embedded schema that references the entity schemas.
pub fn compile_with_entities(text: &str) -> Validator {
    options()
        .with_registry(entity_registry())
        .build(&embedded(text))
        .expect("embedded schema compiles")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn property_names_come_from_every_branch_and_dependency() {
        let page = json!({
            "properties": {"name": {}},
            "allOf": [{"properties": {"a": {}}}, {"anyOf": [{"properties": {"b": {}}}]}],
            "oneOf": [{"properties": {"c": {}}}],
            "if": {"properties": {"d": {}}},
            "then": {"properties": {"e": {}}},
            "else": {"properties": {"f": {}}},
            "dependencies": {"name": {"properties": {"g": {}}}, "a": ["b"]},
            "definitions": {"x": {"properties": {"not-a-parameter": {}}}},
        });
        let mut names = BTreeSet::new();
        property_names(&page, &mut names);
        assert_eq!(
            names.into_iter().collect::<Vec<_>>(),
            ["a", "b", "c", "d", "e", "f", "g", "name"]
        );
        let mut none = BTreeSet::new();
        property_names(&json!([{"properties": {"x": {}}}]), &mut none);
        assert!(none.is_empty(), "not an object schema");
    }

    #[test]
    fn draft7_cached_and_lenient_holds() {
        let s = json!({"type": "string", "minLength": 2});
        let cache = Cache::default();
        let a = cache.get(&s).unwrap();
        assert!(Arc::ptr_eq(&a, &cache.get(&s).unwrap()), "compiled once");
        assert!(!a.is_valid(&json!("x")));
        assert!(
            holds(&json!({"type": 3}), &json!(1)),
            "uncompilable counts as valid"
        );
        assert!(!holds(&s, &json!(1)));
    }
}
