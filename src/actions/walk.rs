//! Listing a folder that is copied (`fetch:template`'s skeleton, `fetch:plain`'s source): entries
//! in file-name order, depth first, links not followed. Each entry is named by its path relative
//! to the folder, `/`-separated, made from its parent's name and its own (one allocation, no
//! path parsing); names that are not UTF-8 and entries that are neither files, directories nor
//! links are refused. A folder equal to `skip` (the workspace, when it lies inside the copied
//! folder) is left out with everything under it.
//!
//! Listed with `std::fs::read_dir` and sorted by name bytes per folder, the order of walkdir's
//! `sort_by_file_name`. walkdir itself is not used here: its sort takes each entry's name apart
//! from its full path at every comparison, which cost more than the rest of the listing on a
//! large skeleton (benches/RESULTS.md).

use std::ffi::OsString;
use std::fs::FileType;
use std::path::{Path, PathBuf};

use crate::runner::ActionError;

/// One entry of the listing.
pub struct Listed {
    /// The path relative to the listed folder, `/`-separated.
    pub rel: String,
    pub file_type: FileType,
    /// 1 for the folder's own entries, 2 for theirs, ...
    pub depth: usize,
}

/// A folder's entries, sorted, and the next one to hand out.
struct Level {
    dir: PathBuf,
    /// The folder's name relative to the listed folder (`""` for the listed folder itself).
    rel: String,
    entries: std::vec::IntoIter<(OsString, FileType)>,
}

/// Calls `each` with every entry under `src`, in walkdir's `sort_by_file_name` order (a folder
/// before its contents). `listing` names the folder in an error (`cannot list the skeleton
/// `src`: ...`).
pub fn each_entry(
    src: &Path,
    skip: &Path,
    listing: &str,
    mut each: impl FnMut(Listed) -> Result<(), ActionError>,
) -> Result<(), ActionError> {
    let list = |dir: &Path| {
        read_sorted(dir)
            .map_err(|e| ActionError::new(format!("{listing} `{}`: {e}", dir.display())))
    };
    let mut stack = vec![Level {
        dir: src.to_path_buf(),
        rel: String::new(),
        entries: list(src)?.into_iter(),
    }];
    while let Some(level) = stack.last_mut() {
        let Some((own, file_type)) = level.entries.next() else {
            stack.pop();
            continue;
        };
        let depth = stack.len();
        let level = &stack[depth - 1];
        if file_type.is_dir() {
            let dir = level.dir.join(&own);
            if dir == skip {
                continue;
            }
            let rel = name(&level.rel, &own, file_type, &level.dir)?;
            each(Listed {
                rel: rel.clone(),
                file_type,
                depth,
            })?;
            let entries = list(&dir)?.into_iter();
            stack.push(Level { dir, rel, entries });
        } else {
            let rel = name(&level.rel, &own, file_type, &level.dir)?;
            each(Listed {
                rel,
                file_type,
                depth,
            })?;
        }
    }
    Ok(())
}

/// A folder's entries (name and type, links not followed) sorted by name bytes.
fn read_sorted(dir: &Path) -> std::io::Result<Vec<(OsString, FileType)>> {
    let mut entries = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let file_type = e.file_type()?;
        entries.push((e.file_name(), file_type));
    }
    // Names in one folder differ: an unstable sort gives the one order.
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}

/// `parent/name` for an entry, refusing what golden cannot copy: a name that is not UTF-8 (named
/// lossily in the message) and anything but a file, a directory or a link (a FIFO would block
/// the run, a device would never end).
fn name(
    parent: &str,
    own: &std::ffi::OsStr,
    ft: FileType,
    dir: &Path,
) -> Result<String, ActionError> {
    let joined = |own: &str| {
        let mut rel = String::with_capacity(parent.len() + 1 + own.len());
        if !parent.is_empty() {
            rel.push_str(parent);
            rel.push('/');
        }
        rel.push_str(own);
        rel
    };
    let Some(own_str) = own.to_str() else {
        return Err(ActionError::new(format!(
            "the skeleton file name `{}` is not UTF-8 (the bytes that are not are shown as U+FFFD)",
            joined(&own.to_string_lossy())
        ))
        .with_hint("rename the file in the skeleton to a UTF-8 name"));
    };
    let rel = joined(own_str);
    if !(ft.is_file() || ft.is_dir() || ft.is_symlink()) {
        let what = std::fs::symlink_metadata(dir.join(own))
            .map(|m| crate::limits::kind_of(&m))
            .unwrap_or("a special file");
        return Err(ActionError::new(format!(
            "cannot copy the skeleton entry `{rel}`: it is {what}, not a regular file"
        ))
        .with_hint("a skeleton holds only files, directories and symlinks; remove it"));
    }
    Ok(rel)
}

#[cfg(test)]
mod tests {
    use super::each_entry;

    fn listed(src: &std::path::Path, skip: &std::path::Path) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        each_entry(src, skip, "cannot list", |e| {
            out.push((e.depth, e.rel));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn names_are_relative_slash_separated_and_in_walk_order() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("src");
        for p in [
            "b/x/deep.txt",
            "b/y.txt",
            "a.txt",
            "c/z/w/q.txt",
            "c/after.txt",
        ] {
            let p = src.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        std::fs::create_dir_all(src.join("b/empty")).unwrap();
        std::fs::create_dir_all(src.join("ws/inner")).unwrap();
        let got = listed(&src, &src.join("ws"));
        let names: Vec<&str> = got.iter().map(|(_, r)| r.as_str()).collect();
        assert_eq!(
            names,
            [
                "a.txt",
                "b",
                "b/empty",
                "b/x",
                "b/x/deep.txt",
                "b/y.txt",
                "c",
                "c/after.txt",
                "c/z",
                "c/z/w",
                "c/z/w/q.txt"
            ]
        );
        // The same names as the path relative to the folder, at every depth.
        for (depth, rel) in &got {
            assert_eq!(rel.matches('/').count() + 1, *depth, "{rel}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_name_that_is_not_utf8_is_refused() {
        use std::os::unix::ffi::OsStrExt;
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("src");
        let bad = src
            .join("dir")
            .join(std::ffi::OsStr::from_bytes(b"bad\xff.txt"));
        std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
        std::fs::write(&bad, "").unwrap();
        let e = each_entry(&src, d.path(), "cannot list", |_| Ok(())).unwrap_err();
        assert!(
            e.message.contains("`dir/bad\u{fffd}.txt` is not UTF-8"),
            "{}",
            e.message
        );
    }
}
