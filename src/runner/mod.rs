//! The step runner: runs a template's steps in order the way Backstage 4's
//! `NunjucksWorkflowRunner` does (SPEC §3.2): `if:` truthiness, `each:` iterations, input rendering
//! with JSON types kept, input checked against the action's schema, `steps.<id>.output.*` for later
//! steps, v4's skip-after-failure with `always()`/`failure()`, and `spec.output` at the end.
//! Progress goes to a [`Reporter`]; the runner itself prints nothing.

pub mod action;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::render::{self, Engine};
use crate::services::Services;
use crate::template::{Step, Template};
use crate::values::Values;
pub use action::{Action, ActionContext, ActionError, Outputs, Published, Registry, RunRecord};

/// What happened to a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Executed,
    /// Dry run only: the action was not run; its outputs were predicted from its input.
    Predicted,
    Skipped,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Executed => "executed",
            Status::Predicted => "predicted",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
        }
    }
}

/// The record of one step, as shown in the plan and `--json`.
#[derive(Debug, Clone)]
pub struct StepRecord {
    pub id: String,
    pub name: String,
    pub action: String,
    pub status: Status,
    /// Why it was skipped, or the error's message when it failed.
    pub reason: Option<String>,
    /// The typed failure of a failed step.
    pub failure: Option<StepFailure>,
    /// The rendered input (secrets masked); for `each` steps, one input per iteration.
    pub input: Value,
    pub output: Map<String, Value>,
    pub log: Vec<String>,
    pub duration: Duration,
    /// Outputs of a predicted step that stand for nothing real (a commit hash, a pull request
    /// number): later steps see them, `--json` names them.
    pub invented: Vec<&'static str>,
}

impl StepRecord {
    /// A step that has not run yet (skipped until it does).
    fn new(step: &Step) -> StepRecord {
        StepRecord {
            id: step.id.clone(),
            name: step.name.clone(),
            action: step.action.clone(),
            status: Status::Skipped,
            reason: None,
            failure: None,
            input: Value::Object(Map::new()),
            output: Map::new(),
            log: Vec::new(),
            duration: Duration::ZERO,
            invented: Vec::new(),
        }
    }

    /// Marks the step failed with `error`, the step written at `location` in template.yaml.
    fn fail(&mut self, error: ActionError, location: crate::error::Location) {
        self.status = Status::Failed;
        self.reason = Some(error.message.clone());
        self.failure = Some(StepFailure { error, location });
    }
}

/// Why a step failed, kept typed: the action's error (message, hints, source, and the place in a
/// file it is about) and where the failure is shown: that place (a skeleton file's line and
/// column, named the way the template was named) or else the step in template.yaml.
#[derive(Debug, Clone)]
pub struct StepFailure {
    pub error: ActionError,
    pub location: crate::error::Location,
}

impl StepFailure {
    /// The error a command reports: `message` at the step, with the action's hints, caused by the
    /// action's error.
    pub fn to_error(&self, message: String) -> crate::error::Error {
        let mut e = crate::error::Error::step(message).at(self.location.clone());
        for h in &self.error.hints {
            e = e.hint(h.clone());
        }
        e.caused_by(self.error.clone())
    }
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct Report {
    pub steps: Vec<StepRecord>,
    /// `spec.output`, rendered and filtered.
    pub output: Value,
    /// The first failed step, if any.
    pub failed: Option<usize>,
    /// What the steps created and published.
    pub record: RunRecord,
}

/// Progress events (implemented by `output::progress`).
pub trait Reporter {
    fn step_started(&mut self, _index: usize, _step: &Step) {}
    fn step_finished(&mut self, _index: usize, _record: &StepRecord) {}
}

/// A reporter that reports nothing.
pub struct Silent;
impl Reporter for Silent {}

/// Everything a run needs besides the template and values.
pub struct Runner<'a> {
    pub registry: &'a Registry,
    pub services: &'a Services,
    pub workspace: &'a Path,
    pub dry_run: bool,
    /// Keep every log line of every step (`--verbose` shows them); else only warnings.
    pub keep_log: bool,
}

/// What an earlier run of the same template did, for `--resume`: the steps before `start` are not
/// run again, and those in `outputs` (by id) count as executed with these outputs.
#[derive(Debug, Clone, Default)]
pub struct Resumed {
    pub start: usize,
    pub outputs: Map<String, Value>,
    /// What the earlier run created and published.
    pub record: RunRecord,
}

