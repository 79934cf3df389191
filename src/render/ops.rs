//! JavaScript value semantics for the helpers `emit.rs` generates: primitive conversion,
//! `+ - * / % **`, loose and strict equality, ordering, truthiness, member lookup (`.length`,
//! no negative indexes), `in`, slices, `for` iteration and nunjucks tests. Mirrors nunjitsu 0.7's
//! runtime (`runtimeToNumber`, `runtimeAdd`, `runtimeCompare`, `iterableEntries`, ...).

use minijinja::value::{Object, Rest, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};
use std::sync::Arc;

pub use super::regex::{as_regex, JsRegex};
pub use super::text::as_f64;
use super::text::{format_f64, js_string};

/// nunjitsu's default `workUnits` limit: one unit per item `range()` or a slice produces (among
/// other work). Backstage's render fails beyond it; golden fails the same way instead of looping
/// on (a slice of a non-array has no length, so only this limit ends it).
pub const WORK_LIMIT: usize = 1_000_000;

/// nunjitsu's largest array or record (`maximumSafeValueEntries`).
pub const MAX_ENTRIES: usize = 100_000;

/// The error of a render that exceeds [`WORK_LIMIT`], worded as nunjitsu's `TemplateLimitError`.
pub fn work_limit_error() -> Error {
    err(format!(
        "Template evaluation exceeded the work unit limit of {WORK_LIMIT}"
    ))
}

/// The array built by `range()` or a slice: `items` while they are at most [`MAX_ENTRIES`], else
/// nunjitsu's error. `more` produces the next item, `None` at the end; it is asked again past the
/// cap only to tell which of nunjitsu's limits the template meets first (the work limit, counted
/// while producing items, or the size limit, checked on the finished array).
pub fn bounded_array(mut more: impl FnMut() -> Option<Value>) -> Result<Value, Error> {
    let mut items = Vec::new();
    while let Some(v) = more() {
        if items.len() == MAX_ENTRIES {
            let mut n = MAX_ENTRIES + 1;
            while more().is_some() {
                n += 1;
                if n > WORK_LIMIT {
                    return Err(work_limit_error());
                }
            }
            return Err(err(format!(
                "Template value containers cannot exceed {MAX_ENTRIES} entries"
            )));
        }
        items.push(v);
    }
    Ok(Value::from(items))
}

pub fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// A JavaScript primitive.
#[derive(Debug, Clone, PartialEq)]
pub enum Prim {
    Undef,
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
}

/// Builds a JS number value: integral values become integers (so they print and serialize as
/// JavaScript does), the rest floats.
pub fn num(f: f64) -> Value {
    if f.is_finite()
        && f.fract() == 0.0
        && f.abs() < 9.007_199_254_740_992e15
        && !(f == 0.0 && f.is_sign_negative())
    {
        Value::from(f as i64)
    } else {
        Value::from(f)
    }
}

pub fn is_primitive(v: &Value) -> bool {
    matches!(
        v.kind(),
        ValueKind::Undefined
            | ValueKind::None
            | ValueKind::Bool
            | ValueKind::Number
            | ValueKind::String
    )
}

/// `runtimeToPrimitive`.
pub fn to_prim(v: &Value) -> Prim {
    match v.kind() {
        ValueKind::Undefined => Prim::Undef,
        ValueKind::None => Prim::Null,
        ValueKind::Bool => Prim::Bool(v.is_true()),
        ValueKind::Number => Prim::Num(as_f64(v)),
        ValueKind::String => Prim::Str(v.as_str().unwrap_or_default().to_string()),
        ValueKind::Map => Prim::Str("[object Object]".into()),
        _ => Prim::Str(js_string(v)),
    }
}

/// JavaScript `Number(string)`.
pub fn parse_js_number(s: &str) -> f64 {
    let t = s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if t.is_empty() {
        return 0.0;
    }
    let radix = |p: &str, r: u32| {
        u64::from_str_radix(p, r)
            .map(|n| n as f64)
            .unwrap_or(f64::NAN)
    };
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return radix(h, 16);
    }
    if let Some(o) = t.strip_prefix("0o").or_else(|| t.strip_prefix("0O")) {
        return radix(o, 8);
    }
    if let Some(b) = t.strip_prefix("0b").or_else(|| t.strip_prefix("0B")) {
        return radix(b, 2);
    }
    match t {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    if !t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return f64::NAN;
    }
    t.parse::<f64>().unwrap_or(f64::NAN)
}

