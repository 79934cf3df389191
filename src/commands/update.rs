//! `golden update [DIR]`: brings a generated project up to date with its template by a 3-way
//! merge (see `lifecycle::merge`), then rewrites the record. Refuses a dirty working tree unless
//! `--force`; `--diff` prints the change as a patch and writes nothing.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::lifecycle::merge::{self, Change};
use crate::lifecycle::project::{self, Project};
use crate::lifecycle::record;
use crate::lifecycle::render::Files;
use crate::output::Printer;
use crate::settings::UpdateSettings;

pub fn run(args: UpdateSettings, printer: Printer) -> Result<i32> {
    let dir = args.dir.clone();
    let p = Project::open(&dir, &args.context, args.offline)?;
    if !args.force && !args.diff {
        match project::dirty(&dir) {
            None => {
                return Err(Error::usage(format!(
                    "`{}` is not a git repository, so golden cannot tell your changes from the update's",
                    dir.display()
                ))
                .hint("commit the project to git first, or run with --force"))
            }
            Some(d) if !d.is_empty() => {
                return Err(Error::usage(format!(
                    "`{}` has uncommitted changes; nothing was changed",
                    dir.display()
                ))
                .with_details(d.into_iter().take(20))
                .hint("commit or stash them first (the update is then one reviewable change), or run with --force"))
            }
            Some(_) => {}
        }
    }
    let base = p.base()?;
    let new = p.newest(args.reference.as_deref())?;
    let answers = new_answers(&p, &new.template, &args)?;
    let public = record::public_answers(&new.template, &answers);
    if new.commit == base.commit && public == p.record.answers {
        printer.status(format!(
            "already up to date with {} ({})",
            p.record.template.name,
            short(&new.commit)
        ));
        return Ok(0);
    }
    let base_files = p.render(&base, &p.record.answers)?;
    let theirs = p.render(&new, &answers)?;
    let ours = p.files()?;
    let outcome = merge::merge(&base_files, &ours, &theirs)?;
    let changes = merge::changes(&base_files, &ours, &outcome);
    if args.diff {
        printer
            .data_raw(&merge::patch(&ours, &outcome.result)?)
            .map_err(|e| Error::internal(format!("cannot write the patch: {e}")))?;
        return Ok(0);
    }
    apply(&dir, &ours, &outcome.result, &changes)?;
    let rec = p.updated_record(&new, &answers);
    let file = dir.join(record::FILE);
    write_atomic(&file, rec.to_yaml().as_bytes())?;
    summary(
        printer.clone(),
        &p,
        &base.commit,
        &new.commit,
        &changes,
        &outcome,
    );
    if args.pr {
        if !outcome.conflicts.is_empty() {
            return Err(Error::step("the update has conflicts, so no pull request was opened; the merged files are in the working tree")
                .hint("resolve the conflict markers, then commit and push the branch yourself"));
        }
        let deleted: Vec<String> = changes
            .iter()
            .filter(|(_, c)| **c == Change::Deleted)
            .map(|(p, _)| p.clone())
            .collect();
        super::update_pr::open(&p, &dir, &base.commit, &new.commit, &deleted, printer)?;
    }
    Ok(if outcome.conflicts.is_empty() { 0 } else { 1 })
}

fn short(c: &str) -> &str {
    &c[..12.min(c.len())]
}

/// The recorded answers, then `--values` and `--set`; asks (or lists as missing) only what the
/// new version requires and the record does not hold.
fn new_answers(
    p: &Project,
    template: &crate::template::Template,
    args: &UpdateSettings,
) -> Result<Map<String, Value>> {
    let tmp = tempfile::Builder::new()
        .prefix("golden-answers-")
        .suffix(".json")
        .tempfile()
        .map_err(|e| Error::internal(format!("cannot create a temporary file: {e}")))?;
    std::fs::write(
        tmp.path(),
        serde_json::to_string(&Value::Object(p.record.answers.clone())).unwrap_or_default(),
    )
    .map_err(|e| Error::io("cannot write", tmp.path(), e))?;
    let mut sources = args.sources.clone();
    sources.files.insert(0, tmp.path().to_path_buf());
    let options = super::answers_options(sources, &args.mode, &args.context);
    let values = crate::prompt::values_with(template, &options, &args.context)?;
    Ok(values.parameters)
}

/// Writes the merge result into `dir`: changed and new files, deletions (empty folders go too).
fn apply(
    dir: &Path,
    ours: &Files,
    result: &Files,
    changes: &std::collections::BTreeMap<String, Change>,
) -> Result<()> {
    for (path, change) in changes {
        let target = dir.join(path);
        if *change == Change::Deleted {
            if ours.contains_key(path) {
                std::fs::remove_file(&target)
                    .map_err(|e| Error::io("cannot delete", &target, e))?;
                let mut parent = target.parent();
                while let Some(d) = parent {
                    if d == dir || std::fs::remove_dir(d).is_err() {
                        break;
                    }
                    parent = d.parent();
                }
            }
            continue;
        }
        let Some(f) = result.get(path) else { continue };
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io("cannot create", parent, e))?;
        }
        if target.symlink_metadata().is_ok() {
            std::fs::remove_file(&target).map_err(|e| Error::io("cannot replace", &target, e))?;
        }
        crate::lifecycle::fetch::write_blob(&target, &f.content, f.mode)?;
    }
    // Binary conflicts add the template's version beside the project's.
    for (path, f) in result {
        if path.ends_with(merge::THEIRS_SUFFIX)
            && !ours.contains_key(path)
            && !changes.contains_key(path)
        {
            crate::lifecycle::fetch::write_blob(&dir.join(path), &f.content, f.mode)?;
        }
    }
    Ok(())
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io("cannot write into", dir, e))?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(|e| Error::io("cannot write", path, e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("cannot write", path, e.error))?;
    Ok(())
}

fn summary(
    printer: Printer,
    p: &Project,
    from: &str,
    to: &str,
    changes: &std::collections::BTreeMap<String, Change>,
    outcome: &merge::Outcome,
) {
    let count = |k: Change| changes.values().filter(|c| **c == k).count();
    printer.status(format!(
        "updated {} from {} to {}: {} updated, {} merged, {} added, {} deleted, {} in conflict",
        p.record.template.name,
        short(from),
        short(to),
        count(Change::Updated),
        count(Change::Merged),
        count(Change::Added),
        count(Change::Deleted),
        count(Change::Conflict),
    ));
    for (path, c) in changes {
        let tag = match c {
            Change::Added => "added",
            Change::Deleted => "deleted",
            Change::Updated => "updated",
            Change::Merged => "merged",
            Change::Conflict => "CONFLICT",
        };
        printer.status(format!("  {tag:<8} {path}"));
    }
    for (from, to) in &outcome.renamed {
        printer.status(format!("  renamed  {from} -> {to}"));
    }
    if !outcome.conflicts.is_empty() {
        printer.warn(&format!(
            "{} file(s) in conflict: resolve the <<<<<<< project / >>>>>>> template markers, then commit",
            outcome.conflicts.len()
        ));
        for (path, why) in &outcome.conflicts {
            printer.always(format!("  {path}: {why}"));
        }
    }
}
