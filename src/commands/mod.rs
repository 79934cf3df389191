//! Command wiring: each command runs its pipeline (load, values, run, report) in order.

pub mod catalog;
pub mod new;
pub mod publish;
pub mod schema;
pub mod validate;

use crate::cli::Command;
use crate::error::Result;
use crate::output::Verbosity;

/// Runs a parsed command and returns its exit status.
pub fn dispatch(command: Command, verbosity: Verbosity) -> Result<i32> {
    match command {
        Command::New(args) => new::run(args, verbosity),
        Command::List => list(),
        Command::Actions { id } => actions(id),
        Command::Catalog(args) => catalog::run(args, verbosity),
        Command::Validate(args) => validate::run(args, verbosity),
        Command::Schema => schema::run(),
    }
}

fn list() -> Result<i32> {
    let path = crate::template::locate::search_path(
        std::env::var(crate::env_vars::TEMPLATE_PATH)
            .ok()
            .as_deref(),
    );
    for t in crate::template::locate::list(&path) {
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
