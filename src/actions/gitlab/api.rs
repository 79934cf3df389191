//! The GitLab actions that call the API without publishing a repository: `gitlab:repo:push`,
//! `gitlab:group:ensureExists`, `gitlab:projectVariable:create`,
//! `gitlab:projectAccessToken:create`, `gitlab:projectDeployToken:create`,
//! `gitlab:pipeline:trigger`, `gitlab:issues:create`, `gitlab:issue:edit`, `gitlab:user:info` —
//! each making the calls module-gitlab 0.12.0 makes, in its order, with its bodies.
//!
//! With `--local`, `gitlab:repo:push` pushes into the local forge and `gitlab:group:ensureExists`
//! answers with a stable id (forge groups are folders); the others need a GitLab server and say
//! so. In a dry run they output what Backstage's dry run outputs (example values from the output
//! schema; `groupId` 42).

use serde_json::{json, Map, Value};

use crate::backstage::repo_url::{RepoUrl, RepoUrlError};
use crate::runner::{ActionContext, ActionError, Outputs};
use crate::scm::gitlab::{enc, Gitlab};
use crate::scm::Input;

pub const IDS: &[&str] = &[
    "gitlab:repo:push",
    "gitlab:group:ensureExists",
    "gitlab:projectVariable:create",
    "gitlab:projectAccessToken:create",
    "gitlab:projectDeployToken:create",
    "gitlab:pipeline:trigger",
    "gitlab:issues:create",
    "gitlab:issue:edit",
    "gitlab:user:info",
];

/// Runs API action `id`.
pub fn run(
    id: &str,
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    if ctx.dry_run {
        return Ok(dry_run(id, ctx));
    }
    let host = host_of(ctx, input)?;
    if ctx.services.local {
        return local(id, ctx, input, &host);
    }
    let gl = Gitlab::connect(
        &ctx.services.config,
        &host,
        Input(input).nonempty("token"),
        ctx.services.token_of("gitlab", &host),
    )?;
    match id {
        "gitlab:repo:push" => repo_push(ctx, input, &gl),
        "gitlab:group:ensureExists" => group_ensure_exists(ctx, input, &gl),
        "gitlab:projectVariable:create" => project_variable(input, &gl),
        "gitlab:projectAccessToken:create" => access_token(ctx, input, &gl),
        "gitlab:projectDeployToken:create" => deploy_token(input, &gl),
        "gitlab:pipeline:trigger" => pipeline_trigger(ctx, input, &gl),
        "gitlab:issues:create" => issue_create(ctx, input, &gl),
        "gitlab:issue:edit" => issue_edit(ctx, input, &gl),
        "gitlab:user:info" => user_info(input, &gl),
        other => Err(ActionError::new(format!(
            "`{other}` is not a GitLab action"
        ))),
    }
}

/// The host of `repoUrl` (module-gitlab's own `parseRepoUrl`: only the host matters here).
fn host_of(ctx: &ActionContext<'_>, input: &Map<String, Value>) -> Result<String, ActionError> {
    let repo_url = Input(input)
        .nonempty("repoUrl")
        .ok_or_else(|| ActionError::new("the input `repoUrl` is required"))?;
    served_host(&ctx.services.config, repo_url)
}

/// The host of `repo_url`, which an integration of `config` must serve.
fn served_host(config: &crate::config::Config, repo_url: &str) -> Result<String, ActionError> {
    let host = RepoUrl::parse(repo_url)
        .map_err(|e| ActionError::new(e.to_string()))?
        .host;
    if crate::scm::kind_of(config, &host).is_none() {
        let e = RepoUrlError::UnknownHost { host: host.clone() };
        return Err(ActionError::new(e.to_string()).with_hint(format!(
            "add `{host}` under `integrations.gitlab` in golden's config file"
        )));
    }
    Ok(host)
}

/// A project id input (a number or a path) as it goes into a URL.
fn project_of(input: &Map<String, Value>, key: &str) -> Result<String, ActionError> {
    match input.get(key) {
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::String(s)) if !s.is_empty() => Ok(enc(s)),
        _ => Err(ActionError::new(format!("the input `{key}` is required"))),
    }
}