/// What a run accumulates from step to step.
struct RunState {
    /// What the steps created and published.
    record: RunRecord,
    validators: Validators,
    /// `steps.<id>.output` for the steps that ran.
    steps_ctx: Map<String, Value>,
    records: Vec<StepRecord>,
    /// The first failed step.
    failed: Option<usize>,
    template_ref: String,
}

/// The record of a step the resumed run had done (its outputs join `steps_ctx`).
fn resumed_record(
    step: &Step,
    resumed: &Resumed,
    steps_ctx: &mut Map<String, Value>,
) -> StepRecord {
    let output = resumed.outputs.get(&step.id).and_then(Value::as_object);
    if let Some(o) = output {
        steps_ctx.insert(step.id.clone(), json!({ "output": o }));
    }
    let mut record = StepRecord::new(step);
    if output.is_some() {
        record.status = Status::Executed;
    }
    record.reason = Some("done by the run this one resumes".into());
    record.output = output.cloned().unwrap_or_default();
    record
}

impl Runner<'_> {
    /// Runs every step of `template` with `values`, reporting progress to `reporter`.
    pub fn run(&self, template: &Template, values: &Values, reporter: &mut dyn Reporter) -> Report {
        self.run_resumed(template, values, reporter, &Resumed::default())
    }

    /// [`Runner::run`] continuing an earlier run from `resumed.start`.
    pub fn run_resumed(
        &self,
        template: &Template,
        values: &Values,
        reporter: &mut dyn Reporter,
        resumed: &Resumed,
    ) -> Report {
        let engine =
            Engine::workflow().with_integration_hosts(self.services.config.integration_hosts());
        let mut run = RunState {
            record: resumed.record.clone(),
            validators: Validators::new(),
            steps_ctx: Map::new(),
            records: Vec::new(),
            failed: None,
            template_ref: template.entity_ref(),
        };
        for (index, step) in template.steps.iter().enumerate() {
            if index < resumed.start {
                let record = resumed_record(step, resumed, &mut run.steps_ctx);
                run.records.push(record);
                continue;
            }
            reporter.step_started(index, step);
            let started = Instant::now();
            let mut record = StepRecord::new(step);
            self.one_step(&engine, template, values, index, &mut run, &mut record);
            if record.status == Status::Failed {
                run.failed.get_or_insert(index);
            }
            record.duration = started.elapsed();
            reporter.step_finished(index, &record);
            run.records.push(record);
        }
        let final_ctx = self.context(values, &run.steps_ctx, run.failed.is_some(), false);
        let output = render_output(&engine, &template.output, &final_ctx);
        Report {
            steps: run.records,
            output,
            failed: run.failed,
            record: run.record,
        }
    }

    /// Runs, predicts, skips or fails step `index`, filling its `record`.
    fn one_step(
        &self,
        engine: &Engine,
        template: &Template,
        values: &Values,
        index: usize,
        run: &mut RunState,
        record: &mut StepRecord,
    ) {
        let location = |e: &ActionError| match &e.location {
            Some(at) => template.shown_location(at),
            None => template.location(&format!("/spec/steps/{index}")),
        };
        let step = &template.steps[index];
        match self.why_not_run(engine, step, values, run) {
            Err(e) => {
                let at = location(&e);
                return record.fail(e, at);
            }
            Ok(Some(reason)) => {
                record.reason = Some(reason);
                return;
            }
            Ok(None) => {}
        }
        let done = self.run_step(engine, template, step, values, run, record);
        match done {
            Ok(output) => {
                self.succeeded(step, &output, record);
                run.steps_ctx
                    .insert(step.id.clone(), json!({ "output": output }));
            }
            Err(e) => {
                let at = location(&e);
                record.fail(e, at);
            }
        }
    }

    /// Why a step is not run (its `if`, an earlier failure, an action golden lacks in a dry run,
    /// an action that does not run in dry runs), or the error of resolving the `each` of an
    /// unknown action's step in a dry run.
    fn why_not_run(
        &self,
        engine: &Engine,
        step: &Step,
        values: &Values,
        run: &RunState,
    ) -> Result<Option<String>, ActionError> {
        let failed = run.failed.is_some();
        let base = self.context(values, &run.steps_ctx, failed, false);
        let mut skip = self.skip_reason(engine, step, &base, failed);
        let unknown = self.registry.get(&step.action).is_none() && self.dry_run;
        if unknown && skip.is_none() {
            // Its `if:` and `each:` are still resolved, as Backstage would before running it.
            let ctx = self.context(values, &run.steps_ctx, failed, true);
            if let Some(each) = &step.each {
                each_items(engine, each, &ctx)?;
            }
            skip = Some(format!(
                "golden does not implement `{}`; skipped in dry-run",
                step.action
            ));
        }
        if skip.is_none() && self.dry_run {
            skip = self
                .registry
                .get(&step.action)
                .and_then(|a| a.skipped_in_dry_run());
        }
        Ok(skip)
    }

    /// Records a step that ran (or, in a dry run, was predicted) with `output`.
    fn succeeded(&self, step: &Step, output: &Outputs, record: &mut StepRecord) {
        let predictor = self
            .registry
            .get(&step.action)
            .filter(|a| self.dry_run && !a.runs_in_dry_run());
        if let Some(action) = predictor {
            record.status = Status::Predicted;
            record.invented = action
                .invented_outputs()
                .iter()
                .copied()
                .filter(|k| output.contains_key(*k))
                .collect();
        } else {
            record.status = Status::Executed;
        }
        record.output = output.clone();
    }

    /// The workflow context: parameters, steps, user, context; secrets only where Backstage
    /// exposes them (step input and `each`).
    fn context(
        &self,
        values: &Values,
        steps: &Map<String, Value>,
        failed: bool,
        with_secrets: bool,
    ) -> Map<String, Value> {
        let mut ctx = Map::new();
        ctx.insert(
            "parameters".into(),
            Value::Object(values.parameters.clone()),
        );
        ctx.insert("steps".into(), Value::Object(steps.clone()));
        ctx.insert("user".into(), values.user.clone());
        ctx.insert("context".into(), json!({"task": {"id": "golden"}}));
        let secrets = if with_secrets {
            Value::Object(values.secrets.clone())
        } else {
            json!({})
        };
        ctx.insert(
            "environment".into(),
            json!({"parameters": {}, "secrets": secrets.clone()}),
        );
        if with_secrets {
            ctx.insert("secrets".into(), secrets);
        }
        ctx.insert(render::FAILED_FLAG.into(), Value::Bool(failed));
        ctx
    }

    /// Why a step does not run at all, if it does not (before `each`).
    fn skip_reason(
        &self,
        engine: &Engine,
        step: &Step,
        ctx: &Map<String, Value>,
        failed: bool,
    ) -> Option<String> {
        if failed {
            let status_aware = matches!(&step.condition, Some(Value::String(s)) if s.contains("always()") || s.contains("failure()"));
            if !status_aware {
                return Some("a previous step failed".into());
            }
        }
        if step.each.is_some() {
            return None;
        }
        match &step.condition {
            None => None,
            Some(cond) if render::condition_holds(engine, cond, ctx) => None,
            Some(_) => Some("its if condition was false".into()),
        }
    }

    /// Runs `step`'s action once, or once per `each` item (outputs collected into arrays).
    fn run_step(
        &self,
        engine: &Engine,
        template: &Template,
        step: &Step,
        values: &Values,
        run: &mut RunState,
        record: &mut StepRecord,
    ) -> Result<Outputs, ActionError> {
        let action = self.registry.get(&step.action).ok_or_else(|| {
            ActionError::new(format!(
                "action `{}` is not implemented by golden",
                step.action
            ))
        })?;
        let ctx = self.context(values, &run.steps_ctx, run.failed.is_some(), true);
        let iterations = iterations(engine, step, &ctx)?;
        record.input = if step.each.is_some() {
            Value::Array(
                iterations
                    .iter()
                    .map(|(_, i)| mask(&Value::Object(i.clone()), &values.secrets))
                    .collect(),
            )
        } else {
            mask(&Value::Object(iterations[0].1.clone()), &values.secrets)
        };
        for (item, input) in &iterations {
            check_input(&mut run.validators, action, input).map_err(|e| {
                let which = match item {
                    Some(i) => {
                        format!("{}[{}]", step.action, i["key"].as_str().unwrap_or_default())
                    }
                    None => step.action.clone(),
                };
                ActionError::new(format!("invalid input passed to action {which}: {e}"))
            })?;
        }
        let mut collected: Map<String, Value> = Map::new();
        for (item, input) in &iterations {
            let mut log = Vec::new();
            let mut actx = ActionContext {
                workspace: self.workspace,
                template_dir: &template.dir,
                source_root: &template.root,
                template_ref: &run.template_ref,
                step_id: &step.id,
                dry_run: self.dry_run,
                secrets: &values.secrets,
                user: &values.user,
                services: self.services,
                log: &mut log,
                keep_log: self.keep_log,
                record: &mut run.record,
            };
            let result = action::perform(action, &mut actx, input);
            record.log.extend(log);
            let out = result?;
            if item.is_none() {
                collected = out;
                continue;
            }
            for (k, v) in out {
                match collected
                    .entry(k)
                    .or_insert_with(|| Value::Array(Vec::new()))
                {
                    Value::Array(a) => a.push(v),
                    _ => unreachable!("each outputs are arrays"),
                }
            }
        }
        Ok(collected)
    }
}

