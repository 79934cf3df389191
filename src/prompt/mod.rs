//! Prompts: the template's parameter pages (JSON Schema + `ui:*` hints) turned into questions.
//!
//! Owns deciding whether golden may ask at all (a terminal on stdin and stderr, no `CI`, no
//! `--no-input`), walking the pages in order and asking only for what the values files, `--set`
//! and `GOLDEN_VALUE_*` did not give ([`ask`], over the state in [`walker`]), the field
//! extensions ([`fields`]) and their rules without asking ([`rules`]), the catalog lookups behind
//! the entity pickers ([`entities`]), the error that lists every missing value when golden cannot
//! ask ([`missing`]), and the summary, confirmation and `--save-values` file ([`summary`]). This is
//! the only module that talks to dialoguer ([`terminal`]). The files depend on each other one way
//! (`tests/it/module_graph.rs` checks): ask → fields → walker → missing → rules.

mod ask;
pub mod entities;
pub mod fields;
mod fuzzy;
mod missing;
mod rules;
mod schema;
mod summary;
mod terminal;
mod walker;

use serde_json::{Map, Value};

use crate::error::{Error, Kind, Result};
use crate::settings::NewSettings;
use crate::template::Template;
use crate::values::{self, Sources, Values};

pub use crate::settings::Mode;

pub use entities::EntitySource;
pub use terminal::Terminal;

/// Why a question got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// golden may not ask (non-interactive mode): the value is reported as missing.
    NoInput,
    /// Ctrl-C (exit 130).
    Interrupted,
    /// The terminal failed.
    Failed(String),
}

/// The answer to one question.
pub type Answer<T> = std::result::Result<T, Stop>;

/// What a question shows besides its answer box.
#[derive(Debug, Clone, Default)]
pub struct Prompt {
    /// The title (or the property name).
    pub label: String,
    /// `description` / `ui:help`, shown under the label.
    pub help: Option<String>,
    /// `ui:placeholder`, shown as an example.
    pub placeholder: Option<String>,
    /// The answer taken on an empty line.
    pub default: Option<String>,
    /// Whether an empty answer is refused.
    pub required: bool,
}

impl Prompt {
    /// Adds how to answer to the help: `help (how)`, or `how` alone.
    pub fn add_help(&mut self, how: &str) {
        self.help = Some(match self.help.take() {
            Some(h) => format!("{h} ({how})"),
            None => how.to_string(),
        });
    }
}

/// What [`Prompter::fuzzy_pick`] returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// An item of the list.
    Item(usize),
    /// Text that matched no item, taken as typed on Enter.
    Typed(String),
}

/// A spinner with a message, shown (on a terminal) until dropped.
pub struct Busy(Option<indicatif::ProgressBar>);

impl Drop for Busy {
    fn drop(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }
}

/// Checks a typed answer; `Err` is the message shown before asking again.
pub type Check<'a> = &'a dyn Fn(&str) -> std::result::Result<(), String>;

