//! Publishing to GitLab for real: the golden binary against the fake GitLab on 127.0.0.1 (REST
//! calls recorded and compared with what Backstage's GitLab module sent to the same fake, pushes
//! served by `git http-backend`) and into the local forge under nested groups.

use serde_json::Value;

/// A recorded Backstage run (`tests/it/fixtures/backstage-gitlab/NAME.json`).
pub fn fixture(name: &str) -> Value {
    let p = crate::support::root()
        .join("tests/it/fixtures/backstage-gitlab")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::backstage_record_gitlab::{with_host, workspace, MR_BASE, TOKEN};
use crate::fake_github::{branch_files, dir_files};
use crate::fake_gitlab::FakeGitlab;
use crate::publish::{stderr, template_with, Env};

/// golden made the same REST calls, in the same order and with the same bodies, as Backstage.
fn assert_calls_match_backstage(fake: &FakeGitlab, name: &str) {
    let expected = fixture(name)["calls"].clone();
    let actual: Vec<Value> = fake
        .calls()
        .iter()
        .map(|c| json!({"method": c.method, "path": c.path, "body": c.body}))
        .collect();
    assert_eq!(
        Value::Array(actual),
        expected,
        "golden's calls differ from Backstage's ({name}.json)"
    );
}

/// A config naming the fake as the GitLab host `host` (its own `127.0.0.1:PORT`, or gitlab.com).
fn config(env: &Env, fake: &FakeGitlab, host: &str, token: &str) -> PathBuf {
    let p = env.path().join("config.yaml");
    std::fs::write(
        &p,
        format!(
            "integrations:\n  gitlab:\n    - host: {host}\n      baseUrl: {base}\n      apiBaseUrl: {base}/api/v4\n      token: {token}\n",
            base = fake.base_url()
        ),
    )
    .unwrap();
    p
}

/// The template running a fixture's action with the fixture's input (`HOST` → `host`).
fn template_from(dir: &Path, name: &str, host: &str) -> PathBuf {
    let f = fixture(name);
    let input = with_host(&f["input"], host);
    let lines: Vec<String> = input
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("        {k}: {v}"))
        .collect();
    template_with(dir, f["action"].as_str().unwrap(), &lines.join("\n"))
}

fn run(env: &Env, template: &Path, config: Option<&Path>, extra: &[&str]) -> std::process::Output {
    env.golden(config)
        .args(["new", template.to_str().unwrap(), "--no-input"])
        .args(["--set", "name=demo", "--set", "owner=acme"])
        .args(extra)
        .output()
        .unwrap()
}

/// The files Backstage published (what the test template renders).
fn expected_files(env: &Env) -> std::collections::BTreeMap<String, Vec<u8>> {
    let dir = env.path().join("expected");
    workspace(&dir);
    dir_files(&dir)
}

#[test]
fn publish_into_a_nested_group_like_backstage() {
    let env = Env::new();
    let fake = FakeGitlab::start(TOKEN, "jane");
    fake.add_group("acme/backend", 42);
    let t = template_from(env.path(), "publish-group", &fake.host());
    let cfg = config(&env, &fake, &fake.host(), TOKEN);
    let out = run(&env, &t, Some(&cfg), &[]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains(TOKEN), "the token is never printed");
    assert!(!err.contains("s3cret"), "variable values are never printed");
    assert_calls_match_backstage(&fake, "publish-group");
    assert_eq!(
        fake.git_users(),
        ["oauth2"],
        "git pushes (and golden clones) as oauth2, as Backstage pushes"
    );

    let bare = fake.repo_path("acme/backend/demo");
    assert_eq!(branch_files(&bare, "main"), expected_files(&env));
    assert_eq!(branch_files(&bare, "develop"), expected_files(&env));
    let repo = git2::Repository::open_bare(&bare).unwrap();
    let head = repo
        .find_reference("refs/heads/main")
        .unwrap()
        .peel_to_commit()
        .unwrap();
    assert_eq!(head.message().unwrap(), "first commit");
    assert_eq!(head.author().name().unwrap(), "Golden Test");
    assert_eq!(head.author().email().unwrap(), "golden@example.com");
    // The outputs Backstage gave, relative to the fake's address.
    let outputs = &fixture("publish-group")["outputs"];
    let base = fake.base_url();
    for key in ["remoteUrl", "repoContentsUrl"] {
        let url = outputs[key].as_str().unwrap().replace("BASE", &base);
        assert!(err.contains(&url), "{key} {url} printed: {err}");
    }
    // Cloned into ./demo.
    assert_eq!(dir_files(&env.work().join("demo")), expected_files(&env));
}

