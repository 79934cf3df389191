//! The `${{ }}` of template.yaml: every string of step inputs, `if`, `each`, page `when` and
//! `spec.output` parses; its filters, tests, functions and methods exist; `parameters.X` names a
//! declared parameter; `steps.ID.output.Y` names an earlier step with that output; `each.*` is
//! used only inside `each` steps.

use serde_json::Value;

use super::expr;
use super::locate::seg;
use super::parameters::Declared;
use super::steps::Plan;
use super::uses::{judge, Finding, Scope};
use super::{Checker, Diagnostic, Doc, Flavor, Sink};

/// Where a string is and what its context holds.
struct Site<'a> {
    /// Index of the step the string belongs to (`None` for output and pages).
    step: Option<usize>,
    roots: &'a [&'a str],
    /// The rendered text lands in an input or the output (a `${{ }}` kept as written
    /// mis-renders: an error); false for `if`, `each` and `when`, which only decide.
    text: bool,
    /// A page's `when`, an expression even without `${{ }}`.
    bare: bool,
}

/// The codes of a `${{ }}` that Backstage keeps as written.
const KEPT_LITERAL: &[&str] = &[
    "expr-syntax",
    "expr-unknown-filter",
    "expr-unknown-test",
    "expr-unknown-function",
    "expr-unknown-method",
];

/// A kept-literal finding is an error where the text is used, a warning where it only decides
/// (`if`, `each`, `when`: the literal text is a truthy string).
fn at_site(mut d: Diagnostic, site: &Site<'_>) -> Diagnostic {
    if !site.text && KEPT_LITERAL.contains(&d.code) {
        d.severity = super::Severity::Warning;
    }
    d
}

/// Every root of a workflow context: `if` of a plain step and `output` see the first five,
/// inputs also `secrets` (SPEC §2.7), an `each` step also `each`.
const ROOTS: &[&str] = &[
    "parameters",
    "steps",
    "user",
    "environment",
    "context",
    "secrets",
    "each",
];
const IF_ROOTS: &[&str] = ROOTS.split_at(5).0;
const OUTPUT_ROOTS: &[&str] = IF_ROOTS;
const STEP_ROOTS: &[&str] = ROOTS.split_at(6).0;
const EACH_ROOTS: &[&str] = ROOTS;
const PAGE_ROOTS: &[&str] = &["parameters"];

/// What the strings of one template are checked against.
struct Context<'a> {
    checker: &'a Checker,
    doc: &'a Doc,
    declared: &'a Declared,
    plan: &'a Plan,
}

pub fn check(checker: &Checker, doc: &Doc, declared: &Declared, plan: &Plan, sink: &mut Sink) {
    let cx = Context {
        checker,
        doc,
        declared,
        plan,
    };
    steps(&cx, sink);
    pages(&cx, sink);
    output(&cx, sink);
}

/// The `input`, `if` and `each` of every step.
fn steps(cx: &Context<'_>, sink: &mut Sink) {
    for step in cx.plan {
        for key in ["input", "if", "each"] {
            let roots = match (step.each, key) {
                (true, _) => EACH_ROOTS,
                (false, "if") => IF_ROOTS,
                _ => STEP_ROOTS,
            };
            let site = Site {
                step: Some(step.index),
                roots,
                text: key == "input",
                bare: false,
            };
            let pointer = format!("/spec/steps/{}/{key}", step.index);
            if let Some(v) = cx.doc.entity.pointer(&pointer) {
                walk(cx, &site, v, &pointer, sink);
            }
        }
    }
}

/// The `when` of parameter pages (an expression even without `${{ }}`).
fn pages(cx: &Context<'_>, sink: &mut Sink) {
    let Some(Value::Array(pages)) = cx.doc.entity.pointer("/spec/parameters") else {
        return;
    };
    let site = Site {
        step: None,
        roots: PAGE_ROOTS,
        text: false,
        bare: true,
    };
    for (i, p) in pages.iter().enumerate() {
        if let Some(Value::String(w)) = p.get("when") {
            string(cx, &site, w, &format!("/spec/parameters/{i}/when"), sink);
        }
    }
}