/// `generateExampleOutput` of Backstage's dry run for actions that do not run in one.
fn example(schema: &Value) -> Value {
    if let Some(e) = schema
        .get("examples")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        return e.clone();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => Value::Object(
            schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.iter().map(|(k, v)| (k.clone(), example(v))).collect())
                .unwrap_or_default(),
        ),
        Some("array") => match schema.get("items") {
            Some(i) if !i.is_null() => json!([example(i)]),
            _ => json!([]),
        },
        Some("string") => json!("<example>"),
        Some("number") | Some("integer") => json!(0),
        Some("boolean") => json!(false),
        _ => json!("<unknown>"),
    }
}

fn dry_run(id: &str, ctx: &mut ActionContext<'_>) -> Outputs {
    if id == "gitlab:group:ensureExists" {
        ctx.info("dry run: gitlab:group:ensureExists was not run");
        return Map::from_iter([("groupId".to_string(), json!(42))]);
    }
    ctx.info(format!(
        "dry run: {id} was not run; its outputs are Backstage's example values"
    ));
    let schema = super::SCHEMAS.schema(id, "output").unwrap_or(&Value::Null);
    match example(schema) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn local(
    id: &str,
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
    host: &str,
) -> Result<Outputs, ActionError> {
    match id {
        "gitlab:repo:push" => {
            let r = crate::actions::predict::parse_repo_url(
                ctx.services,
                Input(input).nonempty("repoUrl").unwrap_or_default(),
            )?;
            let (owner, repo) = (r.owner.unwrap_or_default(), r.repo.unwrap_or_default());
            let path = ctx.services.forge().existing(host, &owner, &repo)?;
            let branch = branch_name(input)?;
            let source = source_root(ctx, input)?;
            let author = crate::git::Author {
                name: "Scaffolder".into(),
                email: "scaffolder@backstage.io".into(),
            };
            let remote = crate::forge::url(&path);
            let existing = git2::Repository::open_bare(&path)
                .ok()
                .is_some_and(|r| r.find_branch(branch, git2::BranchType::Local).is_ok());
            let res = ctx
                .services
                .git()
                .push_branch(
                    &remote,
                    None,
                    &crate::git::BranchCommit {
                        base: existing.then_some(branch),
                        branch,
                        source: &source,
                        target_path: Input(input).nonempty("targetPath").unwrap_or(""),
                        delete: &[],
                        message: Input(input).nonempty("commitMessage").unwrap_or(""),
                        author: &author,
                        force: false,
                    },
                )
                .map_err(|e| ActionError::new(format!("cannot push to {remote}: {e}")))?;
            let project = format!("{owner}/{repo}");
            let mut out = Map::new();
            out.insert("projectid".into(), json!(project));
            out.insert("projectPath".into(), json!(project));
            if let Some(c) = res.commit {
                out.insert("commitHash".into(), json!(c));
            }
            Ok(out)
        }
        "gitlab:group:ensureExists" => {
            let path = group_path(input)?.join("/");
            ctx.info(format!(
                "local forge: groups are folders; {path} is created with the first repository published into it"
            ));
            let h = crate::actions::predict::placeholder_commit_hash(&format!("{host}/{path}"));
            Ok(Map::from_iter([(
                "groupId".to_string(),
                json!(u64::from_str_radix(&h[..6], 16).unwrap_or(1) + 1),
            )]))
        }
        other => Err(ActionError::new(format!(
            "`{other}` needs a GitLab server; the local forge (--local) has no {}",
            match other {
                "gitlab:pipeline:trigger" => "pipelines",
                "gitlab:issues:create" | "gitlab:issue:edit" => "issues",
                "gitlab:user:info" => "users",
                _ => "tokens or CI variables",
            }
        ))
        .with_hint(format!(
            "run without --local against {host}, or guard the step with an `if` that is false in local runs"
        ))),
    }
}

/// `gitlab:repo:push`: the workspace's files as one API commit on a branch (created from the
/// default branch when missing).
fn repo_push(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
    gl: &Gitlab,
) -> Result<Outputs, ActionError> {
    let r = crate::actions::predict::parse_repo_url(
        ctx.services,
        Input(input).nonempty("repoUrl").unwrap_or_default(),
    )?;
    let project = r.project.clone().unwrap_or_else(|| {
        format!(
            "{}/{}",
            r.owner.clone().unwrap_or_default(),
            r.repo.clone().unwrap_or_default()
        )
    });
    let branch = branch_name(input)?;
    let root = source_root(ctx, input)?;
    let files = crate::git::worktree_files(&root)
        .map_err(|e| ActionError::new(format!("cannot read `{}`: {e}", root.display())))?;
    let commit_action = Input(input).nonempty("commitAction").unwrap_or("auto");
    let actions = crate::actions::scm_target::with_notes(ctx, |notes| {
        Ok(crate::scm::gitlab::commit_actions(
            notes,
            gl.client(),
            &project,
            branch,
            &files,
            Input(input).nonempty("targetPath"),
            commit_action,
        ))
    })?;
    ensure_branch(ctx, gl, &project, branch)?;
    let mut out = Map::new();
    out.insert("projectid".into(), json!(project));
    out.insert("projectPath".into(), json!(project));
    let allow_empty = input.get("allowEmpty").and_then(Value::as_bool);
    if actions.is_empty() && allow_empty != Some(true) {
        crate::actions::github::warn(ctx, format!("No file changes to commit to {project} on branch '{branch}'; skipping commit. Set 'allowEmpty: true' to create an empty commit."));
        return Ok(out);
    }
    let mut body = Map::new();
    body.insert("branch".into(), json!(branch));
    if let Some(m) = input.get("commitMessage").filter(|m| !m.is_null()) {
        body.insert("commit_message".into(), m.clone());
    }
    body.insert("actions".into(), json!(actions));
    if let Some(a) = allow_empty {
        body.insert("allow_empty".into(), json!(a));
    }
    let commit = gl
        .client()
        .post(&format!("/projects/{}/repository/commits", enc(&project)), &Value::Object(body))
        .map_err(|e| {
            ActionError::new(if commit_action != "create" {
                format!("Committing the changes to {branch} failed. Please verify that all files you're trying to modify exist in the repository. {}", e.message)
            } else {
                format!("Committing the changes to {branch} failed. Please check that none of the files created by the template already exists. {}", e.message)
            })
        })?;
    out.insert("commitHash".into(), commit["id"].clone());
    Ok(out)
}

/// The required `branchName` input.
fn branch_name(input: &Map<String, Value>) -> Result<&str, ActionError> {
    Input(input)
        .nonempty("branchName")
        .ok_or_else(|| ActionError::new("the input `branchName` is required"))
}

/// The folder `sourcePath` names in the workspace (the workspace itself without one).
fn source_root(
    ctx: &ActionContext<'_>,
    input: &Map<String, Value>,
) -> Result<std::path::PathBuf, ActionError> {
    Ok(match Input(input).nonempty("sourcePath") {
        Some(p) => crate::workspace::safe_join(ctx.workspace, p)?,
        None => ctx.workspace.to_path_buf(),
    })
}

/// Creates `branch` of `project` from the default branch unless it exists.
fn ensure_branch(
    ctx: &mut ActionContext<'_>,
    gl: &Gitlab,
    project: &str,
    branch: &str,
) -> Result<(), ActionError> {
    let p = enc(project);
    match gl
        .client()
        .get(&format!("/projects/{p}/repository/branches/{}", enc(branch)))
    {
        Ok(_) => return Ok(()),
        Err(e) if e.is_not_found() => {}
        Err(e) => return Err(ActionError::new(format!("Failed to check status of branch '{branch}'. Please make sure that branch already exists or Backstage has permissions to create one. {}", e.message))),
    }
    let created = gl.client().get(&format!("/projects/{p}")).and_then(|info| {
        let default = info["default_branch"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        gl.client().post(
            &format!("/projects/{p}/repository/branches"),
            &json!({"branch": branch, "ref": default}),
        )
    });
    if let Err(e) = created {
        return Err(ActionError::new(format!("The branch '{branch}' was not found and creation failed with error. Please make sure that branch already exists or Backstage has permissions to create one. {}", e.message)));
    }
    ctx.note_created(format!("branch {branch} of the GitLab project {project}"));
    Ok(())
}

/// The `path` input of `gitlab:group:ensureExists`: strings split on `/`, or `{name, slug}`
/// objects.
fn group_path(input: &Map<String, Value>) -> Result<Vec<String>, ActionError> {
    Ok(group_parts(input)?
        .into_iter()
        .map(|(_, slug)| slug)
        .collect())
}

fn group_parts(input: &Map<String, Value>) -> Result<Vec<(String, String)>, ActionError> {
    let items = input
        .get("path")
        .and_then(Value::as_array)
        .ok_or_else(|| ActionError::new("the input `path` is required"))?;
    let mut parts = Vec::new();
    for item in items {
        match item {
            Value::String(s) => {
                for p in s.split('/') {
                    parts.push((p.to_string(), p.to_string()));
                }
            }
            Value::Object(o) => parts.push((
                o.get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                o.get("slug")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            )),
            _ => {}
        }
    }
    Ok(parts)
}

fn group_ensure_exists(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
    gl: &Gitlab,
) -> Result<Outputs, ActionError> {
    let parts = group_parts(input)?;
    let last = parts.len().saturating_sub(1);
    let mut current: Option<String> = None;
    let mut parent: Option<Value> = None;
    for (i, (name, slug)) in parts.iter().enumerate() {
        let full = match &current {
            Some(c) => format!("{c}/{slug}"),
            None => slug.clone(),
        };
        match gl.client().get(&format!("/groups/{}", enc(&full))) {
            Ok(g) => parent = Some(g["id"].clone()),
            Err(e) if e.is_not_found() => {
                ctx.info(format!("creating missing group {full}"));
                let mut body = Map::new();
                body.insert("name".into(), json!(name));
                body.insert("path".into(), json!(slug));
                if let Some(p) = parent.clone().filter(|p| !p.is_null()) {
                    body.insert("parent_id".into(), p);
                }
                if let Some(d) = Input(input).nonempty("description").filter(|_| i == last) {
                    body.insert("description".into(), json!(d));
                }
                let g = gl
                    .client()
                    .post("/groups", &Value::Object(body))
                    .map_err(|e| {
                        e.explain(&format!("cannot create the group {full}"), gl.host())
                    })?;
                ctx.note_created(format!("the GitLab group {full}"));
                parent = Some(g["id"].clone());
            }
            Err(e) => {
                return Err(e
                    .explain(&format!("cannot look up the group {full}"), gl.host())
                    .into())
            }
        }
        current = Some(full);
    }
    let mut out = Map::new();
    if let Some(p) = parent {
        out.insert("groupId".into(), p);
    }
    Ok(out)
}

fn project_variable(input: &Map<String, Value>, gl: &Gitlab) -> Result<Outputs, ActionError> {
    let p = project_of(input, "projectId")?;
    let flag = |k: &str| input.get(k).and_then(Value::as_bool).unwrap_or(false);
    let mut body = Map::new();
    body.insert(
        "key".into(),
        input.get("key").cloned().unwrap_or(Value::Null),
    );
    body.insert(
        "value".into(),
        input.get("value").cloned().unwrap_or(Value::Null),
    );
    if let Some(t) = input.get("variableType") {
        body.insert("variable_type".into(), t.clone());
    }
    body.insert("protected".into(), json!(flag("variableProtected")));
    body.insert("masked".into(), json!(flag("masked")));
    body.insert("masked_and_hidden".into(), json!(flag("maskedAndHidden")));
    body.insert("raw".into(), json!(flag("raw")));
    body.insert(
        "environment_scope".into(),
        json!(Input(input).nonempty("environmentScope").unwrap_or("*")),
    );
    let key = Input(input).nonempty("key").unwrap_or_default();
    gl.client()
        .post(&format!("/projects/{p}/variables"), &Value::Object(body))
        .map_err(|e| {
            e.explain(
                &format!("cannot create the CI/CD variable {key}"),
                gl.host(),
            )
        })?;
    Ok(Map::new())
}

fn access_token(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
    gl: &Gitlab,
) -> Result<Outputs, ActionError> {
    let id = input.get("projectId").map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    ctx.info(format!(
        "Creating Token for Project \"{}\"",
        id.clone().unwrap_or_default()
    ));
    let p = project_of(input, "projectId")?;
    let expires = Input(input)
        .nonempty("expiresAt")
        .map(str::to_string)
        .unwrap_or_else(|| iso_date_in_days(365));
    let body = json!({
        "name": Input(input).nonempty("name").unwrap_or("tokenname"),
        "scopes": input.get("scopes").cloned().unwrap_or(json!(["read_repository"])),
        "expires_at": expires,
        "access_level": input.get("accessLevel").cloned().unwrap_or(json!(40)),
    });
    let res = gl
        .client()
        .post(&format!("/projects/{p}/access_tokens"), &body)
        .map_err(|e| e.explain("cannot create the project access token", gl.host()))?;
    let token = res["token"]
        .as_str()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ActionError::new("Could not create project access token"))?;
    Ok(Map::from_iter([("access_token".to_string(), json!(token))]))
}

fn deploy_token(input: &Map<String, Value>, gl: &Gitlab) -> Result<Outputs, ActionError> {
    let scopes = input.get("scopes").cloned().unwrap_or(json!([]));
    if scopes.as_array().is_none_or(|a| a.is_empty()) {
        return Err(ActionError::new(format!(
            "Could not create token for project \"{}\": scopes cannot be empty.",
            input
                .get("projectId")
                .map(|v| v
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string()))
                .unwrap_or_default()
        )));
    }
    let p = project_of(input, "projectId")?;
    let mut body = Map::new();
    body.insert(
        "name".into(),
        input.get("name").cloned().unwrap_or(Value::Null),
    );
    body.insert("scopes".into(), scopes);
    if let Some(u) = input.get("username") {
        body.insert("username".into(), u.clone());
    }
    let res = gl
        .client()
        .post(
            &format!("/projects/{p}/deploy_tokens"),
            &Value::Object(body),
        )
        .map_err(|e| e.explain("cannot create the deploy token", gl.host()))?;
    let Some(token) = res.get("token") else {
        return Err(ActionError::new(
            "No deploy_token given from gitlab instance",
        ));
    };
    let mut out = Map::new();
    out.insert("deploy_token".into(), token.clone());
    out.insert(
        "user".into(),
        res.get("username").cloned().unwrap_or(Value::Null),
    );
    Ok(out)
}

