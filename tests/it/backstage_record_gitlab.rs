//! Records what Backstage's own GitLab actions (module-gitlab 0.12.0) send to the fake GitLab,
//! as the fixtures the GitLab publish tests compare golden with
//! (`tests/it/fixtures/backstage-gitlab/*.json`). Tools, not checks: they need the module
//! installed beside the oracle (see the fixtures folder's README) and are ignored by default:
//!
//!     GITLAB_ORACLE_DIR=/path/to/oracle-extra cargo test --test it backstage_record_gitlab -- --ignored
use crate::fake_gitlab::FakeGitlab;
use serde_json::{json, Value};

pub const TOKEN: &str = "glpat-test-token-1234";

/// A fixture's input with `HOST` in its `repoUrl` replaced by `host`.
pub fn with_host(input: &Value, host: &str) -> Value {
    let mut input = input.clone();
    if let Some(u) = input.get("repoUrl").and_then(Value::as_str) {
        input["repoUrl"] = json!(u.replacen("HOST", host, 1));
    }
    input
}

/// The workspace both Backstage and golden publish (what `publish.rs`'s template renders).
pub fn workspace(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("README.md"), "# demo\n\nA service.\n").unwrap();
    std::fs::write(
        dir.join("src/main.go"),
        "package main\n\n// demo\nfunc main() {}\n",
    )
    .unwrap();
    std::fs::write(dir.join(".editorconfig"), "root = true\n").unwrap();
}

fn run(name: &str, fake: &FakeGitlab, id: &str) {
    run_keyed(name, fake, id, None)
}

/// [`run`] with `key` (a file) as the integration's `commitSigningKey`.
fn run_keyed(name: &str, fake: &FakeGitlab, id: &str, key: Option<&std::path::Path>) {
    let oracle = std::env::var("GITLAB_ORACLE_DIR")
        .expect("GITLAB_ORACLE_DIR names the folder where module-gitlab is installed");
    let fixture = crate::publish_gitlab::fixture(name);
    let input = fixture["input"].clone();
    let ws = tempfile::tempdir().unwrap();
    workspace(ws.path());
    let inp = ws.path().join("../gl-input-".to_string() + name + ".json");
    std::fs::write(&inp, with_host(&input, &fake.host()).to_string()).unwrap();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "cd {oracle} && source ${{ORACLE_ENV:-../../shared/oracle/env.sh}} && node gl-oracle.mjs '{}' '{}' {TOKEN} '{}' '{}' '{}'",
            fake.host(),
            fake.base_url(),
            ws.path().display(),
            id,
            inp.display()
        ))
        .env(
            "GL_COMMIT_SIGNING_KEY_FILE",
            key.map(|k| k.display().to_string()).unwrap_or_default(),
        )
        .output()
        .unwrap();
    let calls: Vec<Value> = fake
        .calls()
        .iter()
        .map(|c| json!({"method": c.method, "path": c.path, "body": c.body}))
        .collect();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let result: Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("null")).unwrap_or(Value::Null);
    let outputs = match result {
        Value::Object(mut m) => {
            // URLs carry the fake's port: keep them relative to it.
            for v in m.values_mut() {
                if let Some(s) = v.as_str() {
                    *v = json!(s.replace(&fake.base_url(), "BASE"));
                }
            }
            Value::Object(m)
        }
        other => other,
    };
    let rec = json!({"action": id, "input": input, "calls": calls, "succeeded": out.status.success(), "outputs": outputs});
    let dir = crate::support::root().join("tests/it/fixtures/backstage-gitlab");
    std::fs::write(
        dir.join(format!("{name}.json")),
        serde_json::to_string_pretty(&rec).unwrap() + "\n",
    )
    .unwrap();
}

macro_rules! record {
    ($name:ident, $file:literal, |$fake:ident| $setup:block, $id:literal) => {
        #[test]
        #[ignore = "regenerates a fixture from Backstage's GitLab module"]
        fn $name() {
            let $fake = FakeGitlab::start(TOKEN, "jane");
            $setup
            run($file, &$fake, $id);
        }
    };
}

