//! Backstage's catalog queries over entity JSON, for the catalog service golden gives npm action
//! modules: `fields` projections and `order` by a field (the entity filter itself is
//! `backstage::catalog_filter`).

use serde_json::{Map, Value};

use crate::backstage::catalog_filter::search_pairs;

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
               "metadata": {"name": "Svc", "tags": ["java"]},
               "spec": {"type": "service", "owner": "team-a"}})
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
