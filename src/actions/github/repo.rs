//! `publish:github`, `github:repo:create` and `github:repo:push`, as Backstage's
//! `createGithubRepoWithCollaboratorsAndTopics` and `initRepoPushAndProtect` do them: look up the
//! owner's type, create the repository in the organisation or for the user, apply access,
//! collaborators, topics, variables; push the workspace as one commit; protect the branch.
//! With `--local` the same inputs create and fill a local-forge repository.

use serde_json::{json, Map, Value};

use super::{author, call, source_dir, warn, Input};
use crate::forge;
use crate::github::{entity_ref_to_name, seg, Method, RepoUrl};
use crate::runner::Published;
use crate::runner::{ActionContext, ActionError, Outputs};
use crate::services::GithubConnection;

/// `publish:github`: create, push, protect.
pub fn publish(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    let i = Input(input);
    let url = RepoUrl::parse(i.required("repoUrl")?)?;
    let branch = i.nonempty("defaultBranch").unwrap_or("main").to_string();
    let message = i
        .nonempty("gitCommitMessage")
        .unwrap_or("initial commit")
        .to_string();
    let source = source_dir(ctx, i.str("sourcePath"))?;
    if ctx.services.local {
        // The repository is created, recorded and pushed aside, then moved into place: it
        // appears complete or not at all.
        ctx.services
            .stamp(ctx.workspace, &source)
            .map_err(ActionError::new)?;
        let git = ctx.services.git();
        let who = author(&i);
        let (path, hash) = create_in_forge(ctx, &i, &url, &branch, |aside| {
            git.push_new(&source, &forge::url(aside), &branch, &message, &who, None)
                .map_err(|e| push_error(&url, &e))
        })?;
        let remote = forge::url(&path);
        ctx.info(format!("pushed {hash} to {remote} ({branch})"));
        let contents_url = forge::contents_url(&path, &branch);
        ctx.note_published(Published {
            name: url.full_name(),
            remote_url: remote.clone(),
            repo_contents_url: contents_url.clone(),
            branch: branch.clone(),
            source_dir: source.clone(),
            token: None,
            git_user: None,
            integration: None,
        });
        return Ok(outputs(&[
            ("remoteUrl", remote),
            ("repoContentsUrl", contents_url),
            ("commitHash", hash),
        ]));
    }
    let gh = ctx.services.github(&url, i.nonempty("token"))?;
    let created = create_on_github(ctx, &i, &gh, &url, None, None)?;
    let clone_url = created
        .get("clone_url")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let html_url = created
        .get("html_url")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let hash = push_and_protect(
        ctx, &i, &gh, &url, &clone_url, &html_url, &source, &branch, &message,
    )?;
    Ok(outputs(&[
        ("remoteUrl", clone_url),
        ("repoContentsUrl", format!("{html_url}/blob/{branch}")),
        ("commitHash", hash),
    ]))
}

/// `github:repo:create`: the creation half; outputs `remoteUrl` only (as Backstage does).
pub fn create(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    let i = Input(input);
    let url = RepoUrl::parse(i.required("repoUrl")?)?;
    if ctx.services.local {
        let (path, ()) = create_in_forge(ctx, &i, &url, "main", |_| Ok(()))?;
        return Ok(outputs(&[("remoteUrl", forge::url(&path))]));
    }
    let gh = ctx.services.github(&url, i.nonempty("token"))?;
    let created = create_on_github(
        ctx,
        &i,
        &gh,
        &url,
        i.opt_bool("autoInit"),
        i.nonempty("workflowAccess"),
    )?;
    Ok(outputs(&[(
        "remoteUrl",
        created
            .get("clone_url")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    )]))
}

