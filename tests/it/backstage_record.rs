//! Records what Backstage's own GitHub actions send to the fake GitHub, as the fixtures the
//! publish tests compare golden with (`tests/it/fixtures/backstage-github/*.json`). These are
//! tools, not checks: they need an installed copy of the Backstage oracle (`ORACLE_DIR`, see
//! `../shared/oracle/README.md`; `gh-oracle.mjs` runs from the fixtures folder with the oracle's
//! `node_modules`) and are ignored by default:
//!
//!     ORACLE_DIR=/path/to/oracle cargo test --test it backstage_record -- --ignored
use crate::fake_github::FakeGithub;
use serde_json::{json, Value};

/// The oracle's folder: `ORACLE_DIR`, else `../shared/oracle` beside the project.
fn oracle_dir() -> String {
    std::env::var("ORACLE_DIR")
        .unwrap_or_else(|_| format!("{}/../shared/oracle", env!("CARGO_MANIFEST_DIR")))
}

fn run(name: &str, fake: &FakeGithub, id: &str, input: Value) {
    let ws = tempfile::tempdir().unwrap();
    // The workspace golden's publish tests render (`publish.rs`, `template_with`).
    std::fs::create_dir_all(ws.path().join("src")).unwrap();
    std::fs::write(ws.path().join("README.md"), "# svc\n\nA service.\n").unwrap();
    std::fs::write(
        ws.path().join("src/main.go"),
        "package main\n\n// svc\nfunc main() {}\n",
    )
    .unwrap();
    std::fs::write(ws.path().join(".editorconfig"), "root = true\n").unwrap();
    let inp = ws.path().join("../input-".to_string() + name + ".json");
    std::fs::write(&inp, input.to_string()).unwrap();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "cd {} && source env.sh && ORACLE_REQUIRE_FROM=$PWD/x.js node {}/tests/it/fixtures/backstage-github/gh-oracle.mjs '{}' ghp_test_token_1234 '{}' '{}' '{}'",
            oracle_dir(),
            env!("CARGO_MANIFEST_DIR"),
            fake.api_base_url(),
            ws.path().display(),
            id,
            inp.display()
        ))
        .output()
        .unwrap();
    let calls: Vec<Value> = fake.calls().iter().map(crate::publish::recorded).collect();
    let err = String::from_utf8_lossy(&out.stderr);
    let error = err
        .lines()
        .find(|l| {
            l.starts_with("Error") || l.starts_with("HttpError") || l.starts_with("RequestError")
        })
        .map(|l| l.trim().to_string());
    let rec = json!({"action": id, "input": input, "calls": calls, "succeeded": out.status.success(), "error": error});
    let dir = crate::support::root().join("tests/it/fixtures/backstage-github");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("{name}.json")),
        serde_json::to_string_pretty(&rec).unwrap() + "\n",
    )
    .unwrap();
}

macro_rules! record {
    ($name:ident, $file:literal, $login:literal, |$fake:ident| $setup:block, $id:literal) => {
        #[test]
        #[ignore = "regenerates a fixture from the Backstage oracle"]
        fn $name() {
            let $fake = FakeGithub::start("ghp_test_token_1234", $login);
            $setup
            let input = crate::publish::fixture($file)["input"].clone();
            run($file, &$fake, $id, input);
        }
    };
}

