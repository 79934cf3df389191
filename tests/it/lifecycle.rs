//! Template lifecycle through the real binary: a template in a real git repository (file:// and
//! smart HTTP through `git http-backend` on 127.0.0.1), `golden new` from its URL with the
//! record in the first commit, then template and project both change and `golden check` /
//! `golden update` bring the project up to date.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::fake_github::FakeGithub;
use crate::support::golden;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        for d in ["work", "tmp", "user-home"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        Env { dir }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn work(&self) -> PathBuf {
        self.path().join("work")
    }
    fn home(&self) -> PathBuf {
        self.path().join("home")
    }
    fn golden(&self, config: Option<&Path>) -> assert_cmd::Command {
        let mut cmd = golden();
        let none = self.path().join("no-config.yaml");
        std::fs::write(&none, "{}\n").unwrap();
        cmd.current_dir(self.work())
            .env("GOLDEN_HOME", self.home())
            .env("GOLDEN_CONFIG", config.unwrap_or(&none))
            .env_remove("GITHUB_TOKEN")
            .env_remove("GH_TOKEN")
            .env("PATH", self.path().join("empty-path"))
            .env("HOME", self.path().join("user-home"))
            .env("TMPDIR", self.path().join("tmp"))
            .env_remove("XDG_CONFIG_HOME");
        for v in [
            "http_proxy",
            "https_proxy",
            "all_proxy",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
        ] {
            cmd.env_remove(v);
        }
        cmd
    }
}

/// `git` with a fixed identity and no user or system config.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

const TEMPLATE_V1: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: svc
  title: A service
spec:
  owner: group:default/platform
  type: service
  parameters:
    - title: Basics
      required: [name]
      properties:
        name: {type: string}
        dbPassword: {type: string, ui:widget: password}
  steps:
    - id: fetch
      action: fetch:template
      input:
        url: ../skeletons/svc
        values:
          name: ${{ parameters.name }}
    - id: publish
      action: publish:github
      input:
        repoUrl: github.com?owner=acme&repo=${{ parameters.name }}
        defaultBranch: main
"#;

fn lines(prefix: &str, n: usize) -> String {
    (1..=n).map(|i| format!("{prefix} {i}\n")).collect()
}

/// A template repository (a work tree whose commits golden fetches over file://).
fn template_repo(env: &Env) -> PathBuf {
    let repo = env.path().join("templates");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    write(&repo, "svc/template.yaml", TEMPLATE_V1);
    write(
        &repo,
        "skeletons/svc/README.md",
        "# ${{ values.name }}\n\nA service.\n",
    );
    write(&repo, "skeletons/svc/app.txt", &lines("app line", 12));
    write(
        &repo,
        "skeletons/svc/old.txt",
        &lines("renamed content", 20),
    );
    write(&repo, "skeletons/svc/gone.txt", "to be deleted\n");
    write(&repo, "skeletons/svc/run.sh", "#!/bin/sh\necho hi\n");
    write(&repo, "notes-for-template-authors.md", "not rendered\n");
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "v1"]);
    repo
}

fn file_url(p: &Path) -> String {
    url::Url::from_file_path(p).unwrap().to_string()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}
fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

