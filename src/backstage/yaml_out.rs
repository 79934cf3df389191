//! YAML output exactly as npm `yaml` 2.8.1 `stringify(value)` writes a JSON value with its default
//! options (what Backstage's `catalog:write` uses): YAML 1.2 core-schema quoting (`yes` stays
//! plain, `"8080"` and `"true"` are quoted), block literals for multi-line strings, folding of
//! long strings at 80 columns (`>-` blocks, folded plain and quoted scalars), 2-space indents with
//! indented sequences. No Rust crate reproduces this byte for byte, so this is a port of
//! `stringifyString.js`, `foldFlowLines.js`, `stringifyPair.js` and `stringifyCollection.js`.
//! Lengths and positions are counted in UTF-16 units, as JavaScript does.

use std::sync::OnceLock;

use fancy_regex::Regex as FancyRegex;
use regex::Regex;
use serde_json::Value;

const LINE_WIDTH: usize = 80;
const MIN_CONTENT_WIDTH: usize = 20;
const DOUBLE_QUOTED_MIN_MULTILINE: usize = 40;
const INDENT_STEP: &str = "  ";

/// `YAML.stringify(value)`.
pub fn stringify(value: &Value) -> String {
    let mut ctx = Ctx::default();
    format!("{}\n", node(value, &mut ctx))
}

#[derive(Clone, Default)]
struct Ctx {
    indent: String,
    implicit_key: bool,
    indent_at_start: Option<usize>,
    force_block_indent: bool,
}

fn node(value: &Value, ctx: &mut Ctx) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => js_number(n),
        Value::String(s) => string(s, ctx),
        Value::Array(items) => {
            let item_indent = format!("{}  ", ctx.indent);
            let lines: Vec<String> = items
                .iter()
                .map(|item| {
                    let mut ictx = Ctx {
                        indent: item_indent.clone(),
                        ..ctx.clone()
                    };
                    format!("- {}", node(item, &mut ictx))
                })
                .collect();
            block_collection(lines, &ctx.indent, "[]")
        }
        Value::Object(map) => {
            let lines: Vec<String> = js_key_order(map)
                .into_iter()
                .map(|(k, v)| {
                    let ictx = Ctx {
                        indent: ctx.indent.clone(),
                        ..ctx.clone()
                    };
                    pair(k, v, &ictx)
                })
                .collect();
            block_collection(lines, &ctx.indent, "{}")
        }
    }
}

/// The order in which JavaScript enumerates an object's keys: array-index keys (canonical
/// integers below 2^32 - 1) first, ascending, then the others in insertion order.
pub fn js_key_order(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let index = |k: &str| -> Option<u32> {
        let n: u32 = k.parse().ok()?;
        (n != u32::MAX && n.to_string() == k).then_some(n)
    };
    let mut indexed: Vec<(u32, (&String, &Value))> = map
        .iter()
        .filter_map(|(k, v)| index(k).map(|n| (n, (k, v))))
        .collect();
    if indexed.is_empty() {
        return map.iter().collect();
    }
    indexed.sort_by_key(|(n, _)| *n);
    let mut out: Vec<(&String, &Value)> = indexed.into_iter().map(|(_, kv)| kv).collect();
    out.extend(map.iter().filter(|(k, _)| index(k).is_none()));
    out
}

fn block_collection(lines: Vec<String>, indent: &str, empty: &str) -> String {
    if lines.is_empty() {
        return empty.to_string();
    }
    let mut out = lines[0].clone();
    for line in &lines[1..] {
        if line.is_empty() {
            out.push('\n');
        } else {
            out.push('\n');
            out.push_str(indent);
            out.push_str(line);
        }
    }
    out
}