/// `github:repo:push`: push the workspace to an existing (empty) repository and protect it.
pub fn push(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    let i = Input(input);
    let url = RepoUrl::parse(i.required("repoUrl")?)?;
    let branch = i.nonempty("defaultBranch").unwrap_or("main").to_string();
    let message = i
        .nonempty("gitCommitMessage")
        .unwrap_or("initial commit")
        .to_string();
    let source = source_dir(ctx, i.str("sourcePath"))?;
    if ctx.services.local {
        let path = ctx
            .services
            .forge()
            .existing(&url.host, &url.owner, &url.repo)?;
        let was_empty = forge::is_empty(&path);
        let remote = forge::url(&path);
        ctx.services
            .stamp(ctx.workspace, &source)
            .map_err(ActionError::new)?;
        let hash = ctx
            .services
            .git()
            .push_new(&source, &remote, &branch, &message, &author(&i), None)
            .map_err(|e| push_error(&url, &e))?;
        if was_empty {
            forge::set_default_branch(&path, &branch);
        }
        ctx.note_created(format!(
            "branch {branch} of the local-forge repository {}",
            url.full_name()
        ));
        ctx.info(format!("pushed {hash} to {remote} ({branch})"));
        let contents_url = forge::contents_url(&path, &branch);
        ctx.note_published(Published {
            name: url.full_name(),
            remote_url: remote.clone(),
            repo_contents_url: contents_url.clone(),
            branch: branch.clone(),
            source_dir: source.clone(),
            token: None,
            git_user: None,
            integration: None,
        });
        return Ok(outputs(&[
            ("remoteUrl", remote),
            ("repoContentsUrl", contents_url),
            ("commitHash", hash),
        ]));
    }
    let gh = ctx.services.github(&url, i.nonempty("token"))?;
    let repo = call(
        &gh,
        &url.host,
        Method::Get,
        &format!("/repos/{}/{}", seg(&url.owner), seg(&url.repo)),
        None,
        &format!("cannot find the repository {}", url.full_name()),
    )?;
    let clone_url = repo
        .get("clone_url")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let html_url = repo
        .get("html_url")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let hash = push_and_protect(
        ctx, &i, &gh, &url, &clone_url, &html_url, &source, &branch, &message,
    )?;
    Ok(outputs(&[
        ("remoteUrl", clone_url),
        ("repoContentsUrl", format!("{html_url}/blob/{branch}")),
        ("commitHash", hash),
    ]))
}

fn outputs(pairs: &[(&str, String)]) -> Outputs {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
        .collect()
}

/// The git failures after which Backstage pushes through the API instead (`ECONNRESET`,
/// `ECONNREFUSED`).
fn is_connection_error(e: &str) -> bool {
    let e = e.to_ascii_lowercase();
    e.contains("connection refused") || e.contains("connection reset")
}

fn push_error(url: &RepoUrl, e: &str) -> ActionError {
    ActionError::new(format!("cannot push to {}: {e}", url.full_name()))
}

/// Keeps the settings GitHub would apply as `REPO.git/golden/settings.json` in the local forge
/// (everything but the token and secret values).
fn record_settings(path: &std::path::Path, i: &Input<'_>) -> Result<(), ActionError> {
    let mut settings = i.0.clone();
    settings.remove("token");
    if let Some(Value::Object(s)) = settings.get_mut("secrets") {
        for v in s.values_mut() {
            *v = json!("***");
        }
    }
    forge::record(path, "settings", Value::Object(settings))?;
    Ok(())
}

