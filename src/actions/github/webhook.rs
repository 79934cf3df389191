//! `github:webhook` and `github:actions:dispatch`. In the local forge there is nothing to deliver
//! to or run: both are recorded under `REPO.git/golden/` and the log says so.

use serde_json::{json, Map, Value};

use super::{warn, Input};
use crate::forge;
use crate::github::{seg, Method, RepoUrl};
use crate::runner::{ActionContext, ActionError, Outputs};

/// `github:webhook`: `POST /repos/{o}/{r}/hooks`; failures only warn (as in Backstage).
pub fn webhook(ctx: &mut ActionContext<'_>, i: &Input<'_>) -> Result<Outputs, ActionError> {
    let repo_url = i.required("repoUrl")?;
    let webhook_url = i.required("webhookUrl")?;
    ctx.info(format!(
        "Creating webhook {webhook_url} for repo {repo_url}"
    ));
    let url = RepoUrl::parse(repo_url)?;
    let events = i.value("events").cloned().unwrap_or(json!(["push"]));
    let mut config = Map::new();
    config.insert("url".into(), json!(webhook_url));
    config.insert(
        "content_type".into(),
        json!(i.nonempty("contentType").unwrap_or("form")),
    );
    if let Some(s) = i.str("webhookSecret") {
        config.insert("secret".into(), json!(s));
    }
    config.insert(
        "insecure_ssl".into(),
        json!(if i.bool("insecureSsl", false) {
            "1"
        } else {
            "0"
        }),
    );
    let body = json!({"config": config, "events": events, "active": i.bool("active", true)});
    if ctx.services.local {
        let path = ctx
            .services
            .forge()
            .existing(&url.host, &url.owner, &url.repo)?;
        let mut recorded = body.clone();
        if recorded["config"].get("secret").is_some() {
            recorded["config"]["secret"] = json!("***");
        }
        forge::record(&path, "hooks", recorded, &ctx.services.config.redactor)?;
        warn(
            ctx,
            format!(
                "local forge: webhooks are not delivered; '{webhook_url}' was recorded in `{}`",
                path.join("golden/hooks.json").display()
            ),
        );
        return Ok(Map::new());
    }
    let github = super::target(ctx, &url, i.nonempty("token"))?;
    match github.api().call(
        Method::Post,
        &format!("/repos/{}/{}/hooks", seg(&url.owner), seg(&url.repo)),
        Some(&body),
    ) {
        Ok(_) => ctx.info(format!("Webhook '{webhook_url}' created successfully")),
        Err(e) => warn(
            ctx,
            format!(
                "Failed: create webhook '{webhook_url}' on repo: '{}', {}",
                url.repo,
                e.text()
            ),
        ),
    }
    Ok(Map::new())
}

/// `github:actions:dispatch`: `POST /repos/{o}/{r}/actions/workflows/{id}/dispatches`.
pub fn dispatch(ctx: &mut ActionContext<'_>, i: &Input<'_>) -> Result<Outputs, ActionError> {
    let repo_url = i.required("repoUrl")?;
    let workflow = i.required("workflowId")?;
    let git_ref = i.required("branchOrTagName")?;
    ctx.info(format!(
        "Dispatching workflow {workflow} for repo {repo_url} on {git_ref}"
    ));
    let url = RepoUrl::parse(repo_url)?;
    let details = i.bool("returnWorkflowRunDetails", false);
    let mut body = Map::new();
    body.insert("ref".into(), json!(git_ref));
    if let Some(inputs) = i.value("workflowInputs") {
        body.insert("inputs".into(), inputs.clone());
    }
    if details {
        body.insert("return_run_details".into(), json!(true));
    }
    if ctx.services.local {
        let path = ctx
            .services
            .forge()
            .existing(&url.host, &url.owner, &url.repo)?;
        let mut rec = body.clone();
        rec.insert("workflow_id".into(), json!(workflow));
        forge::record(
            &path,
            "dispatches",
            Value::Object(rec),
            &ctx.services.config.redactor,
        )?;
        warn(ctx, format!("local forge: no workflow runs here; the dispatch of {workflow} was recorded in `{}`", path.join("golden/dispatches.json").display()));
        return Ok(Map::new());
    }
    let github = super::target(ctx, &url, i.nonempty("token"))?;
    let path = format!(
        "/repos/{}/{}/actions/workflows/{}/dispatches",
        seg(&url.owner),
        seg(&url.repo),
        seg(workflow)
    );
    let what = format!(
        "Failed: dispatching workflow '{workflow}' on repo: '{}'",
        url.repo
    );
    let data = github.call(Method::Post, &path, Some(&Value::Object(body)), &what)?;
    ctx.info(format!("Workflow {workflow} dispatched successfully"));
    let mut out = Map::new();
    if details && data.is_object() {
        for (name, key) in [
            ("workflowRunId", "workflow_run_id"),
            ("workflowRunUrl", "run_url"),
            ("workflowRunHtmlUrl", "html_url"),
        ] {
            if let Some(v) = data.get(key).filter(|v| !v.is_null()) {
                out.insert(name.into(), v.clone());
            }
        }
        if let Some(u) = data.get("html_url").and_then(Value::as_str) {
            ctx.info(format!("Workflow run url: {u}"));
        }
    }
    Ok(out)
}
