//! JavaScript value semantics: how values print when interpolated (`String(x)` in JS) and the
//! whitelisted JavaScript methods nunjitsu allows on strings, arrays and numbers (SPEC §4.5).

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind, Output, State};

use std::sync::Arc;

use minijinja::value::Object;

use super::ops::{self, err, strict_eq, to_number};
use super::text::{format_f64, js_string};

/// Prints a value the way JavaScript's `String(x)` does inside a template: undefined and null
/// print nothing, `1.0` prints `1`, arrays are comma-joined, objects are `[object Object]`.
pub fn format(out: &mut Output, _state: &mut State, value: &Value) -> Result<(), Error> {
    out.write_str(&js_string(value))
        .map_err(|_| Error::new(ErrorKind::WriteFailure, "write failed"))
}

/// The arguments of a method call without the keyword-argument record (`__keywords`, see
/// `emit.rs`): JavaScript methods take positional arguments only.
fn positional(args: &[Value]) -> Vec<Value> {
    args.iter()
        .filter(|a| {
            !(a.kind() == ValueKind::Map && a.get_attr("__keywords").is_ok_and(|k| k.is_true()))
        })
        .cloned()
        .collect()
}

/// Methods called on values (`name.toUpperCase()`, `list.includes(x)`): nunjitsu's whitelist
/// (SPEC §4.5); in cookiecutter mode also the Jinja list and dict methods. Anything else fails
/// ("... cannot be called"), as in Backstage 4.
pub fn call_method(
    value: &Value,
    method: &str,
    args: &[Value],
    cookiecutter: bool,
) -> Result<Value, Error> {
    let unknown = || {
        Error::new(
            ErrorKind::UnknownMethod,
            format!("\"{method}\" resolved to undefined and cannot be called"),
        )
    };
    let args = positional(args);
    let args = args.as_slice();
    match value.kind() {
        ValueKind::String => {
            string_method(value.as_str().unwrap_or_default(), method, args).ok_or_else(unknown)?
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let items: Vec<Value> = value.try_iter().map(|i| i.collect()).unwrap_or_default();
            array_method(items, method, args, cookiecutter).ok_or_else(unknown)?
        }
        ValueKind::Number => number_method(ops::as_f64(value), method, args).ok_or_else(unknown)?,
        ValueKind::Map if cookiecutter => record_method(value, method, args).ok_or_else(unknown),
        _ => Err(unknown()),
    }
}

fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).cloned().unwrap_or(Value::UNDEFINED)
}

/// `toInteger` of an optional argument.
fn opt_int(args: &[Value], i: usize) -> Option<f64> {
    let v = args.get(i)?;
    if v.is_undefined() {
        return None;
    }
    let n = ops::to_number(v);
    Some(if n.is_nan() { 0.0 } else { n.trunc() })
}

/// `items.at(i)`: counted from the end when negative, undefined out of range.
fn item_at(items: &[Value], i: Option<f64>) -> Value {
    let i = i.unwrap_or(0.0);
    let i = if i < 0.0 { items.len() as f64 + i } else { i };
    if i < 0.0 {
        Value::UNDEFINED
    } else {
        items.get(i as usize).cloned().unwrap_or(Value::UNDEFINED)
    }
}

fn rel_index(i: Option<f64>, len: usize, default: usize) -> usize {
    match i {
        None => default,
        Some(i) if i < 0.0 => (len as f64 + i).max(0.0) as usize,
        Some(i) => (i.min(len as f64)) as usize,
    }
}

fn from_units(u: &[u16]) -> Value {
    Value::from(String::from_utf16_lossy(u))
}

fn find_units(hay: &[u16], needle: &[u16], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return Some(from.min(hay.len()));
    }
    if needle.len() > hay.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| hay[i..i + needle.len()] == *needle)
}

