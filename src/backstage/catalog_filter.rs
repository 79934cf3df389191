//! Backstage's entity filter, written once. Its three spellings are one rule in Backstage, and
//! here: the catalog API's `filter` query (`kind=component,spec.type=service`; golden's catalog
//! service for npm modules), a picker's `catalogFilter` (EntityPicker, OwnerPicker, ...: the
//! picker hands it to the catalog as that same query, `{exists: true}` becoming
//! `CATALOG_FILTER_EXISTS`) and `golden catalog list --kind --owner` (`catalog::Filter`). An
//! entity matches when any set matches; in a set every key must match, and one key's values are
//! alternatives; keys and values are compared lower-cased against the key/value pairs the catalog
//! indexes for the entity (`buildEntitySearch`).

use serde_json::{Map, Value};

/// One filter set: `(key, value)` conditions; a `None` value only asks that the key exists.
pub type FilterSet = Vec<(String, Option<String>)>;

/// Parses `filter` query values (`kind=user,metadata.namespace=default`), one set each.
pub fn parse_query(values: &[String]) -> Vec<FilterSet> {
    values
        .iter()
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| match c.split_once('=') {
                    Some((k, v)) => (k.trim().to_string(), Some(v.trim().to_string())),
                    None => (c.to_string(), None),
                })
                .collect()
        })
        .filter(|s: &FilterSet| !s.is_empty())
        .collect()
}

/// A picker's `catalogFilter` objects as the query the picker sends (`convertSchemaFiltersToQuery`
/// and `CatalogClient`): a string value as it is, an array's strings as alternatives, a truthy
/// `{exists: ...}` as "the key exists", any other value as its JavaScript `toString()`; a `null`,
/// and an array's non-strings, ask nothing.
pub fn from_picker(filters: &[Map<String, Value>]) -> Vec<FilterSet> {
    filters
        .iter()
        .map(|f| {
            let mut set = FilterSet::new();
            for (key, value) in f {
                let mut push = |v: Option<String>| set.push((key.clone(), v));
                match value {
                    Value::Null => {}
                    Value::String(s) => push(Some(s.clone())),
                    Value::Array(items) => items
                        .iter()
                        .filter_map(Value::as_str)
                        .for_each(|s| push(Some(s.to_string()))),
                    Value::Object(o) if o.get("exists").is_some_and(truthy) => push(None),
                    Value::Object(_) => push(Some("[object Object]".into())),
                    other => push(Some(other.to_string())),
                }
            }
            set
        })
        .collect()
}

/// JavaScript truthiness.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Whether an entity matches any of a picker's `catalogFilter` objects (none: every entity).
pub fn matches_any(entity: &Value, filters: &[Map<String, Value>]) -> bool {
    matches(entity, &from_picker(filters))
}

/// The lower-cased `(key, value)` pairs Backstage indexes for an entity.
pub fn search_pairs(entity: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut root = entity.clone();
    if let Some(m) = root.as_object_mut() {
        m.remove("relations");
        if root["metadata"]["namespace"].is_null() {
            root["metadata"]["namespace"] = Value::String("default".into());
        }
    }
    walk("", &root, &mut out);
    for r in entity["relations"].as_array().into_iter().flatten() {
        if let (Some(t), Some(target)) = (r["type"].as_str(), r["targetRef"].as_str()) {
            out.push((
                format!("relations.{}", t.to_lowercase()),
                target.to_lowercase(),
            ));
        }
    }
    out
}

fn walk(path: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Null => out.push((path.to_lowercase(), String::new())),
        Value::Bool(b) => out.push((path.to_lowercase(), b.to_string())),
        Value::Number(n) => out.push((path.to_lowercase(), n.to_string())),
        Value::String(s) => out.push((path.to_lowercase(), s.to_lowercase())),
        Value::Array(items) => {
            for item in items {
                walk(path, item, out);
                if let Value::String(s) = item {
                    out.push((format!("{path}.{s}").to_lowercase(), "true".into()));
                }
            }
        }
        Value::Object(m) => {
            for (k, child) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(&p, child, out);
            }
        }
    }
}

