//! `golden validate [PATH...]`: find the templates, check them, draw the findings, pick the exit
//! status (0 clean, 1 errors or denied warnings, 2 golden could not run).

use std::io::Write;
use std::path::PathBuf;

use crate::cli::ValidateArgs;
use crate::diagnostics::{self, Format};
use crate::error::{exit, Error, Result};
use crate::validate::{self, Options, Severity};

pub fn run(args: ValidateArgs) -> Result<i32> {
    let config = crate::config::load(args.config.as_deref())?;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let report = validate::validate(
        &paths,
        &Options {
            config,
            allow: args.allow.clone(),
            deny: args.deny.clone(),
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
    let text = match args.format {
        Format::Human => diagnostics::human(&report, console::colors_enabled_stderr()),
        Format::Json => diagnostics::json(&report),
        Format::Github => diagnostics::github(&report),
        Format::Sarif => diagnostics::sarif(&report),
    };
    let written = if args.format == Format::Human {
        std::io::stderr().lock().write_all(text.as_bytes())
    } else {
        std::io::stdout().lock().write_all(text.as_bytes())
    };
    written.map_err(|e| Error::internal(format!("cannot write the report: {e}")))?;
    let failed = report.count(Severity::Error) > 0
        || (args.deny_warnings && report.count(Severity::Warning) > 0);
    Ok(if failed { exit::FAILURE } else { exit::SUCCESS })
}
