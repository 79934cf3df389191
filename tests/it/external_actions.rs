//! External actions: the examples in examples/actions/ (Python, sh + jq) run through the real
//! binary; failures show the last stderr lines with secrets masked; timeouts stop the program;
//! `golden-action-<id>` executables on PATH are found, listed and run.

use std::path::Path;

use serde_json::Value;

use crate::support::{golden, root};

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
}

#[cfg(unix)]
fn executable(dir: &Path, rel: &str, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    write(dir, rel, text);
    std::fs::set_permissions(dir.join(rel), std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A template with one step running `action` with `input` (YAML flow mapping).
fn one_step_template(dir: &Path, action: &str, input: &str) {
    write(
        dir,
        "t/template.yaml",
        &format!(
            "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: t\nspec:\n  owner: o\n  type: service\n  steps:\n    - id: ext\n      action: {action}\n      input: {input}\n  output:\n    text:\n      - title: said\n        content: ${{{{ steps.ext.output.said }}}}\n"
        ),
    );
}

#[test]
fn example_actions_in_python_and_sh_run_in_the_example_template() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let assert = golden()
        .current_dir(root())
        .args([
            "new",
            "examples/actions/template",
            "--config",
            "examples/actions/golden.yaml",
        ])
        .args([
            "--dry-run",
            "--json",
            "--no-input",
            "--set",
            "name=demo",
            "--output",
        ])
        .arg(&out)
        .assert()
        .success();
    let report: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps[1]["output"]["greeting"], "Hello, demo!");
    assert_eq!(steps[1]["output"]["path"], "docs/GREETING.md");
    assert_eq!(steps[2]["output"]["fileCount"], 2);
    assert_eq!(
        steps[2]["output"]["files"],
        serde_json::json!(["README.md", "docs/GREETING.md"])
    );
    assert_eq!(
        report["output"]["text"][0]["content"],
        "Hello, demo! (docs/GREETING.md)"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("docs/GREETING.md")).unwrap(),
        "Hello, demo!\n"
    );
    let inventory: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("inventory.json")).unwrap())
            .unwrap();
    assert_eq!(
        inventory,
        serde_json::json!(["README.md", "docs/GREETING.md"])
    );
    // golden validate knows the config's actions and checks their inputs
    golden()
        .current_dir(root())
        .args([
            "validate",
            "examples/actions/template",
            "--config",
            "examples/actions/golden.yaml",
        ])
        .assert()
        .success();
}

#[test]
fn an_input_the_schema_rejects_fails_before_the_program_runs() {
    let tmp = tempfile::tempdir().unwrap();
    one_step_template(tmp.path(), "acme:greet", "{ nom: x }");
    let cfg = root().join("examples/actions/golden.yaml");
    let assert = golden()
        .args(["new"])
        .arg(tmp.path().join("t"))
        .arg("--config")
        .arg(&cfg)
        .args(["--dry-run", "--no-input", "--output"])
        .arg(tmp.path().join("out"))
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        err.contains("invalid input passed to action acme:greet"),
        "{err}"
    );
    assert!(!tmp.path().join("out").exists());
}

#[cfg(unix)]
#[test]
fn a_failing_action_shows_its_last_stderr_lines_with_secrets_masked() {
    let tmp = tempfile::tempdir().unwrap();
    executable(
        tmp.path(),
        "cfg/fail.sh",
        "#!/bin/sh\nsecret=$(jq -r .secrets.TOKEN)\nfor i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo \"line $i\" >&2; done\necho \"using $secret\" >&2\nexit 3\n",
    );
    write(
        tmp.path(),
        "cfg/golden.yaml",
        "actions:\n  acme:fail:\n    command: [./fail.sh]\n    dryRun: true\n    secrets: true\n",
    );
    write(
        tmp.path(),
        "secrets.json",
        r#"{"TOKEN": "hunter2-very-secret"}"#,
    );
    one_step_template(tmp.path(), "acme:fail", "{}");
    let assert = golden()
        .arg("new")
        .arg(tmp.path().join("t"))
        .arg("--config")
        .arg(tmp.path().join("cfg/golden.yaml"))
        .arg("--secrets")
        .arg(tmp.path().join("secrets.json"))
        .args(["--dry-run", "--no-input", "--json", "--output"])
        .arg(tmp.path().join("out"))
        .assert()
        .failure()
        .code(1);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    let out = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        err.contains("action `acme:fail` exited with status 3"),
        "{err}"
    );
    assert!(err.contains("line 12") && err.contains("line 4"), "{err}");
    assert!(!err.contains("line 2\n"), "only the last 10 lines: {err}");
    assert!(err.contains("using ***"), "{err}");
    assert!(
        !err.contains("hunter2") && !out.contains("hunter2"),
        "{err}\n{out}"
    );
    assert!(!tmp.path().join("out").exists());
}

