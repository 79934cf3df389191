//! The 3-way merge of `golden update`, with git2's merge machinery: base (the template at the
//! recorded commit, rendered with the recorded answers), ours (the project's files) and theirs
//! (the new template rendered) become three trees in a scratch repository, `merge_trees` (with
//! rename detection) merges them, and each conflicted text file is merged again with
//! `merge_file` to get standard conflict markers. A binary file in conflict keeps the project's
//! version; the template's is written beside it as `PATH.golden-template`. Modes (executable
//! bits) merge three ways too, so a mode the template changes follows the template.

use std::collections::BTreeMap;

use git2::{MergeFileInput, MergeFileOptions, MergeOptions, Repository};

use super::render::{File, Files};
use crate::error::{Error, Result};

/// Suffix of the file holding the template's version of a binary file in conflict.
pub const THEIRS_SUFFIX: &str = ".golden-template";

/// What the merge produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The project's files after the merge (conflicted text files hold markers).
    pub result: Files,
    /// Files in conflict, with why.
    pub conflicts: Vec<(String, String)>,
    /// Files the template renamed (`from`, `to`).
    pub renamed: Vec<(String, String)>,
}

/// How a path changes in the project.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Deleted,
    /// The template's change applied to a file the project had not changed.
    Updated,
    /// Both sides changed it; merged without conflict.
    Merged,
    /// Both sides changed it and the changes overlap (or a binary file / modify-delete).
    Conflict,
}

fn git_err(e: git2::Error) -> Error {
    Error::internal(format!("the merge failed: {}", e.message()))
}

/// Merges `ours` with the change from `base` to `theirs`.
pub fn merge(base: &Files, ours: &Files, theirs: &Files) -> Result<Outcome> {
    let repo = super::memory_repo().map_err(git_err)?;
    let tree = |files: &Files| -> Result<git2::Oid> {
        super::tree_of(
            &repo,
            files
                .iter()
                .map(|(p, f)| (p.as_str(), f.mode, f.content.as_slice())),
        )
        .map_err(git_err)
    };
    let (b, o, t) = (tree(base)?, tree(ours)?, tree(theirs)?);
    let (bt, ot, tt) = (
        repo.find_tree(b).map_err(git_err)?,
        repo.find_tree(o).map_err(git_err)?,
        repo.find_tree(t).map_err(git_err)?,
    );
    let mut opts = MergeOptions::new();
    opts.find_renames(true);
    let index = repo
        .merge_trees(&bt, &ot, &tt, Some(&opts))
        .map_err(git_err)?;
    let mut out = Outcome::default();
    for e in index.iter() {
        // stage 0 only: conflicted entries come through `conflicts()` below
        if (e.flags >> 12) & 0x3 != 0 {
            continue;
        }
        let blob = repo.find_blob(e.id).map_err(git_err)?;
        out.result.insert(
            String::from_utf8_lossy(&e.path).to_string(),
            File {
                mode: e.mode,
                content: blob.content().to_vec(),
            },
        );
    }
    if index.has_conflicts() {
        for c in index.conflicts().map_err(git_err)? {
            let c = c.map_err(git_err)?;
            let content = |e: &Option<git2::IndexEntry>| -> Result<Option<(String, File)>> {
                match e {
                    None => Ok(None),
                    Some(e) => {
                        let blob = repo.find_blob(e.id).map_err(git_err)?;
                        Ok(Some((
                            String::from_utf8_lossy(&e.path).to_string(),
                            File {
                                mode: e.mode,
                                content: blob.content().to_vec(),
                            },
                        )))
                    }
                }
            };
            let (anc, our, their) = (content(&c.ancestor)?, content(&c.our)?, content(&c.their)?);
            resolve_conflict(&mut out, anc, our, their)?;
        }
    }
    out.renamed = renames(&repo, &bt, &tt)?;
    out.conflicts.sort();
    Ok(out)
}

fn is_binary(f: &File) -> bool {
    f.content.iter().take(8000).any(|b| *b == 0)
}

