//! The nunjucks syntax as nunjitsu 0.7 (Backstage 4.3) reads it: the template scanner (delimiters,
//! whitespace control, `trimBlocks`/`lstripBlocks`, `raw`/`verbatim`), the tag parser and the
//! expression parser (with `===`/`!==`, regex literals `r/../g`, JS-style comparison chains).
//! The result is a small AST that `emit.rs` turns into minijinja source.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// A parse failure with a 1-based line and column.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

type Res<T> = Result<T, SyntaxError>;

/// A template's nodes. `at` (and the second field of `Output`) is the byte offset in the source
/// of the tag that holds the node's expressions (its `${{` or `{%`), so a render failure can name
/// the line and column Backstage's author wrote, whatever whitespace control removed.
/// Text borrows the source where it can (only text joined across a `raw` block is copied), and
/// the expressions of tags are shared with the engine's cache ([`ExprCache`]).
///
/// The offsets inside an [`Expr`] are relative to the start of the expression's own text (so a
/// parsed expression is the same wherever it stands, and can be cached); the `*_at` fields (and
/// the third field of `Output`) say where that text starts in the source, for the linter.
#[derive(Debug, Clone)]
pub enum Node<'s> {
    Text(Cow<'s, str>),
    Output(Arc<Expr>, usize, u32),
    If {
        at: usize,
        cond: Arc<Expr>,
        cond_at: u32,
        body: Vec<Node<'s>>,
        else_: Option<Vec<Node<'s>>>,
    },
    For {
        at: usize,
        targets: Vec<String>,
        arr: Arc<Expr>,
        arr_at: u32,
        body: Vec<Node<'s>>,
        else_: Option<Vec<Node<'s>>>,
    },
    Set {
        at: usize,
        targets: Vec<String>,
        value: Option<Arc<Expr>>,
        value_at: u32,
        body: Vec<Node<'s>>,
    },
    Macro {
        name: String,
        args: Vec<Arg>,
        args_at: u32,
        body: Vec<Node<'s>>,
    },
    CallBlock {
        at: usize,
        call: Arc<Expr>,
        call_at: u32,
        caller_args: Vec<Arg>,
        caller_args_at: u32,
        body: Vec<Node<'s>>,
    },
    FilterBlock {
        at: usize,
        name: String,
        /// Where the filter's name starts (its arguments' offsets are relative to it).
        name_at: u32,
        args: Vec<Arg>,
        body: Vec<Node<'s>>,
    },
    Switch {
        at: usize,
        expr: Arc<Expr>,
        expr_at: u32,
        /// Each case's value, where its text starts, and its body.
        cases: Vec<(Arc<Expr>, u32, Vec<Node<'s>>)>,
        default: Option<Vec<Node<'s>>>,
    },
    Block(Vec<Node<'s>>),
}

#[derive(Debug, Clone)]
pub enum Lit {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone)]
pub enum Arg {
    Pos(Expr),
    Kw(String, Expr),
}

#[derive(Debug, Clone)]
pub enum Expr {
    Lit(Lit),
    Regex(String, String),
    /// A name, and where it starts.
    Sym(String, u32),
    /// `target.key` or `target[key]`, and where it ends (after the key's name or the `]`).
    Lookup(Box<Expr>, Box<Expr>, u32),
    Slice(Option<Box<Expr>>, Option<Box<Expr>>, Option<Box<Expr>>),
    Call(Box<Expr>, Vec<Arg>),
    /// `input | name(args)`, and where the filter's name starts.
    Filter(String, Box<Expr>, Vec<Arg>, u32),
    Neg(Box<Expr>),
    Pos(Box<Expr>),
    /// `add sub mul div mod pow cat`
    Bin(&'static str, Box<Expr>, Box<Expr>),
    Floor(Box<Expr>),
    Compare(Box<Expr>, Vec<(String, Expr)>),
    In(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Option<Box<Expr>>),
    Is(Box<Expr>, Box<Expr>),
    Array(Vec<Expr>),
    Dict(Vec<(String, Expr)>),
    Group(Vec<Expr>),
}

// ---------------------------------------------------------------- scanner

#[derive(Debug)]
enum TokKind<'s> {
    /// Text, borrowed from the source unless joined across a `raw` block.
    Text(Cow<'s, str>),
    /// The inside of `${{ }}`, without its leading whitespace.
    Variable(&'s str),
    /// The trimmed inside of `{% %}`.
    Block(&'s str),
}

#[derive(Debug)]
struct TplToken<'s> {
    kind: TokKind<'s>,
    offset: usize,
    /// Where the token's text starts in the source (after the marker, `-` and leading
    /// whitespace).
    value_offset: usize,
}

fn is_tpl_ws(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

fn is_code_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{a0}')
}

/// `s` without leading and trailing [`is_code_ws`], looking at bytes (U+00A0 is `C2 A0`).
fn trim_code(s: &str) -> &str {
    let b = s.as_bytes();
    let (mut start, mut end) = (0, b.len());
    loop {
        match &b[start..end] {
            [b' ' | b'\t' | b'\n' | b'\r', ..] => start += 1,
            [0xc2, 0xa0, ..] => start += 2,
            _ => break,
        }
    }
    loop {
        match &b[start..end] {
            [.., b' ' | b'\t' | b'\n' | b'\r'] => end -= 1,
            [.., 0xc2, 0xa0] => end -= 2,
            _ => break,
        }
    }
    &s[start..end]
}

/// The 1-based line and column (in characters) of a byte offset.
pub fn position(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

fn err_at(source: &str, offset: usize, message: impl Into<String>) -> SyntaxError {
    let (line, column) = position(source, offset);
    SyntaxError {
        message: message.into(),
        line,
        column,
    }
}

fn ident_end(b: &[u8], start: usize, allow_leading_digit: bool) -> Option<usize> {
    let mut i = start;
    if allow_leading_digit {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i >= b.len() || !(b[i] == b'_' || b[i].is_ascii_alphabetic()) {
        return None;
    }
    i += 1;
    while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric()) {
        i += 1;
    }
    Some(i)
}

/// Scans `r/.../flags` starting at `start` (the `r`); returns (pattern, flags, end).
fn scan_regex(s: &str, start: usize) -> Result<(String, String, usize), String> {
    let b = s.as_bytes();
    let mut pattern = String::new();
    let mut backslashes = 0;
    let mut i = start + 2;
    let chars_from = |i: usize| s[i..].chars().next().unwrap();
    while i < b.len() {
        let c = chars_from(i);
        if c == '\\' {
            pattern.push(c);
            backslashes += 1;
            i += 1;
            continue;
        }
        if c == '/' {
            if backslashes > 0 {
                if backslashes % 2 == 0 {
                    return Err("Ambiguous regular-expression delimiter escape".into());
                }
                pattern.push(c);
                backslashes = 0;
                i += 1;
                continue;
            }
            let mut end = i + 1;
            let mut flags = String::new();
            while end < b.len() && matches!(b[end], b'g' | b'i' | b'm' | b'y') {
                if flags.contains(b[end] as char) {
                    return Err("Duplicate regular-expression flag".into());
                }
                flags.push(b[end] as char);
                end += 1;
            }
            if end < b.len() && b[end].is_ascii_alphabetic() {
                return Err("Unsupported regular-expression flag".into());
            }
            if super::regex::build_regex(&pattern, &flags).is_err() {
                return Err("Invalid regular-expression literal".into());
            }
            return Ok((pattern, flags, end));
        }
        pattern.push(c);
        backslashes = 0;
        i += c.len_utf8();
    }
    Err("Unterminated regular-expression literal".into())
}

fn skip_quoted(b: &[u8], start: usize) -> Option<usize> {
    let q = b[start];
    if q != b'"' && q != b'\'' {
        return None;
    }
    let mut i = start + 1;
    while i < b.len() {
        if b[i] == b'\\' {
            i += 1;
        } else if b[i] == q {
            return Some(i + 1);
        }
        i += 1;
    }
    Some(b.len())
}

fn skip_code_token(s: &str, i: usize) -> Option<usize> {
    let b = s.as_bytes();
    if let Some(e) = skip_quoted(b, i) {
        return Some(e);
    }
    match ident_end(b, i, true) {
        None => {
            let mut e = i;
            while e < b.len() && b[e].is_ascii_digit() {
                e += 1;
            }
            (e > i).then_some(e)
        }
        Some(end) => {
            if &s[i..end] == "r" && b.get(end) == Some(&b'/') {
                return Some(scan_regex(s, i).map(|r| r.2).unwrap_or(b.len()));
            }
            Some(end)
        }
    }
}

/// Where `term` closes the code from `start`, skipping strings and regex literals; a regex
/// literal that does not scan fails with its message and where it starts, as nunjitsu's does.
/// One look at each byte: a quote skips the string, a letter, digit or `_` the name or number
/// (or `r/.../` the regex literal), anything else is checked against `term`.
fn find_code_terminator(
    s: &str,
    start: usize,
    term: &str,
) -> Result<Option<usize>, (String, usize)> {
    let b = s.as_bytes();
    // The usual tag holds no string and no regex literal (no quote, no `/`) before the first
    // `term`, which then is where the code ends: found without looking at every byte.
    if let &[t0, t1] = term.as_bytes() {
        let mut from = start;
        while let Some(k) = memchr::memchr(t0, &b[from..]) {
            let p = from + k;
            if b.get(p + 1) == Some(&t1) {
                if memchr::memchr3(b'"', b'\'', b'/', &b[start..p]).is_none() {
                    return Ok(Some(p));
                }
                break;
            }
            from = p + 1;
        }
    }
    let mut i = start;
    while i + term.len() <= s.len() {
        let c = b[i];
        if c == b'"' || c == b'\'' {
            i = skip_quoted(b, i).unwrap_or(b.len());
        } else if c == b'_' || c.is_ascii_alphanumeric() {
            i = match ident_end(b, i, true) {
                Some(end) if c == b'r' && end == i + 1 && b.get(end) == Some(&b'/') => {
                    scan_regex(s, i).map_err(|m| (m, i))?.2
                }
                Some(end) => end,
                // Digits not followed by a name.
                None => i + b[i..].iter().take_while(|d| d.is_ascii_digit()).count(),
            };
        } else if b[i..].starts_with(term.as_bytes()) {
            return Ok(Some(i));
        } else if c < 0x80 {
            i += 1;
        } else {
            i += s[i..].chars().next().map(char::len_utf8).unwrap_or(1);
        }
    }
    Ok(None)
}

fn tag_name(v: &str) -> &str {
    let t = trim_code(v);
    let b = t.as_bytes();
    match ident_end(b, 0, false) {
        Some(e) => &t[..e],
        None => "",
    }
}

fn tag_rest(v: &str) -> &str {
    let t = trim_code(v);
    trim_code(&t[tag_name(v).len()..])
}

/// How much of `text` `lstripBlocks` keeps before a block tag: all of it, or all but its last line
/// when that line holds only whitespace.
fn strip_block_indent(text: &str, line_has_content: bool) -> usize {
    if line_has_content {
        return text.len();
    }
    let start = text.rfind('\n').map(|n| n + 1).unwrap_or(0);
    if text[start..].chars().all(is_tpl_ws) {
        start
    } else {
        text.len()
    }
}

/// The text read since the last tag: a range of the source, copied only when pieces that are not
/// next to each other in the source are joined (the inside of a `raw` block and what follows it).
#[derive(Default)]
struct Pending {
    start: usize,
    end: usize,
    joined: Option<String>,
}

impl Pending {
    fn text<'a>(&'a self, source: &'a str) -> &'a str {
        match &self.joined {
            Some(j) => j,
            None => &source[self.start..self.end],
        }
    }

    fn is_empty(&self) -> bool {
        match &self.joined {
            Some(j) => j.is_empty(),
            None => self.start == self.end,
        }
    }

    /// Appends `source[from..to]`; the text starts at `from` when it was empty.
    fn push(&mut self, source: &str, from: usize, to: usize) {
        if self.is_empty() {
            *self = Pending {
                start: from,
                end: to,
                joined: None,
            };
            return;
        }
        match &mut self.joined {
            None if from == self.end => self.end = to,
            None => {
                let mut j = String::with_capacity(self.end - self.start + to - from);
                j.push_str(&source[self.start..self.end]);
                j.push_str(&source[from..to]);
                self.joined = Some(j);
            }
            Some(j) => j.push_str(&source[from..to]),
        }
    }

    fn truncate(&mut self, len: usize) {
        match &mut self.joined {
            Some(j) => j.truncate(len),
            None => self.end = self.start + len,
        }
    }

    fn take<'s>(&mut self, source: &'s str) -> Cow<'s, str> {
        let taken = std::mem::take(self);
        match taken.joined {
            Some(j) => Cow::Owned(j),
            None => Cow::Borrowed(&source[taken.start..taken.end]),
        }
    }
}

/// (start, end) of the raw end marker.
fn find_raw_end(s: &str, start: usize, name: &str) -> Option<(usize, usize, bool)> {
    let mut depth = 1;
    let mut i = start;
    while i < s.len() {
        let m = i + s[i..].find("{%")?;
        match scan_raw_marker(s, m, name) {
            None => i = m + 2,
            Some((open, end, nl)) => {
                if open {
                    depth += 1;
                } else {
                    depth -= 1;
                    if depth == 0 {
                        return Some((m, end, nl));
                    }
                }
                i = end;
            }
        }
    }
    None
}

fn scan_raw_marker(s: &str, start: usize, name: &str) -> Option<(bool, usize, bool)> {
    let mut i = start + 2;
    if s[i..].starts_with('-') {
        return None;
    }
    let skip_ws = |mut i: usize| {
        while let Some(c) = s[i..].chars().next() {
            if !is_tpl_ws(c) {
                break;
            }
            i += c.len_utf8();
        }
        i
    };
    i = skip_ws(i);
    let close = format!("end{name}");
    let open = if s[i..].starts_with(&close) {
        i += close.len();
        false
    } else if s[i..].starts_with(name) {
        i += name.len();
        true
    } else {
        return None;
    };
    i = skip_ws(i);
    if s[i..].starts_with("%}") {
        let end = i + 2;
        return Some((open, end, s[start..end].contains('\n')));
    }
    None
}

/// What comes first in the source from some position on.
enum Marker {
    /// An opening delimiter at this position: 0 variable, 1 block, 2 comment.
    Open(usize, u8),
    /// A `#}` before any opening delimiter (an error).
    CommentEnd(usize),
    None,
}

/// The first opening delimiter (`var_start`, `{%`, `{#`) or comment end (`#}`) at or after
/// `from`, in one pass over the bytes: every delimiter starts with `{` or `#`, except `${{`
/// whose `{` is looked at with the `$` before it. One SIMD search runs on past the `{` and `#`
/// that start nothing (source code has one every few dozen bytes).
fn next_marker(source: &str, from: usize, var_start: &str) -> Marker {
    let b = source.as_bytes();
    let dollar = var_start.starts_with('$');
    for k in memchr::memchr2_iter(b'{', b'#', &b[from..]) {
        let p = from + k;
        match (b[p], b.get(p + 1)) {
            (b'#', Some(b'}')) => return Marker::CommentEnd(p),
            (b'{', Some(b'%')) => return Marker::Open(p, 1),
            (b'{', Some(b'#')) => return Marker::Open(p, 2),
            (b'{', Some(b'{')) if !dollar => return Marker::Open(p, 0),
            (b'{', Some(b'{')) if p > from && b[p - 1] == b'$' => return Marker::Open(p - 1, 0),
            _ => {}
        }
    }
    Marker::None
}

/// Whether `source` holds any delimiter (`${{` or `{{`, `{%`, `{#`, `#}`); without one it is a
/// single text node.
pub fn has_delimiter(source: &str, cookiecutter: bool) -> bool {
    let var_start = if cookiecutter { "{{" } else { "${{" };
    !matches!(next_marker(source, 0, var_start), Marker::None)
}

/// Scanner options.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanOptions {
    pub cookiecutter: bool,
    pub trim_blocks: bool,
    pub lstrip_blocks: bool,
}

fn scan(source: &str, opts: ScanOptions) -> Res<Vec<TplToken<'_>>> {
    let var_start = if opts.cookiecutter { "{{" } else { "${{" };
    // Room for a typical file's tags and the text between them, without regrowing.
    let mut tokens = Vec::with_capacity(16);
    let mut index = 0usize;
    let mut pending = Pending::default();
    let mut line_has_content = false;
    // Updates line_has_content over `text` (only `lstripBlocks` reads it).
    let track = opts.lstrip_blocks;
    let advance = |text: &str, lhc: &mut bool| {
        if !track {
            return;
        }
        for c in text.chars() {
            if c == '\n' {
                *lhc = false;
            } else if !is_tpl_ws(c) {
                *lhc = true;
            }
        }
    };
    // Appends the source from `index` to `$end` to the pending text.
    macro_rules! append_text {
        ($end:expr) => {{
            let end: usize = $end;
            pending.push(source, index, end);
            advance(&source[index..end], &mut line_has_content);
            index = end;
        }};
    }
    macro_rules! flush {
        () => {{
            if !pending.is_empty() {
                let offset = pending.start;
                tokens.push(TplToken {
                    kind: TokKind::Text(pending.take(source)),
                    offset,
                    value_offset: offset,
                });
            }
        }};
    }
    let leading_ws_len = |s: &str| s.len() - s.trim_start_matches(is_tpl_ws).len();
    let leading_nl_len = |s: &str| {
        if s.starts_with("\r\n") {
            2
        } else if s.starts_with('\n') {
            1
        } else {
            0
        }
    };
    while index < source.len() {
        let (rel, marker, kind) = match next_marker(source, index, var_start) {
            Marker::Open(pos, kind) => (pos - index, [var_start, "{%", "{#"][kind as usize], kind),
            Marker::CommentEnd(pos) => {
                return Err(err_at(source, pos, "Unexpected end of comment"))
            }
            Marker::None => {
                pending.push(source, index, source.len());
                break;
            }
        };
        append_text!(index + rel);
        let start = index;
        if kind == 1 && opts.lstrip_blocks {
            let keep = strip_block_indent(pending.text(source), line_has_content);
            pending.truncate(keep);
        }
        let left_trim = source[index + marker.len()..].starts_with('-');
        if left_trim {
            let keep = pending.text(source).trim_end_matches(is_tpl_ws).len();
            pending.truncate(keep);
        }
        flush!();
        advance(marker, &mut line_has_content);
        index += marker.len();
        if left_trim {
            advance("-", &mut line_has_content);
            index += 1;
        }
        let close = match kind {
            1 => "%}",
            2 => "#}",
            _ => "}}",
        };
        let end = if kind == 2 {
            source[index..].find(close).map(|p| p + index)
        } else {
            find_code_terminator(source, index, close).map_err(|(m, at)| err_at(source, at, m))?
        };
        let Some(end) = end else {
            let what = ["variable", "block", "comment"][kind as usize];
            return Err(err_at(source, start, format!("Unterminated {what} tag")));
        };
        let right_trim = end > index && source.as_bytes()[end - 1] == b'-';
        let content_end = if right_trim { end - 1 } else { end };
        let content = &source[index..content_end];
        let value_offset = index + content.len() - content.trim_start_matches(is_code_ws).len();
        advance(&source[index..end + close.len()], &mut line_has_content);
        index = end + close.len();
        if kind != 2 {
            let value = if kind == 0 {
                content.trim_start_matches(is_code_ws)
            } else {
                trim_code(content)
            };
            let raw_name = if kind == 1 { tag_name(value) } else { "" };
            if raw_name == "raw" || raw_name == "verbatim" {
                if !tag_rest(value).is_empty() {
                    return Err(err_at(
                        source,
                        start,
                        format!("{raw_name} tag does not accept trailing content"),
                    ));
                }
                if opts.trim_blocks {
                    let n = leading_nl_len(&source[index..]);
                    advance(&source[index..index + n], &mut line_has_content);
                    index += n;
                }
                let Some((cstart, cend, nl)) = find_raw_end(source, index, raw_name) else {
                    return Err(err_at(
                        source,
                        start,
                        format!("Missing \"end{raw_name}\" tag"),
                    ));
                };
                if nl {
                    return Err(err_at(
                        source,
                        cstart,
                        format!("{raw_name} closing tag cannot contain a line break"),
                    ));
                }
                append_text!(cstart);
                advance(&source[index..cend], &mut line_has_content);
                index = cend;
                if right_trim {
                    let n = leading_ws_len(&source[index..]);
                    advance(&source[index..index + n], &mut line_has_content);
                    index += n;
                }
                continue;
            }
            tokens.push(TplToken {
                kind: if kind == 0 {
                    TokKind::Variable(value)
                } else {
                    TokKind::Block(value)
                },
                offset: start,
                value_offset,
            });
        }
        if right_trim {
            let n = leading_ws_len(&source[index..]);
            advance(&source[index..index + n], &mut line_has_content);
            index += n;
        } else if kind == 1 && opts.trim_blocks {
            let n = leading_nl_len(&source[index..]);
            advance(&source[index..index + n], &mut line_has_content);
            index += n;
        }
    }
    flush!();
    Ok(tokens)
}

