//! `--resume` of a failed real run that published to GitHub, against the fake GitHub: the
//! resumed run checks the repository still exists with the pushed branch at the pushed commit
//! (through the host's integration and token), runs only the remaining steps and clones the
//! repository with the token; a deleted repository or a moved branch is named with what to do.

use std::path::{Path, PathBuf};

use crate::fake_github::{commit_changes, FakeGithub};
use crate::publish::{stderr, Env};

const TOKEN: &str = "ghp_resume_token_5678";

/// Publishes `octocat/NAME`, then fetches `./extra.txt`: the last step fails while the file is
/// missing, after the repository was created and pushed.
fn template(dir: &Path) -> PathBuf {
    let t = dir.join("tpl");
    std::fs::create_dir_all(t.join("skeleton")).unwrap();
    std::fs::write(
        t.join("template.yaml"),
        "apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: resume-github
spec:
  type: service
  parameters:
    - properties:
        name: { type: string }
  steps:
    - id: fetch
      action: fetch:template
      input:
        url: ./skeleton
        values: { name: '${{ parameters.name }}' }
    - id: publish
      action: publish:github
      input:
        repoUrl: github.com?owner=octocat&repo=${{ parameters.name }}
    - id: extra
      action: fetch:plain:file
      input: { url: ./extra.txt, targetPath: extra.txt }
",
    )
    .unwrap();
    std::fs::write(t.join("skeleton/README.md"), "# ${{ values.name }}\n").unwrap();
    t
}

/// `golden new TPL --set name=NAME` with `extra` arguments: (exit code, stderr).
fn run(env: &Env, config: &Path, t: &Path, name: &str, extra: &[&str]) -> (i32, String) {
    let out = env
        .golden(Some(config))
        .args(["new", t.to_str().unwrap(), "--no-input"])
        .args(["--set", &format!("name={name}")])
        .args(extra)
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), stderr(&out))
}

/// The kept folder a failed run's error names after `--resume`.
fn kept_folder(err: &str) -> String {
    err.split("--resume ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no --resume in {err}"))
        .trim_end_matches(['`', ')', ';'])
        .to_string()
}

/// A run of `name` that fails after publishing; returns the kept folder.
fn failed_run(env: &Env, config: &Path, t: &Path, name: &str) -> String {
    let (code, err) = run(env, config, t, name, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("already created: the GitHub repository octocat/"),
        "{err}"
    );
    let kept = kept_folder(&err);
    assert!(Path::new(&kept).join("run.json").is_file(), "{kept}: {err}");
    kept
}

#[test]
fn a_failed_github_run_resumes_after_checking_the_repository() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    let config = env.config(&fake, TOKEN);
    let t = template(env.path());

    let kept = failed_run(&env, &config, &t, "svc");
    let pushed = git2::Repository::open_bare(fake.repo_path("octocat", "svc"))
        .unwrap()
        .refname_to_id("refs/heads/main")
        .unwrap();
    std::fs::write(t.join("extra.txt"), "extra\n").unwrap();
    let before = fake.calls().len();
    let (code, err) = run(&env, &config, &t, "svc", &["--resume", &kept]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains(TOKEN), "the token is never printed: {err}");
    // Checked, not created again, and the branch untouched.
    let calls: Vec<String> = fake.call_lines()[before..].to_vec();
    assert_eq!(
        calls,
        [
            "GET /repos/octocat/svc",
            "GET /repos/octocat/svc/branches/main"
        ],
        "{err}"
    );
    let repo = git2::Repository::open_bare(fake.repo_path("octocat", "svc")).unwrap();
    assert_eq!(repo.refname_to_id("refs/heads/main").unwrap(), pushed);
    // The checkout is cloned with the host's token (the fake refuses anonymous clones).
    let readme = env.work().join("svc/README.md");
    assert_eq!(
        std::fs::read_to_string(&readme).unwrap_or_else(|e| panic!("{e}: {err}")),
        "# svc\n"
    );
    assert!(!Path::new(&kept).exists(), "the kept folder is used up");
}

#[test]
fn a_resume_names_a_deleted_repository_or_a_moved_branch() {
    let env = Env::new();
    let fake = FakeGithub::start(TOKEN, "octocat");
    let config = env.config(&fake, TOKEN);
    let t = template(env.path());

    // The repository was deleted since: run again from the start.
    let kept = failed_run(&env, &config, &t, "gone");
    fake.remove_repo("octocat", "gone");
    let before = fake.calls().len();
    let (code, err) = run(&env, &config, &t, "gone", &["--resume", &kept]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "the GitHub repository octocat/gone, to which step `publish` of the failed run pushed"
        ) && err.contains("no longer exists; the run cannot be resumed"),
        "{err}"
    );
    assert!(err.contains("run again without --resume"), "{err}");
    assert_eq!(fake.call_lines()[before..], ["GET /repos/octocat/gone"]);
    assert!(
        Path::new(&kept).join("run.json").is_file(),
        "nothing used up"
    );

    // Someone pushed to the branch since: golden does not continue over it.
    let kept = failed_run(&env, &config, &t, "moved");
    let bare = git2::Repository::open_bare(fake.repo_path("octocat", "moved")).unwrap();
    let pushed = bare.refname_to_id("refs/heads/main").unwrap().to_string();
    let theirs = commit_changes(
        &bare,
        "main",
        None,
        &[("NEW.md".into(), Some(b"new\n".to_vec()))],
        "someone else",
    );
    let (code, err) = run(&env, &config, &t, "moved", &["--resume", &kept]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "pushed {pushed} (main), but branch main has moved to {theirs}"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "point branch main of octocat/moved back at {pushed}"
        )) && err.contains("`gh repo delete octocat/moved`"),
        "{err}"
    );
    assert_eq!(
        bare.refname_to_id("refs/heads/main").unwrap().to_string(),
        theirs,
        "nothing was pushed"
    );
    assert!(!env.work().join("moved").exists());

    // The branch deleted: said so.
    let kept = failed_run(&env, &config, &t, "nobranch");
    let bare = git2::Repository::open_bare(fake.repo_path("octocat", "nobranch")).unwrap();
    bare.find_reference("refs/heads/main")
        .unwrap()
        .delete()
        .unwrap();
    let (code, err) = run(&env, &config, &t, "nobranch", &["--resume", &kept]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("branch main no longer exists"), "{err}");
}
