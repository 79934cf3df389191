//! Catalog entities for the entity pickers: the small [`EntitySource`] interface the prompts need,
//! Backstage's `catalogFilter` matching, and entity refs parsed, stringified and humanised as
//! `@backstage/catalog-model` does.

use serde_json::{Map, Value};

/// Where the pickers find entities.
pub trait EntitySource {
    /// Entities matching any of `filters` (each an AND of `field: value(s)` conditions, as in
    /// `catalogFilter`); no filters means every entity.
    fn entities(&self, filters: &[Map<String, Value>]) -> Result<Vec<Value>, String>;
}

/// A fixed list of entities (tests, files).
pub struct Static(pub Vec<Value>);

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
        let list = self
            .0
            .list(&filter)
            .map_err(|e| format!("cannot list {}: {}", self.0.describe(), e.message))?;
        Ok(list
            .into_iter()
            .filter(|e| matches_any(e, filters))
            .collect())
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
    a.eq_ignore_ascii_case(&crate::prompt::schema::label_of(b))
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
        Value::Array(a) => a.iter().map(crate::prompt::schema::label_of).collect(),
        Value::Null => Vec::new(),
        v => vec![crate::prompt::schema::label_of(v)],
    }
}

/// An entity ref's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl EntityRef {
    /// `stringifyEntityRef`: `kind:namespace/name`, lower-cased.
    pub fn full(&self) -> String {
        format!("{}:{}/{}", self.kind, self.namespace, self.name).to_lowercase()
    }
}

/// `parseEntityRef(ref, {defaultKind, defaultNamespace})`: `[kind:][namespace/]name`.
pub fn parse_ref(
    text: &str,
    default_kind: Option<&str>,
    default_namespace: Option<&str>,
) -> Result<EntityRef, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("an entity ref cannot be empty".into());
    }
    let mut colon = t.find(':');
    let slash = t.find('/');
    if let (Some(s), Some(c)) = (slash, colon) {
        if s < c {
            colon = None;
        }
    }
    let kind = colon.map(|c| &t[..c]);
    let namespace = slash.map(|s| &t[colon.map(|c| c + 1).unwrap_or(0)..s]);
    let start = match (colon, slash) {
        (_, Some(s)) => s + 1,
        (Some(c), None) => c + 1,
        _ => 0,
    };
    let name = &t[start..];
    if kind == Some("") || namespace == Some("") || name.is_empty() {
        return Err(format!(
            "Entity reference \"{t}\" was not on the form [<kind>:][<namespace>/]<name>"
        ));
    }
    let kind = kind.or(default_kind).ok_or_else(|| format!("Entity reference \"{t}\" had missing or empty kind (e.g. did not start with \"component:\" or similar)"))?;
    Ok(EntityRef {
        kind: kind.to_string(),
        namespace: namespace
            .or(default_namespace)
            .unwrap_or("default")
            .to_string(),
        name: name.to_string(),
    })
}

/// The ref of an entity document.
pub fn ref_of(entity: &Value) -> Option<EntityRef> {
    Some(EntityRef {
        kind: entity.get("kind")?.as_str()?.to_string(),
        namespace: entity
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string(),
        name: entity.pointer("/metadata/name")?.as_str()?.to_string(),
    })
}

/// `humanizeEntityRef`: kind left out when it is the default kind, namespace when `default`.
pub fn humanize(r: &EntityRef, default_kind: Option<&str>) -> String {
    let kind = if default_kind.is_some_and(|k| k.eq_ignore_ascii_case(&r.kind)) {
        String::new()
    } else {
        format!("{}:", r.kind.to_lowercase())
    };
    let ns = if r.namespace.eq_ignore_ascii_case("default") {
        String::new()
    } else {
        format!("{}/", r.namespace)
    };
    format!("{kind}{ns}{}", r.name)
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
        let f = |v: Value| v.as_object().unwrap().clone();
        assert!(matches(&e, &f(json!({"kind": "group"}))));
        assert!(matches(
            &e,
            &f(json!({"kind": ["User", "Group"], "spec.type": "team"}))
        ));
        assert!(!matches(
            &e,
            &f(json!({"kind": "Group", "spec.type": "department"}))
        ));
        assert!(matches(&e, &f(json!({"spec.type": {"exists": true}}))));
        assert!(!matches(&e, &f(json!({"spec.profile": {"exists": true}}))));
        assert!(matches(
            &e,
            &f(json!({"relations.hasMember": "user:default/jane"}))
        ));
        assert_eq!(humanize(&ref_of(&e).unwrap(), Some("Group")), "a");
        assert_eq!(humanize(&ref_of(&e).unwrap(), None), "group:a");
    }
}