fn string_method(s: &str, method: &str, args: &[Value]) -> Option<Result<Value, Error>> {
    let u: Vec<u16> = s.encode_utf16().collect();
    let len = u.len();
    let a0 = arg(args, 0);
    let needle = || ops::to_string(&a0).encode_utf16().collect::<Vec<u16>>();
    Some(Ok(match method {
        "toUpperCase" => Value::from(s.to_uppercase()),
        "toLowerCase" => Value::from(s.to_lowercase()),
        "trim" => Value::from(super::text::js_trim(s)),
        "trimStart" => {
            Value::from(s.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}'))
        }
        "trimEnd" => {
            Value::from(s.trim_end_matches(|c: char| c.is_whitespace() || c == '\u{feff}'))
        }
        "includes" => {
            Value::from(find_units(&u, &needle(), rel_index(opt_int(args, 1), len, 0)).is_some())
        }
        "startsWith" => {
            let n = needle();
            let p = rel_index(opt_int(args, 1), len, 0);
            Value::from(u.len() >= p + n.len() && u[p..p + n.len()] == n[..])
        }
        "endsWith" => {
            let n = needle();
            let end = rel_index(opt_int(args, 1), len, len);
            Value::from(end >= n.len() && u[end - n.len()..end] == n[..])
        }
        "indexOf" => Value::from(
            find_units(&u, &needle(), rel_index(opt_int(args, 1), len, 0))
                .map(|i| i as i64)
                .unwrap_or(-1),
        ),
        "lastIndexOf" => {
            let n = needle();
            let from = opt_int(args, 1)
                .map(|f| f.max(0.0) as usize)
                .unwrap_or(len)
                .min(len);
            let r = (0..=from.min(len.saturating_sub(n.len())))
                .rev()
                .find(|&i| i + n.len() <= len && u[i..i + n.len()] == n[..]);
            Value::from(r.map(|i| i as i64).unwrap_or(-1))
        }
        "charAt" => {
            let i = opt_int(args, 0).unwrap_or(0.0);
            if i < 0.0 || i as usize >= len {
                Value::from("")
            } else {
                from_units(&u[i as usize..i as usize + 1])
            }
        }
        "charCodeAt" => {
            let i = opt_int(args, 0).unwrap_or(0.0);
            if i < 0.0 || i as usize >= len {
                Value::from(f64::NAN)
            } else {
                Value::from(u[i as usize] as i64)
            }
        }
        "slice" => {
            let a = rel_index(opt_int(args, 0), len, 0);
            let b = rel_index(opt_int(args, 1), len, len);
            if a >= b {
                Value::from("")
            } else {
                from_units(&u[a..b])
            }
        }
        "substring" => {
            let clamp = |x: Option<f64>, d: usize| {
                x.map(|x| x.clamp(0.0, len as f64) as usize).unwrap_or(d)
            };
            let a = clamp(opt_int(args, 0), 0);
            let b = clamp(opt_int(args, 1), len);
            from_units(&u[a.min(b)..a.max(b)])
        }
        "concat" => Value::from(
            args.iter()
                .fold(s.to_string(), |acc, a| acc + &ops::to_string(a)),
        ),
        "replace" => {
            if args.len() != 2 {
                return Some(Err(ops::err("replace requires 2 arguments")));
            }
            let rep = ops::to_string(&arg(args, 1));
            if let Some(re) = ops::as_regex(&a0) {
                return Some(super::regex::regex_replace(s, &re, &rep).map(Value::from));
            }
            // A string pattern replaces the first match; `$` patterns are expanded by JS.
            let pat = ops::to_string(&a0);
            let re = ops::JsRegex {
                source: fancy_regex::escape(&pat).into_owned(),
                flags: String::new(),
            };
            return Some(super::regex::regex_replace(s, &re, &rep).map(Value::from));
        }
        "split" => {
            let limit = args.get(1).filter(|v| !v.is_undefined()).map(|v| {
                let n = ops::to_number(v);
                if n.is_finite() {
                    (n.trunc() as i64).rem_euclid(1 << 32) as usize
                } else {
                    0
                }
            });
            let parts: Vec<Value> = if a0.is_undefined() {
                vec![Value::from(s)]
            } else if let Some(re) = ops::as_regex(&a0) {
                match super::regex::build_regex(&re.source, &re.flags) {
                    Ok(rx) => rx
                        .split(s)
                        .filter_map(Result::ok)
                        .map(Value::from)
                        .collect(),
                    Err(e) => return Some(Err(ops::err(e))),
                }
            } else {
                let sep = ops::to_string(&a0);
                if sep.is_empty() {
                    ops::utf16_units(s)
                } else {
                    s.split(sep.as_str()).map(Value::from).collect()
                }
            };
            let parts = match limit {
                Some(n) => parts.into_iter().take(n).collect(),
                None => parts,
            };
            Value::from(parts)
        }
        _ => return None,
    }))
}

