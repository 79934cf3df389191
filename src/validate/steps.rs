//! Steps: unique ids, actions known to the same registry the runner uses (or declared in the
//! config), with "did you mean", and inputs checked against each action's input schema: required
//! inputs present, no unknown inputs, literal values of the right type. Values holding `${{ }}`
//! are only known at run time and are not type-checked.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{Checker, Diagnostic, Doc, Sink};

/// One step as the other checks need it.
#[derive(Debug, Clone)]
pub struct PlanStep {
    pub index: usize,
    pub id: String,
    pub action: String,
    pub each: bool,
    /// The action's outputs; `None` when the action is unknown or declared only in the config.
    pub outputs: Option<&'static [&'static str]>,
    pub input: Map<String, Value>,
}

/// The steps in order.
pub type Plan = Vec<PlanStep>;

pub fn check(checker: &Checker, doc: &Doc, sink: &mut Sink) -> Plan {
    let steps = doc
        .entity
        .pointer("/spec/steps")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut plan = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, s) in steps.iter().enumerate() {
        let pointer = format!("/spec/steps/{i}");
        let id = crate::template::step_id(s, i);
        if let Some(first) = seen.get(&id) {
            let first_line = doc
                .value_span(&format!("/spec/steps/{first}/id"))
                .map(|s| s.line)
                .unwrap_or(0);
            // two conditional steps sharing an id is the usual "one of these runs" idiom
            let both_conditional = s.get("if").is_some() && steps[*first].get("if").is_some();
            let (code, hint) = if both_conditional {
                ("step-duplicate-id-conditional", "fine when the two `if:` conditions never hold together; otherwise the second step's outputs replace the first one's")
            } else {
                ("step-duplicate-id", "later steps read `steps.<id>.output`; a second step with the same id silently replaces the first one's outputs")
            };
            sink.push(
                Diagnostic::new(code, &doc.path, format!("step id `{id}` is used twice"))
                    .at(doc.value_span(&format!("{pointer}/id")))
                    .label(format!(
                        "first used by step {} (line {first_line})",
                        first + 1
                    ))
                    .hint(hint),
            );
        } else {
            seen.insert(id.clone(), i);
        }
        let action = s
            .get("action")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let input = s
            .get("input")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut outputs = None;
        let input_is_object = s.get("input").is_none_or(Value::is_object);
        if !action.is_empty() {
            if let Some(a) = checker.registry.get(&action) {
                outputs = Some(a.outputs());
                if input_is_object {
                    inputs(checker, doc, sink, &action, &pointer, &input);
                }
            } else if checker.extra_actions.iter().any(|x| x == &action)
                || crate::actions::external::External::from_path(&action, &checker.programs)
                    .is_some()
            {
            } else if super::ecosystem::package(&action).is_some() {
                if input_is_object {
                    inputs(checker, doc, sink, &action, &pointer, &input);
                }
            } else {
                unknown_action(checker, doc, sink, &action, &pointer);
            }
        }
        plan.push(PlanStep {
            index: i,
            id,
            action,
            each: s.get("each").is_some(),
            outputs,
            input,
        });
    }
    plan
}