fn pipeline_trigger(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
    gl: &Gitlab,
) -> Result<Outputs, ActionError> {
    let p = project_of(input, "projectId")?;
    let trigger = gl
        .client()
        .post(
            &format!("/projects/{p}/triggers"),
            &json!({"description": input.get("tokenDescription").cloned().unwrap_or(Value::Null)}),
        )
        .map_err(|e| e.explain("cannot create a pipeline trigger token", gl.host()))?;
    let token = trigger["token"].as_str().unwrap_or_default();
    let branch = Input(input).nonempty("branch").unwrap_or_default();
    let fields: Vec<(String, String)> = input
        .get("variables")
        .and_then(Value::as_object)
        .map(|vars| {
            vars.iter()
                .map(|(k, v)| {
                    (
                        format!("variables[{k}]"),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let path = format!(
        "/projects/{p}/trigger/pipeline?token={}&ref={}",
        enc(token),
        enc(branch)
    );
    let result = if fields.is_empty() {
        gl.client().post(&path, &json!({}))
    } else {
        gl.client().post_form(&path, &fields)
    };
    // The trigger token is removed whatever happened, as Backstage does.
    let trigger_id = trigger["id"].to_string();
    if let Err(e) = gl.client().call(
        http::Method::DELETE,
        &format!("/projects/{p}/triggers/{trigger_id}"),
        Some(&json!({})),
    ) {
        crate::actions::github::warn(
            ctx,
            format!(
                "Failed to delete pipeline trigger token {trigger_id}: {}",
                e.message
            ),
        );
    }
    let pipeline = result.map_err(|e| e.explain("cannot trigger the pipeline", gl.host()))?;
    if pipeline["id"].is_null() {
        return Err(ActionError::new(format!(
            "Failed to trigger pipeline for project {}",
            input.get("projectId").cloned().unwrap_or(Value::Null)
        )));
    }
    Ok(Map::from_iter([(
        "pipelineUrl".to_string(),
        pipeline["web_url"].clone(),
    )]))
}

/// The `epicId` input when it is set (JavaScript truthiness: not null, not 0).
fn epic_of(input: &Map<String, Value>) -> Option<&Value> {
    input
        .get("epicId")
        .filter(|e| !e.is_null() && e.as_f64() != Some(0.0))
}

/// Whether `epic` (an epic's global id) may be linked to an issue of `project` (a URL-ready id
/// or path), as module-gitlab's `checkEpicScope` decides: the project's top-level group must
/// hold the epic (`GET /groups/TOP/epics`), and the project's path must lie under the epic's
/// group. Logs the verdict as Backstage does.
fn epic_in_scope(
    ctx: &mut ActionContext<'_>,
    gl: &Gitlab,
    project: &str,
    epic: &Value,
) -> Result<bool, String> {
    let scope = |m: String| format!("Could not find epic scope: {m}");
    let p = gl
        .client()
        .get(&format!("/projects/{project}"))
        .map_err(|e| scope(e.message))?;
    // Up to the top-level group (a bounded walk: group trees are at most 20 deep).
    let mut group = Value::Null;
    let mut id = p["namespace"]["id"].clone();
    for _ in 0..32 {
        group = gl
            .client()
            .get(&format!("/groups/{}", id_segment(&id)))
            .map_err(|e| {
                scope(format!(
                    "Error finding top-level parent group ID: {}",
                    e.message
                ))
            })?;
        match group.get("parent_id").filter(|p| !p.is_null()) {
            Some(parent) => id = parent.clone(),
            None => break,
        }
    }
    let epics = gl
        .client()
        .all(&format!("/groups/{}/epics", id_segment(&group["id"])))
        .map_err(|e| scope(e.message))?;
    let Some(found) = epics.iter().find(|e| e["id"] == *epic) else {
        return Err(scope(format!(
            "Epic with id {epic} not found in the top-level parent group {}.",
            group["name"].as_str().unwrap_or_default()
        )));
    };
    let epic_group = gl
        .client()
        .get(&format!("/groups/{}", id_segment(&found["group_id"])))
        .map_err(|e| scope(e.message))?;
    let scoped = p["path_with_namespace"]
        .as_str()
        .unwrap_or_default()
        .starts_with(epic_group["full_path"].as_str().unwrap_or_default());
    if scoped {
        ctx.info("Epic is within Project Scope");
    } else {
        crate::actions::github::warn(ctx, "Chosen epic is not within the Project Scope. The issue will be created without an associated epic.");
    }
    Ok(scoped)
}

/// A numeric or textual id as a URL path segment.
fn id_segment(id: &Value) -> String {
    match id {
        Value::String(s) => enc(s),
        other => other.to_string(),
    }
}

/// `gitlab:issues:create`.
fn issue_create(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
    gl: &Gitlab,
) -> Result<Outputs, ActionError> {
    let fail = |m: String| ActionError::new(format!("Failed to create GitLab issue: {m}"));
    let p = match input.get("projectId") {
        Some(v) if !v.is_null() => project_of(input, "projectId")?,
        _ => issue_project(ctx, input).map_err(fail)?,
    };
    let epic = linked_epic(ctx, gl, input, &p).map_err(fail)?;
    let created_at = iso_datetime(input.get("createdAt")).map_err(fail)?;
    let due = match input.get("dueDate").filter(|d| !d.is_null()) {
        Some(d) => Some(iso_datetime(Some(d)).map_err(fail)?),
        None => None,
    };
    let body = issue_body(input, epic, created_at, due);
    let issue = gl
        .client()
        .post(&format!("/projects/{p}/issues"), &body)
        .map_err(|e| fail(e.answered()))?;
    Ok(outputs_of(
        &issue,
        &[
            ("issueId", "id"),
            ("issueUrl", "web_url"),
            ("issueIid", "iid"),
        ],
    ))
}

/// The project of `gitlab:issues:create` without `projectId`: `repoUrl`'s `project`, or its
/// `owner/repo`, ready for a URL.
fn issue_project(ctx: &ActionContext<'_>, input: &Map<String, Value>) -> Result<String, String> {
    let r = crate::actions::predict::parse_repo_url(
        ctx.services,
        Input(input).nonempty("repoUrl").unwrap_or_default(),
    )
    .map_err(|e| e.message)?;
    match (r.project, r.owner, r.repo) {
        (Some(p), _, _) if !p.is_empty() => Ok(enc(&p)),
        (_, Some(o), Some(n)) if !o.is_empty() && !n.is_empty() => Ok(enc(&format!("{o}/{n}"))),
        _ => Err("Unable to determine the GitLab project. Provide `projectId` (numeric id or full project path), or a `repoUrl` with `owner` and `repo`, or a URL-encoded `project` (e.g. `project=group%2Fsub-group%2Fproject`).".into()),
    }
}

/// The `epicId` to link, when it is set and in the project's scope.
fn linked_epic(
    ctx: &mut ActionContext<'_>,
    gl: &Gitlab,
    input: &Map<String, Value>,
    project: &str,
) -> Result<Option<Value>, String> {
    Ok(match epic_of(input) {
        Some(e) => epic_in_scope(ctx, gl, project, e)?.then(|| e.clone()),
        None => None,
    })
}

/// The body of `POST /projects/:id/issues`, key for key as module-gitlab sends it.
fn issue_body(
    input: &Map<String, Value>,
    epic: Option<Value>,
    created_at: String,
    due: Option<String>,
) -> Value {
    let or = |k: &str, default: Value| input.get(k).cloned().unwrap_or(default);
    let mut body = Map::new();
    body.insert("description".into(), or("description", json!("")));
    body.insert("assignee_ids".into(), or("assignees", json!([])));
    body.insert("confidential".into(), or("confidential", json!(false)));
    if let Some(e) = epic {
        body.insert("epic_id".into(), e);
    }
    body.insert("labels".into(), or("labels", json!("")));
    body.insert("created_at".into(), json!(created_at));
    if let Some(d) = due {
        body.insert("due_date".into(), json!(d));
    }
    body.insert(
        "discussion_to_resolve".into(),
        or("discussionToResolve", json!("")),
    );
    for (k, key) in [
        ("issueType", "issue_type"),
        (
            "mergeRequestToResolveDiscussionsOf",
            "merge_request_to_resolve_discussions_of",
        ),
        ("milestoneId", "milestone_id"),
        ("weight", "weight"),
    ] {
        if let Some(v) = input.get(k).filter(|v| !v.is_null()) {
            body.insert(key.into(), v.clone());
        }
    }
    body.insert("title".into(), or("title", Value::Null));
    Value::Object(body)
}

/// `gitlab:issue:edit`.
fn issue_edit(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
    gl: &Gitlab,
) -> Result<Outputs, ActionError> {
    let fail = |m: String| ActionError::new(format!("Failed to edit/modify GitLab issue: {m}"));
    let p = project_of(input, "projectId").map_err(|e| fail(e.message))?;
    let epic = linked_epic(ctx, gl, input, &p).map_err(fail)?;
    let iid = input.get("issueIid").cloned().unwrap_or(Value::Null);
    let updated_at = iso_datetime(input.get("updatedAt")).map_err(fail)?;
    let body = edit_body(input, epic, updated_at);
    let r = gl
        .client()
        .call(
            http::Method::PUT,
            &format!("/projects/{p}/issues/{}", id_segment(&iid)),
            Some(&body),
        )
        .map_err(|e| fail(e.answered()))?;
    Ok(outputs_of(
        &r,
        &[
            ("issueId", "id"),
            ("projectId", "project_id"),
            ("issueUrl", "web_url"),
            ("issueIid", "iid"),
            ("title", "title"),
            ("state", "state"),
            ("updatedAt", "updated_at"),
        ],
    ))
}

/// The body of `PUT /projects/:id/issues/:iid`: the inputs that are set, key for key.
fn edit_body(input: &Map<String, Value>, epic: Option<Value>, updated_at: String) -> Value {
    let or = |k: &str, default: Value| Some(input.get(k).cloned().unwrap_or(default));
    let mut body = Map::new();
    let mut put = |key: &str, v: Option<Value>| {
        if let Some(v) = v.filter(|v| !v.is_null()) {
            body.insert(key.into(), v);
        }
    };
    put("add_labels", input.get("addLabels").cloned());
    put("assignee_ids", or("assignees", json!([])));
    put("confidential", or("confidential", json!(false)));
    put("description", input.get("description").cloned());
    put("discussion_locked", or("discussionLocked", json!(false)));
    put("due_date", input.get("dueDate").cloned());
    put("epic_id", epic);
    put("issue_type", input.get("issueType").cloned());
    put("labels", input.get("labels").cloned());
    put("milestone_id", input.get("milestoneId").cloned());
    put("remove_labels", input.get("removeLabels").cloned());
    put("state_event", input.get("stateEvent").cloned());
    put("title", input.get("title").cloned());
    put("updated_at", Some(json!(updated_at)));
    put("weight", input.get("weight").cloned());
    Value::Object(body)
}

/// The outputs `(name, key)` taken from GitLab's answer (`null` where it has no `key`).
fn outputs_of(answer: &Value, pairs: &[(&str, &str)]) -> Outputs {
    pairs
        .iter()
        .map(|(name, key)| {
            let v = answer.get(*key).cloned().unwrap_or(Value::Null);
            (name.to_string(), v)
        })
        .collect()
}

fn user_info(input: &Map<String, Value>, gl: &Gitlab) -> Result<Outputs, ActionError> {
    let path = match input.get("userId").filter(|v| !v.is_null()) {
        Some(id) => format!("/users/{}", id_segment(id)),
        None => "/user".to_string(),
    };
    let u = gl.client().get(&path).map_err(|e| {
        ActionError::new(format!(
            "Failed to retrieve GitLab user info: {}",
            e.answered()
        ))
    })?;
    let mut out = Map::new();
    for (k, src) in [
        ("id", "id"),
        ("username", "username"),
        ("name", "name"),
        ("state", "state"),
        ("webUrl", "web_url"),
    ] {
        if let Some(v) = u.get(src).filter(|v| !v.is_null()) {
            out.insert(k.into(), v.clone());
        }
    }
    for (k, src) in [
        ("email", "email"),
        ("createdAt", "created_at"),
        ("publicEmail", "public_email"),
    ] {
        if let Some(v) = u
            .get(src)
            .filter(|v| !v.is_null() && v.as_str() != Some(""))
        {
            out.insert(k.into(), v.clone());
        }
    }
    Ok(out)
}

/// Days since 1970-01-01 → (year, month, day) (Howard Hinnant's civil_from_days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn now() -> std::time::Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

/// Today plus `days`, as `YYYY-MM-DD` (UTC).
fn iso_date_in_days(days: i64) -> String {
    let (y, m, d) = civil(now().as_secs() as i64 / 86_400 + days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `new Date(input).toISOString()` for the forms templates use (`YYYY-MM-DD`,
/// `YYYY-MM-DDTHH:MM:SS[.sss]Z`); an empty or absent input is now.
fn iso_datetime(input: Option<&Value>) -> Result<String, String> {
    let text = match input {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    if text.is_empty() {
        let n = now();
        let secs = n.as_secs() as i64;
        let (y, m, d) = civil(secs / 86_400);
        let t = secs % 86_400;
        return Ok(format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
            t / 3600,
            t / 60 % 60,
            t % 60,
            n.subsec_millis()
        ));
    }
    let re = regex::Regex::new(
        r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?Z?)?$",
    )
    .expect("valid regex");
    let c = re.captures(&text).ok_or_else(|| {
        format!("Error converting input date - RangeError: Invalid time value ({text})")
    })?;
    let g = |i: usize, dflt: &str| {
        c.get(i)
            .map(|m| m.as_str().to_string())
            .unwrap_or(dflt.into())
    };
    let ms = format!("{:0<3}", g(7, "000"));
    Ok(format!(
        "{}-{}-{}T{}:{}:{}.{ms}Z",
        g(1, ""),
        g(2, ""),
        g(3, ""),
        g(4, "00"),
        g(5, "00"),
        g(6, "00")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_converted_like_javascript() {
        assert_eq!(
            iso_datetime(Some(&json!("2025-03-04T05:06:07.000Z"))).unwrap(),
            "2025-03-04T05:06:07.000Z"
        );
        assert_eq!(
            iso_datetime(Some(&json!("2025-03-04"))).unwrap(),
            "2025-03-04T00:00:00.000Z"
        );
        assert!(iso_datetime(Some(&json!("next week"))).is_err());
        assert_eq!(iso_datetime(None).unwrap().len(), 24);
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(19_723), (2024, 1, 1));
        assert_eq!(iso_date_in_days(0).len(), 10);
    }

    #[test]
    fn the_host_comes_from_parse_repo_url_and_needs_an_integration() {
        let mut config = crate::config::Config::default();
        config
            .integrations
            .gitlab
            .push(crate::config::GitlabIntegration {
                host: "git.corp:8443".into(),
                ..Default::default()
            });
        let host = |u: &str| served_host(&config, u);
        assert_eq!(host("gitlab.com?owner=a&repo=b").unwrap(), "gitlab.com");
        assert_eq!(host("git.corp:8443?project=1").unwrap(), "git.corp:8443");
        let e = host("example.com?owner=a&repo=b").unwrap_err();
        assert_eq!(
            e.message,
            "No matching integration configuration for host example.com, please check your integrations config"
        );
        assert_eq!(
            host("exa mple.com?repo=x").unwrap_err().message,
            "Invalid repo URL passed to publisher, got exa mple.com?repo=x, TypeError: Invalid URL (invalid international domain name)"
        );
    }

    #[test]
    fn dry_runs_give_backstages_example_outputs() {
        let schema = json!({"type": "object", "properties": {"pipelineUrl": {"type": "string"}, "n": {"type": "number"}}});
        assert_eq!(
            example(&schema),
            json!({"pipelineUrl": "<example>", "n": 0})
        );
    }

    #[test]
    fn group_paths_split_strings_and_keep_objects() {
        let i = json!({"path": ["a/b", {"name": "C Team", "slug": "c"}]});
        assert_eq!(
            group_parts(i.as_object().unwrap()).unwrap(),
            vec![
                ("a".to_string(), "a".to_string()),
                ("b".to_string(), "b".to_string()),
                ("C Team".to_string(), "c".to_string())
            ]
        );
    }
}
