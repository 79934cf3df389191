//! An action declared outside golden's code, an external program (`external.rs`) or an action of
//! an npm package (`npm.rs`): what it says about itself (id, description, schema, outputs, dry-run
//! support, time limit) is held and reported to the runner once, here; how it runs is the
//! [`Runs`] of its kind. Also the step context both kinds are sent ([`step_request`]).

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::runner::{Action, ActionContext, ActionError, Outputs};

/// An action declared outside golden, run through `how`.
pub struct Declared<P> {
    pub id: &'static str,
    pub description: &'static str,
    pub outputs: &'static [&'static str],
    /// Where it was declared, for `golden actions`.
    pub origin: String,
    pub schema: Option<Value>,
    /// Whether it runs in `--dry-run` (otherwise the step is skipped there).
    pub dry_run: bool,
    /// How long one step may run.
    pub timeout: Duration,
    pub how: P,
}

/// How one kind of declared action runs.
pub trait Runs: Send + Sync + Sized {
    /// Why a step of `action` is skipped in `--dry-run` (it does not declare dry-run support).
    fn dry_run_notice(action: &Declared<Self>) -> String;
    /// Runs `action` with its rendered input.
    fn run(
        action: &Declared<Self>,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError>;
}

/// Leaks a string for the `'static` ids the registry keys on (a handful per process).
pub fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

impl<P: Runs> Action for Declared<P> {
    fn id(&self) -> &'static str {
        self.id
    }
    fn description(&self) -> &'static str {
        self.description
    }
    fn input_schema(&self) -> Value {
        self.schema
            .clone()
            .unwrap_or_else(|| json!({"type": "object"}))
    }
    fn outputs(&self) -> &'static [&'static str] {
        self.outputs
    }
    fn origin(&self) -> String {
        self.origin.clone()
    }
    fn skipped_in_dry_run(&self) -> Option<String> {
        (!self.dry_run).then(|| P::dry_run_notice(self))
    }
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        P::run(self, ctx, input)
    }
}

/// The step as Backstage hands it to an action's handler: the action's id and rendered input,
/// the step id, the workspace, the template, the user and whether it is a dry run (secrets are
/// each kind's choice).
pub fn step_request(
    id: &str,
    ctx: &ActionContext<'_>,
    input: &Map<String, Value>,
) -> Map<String, Value> {
    let base_url = url::Url::from_directory_path(ctx.template_dir)
        .map(|u| u.to_string())
        .unwrap_or_default();
    let template = json!({ "entityRef": ctx.template_ref, "baseUrl": base_url });
    [
        ("action", json!(id)),
        ("stepId", json!(ctx.step_id)),
        ("input", Value::Object(input.clone())),
        ("workspacePath", json!(ctx.workspace.to_string_lossy())),
        ("templateInfo", template),
        ("user", ctx.user.clone()),
        ("isDryRun", json!(ctx.dry_run)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}
