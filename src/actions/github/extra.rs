//! The smaller GitHub actions of Backstage's module (0.10.4): `github:issues:create`,
//! `github:issues:label`, `github:autolinks:create`, `github:pages:enable`,
//! `github:deployKey:create` and `github:branch-protection:create` — the same calls, bodies and
//! error behaviour (the tests compare them with the module's recorded calls). In the local forge
//! each is recorded under `REPO.git/golden/` (never a private key), and the log says so.

use serde_json::{json, Map, Value};

use super::{record_local, warn, Input};
use crate::forge;
use crate::github::{seg, Method, RepoUrl};
use crate::runner::{ActionContext, ActionError, Outputs};
use crate::scm::github::{needs_pro, protection_body, NEEDS_PRO};
use crate::scm::RepoSpec;

/// `/repos/OWNER/REPO`.
fn repo_path(url: &RepoUrl) -> String {
    format!("/repos/{}/{}", seg(&url.owner), seg(&url.repo))
}

/// A repository action's one `POST /repos/OWNER/REPO/SUFFIX` of `body` (a failure explained as
/// `failure`); with `--local`, `body` recorded as `recorded_as` under `REPO.git/golden/SUFFIX.json`
/// instead (`None`).
fn post_or_record(
    ctx: &mut ActionContext<'_>,
    i: &Input<'_>,
    url: &RepoUrl,
    suffix: &str,
    body: Value,
    recorded_as: &str,
    failure: &str,
) -> Result<Option<Value>, ActionError> {
    if ctx.services.local {
        record_local(ctx, url, suffix, body, recorded_as)?;
        return Ok(None);
    }
    let github = super::target(ctx, url, i.nonempty("token"))?;
    let path = format!("{}/{suffix}", repo_path(url));
    Ok(Some(github.call(
        Method::Post,
        &path,
        Some(&body),
        failure,
    )?))
}

/// `github:issues:create`.
pub fn issues_create(ctx: &mut ActionContext<'_>, i: &Input<'_>) -> Result<Outputs, ActionError> {
    let url = RepoUrl::parse(i.required("repoUrl")?)?;
    let title = i.required("title")?;
    ctx.info(format!("Creating issue \"{title}\" on repo {}", url.repo));
    let mut body = Map::new();
    body.insert("title".into(), json!(title));
    for key in ["body", "assignees", "milestone", "labels"] {
        if let Some(v) = i.value(key) {
            body.insert(key.into(), v.clone());
        }
    }
    let mut out = Map::new();
    if ctx.services.local {
        let n = record_local(ctx, &url, "issues", Value::Object(body), "the issue")?;
        let path = ctx
            .services
            .forge()
            .existing(&url.host, &url.owner, &url.repo)?;
        out.insert(
            "issueUrl".into(),
            json!(format!("{}/issues/{n}", forge::url(&path))),
        );
        out.insert("issueNumber".into(), json!(n));
        return Ok(out);
    }
    let github = super::target(ctx, &url, i.nonempty("token"))?;
    let issue = github
        .api()
        .call(
            Method::Post,
            &format!("{}/issues", repo_path(&url)),
            Some(&Value::Object(body)),
        )
        .map_err(|e| {
            warn(
                ctx,
                format!(
                    "Failed: creating issue '{title}' on repo: '{}', {}",
                    url.repo,
                    e.text()
                ),
            );
            ActionError::from(e.explain(&format!("cannot create the issue \"{title}\""), &url.host))
        })?;
    out.insert("issueUrl".into(), issue["html_url"].clone());
    out.insert("issueNumber".into(), issue["number"].clone());
    ctx.info(format!(
        "Successfully created issue #{}: {}",
        issue["number"],
        issue["html_url"].as_str().unwrap_or_default()
    ));
    Ok(out)
}

/// `github:issues:label`: failures only warn, as in Backstage.
pub fn issues_label(ctx: &mut ActionContext<'_>, i: &Input<'_>) -> Result<Outputs, ActionError> {
    let url = RepoUrl::parse(i.required("repoUrl")?)?;
    let number = i
        .value("number")
        .cloned()
        .ok_or_else(|| ActionError::new("the input `number` is required"))?;
    ctx.info(format!(
        "Adding labels to {number} issue on repo {}",
        url.repo
    ));
    let body = json!({"labels": i.value("labels").cloned().unwrap_or(json!([]))});
    if ctx.services.local {
        let mut rec = body.clone();
        rec["issue_number"] = number;
        record_local(ctx, &url, "labels", rec, "the labels")?;
        return Ok(Map::new());
    }
    let github = super::target(ctx, &url, i.nonempty("token"))?;
    let n = number
        .as_u64()
        .map(|n| n.to_string())
        .unwrap_or_else(|| number.as_str().map(seg).unwrap_or_default());
    if let Err(e) = github.api().call(
        Method::Post,
        &format!("{}/issues/{n}/labels", repo_path(&url)),
        Some(&body),
    ) {
        warn(
            ctx,
            format!(
                "Failed: adding labels to issue: '{n}' on repo: '{}', {}",
                url.repo,
                e.text()
            ),
        );
    }
    Ok(Map::new())
}

