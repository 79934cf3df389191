//! What one templated string uses: variables with their constant attribute path
//! (`parameters.name`, `steps['fetch'].output.url`), filters, tests, function calls and method
//! calls, each with its byte range in the string. Read from the instructions the engine compiles,
//! so the grammar is exactly the engine's.

use std::collections::HashSet;

use minijinja::machinery::{CodeGenerator, Instruction, Instructions};
use minijinja::syntax::SyntaxConfig;

use crate::render::Engine;

/// What is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A variable and the constant attribute/item path read from it.
    Var {
        root: String,
        path: Vec<String>,
    },
    Filter(String),
    Test(String),
    Function(String),
    Method(String),
}

/// One use, with its byte range in the analysed string.
#[derive(Debug, Clone)]
pub struct Use {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// Everything a string uses. Names bound inside the string (`set`, `for`, macro arguments) are
/// not reported as variables.
#[derive(Debug, Default, Clone)]
pub struct Analysis {
    pub uses: Vec<Use>,
}

/// Whether a string holds template syntax at all (plain strings are not compiled).
pub fn is_templated(s: &str, cookiecutter: bool) -> bool {
    crate::render::has_delimiter(s, cookiecutter)
}

/// nunjucks grammar that minijinja's does not have, rewritten for analysis only, keeping every
/// length so positions stay right: `===`/`!==` are read as `==`/`!=`, a regex literal
/// `r/a+/g` as a string literal, `{% verbatim %}` as `{% raw %}`.
fn normalize(source: &str) -> std::borrow::Cow<'_, str> {
    use std::sync::OnceLock;
    static REGEX_LITERAL: OnceLock<regex::Regex> = OnceLock::new();
    static VERBATIM: OnceLock<regex::Regex> = OnceLock::new();
    let mut s = std::borrow::Cow::Borrowed(source);
    if s.contains("==") {
        s = std::borrow::Cow::Owned(s.replace("!==", "!= ").replace("===", "== "));
    }
    if s.contains("r/") {
        let re = REGEX_LITERAL.get_or_init(|| {
            regex::Regex::new(r"\br/((?:[^/\\\n]|\\.)+)/[gimsuy]*").expect("valid regex")
        });
        if re.is_match(&s) {
            s = std::borrow::Cow::Owned(
                re.replace_all(&s, |c: &regex::Captures<'_>| {
                    format!("'{}'", "_".repeat(c[0].len() - 2))
                })
                .into_owned(),
            );
        }
    }
    if s.contains("verbatim") {
        let re = VERBATIM.get_or_init(|| {
            regex::Regex::new(r"(\{%-?\s*)(end)?verbatim(\s*-?%\})").expect("valid regex")
        });
        s = std::borrow::Cow::Owned(
            re.replace_all(&s, |c: &regex::Captures<'_>| {
                let end = c.get(2).map_or("", |m| m.as_str());
                format!("{}{end}raw     {}", &c[1], &c[3])
            })
            .into_owned(),
        );
    }
    s
}

/// Whether the name ending at `end` is an object-literal key (`{ defaultKind: 'group' }`, which
/// nunjucks reads as the string `"defaultKind"`).
fn is_object_key(source: &str, end: usize) -> bool {
    source
        .get(end..)
        .map(|rest| rest.trim_start().starts_with(':'))
        .unwrap_or(false)
}

/// A syntax error: the message and the byte range in the string, when known.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub message: String,
    pub range: Option<std::ops::Range<usize>>,
    pub line: Option<usize>,
}

