//! The workspace: where a run writes the generated project, and the rule that nothing is written
//! outside it. Every path an action writes goes through [`safe_join`], which resolves `..`,
//! absolute paths and symlinks the way Backstage's `resolveSafeChildPath` does.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// Joins `relative` onto `base` and refuses results outside `base` (after resolving `..` and the
/// real path of the deepest existing ancestor, so symlinks cannot escape).
pub fn safe_join(base: &Path, relative: &str) -> Result<PathBuf> {
    let base_real = std::fs::canonicalize(base).map_err(|e| Error::io("cannot resolve", base, e))?;
    let mut joined = base_real.clone();
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
    // Resolve symlinks of the deepest existing ancestor.
    let mut existing = joined.clone();
    let mut rest = Vec::new();
    while !existing.exists() && existing.symlink_metadata().is_err() {
        match existing.file_name() {
            Some(n) => rest.push(n.to_os_string()),
            None => break,
        }
        if !existing.pop() {
            break;
        }
    }
    let mut real = std::fs::canonicalize(&existing).unwrap_or(existing);
    for n in rest.iter().rev() {
        real.push(n);
    }
    if !real.starts_with(&base_real) {
        return Err(Error::step(format!(
            "relative path `{relative}` is not allowed to refer to a directory outside its parent"
        ))
        .hint("paths in a template must stay inside the workspace: no `..`, absolute paths or symlinks pointing out"));
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        }
    }
}