// ---------------------------------------------------------------- template parser

/// Parses a whole template.
pub fn parse_template<'s>(
    source: &'s str,
    opts: ScanOptions,
    cache: &ExprCache,
) -> Res<Vec<Node<'s>>> {
    let tokens = scan(source, opts)?;
    let mut p = TplParser {
        source,
        tokens,
        i: 0,
        cache: cache.local(),
    };
    let (body, stop) = p.body(&[])?;
    if let Some(t) = stop {
        return Err(p.fail(&t, format!("Unexpected \"{}\" tag", tag_name(t.value))));
    }
    Ok(body)
}

struct TplParser<'s, 'c> {
    source: &'s str,
    tokens: Vec<TplToken<'s>>,
    i: usize,
    cache: LocalExprCache<'c>,
}

const EMPTY_STRUCTURAL: &[&str] = &[
    "else",
    "endif",
    "endfor",
    "endmacro",
    "endcall",
    "endfilter",
    "endset",
    "default",
    "endswitch",
];

/// The tags that continue or close a statement (only where one awaits them).
fn is_structural(name: &str) -> bool {
    EMPTY_STRUCTURAL.contains(&name) || matches!(name, "elif" | "elseif" | "case")
}

/// nunjitsu's statement tags, in its order (its "did you mean" takes the first closest).
const STATEMENT_TAGS: &[&str] = &[
    "if", "for", "set", "macro", "call", "filter", "block", "switch", "include", "import", "from",
    "extends",
];

