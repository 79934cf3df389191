//! Reading one object schema the way Backstage's form (RJSF) does: `ui:*` hints, the properties
//! that conditionals (`dependencies`, `oneOf`, `if/then/else`, `allOf`) add for the current
//! answers, `ui:order`, and checking one answer against its property's schema.

use std::collections::HashSet;

use serde_json::{Map, Value};

/// The `ui:*` hints of one property.
#[derive(Debug, Clone, Default)]
pub struct Ui {
    pub field: Option<String>,
    pub widget: Option<String>,
    pub options: Map<String, Value>,
    pub help: Option<String>,
    pub placeholder: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub readonly: bool,
    pub enum_names: Option<Vec<String>>,
    /// `ui:backstage.review.show: false`.
    pub review_hidden: bool,
    /// `ui:backstage.review.mask`.
    pub review_mask: Option<String>,
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .map(str::to_string)
        .filter(|s| !s.trim().is_empty())
}

impl Ui {
    pub fn of(schema: &Value) -> Ui {
        let get = |k: &str| schema.get(k);
        let backstage = schema.get("ui:backstage");
        Ui {
            field: text(get("ui:field")),
            widget: text(get("ui:widget")),
            options: get("ui:options")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            help: text(get("ui:help")),
            placeholder: text(get("ui:placeholder")),
            title: text(get("ui:title")),
            description: text(get("ui:description")),
            readonly: get("ui:readonly").and_then(Value::as_bool).unwrap_or(false)
                || get("ui:disabled").and_then(Value::as_bool).unwrap_or(false),
            enum_names: get("ui:enumNames")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(label_of).collect()),
            review_hidden: backstage
                .and_then(|b| b.pointer("/review/show"))
                .and_then(Value::as_bool)
                == Some(false),
            review_mask: text(backstage.and_then(|b| b.pointer("/review/mask"))),
        }
    }

    /// Not shown in the form at all.
    pub fn hidden(&self) -> bool {
        self.widget.as_deref() == Some("hidden")
    }
}

/// A JSON value as a label: strings bare, the rest as JSON.
pub fn label_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The title shown for a property.
pub fn title(name: &str, schema: &Value) -> String {
    let ui = Ui::of(schema);
    ui.title
        .or_else(|| text(schema.get("title")))
        .unwrap_or_else(|| name.to_string())
}

/// The description or `ui:help` shown under a property.
pub fn help(schema: &Value) -> Option<String> {
    let ui = Ui::of(schema);
    let d = ui.description.or_else(|| text(schema.get("description")));
    match (d, ui.help) {
        (Some(d), Some(h)) if d != h => Some(format!("{d} ({h})")),
        (Some(d), _) => Some(d),
        (None, h) => h,
    }
}

/// The JSON type of a schema (`string` when not said and not guessable).
pub fn type_of(schema: &Value) -> &str {
    match schema.get("type") {
        Some(Value::String(t)) => t,
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string"),
        _ => {
            if schema.get("properties").is_some() {
                "object"
            } else if schema.get("items").is_some() {
                "array"
            } else if let Some(first) = schema
                .get("enum")
                .and_then(Value::as_array)
                .and_then(|e| e.first())
            {
                match first {
                    Value::Bool(_) => "boolean",
                    Value::Number(_) => "number",
                    _ => "string",
                }
            } else {
                "string"
            }
        }
    }
}

/// An object schema resolved against the current answers: properties in form order, required.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub properties: Map<String, Value>,
    pub required: Vec<String>,
    pub order: Option<Vec<String>>,
}

impl Resolved {
    /// Property names in the order the form shows them (`ui:order`, `*` = the rest).
    pub fn ordered(&self) -> Vec<String> {
        let names: Vec<String> = self.properties.keys().cloned().collect();
        let Some(order) = &self.order else {
            return names;
        };
        let listed: HashSet<&String> = order.iter().filter(|o| *o != "*").collect();
        let rest: Vec<String> = names
            .iter()
            .filter(|n| !listed.contains(n))
            .cloned()
            .collect();
        let mut out = Vec::new();
        let mut placed: HashSet<&String> = HashSet::new();
        let mut star = false;
        for o in order {
            if o == "*" {
                out.extend(rest.iter().cloned());
                star = true;
            } else if self.properties.contains_key(o) && placed.insert(o) {
                out.push(o.clone());
            }
        }
        if !star {
            out.extend(rest);
        }
        out
    }
}

