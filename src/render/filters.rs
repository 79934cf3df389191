//! The nunjucks built-in filters with nunjitsu 0.7's semantics (the list of SPEC §4.7; minijinja's
//! Jinja2 filters are not registered at all, so Jinja-only ones such as `unique` fail as they do
//! in Backstage). Keyword arguments arrive as a trailing record marked `__keywords` (see emit.rs).

use minijinja::value::{Rest, Value, ValueKind};
use minijinja::{Environment, Error};

pub use super::convert::dump;
use super::ops::{self, err, num, order, strict_eq, to_number, to_string, truthy, utf16_len};
use super::regex::regex_replace;
use super::text::{is_js_ws, js_lower, js_string, js_trim, js_upper};

/// Registers every nunjucks filter on `env`.
pub fn register(env: &mut Environment<'static>) {
    macro_rules! f {
        ($name:expr, $fun:expr) => {
            env.add_filter(
                $name,
                move |input: Value, args: Rest<Value>| -> Result<Value, Error> {
                    let a = Args::new(args.0, $name);
                    $fun(input, &a)
                },
            );
        };
    }
    f!("abs", |v: Value, _: &Args| Ok(num(to_number(&v).abs())));
    f!("batch", batch);
    f!("capitalize", |v: Value, _: &Args| {
        let t = js_lower(&text(&norm(v.clone()))?);
        let mut units: Vec<u16> = t.encode_utf16().collect();
        let first = units
            .first()
            .map(|u| js_upper(&String::from_utf16_lossy(&[*u])));
        Ok(copy_safe(
            &v,
            match first {
                Some(f) => {
                    units.remove(0);
                    f + &String::from_utf16_lossy(&units)
                }
                None => String::new(),
            },
        ))
    });
    f!("center", center);
    f!("default", default);
    f!("d", default);
    f!("dictsort", dictsort);
    f!("dump", |v: Value, a: &Args| dump(&v, a.get(0)));
    f!("escape", |v: Value, _: &Args| Ok(if v.is_safe() {
        v
    } else {
        Value::from_safe_string(escape_html(&render(&v)?))
    }));
    f!("e", |v: Value, _: &Args| Ok(if v.is_safe() {
        v
    } else {
        Value::from_safe_string(escape_html(&render(&v)?))
    }));
    f!("forceescape", |v: Value, _: &Args| Ok(
        Value::from_safe_string(escape_html(&render(&v)?))
    ));
    f!("safe", |v: Value, _: &Args| Ok(if v.is_safe() {
        v
    } else {
        Value::from_safe_string(render(&v)?)
    }));
    f!("first", |v: Value, _: &Args| edge(&v, false));
    f!("last", |v: Value, _: &Args| edge(&v, true));
    f!("float", |v: Value, a: &Args| {
        let p = parse_float(&to_string(&v));
        Ok(if p.is_nan() { a.get(0) } else { num(p) })
    });
    f!("int", |v: Value, a: &Args| {
        let fallback = a.kw("default", 0);
        let base = a.kw("base", 1);
        let base = if base.is_undefined() {
            10
        } else {
            to_number(&base).trunc() as i64
        };
        let p = parse_int(&to_string(&v), base);
        Ok(if p.is_nan() { fallback } else { num(p) })
    });
    f!("reverse", |v: Value, _: &Args| {
        Ok(match v.kind() {
            ValueKind::String => {
                let mut u: Vec<u16> = v.as_str().unwrap_or_default().encode_utf16().collect();
                u.reverse();
                copy_safe(&v, String::from_utf16_lossy(&u))
            }
            ValueKind::Seq | ValueKind::Iterable => {
                let mut items: Vec<Value> = v.try_iter().map(|i| i.collect()).unwrap_or_default();
                items.reverse();
                Value::from(items)
            }
            ValueKind::Map => {
                let mut items = record_indexed(&v);
                items.reverse();
                Value::from(items)
            }
            _ => Value::from(Vec::<Value>::new()),
        })
    });
    f!("groupby", groupby);
    f!("join", join);
    f!("sum", sum);
    f!("sort", sort);
    f!("selectattr", |v: Value, a: &Args| select_attr(&v, a, true));
    f!("rejectattr", |v: Value, a: &Args| select_attr(&v, a, false));
    f!("select", |v: Value, a: &Args| select(&v, a, true));
    f!("reject", |v: Value, a: &Args| select(&v, a, false));
    f!("indent", indent);
    f!("length", |v: Value, _: &Args| Ok(length(&v)));
    f!("list", list);
    f!("lower", |v: Value, _: &Args| Ok(Value::from(js_lower(
        &text(&norm(v))?
    ))));
    f!("upper", |v: Value, _: &Args| Ok(Value::from(js_upper(
        &text(&norm(v))?
    ))));
    f!("nl2br", |v: Value, _: &Args| {
        let t = if v.is_undefined() || v.is_none() {
            String::new()
        } else {
            text(&v)?
        };
        Ok(copy_safe(
            &v,
            t.replace("\r\n", "<br />\n")
                .replace('\n', "<br />\n")
                .replace("\r<br />\n", "<br />\n"),
        ))
    });
    f!("random", |v: Value, _: &Args| random(&v));
    f!("replace", replace);
    f!("round", |v: Value, a: &Args| {
        let p = a.get(0);
        let factor = 10f64.powf(if truthy(&p) { to_number(&p) } else { 0.0 });
        let x = to_number(&v) * factor;
        let method = a.get(1);
        let r = match method.as_str() {
            Some("ceil") => x.ceil(),
            Some("floor") => x.floor(),
            _ => js_round(x),
        };
        Ok(num(r / factor))
    });
    f!("slice", slice);
    f!("string", |v: Value, _: &Args| {
        if v.is_undefined() || v.is_none() {
            return Err(err("string requires a value"));
        }
        if v.is_safe() {
            return Ok(v);
        }
        Ok(Value::from(render(&v)?))
    });
    f!("striptags", striptags);
    f!("title", |v: Value, _: &Args| {
        let t = text(&norm(v.clone()))?;
        let words: Vec<String> = t
            .split(' ')
            .map(|w| {
                let l = js_lower(w);
                let mut u: Vec<u16> = l.encode_utf16().collect();
                if u.is_empty() {
                    return l;
                }
                let f = js_upper(&String::from_utf16_lossy(&u[..1]));
                u.remove(0);
                f + &String::from_utf16_lossy(&u)
            })
            .collect();
        Ok(copy_safe(&v, words.join(" ")))
    });
    f!("trim", |v: Value, _: &Args| Ok(copy_safe(
        &v,
        js_trim(&text(&v)?).to_string()
    )));
    f!("truncate", truncate);
    f!("urlencode", urlencode);
    f!("urlize", |v: Value, _: &Args| Ok(Value::from(text(&v)?)));
    f!("wordcount", |v: Value, _: &Args| {
        let n = norm(v);
        if !truthy(&n) {
            return Ok(Value::from(()));
        }
        let t = text(&n)?;
        let count = t
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .count();
        Ok(if count == 0 {
            Value::from(())
        } else {
            Value::from(count as i64)
        })
    });
}