pub fn prim_to_number(p: &Prim) -> f64 {
    match p {
        Prim::Undef => f64::NAN,
        Prim::Null => 0.0,
        Prim::Bool(b) => f64::from(u8::from(*b)),
        Prim::Num(n) => *n,
        Prim::Str(s) => parse_js_number(s),
    }
}

/// `runtimeToNumber`.
pub fn to_number(v: &Value) -> f64 {
    prim_to_number(&to_prim(v))
}

/// `String(primitive)` (undefined → "undefined").
pub fn prim_to_string(p: &Prim) -> String {
    match p {
        Prim::Undef => "undefined".into(),
        Prim::Null => "null".into(),
        Prim::Bool(b) => b.to_string(),
        Prim::Num(n) => format_f64(*n),
        Prim::Str(s) => s.clone(),
    }
}

/// `runtimeToString`.
pub fn to_string(v: &Value) -> String {
    prim_to_string(&to_prim(v))
}

/// `runtimeTruthy`: JavaScript truthiness (empty arrays and objects are truthy).
pub fn truthy(v: &Value) -> bool {
    match v.kind() {
        ValueKind::Undefined | ValueKind::None => false,
        ValueKind::Bool => v.is_true(),
        ValueKind::Number => {
            let f = as_f64(v);
            f != 0.0 && !f.is_nan()
        }
        ValueKind::String => !v.as_str().unwrap_or_default().is_empty() || v.is_safe(),
        _ => true,
    }
}

pub fn strict_eq(a: &Value, b: &Value) -> bool {
    match (a.kind(), b.kind()) {
        (ValueKind::Undefined, ValueKind::Undefined) | (ValueKind::None, ValueKind::None) => true,
        (ValueKind::Number, ValueKind::Number) => as_f64(a) == as_f64(b),
        (ValueKind::String, ValueKind::String) => a.as_str() == b.as_str(),
        (ValueKind::Bool, ValueKind::Bool) => a.is_true() == b.is_true(),
        (ka, kb) if ka == kb && !is_primitive(a) => a == b,
        _ => false,
    }
}

fn prim_loose_eq(l: &Prim, r: &Prim) -> bool {
    if l == r && !matches!(l, Prim::Num(n) if n.is_nan()) {
        return true;
    }
    let nullish = |p: &Prim| matches!(p, Prim::Undef | Prim::Null);
    if nullish(l) || nullish(r) {
        return nullish(l) && nullish(r);
    }
    match (l, r) {
        (Prim::Bool(b), _) => prim_loose_eq(&Prim::Num(f64::from(u8::from(*b))), r),
        (_, Prim::Bool(b)) => prim_loose_eq(l, &Prim::Num(f64::from(u8::from(*b)))),
        (Prim::Num(n), Prim::Str(s)) | (Prim::Str(s), Prim::Num(n)) => *n == parse_js_number(s),
        (Prim::Num(a), Prim::Num(b)) => a == b,
        _ => false,
    }
}

pub fn loose_eq(a: &Value, b: &Value) -> bool {
    if strict_eq(a, b) {
        return true;
    }
    let (pa, pb) = (is_primitive(a), is_primitive(b));
    if !pa && !pb {
        return false;
    }
    prim_loose_eq(&to_prim(a), &to_prim(b))
}

/// `runtimeOrder`: -1, 0, 1 or NaN (None).
pub fn order(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    let (pa, pb) = (to_prim(a), to_prim(b));
    if let (Prim::Str(x), Prim::Str(y)) = (&pa, &pb) {
        return Some(cmp_utf16(x, y));
    }
    let (x, y) = (prim_to_number(&pa), prim_to_number(&pb));
    x.partial_cmp(&y)
}

