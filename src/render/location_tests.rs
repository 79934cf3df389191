//! Render failures carry nunjitsu's message and the line and column nunjitsu reports, whatever
//! whitespace control removed. Every expected message and position below was printed by the
//! Backstage oracle (`node render.mjs`, @backstage/plugin-scaffolder-backend 4.3.0 / nunjitsu
//! 0.7.0) for the same text as a skeleton file of `fetch:template` (its `Template error at line
//! L, column C: MESSAGE`), with `values` = `{name: "demo", list: [1, 2]}` (`{name: "demo"}` for
//! the syntax errors, which fail before anything is rendered).

use super::*;
use serde_json::json;

fn failure(options: SkeletonOptions, template: &str) -> (String, usize, usize) {
    let engine = Engine::skeleton(options);
    let c = to_value(&json!({"values": {"name": "demo", "list": [1, 2]}}));
    let e = engine.render(template, &c).unwrap_err();
    (e.message, e.line.unwrap_or(0), e.column.unwrap_or(0))
}

/// Syntax errors carry nunjitsu's message with a ` (column C)` suffix (dropped where the
/// location is shown).
fn check_syntax(options: SkeletonOptions, cases: &[(&str, &str, usize, usize)]) {
    let with_column: Vec<(&str, String, usize, usize)> = cases
        .iter()
        .map(|(t, m, l, c)| (*t, format!("{m} (column {c})"), *l, *c))
        .collect();
    let cases: Vec<(&str, &str, usize, usize)> = with_column
        .iter()
        .map(|(t, m, l, c)| (*t, m.as_str(), *l, *c))
        .collect();
    check(options, &cases);
}

