//! Catalog entities as Backstage's catalog-model sees them: entity references (parse and
//! stringify, `[<kind>:][<namespace>/]<name>`), the field-format rules every entity must pass
//! (apiVersion, kind, metadata.name, namespace, labels, annotations, tags, links), the built-in
//! kinds' JSON Schemas (copied from `@backstage/catalog-model` 1.10.3) and the relations each kind
//! emits (`ownedBy`, `partOf`, `dependsOn`, `providesApi`, `consumesApi`, ... and their inverses).

use std::sync::OnceLock;

use serde_json::{json, Value};

use crate::backstage::json_schema;

pub use crate::backstage::entity_ref::{parse as parse_ref, stringify as ref_of};

fn dns_label(v: &str) -> bool {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re =
        RE.get_or_init(|| regex::Regex::new(r"^[a-z0-9]+(?:-+[a-z0-9]+)*$").expect("valid regex"));
    (1..=63).contains(&v.len()) && re.is_match(v)
}

fn dns_subdomain(v: &str) -> bool {
    (1..=253).contains(&v.len()) && v.split('.').all(dns_label)
}

/// `isValidObjectName`: metadata.name, label values, the name part of label/annotation keys.
pub fn valid_name(v: &str) -> bool {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$").expect("valid regex")
    });
    (1..=63).contains(&v.len()) && re.is_match(v)
}

fn prefix_and_or_suffix(v: &str, prefix: fn(&str) -> bool, suffix: fn(&str) -> bool) -> bool {
    let parts: Vec<&str> = v.split('/').collect();
    match parts.as_slice() {
        [s] => suffix(s),
        [p, s] => prefix(p) && suffix(s),
        _ => false,
    }
}

fn api_version_suffix(v: &str) -> bool {
    (1..=63).contains(&v.len()) && v.chars().all(|c| c.is_ascii_alphanumeric())
}

fn valid_kind(v: &str) -> bool {
    (1..=63).contains(&v.len())
        && v.starts_with(|c: char| c.is_ascii_alphabetic())
        && v.chars().all(|c| c.is_ascii_alphanumeric())
}