record!(
    publish_org,
    "publish-org",
    "octocat",
    |f| {
        f.add_org("acme", &["platform", "sre"]);
    },
    "publish:github"
);
record!(
    publish_user,
    "publish-user",
    "jane",
    |f| {},
    "publish:github"
);
record!(
    publish_existing,
    "publish-existing",
    "octocat",
    |f| {
        f.add_org("acme", &[]);
        f.add_repo("acme", "svc");
    },
    "publish:github"
);
record!(
    publish_500,
    "publish-500",
    "octocat",
    |f| {
        f.add_org("acme", &[]);
        f.fail("POST", "/orgs/acme/repos", 500, 1);
    },
    "publish:github"
);
record!(
    publish_401,
    "publish-401",
    "octocat",
    |f| {
        f.add_org("acme", &[]);
        f.set_token("ghp_other");
    },
    "publish:github"
);
record!(
    publish_secrets,
    "publish-secrets",
    "octocat",
    |f| {
        f.add_org("acme", &[]);
    },
    "publish:github"
);
record!(
    publish_settings,
    "publish-settings",
    "octocat",
    |f| {
        f.add_org("acme", &["platform"]);
    },
    "publish:github"
);
record!(
    publish_api_fallback,
    "publish-api-fallback",
    "octocat",
    |f| {
        f.add_org("acme", &[]);
        f.block_git();
    },
    "publish:github"
);
record!(
    webhook,
    "webhook",
    "octocat",
    |f| {
        f.add_repo("acme", "svc");
    },
    "github:webhook"
);
record!(
    dispatch,
    "dispatch",
    "octocat",
    |f| {
        f.add_repo("acme", "svc");
    },
    "github:actions:dispatch"
);
record!(
    pull_request,
    "pull-request",
    "octocat",
    |f| {
        f.add_org("acme", &["sre"]);
        f.add_repo_files("acme", "svc", PR_BASE);
    },
    "publish:github:pull-request"
);
/// The same pull request twice with `update: true`: the second run moves the branch and updates
/// the open pull request.
#[test]
#[ignore = "regenerates a fixture from the Backstage oracle"]
fn pull_request_update() {
    let fake = FakeGithub::start("ghp_test_token_1234", "octocat");
    fake.add_repo_files("acme", "svc", PR_BASE);
    let input = crate::publish::fixture("pull-request-update")["input"].clone();
    run(
        "pull-request-update",
        &fake,
        "publish:github:pull-request",
        input.clone(),
    );
    run(
        "pull-request-update",
        &fake,
        "publish:github:pull-request",
        input,
    );
}

/// The files of `acme/svc` before the pull-request scenarios.
pub const PR_BASE: &[(&str, &str)] = &[("README.md", "existing\n"), ("sub/old.txt", "old\n")];

/// `github:repo:create` then `github:repo:push` on the same repository (`repo-push.json` holds
/// the calls of both).
#[test]
#[ignore = "regenerates a fixture from the Backstage oracle"]
fn repo_create_then_push() {
    let fake = FakeGithub::start("ghp_test_token_1234", "octocat");
    fake.add_org("acme", &[]);
    run(
        "repo-create",
        &fake,
        "github:repo:create",
        crate::publish::fixture("repo-create")["input"].clone(),
    );
    run(
        "repo-push",
        &fake,
        "github:repo:push",
        crate::publish::fixture("repo-push")["input"].clone(),
    );
}

record!(
    issues_create,
    "issues-create",
    "octocat",
    |f| {
        f.add_repo("acme", "svc");
    },
    "github:issues:create"
);
record!(
    issues_label,
    "issues-label",
    "octocat",
    |f| {
        f.add_repo("acme", "svc");
    },
    "github:issues:label"
);
record!(
    autolinks,
    "autolinks",
    "octocat",
    |f| {
        f.add_repo("acme", "svc");
    },
    "github:autolinks:create"
);
record!(
    pages,
    "pages",
    "octocat",
    |f| {
        f.add_repo("acme", "svc");
    },
    "github:pages:enable"
);
record!(
    deploy_key,
    "deploy-key",
    "octocat",
    |f| {
        f.add_repo("acme", "svc");
    },
    "github:deployKey:create"
);
record!(
    branch_protection,
    "branch-protection",
    "octocat",
    |f| {
        f.add_repo("acme", "svc");
    },
    "github:branch-protection:create"
);
record!(
    environment,
    "environment",
    "octocat",
    |f| {
        f.add_org("acme", &["sre"]);
        f.add_user("jane");
        f.add_repo("acme", "svc");
    },
    "github:environment:create"
);
record!(
    environment_minimal,
    "environment-minimal",
    "octocat",
    |f| {
        f.add_repo("acme", "svc");
    },
    "github:environment:create"
);
record!(
    rulesets,
    "rulesets",
    "octocat",
    |f| {
        f.add_repo("acme", "svc");
    },
    "github:repo:rulesets:create"
);
record!(
    rulesets_tag,
    "rulesets-tag",
    "octocat",
    |f| {
        f.add_repo("acme", "svc");
    },
    "github:repo:rulesets:create"
);
record!(
    rulesets_missing,
    "rulesets-missing",
    "octocat",
    |f| {
        f.add_repo("acme", "svc");
    },
    "github:repo:rulesets:create"
);
record!(
    pull_request_fork,
    "pull-request-fork",
    "octocat",
    |f| {
        f.add_org("acme", &["sre"]);
        f.add_repo_files("acme", "svc", PR_BASE);
    },
    "publish:github:pull-request"
);
