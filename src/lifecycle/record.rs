//! The record: `.golden.yaml` at the root of every project `golden new` publishes. It says which
//! template made the project (git URL, folder, ref and commit; or a local folder and the hash of
//! its content), the template's `metadata.name`, the golden version, the workspace folder that
//! became the repository, and the answers — never secrets, never values of `ui:field: Secret` or
//! `ui:widget: password` fields. `golden check` and `golden update` read it; `golden new
//! --values .golden.yaml` replays its answers. `golden schema record` prints its JSON Schema.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::template::Template;

/// The record's file name, at the project's root.
pub const FILE: &str = ".golden.yaml";
/// `apiVersion` of the record.
pub const API_VERSION: &str = "golden/v1";
/// `kind` of the record.
pub const KIND: &str = "ProjectRecord";

/// The whole record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub api_version: String,
    pub kind: String,
    pub template: TemplateRef,
    /// The workspace folder (publish `sourcePath`) that became this repository; `""` the root.
    #[serde(default)]
    pub project_path: String,
    pub golden_version: String,
    #[serde(default)]
    pub answers: Map<String, Value>,
}

/// Where the template came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct TemplateRef {
    /// The template's `metadata.name`.
    pub name: String,
    /// The git repository (`None` for a local folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The template's folder inside the repository (`""`: the root).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// The template file inside that folder, when not `template.yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The branch or tag followed (`None`: the default branch).
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The commit the project was rendered from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// A local template folder (absolute), or `built-in:NAME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
    /// For a local folder: the git tree hash of its files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
}

impl Record {
    /// A record for `template` with `answers` (secret fields removed here).
    pub fn new(template: &Template, source: TemplateRef, answers: &Map<String, Value>) -> Record {
        Record {
            api_version: API_VERSION.into(),
            kind: KIND.into(),
            template: TemplateRef {
                name: template.name.clone(),
                ..source
            },
            project_path: String::new(),
            golden_version: env!("CARGO_PKG_VERSION").into(),
            answers: public_answers(template, answers),
        }
    }

    /// The YAML text written to [`FILE`].
    pub fn to_yaml(&self) -> String {
        let v = serde_json::to_value(self).unwrap_or_default();
        format!(
            "# Written by golden: the template this project was made from and the answers given.\n# `golden check` and `golden update` read it; `golden schema record` describes it.\n{}",
            crate::backstage::yaml_out::stringify(&v)
        )
    }

    /// Reads a record file.
    pub fn read(path: &Path) -> Result<Record> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            let mut err = Error::usage(format!("cannot read the record `{}`: {e}", path.display()));
            if e.kind() == std::io::ErrorKind::NotFound {
                err = err.hint("a project made by Backstage or by hand has no record yet: `golden link SOURCE` writes one");
            }
            err
        })?;
        Self::parse(&text).map_err(|e| e.at(path.display().to_string()))
    }

    /// Parses a record's text.
    pub fn parse(text: &str) -> Result<Record> {
        let v = crate::template::yaml::parse_value(text.trim_start_matches('\u{feff}'))
            .map_err(|e| Error::usage(format!("the record is not valid YAML: {}", e.message)))?;
        if !is_record(&v) {
            return Err(Error::usage(format!(
                "not a golden record (expected `apiVersion: {API_VERSION}` and `kind: {KIND}`)"
            )));
        }
        serde_json::from_value(v).map_err(|e| Error::usage(format!("the record is invalid: {e}")))
    }
}

/// The stamp `golden new` hands to publish steps: the record, with its `projectPath`, as the
/// file [`FILE`].
pub fn stamp(record: Record) -> std::sync::Arc<crate::services::Stamp> {
    std::sync::Arc::new(move |project_path: &str| {
        let mut r = record.clone();
        r.project_path = project_path.to_string();
        (FILE.to_string(), r.to_yaml().into_bytes())
    })
}

/// Whether a parsed YAML document is a record (so `--values` can take its answers).
pub fn is_record(v: &Value) -> bool {
    v.get("apiVersion").and_then(Value::as_str) == Some(API_VERSION)
        && v.get("kind").and_then(Value::as_str) == Some(KIND)
}

/// `answers` without secret fields: every property (at any depth of any page) whose schema says
/// `ui:field: Secret` or `ui:widget: password` is dropped.
pub fn public_answers(template: &Template, answers: &Map<String, Value>) -> Map<String, Value> {
    let mut secret = Vec::new();
    for page in &template.pages {
        secret_paths(page, "", &mut secret);
    }
    let mut out = answers.clone();
    for path in secret {
        remove_dotted(&mut out, &path);
    }
    out
}

