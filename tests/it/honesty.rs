//! golden says what it did: a dry run reports predicted steps as predicted (mark, word, JSON
//! status, invented outputs named), and nothing the user gives is silently ignored (`--output`
//! without `--dry-run`, unknown value keys, an unresolvable `each:` of a skipped step).

use std::path::Path;

use crate::support::golden;

fn go_microservice(out: &Path, extra: &[&str]) -> std::process::Output {
    let home = out.with_file_name("home");
    golden()
        .env("GOLDEN_HOME", &home)
        .args([
            "new",
            "go-microservice",
            "--no-input",
            "--dry-run",
            "--output",
        ])
        .arg(out)
        .args([
            "--set",
            "name=demo",
            "--set",
            "owner=group:default/team-a",
            "--set",
            "repoUrl=github.com?owner=acme&repo=demo",
            "--set",
            "description=A demo",
        ])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_dry_run_shows_predicted_steps_as_predicted() {
    let work = tempfile::tempdir().unwrap();
    let out = go_microservice(&work.path().join("out"), &["--json"]);
    assert!(out.status.success());
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = plan["steps"].as_array().unwrap();
    let total = steps.len();
    let err = String::from_utf8_lossy(&out.stderr);
    let mut predicted = 0;
    for (i, s) in steps.iter().enumerate() {
        // The GitLab steps are skipped for a github.com repoUrl (their `if` is false).
        if matches!(s["id"].as_str(), Some("fetch-gitlab-ci" | "publish-gitlab")) {
            assert_eq!(s["status"], "skipped", "{s}");
            let line = format!("- [{}/{total}] {}", i + 1, s["name"].as_str().unwrap());
            assert!(err.lines().any(|l| l.starts_with(&line)), "{line}\n{err}");
            continue;
        }
        // The network actions are predicted; the local ones ran.
        let network = matches!(
            s["action"].as_str().unwrap(),
            "publish:github" | "catalog:register"
        );
        let (status, mark) = if network {
            ("predicted", "~")
        } else {
            ("executed", "✓")
        };
        assert_eq!(s["status"], status, "{s}");
        let line = format!("{mark} [{}/{total}] {}", i + 1, s["name"].as_str().unwrap());
        assert!(err.lines().any(|l| l.starts_with(&line)), "{line}\n{err}");
        if s["action"] == "publish:github" {
            assert_eq!(s["invented"], serde_json::json!(["commitHash"]));
        } else {
            assert!(s.get("invented").is_none(), "{s}");
        }
        predicted += usize::from(network);
    }
    assert_eq!(predicted, 2, "publish and register: {plan}");
    assert!(
        err.lines()
            .filter(|l| l.starts_with('~'))
            .all(|l| l.contains("predicted: not run (dry run)")),
        "{err}"
    );
    // Without --json, the links are introduced as predicted.
    let out = go_microservice(&work.path().join("out2"), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("predicted links (dry run: nothing was created or registered):\n  Repository: https://github.com/acme/demo.git"),
        "{err}"
    );
}

#[test]
fn output_without_dry_run_is_an_error() {
    let work = tempfile::tempdir().unwrap();
    let out = golden()
        .env("GOLDEN_HOME", work.path().join("home"))
        .current_dir(work.path())
        .args([
            "new",
            "go-microservice",
            "--no-input",
            "--local",
            "--output",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--output `x` is only used with --dry-run; nothing was run"),
        "{err}"
    );
    assert!(!work.path().join("home").exists(), "nothing was run");
}

const TINY: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: tiny
spec:
  type: service
  parameters:
    - properties:
        name: { type: string }
        port: { type: integer }
  steps:
    - id: log
      action: debug:log
      input:
        message: 'hello ${{ parameters.name }} ${{ parameters.extra }}'
"#;

#[test]
fn unknown_value_keys_are_reported_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("template.yaml"), TINY).unwrap();
    let values = dir.path().join("values.yaml");
    // `extra` is read by an expression: not unknown.
    std::fs::write(&values, "prot: 80\nextra: x\n").unwrap();
    let run = |strict: bool| {
        let mut cmd = golden();
        cmd.current_dir(dir.path())
            .args(["new", "./", "--no-input", "--dry-run", "--output"])
            .arg(dir.path().join(if strict { "o1" } else { "o2" }))
            .args(["--set", "nmae=x", "--values"])
            .arg(&values);
        if strict {
            cmd.arg("--strict");
        }
        cmd.output().unwrap()
    };
    let warned = run(false);
    assert!(warned.status.success());
    let err = String::from_utf8_lossy(&warned.stderr);
    assert!(
        err.contains("warning: `--set nmae`: `nmae` is not a parameter of this template (did you mean `name`?)"),
        "{err}"
    );
    assert!(
        err.contains("`prot` is not a parameter of this template (did you mean `port`?)"),
        "{err}"
    );
    assert!(!err.contains("`extra`"), "{err}");
    let refused = run(true);
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("error: values were given that the template does not declare"),
        "{err}"
    );
    assert!(err.contains("(did you mean `name`?)"), "{err}");
    assert!(!dir.path().join("o1").exists());
}