/// The questions golden can ask. [`Terminal`] asks a human with dialoguer; [`NoInput`] never asks.
pub trait Prompter {
    /// A page title and its description.
    fn heading(&mut self, title: &str, description: Option<&str>);
    /// A one-line notice (a fallback, an invalid given value).
    fn notice(&mut self, text: &str);
    /// Shows `message` with a spinner while something slow happens (a catalog answering), until
    /// the returned guard is dropped; nothing without a terminal.
    fn busy(&mut self, message: &str) -> Busy {
        let _ = message;
        Busy(None)
    }
    /// One line of text, checked as typed.
    fn text(&mut self, prompt: &Prompt, check: Check<'_>) -> Answer<String>;
    /// Several lines of text (`ui:widget: textarea`).
    fn multiline(&mut self, prompt: &Prompt, check: Check<'_>) -> Answer<String>;
    /// Hidden input (`ui:field: Secret`, `ui:widget: password`).
    fn secret(&mut self, prompt: &Prompt, check: Check<'_>) -> Answer<String>;
    /// One item of a short list (arrow keys).
    fn select(&mut self, prompt: &Prompt, items: &[String], default: usize) -> Answer<usize>;
    /// One item of a long list, filtered as typed.
    fn fuzzy_select(&mut self, prompt: &Prompt, items: &[String], default: usize) -> Answer<usize>;
    /// One item of a long list, filtered as typed; Enter on text that matches no item gives the
    /// text once `check` accepts it (its reason is shown otherwise). Choosing item `quiet` (one
    /// that leads to another question) is not shown as the answer.
    fn fuzzy_pick(
        &mut self,
        prompt: &Prompt,
        items: &[String],
        default: usize,
        quiet: Option<usize>,
        check: Check<'_>,
    ) -> Answer<Pick> {
        let _ = (quiet, check);
        self.fuzzy_select(prompt, items, default).map(Pick::Item)
    }
    /// Any number of items (space toggles).
    fn multi_select(
        &mut self,
        prompt: &Prompt,
        items: &[String],
        checked: &[bool],
    ) -> Answer<Vec<usize>>;
    /// Yes or no.
    fn confirm(&mut self, prompt: &Prompt, default: Option<bool>) -> Answer<bool>;
    /// Yes, no, or nothing (an optional boolean without a default: Enter leaves it unset).
    fn confirm_or_none(&mut self, prompt: &Prompt) -> Answer<Option<bool>> {
        let items = [
            "yes".to_string(),
            "no".to_string(),
            walker::NONE.to_string(),
        ];
        Ok(match self.select(prompt, &items, 2)? {
            0 => Some(true),
            1 => Some(false),
            _ => None,
        })
    }
}

/// The prompter of non-interactive runs: every question is unanswered.
pub struct NoInput;

impl Prompter for NoInput {
    fn heading(&mut self, _: &str, _: Option<&str>) {}
    fn notice(&mut self, _: &str) {}
    fn text(&mut self, _: &Prompt, _: Check<'_>) -> Answer<String> {
        Err(Stop::NoInput)
    }
    fn multiline(&mut self, _: &Prompt, _: Check<'_>) -> Answer<String> {
        Err(Stop::NoInput)
    }
    fn secret(&mut self, _: &Prompt, _: Check<'_>) -> Answer<String> {
        Err(Stop::NoInput)
    }
    fn select(&mut self, _: &Prompt, _: &[String], _: usize) -> Answer<usize> {
        Err(Stop::NoInput)
    }
    fn fuzzy_select(&mut self, _: &Prompt, _: &[String], _: usize) -> Answer<usize> {
        Err(Stop::NoInput)
    }
    fn multi_select(&mut self, _: &Prompt, _: &[String], _: &[bool]) -> Answer<Vec<usize>> {
        Err(Stop::NoInput)
    }
    fn confirm(&mut self, _: &Prompt, _: Option<bool>) -> Answer<bool> {
        Err(Stop::NoInput)
    }
}

/// Everything `golden new` needs to collect values.
#[derive(Debug, Clone)]
pub struct Options {
    pub sources: Sources,
    pub mode: Mode,
    /// Skip the summary and confirmation.
    pub yes: bool,
    /// `--save-values FILE`.
    pub save: Option<std::path::PathBuf>,
    /// The hosts of the config's integrations (github, gitlab, gitea), offered by the RepoUrlPicker.
    pub integration_hosts: crate::backstage::repo_url::Hosts,
    /// Where this run's answers are kept for `--replay` (`GOLDEN_HOME/replay/NAME.json`).
    pub replay_record: Option<std::path::PathBuf>,
    /// Dry run or not, local forge or not (the plan shown before the confirmation).
    pub target: summary::Target,
    /// The run's secrets: secret values and hidden answers are added, saved answers masked.
    pub redactor: crate::redact::Redactor,
}

impl Options {
    /// The options of a resolved `golden new`.
    pub fn from_settings(settings: &NewSettings) -> Options {
        Options {
            sources: settings.sources.clone(),
            mode: settings.mode.clone(),
            yes: settings.yes,
            save: settings.save_values.clone(),
            integration_hosts: settings.context.config.integration_hosts(),
            replay_record: None,
            target: summary::Target {
                dry_run: settings.dry_run,
                local: settings.local,
            },
            redactor: settings.context.config.redactor.clone(),
        }
    }
}

/// Where the answers of the last run of template `name` are kept: `GOLDEN_HOME/replay/NAME.json`.
pub fn replay_file(home: &std::path::Path, name: &str) -> std::path::PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    home.join("replay").join(format!("{safe}.json"))
}

/// The values of a `golden new` run: given ones, asked ones, defaults; validated. The entity
/// pickers read the catalog the settings' config names.
pub fn values_for(template: &Template, settings: &NewSettings) -> Result<Values> {
    let mut options = Options::from_settings(settings);
    let replay = replay_file(&settings.context.home, &template.name);
    if settings.replay {
        if !replay.is_file() {
            return Err(Error::usage(format!(
                "no saved answers for `{}` to replay (looked for `{}`)",
                template.name,
                replay.display()
            ))
            .hint("run `golden new` once without --replay; every run keeps its answers (never secrets)"));
        }
        // The saved answers come first: --values files, GOLDEN_VALUE_* and --set still win.
        options.sources.files.insert(0, replay.clone());
    }
    options.replay_record = Some(replay);
    values_with(template, &options, &settings.context)
}

/// Collects values with `options` on the terminal (or without asking, as the mode says); the
/// entity pickers read the catalog `context`'s config names.
pub fn values_with(
    template: &Template,
    options: &Options,
    context: &crate::settings::Context,
) -> Result<Values> {
    let options = options.clone();
    let source = move || entities::configured(context);
    match options.mode {
        Mode::Interactive => {
            let mut term = Terminal::new(options.redactor.clone());
            let _guard = terminal::InterruptGuard::install();
            collect(template, &options, &mut term, &source)
        }
        Mode::NonInteractive(_) => collect(template, &options, &mut NoInput, &source),
    }
}

/// Collects values with any prompter (tests use a scripted one).
pub fn collect(
    template: &Template,
    options: &Options,
    prompter: &mut dyn Prompter,
    source: &dyn Fn() -> std::result::Result<Box<dyn EntitySource>, String>,
) -> Result<Values> {
    let given = values::read_sources(template, &options.sources)?;
    // Secrets are known to the redaction layer before anything can print them.
    options
        .redactor
        .register_value(&Value::Object(given.secrets.clone()));
    register_hidden_answers(template, &given.parameters, &options.redactor);
    let interactive = options.mode == Mode::Interactive;
    let mut walker = walker::Walker::new(
        prompter,
        interactive && options.sources.files.is_empty(),
        source,
        given.user.clone(),
    );
    walker.integration_hosts = options.integration_hosts.clone();
    walker.secrets = given.secrets.clone();
    walker.interactive = interactive;
    let mut values = Values {
        parameters: given.parameters,
        secrets: Map::new(),
        user: given.user,
    };
    loop {
        walk(&mut walker, template, &mut values.parameters, &options.mode)?;
        values.secrets = walker.secrets.clone();
        options
            .redactor
            .register_value(&Value::Object(values.secrets.clone()));
        register_hidden_answers(template, &values.parameters, &options.redactor);
        values::drop_hidden(template, &mut values.parameters, &options.integration_hosts);
        values::validate(template, &values, &options.integration_hosts)?;
        keep(
            options,
            &values.parameters,
            &walker.secret_fields,
            &walker.masked,
        )?;
        if !interactive || options.yes {
            break;
        }
        match review(&mut walker, template, &values.parameters, options)? {
            Some(key) => forget(&mut walker, template, &mut values.parameters, &key, options),
            None => break,
        }
    }
    Ok(values)
}

/// Walks the pages; stops become errors, and so do the values that could not be asked.
fn walk(
    walker: &mut walker::Walker<'_>,
    template: &Template,
    params: &mut Map<String, Value>,
    mode: &Mode,
) -> Result<()> {
    match walker.pages(template, params) {
        Ok(()) | Err(Stop::NoInput) => {}
        Err(e) => return Err(stopped(e)),
    }
    if !walker.problems.is_empty() {
        let reason = match mode {
            Mode::NonInteractive(r) => r.clone(),
            Mode::Interactive => "the values could not be asked".into(),
        };
        return Err(missing::error(&walker.problems, &reason));
    }
    Ok(())
}

/// `--save-values`, and the answers kept for `--replay` (before anything runs, so a cancelled
/// or failed run keeps them too; a replay file that cannot be written does not stop the run).
fn keep(
    options: &Options,
    params: &Map<String, Value>,
    secret_fields: &[String],
    masked: &[String],
) -> Result<()> {
    if let Some(path) = &options.save {
        summary::save(path, params, secret_fields, masked, &options.redactor)?;
    }
    if let Some(path) = &options.replay_record {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = summary::save(path, params, secret_fields, masked, &options.redactor);
    }
    Ok(())
}

/// The review screen: `Ok(None)` to run, `Ok(Some(key))` to change the answer to `key`.
fn review(
    walker: &mut walker::Walker<'_>,
    template: &Template,
    params: &Map<String, Value>,
    options: &Options,
) -> Result<Option<String>> {
    let lines = summary::keyed_lines(template, params, &walker.masked);
    let plan = summary::plan(template, params, options.target, &options.integration_hosts);
    let unset = summary::unset_asked(
        template,
        params,
        &walker.asked_paths,
        &options.integration_hosts,
    );
    match summary::review(&mut *walker.p, &lines, &unset, &plan, walker.asked) {
        Ok(summary::Review::Run) => Ok(None),
        Ok(summary::Review::Change(key)) => Ok(Some(key)),
        Ok(summary::Review::Cancel) => Err(Error::new(
            Kind::Interrupted,
            "cancelled at the confirmation; nothing was run",
        )),
        Err(Stop::NoInput) => Ok(None),
        Err(e) => Err(stopped(e)),
    }
}

/// Forgets the answer to `key` and the answers that depend on it (those a value-less `key`
/// hides), so the next walk asks `key` again (its old answer as the default) and then whatever
/// the new answer shows.
fn forget(
    walker: &mut walker::Walker<'_>,
    template: &Template,
    params: &mut Map<String, Value>,
    key: &str,
    options: &Options,
) {
    let old = params.shift_remove(key);
    let secret = walker.secret_fields.iter().any(|f| f == key);
    if secret {
        walker.secrets.remove(key);
    }
    let mut kept = params.clone();
    values::drop_hidden(template, &mut kept, &options.integration_hosts);
    params.retain(|k, _| kept.contains_key(k));
    walker.redo.insert(
        key.to_string(),
        if secret {
            Value::Null
        } else {
            old.unwrap_or(Value::Null)
        },
    );
}

fn stopped(stop: Stop) -> Error {
    match stop {
        Stop::Interrupted => interrupted(),
        Stop::Failed(e) => Error::internal(format!("the terminal failed while asking: {e}")),
        Stop::NoInput => Error::internal("a value could not be asked"),
    }
}

/// Adds the values of password widgets and Secret fields (at any depth of the parameter pages)
/// to the redaction list.
pub fn register_hidden_answers(
    template: &Template,
    params: &Map<String, Value>,
    redactor: &crate::redact::Redactor,
) {
    fn walk(schema: &Value, value: &Value, redactor: &crate::redact::Redactor) {
        let Some(props) = schema.get("properties").and_then(Value::as_object) else {
            return;
        };
        for (name, prop) in props {
            let Some(v) = value.get(name) else { continue };
            let hidden = prop.get("ui:widget").and_then(Value::as_str) == Some("password")
                || prop.get("ui:field").and_then(Value::as_str) == Some("Secret");
            if hidden {
                // A Secret field's parameter only holds `*`s; its value is in the secrets.
                if !v.as_str().is_some_and(|s| s.chars().all(|c| c == '*')) {
                    redactor.register_value(v);
                }
            } else if v.is_object() {
                walk(prop, v, redactor);
            }
        }
    }
    let doc = Value::Object(params.clone());
    for page in &template.pages {
        walk(page, &doc, redactor);
        for branch in ["allOf", "anyOf", "oneOf"] {
            for sub in page
                .get(branch)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                walk(sub, &doc, redactor);
            }
        }
        if let Some(deps) = page.get("dependencies").and_then(Value::as_object) {
            for d in deps.values() {
                walk(d, &doc, redactor);
                for sub in d
                    .get("oneOf")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    walk(sub, &doc, redactor);
                }
            }
        }
    }
}

fn interrupted() -> Error {
    Error::new(Kind::Interrupted, "interrupted; nothing was run")
}

#[cfg(test)]
mod tests;
