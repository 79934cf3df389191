//! The built-in golden path: `golden new go-microservice` renders the same files Backstage renders
//! (the oracle's output is in `tests/conformance/cases/go-microservice-builtin/expected`), and the
//! generated project passes `go vet` and `go test`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{golden, root};

/// The oldest Go the skeleton builds with (`go.mod` says `go 1.22`; it uses log/slog and the 1.22
/// ServeMux patterns).
const MIN_GO_MINOR: u32 = 22;

/// `go version` → minor version (`go1.23.5` → 23).
fn go_minor(go: &Path) -> Option<u32> {
    let out = Command::new(go)
        .arg("version")
        .env("GOTOOLCHAIN", "local")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let v = text
        .split_whitespace()
        .find_map(|w| w.strip_prefix("go1."))?;
    v.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

/// A Go toolchain new enough for the skeleton: `$GOLDEN_GO`, `go` on PATH, or Debian's versioned
/// `/usr/lib/go-1.N/bin/go` (bookworm's golang-go is 1.19; .ci/run installs 1.23 from backports).
fn find_go() -> Result<PathBuf, String> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(g) = std::env::var_os("GOLDEN_GO") {
        candidates.push(PathBuf::from(g));
    }
    candidates.push(PathBuf::from("go"));
    if let Ok(entries) = std::fs::read_dir("/usr/lib") {
        let mut versioned: Vec<(u32, PathBuf)> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                let minor = name.strip_prefix("go-1.")?.parse().ok()?;
                Some((minor, e.path().join("bin/go")))
            })
            .collect();
        versioned.sort_by_key(|v| std::cmp::Reverse(v.0));
        candidates.extend(versioned.into_iter().map(|(_, p)| p));
    }
    let mut seen = Vec::new();
    for go in candidates {
        match go_minor(&go) {
            Some(minor) if minor >= MIN_GO_MINOR => return Ok(go),
            Some(minor) => seen.push(format!("{} is go1.{minor}", go.display())),
            None => {}
        }
    }
    Err(if seen.is_empty() {
        format!("no Go toolchain found (need go1.{MIN_GO_MINOR} or newer)")
    } else {
        format!(
            "no Go toolchain new enough (need go1.{MIN_GO_MINOR}; found: {})",
            seen.join(", ")
        )
    })
}

