//! `catalogFilter` as the entity pickers apply it: a list of filter objects, any of which may
//! match; in one object every key must match. Keys are dotted paths (`metadata.name`,
//! `spec.type`) or `relations.<type>`; values compare case-insensitively; `{exists: true}`
//! checks presence.

use serde_json::{Map, Value};

/// A value as text: strings as they are, anything else as JSON.
fn label_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Whether an entity matches any filter (no filters: every entity).
pub fn matches_any(entity: &Value, filters: &[Map<String, Value>]) -> bool {
    filters.is_empty() || filters.iter().any(|f| matches(entity, f))
}

/// One `catalogFilter` object: every key must match; keys are dotted paths (`metadata.name`,
/// `spec.type`, `relations.ownedBy`), values compare case-insensitively; `{exists: true}`.
pub fn matches(entity: &Value, filter: &Map<String, Value>) -> bool {
    filter.iter().all(|(key, want)| {
        let found = field_values(entity, key);
        match want {
            Value::Object(o) if o.get("exists").is_some() => {
                let exists = o.get("exists").and_then(Value::as_bool).unwrap_or(true);
                exists != found.is_empty()
            }
            Value::Array(options) => options.iter().any(|w| found.iter().any(|f| eq_ci(f, w))),
            w => found.iter().any(|f| eq_ci(f, w)),
        }
    })
}

fn eq_ci(a: &str, b: &Value) -> bool {
    a.eq_ignore_ascii_case(&label_of(b))
}

/// The string values at a dotted path; `relations.<type>` gives the target refs of that type.
fn field_values(entity: &Value, key: &str) -> Vec<String> {
    if let Some(rel) = key.strip_prefix("relations.") {
        return entity
            .get("relations")
            .and_then(Value::as_array)
            .map(|rs| {
                rs.iter()
                    .filter(|r| {
                        r.get("type")
                            .and_then(Value::as_str)
                            .is_some_and(|t| t.eq_ignore_ascii_case(rel))
                    })
                    .filter_map(|r| {
                        r.get("targetRef")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default();
    }
    let mut cur = entity;
    for part in key.split('.') {
        match cur.get(part) {
            Some(v) => cur = v,
            None => return Vec::new(),
        }
    }
    match cur {
        Value::Array(a) => a.iter().map(label_of).collect(),
        Value::Null => Vec::new(),
        v => vec![label_of(v)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_keys_relations_and_exists() {
        let e = json!({"kind": "Group", "metadata": {"name": "a", "tags": ["x"]}, "relations": [{"type": "hasMember", "targetRef": "user:default/jane"}]});
        let f = |v: Value| v.as_object().unwrap().clone();
        assert!(matches(
            &e,
            &f(json!({"kind": "group", "metadata.tags": "X"}))
        ));
        assert!(matches(
            &e,
            &f(json!({"relations.hasMember": ["user:default/jane"]}))
        ));
        assert!(matches(&e, &f(json!({"spec.type": {"exists": false}}))));
        assert!(!matches(&e, &f(json!({"kind": ["User", "System"]}))));
        assert!(matches_any(&e, &[]));
    }
}
