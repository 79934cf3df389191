//! JSON Schema as Backstage applies it to template values (npm `jsonschema` 1.5.0): its `format`
//! rules (`formats.json`, regenerated from the oracle by `formats.gen.cjs`) instead of the
//! stricter RFC ones (`"12:00:00"` is a valid `time` there), and `required` lists that name a
//! property twice accepted. `json_schema::options` and `compile` build on it.

use std::sync::OnceLock;

use serde_json::Value;

/// A format check: npm jsonschema's regular expression, or its function.
type Check = Box<dyn Fn(&str) -> bool + Send + Sync>;

fn checks() -> &'static Vec<(String, Check)> {
    static ALL: OnceLock<Vec<(String, Check)>> = OnceLock::new();
    ALL.get_or_init(|| {
        let table: serde_json::Map<String, Value> =
            serde_json::from_str(include_str!("formats.json")).unwrap_or_default();
        let mut out: Vec<(String, Check)> = Vec::new();
        for (name, spec) in table {
            let check: Check = match (name.as_str(), spec.get("source").and_then(Value::as_str)) {
                ("utc-millisec", _) => Box::new(|s: &str| s.trim().parse::<i64>().is_ok()),
                ("regex" | "regexp" | "pattern", _) => {
                    Box::new(|s: &str| fancy_regex::Regex::new(s).is_ok())
                }
                (_, Some(source)) => {
                    // Compiled when a value of this format is first checked: compiling all of
                    // them took ~25 ms of every `golden new` (issue 11: start-up).
                    let flags = spec
                        .get("flags")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    let source = source.to_string();
                    let re: OnceLock<Option<fancy_regex::Regex>> = OnceLock::new();
                    Box::new(move |s: &str| {
                        match re.get_or_init(|| ecmascript_regex(&source, &flags)) {
                            Some(re) => re.is_match(s).unwrap_or(true),
                            // A rule golden cannot compile is not checked (never a false refusal).
                            None => true,
                        }
                    })
                }
                _ => Box::new(|_: &str| true),
            };
            out.push((name, check));
        }
        out
    })
}

/// A JavaScript regular expression (source, flags) as a fancy-regex one.
fn ecmascript_regex(source: &str, flags: &str) -> Option<fancy_regex::Regex> {
    let mut re = String::new();
    if flags.contains('i') {
        re.push_str("(?i)");
    }
    re.push_str(&source.replace("\\u{", "\\x{"));
    fancy_regex::Regex::new(&re).ok()
}

/// Draft-7 validator options with Backstage's format rules.
pub fn options() -> jsonschema::ValidationOptions<'static> {
    let mut o = jsonschema::options().with_draft(jsonschema::Draft::Draft7);
    for (i, (name, _)) in checks().iter().enumerate() {
        o = o.with_format(name.clone(), move |s: &str| (checks()[i].1)(s));
    }
    // Formats the crate checks that npm jsonschema does not know: not checked there.
    o.with_format("idn-hostname", |_: &str| true)
}

/// `schema` with every `required` list free of repeated names (Backstage accepts them; the
/// draft-7 meta-schema does not).
pub fn lenient(schema: &Value) -> std::borrow::Cow<'_, Value> {
    fn has_duplicates(v: &Value) -> bool {
        match v {
            Value::Object(m) => {
                m.get("required")
                    .and_then(Value::as_array)
                    .is_some_and(|r| r.iter().enumerate().any(|(i, x)| r[..i].contains(x)))
                    || m.values().any(has_duplicates)
            }
            Value::Array(a) => a.iter().any(has_duplicates),
            _ => false,
        }
    }
    fn dedupe(v: &mut Value) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Array(r)) = m.get_mut("required") {
                    let mut seen: Vec<Value> = Vec::new();
                    r.retain(|x| {
                        let new = !seen.contains(x);
                        if new {
                            seen.push(x.clone());
                        }
                        new
                    });
                }
                m.values_mut().for_each(dedupe);
            }
            Value::Array(a) => a.iter_mut().for_each(dedupe),
            _ => {}
        }
    }
    if !has_duplicates(schema) {
        return std::borrow::Cow::Borrowed(schema);
    }
    let mut copy = schema.clone();
    dedupe(&mut copy);
    std::borrow::Cow::Owned(copy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid(format: &str, s: &str) -> bool {
        options()
            .build(&json!({"type": "string", "format": format}))
            .unwrap()
            .is_valid(&json!(s))
    }

    #[test]
    fn formats_are_checked_as_backstage_checks_them() {
        // npm jsonschema 1.5.0: `time` has no offset, `date-time` needs one.
        assert!(valid("time", "12:00:00"));
        assert!(!valid("time", "12:00"));
        assert!(valid("date", "2024-01-31"));
        assert!(!valid("date", "2024-13-01"));
        assert!(valid("date-time", "2024-01-31T12:00:00Z"));
        assert!(!valid("date-time", "2024-01-31T12:00:00"));
        assert!(valid("email", "a.b@example.com"));
        assert!(!valid("email", "not-an-email"));
        assert!(valid("uri", "https://x.y/z"));
        assert!(!valid("uri", "no scheme"));
        assert!(valid("hostname", "api.example.com"));
        assert!(valid("uuid", "123E4567-E89B-12D3-A456-426614174000"));
        assert!(valid("idn-hostname", "anything at all"));
        assert!(valid("made-up", "anything"));
    }

    #[test]
    fn duplicate_required_names_are_accepted() {
        let page = json!({"required": ["a", "a"], "properties": {"o": {"required": ["x", "x"]}}});
        let l = lenient(&page);
        assert_eq!(l["required"], json!(["a"]));
        assert_eq!(l["properties"]["o"]["required"], json!(["x"]));
        assert!(options().build(&l).is_ok());
        assert!(matches!(
            lenient(&json!({"required": ["a"]})),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