/// An action found nowhere: a warning (an error with `actions.strict: true`), with "did you mean".
fn unknown_action(checker: &Checker, doc: &Doc, sink: &mut Sink, action: &str, pointer: &str) {
    let mut candidates: Vec<String> = checker.registry.ids().map(str::to_string).collect();
    candidates.extend(checker.extra_actions.iter().cloned());
    candidates.extend(super::ecosystem::ids().map(str::to_string));
    let hint = match crate::runner::action::closest(action, candidates.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{s}`? (`golden actions` lists the actions golden can run)"),
        None => "if your Backstage provides this action, declare it in golden's config file: an external action under `actions:` (`golden actions --protocol`), or its id under `actions.known`".to_string(),
    };
    sink.push(
        Diagnostic::new(
            "step-unknown-action",
            &doc.path,
            format!("unknown action `{action}`"),
        )
        .at(doc.value_span(&format!("{pointer}/action")))
        .label("not built in, not in a known Backstage module, not in the config")
        .hint(hint),
    );
}

/// Where to read the action's inputs.
fn inputs_hint(checker: &Checker, action: &str) -> String {
    match (
        checker.registry.get(action),
        super::ecosystem::package(action),
    ) {
        (None, Some(pkg)) => {
            format!("the inputs of `{action}` are defined by the npm package {pkg}")
        }
        _ => format!("`golden actions {action}` shows the action's inputs"),
    }
}

fn has_expression(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("${{") || s.contains("{%"),
        Value::Array(a) => a.iter().any(has_expression),
        Value::Object(o) => o.values().any(has_expression),
        _ => false,
    }
}

/// The input with every value that holds an expression removed (arrays holding one go whole).
fn literal_part(v: &Value) -> Option<Value> {
    match v {
        Value::Object(o) => Some(Value::Object(
            o.iter()
                .filter_map(|(k, v)| literal_part(v).map(|v| (k.clone(), v)))
                .collect(),
        )),
        v if has_expression(v) => None,
        v => Some(v.clone()),
    }
}

fn inputs(
    checker: &Checker,
    doc: &Doc,
    sink: &mut Sink,
    action: &str,
    pointer: &str,
    input: &Map<String, Value>,
) {
    let Some((schema, validator)) = checker.input_check(action) else {
        return;
    };
    let original = Value::Object(input.clone());
    let literal = literal_part(&original).unwrap_or(Value::Object(Map::new()));
    let known: Vec<String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let at_input = Input {
        checker,
        doc,
        action,
        known: &known,
    };
    // unknown top-level inputs, whatever their value (templated ones are stripped below)
    let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
    if closed && schema.get("properties").is_some_and(Value::is_object) {
        for name in input.keys().filter(|k| !known.contains(*k)) {
            sink.push(at_input.unknown(&format!("{pointer}/input"), name));
        }
    }
    for err in validator.iter_errors(&literal) {
        use jsonschema::error::ValidationErrorKind as K;
        let at = err.instance_path().to_string();
        let target = original.pointer(&at);
        let input_pointer = format!("{pointer}/input{at}");
        // the value there holds a `${{ }}` (removed above): only known at run time
        let templated = target.is_some_and(has_expression);
        match err.kind() {
            K::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                // present but templated: known only at run time
                if target.and_then(|t| t.get(name)).is_none() {
                    sink.push(at_input.required(pointer, &at, name));
                }
            }
            K::AdditionalProperties { .. } if at.is_empty() => {}
            K::AdditionalProperties { unexpected } => {
                for name in unexpected {
                    sink.push(at_input.unknown(&input_pointer, name));
                }
            }
            _ if templated => {}
            _ => {
                let what = if at.is_empty() {
                    format!("the input of `{action}`")
                } else {
                    format!("input `{}` of `{action}`", at.trim_start_matches('/'))
                };
                sink.push(
                    Diagnostic::new("step-input-type", &doc.path, format!("{what}: {err}"))
                        .at(doc.value_span(&input_pointer))
                        .label("rejected by the action's input schema")
                        .hint(inputs_hint(checker, action)),
                );
            }
        }
    }
}

/// The findings about one step's input.
struct Input<'a> {
    checker: &'a Checker,
    doc: &'a Doc,
    action: &'a str,
    /// The action's input names.
    known: &'a [String],
}

impl Input<'_> {
    /// `step-input-unknown`: `name` under `object_pointer` is not an input of the action.
    fn unknown(&self, object_pointer: &str, name: &str) -> Diagnostic {
        let suggestion = crate::backstage::suggest::did_you_mean(name, self.known);
        Diagnostic::new(
            "step-input-unknown",
            &self.doc.path,
            format!("action `{}` has no input `{name}`", self.action),
        )
        .at(self
            .doc
            .key_span(&format!("{object_pointer}/{}", super::locate::seg(name))))
        .label("unknown input")
        .hint(suggestion.unwrap_or_else(|| inputs_hint(self.checker, self.action)))
    }

    /// `step-input-required`: the object at `at` of the input lacks `name`.
    fn required(&self, pointer: &str, at: &str, name: &str) -> Diagnostic {
        let where_ = if at.is_empty() {
            "input".to_string()
        } else {
            format!("input `{}`", at.trim_start_matches('/'))
        };
        Diagnostic::new(
            "step-input-required",
            &self.doc.path,
            format!("action `{}` requires `{name}` in its {where_}", self.action),
        )
        .at(self
            .doc
            .key_span(&format!("{pointer}/input{at}"))
            .or_else(|| self.doc.value_span(pointer)))
        .label(format!("`{name}` is missing"))
        .hint(inputs_hint(self.checker, self.action))
    }
}