fn number_method(f: f64, method: &str, args: &[Value]) -> Option<Result<Value, Error>> {
    let a = args
        .first()
        .filter(|v| !v.is_undefined())
        .map(ops::to_number);
    Some(Ok(Value::from(match method {
        "toString" => match a {
            None | Some(10.0) => format_f64(f),
            Some(r) if (2.0..=36.0).contains(&r) && f.fract() == 0.0 => {
                radix_string(f as i64, r as u32)
            }
            Some(_) => return Some(Err(ops::err("toString() radix must be between 2 and 36"))),
        },
        "toFixed" => {
            let d = a.unwrap_or(0.0);
            if !(0.0..=100.0).contains(&d) {
                return Some(Err(ops::err(
                    "toFixed() digits argument must be between 0 and 100",
                )));
            }
            if f.abs() >= 1e21 {
                format_f64(f)
            } else {
                format!("{:.*}", d as usize, f)
            }
        }
        "toPrecision" => match a {
            None => format_f64(f),
            Some(p) => {
                let p = p as usize;
                let e = if f == 0.0 {
                    0
                } else {
                    f.abs().log10().floor() as i32
                };
                if e < -6 || e >= p as i32 {
                    let s = format!("{:.*e}", p.saturating_sub(1), f);
                    js_exp(&s)
                } else {
                    format!("{:.*}", (p as i32 - 1 - e).max(0) as usize, f)
                }
            }
        },
        "toExponential" => match a {
            None => js_exp(&format!("{f:e}")),
            Some(d) => js_exp(&format!("{:.*e}", d as usize, f)),
        },
        _ => return None,
    })))
}

fn js_exp(s: &str) -> String {
    match s.split_once('e') {
        Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
        _ => s.to_string(),
    }
}

fn radix_string(mut n: i64, r: u32) -> String {
    if n == 0 {
        return "0".into();
    }
    let neg = n < 0;
    n = n.abs();
    let mut d = Vec::new();
    while n > 0 {
        d.push(std::char::from_digit((n % r as i64) as u32, r).unwrap());
        n /= r as i64;
    }
    if neg {
        d.push('-');
    }
    d.iter().rev().collect()
}

