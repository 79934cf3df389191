//! Entity references as `@backstage/catalog-model` reads and writes them:
//! `[<kind>:][<namespace>/]<name>` parsed with the same rules and messages as `parseEntityRef`,
//! stringified lower-case (`stringifyEntityRef`), shortened for people (`humanizeEntityRef`),
//! taken from an entity document (`EntityRef::of`, `stringify`), the entity `catalog:register`
//! reports (`reported`), and stripped to a name (`entityRefToName`).

use serde_json::Value;

/// A parsed entity reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for EntityRef {
    /// `kind:namespace/name`, lower-cased (Backstage's `stringifyEntityRef`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}/{}",
            self.kind.to_lowercase(),
            self.namespace.to_lowercase(),
            self.name.to_lowercase()
        )
    }
}

impl EntityRef {
    /// `stringifyEntityRef`: `kind:namespace/name`, lower-cased.
    pub fn full(&self) -> String {
        self.to_string()
    }

    /// The reference of an entity document (`None` without a kind or a name).
    pub fn of(entity: &Value) -> Option<EntityRef> {
        field(entity, "/kind")?;
        field(entity, "/metadata/name")?;
        Some(EntityRef::of_lenient(entity))
    }

    /// The reference of an entity document, a missing kind or name left empty.
    fn of_lenient(entity: &Value) -> EntityRef {
        EntityRef {
            kind: field(entity, "/kind").unwrap_or_default().to_string(),
            namespace: field(entity, "/metadata/namespace")
                .unwrap_or("default")
                .to_string(),
            name: field(entity, "/metadata/name")
                .unwrap_or_default()
                .to_string(),
        }
    }

    /// `humanizeEntityRef`: the kind left out when it is `default_kind`, the namespace when it
    /// is `default`.
    pub fn humanize(&self, default_kind: Option<&str>) -> String {
        let kind = if default_kind.is_some_and(|k| k.eq_ignore_ascii_case(&self.kind)) {
            String::new()
        } else {
            format!("{}:", self.kind.to_lowercase())
        };
        let ns = if self.namespace.eq_ignore_ascii_case("default") {
            String::new()
        } else {
            format!("{}/", self.namespace)
        };
        format!("{kind}{ns}{}", self.name)
    }
}

/// The string at `pointer` of an entity document.
fn field<'a>(entity: &'a Value, pointer: &str) -> Option<&'a str> {
    entity.pointer(pointer).and_then(Value::as_str)
}

/// `stringifyEntityRef(entity)` of an entity document: `kind:namespace/name` lower-cased, the
/// namespace `default` when it has none; a missing kind or name is left empty (documents the
/// catalog has not checked yet).
pub fn stringify(entity: &Value) -> String {
    EntityRef::of_lenient(entity).to_string()
}

/// The entity `catalog:register` reports of a catalog file's entities (its `entityRef` output,
/// SPEC §5.14): the first `Component` not named `generated-*`, else the first entity not named
/// `generated-*`, else the first entity.
pub fn reported(entities: &[Value]) -> Option<&Value> {
    let generated =
        |e: &&Value| field(e, "/metadata/name").is_some_and(|n| n.starts_with("generated-"));
    entities
        .iter()
        .find(|e| !generated(e) && field(e, "/kind") == Some("Component"))
        .or_else(|| entities.iter().find(|e| !generated(e)))
        .or_else(|| entities.first())
}

/// The parts a reference spells out, before defaults: `(kind, namespace, name)`.
type Spelled<'a> = (Option<&'a str>, Option<&'a str>, &'a str);

/// Splits `[<kind>:][<namespace>/]<name>`; a `/` before the first `:` means there is no kind.
fn split(text: &str) -> Result<Spelled<'_>, String> {
    let mut colon = text.find(':');
    let slash = text.find('/');
    if let (Some(s), Some(c)) = (slash, colon) {
        if s < c {
            colon = None;
        }
    }
    let kind = colon.map(|c| &text[..c]);
    let namespace = slash.map(|s| &text[colon.map(|c| c + 1).unwrap_or(0)..s]);
    let start = colon
        .map(|c| c + 1)
        .unwrap_or(0)
        .max(slash.map(|s| s + 1).unwrap_or(0));
    let name = &text[start..];
    if kind == Some("") || namespace == Some("") || name.is_empty() {
        return Err(format!(
            "Entity reference \"{text}\" was not on the form [<kind>:][<namespace>/]<name>"
        ));
    }
    Ok((kind, namespace, name))
}