record!(
    publish_group,
    "publish-group",
    |f| {
        f.add_group("acme/backend", 42);
    },
    "publish:gitlab"
);
record!(publish_user, "publish-user", |f| {}, "publish:gitlab");
record!(
    publish_existing,
    "publish-existing",
    |f| {
        f.add_group("acme/backend", 42);
        f.add_project("acme/backend", "demo", &[("README.md", "existing\n")]);
    },
    "publish:gitlab"
);
record!(
    publish_skip_existing,
    "publish-skip-existing",
    |f| {
        f.add_group("acme/backend", 42);
        f.add_project("acme/backend", "demo", &[("README.md", "existing\n")]);
    },
    "publish:gitlab"
);
record!(
    publish_502,
    "publish-502",
    |f| {
        f.add_group("acme/backend", 42);
        f.fail("POST", "/projects", 502, 1);
    },
    "publish:gitlab"
);
record!(
    publish_401,
    "publish-401",
    |f| {
        f.add_group("acme/backend", 42);
        f.set_token("glpat-other");
    },
    "publish:gitlab"
);
record!(
    publish_no_namespace,
    "publish-no-namespace",
    |f| {},
    "publish:gitlab"
);
record!(
    merge_request,
    "merge-request",
    |f| {
        f.add_group("acme", 41);
        f.add_user("bob", 8);
        f.add_user("carol", 9);
        f.add_project("acme", "svc", MR_BASE);
    },
    "publish:gitlab:merge-request"
);

/// The files of `acme/svc` before the merge-request scenarios.
pub const MR_BASE: &[(&str, &str)] = &[
    ("README.md", "# demo\n\nA service.\n"),
    ("src/main.go", "old\n"),
    ("docs/old.md", "old\n"),
];

/// The project the API-only actions work on: `acme/svc`, id 100.
pub fn with_svc(f: &FakeGitlab) {
    f.add_group("acme", 41);
    f.add_user("bob", 8);
    f.add_project("acme", "svc", MR_BASE);
}

record!(
    repo_push,
    "repo-push",
    |f| {
        with_svc(&f);
    },
    "gitlab:repo:push"
);
record!(
    group_ensure_exists,
    "group-ensure-exists",
    |f| {
        with_svc(&f);
    },
    "gitlab:group:ensureExists"
);
record!(
    project_variable,
    "project-variable",
    |f| {
        with_svc(&f);
    },
    "gitlab:projectVariable:create"
);
record!(
    project_access_token,
    "project-access-token",
    |f| {
        with_svc(&f);
    },
    "gitlab:projectAccessToken:create"
);
record!(
    project_deploy_token,
    "project-deploy-token",
    |f| {
        with_svc(&f);
    },
    "gitlab:projectDeployToken:create"
);
record!(
    pipeline_trigger,
    "pipeline-trigger",
    |f| {
        with_svc(&f);
    },
    "gitlab:pipeline:trigger"
);
record!(
    issues_create,
    "issues-create",
    |f| {
        with_svc(&f);
    },
    "gitlab:issues:create"
);
record!(
    issue_edit,
    "issue-edit",
    |f| {
        with_svc(&f);
    },
    "gitlab:issue:edit"
);
record!(
    user_info,
    "user-info",
    |f| {
        with_svc(&f);
    },
    "gitlab:user:info"
);
record!(
    user_info_current,
    "user-info-current",
    |f| {
        with_svc(&f);
    },
    "gitlab:user:info"
);

/// The Gitea account the fake accepts.
pub const GITEA_USER: &str = "gitea-bot";
pub const GITEA_PASSWORD: &str = "gitea-password-1234";

/// `publish:gitea` of the fixture `name` against a fake Gitea with the organisation `acme`
/// (unless `with_org` is false).
fn run_gitea(name: &str, with_org: bool) {
    let oracle = std::env::var("GITLAB_ORACLE_DIR")
        .expect("GITLAB_ORACLE_DIR names the folder where module-gitea is installed");
    let fake = crate::fake_gitea::FakeGitea::start(GITEA_USER, GITEA_PASSWORD);
    if with_org {
        fake.add_org("acme");
    }
    let input = crate::publish_gitlab::fixture(name)["input"].clone();
    let ws = tempfile::tempdir().unwrap();
    workspace(ws.path());
    let inp = ws
        .path()
        .join("../gitea-input-".to_string() + name + ".json");
    std::fs::write(&inp, with_host(&input, &fake.host()).to_string()).unwrap();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "cd {oracle} && source ${{ORACLE_ENV:-../../shared/oracle/env.sh}} && node gitea-oracle.mjs '{}' '{}' {GITEA_USER} {GITEA_PASSWORD} '{}' '{}'",
            fake.host(),
            fake.base_url(),
            ws.path().display(),
            inp.display()
        ))
        .output()
        .unwrap();
    let calls: Vec<Value> = fake
        .calls()
        .iter()
        .map(|c| json!({"method": c.method, "path": c.path, "body": c.body}))
        .collect();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut outputs: Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("null")).unwrap_or(Value::Null);
    if let Some(m) = outputs.as_object_mut() {
        for v in m.values_mut() {
            if let Some(s) = v.as_str() {
                *v = json!(s.replace(&fake.base_url(), "BASE"));
            }
        }
        m.remove("commitHash");
    }
    let rec = json!({"action": "publish:gitea", "input": input, "calls": calls, "succeeded": out.status.success(), "outputs": outputs});
    let dir = crate::support::root().join("tests/it/fixtures/backstage-gitlab");
    std::fs::write(
        dir.join(format!("{name}.json")),
        serde_json::to_string_pretty(&rec).unwrap() + "\n",
    )
    .unwrap();
}

