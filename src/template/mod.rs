//! The Template: a `scaffolder.backstage.io/v1beta3` `kind: Template` entity loaded from disk.
//!
//! Owns reading `template.yaml` (multi-document, CRLF, BOM), picking the Template document,
//! resolving the catalog's `$text`/`$json`/`$yaml` placeholders, checking the document against
//! Backstage's own Template schema, and exposing typed steps and parameter pages. It never renders
//! and never prompts.

pub(crate) mod document;
pub(crate) mod locate;
pub(crate) mod placeholders;
pub(crate) mod root;
pub(crate) mod schema;
pub use crate::backstage::yaml;
// Used by the local catalog, which processes catalog files the way Backstage does.
pub(crate) use placeholders::resolve as resolve_placeholders;
pub(crate) use schema::validator as template_validator;

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, Result};
pub use document::Document;
pub use yaml::{Pos, Spans};

/// A loaded, schema-checked template: the Template [`Document`] (placeholders resolved; its
/// fields are reached through `Deref`: `path`, `dir`, `root`, `source`, `entity`, `spans`) and
/// the typed model read from it.
#[derive(Debug, Clone)]
pub struct Template {
    /// The Template document, checked against Backstage's schema.
    pub document: Document,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, `default` when absent.
    pub namespace: String,
    /// Parameter pages (a single object is one page).
    pub pages: Vec<Value>,
    /// The steps, with defaulted ids.
    pub steps: Vec<Step>,
    /// `spec.output` (links, text, ...), `Null` when absent.
    pub output: Value,
}

/// One step of `spec.steps`.
#[derive(Debug, Clone)]
pub struct Step {
    /// `id`, or `step-N` (1-based) when absent, as Backstage's router does.
    pub id: String,
    /// `name`, or the action id.
    pub name: String,
    pub action: String,
    /// `input` (always an object; the schema check rejects anything else).
    pub input: Map<String, Value>,
    /// `if:` as written (string or boolean).
    pub condition: Option<Value>,
    /// `each:` as written (expression string, list or object).
    pub each: Option<Value>,
    /// Position in `spec.steps`.
    pub index: usize,
}

impl std::ops::Deref for Template {
    type Target = Document;
    fn deref(&self) -> &Document {
        &self.document
    }
}

impl std::ops::DerefMut for Template {
    fn deref_mut(&mut self) -> &mut Document {
        &mut self.document
    }
}

/// The id of the step at `index` (0-based) of `spec.steps`: its `id`, else `step-N` (N from 1),
/// the name Backstage gives a step without one.
pub fn step_id(step: &Value, index: usize) -> String {
    step.get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("step-{}", index + 1))
}

impl Template {
    /// `template:<namespace>/<name>`, the ref `catalog:write` records.
    pub fn entity_ref(&self) -> String {
        format!("template:{}/{}", self.namespace, self.name)
    }

    /// A location in the template's folder named the way the template was named (a skeleton file
    /// `/real/dir/skeleton/a.txt` of `./t/template.yaml` is `./t/skeleton/a.txt`).
    pub fn shown_location(&self, at: &crate::error::Location) -> crate::error::Location {
        use crate::error::Location;
        match at {
            Location::File { path, line, column } => match path.strip_prefix(&self.dir) {
                Ok(rel) => Location::File {
                    path: self
                        .path
                        .parent()
                        .map(|d| d.join(rel))
                        .unwrap_or_else(|| rel.to_path_buf()),
                    line: *line,
                    column: *column,
                },
                Err(_) => at.clone(),
            },
            other => other.clone(),
        }
    }

    /// `metadata.title`, else the name.
    pub fn title(&self) -> &str {
        self.entity
            .pointer("/metadata/title")
            .and_then(Value::as_str)
            .unwrap_or(&self.name)
    }

    /// `metadata.description`, else empty.
    pub fn description(&self) -> &str {
        self.entity
            .pointer("/metadata/description")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// Loads a template from a directory (holding `template.yaml` or `template.yml`) or a file.
    pub fn load(path: &Path) -> Result<Template> {
        let file = if path.is_dir() {
            ["template.yaml", "template.yml"]
                .iter()
                .map(|n| path.join(n))
                .find(|p| p.is_file())
                .ok_or_else(|| {
                    Error::template(format!("`{}` has no template.yaml", path.display()))
                        .hint("pass a directory holding template.yaml, or the file itself")
                })?
        } else {
            path.to_path_buf()
        };
        let bytes =
            crate::limits::read_file(&file).map_err(|e| Error::io("cannot read", &file, e))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::template(format!("`{}` is not UTF-8 text", file.display())))?;
        let real =
            std::fs::canonicalize(&file).map_err(|e| Error::io("cannot resolve", &file, e))?;
        let dir = real
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Self::from_source(&file, &dir, text)
    }