/// nunjitsu's message for a structural tag (`endif`, `else` ...) where `expected` were awaited.
fn structural_mismatch(name: &str, expected: &[&str]) -> String {
    let Some((last, rest)) = expected.split_last() else {
        return format!("Unexpected \"{name}\" tag without a matching opening tag");
    };
    let quoted = |v: &[&str]| v.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>();
    let expected = if rest.is_empty() {
        format!("\"{last}\"")
    } else {
        format!("{}, or \"{last}\"", quoted(rest).join(", "))
    };
    format!("Unexpected \"{name}\" tag; expected {expected}")
}

/// A tag (or `${{ }}`) being parsed: its trimmed text, where it starts and where its text starts.
#[derive(Clone, Copy)]
struct Stop<'s> {
    value: &'s str,
    offset: usize,
    value_offset: usize,
}

impl Stop<'_> {
    /// Where `piece` of this tag's text starts in the source, found as nunjitsu's
    /// `tokenValuePosition` finds it: its last (`from_end`) or first occurrence in the text, the
    /// end of the text when empty (a signature's closing `)` is looked for without it).
    fn piece_offset(&self, piece: &str, from_end: bool) -> usize {
        if piece.len() == self.value.len() && piece == self.value {
            return self.value_offset;
        }
        // The text ends with the piece (an `if`'s or `for`'s expression): its last occurrence.
        if from_end && self.value.ends_with(piece) {
            return self.value_offset + self.value.len() - piece.len();
        }
        let piece = match piece.strip_suffix(')') {
            Some(p) if !self.value.contains(piece) => p,
            _ => piece,
        };
        let found = if piece.is_empty() {
            Some(self.value.len())
        } else if from_end {
            self.value.rfind(piece)
        } else {
            self.value.find(piece)
        };
        self.value_offset + found.unwrap_or(0)
    }
}

