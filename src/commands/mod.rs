//! Command wiring: each command runs its pipeline (load, values, run, report) in order.

pub mod catalog;
pub mod new;
pub mod publish;
pub mod schema;
pub mod test;
pub mod validate;

use std::path::PathBuf;

use crate::error::Result;
use crate::output::Printer;
use crate::settings::CommandSettings;

/// Runs a resolved command and returns its exit status.
pub fn dispatch(command: CommandSettings, printer: Printer) -> Result<i32> {
    match command {
        CommandSettings::New(settings) => new::run(*settings, printer),
        CommandSettings::List { search_path, json } => list(&search_path, json, printer),
        CommandSettings::Actions { id } => actions(id, printer),
        CommandSettings::Catalog(settings) => catalog::run(settings, printer),
        CommandSettings::Validate(settings) => validate::run(settings, printer),
        CommandSettings::Schema => schema::run(printer),
        CommandSettings::Test(settings) => test::run(settings, printer),
        CommandSettings::Completions(shell) => completions(shell, printer),
        CommandSettings::Man => man(printer),
    }
}

fn list(path: &[PathBuf], json: bool, printer: Printer) -> Result<i32> {
    let templates = crate::template::locate::list(path);
    if json {
        let list: Vec<serde_json::Value> = templates
            .iter()
            .map(|t| serde_json::json!({"name": t.name, "title": t.title, "location": t.location}))
            .collect();
        printer.json(&serde_json::Value::Array(list));
        return Ok(0);
    }
    for t in templates {
        printer.data(format!("{:<28} {:<40} {}", t.name, t.title, t.location));
    }
    Ok(0)
}

/// `golden completions SHELL`: clap_complete's script for the whole command line.
fn completions(shell: clap_complete::Shell, printer: Printer) -> Result<i32> {
    let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "golden", &mut buf);
    write_out(printer, &buf)
}

/// `golden man`: the manual page (roff) of golden, its options and commands, by clap_mangen.
fn man(printer: Printer) -> Result<i32> {
    let cmd = <crate::cli::Cli as clap::CommandFactory>::command();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut buf)
        .map_err(|e| crate::error::Error::internal(format!("cannot render the man page: {e}")))?;
    write_out(printer, &buf)
}

fn write_out(printer: Printer, bytes: &[u8]) -> Result<i32> {
    printer
        .data_raw(&String::from_utf8_lossy(bytes))
        .map_err(|e| crate::error::Error::internal(format!("cannot write to stdout: {e}")))?;
    Ok(0)
}

fn actions(id: Option<String>, printer: Printer) -> Result<i32> {
    let registry = crate::actions::registry();
    match id {
        None => {
            for a in registry.iter() {
                printer.data(format!("{:<32} {}", a.id(), a.description()));
            }
        }
        Some(id) => {
            let Some(a) = registry.get(&id) else {
                let mut e = crate::error::Error::usage(format!("unknown action `{id}`"));
                if let Some(s) = registry.suggest(&id) {
                    e = e.hint(format!("did you mean `{s}`?"));
                }
                return Err(e.hint("`golden actions` lists every action"));
            };
            printer.data(format!("{}: {}", a.id(), a.description()));
            printer.data(serde_json::to_string_pretty(&a.input_schema()).unwrap_or_default());
        }
    }
    Ok(0)
}