#[test]
fn a_skipped_unimplemented_step_still_resolves_its_each() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("template.yaml"),
        r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: each
spec:
  type: service
  steps:
    - id: custom
      action: acme:custom
      each: ${{ parameters.missing }}
      input: {}
"#,
    )
    .unwrap();
    let out = golden()
        .args(["new", "--no-input", "--dry-run", "--json", "--output"])
        .arg(dir.path().join("out"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "Backstage fails this step");
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["steps"][0]["status"], "failed");
    assert!(
        plan["steps"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("invalid value on the `each` parameter"),
        "{plan}"
    );
}

#[test]
fn config_keys_are_checked_with_their_position() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("template.yaml"), TINY).unwrap();
    let check = |config: &str| {
        let p = dir.path().join("config.yaml");
        std::fs::write(&p, config).unwrap();
        let out = golden()
            .args(["validate", "--config"])
            .arg(&p)
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{config}");
        String::from_utf8_lossy(&out.stderr).replace(&p.display().to_string(), "CONFIG")
    };
    let err = check("integrations:\n  github:\n    - host: ghe.example.com\n      tokn: x\n");
    assert!(
        err.contains("error: CONFIG:4:7: the config file is invalid: unknown key `integrations.github[0].tokn`"),
        "{err}"
    );
    assert!(err.contains("hint: did you mean `token`?"), "{err}");
    let err = check("locl: true\n");
    assert!(
        err.contains("CONFIG:1:1: the config file is invalid: unknown key `locl`"),
        "{err}"
    );
    assert!(err.contains("did you mean `local`?"), "{err}");
    let err = check("catalog:\n  backstage:\n    baseUrl: [a]\n");
    assert!(
        err.contains("CONFIG:3:5: the config file is invalid: `catalog.backstage.baseUrl` must be a string, found a list"),
        "{err}"
    );
    let err = check("local: yes\n");
    assert!(
        err.contains("`local` must be true or false, found a string"),
        "{err}"
    );
    // Backstage's other integrations and empty keys are accepted.
    let p = dir.path().join("ok.yaml");
    std::fs::write(
        &p,
        "integrations:\n  gitlab:\n    - host: gitlab.com\ncatalog:\nlocal:\n",
    )
    .unwrap();
    golden()
        .args(["validate", "--config"])
        .arg(&p)
        .arg(dir.path())
        .assert()
        .success();
}

#[test]
fn validate_quiet_prints_only_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("template.yaml"), TINY).unwrap();
    let out = golden()
        .args(["validate", "-q"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "no summary line with -q"
    );
    let loud = golden()
        .args(["validate"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&loud.stderr).contains("checked 1 template"));
    // An error is still printed, without the summary.
    std::fs::write(
        dir.path().join("template.yaml"),
        TINY.replace("debug:log", "debug:lgo"),
    )
    .unwrap();
    // (an unknown action is a warning unless denied)
    let out = golden()
        .args(["validate", "-q", "--deny", "step-unknown-action"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("debug:lgo"), "{err}");
    assert!(!err.contains("checked 1 template"), "{err}");
}

#[test]
fn every_run_keeps_its_answers_for_replay_never_secrets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("template.yaml"),
        r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: replayed
spec:
  type: service
  parameters:
    - required: [name, port]
      properties:
        name: { type: string }
        port: { type: integer }
        pw: { type: string, ui:widget: password }
        boom: { type: boolean, default: false }
  steps:
    - id: fail
      if: ${{ parameters.boom }}
      action: fs:rename
      input: { files: [{ from: missing, to: x }] }
"#,
    )
    .unwrap();
    let home = dir.path().join("home");
    let run = |out: &str, extra: &[&str]| {
        golden()
            .env("GOLDEN_HOME", &home)
            .args(["new", "--no-input", "--dry-run", "--json", "--output"])
            .arg(dir.path().join(out))
            .arg(dir.path())
            .args(extra)
            .output()
            .unwrap()
    };
    // A failing run keeps its answers too (the password never).
    let failed = run(
        "o1",
        &[
            "--set",
            "name=demo",
            "--set",
            "port=80",
            "--set",
            "pw=hunter2x",
            "--set",
            "boom=true",
        ],
    );
    assert_eq!(failed.status.code(), Some(1));
    let saved = std::fs::read_to_string(home.join("replay/replayed.json")).unwrap();
    let saved: serde_json::Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(
        saved,
        serde_json::json!({"name": "demo", "port": 80, "boom": true}),
        "no password in the replay file"
    );
    // --replay: no question, the saved answers; --set still wins.
    let again = run(
        "o2",
        &["--replay", "--set", "boom=false", "--set", "port=81"],
    );
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(plan["parameters"]["name"], "demo");
    assert_eq!(plan["parameters"]["port"], 81);
    // Nothing saved yet for this home: a clear error.
    let none = golden()
        .env("GOLDEN_HOME", dir.path().join("other-home"))
        .args(["new", "--no-input", "--dry-run", "--replay", "--output"])
        .arg(dir.path().join("o3"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2));
    let err = String::from_utf8_lossy(&none.stderr);
    assert!(
        err.contains("no saved answers for `replayed` to replay"),
        "{err}"
    );
}
