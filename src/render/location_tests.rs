//! Render failures carry nunjitsu's message and the line and column nunjitsu reports, whatever
//! whitespace control removed. Every expected message and position below was printed by the
//! Backstage oracle (`node render.mjs`, @backstage/plugin-scaffolder-backend 4.3.0 / nunjitsu
//! 0.7.0) for the same text as a skeleton file of `fetch:template` (its `Template error at line
//! L, column C: MESSAGE`), with `values` = `{name: "demo", list: [1, 2]}`.

use super::*;
use serde_json::json;

fn failure(options: SkeletonOptions, template: &str) -> (String, usize, usize) {
    let engine = Engine::skeleton(options);
    let c = to_value(&json!({"values": {"name": "demo", "list": [1, 2]}}));
    let e = engine.render(template, &c).unwrap_err();
    (e.message, e.line.unwrap_or(0), e.column.unwrap_or(0))
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
    check(
        SkeletonOptions::default(),
        &[
            (
                "a\n  ${{ foo() }}\n",
                "Template value \"foo\" resolved to undefined and cannot be called",
                2,
                7,
            ),
            (
                "a\n{%- if true %}\n  ${{ \"x\" | parseRepoUrl }}{% endif %}\n",
                "Template filter \"parseRepoUrl\" failed: No matching integration configuration for host x, please check your integrations config",
                3,
                13,
            ),
            (
                "a\n{%- if values.name | nope -%}\n x{% endif %}\n",
                "Unknown template filter \"nope\"",
                2,
                22,
            ),
            (
                "a\n{%- for x in values.list -%}\n   ${{ x | bogus(1) }}\n{%- endfor %}\n",
                "Unknown template filter \"bogus\"",
                3,
                12,
            ),
            (
                "x\n${{ values.missing.toUpperCase() }}\n",
                "Template value \"values.missing.toUpperCase\" resolved to undefined and cannot be called",
                2,
                20,
            ),
            (
                "x\n ${{ values.name.nope() }}\n",
                "Template value \"values.name.nope\" resolved to undefined and cannot be called",
                2,
                18,
            ),
            (
                "{#- c\n -#}\n  {{ 1 }} ${{ values.name | joinx }}\n",
                "Unknown template filter \"joinx\"; did you mean \"join\"?",
                3,
                29,
            ),
            (
                "sub/${{ values.name | nah }}.txt",
                "Unknown template filter \"nah\"",
                1,
                23,
            ),
            (
                "x\n{%- set y = values.name | upper | nope2 -%}\n${{ y }}\n",
                "Unknown template filter \"nope2\"",
                2,
                35,
            ),
            (
                "{%- macro m(a) -%}\n  [${{ a | nopeM }}]\n{%- endmacro -%}\n\n${{ m(1) }}\n",
                "Unknown template filter \"nopeM\"",
                2,
                12,
            ),
            (
                "{% if false %}a\n{%- elif values.name | nopeE %}b{% endif %}\n",
                "Unknown template filter \"nopeE\"",
                2,
                24,
            ),
            (
                "  ${{ \"user:jane\" | parseEntityRef if false else (\"a\" | parseEntityRef) }}\n",
                "Template filter \"parseEntityRef\" failed: Entity reference \"a\" had missing or empty kind (e.g. did not start with \"component:\" or similar)",
                1,
                57,
            ),
            (
                "${{ \"group:x/y\" | parseEntityRef | pick(\"name\") }}-${{ \"b\" | parseEntityRef }}\n",
                "Template filter \"parseEntityRef\" failed: Entity reference \"b\" had missing or empty kind (e.g. did not start with \"component:\" or similar)",
                1,
                62,
            ),
            (
                "${{ values.list | join(\",\") | replace(\"1\", values.name | nah3) }}\n",
                "Unknown template filter \"nah3\"",
                1,
                58,
            ),
        ],
    );
}

#[test]
fn failures_under_trim_and_lstrip_blocks_keep_the_line_and_column() {
    check(
        SkeletonOptions {
            trim_blocks: true,
            lstrip_blocks: true,
            ..SkeletonOptions::default()
        },
        &[(
            "a\n{% if true %}\n    {% if values.name | zz %}y{% endif %}\n{% endif %}\n",
            "Unknown template filter \"zz\"",
            3,
            25,
        )],
    );
}
