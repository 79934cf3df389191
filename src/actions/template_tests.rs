//! Unit tests of `fetch:template` (behaviour checked against the oracle's Backstage 4.3.0).

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::FetchTemplate;
use crate::actions::testing::{run, Ran, TestRun};

struct Fixture {
    _dir: tempfile::TempDir,
    template: PathBuf,
    ws: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("tpl");
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(template.join("skeleton")).unwrap();
    std::fs::create_dir_all(&ws).unwrap();
    Fixture {
        template,
        ws,
        _dir: dir,
    }
}

impl Fixture {
    fn skeleton(&self) -> PathBuf {
        self.template.join("skeleton")
    }

    /// Runs `fetch:template` with `input` into the workspace.
    fn fetch(&self, input: Value) -> Ran {
        run(&FetchTemplate, &self.ws, &self.template, input)
    }
}

fn put(base: &Path, rel: &str, contents: &[u8]) {
    let p = base.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, contents).unwrap();
}

/// `d0/f00.txt` ... `d2/f39.txt`, spread over three folders, each holding `v=${{ values.v }}`.
fn forty_files(sk: &Path) {
    for i in 0..40 {
        let name = format!("d{}/f{i:02}.txt", i % 3);
        put(sk, &name, b"v=${{ values.v }}\n");
    }
}

/// A [`fixture`] whose skeleton holds each `(path, text)`.
fn with_skeleton(files: &[(&str, &str)]) -> Fixture {
    let f = fixture();
    for (rel, text) in files {
        put(&f.skeleton(), rel, text.as_bytes());
    }
    f
}

