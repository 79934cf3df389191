//! Backstage's catalog queries over entity JSON, for the catalog service golden gives npm action
//! modules: entity filters (`kind=component,spec.type=service`, `metadata.tags.java`,
//! `relations.ownedBy=group:default/a`; sets OR'd, conditions AND'd, one key's values OR'd, all
//! case-insensitive, matched against the key/value pairs Backstage's `buildEntitySearch`
//! indexes), `fields` projections and `order` by a field.

use serde_json::{Map, Value};

/// One filter set: `(key, value)` conditions; a `None` value only asks that the key exists.
pub type FilterSet = Vec<(String, Option<String>)>;

/// Parses `filter` query values (`kind=user,metadata.namespace=default`), one set each.
pub fn parse_filters(values: &[String]) -> Vec<FilterSet> {
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

/// The entity with only `fields` kept (dotted paths; none: the whole entity).
pub fn project(entity: &Value, fields: &[String]) -> Value {
    if fields.is_empty() {
        return entity.clone();
    }
    let mut out = Value::Object(Map::new());
    for f in fields {
        let parts: Vec<&str> = f.split('.').collect();
        let mut node = entity;
        let mut found = true;
        for p in &parts {
            match node.get(p) {
                Some(n) => node = n,
                None => {
                    found = false;
                    break;
                }
            }
        }
        if !found {
            continue;
        }
        let mut target = &mut out;
        for p in &parts[..parts.len() - 1] {
            target = target
                .as_object_mut()
                .expect("built as objects")
                .entry(p.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
        }
        if let Some(m) = target.as_object_mut() {
            m.insert(parts[parts.len() - 1].to_string(), node.clone());
        }
    }
    out
}

/// The first value of a dotted field, for sorting (lower-cased text).
pub fn field_text(entity: &Value, field: &str) -> String {
    let key = field.to_lowercase();
    search_pairs(entity)
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .unwrap_or_default()
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
    fn filters_like_the_catalog() {
        let e = svc();
        let f = |s: &[&str]| parse_filters(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>());
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

    #[test]
    fn projects_fields() {
        let p = project(
            &svc(),
            &[
                "kind".into(),
                "metadata.name".into(),
                "spec".into(),
                "nope.x".into(),
            ],
        );
        assert_eq!(
            p,
            json!({"kind": "Component", "metadata": {"name": "Svc"}, "spec": {"type": "service", "owner": "team-a"}})
        );
        assert_eq!(field_text(&svc(), "metadata.name"), "svc");
    }
}