/// Positional arguments plus the keyword record nunjucks appends.
struct Args {
    pos: Vec<Value>,
    kw: Option<Value>,
}

impl Args {
    /// nunjucks maps keyword arguments to names only for `int` and `sort`; every other filter
    /// gets them as one trailing positional record.
    fn new(mut v: Vec<Value>, filter: &str) -> Args {
        let kw = match v.last() {
            Some(l)
                if matches!(filter, "int" | "sort")
                    && l.kind() == ValueKind::Map
                    && l.get_attr("__keywords").is_ok_and(|k| k.is_true()) =>
            {
                v.pop()
            }
            _ => None,
        };
        Args { pos: v, kw }
    }
    fn get(&self, i: usize) -> Value {
        self.pos.get(i).cloned().unwrap_or(Value::UNDEFINED)
    }
    /// Argument `i` when truthy, else `default` (nunjucks' `width || 80` style defaults).
    fn get_or(&self, i: usize, default: i64) -> Value {
        let v = self.get(i);
        if truthy(&v) {
            v
        } else {
            Value::from(default)
        }
    }
    fn kw(&self, name: &str, i: usize) -> Value {
        if let Some(k) = &self.kw {
            if let Ok(v) = k.get_attr(name) {
                if !v.is_undefined() {
                    return v;
                }
            }
        }
        self.get(i)
    }
}

