//! Publishing for real: the golden binary against a fake GitHub on 127.0.0.1 (REST calls
//! recorded, pushes served by `git http-backend`) and against the local forge. The pushed commit
//! is read back with git2 and compared with the workspace `--dry-run` renders.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::fake_github::{branch_files, dir_files, FakeGithub};
use crate::support::TestContext;

const TOKEN: &str = "ghp_test_token_1234";

/// A recorded Backstage run (`tests/it/fixtures/backstage-github/NAME.json`): the action's
/// input, the REST calls Backstage 4.3's GitHub module made against the fake, and whether it
/// succeeded. `backstage_record.rs` regenerates them.
pub fn fixture(name: &str) -> Value {
    let p = crate::support::root()
        .join("tests/it/fixtures/backstage-github")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

/// A call as the fixtures keep it (sealed secrets vary from run to run, so they are replaced).
pub fn recorded(c: &crate::fake_github::Call) -> Value {
    let mut body = c.body.clone();
    if body.get("encrypted_value").is_some() {
        body["encrypted_value"] = json!("<sealed>");
    }
    json!({"method": c.method, "path": c.path, "body": body})
}

/// golden made the same REST calls, in the same order and with the same bodies, as Backstage.
fn assert_calls_match_backstage(fake: &FakeGithub, name: &str) {
    let expected = fixture(name)["calls"].clone();
    let actual = Value::Array(fake.calls().iter().map(recorded).collect());
    assert_eq!(
        actual, expected,
        "golden's calls differ from Backstage's ({name}.json)"
    );
}

/// A template with a skeleton and a step `publish` running `action` with `input` (YAML lines,
/// indented by 8).
pub(crate) fn template_with(dir: &Path, action: &str, input: &str) -> PathBuf {
    let t = dir.join("template");
    std::fs::create_dir_all(t.join("skeleton/src")).unwrap();
    std::fs::write(
        t.join("template.yaml"),
        format!(
            r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: publish-test
spec:
  type: service
  parameters:
    - required: [name, owner]
      properties:
        name: {{type: string}}
        owner: {{type: string}}
  steps:
    - id: fetch
      name: Fetch
      action: fetch:template
      input:
        url: ./skeleton
        values:
          name: ${{{{ parameters.name }}}}
    - id: publish
      name: Publish
      action: {action}
      input:
{input}
  output:
    links:
      - title: Repository
        url: ${{{{ steps.publish.output.remoteUrl }}}}
      - title: Contents
        url: ${{{{ steps.publish.output.repoContentsUrl }}}}
"#
        ),
    )
    .unwrap();
    std::fs::write(
        t.join("skeleton/README.md"),
        "# ${{ values.name }}\n\nA service.\n",
    )
    .unwrap();
    std::fs::write(
        t.join("skeleton/src/main.go"),
        "package main\n\n// ${{ values.name }}\nfunc main() {}\n",
    )
    .unwrap();
    std::fs::write(t.join("skeleton/.editorconfig"), "root = true\n").unwrap();
    t
}

/// `publish:github` of `OWNER/NAME` (from the parameters) with extra input lines.
fn template(dir: &Path, publish_input: &str) -> PathBuf {
    let input = format!("        repoUrl: github.com?owner=${{{{ parameters.owner }}}}&repo=${{{{ parameters.name }}}}\n{publish_input}");
    template_with(dir, "publish:github", input.trim_end())
}

/// The template running a fixture's action with the fixture's input, as Backstage ran it.
fn template_from(dir: &Path, name: &str) -> PathBuf {
    let f = fixture(name);
    let mut input = f["input"].clone();
    // The sealed secret comes from the task secrets, so that masking is checked too.
    if input.pointer("/secrets/API_KEY").is_some() {
        input["secrets"]["API_KEY"] = json!("${{ secrets.apiKey }}");
    }
    let lines: Vec<String> = input
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("        {k}: {v}"))
        .collect();
    template_with(dir, f["action"].as_str().unwrap(), &lines.join("\n"))
}

/// A publish test's hermetic context (see `support::TestContext`), plus no `gh` on PATH: nothing
/// reaches beyond 127.0.0.1.
pub(crate) struct Env {
    ctx: TestContext,
}

impl Env {
    pub(crate) fn new() -> Env {
        Env {
            ctx: TestContext::new(),
        }
    }
    pub(crate) fn path(&self) -> &Path {
        self.ctx.path()
    }
    pub(crate) fn work(&self) -> PathBuf {
        self.ctx.work()
    }
    pub(crate) fn home(&self) -> PathBuf {
        self.ctx.home()
    }
    /// A config file pointing github.com at the fake, with `token`.
    pub(crate) fn config(&self, fake: &FakeGithub, token: &str) -> PathBuf {
        self.ctx.write("github-config.yaml", &format!("integrations:\n  github:\n    - host: github.com\n      apiBaseUrl: {}\n      token: {token}\n", fake.api_base_url()))
    }
    /// golden in the work folder, with `config` (else an empty config file); workspaces kept
    /// after a failure land in the context's TMPDIR.
    pub(crate) fn golden(&self, config: Option<&Path>) -> assert_cmd::Command {
        let mut cmd = self.ctx.golden();
        cmd.current_dir(self.work())
            .env("PATH", self.path().join("empty-path"));
        if let Some(c) = config {
            cmd.env("GOLDEN_CONFIG", c);
        }
        cmd
    }
    /// The workspace the template renders to, from `--dry-run`.
    pub(crate) fn rendered(&self, template: &Path, name: &str, owner: &str) -> PathBuf {
        let out = self.path().join(format!("rendered-{owner}-{name}"));
        let empty = self.path().join("empty-config.yaml");
        std::fs::write(&empty, "{}\n").unwrap();
        self.golden(Some(&empty))
            .args([
                "new",
                template.to_str().unwrap(),
                "--no-input",
                "--dry-run",
                "--record", // a real run commits the record too
                "--output",
                out.to_str().unwrap(),
            ])
            .args([
                "--set",
                &format!("name={name}"),
                "--set",
                &format!("owner={owner}"),
            ])
            .assert()
            .success();
        out
    }
}

pub(crate) fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn body<'a>(fake_calls: &'a [crate::fake_github::Call], line: &str) -> &'a Value {
    let (m, p) = line.split_once(' ').unwrap();
    &fake_calls
        .iter()
        .find(|c| c.method == m && c.path == p)
        .unwrap_or_else(|| panic!("no call {line}"))
        .body
}

