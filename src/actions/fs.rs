//! `fs:rename`, `fs:delete` and `fs:readdir`, as Backstage 4.3.0 runs them: renames follow
//! fs-extra `move` (parents created, `overwrite` replaces, a directory never replaces a file),
//! deletes expand globs and directories to the files they hold (globby, `dot: true`, files only),
//! so a deleted directory leaves its empty folder tree behind, as in Backstage.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::glob::Patterns;
use super::schemas;
use super::source::rel_string;
use crate::runner::{Action, ActionContext, ActionError, Outputs};
use crate::workspace;

pub fn actions() -> Vec<Box<dyn Action>> {
    vec![Box::new(Rename), Box::new(Delete), Box::new(ReadDir)]
}

fn err(what: &str, p: &Path, e: std::io::Error) -> ActionError {
    ActionError::new(format!("{what} `{}`: {e}", p.display()))
}

struct Rename;

impl Action for Rename {
    fn id(&self) -> &'static str {
        "fs:rename"
    }
    fn description(&self) -> &'static str {
        "Renames files and directories within the workspace"
    }
    fn input_schema(&self) -> Value {
        schemas::input(self.id())
    }
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        for file in files_of(input)? {
            let from = file.get("from").and_then(Value::as_str).unwrap_or_default();
            let to = file.get("to").and_then(Value::as_str).unwrap_or_default();
            if from.is_empty() || to.is_empty() {
                return Err(ActionError::new(
                    "each file must have a from and to property",
                ));
            }
            let overwrite = file
                .get("overwrite")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let src = workspace::safe_join(ctx.workspace, from)?;
            let dest = workspace::safe_join(ctx.workspace, to)?;
            move_path(&src, &dest, overwrite).map_err(|e| {
                ActionError::new(format!(
                    "Failed to rename file {} to {}: {}",
                    src.display(),
                    dest.display(),
                    e.message
                ))
            })?;
            ctx.info(format!(
                "File {} renamed to {} successfully",
                src.display(),
                dest.display()
            ));
        }
        links_stay_inside(ctx.workspace)?;
        Ok(Map::new())
    }
}

/// Moving a relative symlink (or the folder holding it) changes where it leads: after the moves,
/// every link in the workspace must still resolve inside it. A link that leads out is removed
/// and the step fails naming it, so the output never holds one.
fn links_stay_inside(workspace: &Path) -> Result<(), ActionError> {
    let root = std::fs::canonicalize(workspace).map_err(|e| err("cannot resolve", workspace, e))?;
    for e in walkdir::WalkDir::new(&root)
        .min_depth(1)
        .follow_links(false)
    {
        let e = e.map_err(|e| ActionError::new(format!("cannot list the workspace: {e}")))?;
        if !e.file_type().is_symlink() {
            continue;
        }
        let rel = rel_string(e.path(), &root);
        if let Err(escape) = workspace::check_within(&root, e.path(), &rel) {
            let target = std::fs::read_link(e.path())
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            let _ = std::fs::remove_file(e.path());
            return Err(ActionError::new(format!(
                "after the rename, the symlink `{rel}` (to `{target}`) leads outside the workspace; it was removed: {}",
                escape.message
            ))
            .with_hint("rename links together with what they point to, or use links that stay inside the moved folder"));
        }
    }
    Ok(())
}

/// fs-extra `move(src, dest, {overwrite})`.
fn move_path(src: &Path, dest: &Path, overwrite: bool) -> Result<(), ActionError> {
    let src_meta = src
        .symlink_metadata()
        .map_err(|e| err("cannot rename", src, e))?;
    if let Ok(dest_meta) = dest.symlink_metadata() {
        if same_file(&src_meta, &dest_meta) {
            return Err(ActionError::new(
                "Source and destination must not be the same.",
            ));
        }
        if src_meta.is_dir() && !dest_meta.is_dir() {
            return Err(ActionError::new(format!(
                "Cannot overwrite non-directory '{}' with directory '{}'.",
                dest.display(),
                src.display()
            )));
        }
        if !src_meta.is_dir() && dest_meta.is_dir() {
            return Err(ActionError::new(format!(
                "Cannot overwrite directory '{}' with non-directory '{}'.",
                dest.display(),
                src.display()
            )));
        }
    }
    if src_meta.is_dir() && dest.starts_with(src) && dest != src {
        return Err(ActionError::new(format!(
            "Cannot move '{}' to a subdirectory of itself, '{}'.",
            src.display(),
            dest.display()
        )));
    }
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(|e| err("cannot create", parent, e))?;
    }
    if dest.symlink_metadata().is_ok() {
        if overwrite {
            remove(dest)?;
        } else {
            return Err(ActionError::new("dest already exists."));
        }
    }
    std::fs::rename(src, dest).map_err(|e| err("cannot rename", src, e))
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.ino() == b.ino() && a.dev() == b.dev()
}

