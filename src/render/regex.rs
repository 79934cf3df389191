//! JavaScript regular expressions: the `r/.../flags` literal's value, its translation to a Rust
//! regex, and `String.prototype.replace` with one. A leaf: used by the parser, filters and methods.

use std::sync::Arc;

use minijinja::value::{Object, Value};
use minijinja::{Error, ErrorKind};

fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// A regular-expression literal `r/src/flags`.
#[derive(Debug)]
pub struct JsRegex {
    pub source: String,
    pub flags: String,
}

impl std::fmt::Display for JsRegex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/{}/{}", self.source, self.flags)
    }
}

impl Object for JsRegex {
    fn repr(self: &Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Plain
    }
    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

pub fn as_regex(v: &Value) -> Option<Arc<JsRegex>> {
    v.downcast_object::<JsRegex>()
}

/// Compiles a JavaScript regular expression (`i`, `m` flags; `g` and `y` are handled by callers).
pub fn build_regex(source: &str, flags: &str) -> Result<fancy_regex::Regex, String> {
    let mut prefix = String::new();
    if flags.contains('i') {
        prefix.push('i');
    }
    if flags.contains('m') {
        prefix.push('m');
    }
    let pattern = if prefix.is_empty() {
        source.to_string()
    } else {
        format!("(?{prefix}){source}")
    };
    fancy_regex::Regex::new(&pattern).map_err(|e| e.to_string())
}

/// Expands a JavaScript replacement string (`$&`, `$1`, `$$`, `` $` ``, `$'`).
fn expand_replacement(rep: &str, caps: &fancy_regex::Captures<'_>, input: &str) -> String {
    let m = caps.get(0).expect("match");
    let mut out = String::new();
    let mut chars = rep.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some('$') => {
                chars.next();
                out.push('$');
            }
            Some('&') => {
                chars.next();
                out.push_str(m.as_str());
            }
            Some('`') => {
                chars.next();
                out.push_str(&input[..m.start()]);
            }
            Some('\'') => {
                chars.next();
                out.push_str(&input[m.end()..]);
            }
            Some(d) if d.is_ascii_digit() => {
                chars.next();
                let mut n = d.to_digit(10).unwrap() as usize;
                if let Some(d2) = chars.peek().copied().filter(char::is_ascii_digit) {
                    let two = n * 10 + d2.to_digit(10).unwrap() as usize;
                    if two < caps.len() && two > 0 {
                        chars.next();
                        n = two;
                    }
                }
                if n > 0 && n < caps.len() {
                    out.push_str(caps.get(n).map(|g| g.as_str()).unwrap_or(""));
                } else {
                    out.push('$');
                    out.push(d);
                }
            }
            _ => out.push('$'),
        }
    }
    out
}

/// `String.prototype.replace` with a regex (all matches with `g`, else the first).
pub fn regex_replace(input: &str, re: &JsRegex, rep: &str) -> Result<String, Error> {
    let rx = build_regex(&re.source, &re.flags).map_err(err)?;
    let global = re.flags.contains('g');
    let mut out = String::new();
    let mut last = 0;
    for caps in rx.captures_iter(input) {
        let caps = caps.map_err(|e| err(e.to_string()))?;
        let m = caps.get(0).expect("match");
        out.push_str(&input[last..m.start()]);
        out.push_str(&expand_replacement(rep, &caps, input));
        last = m.end();
        if !global {
            break;
        }
    }
    out.push_str(&input[last..]);
    Ok(out)
}