/// `spec.output`, and its links that point nowhere.
fn output(cx: &Context<'_>, sink: &mut Sink) {
    let Some(output) = cx.doc.entity.pointer("/spec/output") else {
        return;
    };
    let site = Site {
        step: None,
        roots: OUTPUT_ROOTS,
        text: true,
        bare: false,
    };
    walk(cx, &site, output, "/spec/output", sink);
    let links = output.get("links").and_then(Value::as_array);
    for (i, link) in links.into_iter().flatten().enumerate() {
        if link.is_object() && link.get("url").is_none() && link.get("entityRef").is_none() {
            sink.push(
                Diagnostic::new("output-link-target", &cx.doc.path, "this output link has neither `url` nor `entityRef`")
                    .at(cx.doc.value_span(&format!("/spec/output/links/{i}")))
                    .label("links nowhere")
                    .hint("give the link a `url` (e.g. `${{ steps.publish.output.remoteUrl }}`) or an `entityRef`"),
            );
        }
    }
}

/// Every string inside `v` (at `pointer`).
fn walk(cx: &Context<'_>, site: &Site<'_>, v: &Value, pointer: &str, sink: &mut Sink) {
    match v {
        Value::String(s) => string(cx, site, s, pointer, sink),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(cx, site, item, &format!("{pointer}/{i}"), sink);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                walk(cx, site, item, &format!("{pointer}/{}", seg(k)), sink);
            }
        }
        _ => {}
    }
}

fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    crate::backstage::suggest::closest(name, candidates)
}

/// One string: it parses, and what it uses exists here.
fn string(cx: &Context<'_>, site: &Site<'_>, s: &str, pointer: &str, sink: &mut Sink) {
    // a bare `when` (`parameters.kind == 'x'`) is read as `${{ parameters.kind == 'x' }}`
    let (wrapped, shift);
    let s = if !expr::is_templated(s, false) {
        if !site.bare {
            return;
        }
        wrapped = format!("${{{{ {s} }}}}");
        shift = 4;
        wrapped.as_str()
    } else {
        shift = 0;
        s
    };
    let analyzed = cx.checker.analyze(Flavor::Workflow, s);
    let analysis = match &*analyzed {
        Ok(a) => a,
        Err(e) => return syntax_error(cx.doc, site, s, shift, pointer, e, sink),
    };
    for f in findings(cx, site, analysis) {
        let (start, end) = (f.start.saturating_sub(shift), f.end.saturating_sub(shift));
        sink.push(at_site(
            Diagnostic::new(f.code, &cx.doc.path, f.message)
                .at(cx.doc.string_span(pointer, start, end))
                .label(f.label)
                .maybe_hint(f.hint),
            site,
        ));
    }
}

/// What `analysis` uses that this site does not have: filters, tests, functions, methods and
/// roots, parameters that are not declared, steps and outputs that do not exist (yet).
fn findings(cx: &Context<'_>, site: &Site<'_>, analysis: &expr::Analysis) -> Vec<Finding> {
    let scope = Scope {
        flavor: Flavor::Workflow,
        roots: site.roots,
    };
    let mut findings = judge(cx.checker, &scope, analysis, |root, _path, start, end| {
        Some(outside_context(site, root, start, end))
    });
    for u in &analysis.uses {
        let expr::Kind::Var { root, path } = &u.kind else {
            continue;
        };
        let found = match (root.as_str(), path.first()) {
            ("parameters", Some(name)) => unknown_parameter(cx.declared, name, u.start, u.end),
            ("steps", Some(id)) if site.roots.contains(&"steps") => {
                step_reference(cx.plan, site, id, path, u.start, u.end)
            }
            _ => None,
        };
        findings.extend(found);
    }
    findings
}

/// `expr-syntax`: the string does not parse; pointed at the first character of the error.
fn syntax_error(
    doc: &Doc,
    site: &Site<'_>,
    s: &str,
    shift: usize,
    pointer: &str,
    e: &expr::SyntaxError,
    sink: &mut Sink,
) {
    // the error's first character, where the string is written in the file (`shift` bytes of
    // `s` were added before it)
    let span = match &e.range {
        Some(r) if r.start >= shift && r.end <= s.len() - shift => {
            doc.string_span(pointer, r.start - shift, r.end - shift)
        }
        _ => doc.value_span(pointer),
    };
    let kept = if site.step.is_some() {
        "Backstage keeps the text as written (the expression is never evaluated)"
    } else {
        "Backstage keeps the text as written"
    };
    sink.push(at_site(
        Diagnostic::new("expr-syntax", &doc.path, format!("expression does not parse: {}", e.message))
            .at(span)
            .label("syntax error")
            .hint(format!("{kept}; nunjucks has no `||`, `&&`, `!x`, `a ? b : c` or `??`: use `or`, `and`, `not`, `b if a else c`")),
        site,
    ));
}

