//! A failure of the emitted minijinja source turned into what nunjitsu (Backstage 4.3) reports
//! for the same template: its message (`Unknown template filter "x"; did you mean "y"?`,
//! `Template value "foo" resolved to undefined and cannot be called`, `Template filter
//! "parseRepoUrl" failed: ...`) and the line and column in the nunjucks source, which
//! whitespace control and the translation do not move: the failing filter or callee when it
//! can be told, else the tag (`${{` or `{%`) that failed.

use super::emit;
use super::syntax::position;
use super::RenderError;

/// nunjitsu 0.7's built-in filters, in its order (its "did you mean" takes the first closest).
pub(crate) const BUILTIN_FILTERS: &[&str] = &[
    "abs",
    "batch",
    "capitalize",
    "center",
    "d",
    "default",
    "dictsort",
    "dump",
    "e",
    "escape",
    "first",
    "float",
    "forceescape",
    "groupby",
    "indent",
    "int",
    "join",
    "last",
    "length",
    "list",
    "lower",
    "nl2br",
    "random",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "safe",
    "select",
    "selectattr",
    "slice",
    "sort",
    "string",
    "striptags",
    "sum",
    "title",
    "trim",
    "truncate",
    "upper",
    "urlencode",
    "urlize",
    "wordcount",
];

/// The filters Backstage's skeleton renderer adds (`createDefaultFilters`), in its order.
pub(crate) const BACKSTAGE_FILTERS: &[&str] =
    &["parseRepoUrl", "parseEntityRef", "pick", "projectSlug"];

