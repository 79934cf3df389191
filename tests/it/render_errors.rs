//! A skeleton file (or file name) that fails to render at run time is named with its line and
//! column, with Backstage's message: `error: CASE/skeleton/f.txt:3:25: step `fetch`
//! (fetch:template) failed: Unknown template filter "zz"`. The cases are
//! `tests/fixtures/render-errors/*/`, with failures after `{%-`, `-%}`, `{#- -#}` and under
//! trimBlocks/lstripBlocks, through fetch:template (contents and a file name),
//! fetch:template:file and workspace:template, and syntax errors (`syntax-*`: the token nunjitsu
//! points at, not the tag); `expected.txt` holds the error Backstage 4.3
//! reported for each (made by `oracle.sh` there, from the oracle's `render.mjs`).

use crate::support::{root, TestContext};

/// `(case, line, column, message)` from the oracle's `Template error at line L, column C: M`.
fn expected() -> Vec<(String, usize, usize, String)> {
    let dir = root().join("tests/fixtures/render-errors");
    let text = std::fs::read_to_string(dir.join("expected.txt")).unwrap();
    let re =
        regex::Regex::new(r"^([^\t]+)\tTemplate error at line (\d+), column (\d+): (.*)$").unwrap();
    text.lines()
        .map(|l| {
            let c = re
                .captures(l)
                .unwrap_or_else(|| panic!("unexpected oracle line {l:?}"));
            (
                c[1].to_string(),
                c[2].parse().unwrap(),
                c[3].parse().unwrap(),
                c[4].to_string(),
            )
        })
        .collect()
}

#[test]
fn render_failures_name_the_skeleton_file_line_and_column_with_backstages_message() {
    let dir = root().join("tests/fixtures/render-errors");
    let cases = expected();
    assert_eq!(cases.len(), 8, "every case has the oracle's error");
    for (case, line, column, message) in cases {
        let ctx = TestContext::new();
        let out = ctx.path().join("out");
        let assert = ctx
            .golden()
            .current_dir(&dir)
            .args(["new", &case, "--no-input", "--dry-run", "--values"])
            .arg(dir.join(&case).join("values.json"))
            .arg("--output")
            .arg(&out)
            .assert()
            .code(1);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        let file = std::fs::read_to_string(dir.join(&case).join("file")).unwrap();
        let file = file.trim();
        let place = match file.strip_suffix(" (in the workspace)") {
            Some(rel) => format!("{rel}:{line}:{column} (in the workspace)"),
            None => format!("{case}/{file}:{line}:{column}"),
        };
        let line = stderr
            .lines()
            .find(|l| l.starts_with("error: "))
            .unwrap_or_else(|| panic!("{case}: no error line in {stderr}"));
        let prefix = format!("error: {place}: step `");
        assert!(
            line.starts_with(&prefix) && line.ends_with(&format!(") failed: {message}")),
            "{case}:\n  got      {line}\n  expected {prefix}…) failed: {message}"
        );
        assert!(!out.exists(), "{case}: nothing is written after a failure");
    }
}
