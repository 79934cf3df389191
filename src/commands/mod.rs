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
        Command::Actions(args) => actions(args),
        Command::Catalog(args) => catalog::run(args, verbosity),
        Command::Validate(args) => validate::run(args),
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

fn actions(args: crate::cli::ActionsArgs) -> Result<i32> {
    if args.protocol {
        print!("{}", crate::actions::external::PROTOCOL);
        return Ok(0);
    }
    let config = crate::config::load(args.config.as_deref())?;
    let registry = crate::actions::registry(&config, args.id.as_deref())?;
    match args.id {
        None => {
            for a in registry.iter() {
                let origin = a.origin();
                let origin = if origin == "built-in" {
                    String::new()
                } else {
                    format!("  [{origin}]")
                };
                println!("{:<32} {}{origin}", a.id(), a.description());
            }
            for (name, path) in crate::actions::external::list_path() {
                println!(
                    "{:<32} an external action on PATH (`:` in its id written `-`)  [PATH: {}]",
                    name,
                    path.display()
                );
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
            println!("{}: {} ({})", a.id(), a.description(), a.origin());
            println!(
                "{}",
                serde_json::to_string_pretty(&a.input_schema()).unwrap_or_default()
            );
        }
    }
    Ok(0)
}