/// `stringifyPair` for a string key and a JSON value, outside flow collections.
fn pair(key: &str, value: &Value, parent: &Ctx) -> String {
    let indent = parent.indent.clone();
    let mut ctx = Ctx {
        implicit_key: true,
        indent: format!("{indent}{INDENT_STEP}"),
        ..parent.clone()
    };
    let mut kctx = ctx.clone();
    let mut str = string(key, &mut kctx);
    ctx.force_block_indent = kctx.force_block_indent;
    let explicit = utf16_len(&str) > 1024;
    if explicit {
        str = format!("? {str}\n{indent}:");
    } else {
        str.push(':');
    }
    ctx.implicit_key = false;
    let scalar = !matches!(value, Value::Array(_) | Value::Object(_));
    if !explicit && scalar {
        ctx.indent_at_start = Some(utf16_len(&str) + 1);
    }
    let value_str = node(value, &mut ctx);
    let mut ws = " ";
    match value {
        Value::Array(items) if !explicit => {
            if value_str.contains('\n') || !items.is_empty() {
                return format!("{str}\n{}{value_str}", ctx.indent);
            }
        }
        Value::Object(items) if !explicit => {
            if value_str.contains('\n') || !items.is_empty() {
                return format!("{str}\n{}{value_str}", ctx.indent);
            }
        }
        _ => {
            if value_str.is_empty() || value_str.starts_with('\n') {
                ws = "";
            }
        }
    }
    format!("{str}{ws}{value_str}")
}

/// `JSON.stringify(number)` (JavaScript's `Number#toString`).
pub fn js_number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        if i.unsigned_abs() <= (1u64 << 53) {
            return i.to_string();
        }
        return js_f64(i as f64);
    }
    if let Some(u) = n.as_u64() {
        if u <= (1u64 << 53) {
            return u.to_string();
        }
        return js_f64(u as f64);
    }
    js_f64(n.as_f64().unwrap_or(0.0))
}

/// JavaScript's `Number#toString()` for a finite double.
pub fn js_f64(f: f64) -> String {
    if f == 0.0 {
        return "0".to_string();
    }
    if !f.is_finite() {
        return "null".to_string();
    }
    // Shortest round-trip digits and exponent, from Rust's `{:e}` (same shortest digits as JS).
    let sci = format!("{:e}", f.abs());
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let k = digits.len() as i64;
    let n = exp.parse::<i64>().unwrap_or(0) + 1; // decimal point position
    let sign = if f < 0.0 { "-" } else { "" };
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let es = if e >= 0 {
            format!("+{e}")
        } else {
            e.to_string()
        };
        if k == 1 {
            format!("{digits}e{es}")
        } else {
            format!("{}.{}e{es}", &digits[..1], &digits[1..])
        }
    };
    format!("{sign}{body}")
}

// ---------------------------------------------------------------------------------------------
// Strings (stringifyString.js)

fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

fn from16(v: &[u16]) -> String {
    String::from_utf16_lossy(v)
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("valid regex"))
}

fn fancy(cell: &'static OnceLock<FancyRegex>, pattern: &str) -> &'static FancyRegex {
    cell.get_or_init(|| FancyRegex::new(pattern).expect("valid regex"))
}

fn contains_document_marker(s: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?m)^(%|---|\.\.\.)").is_match(s)
}

/// The string tag's `stringify` (with `actualString`).
fn string(value: &str, ctx: &mut Ctx) -> String {
    let control = value
        .chars()
        .any(|c| matches!(c as u32, 0x00..=0x08 | 0x0b..=0x1f | 0x7f..=0x9f));
    if control {
        return double_quoted(value, ctx);
    }
    plain(value, ctx)
}