#[test]
fn org_owner_creates_configures_pushes_and_protects() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    fake.add_org("acme", &["platform", "sre"]);
    let t = template_from(env.path(), "publish-org");
    let config = env.config(&fake, TOKEN);
    let out = env
        .golden(Some(&config))
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(!err.contains(TOKEN), "the token is never printed");

    assert_eq!(
        fake.call_lines(),
        [
            "GET /users/acme",
            "GET /orgs/acme/teams/platform",
            "POST /orgs/acme/repos",
            "PUT /orgs/acme/teams/platform/repos/acme/svc",
            "PUT /repos/acme/svc/collaborators/jane",
            "PUT /orgs/acme/teams/sre/repos/acme/svc",
            "PUT /repos/acme/svc/topics",
            "PUT /repos/acme/svc/branches/main/protection",
        ]
    );
    assert_calls_match_backstage(&fake, "publish-org");
    let calls = fake.calls();
    assert_eq!(
        body(&calls, "POST /orgs/acme/repos"),
        &json!({
            "allow_auto_merge": false, "allow_merge_commit": true, "allow_rebase_merge": true,
            "allow_squash_merge": true, "allow_update_branch": false, "delete_branch_on_merge": false,
            "description": "The svc service", "name": "svc", "private": false,
            "squash_merge_commit_message": "COMMIT_MESSAGES", "squash_merge_commit_title": "COMMIT_OR_PR_TITLE",
            "visibility": "internal"
        })
    );
    assert_eq!(
        body(&calls, "PUT /orgs/acme/teams/platform/repos/acme/svc"),
        &json!({"permission": "admin"})
    );
    assert_eq!(
        body(&calls, "PUT /repos/acme/svc/collaborators/jane"),
        &json!({"permission": "push"})
    );
    assert_eq!(
        body(&calls, "PUT /orgs/acme/teams/sre/repos/acme/svc"),
        &json!({"permission": "maintain"})
    );
    assert_eq!(
        body(&calls, "PUT /repos/acme/svc/topics"),
        &json!({"names": ["go", "backend"]})
    );
    assert_eq!(
        body(&calls, "PUT /repos/acme/svc/branches/main/protection"),
        &json!({
            "required_status_checks": {"strict": true, "contexts": ["build"]},
            "restrictions": null,
            "enforce_admins": true,
            "required_pull_request_reviews": {
                "required_approving_review_count": 2, "require_code_owner_reviews": true,
                "dismiss_stale_reviews": false, "require_last_push_approval": false
            },
            "required_conversation_resolution": false,
            "required_linear_history": false,
            "block_creations": false
        })
    );

    // The pushed commit holds exactly the rendered workspace.
    let bare = fake.repo_path("acme", "svc");
    let rendered = env.rendered(&t, "svc", "acme");
    assert_eq!(branch_files(&bare, "main"), dir_files(&rendered));
    let repo = git2::Repository::open_bare(&bare).unwrap();
    let head = repo
        .find_reference("refs/heads/main")
        .unwrap()
        .peel_to_commit()
        .unwrap();
    assert_eq!(head.message().unwrap(), "first commit");
    assert_eq!(head.author().name().unwrap(), "Golden Test");
    assert_eq!(head.committer().email().unwrap(), "golden@example.com");
    assert_eq!(head.parent_count(), 0);

    // Cloned into ./svc, and the links printed.
    assert_eq!(dir_files(&env.work().join("svc")), dir_files(&rendered));
    assert!(
        err.contains(&format!(
            "{}/git/acme/svc.git",
            fake.api_base_url().trim_end_matches("/api/v3")
        )),
        "{err}"
    );
    assert!(err.contains("/acme/svc/blob/main"), "{err}");
}

#[test]
fn user_owner_creates_for_the_authenticated_user() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "jane");
    let t = template_from(env.path(), "publish-user");
    let config = env.config(&fake, TOKEN);
    let out = env
        .golden(Some(&config))
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--set",
            "name=tool",
            "--set",
            "owner=jane",
            "--checkout",
            "co",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fake.call_lines(),
        [
            "GET /users/jane",
            "POST /user/repos",
            "PUT /repos/jane/tool/topics"
        ]
    );
    assert_calls_match_backstage(&fake, "publish-user");
    let calls = fake.calls();
    let create = body(&calls, "POST /user/repos");
    assert_eq!(create["name"], json!("tool"));
    assert_eq!(
        create["private"],
        json!(false),
        "internal on a user account is not private"
    );
    assert!(
        create.get("visibility").is_none(),
        "user repositories get no visibility: {create}"
    );
    let rendered = env.rendered(&t, "tool", "jane");
    let pushed = branch_files(&fake.repo_path("jane", "tool"), "main");
    assert_eq!(pushed, dir_files(&rendered));
    assert_eq!(dir_files(&env.work().join("co")), pushed);
    let repo = git2::Repository::open_bare(fake.repo_path("jane", "tool")).unwrap();
    let head = repo
        .find_reference("refs/heads/main")
        .unwrap()
        .peel_to_commit()
        .unwrap();
    assert_eq!(
        (head.message().unwrap(), head.author().name().unwrap()),
        ("initial commit", "Scaffolder")
    );
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
}

#[test]
fn a_user_owner_other_than_the_token_user_is_warned_about() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    fake.add_user("jane");
    let t = template(env.path(), "        protectDefaultBranch: false");
    let config = env.config(&fake, TOKEN);
    let out = env
        .golden(Some(&config))
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--no-checkout",
            "--set",
            "name=tool",
            "--set",
            "owner=jane",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fake.call_lines(), ["GET /users/jane", "POST /user/repos"]);
    assert!(fake.repo_path("octocat", "tool").is_dir());
    assert!(stderr(&out).contains("warning: step `publish`: GitHub created the repository for the token's user octocat, not for jane"), "{}", stderr(&out));
}

#[test]
fn an_existing_repository_is_an_error_and_left_alone() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    fake.add_org("acme", &[]);
    fake.add_repo("acme", "svc");
    let t = template_from(env.path(), "publish-existing");
    let config = env.config(&fake, TOKEN);
    let out = env
        .golden(Some(&config))
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("step `publish`"), "{err}");
    assert!(err.contains("acme/svc already exists"), "{err}");
    assert!(
        err.contains("name already exists on this account"),
        "GitHub's own words: {err}"
    );
    assert!(err.contains("nothing was created"), "{err}");
    assert_eq!(
        fake.call_lines(),
        ["GET /users/acme", "POST /orgs/acme/repos"]
    );
    assert_calls_match_backstage(&fake, "publish-existing");
    let files = branch_files(&fake.repo_path("acme", "svc"), "main");
    assert_eq!(files.keys().collect::<Vec<_>>(), ["README.md"]);
    assert_eq!(files["README.md"], b"existing\n");
    assert!(!env.work().join("svc").exists());
}

#[test]
fn a_server_error_is_retried_then_succeeds() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    fake.add_org("acme", &[]);
    fake.fail("POST", "/orgs/acme/repos", 500, 1);
    let t = template_from(env.path(), "publish-500");
    let config = env.config(&fake, TOKEN);
    let out = env
        .golden(Some(&config))
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
            "--no-checkout",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fake.call_lines(),
        [
            "GET /users/acme",
            "POST /orgs/acme/repos",
            "POST /orgs/acme/repos"
        ]
    );
    assert_calls_match_backstage(&fake, "publish-500");
    let calls = fake.calls();
    assert_eq!(
        calls[1].body, calls[2].body,
        "the retry sends the same request"
    );
    assert!(!branch_files(&fake.repo_path("acme", "svc"), "main").is_empty());
    assert!(
        !env.work().join("svc").exists(),
        "--no-checkout skips the clone"
    );
}

#[test]
fn a_refused_token_is_explained() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    fake.add_org("acme", &[]);
    let t = template_from(env.path(), "publish-401");
    let config = env.config(&fake, "ghp_wrong_token");
    let out = env
        .golden(Some(&config))
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("401 Bad credentials"), "{err}");
    assert!(
        err.contains("hint:") && err.contains("token for github.com was refused"),
        "{err}"
    );
    assert!(
        !err.contains("ghp_wrong_token"),
        "the token is never printed: {err}"
    );
    assert_eq!(
        fake.call_lines(),
        ["GET /users/acme"],
        "nothing is retried or created after a 401"
    );
    assert_calls_match_backstage(&fake, "publish-401");
}

#[test]
fn no_token_at_all_names_the_ways_to_give_one() {
    let env = Env::new();
    let t = template(env.path(), "");
    let out = env
        .golden(None)
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("No token available for host: github.com"),
        "{err}"
    );
    assert!(err.contains("--local"), "{err}");
}

// The same scenarios through the local forge.

fn forge_repo(env: &Env, owner: &str, name: &str) -> PathBuf {
    env.home()
        .join("forge/github.com")
        .join(owner)
        .join(format!("{name}.git"))
}

