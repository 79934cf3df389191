//! Command wiring: each command runs its pipeline (load, values, run, report) in order.

pub mod catalog;
pub mod new;
pub mod publish;
pub mod resume;
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
        CommandSettings::List { search_path } => list(&search_path, printer),
        CommandSettings::Actions { id } => actions(id, printer),
        CommandSettings::Catalog(settings) => catalog::run(settings, printer),
        CommandSettings::Validate(settings) => validate::run(settings, printer),
        CommandSettings::Schema => schema::run(printer),
        CommandSettings::Test(settings) => test::run(settings, printer),
    }
}

fn list(path: &[PathBuf], printer: Printer) -> Result<i32> {
    for t in crate::template::locate::list(path) {
        printer.data(format!("{:<28} {:<40} {}", t.name, t.title, t.location));
    }
    Ok(0)
}

fn actions(id: Option<String>, printer: Printer) -> Result<i32> {
    let registry = crate::runner::Registry::builtin();
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