/// JavaScript string comparison (UTF-16 code units).
pub fn cmp_utf16(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

pub fn add(a: &Value, b: &Value) -> Value {
    let (pa, pb) = (to_prim(a), to_prim(b));
    if matches!(pa, Prim::Str(_)) || matches!(pb, Prim::Str(_)) {
        return Value::from(prim_to_string(&pa) + &prim_to_string(&pb));
    }
    num(prim_to_number(&pa) + prim_to_number(&pb))
}

fn js_rem(a: f64, b: f64) -> f64 {
    a % b
}

/// UTF-16 length of a string.
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Own-property lookup with JavaScript rules: `length` of strings and arrays, canonical array
/// indexes only (no negative ones), string indexes give UTF-16 units, objects by string key.
pub fn get(target: &Value, key: &Value) -> Value {
    let k = match key.kind() {
        ValueKind::String => key.as_str().unwrap_or_default().to_string(),
        _ => to_string(key),
    };
    match target.kind() {
        ValueKind::String => {
            let s = target.as_str().unwrap_or_default();
            if k == "length" {
                return Value::from(utf16_len(s) as i64);
            }
            match canonical_index(&k) {
                Some(i) => {
                    let units: Vec<u16> = s.encode_utf16().collect();
                    units
                        .get(i)
                        .map(|u| Value::from(String::from_utf16_lossy(&[*u])))
                        .unwrap_or(Value::UNDEFINED)
                }
                None => Value::UNDEFINED,
            }
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let len = target.len().unwrap_or(0);
            if k == "length" {
                return Value::from(len as i64);
            }
            match canonical_index(&k) {
                Some(i) if i < len => target.get_item(&Value::from(i)).unwrap_or(Value::UNDEFINED),
                _ => Value::UNDEFINED,
            }
        }
        ValueKind::Map => target.get_attr(&k).unwrap_or(Value::UNDEFINED),
        _ => Value::UNDEFINED,
    }
}

fn canonical_index(k: &str) -> Option<usize> {
    let i = k.parse::<usize>().ok()?;
    (i.to_string() == k).then_some(i)
}

/// Items of an array-like value for iteration (arrays; strings by UTF-16 unit).
pub fn seq_items(v: &Value) -> Option<Vec<Value>> {
    match v.kind() {
        ValueKind::Seq | ValueKind::Iterable => v.try_iter().ok().map(|i| i.collect()),
        ValueKind::String => Some(utf16_units(v.as_str().unwrap_or_default())),
        _ => None,
    }
}

pub fn utf16_units(s: &str) -> Vec<Value> {
    s.encode_utf16()
        .map(|u| Value::from(String::from_utf16_lossy(&[u])))
        .collect()
}

pub fn map_entries(v: &Value) -> Vec<(Value, Value)> {
    let Ok(keys) = v.try_iter() else {
        return Vec::new();
    };
    keys.map(|k| {
        let item = v.get_item(&k).unwrap_or(Value::UNDEFINED);
        (Value::from(to_string(&k)), item)
    })
    .collect()
}

/// `for` iteration (nunjitsu's `iterableEntries`).
fn iter(v: Value, targets: usize) -> Result<Value, Error> {
    if targets <= 1 {
        return Ok(match v.kind() {
            ValueKind::Seq | ValueKind::Iterable | ValueKind::String => {
                Value::from(seq_items(&v).unwrap_or_default())
            }
            ValueKind::Map => {
                let len = to_number(&get(&v, &Value::from("length")));
                let n = if len.is_nan() || len <= 0.0 {
                    0
                } else {
                    len.ceil() as usize
                };
                Value::from(
                    (0..n)
                        .map(|i| get(&v, &Value::from(i.to_string())))
                        .collect::<Vec<_>>(),
                )
            }
            _ => Value::from(Vec::<Value>::new()),
        });
    }
    let rows: Vec<Value> = match v.kind() {
        ValueKind::Seq | ValueKind::Iterable => {
            v.try_iter().map(|i| i.collect()).unwrap_or_default()
        }
        ValueKind::Map => map_entries(&v)
            .into_iter()
            .map(|(k, v)| Value::from(vec![k, v]))
            .collect(),
        ValueKind::String => v
            .as_str()
            .unwrap_or_default()
            .encode_utf16()
            .enumerate()
            .map(|(i, u)| {
                Value::from(vec![
                    Value::from(i.to_string()),
                    Value::from(String::from_utf16_lossy(&[u])),
                ])
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if row.is_undefined() || row.is_none() {
            return Err(err("Cannot destructure a nullish loop value"));
        }
        let cells: Vec<Value> = (0..targets)
            .map(|i| get(&row, &Value::from(i.to_string())))
            .collect();
        out.push(Value::from(cells));
    }
    Ok(Value::from(out))
}

/// `runtimeContains` for `in`.
pub fn contains(needle: &Value, container: &Value) -> Result<bool, Error> {
    match container.kind() {
        ValueKind::String => Ok(container
            .as_str()
            .unwrap_or_default()
            .contains(&to_string(needle))),
        ValueKind::Seq | ValueKind::Iterable => Ok(container
            .try_iter()
            .map(|mut i| i.any(|x| strict_eq(&x, needle)))
            .unwrap_or(false)),
        ValueKind::Map => Ok(!container
            .get_attr(&to_string(needle))
            .unwrap_or(Value::UNDEFINED)
            .is_undefined()
            || map_entries(container)
                .iter()
                .any(|(k, _)| k.as_str() == Some(&to_string(needle)))),
        _ => Err(err("Membership requires an array, record, or string")),
    }
}

pub fn slice(v: Value, start: Value, stop: Value, step: Value) -> Result<Value, Error> {
    let target = if truthy(&v) {
        v
    } else {
        Value::from(Vec::<Value>::new())
    };
    let len = to_number(&get(&target, &Value::from("length")));
    let step_n = if step.is_none() {
        1.0
    } else {
        to_number(&step)
    };
    if !step_n.is_finite() || step_n == 0.0 {
        return Err(err("Slice step must have finite non-zero numeric coercion"));
    }
    let mut start_n = if start.is_none() {
        if step_n < 0.0 {
            len - 1.0
        } else {
            0.0
        }
    } else {
        to_number(&start)
    };
    let mut stop_n = if stop.is_none() {
        if step_n < 0.0 {
            -1.0
        } else {
            len
        }
    } else {
        let s = to_number(&stop);
        if s < 0.0 {
            s + len
        } else {
            s
        }
    };
    if start_n < 0.0 {
        start_n += len;
    }
    if stop_n.is_nan() {
        stop_n = len;
    }
    let mut i = start_n;
    bounded_array(|| {
        if i < 0.0
            || i > len
            || (step_n > 0.0 && i >= stop_n)
            || (step_n < 0.0 && i <= stop_n)
            || i.is_nan()
        {
            return None;
        }
        let item = get(&target, &Value::from(format_f64(i)));
        i += step_n;
        Some(item)
    })
}

/// Whether `name` is a nunjucks test.
pub fn is_test(name: &str) -> bool {
    // `x is none` parses `none` as the null literal, which names the `null` test.
    name == "none"
        || !matches!(test(name, &Value::UNDEFINED, &[]), Err(e) if e.kind() == ErrorKind::UnknownTest)
}

/// Applies a nunjucks test.
pub fn test(name: &str, input: &Value, args: &[Value]) -> Result<bool, Error> {
    let arity = match name {
        "callable" | "defined" | "escaped" | "even" | "falsy" | "iterable" | "lower"
        | "mapping" | "null" | "number" | "odd" | "string" | "truthy" | "undefined" | "upper" => 0,
        "divisibleby" | "eq" | "equalto" | "ge" | "greaterthan" | "gt" | "le" | "lessthan"
        | "lt" | "ne" | "sameas" => 1,
        other => {
            return Err(Error::new(
                ErrorKind::UnknownTest,
                format!("Unknown template test \"{other}\""),
            ))
        }
    };
    if args.len() != arity {
        return Err(err(format!(
            "Template test {name} requires {arity} positional argument{}",
            if arity == 1 { "" } else { "s" }
        )));
    }
    let a0 = args.first().cloned().unwrap_or(Value::UNDEFINED);
    let text = |v: &Value| -> Result<String, Error> {
        match v.kind() {
            ValueKind::String => Ok(v.as_str().unwrap_or_default().to_string()),
            _ => Err(err("Filter input must be a string")),
        }
    };
    Ok(match name {
        "callable" => matches!(input.kind(), ValueKind::Plain) && !is_regex(input),
        "defined" => !input.is_undefined(),
        "undefined" => input.is_undefined(),
        "divisibleby" => js_rem(to_number(input), to_number(&a0)) == 0.0,
        "escaped" => input.is_safe(),
        "eq" | "equalto" | "sameas" => strict_eq(input, &a0),
        "ne" => !strict_eq(input, &a0),
        "even" => js_rem(to_number(input), 2.0) == 0.0,
        "odd" => js_rem(to_number(input), 2.0) == 1.0,
        "falsy" => !truthy(input),
        "truthy" => truthy(input),
        "ge" => matches!(order(input, &a0), Some(o) if o.is_ge()),
        "gt" | "greaterthan" => matches!(order(input, &a0), Some(o) if o.is_gt()),
        "le" => matches!(order(input, &a0), Some(o) if o.is_le()),
        "lt" | "lessthan" => matches!(order(input, &a0), Some(o) if o.is_lt()),
        "iterable" => {
            if input.is_undefined() || input.is_none() {
                return Err(err("iterable test requires a value"));
            }
            matches!(
                input.kind(),
                ValueKind::String | ValueKind::Seq | ValueKind::Iterable
            )
        }
        "lower" => {
            if input.is_safe() {
                false
            } else {
                let t = text(input)?;
                t.to_lowercase() == t
            }
        }
        "upper" => {
            if input.is_safe() {
                false
            } else {
                let t = text(input)?;
                super::text::js_upper(&t) == t
            }
        }
        "mapping" => matches!(input.kind(), ValueKind::Map) || input.is_safe() || is_regex(input),
        "null" => input.is_none(),
        "number" => matches!(input.kind(), ValueKind::Number),
        "string" => matches!(input.kind(), ValueKind::String) && !input.is_safe(),
        _ => false,
    })
}

fn is_regex(v: &Value) -> bool {
    as_regex(v).is_some()
}

/// Registers the helper filters and functions `emit.rs` relies on.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("__t", |v: Value| truthy(&v));
    for op in ["add", "cat", "sub", "mul", "div", "mod", "pow"] {
        env.add_filter(format!("__{op}"), move |a: Value, b: Value| {
            binary(op, &a, &b).unwrap_or(Value::UNDEFINED)
        });
    }
    env.add_filter("__floor", |a: Value| num(to_number(&a).floor()));
    env.add_filter("__neg", |a: Value| num(-to_number(&a)));
    env.add_filter("__pos", |a: Value| num(to_number(&a)));
    env.add_filter(
        "__cmp",
        |a: Value, op: String, b: Value| -> Result<bool, Error> { compare(&op, &a, &b) },
    );
    env.add_filter("__in", |needle: Value, container: Value| {
        contains(&needle, &container)
    });
    env.add_filter("__get", |t: Value, k: Value| get(&t, &k));
    env.add_filter("__iter", |v: Value, n: usize| iter(v, n));
    env.add_filter("__slice", slice);
    env.add_filter("__unsafe", |v: Value| match v.as_str() {
        Some(s) if v.is_safe() => Value::from(s.to_string()),
        _ => v,
    });
    env.add_filter("__test", |input: Value, name: String, args: Rest<Value>| {
        test(&name, &input, &args)
    });
    env.add_filter("__json_enc", |v: Value| -> Result<Value, Error> {
        let d = super::convert::dump(&v, Value::UNDEFINED)?;
        Ok(if d.is_undefined() { Value::from("") } else { d })
    });
    env.add_function("joiner", |sep: Option<Value>| {
        let sep = sep.filter(truthy).unwrap_or_else(|| Value::from(","));
        Value::from_object(Joiner {
            sep,
            used: Default::default(),
        })
    });
    env.add_function("cycler", |values: Rest<Value>| {
        Value::from_object(Cycler {
            values: values.0,
            index: std::sync::Mutex::new(-1),
        })
    });
    env.add_function("__store", || Value::from_object(Store::default()));
    env.add_function("__undefined", || Value::UNDEFINED);
    env.add_function("__regex", |source: String, flags: String| {
        Value::from_object(JsRegex { source, flags })
    });
}

/// The binary operators `add sub mul div mod pow cat` (`None` for another name).
pub fn binary(op: &str, a: &Value, b: &Value) -> Option<Value> {
    Some(match op {
        "add" => add(a, b),
        "cat" => Value::from(to_string(a) + &to_string(b)),
        "sub" => num(to_number(a) - to_number(b)),
        "mul" => num(to_number(a) * to_number(b)),
        "div" => num(to_number(a) / to_number(b)),
        "mod" => num(js_rem(to_number(a), to_number(b))),
        "pow" => num(js_pow(to_number(a), to_number(b))),
        _ => return None,
    })
}

/// A comparison `== != === !== < <= > >=`.
pub fn compare(op: &str, a: &Value, b: &Value) -> Result<bool, Error> {
    Ok(match op {
        "==" => loose_eq(a, b),
        "!=" => !loose_eq(a, b),
        "===" => strict_eq(a, b),
        "!==" => !strict_eq(a, b),
        "<" => matches!(order(a, b), Some(o) if o.is_lt()),
        "<=" => matches!(order(a, b), Some(o) if o.is_le()),
        ">" => matches!(order(a, b), Some(o) if o.is_gt()),
        ">=" => matches!(order(a, b), Some(o) if o.is_ge()),
        other => return Err(err(format!("Unsupported comparison operator {other}"))),
    })
}

fn js_pow(a: f64, b: f64) -> f64 {
    if b.is_nan() || ((a == 1.0 || a == -1.0) && b.is_infinite()) {
        return f64::NAN;
    }
    a.powf(b)
}

/// An object (record) value with keys in the given order.
pub fn object(entries: Vec<(String, Value)>) -> Value {
    Value::from_pairs(entries)
}

/// Per-render variable store that gives `{% set %}` inside `for` nunjucks' scoping (the
/// assignment updates the variable outside the loop and persists across iterations).
#[derive(Debug, Default)]
pub struct Store(std::sync::Mutex<std::collections::HashMap<String, Value>>);

impl Object for Store {
    fn call_method(
        self: &Arc<Self>,
        _state: &mut minijinja::State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let name = args
            .first()
            .and_then(|a| a.as_str())
            .unwrap_or_default()
            .to_string();
        let mut map = self.0.lock().map_err(|_| err("store poisoned"))?;
        Ok(match method {
            "put" => {
                map.insert(name, args.get(1).cloned().unwrap_or(Value::UNDEFINED));
                Value::UNDEFINED
            }
            "has" => Value::from(map.contains_key(&name)),
            "get" => map.get(&name).cloned().unwrap_or(Value::UNDEFINED),
            _ => return Err(Error::from(ErrorKind::UnknownMethod)),
        })
    }
}

/// nunjucks' `joiner(sep)`: "" on the first call, then the separator.
#[derive(Debug)]
pub struct Joiner {
    sep: Value,
    used: std::sync::atomic::AtomicBool,
}

impl Object for Joiner {
    fn call(
        self: &Arc<Self>,
        _state: &mut minijinja::State<'_, '_>,
        _args: &[Value],
    ) -> Result<Value, Error> {
        if self.used.swap(true, std::sync::atomic::Ordering::SeqCst) {
            Ok(self.sep.clone())
        } else {
            Ok(Value::from(""))
        }
    }
}

/// nunjucks' `cycler(a, b, ...)` with `next()`, `reset()` and `current`.
#[derive(Debug)]
pub struct Cycler {
    values: Vec<Value>,
    index: std::sync::Mutex<i64>,
}

impl Object for Cycler {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        if key.as_str() == Some("current") {
            let i = *self.index.lock().ok()?;
            return Some(if i < 0 {
                Value::from(())
            } else {
                self.values
                    .get(i as usize)
                    .cloned()
                    .unwrap_or(Value::UNDEFINED)
            });
        }
        None
    }
    fn call_method(
        self: &Arc<Self>,
        _state: &mut minijinja::State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        let mut i = self.index.lock().map_err(|_| err("cycler poisoned"))?;
        match method {
            "reset" => {
                *i = -1;
                Ok(Value::UNDEFINED)
            }
            "next" => {
                if self.values.is_empty() {
                    *i = 0;
                    return Ok(Value::UNDEFINED);
                }
                *i = (*i + 1) % self.values.len() as i64;
                Ok(self.values[*i as usize].clone())
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}