fn plain(value: &str, ctx: &mut Ctx) -> String {
    static NOT_PLAIN: OnceLock<Regex> = OnceLock::new();
    let not_plain = re(
        &NOT_PLAIN,
        r#"^[\n\t ,\[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$"#,
    );
    if ctx.implicit_key && value.contains('\n') {
        return quoted(value, ctx);
    }
    if not_plain.is_match(value) {
        return if ctx.implicit_key || !value.contains('\n') {
            quoted(value, ctx)
        } else {
            block(value, ctx)
        };
    }
    if !ctx.implicit_key && value.contains('\n') {
        return block(value, ctx);
    }
    if contains_document_marker(value) {
        if ctx.indent.is_empty() {
            ctx.force_block_indent = true;
            return block(value, ctx);
        } else if ctx.implicit_key && ctx.indent == INDENT_STEP {
            return quoted(value, ctx);
        }
    }
    let str = replace_newline_runs(value, &format!("\n{}", ctx.indent));
    if resolves_to_non_string(&str) {
        return quoted(value, ctx);
    }
    if ctx.implicit_key {
        str
    } else {
        fold(
            &str,
            &ctx.indent,
            Mode::Flow,
            ctx.indent_at_start,
            &mut None,
        )
    }
}

/// Whether a plain scalar would be read back as null, a boolean or a number (core schema).
fn resolves_to_non_string(s: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"^(?:(?:~|[Nn]ull|NULL)?|[Tt]rue|TRUE|[Ff]alse|FALSE|0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*))$",
    )
    .is_match(s)
}

/// `value.replace(/\n+/g, "$&" + suffix)`.
fn replace_newline_runs(value: &str, suffix: &str) -> String {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"\n+")
        .replace_all(value, |c: &regex::Captures<'_>| {
            format!("{}{suffix}", &c[0])
        })
        .into_owned()
}

fn quoted(value: &str, ctx: &mut Ctx) -> String {
    let has_double = value.contains('"');
    let has_single = value.contains('\'');
    if has_double && !has_single {
        single_quoted(value, ctx)
    } else {
        double_quoted(value, ctx)
    }
}

/// The indent of a quoted scalar's continuation lines (npm `yaml`'s `ctx.indent || (containsDocumentMarker(value) ? '  ' : '')`).
fn quoted_indent(value: &str, ctx: &Ctx) -> String {
    if !ctx.indent.is_empty() {
        ctx.indent.clone()
    } else if contains_document_marker(value) {
        "  ".to_string()
    } else {
        String::new()
    }
}

fn single_quoted(value: &str, ctx: &mut Ctx) -> String {
    static WS_NL: OnceLock<Regex> = OnceLock::new();
    if (ctx.implicit_key && value.contains('\n')) || re(&WS_NL, r"[ \t]\n|\n[ \t]").is_match(value)
    {
        return double_quoted(value, ctx);
    }
    let indent = quoted_indent(value, ctx);
    let res = format!(
        "'{}'",
        replace_newline_runs(&value.replace('\'', "''"), &format!("\n{indent}"))
    );
    if ctx.implicit_key {
        res
    } else {
        fold(&res, &indent, Mode::Flow, ctx.indent_at_start, &mut None)
    }
}

