//! Redaction: the run's list of secret strings (every leaf of the task
//! secrets, password-widget answers, the tokens it holds) and the functions that replace them by
//! `***` in text and JSON. Everything golden writes for people or keeps on disk about a run
//! (progress, logs, `--json`, errors and hints, forge records, saved answers, the catalog) passes
//! through [`Redactor::text`] or [`Redactor::value`] on its way out; the generated project itself is never touched.
//!
//! As Backstage's logger does, values are trimmed and one-character values are not masked (they
//! would turn every such character of the output into `***`).

use std::borrow::Cow;
use std::sync::{Arc, RwLock};

use serde_json::Value;

/// What replaces a secret.
pub const MASK: &str = "***";

/// The run's list of secrets. One is made per run (`crate::run`) and shared, by cheap clones, by
/// the `Printer`, the config (so every integration that learns a token registers it) and the
/// writers of records; there is no process-wide list.
#[derive(Clone, Default)]
pub struct Redactor {
    list: Arc<RwLock<Vec<String>>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.list.read().map(|l| l.len()).unwrap_or(0);
        write!(f, "Redactor({n} forms)")
    }
}

impl Redactor {
    /// Adds one secret string (and the forms it takes when quoted in JSON or put in a URL).
    pub fn register(&self, secret: &str) {
        let s = secret.trim();
        if s.chars().count() <= 1 {
            return;
        }
        let mut forms = vec![s.to_string()];
        if let Ok(json) = serde_json::to_string(s) {
            let inner = &json[1..json.len() - 1];
            forms.push(inner.to_string());
        }
        forms.push(
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        );
        let Ok(mut list) = self.list.write() else {
            return;
        };
        for f in forms {
            if !list.contains(&f) {
                list.push(f);
            }
        }
        // Longest first, so a secret that contains another is masked whole.
        list.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// Adds every leaf of a value: strings, numbers (as written), nested objects and arrays.
    /// Booleans and null are not secrets worth masking (they would mask every `true`).
    pub fn register_value(&self, value: &Value) {
        match value {
            Value::String(s) => self.register(s),
            Value::Number(n) => self.register(&n.to_string()),
            Value::Array(a) => a.iter().for_each(|v| self.register_value(v)),
            Value::Object(m) => m.values().for_each(|v| self.register_value(v)),
            Value::Bool(_) | Value::Null => {}
        }
    }

    /// Whether any secret is known (cheap paths).
    pub fn active(&self) -> bool {
        self.list.read().map(|l| !l.is_empty()).unwrap_or(false)
    }

    /// `s` with every known secret replaced by `***`.
    pub fn text<'a>(&self, s: &'a str) -> Cow<'a, str> {
        let Ok(list) = self.list.read() else {
            return Cow::Borrowed(s);
        };
        if !list.iter().any(|n| s.contains(n.as_str())) {
            return Cow::Borrowed(s);
        }
        let mut out = s.to_string();
        for n in list.iter() {
            if out.contains(n.as_str()) {
                out = out.replace(n.as_str(), MASK);
            }
        }
        Cow::Owned(out)
    }

    /// A copy of `v` with every secret masked in its strings and object keys; a number that is a
    /// secret becomes the string `***`.
    pub fn value(&self, v: &Value) -> Value {
        if !self.active() {
            return v.clone();
        }
        match v {
            Value::String(s) => Value::String(self.text(s).into_owned()),
            Value::Number(n) => {
                let s = n.to_string();
                if self.text(&s) != s {
                    Value::String(MASK.into())
                } else {
                    v.clone()
                }
            }
            Value::Array(a) => Value::Array(a.iter().map(|x| self.value(x)).collect()),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, x)| (self.text(k).into_owned(), self.value(x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_every_leaf_and_form() {
        let r = Redactor::default();
        r.register_value(&json!({"pin": 987654321, "nested": {"pw": "n3sted\"pw"}, "l": ["li5t"]}));
        assert_eq!(r.text("pin 987654321!"), "pin ***!");
        assert_eq!(r.text("a li5t b"), "a *** b");
        assert_eq!(
            r.value(&json!({"x": "n3sted\"pw", "n": 987654321, "k-li5t": 1})),
            json!({"x": "***", "n": "***", "k-***": 1})
        );
        // As it appears inside a JSON string or a URL.
        assert_eq!(r.text(r#"{"x":"n3sted\"pw"}"#), r#"{"x":"***"}"#);
        assert_eq!(r.text("https://h/?t=n3sted%22pw"), "https://h/?t=***");
    }

    #[test]
    fn single_characters_and_booleans_are_not_secrets() {
        let r = Redactor::default();
        r.register_value(&json!({"c": "q", "b": true}));
        assert_eq!(r.text("quiet true"), "quiet true");
    }

    #[test]
    fn longer_secrets_win() {
        let r = Redactor::default();
        r.register("ab12cd");
        r.register("ab12cd-and-more");
        assert_eq!(r.text("x ab12cd-and-more y"), "x *** y");
    }
}

#[cfg(test)]
mod run_owned {
    use super::Redactor;

    #[test]
    fn each_run_has_its_own_list() {
        let a = Redactor::default();
        let b = Redactor::default();
        a.register("only-in-run-a");
        assert_eq!(a.text("x only-in-run-a"), "x ***");
        assert_eq!(b.text("x only-in-run-a"), "x only-in-run-a");
        let shared = a.clone();
        shared.register("seen-by-both");
        assert_eq!(a.text("seen-by-both"), "***", "clones share the run's list");
    }
}
