//! `golden link SOURCE [DIR]`: adopts a project golden did not make (Backstage did, or a person)
//! by writing its record, so `golden check` and `golden update` work on it from then on.

use crate::error::{Error, Result};
use crate::lifecycle::record::{self, Record};
use crate::output::Printer;
use crate::prompt::Options;
use crate::settings::LinkSettings;

pub fn run(args: LinkSettings, printer: Printer) -> Result<i32> {
    let dir = args.dir.clone();
    if !dir.is_dir() {
        return Err(Error::usage(format!("`{}` is not a folder", dir.display())));
    }
    let file = dir.join(record::FILE);
    if file.exists() && !args.force {
        return Err(
            Error::usage(format!("`{}` already has a record", file.display()))
                .hint("`golden check` and `golden update` use it; --force replaces it"),
        );
    }
    if !crate::lifecycle::source::is_git(&args.source) {
        return Err(Error::usage(format!(
            "`{}` is not a git URL; a linked project needs its template's history",
            args.source
        ))
        .hint("use `https://github.com/OWNER/REPO/tree/REF/PATH` or `GIT_URL//PATH?ref=REF`"));
    }
    crate::git::set_timeouts();
    let fetch = crate::lifecycle::FetchSettings {
        offline: args.offline,
        context: &args.context,
    };
    let resolved = crate::lifecycle::resolve_git(&args.source, args.reference.as_deref(), &fetch)?;
    let template = resolved.load()?;
    let options = Options {
        sources: args.sources.clone(),
        mode: args.mode.clone(),
        yes: true,
        save: None,
        github_hosts: args.context.github_hosts(),
    };
    let values = crate::prompt::values_with(&template, &options, &args.context)?;
    let commit = resolved.source.commit.clone().unwrap_or_default();
    let rec = Record::new(&template, resolved.source, &values.parameters);
    std::fs::write(&file, rec.to_yaml()).map_err(|e| Error::io("cannot write", &file, e))?;
    printer.status(format!(
        "linked {} to {} at {}; commit {} and run `golden check`",
        dir.display(),
        template.name,
        &commit[..12.min(commit.len())],
        record::FILE
    ));
    Ok(0)
}