#[test]
fn publish_for_the_token_user_defaults_to_master() {
    let env = Env::new();
    let fake = FakeGitlab::start(TOKEN, "jane");
    let t = template_from(env.path(), "publish-user", &fake.host());
    let cfg = config(&env, &fake, &fake.host(), TOKEN);
    let out = run(&env, &t, Some(&cfg), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_calls_match_backstage(&fake, "publish-user");
    let bare = fake.repo_path("jane/demo");
    assert_eq!(branch_files(&bare, "master"), expected_files(&env));
    let repo = git2::Repository::open_bare(&bare).unwrap();
    let head = repo
        .find_reference("refs/heads/master")
        .unwrap()
        .peel_to_commit()
        .unwrap();
    assert_eq!(head.message().unwrap(), "initial commit");
    assert_eq!(head.author().name().unwrap(), "Scaffolder");
}

#[test]
fn an_existing_project_is_an_error_and_left_alone() {
    let env = Env::new();
    let fake = FakeGitlab::start(TOKEN, "jane");
    fake.add_group("acme/backend", 42);
    fake.add_project("acme/backend", "demo", &[("README.md", "existing\n")]);
    let t = template_from(env.path(), "publish-existing", &fake.host());
    let cfg = config(&env, &fake, &fake.host(), TOKEN);
    let out = run(&env, &t, Some(&cfg), &[]);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert_eq!(fixture("publish-existing")["succeeded"], json!(false));
    assert_calls_match_backstage(&fake, "publish-existing");
    assert!(
        err.contains("acme/backend/demo: it already exists"),
        "{err}"
    );
    assert!(err.contains("skipExisting"), "{err}");
    assert!(fake.git_users().is_empty(), "nothing was pushed");
    let files = branch_files(&fake.repo_path("acme/backend/demo"), "main");
    assert_eq!(files.keys().collect::<Vec<_>>(), ["README.md"]);
}

#[test]
fn skip_existing_keeps_the_project_and_reports_it() {
    let env = Env::new();
    let fake = FakeGitlab::start(TOKEN, "jane");
    fake.add_group("acme/backend", 42);
    fake.add_project("acme/backend", "demo", &[("README.md", "existing\n")]);
    let t = template_from(env.path(), "publish-skip-existing", &fake.host());
    let cfg = config(&env, &fake, &fake.host(), TOKEN);
    let out = run(&env, &t, Some(&cfg), &[]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_calls_match_backstage(&fake, "publish-skip-existing");
    assert!(fake.git_users().is_empty(), "nothing was pushed");
    let url = fixture("publish-skip-existing")["outputs"]["repoContentsUrl"]
        .as_str()
        .unwrap()
        .replace("BASE", &fake.base_url());
    assert!(err.contains(&url), "{err}");
}

#[test]
fn a_bad_gateway_is_retried_like_backstage() {
    let env = Env::new();
    let fake = FakeGitlab::start(TOKEN, "jane");
    fake.add_group("acme/backend", 42);
    fake.fail("POST", "/projects", 502, 1);
    let t = template_from(env.path(), "publish-502", &fake.host());
    let cfg = config(&env, &fake, &fake.host(), TOKEN);
    let out = run(&env, &t, Some(&cfg), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_calls_match_backstage(&fake, "publish-502");
    assert_eq!(
        branch_files(&fake.repo_path("acme/backend/demo"), "main"),
        expected_files(&env)
    );
}

#[test]
fn a_rate_limit_is_waited_out() {
    let env = Env::new();
    let fake = FakeGitlab::start(TOKEN, "jane");
    fake.add_group("acme/backend", 42);
    fake.fail("POST", "/projects", 403, 1);
    let t = template_from(env.path(), "publish-502", &fake.host());
    let cfg = config(&env, &fake, &fake.host(), TOKEN);
    let started = std::time::Instant::now();
    let out = run(&env, &t, Some(&cfg), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    // The same calls as the 502 case: the refused creation, then the one that worked.
    assert_calls_match_backstage(&fake, "publish-502");
}

#[test]
fn a_refused_token_is_explained() {
    let env = Env::new();
    let fake = FakeGitlab::start(TOKEN, "jane");
    fake.add_group("acme/backend", 42);
    fake.set_token("glpat-other");
    let t = template_from(env.path(), "publish-401", &fake.host());
    let cfg = config(&env, &fake, &fake.host(), TOKEN);
    let out = run(&env, &t, Some(&cfg), &[]);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert_calls_match_backstage(&fake, "publish-401");
    assert!(err.contains("GitLab answered 401"), "{err}");
    assert!(err.contains("integrations.gitlab[].token"), "{err}");
    assert!(!err.contains(TOKEN), "{err}");
}

#[test]
fn a_missing_namespace_is_named() {
    let env = Env::new();
    let fake = FakeGitlab::start(TOKEN, "jane");
    let t = template_from(env.path(), "publish-no-namespace", &fake.host());
    let cfg = config(&env, &fake, &fake.host(), TOKEN);
    let out = run(&env, &t, Some(&cfg), &[]);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert_calls_match_backstage(&fake, "publish-no-namespace");
    assert!(
        err.contains("The namespace nobody/there is not found or the user doesn't have permissions to access it"),
        "{err}"
    );
}

#[test]
fn a_refused_push_fails_and_names_the_new_project() {
    let env = Env::new();
    let fake = FakeGitlab::start(TOKEN, "jane");
    fake.add_group("acme/backend", 42);
    fake.decline_pushes();
    let t = template_from(env.path(), "publish-502", &fake.host());
    let cfg = config(&env, &fake, &fake.host(), TOKEN);
    let out = run(&env, &t, Some(&cfg), &[]);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(err.contains("cannot push to the GitLab project"), "{err}");
    assert!(
        err.contains(&format!(
            "the GitLab project acme/backend/demo ({}/acme/backend/demo)",
            fake.base_url()
        )),
        "the failure report names what was created: {err}"
    );
}

#[test]
fn no_token_names_the_ways_to_give_one() {
    let env = Env::new();
    let fake = FakeGitlab::start(TOKEN, "jane");
    let t = template_from(env.path(), "publish-user", &fake.host());
    let p = env.path().join("config.yaml");
    std::fs::write(
        &p,
        format!(
            "integrations:\n  gitlab:\n    - host: {}\n      baseUrl: {}\n",
            fake.host(),
            fake.base_url()
        ),
    )
    .unwrap();
    let out = run(&env, &t, Some(&p), &[]);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains(&format!("No token available for host {}", fake.host())),
        "{err}"
    );
    assert!(err.contains("GITLAB_TOKEN"), "{err}");
    assert!(fake.calls().is_empty());
}

#[test]
fn the_token_input_is_sent_as_a_bearer_token() {
    let env = Env::new();
    let fake = FakeGitlab::start("glpat-from-input", "jane");
    let mut input = with_host(&fixture("publish-user")["input"], &fake.host());
    input["token"] = json!("glpat-from-input");
    let lines: Vec<String> = input
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("        {k}: {v}"))
        .collect();
    let t = template_with(env.path(), "publish:gitlab", &lines.join("\n"));
    let cfg = config(&env, &fake, &fake.host(), "glpat-config");
    let out = run(&env, &t, Some(&cfg), &[]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("glpat-from-input"), "{err}");
    assert_calls_match_backstage(&fake, "publish-user");
}

#[test]
fn merge_request_like_backstage() {
    let env = Env::new();
    let fake = FakeGitlab::start(TOKEN, "jane");
    fake.add_group("acme", 41);
    fake.add_user("bob", 8);
    fake.add_user("carol", 9);
    fake.add_project("acme", "svc", MR_BASE);
    let t = template_from(env.path(), "merge-request", &fake.host());
    let cfg = config(&env, &fake, &fake.host(), TOKEN);
    let out = run(&env, &t, Some(&cfg), &[]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_calls_match_backstage(&fake, "merge-request");
    assert!(
        err.contains("Failed to find gitlab user id for nobody"),
        "{err}"
    );
    // The branch holds the base files with the workspace's on top.
    let files = branch_files(&fake.repo_path("acme/svc"), "feature/demo");
    let mut expected = expected_files(&env);
    expected.insert("docs/old.md".into(), b"old\n".to_vec());
    assert_eq!(files, expected);
    assert_eq!(fake.merge_requests().len(), 1);
    // A second run finds the branch and its merge request, and stops.
    let again = run(&env, &t, Some(&cfg), &["--checkout", "again"]);
    let err = stderr(&again);
    assert!(!again.status.success());
    assert!(
        err.contains("Additionally, there is a Merge Request for this branch:")
            || err.contains("already exists"),
        "{err}"
    );
}

fn forge_repo(env: &Env, host: &str, full: &str) -> PathBuf {
    env.home()
        .join("forge")
        .join(host)
        .join(format!("{full}.git"))
}

#[test]
fn local_forge_publishes_nested_groups_and_merge_requests() {
    let env = Env::new();
    let mut input = fixture("publish-group")["input"].clone();
    input["repoUrl"] = json!("gitlab.com?owner=acme/backend&repo=demo");
    let lines: Vec<String> = input
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("        {k}: {v}"))
        .collect();
    let t = template_with(env.path(), "publish:gitlab", &lines.join("\n"));
    let out = run(&env, &t, None, &["--local"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let bare = forge_repo(&env, "gitlab.com", "acme/backend/demo");
    assert_eq!(branch_files(&bare, "main"), expected_files(&env));
    assert_eq!(branch_files(&bare, "develop"), expected_files(&env));
    let settings: Value =
        serde_json::from_str(&std::fs::read_to_string(bare.join("golden/settings.json")).unwrap())
            .unwrap();
    assert_eq!(settings[0]["settings"]["merge_method"], json!("ff"));
    let vars = std::fs::read_to_string(bare.join("golden/variables.json")).unwrap();
    assert!(
        vars.contains("API_KEY") && !vars.contains("s3cret"),
        "{vars}"
    );
    assert!(!err.contains("s3cret"), "{err}");
    assert_eq!(dir_files(&env.work().join("demo")), expected_files(&env));

    // A merge request against it, from another template.
    let mr = env.path().join("mr");
    std::fs::create_dir_all(&mr).unwrap();
    let t = template_with(
        &mr,
        "publish:gitlab:merge-request",
        "        repoUrl: gitlab.com?owner=acme/backend&repo=demo\n        title: Change\n        branchName: feature/x\n        sourcePath: .\n        targetPath: sub",
    );
    let out = run(&env, &t, None, &["--local"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let files = branch_files(&bare, "feature/x");
    assert!(
        files.contains_key("sub/README.md") && files.contains_key("README.md"),
        "{files:?}"
    );
    let mrs = std::fs::read_to_string(bare.join("golden/merge_requests.json")).unwrap();
    assert!(mrs.contains("\"target_branch\": \"main\""), "{mrs}");
    assert!(mrs.contains("\"source_branch\": \"feature/x\""), "{mrs}");
    assert!(err.contains("created branch feature/x"), "{err}");
}

/// Runs a fixture's API action through golden against a fake holding `acme/svc` (id 100) and
/// compares the calls and the step's outputs with Backstage's.
fn api_action_like_backstage(name: &str) {
    api_action_with(name, crate::backstage_record_gitlab::with_svc);
}

/// [`api_action_like_backstage`] on a fake set up by `setup` (as its recorder set it up).
fn api_action_with(name: &str, setup: fn(&FakeGitlab)) {
    let env = Env::new();
    let fake = FakeGitlab::start(TOKEN, "jane");
    setup(&fake);
    let t = template_from(env.path(), name, &fake.host());
    let cfg = config(&env, &fake, &fake.host(), TOKEN);
    let out = run(&env, &t, Some(&cfg), &["--json", "--no-checkout"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{name}: {err}");
    assert_calls_match_backstage(&fake, name);
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let step = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "publish")
        .unwrap_or_else(|| panic!("{name}: no publish step in {plan}"));
    let mut expected = fixture(name)["outputs"].clone();
    for v in expected.as_object_mut().unwrap().values_mut() {
        if let Some(s) = v.as_str() {
            *v = json!(s.replace("BASE", &fake.base_url()));
        }
    }
    if name == "repo-push" {
        // Commit hashes carry the time of the commit.
        assert_eq!(
            step["output"]["commitHash"].as_str().map(str::len),
            Some(40)
        );
        expected.as_object_mut().unwrap().remove("commitHash");
        step_output_without(&step["output"], "commitHash", &expected, name);
    } else {
        assert_eq!(
            step["output"], expected,
            "{name}: outputs differ from Backstage's"
        );
    }
}

fn step_output_without(actual: &Value, key: &str, expected: &Value, name: &str) {
    let mut a = actual.clone();
    a.as_object_mut().unwrap().remove(key);
    assert_eq!(&a, expected, "{name}: outputs differ from Backstage's");
}

#[test]
fn api_actions_make_backstages_calls() {
    for name in [
        "repo-push",
        "group-ensure-exists",
        "project-variable",
        "project-access-token",
        "project-deploy-token",
        "pipeline-trigger",
        "issues-create",
        "issue-edit",
        "user-info",
        "user-info-current",
    ] {
        api_action_like_backstage(name);
    }
}

/// An epic is linked only when the project lies under the epic's group, as Backstage's
/// `checkEpicScope` decides (the epic found among the top-level group's epics).
#[test]
fn issues_link_epics_in_scope_like_backstage() {
    fn with_epic(f: &FakeGitlab) {
        crate::backstage_record_gitlab::with_svc(f);
        f.add_epic("acme", 77, 5);
    }
    api_action_with("issues-create-epic", with_epic);
    api_action_with("issue-edit-epic", with_epic);
    api_action_with(
        "issues-create-epic-out-of-scope",
        crate::backstage_record_gitlab::with_sibling_epic,
    );
    // An epic the top-level group does not hold fails the step, after the same calls.
    let env = Env::new();
    let fake = FakeGitlab::start(TOKEN, "jane");
    with_epic(&fake);
    let t = template_from(env.path(), "issues-create-epic-missing", &fake.host());
    let cfg = config(&env, &fake, &fake.host(), TOKEN);
    let out = run(&env, &t, Some(&cfg), &["--no-checkout"]);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert_calls_match_backstage(&fake, "issues-create-epic-missing");
    assert!(
        err.contains("Failed to create GitLab issue: Could not find epic scope: Epic with id 79 not found in the top-level parent group acme."),
        "{err}"
    );
}

#[test]
fn merge_request_reviewers_from_approval_rules_like_backstage() {
    let env = Env::new();
    let fake = FakeGitlab::start(TOKEN, "jane");
    crate::backstage_record_gitlab::with_rules(&fake);
    let t = template_from(env.path(), "merge-request-approval-rules", &fake.host());
    let cfg = config(&env, &fake, &fake.host(), TOKEN);
    let out = run(&env, &t, Some(&cfg), &["--no-checkout"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_calls_match_backstage(&fake, "merge-request-approval-rules");
    assert_eq!(fake.merge_requests()[0]["reviewer_ids"], json!([10, 9]));
}

#[test]
fn api_actions_in_the_local_forge_push_or_say_what_they_need() {
    let env = Env::new();
    // A project in the forge first.
    let t = template_with(
        env.path(),
        "publish:gitlab",
        "        repoUrl: gitlab.com?owner=acme&repo=svc\n        defaultBranch: main",
    );
    let out = run(&env, &t, None, &["--local", "--no-checkout"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let push = env.path().join("push");
    std::fs::create_dir_all(&push).unwrap();
    let t = template_with(
        &push,
        "gitlab:repo:push",
        "        repoUrl: gitlab.com?owner=acme&repo=svc\n        branchName: feature/push\n        commitMessage: more\n        targetPath: app",
    );
    let out = run(&env, &t, None, &["--local"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let files = branch_files(&forge_repo(&env, "gitlab.com", "acme/svc"), "feature/push");
    assert!(
        files.contains_key("app/README.md") && files.contains_key("README.md"),
        "{files:?}"
    );
    let trigger = env.path().join("trigger");
    std::fs::create_dir_all(&trigger).unwrap();
    let t = template_with(
        &trigger,
        "gitlab:pipeline:trigger",
        "        repoUrl: gitlab.com\n        projectId: 1\n        tokenDescription: t\n        branch: main",
    );
    let out = run(&env, &t, None, &["--local"]);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("`gitlab:pipeline:trigger` needs a GitLab server"),
        "{err}"
    );
}

const GITLAB_VALUES: [&str; 8] = [
    "--set",
    "name=demo",
    "--set",
    "owner=group:default/team-a",
    "--set",
    "description=Demo",
    "--set",
    "repoUrl=gitlab.com?owner=acme/backend&repo=demo",
];

/// The go-microservice workspace `--dry-run` renders for a GitLab repoUrl.
fn rendered_go_microservice(
    env: &Env,
    config: Option<&Path>,
) -> std::collections::BTreeMap<String, Vec<u8>> {
    let rendered = env.path().join("rendered");
    let out = env
        .golden(config)
        .args([
            "new",
            "go-microservice",
            "--no-input",
            "--dry-run",
            "--output",
        ])
        .arg(&rendered)
        .args(GITLAB_VALUES)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let files = dir_files(&rendered);
    assert!(
        files.contains_key(".gitlab-ci.yml"),
        "GitLab CI for a GitLab host: {:?}",
        files.keys()
    );
    assert!(
        !files.contains_key(".github/workflows/ci.yaml"),
        "{:?}",
        files.keys()
    );
    let catalog = String::from_utf8(files["catalog-info.yaml"].clone()).unwrap();
    assert!(
        catalog.contains("gitlab.com/project-slug: acme/backend/demo"),
        "{catalog}"
    );
    files
}

#[test]
fn go_microservice_on_gitlab_into_the_local_forge() {
    let env = Env::new();
    let out = env
        .golden(None)
        .args(["new", "go-microservice", "--local", "--no-input"])
        .args(GITLAB_VALUES)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let bare = forge_repo(&env, "gitlab.com", "acme/backend/demo");
    let pushed = branch_files(&bare, "main");
    assert_eq!(pushed, rendered_go_microservice(&env, None));
    assert_eq!(
        dir_files(&env.work().join("demo")),
        pushed,
        "the clone holds the service"
    );
    // catalog:register read catalog-info.yaml from the forge and registered the component.
    assert!(err.contains("component:default/demo"), "{err}");
}

#[test]
fn go_microservice_on_gitlab_through_the_fake() {
    let env = Env::new();
    let fake = FakeGitlab::start(TOKEN, "jane");
    fake.add_group("acme/backend", 42);
    let cfg = config(&env, &fake, "gitlab.com", TOKEN);
    let out = env
        .golden(Some(&cfg))
        .args(["new", "go-microservice", "--no-input"])
        .args(GITLAB_VALUES)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains(TOKEN), "{err}");
    let lines: Vec<String> = fake
        .calls()
        .iter()
        .map(|c| format!("{} {}", c.method, c.path))
        .collect();
    assert_eq!(
        lines,
        [
            "GET /namespaces/acme%2Fbackend",
            "GET /user",
            "GET /groups/acme%2Fbackend/projects?search=demo",
            "POST /projects",
            // catalog:register reads the catalog file through the files API, as Backstage's
            // GitLab reader does.
            "GET /projects/acme%2Fbackend%2Fdemo/repository/files/catalog-info.yaml/raw?ref=main",
        ]
    );
    assert_eq!(
        fake.calls()[3].body,
        json!({"namespace_id": 42, "name": "demo", "path": "demo", "visibility": "private", "description": "Demo"})
    );
    // The same publishing calls as Backstage's GitLab module made for this template (recorded
    // with the GitLab conformance case); Backstage's catalog reads the file itself.
    let backstage: Value = serde_json::from_str(
        &std::fs::read_to_string(
            crate::support::root()
                .join("tests/conformance/cases/go-microservice-gitlab/expected.calls.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let golden: Vec<Value> = fake.calls()[..4]
        .iter()
        .map(|c| json!({"method": c.method, "path": c.path, "body": c.body}))
        .collect();
    assert_eq!(Value::Array(golden), backstage);
    let pushed = branch_files(&fake.repo_path("acme/backend/demo"), "main");
    assert_eq!(pushed, rendered_go_microservice(&env, Some(&cfg)));
    assert!(err.contains("component:default/demo"), "{err}");
    assert!(
        err.contains(&format!("{}/acme/backend/demo", fake.base_url())),
        "{err}"
    );
}

mod gitea {
    use super::*;
    use crate::backstage_record_gitlab::{GITEA_PASSWORD, GITEA_USER};
    use crate::fake_gitea::FakeGitea;

    fn config(env: &Env, fake: &FakeGitea) -> PathBuf {
        let p = env.path().join("config.yaml");
        std::fs::write(
            &p,
            format!(
                "integrations:\n  gitea:\n    - host: {}\n      baseUrl: {}\n      username: {GITEA_USER}\n      password: {GITEA_PASSWORD}\n",
                fake.host(),
                fake.base_url()
            ),
        )
        .unwrap();
        p
    }

    fn calls(fake: &FakeGitea) -> Value {
        Value::Array(
            fake.calls()
                .iter()
                .map(|c| json!({"method": c.method, "path": c.path, "body": c.body}))
                .collect(),
        )
    }

    #[test]
    fn publish_like_backstage() {
        let env = Env::new();
        let fake = FakeGitea::start(GITEA_USER, GITEA_PASSWORD);
        fake.add_org("acme");
        let t = template_from(env.path(), "gitea-publish", &fake.host());
        let out = run(&env, &t, Some(&config(&env, &fake)), &["--json"]);
        let err = stderr(&out);
        assert!(out.status.success(), "{err}");
        assert!(!err.contains(GITEA_PASSWORD), "{err}");
        assert_eq!(calls(&fake), fixture("gitea-publish")["calls"]);
        let bare = fake.repo_path("acme/demo");
        assert_eq!(branch_files(&bare, "main"), expected_files(&env));
        let repo = git2::Repository::open_bare(&bare).unwrap();
        let head = repo
            .find_reference("refs/heads/main")
            .unwrap()
            .peel_to_commit()
            .unwrap();
        let message = head.message().unwrap().to_string();
        assert!(
            message.starts_with("initial commit\n\nChange-Id: I"),
            "{message}"
        );
        assert_eq!(head.author().name().unwrap(), "Golden Test");
        let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
        let step = plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == "publish")
            .unwrap();
        let mut expected = fixture("gitea-publish")["outputs"].clone();
        for v in expected.as_object_mut().unwrap().values_mut() {
            *v = json!(v.as_str().unwrap().replace("BASE", &fake.base_url()));
        }
        expected["commitHash"] = json!(head.id().to_string());
        assert_eq!(step["output"], expected);
        assert_eq!(dir_files(&env.work().join("demo")), expected_files(&env));
    }

    /// publish:gitea, then catalog:register of the published `catalog-info.yaml`: golden reads it
    /// back through Gitea's contents API with the integration's credentials.
    #[test]
    fn register_reads_the_published_catalog_file_through_the_api() {
        let env = Env::new();
        let fake = FakeGitea::start(GITEA_USER, GITEA_PASSWORD);
        fake.add_org("acme");
        let mut lines: Vec<String> = with_host(&fixture("gitea-publish")["input"], &fake.host())
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("        {k}: {v}"))
            .collect();
        lines.push(
            "    - id: register\n      name: Register\n      action: catalog:register\n      input:\n        repoContentsUrl: ${{ steps.publish.output.repoContentsUrl }}".into(),
        );
        let t = template_with(env.path(), "publish:gitea", &lines.join("\n"));
        std::fs::write(
            t.join("skeleton/catalog-info.yaml"),
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${{ values.name }}\nspec:\n  type: service\n  lifecycle: experimental\n  owner: team-a\n",
        )
        .unwrap();
        let out = run(
            &env,
            &t,
            Some(&config(&env, &fake)),
            &["--no-checkout", "--json"],
        );
        let err = stderr(&out);
        assert!(out.status.success(), "{err}");
        assert!(!err.contains(GITEA_PASSWORD), "{err}");
        let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            plan["steps"][2]["output"]["entityRef"],
            "component:default/demo"
        );
        let list = env
            .golden(Some(&config(&env, &fake)))
            .args(["catalog", "list", "--json"])
            .output()
            .unwrap();
        let entities: Value = serde_json::from_slice(&list.stdout).unwrap();
        assert_eq!(
            entities[0]["metadata"]["annotations"]["backstage.io/managed-by-location"],
            format!(
                "url:{}/acme/demo/src/branch/main/catalog-info.yaml",
                fake.base_url()
            )
        );
        let paths: Vec<String> = fake
            .calls()
            .iter()
            .map(|c| format!("{} {}", c.method, c.path))
            .collect();
        assert_eq!(
            paths.last().map(String::as_str),
            Some("GET /api/v1/repos/acme/demo/contents/catalog-info.yaml"),
            "{paths:?}"
        );
    }

    #[test]
    fn a_missing_organisation_is_named() {
        let env = Env::new();
        let fake = FakeGitea::start(GITEA_USER, GITEA_PASSWORD);
        let t = template_from(env.path(), "gitea-no-org", &fake.host());
        let out = run(&env, &t, Some(&config(&env, &fake)), &[]);
        let err = stderr(&out);
        assert!(!out.status.success());
        assert_eq!(calls(&fake), fixture("gitea-no-org")["calls"]);
        assert!(
            err.contains("Organization nobody do not exist. Please create it first !"),
            "{err}"
        );
    }

    #[test]
    fn missing_credentials_and_local_publishing() {
        let env = Env::new();
        let fake = FakeGitea::start(GITEA_USER, GITEA_PASSWORD);
        let p = env.path().join("nocreds.yaml");
        std::fs::write(
            &p,
            format!(
                "integrations:\n  gitea:\n    - host: {}\n      baseUrl: {}\n",
                fake.host(),
                fake.base_url()
            ),
        )
        .unwrap();
        let t = template_from(env.path(), "gitea-publish", &fake.host());
        let out = run(&env, &t, Some(&p), &[]);
        let err = stderr(&out);
        assert!(!out.status.success());
        assert!(
            err.contains(&format!(
                "Credentials for the gitea {} required.",
                fake.host()
            )),
            "{err}"
        );
        assert!(fake.calls().is_empty());
        // The same template into the local forge.
        let out = run(&env, &t, Some(&p), &["--local"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let bare = forge_repo(&env, &fake.host(), "acme/demo");
        assert_eq!(branch_files(&bare, "main"), expected_files(&env));
    }
}

/// Where golden finds a GitLab token: the config's, then `GITLAB_TOKEN` for gitlab.com only, then
/// the token `glab` stores for the host (a fake `glab` on PATH), checked against the fake GitLab
/// which accepts one token only.
mod tokens {
    use super::*;

    /// A `glab` that answers `config get token --host HOST` with `token` for `host` only, and
    /// logs how it was called (and whether it saw GITLAB_TOKEN) to `glab.log`.
    fn fake_glab(env: &Env, host: &str, token: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let bin = env.path().join("glab-bin");
        std::fs::create_dir_all(&bin).unwrap();
        let log = env.path().join("glab.log");
        let script = format!(
            "#!/bin/sh\necho \"$* env=${{GITLAB_TOKEN:-none}}\" >> '{}'\nif [ \"$1 $2 $3 $4 $5\" = 'config get token --host {host}' ]; then echo '{token}'; exit 0; fi\nexit 1\n",
            log.display()
        );
        std::fs::write(bin.join("glab"), script).unwrap();
        std::fs::set_permissions(bin.join("glab"), std::fs::Permissions::from_mode(0o755)).unwrap();
        bin
    }

    fn glab_log(env: &Env) -> String {
        std::fs::read_to_string(env.path().join("glab.log")).unwrap_or_default()
    }

    /// The fake as GitLab host `host`, with `token:` only when given.
    fn config_for(env: &Env, fake: &FakeGitlab, host: &str, token: Option<&str>) -> PathBuf {
        let p = env.path().join("tokens.yaml");
        let token = token
            .map(|t| format!("      token: {t}\n"))
            .unwrap_or_default();
        std::fs::write(
            &p,
            format!(
                "integrations:\n  gitlab:\n    - host: {host}\n      baseUrl: {base}\n      apiBaseUrl: {base}/api/v4\n{token}",
                base = fake.base_url()
            ),
        )
        .unwrap();
        p
    }

    /// Runs `gitlab:user:info` (one `GET /user`) on `host` with `env_vars` and PATH `path`.
    fn user_info(
        env: &Env,
        cfg: &Path,
        host: &str,
        path: Option<&Path>,
        env_vars: &[(&str, &str)],
    ) -> std::process::Output {
        let dir = env.path().join(format!("t-{}", next_name()));
        std::fs::create_dir_all(&dir).unwrap();
        let t = template_with(
            &dir,
            "gitlab:user:info",
            &format!("        repoUrl: {host}"),
        );
        let mut cmd = env.golden(Some(cfg));
        if let Some(p) = path {
            cmd.env("PATH", p);
        }
        for (k, v) in env_vars {
            cmd.env(k, v);
        }
        cmd.args(["new", t.to_str().unwrap(), "--no-input", "--no-checkout"])
            .args(["--set", "name=demo", "--set", "owner=acme"])
            .output()
            .unwrap()
    }

    fn next_name() -> String {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        N.fetch_add(1, Ordering::SeqCst).to_string()
    }

    #[test]
    fn gitlab_token_serves_gitlab_com_after_the_config_token() {
        let env = Env::new();
        let fake = FakeGitlab::start("glpat-env", "jane");
        let glab = fake_glab(&env, "gitlab.com", "glpat-glab");
        // No token in the config: GITLAB_TOKEN, before glab.
        let cfg = config_for(&env, &fake, "gitlab.com", None);
        let out = user_info(
            &env,
            &cfg,
            "gitlab.com",
            Some(&glab),
            &[("GITLAB_TOKEN", "glpat-env")],
        );
        let err = stderr(&out);
        assert!(out.status.success(), "{err}");
        assert!(!err.contains("glpat-env"), "{err}");
        assert_eq!(fake.call_lines(), ["GET /user"]);
        assert_eq!(
            glab_log(&env),
            "",
            "glab is not asked when GITLAB_TOKEN answers"
        );
        // The config's token wins over GITLAB_TOKEN.
        fake.set_token("glpat-config");
        let cfg = config_for(&env, &fake, "gitlab.com", Some("glpat-config"));
        let out = user_info(
            &env,
            &cfg,
            "gitlab.com",
            Some(&glab),
            &[("GITLAB_TOKEN", "glpat-env")],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(fake.call_lines(), ["GET /user", "GET /user"]);
        // The config's token is used even when it is refused: no fallback to GITLAB_TOKEN.
        fake.set_token("glpat-env");
        let out = user_info(
            &env,
            &cfg,
            "gitlab.com",
            Some(&glab),
            &[("GITLAB_TOKEN", "glpat-env")],
        );
        let err = stderr(&out);
        assert!(!out.status.success());
        assert!(err.contains("401"), "{err}");
    }

    #[test]
    fn glab_serves_when_nothing_else_does() {
        let env = Env::new();
        let fake = FakeGitlab::start("glpat-glab", "jane");
        let glab = fake_glab(&env, "gitlab.com", "glpat-glab");
        let cfg = config_for(&env, &fake, "gitlab.com", None);
        let out = user_info(&env, &cfg, "gitlab.com", Some(&glab), &[]);
        let err = stderr(&out);
        assert!(out.status.success(), "{err}");
        assert!(!err.contains("glpat-glab"), "{err}");
        assert_eq!(fake.call_lines(), ["GET /user"]);
        assert_eq!(
            glab_log(&env),
            "config get token --host gitlab.com env=none\n"
        );
        // Without glab (and nothing else) there is no token, and golden says where to put one.
        let out = user_info(&env, &cfg, "gitlab.com", None, &[]);
        let err = stderr(&out);
        assert!(!out.status.success());
        assert!(
            err.contains("No token available for host gitlab.com"),
            "{err}"
        );
        assert!(err.contains("GITLAB_TOKEN"), "{err}");
    }

    #[test]
    fn a_self_managed_host_never_takes_gitlab_token() {
        let env = Env::new();
        let fake = FakeGitlab::start("glpat-env", "jane");
        let host = fake.host();
        let cfg = config_for(&env, &fake, &host, None);
        // Backstage reads GITLAB_TOKEN only through `token: ${GITLAB_TOKEN}` of gitlab.com.
        let out = user_info(&env, &cfg, &host, None, &[("GITLAB_TOKEN", "glpat-env")]);
        let err = stderr(&out);
        assert!(!out.status.success());
        assert!(
            err.contains(&format!("No token available for host {host}")),
            "{err}"
        );
        assert!(fake.calls().is_empty(), "{:?}", fake.call_lines());
        // glab's token for that host serves, and glab is not handed GITLAB_TOKEN (it would
        // answer it for any host).
        fake.set_token("glpat-self");
        let glab = fake_glab(&env, &host, "glpat-self");
        let out = user_info(
            &env,
            &cfg,
            &host,
            Some(&glab),
            &[("GITLAB_TOKEN", "glpat-env")],
        );
        let err = stderr(&out);
        assert!(out.status.success(), "{err}");
        assert_eq!(fake.call_lines(), ["GET /user"]);
        assert_eq!(
            glab_log(&env),
            format!("config get token --host {host} env=none\n")
        );
    }
}

/// `signCommit`: the commit golden pushes carries an OpenPGP signature (`gpgsig`) by the key
/// of the config, as Backstage's does (its recorded run's commit verifies with the same key).
mod signing {
    use super::*;
    use crate::backstage_record_gitlab::{assert_signed_by_test_key, signing_key};

    /// The armored test key as an indented YAML block scalar.
    fn key_block(indent: usize) -> String {
        let pad = " ".repeat(indent);
        let key = std::fs::read_to_string(signing_key()).unwrap();
        let lines: Vec<String> = key.lines().map(|l| format!("{pad}{l}")).collect();
        format!("|\n{}\n", lines.join("\n"))
    }

    /// `git verify-commit` with gpg (when installed) trusts the signature too.
    fn git_verifies(env: &Env, repo: &Path, branch: &str) {
        let has_gpg = std::process::Command::new("gpg")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !has_gpg {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
            assert!(!ci, "gpg is missing (.ci/run installs it)");
            eprintln!(
                "note: gpg is not installed; the signature was checked with the pgp crate only"
            );
            return;
        }
        let home = env.path().join("gnupg");
        std::fs::create_dir_all(&home).unwrap();
        let gpg = |args: &[&str]| {
            std::process::Command::new("gpg")
                .env("GNUPGHOME", &home)
                .args(["--batch", "--quiet"])
                .args(args)
                .output()
                .unwrap()
        };
        let public = signing_key().with_file_name("public.asc");
        assert!(gpg(&["--import", public.to_str().unwrap()])
            .status
            .success());
        let out = std::process::Command::new("git")
            .env("GNUPGHOME", &home)
            .arg("--git-dir")
            .arg(repo)
            .args(["verify-commit", "--raw", &format!("refs/heads/{branch}")])
            .output()
            .unwrap();
        let raw = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{raw}");
        assert!(raw.contains("GOODSIG"), "{raw}");
    }

    #[test]
    fn publish_gitlab_signs_with_the_integration_key_like_backstage() {
        let env = Env::new();
        let fake = FakeGitlab::start(TOKEN, "jane");
        fake.add_group("acme/backend", 42);
        let t = template_from(env.path(), "publish-signed", &fake.host());
        let cfg = env.path().join("signed.yaml");
        std::fs::write(
            &cfg,
            format!(
                "integrations:\n  gitlab:\n    - host: {}\n      baseUrl: {b}\n      apiBaseUrl: {b}/api/v4\n      token: {TOKEN}\n      commitSigningKey: {}",
                fake.host(),
                key_block(8),
                b = fake.base_url()
            ),
        )
        .unwrap();
        let out = run(&env, &t, Some(&cfg), &["--no-checkout"]);
        let err = stderr(&out);
        assert!(out.status.success(), "{err}");
        assert!(!err.contains("PRIVATE KEY"), "{err}");
        assert_calls_match_backstage(&fake, "publish-signed");
        let bare = fake.repo_path("acme/backend/demo");
        assert_eq!(branch_files(&bare, "main"), expected_files(&env));
        assert_signed_by_test_key(&bare, "main");
        git_verifies(&env, &bare, "main");
    }

    #[test]
    fn without_a_key_nothing_is_created() {
        let env = Env::new();
        let fake = FakeGitlab::start(TOKEN, "jane");
        fake.add_group("acme/backend", 42);
        let t = template_from(env.path(), "publish-signed-no-key", &fake.host());
        let cfg = config(&env, &fake, &fake.host(), TOKEN);
        let out = run(&env, &t, Some(&cfg), &[]);
        let err = stderr(&out);
        assert!(!out.status.success());
        assert_eq!(
            fixture("publish-signed-no-key")["outputs"]["error"],
            "Error: Signing commits is enabled but no signing key is provided in the configuration"
        );
        assert!(
            err.contains(
                "Signing commits is enabled but no signing key is provided in the configuration"
            ),
            "{err}"
        );
        assert!(err.contains("defaultCommitSigningKey"), "{err}");
        // Backstage creates the project before it looks for the key (its recorded calls end with
        // `POST /projects`); golden looks first and leaves nothing behind.
        assert_eq!(
            fixture("publish-signed-no-key")["calls"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()["path"],
            "/projects"
        );
        assert!(fake.calls().is_empty(), "{:?}", fake.call_lines());
    }

    #[test]
    fn publish_gitea_and_the_local_forge_sign_with_the_default_key() {
        let env = Env::new();
        let fake = crate::fake_gitea::FakeGitea::start(
            crate::backstage_record_gitlab::GITEA_USER,
            crate::backstage_record_gitlab::GITEA_PASSWORD,
        );
        fake.add_org("acme");
        let mut input = with_host(&fixture("gitea-publish")["input"], &fake.host());
        input["signCommit"] = json!(true);
        let lines: Vec<String> = input
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("        {k}: {v}"))
            .collect();
        let t = template_with(env.path(), "publish:gitea", &lines.join("\n"));
        let cfg = env.path().join("gitea-signed.yaml");
        std::fs::write(
            &cfg,
            format!(
                "integrations:\n  gitea:\n    - host: {}\n      baseUrl: {}\n      username: {}\n      password: {}\nscaffolder:\n  defaultCommitSigningKey: {}",
                fake.host(),
                fake.base_url(),
                crate::backstage_record_gitlab::GITEA_USER,
                crate::backstage_record_gitlab::GITEA_PASSWORD,
                key_block(4)
            ),
        )
        .unwrap();
        let out = run(&env, &t, Some(&cfg), &["--no-checkout"]);
        assert!(out.status.success(), "{}", stderr(&out));
        // Signing changes no call: the same as Backstage's unsigned publish.
        let calls: Vec<Value> = fake
            .calls()
            .iter()
            .map(|c| json!({"method": c.method, "path": c.path, "body": c.body}))
            .collect();
        assert_eq!(Value::Array(calls), fixture("gitea-publish")["calls"]);
        assert_signed_by_test_key(&fake.repo_path("acme/demo"), "main");
        // The same template into the local forge: signed there too.
        let out = run(&env, &t, Some(&cfg), &["--local", "--no-checkout"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_signed_by_test_key(&forge_repo(&env, &fake.host(), "acme/demo"), "main");
    }
}