impl<'s> TplParser<'s, '_> {
    fn fail(&self, t: &Stop, msg: impl Into<String>) -> SyntaxError {
        err_at(self.source, t.offset, msg)
    }

    fn body(&mut self, stops: &[&str]) -> Res<(Vec<Node<'s>>, Option<Stop<'s>>)> {
        // The template's own level gets at most one node per remaining token: one allocation.
        let mut children = if stops.is_empty() {
            Vec::with_capacity(self.tokens.len() - self.i)
        } else {
            Vec::new()
        };
        while self.i < self.tokens.len() {
            let token = &mut self.tokens[self.i];
            self.i += 1;
            let (offset, value_offset) = (token.offset, token.value_offset);
            let stop = |value| Stop {
                value,
                offset,
                value_offset,
            };
            match token.kind {
                TokKind::Text(ref mut v) => {
                    let v = std::mem::take(v);
                    if !v.is_empty() {
                        children.push(Node::Text(v));
                    }
                }
                TokKind::Variable(v) => {
                    let t = stop(v);
                    let (e, at) = self.expr(t.value, &t)?;
                    children.push(Node::Output(e, t.offset, at));
                }
                TokKind::Block(v) => {
                    let stop = stop(v);
                    let name = tag_name(stop.value);
                    if stops.contains(&name) {
                        if EMPTY_STRUCTURAL.contains(&name) && !tag_rest(stop.value).is_empty() {
                            return Err(self.fail(
                                &stop,
                                format!("{name} tag does not accept trailing content"),
                            ));
                        }
                        return Ok((children, Some(stop)));
                    }
                    if is_structural(name) {
                        return Err(self.fail(&stop, structural_mismatch(name, stops)));
                    }
                    children.push(self.statement(name, tag_rest(stop.value), &stop)?);
                }
            }
        }
        Ok((children, None))
    }

    /// Runs `f` on the expression text `src` (a piece of `t`'s text found as nunjitsu finds it);
    /// a failure names the token it is about in the source, as nunjitsu does.
    fn run<T>(
        &self,
        src: &str,
        t: &Stop,
        from_end: bool,
        f: impl FnOnce(&mut ExprParser) -> PRes<T>,
    ) -> Res<T> {
        let base = t.piece_offset(src, from_end);
        let mut p = ExprParser::new(src).map_err(|(m, at)| err_at(self.source, base + at, m))?;
        f(&mut p).map_err(|m| err_at(self.source, base + p.failure_offset(), m))
    }

    /// The expression `src` (a piece of `t`'s text) and where its text starts in the source.
    fn expr(&self, src: &str, t: &Stop) -> Res<(Arc<Expr>, u32)> {
        if let Some(e) = self.cache.get(src) {
            return Ok((e, offset32(t.piece_offset(src, true))));
        }
        let e = Arc::new(self.run(src, t, true, ExprParser::parse)?);
        self.cache.put(src, &e);
        Ok((e, offset32(t.piece_offset(src, true))))
    }

    fn targets(&self, src: &str, t: &Stop) -> Res<Vec<String>> {
        self.run(src, t, false, ExprParser::target_list)
    }

    /// A macro's or a call block's parameters and where their text starts in the source.
    fn signature(&self, src: &str, t: &Stop) -> Res<(Vec<Arg>, u32)> {
        if trim_code(src).is_empty() {
            return Ok((Vec::new(), 0));
        }
        let base = t.piece_offset(src, true);
        let full = format!("{src})");
        let mut p = ExprParser::new(&full).map_err(|(m, at)| err_at(self.source, base + at, m))?;
        let args = p
            .signature()
            .map_err(|m| err_at(self.source, base + p.failure_offset(), m))?;
        Ok((args, offset32(base)))
    }

    fn statement(&mut self, name: &str, rest: &'s str, t: &Stop<'s>) -> Res<Node<'s>> {
        match name {
            "if" => self.parse_if(rest, t),
            "for" => {
                let Some((left, right)) = split_keyword(rest, "in") else {
                    return Err(self.fail(t, "For tag requires an in expression"));
                };
                let targets = self.targets(left, t)?;
                if targets.len() == 1 && targets[0] == "loop" {
                    return Err(self.fail(t, "A single loop target cannot be named loop"));
                }
                let (arr, arr_at) = self.expr(right, t)?;
                let (body, stop) = self.body(&["else", "endfor"])?;
                let Some(stop) = stop else {
                    return Err(self.fail(t, "Missing endfor tag"));
                };
                let else_ = if tag_name(stop.value) == "else" {
                    let (b, s) = self.body(&["endfor"])?;
                    if s.is_none() {
                        return Err(self.fail(t, "Missing endfor tag"));
                    }
                    Some(b)
                } else {
                    None
                };
                Ok(Node::For {
                    at: t.offset,
                    targets,
                    arr,
                    arr_at,
                    body,
                    else_,
                })
            }
            "set" => {
                if let Some(eq) = find_top_level(rest, '=') {
                    let targets = self.targets(&rest[..eq], t)?;
                    let (value, value_at) = self.expr(&rest[eq + 1..], t)?;
                    return Ok(Node::Set {
                        at: t.offset,
                        targets,
                        value: Some(value),
                        value_at,
                        body: Vec::new(),
                    });
                }
                let targets = self.targets(rest, t)?;
                let (body, stop) = self.body(&["endset"])?;
                if stop.is_none() {
                    return Err(self.fail(t, "Missing endset tag"));
                }
                if has_macro(&body) {
                    return Err(self.fail(
                        t,
                        "Macro declarations are not supported inside set captures",
                    ));
                }
                Ok(Node::Set {
                    at: t.offset,
                    targets,
                    value: None,
                    value_at: 0,
                    body,
                })
            }
            "macro" => {
                let r = trim_code(rest);
                let (Some(open), true) = (r.find('('), r.ends_with(')')) else {
                    return Err(self.fail(t, "Invalid macro signature"));
                };
                let name = trim_code(&r[..open]).to_string();
                if ident_end(name.as_bytes(), 0, false) != Some(name.len()) {
                    return Err(self.fail(t, "Invalid macro signature"));
                }
                let (args, args_at) = self.signature(&r[open + 1..r.len() - 1], t)?;
                let (body, stop) = self.body(&["endmacro"])?;
                if stop.is_none() {
                    return Err(self.fail(t, "Missing endmacro tag"));
                }
                Ok(Node::Macro {
                    name,
                    args,
                    args_at,
                    body,
                })
            }
            "call" => {
                let mut src = trim_code(rest).to_string();
                let mut caller_args = String::new();
                if src.starts_with('(') {
                    let Some(close) = matching_delim(&src, 0) else {
                        return Err(self.fail(t, "Invalid call-block arguments"));
                    };
                    caller_args = src[1..close].to_string();
                    src = trim_code(&src[close + 1..]).to_string();
                }
                let (call, call_at) = self.expr(&src, t)?;
                if !matches!(*call, Expr::Call(..)) {
                    return Err(self.fail(t, "Call block requires a function call"));
                }
                let (body, stop) = self.body(&["endcall"])?;
                if stop.is_none() {
                    return Err(self.fail(t, "Missing endcall tag"));
                }
                let (caller_args, caller_args_at) = self.signature(&caller_args, t)?;
                Ok(Node::CallBlock {
                    at: t.offset,
                    call,
                    call_at,
                    caller_args,
                    caller_args_at,
                    body,
                })
            }
            "filter" => {
                let (body, stop) = self.body(&["endfilter"])?;
                if stop.is_none() {
                    return Err(self.fail(t, "Missing endfilter tag"));
                }
                if has_macro(&body) {
                    return Err(self.fail(
                        t,
                        "Macro declarations are not supported inside filter captures",
                    ));
                }
                let (name, args) = self.run(rest, t, true, ExprParser::filter_invocation)?;
                Ok(Node::FilterBlock {
                    at: t.offset,
                    name,
                    name_at: offset32(t.piece_offset(rest, true)),
                    args,
                    body,
                })
            }
            "block" => {
                let name = match &*self.expr(trim_code(rest), t)?.0 {
                    Expr::Sym(name, _) => name.clone(),
                    _ => return Err(self.fail(t, "Block name must be an identifier")),
                };
                let (body, stop) = self.body(&["endblock"])?;
                let Some(stop) = stop else {
                    return Err(self.fail(t, "Missing endblock tag"));
                };
                let closing = tag_rest(stop.value);
                if !closing.is_empty() && closing != name {
                    return Err(self.fail(&stop, "Endblock name must match its opening block"));
                }
                Ok(Node::Block(body))
            }
            "switch" => {
                let (expr, expr_at) = self.expr(rest, t)?;
                let mut cases = Vec::new();
                let mut default = None;
                let (first, mut next) = self.body(&["case", "default", "endswitch"])?;
                if !first.is_empty() {
                    return Err(self.fail(t, "Switch content must begin with case or default"));
                }
                while let Some(stop) = next.take() {
                    match tag_name(stop.value) {
                        "case" => {
                            let (cond, cond_at) = self.expr(tag_rest(stop.value), &stop)?;
                            let (b, s) = self.body(&["case", "default", "endswitch"])?;
                            cases.push((cond, cond_at, b));
                            next = s;
                        }
                        "default" => {
                            let (b, s) = self.body(&["endswitch"])?;
                            default = Some(b);
                            if s.is_none() {
                                return Err(self.fail(t, "Missing endswitch tag"));
                            }
                            break;
                        }
                        _ => {
                            next = Some(stop);
                            break;
                        }
                    }
                }
                if next.is_none() && default.is_none() {
                    return Err(self.fail(t, "Missing endswitch tag"));
                }
                if cases.is_empty() && default.is_none() {
                    return Err(self.fail(t, "Switch requires at least one case or default"));
                }
                Ok(Node::Switch {
                    at: t.offset,
                    expr,
                    expr_at,
                    cases,
                    default,
                })
            }
            "include" | "import" | "from" | "extends" => {
                Err(self.fail(t, format!("Unsupported template-loading tag \"{name}\"")))
            }
            "" => Err(self.fail(t, "Template block tag cannot be empty")),
            other => {
                let mut m = format!("Unknown template tag \"{other}\"");
                if let Some(s) = crate::backstage::suggest::closest_by_edits(
                    other,
                    STATEMENT_TAGS.iter().copied(),
                ) {
                    m.push_str(&format!("; did you mean \"{s}\"?"));
                }
                Err(self.fail(t, m))
            }
        }
    }

    fn parse_if(&mut self, cond_src: &str, t: &Stop<'s>) -> Res<Node<'s>> {
        let (cond, cond_at) = self.expr(cond_src, t)?;
        let (body, stop) = self.body(&["elif", "elseif", "else", "endif"])?;
        let Some(stop) = stop else {
            return Err(self.fail(t, "Missing endif tag"));
        };
        let else_ = match tag_name(stop.value) {
            "elif" | "elseif" => Some(vec![self.parse_if(tag_rest(stop.value), &stop)?]),
            "else" => {
                let (b, s) = self.body(&["endif"])?;
                if s.is_none() {
                    return Err(self.fail(t, "Missing endif tag"));
                }
                Some(b)
            }
            _ => None,
        };
        Ok(Node::If {
            at: t.offset,
            cond,
            cond_at,
            body,
            else_,
        })
    }
}

