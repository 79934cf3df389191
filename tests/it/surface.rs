//! What every mature CLI has: shell completions, a man page, `--version` with the commit and its
//! date, and `golden list --json`.

use crate::support::{golden, root};

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = golden().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for word in ["golden", "validate", "catalog", "--dry-run"] {
            assert!(script.contains(word), "{shell} script completes `{word}`");
        }
    }
    // The bash script is valid bash.
    let out = golden().args(["completions", "bash"]).output().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("golden.bash");
    std::fs::write(&file, &out.stdout).unwrap();
    let st = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .status()
        .unwrap();
    assert!(st.success());
    let bad = golden().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn man_page() {
    let out = golden().arg("man").output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH golden 1"), "{page}");
    for part in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH SUBCOMMANDS",
        "golden\\-new",
    ] {
        assert!(page.contains(part), "the page has {part}:\n{page}");
    }
}

#[test]
fn version_names_the_commit_and_its_date() {
    let out = golden().arg("--version").output().unwrap();
    let v = String::from_utf8(out.stdout).unwrap();
    let re = regex::Regex::new(
        r"^golden \d+\.\d+\.\d+ \(([0-9a-f]{7,}|unknown) (\d{4}-\d{2}-\d{2}|unknown)\)\n$",
    )
    .unwrap();
    let caps = re.captures(&v).unwrap_or_else(|| panic!("{v:?}"));
    // Built from a git checkout: the commit is one of this repository's.
    let git = std::process::Command::new("git")
        .args(["cat-file", "-t", &caps[1]])
        .current_dir(root())
        .output();
    if let Ok(g) = git {
        if g.status.success() {
            assert_eq!(String::from_utf8_lossy(&g.stdout).trim(), "commit");
        }
    }
}

#[test]
fn list_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = golden()
        .current_dir(dir.path())
        .args(["list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"go-microservice"), "{list}");
    for t in list.as_array().unwrap() {
        assert!(t["title"].is_string() && t["location"].is_string(), "{t}");
    }
}
