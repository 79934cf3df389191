//! `golden new` through the real binary: exit codes, output written whole or not at all, the JSON
//! plan, and errors that name the file, line and what to do.

use std::path::Path;

use crate::support::golden;

const TEMPLATE: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: tiny
  title: Tiny
spec:
  type: service
  parameters:
    - title: Basics
      required: [name, port]
      properties:
        name: { type: string, title: Name, pattern: '^[a-z]+$' }
        port: { type: integer, title: Port, description: The port to listen on }
        shout: { type: boolean, default: false }
  steps:
    - id: log
      name: Say hello
      action: debug:log
      input:
        message: hello ${{ parameters.name }}
    - id: fail
      if: ${{ parameters.name == 'boom' }}
      action: fs:rename
      input:
        files:
          - from: does-not-exist
            to: elsewhere
  output:
    text:
      - title: Port
        content: port ${{ parameters.port }}
"#;

fn template_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("template.yaml"), TEMPLATE).unwrap();
    dir
}

fn leftovers(parent: &Path) -> Vec<String> {
    std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect()
}

#[test]
fn dry_run_json_plan_has_steps_inputs_and_output() {
    let t = template_dir();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let assert = golden()
        .args(["new"])
        .arg(t.path())
        .args([
            "--set",
            "name=demo",
            "--set",
            "port=8080",
            "--dry-run",
            "--json",
            "--output",
        ])
        .arg(&out)
        .assert()
        .success();
    let plan: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(plan["steps"][0]["id"], "log");
    assert_eq!(plan["steps"][0]["status"], "executed");
    assert_eq!(plan["steps"][0]["input"]["message"], "hello demo");
    assert_eq!(plan["steps"][1]["status"], "skipped");
    assert_eq!(
        plan["parameters"]["port"], 8080,
        "--set is typed by the schema"
    );
    assert_eq!(
        plan["parameters"]["shout"], false,
        "schema defaults are applied"
    );
    assert_eq!(plan["output"]["text"][0]["content"], "port 8080");
    assert!(out.is_dir());
    // Progress: one plain line per step on a non-terminal stderr, with status and duration.
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        err.lines()
            .any(|l| l.starts_with("✓ [1/2] Say hello (debug:log) ") && l.ends_with("ms")),
        "{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.starts_with("- [2/2]") && l.contains("skipped: its if condition was false")),
        "{err}"
    );
}

#[test]
fn quiet_prints_no_progress() {
    let t = template_dir();
    let work = tempfile::tempdir().unwrap();
    golden()
        .args(["new", "--quiet"])
        .arg(t.path())
        .args([
            "--set",
            "name=demo",
            "--set",
            "port=8080",
            "--dry-run",
            "--output",
        ])
        .arg(work.path().join("out"))
        .assert()
        .success()
        .stderr(predicates::str::is_empty());
}

#[test]
fn missing_and_invalid_values_are_listed_together() {
    let t = template_dir();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let assert = golden()
        .args(["new"])
        .arg(t.path())
        .args([
            "--set",
            "name=NOT-LOWER",
            "--dry-run",
            "--no-input",
            "--output",
        ])
        .arg(&out)
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("`port` (Port) is missing"), "{err}");
    assert!(err.contains("--set port="), "{err}");
    assert!(
        err.contains("NOT-LOWER"),
        "the pattern failure is in the same error: {err}"
    );
    assert!(!out.exists());
}

#[test]
fn a_failing_step_leaves_nothing_behind() {
    let t = template_dir();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let assert = golden()
        .args(["new"])
        .arg(t.path())
        .args([
            "--set",
            "name=boom",
            "--set",
            "port=1",
            "--dry-run",
            "--output",
        ])
        .arg(&out)
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        err.contains("step `fail`"),
        "the error names the step: {err}"
    );
    assert!(
        err.contains("`log`"),
        "the error says what already ran: {err}"
    );
    assert!(
        leftovers(work.path()).is_empty(),
        "nothing written: {:?}",
        leftovers(work.path())
    );
}

