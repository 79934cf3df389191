//! The one error of a run that cannot ask: every missing or invalid value with its title,
//! description, allowed values, and the exact `--set` (or `--secrets`) that supplies it.

use serde_json::Value;

use super::schema::{self, label_of, type_of, Ui};
use crate::error::Error;

/// A value golden needed and could not ask for.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Dotted parameter path.
    pub path: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub allowed: Option<String>,
    pub example: String,
    /// `None`: missing; `Some(message)`: given but invalid.
    pub invalid: Option<String>,
    /// A `ui:field: Secret` value (supplied through `--secrets`).
    pub secret: bool,
}

impl Problem {
    pub fn new(
        path: &str,
        prop: &Value,
        _given: Option<&Value>,
        invalid: Option<String>,
        secret: bool,
    ) -> Problem {
        let ui = Ui::of(prop);
        let name = path.rsplit('.').next().unwrap_or(path);
        let title = schema::title(name, prop);
        let (example, allowed) = example_and_allowed(prop, &ui);
        Problem {
            path: path.to_string(),
            title: if title == name { None } else { Some(title) },
            description: schema::help(prop),
            allowed,
            example,
            invalid,
            secret,
        }
    }

    /// One line of the error.
    pub fn line(&self) -> String {
        let mut s = format!("`{}`", self.path);
        if let Some(t) = &self.title {
            s.push_str(&format!(" ({t})"));
        }
        match &self.invalid {
            None => s.push_str(" is missing"),
            Some(m) => s.push_str(&format!(" is invalid: {m}")),
        }
        if let Some(d) = &self.description {
            s.push_str(&format!(" — {d}"));
        }
        if let Some(a) = &self.allowed {
            s.push_str(&format!("; allowed: {a}"));
        }
        if self.secret {
            s.push_str(&format!(
                "; pass it in a file given with `--secrets FILE` holding `{}: VALUE`",
                self.path
            ));
        } else {
            s.push_str(&format!(
                "; pass `--set {}`",
                shell_word(&format!("{}={}", self.path, self.example))
            ));
        }
        s
    }
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_word(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn example_and_allowed(prop: &Value, ui: &Ui) -> (String, Option<String>) {
    if let Some(field) = ui.field.as_deref() {
        if let Some((e, a)) = super::rules::describe(field, ui) {
            return (e, Some(a));
        }
    }
    if let Some(options) = prop
        .get("enum")
        .and_then(Value::as_array)
        .filter(|o| !o.is_empty())
    {
        return (
            label_of(&options[0]),
            Some(enum_list(
                options,
                prop.get("enumNames").or(prop.get("ui:enumNames")),
            )),
        );
    }
    match type_of(prop) {
        "boolean" => ("true".into(), Some("true or false".into())),
        "integer" | "number" => {
            let min = prop.get("minimum").map(label_of);
            let max = prop.get("maximum").map(label_of);
            let what = if type_of(prop) == "integer" {
                "an integer"
            } else {
                "a number"
            };
            let allowed = match (&min, &max) {
                (Some(a), Some(b)) => format!("{what} from {a} to {b}"),
                (Some(a), None) => format!("{what} ≥ {a}"),
                (None, Some(b)) => format!("{what} ≤ {b}"),
                _ => what.to_string(),
            };
            (min.unwrap_or_else(|| "1".into()), Some(allowed))
        }
        "array" => {
            let items = prop.get("items").cloned().unwrap_or(Value::Null);
            match items
                .get("enum")
                .and_then(Value::as_array)
                .filter(|o| !o.is_empty())
            {
                Some(options) => (
                    label_of(&options[0]),
                    Some(format!(
                        "a comma-separated list of {}",
                        enum_list(options, items.get("enumNames"))
                    )),
                ),
                None => ("a,b".into(), Some("a comma-separated list".into())),
            }
        }
        "object" => ("'{}'".into(), Some("a JSON object".into())),
        _ => {
            let mut parts = Vec::new();
            if let Some(p) = prop.get("pattern").and_then(Value::as_str) {
                parts.push(format!("text matching {p}"));
            }
            if let Some(f) = prop.get("format").and_then(Value::as_str) {
                parts.push(format!("format {f}"));
            }
            if let Some(n) = prop.get("minLength") {
                parts.push(format!("at least {n} characters"));
            }
            if let Some(n) = prop.get("maxLength") {
                parts.push(format!("at most {n} characters"));
            }
            (
                "VALUE".into(),
                if parts.is_empty() {
                    None
                } else {
                    Some(parts.join(", "))
                },
            )
        }
    }
}

fn enum_list(options: &[Value], names: Option<&Value>) -> String {
    let names = names.and_then(Value::as_array);
    options
        .iter()
        .enumerate()
        .map(|(i, o)| match names.and_then(|n| n.get(i)).map(label_of) {
            Some(n) if n != label_of(o) => format!("{} ({n})", label_of(o)),
            _ => label_of(o),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error listing every problem.
pub fn error(problems: &[Problem], reason: &str) -> Error {
    let n = problems.len();
    let missing = problems.iter().filter(|p| p.invalid.is_none()).count();
    let what = match (missing, n - missing) {
        (_, 0) => format!("{n} value{} missing", if n == 1 { " is" } else { "s are" }),
        (0, _) => format!("{n} value{} invalid", if n == 1 { " is" } else { "s are" }),
        _ => format!("{n} values are missing or invalid"),
    };
    Error::values(format!("{what}, and golden will not ask for them ({reason})"))
        .with_details(problems.iter().map(Problem::line))
        .hint("pass values with `--set name=value`, `--values FILE` (YAML or JSON) or `GOLDEN_VALUE_<NAME>=value`; run in a terminal without --no-input to be asked")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_name_title_description_allowed_and_set() {
        let p = Problem::new(
            "target",
            &json!({"title": "Deployment target", "description": "Where it runs", "enum": ["kubernetes", "vm"], "enumNames": ["Kubernetes", "Virtual machine"]}),
            None,
            None,
            false,
        );
        assert_eq!(p.line(), "`target` (Deployment target) is missing — Where it runs; allowed: kubernetes (Kubernetes), vm (Virtual machine); pass `--set target=kubernetes`");
        let r = Problem::new(
            "repoUrl",
            &json!({"type": "string", "ui:field": "RepoUrlPicker", "ui:options": {"allowedHosts": ["github.com"]}}),
            None,
            None,
            false,
        );
        assert!(
            r.line()
                .ends_with("pass `--set 'repoUrl=github.com?owner=OWNER&repo=REPO'`"),
            "{}",
            r.line()
        );
        let s = Problem::new(
            "token",
            &json!({"type": "string", "ui:field": "Secret"}),
            None,
            None,
            true,
        );
        assert!(s.line().contains("--secrets FILE"), "{}", s.line());
    }
}