/// `createGithubRepoWithCollaboratorsAndTopics`: returns GitHub's repository object.
fn create_on_github(
    ctx: &mut ActionContext<'_>,
    i: &Input<'_>,
    gh: &GithubConnection,
    url: &RepoUrl,
    auto_init: Option<bool>,
    workflow_access: Option<&str>,
) -> Result<Value, ActionError> {
    let host = url.host.as_str();
    let (owner, repo) = (url.owner.as_str(), url.repo.as_str());
    let repo_path = format!("/repos/{}/{}", seg(owner), seg(repo));
    let user = call(
        gh,
        host,
        Method::Get,
        &format!("/users/{}", seg(owner)),
        None,
        &format!("cannot look up the owner `{owner}`"),
    )?;
    let kind = user
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("User")
        .to_string();
    let access = i.nonempty("access");
    let team_access = access.and_then(|a| a.strip_prefix(&format!("{owner}/")));
    if let Some(team) = team_access {
        let team = team.split('/').next().unwrap_or(team);
        if let Err(e) = gh.api.call(
            Method::Get,
            &format!("/orgs/{}/teams/{}", seg(owner), seg(team)),
            None,
        ) {
            if e.is_not_found() {
                return Err(ActionError::new(format!(
                    "Received 'Not Found' from the API; one of org: {owner} or team: {team} was not found within GitHub."
                ))
                .with_hint("check the `access` input: it names a team as `ORG/TEAM-SLUG`"));
            }
        }
    }
    let visibility = i.nonempty("repoVisibility").unwrap_or("private");
    let mut body = Map::new();
    body.insert(
        "allow_auto_merge".into(),
        json!(i.bool("allowAutoMerge", false)),
    );
    body.insert(
        "allow_merge_commit".into(),
        json!(i.bool("allowMergeCommit", true)),
    );
    body.insert(
        "allow_rebase_merge".into(),
        json!(i.bool("allowRebaseMerge", true)),
    );
    body.insert(
        "allow_squash_merge".into(),
        json!(i.bool("allowSquashMerge", true)),
    );
    body.insert(
        "allow_update_branch".into(),
        json!(i.bool("allowUpdateBranch", false)),
    );
    if let Some(a) = auto_init {
        body.insert("auto_init".into(), json!(a));
    }
    body.insert(
        "delete_branch_on_merge".into(),
        json!(i.bool("deleteBranchOnMerge", false)),
    );
    if let Some(d) = i.str("description") {
        body.insert("description".into(), json!(d));
    }
    for (key, input) in [
        ("has_issues", "hasIssues"),
        ("has_projects", "hasProjects"),
        ("has_wiki", "hasWiki"),
    ] {
        if let Some(b) = i.opt_bool(input) {
            body.insert(key.into(), json!(b));
        }
    }
    if let Some(h) = i.str("homepage") {
        body.insert("homepage".into(), json!(h));
    }
    body.insert("name".into(), json!(repo));
    body.insert("private".into(), json!(visibility == "private"));
    body.insert(
        "squash_merge_commit_message".into(),
        json!(i
            .nonempty("squashMergeCommitMessage")
            .unwrap_or("COMMIT_MESSAGES")),
    );
    body.insert(
        "squash_merge_commit_title".into(),
        json!(i
            .nonempty("squashMergeCommitTitle")
            .unwrap_or("COMMIT_OR_PR_TITLE")),
    );
    let create_path = if kind == "Organization" {
        if let Some(cp) = i.value("customProperties") {
            body.insert("custom_properties".into(), cp.clone());
        }
        body.insert("visibility".into(), json!(visibility));
        format!("/orgs/{}/repos", seg(owner))
    } else {
        "/user/repos".to_string()
    };
    let created = match gh
        .api
        .call(Method::Post, &create_path, Some(&Value::Object(body)))
    {
        Ok(v) => v,
        Err(e) => {
            let exists = e.status == Some(422) && e.text().contains("already exists");
            let what = format!("Failed to create the {kind} repository {owner}/{repo}");
            if exists {
                return Err(ActionError::new(format!("{what}: the repository {owner}/{repo} already exists on {host} (GitHub: {}); golden never overwrites a repository", e.text()))
                    .with_hint(format!("choose another repository name, or delete https://{host}/{owner}/{repo} if it is a leftover of an earlier run")));
            }
            let mut err = e.explain(&what, host);
            if e.message == "Resource not accessible by integration" {
                err = err.with_hint(format!("the GitHub app or token may not have the permissions to create the {kind} repository {owner}/{repo}"));
            }
            return Err(err.into());
        }
    };
    let html = created
        .get("html_url")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if let Some(login) = created
        .pointer("/owner/login")
        .and_then(Value::as_str)
        .filter(|l| !l.eq_ignore_ascii_case(owner))
    {
        warn(ctx, format!("GitHub created the repository for the token's user {login}, not for {owner} (POST /user/repos always does, as in Backstage)"));
    }
    ctx.note_created(format!("the GitHub repository {owner}/{repo} ({html})"));
    ctx.info(format!("created the {kind} repository {owner}/{repo}"));

    if let Some(team) = team_access {
        let team = team.split('/').next().unwrap_or(team);
        call(
            gh,
            host,
            Method::Put,
            &format!(
                "/orgs/{}/teams/{}/repos/{}/{}",
                seg(owner),
                seg(team),
                seg(owner),
                seg(repo)
            ),
            Some(&json!({"permission": "admin"})),
            &format!("cannot give team {team} admin access"),
        )?;
    } else if let Some(user) = access.filter(|a| *a != owner) {
        call(
            gh,
            host,
            Method::Put,
            &format!("{repo_path}/collaborators/{}", seg(user)),
            Some(&json!({"permission": "admin"})),
            &format!("cannot give {user} admin access"),
        )?;
    }
    for c in i
        .value("collaborators")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let permission = c.get("access").and_then(Value::as_str).unwrap_or_default();
        let result = if let Some(user) = c.get("user").and_then(Value::as_str) {
            let user = entity_ref_to_name(user);
            Some((
                user.to_string(),
                gh.api.call(
                    Method::Put,
                    &format!("{repo_path}/collaborators/{}", seg(user)),
                    Some(&json!({"permission": permission})),
                ),
            ))
        } else if let Some(team) = c.get("team").and_then(Value::as_str) {
            let team = entity_ref_to_name(team);
            let p = format!(
                "/orgs/{}/teams/{}/repos/{}/{}",
                seg(owner),
                seg(team),
                seg(owner),
                seg(repo)
            );
            Some((
                team.to_string(),
                gh.api
                    .call(Method::Put, &p, Some(&json!({"permission": permission}))),
            ))
        } else {
            None
        };
        if let Some((name, Err(e))) = result {
            warn(
                ctx,
                format!("Skipping {permission} access for {name}, {}", e.text()),
            );
        }
    }
    if let Some(topics) = i.strings("topics") {
        let names: Vec<String> = topics.iter().map(|t| t.to_lowercase()).collect();
        if let Err(e) = gh.api.call(
            Method::Put,
            &format!("{repo_path}/topics"),
            Some(&json!({"names": names})),
        ) {
            warn(
                ctx,
                format!("Skipping topics {}, {}", topics.join(" "), e.text()),
            );
        }
    }
    if let Some(vars) = i.value("repoVariables").and_then(Value::as_object) {
        for (name, value) in vars {
            call(
                gh,
                host,
                Method::Post,
                &format!("{repo_path}/actions/variables"),
                Some(&json!({"name": name, "value": value})),
                &format!("cannot set the Actions variable {name}"),
            )?;
        }
    }
    if let Some(secrets) = i.value("secrets").and_then(Value::as_object) {
        let key = call(
            gh,
            host,
            Method::Get,
            &format!("{repo_path}/actions/secrets/public-key"),
            None,
            "cannot read the repository's public key for Actions secrets",
        )?;
        let key_id = key.get("key_id").cloned().unwrap_or(Value::Null);
        let public_key = key.get("key").and_then(Value::as_str).unwrap_or_default();
        for (name, value) in secrets {
            let plain = value
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| value.to_string());
            let sealed = crate::github::seal::seal(public_key, &plain).map_err(|e| {
                ActionError::new(format!("cannot encrypt the Actions secret {name}: {e}"))
            })?;
            let body = json!({"encrypted_value": sealed, "key_id": key_id});
            call(
                gh,
                host,
                Method::Put,
                &format!("{repo_path}/actions/secrets/{}", seg(name)),
                Some(&body),
                &format!("cannot set the Actions secret {name}"),
            )?;
        }
    }
    if let Some(oidc) = i.value("oidcCustomization") {
        let mut b = Map::new();
        if let Some(u) = oidc.get("useDefault") {
            b.insert("use_default".into(), u.clone());
        }
        if let Some(k) = oidc.get("includeClaimKeys") {
            b.insert("include_claim_keys".into(), k.clone());
        }
        call(
            gh,
            host,
            Method::Put,
            &format!("{repo_path}/actions/oidc/customization/sub"),
            Some(&Value::Object(b)),
            "cannot set the OIDC subject customization",
        )?;
    }
    if i.bool("subscribe", false) {
        call(
            gh,
            host,
            Method::Put,
            &format!("{repo_path}/subscription"),
            Some(&json!({"subscribed": true, "ignored": false})),
            "cannot watch the repository",
        )?;
    }
    if let Some(level) = workflow_access {
        call(
            gh,
            host,
            Method::Put,
            &format!("{repo_path}/actions/permissions/access"),
            Some(&json!({"access_level": level})),
            "cannot set the workflow access level",
        )?;
    }
    Ok(created)
}

