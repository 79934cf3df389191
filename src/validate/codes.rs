//! The stable codes of `golden validate`, with their severity and a one-line summary (SARIF's
//! rules come from this table; every code has a broken fixture under tests/fixtures/validate/).
//! Codes are never renamed or reused.

use serde::Serialize;

use Severity::{Error, Warning};

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

/// `(code, severity, summary)` for every check.
pub const CODES: &[(&str, Severity, &str)] = &[
    ("yaml-syntax", Error, "the file is not valid YAML"),
    (
        "yaml-duplicate-key",
        Error,
        "a mapping has the same key twice",
    ),
    (
        "merge-conflict",
        Error,
        "an unresolved merge-conflict marker",
    ),
    (
        "not-a-template",
        Warning,
        "the file holds no `kind: Template` document",
    ),
    (
        "placeholder",
        Error,
        "a `$text`/`$json`/`$yaml` placeholder cannot be resolved",
    ),
    (
        "schema",
        Error,
        "the document does not match Backstage's Template v1beta3 schema",
    ),
    (
        "foreign-root-field",
        Error,
        "a top-level key the catalog rejects",
    ),
    (
        "unknown-key",
        Warning,
        "a key Backstage does not know (a typo?)",
    ),
    (
        "param-invalid-schema",
        Error,
        "a parameter page is not a valid JSON Schema (draft-07)",
    ),
    (
        "param-required-unknown",
        Error,
        "`required` names a property that does not exist",
    ),
    (
        "param-pattern",
        Error,
        "a `pattern` is not a valid ECMAScript regular expression",
    ),
    (
        "param-default",
        Error,
        "a `default` does not satisfy its own schema",
    ),
    (
        "param-enum",
        Error,
        "an `enum` value does not satisfy its own schema, or `enumNames` does not match",
    ),
    (
        "param-dependencies",
        Error,
        "`dependencies` is malformed or names a property that does not exist",
    ),
    (
        "param-oneof",
        Warning,
        "a `oneOf` branch of a dependency never matches",
    ),
    (
        "param-ui-field",
        Warning,
        "an unknown `ui:field` (a custom field extension?)",
    ),
    ("param-ui-widget", Warning, "an unknown `ui:widget`"),
    (
        "step-duplicate-id",
        Warning,
        "two steps have the same id (Backstage runs both; the second one's outputs replace the first one's)",
    ),
    (
        "step-duplicate-id-conditional",
        Warning,
        "two steps with an `if:` each have the same id (fine when the conditions exclude each other)",
    ),
    (
        "step-unknown-action",
        Warning,
        "an action golden does not know (built in, from Backstage's and community modules, or the config); an error with `actions.strict: true`",
    ),
    (
        "step-input-required",
        Error,
        "a required input of the action is missing",
    ),
    (
        "step-input-type",
        Error,
        "an input has the wrong type or value for the action",
    ),
    (
        "step-input-unknown",
        Error,
        "an input the action does not accept",
    ),
    (
        "expr-syntax",
        Error,
        "a `${{ }}` in template.yaml does not parse (Backstage keeps the text as written: it mis-renders)",
    ),
    (
        "expr-unknown-filter",
        Error,
        "a filter Backstage does not have, in template.yaml (the text is kept as written: it mis-renders)",
    ),
    (
        "expr-unknown-test",
        Error,
        "an `is` test Backstage does not have, in template.yaml (the text is kept as written: it mis-renders)",
    ),
    (
        "expr-unknown-function",
        Error,
        "a call to a function that does not exist, in template.yaml (the text is kept as written: it mis-renders)",
    ),
    (
        "expr-unknown-method",
        Error,
        "a JavaScript method Backstage 4 rejects, in template.yaml (the text is kept as written: it mis-renders)",
    ),
    (
        "expr-unknown-parameter",
        Warning,
        "`parameters.X` names no declared parameter",
    ),
    ("expr-unknown-step", Error, "`steps.ID` names no step"),
    (
        "expr-later-step",
        Error,
        "`steps.ID` names a step that has not run yet",
    ),
    (
        "expr-unknown-output",
        Warning,
        "`steps.ID.output.Y` names an output the action does not produce",
    ),
    (
        "expr-each-outside",
        Error,
        "`each.*` used outside an `each` step",
    ),
    (
        "expr-unknown-variable",
        Warning,
        "a variable that is not in the context (renders empty)",
    ),
    (
        "skeleton-missing",
        Error,
        "the `url` of a fetch step does not exist",
    ),
    (
        "skeleton-outside",
        Error,
        "the `url` of a fetch step is absolute or leads outside the template's source root",
    ),
    (
        "skeleton-syntax",
        Error,
        "a skeleton file or file name does not parse (fails the fetch step)",
    ),
    (
        "skeleton-unknown-filter",
        Error,
        "a filter Backstage does not have, in a skeleton file (fails the fetch step)",
    ),
    (
        "skeleton-unknown-test",
        Error,
        "an `is` test Backstage does not have, in a skeleton file (fails the fetch step)",
    ),
    (
        "skeleton-unknown-function",
        Error,
        "a call to a function that does not exist, in a skeleton file (fails the fetch step)",
    ),
    (
        "skeleton-unknown-method",
        Error,
        "a JavaScript method Backstage 4 rejects, in a skeleton file (fails the fetch step)",
    ),
    (
        "skeleton-gha-expression",
        Warning,
        "a GitHub Actions expression the scaffolder renders to empty",
    ),
    (
        "skeleton-gha-function",
        Error,
        "a GitHub Actions function call that fails the fetch step",
    ),
    (
        "skeleton-unknown-variable",
        Warning,
        "a skeleton uses a variable other than `values` (renders empty)",
    ),
    (
        "skeleton-unknown-value",
        Warning,
        "`values.X` is not passed in the fetch step's `values`",
    ),
    (
        "skeleton-copy-without-render",
        Warning,
        "`copyWithoutRender` is ignored by Backstage",
    ),
    (
        "output-link-target",
        Warning,
        "an output link has neither `url` nor `entityRef`",
    ),
];

/// The default severity of a code (error for unknown codes, which is a bug).
pub fn severity(code: &str) -> Severity {
    CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, s, _)| *s)
        .unwrap_or(Error)
}

/// The summary of a code.
pub fn summary(code: &str) -> &'static str {
    CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, _, s)| *s)
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for (c, _, s) in CODES {
            assert!(seen.insert(*c), "duplicate code {c}");
            assert!(
                c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'),
                "{c}"
            );
            assert!(!s.is_empty());
        }
    }
}