fn secret_paths(schema: &Value, prefix: &str, out: &mut Vec<String>) {
    let Some(obj) = schema.as_object() else {
        return;
    };
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        for (name, p) in props {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            let field = p.get("ui:field").and_then(Value::as_str);
            let widget = p.get("ui:widget").and_then(Value::as_str);
            if field == Some("Secret") || widget == Some("password") {
                out.push(path.clone());
            }
            secret_paths(p, &path, out);
        }
    }
    for k in ["oneOf", "anyOf", "allOf"] {
        for s in obj.get(k).and_then(Value::as_array).into_iter().flatten() {
            secret_paths(s, prefix, out);
        }
    }
    for k in ["then", "else", "if", "items"] {
        if let Some(s) = obj.get(k) {
            secret_paths(s, prefix, out);
        }
    }
    if let Some(d) = obj.get("dependencies").and_then(Value::as_object) {
        for s in d.values() {
            secret_paths(s, prefix, out);
        }
    }
}

fn remove_dotted(map: &mut Map<String, Value>, path: &str) {
    match path.split_once('.') {
        None => {
            map.remove(path);
        }
        Some((head, rest)) => {
            if let Some(Value::Object(m)) = map.get_mut(head) {
                remove_dotted(m, rest);
            }
        }
    }
}

/// The JSON Schema of the record (`golden schema record`).
pub fn schema() -> Value {
    serde_json::json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://golden.invalid/schemas/record.v1.json",
        "title": "golden project record (.golden.yaml)",
        "description": "The template a project was generated from and the answers given; read by `golden check` and `golden update`.",
        "type": "object",
        "required": ["apiVersion", "kind", "template", "goldenVersion", "answers"],
        "properties": {
            "apiVersion": {"const": API_VERSION},
            "kind": {"const": KIND},
            "template": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "description": "The template's metadata.name."},
                    "url": {"type": "string", "description": "The git repository the template was fetched from."},
                    "path": {"type": "string", "description": "The template's folder inside the repository (absent: the root)."},
                    "file": {"type": "string", "description": "The template file in that folder when it is not template.yaml."},
                    "ref": {"type": "string", "description": "The branch or tag followed (absent: the default branch)."},
                    "commit": {"type": "string", "pattern": "^[0-9a-f]{40}$", "description": "The commit the project was rendered from."},
                    "dir": {"type": "string", "description": "A local template folder (or built-in:NAME) when the template was not fetched."},
                    "contentHash": {"type": "string", "description": "The git tree hash of a local template folder's files."}
                },
                "additionalProperties": false
            },
            "projectPath": {"type": "string", "description": "The workspace folder (publish sourcePath) that became this repository; empty for the root."},
            "goldenVersion": {"type": "string"},
            "answers": {"type": "object", "description": "The parameters given, without secrets or password fields."}
        },
        "additionalProperties": false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Template {
        let text = r#"
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: t}
spec:
  type: service
  parameters:
    - properties:
        name: {type: string}
        pw: {type: string, ui:widget: password}
        db:
          type: object
          properties:
            host: {type: string}
            key: {type: string, ui:field: Secret}
  steps: []
"#;
        Template::from_source(Path::new("t/template.yaml"), Path::new("t"), text.into()).unwrap()
    }

    #[test]
    fn never_holds_secret_fields_and_round_trips() {
        let t = template();
        let answers =
            serde_json::json!({"name": "demo", "pw": "hunter2", "db": {"host": "h", "key": "k3y"}});
        let r = Record::new(
            &t,
            TemplateRef {
                url: Some("file:///x.git".into()),
                commit: Some("a".repeat(40)),
                ..Default::default()
            },
            answers.as_object().unwrap(),
        );
        let text = r.to_yaml();
        assert!(!text.contains("hunter2") && !text.contains("k3y"), "{text}");
        assert!(text.contains("host: h"), "{text}");
        let back = Record::parse(&text).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.template.name, "t");
        let schema = crate::backstage::json_schema::compile(&schema()).unwrap();
        let v = crate::template::yaml::parse_value(&text).unwrap();
        assert!(schema.is_valid(&v), "{text}");
        assert!(Record::parse("a: 1").is_err());
    }
}
