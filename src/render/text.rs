//! How JavaScript writes values as text (`String(x)`, number formatting) and changes text (case,
//! whitespace), as nunjitsu's runtime does. A leaf: used by the operators, filters and methods.

use minijinja::value::{Value, ValueKind};

pub fn as_f64(v: &Value) -> f64 {
    if let Ok(i) = i64::try_from(v.clone()) {
        return i as f64;
    }
    f64::try_from(v.clone()).unwrap_or(f64::NAN)
}

/// `String(value)` in JavaScript, except that undefined and null are empty (nunjucks prints them
/// as nothing).
pub fn js_string(value: &Value) -> String {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => String::new(),
        ValueKind::Bool => value.is_true().to_string(),
        ValueKind::Number => number_string(value),
        ValueKind::String => value.as_str().unwrap_or_default().to_string(),
        ValueKind::Seq | ValueKind::Iterable => value
            .try_iter()
            .map(|it| {
                it.map(|v| array_item_string(&v))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default(),
        ValueKind::Map => "[object Object]".to_string(),
        _ => value.to_string(),
    }
}

fn array_item_string(v: &Value) -> String {
    match v.kind() {
        ValueKind::Undefined | ValueKind::None => String::new(),
        _ => js_string(v),
    }
}

/// JavaScript number formatting (`1.0` → `1`, `0.1 + 0.2` → `0.30000000000000004`).
pub fn number_string(value: &Value) -> String {
    if let Ok(i) = i64::try_from(value.clone()) {
        return i.to_string();
    }
    let f = f64::try_from(value.clone()).unwrap_or(f64::NAN);
    format_f64(f)
}

/// Formats an f64 like JavaScript's `Number.prototype.toString()`.
pub fn format_f64(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if f == 0.0 {
        return "0".into();
    }
    if f.fract() == 0.0 && f.abs() < 1e21 {
        return format!("{}", f as i128);
    }
    // Rust's shortest round-trip formatting matches JS for the common range.
    let s = format!("{f}");
    if f.abs() >= 1e21 || f.abs() < 1e-6 {
        let e = format!("{f:e}");
        // JS writes 1e+21, Rust 1e21
        return match e.split_once('e') {
            Some((m, exp)) if !exp.starts_with('-') => format!("{m}e+{exp}"),
            _ => e,
        };
    }
    s
}

pub fn js_upper(s: &str) -> String {
    s.to_uppercase()
}

pub fn js_lower(s: &str) -> String {
    s.to_lowercase()
}

pub fn is_js_ws(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

pub fn js_trim(s: &str) -> &str {
    s.trim_matches(is_js_ws)
}