/// Byte offset of 1-based `line` and `column` (in characters) in `source`.
fn offset_of(source: &str, line: usize, column: usize) -> Option<usize> {
    let start = if line <= 1 {
        0
    } else {
        source.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let rest = &source[start..];
    let end = rest.find('\n').unwrap_or(rest.len());
    let within = rest[..end]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map(|(i, _)| i)
        .unwrap_or(end);
    Some(start + within)
}

/// The delimiters Backstage uses (`{{ }}` variables in cookiecutter mode).
fn syntax(cookiecutter: bool) -> SyntaxConfig {
    use std::sync::OnceLock;
    static PLAIN: OnceLock<SyntaxConfig> = OnceLock::new();
    static COOKIECUTTER: OnceLock<SyntaxConfig> = OnceLock::new();
    let cell = if cookiecutter { &COOKIECUTTER } else { &PLAIN };
    cell.get_or_init(|| {
        let mut b = SyntaxConfig::builder();
        b.variable_delimiters(if cookiecutter { "{{" } else { "${{" }, "}}");
        b.block_delimiters("{%", "%}")
            .comment_delimiters("{#", "#}");
        b.build().expect("valid delimiters")
    })
    .clone()
}

/// Checks `source` with the engine (which decides what Backstage's grammar accepts) and lists
/// what it uses. Uses are read from minijinja's compilation of the text; where minijinja's grammar
/// cannot read a text the engine accepts, no uses are reported.
pub fn analyze(engine: &Engine, source: &str, cookiecutter: bool) -> Result<Analysis, SyntaxError> {
    if let Err(e) = engine.parse(source) {
        // the error's line and column become a byte range; the message loses its `(column N)`
        let column = e.column;
        let message = column
            .and_then(|c| e.message.strip_suffix(&format!(" (column {c})")))
            .unwrap_or(&e.message)
            .to_string();
        let range = match (e.line, column) {
            (Some(l), Some(c)) => offset_of(source, l, c)
                .map(|o| o..o + source[o..].chars().next().map_or(0, char::len_utf8)),
            _ => None,
        };
        return Err(SyntaxError {
            message,
            range,
            line: e.line,
        });
    }
    let normalized = normalize(source);
    let Ok(ast) = minijinja::machinery::parse(&normalized, "<template>", syntax(cookiecutter))
    else {
        return Ok(Analysis::default());
    };
    let mut g = CodeGenerator::new("<template>", &normalized);
    g.compile_stmt(&ast);
    let (instructions, _) = g.finish();
    Ok(scan(&instructions, &normalized))
}

fn span_of(ins: &Instructions<'_>, idx: u32, len: usize) -> (usize, usize) {
    match ins.get_span(idx) {
        Some(s) => (s.start_offset as usize, (s.end_offset as usize).min(len)),
        None => (0, 0),
    }
}

/// The byte range of `name` inside `start..end` of `source` (last occurrence), else the range.
fn name_range(source: &str, start: usize, end: usize, name: &str) -> (usize, usize) {
    if let Some(text) = source.get(start..end) {
        if let Some(i) = text.rfind(name) {
            return (start + i, start + i + name.len());
        }
    }
    (start, end)
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The byte range of the `nth` reference to variable `name` inside `start..end`, extended over
/// the attribute path (`.a`, `['b']`) that follows it.
fn locate_ref(
    source: &str,
    start: usize,
    end: usize,
    name: &str,
    nth: usize,
    path: &[String],
) -> Option<(usize, usize)> {
    let bytes = source.as_bytes();
    let region = source.get(start..end)?;
    let mut count = 0;
    for (i, _) in region.match_indices(name) {
        let at = start + i;
        let before_ok = at == 0 || !(is_ident_byte(bytes[at - 1]) || bytes[at - 1] == b'.');
        let after = at + name.len();
        let after_ok = after >= bytes.len() || !is_ident_byte(bytes[after]);
        if !(before_ok && after_ok) {
            continue;
        }
        if count < nth {
            count += 1;
            continue;
        }
        let mut stop = after;
        for seg in path {
            let rest = &source[stop..];
            if let Some(r) = rest.strip_prefix('.') {
                if r.starts_with(seg.as_str()) {
                    stop += 1 + seg.len();
                    continue;
                }
            }
            if let Some(r) = rest.strip_prefix('[') {
                let inner = r.trim_start();
                let q = inner.chars().next();
                if matches!(q, Some('\'' | '"')) && inner[1..].starts_with(seg.as_str()) {
                    if let Some(close) = rest.find(']') {
                        stop += close + 1;
                        continue;
                    }
                }
            }
            break;
        }
        return Some((at, stop));
    }
    None
}

fn scan(ins: &Instructions<'_>, source: &str) -> Analysis {
    let mut all = Vec::new();
    let mut n: u32 = 0;
    while ins.get(n).is_some() {
        all.push(n);
        n += 1;
    }
    let mut locals: HashSet<&str> = HashSet::new();
    for &i in &all {
        if let Some(Instruction::StoreLocal(name)) = ins.get(i) {
            locals.insert(name);
        }
    }
    let mut uses = Vec::new();
    let mut seen: std::collections::HashMap<(usize, String), usize> =
        std::collections::HashMap::new();
    for &i in &all {
        let (s, e) = span_of(ins, i, source.len());
        match ins.get(i) {
            Some(Instruction::Lookup(name)) if !locals.contains(name) => {
                let mut path = Vec::new();
                let mut j = i + 1;
                loop {
                    match ins.get(j) {
                        Some(Instruction::GetAttr(a)) => {
                            path.push(a.to_string());
                            j += 1;
                        }
                        Some(Instruction::LoadConst(v))
                            if matches!(ins.get(j + 1), Some(Instruction::GetItem)) =>
                        {
                            match v.as_str() {
                                Some(k) => path.push(k.to_string()),
                                None => path.push(v.to_string()),
                            }
                            j += 2;
                        }
                        _ => break,
                    }
                }
                // the instruction's span is the enclosing expression's; find the name in it
                let (region_start, region_end) = if s < e { (s, e) } else { (0, source.len()) };
                let nth = seen.entry((region_start, name.to_string())).or_insert(0);
                let found = locate_ref(source, region_start, region_end, name, *nth, &path);
                *nth += 1;
                let (start, end) = found.unwrap_or((region_start, region_end));
                if found.is_some() && is_object_key(source, start + name.len()) && path.is_empty() {
                    continue;
                }
                uses.push(Use {
                    kind: Kind::Var {
                        root: name.to_string(),
                        path,
                    },
                    start,
                    end,
                });
            }
            Some(Instruction::ApplyFilter(name, _, _)) => {
                let (a, b) = name_range(source, s, e, name);
                uses.push(Use {
                    kind: Kind::Filter(name.to_string()),
                    start: a,
                    end: b,
                });
            }
            Some(Instruction::PerformTest(name, _, _)) => {
                let (a, b) = name_range(source, s, e, name);
                uses.push(Use {
                    kind: Kind::Test(name.to_string()),
                    start: a,
                    end: b,
                });
            }
            Some(Instruction::CallFunction(name, _)) if !locals.contains(name) => {
                let (a, _) = name_range(source, s, e, name);
                uses.push(Use {
                    kind: Kind::Function(name.to_string()),
                    start: a,
                    end: a + name.len(),
                });
            }
            Some(Instruction::CallMethod(name, _)) => {
                let (a, b) = name_range(source, s, e, name);
                uses.push(Use {
                    kind: Kind::Method(name.to_string()),
                    start: a,
                    end: b,
                });
            }
            _ => {}
        }
    }
    Analysis { uses }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Kind> {
        analyze(&Engine::workflow(), src, false)
            .unwrap()
            .uses
            .into_iter()
            .map(|u| u.kind)
            .collect()
    }

    fn var(root: &str, path: &[&str]) -> Kind {
        Kind::Var {
            root: root.into(),
            path: path.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn finds_variables_with_their_paths() {
        let k = kinds("${{ parameters.name }}-${{ steps['fetch-base'].output.url }}");
        assert!(k.contains(&var("parameters", &["name"])), "{k:?}");
        assert!(
            k.contains(&var("steps", &["fetch-base", "output", "url"])),
            "{k:?}"
        );
    }

    #[test]
    fn finds_filters_methods_and_functions() {
        let k = kinds("${{ parameters.name | upper | nope }}${{ parameters.x.replaceAll('a', 'b') }}${{ hashFiles('x') }}");
        assert!(k.contains(&Kind::Filter("nope".into())));
        assert!(k.contains(&Kind::Method("replaceAll".into())));
        assert!(k.contains(&Kind::Function("hashFiles".into())));
    }

    #[test]
    fn locals_are_not_context_variables() {
        let k = kinds(
            "{% for item in parameters.list %}${{ item.name }}{% endfor %}{% set x = 1 %}${{ x }}",
        );
        assert!(k.contains(&var("parameters", &["list"])));
        assert!(
            !k.iter()
                .any(|k| matches!(k, Kind::Var { root, .. } if root == "item" || root == "x")),
            "{k:?}"
        );
    }

    #[test]
    fn strict_equality_is_accepted() {
        // nunjucks has `===`; this needs the engine's nunjucks grammar
        assert!(analyze(&Engine::workflow(), "${{ parameters.kind === 'a' }}", false).is_ok());
    }

    #[test]
    fn positions_point_at_the_use() {
        let src = "${{ parameters.kind == 'a' }}";
        let a = analyze(&Engine::workflow(), src, false).unwrap();
        let u = &a.uses[0];
        assert_eq!(&src[u.start..u.end], "parameters.kind");
        let src = "x ${{ v | nope }}";
        let a = analyze(&Engine::workflow(), src, false).unwrap();
        let u = a
            .uses
            .iter()
            .find(|u| matches!(u.kind, Kind::Filter(_)))
            .unwrap();
        assert_eq!(&src[u.start..u.end], "nope");
    }

    #[test]
    fn syntax_errors_are_errors() {
        assert!(analyze(&Engine::workflow(), "${{ a ? b : c }}", false).is_err());
    }
}
