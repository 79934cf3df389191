//! The state of one collection of values (the prompter, what was asked, the problems found,
//! the entity source) and the helpers every question uses: the prompt of a property, the page
//! heading shown before the first question, notices.

use serde_json::{Map, Value};

use super::entities::EntitySource;
use super::missing::Problem;
use super::schema::{self, Ui};
use super::{Prompt, Prompter};

/// The choice that leaves an optional question unset.
pub const NONE: &str = "(none)";

/// A property being asked: its key in the parent object, its schema and `ui:*` options
/// (`Ui::of(prop)`), whether it is required, and its dotted path from the parameters' root.
#[derive(Clone, Copy)]
pub struct Question<'q> {
    pub name: &'q str,
    pub prop: &'q Value,
    pub ui: &'q Ui,
    pub required: bool,
    pub path: &'q str,
}

/// State of one collection.
pub struct Walker<'a> {
    pub p: &'a mut dyn Prompter,
    /// Ask optional properties too (interactive, no values file).
    pub(super) ask_optional: bool,
    /// False when the prompter is [`super::NoInput`]: nothing is asked, nothing looked up.
    pub interactive: bool,
    pub(super) source_fn: &'a dyn Fn() -> Result<Box<dyn EntitySource>, String>,
    pub(super) source: Option<Result<Box<dyn EntitySource>, String>>,
    /// `user` (`{ref, entity}`) for MyGroupsPicker and OwnedEntityPicker.
    pub user: Value,
    /// `secrets.*`: given ones plus the Secret fields answered.
    pub secrets: Map<String, Value>,
    /// Everything missing or invalid that could not be asked.
    pub problems: Vec<Problem>,
    /// Dotted paths whose values are masked in the summary (Secret fields, password widgets).
    pub masked: Vec<String>,
    /// Names of Secret fields (their `parameters` value is asterisks; never saved).
    pub secret_fields: Vec<String>,
    /// How many questions were asked.
    pub asked: usize,
    /// The config's integration hosts (github, gitlab, gitea; the RepoUrlPicker offers them).
    pub integration_hosts: crate::backstage::repo_url::Hosts,
    /// Answers to ask again (a change from the review), by dotted path, each with its old value
    /// (`null`: none) as the default.
    pub redo: Map<String, Value>,
    /// The questions asked in this run, by dotted path with their labels, in the order first
    /// asked (the review offers the unset ones among the answers to change).
    pub asked_paths: Vec<(String, String)>,
    /// Dotted paths of the optional questions the user left without a value: a later walk (after
    /// a change from the review) does not ask them again unless they are the one changed.
    pub(super) left_unset: Vec<String>,
    pub(super) heading: Option<(String, Option<String>)>,
    pub(super) labels: Vec<String>,
    pub(super) notices: Vec<String>,
}

impl<'a> Walker<'a> {
    pub fn new(
        p: &'a mut dyn Prompter,
        ask_optional: bool,
        source_fn: &'a dyn Fn() -> Result<Box<dyn EntitySource>, String>,
        user: Value,
    ) -> Walker<'a> {
        Walker {
            p,
            ask_optional,
            interactive: true,
            source_fn,
            source: None,
            user,
            secrets: Map::new(),
            problems: Vec::new(),
            masked: Vec::new(),
            secret_fields: Vec::new(),
            asked: 0,
            integration_hosts: Default::default(),
            redo: Map::new(),
            asked_paths: Vec::new(),
            left_unset: Vec::new(),
            heading: None,
            labels: Vec::new(),
            notices: Vec::new(),
        }
    }
    /// The entity source, looked up once.
    pub fn source(&mut self) -> Result<&dyn EntitySource, String> {
        if self.source.is_none() {
            self.source = Some((self.source_fn)());
        }
        match self.source.as_ref().expect("just set") {
            Ok(s) => Ok(s.as_ref()),
            Err(e) => Err(e.clone()),
        }
    }
    /// A notice shown once per run.
    pub fn notice_once(&mut self, text: &str) {
        if !self.notices.iter().any(|n| n == text) {
            self.notices.push(text.to_string());
            self.p.notice(text);
        }
    }
    /// Shows the pending page heading and a notice about an invalid given value.
    pub fn before_question(&mut self, path: &str, error: Option<&str>) {
        if let Some((t, d)) = self.heading.take() {
            self.p.heading(&t, d.as_deref());
        }
        if let Some(msg) = error {
            self.p
                .notice(&format!("the value given for `{path}` is invalid: {msg}"));
        }
        self.asked += 1;
    }
    /// Records that the question of `path` was asked (once per path).
    pub fn record_asked(&mut self, path: &str, label: String) {
        if !self.asked_paths.iter().any(|(p, _)| p == path) {
            self.asked_paths.push((path.to_string(), label));
        }
    }
    /// Records whether the question of `path` was answered or left without a value.
    pub(super) fn record_unset(&mut self, path: &str, unset: bool) {
        self.left_unset.retain(|p| p != path);
        if unset {
            self.left_unset.push(path.to_string());
        }
    }
    /// Whether the user left the question of `path` without a value.
    pub(super) fn was_left_unset(&self, path: &str) -> bool {
        self.left_unset.iter().any(|p| p == path)
    }
    /// The prompt of a question: title (under its parents' titles), help, placeholder, default.
    pub fn prompt(&self, q: &Question<'_>, default: Option<String>) -> Prompt {
        let mut label = self.labels.clone();
        label.push(schema::title(q.name, q.prop));
        Prompt {
            label: label.join(" › "),
            help: schema::help(q.prop),
            placeholder: q.ui.placeholder.clone(),
            default,
            required: q.required,
        }
    }
}
