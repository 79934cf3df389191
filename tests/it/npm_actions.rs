//! Backstage action modules from npm, run unchanged through golden's Node bridge: real packages
//! (`@roadiehq/scaffolder-backend-module-utils`, and the notifications module, which needs a
//! service golden lacks) installed by `golden actions add` from the project-local npm cache that
//! .ci/run fills (target/npm-cache), offline.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{golden, root};

pub const UTILS: &str = "@roadiehq/scaffolder-backend-module-utils@4.1.2";
pub const NOTIFY: &str = "@backstage/plugin-scaffolder-backend-module-notifications@0.1.26";

/// The npm cache .ci/run fills; `None` (and the test skipped) outside CI when it is missing.
pub fn npm_cache() -> Option<PathBuf> {
    let cache = root().join("target/npm-cache");
    let ready = cache.is_dir()
        && std::process::Command::new("npm")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if ready {
        return Some(cache);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but target/npm-cache or npm is missing: run .ci/run"
    );
    eprintln!("skipped: no target/npm-cache (run .ci/run to fill it)");
    None
}

pub fn golden_with(home: &Path, cache: &Path) -> assert_cmd::Command {
    let mut cmd = golden();
    cmd.env("GOLDEN_HOME", home)
        .env("npm_config_cache", cache)
        .env("npm_config_offline", "true")
        .env_remove("GOLDEN_CONFIG")
        .env_remove("GOLDEN_NODE");
    cmd
}

#[cfg(unix)]
#[test]
fn npm_action_modules_run_through_one_node_process_per_run() {
    use std::os::unix::fs::PermissionsExt;
    let Some(cache) = npm_cache() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let added = golden_with(&home, &cache)
        .args(["actions", "add", UTILS, NOTIFY])
        .assert()
        .success();
    let listed = String::from_utf8_lossy(&added.get_output().stdout).into_owned();
    for id in [
        "roadiehq:utils:fs:write",
        "roadiehq:utils:merge",
        "roadiehq:utils:zip",
        "notification:send",
    ] {
        assert!(listed.contains(id), "{id} not recorded: {listed}");
    }
    let all = golden_with(&home, &cache).arg("actions").assert().success();
    let all = String::from_utf8_lossy(&all.get_output().stdout).into_owned();
    assert!(
        all.contains("[npm: @roadiehq/scaffolder-backend-module-utils@4.1.2]"),
        "{all}"
    );

    // a `node` that counts how often golden starts it
    let counter = tmp.path().join("node-starts");
    let wrapper = tmp.path().join("node-counting");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$2\" >> '{}'\nexec node \"$@\"\n",
            counter.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = tmp.path().join("out");
    let run = golden_with(&home, &cache)
        .env("GOLDEN_NODE", &wrapper)
        .arg("new")
        .arg(root().join("tests/fixtures/npm/template"))
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
    let report: Value = serde_json::from_slice(&run.get_output().stdout).unwrap();
    let statuses: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["executed"; 4], "{report}");
    assert_eq!(
        std::fs::read_to_string(&counter).unwrap(),
        "serve\n",
        "one Node process for the three npm steps"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("docs/NOTES.md")).unwrap(),
        "Notes for demo"
    );
    let pkg: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("package.json")).unwrap()).unwrap();
    assert_eq!(pkg["name"], "demo");
    assert_eq!(
        pkg["scripts"]["test"], "jest",
        "roadiehq:utils:merge merged the JSON"
    );
    let zip = std::fs::read(out.join("docs.zip")).unwrap();
    assert!(
        zip.starts_with(b"PK"),
        "roadiehq:utils:zip wrote a zip archive"
    );
    assert!(report["steps"][1]["output"]["path"]
        .as_str()
        .unwrap()
        .ends_with("docs/NOTES.md"));

    // without Node.js: the error says how to install it
    let no_node = golden_with(&home, &cache)
        .env("GOLDEN_NODE", tmp.path().join("no-such-node"))
        .arg("new")
        .arg(root().join("tests/fixtures/npm/template"))
        .args(["--dry-run", "--no-input", "--set", "name=demo", "--output"])
        .arg(tmp.path().join("out3"))
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&no_node.get_output().stderr).into_owned();
    assert!(
        err.contains("needs Node.js") && err.contains("apt-get install nodejs"),
        "{err}"
    );

    // remove
    golden_with(&home, &cache)
        .args([
            "actions",
            "remove",
            "@backstage/plugin-scaffolder-backend-module-notifications",
        ])
        .assert()
        .success();
    let all = golden_with(&home, &cache).arg("actions").assert().success();
    let all = String::from_utf8_lossy(&all.get_output().stdout).into_owned();
    assert!(!all.contains("notification:send"), "{all}");
    assert!(all.contains("roadiehq:utils:zip"), "{all}");

    // the config lists it: installed on first use; it needs a service golden lacks, so the step
    // fails naming the service (notification:send does not support dry-run: a real run, which
    // publishes nothing)
    let cfg = tmp.path().join("golden.yaml");
    std::fs::write(&cfg, format!("actions:\n  packages: [\"{NOTIFY}\"]\n")).unwrap();
    let failed = golden_with(&home, &cache)
        .current_dir(tmp.path())
        .arg("new")
        .arg(root().join("tests/fixtures/npm/notify"))
        .arg("--config")
        .arg(&cfg)
        .args(["--no-input", "--yes", "--no-checkout"])
        .assert()
        .failure()
        .code(1);
    let err = String::from_utf8_lossy(&failed.get_output().stderr).into_owned();
    assert!(
        err.contains(
            "needs the Backstage service `notifications.service`, which golden does not provide"
        ),
        "{err}"
    );
    let all = golden_with(&home, &cache).arg("actions").assert().success();
    let all = String::from_utf8_lossy(&all.get_output().stdout).into_owned();
    assert!(
        all.contains("notification:send"),
        "installed on first use: {all}"
    );
}