fn valid_tag(v: &str) -> bool {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE
        .get_or_init(|| regex::Regex::new(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$").expect("valid regex"));
    (1..=63).contains(&v.len()) && re.is_match(v)
}

const ADR: &str = "To learn more about catalog file format, visit: https://github.com/backstage/backstage/blob/master/docs/architecture-decisions/adr002-default-catalog-file-format.md";

fn invalid(field: &str, value: &Value, expectation: &str) -> String {
    let shown = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    format!("\"{field}\" is not valid; expected {expectation} but found \"{shown}\". {ADR}")
}

/// The checks every entity passes before its kind is looked at: the root fields
/// (`NoForeignRootFieldsEntityPolicy`), `FieldFormatEntityPolicy` (with its messages) and the
/// envelope shape. Returns the first problem, as the catalog does.
pub fn check_format(entity: &Value) -> Result<(), String> {
    let Some(obj) = entity.as_object() else {
        return Err(
            "the document is not an object (an entity has apiVersion, kind, metadata and spec)"
                .into(),
        );
    };
    for key in ["apiVersion", "kind", "metadata"] {
        if obj.get(key).is_none_or(Value::is_null) {
            return Err(format!("<root> must have required property '{key}'"));
        }
    }
    for key in obj.keys() {
        if !matches!(
            key.as_str(),
            "apiVersion" | "kind" | "metadata" | "spec" | "relations" | "status"
        ) {
            return Err(format!("Malformed envelope, <root> must NOT have additional properties (`{key}`; only apiVersion, kind, metadata and spec are allowed)"));
        }
    }
    require_str(
        "apiVersion",
        &entity["apiVersion"],
        |v| prefix_and_or_suffix(v, dns_subdomain, api_version_suffix),
        "a valid prefix and/or suffix",
    )?;
    require_str(
        "kind",
        &entity["kind"],
        valid_kind,
        "a string that is a sequence of [a-zA-Z][a-z0-9A-Z], at most 63 characters in total",
    )?;
    if !entity["metadata"].is_object() {
        return Err("metadata must be an object with at least a name".into());
    }
    check_metadata(&entity["metadata"])
}

const NAME_EXPECT: &str = "a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total";

/// `field` holds a string that `ok` accepts (FieldFormatEntityPolicy's message otherwise).
fn require_str(field: &str, v: &Value, ok: fn(&str) -> bool, expect: &str) -> Result<(), String> {
    match v {
        Value::Null => Err(format!("{field} must have a value")),
        Value::String(s) if ok(s) => Ok(()),
        other => Err(invalid(field, other, expect)),
    }
}

/// `metadata`: name, namespace, labels, annotations, tags and links.
fn check_metadata(meta: &Value) -> Result<(), String> {
    require_str("metadata.name", &meta["name"], valid_name, NAME_EXPECT)?;
    if !meta.get("namespace").is_none_or(Value::is_null) {
        require_str("metadata.namespace", &meta["namespace"], dns_label, "a string that is sequences of [a-z0-9] separated by [-], at most 63 characters in total")?;
    }
    let key_ok = |k: &str| prefix_and_or_suffix(k, dns_subdomain, valid_name);
    for (k, v) in meta
        .get("labels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let field = format!("labels.{k}");
        require_str(&field, &json!(k), key_ok, "a valid prefix and/or suffix")?;
        require_str(&field, v, |v| v.is_empty() || valid_name(v), NAME_EXPECT)?;
    }
    for (k, v) in meta
        .get("annotations")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let field = format!("annotations.{k}");
        require_str(&field, &json!(k), key_ok, "a valid prefix and/or suffix")?;
        require_str(&field, v, |_| true, "a string")?;
    }
    for (i, t) in meta
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        require_str(&format!("tags.{i}"), t, valid_tag, "a string that is sequences of [a-z0-9+#] separated by [-], at most 63 characters in total")?;
    }
    for (i, l) in meta
        .get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        require_str(
            &format!("links.{i}.url"),
            &l["url"],
            |u| url::Url::parse(u).is_ok(),
            "a string that is a valid url",
        )?;
        for key in ["title", "icon"] {
            if !l.get(key).is_none_or(Value::is_null) {
                require_str(
                    &format!("links.{i}.{key}"),
                    &l[key],
                    |s| !s.trim().is_empty(),
                    "a non empty string",
                )?;
            }
        }
    }
    Ok(())
}