/// Whether resolving `schema` can depend on the answers (`dependencies`, `if`, `oneOf`, `anyOf`
/// anywhere outside the property schemas, which are resolved on their own).
pub fn is_conditional(schema: &Value) -> bool {
    let mut stack = vec![schema];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(o) => {
                for (k, child) in o {
                    match k.as_str() {
                        "dependencies" | "if" | "oneOf" | "anyOf" => return true,
                        "properties" => {}
                        _ => stack.push(child),
                    }
                }
            }
            Value::Array(a) => stack.extend(a.iter()),
            _ => {}
        }
    }
    false
}

fn merge(into: &mut Resolved, seen: &mut HashSet<String>, schema: &Value, skip: Option<&str>) {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            if Some(k.as_str()) != skip && !into.properties.contains_key(k) {
                into.properties.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(req) = schema.get("required").and_then(Value::as_array) {
        for r in req.iter().filter_map(Value::as_str) {
            if seen.insert(r.to_string()) {
                into.required.push(r.to_string());
            }
        }
    }
}

/// Whether `value` is valid against `schema` (draft 7); an uncompilable schema counts as valid.
pub fn holds(schema: &Value, value: &Value) -> bool {
    crate::backstage::json_schema::holds(schema, value)
}

/// The parts a schema dependency of answered `key` adds: the dependency without its branches,
/// then the first `oneOf`/`anyOf` branch whose `key` condition the answers `doc` meet (without
/// that condition).
fn dependency_parts(key: &str, dep: &Value, doc: &Value) -> Vec<Value> {
    let mut plain = dep.clone();
    if let Some(o) = plain.as_object_mut() {
        o.remove("oneOf");
        o.remove("anyOf");
    }
    let mut parts = vec![plain];
    let branches = dep
        .get("oneOf")
        .or_else(|| dep.get("anyOf"))
        .and_then(Value::as_array);
    for branch in branches.into_iter().flatten() {
        let Some(cond) = branch.pointer(&format!(
            "/properties/{}",
            key.replace('~', "~0").replace('/', "~1")
        )) else {
            continue;
        };
        let test = serde_json::json!({"type": "object", "properties": {key: cond}});
        if holds(&test, doc) {
            let mut b = branch.clone();
            if let Some(p) = b.get_mut("properties").and_then(Value::as_object_mut) {
                p.shift_remove(key);
            }
            parts.push(b);
            break;
        }
    }
    parts
}

/// Resolves `schema` against `answers` as RJSF's `retrieveSchema` does: `dependencies` (property
/// lists and schemas, `oneOf` picking the first branch whose condition property matches),
/// `if/then/else` and `allOf`; nested conditionals of merged parts are resolved too.
pub fn resolve(schema: &Value, answers: &Map<String, Value>) -> Resolved {
    let mut out = Resolved {
        order: schema.get("ui:order").and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        }),
        ..Resolved::default()
    };
    let doc = Value::Object(answers.clone());
    let mut seen: HashSet<String> = HashSet::new();
    // First in, first out: parts merge in document order (allOf members, then branches).
    let mut queue = std::collections::VecDeque::from([schema.clone()]);
    let mut guard = 0;
    while let Some(s) = queue.pop_front() {
        guard += 1;
        if guard > 64 {
            break;
        }
        merge(&mut out, &mut seen, &s, None);
        if let Some(deps) = s.get("dependencies").and_then(Value::as_object) {
            for (key, dep) in deps.iter().filter(|(k, _)| answers.contains_key(*k)) {
                match dep {
                    Value::Array(names) => {
                        for n in names.iter().filter_map(Value::as_str) {
                            if seen.insert(n.to_string()) {
                                out.required.push(n.to_string());
                            }
                        }
                    }
                    Value::Object(_) => queue.extend(dependency_parts(key, dep, &doc)),
                    _ => {}
                }
            }
        }
        if let Some(cond) = s.get("if") {
            let branch = if holds(cond, &doc) {
                s.get("then")
            } else {
                s.get("else")
            };
            if let Some(b) = branch {
                queue.push_back(b.clone());
            }
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            for part in all {
                queue.push_back(part.clone());
            }
        }
    }
    out
}

