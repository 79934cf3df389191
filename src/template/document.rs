//! The lenient Template document: one YAML document of a template file as it is written, with
//! the source position of every node, before anything is checked. Both commands read template
//! files through [`Document::parse`]: `golden new` checks the Template document into a typed
//! [`super::Template`] (placeholders, Backstage's schema, steps with defaulted ids), `golden
//! validate` lints it as it is (`validate::Doc` adds line lookups).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::yaml::{self, Spans, YamlError};

/// One YAML document of a template file, unchecked.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file, as given (used in messages).
    pub path: PathBuf,
    /// The directory relative fetch `url`s resolve from: the template file's real parent.
    pub dir: PathBuf,
    /// The only folder the template may read from (see [`super::root`]): a real path holding `dir`.
    pub root: PathBuf,
    /// The file's text (a leading BOM removed); the spans are offsets into it.
    pub source: String,
    /// The document as JSON.
    pub entity: Value,
    /// Source positions of the document's nodes.
    pub spans: Spans,
}

impl Document {
    /// Every YAML document of `text` (a leading BOM removed), in order, `kind: Template` or not.
    pub fn parse(
        file: &Path,
        dir: &Path,
        root: &Path,
        text: &str,
    ) -> Result<Vec<Document>, YamlError> {
        let text = without_bom(text);
        Ok(yaml::parse_documents(text)?
            .into_iter()
            .map(|d| Document {
                path: file.to_path_buf(),
                dir: dir.to_path_buf(),
                root: root.to_path_buf(),
                source: text.to_string(),
                entity: d.value,
                spans: d.spans,
            })
            .collect())
    }

    /// A `kind: Template` document.
    pub fn is_template(&self) -> bool {
        self.entity.get("kind").and_then(Value::as_str) == Some("Template")
    }

    /// `file:line:column` of the node at a JSON pointer into the document.
    pub fn location(&self, pointer: &str) -> crate::error::Location {
        match self.spans.value(pointer) {
            Some(p) => crate::error::Location::file(&self.path, p.line, p.column),
            None => crate::error::Location::from(self.path.as_path()),
        }
    }
}

/// `text` without a leading byte-order mark.
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}