/// The built-in kinds golden's local catalog accepts, with their JSON Schemas: the eight of
/// Backstage's `BuiltinKindsEntityProcessor`, plus `Template` (scaffolder entity model).
fn kind_validators() -> &'static Vec<(&'static str, jsonschema::Validator)> {
    static V: OnceLock<Vec<(&'static str, jsonschema::Validator)>> = OnceLock::new();
    V.get_or_init(|| {
        let kinds: [(&str, &str); 8] = [
            ("API", include_str!("schemas/API.v1alpha1.schema.json")),
            (
                "Component",
                include_str!("schemas/Component.v1alpha1.schema.json"),
            ),
            (
                "Domain",
                include_str!("schemas/Domain.v1alpha1.schema.json"),
            ),
            ("Group", include_str!("schemas/Group.v1alpha1.schema.json")),
            (
                "Location",
                include_str!("schemas/Location.v1alpha1.schema.json"),
            ),
            (
                "Resource",
                include_str!("schemas/Resource.v1alpha1.schema.json"),
            ),
            (
                "System",
                include_str!("schemas/System.v1alpha1.schema.json"),
            ),
            ("User", include_str!("schemas/User.v1alpha1.schema.json")),
        ];
        kinds
            .into_iter()
            .map(|(kind, text)| (kind, json_schema::compile_with_entities(text)))
            .collect()
    })
}

/// Checks an entity like the catalog does: the field formats, then its kind's schema. An unknown
/// kind or apiVersion gets Backstage's "No processor recognized the entity" error.
pub fn validate(entity: &Value) -> Result<(), String> {
    check_format(entity)?;
    let kind = entity["kind"].as_str().unwrap_or_default();
    let api_version = entity["apiVersion"].as_str().unwrap_or_default();
    let entity_ref = ref_of(entity);
    if kind == "Template" && api_version == "scaffolder.backstage.io/v1beta3" {
        let errors: Vec<String> = crate::template::template_validator()
            .iter_errors(entity)
            .map(|e| {
                format!(
                    "{} {e}",
                    if e.instance_path().as_str().is_empty() {
                        "/".to_string()
                    } else {
                        e.instance_path().to_string()
                    }
                )
            })
            .collect();
        return if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{entity_ref} does not match the Template schema: {}",
                errors.join(", ")
            ))
        };
    }
    let Some((_, validator)) = kind_validators().iter().find(|(k, _)| *k == kind) else {
        return Err(format!("No processor recognized the entity {entity_ref} as valid, possibly caused by a foreign kind or apiVersion"));
    };
    let errors: Vec<String> = validator
        .iter_errors(entity)
        .map(|e| {
            let path = e.instance_path().to_string();
            format!(
                "{} {e}",
                if path.is_empty() {
                    "/".to_string()
                } else {
                    path
                }
            )
        })
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    if !matches!(
        api_version,
        "backstage.io/v1alpha1" | "backstage.io/v1beta1"
    ) {
        // Each built-in kind's schema only takes these apiVersions: anything else is foreign.
        return Err(format!("No processor recognized the entity {entity_ref} as valid, possibly caused by a foreign kind or apiVersion"));
    }
    Err(format!(
        "{entity_ref} is not a valid {kind}: {}",
        errors.join(", ")
    ))
}

/// One relation between two entities (`source` `type` `target`, refs lower-cased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub source: String,
    pub kind: &'static str,
    pub target: String,
}

/// (spec field, relation, inverse relation, default kind) for each built-in kind, as
/// `BuiltinKindsEntityProcessor` and the scaffolder entity model emit them.
fn relation_fields(
    kind: &str,
) -> &'static [(
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
)] {
    match kind {
        "Component" => &[
            ("owner", "ownedBy", "ownerOf", Some("Group")),
            ("subcomponentOf", "partOf", "hasPart", Some("Component")),
            ("providesApis", "providesApi", "apiProvidedBy", Some("API")),
            ("consumesApis", "consumesApi", "apiConsumedBy", Some("API")),
            ("dependsOn", "dependsOn", "dependencyOf", None),
            ("dependencyOf", "dependencyOf", "dependsOn", None),
            ("system", "partOf", "hasPart", Some("System")),
        ],
        "API" => &[
            ("owner", "ownedBy", "ownerOf", Some("Group")),
            ("system", "partOf", "hasPart", Some("System")),
        ],
        "Resource" => &[
            ("owner", "ownedBy", "ownerOf", Some("Group")),
            ("dependsOn", "dependsOn", "dependencyOf", None),
            ("dependencyOf", "dependencyOf", "dependsOn", None),
            ("system", "partOf", "hasPart", Some("System")),
        ],
        "User" => &[("memberOf", "memberOf", "hasMember", Some("Group"))],
        "Group" => &[
            ("parent", "childOf", "parentOf", Some("Group")),
            ("children", "parentOf", "childOf", Some("Group")),
            ("members", "hasMember", "memberOf", Some("User")),
        ],
        "System" => &[
            ("owner", "ownedBy", "ownerOf", Some("Group")),
            ("domain", "partOf", "hasPart", Some("Domain")),
        ],
        "Domain" => &[
            ("owner", "ownedBy", "ownerOf", Some("Group")),
            ("subdomainOf", "partOf", "hasPart", Some("Domain")),
        ],
        "Template" => &[("owner", "ownedBy", "ownerOf", Some("Group"))],
        _ => &[],
    }
}

