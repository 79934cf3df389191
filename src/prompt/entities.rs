//! Catalog entities for the entity pickers: the small [`EntitySource`] interface the prompts need
//! and its sources (filtered with `backstage::catalog_filter`), and [`parse_ref`] for a ref a
//! person typed (entity refs themselves are `backstage::entity_ref`).

use serde_json::{Map, Value};

use crate::backstage::catalog_filter::matches_any;
use crate::backstage::entity_ref::EntityRef;

/// Where the pickers find entities.
pub trait EntitySource {
    /// Entities matching any of `filters` (each an AND of `field: value(s)` conditions, as in
    /// `catalogFilter`); no filters means every entity.
    fn entities(&self, filters: &[Map<String, Value>]) -> Result<Vec<Value>, String>;
    /// What it is, for the spinner shown while it answers (`the Backstage catalog at URL`).
    fn describe(&self) -> String {
        "the catalog".into()
    }
}

/// A fixed list of entities (tests).
#[cfg(test)]
pub struct Static(pub Vec<Value>);

#[cfg(test)]
impl EntitySource for Static {
    fn entities(&self, filters: &[Map<String, Value>]) -> Result<Vec<Value>, String> {
        Ok(self
            .0
            .iter()
            .filter(|e| matches_any(e, filters))
            .cloned()
            .collect())
    }
}

/// The configured catalog (`crate::catalog::open`: Backstage when `catalog.backstage.baseUrl` is
/// set, else golden's local catalog) as an entity source.
pub fn configured(context: &crate::settings::Context) -> Result<Box<dyn EntitySource>, String> {
    let catalog = crate::catalog::open(&context.config, &context.home, &context.cwd)
        .map_err(|e| e.message)?;
    Ok(Box::new(CatalogSource(catalog)))
}

/// A [`crate::catalog::Catalog`] read for the pickers: the catalog narrows by kind when every
/// filter names kinds; the rest of `catalogFilter` (`{exists: true}`, `relations.*`) is applied
/// here.
pub struct CatalogSource(pub Box<dyn crate::catalog::Catalog>);

impl EntitySource for CatalogSource {
    fn describe(&self) -> String {
        self.0.describe()
    }

    fn entities(&self, filters: &[Map<String, Value>]) -> Result<Vec<Value>, String> {
        let mut kinds: Vec<String> = Vec::new();
        let all_kinded = !filters.is_empty()
            && filters.iter().all(|f| match f.get("kind") {
                Some(Value::String(k)) => {
                    kinds.push(k.clone());
                    true
                }
                Some(Value::Array(ks)) if ks.iter().all(Value::is_string) => {
                    kinds.extend(ks.iter().filter_map(Value::as_str).map(str::to_string));
                    true
                }
                _ => false,
            });
        let filter = if all_kinded {
            crate::catalog::Filter {
                kinds,
                ..crate::catalog::Filter::default()
            }
        } else {
            crate::catalog::Filter::default()
        };
        let what = self.0.describe();
        let list = self.0.list(&filter).map_err(|e| {
            if e.message.contains(&what) {
                e.message
            } else {
                format!("cannot list {what}: {}", e.message)
            }
        })?;
        Ok(list
            .into_iter()
            .filter(|e| matches_any(e, filters))
            .collect())
    }
}

/// `parseEntityRef(ref, {defaultKind, defaultNamespace})` of what a person typed (trimmed).
pub fn parse_ref(
    text: &str,
    default_kind: Option<&str>,
    default_namespace: Option<&str>,
) -> Result<EntityRef, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("an entity ref cannot be empty".into());
    }
    crate::backstage::entity_ref::parse(t, default_kind, default_namespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_like_catalog_model() {
        let r = parse_ref("Team-A", Some("Group"), None).unwrap();
        assert_eq!(r.full(), "group:default/team-a");
        assert_eq!(
            parse_ref("user:ops/Jane", Some("Group"), None)
                .unwrap()
                .full(),
            "user:ops/jane"
        );
        assert_eq!(
            parse_ref("ops/svc", Some("Component"), Some("x"))
                .unwrap()
                .full(),
            "component:ops/svc"
        );
        assert_eq!(
            parse_ref("svc", Some("Component"), Some("prod"))
                .unwrap()
                .full(),
            "component:prod/svc"
        );
        assert!(
            parse_ref("svc", None, None).is_err(),
            "no kind and no default kind"
        );
        assert!(parse_ref("group:", Some("Group"), None).is_err());
        assert!(parse_ref("a/b:c", Some("Group"), None)
            .is_ok_and(|r| r.namespace == "a" && r.name == "b:c"));
    }

    #[test]
    fn catalog_filter_matching() {
        let e = json!({"kind": "Group", "metadata": {"name": "a"}, "spec": {"type": "team"}, "relations": [{"type": "hasMember", "targetRef": "user:default/jane"}]});
        let matches = |v: Value| {
            Static(vec![e.clone()])
                .entities(&[v.as_object().unwrap().clone()])
                .unwrap()
                .len()
                == 1
        };
        assert!(matches(json!({"kind": "group"})));
        assert!(matches(
            json!({"kind": ["User", "Group"], "spec.type": "team"})
        ));
        assert!(!matches(
            json!({"kind": "Group", "spec.type": "department"})
        ));
        assert!(matches(json!({"spec.type": {"exists": true}})));
        assert!(!matches(json!({"spec.profile": {"exists": true}})));
        assert!(matches(json!({"relations.hasMember": "user:default/jane"})));
        assert_eq!(EntityRef::of(&e).unwrap().humanize(Some("Group")), "a");
        assert_eq!(EntityRef::of(&e).unwrap().humanize(None), "group:a");
    }
}