#[cfg(unix)]
#[test]
fn a_slow_action_is_stopped_at_its_timeout() {
    let tmp = tempfile::tempdir().unwrap();
    executable(
        tmp.path(),
        "cfg/slow.sh",
        "#!/bin/sh\necho started >&2\nsleep 30\n",
    );
    write(
        tmp.path(),
        "cfg/golden.yaml",
        "actions:\n  acme:slow:\n    command: [./slow.sh]\n    dryRun: true\n    timeout: 1s\n",
    );
    one_step_template(tmp.path(), "acme:slow", "{}");
    let started = std::time::Instant::now();
    let assert = golden()
        .arg("new")
        .arg(tmp.path().join("t"))
        .arg("--config")
        .arg(tmp.path().join("cfg/golden.yaml"))
        .args(["--dry-run", "--no-input", "--output"])
        .arg(tmp.path().join("out"))
        .assert()
        .failure();
    assert!(
        started.elapsed().as_secs() < 20,
        "stopped long before sleep 30 ends"
    );
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(err.contains("did not finish within 1s"), "{err}");
    assert!(err.contains("started"), "{err}");
}

#[cfg(unix)]
#[test]
fn an_action_on_path_is_listed_validated_skipped_in_dry_run_and_run_for_real() {
    let tmp = tempfile::tempdir().unwrap();
    executable(
        tmp.path(),
        "bin/golden-action-acme-say",
        "#!/bin/sh\nwords=$(jq -r .input.words)\necho \"saying $words in $(pwd)\" >&2\necho \"$words\" > said.txt\njq -n --arg w \"$words\" '{output: {said: $w}}'\n",
    );
    one_step_template(tmp.path(), "acme:say", "{ words: hi }");
    let path = format!(
        "{}:{}",
        tmp.path().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let listed = golden()
        .env("PATH", &path)
        .arg("actions")
        .assert()
        .success();
    let listed = String::from_utf8_lossy(&listed.get_output().stdout).into_owned();
    assert!(
        listed.contains("acme-say") && listed.contains("[PATH: "),
        "{listed}"
    );
    golden()
        .env("PATH", &path)
        .arg("validate")
        .arg(tmp.path().join("t"))
        .assert()
        .success();
    // not declared runnable in dry-run: skipped with a notice
    let dry = golden()
        .env("PATH", &path)
        .arg("new")
        .arg(tmp.path().join("t"))
        .args(["--dry-run", "--no-input", "--json", "--output"])
        .arg(tmp.path().join("out"))
        .assert()
        .success();
    let report: Value = serde_json::from_slice(&dry.get_output().stdout).unwrap();
    assert_eq!(report["steps"][0]["status"], "skipped");
    assert!(report["steps"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("does not declare `dryRun: true`"));
    // a real run (no publish step, nothing to check out)
    let real = golden()
        .env("PATH", &path)
        .env("GOLDEN_HOME", tmp.path().join("home"))
        .current_dir(tmp.path())
        .arg("new")
        .arg(tmp.path().join("t"))
        .args(["--no-input", "--yes", "--json", "--no-checkout"])
        .assert()
        .success();
    let report: Value = serde_json::from_slice(&real.get_output().stdout).unwrap();
    assert_eq!(report["steps"][0]["status"], "executed");
    assert_eq!(report["steps"][0]["output"]["said"], "hi");
    assert_eq!(report["output"]["text"][0]["content"], "hi");
}

#[test]
fn the_protocol_is_printed_and_documented() {
    let assert = golden().args(["actions", "--protocol"]).assert().success();
    let text = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        text.contains("{\"output\": {\"name\": value, ...}}"),
        "{text}"
    );
    let doc = std::fs::read_to_string(root().join("docs/actions.md")).unwrap();
    assert!(
        doc.contains(text.trim()),
        "docs/actions.md quotes `golden actions --protocol`"
    );
}

#[test]
fn a_bad_definition_names_the_key_and_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "golden.yaml",
        "actions:\n  acme:x:\n    command: run.sh --fast\n",
    );
    let assert = golden()
        .arg("actions")
        .arg("--config")
        .arg(tmp.path().join("golden.yaml"))
        .assert()
        .failure()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        err.contains("`actions.acme:x`") && err.contains("must be a list"),
        "{err}"
    );
}
