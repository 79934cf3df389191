//! golden: run Backstage Software Templates (`scaffolder.backstage.io/v1beta3`) anywhere.
//!
//! The pipeline flows one way: command line → template → values → runner (actions) → report.
//! `main.rs` only parses arguments and calls [`run`].

pub mod actions;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diagnostics;
pub mod env_vars;
pub mod error;
pub mod forge;
pub mod git;
pub mod github;
pub mod output;
pub mod prompt;
pub mod render;
pub mod runner;
pub mod scm;
pub mod services;
pub mod template;
pub mod validate;
pub mod values;
pub mod workspace;

use output::Verbosity;

/// Runs a parsed command line and returns the process exit status.
pub fn run(cli: cli::Cli) -> i32 {
    let verbosity = if cli.global.quiet {
        Verbosity::Quiet
    } else if cli.global.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    match commands::dispatch(cli.command, verbosity) {
        Ok(code) => code,
        Err(e) => {
            output::error(&e);
            e.exit_code()
        }
    }
}