#[test]
#[ignore = "regenerates a fixture from Backstage's Gitea module"]
fn gitea_publish() {
    run_gitea("gitea-publish", true);
}

#[test]
#[ignore = "regenerates a fixture from Backstage's Gitea module"]
fn gitea_no_org() {
    run_gitea("gitea-no-org", false);
}

/// The conformance case `go-microservice-gitlab`: Backstage's real scaffolder (4.3.0) and real
/// GitLab module (0.12.0) run the built-in go-microservice for
/// `gitlab.com?owner=acme/backend&repo=demo` against this fake standing in for gitlab.com
/// (`tests/conformance/tools/render-gitlab.mjs`). Writes the case's `expected/` (the final
/// workspace), `expected.steps.json` (steps, outputs, links) and `expected.calls.json` (what
/// the module sent to GitLab), with the fake's address written `https://gitlab.com`:
///
///     GITLAB_CONFORMANCE_ORACLE=/folder/with/gitlab-oracle/installed ORACLE_ENV=/path/to/env.sh \
///       cargo test --test it conformance_gitlab_record -- --ignored
#[test]
#[ignore = "regenerates the conformance case go-microservice-gitlab with Backstage's scaffolder and GitLab module"]
fn conformance_gitlab_record() {
    let oracle = std::env::var("GITLAB_CONFORMANCE_ORACLE").expect(
        "GITLAB_CONFORMANCE_ORACLE names the folder where tests/conformance/tools/gitlab-oracle is installed",
    );
    let root = crate::support::root();
    let case = root.join("tests/conformance/cases/go-microservice-gitlab");
    let fake = FakeGitlab::start(TOKEN, "jane");
    fake.add_group("acme/backend", 42);
    let tmp = tempfile::tempdir().unwrap();
    // The fake answers for gitlab.com, and the URLs it hands out name its own host:
    // catalog:register finds the integration of a URL by its host.
    let config = tmp.path().join("app-config.yaml");
    std::fs::write(
        &config,
        format!(
            "integrations:\n  gitlab:\n    - host: gitlab.com\n      baseUrl: {b}\n      apiBaseUrl: {b}/api/v4\n      token: {TOKEN}\n    - host: {h}\n      baseUrl: {b}\n      apiBaseUrl: {b}/api/v4\n      token: {TOKEN}\n",
            b = fake.base_url(),
            h = fake.host()
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let rec = tmp.path().join("record.json");
    let run = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source ${{ORACLE_ENV:-{oracle}/env.sh}} && cd '{oracle}' && node '{}' '{}' '{}' '{}' --config '{}' --record '{}'",
            root.join("tests/conformance/tools/render-gitlab.mjs").display(),
            case.join("template").display(),
            case.join("values.json").display(),
            out.display(),
            config.display(),
            rec.display()
        ))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let template = std::fs::canonicalize(case.join("template")).unwrap();
    let sanitize = |text: &str| {
        let text = text
            .replace(&fake.base_url(), "https://gitlab.com")
            .replace(&template.display().to_string(), "<template>")
            .replace(&out.display().to_string(), "<out>");
        regex::Regex::new(r"/tmp/golden-oracle-[A-Za-z0-9]+/oracle-task")
            .unwrap()
            .replace_all(&text, "<workspace>")
            .into_owned()
    };
    let record = sanitize(&std::fs::read_to_string(&rec).unwrap());
    std::fs::write(case.join("expected.steps.json"), record).unwrap();
    let calls: Vec<Value> = fake
        .calls()
        .iter()
        .map(|c| json!({"method": c.method, "path": c.path, "body": c.body}))
        .collect();
    std::fs::write(
        case.join("expected.calls.json"),
        sanitize(&(serde_json::to_string_pretty(&calls).unwrap() + "\n")),
    )
    .unwrap();
    let expected = case.join("expected");
    let _ = std::fs::remove_dir_all(&expected);
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(&out)
        .arg(&expected)
        .status()
        .unwrap();
    assert!(status.success());
    // What Backstage pushed is the workspace it wrote.
    assert_eq!(
        crate::fake_github::branch_files(&fake.repo_path("acme/backend/demo"), "main"),
        crate::fake_github::dir_files(&expected)
    );
}

