//! One finding of `golden validate`: a stable code, a severity, a message, where (file, line,
//! column, byte range) and what to do. Drawing them is the job of `crate::output::diagnostics`.

use std::path::PathBuf;

use serde::Serialize;

/// How bad a finding is. Errors fail `golden validate`; warnings fail it with `--deny-warnings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Where a finding is: 1-based line and column (in characters) and the byte range in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    pub line: usize,
    pub column: usize,
    /// Line and column just after the last character (exclusive end, as SARIF counts).
    pub end_line: usize,
    pub end_column: usize,
    #[serde(skip)]
    pub start: usize,
    #[serde(skip)]
    pub end: usize,
}

/// A finding.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    /// Stable code (see [`super::codes`]).
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The file the span points into (the template, or a skeleton file).
    pub file: PathBuf,
    pub span: Option<Span>,
    /// A short label under the caret.
    pub label: Option<String>,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A finding with the code's default severity.
    pub fn new(code: &'static str, file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: super::codes::severity(code),
            message: message.into(),
            file: file.into(),
            span: None,
            label: None,
            hint: None,
        }
    }
    pub fn at(mut self, span: Option<Span>) -> Self {
        self.span = span;
        self
    }
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub fn maybe_hint(mut self, hint: Option<String>) -> Self {
        if hint.is_some() {
            self.hint = hint;
        }
        self
    }
}