/// A value's JavaScript `.length`: UTF-16 units of a string, items of an array, an object's
/// `length` member, else undefined.
fn js_length(n: &Value) -> Value {
    match n.kind() {
        ValueKind::String => Value::from(utf16_len(n.as_str().unwrap_or_default()) as i64),
        ValueKind::Seq => Value::from(n.len().unwrap_or(0) as i64),
        ValueKind::Map => ops::get(n, &Value::from("length")),
        _ => Value::UNDEFINED,
    }
}

/// `normalizeRuntimeTextInput`: undefined, null and false become "".
fn norm(v: Value) -> Value {
    if v.is_undefined() || v.is_none() || (v.kind() == ValueKind::Bool && !v.is_true()) {
        Value::from("")
    } else {
        v
    }
}

/// `runtimeText`: the input must be a string.
fn text(v: &Value) -> Result<String, Error> {
    match v.kind() {
        ValueKind::String => Ok(v.as_str().unwrap_or_default().to_string()),
        _ => Err(err("Filter input must be a string")),
    }
}

/// `renderRuntimeValue`.
fn render(v: &Value) -> Result<String, Error> {
    if v.kind() == ValueKind::Plain && ops::as_regex(v).is_none() {
        return Err(err("Callable values cannot be rendered"));
    }
    Ok(js_string(v))
}

fn copy_safe(input: &Value, out: String) -> Value {
    if input.is_safe() {
        Value::from_safe_string(out)
    } else {
        Value::from(out)
    }
}

fn escape_html(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '\\' => o.push_str("&#92;"),
            c => o.push(c),
        }
    }
    o
}

fn js_round(x: f64) -> f64 {
    (x + 0.5).floor()
}

/// `Number.parseFloat`.
pub fn parse_float(s: &str) -> f64 {
    let t = s.trim_start_matches(is_js_ws);
    for p in ["Infinity", "+Infinity"] {
        if t.starts_with(p) {
            return f64::INFINITY;
        }
    }
    if t.starts_with("-Infinity") {
        return f64::NEG_INFINITY;
    }
    let b = t.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i == digits_start || &t[digits_start..i] == "." {
        return f64::NAN;
    }
    let mant_end = i;
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let ds = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > ds {
            i = j;
        }
    }
    let _ = mant_end;
    t[..i].parse::<f64>().unwrap_or(f64::NAN)
}