#[test]
fn local_forge_publishes_and_clones() {
    let env = Env::new();
    let t = template_from(env.path(), "publish-org");
    let out = env
        .golden(None)
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--local",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let bare = forge_repo(&env, "acme", "svc");
    let rendered = env.rendered(&t, "svc", "acme");
    assert_eq!(branch_files(&bare, "main"), dir_files(&rendered));
    assert_eq!(dir_files(&env.work().join("svc")), dir_files(&rendered));
    let repo = git2::Repository::open_bare(&bare).unwrap();
    let head = repo
        .find_reference("refs/heads/main")
        .unwrap()
        .peel_to_commit()
        .unwrap();
    assert_eq!(head.message().unwrap(), "first commit");
    assert_eq!(repo.head().unwrap().name().unwrap(), "refs/heads/main");
    // Settings GitHub would apply are recorded beside the repository.
    let settings: Value =
        serde_json::from_str(&std::fs::read_to_string(bare.join("golden/settings.json")).unwrap())
            .unwrap();
    assert_eq!(settings[0]["topics"], json!(["Go", "Backend"]));
    assert_eq!(
        settings[0]["collaborators"][0]["user"],
        json!("user:default/jane")
    );
    let err = stderr(&out);
    let url = url::Url::from_file_path(&bare).unwrap().to_string();
    assert!(
        err.contains(&url),
        "remoteUrl is the forge's file:// URL: {err}"
    );
    assert!(err.contains(&format!("{url}/blob/main")), "{err}");
    // `git clone` of the printed URL gives the generated project.
    let again = env.path().join("again");
    let st = std::process::Command::new("git")
        .args(["clone", "-q", &url, again.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(dir_files(&again), dir_files(&rendered));
}

#[test]
fn local_forge_user_owner_and_checkout_dir() {
    let env = Env::new();
    let t = template_from(env.path(), "publish-user");
    let out = env
        .golden(None)
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--local",
            "--set",
            "name=tool",
            "--set",
            "owner=jane",
            "--checkout",
            "co",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let rendered = env.rendered(&t, "tool", "jane");
    assert_eq!(
        branch_files(&forge_repo(&env, "jane", "tool"), "main"),
        dir_files(&rendered)
    );
    assert_eq!(dir_files(&env.work().join("co")), dir_files(&rendered));
}

#[test]
fn local_forge_refuses_an_existing_repository() {
    let env = Env::new();
    let t = template(env.path(), "");
    let run = || {
        env.golden(None)
            .args([
                "new",
                t.to_str().unwrap(),
                "--no-input",
                "--local",
                "--set",
                "name=svc",
                "--set",
                "owner=acme",
                "--no-checkout",
            ])
            .output()
            .unwrap()
    };
    assert!(run().status.success());
    let bare = forge_repo(&env, "acme", "svc");
    let before = branch_files(&bare, "main");
    let head = |p: &Path| {
        git2::Repository::open_bare(p)
            .unwrap()
            .refname_to_id("refs/heads/main")
            .unwrap()
    };
    let id = head(&bare);
    let out = run();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("acme/svc already exists in the local forge"),
        "{err}"
    );
    assert!(err.contains("step `publish`"), "{err}");
    assert_eq!(head(&bare), id, "the repository is left alone");
    assert_eq!(branch_files(&bare, "main"), before);
}

#[test]
fn local_forge_is_the_config_default() {
    let env = Env::new();
    let t = template(env.path(), "");
    let config = env.path().join("local.yaml");
    std::fs::write(&config, "local: true\n").unwrap();
    let out = env
        .golden(Some(&config))
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
            "--no-checkout",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(forge_repo(&env, "acme", "svc").is_dir());
}

#[test]
fn a_later_failure_names_what_was_created() {
    let env = Env::new();
    let t = template(env.path(), "");
    let yaml = std::fs::read_to_string(t.join("template.yaml")).unwrap();
    let yaml = yaml.replace("  output:\n", "    - id: wait\n      name: Wait too long\n      action: debug:wait\n      input:\n        minutes: 11\n  output:\n");
    std::fs::write(t.join("template.yaml"), yaml).unwrap();
    let out = env
        .golden(None)
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--local",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("step `wait` (debug:wait) failed"), "{err}");
    assert!(
        err.contains("steps `fetch`, `publish` had run before it"),
        "{err}"
    );
    assert!(
        err.contains("already created: the local-forge repository acme/svc"),
        "{err}"
    );
    assert!(
        err.contains("golden never overwrites a repository"),
        "{err}"
    );
    assert!(
        !env.work().join("svc").exists(),
        "nothing is cloned after a failure"
    );
}

/// The README's first command: the built-in golden path into the local forge, no token, no
/// network.
#[test]
fn go_microservice_into_the_local_forge() {
    let env = Env::new();
    let values = crate::support::root().join("examples/go-microservice.yaml");
    let values = values.to_str().unwrap();
    let out = env
        .golden(None)
        .args([
            "new",
            "go-microservice",
            "--local",
            "--no-input",
            "--values",
            values,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let bare = forge_repo(&env, "acme", "demo");
    let rendered = env.path().join("rendered");
    env.golden(None)
        .args([
            "new",
            "go-microservice",
            "--no-input",
            "--values",
            values,
            "--dry-run",
            "--record",
            "--output",
            rendered.to_str().unwrap(),
        ])
        .assert()
        .success();
    let pushed = branch_files(&bare, "main");
    assert!(
        pushed.contains_key("go.mod") && pushed.contains_key("catalog-info.yaml"),
        "{:?}",
        pushed.keys()
    );
    assert_eq!(pushed, dir_files(&rendered));
    assert_eq!(
        dir_files(&env.work().join("demo")),
        pushed,
        "the clone holds the rendered service"
    );
}

/// Steps after a repository exists: a pull request, a webhook, a workflow dispatch.
fn follow_up_steps(dir: &Path, with_publish: bool) -> PathBuf {
    let t = template(dir, "        protectDefaultBranch: false");
    let yaml = std::fs::read_to_string(t.join("template.yaml")).unwrap();
    let yaml = yaml.replace(
        "    - id: publish\n",
        &format!("    - id: publish\n      if: {}\n", with_publish),
    );
    let pr_input: Vec<String> = fixture("pull-request")["input"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("        {k}: {v}"))
        .collect();
    let steps = r#"    - id: pr
      name: Pull request
      action: publish:github:pull-request
      input:
PR_INPUT
    - id: hook
      name: Webhook
      action: github:webhook
      input:
        repoUrl: github.com?owner=${{ parameters.owner }}&repo=${{ parameters.name }}
        webhookUrl: https://ci.example.com/hook
        webhookSecret: s3cr3t-hook
        events: [push, pull_request]
        contentType: json
    - id: dispatch
      name: Dispatch
      action: github:actions:dispatch
      input:
        repoUrl: github.com?owner=${{ parameters.owner }}&repo=${{ parameters.name }}
        workflowId: ci.yaml
        branchOrTagName: main
        workflowInputs:
          level: "1"
  output:
    links:
      - title: Pull request
        url: ${{ steps.pr.output.remoteUrl }}
"#;
    let steps = steps.replace("PR_INPUT", &pr_input.join("\n"));
    let cut = yaml.find("  output:").unwrap();
    std::fs::write(t.join("template.yaml"), format!("{}{steps}", &yaml[..cut])).unwrap();
    t
}

#[test]
fn pull_request_webhook_and_dispatch_on_github() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    fake.add_org("acme", &["sre"]);
    fake.add_repo_files("acme", "svc", crate::backstage_record::PR_BASE);
    let t = follow_up_steps(env.path(), false);
    let config = env.config(&fake, TOKEN);
    let out = env
        .golden(Some(&config))
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // The pull request's calls are Backstage's, byte for byte (blob contents, tree, commit, the
    // GraphQL query, the ref, the pull request, reviewers, assignees), then the webhook and the
    // dispatch.
    let calls = fake.calls();
    let recorded_calls: Vec<Value> = calls.iter().map(recorded).collect();
    let pr = fixture("pull-request")["calls"].as_array().unwrap().clone();
    assert_eq!(recorded_calls[..pr.len()], pr[..]);
    assert_eq!(
        recorded_calls[pr.len()..pr.len() + 1],
        fixture("webhook")["calls"].as_array().unwrap()[..]
    );
    assert_eq!(
        recorded_calls[pr.len() + 1..],
        fixture("dispatch")["calls"].as_array().unwrap()[..]
    );
    assert_eq!(
        body(&calls, "POST /repos/acme/svc/pulls"),
        &json!({"title": "Add the service", "head": "acme:feat", "base": "main", "body": "Generated by golden", "draft": false})
    );
    // The branch holds main's files, minus the deleted one, plus the rendered ones under targetPath.
    let bare = fake.repo_path("acme", "svc");
    let rendered = env.rendered(&t, "svc", "acme");
    let mut expected: std::collections::BTreeMap<String, Vec<u8>> = dir_files(&rendered)
        .into_iter()
        .map(|(k, v)| (format!("sub/{k}"), v))
        .collect();
    expected.insert("README.md".into(), b"existing\n".to_vec());
    assert_eq!(branch_files(&bare, "feat"), expected);
    let repo = git2::Repository::open_bare(&bare).unwrap();
    let feat = repo
        .find_reference("refs/heads/feat")
        .unwrap()
        .peel_to_commit()
        .unwrap();
    assert_eq!(
        feat.parent_id(0).unwrap(),
        repo.refname_to_id("refs/heads/main").unwrap()
    );
    assert_eq!(feat.message().unwrap(), "Add the service");
    let err = stderr(&out);
    assert!(
        err.contains("/pull/1"),
        "the pull request link is printed: {err}"
    );
    assert!(
        !env.work().join("svc").exists(),
        "a pull request is not cloned"
    );
}

#[test]
fn pull_request_webhook_and_dispatch_in_the_local_forge() {
    let env = Env::new();
    let t = follow_up_steps(env.path(), true);
    let out = env
        .golden(None)
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--local",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
            "--no-checkout",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let bare = forge_repo(&env, "acme", "svc");
    let main = branch_files(&bare, "main");
    let feat = branch_files(&bare, "feat");
    for (k, v) in &main {
        assert_eq!(
            feat.get(&format!("sub/{k}")),
            Some(v),
            "{k} is under targetPath on the branch"
        );
        assert_eq!(feat.get(k), Some(v), "{k} of main is kept");
    }
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(bare.join("golden").join(name)).unwrap())
            .unwrap()
    };
    let pulls = read("pulls.json");
    assert_eq!(
        (
            pulls[0]["head"].as_str(),
            pulls[0]["base"].as_str(),
            pulls[0]["title"].as_str()
        ),
        (Some("feat"), Some("main"), Some("Add the service"))
    );
    let hooks = read("hooks.json");
    assert_eq!(
        hooks[0]["config"]["url"],
        json!("https://ci.example.com/hook")
    );
    assert_eq!(
        hooks[0]["config"]["secret"],
        json!("***"),
        "secrets are never saved"
    );
    assert_eq!(read("dispatches.json")[0]["workflow_id"], json!("ci.yaml"));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{}/pull/1",
            url::Url::from_file_path(&bare).unwrap()
        )),
        "{err}"
    );
    assert!(
        err.contains("webhooks are not delivered"),
        "the forge says what it did not do: {err}"
    );
}

