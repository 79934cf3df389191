//! The software catalog golden registers services in: one [`Catalog`] interface with two
//! implementations, a real Backstage catalog over HTTP ([`backstage::Backstage`], used when
//! `catalog.backstage.baseUrl` is configured) and golden's embedded catalog, a SQLite file in
//! the data directory ([`local::Local`], the default).
//!
//! For pickers (OwnerPicker, EntityPicker, ...): `catalog::open(&config, &home, &cwd)?.list(&filter)`
//! returns Backstage-shaped entity JSON (`apiVersion`, `kind`, `metadata`, `spec`, `relations`);
//! name each entity with [`entity::ref_of`]. A picker's `catalogFilter` is matched by
//! `backstage::catalog_filter`.

pub mod backstage;
pub mod entity;
pub mod local;
pub mod process;
pub mod query;
pub mod read;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::backstage::catalog_filter::{self, FilterSet};
use crate::config::Config;
use crate::error::{Error, Result};
pub use read::Location;

/// What a registration did.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The location as stored (`url:https://…`, `file:/abs/path`).
    pub location: Location,
    /// The entities the location holds (Backstage's dry-run view: defaults filled, annotations
    /// added), the location's own `generated-*` entity excluded.
    pub entities: Vec<Value>,
    /// The location was registered before (Backstage's 409); the local catalog refreshed it.
    pub already_registered: bool,
}

impl Registration {
    /// The ref of the entity `catalog:register` reports
    /// ([`crate::backstage::entity_ref::reported`]).
    pub fn entity_ref(&self) -> Option<String> {
        crate::backstage::entity_ref::reported(&self.entities).map(entity::ref_of)
    }
}

/// Which entities [`Catalog::list`] returns: one set of Backstage's entity filter
/// ([`Filter::conditions`]). Every condition must hold; an empty filter keeps everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Keep these kinds (`Component`, `Group`, ...); empty = any kind.
    pub kinds: Vec<String>,
    /// Keep entities with an `ownedBy` relation to this owner (`team-a`, `group:default/team-a`,
    /// `user:jdoe`; a bare name means a Group in `default`).
    pub owner: Option<String>,
    /// Extra conditions: a dotted field path (`spec.type`, `metadata.namespace`,
    /// `metadata.tags`) and the values it may have (an array field matches when any item does;
    /// no values: the field exists).
    pub fields: Vec<(String, Vec<String>)>,
}

impl Filter {
    /// The owner as a full entity ref (`group:default/team-a`).
    pub fn owner_ref(&self) -> Option<Result<String, String>> {
        self.owner
            .as_deref()
            .map(|o| entity::parse_ref(o, Some("Group"), None).map(|r| r.to_string()))
    }

    /// The filter as one set of the catalog's entity filter (`kind`, `relations.ownedBy`, the
    /// fields); an owner that is not an entity ref is the error.
    pub fn conditions(&self) -> Result<FilterSet, String> {
        let mut set: FilterSet = self
            .kinds
            .iter()
            .map(|k| ("kind".to_string(), Some(k.to_lowercase())))
            .collect();
        if let Some(owner) = self.owner_ref() {
            set.push(("relations.ownedBy".to_string(), Some(owner?)));
        }
        for (path, values) in &self.fields {
            if values.is_empty() {
                set.push((path.clone(), None));
            }
            set.extend(values.iter().map(|v| (path.clone(), Some(v.clone()))));
        }
        Ok(set)
    }

    /// Whether `entity` passes the filter (`backstage::catalog_filter`'s rule).
    pub fn matches(&self, e: &Value) -> bool {
        self.conditions()
            .is_ok_and(|set| catalog_filter::matches(e, &[set]))
    }
}

/// What unregistering removed.
#[derive(Debug, Clone)]
pub struct Unregistration {
    /// The location that owned the entity (removed with everything it held).
    pub location: Location,
    /// The entity refs that left the catalog (when the catalog says).
    pub removed: Vec<String>,
}

/// A software catalog: the embedded one or a Backstage.
pub trait Catalog {
    /// Where the catalog is, for messages ("the local catalog at …", "the Backstage catalog at …").
    fn describe(&self) -> String;

    /// Registers the catalog file at `location` (a path or URL, see [`Location::parse`]).
    /// Registering a location again succeeds with `already_registered` set.
    fn register(&self, location: &str) -> Result<Registration>;

    /// Entities passing `filter`, sorted by ref.
    fn list(&self, filter: &Filter) -> Result<Vec<Value>>;

    /// One entity by its full ref (`component:default/svc`), `None` when absent.
    fn get(&self, entity_ref: &str) -> Result<Option<Value>>;

    /// Removes the location that holds `entity_ref`, and every entity it holds.
    fn unregister(&self, entity_ref: &str) -> Result<Unregistration>;

    /// What it reads catalog files with.
    fn context(&self) -> &ReadContext;