#[cfg(not(unix))]
fn same_file(_a: &std::fs::Metadata, _b: &std::fs::Metadata) -> bool {
    false
}

/// fs-extra `remove`: a file, a link or a whole directory; a missing path is fine.
fn remove(p: &Path) -> Result<(), ActionError> {
    match p.symlink_metadata() {
        Err(_) => Ok(()),
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(p).map_err(|e| err("cannot delete", p, e)),
        Ok(_) => std::fs::remove_file(p).map_err(|e| err("cannot delete", p, e)),
    }
}

/// The `files` input of `fs:rename` and `fs:delete`, which must be an array.
fn files_of(input: &Map<String, Value>) -> Result<&Vec<Value>, ActionError> {
    input
        .get("files")
        .and_then(Value::as_array)
        .ok_or_else(|| ActionError::new("files must be an Array"))
}

struct Delete;

impl Action for Delete {
    fn id(&self) -> &'static str {
        "fs:delete"
    }
    fn description(&self) -> &'static str {
        "Deletes files (globs allowed) from the workspace; a directory loses its files"
    }
    fn input_schema(&self) -> Value {
        schemas::input(self.id())
    }
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        let files = files_of(input)?;
        let root = std::fs::canonicalize(ctx.workspace)
            .map_err(|e| err("cannot resolve", ctx.workspace, e))?;
        for file in files {
            let pattern = file.as_str().unwrap_or_default();
            // resolveSafeChildPath first: a pattern pointing outside the workspace is an error.
            let joined = workspace::join_lexical(&root, pattern)?;
            workspace::check_within(&root, &joined, pattern)?;
            let rel = rel_string(&joined, &root);
            for path in matching_files(&root, &rel)? {
                workspace::check_within(&root, &path, pattern)?;
                remove(&path)?;
                ctx.info(format!("File {} deleted successfully", path.display()));
            }
        }
        Ok(Map::new())
    }
}

/// The files (and symlinks) under `root` that globby selects with `rel` (files only, dot files
/// included, a directory standing for everything under it).
fn matching_files(root: &Path, rel: &str) -> Result<Vec<PathBuf>, ActionError> {
    let patterns = Patterns::new(&[rel.to_string()], root).map_err(ActionError::new)?;
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(root)
        .min_depth(1)
        .follow_links(false)
        .sort_by_file_name()
    {
        let e = e.map_err(|e| ActionError::new(format!("cannot list the workspace: {e}")))?;
        if e.file_type().is_dir() {
            continue;
        }
        if patterns.is_match(&rel_string(e.path(), root)) {
            out.push(e.into_path());
        }
    }
    Ok(out)
}

struct ReadDir;