/// One run of a step's action: the `each` item (none without `each`) and the rendered input.
type Iteration = (Option<Value>, Map<String, Value>);

/// A step's iterations; without `each`, one iteration without an item. Items whose `if` is false
/// are left out.
fn iterations(
    engine: &Engine,
    step: &Step,
    ctx: &Map<String, Value>,
) -> Result<Vec<Iteration>, ActionError> {
    let input_tree = Value::Object(step.input.clone());
    let Some(each) = &step.each else {
        return Ok(vec![(None, render_input(engine, &input_tree, ctx))]);
    };
    // The context is converted once; each iteration layers `each` over it, so a step runs in
    // time linear in the number of items.
    let base = render::to_value(&Value::Object(ctx.clone()));
    let mut out = Vec::new();
    for item in each_items(engine, each, ctx)? {
        let it_ctx = minijinja::value::merge_maps([
            minijinja::context! { each => render::to_value(&item) },
            base.clone(),
        ]);
        if let Some(cond) = &step.condition {
            if !render::condition_holds_in(engine, cond, &it_ctx) {
                continue;
            }
        }
        let input = match engine.render_tree(&input_tree, &it_ctx) {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        out.push((Some(item), input));
    }
    Ok(out)
}

fn render_input(engine: &Engine, input: &Value, ctx: &Map<String, Value>) -> Map<String, Value> {
    let c = render::to_value(&Value::Object(ctx.clone()));
    match engine.render_tree(input, &c) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// `each:` → `[{key, value}]` (keys of lists are strings, as `Object.entries` gives them).
fn each_items(
    engine: &Engine,
    each: &Value,
    ctx: &Map<String, Value>,
) -> Result<Vec<Value>, ActionError> {
    let resolved = match each {
        Value::String(s) => {
            let c = render::to_value(&Value::Object(ctx.clone()));
            match engine.render_value(s, &c) {
                Ok(v) => v,
                Err(_) => Some(Value::String(s.clone())),
            }
        }
        other => Some(other.clone()),
    };
    let raw = || {
        each.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| each.to_string())
    };
    match resolved {
        None => Err(ActionError::new(format!(
            "invalid value on the `each` parameter: \"{}\" cannot be resolved to a value",
            raw()
        ))),
        Some(Value::Array(items)) => Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, v)| json!({"key": i.to_string(), "value": v}))
            .collect()),
        Some(Value::Object(map)) => Ok(map
            .into_iter()
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect()),
        Some(_) => Err(ActionError::new(format!(
            "invalid value on the `each` parameter: \"{}\" must resolve to an array or object",
            raw()
        ))),
    }
}