/// `JSON.stringify(string)`.
fn json_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn double_quoted(value: &str, ctx: &mut Ctx) -> String {
    let json = utf16(&json_string(value));
    let indent = quoted_indent(value, ctx);
    let at = |i: usize| -> u16 { json.get(i).copied().unwrap_or(0) };
    let bs = b'\\' as u16;
    let mut out: Vec<u16> = Vec::new();
    let mut start = 0usize;
    let mut i = 0usize;
    while i < json.len() {
        let mut ch = json[i];
        if ch == b' ' as u16 && at(i + 1) == bs && at(i + 2) == b'n' as u16 {
            // space before newline needs to be escaped to not be folded
            out.extend_from_slice(&json[start..i]);
            out.extend(utf16("\\ "));
            i += 1;
            start = i;
            ch = bs;
        }
        if ch == bs {
            match at(i + 1) {
                c if c == b'u' as u16 => {
                    out.extend_from_slice(&json[start..i]);
                    let code = from16(&json[(i + 2).min(json.len())..(i + 6).min(json.len())]);
                    let esc = match code.as_str() {
                        "0000" => "\\0".to_string(),
                        "0007" => "\\a".to_string(),
                        "000b" => "\\v".to_string(),
                        "001b" => "\\e".to_string(),
                        "0085" => "\\N".to_string(),
                        "00a0" => "\\_".to_string(),
                        "2028" => "\\L".to_string(),
                        "2029" => "\\P".to_string(),
                        c if c.starts_with("00") => format!("\\x{}", &c[2..]),
                        _ => from16(&json[i..(i + 6).min(json.len())]),
                    };
                    out.extend(utf16(&esc));
                    i += 5;
                    start = i + 1;
                }
                c if c == b'n' as u16 => {
                    if ctx.implicit_key
                        || at(i + 2) == b'"' as u16
                        || json.len() < DOUBLE_QUOTED_MIN_MULTILINE
                    {
                        i += 1;
                    } else {
                        // folding will eat first newline
                        out.extend_from_slice(&json[start..i]);
                        out.extend(utf16("\n\n"));
                        while at(i + 2) == bs
                            && at(i + 3) == b'n' as u16
                            && at(i + 4) != b'"' as u16
                        {
                            out.push(b'\n' as u16);
                            i += 2;
                        }
                        out.extend(utf16(&indent));
                        // space after newline needs to be escaped to not be folded
                        if at(i + 2) == b' ' as u16 {
                            out.push(bs);
                        }
                        i += 1;
                        start = i + 1;
                    }
                }
                _ => i += 1,
            }
        }
        i += 1;
    }
    let s = if start > 0 {
        out.extend_from_slice(&json[start.min(json.len())..]);
        from16(&out)
    } else {
        from16(&json)
    };
    if ctx.implicit_key {
        s
    } else {
        fold(&s, &indent, Mode::Quoted, ctx.indent_at_start, &mut None)
    }
}

fn line_length_over_limit(s: &[u16], line_width: usize, indent_len: usize) -> bool {
    let limit = line_width as i64 - indent_len as i64;
    let len = s.len() as i64;
    if len <= limit {
        return false;
    }
    let mut start: i64 = 0;
    for (i, &c) in s.iter().enumerate() {
        if c == b'\n' as u16 {
            if i as i64 - start > limit {
                return true;
            }
            start = i as i64 + 1;
            if len - start <= limit {
                return false;
            }
        }
    }
    true
}

