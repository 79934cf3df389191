//! Command wiring: each command runs its pipeline (load, values, run, report) in order.

pub mod catalog;
pub mod new;
pub mod publish;
pub mod schema;
pub mod validate;

use std::path::PathBuf;

use crate::error::Result;
use crate::output::Verbosity;
use crate::settings::CommandSettings;

/// Runs a resolved command and returns its exit status.
pub fn dispatch(command: CommandSettings, verbosity: Verbosity) -> Result<i32> {
    match command {
        CommandSettings::New(settings) => new::run(*settings, verbosity),
        CommandSettings::List { search_path } => list(&search_path),
        CommandSettings::Actions { id } => actions(id),
        CommandSettings::Catalog(settings) => catalog::run(settings, verbosity),
        CommandSettings::Validate(settings) => validate::run(settings),
        CommandSettings::Schema => schema::run(),
    }
}

fn list(path: &[PathBuf]) -> Result<i32> {
    for t in crate::template::locate::list(path) {
        println!("{:<28} {:<40} {}", t.name, t.title, t.location);
    }
    Ok(0)
}

fn actions(id: Option<String>) -> Result<i32> {
    let registry = crate::runner::Registry::builtin();
    match id {
        None => {
            for a in registry.iter() {
                println!("{:<32} {}", a.id(), a.description());
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
            println!("{}: {}", a.id(), a.description());
            println!(
                "{}",
                serde_json::to_string_pretty(&a.input_schema()).unwrap_or_default()
            );
        }
    }
    Ok(0)
}