fn resolve_conflict(
    out: &mut Outcome,
    anc: Option<(String, File)>,
    our: Option<(String, File)>,
    their: Option<(String, File)>,
) -> Result<()> {
    match (our, their) {
        (Some((path, o)), Some((tpath, t))) => {
            let binary =
                is_binary(&o) || is_binary(&t) || anc.as_ref().is_some_and(|a| is_binary(&a.1));
            if binary {
                let side = format!("{path}{THEIRS_SUFFIX}");
                out.result.insert(path.clone(), o);
                out.result.insert(side.clone(), t);
                out.conflicts.push((
                    path,
                    format!("binary file changed in the project and in the template; the template's version is in `{side}`"),
                ));
                return Ok(());
            }
            let empty = Vec::new();
            let a_content = anc.as_ref().map(|a| &a.1.content).unwrap_or(&empty);
            let mut ai = MergeFileInput::new();
            ai.content(a_content);
            let mut oi = MergeFileInput::new();
            oi.content(&o.content);
            let mut ti = MergeFileInput::new();
            ti.content(&t.content);
            let mut fo = MergeFileOptions::new();
            fo.our_label("project").their_label("template");
            let merged = git2::merge_file(&ai, &oi, &ti, Some(&mut fo)).map_err(git_err)?;
            // The mode follows the template when it changed there.
            let base_mode = anc.as_ref().map(|a| a.1.mode);
            let mode = if Some(t.mode) != base_mode {
                t.mode
            } else {
                o.mode
            };
            let automerged = merged.is_automergeable();
            out.result.insert(
                tpath.clone(),
                File {
                    mode,
                    content: merged.content().to_vec(),
                },
            );
            if tpath != path {
                out.result.remove(&path);
            }
            if !automerged {
                let why = if anc.is_none() {
                    "added in the project and in the template with different content"
                } else {
                    "changed in the project and in the template in the same lines"
                };
                out.conflicts.push((tpath, why.into()));
            }
        }
        (Some((path, o)), None) => {
            out.result.insert(path.clone(), o);
            out.conflicts.push((
                path,
                "changed in the project, deleted (or renamed) by the template; kept".into(),
            ));
        }
        (None, Some((path, t))) => {
            out.result.insert(path.clone(), t);
            out.conflicts.push((
                path,
                "deleted in the project, changed by the template; the template's version was written".into(),
            ));
        }
        (None, None) => {}
    }
    Ok(())
}

/// Renames from `base` to `theirs` (exact and similar content).
fn renames(
    repo: &Repository,
    base: &git2::Tree<'_>,
    theirs: &git2::Tree<'_>,
) -> Result<Vec<(String, String)>> {
    let mut diff = repo
        .diff_tree_to_tree(Some(base), Some(theirs), None)
        .map_err(git_err)?;
    let mut fo = git2::DiffFindOptions::new();
    fo.renames(true);
    diff.find_similar(Some(&mut fo)).map_err(git_err)?;
    let mut out = Vec::new();
    for d in diff.deltas() {
        if d.status() == git2::Delta::Renamed {
            let p = |f: git2::DiffFile<'_>| {
                f.path()
                    .map(|p| p.to_string_lossy().to_string())
                    .unwrap_or_default()
            };
            out.push((p(d.old_file()), p(d.new_file())));
        }
    }
    Ok(out)
}

/// How each path of the project changes, from `ours` to `result`.
pub fn changes(base: &Files, ours: &Files, outcome: &Outcome) -> BTreeMap<String, Change> {
    let mut out = BTreeMap::new();
    for (p, f) in &outcome.result {
        match ours.get(p) {
            None => {
                out.insert(p.clone(), Change::Added);
            }
            Some(o) if o != f => {
                let kind = if base.get(p) == Some(o) {
                    Change::Updated
                } else {
                    Change::Merged
                };
                out.insert(p.clone(), kind);
            }
            Some(_) => {}
        }
    }
    for p in ours.keys() {
        if !outcome.result.contains_key(p) {
            out.insert(p.clone(), Change::Deleted);
        }
    }
    for (p, _) in &outcome.conflicts {
        out.insert(p.clone(), Change::Conflict);
    }
    out
}