/// `blockString` (with `blockQuote: true`, no comments, no explicit type).
fn block(value: &str, ctx: &mut Ctx) -> String {
    static TRAILING_WS_LINE: OnceLock<Regex> = OnceLock::new();
    if re(&TRAILING_WS_LINE, r"\n[\t ]+$").is_match(value) {
        return quoted(value, ctx);
    }
    let indent = if !ctx.indent.is_empty() {
        ctx.indent.clone()
    } else if ctx.force_block_indent || contains_document_marker(value) {
        "  ".to_string()
    } else {
        String::new()
    };
    let literal = !line_length_over_limit(&utf16(value), LINE_WIDTH, indent.len());
    if value.is_empty() {
        return if literal { "|\n".into() } else { ">\n".into() };
    }
    // chomping from the whitespace at the end
    let end_start = value.trim_end_matches(['\n', '\t', ' ']).len();
    let mut end = value[end_start..].to_string();
    let chomp = match end.find('\n') {
        None => "-",
        Some(p) if value == end || p != end.len() - 1 => "+",
        Some(_) => "",
    };
    let mut value = value.to_string();
    if !end.is_empty() {
        value.truncate(value.len() - end.len());
        if end.ends_with('\n') {
            end.pop();
        }
        static BLOCK_END_NL: OnceLock<FancyRegex> = OnceLock::new();
        let r = fancy(&BLOCK_END_NL, r"(^|(?<!\n))\n+(?!\n|$)");
        end = r
            .replace_all(&end, |c: &fancy_regex::Captures<'_>| {
                format!("{}{indent}", &c[0])
            })
            .into_owned();
    }
    // indentation indicator from the whitespace at the start
    let mut start_with_space = false;
    let mut start_nl: i64 = -1;
    let bytes = value.as_bytes();
    let mut start_end = 0usize;
    while start_end < bytes.len() {
        match bytes[start_end] {
            b' ' => start_with_space = true,
            b'\n' => start_nl = start_end as i64,
            _ => break,
        }
        start_end += 1;
    }
    let cut = if start_nl < start_end as i64 {
        (start_nl + 1) as usize
    } else {
        start_end
    };
    let mut start = value[..cut].to_string();
    if !start.is_empty() {
        value = value[start.len()..].to_string();
        start = replace_newline_runs(&start, &indent);
    }
    let indent_size = if indent.is_empty() { "1" } else { "2" };
    let header = format!("{}{chomp}", if start_with_space { indent_size } else { "" });
    if !literal {
        static MORE_INDENTED: OnceLock<FancyRegex> = OnceLock::new();
        let step1 = replace_newline_runs_prefix(&value);
        let r = fancy(
            &MORE_INDENTED,
            r"(?:^|\n)([\t ][^\n\r\u2028\u2029]*)(?:([\n\t ]*)\n(?![\n\t ]))?",
        );
        let step2 = r
            .replace_all(&step1, |c: &fancy_regex::Captures<'_>| {
                format!(
                    "{}{}",
                    c.get(1).map_or("", |m| m.as_str()),
                    c.get(2).map_or("", |m| m.as_str())
                )
            })
            .into_owned();
        let folded = replace_newline_runs(&step2, &indent);
        let mut overflow = Some(false);
        let body = fold(
            &format!("{start}{folded}{end}"),
            &indent,
            Mode::Block,
            Some(ctx.indent.len()),
            &mut overflow,
        );
        if overflow != Some(true) {
            return format!(">{header}\n{indent}{body}");
        }
    }
    let value = replace_newline_runs(&value, &indent);
    format!("|{header}\n{indent}{start}{value}{end}")
}

/// `value.replace(/\n+/g, '\n$&')`.
fn replace_newline_runs_prefix(value: &str) -> String {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"\n+")
        .replace_all(value, |c: &regex::Captures<'_>| format!("\n{}", &c[0]))
        .into_owned()
}

// ---------------------------------------------------------------------------------------------
// Folding (foldFlowLines.js)

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Flow,
    Block,
    Quoted,
}