/// `Number.parseInt(s, base)`.
pub fn parse_int(s: &str, base: i64) -> f64 {
    let t = s.trim_start_matches(is_js_ws);
    let (neg, mut t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut radix = if base == 0 { 10 } else { base };
    if !(2..=36).contains(&radix) {
        return f64::NAN;
    }
    if (radix == 16 || base == 0) && (t.starts_with("0x") || t.starts_with("0X")) {
        t = &t[2..];
        radix = 16;
    }
    let mut acc = 0f64;
    let mut any = false;
    for c in t.chars() {
        match c.to_digit(radix as u32) {
            Some(d) => {
                acc = acc * radix as f64 + d as f64;
                any = true;
            }
            None => break,
        }
    }
    if !any {
        return f64::NAN;
    }
    if neg {
        -acc
    } else {
        acc
    }
}

fn length(v: &Value) -> Value {
    match v.kind() {
        ValueKind::Seq | ValueKind::Iterable => Value::from(v.len().unwrap_or(0) as i64),
        ValueKind::Map => Value::from(ops::map_entries(v).len() as i64),
        ValueKind::String => Value::from(utf16_len(v.as_str().unwrap_or_default()) as i64),
        ValueKind::Undefined | ValueKind::None => Value::from(0),
        ValueKind::Bool if !v.is_true() => Value::from(0),
        _ => Value::UNDEFINED,
    }
}

fn record_indexed(v: &Value) -> Vec<Value> {
    let len = to_number(&ops::get(v, &Value::from("length")));
    let n = if len.is_nan() || len <= 0.0 {
        0
    } else {
        len.ceil() as usize
    };
    (0..n)
        .map(|i| ops::get(v, &Value::from(i.to_string())))
        .collect()
}

fn seq_or_text(v: &Value) -> Option<Vec<Value>> {
    match v.kind() {
        ValueKind::Seq | ValueKind::Iterable | ValueKind::String => ops::seq_items(v),
        _ => None,
    }
}

fn batch(v: Value, a: &Args) -> Result<Value, Error> {
    if v.is_undefined() || v.is_none() {
        return Err(err("batch requires a sequence"));
    }
    let w = to_number(&a.get(0)).trunc();
    if !(w.is_finite() && w > 0.0) {
        return Err(err("Batch size must be a positive integer"));
    }
    let w = w as usize;
    let items = if v.kind() == ValueKind::Map {
        Some(record_indexed(&v))
    } else {
        seq_or_text(&v)
    };
    let Some(items) = items else {
        return Ok(Value::from(Vec::<Value>::new()));
    };
    let fill = a.get(1);
    let mut out = Vec::new();
    for chunk in items.chunks(w) {
        let mut row = chunk.to_vec();
        if row.len() < w && truthy(&fill) {
            row.resize(w, fill.clone());
        }
        out.push(Value::from(row));
    }
    Ok(Value::from(out))
}

fn center(v: Value, a: &Args) -> Result<Value, Error> {
    let n = norm(v);
    let width = a.get_or(0, 80);
    let len = js_length(&n);
    if matches!(order(&len, &width), Some(o) if o.is_ge()) {
        return Ok(n);
    }
    let spaces = to_number(&width) - to_number(&len);
    let t = to_string(&n);
    let rep = |b: f64| {
        if b.is_nan() || b <= 0.0 {
            String::new()
        } else {
            " ".repeat(b.ceil() as usize)
        }
    };
    Ok(copy_safe(
        &n,
        rep(spaces / 2.0 - spaces % 2.0) + &t + &rep(spaces / 2.0),
    ))
}

fn default(v: Value, a: &Args) -> Result<Value, Error> {
    Ok(if truthy(&a.kw("boolean", 1)) {
        if truthy(&v) {
            v
        } else {
            a.get(0)
        }
    } else if v.is_undefined() {
        a.get(0)
    } else {
        v
    })
}

fn dictsort(v: Value, a: &Args) -> Result<Value, Error> {
    if v.kind() != ValueKind::Map {
        return Err(err("dictsort requires a record"));
    }
    let cs = truthy(&a.get(0));
    let by = a.get(1);
    let by_value = match by.as_str() {
        _ if by.is_undefined() => false,
        Some("key") => false,
        Some("value") => true,
        _ => return Err(err("dictsort can only sort by key or value")),
    };
    let mut entries = ops::map_entries(&v);
    let normk = |x: &Value| {
        if !cs && x.kind() == ValueKind::String {
            Value::from(js_upper(x.as_str().unwrap_or_default()))
        } else {
            x.clone()
        }
    };
    entries.sort_by(|l, r| {
        let (a, b) = if by_value {
            (normk(&l.1), normk(&r.1))
        } else {
            (normk(&l.0), normk(&r.0))
        };
        if matches!(order(&a, &b), Some(o) if o.is_gt()) {
            std::cmp::Ordering::Greater
        } else if strict_eq(&a, &b) {
            std::cmp::Ordering::Equal
        } else {
            std::cmp::Ordering::Less
        }
    });
    Ok(Value::from(
        entries
            .into_iter()
            .map(|(k, v)| Value::from(vec![k, v]))
            .collect::<Vec<_>>(),
    ))
}

fn edge(v: &Value, last: bool) -> Result<Value, Error> {
    match v.kind() {
        ValueKind::Undefined | ValueKind::None => Err(err(format!(
            "{} requires a sequence",
            if last { "last" } else { "first" }
        ))),
        ValueKind::Seq | ValueKind::Iterable => {
            let n = v.len().unwrap_or(0);
            if n == 0 {
                return Ok(Value::UNDEFINED);
            }
            Ok(v.get_item(&Value::from(if last { n - 1 } else { 0 }))
                .unwrap_or(Value::UNDEFINED))
        }
        ValueKind::String => {
            let u = ops::utf16_units(v.as_str().unwrap_or_default());
            Ok(if last { u.last() } else { u.first() }
                .cloned()
                .unwrap_or(Value::UNDEFINED))
        }
        ValueKind::Map => {
            if !last {
                return Ok(ops::get(v, &Value::from("0")));
            }
            let i = to_number(&ops::get(v, &Value::from("length"))) - 1.0;
            Ok(ops::get(v, &Value::from(super::text::format_f64(i))))
        }
        _ => Ok(Value::UNDEFINED),
    }
}

fn attr_path(v: &Value) -> Vec<String> {
    if !truthy(v) {
        return Vec::new();
    }
    match v.as_str() {
        Some(s) if v.kind() == ValueKind::String => s.split('.').map(str::to_string).collect(),
        _ => vec![to_string(v)],
    }
}

fn lookup_path(v: &Value, path: &[String]) -> Result<Value, Error> {
    let mut cur = v.clone();
    for seg in path {
        if cur.is_undefined() || cur.is_none() {
            return Err(err("Cannot read a template attribute from a nullish value"));
        }
        cur = ops::get(&cur, &Value::from(seg.as_str()));
    }
    Ok(cur)
}

fn lookup_attr(v: &Value, key: &str) -> Result<Value, Error> {
    if v.is_undefined() || v.is_none() {
        return Err(err("Cannot read a template attribute from a nullish value"));
    }
    Ok(ops::get(v, &Value::from(key)))
}

fn groupby(v: Value, a: &Args) -> Result<Value, Error> {
    if v.is_undefined() || v.is_none() {
        return Err(err("groupby requires a sequence"));
    }
    let items = if v.kind() == ValueKind::Map {
        Some(record_indexed(&v))
    } else {
        seq_or_text(&v)
    };
    let path = attr_path(&a.get(0));
    let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
    for item in items.unwrap_or_default() {
        let key = to_string(&lookup_path(&item, &path)?);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, g)) => g.push(item),
            None => groups.push((key, vec![item])),
        }
    }
    Ok(ops::object(
        groups
            .into_iter()
            .map(|(k, g)| (k, Value::from(g)))
            .collect(),
    ))
}

