//! `golden test`: the built-in templates pass their own cases (default, opted-out, refused), their
//! expected trees are Backstage's, and a failing case is reported with a diff, a summary, exit 1
//! and JUnit XML; `--bless` rewrites the expected tree.

use std::path::{Path, PathBuf};

use crate::support::{golden, root};

/// `PATH` with the folders of the Node.js 22 and Go toolchains the tests found first.
fn tool_path(dirs: &[PathBuf]) -> std::ffi::OsString {
    let mut all: Vec<PathBuf> = dirs.to_vec();
    if let Some(p) = std::env::var_os("PATH") {
        all.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(all).unwrap()
}

#[test]
fn builtin_templates_pass_their_own_test_cases() {
    let node = crate::node_path::node_or_skip("builtin_templates_pass_their_own_test_cases (npm)");
    let go = crate::golden_path::go_or_skip("builtin_templates_pass_their_own_test_cases (go)");
    let mut cmd = golden();
    cmd.current_dir(root()).args(["test", "templates"]);
    match (&node, &go) {
        (Some(node), Some(go)) => {
            let dirs: Vec<PathBuf> = [node, go]
                .iter()
                .filter_map(|p| p.parent().map(Path::to_path_buf))
                .filter(|d| !d.as_os_str().is_empty())
                .collect();
            // the toolchains' offline caches (npm, Go modules) live in the developer's home
            if let Some(home) = std::env::var_os("HOME") {
                cmd.env("HOME", home);
            }
            cmd.env("PATH", tool_path(&dirs))
                .env("GOTOOLCHAIN", "local")
                .env("GOPROXY", "off")
                .env("npm_config_offline", "true");
        }
        // without the toolchains (never in CI, see node_or_skip) the cases still render and compare
        _ => {
            cmd.arg("--no-run");
        }
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "golden test templates failed:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for case in [
        "go-microservice/tests/default",
        "go-microservice/tests/opted-out",
        "go-microservice/tests/opt-out-without-reason",
        "node-service/tests/default",
        "node-service/tests/opted-out",
        "node-service/tests/opt-out-without-reason",
        "node-service/tests/gitlab",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("ok ") && l.contains(case)),
            "no passing line for {case}:\n{stdout}"
        );
    }
    assert!(stdout.contains("7 passed, 0 failed"), "{stdout}");
    if node.is_some() && go.is_some() {
        assert!(!stdout.contains("command not run"), "{stdout}");
    }
}

/// The built-in cases' expected trees are the oracle's (Backstage's) output for the same values.
#[test]
fn builtin_expected_trees_are_what_backstage_renders() {
    for (template, case, conformance) in [
        ("go-microservice", "default", "go-microservice-builtin"),
        ("go-microservice", "opted-out", "go-microservice-optout"),
        ("node-service", "default", "node-service-builtin"),
        ("node-service", "opted-out", "node-service-optout"),
    ] {
        let ours = root()
            .join("templates")
            .join(template)
            .join("tests")
            .join(case)
            .join("expected");
        let backstage = root()
            .join("tests/conformance/cases")
            .join(conformance)
            .join("expected");
        let read = |dir: &Path| -> Vec<(String, Vec<u8>)> {
            let mut v: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
                .into_iter()
                .map(|e| e.unwrap())
                .filter(|e| e.file_type().is_file())
                .map(|e| {
                    (
                        e.path().strip_prefix(dir).unwrap().display().to_string(),
                        std::fs::read(e.path()).unwrap(),
                    )
                })
                .collect();
            v.sort();
            v
        };
        let (a, b) = (read(&ours), read(&backstage));
        assert!(!a.is_empty(), "{} is empty", ours.display());
        assert!(
            a == b,
            "{template}/tests/{case}/expected differs from the conformance case {conformance}"
        );
    }
}

const FIXTURE_TEMPLATE: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: svc
spec:
  owner: group:default/team-a
  type: service
  parameters:
    - properties:
        name:
          type: string
  steps:
    - id: fetch
      action: fetch:template
      input:
        url: ./skeleton
        values:
          name: ${{ parameters.name }}
"#;

/// A one-step template with an executable script, and two cases blessed from it.
fn fixture(dir: &Path) {
    let t = dir.join("svc");
    std::fs::create_dir_all(t.join("skeleton")).unwrap();
    std::fs::write(t.join("template.yaml"), FIXTURE_TEMPLATE).unwrap();
    std::fs::write(
        t.join("skeleton/README.md"),
        "# ${{ values.name }}\n\nline two\n",
    )
    .unwrap();
    let script = t.join("skeleton/run.sh");
    std::fs::write(&script, "#!/bin/sh\necho ${{ values.name }}\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    for case in ["one", "two"] {
        let c = t.join("tests").join(case);
        std::fs::create_dir_all(&c).unwrap();
        std::fs::write(c.join("values.yaml"), format!("name: {case}\n")).unwrap();
    }
    std::fs::write(
        t.join("tests/two/case.yaml"),
        "command: test -x run.sh && ./run.sh | grep -qx two\ntimeout: 60\n\
         assert:\n  - exists: run.sh\n  - contains: {file: README.md, text: '# two'}\n",
    )
    .unwrap();
    golden()
        .current_dir(dir)
        .args(["test", "svc", "--bless"])
        .assert()
        .success()
        .stdout(predicates::str::contains("2 passed, 0 failed"));
}

