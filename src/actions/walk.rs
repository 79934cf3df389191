//! Listing a folder that is copied (`fetch:template`'s skeleton, `fetch:plain`'s source): entries
//! in file-name order, depth first, links not followed. Each entry is named by its path relative
//! to the folder, `/`-separated, made from its parent's name and its own (one allocation, no
//! path parsing); names that are not UTF-8 and entries that are neither files, directories nor
//! links are refused. A folder equal to `skip` (the workspace, when it lies inside the copied
//! folder) is left out with everything under it.

use std::path::Path;

use super::source::rel_string;
use crate::runner::ActionError;

/// Calls `each` with every entry under `src` and its relative name, in walkdir's order.
/// `listing` names the folder in an error (`cannot list the skeleton `src`: ...`).
pub fn each_entry(
    src: &Path,
    skip: &Path,
    listing: &str,
    mut each: impl FnMut(walkdir::DirEntry, String) -> Result<(), ActionError>,
) -> Result<(), ActionError> {
    // dirs[d - 1]: the name of the last directory listed at depth d, the parent of what follows
    // at depth d + 1 (walkdir lists a directory before its contents).
    let mut dirs: Vec<String> = Vec::new();
    let mut walk = walkdir::WalkDir::new(src)
        .min_depth(1)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    while let Some(e) = walk.next() {
        let e = e.map_err(|e| ActionError::new(format!("{listing} `{}`: {e}", src.display())))?;
        let is_dir = e.file_type().is_dir();
        if is_dir && e.path() == skip {
            walk.skip_current_dir();
            continue;
        }
        let depth = e.depth();
        let parent = match depth {
            0 | 1 => "",
            d => dirs.get(d - 2).map_or("", String::as_str),
        };
        let rel = name(&e, parent, src)?;
        if is_dir {
            dirs.truncate(depth - 1);
            dirs.push(rel.clone());
        }
        each(e, rel)?;
    }
    Ok(())
}

/// `parent/name` for an entry, refusing what golden cannot copy: a name that is not UTF-8 (named
/// lossily in the message) and anything but a file, a directory or a link (a FIFO would block
/// the run, a device would never end).
fn name(e: &walkdir::DirEntry, parent: &str, src: &Path) -> Result<String, ActionError> {
    let Some(own) = e.file_name().to_str() else {
        return Err(ActionError::new(format!(
            "the skeleton file name `{}` is not UTF-8 (the bytes that are not are shown as U+FFFD)",
            rel_string(e.path(), src)
        ))
        .with_hint("rename the file in the skeleton to a UTF-8 name"));
    };
    let mut rel = String::with_capacity(parent.len() + 1 + own.len());
    if !parent.is_empty() {
        rel.push_str(parent);
        rel.push('/');
    }
    rel.push_str(own);
    let ft = e.file_type();
    if !(ft.is_file() || ft.is_dir() || ft.is_symlink()) {
        let what = e
            .metadata()
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
        each_entry(src, skip, "cannot list", |e, rel| {
            out.push((e.depth(), rel));
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
        let e = each_entry(&src, d.path(), "cannot list", |_, _| Ok(())).unwrap_err();
        assert!(
            e.message.contains("`dir/bad\u{fffd}.txt` is not UTF-8"),
            "{}",
            e.message
        );
    }
}