/// The change from `from` to `to` as a git patch.
pub fn patch(from: &Files, to: &Files) -> Result<String> {
    let repo = super::memory_repo().map_err(git_err)?;
    let tree = |files: &Files| -> Result<git2::Tree<'_>> {
        let id = super::tree_of(
            &repo,
            files
                .iter()
                .map(|(p, f)| (p.as_str(), f.mode, f.content.as_slice())),
        )
        .map_err(git_err)?;
        repo.find_tree(id).map_err(git_err)
    };
    let (a, b) = (tree(from)?, tree(to)?);
    let diff = repo
        .diff_tree_to_tree(Some(&a), Some(&b), None)
        .map_err(git_err)?;
    let mut text = Vec::new();
    diff.print(git2::DiffFormat::Patch, |_, _, line| {
        if matches!(line.origin(), '+' | '-' | ' ') {
            text.push(line.origin() as u8);
        }
        text.extend_from_slice(line.content());
        true
    })
    .map_err(git_err)?;
    Ok(String::from_utf8_lossy(&text).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Files {
        list.iter()
            .map(|(p, c)| {
                (
                    p.to_string(),
                    File {
                        mode: 0o100644,
                        content: c.as_bytes().to_vec(),
                    },
                )
            })
            .collect()
    }

    fn text(f: &Files, p: &str) -> String {
        String::from_utf8_lossy(&f[p].content).to_string()
    }

    #[test]
    fn both_sides_survive_and_overlaps_conflict() {
        let base = files(&[
            ("a", "1\n2\n3\n4\n5\n6\n7\n"),
            ("b", "x\n"),
            ("c", "keep\n"),
        ]);
        let ours = files(&[
            ("a", "ONE\n2\n3\n4\n5\n6\n7\n"),
            ("b", "mine\n"),
            ("c", "keep\n"),
        ]);
        let theirs = files(&[
            ("a", "1\n2\n3\n4\n5\n6\nSEVEN\n"),
            ("b", "theirs\n"),
            ("d", "new\n"),
        ]);
        let out = merge(&base, &ours, &theirs).unwrap();
        assert_eq!(text(&out.result, "a"), "ONE\n2\n3\n4\n5\n6\nSEVEN\n");
        let b = text(&out.result, "b");
        assert!(
            b.contains("<<<<<<< project\nmine\n=======\ntheirs\n>>>>>>> template\n"),
            "{b}"
        );
        assert_eq!(out.conflicts.len(), 1);
        assert_eq!(out.conflicts[0].0, "b");
        assert!(!out.result.contains_key("c"), "deleted by the template");
        assert_eq!(text(&out.result, "d"), "new\n");
        let ch = changes(&base, &ours, &out);
        assert_eq!(ch["a"], Change::Merged);
        assert_eq!(ch["b"], Change::Conflict);
        assert_eq!(ch["c"], Change::Deleted);
        assert_eq!(ch["d"], Change::Added);
        let p = patch(&ours, &out.result).unwrap();
        assert!(p.contains("+SEVEN"), "{p}");
    }

    #[test]
    fn renames_carry_project_edits_and_modes_follow_the_template() {
        let long = (1..40).map(|i| format!("line {i}\n")).collect::<String>();
        let edited = long.replace("line 3\n", "line three\n");
        let base = files(&[("old.txt", &long), ("run.sh", "#!/bin/sh\n")]);
        let ours = files(&[("old.txt", &edited), ("run.sh", "#!/bin/sh\n")]);
        let mut theirs = files(&[("new.txt", &long), ("run.sh", "#!/bin/sh\n")]);
        theirs.get_mut("run.sh").unwrap().mode = 0o100755;
        let out = merge(&base, &ours, &theirs).unwrap();
        assert!(!out.result.contains_key("old.txt"));
        assert_eq!(text(&out.result, "new.txt"), edited);
        assert_eq!(out.result["run.sh"].mode, 0o100755);
        assert_eq!(
            out.renamed,
            vec![("old.txt".to_string(), "new.txt".to_string())]
        );
    }

    #[test]
    fn binary_conflicts_keep_the_project_version() {
        let bin = |b: &[u8]| File {
            mode: 0o100644,
            content: b.to_vec(),
        };
        let base: Files = [("logo.png".to_string(), bin(b"\0base"))].into();
        let ours: Files = [("logo.png".to_string(), bin(b"\0ours"))].into();
        let theirs: Files = [("logo.png".to_string(), bin(b"\0theirs"))].into();
        let out = merge(&base, &ours, &theirs).unwrap();
        assert_eq!(out.result["logo.png"].content, b"\0ours");
        assert_eq!(out.result["logo.png.golden-template"].content, b"\0theirs");
        assert_eq!(out.conflicts[0].0, "logo.png");
    }
}
