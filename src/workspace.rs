//! The workspace: where a run writes the generated project, and the rule that nothing is written
//! outside it. Every path an action writes goes through [`safe_join`], which resolves `..`,
//! absolute paths and symlinks the way Backstage's `resolveSafeChildPath` does.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// Joins `relative` onto `base` and refuses results outside `base` (after resolving `..` and the
/// real path of the deepest existing ancestor, so symlinks cannot escape).
pub fn safe_join(base: &Path, relative: &str) -> Result<PathBuf> {
    let base_real =
        std::fs::canonicalize(base).map_err(|e| Error::io("cannot resolve", base, e))?;
    let joined = join_lexical(&base_real, relative)?;
    let real = real_path(&joined);
    if !real.starts_with(&base_real) {
        return Err(outside(relative));
    }
    Ok(real)
}

/// Joins `relative` onto `base` without touching the disk (`..` and `.` resolved as text, an
/// absolute `relative` replaces `base`, as `path.resolve` does) and refuses results outside `base`.
pub fn join_lexical(base: &Path, relative: &str) -> Result<PathBuf> {
    // The usual case, a plain relative path (`a/b.txt`, `dir/`): appended as it is, which gives
    // the same path as the walk below, in one allocation.
    let plain = relative.strip_suffix('/').unwrap_or(relative);
    if cfg!(unix) && is_plain(plain) {
        let mut joined = PathBuf::with_capacity(base.as_os_str().len() + 1 + plain.len());
        joined.push(base);
        joined.push(plain);
        return Ok(joined);
    }
    join_components(base, relative)
}

/// Whether `path` is a relative path of plain names: not empty, and no component empty, `.`
/// or `..` (one look at each byte).
fn is_plain(path: &str) -> bool {
    let b = path.as_bytes();
    let mut start = 0;
    for i in 0..=b.len() {
        if i == b.len() || b[i] == b'/' {
            if matches!(&b[start..i], b"" | b"." | b"..") {
                return false;
            }
            start = i + 1;
        }
    }
    true
}

/// [`join_lexical`] one component at a time.
fn join_components(base: &Path, relative: &str) -> Result<PathBuf> {
    let mut joined = base.to_path_buf();
    for comp in Path::new(relative).components() {
        match comp {
            Component::Prefix(_) | Component::RootDir => joined = PathBuf::from("/"),
            Component::CurDir => {}
            Component::ParentDir => {
                joined.pop();
            }
            Component::Normal(p) => joined.push(p),
        }
    }
    if !joined.starts_with(base) {
        return Err(outside(relative));
    }
    Ok(joined)
}

/// Checks that `path` (existing or not) stays inside `root_real` once the symlinks of its deepest
/// existing ancestor (the path itself included) are resolved. `root_real` must be a real path.
pub fn check_within(root_real: &Path, path: &Path, shown: &str) -> Result<()> {
    if real_path(path).starts_with(root_real) {
        Ok(())
    } else {
        Err(outside(shown))
    }
}

/// The real path of `path`: its deepest existing ancestor canonicalized, the rest appended. A
/// dangling symlink is followed by hand (at most 40 levels, like the kernel), so a link to a
/// missing file outside the workspace still counts as outside.
fn real_path(path: &Path) -> PathBuf {
    real_path_at(path, 0)
}

fn real_path_at(path: &Path, depth: usize) -> PathBuf {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    while existing.symlink_metadata().is_err() {
        match existing.file_name() {
            Some(n) => rest.push(n.to_os_string()),
            None => break,
        }
        if !existing.pop() {
            break;
        }
    }
    let mut real = match std::fs::canonicalize(&existing) {
        Ok(r) => r,
        Err(_) => match std::fs::read_link(&existing) {
            Ok(target) if depth < 40 => {
                let parent = existing.parent().map(Path::to_path_buf).unwrap_or_default();
                real_path_at(&parent.join(target), depth + 1)
            }
            // A loop of links, or something unreadable: treat it as outside.
            _ => PathBuf::from("/"),
        },
    };
    for n in rest.iter().rev() {
        real.push(n);
    }
    real
}

/// Whether process `pid` still runs (a process of another user counts as running).
pub fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: signal 0 only checks that the process exists and may be signalled.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

fn outside(relative: &str) -> Error {
    Error::step(format!("relative path `{relative}` is not allowed to refer to a directory outside its parent"))
        .hint("paths in a template must stay inside the workspace: no `..`, absolute paths or symlinks pointing out")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_relative_path_joins_as_the_component_walk_does() {
        let relatives = [
            "a",
            "a/b.txt",
            "dir/",
            "a/b/c/",
            "${{ x }}/y",
            "a b/c",
            ".hidden/x",
            "a..b/c.",
            "",
            "/",
            "./a",
            "a/./b",
            "a//b",
            "a/../b",
            "..",
            "../x",
            "/etc/x",
            "a/",
            "a/b/..",
            "a/.",
            ".",
            "...",
            "a/.../b",
            ".a/..b",
            "a//",
        ];
        for base in ["/tmp/ws", "/tmp/ws/", "/", "rel/base", "/tmp/./ws"] {
            for rel in relatives {
                let fast = join_lexical(Path::new(base), rel).map_err(|e| e.to_string());
                let walk = join_components(Path::new(base), rel).map_err(|e| e.to_string());
                assert_eq!(fast, walk, "{base} + {rel}");
                if let Ok(p) = &fast {
                    assert_eq!(p.as_os_str(), walk.as_ref().unwrap().as_os_str());
                }
            }
        }
    }

    #[test]
    fn refuses_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        assert!(safe_join(base, "a/b.txt").unwrap().ends_with("a/b.txt"));
        assert!(safe_join(base, "a/../b.txt").is_ok());
        assert!(safe_join(base, "../x").is_err());
        assert!(safe_join(base, "/etc/passwd").is_err());
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/tmp", base.join("link")).unwrap();
            assert!(safe_join(base, "link/x").is_err());
            assert!(safe_join(base, "link").is_err());
            // A dangling link pointing out is refused too (writing would create its target).
            std::os::unix::fs::symlink("/nonexistent-golden-dir/x", base.join("dangling")).unwrap();
            assert!(safe_join(base, "dangling").is_err());
            std::fs::create_dir(base.join("in")).unwrap();
            std::os::unix::fs::symlink("in", base.join("inner")).unwrap();
            assert!(safe_join(base, "inner/x").is_ok());
        }
    }
}
