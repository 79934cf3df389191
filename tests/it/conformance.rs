//! Runs every case of `tests/conformance/cases` (Backstage-made expected outputs) through the real
//! binary with the same contract as `check.sh`: byte-identical files, executable bits, empty
//! directories, and a non-zero exit for error cases.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::{golden, root};

fn tree(dir: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut files = BTreeSet::new();
    let mut empty_dirs = BTreeSet::new();
    for e in walkdir::WalkDir::new(dir).min_depth(1) {
        let e = e.unwrap();
        let rel = e
            .path()
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .to_string();
        if e.file_type().is_dir() {
            if std::fs::read_dir(e.path()).unwrap().next().is_none() {
                empty_dirs.insert(rel);
            }
        } else {
            files.insert(rel);
        }
    }
    (files, empty_dirs)
}

#[cfg(unix)]
fn executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o111 != 0
}

/// Checks one case; returns the first difference.
fn check(case: &Path) -> Result<(), String> {
    let out_root = tempfile::tempdir().unwrap();
    let out = out_root.path().join("out");
    let mut cmd = golden();
    cmd.arg("new")
        .arg(case.join("template"))
        .arg("--values")
        .arg(case.join("values.json"));
    for (flag, file) in [("--secrets", "secrets.json"), ("--user", "user.json")] {
        if case.join(file).exists() {
            cmd.arg(flag).arg(case.join(file));
        }
    }
    cmd.arg("--dry-run")
        .arg("--output")
        .arg(&out)
        .arg("--no-input");
    let result = cmd.output().unwrap();
    let log = String::from_utf8_lossy(&result.stderr)
        .lines()
        .take(6)
        .collect::<Vec<_>>()
        .join("\n");
    if case.join("expected.error.txt").exists() {
        return if result.status.success() {
            Err("expected a non-zero exit, golden exited 0".into())
        } else if out.exists() {
            Err("failed but left an output directory behind".into())
        } else {
            Ok(())
        };
    }
    if !result.status.success() {
        return Err(format!("golden exited {:?}: {log}", result.status.code()));
    }
    let expected = case.join("expected");
    let (want_files, want_empty) = tree(&expected);
    let (got_files, got_empty) = tree(&out);
    if let Some(f) = want_files.difference(&got_files).next() {
        return Err(format!("only in expected: {f}"));
    }
    if let Some(f) = got_files.difference(&want_files).next() {
        return Err(format!("only in output: {f}"));
    }
    for f in &want_files {
        if std::fs::read(expected.join(f)).unwrap() != std::fs::read(out.join(f)).unwrap() {
            return Err(format!("content differs: {f}"));
        }
        #[cfg(unix)]
        if executable(&expected.join(f)) != executable(&out.join(f)) {
            return Err(format!("executable bit differs: {f}"));
        }
    }
    let want_empty: BTreeSet<String> =
        match std::fs::read_to_string(case.join("expected.emptydirs")) {
            Ok(t) => t
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
            Err(_) => want_empty,
        };
    if want_empty != got_empty {
        return Err(format!(
            "empty directories differ: expected {want_empty:?}, got {got_empty:?}"
        ));
    }
    Ok(())
}

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("tests/conformance/cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("template").is_dir())
        .collect();
    v.sort();
    v
}

#[test]
fn conformance_cases_match_backstage() {
    let filter = std::env::var("CONFORMANCE_FILTER").unwrap_or_default();
    let mut failures = Vec::new();
    let mut passed = 0;
    let all = cases();
    assert!(
        all.len() >= 35,
        "expected the 35 conformance cases, found {}",
        all.len()
    );
    for case in &all {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        if !name.contains(&filter) {
            continue;
        }
        match check(case) {
            Ok(()) => passed += 1,
            Err(e) => failures.push(format!("FAIL {name}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{passed} passed, {} failed\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// For the GitLab case (made by Backstage's real GitLab module against the fake GitLab, see
/// `backstage_record_gitlab::conformance_gitlab_record`), golden's dry run also predicts what
/// Backstage really output: each step's status and outputs (less those golden marks invented:
/// the commit hash and project id only a real push knows) and the template's output links.
#[test]
fn conformance_gitlab_case_predicts_backstages_outputs() {
    let case = root().join("tests/conformance/cases/go-microservice-gitlab");
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(case.join("expected.steps.json")).unwrap())
            .unwrap();
    let out_root = tempfile::tempdir().unwrap();
    let result = golden()
        .arg("new")
        .arg(case.join("template"))
        .arg("--values")
        .arg(case.join("values.json"))
        .args(["--dry-run", "--no-input", "--json", "--output"])
        .arg(out_root.path().join("out"))
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    let steps = plan["steps"].as_array().unwrap();
    let want = record["steps"].as_array().unwrap();
    assert_eq!(steps.len(), want.len());
    for (got, want) in steps.iter().zip(want) {
        let id = want["id"].as_str().unwrap();
        assert_eq!(got["id"], want["id"]);
        let ran = matches!(got["status"].as_str(), Some("executed" | "predicted"));
        assert_eq!(ran, want["status"] == "executed", "step {id}: {got}");
        let invented: Vec<&str> = got["invented"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        let mut expected = want["output"].as_object().cloned().unwrap_or_default();
        let mut actual = got["output"].as_object().cloned().unwrap_or_default();
        for k in &invented {
            assert!(
                expected.remove(*k).is_some(),
                "step {id}: Backstage outputs {k}"
            );
            actual.remove(*k);
        }
        assert_eq!(
            actual, expected,
            "step {id}: outputs differ from Backstage's"
        );
    }
    assert!(
        want.iter()
            .any(|s| s["action"] == "publish:gitlab" && s["status"] == "executed"),
        "the record holds a real publish:gitlab"
    );
    assert_eq!(
        plan["output"], record["output"],
        "the template's output links"
    );
}