#[test]
fn new_from_git_then_check_and_update_with_a_three_way_merge() {
    let env = Env::new();
    let repo = template_repo(&env);
    let v1 = git(&repo, &["rev-parse", "HEAD"]);
    let source = format!("{}//svc", file_url(&repo));
    let out = env
        .golden(None)
        .args([
            "new",
            &source,
            "--no-input",
            "--local",
            "--set",
            "name=demo",
            "--set",
            "dbPassword=hunter2",
            "--checkout",
            "proj",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let proj = env.work().join("proj");

    // The record is in the first commit, names the commit, and holds no password.
    let rec = read(&proj, ".golden.yaml");
    assert!(rec.contains(&format!("commit: {v1}")), "{rec}");
    assert!(
        rec.contains("name: demo") && rec.contains("path: svc"),
        "{rec}"
    );
    assert!(
        !rec.contains("hunter2") && !rec.contains("dbPassword"),
        "{rec}"
    );
    assert_eq!(git(&proj, &["log", "--format=%s"]), "initial commit");
    assert_eq!(git(&proj, &["ls-files", ".golden.yaml"]), ".golden.yaml");
    assert_eq!(read(&proj, "README.md"), "# demo\n\nA service.\n");
    // Fetched once into the cache, keyed by URL and commit.
    let cached: Vec<_> = walkdir::WalkDir::new(env.home().join("cache/templates"))
        .max_depth(3)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().parent().is_some_and(|p| p.ends_with("trees")))
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(cached, vec![v1.clone()]);

    // --values RECORD replays the answers.
    let replay = env.path().join("replay");
    env.golden(None)
        .args([
            "new",
            &source,
            "--no-input",
            "--offline",
            "--dry-run",
            "--record",
            "--output",
        ])
        .arg(&replay)
        .arg("--values")
        .arg(proj.join(".golden.yaml"))
        .assert()
        .success();
    assert_eq!(read(&replay, "README.md"), "# demo\n\nA service.\n");
    assert_eq!(
        read(&replay, ".golden.yaml"),
        rec,
        "a dry run's --record matches the real one"
    );

    let check = |expect: i32| {
        let o = env.golden(None).args(["check", "proj"]).output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(expect),
            "{}{}",
            stdout(&o),
            stderr(&o)
        );
        stdout(&o)
    };
    assert!(check(0).contains("up to date"));

    // A template commit that changes nothing rendered: still up to date.
    write(&repo, "notes-for-template-authors.md", "changed\n");
    git(&repo, &["commit", "-qam", "docs only"]);
    assert!(check(0).contains("change none of this project's files"));

    // The project changes: its own file, a line of app.txt, README's first line.
    write(&proj, "notes.md", "mine\n");
    let app = read(&proj, "app.txt").replace("app line 1\n", "app line ONE (project)\n");
    write(&proj, "app.txt", &app);
    write(&proj, "README.md", "# demo (project title)\n\nA service.\n");
    let renamed = read(&proj, "old.txt").replace("renamed content 2\n", "renamed content TWO\n");
    write(&proj, "old.txt", &renamed);
    git(&proj, &["add", "-A"]);
    git(&proj, &["commit", "-qm", "project edits"]);

    // The template changes: app.txt far from the project's edit, README's first line, a rename,
    // a deletion, a new file, an executable bit, a new required parameter.
    let tpl = repo.join("skeletons/svc");
    let app_t = read(&tpl, "app.txt").replace("app line 12\n", "app line 12 (template)\n");
    write(&tpl, "app.txt", &app_t);
    write(
        &tpl,
        "README.md",
        "# ${{ values.name }} by ${{ values.team }}\n\nA service.\n",
    );
    git(
        &repo,
        &["mv", "skeletons/svc/old.txt", "skeletons/svc/new.txt"],
    );
    git(&repo, &["rm", "-q", "skeletons/svc/gone.txt"]);
    write(&tpl, "added.txt", "new in v2\n");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tpl.join("run.sh"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    let t2 = TEMPLATE_V1
        .replace("required: [name]", "required: [name, team]")
        .replace(
            "        name: {type: string}\n",
            "        name: {type: string}\n        team: {type: string}\n",
        )
        .replace(
            "          name: ${{ parameters.name }}\n",
            "          name: ${{ parameters.name }}\n          team: ${{ parameters.team }}\n",
        );
    write(&repo, "svc/template.yaml", &t2);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "v2: team parameter"]);
    let v2 = git(&repo, &["rev-parse", "HEAD"]);

    let listed = check(1);
    assert!(
        listed.contains("v2: team parameter") && listed.contains("docs only"),
        "{listed}"
    );
    assert!(
        listed.contains("added.txt") && listed.contains("gone.txt"),
        "{listed}"
    );
    let json: serde_json::Value = serde_json::from_slice(
        &env.golden(None)
            .args(["check", "proj", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(json["status"], "update-available");
    assert_eq!(json["newestCommit"], v2);

    // A dirty tree is refused.
    write(&proj, "scratch.txt", "wip\n");
    let o = env
        .golden(None)
        .args(["update", "proj", "--no-input", "--set", "team=core"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("uncommitted changes") && stderr(&o).contains("scratch.txt"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_file(proj.join("scratch.txt")).unwrap();

    // The new required value is asked for (here: listed, since there is no terminal).
    let o = env
        .golden(None)
        .args(["update", "proj", "--no-input"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("team"), "{}", stderr(&o));

    // --diff prints the patch and writes nothing.
    let o = env
        .golden(None)
        .args([
            "update",
            "proj",
            "--no-input",
            "--set",
            "team=core",
            "--diff",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let patch = stdout(&o);
    assert!(
        patch.contains("+app line 12 (template)") && patch.contains("added.txt"),
        "{patch}"
    );
    assert_eq!(git(&proj, &["status", "--porcelain"]), "");

    let o = env
        .golden(None)
        .args(["update", "proj", "--no-input", "--set", "team=core"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "a conflict exits 1: {}",
        stderr(&o)
    );
    let err = stderr(&o);
    assert!(
        err.contains("1 in conflict") && err.contains("README.md"),
        "{err}"
    );
    // Both sides' changes survive in the same file.
    let app = read(&proj, "app.txt");
    assert!(
        app.contains("app line ONE (project)") && app.contains("app line 12 (template)"),
        "{app}"
    );
    // Overlapping edits become conflict markers.
    let readme = read(&proj, "README.md");
    assert!(
        readme.contains(
            "<<<<<<< project\n# demo (project title)\n=======\n# demo by core\n>>>>>>> template\n"
        ),
        "{readme}"
    );
    assert_eq!(read(&proj, "notes.md"), "mine\n");
    assert!(!proj.join("old.txt").exists() && !proj.join("gone.txt").exists());
    assert_eq!(
        read(&proj, "new.txt"),
        renamed,
        "the rename carries the project's edit"
    );
    assert_eq!(read(&proj, "added.txt"), "new in v2\n");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(proj.join("run.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o111,
            0o111,
            "the executable bit follows the template"
        );
    }
    let rec = read(&proj, ".golden.yaml");
    assert!(
        rec.contains(&format!("commit: {v2}")) && rec.contains("team: core"),
        "{rec}"
    );

    // Resolved and committed: up to date.
    write(
        &proj,
        "README.md",
        "# demo by core (project title)\n\nA service.\n",
    );
    git(&proj, &["add", "-A"]);
    git(&proj, &["commit", "-qm", "update template"]);
    assert!(check(0).contains("up to date"));
    let o = env
        .golden(None)
        .args(["update", "proj", "--no-input"])
        .output()
        .unwrap();
    assert!(
        o.status.success() && stderr(&o).contains("already up to date"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn refs_offline_and_the_cache() {
    let env = Env::new();
    let repo = template_repo(&env);
    let v1 = git(&repo, &["rev-parse", "HEAD"]);
    git(&repo, &["tag", "v1"]);
    write(
        &repo,
        "skeletons/svc/README.md",
        "# ${{ values.name }} v2\n",
    );
    git(&repo, &["commit", "-qam", "v2"]);
    let url = format!("{}//svc", file_url(&repo));
    let run = |extra: &[&str], out: &str| {
        env.golden(None)
            .args([
                "new",
                &url,
                "--no-input",
                "--set",
                "name=x",
                "--dry-run",
                "--output",
                out,
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let o = run(&["--ref", "v1"], "a");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read(&env.work(), "a/README.md"), "# x\n\nA service.\n");
    let o = run(&["--ref", &v1[..10]], "b");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read(&env.work(), "b/README.md"), "# x\n\nA service.\n");
    let o = run(&[], "c");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read(&env.work(), "c/README.md"), "# x v2\n");
    // Offline: the cache answers; an unknown ref is refused with what to do.
    let o = run(&["--offline", "--ref", "v1"], "d");
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["--offline", "--ref", "v9"], "e");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--offline"), "{}", stderr(&o));
    // A ref that does not exist online either.
    let o = run(&["--ref", "nope"], "f");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no branch, tag or commit `nope`"),
        "{}",
        stderr(&o)
    );
    // --ref on a folder is a usage error.
    let o = env
        .golden(None)
        .args(["new", "./x", "--ref", "v1"])
        .output()
        .unwrap();
    assert!(
        stderr(&o).contains("--ref needs a git template source"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn fetched_over_smart_http_with_the_configured_token() {
    let env = Env::new();
    let repo = template_repo(&env);
    let fake = FakeGithub::start("tok-123", "octo");
    fake.add_repo("acme", "templates");
    git(
        &repo,
        &[
            "push",
            "-q",
            "--force",
            fake.repo_path("acme", "templates").to_str().unwrap(),
            "main",
        ],
    );
    let base = fake.api_base_url().trim_end_matches("/api/v3").to_string();
    let host = base.trim_start_matches("http://").to_string();
    let url = format!("{base}/git/acme/templates.git//svc?ref=main");
    let args = [
        "new",
        &url,
        "--no-input",
        "--set",
        "name=web",
        "--dry-run",
        "--output",
        "out",
    ];
    // No token configured for the host: the server's refusal is explained.
    let o = env.golden(None).args(args).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("token"), "{}", stderr(&o));
    let config = env.path().join("config.yaml");
    std::fs::write(
        &config,
        format!("integrations:\n  github:\n    - host: {host}\n      token: tok-123\n"),
    )
    .unwrap();
    let o = env.golden(Some(&config)).args(args).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read(&env.work(), "out/README.md"), "# web\n\nA service.\n");
    assert!(!stderr(&o).contains("tok-123"));
    assert!(
        !std::fs::read_dir(env.home().join("cache/templates"))
            .unwrap()
            .any(|e| {
                let p = e.unwrap().path();
                walkdir::WalkDir::new(&p)
                    .into_iter()
                    .filter_map(|e| e.ok())
                    .any(|f| {
                        f.file_type().is_file()
                            && std::fs::read_to_string(f.path())
                                .is_ok_and(|t| t.contains("tok-123"))
                    })
            }),
        "the token is not stored in the cache"
    );
    // Fetched shallow over the network; the same ref again downloads nothing.
    let bare = std::fs::read_dir(env.home().join("cache/templates"))
        .unwrap()
        .map(|e| e.unwrap().path().join("repo.git"))
        .find(|p| p.is_dir())
        .unwrap();
    assert!(git2::Repository::open_bare(&bare).unwrap().is_shallow());
    let objects = |p: &Path| -> Vec<String> {
        walkdir::WalkDir::new(p.join("objects"))
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.path().display().to_string())
            .collect()
    };
    let before = objects(&bare);
    let o = env
        .golden(Some(&config))
        .args([
            "new",
            &url,
            "--no-input",
            "--set",
            "name=web",
            "--dry-run",
            "--output",
            "out2",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        objects(&bare),
        before,
        "an unchanged ref is not fetched again"
    );
}

#[test]
fn link_adopts_a_project_made_without_golden() {
    let env = Env::new();
    let repo = template_repo(&env);
    let v1 = git(&repo, &["rev-parse", "HEAD"]);
    let url = format!("{}//svc", file_url(&repo));
    // A project rendered elsewhere (here: a dry run, as Backstage would render it), committed.
    env.golden(None)
        .args([
            "new",
            &url,
            "--no-input",
            "--set",
            "name=old",
            "--dry-run",
            "--output",
            "proj",
        ])
        .assert()
        .success();
    let proj = env.work().join("proj");
    assert!(
        !proj.join(".golden.yaml").exists(),
        "no record without --record"
    );
    git(&proj, &["init", "-q", "-b", "main"]);
    git(&proj, &["add", "-A"]);
    git(&proj, &["commit", "-qm", "made by Backstage"]);
    write(
        &repo,
        "skeletons/svc/README.md",
        "# ${{ values.name }}\n\nA better service.\n",
    );
    git(&repo, &["commit", "-qam", "better readme"]);

    let o = env.golden(None).args(["check", "proj"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "no record: cannot tell");
    assert!(stderr(&o).contains("golden link"), "{}", stderr(&o));

    let o = env
        .golden(None)
        .args(["link", &url, "proj", "--ref", &v1, "--no-input"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "the required name is missing");
    let answers = env.path().join("answers.yaml");
    std::fs::write(&answers, "name: old\n").unwrap();
    let o = env
        .golden(None)
        .args([
            "link",
            &url,
            "proj",
            "--ref",
            &v1,
            "--no-input",
            "--values",
            answers.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(read(&proj, ".golden.yaml").contains(&format!("commit: {v1}")));
    let o = env
        .golden(None)
        .args(["link", &url, "proj", "--no-input"])
        .output()
        .unwrap();
    assert!(
        stderr(&o).contains("already has a record"),
        "{}",
        stderr(&o)
    );
    git(&proj, &["add", "-A"]);
    git(&proj, &["commit", "-qm", "link"]);
    let o = env.golden(None).args(["check", "proj"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("README.md"), "{}", stdout(&o));
    let o = env
        .golden(None)
        .args(["update", "proj", "--no-input"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read(&proj, "README.md"), "# old\n\nA better service.\n");
}

/// `template:default/svc` through a catalog: the entity's `file:` location inside a git working
/// tree is fetched from that repository, so the record names the commit.
fn catalog_template_run(env: &Env, config: Option<&Path>, extra_env: &[(&str, &str)]) {
    let repo = template_repo(env);
    let head = git(&repo, &["rev-parse", "HEAD"]);
    let file = repo.join("svc/template.yaml");
    let mut reg = env.golden(config);
    reg.envs(extra_env.iter().copied());
    let o = reg
        .args(["catalog", "register", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let started = std::time::Instant::now();
    loop {
        let mut c = env.golden(config);
        c.envs(extra_env.iter().copied());
        let o = c
            .args([
                "new",
                "template:default/svc",
                "--no-input",
                "--local",
                "--set",
                "name=cat",
                "--checkout",
                "p",
            ])
            .output()
            .unwrap();
        if o.status.success() {
            break;
        }
        // A Backstage catalog ingests asynchronously.
        assert!(
            stderr(&o).contains("has no entity") && started.elapsed().as_secs() < 60,
            "{}",
            stderr(&o)
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let p = env.work().join("p");
    assert_eq!(read(&p, "README.md"), "# cat\n\nA service.\n");
    let rec = read(&p, ".golden.yaml");
    assert!(rec.contains(&format!("url: {}", file_url(&repo))), "{rec}");
    assert!(
        rec.contains(&format!("commit: {head}")) && rec.contains("path: svc"),
        "{rec}"
    );
    // --from-catalog NAME is the same.
    let mut c = env.golden(config);
    c.envs(extra_env.iter().copied());
    let o = c
        .args([
            "new",
            "svc",
            "--from-catalog",
            "--no-input",
            "--set",
            "name=cat2",
            "--dry-run",
            "--output",
            "q",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        read(&env.work().join("q"), "README.md"),
        "# cat2\n\nA service.\n"
    );
    let mut c = env.golden(config);
    c.envs(extra_env.iter().copied());
    let o = c
        .args(["new", "template:default/nope", "--no-input"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no entity `template:default/nope`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn catalog_template_from_the_local_catalog() {
    let env = Env::new();
    catalog_template_run(&env, None, &[]);
}

#[test]
fn catalog_template_from_the_backstage_catalog() {
    if !crate::catalog::harness_installed() {
        return;
    }
    let env = Env::new();
    let backend = crate::catalog::start_backend(&env.path().join("backend.log"));
    let config = env.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "catalog:\n  backstage:\n    baseUrl: http://127.0.0.1:{}\n",
            backend.port
        ),
    )
    .unwrap();
    catalog_template_run(
        &env,
        Some(&config),
        &[("BACKSTAGE_TOKEN", crate::catalog::TOKEN)],
    );
}

/// A template commit after the project was made: README gains a line.
fn template_v2(repo: &Path) -> String {
    write(
        repo,
        "skeletons/svc/README.md",
        "# ${{ values.name }}\n\nA service.\nNow with docs.\n",
    );
    git(repo, &["commit", "-qam", "v2: docs"]);
    git(repo, &["rev-parse", "HEAD"])
}

#[test]
fn update_pr_in_the_local_forge() {
    let env = Env::new();
    let repo = template_repo(&env);
    let url = format!("{}//svc", file_url(&repo));
    env.golden(None)
        .args([
            "new",
            &url,
            "--no-input",
            "--local",
            "--set",
            "name=fsvc",
            "--checkout",
            "proj",
        ])
        .assert()
        .success();
    let v2 = template_v2(&repo);
    let o = env
        .golden(None)
        .args(["update", "proj", "--no-input", "--pr"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let bare = env.home().join("forge/github.com/acme/fsvc.git");
    let pulls: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bare.join("golden/pulls.json")).unwrap())
            .unwrap();
    let branch = format!("golden/update-{}", &v2[..12]);
    assert_eq!(pulls[0]["head"], branch.as_str());
    assert_eq!(pulls[0]["base"], "main");
    let title = pulls[0]["title"].as_str().unwrap();
    assert!(
        title.starts_with("Update svc from ") && title.ends_with(&v2[..12]),
        "{title}"
    );
    let files = crate::fake_github::branch_files(&bare, &branch);
    assert_eq!(
        files["README.md"],
        b"# fsvc\n\nA service.\nNow with docs.\n"
    );
    assert!(String::from_utf8_lossy(&files[".golden.yaml"]).contains(&v2));
}

#[test]
fn update_pr_on_github() {
    let env = Env::new();
    let repo = template_repo(&env);
    let url = format!("{}//svc", file_url(&repo));
    let fake = FakeGithub::start("tok-pr", "octo");
    fake.add_org("acme", &[]);
    let base = fake.api_base_url().trim_end_matches("/api/v3").to_string();
    let host = base.trim_start_matches("http://");
    let config = env.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "integrations:\n  github:\n    - host: github.com\n      apiBaseUrl: {api}\n      token: tok-pr\n    - host: {host}\n      apiBaseUrl: {api}\n      token: tok-pr\n",
            api = fake.api_base_url()
        ),
    )
    .unwrap();
    let o = env
        .golden(Some(&config))
        .args([
            "new",
            &url,
            "--no-input",
            "--set",
            "name=gsvc",
            "--checkout",
            "proj",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v2 = template_v2(&repo);
    // A conflict-free update, pushed and proposed.
    let o = env
        .golden(Some(&config))
        .args(["update", "proj", "--no-input", "--pr"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let branch = format!("golden/update-{}", &v2[..12]);
    let calls = fake.calls();
    let pr = calls
        .iter()
        .find(|c| c.method == "POST" && c.path == "/repos/acme/gsvc/pulls")
        .expect("a pull request was opened");
    assert_eq!(pr.body["head"], branch.as_str());
    assert_eq!(pr.body["base"], "main");
    assert!(pr.body["title"].as_str().unwrap().contains(&v2[..12]));
    let files = crate::fake_github::branch_files(&fake.repo_path("acme", "gsvc"), &branch);
    assert_eq!(
        files["README.md"],
        b"# gsvc\n\nA service.\nNow with docs.\n"
    );
    assert!(!stderr(&o).contains("tok-pr"));
}

#[test]
fn remote_skeleton_urls_are_read_from_integrated_hosts_only() {
    let env = Env::new();
    let repo = template_repo(&env);
    let fake = FakeGithub::start("tok-skel", "octo");
    fake.add_repo("acme", "skeletons");
    git(
        &repo,
        &[
            "push",
            "-q",
            "--force",
            fake.repo_path("acme", "skeletons").to_str().unwrap(),
            "main",
        ],
    );
    let base = fake.api_base_url().trim_end_matches("/api/v3").to_string();
    let host = base.trim_start_matches("http://").to_string();
    let tpl = env.path().join("remote-tpl");
    std::fs::create_dir_all(&tpl).unwrap();
    let template = format!(
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {{name: remote}}\nspec:\n  type: service\n  parameters: []\n  steps:\n    - id: tree\n      action: fetch:template\n      input:\n        url: {base}/acme/skeletons/tree/main/skeletons/svc\n        values: {{name: far}}\n    - id: blob\n      action: fetch:plain:file\n      input:\n        url: {base}/acme/skeletons/blob/main/skeletons/svc/run.sh\n        targetPath: bin/run.sh\n"
    );
    std::fs::write(tpl.join("template.yaml"), template).unwrap();
    let run = |config: Option<&Path>, out: &str| {
        env.golden(config)
            .args([
                "new",
                tpl.to_str().unwrap(),
                "--no-input",
                "--dry-run",
                "--output",
                out,
            ])
            .output()
            .unwrap()
    };
    // A host without an integration is refused, as Backstage's URL readers refuse it.
    let o = run(None, "a");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("is not allowed") && stderr(&o).contains(&host),
        "{}",
        stderr(&o)
    );
    let config = env.path().join("config.yaml");
    std::fs::write(
        &config,
        format!("integrations:\n  github:\n    - host: {host}\n      token: tok-skel\n"),
    )
    .unwrap();
    let o = run(Some(&config), "b");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read(&env.work(), "b/README.md"), "# far\n\nA service.\n");
    assert_eq!(read(&env.work(), "b/bin/run.sh"), "#!/bin/sh\necho hi\n");
}

#[test]
fn a_missing_folder_of_a_fetched_template_reads_as_empty_with_a_warning() {
    let env = Env::new();
    let repo = template_repo(&env);
    write(
        &repo,
        "svc/template.yaml",
        &TEMPLATE_V1.replace("url: ../skeletons/svc", "url: ../skeletons/missing"),
    );
    git(&repo, &["commit", "-qam", "points at a missing folder"]);
    let url = format!("{}//svc", file_url(&repo));
    let o = env
        .golden(None)
        .args([
            "new",
            &url,
            "--no-input",
            "--set",
            "name=x",
            "--dry-run",
            "--json",
            "--output",
            "out",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(all.contains("read as an empty folder"), "{all}");
    assert_eq!(
        std::fs::read_dir(env.work().join("out")).unwrap().count(),
        0
    );
    // A template on disk still fails on a missing folder.
    let local = repo.join("svc");
    let o = env
        .golden(None)
        .args([
            "new",
            local.to_str().unwrap(),
            "--no-input",
            "--set",
            "name=x",
            "--dry-run",
            "--output",
            "out2",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn check_cannot_tell_when_the_source_is_unreachable() {
    let env = Env::new();
    let proj = env.work().join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    let gone = file_url(&env.path().join("gone.git"));
    write(
        &proj,
        ".golden.yaml",
        &format!("apiVersion: golden/v1\nkind: ProjectRecord\ntemplate:\n  name: svc\n  url: {gone}\n  commit: {}\ngoldenVersion: 0.1.0\nanswers: {{}}\n", "a".repeat(40)),
    );
    let o = env.golden(None).args(["check", "proj"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot fetch the template repository") && stderr(&o).contains(&gone),
        "{}",
        stderr(&o)
    );
    let o = env
        .golden(None)
        .args(["check", "proj", "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["status"], "unknown");
    assert!(
        json["reason"].as_str().unwrap().contains("cannot fetch"),
        "{json}"
    );
}

/// On a terminal, `golden update` asks only for what the new version requires and the record
/// does not hold.
#[test]
fn update_asks_only_for_the_new_required_value_on_a_terminal() {
    use expectrl::Expect;
    let env = Env::new();
    let repo = template_repo(&env);
    let url = format!("{}//svc", file_url(&repo));
    env.golden(None)
        .args([
            "new",
            &url,
            "--no-input",
            "--local",
            "--set",
            "name=tty",
            "--checkout",
            "proj",
        ])
        .assert()
        .success();
    let t2 = TEMPLATE_V1
        .replace("required: [name]", "required: [name, team]")
        .replace(
            "        name: {type: string}\n",
            "        name: {type: string}\n        team: {type: string, title: Owning team}\n",
        )
        .replace(
            "          name: ${{ parameters.name }}\n",
            "          name: ${{ parameters.name }}\n          team: ${{ parameters.team }}\n",
        );
    write(&repo, "svc/template.yaml", &t2);
    write(
        &repo,
        "skeletons/svc/README.md",
        "# ${{ values.name }} (${{ values.team }})\n\nA service.\n",
    );
    git(&repo, &["commit", "-qam", "v2: team"]);
    let none = env.path().join("no-config.yaml");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_golden"));
    cmd.args(["update", "proj"])
        .current_dir(env.work())
        .env_remove("CI")
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env("GOLDEN_HOME", env.home())
        .env("GOLDEN_CONFIG", &none)
        .env("HOME", env.path().join("user-home"));
    let mut s = expectrl::Session::spawn(cmd).expect("a pty");
    s.set_expect_timeout(Some(std::time::Duration::from_secs(60)));
    s.expect("Owning team")
        .expect("golden asks for the new required value");
    s.send("core\r").unwrap();
    s.expect(expectrl::Eof).expect("nothing else is asked");
    assert_eq!(
        read(&env.work().join("proj"), "README.md"),
        "# tty (core)\n\nA service.\n"
    );
    assert!(read(&env.work().join("proj"), ".golden.yaml").contains("team: core"));
}

#[test]
fn update_refuses_a_folder_outside_git_and_pr_with_conflicts() {
    let env = Env::new();
    let repo = template_repo(&env);
    let url = format!("{}//svc", file_url(&repo));
    // Not a git repository: golden cannot tell the project's changes apart.
    env.golden(None)
        .args([
            "new",
            &url,
            "--no-input",
            "--set",
            "name=plain",
            "--dry-run",
            "--record",
            "--output",
            "plain",
        ])
        .assert()
        .success();
    let o = env
        .golden(None)
        .args(["update", "plain", "--no-input"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not a git repository"),
        "{}",
        stderr(&o)
    );
    // --pr with a conflict opens nothing and says what to do.
    env.golden(None)
        .args([
            "new",
            &url,
            "--no-input",
            "--local",
            "--set",
            "name=cpr",
            "--checkout",
            "proj",
        ])
        .assert()
        .success();
    let proj = env.work().join("proj");
    write(&proj, "README.md", "# mine\n\nA service.\n");
    git(&proj, &["commit", "-qam", "mine"]);
    write(
        &repo,
        "skeletons/svc/README.md",
        "# theirs ${{ values.name }}\n\nA service.\n",
    );
    git(&repo, &["commit", "-qam", "theirs"]);
    let o = env
        .golden(None)
        .args(["update", "proj", "--no-input", "--pr"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no pull request was opened"),
        "{}",
        stderr(&o)
    );
    let pulls = env
        .home()
        .join("forge/github.com/acme/cpr.git/golden/pulls.json");
    assert!(!pulls.exists());
    assert!(read(&proj, "README.md").contains("<<<<<<< project"));
}

#[test]
fn link_takes_answers_from_the_catalog_entity() {
    let env = Env::new();
    let repo = template_repo(&env);
    let v1 = git(&repo, &["rev-parse", "HEAD"]);
    let url = format!("{}//svc", file_url(&repo));
    let proj = env.work().join("bs");
    write(&proj, "README.md", "# from-backstage\n\nA service.\n");
    write(
        &proj,
        "catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: from-backstage\n  annotations:\n    backstage.io/source-template: template:default/svc\nspec:\n  type: service\n  owner: group:default/team-a\n  lifecycle: experimental\n",
    );
    let o = env
        .golden(None)
        .args(["link", &url, "bs", "--ref", &v1, "--no-input"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("answers from catalog-info.yaml: name"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    let rec = read(&proj, ".golden.yaml");
    assert!(rec.contains("name: from-backstage"), "{rec}");
    assert!(
        !rec.contains("owner:"),
        "the template has no owner parameter: {rec}"
    );
}

/// Templates fetched from a GitHub host use the token publishing uses: the repository owner's
/// GitHub App installation token first (the config's token here is wrong, so only the app's
/// can fetch), as `integrations.github[].apps` give it.
#[test]
fn fetched_with_the_owners_github_app_installation_token() {
    let env = Env::new();
    let repo = template_repo(&env);
    let fake = FakeGithub::start("tok-right", "octo");
    fake.add_repo("acme", "templates");
    git(
        &repo,
        &[
            "push",
            "-q",
            "--force",
            fake.repo_path("acme", "templates").to_str().unwrap(),
            "main",
        ],
    );
    let public =
        std::fs::read(crate::support::root().join("tests/it/fixtures/github-app/public-key.pem"))
            .unwrap();
    fake.add_app(4242, &public);
    fake.add_installation(7, "acme", None, false);
    let key = std::fs::read_to_string(
        crate::support::root().join("tests/it/fixtures/github-app/private-key.pem"),
    )
    .unwrap();
    let key: String = key.lines().map(|l| format!("            {l}\n")).collect();
    let base = fake.api_base_url().trim_end_matches("/api/v3").to_string();
    let host = base.trim_start_matches("http://").to_string();
    let config = env.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "integrations:\n  github:\n    - host: {host}\n      apiBaseUrl: {}\n      token: ghp_wrong\n      apps:\n        - appId: 4242\n          clientId: Iv1.test\n          clientSecret: not-used\n          privateKey: |\n{key}",
            fake.api_base_url()
        ),
    )
    .unwrap();
    let url = format!("{base}/git/acme/templates.git//svc?ref=main");
    let o = env
        .golden(Some(&config))
        .args(["new", &url, "--no-input", "--set", "name=web"])
        .args(["--dry-run", "--output", "out"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read(&env.work(), "out/README.md"), "# web\n\nA service.\n");
    let issued = fake.issued_tokens();
    assert_eq!(issued.len(), 1, "{:?}", fake.call_lines());
    assert!(!stderr(&o).contains(&issued[0]));
}
