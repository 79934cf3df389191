//! The real `catalog:register` and `catalog:fetch` (SPEC §5.13, §5.14) against the configured catalog:
//! Backstage when `catalog.backstage.baseUrl` is set, else golden's local catalog. Inputs,
//! outputs and error messages follow Backstage's handlers; one deliberate difference: a location
//! that is already registered (Backstage's 409) is not a failure, so re-running a template is
//! safe (the step log says so).

use serde_json::{json, Map, Value};

use crate::catalog::{self, Catalog};
use crate::runner::{Action, ActionContext, ActionError, Outputs};

/// `catalog:fetch`. (`catalog:register` is declared in `actions/catalog.rs`, with its dry-run
/// prediction; its real run is [`run_register`].)
pub fn actions() -> Vec<Box<dyn Action>> {
    vec![Box::new(Fetch)]
}

/// The catalog the run's services point at.
fn open(ctx: &ActionContext<'_>) -> Result<Box<dyn Catalog>, ActionError> {
    catalog::open(&ctx.services.config, &ctx.services.home, &ctx.services.cwd)
        .map_err(ActionError::from)
}

/// The real `catalog:register` (a dry run predicts instead: `Register::predict` in
/// `actions/catalog.rs`): resolve the catalog file's URL, register it in the configured catalog, output `entityRef` (when the file holds entities) and `catalogInfoUrl`.
pub fn run_register(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    let optional = input
        .get("optional")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let catalog_info_url = crate::actions::predict::catalog_info_url(ctx.services, input)?;
    ctx.info(format!("Registering {catalog_info_url} in the catalog"));
    let mut out = Map::new();
    let result = open(ctx).and_then(|c| {
        let r = c.register(&catalog_info_url).map_err(ActionError::from)?;
        Ok((c.describe(), r))
    });
    match result {
        Ok((where_, r)) => {
            if r.already_registered {
                ctx.info(format!("{} was already registered in {where_}; registering it again changed nothing there", r.location));
            } else {
                ctx.info(format!("registered {} in {where_}", r.location));
            }
            if let Some(e) = r.entity_ref() {
                out.insert("entityRef".into(), json!(e));
            }
        }
        Err(e) if optional => ctx.info(format!(
            "registration failed, ignored because optional is true: {}",
            e.message
        )),
        Err(e) => return Err(e),
    }
    out.insert("catalogInfoUrl".into(), json!(catalog_info_url));
    Ok(out)
}

struct Fetch;

impl Action for Fetch {
    fn id(&self) -> &'static str {
        "catalog:fetch"
    }
    fn description(&self) -> &'static str {
        "Returns entity or entities from the catalog by entity reference(s)"
    }
    fn input_schema(&self) -> Value {
        json!({"type": "object", "additionalProperties": false, "properties": {
            "entityRef": {"type": "string", "description": "Entity reference of the entity to get"},
            "entityRefs": {"type": "array", "items": {"type": "string"}, "description": "Entity references of the entities to get"},
            "optional": {"type": "boolean", "description": "Allow the entity or entities to optionally exist. Default: false"},
            "defaultKind": {"type": "string", "description": "The default kind"},
            "defaultNamespace": {"type": "string", "description": "The default namespace"}
        }, "$schema": "http://json-schema.org/draft-07/schema#"})
    }
    fn outputs(&self) -> &'static [&'static str] {
        &["entity", "entities"]
    }
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        let s = |k: &str| {
            input
                .get(k)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
        };
        let optional = input
            .get("optional")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let (entity_ref, entity_refs) = (
            s("entityRef"),
            input.get("entityRefs").and_then(Value::as_array),
        );
        let mut out = Map::new();
        if entity_ref.is_none() && entity_refs.is_none() {
            if optional {
                return Ok(out);
            }
            return Err(ActionError::new("Missing entity reference or references"));
        }
        let catalog = open(ctx)?;
        let full = |r: &str| {
            catalog::entity::parse_ref(r, s("defaultKind"), s("defaultNamespace"))
                .map(|r| r.to_string())
                .map_err(ActionError::new)
        };
        if let Some(r) = entity_ref {
            let found = catalog.get(&full(r)?)?;
            if found.is_none() && !optional {
                return Err(ActionError::new(format!("Entity {r} not found"))
                    .with_hint(format!("it is not in {}", catalog.describe())));
            }
            out.insert("entity".into(), found.unwrap_or(Value::Null));
        }
        if let Some(refs) = entity_refs {
            let mut items = Vec::new();
            for r in refs {
                let text = r.as_str().unwrap_or_default();
                let found = catalog.get(&full(text)?)?;
                if found.is_none() && !optional {
                    return Err(ActionError::new(format!("Entity {text} not found"))
                        .with_hint(format!("it is not in {}", catalog.describe())));
                }
                items.push(found.unwrap_or(Value::Null));
            }
            out.insert("entities".into(), Value::Array(items));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::backstage::scm_url::resolve_for;

    #[test]
    fn resolves_like_scm_integrations() {
        // Expected values printed by @backstage/integration 2.2.0's resolveUrl (the oracle).
        let gh = |b, u| resolve_for(b, u, true).unwrap();
        assert_eq!(
            gh("https://github.com/o/r/blob/main", "/catalog-info.yaml"),
            "https://github.com/o/r/tree/main/catalog-info.yaml"
        );
        assert_eq!(
            gh("https://github.com/o/r/blob/main/sub", "/catalog-info.yaml"),
            "https://github.com/o/r/tree/main/catalog-info.yaml"
        );
        assert_eq!(
            gh("https://github.com/o/r/blob/main", "catalog-info.yaml"),
            "https://github.com/o/r/tree/catalog-info.yaml"
        );
        assert_eq!(
            gh("https://github.com/o/r/blob/main?x=1", "/a/c.yaml"),
            "https://github.com/o/r/tree/main/a/c.yaml?x=1"
        );
        assert_eq!(
            gh("https://github.com/o/r", "/c.yaml"),
            "https://github.com/o/r/c.yaml"
        );
        assert_eq!(
            resolve_for("https://gitlab.com/g/r/-/blob/main", "/c.yaml", false).unwrap(),
            "https://gitlab.com/g/r/-/blob/main/c.yaml"
        );
        assert_eq!(
            resolve_for(
                "file:///h/forge/github.com/acme/svc.git/blob/main",
                "/catalog-info.yaml",
                false
            )
            .unwrap(),
            "file:///h/forge/github.com/acme/svc.git/blob/main/catalog-info.yaml"
        );
        assert_eq!(
            resolve_for("https://x.com/a/b?ref=1", "https://y.com/c", false).unwrap(),
            "https://y.com/c"
        );
    }
}