#[test]
fn variables_and_sealed_secrets() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    fake.add_org("acme", &[]);
    let t = template_from(env.path(), "publish-secrets");
    let secrets = env.path().join("secrets.yaml");
    std::fs::write(&secrets, "apiKey: s3cr3t-api-value\n").unwrap();
    let config = env.config(&fake, TOKEN);
    let out = env
        .golden(Some(&config))
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--json",
            "--no-checkout",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .args(["--secrets", secrets.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fake.call_lines(),
        [
            "GET /users/acme",
            "POST /orgs/acme/repos",
            "POST /repos/acme/svc/actions/variables",
            "GET /repos/acme/svc/actions/secrets/public-key",
            "PUT /repos/acme/svc/actions/secrets/API_KEY"
        ]
    );
    assert_calls_match_backstage(&fake, "publish-secrets");
    let calls = fake.calls();
    assert_eq!(
        body(&calls, "POST /repos/acme/svc/actions/variables"),
        &json!({"name": "REGION", "value": "eu-west-1"})
    );
    let sealed = body(&calls, "PUT /repos/acme/svc/actions/secrets/API_KEY");
    assert_eq!(sealed["key_id"], json!("568250167242549743"));
    assert_eq!(
        fake.unseal(sealed["encrypted_value"].as_str().unwrap()),
        "s3cr3t-api-value"
    );
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(
        !all.contains("s3cr3t-api-value") && !all.contains(TOKEN),
        "secrets and tokens are never printed: {all}"
    );
}

#[test]
fn a_misspelt_owner_and_an_unknown_host_are_explained() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    let t = template(env.path(), "");
    let config = env.config(&fake, TOKEN);
    let out = env
        .golden(Some(&config))
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--set",
            "name=svc",
            "--set",
            "owner=acmee",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(
            "cannot look up the owner `acmee`: GitHub answered 404 Not Found to GET /users/acmee"
        ),
        "{err}"
    );
    assert!(
        err.contains("check the owner and repository spelling"),
        "{err}"
    );

    let t2 = env.path().join("t2");
    std::fs::create_dir_all(&t2).unwrap();
    let yaml = std::fs::read_to_string(t.join("template.yaml"))
        .unwrap()
        .replace("repoUrl: github.com?", "repoUrl: ghe.example.com?");
    std::fs::write(t2.join("template.yaml"), yaml).unwrap();
    std::fs::create_dir_all(t2.join("skeleton")).unwrap();
    let out = env
        .golden(Some(&config))
        .args([
            "new",
            t2.to_str().unwrap(),
            "--no-input",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("No matching integration configuration for host ghe.example.com"),
        "{err}"
    );
    assert_eq!(
        fake.call_lines(),
        ["GET /users/acmee"],
        "nothing reaches beyond the configured hosts"
    );
}

#[test]
fn a_push_the_server_declines_fails_the_step_and_names_the_new_repository() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    fake.add_org("acme", &[]);
    fake.decline_pushes();
    let t = template(env.path(), "");
    let config = env.config(&fake, TOKEN);
    let out = env
        .golden(Some(&config))
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("cannot push to acme/svc: the server rejected the push: refs/heads/main: pre-receive hook declined"), "{err}");
    assert!(
        err.contains("already created: the GitHub repository acme/svc"),
        "{err}"
    );
    assert_eq!(
        fake.call_lines(),
        ["GET /users/acme", "POST /orgs/acme/repos"],
        "no branch protection after a failed push"
    );
    assert!(git2::Repository::open_bare(fake.repo_path("acme", "svc"))
        .unwrap()
        .is_empty()
        .unwrap());
}

#[test]
fn tokens_come_from_the_config_then_the_environment_for_github_com_only() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    fake.add_org("acme", &[]);
    // github.com without a token in the config: GITHUB_TOKEN is used.
    let config = env.path().join("env-token.yaml");
    std::fs::write(
        &config,
        format!(
            "integrations:\n  github:\n    - host: github.com\n      apiBaseUrl: {}\n",
            fake.api_base_url()
        ),
    )
    .unwrap();
    let t = template(env.path(), "        protectDefaultBranch: false");
    let out = env
        .golden(Some(&config))
        .env("GITHUB_TOKEN", TOKEN)
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--no-checkout",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fake.call_lines(),
        ["GET /users/acme", "POST /orgs/acme/repos"]
    );

    // GitHub Enterprise through apiBaseUrl: its own token, never GITHUB_TOKEN.
    let ghe = env.path().join("ghe.yaml");
    let write_ghe = |token: &str| {
        std::fs::write(&ghe, format!("integrations:\n  github:\n    - host: ghe.example.com\n      apiBaseUrl: {}\n{token}", fake.api_base_url())).unwrap()
    };
    let t2 = env.path().join("ghe-template");
    std::fs::create_dir_all(&t2).unwrap();
    let yaml = std::fs::read_to_string(t.join("template.yaml"))
        .unwrap()
        .replace("repoUrl: github.com?", "repoUrl: ghe.example.com?");
    std::fs::write(t2.join("template.yaml"), yaml).unwrap();
    let mut copy = std::process::Command::new("cp");
    assert!(copy
        .args([
            "-r",
            t.join("skeleton").to_str().unwrap(),
            t2.to_str().unwrap()
        ])
        .status()
        .unwrap()
        .success());
    write_ghe("");
    let run = |name: &str| {
        env.golden(Some(&ghe))
            .env("GITHUB_TOKEN", TOKEN)
            .args([
                "new",
                t2.to_str().unwrap(),
                "--no-input",
                "--no-checkout",
                "--set",
                &format!("name={name}"),
                "--set",
                "owner=acme",
            ])
            .output()
            .unwrap()
    };
    let out = run("svc2");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("No token available for host: ghe.example.com"),
        "{}",
        stderr(&out)
    );
    write_ghe("      token: ${GHE_TOKEN_FOR_TEST}\n");
    let out = {
        let mut cmd = env.golden(Some(&ghe));
        cmd.env("GHE_TOKEN_FOR_TEST", TOKEN);
        cmd.args([
            "new",
            t2.to_str().unwrap(),
            "--no-input",
            "--no-checkout",
            "--set",
            "name=svc3",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap()
    };
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fake.call_lines()[2..],
        ["GET /users/acme", "POST /orgs/acme/repos"]
    );
    assert!(!branch_files(&fake.repo_path("acme", "svc3"), "main").is_empty());
}

