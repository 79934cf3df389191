//! Parameter pages: each page a valid draft-07 JSON Schema, `required` naming existing properties,
//! `pattern`s valid ECMAScript, `default`s and `enum`s satisfying their own schema, `dependencies`
//! and their `oneOf` branches well-formed, and `ui:field`/`ui:widget` names Backstage knows.
//! Returns the parameter names the pages declare, for `parameters.X` checks.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::locate::seg;
use super::{Checker, Diagnostic, Doc, Sink};
use crate::backstage::json_schema::{property_names, Cache, Validator};

/// Field extensions of Backstage's scaffolder frontend (SPEC §2.6).
const UI_FIELDS: &[&str] = &[
    "RepoUrlPicker",
    "OwnerPicker",
    "EntityPicker",
    "MultiEntityPicker",
    "OwnedEntityPicker",
    "EntityNamePicker",
    "EntityTagsPicker",
    "MyGroupsPicker",
    "RepoBranchPicker",
    "RepoOwnerPicker",
    "Secret",
    "AccordionField",
    "OwnershipEntityRefPicker",
    "GroupsImPartOfPicker",
    "OwnedGroupsPicker",
    "EntitySelectionPicker",
];

/// RJSF widgets (SPEC §2.5).
const UI_WIDGETS: &[&str] = &[
    "text",
    "textarea",
    "password",
    "select",
    "radio",
    "checkbox",
    "checkboxes",
    "hidden",
    "updown",
    "range",
    "color",
    "date",
    "datetime",
    "email",
    "uri",
    "file",
    "alt-date",
    "alt-datetime",
    "time",
    "url",
];

/// Parameter names declared by the pages.
#[derive(Debug, Default)]
pub struct Declared {
    pub names: BTreeSet<String>,
    /// False when a page allows any property (`additionalProperties` not false and no pages).
    pub pages: usize,
}

/// Checks every page and returns the declared names.
pub fn check(checker: &Checker, doc: &Doc, sink: &mut Sink) -> Declared {
    let mut declared = Declared::default();
    let pages: Vec<(String, &Value)> = match doc.entity.pointer("/spec/parameters") {
        Some(Value::Array(pages)) => pages
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("/spec/parameters/{i}"), p))
            .collect(),
        Some(page @ Value::Object(_)) => vec![("/spec/parameters".to_string(), page)],
        _ => Vec::new(),
    };
    declared.pages = pages.len();
    for (pointer, page) in pages {
        if !page.is_object() {
            continue; // the Template schema reports it
        }
        property_names(page, &mut declared.names);
        // a page-level `if:` holding an expression is the frontend's (it shows or hides the
        // page), not JSON Schema's `if`
        let without_if;
        let page = match page.get("if") {
            Some(Value::String(_)) => {
                let mut p = page.clone();
                if let Some(m) = p.as_object_mut() {
                    m.remove("if");
                }
                without_if = p;
                &without_if
            }
            _ => page,
        };
        let meta = jsonschema::draft7::meta::validator();
        for err in meta.iter_errors(page) {
            let at = err.instance_path().to_string();
            if at.ends_with("/pattern")
                && matches!(
                    err.kind(),
                    jsonschema::error::ValidationErrorKind::Format { .. }
                )
            {
                continue; // `param-pattern` says it with ECMAScript's rules
            }
            if at.ends_with("/required")
                && matches!(
                    err.kind(),
                    jsonschema::error::ValidationErrorKind::UniqueItems
                )
            {
                continue; // Backstage accepts a name listed twice in `required`
            }
            if err.instance().is_array()
                && matches!(
                    err.kind(),
                    jsonschema::error::ValidationErrorKind::Type { .. }
                )
            {
                // An array where a schema belongs (`properties: {required: [x]}`): Backstage's
                // validator takes it for an empty schema (JavaScript's typeof is "object"), so
                // the template renders.
                continue;
            }
            let p = format!("{pointer}{at}");
            sink.push(
                Diagnostic::new("param-invalid-schema", &doc.path, format!("not a valid JSON Schema: {err}"))
                    .at(doc.value_span(&p))
                    .label("invalid here")
                    .hint("parameter pages are draft-07 JSON Schemas; see https://json-schema.org/draft-07"),
            );
        }
        let definitions = page.get("definitions").cloned();
        let schemas = Schemas {
            cache: &checker.schemas,
            definitions: definitions.as_ref(),
        };
        walk(&schemas, doc, sink, page, &pointer);
    }
    declared
}

fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    crate::backstage::suggest::did_you_mean(name, candidates)
}

/// The compiled schemas of one page's properties.
struct Schemas<'a> {
    cache: &'a Cache,
    /// The page's `definitions`, which its `$ref`s point into.
    definitions: Option<&'a Value>,
}

