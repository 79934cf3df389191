//! The Action trait, the registry the command fills with actions (shared by the runner and
//! `validate`), and the run record: what steps created and published, handed from step to step
//! and to the command through the report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
    /// The user context (`{ref, entity}`), as `${{ user }}` sees it.
    pub user: &'a Value,
    /// The outside world: forge, GitHub, catalog.
    pub services: &'a Services,
    /// Log lines for the step (shown with `--verbose`; `warning: ` lines are always shown).
    pub log: &'a mut Vec<String>,
    /// Whether [`ActionContext::info`] keeps every line (`--verbose` shows them) or only the
    /// `warning: ` ones (all a run without `--verbose` shows): a 100,000-file `fetch:template`
    /// logs a line per file, which nothing else would read.
    pub keep_log: bool,
    /// What earlier steps created and published; this step adds to it.
    pub record: &'a mut RunRecord,
}

impl ActionContext<'_> {
    pub fn info(&mut self, line: impl Into<String>) {
        let line = line.into();
        if self.keep_log || line.starts_with("warning: ") {
            self.log.push(line);
        }
    }

    /// Remembers something this step created (a repository, a branch) for failure reports.
    pub fn note_created(&mut self, what: impl Into<String>) {
        self.record.created.push(what.into());
    }

    /// Remembers a repository this step pushed to (or would push to, in a dry run).
    pub fn note_published(&mut self, p: Published) {
        self.record.published.push(p);
    }
}

/// What the steps of a run produced besides their outputs: kept by the runner, lent to each
/// step, returned in the [`super::Report`].
#[derive(Debug, Clone, Default)]
pub struct RunRecord {
    /// What publish actions created, one line each (named in failure reports).
    pub created: Vec<String>,
    /// Repositories publish actions pushed a default branch to, in order (`golden new` clones
    /// the first; a dry-run `catalog:register` reads the catalog file from them).
    pub published: Vec<Published>,
}

/// A repository a publish step pushed to (real run) or would push to (dry run).
#[derive(Debug, Clone, Default)]
pub struct Published {
    /// `owner/repo`.
    pub name: String,
    /// The git URL (`https://…` or `file://…`).
    pub remote_url: String,
    /// `https://HOST/OWNER/REPO/blob/BRANCH` (or the forge's `file://…/REPO.git/blob/BRANCH`).
    pub repo_contents_url: String,
    /// The branch pushed.
    pub branch: String,
    /// The workspace folder whose files became the repository (`sourcePath` applied).
    pub source_dir: PathBuf,
    /// The token that pushed, if any (to clone with; `Debug` shows it as `***`).
    pub token: Option<crate::config::Secret>,
    /// The git user name the token goes with (`None`: GitHub's `x-access-token`).
    pub git_user: Option<String>,
    /// The integration that pushed: kind (`github`, `gitlab`, `gitea`) and host (`None` for the
    /// local forge). `--resume` checks the repository and gets the token again through it.
    pub integration: Option<(&'static str, String)>,
}

/// An action failure: the message, what to do about it (any number of hints), the place in a
/// file it is about (a skeleton file's line and column) and the error it came from.
#[derive(Debug, Clone)]
pub struct ActionError {
    pub message: String,
    pub hints: Vec<String>,
    pub location: Option<crate::error::Location>,
    /// The underlying error (a git, HTTP or I/O error), kept for `source()`.
    pub source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
}

impl ActionError {
    pub fn new(message: impl Into<String>) -> Self {
        ActionError {
            message: message.into(),
            hints: Vec::new(),
            location: None,
            source: None,
        }
    }
    pub fn at(mut self, location: crate::error::Location) -> Self {
        self.location = Some(location);
        self
    }
    /// Adds a hint (after those already given).
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }
    /// Adds hints (after those already given).
    pub fn with_hints(mut self, hints: impl IntoIterator<Item = String>) -> Self {
        self.hints.extend(hints);
        self
    }
}

impl std::fmt::Display for ActionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ActionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<crate::scm::ScmError> for ActionError {
    fn from(e: crate::scm::ScmError) -> Self {
        ActionError::new(e.message).with_hints(e.hint)
    }
}

impl From<crate::forge::ForgeError> for ActionError {
    fn from(e: crate::forge::ForgeError) -> Self {
        ActionError::new(e.message).with_hints(e.hint)
    }
}

impl From<crate::github::GithubError> for ActionError {
    fn from(e: crate::github::GithubError) -> Self {
        ActionError::new(e.message).with_hints(e.hint)
    }
}

impl From<crate::error::Error> for ActionError {
    fn from(e: crate::error::Error) -> Self {
        ActionError {
            message: e.message,
            hints: e.hints,
            location: e.location.map(|l| *l),
            source: e.source.map(std::sync::Arc::from),
        }
    }
}

/// Calls `action` as a step does: in a dry run its prediction when it does not run in one,
/// else its `run`.
pub fn perform(
    action: &dyn Action,
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    if ctx.dry_run && !action.runs_in_dry_run() {
        action.predict(ctx, input)
    } else {
        action.run(ctx, input)
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
    /// Whether the action runs for real in `--dry-run` (local actions do); when it does not, it
    /// only predicts its outputs and the step is reported as predicted.
    fn runs_in_dry_run(&self) -> bool {
        true
    }
    /// Where the action comes from, for `golden actions` (`built-in`, the config file, PATH).
    fn origin(&self) -> String {
        "built-in".to_string()
    }
    /// Why the action does not run at all in `--dry-run`, if it does not (the step is skipped
    /// with this notice).
    fn skipped_in_dry_run(&self) -> Option<String> {
        None
    }
    /// The outputs a dry-run prediction invents (no real value exists without running), so the
    /// report can mark them as invented.
    fn invented_outputs(&self) -> &'static [&'static str] {
        &[]
    }
    /// Runs the action with its rendered input.
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError>;
    /// In a dry run, when the action does not run in one ([`Action::runs_in_dry_run`] is
    /// false): its outputs predicted from its input. By default `run`, which sees `ctx.dry_run`.
    fn predict(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        self.run(ctx, input)
    }
}

/// The actions a run may use, by id (filled by the command: `crate::actions::registry()`).
#[derive(Default)]
pub struct Registry {
    actions: BTreeMap<&'static str, Box<dyn Action>>,
}

impl Registry {
    /// A registry of `actions` (a later action with the same id replaces an earlier one).
    pub fn new(actions: impl IntoIterator<Item = Box<dyn Action>>) -> Registry {
        Registry {
            actions: actions.into_iter().map(|a| (a.id(), a)).collect(),
        }
    }
    /// Adds (or replaces) an action.
    pub fn add(&mut self, action: Box<dyn Action>) {
        self.actions.insert(action.id(), action);
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
        crate::backstage::suggest::closest(id, self.ids())
    }
}

/// The candidate closest to `word` (Jaro-Winkler above 0.8), for "did you mean".
pub fn closest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    crate::backstage::suggest::closest(word, candidates)
}
