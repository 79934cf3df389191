//! The scanner's one-pass delimiter search against the search it replaced (one `str::find` per
//! delimiter, the nearest opening wins, a `#}` before it is an error), on every string of up to
//! six characters over the delimiters' alphabet, from every start position; its tag-end search
//! against the token-by-token one it replaced, on every string of up to five characters over
//! quotes, escapes, regex literals, names and the tag ends. Plus the parse cache's sharing.

use super::{
    find_code_terminator, ident_end, is_code_ws, next_marker, scan_regex, skip_code_token,
    trim_code, Marker,
};

/// The replaced search: `(position, kind)` of the nearest opening, or `Err(pos)` for a `#}`
/// before it.
fn reference(source: &str, from: usize, var_start: &str) -> Result<Option<(usize, u8)>, usize> {
    let rest = &source[from..];
    let find = |m: &str| rest.find(m).map(|p| p + from);
    let mut opening: Option<(usize, u8)> = None;
    for (k, m) in [var_start, "{%", "{#"].into_iter().enumerate() {
        if let Some(p) = find(m) {
            if opening.is_none_or(|(op, _)| p < op) {
                opening = Some((p, k as u8));
            }
        }
    }
    if let Some(ce) = find("#}") {
        if opening.is_none_or(|(op, _)| ce < op) {
            return Err(ce);
        }
    }
    Ok(opening)
}

/// Every string of up to `max_len` characters over `alphabet` (the empty one included).
fn every_string(alphabet: &[char], max_len: u32) -> impl Iterator<Item = String> + '_ {
    (0..=max_len).flat_map(move |len| {
        (0..alphabet.len().pow(len)).map(move |n| {
            let mut k = n;
            (0..len)
                .map(|_| {
                    let c = alphabet[k % alphabet.len()];
                    k /= alphabet.len();
                    c
                })
                .collect()
        })
    })
}

fn one_pass(source: &str, from: usize, var_start: &str) -> Result<Option<(usize, u8)>, usize> {
    match next_marker(source, from, var_start) {
        Marker::Open(p, k) => Ok(Some((p, k))),
        Marker::CommentEnd(p) => Err(p),
        Marker::None => Ok(None),
    }
}

#[test]
fn one_pass_search_finds_what_the_per_delimiter_search_found() {
    let mut checked = 0usize;
    for s in every_string(&['$', '{', '}', '#', '%', 'a'], 6) {
        for from in 0..=s.len() {
            for var_start in ["${{", "{{"] {
                assert_eq!(
                    one_pass(&s, from, var_start),
                    reference(&s, from, var_start),
                    "{s:?} from {from} with {var_start}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 500_000, "{checked}");
}

/// The replaced tag-end search: two token checks at every character.
fn reference_terminator(
    s: &str,
    start: usize,
    term: &str,
) -> Result<Option<usize>, (String, usize)> {
    let b = s.as_bytes();
    let mut i = start;
    while i + term.len() <= s.len() {
        if let Some(end) = ident_end(b, i, true) {
            if &s[i..end] == "r" && b.get(end) == Some(&b'/') {
                i = scan_regex(s, i).map_err(|m| (m, i))?.2;
                continue;
            }
        }
        if let Some(e) = skip_code_token(s, i) {
            i = e;
        } else if s[i..].starts_with(term) {
            return Ok(Some(i));
        } else {
            i += s[i..].chars().next().map(char::len_utf8).unwrap_or(1);
        }
    }
    Ok(None)
}

#[test]
fn one_look_tag_end_search_finds_what_the_token_by_token_search_found() {
    let mut checked = 0usize;
    for s in every_string(&['r', '/', '"', '\'', '\\', '}', '%', '1', '_', 'é'], 5) {
        for term in ["}}", "%}"] {
            assert_eq!(
                find_code_terminator(&s, 0, term),
                reference_terminator(&s, 0, term),
                "{s:?} {term}"
            );
            checked += 1;
        }
    }
    assert!(checked > 100_000, "{checked}");
}

#[test]
fn a_repeated_expression_parses_the_same_and_errors_are_not_remembered() {
    use super::{parse_template, ExprCache, Node, ScanOptions};
    let cache = ExprCache::default();
    let opts = ScanOptions::default();
    let first = parse_template("a ${{ values.name | upper }} b", opts, &cache).unwrap();
    let again = parse_template("x ${{ values.name | upper }}", opts, &cache).unwrap();
    let shown = |n: &Node| format!("{n:?}");
    assert_eq!(shown(&first[1]), shown(&again[1]));
    for _ in 0..2 {
        let e = parse_template("${{ values.( }}", opts, &cache).unwrap_err();
        assert!(e.message.contains("Unexpected") || !e.message.is_empty());
    }
    // The same text at another place reports that place.
    let e = parse_template("line\n  ${{ values.( }}", opts, &cache).unwrap_err();
    assert_eq!(e.line, 2);
}

#[test]
fn text_borrows_the_source_and_a_repeated_expression_is_one_shared_tree() {
    use super::{parse_template, ExprCache, Node, ScanOptions};
    use std::borrow::Cow;
    use std::sync::Arc;
    let cache = ExprCache::default();
    let opts = ScanOptions::default();
    let first = parse_template("a ${{ values.name }} b", opts, &cache).unwrap();
    let again = parse_template("${{ values.name }}", opts, &cache).unwrap();
    let (Node::Text(text), Node::Output(e1, ..), Node::Output(e2, ..)) =
        (&first[0], &first[1], &again[0])
    else {
        panic!("{first:?} {again:?}");
    };
    assert!(matches!(text, Cow::Borrowed("a ")), "{text:?}");
    assert!(Arc::ptr_eq(e1, e2));
    // Text on both sides of a raw block's end is joined (so copied), whitespace control applied.
    let joined = parse_template("x {%- raw %} a {% endraw %}b", opts, &cache).unwrap();
    assert!(
        matches!(&joined[..], [Node::Text(Cow::Borrowed("x")), Node::Text(Cow::Owned(t))] if t == " a b"),
        "{joined:?}"
    );
}

#[test]
fn trimming_bytes_trims_what_trimming_characters_did() {
    let mut checked = 0usize;
    for s in every_string(
        &[' ', '\t', '\n', '\r', '\u{a0}', 'a', '\u{c2}', '\u{2000}'],
        5,
    ) {
        assert_eq!(trim_code(&s), s.trim_matches(is_code_ws), "{s:?}");
        checked += 1;
    }
    assert!(checked > 30_000, "{checked}");
}
