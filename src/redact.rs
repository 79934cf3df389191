//! Redaction: the one list of secret strings golden knows in this process (every leaf of the task
//! secrets, password-widget answers, the tokens it holds) and the functions that replace them by
//! `***` in text and JSON. Everything golden writes for people or keeps on disk about a run
//! (progress, logs, `--json`, errors and hints, forge records, saved answers, the catalog) passes
//! through [`text`] or [`value`] on its way out; the generated project itself is never touched.
//!
//! As Backstage's logger does, values are trimmed and one-character values are not masked (they
//! would turn every such character of the output into `***`).

use std::borrow::Cow;
use std::sync::RwLock;

use serde_json::Value;

/// What replaces a secret.
pub const MASK: &str = "***";

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Adds one secret string (and the forms it takes when quoted in JSON or put in a URL).
pub fn register(secret: &str) {
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
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string(),
    );
    let Ok(mut list) = SECRETS.write() else {
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
pub fn register_value(value: &Value) {
    match value {
        Value::String(s) => register(s),
        Value::Number(n) => register(&n.to_string()),
        Value::Array(a) => a.iter().for_each(register_value),
        Value::Object(m) => m.values().for_each(register_value),
        Value::Bool(_) | Value::Null => {}
    }
}

/// Whether any secret is known (tests and cheap paths).
pub fn active() -> bool {
    SECRETS.read().map(|l| !l.is_empty()).unwrap_or(false)
}

/// `s` with every known secret replaced by `***`.
pub fn text(s: &str) -> Cow<'_, str> {
    let Ok(list) = SECRETS.read() else {
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
pub fn value(v: &Value) -> Value {
    if !active() {
        return v.clone();
    }
    match v {
        Value::String(s) => Value::String(text(s).into_owned()),
        Value::Number(n) => {
            let s = n.to_string();
            if text(&s) != s {
                Value::String(MASK.into())
            } else {
                v.clone()
            }
        }
        Value::Array(a) => Value::Array(a.iter().map(value).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (text(k).into_owned(), value(x)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // The list is process-wide: each test uses strings no other test registers.
    #[test]
    fn masks_every_leaf_and_form() {
        register_value(&json!({"pin": 987654321, "nested": {"pw": "n3sted\"pw"}, "l": ["li5t"]}));
        assert_eq!(text("pin 987654321!"), "pin ***!");
        assert_eq!(text("a li5t b"), "a *** b");
        assert_eq!(
            value(&json!({"x": "n3sted\"pw", "n": 987654321, "k-li5t": 1})),
            json!({"x": "***", "n": "***", "k-***": 1})
        );
        // As it appears inside a JSON string or a URL.
        assert_eq!(text(r#"{"x":"n3sted\"pw"}"#), r#"{"x":"***"}"#);
        assert_eq!(text("https://h/?t=n3sted%22pw"), "https://h/?t=***");
    }

    #[test]
    fn single_characters_and_booleans_are_not_secrets() {
        register_value(&json!({"c": "q", "b": true}));
        assert_eq!(text("quiet true"), "quiet true");
    }

    #[test]
    fn longer_secrets_win() {
        register("ab12cd");
        register("ab12cd-and-more");
        assert_eq!(text("x ab12cd-and-more y"), "x *** y");
    }
}