#[test]
fn output_directory_must_be_new_or_empty() {
    let t = template_dir();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("keep.txt"), "mine").unwrap();
    golden()
        .args(["new"])
        .arg(t.path())
        .args([
            "--set",
            "name=demo",
            "--set",
            "port=1",
            "--dry-run",
            "--output",
        ])
        .arg(work.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not empty"));
    assert_eq!(
        std::fs::read_to_string(work.path().join("keep.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("template.yaml"),
        "kind: Template\nspec:\n  steps:\n    - x: ${{ a }}: b\n",
    )
    .unwrap();
    golden()
        .args(["new"])
        .arg(dir.path())
        .args(["--dry-run", "--output", "x"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("template.yaml:4:"));
}

#[test]
fn unknown_template_names_suggest_near_matches() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates/tiny")).unwrap();
    std::fs::write(dir.path().join("templates/tiny/template.yaml"), TEMPLATE).unwrap();
    golden()
        .current_dir(dir.path())
        .args(["new", "tinny", "--dry-run", "--output", "x"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("did you mean `tiny`"));
    golden()
        .current_dir(dir.path())
        .args([
            "new",
            "tiny",
            "--set",
            "name=a",
            "--set",
            "port=1",
            "--dry-run",
            "--output",
            "x",
        ])
        .assert()
        .success();
}

#[test]
fn help_teaches_with_examples() {
    golden()
        .args(["new", "--help"])
        .assert()
        .success()
        .stdout(predicates::str::contains("Examples:"));
}

#[test]
fn templates_are_found_by_name_on_golden_template_path_and_built_in() {
    let extra = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(extra.path().join("tiny-dir")).unwrap();
    std::fs::write(extra.path().join("tiny-dir/template.yaml"), TEMPLATE).unwrap();
    let cwd = tempfile::tempdir().unwrap();
    golden()
        .current_dir(cwd.path())
        .env("GOLDEN_TEMPLATE_PATH", extra.path())
        .args([
            "new",
            "tiny",
            "--set",
            "name=a",
            "--set",
            "port=1",
            "--dry-run",
            "--output",
            "x",
        ])
        .assert()
        .success();
    assert!(cwd.path().join("x").is_dir());
    let listed = golden()
        .current_dir(cwd.path())
        .env("GOLDEN_TEMPLATE_PATH", extra.path())
        .arg("list")
        .assert()
        .success();
    let text = String::from_utf8_lossy(&listed.get_output().stdout).to_string();
    assert!(text.contains("tiny"), "{text}");
    assert!(
        text.contains("go-microservice") && text.contains("built-in"),
        "{text}"
    );
}

#[test]
fn parse_repo_url_accepts_github_enterprise_hosts_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("template.yaml"),
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: ghe}\nspec:\n  type: service\n  steps:\n    - id: log\n      action: debug:log\n      input:\n        message: ${{ (parameters.repoUrl | parseRepoUrl).owner }}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("config.yaml"), "integrations:\n  github:\n    - host: ghe.example.com\n      apiBaseUrl: https://ghe.example.com/api/v3\n").unwrap();
    let run = |config: bool| {
        let out = dir.path().join(if config { "with" } else { "without" });
        let mut cmd = golden();
        cmd.args(["new"])
            .arg(dir.path())
            .args([
                "--set",
                "repoUrl=ghe.example.com?owner=acme&repo=svc",
                "--dry-run",
                "--json",
                "--output",
            ])
            .arg(&out);
        if config {
            cmd.arg("--config").arg(dir.path().join("config.yaml"));
        } else {
            // An empty config, so no user-level config file can declare the host.
            std::fs::write(dir.path().join("empty.yaml"), "").unwrap();
            cmd.env("GOLDEN_CONFIG", dir.path().join("empty.yaml"));
        }
        let o = cmd.assert().success();
        let plan: serde_json::Value = serde_json::from_slice(&o.get_output().stdout).unwrap();
        plan["steps"][0]["input"]["message"].clone()
    };
    assert_eq!(
        run(true),
        "acme",
        "a configured host is a GitHub integration"
    );
    // Without the integration Backstage's filter throws, and the literal expression is kept.
    assert_eq!(
        run(false),
        "${{ (parameters.repoUrl | parseRepoUrl).owner }}"
    );
}

/// A dry run does not start libgit2 (issue 11, start-up): starting it loads every system CA
/// certificate, ~60 ms of CPU before the first file. Here the certificate file is a FIFO that
/// nobody writes, so a run that starts libgit2 blocks on opening it and never ends.
#[cfg(unix)]
#[test]
fn a_dry_run_does_not_start_libgit2() {
    let t = template_dir();
    let work = tempfile::tempdir().unwrap();
    let fifo = work.path().join("certs.pem");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    golden()
        .args(["new"])
        .arg(t.path())
        .args([
            "--set",
            "name=demo",
            "--set",
            "port=8080",
            "--dry-run",
            "--quiet",
        ])
        .arg("--output")
        .arg(work.path().join("out"))
        .env("SSL_CERT_FILE", &fifo)
        .env("SSL_CERT_DIR", work.path().join("no-certs"))
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success();
    assert!(work.path().join("out").is_dir());
}