impl Schemas<'_> {
    /// The validator of `schema` without the keys in `drop` and without `ui:*` keys (with the
    /// page's definitions); `None` when it does not compile.
    fn without(&self, schema: &Map<String, Value>, drop: &[&str]) -> Option<Arc<Validator>> {
        let mut s: Map<String, Value> = schema
            .iter()
            .filter(|(k, _)| !drop.contains(&k.as_str()) && !k.starts_with("ui:"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(d) = self.definitions {
            s.entry("definitions").or_insert_with(|| d.clone());
        }
        self.cache.get(&Value::Object(s))
    }
}

fn walk(schemas: &Schemas<'_>, doc: &Doc, sink: &mut Sink, schema: &Value, pointer: &str) {
    let Some(obj) = schema.as_object() else {
        return;
    };
    required_names(doc, sink, schema, obj, pointer);
    pattern(doc, sink, obj, pointer);
    default_value(schemas, doc, sink, obj, pointer);
    enum_values(schemas, doc, sink, obj, pointer);
    if let Some(deps) = obj.get("dependencies") {
        dependencies(doc, sink, obj, deps, pointer);
    }
    ui_names(doc, sink, obj, pointer);
    for (child, at) in subschemas(obj, pointer) {
        walk(schemas, doc, sink, child, &at);
    }
}

/// Every subschema of `obj` with its pointer: properties, definitions, dependencies, the
/// combinators, conditionals and items.
fn subschemas<'a>(obj: &'a Map<String, Value>, pointer: &str) -> Vec<(&'a Value, String)> {
    let mut out = Vec::new();
    for key in ["properties", "definitions", "patternProperties"] {
        for (k, v) in obj
            .get(key)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            out.push((v, format!("{pointer}/{key}/{}", seg(k))));
        }
    }
    for (k, v) in obj
        .get("dependencies")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if v.is_object() {
            out.push((v, format!("{pointer}/dependencies/{}", seg(k))));
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for (i, v) in obj
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            out.push((v, format!("{pointer}/{key}/{i}")));
        }
    }
    for key in [
        "if",
        "then",
        "else",
        "not",
        "additionalProperties",
        "additionalItems",
        "contains",
    ] {
        if let Some(v) = obj.get(key) {
            out.push((v, format!("{pointer}/{key}")));
        }
    }
    match obj.get("items") {
        Some(Value::Array(items)) => {
            for (i, v) in items.iter().enumerate() {
                out.push((v, format!("{pointer}/items/{i}")));
            }
        }
        Some(v) => out.push((v, format!("{pointer}/items"))),
        None => {}
    }
    out
}

/// `param-required-unknown`: `required` names a property the schema does not have.
fn required_names(
    doc: &Doc,
    sink: &mut Sink,
    schema: &Value,
    obj: &Map<String, Value>,
    pointer: &str,
) {
    let Some(required) = obj.get("required").and_then(Value::as_array) else {
        return;
    };
    if obj.get("properties").is_none() {
        return; // an open schema: any name may be required
    }
    let mut names = BTreeSet::new();
    property_names(schema, &mut names);
    for (i, r) in required.iter().enumerate() {
        let Some(r) = r.as_str() else { continue };
        if names.contains(r) {
            continue;
        }
        sink.push(
            Diagnostic::new(
                "param-required-unknown",
                &doc.path,
                format!("`required` names `{r}`, which is not a property here"),
            )
            .at(doc.value_span(&format!("{pointer}/required/{i}")))
            .label("no such property")
            .hint(
                suggest(r, names.iter().map(String::as_str)).unwrap_or_else(|| {
                    "add the property, or remove the name from `required`".into()
                }),
            ),
        );
    }
}

/// `param-pattern`: a `pattern` that is not an ECMAScript regular expression.
fn pattern(doc: &Doc, sink: &mut Sink, obj: &Map<String, Value>, pointer: &str) {
    let Some(pattern) = obj.get("pattern").and_then(Value::as_str) else {
        return;
    };
    if !jsonschema_regex::is_valid_ecma_regex(pattern) {
        sink.push(
            Diagnostic::new("param-pattern", &doc.path, format!("`{pattern}` is not a valid ECMAScript regular expression"))
                .at(doc.value_span(&format!("{pointer}/pattern")))
                .label("the browser and Backstage's backend reject this pattern")
                .hint("patterns are JavaScript regexes with the `u` flag: no inline flags like `(?i)`, no `(?P<name>)`, escape only punctuation"),
        );
    }
}

/// `param-default`: a (non-templated) default its own schema rejects.
fn default_value(
    schemas: &Schemas<'_>,
    doc: &Doc,
    sink: &mut Sink,
    obj: &Map<String, Value>,
    pointer: &str,
) {
    let Some(default) = obj.get("default") else {
        return;
    };
    if default.as_str().is_some_and(|s| s.contains("${{")) {
        return;
    }
    let Some(v) = schemas.without(obj, &["default"]) else {
        return;
    };
    let first = v.iter_errors(default).next().map(|e| e.to_string());
    if let Some(e) = first {
        sink.push(
            Diagnostic::new("param-default", &doc.path, format!("the default does not satisfy its own schema: {e}"))
                .at(doc.value_span(&format!("{pointer}/default")))
                .label("invalid default")
                .hint("the form pre-fills this value and Backstage then rejects it; fix the default or the schema"),
        );
    }
}