/// `github:autolinks:create`.
pub fn autolinks(ctx: &mut ActionContext<'_>, i: &Input<'_>) -> Result<Outputs, ActionError> {
    let repo_url = i.required("repoUrl")?;
    ctx.info(format!("Creating autolink reference for repo {repo_url}"));
    let url = RepoUrl::parse(repo_url)?;
    let mut body = Map::new();
    body.insert("key_prefix".into(), json!(i.required("keyPrefix")?));
    body.insert("url_template".into(), json!(i.required("urlTemplate")?));
    if let Some(a) = i.value("isAlphanumeric") {
        body.insert("is_alphanumeric".into(), a.clone());
    }
    let created = post_or_record(
        ctx,
        i,
        &url,
        "autolinks",
        Value::Object(body),
        "the autolink",
        "cannot create the autolink reference",
    )?;
    if created.is_some() {
        ctx.info("Autolink reference created successfully");
    }
    Ok(Map::new())
}

/// `github:pages:enable`.
pub fn pages(ctx: &mut ActionContext<'_>, i: &Input<'_>) -> Result<Outputs, ActionError> {
    let url = RepoUrl::parse(i.required("repoUrl")?)?;
    let build = i.nonempty("buildType").unwrap_or("workflow");
    let branch = i.nonempty("sourceBranch").unwrap_or("main");
    let path = i.nonempty("sourcePath").unwrap_or("/");
    ctx.info(format!("Attempting to enable GitHub Pages for {}/{} with \"{build}\" build type, on source branch \"{branch}\" and source path \"{path}\"", url.owner, url.repo));
    let body = json!({"build_type": build, "source": {"branch": branch, "path": path}});
    let enabled = post_or_record(
        ctx,
        i,
        &url,
        "pages",
        body,
        "the GitHub Pages settings",
        "cannot enable GitHub Pages",
    )?;
    if enabled.is_some() {
        ctx.info("Completed enabling GitHub Pages");
    }
    Ok(Map::new())
}

/// `github:deployKey:create`: the public key as a deploy key, the private key as a sealed
/// Actions secret.
pub fn deploy_key(ctx: &mut ActionContext<'_>, i: &Input<'_>) -> Result<Outputs, ActionError> {
    let repo_url = i.required("repoUrl")?;
    let url = RepoUrl::parse(repo_url)?;
    let public_key = i.required("publicKey")?;
    let private_key = i.required("privateKey")?;
    let name = i.required("deployKeyName")?;
    let secret_name = i
        .str("privateKeySecretName")
        .map(str::to_string)
        .unwrap_or_else(|| {
            format!(
                "{}_PRIVATE_KEY",
                name.split(' ').collect::<Vec<_>>().join("_").to_uppercase()
            )
        });
    let out = Map::from_iter([("privateKeySecretName".to_string(), json!(secret_name))]);
    if ctx.services.local {
        record_local(
            ctx,
            &url,
            "deploy_keys",
            json!({"title": name, "key": public_key, "private_key_secret": secret_name}),
            "the deploy key (its private key is not kept)",
        )?;
        return Ok(out);
    }
    let github = super::target(ctx, &url, i.nonempty("token"))?;
    let repo = repo_path(&url);
    github.call(
        Method::Post,
        &format!("{repo}/keys"),
        Some(&json!({"title": name, "key": public_key})),
        "cannot add the deploy key",
    )?;
    let key = github.call(
        Method::Get,
        &format!("{repo}/actions/secrets/public-key"),
        None,
        "cannot read the repository's public key for Actions secrets",
    )?;
    let sealed = crate::github::seal::seal(key["key"].as_str().unwrap_or_default(), private_key)
        .map_err(|e| ActionError::new(format!("cannot encrypt the private key: {e}")))?;
    github.call(
        Method::Put,
        &format!("{repo}/actions/secrets/{}", seg(&secret_name)),
        Some(&json!({"encrypted_value": sealed, "key_id": key["key_id"]})),
        &format!("cannot store the private key as the Actions secret {secret_name}"),
    )?;
    Ok(out)
}

/// `github:branch-protection:create`: `enableBranchProtectionOnDefaultRepoBranch` on `branch`
/// (default: the repository's default branch).
pub fn branch_protection(
    ctx: &mut ActionContext<'_>,
    i: &Input<'_>,
) -> Result<Outputs, ActionError> {
    let repo_url = i.required("repoUrl")?;
    let url = RepoUrl::parse(repo_url)?;
    let enforce_admins = i.bool("enforceAdmins", true);
    let body = protection_body(i, enforce_admins, i.bool("blockCreations", false));
    let signing = i.bool("requiredCommitSigning", false);
    if ctx.services.local {
        let mut rec = body.clone();
        rec["branch"] = json!(i.nonempty("branch"));
        rec["required_signatures"] = json!(signing);
        record_local(ctx, &url, "protection", rec, "the branch protection")?;
        return Ok(Map::new());
    }
    let github = super::target(ctx, &url, i.nonempty("token"))?;
    let repo = github.call(
        Method::Get,
        &repo_path(&url),
        None,
        &format!("cannot read the repository {}", url.full_name()),
    )?;
    let branch = i
        .nonempty("branch")
        .map(str::to_string)
        .or_else(|| repo["default_branch"].as_str().map(str::to_string))
        .unwrap_or_else(|| "master".into());
    match github.protect_branch(&RepoSpec::from(&url), &branch, &body, signing) {
        Ok(()) => ctx.info(format!("protected branch {branch}")),
        Err(e) if needs_pro(&e) => warn(ctx, NEEDS_PRO),
        Err(e) => {
            return Err(e
                .explain(
                    &format!("cannot protect the branch {branch} of {}", url.full_name()),
                    &url.host,
                )
                .into())
        }
    }
    Ok(Map::new())
}
