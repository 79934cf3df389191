//! Turning a location into catalog entities, the way Backstage's processing does for the embedded
//! catalog: read the file, parse every YAML document, resolve `$text`/`$json`/`$yaml` placeholders
//! (files on disk only), validate, default the namespace, add the location annotations, follow the
//! `targets` of `Location` entities, and collect the relations. All problems are reported at once.

use std::collections::HashSet;
use std::path::Path;

use serde_json::{json, Map, Value};

use super::entity::{self, Relation};
use super::read::Location;
use crate::config::Config;
use crate::error::{Error, Result};

/// An entity ready to store, with the relations it emits.
#[derive(Debug, Clone)]
pub struct Processed {
    pub entity: Value,
    pub entity_ref: String,
    pub relations: Vec<Relation>,
}

/// How deep `Location` targets are followed (a Location pointing at a Location ...).
const MAX_DEPTH: usize = 8;

/// Reads `origin` and every location its `Location` entities point to.
pub fn process(origin: &Location, config: &Config) -> Result<Vec<Processed>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut seen_locations = HashSet::new();
    let mut seen_refs = HashSet::new();
    let mut queue = vec![(origin.clone(), 0usize)];
    while let Some((location, depth)) = queue.pop() {
        if !seen_locations.insert(location.to_string()) {
            continue;
        }
        let text = match location.read(config) {
            Ok(t) => t,
            Err(e) if location == *origin => return Err(e),
            Err(e) => {
                problems.push(format!("{location}: {}", e.message));
                continue;
            }
        };
        let docs = match crate::template::yaml::parse_documents(&text) {
            Ok(d) => d,
            Err(e) => {
                problems.push(format!(
                    "{location}:{}:{}: YAMLParseError: {}",
                    e.pos.line, e.pos.column, e.message
                ));
                continue;
            }
        };
        for (i, doc) in docs.into_iter().enumerate() {
            if doc.value.is_null() {
                continue; // an empty document, as after a trailing `---`
            }
            let at = match doc.spans.value("").map(|p| p.line) {
                Some(l) => format!("{location}:{l}"),
                None => format!("{location} (document {})", i + 1),
            };
            let p = match entity_of(doc.value, &location, origin, &mut seen_refs) {
                Ok(p) => p,
                Err(e) => {
                    problems.push(format!("{at}: {e}"));
                    continue;
                }
            };
            if p.entity["kind"] == "Location" {
                for target in location_targets(&p.entity) {
                    if depth + 1 > MAX_DEPTH {
                        problems.push(format!(
                            "{at}: Location targets nest deeper than {MAX_DEPTH} levels"
                        ));
                        break;
                    }
                    match location.join(&target) {
                        Ok(l) => queue.push((l, depth + 1)),
                        Err(e) => problems.push(format!("{at}: {}", e.message)),
                    }
                }
            }
            out.push(p);
        }
    }
    if !problems.is_empty() {
        return Err(Error::usage(format!(
            "{origin} holds entities the catalog rejects; nothing was registered"
        ))
        .with_details(problems));
    }
    if out.is_empty() {
        return Err(Error::usage(format!("{origin} holds no entity")).hint(
            "a catalog-info.yaml holds one or more entities (apiVersion, kind, metadata, spec)",
        ));
    }
    Ok(out)
}

/// One entity read at `location`: placeholders resolved (files on disk only), validated,
/// annotated with its origin, its ref new in this registration, its relations.
fn entity_of(
    mut value: Value,
    location: &Location,
    origin: &Location,
    seen_refs: &mut HashSet<String>,
) -> std::result::Result<Processed, String> {
    if location.kind == "file" {
        let dir = Path::new(&location.target)
            .parent()
            .unwrap_or(Path::new("/"));
        let root = crate::template::root::source_root(dir);
        crate::template::resolve_placeholders(&mut value, &root, dir).map_err(|e| e.message)?;
    } else if let Some(p) = find_placeholder(&value) {
        return Err(format!("the `{p}` placeholder is only resolved for catalog files on disk; golden's local catalog cannot resolve it at a URL"));
    }
    entity::validate(&value)?;
    annotate(&mut value, location, origin);
    let entity_ref = entity::ref_of(&value);
    if !seen_refs.insert(entity_ref.clone()) {
        return Err(format!("Duplicate nested entity: {entity_ref}"));
    }
    let relations = entity::relations(&value)?;
    Ok(Processed {
        entity: value,
        entity_ref,
        relations,
    })
}

/// The first `$text`/`$json`/`$yaml` placeholder in `v` (an object with that single key).
fn find_placeholder(v: &Value) -> Option<&'static str> {
    match v {
        Value::Object(map) => {
            if map.len() == 1 {
                for key in ["$text", "$json", "$yaml"] {
                    if map.contains_key(key) {
                        return Some(key);
                    }
                }
            }
            map.values().find_map(find_placeholder)
        }
        Value::Array(items) => items.iter().find_map(find_placeholder),
        _ => None,
    }
}

/// `spec.target` and `spec.targets` of a Location entity.
fn location_targets(entity: &Value) -> Vec<String> {
    let spec = &entity["spec"];
    let mut out: Vec<String> = spec["target"]
        .as_str()
        .map(str::to_string)
        .into_iter()
        .collect();
    if let Some(items) = spec["targets"].as_array() {
        out.extend(items.iter().filter_map(Value::as_str).map(str::to_string));
    }
    out
}

/// Fills `metadata.namespace` and adds `backstage.io/managed-by-location` and
/// `backstage.io/managed-by-origin-location`; the entity's own annotations win, as in Backstage.
fn annotate(entity: &mut Value, location: &Location, origin: &Location) {
    let meta = entity["metadata"]
        .as_object_mut()
        .expect("validated entities have metadata");
    if meta.get("namespace").is_none_or(Value::is_null) {
        meta.insert("namespace".into(), json!("default"));
    }
    let mut annotations = Map::new();
    annotations.insert(
        "backstage.io/managed-by-location".into(),
        json!(location.to_string()),
    );
    annotations.insert(
        "backstage.io/managed-by-origin-location".into(),
        json!(origin.to_string()),
    );
    if let Some(own) = meta.get("annotations").and_then(Value::as_object) {
        for (k, v) in own {
            annotations.insert(k.clone(), v.clone());
        }
    }
    meta.insert("annotations".into(), Value::Object(annotations));
}
