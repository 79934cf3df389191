//! golden: run Backstage Software Templates (`scaffolder.backstage.io/v1beta3`) anywhere.
//!
//! The pipeline flows one way: command line → template → values → runner (actions) → report.
//! `main.rs` only parses arguments and calls [`run`].

pub(crate) mod actions;
pub(crate) mod backstage;
pub(crate) mod catalog;
pub mod cli;
pub(crate) mod commands;
pub(crate) mod config;
pub(crate) mod env_vars;
pub(crate) mod error;
pub(crate) mod forge;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod git;
pub(crate) mod github;
pub(crate) mod http;
pub(crate) mod interrupt;
pub(crate) mod lifecycle;
pub(crate) mod limits;
pub(crate) mod output;
pub(crate) mod prompt;
pub(crate) mod redact;
pub(crate) mod render;
pub(crate) mod runner;
pub(crate) mod scm;
pub(crate) mod services;
pub mod settings;
pub mod template;
pub(crate) mod testing;
pub mod validate;
pub(crate) mod values;
pub(crate) mod workspace;

/// Runs a parsed command line in the environment `env` and returns the process exit status.
pub fn run(cli: cli::Cli, env: settings::Environment) -> i32 {
    // libgit2's network timeouts are process settings (libgit2 has no per-connection ones): handed
    // over once here, given to libgit2 at the first connection (starting libgit2 costs ~60 ms).
    let timeouts = settings::GitTimeouts::DEFAULT;
    git::set_timeouts(timeouts.connect_ms, timeouts.io_ms);
    // The run's secrets: the printer masks them, the config registers every token it holds.
    let redactor = redact::Redactor::default();
    let printer = output::Printer::new(
        settings::OutputSettings::resolve(&cli.global, &env),
        redactor.clone(),
    );
    match settings::resolve(cli.command, &env, &redactor)
        .and_then(|c| commands::dispatch(c, printer.clone()))
    {
        Ok(code) => code,
        Err(e) => {
            printer.error(&e);
            e.exit_code()
        }
    }
}
