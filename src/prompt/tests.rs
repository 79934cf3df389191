//! The walker driven by a scripted prompter: what is asked, in which order, and the values.

use std::collections::VecDeque;
use std::path::Path;

use serde_json::{json, Value};

use super::entities::{EntitySource, Static};
use super::*;

/// One scripted answer.
#[derive(Debug, Clone)]
enum A {
    T(&'static str),
    S(usize),
    C(bool),
}

/// Answers from a script; records every label asked and every check failure.
#[derive(Default)]
struct Scripted {
    answers: VecDeque<A>,
    asked: Vec<String>,
    errors: Vec<String>,
    notices: Vec<String>,
}

impl Scripted {
    fn new(answers: Vec<A>) -> Scripted {
        Scripted {
            answers: answers.into(),
            ..Scripted::default()
        }
    }
    fn next(&mut self, label: &str) -> A {
        self.asked.push(label.to_string());
        self.answers.pop_front().unwrap_or_else(|| {
            panic!(
                "no scripted answer for `{label}` (asked so far: {:?})",
                self.asked
            )
        })
    }
    fn typed(&mut self, p: &Prompt, check: Check<'_>) -> Answer<String> {
        loop {
            let A::T(t) = self.next(&p.label) else {
                panic!("`{}` wants text", p.label)
            };
            let t = if t.is_empty() {
                p.default.clone().unwrap_or_default()
            } else {
                t.to_string()
            };
            match check(&t) {
                Ok(()) => return Ok(t),
                Err(e) => self.errors.push(e),
            }
        }
    }
}

impl Prompter for Scripted {
    fn heading(&mut self, title: &str, _: Option<&str>) {
        self.notices.push(format!("# {title}"));
    }
    fn notice(&mut self, text: &str) {
        self.notices.push(text.to_string());
    }
    fn text(&mut self, p: &Prompt, check: Check<'_>) -> Answer<String> {
        self.typed(p, check)
    }
    fn multiline(&mut self, p: &Prompt, check: Check<'_>) -> Answer<String> {
        self.typed(p, check)
    }
    fn secret(&mut self, p: &Prompt, check: Check<'_>) -> Answer<String> {
        self.typed(p, check)
    }
    fn select(&mut self, p: &Prompt, items: &[String], _: usize) -> Answer<usize> {
        match self.next(&p.label) {
            A::S(i) if i < items.len() => Ok(i),
            other => panic!(
                "`{}` wants a choice among {items:?}, script has {other:?}",
                p.label
            ),
        }
    }
    fn fuzzy_select(&mut self, p: &Prompt, items: &[String], d: usize) -> Answer<usize> {
        self.select(p, items, d)
    }
    fn multi_select(&mut self, p: &Prompt, _: &[String], _: &[bool]) -> Answer<Vec<usize>> {
        panic!(
            "`{}`: multi-select is covered by the pty tests, not scripted",
            p.label
        )
    }
    fn confirm_or_none(&mut self, p: &Prompt) -> Answer<Option<bool>> {
        self.confirm(p, None).map(Some)
    }
    fn confirm(&mut self, p: &Prompt, _: Option<bool>) -> Answer<bool> {
        match self.next(&p.label) {
            A::C(b) => Ok(b),
            other => panic!("`{}` wants yes/no, script has {other:?}", p.label),
        }
    }
}

fn template(params: Value) -> Template {
    let doc = json!({"apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template", "metadata": {"name": "t"},
                     "spec": {"type": "service", "parameters": params, "steps": [{"action": "debug:log", "input": {"message": "x"}}]}});
    Template::from_source(Path::new("t.yaml"), Path::new("."), doc.to_string()).unwrap()
}

fn options(user: Option<Value>) -> (Options, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let user = user.map(|u| {
        let p = dir.path().join("user.json");
        std::fs::write(&p, u.to_string()).unwrap();
        p
    });
    (
        Options {
            sources: Sources {
                user,
                ..Sources::default()
            },
            mode: Mode::Interactive,
            yes: true,
            save: None,
            integration_hosts: Default::default(),
            replay_record: None,
            target: Default::default(),
            redactor: Default::default(),
        },
        dir,
    )
}

fn run(
    t: &Template,
    script: Vec<A>,
    user: Option<Value>,
    entities: Vec<Value>,
) -> (Values, Scripted) {
    let mut s = Scripted::new(script);
    let (opts, _dir) = options(user);
    let source = move || -> std::result::Result<Box<dyn EntitySource>, String> {
        Ok(Box::new(Static(entities.clone())))
    };
    let v = collect(t, &opts, &mut s, &source).unwrap();
    assert!(s.answers.is_empty(), "unused answers: {:?}", s.answers);
    (v, s)
}

#[test]
fn my_groups_and_owned_entities_follow_the_user() {
    let t = template(json!([{"required": ["team", "svc"], "properties": {
        "team": {"type": "string", "title": "Team", "ui:field": "MyGroupsPicker"},
        "svc": {"type": "string", "title": "Service", "ui:field": "OwnedEntityPicker", "ui:options": {"allowedKinds": ["Component"]}}
    }}]));
    let entities = vec![
        json!({"kind": "Group", "metadata": {"name": "a"}, "relations": [{"type": "hasMember", "targetRef": "user:default/jane"}]}),
        json!({"kind": "Group", "metadata": {"name": "b"}}),
        json!({"kind": "Component", "metadata": {"name": "web"}, "relations": [{"type": "ownedBy", "targetRef": "user:default/jane"}]}),
        json!({"kind": "Component", "metadata": {"name": "api"}, "relations": [{"type": "ownedBy", "targetRef": "group:default/b"}]}),
    ];
    let user = json!({"ref": "user:default/jane", "entity": {"kind": "User", "metadata": {"name": "jane"}, "spec": {"memberOf": ["b"]}}});
    let (v, s) = run(&t, vec![A::S(0)], Some(user), entities);
    assert_eq!(
        Value::Object(v.parameters),
        json!({"team": "group:default/a", "svc": "component:default/api"})
    );
    assert_eq!(
        s.asked,
        vec!["Service"],
        "the team is the only group jane is in; jane owns web directly and api through b"
    );
    assert!(
        s.notices.iter().any(|n| n.contains("the only match")),
        "{:?}",
        s.notices
    );
}

#[test]
fn repeatable_groups_and_property_dependencies() {
    let t = template(json!({"properties": {
        "ports": {"type": "array", "title": "Ports", "items": {"type": "object", "required": ["port"], "properties": {"port": {"type": "integer", "title": "Port"}, "name": {"type": "string", "title": "Name"}}}},
        "tls": {"type": "boolean", "title": "TLS"},
        "cert": {"type": "string", "title": "Certificate"}
    }, "dependencies": {"tls": ["cert"]}}));
    let (v, s) = run(
        &t,
        vec![
            A::C(true),
            A::T("x"),
            A::T("80"),
            A::T("http"),
            A::C(false),
            A::C(true),
            A::T(""),
            A::T("pem"),
        ],
        None,
        vec![],
    );
    assert_eq!(
        Value::Object(v.parameters),
        json!({"ports": [{"port": 80, "name": "http"}], "tls": true, "cert": "pem"})
    );
    assert_eq!(
        s.asked,
        vec![
            "Add an item to Ports?",
            "Ports #1 › Port",
            "Ports #1 › Port",
            "Ports #1 › Name",
            "Add another item to Ports?",
            "TLS",
            "Certificate",
            "Certificate"
        ]
    );
    assert!(
        s.errors.contains(&"`x` is not an integer".to_string())
            && s.errors.contains(&"a value is required".to_string()),
        "{:?}",
        s.errors
    );
}

#[test]
fn formats_radio_and_secret_to_secrets() {
    let t = template(json!([{"required": ["email", "token"], "properties": {
        "email": {"type": "string", "title": "Email", "format": "email"},
        "size": {"type": "string", "title": "Size", "enum": ["s", "m"], "ui:widget": "radio"},
        "token": {"type": "string", "title": "Token", "ui:field": "Secret"},
        "pw": {"type": "string", "title": "Password", "ui:widget": "password"}
    }}]));
    let (v, s) = run(
        &t,
        vec![
            A::T("nope"),
            A::T("a@b.io"),
            A::S(1),
            A::T("abc"),
            A::T("hunter2"),
        ],
        None,
        vec![],
    );
    assert_eq!(
        Value::Object(v.parameters),
        json!({"email": "a@b.io", "size": "m", "token": "***", "pw": "hunter2"})
    );
    assert_eq!(Value::Object(v.secrets), json!({"token": "abc"}));
    assert!(
        s.errors.iter().any(|e| e.contains("is not a \"email\"")),
        "{:?}",
        s.errors
    );
}

#[test]
fn an_invalid_given_value_is_asked_again_with_its_error() {
    let t = template(
        json!([{"required": ["name"], "properties": {"name": {"type": "string", "title": "Name", "pattern": "^[a-z]+$"}, "note": {"type": "string", "title": "Note"}}}]),
    );
    let mut s = Scripted::new(vec![A::T("good"), A::T("")]);
    let (mut opts, _dir) = options(None);
    opts.sources.set = vec!["name=BAD".into()];
    let source = || -> std::result::Result<Box<dyn EntitySource>, String> { Err("none".into()) };
    let v = collect(&t, &opts, &mut s, &source).unwrap();
    assert_eq!(
        Value::Object(v.parameters),
        json!({"name": "good"}),
        "an optional question left empty stays absent"
    );
    assert_eq!(s.asked, vec!["Name", "Note"]);
    assert!(
        s.notices
            .iter()
            .any(|n| n.contains("the value given for `name` is invalid")
                && n.contains("\"BAD\" does not match")),
        "{:?}",
        s.notices
    );
}

#[test]
fn nothing_is_asked_without_input_and_everything_missing_is_listed() {
    let t = template(
        json!([{"required": ["a"], "properties": {"a": {"type": "string"}, "b": {"type": "string", "default": "x"}}},
                            {"required": ["c"], "properties": {"c": {"type": "integer", "minimum": 2}}}]),
    );
    let (mut opts, _dir) = options(None);
    opts.mode = Mode::NonInteractive("--no-input was given".into());
    let source = || -> std::result::Result<Box<dyn EntitySource>, String> {
        panic!("no catalog lookups without input")
    };
    let e = collect(&t, &opts, &mut NoInput, &source).unwrap_err();
    assert_eq!(e.kind, Kind::Values);
    assert_eq!(e.details.len(), 2, "{e}");
    assert!(
        e.details[1].contains("allowed: an integer ≥ 2; pass `--set c=2`"),
        "{e}"
    );
}

#[test]
fn enum_disabled_options_are_not_offered_and_empty_value_applies() {
    let t = template(json!({"properties": {
        "size": {"type": "string", "title": "Size", "enum": ["s", "m", "l"], "enumNames": ["Small", "Medium", "Large"], "ui:enumDisabled": ["m"], "default": "s"},
        "note": {"type": "string", "title": "Note", "ui:emptyValue": ""}
    }}));
    let (v, _) = run(&t, vec![A::S(1), A::T("")], None, vec![]);
    assert_eq!(
        Value::Object(v.parameters),
        json!({"size": "l", "note": ""}),
        "the second offered option is Large"
    );
}

#[test]
fn object_level_one_of_is_a_choice_of_property_sets() {
    let t = template(
        json!([{"title": "Storage", "properties": {"name": {"type": "string", "title": "Name"}},
        "oneOf": [
            {"title": "Bucket", "required": ["bucket"], "properties": {"bucket": {"type": "string", "title": "Bucket name"}}},
            {"title": "Disk", "required": ["sizeGb"], "properties": {"sizeGb": {"type": "integer", "title": "Size (GB)"}}}
        ]}]),
    );
    let (v, s) = run(&t, vec![A::S(1), A::T("n"), A::T("20")], None, vec![]);
    assert_eq!(
        Value::Object(v.parameters),
        json!({"name": "n", "sizeGb": 20})
    );
    assert_eq!(s.asked, vec!["Choose one", "Name", "Size (GB)"]);
}

#[test]
fn the_summary_lists_branch_values_and_masks_secrets() {
    let t = template(
        json!([{"properties": {"name": {"type": "string", "title": "Name"}, "token": {"type": "string", "title": "Token", "ui:field": "Secret"},
        "internal": {"type": "string", "ui:backstage": {"review": {"show": false}}}},
        "oneOf": [{"properties": {"sizeGb": {"type": "integer", "title": "Size (GB)"}}}]}]),
    );
    let params = json!({"name": "n", "token": "****", "internal": "x", "sizeGb": 20})
        .as_object()
        .cloned()
        .unwrap();
    let lines = super::summary::keyed_lines(&t, &params, &["token".to_string()]);
    assert_eq!(
        lines,
        vec![
            ("name".to_string(), "Name".to_string(), "n".to_string()),
            ("token".into(), "Token".into(), "******".into()),
            ("sizeGb".into(), "Size (GB)".into(), "20".into())
        ]
    );
}
