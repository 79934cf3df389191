//! JavaScript value semantics: how values print when interpolated (`String(x)` in JS) and the
//! whitelisted JavaScript methods nunjitsu allows on strings, arrays and numbers (SPEC §4.5).

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind, Output, State};

/// Prints a value the way JavaScript's `String(x)` does inside a template: undefined and null
/// print nothing, `1.0` prints `1`, arrays are comma-joined, objects are `[object Object]`.
pub fn format(out: &mut Output, _state: &mut State, value: &Value) -> Result<(), Error> {
    out.write_str(&js_string(value)).map_err(|_| Error::new(ErrorKind::WriteFailure, "write failed"))
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
            .map(|it| it.map(|v| array_item_string(&v)).collect::<Vec<_>>().join(","))
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
        return if f > 0.0 { "Infinity".into() } else { "-Infinity".into() };
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

/// Methods called on values (`name.toUpperCase()`, `list.includes(x)`); unknown ones fail as in
/// nunjitsu ("... cannot be called").
pub fn call_method(_state: &mut State, value: &Value, method: &str, args: &[Value]) -> Result<Value, Error> {
    let unknown = || Error::new(ErrorKind::UnknownMethod, format!("`{method}` is not a supported method here"));
    match value.kind() {
        ValueKind::String => string_method(value.as_str().unwrap_or_default(), method, args).ok_or_else(unknown),
        ValueKind::Seq => {
            let items: Vec<Value> = value.try_iter().map(|i| i.collect()).unwrap_or_default();
            array_method(items, method, args).ok_or_else(unknown)
        }
        ValueKind::Number => match method {
            "toString" => Some(Value::from(number_string(value))),
            "toFixed" => {
                let digits = args.first().and_then(|a| i64::try_from(a.clone()).ok()).unwrap_or(0).max(0) as usize;
                let f = f64::try_from(value.clone()).unwrap_or(f64::NAN);
                Some(Value::from(format!("{f:.digits$}")))
            }
            _ => None,
        }
        .ok_or_else(unknown),
        _ => Err(unknown()),
    }
}

fn arg_str(args: &[Value], i: usize) -> Option<String> {
    args.get(i).map(js_string)
}

fn arg_int(args: &[Value], i: usize) -> Option<i64> {
    args.get(i).and_then(|a| i64::try_from(a.clone()).ok().or_else(|| f64::try_from(a.clone()).ok().map(|f| f as i64)))
}

/// UTF-16 based slicing, as JavaScript strings are UTF-16.
fn utf16_slice(s: &str, start: i64, end: Option<i64>) -> String {
    let units: Vec<u16> = s.encode_utf16().collect();
    let len = units.len() as i64;
    let norm = |i: i64| if i < 0 { (len + i).max(0) } else { i.min(len) };
    let (a, b) = (norm(start), norm(end.unwrap_or(len)));
    if a >= b {
        return String::new();
    }
    String::from_utf16_lossy(&units[a as usize..b as usize])
}

fn string_method(s: &str, method: &str, args: &[Value]) -> Option<Value> {
    Some(match method {
        "toUpperCase" | "toLocaleUpperCase" => Value::from(s.to_uppercase()),
        "toLowerCase" | "toLocaleLowerCase" => Value::from(s.to_lowercase()),
        "trim" => Value::from(s.trim()),
        "trimStart" | "trimLeft" => Value::from(s.trim_start()),
        "trimEnd" | "trimRight" => Value::from(s.trim_end()),
        "includes" => Value::from(s.contains(&arg_str(args, 0)?)),
        "startsWith" => Value::from(s.starts_with(&arg_str(args, 0)?)),
        "endsWith" => Value::from(s.ends_with(&arg_str(args, 0)?)),
        "indexOf" => Value::from(utf16_index(s, s.find(&arg_str(args, 0)?))),
        "lastIndexOf" => Value::from(utf16_index(s, s.rfind(&arg_str(args, 0)?))),
        "charAt" => Value::from(utf16_slice(s, arg_int(args, 0).unwrap_or(0), Some(arg_int(args, 0).unwrap_or(0) + 1))),
        "slice" => Value::from(utf16_slice(s, arg_int(args, 0).unwrap_or(0), arg_int(args, 1))),
        "substring" => {
            let len = s.encode_utf16().count() as i64;
            let a = arg_int(args, 0).unwrap_or(0).clamp(0, len);
            let b = arg_int(args, 1).unwrap_or(len).clamp(0, len);
            Value::from(utf16_slice(s, a.min(b), Some(a.max(b))))
        }
        "concat" => Value::from(args.iter().fold(s.to_string(), |acc, a| acc + &super::js::js_string(a))),
        "replace" => {
            let (from, to) = (arg_str(args, 0)?, arg_str(args, 1).unwrap_or_default());
            Value::from(s.replacen(&from, &to, 1))
        }
        "split" => {
            let parts: Vec<Value> = match arg_str(args, 0) {
                None => vec![Value::from(s)],
                Some(sep) if sep.is_empty() => s.chars().map(|c| Value::from(c.to_string())).collect(),
                Some(sep) => s.split(sep.as_str()).map(Value::from).collect(),
            };
            let parts = match arg_int(args, 1) {
                Some(n) if n >= 0 => parts.into_iter().take(n as usize).collect(),
                _ => parts,
            };
            Value::from(parts)
        }
        "toString" => Value::from(s),
        "charCodeAt" => {
            let i = arg_int(args, 0).unwrap_or(0);
            let units: Vec<u16> = s.encode_utf16().collect();
            match usize::try_from(i).ok().and_then(|i| units.get(i)) {
                Some(u) => Value::from(*u as i64),
                None => Value::from(f64::NAN),
            }
        }
        _ => return None,
    })
}

fn utf16_index(s: &str, byte: Option<usize>) -> i64 {
    match byte {
        Some(b) => s[..b].encode_utf16().count() as i64,
        None => -1,
    }
}

fn array_method(items: Vec<Value>, method: &str, args: &[Value]) -> Option<Value> {
    Some(match method {
        "includes" => Value::from(args.first().is_some_and(|a| items.iter().any(|i| i == a))),
        "indexOf" => Value::from(args.first().and_then(|a| items.iter().position(|i| i == a)).map(|p| p as i64).unwrap_or(-1)),
        "join" => {
            let sep = arg_str(args, 0).unwrap_or_else(|| ",".into());
            Value::from(items.iter().map(array_item_string).collect::<Vec<_>>().join(&sep))
        }
        "slice" => {
            let len = items.len() as i64;
            let norm = |i: i64| if i < 0 { (len + i).max(0) } else { i.min(len) } as usize;
            let a = norm(arg_int(args, 0).unwrap_or(0));
            let b = norm(arg_int(args, 1).unwrap_or(len));
            Value::from(if a < b { items[a..b].to_vec() } else { Vec::new() })
        }
        "concat" => {
            let mut out = items;
            for a in args {
                match a.kind() {
                    ValueKind::Seq => out.extend(a.try_iter().ok()?),
                    _ => out.push(a.clone()),
                }
            }
            Value::from(out)
        }
        "reverse" => Value::from(items.into_iter().rev().collect::<Vec<_>>()),
        "at" => {
            let len = items.len() as i64;
            let i = arg_int(args, 0).unwrap_or(0);
            let i = if i < 0 { len + i } else { i };
            usize::try_from(i).ok().and_then(|i| items.get(i).cloned()).unwrap_or(Value::UNDEFINED)
        }
        _ => return None,
    })
}