/// `parseEntityRef(text, {defaultKind, defaultNamespace})`: same rules, same messages; an empty
/// default namespace means `default`.
pub fn parse(
    text: &str,
    default_kind: Option<&str>,
    default_namespace: Option<&str>,
) -> Result<EntityRef, String> {
    if text.is_empty() {
        return Err("Entity reference must not be empty".into());
    }
    let (kind, namespace, name) = split(text)?;
    let kind = kind.or(default_kind).filter(|k| !k.is_empty()).ok_or_else(|| {
        format!(
            "Entity reference {} had missing or empty kind (e.g. did not start with \"component:\" or similar)",
            serde_json::to_string(text).unwrap_or_default()
        )
    })?;
    let namespace = namespace
        .or(default_namespace.filter(|n| !n.is_empty()))
        .unwrap_or("default");
    Ok(EntityRef {
        kind: kind.to_string(),
        namespace: namespace.to_string(),
        name: name.to_string(),
    })
}

/// `entityRefToName`: `user:default/jane` → `jane`.
pub fn to_name(entity_ref: &str) -> &str {
    match entity_ref.rfind([':', '/']) {
        Some(i) => &entity_ref[i + 1..],
        None => entity_ref,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_stringifies_and_humanizes_like_catalog_model() {
        let r = parse("Component:Default/My-Svc", None, None).unwrap();
        assert_eq!(r.to_string(), "component:default/my-svc");
        assert_eq!(
            parse("team-a", Some("Group"), Some("")).unwrap().full(),
            "group:default/team-a"
        );
        let r = parse("a/b:c", Some("k"), None).unwrap();
        assert_eq!((r.namespace.as_str(), r.name.as_str()), ("a", "b:c"));
        assert_eq!(
            parse("svc", None, None).unwrap_err(),
            "Entity reference \"svc\" had missing or empty kind (e.g. did not start with \"component:\" or similar)"
        );
        assert!(parse("component:", None, None)
            .unwrap_err()
            .contains("was not on the form"));
        assert_eq!(
            parse("", None, None).unwrap_err(),
            "Entity reference must not be empty"
        );
        let e = json!({"kind": "Group", "metadata": {"name": "ops", "namespace": "infra"}});
        let r = EntityRef::of(&e).unwrap();
        assert_eq!(r.humanize(Some("group")), "infra/ops");
        assert_eq!(to_name("user:default/jane"), "jane");
        assert_eq!(to_name("bob"), "bob");
    }

    #[test]
    fn stringifies_entity_documents() {
        let e = json!({"kind": "Component", "metadata": {"name": "Demo", "namespace": "Team"}});
        assert_eq!(stringify(&e), "component:team/demo");
        assert_eq!(
            stringify(&json!({"kind": "API", "metadata": {"name": "x-api"}})),
            "api:default/x-api"
        );
        let no_kind = json!({"metadata": {"name": "x"}});
        assert_eq!(stringify(&no_kind), ":default/x");
        assert_eq!(EntityRef::of(&no_kind), None);
        assert_eq!(stringify(&json!(null)), ":default/");
    }

    #[test]
    fn reports_the_first_component_not_generated() {
        let e = |kind: &str, name: &str| json!({"kind": kind, "metadata": {"name": name}});
        let name = |v: Option<&Value>| v.map(|v| v["metadata"]["name"].clone());
        let all = [
            e("Location", "generated-abc"),
            e("API", "x-api"),
            e("Component", "generated-svc"),
            e("Component", "svc"),
        ];
        assert_eq!(name(reported(&all)), Some(json!("svc")));
        assert_eq!(name(reported(&all[..3])), Some(json!("x-api")));
        assert_eq!(name(reported(&all[..1])), Some(json!("generated-abc")));
        let unnamed = [json!({"kind": "Component"})];
        assert_eq!(reported(&unnamed), unnamed.first());
        assert_eq!(reported(&[]), None);
    }
}
