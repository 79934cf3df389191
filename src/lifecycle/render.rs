//! Rendering a template again with known answers, as `golden check` and `golden update` need:
//! only local actions run (fetch:*, fs:*, catalog:write, debug:*; publish and register steps are
//! predicted, never run), in a temporary workspace, and the files of the folder the publish step
//! would push (the record's `projectPath`) are returned as git would add them.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::runner::{Runner, Silent};
use crate::services::Services;
use crate::template::Template;
use crate::values::Values;

/// One rendered file: git mode and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub mode: u32,
    pub content: Vec<u8>,
}

/// Rendered files by `/`-separated path.
pub type Files = BTreeMap<String, File>;

/// Renders `template` with `answers`; returns the project's files (the record file left out) and
/// the workspace folder the publish step pushed (`""`: the root).
pub fn render(
    template: &Template,
    answers: &Map<String, Value>,
    services: &Services,
) -> Result<(Files, String)> {
    let registry = crate::actions::registry();
    let workspace = tempfile::Builder::new()
        .prefix("golden-render-")
        .tempdir()
        .map_err(|e| Error::internal(format!("cannot create a temporary workspace: {e}")))?;
    let values = Values {
        parameters: answers.clone(),
        secrets: Map::new(),
        user: Value::Object(Map::new()),
    };
    let runner = Runner {
        registry: &registry,
        services,
        workspace: workspace.path(),
        dry_run: true,
        keep_log: false,
    };
    let report = runner.run(template, &values, &mut Silent);
    if let Some(i) = report.failed {
        let step = &report.steps[i];
        let message = format!(
            "rendering `{}` failed at step `{}` ({}): {}",
            template.name,
            step.id,
            step.action,
            step.reason.clone().unwrap_or_default()
        );
        return Err(match &step.failure {
            Some(f) => f.to_error(message),
            None => Error::step(message).at(template.location(&format!("/spec/steps/{i}"))),
        });
    }
    let real = std::fs::canonicalize(workspace.path()).unwrap_or(workspace.path().to_path_buf());
    let project = report
        .record
        .published
        .first()
        .map(|p| p.source_dir.clone())
        .unwrap_or_else(|| real.clone());
    let project = std::fs::canonicalize(&project).unwrap_or(project);
    let rel = rel_string(&project, &real);
    Ok((read_files(&project)?, rel))
}

/// The files of a folder as git would add them (`.gitignore` honoured, `.git` and the record
/// left out).
pub fn read_files(dir: &Path) -> Result<Files> {
    if !dir.is_dir() {
        return Ok(Files::new());
    }
    if let Ok(files) = read_in_memory(dir) {
        return Ok(files);
    }
    let files = crate::git::worktree_files(dir)
        .map_err(|e| Error::internal(format!("cannot list `{}`: {e}", dir.display())))?;
    Ok(files
        .into_iter()
        .filter(|f| f.path != super::record::FILE)
        .map(|f| {
            (
                f.path,
                File {
                    mode: f.mode,
                    content: f.content,
                },
            )
        })
        .collect())
}

/// `git add .` into an in-memory repository whose work tree is `dir` (nothing written to disk).
fn read_in_memory(dir: &Path) -> std::result::Result<Files, git2::Error> {
    let repo = super::memory_repo()?;
    repo.set_workdir(dir, false)?;
    let mut index = git2::Index::new()?;
    repo.set_index(&mut index)?;
    let mut index = repo.index()?;
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None)?;
    let mut out = Files::new();
    for e in index.iter() {
        let path = String::from_utf8_lossy(&e.path).to_string();
        if path == super::record::FILE {
            continue;
        }
        let blob = repo.find_blob(e.id)?;
        out.insert(
            path,
            File {
                mode: e.mode,
                content: blob.content().to_vec(),
            },
        );
    }
    Ok(out)
}

/// `path` relative to `base`, `/`-separated (`""` for `base` itself).
pub fn rel_string(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_a_folder_as_git_adds_it_without_writing_into_it() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("a")).unwrap();
        std::fs::write(d.join("a/x.txt"), "x").unwrap();
        std::fs::write(d.join(".gitignore"), "*.log\n").unwrap();
        std::fs::write(d.join("y.log"), "ignored").unwrap();
        std::fs::write(d.join(super::super::record::FILE), "record").unwrap();
        let files = super::read_in_memory(d).unwrap();
        assert_eq!(files.keys().collect::<Vec<_>>(), [".gitignore", "a/x.txt"]);
        assert_eq!(files["a/x.txt"].content, b"x");
        assert!(!d.join(".git").exists());
    }
}