/// `foldFlowLines(text, indent, mode, {indentAtStart, lineWidth: 80, minContentWidth: 20})`.
/// `overflow`, when `Some`, receives whether a line could not be folded (`onOverflow`).
fn fold(
    text: &str,
    indent: &str,
    mode: Mode,
    indent_at_start: Option<usize>,
    overflow_out: &mut Option<bool>,
) -> String {
    let t = utf16(text);
    let line_width = LINE_WIDTH as i64;
    let min_content = MIN_CONTENT_WIDTH as i64;
    let ind = indent.len() as i64;
    let end_step = (1 + min_content).max(1 + line_width - ind);
    if (t.len() as i64) <= end_step {
        return text.to_string();
    }
    let at = |i: i64| -> u16 {
        if i >= 0 {
            t.get(i as usize).copied().unwrap_or(0)
        } else {
            0
        }
    };
    let (sp, nl, tab, bs) = (b' ' as u16, b'\n' as u16, b'\t' as u16, b'\\' as u16);
    let mut folds: Vec<i64> = Vec::new();
    let mut escaped_folds: std::collections::HashSet<i64> = Default::default();
    let mut end = line_width - ind;
    if let Some(s) = indent_at_start {
        if s as i64 > line_width - 2i64.max(min_content) {
            folds.push(0);
        } else {
            end = line_width - s as i64;
        }
    }
    let mut split: Option<i64> = None;
    let mut prev: u16 = 0;
    let mut overflow = false;
    let mut i: i64 = -1;
    let mut esc_start: i64 = -1;
    let mut esc_end: i64 = -1;
    if mode == Mode::Block {
        i = consume_more_indented(&t, i, ind);
        if i != -1 {
            end = i + end_step;
        }
    }
    loop {
        i += 1;
        let mut ch = at(i);
        if ch == 0 {
            break;
        }
        if mode == Mode::Quoted && ch == bs {
            esc_start = i;
            match at(i + 1) {
                c if c == b'x' as u16 => i += 3,
                c if c == b'u' as u16 => i += 5,
                c if c == b'U' as u16 => i += 9,
                _ => i += 1,
            }
            esc_end = i;
        }
        if ch == nl {
            if mode == Mode::Block {
                i = consume_more_indented(&t, i, ind);
            }
            end = i + ind + end_step;
            split = None;
        } else {
            if ch == sp && prev != 0 && prev != sp && prev != nl && prev != tab {
                let next = at(i + 1);
                if next != 0 && next != sp && next != nl && next != tab {
                    split = Some(i);
                }
            }
            if i >= end {
                if let Some(s) = split.filter(|s| *s != 0) {
                    folds.push(s);
                    end = s + end_step;
                    split = None;
                } else if mode == Mode::Quoted {
                    while prev == sp || prev == tab {
                        prev = ch;
                        i += 1;
                        ch = at(i);
                        overflow = true;
                    }
                    let j = if i > esc_end + 1 {
                        i - 2
                    } else {
                        esc_start - 1
                    };
                    if escaped_folds.contains(&j) {
                        return text.to_string();
                    }
                    folds.push(j);
                    escaped_folds.insert(j);
                    end = j + end_step;
                    split = None;
                } else {
                    overflow = true;
                }
            }
        }
        prev = ch;
    }
    if overflow_out.is_some() {
        *overflow_out = Some(overflow);
    }
    if folds.is_empty() {
        return text.to_string();
    }
    let ind16 = utf16(indent);
    let slice = |a: i64, b: i64| -> &[u16] {
        let len = t.len() as i64;
        let a = a.clamp(0, len) as usize;
        let b = b.clamp(0, len) as usize;
        if a <= b {
            &t[a..b]
        } else {
            &[]
        }
    };
    let mut res: Vec<u16> = slice(0, folds[0]).to_vec();
    for (k, &f) in folds.iter().enumerate() {
        let e = match folds.get(k + 1) {
            Some(&n) if n != 0 => n,
            _ => t.len() as i64,
        };
        if f == 0 {
            res = vec![nl];
            res.extend_from_slice(&ind16);
            res.extend_from_slice(slice(0, e));
        } else {
            if mode == Mode::Quoted && escaped_folds.contains(&f) {
                res.push(at(f));
                res.push(bs);
            }
            res.push(nl);
            res.extend_from_slice(&ind16);
            res.extend_from_slice(slice(f + 1, e));
        }
    }
    from16(&res)
}

/// Presumes `i + 1` is at the start of a line; returns the index of the last newline in a
/// more-indented block.
fn consume_more_indented(t: &[u16], mut i: i64, indent: i64) -> i64 {
    let at = |i: i64| -> u16 {
        if i >= 0 {
            t.get(i as usize).copied().unwrap_or(0)
        } else {
            0
        }
    };
    let (sp, tab, nl) = (b' ' as u16, b'\t' as u16, b'\n' as u16);
    let mut end = i;
    let mut start = i + 1;
    let mut ch = at(start);
    while ch == sp || ch == tab {
        if i < start + indent {
            i += 1;
            ch = at(i);
        } else {
            loop {
                i += 1;
                ch = at(i);
                if ch == 0 || ch == nl {
                    break;
                }
            }
            end = i;
            start = i + 1;
            ch = at(start);
        }
    }
    end
}

#[cfg(test)]
mod tests;