/// Checks one answer against its property's schema; the message is the schema's own
/// (`errorMessage`, as ajv-errors shows it in Backstage's form) or the validator's.
pub fn check(schema: &Value, value: &Value) -> Result<(), String> {
    let validator = match crate::backstage::json_schema::compile(schema) {
        Ok(v) => v,
        Err(_) => return Ok(()),
    };
    let errors: Vec<(String, String)> = validator
        .iter_errors(value)
        .map(|e| (keyword(&e), e.to_string()))
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    let own = schema.get("errorMessage");
    let mut msgs = Vec::new();
    for (kw, msg) in errors {
        let m = match own {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Object(o)) => o
                .get(&kw)
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or(msg),
            _ => msg,
        };
        if !msgs.contains(&m) {
            msgs.push(m);
        }
    }
    Err(msgs.join("; "))
}

fn keyword(e: &jsonschema::ValidationError<'_>) -> String {
    e.schema_path()
        .to_string()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn oneof_dependency_adds_the_selected_branch() {
        let page = json!({
            "properties": {"target": {"type": "string", "enum": ["k8s", "vm"]}},
            "dependencies": {"target": {"oneOf": [
                {"properties": {"target": {"const": "k8s"}, "namespace": {"type": "string"}}, "required": ["namespace"]},
                {"properties": {"target": {"const": "vm"}, "size": {"type": "string"}}}
            ]}}
        });
        let none = resolve(&page, &Map::new());
        assert_eq!(none.ordered(), vec!["target"]);
        let k8s = resolve(&page, json!({"target": "k8s"}).as_object().unwrap());
        assert_eq!(k8s.ordered(), vec!["target", "namespace"]);
        assert_eq!(k8s.required, vec!["namespace"]);
        let vm = resolve(&page, json!({"target": "vm"}).as_object().unwrap());
        assert_eq!(vm.ordered(), vec!["target", "size"]);
    }

    #[test]
    fn all_of_members_merge_in_order() {
        let page = json!({"properties": {"a": {}}, "allOf": [{"properties": {"b": {}}}, {"properties": {"c": {}}}]});
        assert_eq!(resolve(&page, &Map::new()).ordered(), vec!["a", "b", "c"]);
    }

    #[test]
    fn ui_order_with_star() {
        let page = json!({"ui:order": ["c", "*", "a"], "properties": {"a": {}, "b": {}, "c": {}, "d": {}}});
        assert_eq!(
            resolve(&page, &Map::new()).ordered(),
            vec!["c", "b", "d", "a"]
        );
    }

    #[test]
    fn if_then_else() {
        let page = json!({"properties": {"x": {"type": "boolean"}}, "if": {"properties": {"x": {"const": true}}, "required": ["x"]}, "then": {"properties": {"y": {}}}, "else": {"properties": {"z": {}}}});
        assert_eq!(
            resolve(&page, json!({"x": true}).as_object().unwrap()).ordered(),
            vec!["x", "y"]
        );
        assert_eq!(
            resolve(&page, json!({"x": false}).as_object().unwrap()).ordered(),
            vec!["x", "z"]
        );
    }

    #[test]
    fn error_message_from_the_schema() {
        let s = json!({"type": "string", "pattern": "^[a-z]+$", "errorMessage": {"pattern": "lower case only"}});
        assert_eq!(check(&s, &json!("Abc")), Err("lower case only".into()));
        assert!(check(
            &json!({"type": "string", "pattern": "^[a-z]+$"}),
            &json!("Abc")
        )
        .unwrap_err()
        .contains("does not match"));
        assert!(check(&s, &json!("abc")).is_ok());
    }
}
