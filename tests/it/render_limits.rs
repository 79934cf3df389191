//! Render limits through the real binary (issue 16): a slice of a value without a length used to
//! loop for ever and grow without bound. Every run below has a time limit, so a hang fails the
//! test instead of blocking it.

use std::path::Path;
use std::time::Duration;

use crate::support::golden;

const TEMPLATE: &str = "apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: slices
spec:
  type: service
  steps:
    - id: log
      name: Log
      action: debug:log
      input:
        message: x${{ 5[1:] }}y
    - id: fetch
      name: Fetch
      action: fetch:template
      input:
        url: ./skeleton
        values:
          name: demo
  output:
    text:
      - title: t
        content: ${{ true[0:] }}
";

/// Runs golden in `dir` with a time limit; returns (exit status, stdout + stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = golden()
        .current_dir(dir)
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .expect("golden runs");
    assert!(
        out.status.code().is_some(),
        "golden was stopped (time limit): {args:?}"
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn slicing_a_value_without_length_ends_with_backstages_limit_error() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    std::fs::write(dir.join("template.yaml"), TEMPLATE).unwrap();
    std::fs::create_dir(dir.join("skeleton")).unwrap();
    std::fs::write(dir.join("skeleton/ok.txt"), "${{ values.name }}\n").unwrap();
    std::fs::write(dir.join("skeleton/bad.txt"), "a ${{ {}[1:] }} b\n").unwrap();

    // The step input keeps its text (Backstage keeps a string whose rendering throws); the
    // skeleton file fails the step with nunjitsu's message.
    let (code, out) = run(
        dir,
        &["new", ".", "--dry-run", "--no-input", "--output", "out"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Template evaluation exceeded the work unit limit of 1000000"),
        "{out}"
    );
    assert!(out.contains("bad.txt"), "{out}");

    // Without the bad file the run completes: the step input and the output text are kept.
    std::fs::remove_file(dir.join("skeleton/bad.txt")).unwrap();
    let (code, out) = run(
        dir,
        &["new", ".", "--dry-run", "--no-input", "--output", "out2"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read_to_string(dir.join("out2/ok.txt")).unwrap(),
        "demo\n"
    );

    // `golden validate` names the endless slices.
    std::fs::write(dir.join("skeleton/bad.txt"), "a ${{ {}[1:] }} b\n").unwrap();
    let (code, out) = run(dir, &["validate", "."]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("never ends"), "{out}");
}