#[test]
fn pull_request_update_moves_the_branch_and_updates_the_pull_request() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    fake.add_repo_files("acme", "svc", crate::backstage_record::PR_BASE);
    let t = template_from(env.path(), "pull-request-update");
    let config = env.config(&fake, TOKEN);
    for _ in 0..2 {
        let out = env
            .golden(Some(&config))
            .args([
                "new",
                t.to_str().unwrap(),
                "--no-input",
                "--set",
                "name=svc",
                "--set",
                "owner=acme",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stderr(&out).contains("/pull/1"), "{}", stderr(&out));
    }
    assert_calls_match_backstage(&fake, "pull-request-update");
    let repo = git2::Repository::open_bare(fake.repo_path("acme", "svc")).unwrap();
    let feat = repo
        .find_reference("refs/heads/feat")
        .unwrap()
        .peel_to_commit()
        .unwrap();
    assert_eq!(
        (feat.message().unwrap(), feat.author().name().unwrap()),
        ("Render the service", "Golden Test")
    );
}

#[test]
fn an_open_pull_request_without_update_is_an_error() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    fake.add_repo_files("acme", "svc", crate::backstage_record::PR_BASE);
    let t = template_from(env.path(), "pull-request-update");
    let yaml = std::fs::read_to_string(t.join("template.yaml"))
        .unwrap()
        .replace("update: true", "update: false");
    std::fs::write(t.join("template.yaml"), yaml).unwrap();
    let config = env.config(&fake, TOKEN);
    let run = || {
        env.golden(Some(&config))
            .args([
                "new",
                t.to_str().unwrap(),
                "--no-input",
                "--set",
                "name=svc",
                "--set",
                "owner=acme",
            ])
            .output()
            .unwrap()
    };
    assert!(run().status.success());
    let out = run();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("Pull request already exists") && err.contains("Set update=true"),
        "{err}"
    );
    assert_eq!(
        fake.call_lines()
            .iter()
            .filter(|c| c.starts_with("PATCH"))
            .count(),
        0,
        "nothing is overwritten"
    );
}

/// `github:repo:create` then `github:repo:push`: the two halves of `publish:github`.
fn create_then_push(dir: &Path) -> PathBuf {
    let t = template_from(dir, "repo-create");
    let push: Vec<String> = fixture("repo-push")["input"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("        {k}: {v}"))
        .collect();
    let yaml = std::fs::read_to_string(t.join("template.yaml")).unwrap();
    let step = format!("    - id: push\n      name: Push\n      action: github:repo:push\n      input:\n{}\n  output:\n", push.join("\n"));
    std::fs::write(
        t.join("template.yaml"),
        yaml.replacen("  output:\n", &step, 1),
    )
    .unwrap();
    t
}

#[test]
fn repo_create_then_push_on_github() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    fake.add_org("acme", &[]);
    let t = create_then_push(env.path());
    let config = env.config(&fake, TOKEN);
    let out = env
        .golden(Some(&config))
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_calls_match_backstage(&fake, "repo-push");
    let rendered = env.rendered(&t, "svc", "acme");
    let pushed = branch_files(&fake.repo_path("acme", "svc"), "trunk");
    assert_eq!(pushed, dir_files(&rendered));
    assert_eq!(
        dir_files(&env.work().join("svc")),
        pushed,
        "the pushed branch is cloned"
    );
}

#[test]
fn repo_create_then_push_in_the_local_forge() {
    let env = Env::new();
    let t = create_then_push(env.path());
    let out = env
        .golden(None)
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--local",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let bare = forge_repo(&env, "acme", "svc");
    let rendered = env.rendered(&t, "svc", "acme");
    assert_eq!(branch_files(&bare, "trunk"), dir_files(&rendered));
    let repo = git2::Repository::open_bare(&bare).unwrap();
    assert_eq!(
        repo.head().unwrap().name().unwrap(),
        "refs/heads/trunk",
        "the first push decides the default branch"
    );
    assert_eq!(dir_files(&env.work().join("svc")), dir_files(&rendered));
    // Pushing again to a repository that has commits is refused, as on GitHub.
    let again = template_with(
        &env.path().join("again"),
        "github:repo:push",
        "        repoUrl: github.com?owner=acme&repo=svc\n        defaultBranch: trunk",
    );
    let out = env
        .golden(None)
        .args([
            "new",
            again.to_str().unwrap(),
            "--no-input",
            "--local",
            "--no-checkout",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot push to acme/svc"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        branch_files(&bare, "trunk"),
        dir_files(&rendered),
        "the branch is left alone"
    );
}

#[test]
fn every_repository_setting_is_sent_as_backstage_sends_it() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    fake.add_org("acme", &["platform"]);
    let t = template_from(env.path(), "publish-settings");
    let config = env.config(&fake, TOKEN);
    let out = env
        .golden(Some(&config))
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--no-checkout",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_calls_match_backstage(&fake, "publish-settings");
    assert!(!branch_files(&fake.repo_path("acme", "svc"), "develop").is_empty());
    assert!(
        stderr(&out).contains("/acme/svc/blob/develop"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn source_path_publishes_a_subfolder_and_cannot_leave_the_workspace() {
    let env = Env::new();
    // Leading `../` are dropped, as Backstage's getRepoSourceDirectory does.
    let t = template(env.path(), "        sourcePath: ../src");
    let out = env
        .golden(None)
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--local",
            "--no-checkout",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let files = branch_files(&forge_repo(&env, "acme", "svc"), "main");
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        [".golden.yaml", "main.go"]
    );

    let t = template_with(
        &env.path().join("escape"),
        "publish:github",
        "        repoUrl: github.com?owner=acme&repo=other\n        sourcePath: src/../../..",
    );
    let out = env
        .golden(None)
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--local",
            "--no-checkout",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "`src/../../..` normalizes to `..`, which is dropped: {}",
        stderr(&out)
    );
    assert_eq!(
        branch_files(&forge_repo(&env, "acme", "other"), "main").len(),
        4,
        "the whole workspace (3 files and the record), nothing outside it"
    );
}

#[test]
fn a_secondary_rate_limit_is_waited_out() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    fake.add_org("acme", &[]);
    fake.fail("GET", "/users/acme", 403, 1);
    let t = template(env.path(), "        protectDefaultBranch: false");
    let config = env.config(&fake, TOKEN);
    let out = env
        .golden(Some(&config))
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--no-checkout",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fake.call_lines(),
        [
            "GET /users/acme",
            "GET /users/acme",
            "POST /orgs/acme/repos"
        ]
    );
}

#[test]
fn a_blocked_git_push_falls_back_to_the_graphql_api() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    fake.add_org("acme", &[]);
    fake.block_git();
    let t = template_from(env.path(), "publish-api-fallback");
    let config = env.config(&fake, TOKEN);
    let out = env
        .golden(Some(&config))
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("retrying via GitHub API"), "{err}");
    // Backstage's octokit retries the "Git Repository is empty" 409 three more times; golden
    // does not retry a 409. Otherwise the calls are the same.
    let mut expected = fixture("publish-api-fallback")["calls"]
        .as_array()
        .unwrap()
        .clone();
    let first_ref = expected
        .iter()
        .position(|c| c["path"].as_str().unwrap().contains("/git/ref/"))
        .unwrap();
    expected.drain(first_ref + 1..first_ref + 4);
    let mut actual: Vec<Value> = fake.calls().iter().map(recorded).collect();
    // golden's record (.golden.yaml) is one more file of the commit; otherwise as Backstage.
    let additions = actual
        .iter_mut()
        .find(|c| c["path"] == "/graphql")
        .and_then(|c| c.pointer_mut("/body/variables/input/fileChanges/additions"))
        .and_then(Value::as_array_mut)
        .unwrap();
    let before = additions.len();
    additions.retain(|a| a["path"] != ".golden.yaml");
    assert_eq!(additions.len(), before - 1, "the record is committed");
    assert_eq!(actual, expected);
    // The commit holds the rendered workspace and no .gitkeep.
    let rendered = env.rendered(&t, "svc", "acme");
    assert_eq!(
        branch_files(&fake.repo_path("acme", "svc"), "main"),
        dir_files(&rendered)
    );
    assert!(
        err.contains("cannot clone"),
        "the clone URL is still blocked, so the checkout only warns: {err}"
    );
}