fn read(base: &Path, rel: &str) -> String {
    std::fs::read_to_string(base.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn renders_names_and_contents_and_skips_empty_paths() {
    let f = with_skeleton(&[
        ("${{ values.name }}/main.txt", "hello ${{ values.name }}\n"),
        ("${{ values.missing }}", "skipped: renders empty"),
        ("${{ values.nothing }}/inner.txt", "skipped: starts with /"),
        ("a/${{ values.missing }}/b.txt", "skipped: contains //"),
        ("plain.txt", "no braces at all\r\n"),
    ]);
    std::fs::create_dir_all(f.skeleton().join("empty/dir")).unwrap();
    let (r, log) = f.fetch(json!({"url": "./skeleton", "values": {"name": "demo"}}));
    r.unwrap();
    assert_eq!(read(&f.ws, "demo/main.txt"), "hello demo\n");
    assert_eq!(read(&f.ws, "plain.txt"), "no braces at all\r\n");
    assert!(
        f.ws.join("empty/dir").is_dir(),
        "empty directories are kept"
    );
    assert!(!f.ws.join("a/b.txt").exists() && !f.ws.join("inner.txt").exists());
    let names: Vec<_> = std::fs::read_dir(&f.ws)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}"); // demo, plain.txt, empty, a
    assert!(
        log.iter().any(|l| l
            == "Writing file ${{ values.name }}/main.txt to template output path with mode 33188."),
        "{log:?}"
    );
}

#[test]
fn existing_files_are_kept_unless_replace() {
    let f = fixture();
    let sk = f.skeleton();
    put(&sk, "a.txt", b"new ${{ values.v }}");
    put(&f.ws, "a.txt", b"old");
    let (r, _) = f.fetch(json!({"url": "./skeleton", "values": {"v": 1}}));
    r.unwrap();
    assert_eq!(read(&f.ws, "a.txt"), "old");
    let (r, _) = f.fetch(json!({"url": "./skeleton", "values": {"v": 1}, "replace": true}));
    r.unwrap();
    assert_eq!(read(&f.ws, "a.txt"), "new 1");
}

#[test]
fn copy_without_templating_keeps_contents_but_renders_names() {
    let f = with_skeleton(&[
        (
            ".github/workflows/${{ values.n }}.yml",
            "run: ${{ github.sha }}",
        ),
        ("scripts/x.sh", "echo ${{ values.n }}"),
        ("scripts/y.txt", "${{ values.n }}"),
    ]);
    let input = json!({"url": "./skeleton", "values": {"n": "app"}, "copyWithoutTemplating": [".github", "scripts/*.sh"]});
    let (r, log) = f.fetch(input);
    r.unwrap();
    assert_eq!(
        read(&f.ws, ".github/workflows/app.yml"),
        "run: ${{ github.sha }}"
    );
    assert_eq!(read(&f.ws, "scripts/x.sh"), "echo ${{ values.n }}");
    assert_eq!(read(&f.ws, "scripts/y.txt"), "app");
    assert!(
        log.iter()
            .any(|l| l == "Copying file/directory scripts/x.sh without processing."),
        "{log:?}"
    );
}

#[test]
fn binary_files_and_modes() {
    let f = fixture();
    let sk = f.skeleton();
    let binary = b"\x89PNG\r\n\x1a\n\x00${{ values.x }}\x00\xff";
    put(&sk, "logo.png", binary);
    put(&sk, "run.sh", b"#!/bin/sh\necho ${{ values.x }}\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(sk.join("run.sh"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    let (r, _) = f.fetch(json!({"url": "./skeleton", "values": {"x": "y"}}));
    r.unwrap();
    assert_eq!(std::fs::read(f.ws.join("logo.png")).unwrap(), binary);
    assert_eq!(read(&f.ws, "run.sh"), "#!/bin/sh\necho y\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(f.ws.join("run.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_ne!(mode & 0o111, 0, "executable bit kept");
    }
}

#[test]
fn template_file_extension() {
    let f = fixture();
    let sk = f.skeleton();
    put(&sk, "setup.py.njk", b"name=${{ values.n }}");
    put(&sk, "${{ values.n }}.md", b"${{ values.n }} kept");
    let (r, _) = f
        .fetch(json!({"url": "./skeleton", "values": {"n": "lib"}, "templateFileExtension": true}));
    r.unwrap();
    assert_eq!(read(&f.ws, "setup.py"), "name=lib");
    assert_eq!(read(&f.ws, "lib.md"), "${{ values.n }} kept");
    let (r, _) = f.fetch(
        json!({"url": "./skeleton", "templateFileExtension": "jinja", "copyWithoutTemplating": []}),
    );
    assert!(r.unwrap_err().message.contains("incompatible"));
}

#[test]
fn urls_may_leave_the_template_folder_but_not_be_remote() {
    let f = fixture();
    let common = f.template.parent().unwrap().join("common");
    put(&common, "shared.txt", b"shared ${{ values.v }}");
    // Outside a repository the template's folder is the source root: `../common` is refused.
    let (r, _) = f.fetch(json!({"url": "../common", "values": {"v": 2}, "targetPath": "sub"}));
    let e = r.unwrap_err();
    assert!(
        e.message.contains("outside the template's source root"),
        "{}",
        e.message
    );
    for url in ["/etc", "/proc/self", "../../../../../../../../etc"] {
        let (r, _) = f.fetch(json!({ "url": url }));
        let e = r.unwrap_err();
        assert!(e.message.contains("source root"), "{url}: {}", e.message);
    }
    // In a templates repository, the repository is the root: `../common` is read.
    git2::Repository::init(f.template.parent().unwrap()).unwrap();
    let (r, _) = f.fetch(json!({"url": "../common", "values": {"v": 2}, "targetPath": "sub"}));
    r.unwrap();
    assert_eq!(read(&f.ws, "sub/shared.txt"), "shared 2");
    let (r, _) = f.fetch(json!({"url": "https://github.com/acme/skeletons/tree/main/x"}));
    let e = r.unwrap_err();
    assert!(
        e.message
            .contains("https://github.com/acme/skeletons/tree/main/x"),
        "{}",
        e.message
    );
    let (r, _) = f.fetch(json!({"url": "./nope"}));
    assert!(r.unwrap_err().message.contains("does not exist"));
}

#[test]
fn writes_never_leave_the_workspace() {
    let f = fixture();
    let outside = f.template.parent().unwrap().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let sk = f.skeleton();
    // A rendered name climbing out.
    put(&sk, "${{ values.p }}/x.txt", b"x");
    let (r, _) = f.fetch(json!({"url": "./skeleton", "values": {"p": "../outside"}}));
    assert!(r.is_err());
    assert!(!outside.join("x.txt").exists());
    // targetPath climbing out.
    let (r, _) =
        f.fetch(json!({"url": "./skeleton", "targetPath": "../outside", "values": {"p": "q"}}));
    assert!(r.is_err());
    assert!(!outside.join("q").exists());
    #[cfg(unix)]
    {
        // A symlink already in the workspace pointing out: writing through it is refused.
        std::os::unix::fs::symlink(&outside, f.ws.join("link")).unwrap();
        let (r, _) = f.fetch(json!({"url": "./skeleton", "values": {"p": "link"}}));
        assert!(r.is_err());
        assert!(
            !outside.join("x.txt").exists(),
            "nothing written through the link"
        );
        std::fs::remove_file(f.ws.join("link")).unwrap();
        // A file in the workspace that is a symlink pointing out, overwritten with replace.
        std::fs::write(outside.join("target.txt"), "untouched").unwrap();
        std::os::unix::fs::symlink(outside.join("target.txt"), f.ws.join("q")).unwrap();
        let sk2 = f.template.join("sk2");
        put(&sk2, "q", b"new");
        let (r, _) = f.fetch(json!({"url": "./sk2", "replace": true}));
        assert!(r.is_err());
        assert_eq!(
            std::fs::read_to_string(outside.join("target.txt")).unwrap(),
            "untouched"
        );
        // A skeleton symlink pointing out is refused; one pointing inside is copied as a link.
        let sk3 = f.template.join("sk3");
        put(&sk3, "real/file.txt", b"inside");
        std::os::unix::fs::symlink("real", sk3.join("alias")).unwrap();
        let (r, _) = f.fetch(json!({"url": "./sk3"}));
        r.unwrap();
        assert!(f
            .ws
            .join("alias")
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(read(&f.ws, "alias/file.txt"), "inside");
        let sk4 = f.template.join("sk4");
        std::fs::create_dir_all(&sk4).unwrap();
        std::os::unix::fs::symlink(&outside, sk4.join("out")).unwrap();
        let (r, _) = f.fetch(json!({"url": "./sk4"}));
        let e = r.unwrap_err();
        assert!(
            e.message.contains("points outside the workspace"),
            "{}",
            e.message
        );
        assert!(
            f.ws.join("out").symlink_metadata().is_err(),
            "the link was not created"
        );
        // The same link next to a folder rendering to its name: the folder wins, nothing leaks.
        put(&sk4, "${{ values.d }}/evil.txt", b"evil");
        let (r, _) = f.fetch(json!({"url": "./sk4", "values": {"d": "out"}}));
        r.unwrap();
        assert!(!outside.join("evil.txt").exists());
        assert_eq!(read(&f.ws, "out/evil.txt"), "evil");
    }
}

#[test]
fn skeleton_render_errors_name_the_file() {
    let f = fixture();
    put(
        &f.template.join("skeleton"),
        "conf/bad.txt",
        b"line\n{% if %}\n",
    );
    let (r, _) = f.fetch(json!({"url": "./skeleton"}));
    let e = r.unwrap_err();
    let at = e.location.map(|l| l.to_string()).unwrap_or_default();
    // Where Backstage points: the missing expression after `if` (its column 6), not the tag.
    assert!(at.ends_with("skeleton/conf/bad.txt:2:6"), "{at}");
    assert_eq!(e.message, "Unexpected expression token at end of input");
}

#[test]
fn two_entries_rendering_to_one_path() {
    // Without replace the first entry in skeleton order (breadth first, by name) wins; with
    // replace the last one does.
    for (replace, kept) in [(false, "second"), (true, "first")] {
        let f = fixture();
        let sk = f.skeleton();
        put(&sk, "a.txt", b"first");
        put(&sk, "${{ values.n }}.txt", b"second");
        let mut input = json!({"url": "./skeleton", "values": {"n": "a"}});
        if replace {
            input["replace"] = json!(true);
        }
        f.fetch(input).0.unwrap();
        assert_eq!(read(&f.ws, "a.txt"), kept, "replace: {replace}");
    }
}

#[test]
fn a_workspace_inside_the_skeleton_is_not_copied_into_itself() {
    let f = fixture();
    let sk = f.skeleton();
    put(&sk, "a.txt", b"a");
    let ws = sk.join(".golden-workspace-x");
    std::fs::create_dir_all(&ws).unwrap();
    let (r, _) = run(
        &FetchTemplate,
        &ws,
        &f.template,
        json!({"url": "./skeleton"}),
    );
    r.unwrap();
    assert_eq!(read(&ws, "a.txt"), "a");
    assert!(!ws.join(".golden-workspace-x").exists());
}

/// A run without `--verbose` shows only warnings: the per-file lines of a large skeleton are not
/// kept in memory (issue 11: 100,000 files), while the files are written all the same and the
/// warnings still reach the log. With the log kept, every line is there in skeleton order.
#[test]
fn a_terse_run_keeps_only_warnings_and_a_kept_log_keeps_skeleton_order() {
    let f = fixture();
    let sk = f.skeleton();
    forty_files(&sk);
    put(&sk, "bin.dat", b"\x00\x01\x02");
    let input = json!({"url": "./skeleton", "values": {"v": 7}, "copyWithoutRender": ["x"]});
    let (r, log) = TestRun {
        keep_log: false,
        ..TestRun::new(&f.ws, &f.template)
    }
    .run(&FetchTemplate, input.clone());
    r.unwrap();
    assert_eq!(read(&f.ws, "d1/f01.txt"), "v=7\n");
    assert_eq!(
        std::fs::read(f.ws.join("bin.dat")).unwrap(),
        b"\x00\x01\x02"
    );
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(log[0].starts_with("warning: copyWithoutRender"), "{log:?}");

    let f = fixture();
    let sk = f.skeleton();
    forty_files(&sk);
    let (r, log) = f.fetch(input);
    r.unwrap();
    let files: Vec<&String> = log
        .iter()
        .filter(|l| l.starts_with("Writing file "))
        .collect();
    assert_eq!(files.len(), 40, "{log:?}");
    // globby's order: breadth first, names sorted (d0/f00, d0/f03, ..., d1/f01, ...).
    let mut expected: Vec<String> = (0..40).map(|i| format!("d{}/f{i:02}.txt", i % 3)).collect();
    expected.sort();
    for (line, name) in files.iter().zip(&expected) {
        assert!(
            line.starts_with(&format!("Writing file {name} ")),
            "{line} vs {name}"
        );
    }
    let dir0 = log
        .iter()
        .position(|l| l == "Writing directory d0/ to template output path.");
    let first_file = log
        .iter()
        .position(|l| l.starts_with("Writing file d0/f00.txt"));
    assert!(dir0.unwrap() < first_file.unwrap(), "{log:?}");
}

#[test]
fn an_output_path_is_relative_to_its_folder_only_when_spelled_under_it() {
    use super::rel_under;
    let p = Path::new("/ws/out/a/b.txt");
    assert_eq!(rel_under(Path::new("/ws/out"), p), Some("a/b.txt"));
    assert_eq!(rel_under(Path::new("/ws/out/"), p), Some("a/b.txt"));
    // Not a folder boundary, not under it, or the folder itself: opened by the whole path.
    assert_eq!(rel_under(Path::new("/ws/ou"), p), None);
    assert_eq!(rel_under(Path::new("/other"), p), None);
    assert_eq!(rel_under(Path::new("/ws/out/a/b.txt"), p), None);
}