    /// Registers a file holding `Location` entities whose `targets` point at more catalog files
    /// (to seed groups, users, systems): the file is registered and its targets followed.
    fn import(&self, file: &str) -> Result<Registration> {
        let location = Location::parse(file, &self.context().cwd)?;
        let text = location.read(&self.context().config)?;
        let docs = crate::template::yaml::parse_documents(&text).map_err(|e| {
            Error::usage(format!(
                "{location}:{}:{}: {}",
                e.pos.line, e.pos.column, e.message
            ))
        })?;
        let kinds: Vec<String> = docs
            .iter()
            .filter(|d| !d.value.is_null())
            .map(|d| d.value["kind"].as_str().unwrap_or("?").to_string())
            .collect();
        if kinds.is_empty() || kinds.iter().any(|k| k != "Location") {
            return Err(Error::usage(format!("`{file}` is not a Location file (it holds kinds: {})", if kinds.is_empty() { "none".into() } else { kinds.join(", ") }))
                .hint("import takes `kind: Location` entities with `spec.targets`; use `golden catalog register` for other catalog files"));
        }
        self.register(file)
    }
}

/// What a catalog reads catalog files with: golden's config (the integrations and tokens for
/// URLs, the redactor) and the directory relative paths resolve against (the one golden
/// started in).
#[derive(Clone, Default)]
pub struct ReadContext {
    pub config: Config,
    pub cwd: PathBuf,
}

/// The configured catalog: Backstage when `catalog.backstage.baseUrl` is set, else the local
/// catalog in `home` (golden's data directory).
/// Relative paths resolve against `cwd`.
pub fn open(config: &Config, home: &Path, cwd: &Path) -> Result<Box<dyn Catalog>> {
    let context = ReadContext {
        config: config.clone(),
        cwd: cwd.to_path_buf(),
    };
    match config
        .catalog
        .backstage
        .as_ref()
        .filter(|b| !b.base_url.trim().is_empty())
    {
        Some(b) => Ok(Box::new(backstage::Backstage::new(b, context)?)),
        None => Ok(Box::new(local::Local::open(home, context))),
    }
}

/// Parses a ref given on the command line or in a step (`svc` means `component:default/svc`).
pub fn full_ref(
    text: &str,
    default_kind: Option<&str>,
    default_namespace: Option<&str>,
) -> Result<String> {
    entity::parse_ref(text, default_kind, default_namespace)
        .map(|r| r.to_string())
        .map_err(Error::usage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_like_catalog_filter() {
        let e = json!({"kind": "Component", "metadata": {"name": "svc", "tags": ["go", "web"]}, "spec": {"type": "service"},
                       "relations": [{"type": "ownedBy", "targetRef": "group:default/team-a"}]});
        assert!(Filter::default().matches(&e));
        let kinds = |k: &[&str]| Filter {
            kinds: k.iter().map(|s| s.to_string()).collect(),
            ..Filter::default()
        };
        assert!(kinds(&["component"]).matches(&e));
        assert!(!kinds(&["Group", "User"]).matches(&e));
        assert!(Filter {
            owner: Some("team-a".into()),
            ..Filter::default()
        }
        .matches(&e));
        assert!(!Filter {
            owner: Some("user:team-a".into()),
            ..Filter::default()
        }
        .matches(&e));
        let fields = |path: &str, values: &[&str]| Filter {
            fields: vec![(path.into(), values.iter().map(|v| v.to_string()).collect())],
            ..Filter::default()
        };
        assert!(fields("metadata.tags", &["WEB"]).matches(&e));
        assert!(!fields("spec.type", &["website"]).matches(&e));
        assert!(fields("spec.type", &[]).matches(&e));
        assert!(!fields("spec.lifecycle", &[]).matches(&e));
        // The Backstage catalog is asked the same conditions (`?filter=kind=component,...`).
        let f = Filter {
            kinds: vec!["Component".into()],
            owner: Some("team-a".into()),
            ..fields("spec.type", &["service"])
        };
        assert_eq!(
            f.conditions().unwrap(),
            [
                ("kind", Some("component")),
                ("relations.ownedBy", Some("group:default/team-a")),
                ("spec.type", Some("service"))
            ]
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
        );
        assert!(f.matches(&e));
        let bad_owner = Filter {
            owner: Some("a:".into()),
            ..Filter::default()
        };
        assert!(bad_owner.conditions().is_err() && !bad_owner.matches(&e));
    }

    #[test]
    fn picks_the_entity_ref_like_catalog_register() {
        let r = Registration {
            location: Location::parse("/x/catalog-info.yaml", Path::new("/")).unwrap(),
            entities: vec![
                json!({"kind": "Location", "metadata": {"name": "generated-abc", "namespace": "default"}}),
                json!({"kind": "API", "metadata": {"name": "svc-api"}}),
                json!({"kind": "Component", "metadata": {"name": "Svc", "namespace": "default"}}),
            ],
            already_registered: false,
        };
        assert_eq!(r.entity_ref().as_deref(), Some("component:default/svc"));
    }
}
