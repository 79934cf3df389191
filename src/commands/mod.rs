//! Command wiring: each command runs its pipeline (load, values, run, report) in order.

pub mod catalog;
pub mod check;
pub mod link;
pub mod new;
pub mod publish;
pub mod resume;
pub mod schema;
pub mod test;
pub mod update;
pub mod update_pr;
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
        CommandSettings::Actions {
            command,
            id,
            protocol,
            context,
        } => match command {
            Some(c) => actions_manage(c, &context, printer),
            None => actions(id, protocol, &context, printer),
        },
        CommandSettings::Catalog(settings) => catalog::run(settings, printer),
        CommandSettings::Validate(settings) => validate::run(settings, printer),
        CommandSettings::Schema { which } => schema::run(which.as_deref(), printer),
        CommandSettings::Update(settings) => update::run(*settings, printer),
        CommandSettings::Check(settings) => check::run(settings, printer),
        CommandSettings::Link(settings) => link::run(*settings, printer),
        CommandSettings::Test(settings) => test::run(settings, printer),
        CommandSettings::Completions(shell) => completions(shell, printer),
        CommandSettings::Man => man(printer),
    }
}

/// The prompt options of `update` and `link`: the recorded answers and `sources`, no summary, no
/// saved or replayed answers.
fn answers_options(
    sources: crate::settings::ValueSources,
    mode: &crate::settings::Mode,
    context: &crate::settings::Context,
) -> crate::prompt::Options {
    crate::prompt::Options {
        sources,
        mode: mode.clone(),
        yes: true,
        save: None,
        integration_hosts: context.config.integration_hosts(),
        replay_record: None,
        target: Default::default(),
        redactor: context.config.redactor.clone(),
    }
}

/// The warnings the steps logged, each on its own line (`-v` shows the whole log instead).
fn step_warnings(report: &crate::runner::Report, printer: &Printer) {
    if printer.verbosity() == crate::settings::Verbosity::Verbose {
        return;
    }
    for step in &report.steps {
        for w in step.log.iter().filter_map(|l| l.strip_prefix("warning: ")) {
            printer.warn(&format!("step `{}`: {w}", step.id));
        }
    }
}

/// The report of a failed run, written once for every command that runs steps: the first failed
/// step's error (message at the skeleton file's line and column when a file failed to render,
/// else at the step in template.yaml; the action's hints and source), and which steps had run
/// before it (`no step had run before it`, `step `a` had run before it`, ...).
fn step_failed(
    template: &crate::template::Template,
    report: &crate::runner::Report,
    i: usize,
) -> (crate::error::Error, String) {
    let step = &report.steps[i];
    let ran: Vec<String> = report.steps[..i]
        .iter()
        .filter(|s| {
            matches!(
                s.status,
                crate::runner::Status::Executed | crate::runner::Status::Predicted
            )
        })
        .map(|s| format!("`{}`", s.id))
        .collect();
    let message = format!(
        "step `{}` ({}) failed: {}",
        step.id,
        step.action,
        step.reason.clone().unwrap_or_default()
    );
    let e = match &step.failure {
        Some(f) => f.to_error(message),
        None => {
            crate::error::Error::step(message).at(template.location(&format!("/spec/steps/{i}")))
        }
    };
    let ran = match ran.len() {
        0 => "no step had run before it".to_string(),
        1 => format!("step {} had run before it", ran[0]),
        _ => format!("steps {} had run before it", ran.join(", ")),
    };
    (e, ran)
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

/// `golden actions add` / `remove`.
fn actions_manage(
    command: crate::cli::ActionsCommand,
    context: &crate::settings::Context,
    printer: Printer,
) -> Result<i32> {
    let store = crate::actions::npm::Store::new(&context.home, &context.programs);
    match command {
        crate::cli::ActionsCommand::Add { packages } => {
            for (name, r) in store.add(&packages)? {
                printer.status(format!(
                    "added {name}@{} with {} actions:",
                    r.version,
                    r.actions.len()
                ));
                for a in &r.actions {
                    printer.data(format!("{:<32} {}", a.id, a.description));
                }
            }
        }
        crate::cli::ActionsCommand::Remove { package } => {
            store.remove(&package)?;
            printer.status(format!("removed {package}"));
        }
    }
    Ok(0)
}

fn actions(
    id: Option<String>,
    protocol: bool,
    context: &crate::settings::Context,
    printer: Printer,
) -> Result<i32> {
    let config = &context.config;
    if protocol {
        printer
            .data_raw(crate::actions::external::PROTOCOL)
            .map_err(|e| crate::error::Error::internal(format!("cannot write: {e}")))?;
        return Ok(0);
    }
    let registry = crate::actions::registry_for(
        config,
        Some(&context.home),
        &context.programs,
        id.as_deref(),
    )?;
    match id {
        None => {
            for a in registry.iter() {
                let origin = a.origin();
                let origin = if origin == "built-in" {
                    String::new()
                } else {
                    format!("  [{origin}]")
                };
                printer.data(format!("{:<32} {}{origin}", a.id(), a.description()));
            }
            for (name, path) in crate::actions::external::list_path(&context.programs.path) {
                printer.data(format!(
                    "{:<32} an external action on PATH (`:` in its id written `-`)  [PATH: {}]",
                    name,
                    path.display()
                ));
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
            printer.data(format!("{}: {} ({})", a.id(), a.description(), a.origin()));
            printer.data(serde_json::to_string_pretty(&a.input_schema()).unwrap_or_default());
        }
    }
    Ok(0)
}
