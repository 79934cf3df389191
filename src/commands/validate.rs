//! `golden validate [PATH...]`: find the templates, check them, draw the findings, pick the exit
//! status (0 clean, 1 errors or denied warnings, 2 golden could not run).

use crate::error::{exit, Error, Result};
use crate::output::Printer;
use crate::settings::ValidateSettings;
use crate::validate::{self, Options, Severity};

pub fn run(args: ValidateSettings, printer: Printer) -> Result<i32> {
    let paths = &args.paths;
    let report = validate::validate(
        paths,
        &Options {
            config: args.config,
            home: Some(args.home),
            programs: args.programs,
            allow: args.allow,
            deny: args.deny,
        },
    )?;
    if report.files == 0 && report.diagnostics.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| format!("`{}`", p.display())).collect();
        return Err(Error::usage(format!(
            "no `kind: Template` document found in {}",
            shown.join(", ")
        ))
        .hint("pass template.yaml files or directories holding them"));
    }
    printer
        .validation(&report, args.format)
        .map_err(|e| Error::internal(format!("cannot write the report: {e}")))?;
    let failed = report.count(Severity::Error) > 0
        || (args.deny_warnings && report.count(Severity::Warning) > 0);
    Ok(if failed { exit::FAILURE } else { exit::SUCCESS })
}
