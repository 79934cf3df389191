//! Hostile input through the real binary: inputs nested deep enough to overflow a recursive
//! parser, FIFOs and devices that would block or never end, reads outside the template's source
//! root, and names and files that are not UTF-8. Every case must end quickly with a clear error,
//! never a hang, an abort or a leaked file.

use std::path::Path;
use std::time::Duration;

use crate::support::golden;

const HEAD: &str = "apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: hostile
spec:
  type: service
";

/// Runs golden with a time limit; returns (exit status, stderr).
fn run_in(dir: &Path, args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = golden()
        .current_dir(dir)
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("golden runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

/// `golden new DIR --dry-run --output OUT` with extra arguments.
fn dry_run(t: &Path, extra: &[&str]) -> (i32, String) {
    let out = t.join("out");
    let mut args = vec![os("new"), t.as_os_str(), os("--dry-run"), os("--output")];
    args.push(out.as_os_str());
    args.extend(extra.iter().map(|a| os(a)));
    run_in(t, &args)
}

fn template(dir: &Path, steps: &str) {
    std::fs::write(
        dir.join("template.yaml"),
        format!("{HEAD}  steps:\n{steps}"),
    )
    .unwrap();
}

#[cfg(unix)]
fn mkfifo(p: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

#[test]
fn every_input_path_has_one_nesting_limit() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    // 12,000 nested block sequences on one line (24 KB), a recursion of 12,000 frames.
    let deep_block = format!("{}x\n", "- ".repeat(12_000));
    // 300 nested block mappings, one space of indentation each.
    let deep_map: String = (0..300).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
    let deep_flow = format!("{}{}\n", "[".repeat(300), "]".repeat(300));
    for (name, text) in [
        ("block", &deep_block),
        ("map", &deep_map),
        ("flow", &deep_flow),
    ] {
        let tdir = dir.join(name);
        std::fs::create_dir(&tdir).unwrap();
        std::fs::write(tdir.join("template.yaml"), text).unwrap();
        let (code, err) = run_in(dir, &[os("new"), tdir.as_os_str(), os("--dry-run")]);
        assert_eq!(code, 1, "{name}: {err}");
        assert!(
            err.contains("recursion limit exceeded: values nest deeper than 128 levels"),
            "{name}: {err}"
        );
        let file = tdir.join("template.yaml");
        let (code, err) = run_in(dir, &[os("validate"), file.as_os_str()]);
        assert_eq!(code, 1, "{name}: {err}");
        assert!(err.contains("recursion limit exceeded"), "{name}: {err}");
    }
    // The same limit for --values files and --set keys.
    let ok = dir.join("ok");
    std::fs::create_dir(&ok).unwrap();
    template(
        &ok,
        "    - action: debug:log\n      input: { message: hi }\n",
    );
    let values = dir.join("values.yaml");
    std::fs::write(&values, format!("x:\n  {deep_block}")).unwrap();
    let (code, err) = dry_run(&ok, &["--values", values.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("recursion limit exceeded"), "{err}");
    let key = vec!["k"; 30_000].join(".");
    let (code, err) = dry_run(&ok, &["--set", &format!("{key}=1")]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("recursion limit exceeded"), "{err}");
    assert!(
        err.len() < 2_000,
        "the key is not echoed whole: {} bytes",
        err.len()
    );
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_are_refused_without_blocking() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    // A FIFO in a skeleton (fetch:template and fetch:plain).
    for action in ["fetch:template", "fetch:plain"] {
        let tdir = dir.join(action.replace(':', "-"));
        std::fs::create_dir_all(tdir.join("skeleton")).unwrap();
        std::fs::write(tdir.join("skeleton/a.txt"), "a").unwrap();
        mkfifo(&tdir.join("skeleton/pipe"));
        template(
            &tdir,
            &format!("    - action: {action}\n      input: {{ url: ./skeleton }}\n"),
        );
        let (code, err) = dry_run(&tdir, &[]);
        assert_eq!(code, 1, "{action}: {err}");
        assert!(
            err.contains("`pipe`") && err.contains("named pipe (FIFO)"),
            "{action}: {err}"
        );
    }
    // `$text: ./fifo` and a fetch:*:file of a FIFO.
    let tdir = dir.join("text");
    std::fs::create_dir(&tdir).unwrap();
    mkfifo(&tdir.join("fifo"));
    template(
        &tdir,
        "    - action: debug:log\n      input: { message: { $text: ./fifo } }\n",
    );
    let (code, err) = dry_run(&tdir, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("named pipe (FIFO)"), "{err}");
    for action in ["fetch:template:file", "fetch:plain:file"] {
        template(
            &tdir,
            &format!("    - action: {action}\n      input: {{ url: ./fifo, targetPath: x }}\n"),
        );
        let (code, err) = dry_run(&tdir, &[]);
        assert_eq!(code, 1, "{action}: {err}");
        assert!(err.contains("named pipe (FIFO)"), "{action}: {err}");
    }
    // A template.yaml that is a FIFO, and a --values file that is a device.
    let fdir = dir.join("fifo-template");
    std::fs::create_dir(&fdir).unwrap();
    mkfifo(&fdir.join("template.yaml"));
    let (code, err) = run_in(
        dir,
        &[
            os("new"),
            fdir.join("template.yaml").as_os_str(),
            os("--dry-run"),
        ],
    );
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("named pipe (FIFO)"), "{err}");
    let ok = dir.join("ok");
    std::fs::create_dir(&ok).unwrap();
    template(
        &ok,
        "    - action: debug:log\n      input: { message: hi }\n",
    );
    let (code, err) = dry_run(&ok, &["--values", "/dev/zero"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("character device"), "{err}");
}

#[test]
fn reads_stay_inside_the_template_source_root() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let secret = dir.join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET").unwrap();
    let tdir = dir.join("tpl");
    std::fs::create_dir(&tdir).unwrap();
    let cases = [
        ("fetch:plain:file", "/proc/self/environ"),
        ("fetch:plain:file", "../secret.txt"),
        ("fetch:template:file", "/dev/zero"),
        ("fetch:template:file", "../secret.txt"),
        ("fetch:plain", "/etc"),
        ("fetch:template", "../../../../../../../../../../../etc"),
    ];
    for (action, url) in cases {
        template(
            &tdir,
            &format!("    - action: {action}\n      input: {{ url: '{url}', targetPath: leak }}\n"),
        );
        let out = tdir.join("out");
        let (code, err) = dry_run(&tdir, &[]);
        assert_eq!(code, 1, "{action} {url}: {err}");
        assert!(err.contains("source root"), "{action} {url}: {err}");
        assert!(!err.contains("TOP-SECRET"), "{err}");
        assert!(!out.join("leak").exists(), "{action} {url} wrote the file");
        // validate reports it as an error.
        let (code, err) = run_in(dir, &[os("validate"), tdir.as_os_str()]);
        assert_eq!(code, 1, "{action} {url}: {err}");
        assert!(err.contains("[skeleton-outside]"), "{action} {url}: {err}");
    }
    for target in ["/etc/hostname", "../secret.txt"] {
        template(
            &tdir,
            &format!(
                "    - action: debug:log\n      input: {{ message: {{ $text: '{target}' }} }}\n"
            ),
        );
        let (code, err) = dry_run(&tdir, &[]);
        assert_eq!(code, 1, "{target}: {err}");
        assert!(err.contains("source root"), "{target}: {err}");
        let (code, err) = run_in(dir, &[os("validate"), tdir.as_os_str()]);
        assert_eq!(code, 1, "{target}: {err}");
        assert!(err.contains("[placeholder]"), "{target}: {err}");
    }
    // A symlink inside the template that leads out counts as outside.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&secret, tdir.join("link.txt")).unwrap();
        template(
            &tdir,
            "    - action: fetch:plain:file\n      input: { url: ./link.txt, targetPath: leak }\n",
        );
        let (code, err) = dry_run(&tdir, &[]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("outside the template's source root"), "{err}");
    }
}

#[test]
fn a_templates_repository_is_the_source_root() {
    let t = tempfile::tempdir().unwrap();
    let repo = t.path().join("templates-repo");
    let tdir = repo.join("templates/svc");
    std::fs::create_dir_all(&tdir).unwrap();
    std::fs::create_dir_all(repo.join("skeletons/common")).unwrap();
    std::fs::write(repo.join("skeletons/common/README.md"), "common\n").unwrap();
    git2::Repository::init(&repo).unwrap();
    template(
        &tdir,
        "    - action: fetch:plain\n      input: { url: ../../skeletons/common }\n",
    );
    let (code, err) = dry_run(&tdir, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(tdir.join("out/README.md")).unwrap(),
        "common\n"
    );
    let (code, err) = run_in(t.path(), &[os("validate"), tdir.as_os_str()]);
    assert_eq!(code, 0, "{err}");
}

#[cfg(unix)]
#[test]
fn text_that_is_not_utf8_is_named() {
    use std::os::unix::ffi::OsStrExt;
    let t = tempfile::tempdir().unwrap();
    // validate DIR reports a template.yaml that is not UTF-8 instead of skipping it.
    let bad = t.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    let mut bytes = HEAD.as_bytes().to_vec();
    bytes.extend_from_slice(b"  owner: caf\xe9\n");
    std::fs::write(bad.join("template.yaml"), bytes).unwrap();
    let (code, err) = run_in(t.path(), &[os("validate"), bad.as_os_str()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not UTF-8"), "{err}");
    // A skeleton file name that is not UTF-8 is named and said to be so.
    let tdir = t.path().join("tpl");
    std::fs::create_dir_all(tdir.join("skeleton")).unwrap();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    std::fs::write(tdir.join("skeleton").join(name), "x").unwrap();
    for action in ["fetch:template", "fetch:plain"] {
        template(
            &tdir,
            &format!("    - action: {action}\n      input: {{ url: ./skeleton }}\n"),
        );
        let (code, err) = dry_run(&tdir, &[]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("caf\u{fffd}.txt") && err.contains("is not UTF-8"),
            "{action}: {err}"
        );
        assert!(!err.contains("No such file"), "{err}");
    }
}

// Local forge: concurrent runs and kills.

const PUBLISH: &str = "apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: forge-race
spec:
  type: service
  parameters:
    - properties:
        name: { type: string }
        salt: { type: string }
  steps:
    - id: fetch
      action: fetch:template
      input:
        url: ./skeleton
        values: { salt: '${{ parameters.salt }}' }
    - id: publish
      action: publish:github
      input:
        repoUrl: github.com?owner=acme&repo=${{ parameters.name }}
";

/// A template publishing to the local forge, and the environment of isolated runs.
struct Forge {
    dir: tempfile::TempDir,
}

impl Forge {
    fn new() -> Forge {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("tpl");
        std::fs::create_dir_all(t.join("skeleton")).unwrap();
        std::fs::write(t.join("template.yaml"), PUBLISH).unwrap();
        std::fs::write(t.join("skeleton/salt.txt"), "${{ values.salt }}\n").unwrap();
        for d in ["work", "tmp", "user-home", "empty-path"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        std::fs::write(dir.path().join("config.yaml"), "{}\n").unwrap();
        Forge { dir }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn repo(&self, name: &str) -> std::path::PathBuf {
        self.path()
            .join(format!("home/forge/github.com/acme/{name}.git"))
    }
    /// `golden new --local` as a plain process (to run many at once, or to kill).
    fn command(&self, name: &str, salt: &str, checkout: &str) -> std::process::Command {
        let p = self.path();
        // GOLDEN_TEST_RACE_BIN: another golden build (see the concurrency test).
        let bin = std::env::var_os("GOLDEN_TEST_RACE_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_golden").into());
        let mut cmd = std::process::Command::new(bin);
        cmd.current_dir(p.join("work"))
            .args([
                "new",
                p.join("tpl").to_str().unwrap(),
                "--no-input",
                "--local",
            ])
            .args([
                "--set",
                &format!("name={name}"),
                "--set",
                &format!("salt={salt}"),
            ])
            .args(["--checkout", checkout])
            .env("GOLDEN_HOME", p.join("home"))
            .env("GOLDEN_CONFIG", p.join("config.yaml"))
            .env("HOME", p.join("user-home"))
            .env("PATH", p.join("empty-path"))
            .env("TMPDIR", p.join("tmp"))
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_TOKEN")
            .env_remove("GH_TOKEN")
            .env_remove("CI")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        cmd
    }
}

/// The commit `main` of a forge repository points at, and the salt it holds.
fn forge_head(repo: &Path) -> Option<(git2::Oid, String)> {
    let r = git2::Repository::open_bare(repo).ok()?;
    let commit = r
        .find_reference("refs/heads/main")
        .ok()?
        .peel_to_commit()
        .ok()?;
    let blob = commit
        .tree()
        .ok()?
        .get_path(Path::new("salt.txt"))
        .ok()?
        .to_object(&r)
        .ok()?
        .peel_to_blob()
        .ok()?;
    Some((
        commit.id(),
        String::from_utf8_lossy(blob.content()).trim().to_string(),
    ))
}

/// Whether a run's stderr claims the repository: it succeeded, or its failure report lists the
/// repository as created by it.
fn claims(code: i32, err: &str) -> bool {
    code == 0 || err.contains("already created: the local-forge repository")
}

/// Rounds of 12 runs publishing the same name at once. `GOLDEN_TEST_FORGE_RACE` makes every run
/// wait, after finding the name free, until all 12 have: the creation itself must let exactly
/// one of them create the name. `GOLDEN_TEST_RACE_BIN` runs another golden build instead (to
/// show this test failing on the check-then-create code before the fix, see
/// `docs/hostile.md`).
#[test]
fn concurrent_runs_create_a_forge_repository_exactly_once() {
    let f = Forge::new();
    let runs = 12;
    let rounds: Vec<Vec<(i32, String)>> = (0..3)
        .map(|round| {
            let barrier = format!(
                "{runs}:{}",
                f.path().join(format!("race-{round}")).display()
            );
            let children: Vec<_> = (0..runs)
                .map(|i| {
                    f.command(
                        &format!("svc{round}"),
                        &format!("salt-{i}"),
                        &format!("co-{round}-{i}"),
                    )
                    .env("GOLDEN_TEST_FORGE_RACE", &barrier)
                    .spawn()
                    .unwrap()
                })
                .collect();
            children
                .into_iter()
                .map(|c| {
                    let out = c.wait_with_output().unwrap();
                    (
                        out.status.code().unwrap_or(-1),
                        String::from_utf8_lossy(&out.stderr).into_owned(),
                    )
                })
                .collect()
        })
        .collect();
    let duplicates: Vec<usize> = rounds
        .iter()
        .map(|r| {
            r.iter()
                .filter(|(c, e)| claims(*c, e))
                .count()
                .saturating_sub(1)
        })
        .collect();
    assert!(
        duplicates.iter().all(|&d| d == 0),
        "runs that claim a repository another run claims too, per round of {runs}: {duplicates:?}\n{rounds:#?}"
    );
    for (round, results) in rounds.iter().enumerate() {
        let winners: Vec<usize> = (0..runs).filter(|&i| results[i].0 == 0).collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:#?}");
        let winner = winners[0];
        for (i, (code, err)) in results.iter().enumerate() {
            if i == winner {
                continue;
            }
            // Every run found the name free (the barrier): the creation itself refused.
            assert_eq!(*code, 1, "{err}");
            assert!(
                err.contains("created in the local forge by another run at the same time"),
                "{err}"
            );
        }
        // The repository holds the winner's commit, its clone is complete, its record valid.
        let name = format!("svc{round}");
        let repo = f.repo(&name);
        let (_, salt) = forge_head(&repo).expect("a complete repository");
        assert_eq!(salt, format!("salt-{winner}"));
        let settings: Vec<serde_json::Value> = serde_json::from_str(
            &std::fs::read_to_string(repo.join("golden/settings.json")).unwrap(),
        )
        .expect("settings.json is valid JSON");
        assert_eq!(settings.len(), 1);
        let clone = f.path().join(format!("work/co-{round}-{winner}"));
        assert_eq!(
            std::fs::read_to_string(clone.join("salt.txt"))
                .unwrap()
                .trim(),
            salt
        );
        let leftovers: Vec<_> = std::fs::read_dir(repo.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

#[cfg(unix)]
#[test]
fn a_killed_run_leaves_nothing_half_made() {
    let f = Forge::new();
    // Kill at points spread over a run (a run takes a few hundred milliseconds here).
    for (round, delay_ms) in [5u64, 40, 80, 120, 160, 200, 260, 330, 420, 600]
        .iter()
        .enumerate()
    {
        let name = format!("k{round}");
        let checkout = format!("co-{round}");
        let mut child = f.command(&name, "s", &checkout).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(*delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let repo = f.repo(&name);
        // The repository is absent or complete.
        if repo.exists() {
            assert!(
                forge_head(&repo).is_some(),
                "round {round}: half-made {repo:?}"
            );
            let settings = std::fs::read_to_string(repo.join("golden/settings.json")).unwrap();
            serde_json::from_str::<serde_json::Value>(&settings).expect("valid settings");
        }
        // The clone is absent or complete.
        let co = f.path().join("work").join(&checkout);
        if co.exists() {
            assert!(co.join("salt.txt").is_file(), "round {round}: half clone");
            assert!(!co.join(".git/config.lock").exists());
        }
        // A rerun creates the repository, or says it exists and what to do.
        let out = f
            .command(&name, "s", &format!("{checkout}-again"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            assert!(forge_head(&repo).is_some());
        } else {
            assert!(repo.exists(), "round {round}: {err}");
            assert!(err.contains("already exists in the local forge"), "{err}");
            assert!(err.contains("it holds main at"), "{err}");
            assert!(err.contains("delete `"), "{err}");
        }
    }
}

// Signals and what killed runs leave behind.

#[cfg(unix)]
fn workspaces(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".golden-workspace-"))
        .collect()
}

#[cfg(unix)]
#[test]
fn signals_remove_the_workspace_and_kills_are_cleaned_up_next_time() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    template(
        dir,
        // A step that takes seconds even in a dry run: 100,000 iterations.
        "    - action: debug:log\n      input: { message: hi }\n    - action: debug:log\n      each: '${{ range(0, 100000) }}'\n      input: { message: 'n ${{ each.value }}' }\n",
    );
    let start = |out: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_golden"))
            .current_dir(dir)
            .args(["new", ".", "--dry-run", "--no-input", "--output", out])
            .env("NO_COLOR", "1")
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let wait_for_workspace = || {
        for _ in 0..200 {
            if !workspaces(dir).is_empty() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no workspace appeared");
    };
    for (sig, code) in [
        (libc::SIGINT, 130),
        (libc::SIGTERM, 143),
        (libc::SIGHUP, 129),
    ] {
        let child = start("out");
        wait_for_workspace();
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "signal {sig}: {err}");
        assert!(err.contains("workspace was removed"), "{err}");
        assert!(
            workspaces(dir).is_empty(),
            "signal {sig} left {:?}",
            workspaces(dir)
        );
        assert!(!dir.join("out").exists());
    }
    // kill -9 cannot be handled: the workspace stays, carrying the pid, and the next run in the
    // same place removes it.
    let mut child = start("out");
    wait_for_workspace();
    child.kill().unwrap();
    child.wait().unwrap();
    let left = workspaces(dir);
    assert_eq!(left.len(), 1);
    assert!(
        left[0].starts_with(&format!(".golden-workspace-{}-", child.id())),
        "{left:?}"
    );
    template(
        dir,
        "    - action: debug:log\n      input: { message: hi }\n",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_golden"))
        .current_dir(dir)
        .args(["new", ".", "--dry-run", "--no-input", "--output", "out2"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(workspaces(dir).is_empty(), "{:?}", workspaces(dir));
}

// Resume.

#[test]
fn a_failed_real_run_resumes_after_the_steps_that_ran() {
    let f = Forge::new();
    let t = f.path().join("tpl");
    let steps = "    - id: extra\n      action: fetch:plain:file\n      input: { url: ./extra.txt, targetPath: extra.txt }\n";
    std::fs::write(t.join("template.yaml"), format!("{PUBLISH}{steps}")).unwrap();
    let run = |extra: &[&str]| {
        let mut cmd = f.command("svc", "one", "co");
        cmd.args(extra);
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // The step after publishing fails: the repository exists, the error says how to resume.
    let (code, err) = run(&[]);
    assert_eq!(code, 1, "{err}");
    let kept = err
        .split("--resume ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no --resume in {err}"))
        .trim_end_matches(['`', ')', ';'])
        .to_string();
    assert!(Path::new(&kept).join("run.json").is_file(), "{kept}: {err}");
    let repo = f.repo("svc");
    let (commit, _) = forge_head(&repo).unwrap();
    // Other values are refused.
    let mut other = f.command("svc", "two", "co");
    other.args(["--resume", &kept]);
    let out = other.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("values differ"));
    // Fixed, the run continues: publish is not run again (no "already exists"), the last step
    // runs, and the clone is made.
    std::fs::write(t.join("extra.txt"), "extra\n").unwrap();
    let (code, err) = run(&["--resume", &kept]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(forge_head(&repo).unwrap().0, commit);
    assert!(f.path().join("work/co/salt.txt").is_file(), "{err}");
    assert!(!Path::new(&kept).exists(), "the kept folder is used up");

    // A resumed run checks the repository still holds the pushed commit.
    std::fs::remove_file(t.join("extra.txt")).unwrap();
    let (code, err) = {
        let out = f.command("svc2", "one", "co2").output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(code, 1, "{err}");
    let kept = err
        .split("--resume ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .trim_end_matches(['`', ')', ';'])
        .to_string();
    std::fs::remove_dir_all(f.repo("svc2")).unwrap();
    let mut cmd = f.command("svc2", "one", "co2");
    cmd.args(["--resume", &kept]);
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no longer holds it"), "{err}");
}
