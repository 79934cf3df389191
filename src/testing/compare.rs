//! Comparing a rendered tree with a case's `expected/` tree: missing and extra files, bytes (a
//! unified diff for text), and executable bits.

use std::collections::BTreeMap;
use std::path::Path;

/// Lines of diff shown per file before it is cut.
const MAX_DIFF_LINES: usize = 200;

struct Entry {
    bytes: Vec<u8>,
    executable: bool,
}

fn files(root: &Path) -> BTreeMap<String, Entry> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_type().is_dir())
        .filter_map(|e| {
            let rel = e.path().strip_prefix(root).ok()?;
            let rel = rel.to_string_lossy().replace('\\', "/");
            let bytes = std::fs::read(e.path()).ok()?;
            Some((
                rel,
                Entry {
                    bytes,
                    executable: executable(e.path()),
                },
            ))
        })
        .collect()
}

#[cfg(unix)]
fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn executable(_: &Path) -> bool {
    false
}

/// Every difference between `expected` and `got`, one problem per file.
pub fn trees(expected: &Path, got: &Path) -> Vec<String> {
    let want = files(expected);
    let have = files(got);
    let mut problems = Vec::new();
    for (name, w) in &want {
        let Some(h) = have.get(name) else {
            problems.push(format!("missing file: {name}"));
            continue;
        };
        if w.bytes != h.bytes {
            problems.push(content_diff(name, &w.bytes, &h.bytes));
        }
        if w.executable != h.executable {
            problems.push(format!(
                "{name}: executable bit differs (expected {}, got {})",
                if w.executable { "set" } else { "not set" },
                if h.executable { "set" } else { "not set" }
            ));
        }
    }
    for name in have.keys().filter(|n| !want.contains_key(*n)) {
        problems.push(format!("unexpected file: {name}"));
    }
    problems
}

fn content_diff(name: &str, want: &[u8], have: &[u8]) -> String {
    let (Ok(w), Ok(h)) = (std::str::from_utf8(want), std::str::from_utf8(have)) else {
        return format!(
            "{name}: binary content differs (expected {} bytes, got {})",
            want.len(),
            have.len()
        );
    };
    let diff = similar::TextDiff::from_lines(w, h);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("expected/{name}"), &format!("got/{name}"))
        .to_string();
    let mut lines: Vec<&str> = text.lines().collect();
    let cut = lines.len().saturating_sub(MAX_DIFF_LINES);
    lines.truncate(MAX_DIFF_LINES);
    let mut out = format!("{name} differs:\n{}", super::indent(&lines.join("\n")));
    if cut > 0 {
        out.push_str(&format!("\n    ... {cut} more lines"));
    }
    if w.trim_end_matches('\n') == h.trim_end_matches('\n') {
        out.push_str("\n    (only the final line breaks differ)");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, name: &str, text: &str) {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn equal_trees_have_no_problems() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for root in [a.path(), b.path()] {
            write(root, "x/y.txt", "same\n");
        }
        assert!(trees(a.path(), b.path()).is_empty());
    }

    #[test]
    fn reports_missing_extra_and_a_unified_diff() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        write(a.path(), "gone.txt", "x\n");
        write(b.path(), "new.txt", "x\n");
        write(a.path(), "f.txt", "one\ntwo\nthree\n");
        write(b.path(), "f.txt", "one\n2\nthree\n");
        let p = trees(a.path(), b.path());
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p.contains(&"missing file: gone.txt".to_string()));
        assert!(p.contains(&"unexpected file: new.txt".to_string()));
        let diff = p.iter().find(|x| x.starts_with("f.txt differs")).unwrap();
        assert!(diff.contains("--- expected/f.txt"), "{diff}");
        assert!(diff.contains("+++ got/f.txt"), "{diff}");
        assert!(diff.contains("-two") && diff.contains("+2"), "{diff}");
    }

    #[cfg(unix)]
    #[test]
    fn reports_a_changed_executable_bit() {
        use std::os::unix::fs::PermissionsExt;
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        write(a.path(), "run.sh", "#!/bin/sh\n");
        write(b.path(), "run.sh", "#!/bin/sh\n");
        std::fs::set_permissions(
            a.path().join("run.sh"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        let p = trees(a.path(), b.path());
        assert_eq!(
            p,
            vec!["run.sh: executable bit differs (expected set, got not set)".to_string()]
        );
    }
}