fn check(options: SkeletonOptions, cases: &[(&str, &str, usize, usize)]) {
    let mut wrong = Vec::new();
    for (template, message, line, column) in cases {
        let got = failure(options, template);
        if got != (message.to_string(), *line, *column) {
            wrong.push(format!(
                "{template:?}\n  golden: {}:{}: {}\n  oracle: {line}:{column}: {message}",
                got.1, got.2, got.0
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn failures_after_whitespace_control_keep_the_line_and_column() {
    #[rustfmt::skip]
    let cases = [
        ("a\n  ${{ foo() }}\n", "Template value \"foo\" resolved to undefined and cannot be called", 2, 7),
        ("a\n{%- if true %}\n  ${{ \"x\" | parseRepoUrl }}{% endif %}\n", "Template filter \"parseRepoUrl\" failed: No matching integration configuration for host x, please check your integrations config", 3, 13),
        ("a\n{%- if values.name | nope -%}\n x{% endif %}\n", "Unknown template filter \"nope\"", 2, 22),
        ("a\n{%- for x in values.list -%}\n   ${{ x | bogus(1) }}\n{%- endfor %}\n", "Unknown template filter \"bogus\"", 3, 12),
        ("x\n${{ values.missing.toUpperCase() }}\n", "Template value \"values.missing.toUpperCase\" resolved to undefined and cannot be called", 2, 20),
        ("x\n ${{ values.name.nope() }}\n", "Template value \"values.name.nope\" resolved to undefined and cannot be called", 2, 18),
        ("{#- c\n -#}\n  {{ 1 }} ${{ values.name | joinx }}\n", "Unknown template filter \"joinx\"; did you mean \"join\"?", 3, 29),
        ("sub/${{ values.name | nah }}.txt", "Unknown template filter \"nah\"", 1, 23),
        ("x\n{%- set y = values.name | upper | nope2 -%}\n${{ y }}\n", "Unknown template filter \"nope2\"", 2, 35),
        ("{%- macro m(a) -%}\n  [${{ a | nopeM }}]\n{%- endmacro -%}\n\n${{ m(1) }}\n", "Unknown template filter \"nopeM\"", 2, 12),
        ("{% if false %}a\n{%- elif values.name | nopeE %}b{% endif %}\n", "Unknown template filter \"nopeE\"", 2, 24),
        ("  ${{ \"user:jane\" | parseEntityRef if false else (\"a\" | parseEntityRef) }}\n", "Template filter \"parseEntityRef\" failed: Entity reference \"a\" had missing or empty kind (e.g. did not start with \"component:\" or similar)", 1, 57),
        ("${{ \"group:x/y\" | parseEntityRef | pick(\"name\") }}-${{ \"b\" | parseEntityRef }}\n", "Template filter \"parseEntityRef\" failed: Entity reference \"b\" had missing or empty kind (e.g. did not start with \"component:\" or similar)", 1, 62),
        ("${{ values.list | join(\",\") | replace(\"1\", values.name | nah3) }}\n", "Unknown template filter \"nah3\"", 1, 58),
    ];
    check(SkeletonOptions::default(), &cases);
}

#[test]
fn failures_under_trim_and_lstrip_blocks_keep_the_line_and_column() {
    #[rustfmt::skip]
    let cases = [
        ("a\n{% if true %}\n    {% if values.name | zz %}y{% endif %}\n{% endif %}\n", "Unknown template filter \"zz\"", 3, 25),
    ];
    check(
        SkeletonOptions {
            trim_blocks: true,
            lstrip_blocks: true,
            ..SkeletonOptions::default()
        },
        &cases,
    );
}

/// Syntax errors point at the token nunjitsu's parser was reading (the missing expression after
/// `if`, the filter name after `|`, an unexpected character), not at the tag, with its message
/// (a structural tag without its opening tag, an unknown tag with "did you mean").
#[test]
fn syntax_errors_name_the_token_nunjitsu_points_at() {
    #[rustfmt::skip]
    let cases = [
        ("a\n{% if %}x{% endif %}", "Unexpected expression token at end of input", 2, 6),
        ("a\n{%- if %}x{% endif %}", "Unexpected expression token at end of input", 2, 7),
        ("a\n  {%- if values.name | %}x{% endif %}", "Expected name, received end of input", 2, 23),
        ("{% if true %}x", "Missing endif tag", 1, 1),
        ("x ${{ values.name", "Unterminated variable tag", 1, 3),
        ("{% bogus %}", "Unknown template tag \"bogus\"", 1, 1),
        ("{% iff true %}{% endif %}", "Unknown template tag \"iff\"; did you mean \"if\"?", 1, 1),
        ("{% endif %}", "Unexpected \"endif\" tag without a matching opening tag", 1, 1),
        ("a\n{% for x in values.list %}{% endif %}", "Unexpected \"endif\" tag; expected \"else\", or \"endfor\"", 2, 27),
        ("${{ values.name | upper( }}", "Unexpected expression token at end of input", 1, 26),
        ("${{ 1 + }}", "Unexpected expression token at end of input", 1, 9),
        ("  {%   set   x = ) %}", "Unexpected expression token \")\"", 1, 18),
        ("{%- for in values.list -%}{% endfor %}", "Expected name, received end of input", 1, 23),
        ("${{ \"abc }}\n", "Unterminated variable tag", 1, 1),
        ("a\n{% if values.name ==\n   %}x{% endif %}", "Unexpected expression token at end of input", 2, 21),
        ("{% set x = values.name | %}", "Expected name, received end of input", 1, 25),
        ("{% set x, true = [1, 2] %}", "Binding targets must be ordinary names", 1, 11),
        ("{%- macro m(a, 1) -%}{%- endmacro %}", "Formal parameters must be names", 1, 16),
        ("{% call(x y) m() %}{% endcall %}", "Expected )", 1, 11),
        ("{% filter upper( %}x{% endfilter %}", "Unexpected expression token at end of input", 1, 17),
        ("{% switch values.name %}{% case 'a' | %}x{% endswitch %}", "Expected name, received end of input", 1, 38),
        ("{% if false %}a{% elif values.name !! %}b{% endif %}", "Unexpected character \"!\"", 1, 36),
        ("${{ values.constructor }}", "Template name \"constructor\" is reserved", 1, 12),
        ("${{ - - 1 }}", "Repeated unparenthesized unary - is not supported", 1, 7),
        ("${{ { 1: 2 } }}", "Dictionary keys must be strings or names", 1, 7),
        ("${{ () }}", "Parenthesized expression cannot be empty", 1, 5),
        ("${{ values.name | upper.__proto__ }}", "Template name \"__proto__\" is reserved", 1, 25),
        ("${{ values[\"name\" }}", "Expected ]", 1, 19),
        ("{% for x in values.list %}{% else extra %}{% endfor %}", "else tag does not accept trailing content", 1, 27),
        ("${{ values.name if }}", "Unexpected expression token at end of input", 1, 20),
        ("${{ values.name ; }}", "Unexpected character \";\"", 1, 17),
        ("{%- set  y  =  values.name\n     | upper\n     | -%}\n", "Expected name, received end of input", 3, 7),
        ("${{ values.name | replace(r/a(/, \"b\") }}", "Invalid regular-expression literal", 1, 27),
        ("é ${{ \"ü\" + }}", "Unexpected expression token at end of input", 1, 13),
        ("{% macro m(a b) %}{% endmacro %}", "Expected )", 1, 14),
        ("{% call m( %}{% endcall %}", "Unexpected expression token at end of input", 1, 11),
        ("{% filter replace(\"a\" \"b\") %}x{% endfilter %}", "Expected )", 1, 23),
        ("{% set %}", "Expected name, received end of input", 1, 7),
        ("{% switch 1 %}{% case %}x{% endswitch %}", "Unexpected expression token at end of input", 1, 22),
        ("{% for x, in values.list %}{% endfor %}", "Expected name, received end of input", 1, 10),
        ("{% set x = 1 2 %}", "Expected eof, received \"2\"", 1, 14),
        ("${{ values.name | r/x/ }}\n", "Expected name, received \"x/\"", 1, 19),
        ("{# never closed", "Unterminated comment tag", 1, 1),
        ("{% raw %}x", "Missing \"endraw\" tag", 1, 1),
        ("{% block %}{% endblock %}", "Unexpected expression token at end of input", 1, 9),
        ("{% block a %}{% endblock b %}", "Endblock name must match its opening block", 1, 14),
        ("{% macro 1m() %}{% endmacro %}", "Invalid macro signature", 1, 1),
        ("{% set x %}{% macro m() %}{% endmacro %}{% endset %}", "Macro declarations are not supported inside set captures", 1, 1),
        ("{% call m() | upper %}{% endcall %}", "Call block requires a function call", 1, 1),
        ("${{ values.name | }}\n", "Expected name, received end of input", 1, 19),
    ];
    check_syntax(SkeletonOptions::default(), &cases);
}

#[test]
fn syntax_errors_under_trim_and_lstrip_blocks_name_the_token() {
    #[rustfmt::skip]
    let cases = [
        ("a\n{% if true %}\n    {% if values.name | %}y{% endif %}\n{% endif %}", "Expected name, received end of input", 3, 24),
        ("a\n  {% for x in %}\n{% endfor %}", "Unexpected expression token at end of input", 2, 14),
        ("{% if true %}\n  {%- set y = ( %}\n{% endif %}", "Unexpected expression token at end of input", 2, 16),
        ("x\n    {% endfor %}\n", "Unexpected \"endfor\" tag without a matching opening tag", 2, 5),
    ];
    check_syntax(
        SkeletonOptions {
            trim_blocks: true,
            lstrip_blocks: true,
            ..SkeletonOptions::default()
        },
        &cases,
    );
}