/// `param-enum`: enum values their own schema rejects, and labels that do not pair with them.
fn enum_values(
    schemas: &Schemas<'_>,
    doc: &Doc,
    sink: &mut Sink,
    obj: &Map<String, Value>,
    pointer: &str,
) {
    let Some(values) = obj.get("enum").and_then(Value::as_array) else {
        return;
    };
    if let Some(v) = schemas.without(obj, &["enum", "default", "const", "enumNames"]) {
        for (i, item) in values.iter().enumerate() {
            if let Some(e) = v.iter_errors(item).next() {
                sink.push(
                    Diagnostic::new(
                        "param-enum",
                        &doc.path,
                        format!("enum value does not satisfy its own schema: {e}"),
                    )
                    .at(doc.value_span(&format!("{pointer}/enum/{i}")))
                    .label("never a valid answer")
                    .hint(
                        "quote numbers and booleans meant as strings (`'8080'`), or change `type`",
                    ),
                );
            }
        }
    }
    for key in ["enumNames", "ui:enumNames"] {
        let Some(names) = obj.get(key).and_then(Value::as_array) else {
            continue;
        };
        if names.len() == values.len() {
            continue;
        }
        sink.push(
            Diagnostic::new(
                "param-enum",
                &doc.path,
                format!(
                    "`{key}` has {} labels for {} enum values",
                    names.len(),
                    values.len()
                ),
            )
            .at(doc.key_span(&format!("{pointer}/{key}")))
            .label("labels and values are paired by position")
            .hint(format!(
                "give `{key}` exactly one label per `enum` value, in the same order"
            )),
        );
    }
}

/// `param-ui-field`, `param-ui-widget`: a field or widget Backstage does not build in.
fn ui_names(doc: &Doc, sink: &mut Sink, obj: &Map<String, Value>, pointer: &str) {
    for (key, code, known) in [
        ("ui:field", "param-ui-field", UI_FIELDS),
        ("ui:widget", "param-ui-widget", UI_WIDGETS),
    ] {
        let Some(name) = obj.get(key).and_then(Value::as_str) else {
            continue;
        };
        if known.contains(&name) {
            continue;
        }
        let hint = suggest(name, known.iter().copied()).unwrap_or_else(|| {
            if key == "ui:field" {
                "a custom field extension must be installed in your Backstage app; golden asks for the plain JSON value".into()
            } else {
                format!("known widgets: {}", known.join(", "))
            }
        });
        sink.push(
            Diagnostic::new(code, &doc.path, format!("unknown {key} `{name}`"))
                .at(doc.value_span(&format!("{pointer}/{}", seg(key))))
                .label("not built into Backstage")
                .hint(hint),
        );
    }
}

fn dependencies(doc: &Doc, sink: &mut Sink, obj: &Map<String, Value>, deps: &Value, pointer: &str) {
    let Some(deps) = deps.as_object() else { return }; // the meta-schema reports it
    let props: BTreeSet<&str> = obj
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    for (key, dep) in deps {
        let dp = format!("{pointer}/dependencies/{}", seg(key));
        if !props.is_empty() && !props.contains(key.as_str()) {
            sink.push(
                Diagnostic::new(
                    "param-dependencies",
                    &doc.path,
                    format!("`dependencies` is keyed by `{key}`, which is not a property here"),
                )
                .at(doc.key_span(&dp))
                .label("no such property")
                .hint(suggest(key, props.iter().copied()).unwrap_or_else(|| {
                    "key `dependencies` by the property whose answer decides".into()
                })),
            );
        }
        match dep {
            Value::Array(names) => {
                for (i, n) in names.iter().enumerate() {
                    if let Some(n) = n.as_str() {
                        if !props.is_empty() && !props.contains(n) {
                            sink.push(
                                Diagnostic::new(
                                    "param-dependencies",
                                    &doc.path,
                                    format!("dependency `{n}` is not a property here"),
                                )
                                .at(doc.value_span(&format!("{dp}/{i}")))
                                .label("no such property")
                                .hint(
                                    suggest(n, props.iter().copied())
                                        .unwrap_or_else(|| "list property names only".into()),
                                ),
                            );
                        }
                    }
                }
            }
            Value::Object(schema) => {
                if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
                    for (i, b) in branches.iter().enumerate() {
                        let constrains = b
                            .get("properties")
                            .and_then(Value::as_object)
                            .is_some_and(|p| p.contains_key(key));
                        if b.is_object() && !constrains {
                            sink.push(
                                Diagnostic::new("param-oneof", &doc.path, format!("this `oneOf` branch does not mention `{key}`, so the form never selects it"))
                                    .at(doc.value_span(&format!("{dp}/oneOf/{i}")))
                                    .label("never matches")
                                    .hint(format!("add `properties: {{ {key}: {{ const: ... }} }}` (or `enum`) to say when this branch applies")),
                            );
                        }
                    }
                }
            }
            _ => {} // the meta-schema reports other shapes
        }
    }
}