fn array_method(
    items: Vec<Value>,
    method: &str,
    args: &[Value],
    cookiecutter: bool,
) -> Option<Result<Value, Error>> {
    let len = items.len();
    let a0 = arg(args, 0);
    Some(Ok(match method {
        "at" => item_at(&items, opt_int(args, 0)),
        "includes" => Value::from(
            items
                .iter()
                .skip(rel_index(opt_int(args, 1), len, 0))
                .any(|i| same_value_zero(i, &a0)),
        ),
        "indexOf" | "index" | "find" if method == "indexOf" || cookiecutter => {
            let from = rel_index(opt_int(args, 1), len, 0);
            Value::from(
                items
                    .iter()
                    .enumerate()
                    .skip(from)
                    .find(|(_, i)| ops::strict_eq(i, &a0))
                    .map(|(p, _)| p as i64)
                    .unwrap_or(-1),
            )
        }
        "lastIndexOf" => Value::from(
            items
                .iter()
                .rposition(|i| ops::strict_eq(i, &a0))
                .map(|p| p as i64)
                .unwrap_or(-1),
        ),
        "join" => {
            let sep = if a0.is_undefined() {
                ",".to_string()
            } else {
                ops::to_string(&a0)
            };
            Value::from(
                items
                    .iter()
                    .map(|v| {
                        if v.is_undefined() || v.is_none() {
                            String::new()
                        } else {
                            ops::to_string(v)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(&sep),
            )
        }
        "slice" => {
            let a = rel_index(opt_int(args, 0), len, 0);
            let b = rel_index(opt_int(args, 1), len, len);
            Value::from(if a < b {
                items[a..b].to_vec()
            } else {
                Vec::new()
            })
        }
        "concat" => {
            let mut out = items;
            for a in args {
                match a.kind() {
                    ValueKind::Seq | ValueKind::Iterable => out.extend(
                        a.try_iter()
                            .map(|i| i.collect::<Vec<_>>())
                            .unwrap_or_default(),
                    ),
                    _ => out.push(a.clone()),
                }
            }
            Value::from(out)
        }
        "flat" => {
            let depth = opt_int(args, 0).unwrap_or(1.0).max(0.0) as usize;
            let mut out = Vec::new();
            flatten(&items, depth, &mut out);
            Value::from(out)
        }
        "reverse" => {
            let mut out = items;
            out.reverse();
            Value::from(out)
        }
        "sort" => {
            let mut out = items;
            out.sort_by(|a, b| {
                let (ua, ub) = (a.is_undefined(), b.is_undefined());
                if ua || ub {
                    return ua.cmp(&ub);
                }
                ops::cmp_utf16(&ops::to_string(a), &ops::to_string(b))
            });
            Value::from(out)
        }
        "push" | "append" if method == "push" || cookiecutter => {
            Value::from((len + args.len()) as i64)
        }
        "unshift" => Value::from((len + args.len()) as i64),
        "pop" => {
            if cookiecutter && !a0.is_undefined() {
                item_at(&items, opt_int(args, 0))
            } else {
                items.last().cloned().unwrap_or(Value::UNDEFINED)
            }
        }
        "shift" => items.first().cloned().unwrap_or(Value::UNDEFINED),
        "splice" => {
            if a0.is_undefined() {
                Value::from(Vec::<Value>::new())
            } else {
                let start = rel_index(opt_int(args, 0), len, 0);
                let count = match opt_int(args, 1) {
                    None => len - start,
                    Some(c) => (c.max(0.0) as usize).min(len - start),
                };
                Value::from(items[start..start + count].to_vec())
            }
        }
        "fill" => {
            let a = rel_index(opt_int(args, 1), len, 0);
            let b = rel_index(opt_int(args, 2), len, len);
            let mut out = items;
            for x in out.iter_mut().take(b).skip(a) {
                *x = a0.clone();
            }
            Value::from(out)
        }
        "copyWithin" => Value::from(items),
        "count" if cookiecutter => {
            Value::from(items.iter().filter(|i| ops::strict_eq(i, &a0)).count() as i64)
        }
        "insert" | "remove" if cookiecutter => Value::from(Vec::<Value>::new()),
        _ => return None,
    }))
}

fn same_value_zero(a: &Value, b: &Value) -> bool {
    if a.kind() == ValueKind::Number && b.kind() == ValueKind::Number {
        let (x, y) = (ops::as_f64(a), ops::as_f64(b));
        return x == y || (x.is_nan() && y.is_nan());
    }
    ops::strict_eq(a, b)
}

fn flatten(items: &[Value], depth: usize, out: &mut Vec<Value>) {
    for i in items {
        if depth > 0 && i.kind() == ValueKind::Seq {
            let inner: Vec<Value> = i.try_iter().map(|x| x.collect()).unwrap_or_default();
            flatten(&inner, depth - 1, out);
        } else {
            out.push(i.clone());
        }
    }
}

fn record_method(v: &Value, method: &str, args: &[Value]) -> Option<Value> {
    let entries = ops::map_entries(v);
    let key = ops::to_string(&arg(args, 0));
    let has = entries
        .iter()
        .any(|(k, _)| k.as_str() == Some(key.as_str()));
    if entries.iter().any(|(k, _)| k.as_str() == Some(method)) {
        return None;
    }
    Some(match method {
        "get" => {
            if has {
                ops::get(v, &Value::from(key))
            } else {
                arg(args, 1)
            }
        }
        "has_key" => Value::from(has),
        "keys" => Value::from(entries.into_iter().map(|(k, _)| k).collect::<Vec<_>>()),
        "values" => Value::from(entries.into_iter().map(|(_, x)| x).collect::<Vec<_>>()),
        "items" => Value::from(
            entries
                .into_iter()
                .map(|(k, x)| Value::from(vec![k, x]))
                .collect::<Vec<_>>(),
        ),
        _ => return None,
    })
}

/// An array created by the template (`[...]`): mutable in place by `push`, `pop`, `shift`,
/// `unshift`, `splice`, `reverse`, `sort`, `fill` (and `append`, `insert`, `remove` in
/// cookiecutter mode), as nunjucks' JavaScript arrays are. Other methods are answered by
/// `js::call_method`.
#[derive(Debug)]
pub struct MutSeq {
    items: std::sync::Mutex<Vec<Value>>,
    cookiecutter: bool,
}

impl MutSeq {
    pub fn value(items: Vec<Value>, cookiecutter: bool) -> Value {
        Value::from_object(MutSeq {
            items: std::sync::Mutex::new(items),
            cookiecutter,
        })
    }
    fn snapshot(&self) -> Vec<Value> {
        self.items.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl Object for MutSeq {
    fn repr(self: &Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Seq
    }
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let i = usize::try_from(key.clone()).ok()?;
        self.items.lock().ok()?.get(i).cloned()
    }
    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Values(self.snapshot())
    }
    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        self.items.lock().ok().map(|v| v.len())
    }
    fn call_method(
        self: &Arc<Self>,
        _state: &mut minijinja::State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let args = positional(args);
        let mut items = self.items.lock().map_err(|_| err("array poisoned"))?;
        let len = items.len();
        let int = |i: usize| {
            args.get(i).filter(|v| !v.is_undefined()).map(|v| {
                let n = to_number(v);
                if n.is_nan() {
                    0.0
                } else {
                    n.trunc()
                }
            })
        };
        let rel = |x: Option<f64>, d: usize| match x {
            None => d,
            Some(i) if i < 0.0 => (len as f64 + i).max(0.0) as usize,
            Some(i) => i.min(len as f64) as usize,
        };
        let cc = self.cookiecutter;
        Ok(match method {
            "push" | "append" if method == "push" || cc => {
                items.extend(args.iter().cloned());
                Value::from(items.len() as i64)
            }
            "pop" if cc && args.first().is_some_and(|a| !a.is_undefined()) => {
                let i = int(0).unwrap_or(0.0);
                let i = if i < 0.0 { len as f64 + i } else { i };
                if i < 0.0 || i as usize >= len {
                    Value::UNDEFINED
                } else {
                    items.remove(i as usize)
                }
            }
            "pop" => items.pop().unwrap_or(Value::UNDEFINED),
            "shift" => {
                if items.is_empty() {
                    Value::UNDEFINED
                } else {
                    items.remove(0)
                }
            }
            "unshift" => {
                for (i, a) in args.iter().enumerate() {
                    items.insert(i, a.clone());
                }
                Value::from(items.len() as i64)
            }
            "splice" => {
                if args.is_empty() {
                    return Ok(MutSeq::value(Vec::new(), cc));
                }
                let start = rel(int(0), 0);
                let count = match int(1) {
                    None => len - start,
                    Some(c) => (c.max(0.0) as usize).min(len - start),
                };
                let removed: Vec<Value> = items
                    .splice(start..start + count, args.iter().skip(2).cloned())
                    .collect();
                MutSeq::value(removed, cc)
            }
            "insert" if cc => {
                let at = rel(int(0), 0);
                items.insert(at, args.get(1).cloned().unwrap_or(Value::UNDEFINED));
                MutSeq::value(Vec::new(), cc)
            }
            "remove" if cc => {
                let needle = args.first().cloned().unwrap_or(Value::UNDEFINED);
                match items.iter().position(|x| strict_eq(x, &needle)) {
                    Some(p) => MutSeq::value(vec![items.remove(p)], cc),
                    None => MutSeq::value(Vec::new(), cc),
                }
            }
            "reverse" | "sort" | "fill" => {
                let current = Value::from(items.clone());
                let result = super::js::call_method(&current, method, &args, cc)?;
                *items = result.try_iter().map(|i| i.collect()).unwrap_or_default();
                drop(items);
                return Ok(Value::from_dyn_object(self.clone()));
            }
            _ => return Err(Error::from(ErrorKind::UnknownMethod)),
        })
    }
}

/// Registers `__arr`, the constructor of template-written arrays ([`MutSeq`]).
pub fn register(env: &mut minijinja::Environment<'static>, cookiecutter: bool) {
    env.add_function("__arr", move |items: minijinja::value::Rest<Value>| {
        MutSeq::value(items.0, cookiecutter)
    });
}
