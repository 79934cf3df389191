//! Publishing through the one seam (`scm::Target`) into the local forge, whatever the host's
//! kind: a failed push leaves no repository, and the commit's author and message fall back to
//! `scaffolder.defaultAuthor` / `scaffolder.defaultCommitMessage` as Backstage's modules do.

use std::path::{Path, PathBuf};

use crate::publish::{stderr, template_with, Env};

fn run(env: &Env, t: &Path, config: Option<&Path>, name: &str) -> std::process::Output {
    env.golden(config)
        .args(["new", t.to_str().unwrap(), "--no-input", "--local"])
        .args(["--no-checkout", "--set", &format!("name={name}")])
        .args(["--set", "owner=acme"])
        .output()
        .unwrap()
}

/// `forge/HOST/OWNER/NAME.git`.
fn forge_repo(env: &Env, host: &str, full: &str) -> PathBuf {
    env.home()
        .join("forge")
        .join(host)
        .join(format!("{full}.git"))
}

/// Everything in `dir` (empty when it does not exist).
fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The head commit of `branch`: (author name, author email, message).
fn head_commit(bare: &Path, branch: &str) -> (String, String, String) {
    let repo = git2::Repository::open_bare(bare).unwrap();
    let c = repo
        .find_reference(&format!("refs/heads/{branch}"))
        .unwrap()
        .peel_to_commit()
        .unwrap();
    let a = c.author();
    (
        a.name().unwrap().to_string(),
        a.email().unwrap().to_string(),
        c.message().unwrap().to_string(),
    )
}

/// The commit cannot be made (git refuses an author name with angle brackets), so the push
/// fails after the repository was created: in the local forge it must not remain, for a
/// GitLab host (nested group) as for GitHub.
#[test]
fn a_failed_push_through_the_seam_leaves_no_repository() {
    for (action, host, owner) in [
        ("publish:gitlab", "gitlab.com", "acme/backend"),
        ("publish:github", "github.com", "acme"),
    ] {
        let env = Env::new();
        let input = |author: &str| {
            format!(
                "        repoUrl: {host}?owner={owner}&repo=demo\n        gitAuthorName: \"{author}\""
            )
        };
        let t = template_with(env.path(), action, &input("Bad <name>"));
        let out = run(&env, &t, None, "demo");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{action}: {err}");
        assert!(
            err.contains(&format!("cannot push to {owner}/demo")),
            "{action}: {err}"
        );
        let bare = forge_repo(&env, host, &format!("{owner}/demo"));
        assert!(!bare.exists(), "{action}: the repository was left behind");
        let parent = bare.parent().unwrap();
        assert!(
            entries(parent).is_empty(),
            "{action}: left in the forge: {:?}",
            entries(parent)
        );
        assert!(
            !err.contains("already created: the local-forge repository"),
            "{action}: {err}"
        );
        // The same name publishes once the author is fixed.
        let ok = env.path().join("ok");
        let t = template_with(&ok, action, &input("Jane"));
        let out = run(&env, &t, None, "demo");
        assert!(out.status.success(), "{action}: {}", stderr(&out));
        assert_eq!(head_commit(&bare, head_branch(&bare).as_str()).0, "Jane");
    }
}

fn head_branch(bare: &Path) -> String {
    let repo = git2::Repository::open_bare(bare).unwrap();
    let head = repo.head().unwrap();
    head.shorthand().unwrap().to_string()
}

fn defaults_config(env: &Env) -> PathBuf {
    let p = env.path().join("defaults.yaml");
    std::fs::write(
        &p,
        "scaffolder:\n  defaultAuthor:\n    name: Platform Bot\n    email: bot@corp.example\n  defaultCommitMessage: Scaffolded by golden\n",
    )
    .unwrap();
    p
}