/// Projects `attribute` of each item (nunjitsu's `projectRuntimeAttributeValues`).
fn project(v: &Value, attr: &str) -> Result<Vec<Value>, Error> {
    match v.kind() {
        ValueKind::Seq | ValueKind::Iterable => v
            .try_iter()
            .map(|i| i.collect::<Vec<_>>())
            .unwrap_or_default()
            .iter()
            .map(|x| lookup_attr(x, attr))
            .collect(),
        ValueKind::String => ops::utf16_units(v.as_str().unwrap_or_default())
            .iter()
            .map(|x| lookup_attr(x, attr))
            .collect(),
        ValueKind::Map => record_indexed(v)
            .iter()
            .map(|x| lookup_attr(x, attr))
            .collect(),
        _ => Ok(Vec::new()),
    }
}

fn require_array(v: &Value, op: &str) -> Result<Vec<Value>, Error> {
    match v.kind() {
        ValueKind::Seq | ValueKind::Iterable => {
            Ok(v.try_iter().map(|i| i.collect()).unwrap_or_default())
        }
        _ => Err(err(format!("{op} requires an array"))),
    }
}

fn join(v: Value, a: &Args) -> Result<Value, Error> {
    let sep = if truthy(&a.get(0)) {
        to_string(&a.get(0))
    } else {
        String::new()
    };
    let attr = a.get(1);
    let items = if truthy(&attr) {
        project(&v, &to_string(&attr))?
    } else {
        require_array(&v, "join")?
    };
    let parts: Vec<String> = items
        .iter()
        .map(|i| {
            if i.is_undefined() || i.is_none() {
                String::new()
            } else {
                to_string(i)
            }
        })
        .collect();
    Ok(Value::from(parts.join(&sep)))
}

