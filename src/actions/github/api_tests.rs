//! The GitHub actions against in-process fakes of the [`Api`] and [`Connect`] traits handed in
//! through `Services` (no HTTP at all; the HTTP-level tests are in `tests/it/publish.rs`).

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::config::Secret;
use crate::github::{Api, ApiError, Connect, Method};
use crate::services::Services;

/// Answers every call with a canned result and records `METHOD path`.
#[derive(Clone, Default)]
struct Canned {
    calls: Arc<Mutex<Vec<String>>>,
    fail_with: Option<u16>,
}

impl Api for Canned {
    fn call(&self, method: Method, path: &str, _body: Option<&Value>) -> Result<Value, ApiError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("{} {path}", method.as_str()));
        match self.fail_with {
            Some(status) => Err(ApiError {
                call: format!("{} {path}", method.as_str()),
                status: Some(status),
                message: "Validation Failed".into(),
                details: vec!["Hook already exists on this repository".into()],
            }),
            None => Ok(json!({})),
        }
    }
    fn graphql(&self, _query: &str, _variables: &Value) -> Result<Value, ApiError> {
        Ok(Value::Null)
    }
}

impl Connect for Canned {
    fn connect(&self, api_base_url: &str, token: &Secret) -> Result<Box<dyn Api>, String> {
        assert_eq!(api_base_url, "https://api.github.com");
        assert_eq!(token.0, "t0k3n");
        Ok(Box::new(self.clone()))
    }
}

/// Runs the GitHub action `id` for real against `api`.
fn run(api: &Canned, id: &'static str, input: Value) -> crate::actions::testing::Ran {
    let services = Services {
        github: Some(Arc::new(api.clone())),
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let action = super::action(id).expect("a GitHub action");
    crate::actions::testing::run_with(&action, dir.path(), dir.path(), input, &services, false)
}

#[test]
fn a_failed_webhook_only_warns_as_in_backstage() {
    let api = Canned {
        fail_with: Some(422),
        ..Default::default()
    };
    let (out, log) = run(
        &api,
        "github:webhook",
        json!({"repoUrl": "github.com?owner=acme&repo=svc", "webhookUrl": "https://ci/hook", "token": "t0k3n"}),
    );
    assert!(out.unwrap().is_empty());
    assert_eq!(*api.calls.lock().unwrap(), ["POST /repos/acme/svc/hooks"]);
    assert!(log.iter().any(|l| l.starts_with("warning: Failed: create webhook 'https://ci/hook' on repo: 'svc', Validation Failed (Hook already exists")), "{log:?}");
}

#[test]
fn a_failed_dispatch_fails_the_step_with_githubs_words() {
    let api = Canned {
        fail_with: Some(404),
        ..Default::default()
    };
    let (out, _) = run(
        &api,
        "github:actions:dispatch",
        json!({"repoUrl": "github.com?owner=acme&repo=svc", "workflowId": "ci.yaml", "branchOrTagName": "main", "token": "t0k3n"}),
    );
    let e = out.unwrap_err();
    assert!(
        e.message
            .contains("Failed: dispatching workflow 'ci.yaml' on repo: 'svc'")
            && e.message.contains("404 Validation Failed"),
        "{}",
        e.message
    );
    assert!(e.hints[0].contains("spelling"));
}