/// One case: the action, the repository, its input lines, and the commit's expected author
/// name, email and message.
type CommitCase<'a> = (&'a str, &'a str, &'a str, (&'a str, &'a str, &'a str));

/// Input > `scaffolder.defaultAuthor` / `defaultCommitMessage` > built-in default, with each
/// module's own precedence for the message (read back from the pushed commits).
#[test]
fn publish_actions_fall_back_to_the_configured_author_and_message() {
    let env = Env::new();
    let config = defaults_config(&env);
    let cases: [CommitCase; 5] = [
        // publish:github: no input → the config's author and message.
        (
            "publish:github",
            "gh1",
            "        repoUrl: github.com?owner=acme&repo=gh1",
            ("Platform Bot", "bot@corp.example", "Scaffolded by golden"),
        ),
        // The input wins, field by field.
        (
            "publish:github",
            "gh2",
            "        repoUrl: github.com?owner=acme&repo=gh2\n        gitAuthorName: Jane\n        gitCommitMessage: mine",
            ("Jane", "bot@corp.example", "mine"),
        ),
        // publish:gitlab: an absent message is the handler's `initial commit` (the config is
        // read only for an empty one, which a template cannot give: an input rendering to ""
        // is dropped, in Backstage as in golden).
        (
            "publish:gitlab",
            "gl1",
            "        repoUrl: gitlab.com?owner=acme&repo=gl1",
            ("Platform Bot", "bot@corp.example", "initial commit"),
        ),
        (
            "publish:gitlab",
            "gl2",
            "        repoUrl: gitlab.com?owner=acme&repo=gl2\n        gitCommitMessage: \"\"\n        gitAuthorEmail: jane@corp.example",
            ("Platform Bot", "jane@corp.example", "initial commit"),
        ),
        // github:repo:push after github:repo:create: absent message → `initial commit`.
        (
            "github:repo:push",
            "gh3",
            "        repoUrl: github.com?owner=acme&repo=gh3",
            ("Platform Bot", "bot@corp.example", "initial commit"),
        ),
    ];
    for (action, name, input, (author, email, message)) in cases {
        let dir = env.path().join(name);
        if action == "github:repo:push" {
            let c = template_with(&dir.join("create"), "github:repo:create", input);
            let out = run(&env, &c, Some(&config), name);
            assert!(out.status.success(), "{name}: {}", stderr(&out));
        }
        let t = template_with(&dir, action, input);
        let out = run(&env, &t, Some(&config), name);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let host = if action.contains("gitlab") {
            "gitlab.com"
        } else {
            "github.com"
        };
        let bare = forge_repo(&env, host, &format!("acme/{name}"));
        let branch = head_branch(&bare);
        assert_eq!(
            head_commit(&bare, &branch),
            (author.to_string(), email.to_string(), message.to_string()),
            "{name} ({action})"
        );
    }
    // Without the config, the built-in defaults.
    let t = template_with(
        &env.path().join("plain"),
        "publish:github",
        "        repoUrl: github.com?owner=acme&repo=plain",
    );
    let out = run(&env, &t, None, "plain");
    assert!(out.status.success(), "{}", stderr(&out));
    let bare = forge_repo(&env, "github.com", "acme/plain");
    assert_eq!(
        head_commit(&bare, "main"),
        (
            "Scaffolder".to_string(),
            "scaffolder@backstage.io".to_string(),
            "initial commit".to_string()
        )
    );
    // publish:github:pull-request: `commitMessage ?? defaultCommitMessage ?? title`, and the
    // configured author.
    let t = template_with(
        &env.path().join("pr"),
        "publish:github:pull-request",
        "        repoUrl: github.com?owner=acme&repo=plain\n        branchName: feature\n        title: A change\n        description: d\n        targetPath: sub",
    );
    let out = run(&env, &t, Some(&config), "plain");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        head_commit(&bare, "feature"),
        (
            "Platform Bot".to_string(),
            "bot@corp.example".to_string(),
            "Scaffolded by golden".to_string()
        )
    );
}