    /// Builds a template from its text; `dir` is where relative references resolve, inside the
    /// source root found from it ([`root::source_root`]).
    pub fn from_source(file: &Path, dir: &Path, text: String) -> Result<Template> {
        Self::from_source_in(file, dir, &root::source_root(dir), text)
    }

    /// [`Template::from_source`] with an explicit source root (a real path holding `dir`), for
    /// templates fetched from elsewhere.
    pub fn from_source_in(file: &Path, dir: &Path, root: &Path, text: String) -> Result<Template> {
        let docs = Document::parse(file, dir, root, &text).map_err(|e| {
            let err = Error::template(format!("invalid YAML: {}", e.message))
                .at(crate::error::Location::file(file, e.pos.line, e.pos.column));
            // An unquoted `: ` or a leading `{` in an expression is the usual cause in templates.
            let text = document::without_bom(&text);
            let line = text.lines().nth(e.pos.line.saturating_sub(1)).unwrap_or_default();
            if line.contains("${{") {
                err.hint("quote values that contain `: ` or start with `{`, e.g. `key: '${{ a }}: ${{ b }}'`")
            } else {
                err
            }
        })?;
        let doc = docs
            .into_iter()
            .find(Document::is_template)
            .ok_or_else(|| {
                Error::template(format!(
                    "`{}` holds no `kind: Template` document",
                    file.display()
                ))
            })?;
        Self::from_document(doc)
    }

    /// Checks a Template document into the typed model: the catalog's placeholders resolved,
    /// Backstage's schema, steps with defaulted ids.
    pub fn from_document(mut document: Document) -> Result<Template> {
        placeholders::resolve(&mut document.entity, &document.root, &document.dir)
            .map_err(|e| e.at(document.path.as_path()))?;
        let mut template = Template {
            document,
            name: String::new(),
            namespace: "default".into(),
            pages: Vec::new(),
            steps: Vec::new(),
            output: Value::Null,
        };
        schema::check(&template)?;
        template.fill();
        Ok(template)
    }

    fn fill(&mut self) {
        let e = &self.document.entity;
        self.name = e
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if let Some(ns) = e.pointer("/metadata/namespace").and_then(Value::as_str) {
            self.namespace = ns.to_string();
        }
        self.pages = match e.pointer("/spec/parameters") {
            Some(Value::Array(pages)) => pages.clone(),
            Some(page @ Value::Object(_)) => vec![page.clone()],
            _ => Vec::new(),
        };
        self.output = e.pointer("/spec/output").cloned().unwrap_or(Value::Null);
        let steps = e
            .pointer("/spec/steps")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        self.steps = steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let action = s
                    .get("action")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                Step {
                    id: step_id(s, i),
                    name: s
                        .get("name")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| action.clone()),
                    action,
                    input: s
                        .get("input")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default(),
                    condition: s.get("if").cloned(),
                    each: s.get("each").cloned(),
                    index: i,
                }
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Template> {
        Template::from_source(Path::new("t.yaml"), Path::new("."), text.to_string())
    }

    const MINIMAL: &str = "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: demo\nspec:\n  type: service\n  steps:\n    - action: debug:log\n      input: { message: hi }\n";

    #[test]
    fn loads_minimal_and_defaults_ids() {
        let t = load(MINIMAL).unwrap();
        assert_eq!(t.name, "demo");
        assert_eq!(t.steps[0].id, "step-1");
        assert_eq!(t.steps[0].name, "debug:log");
        assert_eq!(t.entity_ref(), "template:default/demo");
    }

    #[test]
    fn crlf_bom_and_multi_document() {
        let text = format!("\u{feff}kind: Location\n---\n{}", MINIMAL).replace('\n', "\r\n");
        let t = load(&text).unwrap();
        assert_eq!(t.name, "demo");
    }

    #[test]
    fn step_input_must_be_an_object() {
        let bad = MINIMAL.replace("input: { message: hi }", "input: ${{ parameters.x }}");
        let e = load(&bad).unwrap_err();
        assert_eq!(e.kind, crate::error::Kind::Template);
        assert!(e.to_string().contains("/spec/steps/0/input"), "{e}");
    }

    #[test]
    fn yaml_errors_name_the_line() {
        let e = load("kind: Template\nspec:\n  x: ${{ a }}: ${{ b }}\n").unwrap_err();
        assert!(e.to_string().starts_with("t.yaml:3:"), "{e}");
    }
}