/// A byte offset as the tree keeps it (sources are far below 4 GiB: `limits`).
fn offset32(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}

/// Whether a macro is declared anywhere in `nodes` (nunjitsu refuses one in a set or filter
/// capture).
fn has_macro(nodes: &[Node<'_>]) -> bool {
    nodes.iter().any(|n| match n {
        Node::Macro { .. } => true,
        Node::Text(_) | Node::Output(..) => false,
        Node::If { body, else_, .. } | Node::For { body, else_, .. } => {
            has_macro(body) || else_.as_deref().is_some_and(has_macro)
        }
        Node::Set { body, .. }
        | Node::CallBlock { body, .. }
        | Node::FilterBlock { body, .. }
        | Node::Block(body) => has_macro(body),
        Node::Switch { cases, default, .. } => {
            cases.iter().any(|(_, _, b)| has_macro(b)) || default.as_deref().is_some_and(has_macro)
        }
    })
}

fn split_keyword<'a>(s: &'a str, kw: &str) -> Option<(&'a str, &'a str)> {
    let b = s.as_bytes();
    let mut depth = 0i32;
    let mut i = 0;
    while i < b.len() {
        if let Some(end) = ident_end(b, i, true) {
            if &s[i..end] == "r" && b.get(end) == Some(&b'/') {
                i = scan_regex(s, i).map(|r| r.2).unwrap_or(b.len());
                continue;
            }
            let before_ws = i == 0 || is_code_ws(s[..i].chars().last().unwrap());
            let after_ws = end >= b.len() || is_code_ws(s[end..].chars().next().unwrap());
            if depth == 0 && &s[i..end] == kw && before_ws && after_ws {
                return Some((trim_code(&s[..i]), trim_code(&s[end..])));
            }
            i = end;
            continue;
        }
        if let Some(e) = skip_code_token(s, i) {
            i = e;
            continue;
        }
        match b[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

fn find_top_level(s: &str, expected: char) -> Option<usize> {
    let b = s.as_bytes();
    let mut depth = 0i32;
    let mut i = 0;
    while i < b.len() {
        if let Some(e) = skip_code_token(s, i) {
            i = e;
            continue;
        }
        match b[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            c if depth == 0 && c as char == expected => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn matching_delim(s: &str, start: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut stack = vec![b[start]];
    let mut i = start + 1;
    while i < b.len() {
        if let Some(e) = skip_code_token(s, i) {
            i = e;
            continue;
        }
        let c = b[i];
        if matches!(c, b'(' | b'[' | b'{') {
            stack.push(c);
        } else if matches!(c, b')' | b']' | b'}') {
            let want = match stack.last() {
                Some(b'(') => b')',
                Some(b'[') => b']',
                _ => b'}',
            };
            if c == want {
                stack.pop();
                if stack.is_empty() {
                    return Some(i);
                }
            }
        }
        i += 1;
    }
    None
}

type ExprMap = HashMap<Box<str>, Arc<Expr>, foldhash::fast::RandomState>;

/// Expressions parsed lately, by their source text. Skeleton files repeat the same few
/// (`values.name`) thousands of times; the parsed tree is shared (`Arc`) by every template that
/// holds it, not parsed again nor copied. An expression parses the same wherever it stands (its
/// offsets are relative to its own text, and errors are not cached). Owned by the [`super::Engine`] that parses (so by the run),
/// with one map per thread, files rendering in parallel; a map is emptied when full.
#[derive(Default)]
pub struct ExprCache(thread_local::ThreadLocal<RefCell<ExprMap>>);

impl ExprCache {
    /// Longer sources are rarely repeated: not kept.
    const MAX_SOURCE: usize = 256;
    const MAX_ENTRIES: usize = 1024;

    fn map(&self) -> &RefCell<ExprMap> {
        self.0.get_or_default()
    }

    /// This thread's map (looked up once per template, not once per tag).
    fn local(&self) -> LocalExprCache<'_> {
        LocalExprCache(self.map())
    }
}

/// One thread's [`ExprCache`].
struct LocalExprCache<'c>(&'c RefCell<ExprMap>);

impl LocalExprCache<'_> {
    fn get(&self, src: &str) -> Option<Arc<Expr>> {
        if src.len() > ExprCache::MAX_SOURCE {
            return None;
        }
        self.0.borrow().get(src).cloned()
    }

    fn put(&self, src: &str, e: &Arc<Expr>) {
        if src.len() > ExprCache::MAX_SOURCE {
            return;
        }
        let mut c = self.0.borrow_mut();
        if c.len() >= ExprCache::MAX_ENTRIES {
            c.clear();
        }
        c.insert(src.into(), e.clone());
    }
}

impl std::fmt::Debug for ExprCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExprCache")
    }
}

// ---------------------------------------------------------------- expression parser

#[derive(Debug, Clone, PartialEq)]
enum Tk {
    Name(String),
    Num(String),
    Str(String),
    Regex(String, String),
    Op(&'static str),
    Eof,
}

const OPS3: &[&str] = &["===", "!=="];
const OPS2: &[&str] = &["**", "//", "==", "!=", "<=", ">="];
const OPS1: &[&str] = &[
    "(", ")", "[", "]", "{", "}", ".", ",", ":", "|", "~", "+", "-", "*", "/", "%", "<", ">", "=",
];

/// The tokens of `s` and where each starts in `s` (the end for `Eof`); a failure with the offset
/// of the token it is about, as nunjitsu's tokenizer reports it.
fn tokenize(s: &str) -> Result<(Vec<Tk>, Vec<usize>), (String, usize)> {
    let b = s.as_bytes();
    let mut out: Vec<Tk> = Vec::new();
    let mut at: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = s[i..].chars().next().unwrap();
        if is_code_ws(c) {
            i += c.len_utf8();
            continue;
        }
        // Every pass from here pushes one token or fails.
        at.push(i);
        let after_dot = matches!(out.last(), Some(Tk::Op(".")));
        if let Some(end) = ident_end(b, i, after_dot) {
            if &s[i..end] == "r" && b.get(end) == Some(&b'/') {
                let (p, f, e) = scan_regex(s, i).map_err(|m| (m, i))?;
                out.push(Tk::Regex(p, f));
                i = e;
            } else {
                out.push(Tk::Name(s[i..end].to_string()));
                i = end;
            }
            continue;
        }
        let after_operand = matches!(
            out.last(),
            Some(Tk::Name(_) | Tk::Num(_) | Tk::Str(_) | Tk::Regex(..) | Tk::Op(")" | "]" | "}"))
        );
        if c == '.' && b.get(i + 1).is_some_and(u8::is_ascii_digit) && !after_operand {
            return Err(("Invalid numeric literal".into(), i));
        }
        if c.is_ascii_digit() {
            let mut e = i;
            while e < b.len() && b[e].is_ascii_digit() {
                e += 1;
            }
            if e < b.len() && b[e] == b'.' {
                e += 1;
                while e < b.len() && b[e].is_ascii_digit() {
                    e += 1;
                }
            }
            if e < b.len() && (b[e] == b'_' || b[e].is_ascii_alphabetic()) {
                return Err(("Invalid numeric literal".into(), i));
            }
            out.push(Tk::Num(s[i..e].to_string()));
            i = e;
            continue;
        }
        if c == '"' || c == '\'' {
            let mut v = String::new();
            let mut j = i + 1;
            let mut closed = false;
            while j < b.len() {
                let ch = s[j..].chars().next().unwrap();
                j += ch.len_utf8();
                if ch == c {
                    closed = true;
                    break;
                }
                if ch != '\\' {
                    v.push(ch);
                    continue;
                }
                let Some(esc) = s[j..].chars().next() else {
                    break;
                };
                j += esc.len_utf8();
                v.push(match esc {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    o => o,
                });
            }
            if !closed {
                return Err(("Unterminated string literal".into(), i));
            }
            out.push(Tk::Str(v));
            i = j;
            continue;
        }
        let rest = &s[i..];
        if let Some(op) = OPS3
            .iter()
            .chain(OPS2)
            .chain(OPS1)
            .find(|o| rest.starts_with(**o))
        {
            out.push(Tk::Op(op));
            i += op.len();
            continue;
        }
        return Err((format!("Unexpected character \"{c}\""), i));
    }
    out.push(Tk::Eof);
    at.push(s.len());
    Ok((out, at))
}

struct ExprParser {
    toks: Vec<Tk>,
    /// Where each token starts in the parsed text.
    at: Vec<usize>,
    i: usize,
    depth: usize,
    /// The offset a failure is about when it is not the current token's (a name already read,
    /// the `(` of an empty group).
    fail_at: Option<usize>,
}

type PRes<T> = Result<T, String>;

impl ExprParser {
    fn new(src: &str) -> Result<Self, (String, usize)> {
        let (toks, at) = tokenize(src)?;
        Ok(ExprParser {
            toks,
            at,
            i: 0,
            depth: 0,
            fail_at: None,
        })
    }
    /// Where a failure just returned is (nunjitsu's token position): the current token's offset
    /// unless the failure named another.
    fn failure_offset(&self) -> usize {
        self.fail_at
            .unwrap_or(self.at[self.i.min(self.at.len() - 1)])
    }
    /// Where the current token starts in the parsed text.
    fn offset(&self) -> u32 {
        offset32(self.at[self.i.min(self.at.len() - 1)])
    }
    /// Where the token just consumed starts in the parsed text.
    fn offset_before(&self) -> u32 {
        offset32(self.at[self.i.saturating_sub(1).min(self.at.len() - 1)])
    }
    /// Fails about the token `back` places before the current one.
    fn fail_before<T>(&mut self, back: usize, message: impl Into<String>) -> PRes<T> {
        self.fail_at = Some(self.at[self.i.saturating_sub(back).min(self.at.len() - 1)]);
        Err(message.into())
    }
    fn peek(&self, n: usize) -> &Tk {
        &self.toks[(self.i + n).min(self.toks.len() - 1)]
    }
    fn eat(&mut self, op: &str) -> bool {
        if matches!(self.peek(0), Tk::Op(o) if *o == op) {
            self.i += 1;
            return true;
        }
        false
    }
    fn eat_name(&mut self, n: &str) -> bool {
        if matches!(self.peek(0), Tk::Name(x) if x == n) {
            self.i += 1;
            return true;
        }
        false
    }
    fn expect(&mut self, op: &str) -> PRes<()> {
        if self.eat(op) {
            Ok(())
        } else {
            Err(format!("Expected {op}"))
        }
    }
    fn describe(&self) -> String {
        match self.peek(0) {
            Tk::Eof => "end of input".into(),
            Tk::Name(n) | Tk::Num(n) | Tk::Str(n) => format!("\"{n}\""),
            Tk::Regex(p, f) => format!("\"{p}/{f}\""),
            Tk::Op(o) => format!("\"{o}\""),
        }
    }
    fn expect_name(&mut self) -> PRes<String> {
        match self.peek(0).clone() {
            Tk::Name(n) => {
                self.i += 1;
                if matches!(n.as_str(), "constructor" | "prototype" | "__proto__") {
                    return self.fail_before(1, format!("Template name \"{n}\" is reserved"));
                }
                Ok(n)
            }
            _ => Err(format!("Expected name, received {}", self.describe())),
        }
    }
    fn expect_eof(&self) -> PRes<()> {
        if matches!(self.peek(0), Tk::Eof) {
            Ok(())
        } else {
            Err(format!("Expected eof, received {}", self.describe()))
        }
    }
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PRes<T>) -> PRes<T> {
        self.depth += 1;
        if self.depth > 200 {
            return Err("Expression nesting is too deep".into());
        }
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn parse(&mut self) -> PRes<Expr> {
        let e = self.inline_if()?;
        self.expect_eof()?;
        Ok(e)
    }

    fn target_list(&mut self) -> PRes<Vec<String>> {
        let mut out = Vec::new();
        loop {
            let n = self.expect_name()?;
            if matches!(n.as_str(), "true" | "false" | "null" | "none") {
                return self.fail_before(1, "Binding targets must be ordinary names");
            }
            out.push(n);
            if !self.eat(",") {
                break;
            }
        }
        self.expect_eof()?;
        Ok(out)
    }

    fn signature(&mut self) -> PRes<Vec<Arg>> {
        let (args, starts) = self.arguments_at(")")?;
        self.expect_eof()?;
        for (a, start) in args.iter().zip(starts) {
            if let Arg::Pos(e) = a {
                if !matches!(e, Expr::Sym(..)) {
                    self.fail_at = Some(start);
                    return Err("Formal parameters must be names".into());
                }
            }
        }
        Ok(args)
    }

    fn filter_invocation(&mut self) -> PRes<(String, Vec<Arg>)> {
        let name = self.filter_name()?;
        let args = if self.eat("(") {
            self.nested(|p| p.arguments(")"))?
        } else {
            Vec::new()
        };
        self.expect_eof()?;
        Ok((name, args))
    }

    fn inline_if(&mut self) -> PRes<Expr> {
        let body = self.or()?;
        if !self.eat_name("if") {
            return Ok(body);
        }
        let cond = self.or()?;
        let else_ = if self.eat_name("else") {
            Some(Box::new(self.nested(|p| p.or())?))
        } else {
            None
        };
        Ok(Expr::If(Box::new(cond), Box::new(body), else_))
    }
    fn or(&mut self) -> PRes<Expr> {
        let mut l = self.and()?;
        while self.eat_name("or") {
            l = Expr::Or(Box::new(l), Box::new(self.and()?));
        }
        Ok(l)
    }
    fn and(&mut self) -> PRes<Expr> {
        let mut l = self.not()?;
        while self.eat_name("and") {
            l = Expr::And(Box::new(l), Box::new(self.not()?));
        }
        Ok(l)
    }
    fn not(&mut self) -> PRes<Expr> {
        if self.eat_name("not") {
            let t = self.nested(|p| p.not())?;
            return Ok(lower_not(t));
        }
        self.membership()
    }
    fn membership(&mut self) -> PRes<Expr> {
        let mut l = self.test()?;
        loop {
            let negate = if matches!(self.peek(0), Tk::Name(n) if n == "not")
                && matches!(self.peek(1), Tk::Name(n) if n == "in")
            {
                self.i += 2;
                true
            } else if self.eat_name("in") {
                false
            } else {
                return Ok(l);
            };
            let m = Expr::In(Box::new(l), Box::new(self.test()?));
            l = if negate { Expr::Not(Box::new(m)) } else { m };
        }
    }
    fn test(&mut self) -> PRes<Expr> {
        let l = self.equality()?;
        if self.eat_name("is") {
            let negate = self.eat_name("not");
            let r = self.equality()?;
            let t = Expr::Is(Box::new(l), Box::new(r));
            return Ok(if negate { Expr::Not(Box::new(t)) } else { t });
        }
        Ok(l)
    }
    fn compare_level(
        &mut self,
        ops: &[&'static str],
        next: fn(&mut Self) -> PRes<Expr>,
    ) -> PRes<Expr> {
        let l = next(self)?;
        let mut list = Vec::new();
        while let Tk::Op(o) = self.peek(0).clone() {
            if !ops.contains(&o) {
                break;
            }
            self.i += 1;
            list.push((o.to_string(), next(self)?));
        }
        Ok(if list.is_empty() {
            l
        } else {
            Expr::Compare(Box::new(l), list)
        })
    }
    fn equality(&mut self) -> PRes<Expr> {
        self.compare_level(&["==", "===", "!=", "!=="], Self::relational)
    }
    fn relational(&mut self) -> PRes<Expr> {
        self.compare_level(&["<", "<=", ">", ">="], Self::additive)
    }
    fn additive(&mut self) -> PRes<Expr> {
        let mut l = self.multiply()?;
        loop {
            let op = if self.eat("+") {
                "add"
            } else if self.eat("-") {
                "sub"
            } else if self.eat("~") {
                "cat"
            } else {
                return Ok(l);
            };
            l = Expr::Bin(op, Box::new(l), Box::new(self.multiply()?));
        }
    }
    // nunjucks' multiplicative grammar: `*` < `/` < `//` < `%` in binding, all left-associative
    // once materialised (see nunjitsu's parseMultiplySequence).
    fn multiply(&mut self) -> PRes<Expr> {
        let seq = self.mul_seq()?;
        Ok(materialize(seq))
    }
    fn mul_seq(&mut self) -> PRes<Seq> {
        self.seq_level("*", "mul", Self::div_seq)
    }
    fn div_seq(&mut self) -> PRes<Seq> {
        self.seq_level("/", "div", Self::floor_seq)
    }
    /// `next (token next)*` as one sequence of `op`s.
    fn seq_level(
        &mut self,
        token: &str,
        op: &'static str,
        next: fn(&mut Self) -> PRes<Seq>,
    ) -> PRes<Seq> {
        let mut s = next(self)?;
        while self.eat(token) {
            let r = next(self)?;
            append(&mut s, op, r);
        }
        Ok(s)
    }
    fn floor_seq(&mut self) -> PRes<Seq> {
        let mut s = self.mod_seq()?;
        while self.eat("//") {
            let r = self.mod_seq()?;
            append(&mut s, "div", r);
            let t = materialize(s);
            s = Seq {
                first: Expr::Floor(Box::new(t)),
                ops: Vec::new(),
            };
        }
        Ok(s)
    }
    fn mod_seq(&mut self) -> PRes<Seq> {
        let mut s = Seq {
            first: self.power()?,
            ops: Vec::new(),
        };
        while self.eat("%") {
            s.ops.push(("mod", self.power()?));
        }
        Ok(s)
    }
    fn power(&mut self) -> PRes<Expr> {
        let mut l = self.filter()?;
        while self.eat("**") {
            l = Expr::Bin("pow", Box::new(l), Box::new(self.filter()?));
        }
        Ok(l)
    }
    fn filter(&mut self) -> PRes<Expr> {
        let mut e = self.unary()?;
        while self.eat("|") {
            let name_at = self.offset();
            let name = self.filter_name()?;
            let args = if self.eat("(") {
                self.nested(|p| p.arguments(")"))?
            } else {
                Vec::new()
            };
            e = Expr::Filter(name, Box::new(e), args, name_at);
        }
        Ok(e)
    }
    fn filter_name(&mut self) -> PRes<String> {
        let mut n = self.expect_name()?;
        while self.eat(".") {
            n.push('.');
            n.push_str(&self.expect_name()?);
        }
        Ok(n)
    }
    fn unary(&mut self) -> PRes<Expr> {
        let target = self.i + 1;
        if self.eat("-") {
            let t = self.nested(|p| p.unary())?;
            if matches!(t, Expr::Neg(_)) {
                self.fail_at = Some(self.at[target]);
                return Err("Repeated unparenthesized unary - is not supported".into());
            }
            return Ok(Expr::Neg(Box::new(t)));
        }
        if self.eat("+") {
            let t = self.nested(|p| p.unary())?;
            if matches!(t, Expr::Pos(_)) {
                self.fail_at = Some(self.at[target]);
                return Err("Repeated unparenthesized unary + is not supported".into());
            }
            return Ok(Expr::Pos(Box::new(t)));
        }
        self.postfix()
    }
    fn postfix(&mut self) -> PRes<Expr> {
        let mut e = self.primary()?;
        loop {
            if self.eat(".") {
                let k = self.expect_name()?;
                let end = self.offset_before() + k.len() as u32;
                e = Expr::Lookup(Box::new(e), Box::new(Expr::Lit(Lit::Str(k))), end);
            } else if self.eat("[") {
                let v = self.nested(|p| p.subscript())?;
                self.expect("]")?;
                let end = self.offset_before() + 1;
                e = Expr::Lookup(Box::new(e), Box::new(v), end);
            } else if self.eat("(") {
                let args = self.nested(|p| p.arguments(")"))?;
                e = Expr::Call(Box::new(e), args);
            } else {
                return Ok(e);
            }
        }
    }
    fn subscript(&mut self) -> PRes<Expr> {
        let at_sep = |p: &Self| matches!(p.peek(0), Tk::Op(":" | "]"));
        let start = if !at_sep(self) {
            Some(self.inline_if()?)
        } else {
            None
        };
        if !self.eat(":") {
            return start.ok_or_else(|| "Expected subscript expression".to_string());
        }
        let stop = if !at_sep(self) {
            Some(Box::new(self.inline_if()?))
        } else {
            None
        };
        let step = if self.eat(":") && !matches!(self.peek(0), Tk::Op("]")) {
            Some(Box::new(self.inline_if()?))
        } else {
            None
        };
        Ok(Expr::Slice(start.map(Box::new), stop, step))
    }
    fn primary(&mut self) -> PRes<Expr> {
        let t = self.peek(0).clone();
        match t {
            Tk::Num(n) => {
                self.i += 1;
                Ok(Expr::Lit(Lit::Num(n.parse::<f64>().unwrap_or(f64::NAN))))
            }
            Tk::Str(s) => {
                self.i += 1;
                Ok(Expr::Lit(Lit::Str(s)))
            }
            Tk::Regex(p, f) => {
                self.i += 1;
                Ok(Expr::Regex(p, f))
            }
            Tk::Name(n) => {
                let at = self.offset();
                self.i += 1;
                Ok(match n.as_str() {
                    "true" => Expr::Lit(Lit::Bool(true)),
                    "false" => Expr::Lit(Lit::Bool(false)),
                    "none" | "null" => Expr::Lit(Lit::Null),
                    "constructor" | "prototype" | "__proto__" => {
                        return self.fail_before(1, format!("Template name \"{n}\" is reserved"))
                    }
                    _ => Expr::Sym(n, at),
                })
            }
            Tk::Op("(") => {
                let open = self.at[self.i];
                self.i += 1;
                let items = self.nested(|p| p.delimited(")"))?;
                if items.is_empty() {
                    self.fail_at = Some(open);
                    return Err("Parenthesized expression cannot be empty".into());
                }
                Ok(Expr::Group(items))
            }
            Tk::Op("[") => {
                self.i += 1;
                Ok(Expr::Array(self.nested(|p| p.delimited("]"))?))
            }
            Tk::Op("{") => {
                self.i += 1;
                self.nested(|p| p.dict())
            }
            Tk::Eof => Err("Unexpected expression token at end of input".into()),
            _ => Err(format!("Unexpected expression token {}", self.describe())),
        }
    }
    fn dict(&mut self) -> PRes<Expr> {
        let mut pairs = Vec::new();
        if !self.eat("}") {
            loop {
                let key = match self.peek(0).clone() {
                    Tk::Name(n) if !matches!(n.as_str(), "true" | "false" | "null" | "none") => n,
                    Tk::Str(s) => s,
                    _ => return Err("Dictionary keys must be strings or names".into()),
                };
                self.i += 1;
                self.expect(":")?;
                pairs.push((key, self.inline_if()?));
                if !self.eat(",") {
                    break;
                }
            }
            self.expect("}")?;
        }
        Ok(Expr::Dict(pairs))
    }
    fn delimited(&mut self, end: &str) -> PRes<Vec<Expr>> {
        let mut out = Vec::new();
        if self.eat(end) {
            return Ok(out);
        }
        loop {
            out.push(self.inline_if()?);
            if !self.eat(",") {
                break;
            }
        }
        self.expect(end)?;
        Ok(out)
    }
    fn arguments(&mut self, end: &str) -> PRes<Vec<Arg>> {
        Ok(self.arguments_at(end)?.0)
    }
    /// The arguments up to `end` (positional first) and where each positional one starts.
    fn arguments_at(&mut self, end: &str) -> PRes<(Vec<Arg>, Vec<usize>)> {
        let mut pos = Vec::new();
        let mut starts = Vec::new();
        let mut kws = Vec::new();
        if self.eat(end) {
            return Ok((pos, starts));
        }
        loop {
            if let (Tk::Name(n), Tk::Op("=")) = (self.peek(0).clone(), self.peek(1).clone()) {
                self.i += 2;
                kws.push(Arg::Kw(n, self.inline_if()?));
            } else {
                starts.push(self.at[self.i.min(self.at.len() - 1)]);
                pos.push(Arg::Pos(self.inline_if()?));
            }
            if !self.eat(",") {
                break;
            }
        }
        self.expect(end)?;
        pos.extend(kws);
        Ok((pos, starts))
    }
}

struct Seq {
    first: Expr,
    ops: Vec<(&'static str, Expr)>,
}

fn append(s: &mut Seq, op: &'static str, r: Seq) {
    s.ops.push((op, r.first));
    s.ops.extend(r.ops);
}

fn materialize(s: Seq) -> Expr {
    let mut l = s.first;
    for (op, r) in s.ops {
        l = Expr::Bin(op, Box::new(l), Box::new(r));
    }
    l
}

/// nunjucks lowers `not a + b` to `(not a) + b` (and the same through comparisons).
fn lower_not(t: Expr) -> Expr {
    match t {
        Expr::Bin(op, l, r) if op != "pow" => Expr::Bin(op, Box::new(lower_not(*l)), r),
        Expr::Compare(l, ops) => Expr::Compare(Box::new(lower_not(*l)), ops),
        other => Expr::Not(Box::new(other)),
    }
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod scan_tests;