fn sum(v: Value, a: &Args) -> Result<Value, Error> {
    let attr = a.get(0);
    let items = if truthy(&attr) {
        project(&v, &to_string(&attr))?
    } else {
        require_array(&v, "sum")?
    };
    let mut acc = Value::from(0);
    for i in &items {
        acc = ops::add(&acc, i);
    }
    let start = a.get(1);
    let start = if start.is_undefined() {
        Value::from(0)
    } else {
        start
    };
    Ok(ops::add(&start, &acc))
}

fn sort(v: Value, a: &Args) -> Result<Value, Error> {
    let items = match v.kind() {
        ValueKind::Map => Some(record_indexed(&v)),
        _ => seq_or_text(&v),
    };
    let Some(mut items) = items else {
        return Ok(Value::from(Vec::<Value>::new()));
    };
    let reverse = truthy(&a.kw("reverse", 0));
    let cs = truthy(&a.kw("case_sensitive", 1));
    let path = attr_path(&a.kw("attribute", 2));
    let mut keyed = Vec::with_capacity(items.len());
    for it in items.drain(..) {
        let k = if path.is_empty() {
            it.clone()
        } else {
            lookup_path(&it, &path)?
        };
        keyed.push((k, it));
    }
    keyed.sort_by(|(l, _), (r, _)| {
        let (l, r) = if !cs && l.kind() == ValueKind::String && r.kind() == ValueKind::String {
            (
                Value::from(js_lower(l.as_str().unwrap_or_default())),
                Value::from(js_lower(r.as_str().unwrap_or_default())),
            )
        } else {
            (l.clone(), r.clone())
        };
        match order(&l, &r) {
            Some(std::cmp::Ordering::Less) => {
                if reverse {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Less
                }
            }
            Some(std::cmp::Ordering::Greater) => {
                if reverse {
                    std::cmp::Ordering::Less
                } else {
                    std::cmp::Ordering::Greater
                }
            }
            _ => std::cmp::Ordering::Equal,
        }
    });
    Ok(Value::from(
        keyed.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
    ))
}

fn select_attr(v: &Value, a: &Args, select: bool) -> Result<Value, Error> {
    let items = require_array(v, if select { "selectattr" } else { "rejectattr" })?;
    let attr = to_string(&a.get(0));
    let mut out = Vec::new();
    for it in items {
        if truthy(&lookup_attr(&it, &attr)?) == select {
            out.push(it);
        }
    }
    Ok(Value::from(out))
}

fn select(v: &Value, a: &Args, select: bool) -> Result<Value, Error> {
    let test_name = if a.get(0).is_undefined() {
        "truthy".to_string()
    } else {
        to_string(&a.get(0))
    };
    if v.is_undefined() || v.is_none() {
        return Err(err(format!(
            "{} requires a sequence",
            if select { "select" } else { "reject" }
        )));
    }
    let items = match v.kind() {
        ValueKind::Map => record_indexed(v),
        _ => seq_or_text(v).unwrap_or_default(),
    };
    let args: Vec<Value> = a.pos.iter().skip(1).cloned().collect();
    let mut out = Vec::new();
    for it in items {
        if ops::test(&test_name, &it, &args)? == select {
            out.push(it);
        }
    }
    Ok(Value::from(out))
}

