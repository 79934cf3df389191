//! golden: run Backstage Software Templates (`scaffolder.backstage.io/v1beta3`) anywhere.
//!
//! The pipeline flows one way: command line → template → values → runner (actions) → report.
//! `main.rs` only parses arguments and calls [`run`].

pub mod actions;
pub mod backstage;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod env_vars;
pub mod error;
pub mod forge;
pub mod git;
pub mod interrupt;
pub mod lifecycle;
pub mod github;
pub mod limits;
pub mod output;
pub mod prompt;
pub mod redact;
pub mod render;
pub mod runner;
pub mod scm;
pub mod services;
pub mod settings;
pub mod template;
pub mod testing;
pub mod validate;
pub mod values;
pub mod workspace;

/// Runs a parsed command line in the environment `env` and returns the process exit status.
pub fn run(cli: cli::Cli, env: settings::Environment) -> i32 {
    // libgit2's network timeouts are process settings: set once, before any thread starts.
    git::set_timeouts();
    let printer = output::Printer::new(settings::OutputSettings::resolve(&cli.global, &env));
    match settings::resolve(cli.command, &env).and_then(|c| commands::dispatch(c, printer)) {
        Ok(code) => code,
        Err(e) => {
            printer.error(&e);
            e.exit_code()
        }
    }
}
