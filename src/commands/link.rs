//! `golden link SOURCE [DIR]`: adopts a project golden did not make (Backstage did, or a person)
//! by writing its record, so `golden check` and `golden update` work on it from then on.

use std::path::PathBuf;

use crate::cli::LinkArgs;
use crate::error::{Error, Result};
use crate::lifecycle::record::{self, Record};
use crate::output::Verbosity;
use crate::prompt::Options;
use crate::template::Template;
use crate::values::Sources;

pub fn run(args: LinkArgs, verbosity: Verbosity) -> Result<i32> {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    if !dir.is_dir() {
        return Err(Error::usage(format!("`{}` is not a folder", dir.display())));
    }
    let file = dir.join(record::FILE);
    if file.exists() && !args.force {
        return Err(Error::usage(format!(
            "`{}` already has a record",
            file.display()
        ))
        .hint("`golden check` and `golden update` use it; --force replaces it"));
    }
    if !crate::lifecycle::source::is_git(&args.source) {
        return Err(Error::usage(format!(
            "`{}` is not a git URL; a linked project needs its template's history",
            args.source
        ))
        .hint("use `https://github.com/OWNER/REPO/tree/REF/PATH` or `GIT_URL//PATH?ref=REF`"));
    }
    let config = crate::config::load(args.config.as_deref())?;
    crate::git::set_timeouts();
    let resolved = crate::lifecycle::resolve_git(
        &args.source,
        args.reference.as_deref(),
        args.offline,
        &config,
        &crate::services::home(),
    )?;
    let template = Template::load(&resolved.path)?;
    let options = Options {
        sources: Sources {
            files: args.values.clone(),
            env: Vec::new(),
            set: args.set.clone(),
            secrets: None,
            user: None,
        },
        mode: crate::prompt::mode(args.no_input),
        yes: true,
        save: None,
    };
    let values = crate::prompt::values_with(&template, &options, args.config.clone())?;
    let commit = resolved.source.commit.clone().unwrap_or_default();
    let rec = Record::new(&template, resolved.source, &values.parameters);
    std::fs::write(&file, rec.to_yaml()).map_err(|e| Error::io("cannot write", &file, e))?;
    if verbosity != Verbosity::Quiet {
        eprintln!(
            "linked {} to {} at {}; commit {} and run `golden check`",
            dir.display(),
            template.name,
            &commit[..12.min(commit.len())],
            record::FILE
        );
    }
    Ok(0)
}
