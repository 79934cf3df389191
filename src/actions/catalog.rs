//! `catalog:write` (the entity as npm `yaml` writes it, with the `backstage.io/source-template`
//! annotation, as Backstage 4.3.0 does) and `catalog:register` (predicted in a dry run; the real
//! registration is `catalog_client::run_register`).

use serde_json::{Map, Value};

use super::{opt_str, predict, schemas, yaml_out};
use crate::runner::{Action, ActionContext, ActionError, Outputs};
use crate::workspace;

pub fn actions() -> Vec<Box<dyn Action>> {
    vec![Box::new(Write), Box::new(Register)]
}

struct Write;

impl Action for Write {
    fn id(&self) -> &'static str {
        "catalog:write"
    }
    fn description(&self) -> &'static str {
        "Writes the catalog-info.yaml for your template"
    }
    fn input_schema(&self) -> Value {
        schemas::input(self.id())
    }
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        let path = opt_str(input, "filePath").unwrap_or("catalog-info.yaml");
        let entity = input
            .get("entity")
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        ctx.info(format!("Writing {path}"));
        let doc = with_source_template(&entity, ctx.template_ref)?;
        let out = workspace::safe_join(ctx.workspace, path)?;
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                ActionError::new(format!("cannot create `{}`: {e}", parent.display()))
            })?;
            // created inside the workspace: check again now that the folders exist
            workspace::safe_join(ctx.workspace, path)?;
        }
        super::file_io::write_with_mode(&out, yaml_out::stringify(&doc).as_bytes(), 0o666)
            .map_err(|e| ActionError::new(format!("cannot write `{}`: {e}", out.display())))?;
        Ok(Map::new())
    }
}

/// `{...entity, metadata: {...entity.metadata, annotations: {...annotations,
/// "backstage.io/source-template": ref}}}` with JavaScript's spread semantics.
pub fn with_source_template(entity: &Value, template_ref: &str) -> Result<Value, ActionError> {
    let mut doc = spread(entity);
    let metadata = match entity.get("metadata") {
        None | Some(Value::Null) => {
            return Err(ActionError::new(
                "Cannot read properties of undefined (reading 'annotations')",
            )
            .with_hint("catalog:write needs an `entity` with `metadata`"))
        }
        Some(m) => m,
    };
    let mut meta = spread(metadata);
    let mut annotations = spread(metadata.get("annotations").unwrap_or(&Value::Null));
    annotations.insert(
        "backstage.io/source-template".into(),
        Value::String(template_ref.to_string()),
    );
    meta.insert("annotations".into(), Value::Object(annotations));
    doc.insert("metadata".into(), Value::Object(meta));
    Ok(Value::Object(doc))
}

/// `{...v}`: an object's own keys; a string's characters by index; nothing for anything else.
fn spread(v: &Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m.clone(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| (i.to_string(), x.clone()))
            .collect(),
        Value::String(s) => s
            .chars()
            .enumerate()
            .map(|(i, c)| (i.to_string(), Value::String(c.to_string())))
            .collect(),
        _ => Map::new(),
    }
}

struct Register;

impl Action for Register {
    fn id(&self) -> &'static str {
        "catalog:register"
    }
    fn description(&self) -> &'static str {
        "Registers the published catalog-info.yaml in the software catalog"
    }
    fn input_schema(&self) -> Value {
        schemas::input(self.id())
    }
    fn outputs(&self) -> &'static [&'static str] {
        &["entityRef", "catalogInfoUrl"]
    }
    fn runs_in_dry_run(&self) -> bool {
        false
    }
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        super::catalog_client::run_register(ctx, input)
    }
    /// The `catalogInfoUrl` it would register, and the `entityRef` of the catalog file when a
    /// publish step of this run pushed it.
    fn predict(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        let out = predict::catalog_register(ctx.services, &ctx.record.published, input)?;
        ctx.info(format!(
            "dry run: would register {} in the catalog",
            out.get("catalogInfoUrl")
                .and_then(Value::as_str)
                .unwrap_or_default()
        ));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A dry run calls the action's prediction, with the predicted `catalogInfoUrl` (its `run`
    /// would output nothing in a dry run).
    #[test]
    fn register_predicts_in_a_dry_run() {
        let ws = tempfile::tempdir().unwrap();
        let input = json!({"repoContentsUrl": "https://github.com/acme/svc/blob/main"});
        let services = crate::services::Services::default();
        let (out, log) = crate::actions::testing::run_with(
            &Register,
            ws.path(),
            ws.path(),
            input,
            &services,
            true,
        );
        let out = out.unwrap();
        assert_eq!(
            out["catalogInfoUrl"],
            "https://github.com/acme/svc/tree/main/catalog-info.yaml"
        );
        assert!(
            log.iter().any(|l| l.starts_with("dry run: would register")),
            "{log:?}"
        );
    }

    #[test]
    fn annotation_is_appended_in_place() {
        let e = json!({"apiVersion": "v1", "metadata": {"name": "x", "annotations": {"a": "1"}}, "spec": {}});
        let d = with_source_template(&e, "template:ns/t").unwrap();
        assert_eq!(
            yaml_out::stringify(&d),
            "apiVersion: v1\nmetadata:\n  name: x\n  annotations:\n    a: \"1\"\n    backstage.io/source-template: template:ns/t\nspec: {}\n"
        );
        let no_ann = with_source_template(
            &json!({"kind": "C", "metadata": {"name": "y"}}),
            "template:default/t",
        )
        .unwrap();
        assert_eq!(
            no_ann["metadata"]["annotations"]["backstage.io/source-template"],
            "template:default/t"
        );
        assert!(with_source_template(&json!({"kind": "C"}), "template:default/t").is_err());
    }
}