impl Action for ReadDir {
    fn id(&self) -> &'static str {
        "fs:readdir"
    }
    fn description(&self) -> &'static str {
        "Lists files and folders of workspace paths (outputs files and folders)"
    }
    fn input_schema(&self) -> Value {
        schemas::input(self.id())
    }
    fn outputs(&self) -> &'static [&'static str] {
        &["files", "folders"]
    }
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        let recursive = input
            .get("recursive")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let mut files = Vec::new();
        let mut folders = Vec::new();
        let paths = input
            .get("paths")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for p in paths {
            let local = p.as_str().unwrap_or_default();
            let full = workspace::join_lexical(ctx.workspace, local)?;
            workspace::check_within(
                &std::fs::canonicalize(ctx.workspace).unwrap_or_default(),
                &full,
                local,
            )?;
            // Node's recursive readdir: a dir's entries, then its subdirectories last-first.
            let mut stack = vec![full.clone()];
            while let Some(dir) = stack.pop() {
                let mut entries: Vec<_> = std::fs::read_dir(&dir)
                    .map_err(|e| err("cannot read the directory", &dir, e))?
                    .filter_map(Result::ok)
                    .collect();
                entries.sort_by_key(|e| e.file_name());
                for e in entries {
                    let path = e.path();
                    let item = json!({
                        "name": e.file_name().to_string_lossy(),
                        "path": rel_string(&path, ctx.workspace),
                        "fullPath": path.to_string_lossy(),
                    });
                    if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                        folders.push(item);
                        if recursive {
                            stack.push(path);
                        }
                    } else {
                        files.push(item);
                    }
                }
            }
        }
        let mut out = Map::new();
        out.insert("files".into(), Value::Array(files));
        out.insert("folders".into(), Value::Array(folders));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `action` in the workspace `ws` (also its template folder).
    fn run(action: &dyn Action, ws: &Path, input: Value) -> Result<Outputs, ActionError> {
        crate::actions::testing::run(action, ws, ws, input).0
    }

    /// A temporary workspace holding `files` (each holding its own path).
    fn workspace_with(files: &[&str]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for f in files {
            write(d.path(), f);
        }
        d
    }

    fn write(ws: &Path, rel: &str) {
        let p = ws.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, rel).unwrap();
    }

    #[test]
    fn delete_leaves_empty_dirs_and_expands_globs() {
        let d = workspace_with(&[
            "dir/a.txt",
            "dir/sub/b.txt",
            "x.tmp",
            "keep/y.tmp",
            "keep/z.md",
            ".hidden.tmp",
        ]);
        let ws = d.path();
        run(
            &Delete,
            ws,
            json!({"files": ["dir", "**/*.tmp", "missing"]}),
        )
        .unwrap();
        assert!(ws.join("dir/sub").is_dir(), "the directory tree stays");
        assert!(!ws.join("dir/a.txt").exists() && !ws.join("dir/sub/b.txt").exists());
        assert!(
            !ws.join("x.tmp").exists()
                && !ws.join("keep/y.tmp").exists()
                && !ws.join(".hidden.tmp").exists()
        );
        assert!(ws.join("keep/z.md").exists());
        assert!(run(&Delete, ws, json!({"files": ["../outside"]})).is_err());
    }

    #[test]
    fn rename_semantics() {
        let d = workspace_with(&["a.txt", "b.txt", "dir/c.txt"]);
        let ws = d.path();
        run(
            &Rename,
            ws,
            json!({"files": [{"from": "a.txt", "to": "new/deep/a.txt"}]}),
        )
        .unwrap();
        assert!(ws.join("new/deep/a.txt").exists() && !ws.join("a.txt").exists());
        let e = run(
            &Rename,
            ws,
            json!({"files": [{"from": "b.txt", "to": "new/deep/a.txt"}]}),
        )
        .unwrap_err();
        assert!(e.message.contains("dest already exists."), "{}", e.message);
        run(
            &Rename,
            ws,
            json!({"files": [{"from": "b.txt", "to": "new/deep/a.txt", "overwrite": true}]}),
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(ws.join("new/deep/a.txt")).unwrap(),
            "b.txt"
        );
        let e = run(
            &Rename,
            ws,
            json!({"files": [{"from": "dir", "to": "new/deep/a.txt", "overwrite": true}]}),
        )
        .unwrap_err();
        assert!(
            e.message.contains("Cannot overwrite non-directory"),
            "{}",
            e.message
        );
        assert!(run(
            &Rename,
            ws,
            json!({"files": [{"from": "dir", "to": "../x"}]})
        )
        .is_err());
        assert!(run(
            &Rename,
            ws,
            json!({"files": [{"from": "missing", "to": "y"}]})
        )
        .is_err());
    }

    #[cfg(unix)]
    #[test]
    fn rename_never_leaves_a_link_leading_out() {
        let d = tempfile::tempdir().unwrap();
        let ws = d.path().join("ws");
        std::fs::create_dir_all(ws.join("a/b")).unwrap();
        // Inside the workspace where it is: a/b/x -> ../.. is the workspace itself.
        std::os::unix::fs::symlink("../..", ws.join("a/b/x")).unwrap();
        std::fs::create_dir_all(ws.join("a/c/d")).unwrap();
        std::os::unix::fs::symlink("..", ws.join("a/c/d/up")).unwrap();
        run(&Rename, &ws, json!({"files": [{"from": "a/c", "to": "c"}]})).unwrap();
        assert!(ws.join("c/d/up").symlink_metadata().is_ok());
        // Moved one level up it would lead to the workspace's parent.
        let e = run(
            &Rename,
            &ws,
            json!({"files": [{"from": "a/b", "to": "b2"}]}),
        )
        .unwrap_err();
        assert!(e.message.contains("`b2/x`"), "{}", e.message);
        assert!(e.message.contains("leads outside"), "{}", e.message);
        assert!(ws.join("b2").is_dir());
        assert!(
            ws.join("b2/x").symlink_metadata().is_err(),
            "the escaping link is removed"
        );
    }

    #[test]
    fn readdir_lists_files_and_folders() {
        let d = workspace_with(&["a.txt", "dir/b.txt", "dir/sub/c.txt"]);
        let ws = d.path();
        let out = run(&ReadDir, ws, json!({"paths": ["."], "recursive": true})).unwrap();
        let names = |k: &str| {
            out[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["path"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(names("files"), ["a.txt", "dir/b.txt", "dir/sub/c.txt"]);
        assert_eq!(names("folders"), ["dir", "dir/sub"]);
        let flat = run(&ReadDir, ws, json!({"paths": ["dir"]})).unwrap();
        assert_eq!(flat["files"].as_array().unwrap().len(), 1);
    }
}