/// Whether `entity` passes any of `sets` (no sets: every entity).
pub fn matches(entity: &Value, sets: &[FilterSet]) -> bool {
    if sets.is_empty() {
        return true;
    }
    let pairs = search_pairs(entity);
    sets.iter().any(|set| {
        let mut keys: Vec<&str> = set.iter().map(|(k, _)| k.as_str()).collect();
        keys.dedup();
        keys.iter().all(|key| {
            let key = key.to_lowercase();
            let wanted: Vec<Option<String>> = set
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(&key))
                .map(|(_, v)| v.as_ref().map(|v| v.to_lowercase()))
                .collect();
            pairs
                .iter()
                .any(|(k, v)| *k == key && wanted.iter().any(|w| w.as_ref().is_none_or(|w| w == v)))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn svc() -> Value {
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
               "metadata": {"name": "Svc", "tags": ["java"], "annotations": {"backstage.io/orphan": "true"}},
               "spec": {"type": "service", "owner": "team-a"},
               "relations": [{"type": "ownedBy", "targetRef": "group:default/team-a"}]})
    }

    #[test]
    fn query_filters_like_the_catalog() {
        let e = svc();
        let f = |s: &[&str]| parse_query(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert!(matches(&e, &f(&["kind=component,spec.type=service"])));
        assert!(
            matches(&e, &f(&["kind=user", "kind=Component"])),
            "sets are OR'd"
        );
        assert!(!matches(&e, &f(&["kind=component,spec.type=website"])));
        assert!(
            matches(&e, &f(&["kind=group,kind=component"])),
            "one key's values are OR'd"
        );
        assert!(matches(&e, &f(&["metadata.tags.java"])));
        assert!(matches(&e, &f(&["metadata.tags=JAVA"])));
        assert!(matches(
            &e,
            &f(&["metadata.namespace=default,metadata.name=svc"])
        ));
        assert!(matches(&e, &f(&["relations.ownedby=group:default/team-a"])));
        assert!(matches(
            &e,
            &f(&["metadata.annotations.backstage.io/orphan=true"])
        ));
        assert!(!matches(&e, &f(&["spec.lifecycle"])));
        assert!(matches(&e, &[]));
    }

    /// What a picker's `catalogFilter` asks, as `convertSchemaFiltersToQuery` and
    /// `CatalogClient.getEntities` turn it into the catalog's `filter` query.
    #[test]
    fn picker_filters_are_the_same_query() {
        let e = json!({"kind": "Group", "metadata": {"name": "a", "tags": ["x"]}, "spec": {"type": "team"},
                       "relations": [{"type": "hasMember", "targetRef": "user:default/jane"}]});
        let m = |v: Value| matches_any(&e, &[v.as_object().unwrap().clone()]);
        assert!(m(json!({"kind": "group", "metadata.tags": "X"})));
        assert!(m(json!({"kind": ["User", "Group"], "spec.type": "team"})));
        assert!(!m(json!({"kind": "Group", "spec.type": "department"})));
        assert!(!m(json!({"kind": ["User", "System"]})));
        assert!(m(json!({"relations.hasMember": ["user:default/jane"]})));
        assert!(m(json!({"spec.type": {"exists": true}})));
        assert!(!m(json!({"spec.profile": {"exists": true}})));
        assert!(
            m(json!({"Metadata.Namespace": "default"})),
            "keys ignore case and the namespace defaults, as in the catalog's index"
        );
        assert!(
            !m(json!({"spec.profile": {"exists": false}})),
            "`{{exists: false}}` is the text \"[object Object]\" in Backstage, which matches nothing"
        );
        assert!(m(json!({"kind": null})), "a null value asks nothing");
        assert_eq!(
            from_picker(&[json!({"a": [1, "b"], "n": 2}).as_object().unwrap().clone()]),
            vec![vec![
                ("a".to_string(), Some("b".to_string())),
                ("n".to_string(), Some("2".to_string()))
            ]]
        );
        assert!(matches_any(&e, &[]));
    }
}