/// `initRepoPushAndProtect`: one commit pushed with the token, then branch protection (whose
/// failures only warn, as in Backstage).
#[allow(clippy::too_many_arguments)]
fn push_and_protect(
    ctx: &mut ActionContext<'_>,
    i: &Input<'_>,
    gh: &GithubConnection,
    url: &RepoUrl,
    clone_url: &str,
    html_url: &str,
    source: &std::path::Path,
    branch: &str,
    message: &str,
) -> Result<String, ActionError> {
    ctx.services
        .stamp(ctx.workspace, source)
        .map_err(ActionError::new)?;
    let hash = match ctx.services.git().push_new(
        source,
        clone_url,
        branch,
        message,
        &author(i),
        Some(&gh.token),
    ) {
        Ok(h) => h,
        Err(e) if is_connection_error(&e) => {
            warn(ctx, format!("Git push failed ({e}), retrying via GitHub API. This can happen when a network proxy blocks the binary payload in the git smart HTTP protocol."));
            super::api_push::push(ctx, gh, url, source, branch, message)?
        }
        Err(e) => {
            let mut err = push_error(url, &e);
            if e.contains("refused the token") || e.contains("401") || e.contains("403") {
                err = err.with_hint("the token was refused for git: it needs the `repo` scope (classic) or Contents write access (fine-grained)");
            }
            return Err(err);
        }
    };
    ctx.info(format!("pushed {hash} to {clone_url} ({branch})"));
    ctx.note_published(Published {
        name: url.full_name(),
        remote_url: clone_url.to_string(),
        repo_contents_url: format!("{html_url}/blob/{branch}"),
        branch: branch.to_string(),
        source_dir: source.to_path_buf(),
        token: Some(gh.token.clone()),
        git_user: None,
        integration: Some(("github", url.host.clone())),
    });
    if !i.bool("protectDefaultBranch", true) {
        return Ok(hash);
    }
    let mut reviews = Map::new();
    reviews.insert(
        "required_approving_review_count".into(),
        i.value("requiredApprovingReviewCount")
            .cloned()
            .unwrap_or(json!(1)),
    );
    reviews.insert(
        "require_code_owner_reviews".into(),
        json!(i.bool("requireCodeOwnerReviews", false)),
    );
    if let Some(b) = i.value("bypassPullRequestAllowances") {
        reviews.insert("bypass_pull_request_allowances".into(), b.clone());
    }
    reviews.insert(
        "dismiss_stale_reviews".into(),
        json!(i.bool("dismissStaleReviews", false)),
    );
    reviews.insert(
        "require_last_push_approval".into(),
        json!(i.bool("requireLastPushApproval", false)),
    );
    let body = json!({
        "required_status_checks": {
            "strict": i.bool("requireBranchesToBeUpToDate", true),
            "contexts": i.value("requiredStatusCheckContexts").cloned().unwrap_or(json!([])),
        },
        "restrictions": i.value("restrictions").cloned().unwrap_or(Value::Null),
        "enforce_admins": i.bool("protectEnforceAdmins", true),
        "required_pull_request_reviews": reviews,
        "required_conversation_resolution": i.bool("requiredConversationResolution", false),
        "required_linear_history": i.bool("requiredLinearHistory", false),
        "block_creations": false,
    });
    let path = format!(
        "/repos/{}/{}/branches/{}/protection",
        seg(&url.owner),
        seg(&url.repo),
        seg(branch)
    );
    let signing = i.bool("requiredCommitSigning", false);
    let try_once = || -> Result<(), crate::github::ApiError> {
        gh.api.call(Method::Put, &path, Some(&body))?;
        if signing {
            gh.api
                .call(Method::Post, &format!("{path}/required_signatures"), None)?;
        }
        Ok(())
    };
    let mut result = try_once();
    if matches!(&result, Err(e) if e.text().contains("Branch not found")) {
        std::thread::sleep(std::time::Duration::from_millis(600));
        result = try_once();
    }
    match result {
        Ok(()) => ctx.info(format!("protected branch {branch}")),
        Err(e) if e.text().contains("Upgrade to GitHub Pro or make this repository public to enable this feature") => {
            warn(ctx, "Branch protection was not enabled as it requires GitHub Pro for private repositories")
        }
        Err(e) => warn(ctx, format!("Skipping: default branch protection on '{}', {}", url.repo, e.text())),
    }
    Ok(hash)
}

/// Creates the local-forge repository for `url` (never over an existing one) with the requested
/// settings recorded and `fill` run on it aside, moves it into place, and remembers it for
/// failure reports.
fn create_in_forge<T>(
    ctx: &mut ActionContext<'_>,
    i: &Input<'_>,
    url: &RepoUrl,
    branch: &str,
    fill: impl FnOnce(&std::path::Path) -> Result<T, ActionError>,
) -> Result<(std::path::PathBuf, T), ActionError> {
    let final_path = ctx
        .services
        .forge()
        .repo_path(&url.host, &url.owner, &url.repo)?;
    let (path, value) =
        ctx.services
            .forge()
            .create_with(&url.host, &url.owner, &url.repo, branch, |aside| {
                record_settings(aside, i)?;
                fill(aside)
            })?;
    ctx.info(format!(
        "local forge: repository settings recorded in `{}`",
        final_path.join("golden/settings.json").display()
    ));
    ctx.note_created(format!(
        "the local-forge repository {} (`{}`)",
        url.full_name(),
        path.display()
    ));
    Ok((path, value))
}