#[test]
fn bless_then_pass_then_a_change_fails_with_a_diff_and_junit() {
    let tmp = tempfile::tempdir().unwrap();
    fixture(tmp.path());
    let expected = tmp.path().join("svc/tests/one/expected");
    assert_eq!(
        std::fs::read_to_string(expected.join("README.md")).unwrap(),
        "# one\n\nline two\n"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(expected.join("run.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert!(mode & 0o111 != 0, "blessed run.sh keeps its executable bit");
    golden()
        .current_dir(tmp.path())
        .args(["test", "svc"])
        .assert()
        .success()
        .stdout(predicates::str::contains("2 passed, 0 failed"));

    // a case folder selects that case alone
    golden()
        .current_dir(tmp.path())
        .args(["test", "svc/tests/one"])
        .assert()
        .success()
        .stdout(predicates::str::contains("1 passed, 0 failed"));

    // the skeleton changes: one case shows a unified diff, the other still passes its assertions
    // but not its expected tree
    std::fs::write(
        tmp.path().join("svc/skeleton/README.md"),
        "# ${{ values.name }}\n\nline 2\n",
    )
    .unwrap();
    std::fs::write(expected.join("stale.txt"), "x\n").unwrap();
    std::fs::set_permissions(
        expected.join("run.sh"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let out = golden()
        .current_dir(tmp.path())
        .args(["test", "svc"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    for want in [
        "FAIL  svc/tests/one",
        "FAIL  svc/tests/two",
        "--- expected/README.md",
        "+++ got/README.md",
        "-line two",
        "+line 2",
        "missing file: stale.txt",
        "run.sh: executable bit differs (expected not set, got set)",
        "0 passed, 2 failed",
    ] {
        assert!(stdout.contains(want), "no {want:?} in:\n{stdout}");
    }

    let out = golden()
        .current_dir(tmp.path())
        .args(["test", "svc", "--format", "junit"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(
        xml.contains(r#"<testsuite name="svc" tests="2" failures="2""#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<testcase name="one" classname="svc""#),
        "{xml}"
    );
    assert!(xml.contains("<failure message="), "{xml}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 passed, 2 failed"));

    // --update (alias of --bless) accepts the change
    golden()
        .current_dir(tmp.path())
        .args(["test", "svc", "--update"])
        .assert()
        .success();
    assert!(!expected.join("stale.txt").exists());
    golden()
        .current_dir(tmp.path())
        .args(["test", "svc"])
        .assert()
        .success();
}

#[test]
fn a_failing_or_slow_command_fails_its_case() {
    let tmp = tempfile::tempdir().unwrap();
    fixture(tmp.path());
    let case = tmp.path().join("svc/tests/two/case.yaml");
    std::fs::write(&case, "command: echo compiling; exit 7\n").unwrap();
    let out = golden()
        .current_dir(tmp.path())
        .args(["test", "svc"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("exit status: 7") && stdout.contains("compiling"),
        "{stdout}"
    );
    assert!(stdout.contains("1 passed, 1 failed"), "{stdout}");

    std::fs::write(&case, "command: sleep 30\ntimeout: 1\n").unwrap();
    let started = std::time::Instant::now();
    let out = golden()
        .current_dir(tmp.path())
        .args(["test", "svc"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("did not finish within 1s"), "{stdout}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));

    // --no-run skips it
    golden()
        .current_dir(tmp.path())
        .args(["test", "svc", "--no-run"])
        .assert()
        .success()
        .stdout(predicates::str::contains("command not run (--no-run)"));
}

#[test]
fn bad_cases_are_reported_not_crashed_on() {
    let tmp = tempfile::tempdir().unwrap();
    fixture(tmp.path());
    std::fs::create_dir_all(tmp.path().join("svc/tests/empty")).unwrap();
    std::fs::write(tmp.path().join("svc/tests/two/case.yaml"), "asert: []\n").unwrap();
    let out = golden()
        .current_dir(tmp.path())
        .args(["test", "svc"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("no values.yaml in"), "{stdout}");
    assert!(stdout.contains("unknown field `asert`"), "{stdout}");

    golden()
        .current_dir(tmp.path())
        .args(["test", "nowhere"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("`nowhere` does not exist"));
    std::fs::create_dir_all(tmp.path().join("plain")).unwrap();
    golden()
        .current_dir(tmp.path())
        .args(["test", "plain"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no test cases found"));
}

#[test]
fn validate_leaves_a_templates_tests_folder_alone() {
    let tmp = tempfile::tempdir().unwrap();
    fixture(tmp.path());
    // an expected tree of a template that makes templates holds a kind: Template file
    std::fs::write(
        tmp.path().join("svc/tests/one/expected/template.yaml"),
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {}\nspec:\n  steps: oops\n",
    )
    .unwrap();
    golden()
        .current_dir(tmp.path())
        .args(["validate", "svc"])
        .assert()
        .success()
        .stderr(predicates::str::contains("checked 1 template"));
}