/// `acme/svc` (id 100) and the users of the approval rules.
pub fn with_rules(f: &FakeGitlab) {
    with_svc(f);
    f.add_user("carol", 9);
    f.add_user("dave", 10);
    // GitLab computes the merge status a moment after creation: Backstage reads again.
    f.merge_statuses(&["checking"]);
    f.approval_rules(json!([
        {"id": 1, "name": "CODEOWNERS", "rule_type": "code_owner",
         "eligible_approvers": [{"id": 10, "username": "dave"}, {"id": 9, "username": "carol"}]},
        {"id": 2, "name": "All Members", "rule_type": "any_approver"}
    ]));
}

record!(
    merge_request_approval_rules,
    "merge-request-approval-rules",
    |f| {
        with_rules(&f);
    },
    "publish:gitlab:merge-request"
);
record!(
    issues_create_epic,
    "issues-create-epic",
    |f| {
        with_svc(&f);
        f.add_epic("acme", 77, 5);
    },
    "gitlab:issues:create"
);
/// `acme/backend/api` (id 100) and an epic of the sibling group `acme/frontend`.
pub fn with_sibling_epic(f: &FakeGitlab) {
    f.add_group("acme", 41);
    f.add_group("acme/backend", 42);
    f.add_group("acme/frontend", 43);
    f.add_project("acme/backend", "api", MR_BASE);
    f.add_epic("acme/frontend", 78, 6);
}
record!(
    issues_create_epic_out_of_scope,
    "issues-create-epic-out-of-scope",
    |f| {
        with_sibling_epic(&f);
    },
    "gitlab:issues:create"
);
record!(
    issues_create_epic_missing,
    "issues-create-epic-missing",
    |f| {
        with_svc(&f);
        f.add_epic("acme", 77, 5);
    },
    "gitlab:issues:create"
);
record!(
    issue_edit_epic,
    "issue-edit-epic",
    |f| {
        with_svc(&f);
        f.add_epic("acme", 77, 5);
    },
    "gitlab:issue:edit"
);

/// The test signing key (`tests/it/fixtures/signing/`, made for these tests only).
pub fn signing_key() -> std::path::PathBuf {
    crate::support::root().join("tests/it/fixtures/signing/secret.asc")
}

/// The signature of the tip of `branch` in `repo` verifies with the test key's public half.
pub fn assert_signed_by_test_key(repo: &std::path::Path, branch: &str) {
    use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
    let r = git2::Repository::open_bare(repo).unwrap();
    let tip = r
        .find_reference(&format!("refs/heads/{branch}"))
        .unwrap()
        .peel_to_commit()
        .unwrap();
    let (sig, data) = r.extract_signature(&tip.id(), None).unwrap();
    let (sig, _) = DetachedSignature::from_string(sig.as_str().unwrap()).unwrap();
    let public = std::fs::read_to_string(signing_key().with_file_name("public.asc")).unwrap();
    let (public, _) = SignedPublicKey::from_string(&public).unwrap();
    sig.verify(&public.primary_key, &data)
        .expect("the commit's signature verifies with the signing key");
}

#[test]
#[ignore = "regenerates a fixture from Backstage's GitLab module"]
fn publish_signed() {
    let fake = FakeGitlab::start(TOKEN, "jane");
    fake.add_group("acme/backend", 42);
    run_keyed(
        "publish-signed",
        &fake,
        "publish:gitlab",
        Some(&signing_key()),
    );
    // Backstage signed its commit with the same key golden reads.
    assert_signed_by_test_key(&fake.repo_path("acme/backend/demo"), "main");
}

record!(
    publish_signed_no_key,
    "publish-signed-no-key",
    |f| {
        f.add_group("acme/backend", 42);
    },
    "publish:gitlab"
);