/// Compiled input schemas of the actions a run used, by action id.
type Validators = HashMap<&'static str, jsonschema::Validator>;

/// Validates a rendered input against the action's JSON Schema.
fn check_input(
    cache: &mut Validators,
    action: &dyn Action,
    input: &Map<String, Value>,
) -> Result<(), String> {
    {
        if !cache.contains_key(action.id()) {
            let v =
                crate::backstage::json_schema::compile(&action.input_schema()).map_err(|e| {
                    format!("golden's schema for {} does not compile: {e}", action.id())
                })?;
            cache.insert(action.id(), v);
        }
        let v = &cache[action.id()];
        let doc = Value::Object(input.clone());
        let errors: Vec<String> = v
            .iter_errors(&doc)
            .map(|e| {
                let p = e.instance_path().to_string();
                if p.is_empty() {
                    e.to_string()
                } else {
                    format!("{p}: {e}")
                }
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}

/// Replaces every secret value that appears in a rendered input by `***`.
pub fn mask(value: &Value, secrets: &Map<String, Value>) -> Value {
    let needles: Vec<&str> = secrets
        .values()
        .filter_map(Value::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    if needles.is_empty() {
        return value.clone();
    }
    fn walk(v: &Value, needles: &[&str]) -> Value {
        match v {
            Value::String(s) => {
                let mut out = s.clone();
                for n in needles {
                    out = out.replace(n, "***");
                }
                Value::String(out)
            }
            Value::Array(a) => Value::Array(a.iter().map(|i| walk(i, needles)).collect()),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), walk(v, needles)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    walk(value, &needles)
}

/// Renders `spec.output` and drops `links`/`text` items whose `if` is falsy.
fn render_output(engine: &Engine, output: &Value, ctx: &Map<String, Value>) -> Value {
    if output.is_null() {
        return Value::Object(Map::new());
    }
    let c = render::to_value(&Value::Object(ctx.clone()));
    let mut rendered = engine
        .render_tree(output, &c)
        .unwrap_or(Value::Object(Map::new()));
    for key in ["links", "text"] {
        let (Some(Value::Array(raw)), Some(Value::Array(items))) =
            (output.get(key), rendered.get_mut(key))
        else {
            continue;
        };
        let keep: Vec<bool> = raw
            .iter()
            .map(|item| match item.get("if") {
                None => true,
                Some(cond) => render::condition_holds(engine, cond, ctx),
            })
            .collect();
        let mut i = 0;
        items.retain(|_| {
            let k = keep.get(i).copied().unwrap_or(true);
            i += 1;
            k
        });
        for item in items.iter_mut() {
            if let Some(m) = item.as_object_mut() {
                m.remove("if");
            }
        }
    }
    rendered
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails with two hints and an I/O error as its source.
    struct Fails;
    impl Action for Fails {
        fn id(&self) -> &'static str {
            "test:fail"
        }
        fn description(&self) -> &'static str {
            "fails"
        }
        fn input_schema(&self) -> Value {
            json!({"type": "object"})
        }
        fn run(
            &self,
            _ctx: &mut ActionContext<'_>,
            _input: &Map<String, Value>,
        ) -> Result<Outputs, ActionError> {
            let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
            let mut e =
                ActionError::from(crate::error::Error::internal("cannot write `x`").caused_by(io));
            e = e.with_hint("first hint").with_hint("second hint");
            Err(e)
        }
    }

    #[test]
    fn a_failed_step_keeps_its_typed_error_hints_source_and_location() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("template.yaml");
        std::fs::write(
            &path,
            "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: t\nspec:\n  type: service\n  steps:\n    - id: ok\n      action: debug:log\n      input: {message: hi}\n    - id: bad\n      action: test:fail\n",
        )
        .unwrap();
        let template = Template::load(&path).unwrap();
        let mut actions = crate::actions::all();
        actions.push(Box::new(Fails));
        let registry = Registry::new(actions);
        let services = Services::default();
        let runner = Runner {
            registry: &registry,
            services: &services,
            workspace: dir.path(),
            dry_run: false,
            keep_log: true,
        };
        let report = runner.run(&template, &Values::default(), &mut Silent);
        assert_eq!(report.failed, Some(1));
        let f = report.steps[1].failure.as_ref().expect("a typed failure");
        assert_eq!(f.error.hints, ["first hint", "second hint"]);
        assert_eq!(
            f.location,
            crate::error::Location::file(&path, 11, 7),
            "the step's place in template.yaml"
        );
        let e = f.to_error("step `bad` failed".into());
        assert_eq!(e.hints, ["first hint", "second hint"]);
        let action = std::error::Error::source(&e).expect("caused by the action's error");
        let io = action.source().expect("which keeps its own source");
        assert_eq!(
            io.downcast_ref::<std::io::Error>().unwrap().kind(),
            std::io::ErrorKind::PermissionDenied
        );
        assert!(report.steps[0].failure.is_none());
    }
}