/// What failed, read off the failing piece of emitted source.
enum Failing<'a> {
    Filter(&'a str),
    Function(&'a str),
    Method(&'a str),
}

/// `e`, which minijinja raised rendering `emitted` (made from `source` with `spans`), with
/// nunjitsu's message and the line and column in `source` (none without `source`).
pub fn located(
    e: minijinja::Error,
    emitted: &str,
    spans: &[(usize, usize)],
    source: Option<&str>,
    cookiecutter: bool,
) -> RenderError {
    let range = e.range().or_else(|| {
        let start = line_start(emitted, e.line()?);
        Some(start..start)
    });
    let kind = e.kind();
    let detail = e.detail().map(str::to_string);
    let mut err = RenderError::from(e);
    err.line = None;
    err.column = None;
    let Some(range) = range.filter(|r| r.end <= emitted.len() && r.start <= r.end) else {
        return err;
    };
    let failing = failing(kind, &emitted[range.clone()]);
    if let Some(message) = message(failing.as_ref(), detail.as_deref(), cookiecutter) {
        err.message = message;
    }
    let Some(source) = source else { return err };
    let i = spans.partition_point(|(e, _)| *e <= range.start);
    let Some(&(tag_emitted, tag)) = i.checked_sub(1).map(|i| &spans[i]) else {
        return err;
    };
    debug_assert_eq!(emit::source_offset(spans, range.start), Some(tag));
    let end = spans
        .iter()
        .map(|(_, s)| *s)
        .filter(|s| *s > tag)
        .min()
        .unwrap_or(source.len());
    let mut at = tag;
    if let Some(f) = &failing {
        let nth = occurrences(f, &emitted[tag_emitted..range.start], true).len();
        if let Some(&(p, path_start)) = occurrences(f, &source[tag..end], false).get(nth) {
            at = tag + p;
            if let (Failing::Method(name), Some(m)) =
                (f, err.message.strip_prefix("Template value \""))
            {
                let path = &source[tag + path_start..tag + p];
                if !path.is_empty() && m.starts_with(&format!("{name}\"")) {
                    err.message = format!(
                        "Template value {} resolved to undefined and cannot be called",
                        quoted(&format!("{path}{name}"))
                    );
                }
            }
        }
    }
    let (line, column) = position(source, at);
    err.line = Some(line);
    err.column = Some(column);
    err
}

fn line_start(text: &str, line: usize) -> usize {
    match line {
        0 | 1 => 0,
        n => text
            .match_indices('\n')
            .nth(n - 2)
            .map_or(text.len(), |(i, _)| i + 1),
    }
}

/// The filter, function or method the failing emitted piece calls (`name(...)`, `.name(...)`).
fn failing(kind: minijinja::ErrorKind, piece: &str) -> Option<Failing<'_>> {
    use minijinja::ErrorKind as K;
    let name_at = |s: &str| -> Option<usize> {
        let n = s
            .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
            .unwrap_or(s.len());
        (n > 0 && s[n..].starts_with('(')).then_some(n)
    };
    match kind {
        K::UnknownMethod => {
            let rest = piece.strip_prefix('.')?;
            name_at(rest).map(|n| Failing::Method(&rest[..n]))
        }
        K::UnknownFunction => name_at(piece).map(|n| Failing::Function(&piece[..n])),
        K::UnknownFilter => name_at(piece).map(|n| Failing::Filter(&piece[..n])),
        K::InvalidOperation => name_at(piece)
            .map(|n| &piece[..n])
            .filter(|n| BACKSTAGE_FILTERS.contains(n))
            .map(Failing::Filter),
        _ => None,
    }
}

/// nunjitsu's message for a failure golden can name.
fn message(
    failing: Option<&Failing<'_>>,
    detail: Option<&str>,
    cookiecutter: bool,
) -> Option<String> {
    Some(match failing? {
        Failing::Filter(name) if BACKSTAGE_FILTERS.contains(name) && detail.is_some() => {
            format!(
                "Template filter {} failed: {}",
                quoted(name),
                detail.unwrap_or_default()
            )
        }
        Failing::Filter(name) => {
            let candidates = BUILTIN_FILTERS
                .iter()
                .copied()
                .chain(cookiecutter.then_some("jsonify"))
                .chain(BACKSTAGE_FILTERS.iter().copied());
            let mut m = format!("Unknown template filter {}", quoted(name));
            if let Some(s) = crate::backstage::suggest::closest_by_edits(name, candidates) {
                m.push_str(&format!("; did you mean {}?", quoted(s)));
            }
            m
        }
        Failing::Function(name) | Failing::Method(name) => format!(
            "Template value {} resolved to undefined and cannot be called",
            quoted(name)
        ),
    })
}

/// A name as nunjitsu quotes it in messages (`JSON.stringify`).
fn quoted(name: &str) -> String {
    serde_json::to_string(name).unwrap_or_else(|_| format!("\"{name}\""))
}

/// Where `f` is called in `text`: `(offset of the name, offset where the dotted path before a
/// method starts)`. In emitted text a filter is `|name(`; in the source `| name` (arguments
/// optional) .
fn occurrences(f: &Failing<'_>, text: &str, emitted: bool) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let word = |i: usize| i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric());
    let (name, before): (&str, &[u8]) = match f {
        Failing::Filter(n) => (n, b"|"),
        Failing::Method(n) => (n, b"."),
        Failing::Function(n) => (n, b""),
    };
    let mut out = Vec::new();
    for (p, _) in text.match_indices(name) {
        if word(p + name.len()) || (p > 0 && word(p - 1)) {
            continue;
        }
        let mut q = p;
        while q > 0 && b[q - 1].is_ascii_whitespace() && !emitted {
            q -= 1;
        }
        let preceded = if before.is_empty() {
            q == 0 || b[q - 1] != b'.' && b[q - 1] != b'|'
        } else {
            q > 0 && b[q - 1] == before[0]
        };
        let mut after = p + name.len();
        while after < b.len() && b[after].is_ascii_whitespace() && !emitted {
            after += 1;
        }
        let called = after < b.len() && b[after] == b'(';
        let needs_call = !matches!(f, Failing::Filter(_)) || emitted;
        if !preceded || (needs_call && !called) {
            continue;
        }
        // The dotted path before a method: `values.missing.` of `values.missing.toUpperCase()`.
        let mut start = q;
        while start > 0 && (word(start - 1) || b[start - 1] == b'.' || b[start - 1] == b'$') {
            start -= 1;
        }
        out.push((p, start));
    }
    out
}