/// A variable that is not in the context of this site (`each` outside an `each:` step, ...).
fn outside_context(site: &Site<'_>, root: &str, start: usize, end: usize) -> Finding {
    if root == "each" {
        return Finding {
            code: "expr-each-outside",
            message: "`each` is only defined inside a step that has `each:`".into(),
            start,
            end,
            label: "undefined here".into(),
            hint: Some("add `each:` to this step, or use the value directly".into()),
        };
    }
    let hint = match root {
        "values" => "`values` is the context of skeleton files; here use `parameters.*`".to_string(),
        "templateInfo" => "`templateInfo` is only visible to actions, not to expressions".to_string(),
        "secrets" => "secrets are only in the context of step inputs and `each` (not `if` of other steps, not `output`); here they render empty".to_string(),
        _ => format!("the context holds: {}", site.roots.join(", ")),
    };
    Finding {
        code: "expr-unknown-variable",
        message: format!("`{root}` is not in the context here"),
        start,
        end,
        label: "renders empty".into(),
        hint: Some(hint),
    }
}

/// `parameters.NAME` where no page declares NAME.
fn unknown_parameter(declared: &Declared, name: &str, start: usize, end: usize) -> Option<Finding> {
    if declared.names.contains(name) {
        return None;
    }
    Some(Finding {
        code: "expr-unknown-parameter",
        message: format!("`parameters.{name}` is not declared by any parameter page"),
        start,
        end,
        label: "renders empty unless the caller passes it".into(),
        hint: Some(
            match suggest(name, declared.names.iter().map(String::as_str)) {
                Some(c) => format!("did you mean `parameters.{c}`?"),
                None => "declare it under `properties` of a parameter page".into(),
            },
        ),
    })
}

/// `steps.ID...`: an unknown step, a step that has not run yet, or an output it does not have.
fn step_reference(
    plan: &Plan,
    site: &Site<'_>,
    id: &str,
    path: &[String],
    start: usize,
    end: usize,
) -> Option<Finding> {
    let Some(target) = plan.iter().find(|p| p.id == id) else {
        return Some(unknown_step(plan, id, start, end));
    };
    if let Some(current) = site.step {
        if target.index >= current {
            let what = if target.index == current {
                "this step itself".to_string()
            } else {
                format!("step {}, which runs later", target.index + 1)
            };
            return Some(Finding {
                code: "expr-later-step",
                message: format!("`steps.{id}` is {what}"),
                start,
                end,
                label: "has no output yet".into(),
                hint: Some("a step can only read the outputs of steps before it; move the step or the reference".into()),
            });
        }
    }
    match path.get(1).map(String::as_str) {
        Some("output") => {
            let (name, outputs) = (path.get(2)?, target.outputs?);
            if outputs.contains(&name.as_str()) {
                return None;
            }
            let hint = if outputs.is_empty() {
                format!("`{}` has no outputs", target.action)
            } else {
                format!("`{}` outputs: {}", target.action, outputs.join(", "))
            };
            Some(Finding {
                code: "expr-unknown-output",
                message: format!(
                    "action `{}` of step `{id}` has no output `{name}`",
                    target.action
                ),
                start,
                end,
                label: "renders empty".into(),
                hint: Some(hint),
            })
        }
        Some(other) => Some(Finding {
            code: "expr-unknown-output",
            message: format!("`steps.{id}.{other}` does not exist; a step only has `output`"),
            start,
            end,
            label: "renders empty".into(),
            hint: Some(format!("write `steps.{id}.output.<name>`")),
        }),
        None => None,
    }
}

/// `steps.ID` where no step has ID: a dashed id read as a subtraction, a near miss, or the list.
fn unknown_step(plan: &Plan, id: &str, start: usize, end: usize) -> Finding {
    let dashed: Vec<&str> = plan
        .iter()
        .map(|p| p.id.as_str())
        .filter(|p| p.starts_with(&format!("{id}-")))
        .collect();
    let hint = match dashed.first() {
        Some(d) => format!(
            "`steps.{d}` reads as `steps.{id}` minus `{}`; write `steps['{d}']`",
            &d[id.len() + 1..]
        ),
        None => match suggest(id, plan.iter().map(|p| p.id.as_str())) {
            Some(c) => format!("did you mean `steps.{c}`?"),
            None => format!(
                "step ids: {}",
                plan.iter()
                    .map(|p| p.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    };
    Finding {
        code: "expr-unknown-step",
        message: format!("no step has the id `{id}`"),
        start,
        end,
        label: "renders empty".into(),
        hint: Some(hint),
    }
}