/// Runs `go ARGS` in `dir` without touching the network; panics with its output on failure. `cache`
/// holds Go's build cache when there is no HOME to keep it in.
fn run_go(go: &Path, dir: &Path, args: &[&str], cache: &Path) {
    let mut cmd = Command::new(go);
    cmd.args(args)
        .current_dir(dir)
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOWORK", "off");
    if std::env::var_os("HOME").is_none() && std::env::var_os("GOCACHE").is_none() {
        cmd.env("GOCACHE", cache.join("build"))
            .env("GOPATH", cache.join("gopath"));
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", go.display()));
    assert!(
        out.status.success(),
        "`go {}` failed in the generated project:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Relative path → bytes of every file under `dir`.
fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// `golden new go-microservice --dry-run` with the issue's exact command line.
fn render_builtin(out: &Path) {
    golden()
        .current_dir(out.parent().unwrap())
        .args(["new", "go-microservice", "--dry-run", "--output"])
        .arg(out)
        .args([
            "--no-input",
            "--set",
            "name=demo",
            "--set",
            "owner=group:default/team-a",
            "--set",
            "repoUrl=github.com?owner=acme&repo=demo",
            "--set",
            "description=Demo",
        ])
        .assert()
        .success();
}

#[test]
fn builtin_go_microservice_matches_backstage_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("demo");
    render_builtin(&out);
    let expected = files(&root().join("tests/conformance/cases/go-microservice-builtin/expected"));
    let got = files(&out);
    let want_names: Vec<&String> = expected.keys().collect();
    let got_names: Vec<&String> = got.keys().collect();
    assert_eq!(
        got_names, want_names,
        "the generated files differ from Backstage's"
    );
    for (name, bytes) in &expected {
        assert!(
            got[name] == *bytes,
            "{name} differs from what Backstage renders"
        );
    }
    let workflow = String::from_utf8(got[".github/workflows/ci.yaml"].clone()).unwrap();
    assert!(
        workflow.contains("${{ github.sha }}"),
        "the workflow's own expressions must survive rendering"
    );
    let helpers = String::from_utf8(got["charts/demo/templates/_helpers.tpl"].clone()).unwrap();
    assert!(
        helpers.contains("{{ .Values.image.tag"),
        "the Helm chart's expressions must survive rendering"
    );
}

/// The Go toolchain to test with, or `None` (after saying why) when there is none outside CI.
pub fn go_or_skip(test: &str) -> Option<PathBuf> {
    match find_go() {
        Ok(go) => Some(go),
        Err(reason) => {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
            assert!(!ci, "CI is set but {reason}: .ci/run installs golang-go (and Go 1.23 from bookworm-backports)");
            eprintln!("SKIPPED {test}: {reason}; install Go 1.{MIN_GO_MINOR}+ or set GOLDEN_GO");
            None
        }
    }
}

#[test]
fn builtin_go_microservice_passes_go_vet_and_go_test() {
    let go = match find_go() {
        Ok(go) => go,
        Err(reason) => {
            // In CI a missing toolchain is a failure; on a developer machine the test says why it
            // did not run.
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
            assert!(!ci, "CI is set but {reason}: .ci/run installs golang-go (and Go 1.23 from bookworm-backports)");
            eprintln!("SKIPPED builtin_go_microservice_passes_go_vet_and_go_test: {reason}; install Go 1.{MIN_GO_MINOR}+ or set GOLDEN_GO");
            return;
        }
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("demo");
    render_builtin(&out);
    let cache = tmp.path().join("go-cache");
    run_go(&go, &out, &["vet", "./..."], &cache);
    run_go(&go, &out, &["test", "./..."], &cache);
}

/// `golden new go-microservice --dry-run` with the opted-out conformance case's values.
fn render_opted_out(out: &Path) {
    golden()
        .current_dir(out.parent().unwrap())
        .args([
            "new",
            "go-microservice",
            "--dry-run",
            "--no-input",
            "--output",
        ])
        .arg(out)
        .arg("--values")
        .arg(root().join("tests/conformance/cases/go-microservice-optout/values.json"))
        .assert()
        .success();
}

#[test]
fn opted_out_go_microservice_matches_backstage_and_records_the_divergence() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("lean");
    render_opted_out(&out);
    let expected = files(&root().join("tests/conformance/cases/go-microservice-optout/expected"));
    let got = files(&out);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "the generated files differ from Backstage's"
    );
    for (name, bytes) in &expected {
        assert!(
            got[name] == *bytes,
            "{name} differs from what Backstage renders"
        );
    }
    assert!(!got
        .keys()
        .any(|k| k.starts_with("charts/") || k.starts_with(".github/")));
    let catalog = String::from_utf8(got["catalog-info.yaml"].clone()).unwrap();
    for want in [
        "golden.dev/opted-out: \"helm-chart, ci\"",
        "golden.dev/divergence: \"Deployed by the payments team's own Terraform and pipeline\"",
        "lifecycle: production",
        "system: system:default/payments",
        "    - component:default/ledger",
    ] {
        assert!(
            catalog.contains(want),
            "catalog-info.yaml lacks {want:?}:\n{catalog}"
        );
    }
    let main = String::from_utf8(got["cmd/lean/main.go"].clone()).unwrap();
    assert!(
        main.contains(r#"envOr("PORT", "9000")"#),
        "the port escape hatch"
    );
}

// `go vet` and `go test` on the opted-out project: the built-in case
// `templates/go-microservice/tests/opted-out` runs them through `golden test`
// (golden_test::builtin_templates_pass_their_own_test_cases).
