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
    /// Why it was skipped, or the error when it failed.
    pub reason: Option<String>,
    pub hint: Option<String>,
    /// The rendered input (secrets masked); for `each` steps, one input per iteration.
    pub input: Value,
    pub output: Map<String, Value>,
    pub log: Vec<String>,
    pub duration: Duration,
    /// Outputs of a predicted step that stand for nothing real (a commit hash, a pull request
    /// number): later steps see them, `--json` names them.
    pub invented: Vec<&'static str>,
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
        let mut run_record = resumed.record.clone();
        let mut validators = Validators::new();
        let mut steps_ctx = Map::new();
        let mut records = Vec::new();
        let mut failed: Option<usize> = None;
        let template_ref = template.entity_ref();
        for (index, step) in template.steps.iter().enumerate() {
            if index < resumed.start {
                let output = resumed.outputs.get(&step.id).and_then(Value::as_object);
                if let Some(o) = output {
                    steps_ctx.insert(step.id.clone(), json!({ "output": o }));
                }
                records.push(StepRecord {
                    id: step.id.clone(),
                    name: step.name.clone(),
                    action: step.action.clone(),
                    status: if output.is_some() {
                        Status::Executed
                    } else {
                        Status::Skipped
                    },
                    reason: Some("done by the run this one resumes".into()),
                    hint: None,
                    input: Value::Object(Map::new()),
                    output: output.cloned().unwrap_or_default(),
                    log: Vec::new(),
                    duration: Duration::ZERO,
                    invented: Vec::new(),
                });
                continue;
            }
            reporter.step_started(index, step);
            let started = Instant::now();
            let base = self.context(values, &steps_ctx, failed.is_some(), false);
            let mut record = StepRecord {
                id: step.id.clone(),
                name: step.name.clone(),
                action: step.action.clone(),
                status: Status::Skipped,
                reason: None,
                hint: None,
                input: Value::Object(Map::new()),
                output: Map::new(),
                log: Vec::new(),
                duration: Duration::ZERO,
                invented: Vec::new(),
            };
            let unknown = self.registry.get(&step.action).is_none() && self.dry_run;
            let mut skip = self.skip_reason(&engine, step, &base, failed.is_some());
            if unknown && skip.is_none() {
                // Its `if:` and `each:` are still resolved, as Backstage would before running it.
                let ctx = self.context(values, &steps_ctx, failed.is_some(), true);
                if let Some(each) = &step.each {
                    if let Err(e) = each_items(&engine, each, &ctx) {
                        record.status = Status::Failed;
                        record.reason = Some(e.message);
                        failed.get_or_insert(index);
                        record.duration = started.elapsed();
                        reporter.step_finished(index, &record);
                        records.push(record);
                        continue;
                    }
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
            if let Some(reason) = skip {
                record.reason = Some(reason);
                record.duration = started.elapsed();
                reporter.step_finished(index, &record);
                records.push(record);
                continue;
            }
            match self.run_step(
                &engine,
                template,
                &template_ref,
                step,
                values,
                &steps_ctx,
                failed.is_some(),
                &mut record,
                &mut run_record,
                &mut validators,
            ) {
                Ok(output) => {
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
                    steps_ctx.insert(step.id.clone(), json!({ "output": output }));
                }
                Err(e) => {
                    record.status = Status::Failed;
                    record.reason = Some(e.message);
                    record.hint = e.hint;
                    failed.get_or_insert(index);
                }
            }
            record.duration = started.elapsed();
            reporter.step_finished(index, &record);
            records.push(record);
        }
        let final_ctx = self.context(values, &steps_ctx, failed.is_some(), false);
        let output = render_output(&engine, &template.output, &final_ctx);
        Report {
            steps: records,
            output,
            failed,
            record: run_record,
        }
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

    #[allow(clippy::too_many_arguments)]
    fn run_step(
        &self,
        engine: &Engine,
        template: &Template,
        template_ref: &str,
        step: &Step,
        values: &Values,
        steps_ctx: &Map<String, Value>,
        failed: bool,
        record: &mut StepRecord,
        run_record: &mut RunRecord,
        validators: &mut Validators,
    ) -> Result<Outputs, ActionError> {
        let action = self.registry.get(&step.action).ok_or_else(|| {
            ActionError::new(format!(
                "action `{}` is not implemented by golden",
                step.action
            ))
        })?;
        let ctx = self.context(values, steps_ctx, failed, true);
        let input_tree = Value::Object(step.input.clone());
        // Iterations: (each item, rendered input); no `each` means one iteration without it.
        let mut iterations: Vec<(Option<Value>, Map<String, Value>)> = Vec::new();
        match &step.each {
            None => iterations.push((None, render_input(engine, &input_tree, &ctx))),
            Some(each) => {
                // The context is converted once; each iteration layers `each` over it, so a
                // step runs in time linear in the number of items.
                let base = render::to_value(&Value::Object(ctx.clone()));
                for item in each_items(engine, each, &ctx)? {
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
                    iterations.push((Some(item), input));
                }
            }
        }
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
            check_input(validators, action, input).map_err(|e| {
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
                template_ref,
                step_id: &step.id,
                dry_run: self.dry_run,
                secrets: &values.secrets,
                user: &values.user,
                services: self.services,
                log: &mut log,
                keep_log: self.keep_log,
                record: run_record,
            };
            let result = action.run(&mut actx, input);
            record.log.extend(log);
            let out = result?;
            if item.is_some() {
                for (k, v) in out {
                    match collected
                        .entry(k)
                        .or_insert_with(|| Value::Array(Vec::new()))
                    {
                        Value::Array(a) => a.push(v),
                        _ => unreachable!("each outputs are arrays"),
                    }
                }
            } else {
                collected = out;
            }
        }
        Ok(collected)
    }
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