fn indent(v: Value, a: &Args) -> Result<Value, Error> {
    let n = norm(v);
    let t = text(&n)?;
    if t.is_empty() {
        return Ok(Value::from(""));
    }
    let width = if truthy(&a.get(0)) {
        to_number(&a.get(0))
    } else {
        4.0
    };
    let first = truthy(&a.get(1));
    let pad = if width.is_nan() || width <= 0.0 {
        String::new()
    } else {
        " ".repeat(width.ceil() as usize)
    };
    let lines: Vec<String> = t
        .split('\n')
        .enumerate()
        .map(|(i, l)| {
            if i == 0 && !first {
                l.to_string()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect();
    Ok(copy_safe(&n, lines.join("\n")))
}

fn list(v: Value, _: &Args) -> Result<Value, Error> {
    match v.kind() {
        ValueKind::Seq | ValueKind::Iterable => Ok(v),
        ValueKind::String => Ok(Value::from(ops::utf16_units(
            v.as_str().unwrap_or_default(),
        ))),
        ValueKind::Map => Ok(Value::from(
            ops::map_entries(&v)
                .into_iter()
                .map(|(k, x)| ops::object(vec![("key".into(), k), ("value".into(), x)]))
                .collect::<Vec<_>>(),
        )),
        _ => Err(err("list requires an iterable value")),
    }
}

fn random(v: &Value) -> Result<Value, Error> {
    if v.is_undefined() || v.is_none() {
        return Err(err("random requires a sequence"));
    }
    let items = seq_or_text(v).unwrap_or_else(|| record_indexed(v));
    if items.is_empty() {
        return Ok(Value::UNDEFINED);
    }
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as usize)
        .unwrap_or(0);
    Ok(items[seed % items.len()].clone())
}

fn replace(v: Value, a: &Args) -> Result<Value, Error> {
    let search = a.get(0);
    let rep = a.get(1);
    let max = a.get(2);
    if let Some(re) = ops::as_regex(&search) {
        if v.kind() != ValueKind::String {
            return Err(err("Regular-expression replacement requires a string"));
        }
        return Ok(Value::from(regex_replace(
            v.as_str().unwrap_or_default(),
            &re,
            &to_string(&rep),
        )?));
    }
    if !matches!(search.kind(), ValueKind::String | ValueKind::Number) {
        return Ok(v);
    }
    let input = if v.kind() == ValueKind::Number {
        Value::from(to_string(&v))
    } else {
        v.clone()
    };
    if input.kind() != ValueKind::String {
        return Ok(input);
    }
    let t = input.as_str().unwrap_or_default().to_string();
    let needle = to_string(&search);
    let rep_s = to_string(&rep);
    if needle.is_empty() {
        let sep = if rep.is_undefined() {
            ",".to_string()
        } else {
            rep_s.clone()
        };
        let units: Vec<String> = ops::utf16_units(&t)
            .iter()
            .map(|u| u.as_str().unwrap_or_default().to_string())
            .collect();
        return Ok(copy_safe(
            &input,
            format!("{rep_s}{}{rep_s}", units.join(&sep)),
        ));
    }
    let max_n = if max.is_undefined() {
        -1.0
    } else {
        to_number(&max)
    };
    if max_n == 0.0 || !t.contains(&needle) {
        return Ok(input);
    }
    if max.is_undefined() || (max.kind() == ValueKind::Number && max_n == -1.0) {
        return Ok(copy_safe(
            &v,
            t.split(needle.as_str()).collect::<Vec<_>>().join(&rep_s),
        ));
    }
    let mut out = String::new();
    let mut rest = t.as_str();
    let mut count = 0.0;
    while count < max_n {
        match rest.find(&needle) {
            Some(i) => {
                out.push_str(&rest[..i]);
                out.push_str(&rep_s);
                rest = &rest[i + needle.len()..];
            }
            None => break,
        }
        count += 1.0;
    }
    out.push_str(rest);
    Ok(copy_safe(&v, out))
}

fn slice(v: Value, a: &Args) -> Result<Value, Error> {
    let is_text = v.kind() == ValueKind::String;
    let items = match v.kind() {
        ValueKind::Seq | ValueKind::Iterable | ValueKind::String => {
            ops::seq_items(&v).unwrap_or_default()
        }
        _ => return Err(err("slice requires a sequence")),
    };
    let count = to_number(&a.get(0)).trunc();
    if !(count.is_finite() && count > 0.0) {
        return Err(err("Slice count must be a positive integer"));
    }
    let count = count as usize;
    let base = items.len() / count;
    let extra = items.len() % count;
    let fill = a.get(1);
    let mut out = Vec::new();
    let mut off = 0;
    for i in 0..count {
        let len = base + usize::from(i < extra);
        let part: Vec<Value> = items[off..off + len].to_vec();
        off += len;
        if is_text {
            if truthy(&fill) && i >= extra {
                return Err(err("slice cannot append a fill value to a string"));
            }
            out.push(Value::from(
                part.iter()
                    .map(|u| u.as_str().unwrap_or_default().to_string())
                    .collect::<String>(),
            ));
        } else {
            let mut part = part;
            if truthy(&fill) && i >= extra {
                part.push(fill.clone());
            }
            out.push(Value::from(part));
        }
    }
    Ok(Value::from(out))
}

fn striptags(v: Value, a: &Args) -> Result<Value, Error> {
    let t = text(&norm(v.clone()))?;
    let tag = regex::Regex::new(r"(?i)</?([a-z][a-z0-9]*)\b[^>]*>|<!--[\s\S]*?-->").expect("valid");
    let mut s = t;
    for _ in 0..8 {
        let next = tag.replace_all(&s, "").into_owned();
        if next == s {
            break;
        }
        s = next;
    }
    let s = js_trim(&s).to_string();
    let out = if truthy(&a.get(0)) {
        let edges = regex::Regex::new(r"(?m)^ +| +$").expect("valid");
        let s = edges.replace_all(&s, "").into_owned();
        let s = regex::Regex::new(r" +")
            .expect("valid")
            .replace_all(&s, " ")
            .into_owned();
        let s = s.replace("\r\n", "\n");
        regex::Regex::new(r"\n\n\n+")
            .expect("valid")
            .replace_all(&s, "\n\n")
            .into_owned()
    } else {
        regex::Regex::new(r"\s+")
            .expect("valid")
            .replace_all(&s, " ")
            .into_owned()
    };
    Ok(copy_safe(&v, out))
}

fn truncate(v: Value, a: &Args) -> Result<Value, Error> {
    let n = norm(v.clone());
    let len_v = a.get_or(0, 255);
    let direct = js_length(&n);
    if matches!(order(&direct, &len_v), Some(o) if o.is_le()) {
        return Ok(n);
    }
    let t = text(&n)?;
    let units: Vec<u16> = t.encode_utf16().collect();
    let length = to_number(&len_v).max(0.0) as usize;
    let cut = if truthy(&a.get(1)) {
        length.min(units.len())
    } else {
        // lastIndexOf(" ", length)
        let from = length.min(units.len().saturating_sub(1));
        match (0..=from)
            .rev()
            .find(|&i| units.get(i) == Some(&(b' ' as u16)))
        {
            Some(i) => i,
            None => length.min(units.len()),
        }
    };
    let end = a.get(2);
    let end = if end.is_undefined() || end.is_none() {
        "...".to_string()
    } else {
        to_string(&end)
    };
    Ok(copy_safe(
        &v,
        String::from_utf16_lossy(&units[..cut]) + &end,
    ))
}

/// `encodeURIComponent`.
pub fn encode_uri_component(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

fn urlencode(v: Value, _: &Args) -> Result<Value, Error> {
    let pair = |k: &Value, x: &Value| {
        format!(
            "{}={}",
            encode_uri_component(&to_string(k)),
            encode_uri_component(&to_string(x))
        )
    };
    Ok(Value::from(match v.kind() {
        ValueKind::String => encode_uri_component(v.as_str().unwrap_or_default()),
        ValueKind::Map => ops::map_entries(&v)
            .iter()
            .map(|(k, x)| pair(k, x))
            .collect::<Vec<_>>()
            .join("&"),
        ValueKind::Seq => {
            let mut parts = Vec::new();
            for it in v
                .try_iter()
                .map(|i| i.collect::<Vec<_>>())
                .unwrap_or_default()
            {
                if it.is_undefined() || it.is_none() {
                    return Err(err("urlencode sequence entries cannot be nullish"));
                }
                let (k, x) = (
                    ops::get(&it, &Value::from("0")),
                    ops::get(&it, &Value::from("1")),
                );
                parts.push(pair(&k, &x));
            }
            parts.join("&")
        }
        _ => String::new(),
    }))
}