#[test]
fn a_template_that_publishes_nothing_says_its_files_were_discarded() {
    let env = Env::new();
    let t = template_with(
        env.path(),
        "debug:log",
        "        message: nothing to publish",
    );
    let yaml = std::fs::read_to_string(t.join("template.yaml")).unwrap();
    let cut = yaml.find("  output:").unwrap();
    std::fs::write(t.join("template.yaml"), &yaml[..cut]).unwrap();
    let out = env
        .golden(None)
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--local",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("published nothing")
            && stderr(&out).contains("--dry-run --output DIR"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_dir(env.work()).unwrap().count(),
        0,
        "nothing is written to the current directory"
    );
}

#[test]
fn the_token_input_wins_over_the_config_and_is_never_shown() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    fake.add_org("acme", &[]);
    let t = template(
        env.path(),
        "        protectDefaultBranch: false\n        token: ${{ secrets.ghToken }}",
    );
    let secrets = env.path().join("secrets.yaml");
    std::fs::write(&secrets, format!("ghToken: {TOKEN}\n")).unwrap();
    let config = env.config(&fake, "ghp_config_token_that_is_wrong");
    let out = env
        .golden(Some(&config))
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--json",
            "-v",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
            "--secrets",
            secrets.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fake.call_lines(),
        ["GET /users/acme", "POST /orgs/acme/repos"]
    );
    assert_eq!(
        dir_files(&env.work().join("svc")).len(),
        4, // with the record
        "the clone used the same token"
    );
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(
        !all.contains(TOKEN) && !all.contains("ghp_config_token_that_is_wrong"),
        "{all}"
    );
    // Nothing golden wrote (the clone, its .git included) holds the token.
    let written: Vec<_> = walkdir::WalkDir::new(env.work())
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .collect();
    assert!(written.iter().any(|e| e.path().ends_with(".git/config")));
    for e in written {
        let bytes = std::fs::read(e.path()).unwrap();
        assert!(
            !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
            "{} holds the token",
            e.path().display()
        );
    }
}

