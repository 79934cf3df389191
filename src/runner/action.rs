//! The Action trait and the registry of built-in actions, shared by the runner and `validate`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use crate::services::Services;

/// What an action returns: its named outputs.
pub type Outputs = Map<String, Value>;

/// Everything an action may use while it runs.
pub struct ActionContext<'a> {
    /// The task workspace (the generated project).
    pub workspace: &'a Path,
    /// The template file's real directory; relative fetch `url`s resolve from it.
    pub template_dir: &'a Path,
    /// The template's source root (a real path): fetches never read outside it.
    pub source_root: &'a Path,
    /// `template:<namespace>/<name>`.
    pub template_ref: &'a str,
    pub step_id: &'a str,
    /// Dry-run: no network, predicted outputs.
    pub dry_run: bool,
    /// Task secrets (never printed).
    pub secrets: &'a Map<String, Value>,
    /// The outside world: forge, GitHub, catalog.
    pub services: &'a Services,
    /// Log lines for the step (shown with `--verbose`, kept in the JSON plan).
    pub log: &'a mut Vec<String>,
}

impl ActionContext<'_> {
    pub fn info(&mut self, line: impl Into<String>) {
        self.log.push(line.into());
    }
}

/// An action failure: the message and, where useful, a hint.
#[derive(Debug, Clone)]
pub struct ActionError {
    pub message: String,
    pub hint: Option<String>,
}

impl ActionError {
    pub fn new(message: impl Into<String>) -> Self {
        ActionError {
            message: message.into(),
            hint: None,
        }
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl std::fmt::Display for ActionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<crate::error::Error> for ActionError {
    fn from(e: crate::error::Error) -> Self {
        ActionError {
            message: e.message,
            hint: e.hints.into_iter().next(),
        }
    }
}

/// A scaffolder action (`fetch:template`, `publish:github`, ...).
pub trait Action: Send + Sync {
    /// The Backstage id.
    fn id(&self) -> &'static str;
    /// One line for `golden actions`.
    fn description(&self) -> &'static str;
    /// JSON Schema of the input, as Backstage publishes it (unknown keys rejected).
    fn input_schema(&self) -> Value;
    /// Names of the outputs (for `validate` and dry-run predictions).
    fn outputs(&self) -> &'static [&'static str] {
        &[]
    }
    /// Whether the action runs for real in `--dry-run` (local actions do; network ones predict).
    fn supports_dry_run(&self) -> bool {
        true
    }
    /// Runs the action with its rendered input.
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError>;
}

/// Every action golden knows, by id.
pub struct Registry {
    actions: BTreeMap<&'static str, Box<dyn Action>>,
}

impl Registry {
    /// The built-in actions.
    pub fn builtin() -> Registry {
        let mut r = Registry {
            actions: BTreeMap::new(),
        };
        for a in crate::actions::all() {
            r.actions.insert(a.id(), a);
        }
        r
    }
    pub fn get(&self, id: &str) -> Option<&dyn Action> {
        self.actions.get(id).map(|b| b.as_ref())
    }
    pub fn ids(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.actions.keys().copied()
    }
    pub fn iter(&self) -> impl Iterator<Item = &dyn Action> {
        self.actions.values().map(|b| b.as_ref())
    }
    /// The closest known id, for "did you mean".
    pub fn suggest(&self, id: &str) -> Option<&'static str> {
        self.ids()
            .map(|k| (strsim::jaro_winkler(k, id), k))
            .filter(|(s, _)| *s > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, k)| k)
    }
}