/// The relations a (valid) entity emits, both directions. A reference that does not parse is an
/// error, as in the catalog's processing.
pub fn relations(entity: &Value) -> Result<Vec<Relation>, String> {
    let me = ref_of(entity);
    let namespace = entity["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default");
    let mut out = Vec::new();
    for (field, relation, inverse, default_kind) in
        relation_fields(entity["kind"].as_str().unwrap_or_default())
    {
        let targets: Vec<&str> = match &entity["spec"][*field] {
            Value::String(s) => vec![s.as_str()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => continue,
        };
        for t in targets {
            let target = parse_ref(t, *default_kind, Some(namespace))
                .map_err(|e| format!("{me}: spec.{field}: {e}"))?
                .to_string();
            out.push(Relation {
                source: me.clone(),
                kind: relation,
                target: target.clone(),
            });
            out.push(Relation {
                source: target,
                kind: inverse,
                target: me.clone(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backstage::entity_ref::EntityRef;

    #[test]
    fn parses_refs_like_catalog_model() {
        let r = parse_ref("Component:Default/My-Svc", None, None).unwrap();
        assert_eq!(r.to_string(), "component:default/my-svc");
        assert_eq!(
            parse_ref("team-a", Some("Group"), None)
                .unwrap()
                .to_string(),
            "group:default/team-a"
        );
        assert_eq!(
            parse_ref("ops/team-a", Some("group"), Some("x"))
                .unwrap()
                .to_string(),
            "group:ops/team-a"
        );
        assert_eq!(
            parse_ref("a/b:c", Some("k"), None).unwrap(),
            EntityRef {
                kind: "k".into(),
                namespace: "a".into(),
                name: "b:c".into()
            }
        );
        assert!(parse_ref("svc", None, None)
            .unwrap_err()
            .contains("missing or empty kind"));
        assert!(parse_ref("component:", None, None)
            .unwrap_err()
            .contains("was not on the form"));
        assert!(parse_ref("", None, None)
            .unwrap_err()
            .contains("must not be empty"));
    }

    fn component(name: &str) -> Value {
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
               "metadata": {"name": name},
               "spec": {"type": "service", "lifecycle": "production", "owner": "team-a", "dependsOn": ["resource:db"], "providesApis": ["svc-api"]}})
    }

    #[test]
    fn validates_format_and_kind_schema() {
        assert_eq!(validate(&component("svc")), Ok(()));
        let e = validate(&component("-bad")).unwrap_err();
        assert!(e.starts_with("\"metadata.name\" is not valid; expected a string that is sequences of [a-zA-Z0-9]"), "{e}");
        let mut no_owner = component("svc");
        no_owner["spec"].as_object_mut().unwrap().remove("owner");
        assert!(validate(&no_owner).unwrap_err().contains("owner"));
        let mut foreign = component("svc");
        foreign["kind"] = json!("Widget");
        assert!(validate(&foreign)
            .unwrap_err()
            .starts_with("No processor recognized the entity widget:default/svc"));
        let mut extra = component("svc");
        extra["extra"] = json!(1);
        assert!(validate(&extra).unwrap_err().starts_with(
            "Malformed envelope, <root> must NOT have additional properties (`extra`"
        ));
        assert_eq!(
            validate(&json!({"kind": "Component", "metadata": {"name": "x"}})).unwrap_err(),
            "<root> must have required property 'apiVersion'"
        );
    }

    #[test]
    fn emits_relations_both_ways() {
        let rels = relations(&component("svc")).unwrap();
        let fwd: Vec<String> = rels
            .iter()
            .filter(|r| r.source == "component:default/svc")
            .map(|r| format!("{} {}", r.kind, r.target))
            .collect();
        assert_eq!(
            fwd,
            [
                "ownedBy group:default/team-a",
                "providesApi api:default/svc-api",
                "dependsOn resource:default/db"
            ]
        );
        assert!(rels.contains(&Relation {
            source: "group:default/team-a".into(),
            kind: "ownerOf",
            target: "component:default/svc".into()
        }));
        let mut bad = component("svc");
        bad["spec"]["dependsOn"] = json!(["db"]);
        assert!(relations(&bad)
            .unwrap_err()
            .contains("missing or empty kind"));
    }
}
