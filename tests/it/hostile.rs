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