#[test]
fn local_forge_pull_requests_update_or_refuse_like_github() {
    let env = Env::new();
    let t = follow_up_steps(env.path(), true);
    let run = |t: &Path, extra: &[&str]| {
        env.golden(None)
            .args([
                "new",
                t.to_str().unwrap(),
                "--no-input",
                "--local",
                "--no-checkout",
                "--set",
                "name=svc",
                "--set",
                "owner=acme",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    assert!(run(&t, &[]).status.success());
    // The same pull request again, on the existing repository: refused without `update`.
    let again = |update: bool| {
        let input = format!("        repoUrl: github.com?owner=acme&repo=svc\n        branchName: feat\n        title: Again\n        description: again\n        update: {update}");
        template_with(
            &env.path().join(format!("again-{update}")),
            "publish:github:pull-request",
            &input,
        )
    };
    let out = run(&again(false), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("Pull request already exists") && stderr(&out).contains("/pull/1"),
        "{}",
        stderr(&out)
    );
    // With update the branch moves and pull request 1 is updated, not duplicated.
    let out = run(&again(true), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let pulls: Value = serde_json::from_str(
        &std::fs::read_to_string(forge_repo(&env, "acme", "svc").join("golden/pulls.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(pulls.as_array().unwrap().len(), 1);
    assert_eq!(pulls[0]["title"], json!("Again"));
}

#[test]
fn http_proxy_carries_the_api_traffic() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    fake.add_org("acme", &[]);
    // The API host does not resolve: only the proxy (the fake itself) can answer.
    let config = env.path().join("proxied.yaml");
    std::fs::write(&config, format!("integrations:\n  github:\n    - host: github.com\n      apiBaseUrl: http://github.invalid/api/v3\n      token: {TOKEN}\n")).unwrap();
    let t = template(env.path(), "        protectDefaultBranch: false");
    let proxy = fake.api_base_url().trim_end_matches("/api/v3").to_string();
    let out = env
        .golden(Some(&config))
        .env("http_proxy", &proxy)
        .env("HTTP_PROXY", &proxy)
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--set",
            "name=svc",
            "--set",
            "owner=acme",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fake.call_lines(),
        ["GET /users/acme", "POST /orgs/acme/repos"]
    );
    // git goes through https proxies with CONNECT; for a plain-http remote like the fake's,
    // libgit2 connects directly, so only the API traffic is proven to take the proxy here.
    assert_eq!(
        branch_files(&fake.repo_path("acme", "svc"), "main").len(),
        4, // with the record
    );
    assert_eq!(dir_files(&env.work().join("svc")).len(), 4);
}

/// Each of the smaller GitHub actions makes the calls Backstage's module made for the same input
/// (`tests/it/fixtures/backstage-github/NAME.json`); the deploy key's private key arrives sealed.
#[test]
fn smaller_github_actions_make_backstages_calls() {
    for name in [
        "issues-create",
        "issues-label",
        "autolinks",
        "pages",
        "deploy-key",
        "branch-protection",
    ] {
        let env = Env::new();
        let fake = FakeGithub::start(TOKEN, "octocat");
        fake.add_repo("acme", "svc");
        let t = template_from(env.path(), name);
        let config = env.config(&fake, TOKEN);
        let out = env
            .golden(Some(&config))
            .args([
                "new",
                t.to_str().unwrap(),
                "--no-input",
                "--no-checkout",
                "--json",
            ])
            .args(["--set", "name=svc", "--set", "owner=acme"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert_calls_match_backstage(&fake, name);
        let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
        let step = plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == "publish")
            .unwrap()
            .clone();
        match name {
            "issues-create" => {
                assert_eq!(step["output"]["issueNumber"], json!(1), "{step}");
                assert!(step["output"]["issueUrl"]
                    .as_str()
                    .unwrap()
                    .ends_with("/acme/svc/issues/1"));
            }
            "deploy-key" => {
                assert_eq!(
                    step["output"],
                    json!({"privateKeySecretName": "GOLDEN_DEPLOY_PRIVATE_KEY"})
                );
                let sealed = body(
                    &fake.calls(),
                    "PUT /repos/acme/svc/actions/secrets/GOLDEN_DEPLOY_PRIVATE_KEY",
                )["encrypted_value"]
                    .as_str()
                    .unwrap()
                    .to_string();
                assert!(fake.unseal(&sealed).contains("BEGIN OPENSSH PRIVATE KEY"));
                assert!(
                    !stderr(&out).contains("BEGIN OPENSSH"),
                    "the private key is never printed"
                );
            }
            _ => {}
        }
    }
}

#[test]
fn smaller_github_actions_are_recorded_in_the_local_forge() {
    let env = Env::new();
    let t = template_from(env.path(), "publish-org");
    let out = env
        .golden(None)
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--local",
            "--no-checkout",
        ])
        .args(["--set", "name=svc", "--set", "owner=acme"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for name in [
        "issues-create",
        "deploy-key",
        "branch-protection",
        "autolinks",
        "pages",
    ] {
        let dir = env.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let t = template_from(&dir, name);
        let out = env
            .golden(None)
            .args([
                "new",
                t.to_str().unwrap(),
                "--no-input",
                "--local",
                "--no-checkout",
            ])
            .args(["--set", "name=svc", "--set", "owner=acme"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", stderr(&out));
    }
    let bare = forge_repo(&env, "acme", "svc");
    let keys = std::fs::read_to_string(bare.join("golden/deploy_keys.json")).unwrap();
    assert!(
        keys.contains("ssh-ed25519") && !keys.contains("PRIVATE KEY-----"),
        "{keys}"
    );
    let issues = std::fs::read_to_string(bare.join("golden/issues.json")).unwrap();
    assert!(issues.contains("Set up monitoring"), "{issues}");
    assert!(bare.join("golden/protection.json").is_file());
    let autolinks = std::fs::read_to_string(bare.join("golden/autolinks.json")).unwrap();
    assert!(autolinks.contains("key_prefix"), "{autolinks}");
    let pages = std::fs::read_to_string(bare.join("golden/pages.json")).unwrap();
    assert!(pages.contains("build_type"), "{pages}");
}

/// Users and a group for `github:environment:create`'s reviewers, in the local catalog (the
/// recorded Backstage run resolved the same refs through its catalog; `ghost` is missing).
fn register_reviewers(env: &Env) {
    let file = env.path().join("people.yaml");
    let user = |n: &str| {
        format!("apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: {n}\nspec:\n  memberOf: []\n")
    };
    let group = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: sre\nspec:\n  type: team\n  children: []\n";
    std::fs::write(
        &file,
        format!("{}---\n{}---\n{group}", user("jane"), user("nobody")),
    )
    .unwrap();
    let out = env
        .golden(None)
        .args(["catalog", "register", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Runs the fixture's action against a fake with `acme/svc` (org `acme`, team `sre`, user
/// `jane`), returns the run's output.
fn run_fixture_on_github(env: &Env, fake: &FakeGithub, name: &str) -> std::process::Output {
    fake.add_org("acme", &["sre"]);
    fake.add_user("jane");
    fake.add_repo("acme", "svc");
    let t = template_from(&env.path().join(name), name);
    let secrets = env.path().join("secrets.yaml");
    std::fs::write(&secrets, "apiKey: s3cr3t-value\n").unwrap();
    let config = env.config(fake, TOKEN);
    env.golden(Some(&config))
        .args([
            "new",
            t.to_str().unwrap(),
            "--no-input",
            "--no-checkout",
            "--json",
        ])
        .args(["--set", "name=svc", "--set", "owner=acme"])
        .args(["--secrets", secrets.to_str().unwrap()])
        .output()
        .unwrap()
}

fn publish_step(out: &std::process::Output) -> Value {
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "publish")
        .unwrap()
        .clone()
}

/// `github:environment:create` and `github:repo:rulesets:create` make the calls Backstage's
/// module made for the same input: reviewers resolved through the catalog (a missing entity and a
/// missing GitHub user left out), branch and tag policies, variables, the sealed secret; the
/// ruleset with its defaults; a missing repository fails as it failed there.
#[test]
fn github_environment_and_rulesets_make_backstages_calls() {
    for name in [
        "environment",
        "environment-minimal",
        "rulesets",
        "rulesets-tag",
        "rulesets-missing",
    ] {
        let env = Env::new();
        let fake = FakeGithub::start(TOKEN, "octocat");
        register_reviewers(&env);
        let out = run_fixture_on_github(&env, &fake, name);
        let f = fixture(name);
        assert_eq!(
            out.status.success(),
            f["succeeded"].as_bool().unwrap(),
            "{name}: {}",
            stderr(&out)
        );
        assert_calls_match_backstage(&fake, name);
        let err = stderr(&out);
        match name {
            "environment" => {
                let sealed = body(
                    &fake.calls(),
                    "PUT /repos/acme/svc/environments/production/secrets/API_KEY",
                )["encrypted_value"]
                    .as_str()
                    .unwrap()
                    .to_string();
                assert_eq!(fake.unseal(&sealed), "s3cr3t-value");
                assert!(
                    !err.contains("s3cr3t-value") && !err.contains(TOKEN),
                    "{err}"
                );
                let put =
                    body(&fake.calls(), "PUT /repos/acme/svc/environments/production").clone();
                assert_eq!(
                    put["reviewers"],
                    json!([{"type": "User", "id": crate::fake_github::id_of("jane")}, {"type": "Team", "id": crate::fake_github::id_of("acme/sre")}])
                );
            }
            "rulesets" => assert_eq!(publish_step(&out)["output"], json!({"id": 43})),
            "rulesets-missing" => {
                assert!(
                    err.contains("cannot create the ruleset \"protect-main\""),
                    "{err}"
                );
                assert!(err.contains("404"), "{err}");
            }
            _ => {}
        }
    }
}

/// In the local forge both are recorded beside the repository (never a secret's value); a dry
/// run calls nothing and invents the ruleset's id.
#[test]
fn github_environment_and_rulesets_in_the_local_forge_and_dry_run() {
    let env = Env::new();
    let t = template_from(env.path(), "publish-org");
    let run = |t: &Path, extra: &[&str]| {
        env.golden(None)
            .args(["new", t.to_str().unwrap(), "--no-input", "--no-checkout"])
            .args(["--set", "name=svc", "--set", "owner=acme"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&t, &["--local"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let secrets = env.path().join("secrets.yaml");
    std::fs::write(&secrets, "apiKey: s3cr3t-value\n").unwrap();
    for name in ["environment", "rulesets"] {
        let dir = env.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let t = template_from(&dir, name);
        let out = run(&t, &["--local", "--secrets", secrets.to_str().unwrap()]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert!(!stderr(&out).contains("s3cr3t-value"));
        // The dry run: nothing called, the id invented.
        let plan = env.path().join(format!("{name}-plan"));
        let out = run(
            &t,
            &["--dry-run", "--json", "--output", plan.to_str().unwrap()],
        );
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let step = publish_step(&out);
        assert_eq!(step["status"], json!("predicted"), "{step}");
        if name == "rulesets" {
            assert!(step["output"]["id"].as_u64().is_some(), "{step}");
        }
    }
    let bare = forge_repo(&env, "acme", "svc");
    let envs: Value = serde_json::from_str(
        &std::fs::read_to_string(bare.join("golden/environments.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(envs[0]["name"], json!("production"));
    assert_eq!(envs[0]["secrets"], json!({"API_KEY": "***"}));
    assert_eq!(envs[0]["customTagPolicyNames"], json!(["v*"]));
    let rules: Value =
        serde_json::from_str(&std::fs::read_to_string(bare.join("golden/rulesets.json")).unwrap())
            .unwrap();
    assert_eq!(rules[0]["enforcement"], json!("active"));
    assert_eq!(
        rules[0]["bypass_actors"][0]["actor_type"],
        json!("RepositoryRole")
    );
}

/// `forceFork`, and a user's token that cannot push: the repository is forked into the token
/// user's account, the commit and branch go there, and the pull request is opened from
/// `octocat:feat` — Backstage's calls exactly.
#[test]
fn pull_request_force_fork_proposes_from_the_users_fork() {
    for name in ["pull-request-fork", "pull-request-no-push"] {
        let env = Env::new();
        let fake = FakeGithub::start(TOKEN, "octocat");
        fake.add_org("acme", &["sre"]);
        fake.add_repo_files("acme", "svc", crate::backstage_record::PR_BASE);
        if name == "pull-request-no-push" {
            fake.read_only("acme", "svc");
        }
        let t = template_from(env.path(), name);
        let config = env.config(&fake, TOKEN);
        let out = env
            .golden(Some(&config))
            .args(["new", t.to_str().unwrap(), "--no-input", "--json"])
            .args(["--set", "name=svc", "--set", "owner=acme"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert_calls_match_backstage(&fake, name);
        let fork = fake.repo_path("octocat", "svc");
        assert!(branch_files(&fork, "feat").contains_key("sub/README.md"));
        assert!(
            git2::Repository::open_bare(fake.repo_path("acme", "svc"))
                .unwrap()
                .find_reference("refs/heads/feat")
                .is_err(),
            "the upstream repository gets no branch"
        );
        assert_eq!(publish_step(&out)["output"]["pullRequestNumber"], json!(1));
    }
}

/// `forceFork` in the local forge: the fork is made in the user's account (`--user`), the branch
/// pushed there, the pull request recorded on the upstream with head `USER:BRANCH`.
#[test]
fn local_forge_pull_request_force_fork() {
    let env = Env::new();
    let t = template_from(env.path(), "publish-org");
    let run = |t: &Path, extra: &[&str]| {
        env.golden(None)
            .args([
                "new",
                t.to_str().unwrap(),
                "--no-input",
                "--no-checkout",
                "--local",
            ])
            .args(["--set", "name=svc", "--set", "owner=acme"])
            .args(extra)
            .output()
            .unwrap()
    };
    assert!(run(&t, &[]).status.success());
    let dir = env.path().join("fork");
    std::fs::create_dir_all(&dir).unwrap();
    let t = template_from(&dir, "pull-request-fork");
    let user = env.path().join("user.yaml");
    std::fs::write(&user, "ref: user:default/jane\n").unwrap();
    let out = run(&t, &["--user", user.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let fork = env.home().join("forge/github.com/jane/svc.git");
    assert!(branch_files(&fork, "feat").contains_key("sub/README.md"));
    let upstream = forge_repo(&env, "acme", "svc");
    assert!(git2::Repository::open_bare(&upstream)
        .unwrap()
        .find_reference("refs/heads/feat")
        .is_err());
    let pulls = std::fs::read_to_string(upstream.join("golden/pulls.json")).unwrap();
    assert!(pulls.contains("\"jane:feat\""), "{pulls}");
}

/// A config with a GitHub App (`integrations.github[].apps`), as Backstage reads it.
fn app_config(env: &Env, fake: &FakeGithub, name: &str, app_lines: &str, token: &str) -> PathBuf {
    let key = std::fs::read_to_string(
        crate::support::root().join("tests/it/fixtures/github-app/private-key.pem"),
    )
    .unwrap();
    let key: String = key.lines().map(|l| format!("            {l}\n")).collect();
    let config = env.path().join(name);
    std::fs::write(
        &config,
        format!(
            "integrations:\n  github:\n    - host: github.com\n      apiBaseUrl: {}\n      token: {token}\n      apps:\n        - clientId: Iv1.test\n          clientSecret: not-used\n          privateKey: |\n{key}{app_lines}",
            fake.api_base_url()
        ),
    )
    .unwrap();
    config
}

/// GitHub App credentials, as Backstage's `SingleInstanceGithubCredentialsProvider`: a JWT (which
/// the fake verifies with the app's public key) lists the installations, the owner's installation
/// gets an access token, and that token — not the config's — creates and pushes the repository.
/// An installation limited to other repositories is refused with Backstage's message; a JWT of
/// another app id is refused by GitHub; `allowedInstallationOwners` falls back to the token.
#[test]
fn github_app_credentials_sign_in_as_the_owners_installation() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    fake.add_org("acme", &[]);
    fake.add_org("other", &[]);
    let public =
        std::fs::read(crate::support::root().join("tests/it/fixtures/github-app/public-key.pem"))
            .unwrap();
    fake.add_app(4242, &public);
    fake.add_installation(7, "acme", None, false);
    fake.add_installation(8, "other", Some(&["only-this"]), false);
    let t = template(env.path(), "        protectDefaultBranch: false");
    let run = |config: &Path, owner: &str| {
        env.golden(Some(config))
            .args(["new", t.to_str().unwrap(), "--no-input", "--no-checkout"])
            .args(["--set", "name=svc", "--set", &format!("owner={owner}")])
            .output()
            .unwrap()
    };
    // The app wins over the config's (wrong) token.
    let config = app_config(
        &env,
        &fake,
        "app.yaml",
        "          appId: 4242\n",
        "ghp_wrong",
    );
    let out = run(&config, "acme");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fake.call_lines(),
        [
            "GET /app/installations?per_page=100&page=1",
            "POST /app/installations/7/access_tokens",
            "GET /users/acme",
            "POST /orgs/acme/repos",
        ]
    );
    let issued = fake.issued_tokens();
    assert_eq!(issued.len(), 1);
    assert_eq!(
        branch_files(&fake.repo_path("acme", "svc"), "main").len(),
        4,
        "pushed with the installation token"
    );
    let err = stderr(&out);
    assert!(
        !err.contains(&issued[0]) && !err.contains("PRIVATE KEY"),
        "{err}"
    );

    // The catalog reads a GitHub URL through the GitHub target with the installation's token
    // (the fake accepts no other: the config's token is wrong).
    fake.add_repo_files(
        "acme",
        "cat",
        &[(
            "catalog-info.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: cat\nspec:\n  type: service\n  lifecycle: experimental\n  owner: team-a\n",
        )],
    );
    let out = env
        .golden(Some(&config))
        .args([
            "catalog",
            "register",
            "https://github.com/acme/cat/blob/main/catalog-info.yaml",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "component:default/cat\n"
    );
    assert!(fake
        .call_lines()
        .contains(&"GET /repos/acme/cat/contents/catalog-info.yaml?ref=main".to_string()));

    // An installation on selected repositories only: Backstage's refusal.
    let out = run(&config, "other");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("The Backstage GitHub application used in the other organization does not have access to a repository with the name svc"),
        "{err}"
    );
    assert!(fake
        .call_lines()
        .contains(&"GET /installation/repositories?per_page=100&page=1".to_string()));

    // A suspended installation is an error, as in Backstage.
    fake.add_org("frozen", &[]);
    fake.add_installation(9, "frozen", None, true);
    let out = run(&config, "frozen");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("The GitHub application for frozen is suspended"),
        "{}",
        stderr(&out)
    );

    // An owner the app is not installed on: the host's token is used.
    let fallback = app_config(
        &env,
        &fake,
        "fallback.yaml",
        "          appId: 4242\n",
        TOKEN,
    );
    let before = fake.calls().len();
    let dir = env.path().join("fallback");
    std::fs::create_dir_all(&dir).unwrap();
    let t3 = template(&dir, "        protectDefaultBranch: false");
    let out = env
        .golden(Some(&fallback))
        .args(["new", t3.to_str().unwrap(), "--no-input", "--no-checkout"])
        .args(["--set", "name=svc3", "--set", "owner=octocat"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fake.call_lines()[before..],
        [
            "GET /app/installations?per_page=100&page=1",
            "GET /users/octocat",
            "POST /user/repos"
        ]
    );

    // A JWT claiming another app id is refused by GitHub.
    let wrong = app_config(
        &env,
        &fake,
        "wrong.yaml",
        "          appId: \"999\"\n",
        "ghp_wrong",
    );
    let out = run(&wrong, "acme");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("cannot list the installations of GitHub App 999")
            && err.contains("401")
            && err.contains("check `appId` (999)"),
        "{err}"
    );

    // Not an allowed owner: the app is skipped and the config's token used.
    let allowed = app_config(
        &env,
        &fake,
        "allowed.yaml",
        "          appId: 4242\n          allowedInstallationOwners: [someone-else]\n",
        TOKEN,
    );
    let before = fake.calls().len();
    let dir = env.path().join("again");
    std::fs::create_dir_all(&dir).unwrap();
    let t2 = template(&dir, "        protectDefaultBranch: false");
    let out = env
        .golden(Some(&allowed))
        .args(["new", t2.to_str().unwrap(), "--no-input", "--no-checkout"])
        .args(["--set", "name=svc2", "--set", "owner=acme"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fake.call_lines()[before..],
        ["GET /users/acme", "POST /orgs/acme/repos"]
    );
}

/// `integrations.github[].apps[]` is read as Backstage reads it: `appId`, `privateKey`,
/// `clientId` and `clientSecret` are required, `appId` is a number, unknown keys are named.
#[test]
fn github_app_config_is_checked_where_it_is_wrong() {
    let env = Env::new();
    let t = template(env.path(), "");
    let check = |apps: &str| {
        let p = env.path().join("apps.yaml");
        std::fs::write(
            &p,
            format!("integrations:\n  github:\n    - host: github.com\n      apps:\n{apps}"),
        )
        .unwrap();
        let out = env
            .golden(Some(&p))
            .args(["validate", t.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{apps}");
        stderr(&out).replace(&p.display().to_string(), "CONFIG")
    };
    let err = check("        - appId: 5\n          privateKey: k\n          clientSecret: s\n");
    assert!(
        err.contains("CONFIG:5:11: the config file is invalid: `integrations.github[0].apps[0].clientId` is required"),
        "{err}"
    );
    let err = check("        - appId: five\n          privateKey: k\n          clientId: c\n          clientSecret: s\n");
    assert!(
        err.contains("`appId` must be a number, not `five`"),
        "{err}"
    );
    let err = check("        - appId: 5\n          privateKey: k\n          clientId: c\n          clientSecret: s\n          allowedInstallationOwner: [a]\n");
    assert!(
        err.contains("did you mean `allowedInstallationOwners`?"),
        "{err}"
    );
}
