//! GitLab (gitlab.com or self-managed) as a [`Target`]: its REST API v4 called the way
//! Backstage's `@backstage/plugin-scaffolder-backend-module-gitlab` 0.12.0 calls it through
//! gitbeaker (same calls, same order, same bodies — the publish tests compare them with the
//! module's own recorded calls), and git pushes as `oauth2` with the token as password.
//!
//! The client retries what is worth retrying (transport failures, 429, 5xx, and a 403 that
//! carries `Retry-After`), waiting as long as GitLab asks, within a time budget. Tokens never
//! appear in messages.

use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::{
    Change, ChangeRequest, Input, Kind, NewRepository, Notes, Push, RepoSpec, Repository, Result,
    ScmError, Target,
};
use crate::config::{Config, Secret};
use crate::http::RetryPolicy;

/// `encodeURIComponent`, as gitbeaker encodes ids and paths in URLs.
pub fn enc(s: &str) -> String {
    crate::github::seg(s)
}

/// How the token is sent: a configured token as `PRIVATE-TOKEN`, a step's `token` input (an
/// OAuth token in Backstage) as a bearer token.
#[derive(Clone)]
enum Auth {
    Private(Secret),
    Bearer(Secret),
}

impl Auth {
    fn secret(&self) -> &Secret {
        match self {
            Auth::Private(s) | Auth::Bearer(s) => s,
        }
    }
}

/// A failed REST call.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// `POST /projects`.
    pub call: String,
    pub status: Option<u16>,
    /// GitLab's `message` (or `error`), as text.
    pub message: String,
}

impl crate::http::Attempted for ApiError {
    fn message_mut(&mut self) -> &mut String {
        &mut self.message
    }
}

impl ApiError {
    pub fn is_not_found(&self) -> bool {
        self.status == Some(404)
    }

    /// `GitLab answered STATUS MESSAGE` (`0` without an answer), as the API-only actions say it.
    pub fn answered(&self) -> String {
        format!(
            "GitLab answered {} {}",
            self.status.unwrap_or(0),
            self.message
        )
    }

    /// gitbeaker's `{"code", "message"}` rendering used in Backstage's messages.
    pub fn printed(&self) -> String {
        json!({"message": self.message}).to_string()
    }

    /// An action error that says what failed, GitLab's words, and what to do.
    pub fn explain(&self, what: &str, host: &str) -> ScmError {
        let e = match self.status {
            Some(status) => ScmError::new(format!(
                "{what}: GitLab answered {status} {} to {}",
                self.message, self.call
            )),
            None => ScmError::new(format!("{what}: {} failed: {}", self.call, self.message)),
        };
        match self.status {
            Some(401) => e.with_hint(format!(
                "the token for {host} was refused: check that it is valid and not expired. golden reads it from the step's `token` input, the config file's integrations.gitlab[].token, GITLAB_TOKEN (gitlab.com), or the token `glab auth login --hostname {host}` stored"
            )),
            Some(403) => e.with_hint(
                "the token lacks a permission: it needs the `api` scope and at least the Maintainer role on the group (Owner to add members)",
            ),
            Some(404) => e.with_hint(
                "check the group and project spelling in repoUrl, and that the token can see them (GitLab answers 404 for things a token may not access)",
            ),
            None => e.with_hint(format!(
                "check the network connection to {host}, the config file's baseUrl/apiBaseUrl for it, and https_proxy/no_proxy if a proxy is needed"
            )),
            _ => e,
        }
    }
}

/// A request body: JSON, or multipart form fields (how gitbeaker sends pipeline variables).
#[derive(Clone, Copy)]
pub enum Body<'a> {
    Json(&'a Value),
    Form(&'a [(String, String)]),
}

/// A GitLab REST client for one API base URL and token.
pub struct Client {
    http: reqwest::blocking::Client,
    api: String,
    auth: Auth,
    policy: RetryPolicy,
}

fn transient(status: Option<u16>, retry_after: Option<Duration>) -> bool {
    match status {
        None => true,
        Some(s) if s >= 500 || s == 429 => true,
        Some(403) => retry_after.is_some(),
        _ => false,
    }
}

impl Client {
    fn new(api: &str, auth: Auth) -> Result<Client, ScmError> {
        let http = crate::http::blocking_client(Duration::from_secs(15)).map_err(ScmError::new)?;
        Ok(Client {
            http,
            api: api.trim_end_matches('/').to_string(),
            auth,
            policy: RetryPolicy::default(),
        })
    }

    /// One attempt: the JSON body (`null` for an empty one) and the `Link` header's next page.
    fn once(
        &self,
        method: &http::Method,
        url: &str,
        call: &str,
        body: Option<Body<'_>>,
    ) -> Result<(Value, Option<String>), (ApiError, Option<Duration>)> {
        let m =
            reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut req = self.http.request(m, url);
        req = match &self.auth {
            Auth::Private(t) => req.header("PRIVATE-TOKEN", &t.0),
            Auth::Bearer(t) => req.bearer_auth(&t.0),
        };
        match body {
            Some(Body::Json(b)) => req = req.json(b),
            Some(Body::Form(fields)) => {
                let mut form = reqwest::blocking::multipart::Form::new();
                for (k, v) in fields {
                    form = form.text(k.clone(), v.clone());
                }
                req = req.multipart(form);
            }
            None => {}
        }
        let resp = req.send().map_err(|e| {
            let mut text = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                let t = s.to_string();
                if !text.contains(&t) {
                    text = format!("{text}: {t}");
                }
                src = s.source();
            }
            (
                ApiError {
                    call: call.to_string(),
                    status: None,
                    message: text,
                },
                None,
            )
        })?;
        let status = resp.status().as_u16();
        let header = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let retry_after = header("retry-after")
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let next = header("link").and_then(|l| next_link(&l));
        let text = resp.text().unwrap_or_default();
        let json: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text.clone()))
        };
        if (200..300).contains(&status) {
            return Ok((json, next));
        }
        let message = match json.get("message").or_else(|| json.get("error")) {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None if text.trim().is_empty() => format!("HTTP {status}"),
            None => text.lines().next().unwrap_or_default().to_string(),
        };
        Err((
            ApiError {
                call: call.to_string(),
                status: Some(status),
                message,
            },
            retry_after,
        ))
    }

    fn send(
        &self,
        method: http::Method,
        url: &str,
        call: &str,
        body: Option<Body<'_>>,
    ) -> Result<(Value, Option<String>), ApiError> {
        self.policy.run(
            || self.once(&method, url, call, body),
            |e, retry_after| transient(e.status, retry_after),
        )
    }

    /// One call; `path` starts with `/` and may carry a query.
    pub fn call(
        &self,
        method: http::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        let call = format!("{method} {path}");
        self.send(
            method,
            &format!("{}{path}", self.api),
            &call,
            body.map(Body::Json),
        )
        .map(|(v, _)| v)
    }

    /// A POST of multipart form fields.
    pub fn post_form(&self, path: &str, fields: &[(String, String)]) -> Result<Value, ApiError> {
        let call = format!("POST {path}");
        self.send(
            http::Method::POST,
            &format!("{}{path}", self.api),
            &call,
            Some(Body::Form(fields)),
        )
        .map(|(v, _)| v)
    }

    /// A GET of a list, following `Link: rel="next"` pages.
    pub fn all(&self, path: &str) -> Result<Vec<Value>, ApiError> {
        let call = format!("GET {path}");
        let mut url = format!("{}{path}", self.api);
        let mut out = Vec::new();
        for _ in 0..100 {
            let (v, next) = self.send(http::Method::GET, &url, &call, None)?;
            if let Value::Array(items) = v {
                out.extend(items);
            }
            match next {
                Some(n) => url = n,
                None => break,
            }
        }
        Ok(out)
    }

    pub fn get(&self, path: &str) -> Result<Value, ApiError> {
        self.call(http::Method::GET, path, None)
    }

    pub fn post(&self, path: &str, body: &Value) -> Result<Value, ApiError> {
        self.call(http::Method::POST, path, Some(body))
    }
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, rel) = part.split_once(';')?;
        rel.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

/// GitLab for one host.
pub struct Gitlab {
    host: String,
    client: Client,
    /// The configured token's client, for what Backstage does with it even when the step gave
    /// its own token (adding the project owner).
    admin: Option<Client>,
}

impl Gitlab {
    /// The host's integration and token: the step's `token` input, else the config's token,
    /// `GITLAB_TOKEN` (gitlab.com) or the token glab stores for the host.
    pub fn connect(
        config: &Config,
        host: &str,
        token_input: Option<&str>,
        configured: Option<Secret>,
    ) -> Result<Gitlab, ScmError> {
        let Some(integration) = config.gitlab(host) else {
            return Err(ScmError::new(format!(
                "No matching integration configuration for host {host}, please check your integrations config"
            ))
            .with_hint(format!(
                "add `{host}` under `integrations.gitlab` in golden's config file (with `baseUrl`/`apiBaseUrl` for a self-managed GitLab), or publish to the local forge with --local"
            )));
        };
        let api = integration.api_base_url();
        let auth = match token_input.filter(|t| !t.is_empty()) {
            Some(t) => Auth::Bearer(Secret(t.to_string())),
            None => Auth::Private(configured.clone().ok_or_else(|| {
                ScmError::new(format!("No token available for host {host}")).with_hint(format!(
                    "give golden a token for {host}: `integrations.gitlab[].token` in the config file, GITLAB_TOKEN (gitlab.com), or `glab auth login`; or publish to the local forge with --local"
                ))
            })?),
        };
        let admin = match (&auth, configured) {
            (Auth::Bearer(_), Some(t)) => Some(Client::new(&api, Auth::Private(t))?),
            _ => None,
        };
        Ok(Gitlab {
            host: host.to_string(),
            client: Client::new(&api, auth)?,
            admin,
        })
    }

    /// The REST client (for the API-only `gitlab:*` actions).
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    fn admin(&self) -> &Client {
        self.admin.as_ref().unwrap_or(&self.client)
    }

    /// Whether the token came from the configuration (Backstage only adds owners with it).
    fn has_config_token(&self) -> bool {
        self.admin.is_some() || matches!(self.client.auth, Auth::Private(_))
    }

    /// `assignReviewersFromApprovalRules`: once GitLab has computed the merge request's status
    /// (re-read while it is `preparing`, `approvals_syncing` or `checking`), the eligible
    /// approvers of its approval rules (CODEOWNERS included) join `reviewers` as its reviewers.
    /// Failures are warnings, as in Backstage: the merge request stays as it is.
    fn assign_reviewers_from_rules(
        &self,
        notes: &mut Notes,
        project: &str,
        iid: u64,
        reviewers: Option<&[u64]>,
    ) {
        let mr_path = format!("/projects/{project}/merge_requests/{iid}");
        let rules = (|| -> Result<Vec<Value>, ApiError> {
            let mut mr = self.client.get(&mr_path)?;
            // Backstage polls without a pause and without end; golden waits 300 ms between
            // reads, for two minutes at most.
            for _ in 0..400 {
                let status = mr["detailed_merge_status"].as_str().unwrap_or_default();
                if !matches!(status, "preparing" | "approvals_syncing" | "checking") {
                    break;
                }
                std::thread::sleep(Duration::from_millis(300));
                mr = self.client.get(&mr_path)?;
                notes.info(
                    mr["detailed_merge_status"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                );
            }
            self.client.all(&format!("{mr_path}/approval_rules"))
        })();
        let rules = match rules {
            Ok(r) => r,
            Err(e) => {
                notes.warn(format!("Failed to retrieve approval rules for MR {iid}: {}. Proceeding with MR creation without reviewers from approval rules.", e.message));
                return;
            }
        };
        // A set in insertion order: the rules' approvers, then the named reviewers.
        let mut ids: Vec<Value> = Vec::new();
        let from_rules: Vec<Value> = rules
            .iter()
            .filter_map(|r| r.get("eligible_approvers").and_then(Value::as_array))
            .flatten()
            .map(|u| u["id"].clone())
            .collect();
        if from_rules.is_empty() {
            return;
        }
        for id in from_rules
            .into_iter()
            .chain(reviewers.unwrap_or_default().iter().map(|r| json!(r)))
        {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if let Err(e) = self.client.call(
            http::Method::PUT,
            &mr_path,
            Some(&json!({ "reviewer_ids": ids })),
        ) {
            notes.warn(format!(
                "Failed to assign reviewers from approval rules: {}.",
                e.message
            ));
        }
    }

    /// GitLab's user id for `username` (`GET /users?username=`), if it has one.
    fn user_id(&self, client: &Client, username: &str) -> Result<Option<u64>, ApiError> {
        let users = client.get(&format!("/users?username={}", enc(username)))?;
        Ok(users
            .as_array()
            .and_then(|a| a.first())
            .and_then(|u| u["id"].as_u64()))
    }
}

/// The steps of [`Target::create_repository`], one GitLab call (or one decision) each.
impl Gitlab {
    /// The id and kind (`group` or `user`) of the namespace `owner`, and the token's user id.
    fn namespace(&self, owner: &str) -> Result<(u64, String, Option<u64>), ScmError> {
        let host = self.host.as_str();
        let ns = match self.client.get(&format!("/namespaces/{}", enc(owner))) {
            Ok(v) => v,
            Err(e) if e.is_not_found() => {
                return Err(ScmError::new(format!(
                    "The namespace {owner} is not found or the user doesn't have permissions to access it"
                ))
                .with_hint(format!("check the group path in repoUrl (`owner=GROUP/SUBGROUP`), and that the token's user is a member of it on {host}")))
            }
            Err(e) => return Err(e.explain(&format!("cannot look up the namespace {owner}"), host)),
        };
        let me = self
            .client
            .get("/user")
            .map_err(|e| e.explain("cannot read the token's user", host))?;
        let user_id = me["id"].as_u64();
        let (ns_id, ns_kind) = match ns["id"].as_u64() {
            Some(id) => (id, ns["kind"].as_str().unwrap_or("group").to_string()),
            None => (user_id.unwrap_or_default(), "user".to_string()),
        };
        Ok((ns_id, ns_kind, user_id))
    }

    /// The project `name` of the namespace `owner`, if it exists.
    fn existing_project(
        &self,
        owner: &str,
        name: &str,
        ns_kind: &str,
    ) -> Result<Option<Value>, ScmError> {
        let list = if ns_kind == "user" {
            format!("/users/{}/projects?search={}", enc(owner), enc(name))
        } else {
            format!("/groups/{}/projects?search={}", enc(owner), enc(name))
        };
        Ok(self
            .client
            .all(&list)
            .map_err(|e| e.explain(&format!("cannot list the projects of {owner}"), &self.host))?
            .into_iter()
            .find(|p| p["path"] == json!(name)))
    }

    /// Creates the project; an existing one is an error (golden never overwrites).
    fn post_project(&self, owner: &str, name: &str, body: Value) -> Result<Value, ScmError> {
        let host = self.host.as_str();
        match self.client.post("/projects", &body) {
            Ok(v) => Ok(v),
            Err(e) if e.status == Some(400) && e.message.contains("has already been taken") => {
                Err(ScmError::new(format!(
                    "cannot create the GitLab project {owner}/{name}: it already exists on {host} (GitLab: {}); golden never overwrites a repository",
                    e.message
                ))
                .with_hint("choose another repository name, set `skipExisting: true` to keep the existing project, or delete it if it is a leftover of an earlier run"))
            }
            Err(e) => Err(e.explain(
                &format!("cannot create the GitLab project {owner}/{name}"),
                host,
            )),
        }
    }

    /// `setUserAsOwner` and `ownerUsername`: project owners added with the configured token.
    fn add_owners(
        &self,
        notes: &mut Notes,
        pid: &str,
        user_id: Option<u64>,
        settings: &Map<String, Value>,
    ) -> Result<(), ScmError> {
        if settings.get("setUserAsOwner").and_then(Value::as_bool) == Some(true)
            && self.has_config_token()
        {
            self.admin()
                .post(
                    &format!("/projects/{pid}/members"),
                    &json!({"access_level": 50, "user_id": user_id}),
                )
                .map_err(|e| {
                    e.explain("cannot make the token's user the project owner", &self.host)
                })?;
        }
        let Some(username) = settings.get("ownerUsername").and_then(Value::as_str) else {
            return Ok(());
        };
        if !self.has_config_token() {
            return Ok(());
        }
        let added = self
            .user_id(self.admin(), username)
            .and_then(|uid| match uid {
                Some(uid) => self
                    .admin()
                    .post(
                        &format!("/projects/{pid}/members"),
                        &json!({"access_level": 50, "user_id": uid}),
                    )
                    .map(|_| true),
                None => Ok(false),
            });
        match added {
            Ok(true) => {}
            Ok(false) => notes.warn(format!("Could not find GitLab user with username '{username}'. Skipping owner assignment.")),
            Err(e) => notes.warn(format!("Failed to add user '{username}' as owner: {}. Proceeding without owner assignment.", e.message)),
        }
        Ok(())
    }
}

/// The steps of [`Target::set_up`].
impl Gitlab {
    /// One entry of `branches`: created from its `ref` (`create`), protected (`protect`).
    fn set_up_branch(&self, notes: &mut Notes, pid: &str, b: &Value) -> Result<(), ScmError> {
        let name = b["name"].as_str().unwrap_or_default();
        if b["create"].as_bool().unwrap_or(false) {
            let reference = b["ref"].as_str().unwrap_or("master");
            self.client
                .post(
                    &format!("/projects/{pid}/repository/branches"),
                    &json!({"branch": name, "ref": reference}),
                )
                .map_err(|e| {
                    ScmError::new(format!(
                        "Branch creation failed for {name}. {}",
                        e.printed()
                    ))
                })?;
            notes.info(format!(
                "Branch {name} created for {pid} with ref {reference}"
            ));
        }
        if b["protect"].as_bool().unwrap_or(false) {
            self.client
                .post(
                    &format!("/projects/{pid}/protected_branches?name={}", enc(name)),
                    &json!({}),
                )
                .map_err(|e| {
                    ScmError::new(format!(
                        "Branch protection failed for {name}. {}",
                        e.printed()
                    ))
                })?;
            notes.info(format!("Branch {name} protected for {pid}"));
        }
        Ok(())
    }
}

/// The body of `POST /projects/:id/variables` for one entry of `projectVariables`.
fn variable_body(v: &Value) -> Value {
    let key = v["key"].as_str().unwrap_or_default();
    let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
    let mut body = Map::new();
    body.insert("key".into(), json!(key));
    body.insert("value".into(), v.get("value").cloned().unwrap_or(json!("")));
    body.insert(
        "variable_type".into(),
        json!(v["variable_type"].as_str().unwrap_or("env_var")),
    );
    body.insert("protected".into(), json!(flag("protected")));
    body.insert("masked".into(), json!(flag("masked")));
    body.insert("masked_and_hidden".into(), json!(flag("masked_and_hidden")));
    body.insert(
        "environment_scope".into(),
        json!(v["environment_scope"].as_str().unwrap_or("*")),
    );
    if let Some(d) = v.get("description").filter(|d| !d.is_null()) {
        body.insert("description".into(), d.clone());
    }
    body.insert("raw".into(), json!(flag("raw")));
    Value::Object(body)
}

/// The body of `POST /projects`, as the module builds it from the action's settings.
fn project_body(ns_id: u64, name: &str, settings: &Map<String, Value>) -> Value {
    let mut body = Map::new();
    body.insert("namespace_id".into(), json!(ns_id));
    body.insert("name".into(), json!(name));
    body.insert("path".into(), json!(name));
    body.insert(
        "visibility".into(),
        json!(settings
            .get("repoVisibility")
            .and_then(Value::as_str)
            .unwrap_or("private")),
    );
    if let Some(t) = settings
        .get("topics")
        .and_then(Value::as_array)
        .filter(|t| !t.is_empty())
    {
        body.insert("topics".into(), json!(t));
    }
    if let Some(s) = settings.get("settings").and_then(Value::as_object) {
        for (k, v) in s {
            body.insert(k.clone(), v.clone());
        }
    }
    Value::Object(body)
}

/// The [`Repository`] of a project at `git_url` whose files are on `branch`.
fn repository(id: Option<u64>, git_url: &str, branch: &str, created: bool) -> Repository {
    let web = strip_git(git_url);
    Repository {
        id,
        git_url: git_url.to_string(),
        contents_url: format!("{web}/-/blob/{branch}"),
        web_url: web,
        default_branch: branch.to_string(),
        created,
        pushed: None,
    }
}

/// The steps of [`Target::open_change_request`], in the order the module makes its calls.
impl Gitlab {
    /// The user id of the `assignee` option; an unknown user is a warning, not an error.
    fn assignee_id(&self, notes: &mut Notes, o: &Map<String, Value>) -> Option<u64> {
        let a = o.get("assignee").and_then(Value::as_str)?;
        match self.user_id(&self.client, a) {
            Ok(Some(id)) => return Some(id),
            Ok(None) => notes.warn(format!("Failed to find gitlab user id for {a}: no such user. Proceeding with MR creation without an assignee.")),
            Err(e) => notes.warn(format!("Failed to find gitlab user id for {a}: {}. Proceeding with MR creation without an assignee.", e.message)),
        }
        None
    }

    /// The user ids of the `reviewers` option (`None` when it is not given); unknown users
    /// are warnings and left out.
    fn reviewer_ids(&self, notes: &mut Notes, o: &Map<String, Value>) -> Option<Vec<u64>> {
        let list = o.get("reviewers").and_then(Value::as_array)?;
        let mut ids = Vec::new();
        for r in list.iter().filter_map(Value::as_str) {
            match self.user_id(&self.client, r) {
                Ok(Some(id)) => ids.push(id),
                Ok(None) => notes.warn(format!("Failed to find gitlab user id for {r}: no such user. Proceeding with MR creation without reviewer.")),
                Err(e) => notes.warn(format!("Failed to find gitlab user id for {r}: {}. Proceeding with MR creation without reviewer.", e.message)),
            }
        }
        Some(ids)
    }

    /// The branch the merge request goes into: the given one, or the project's default.
    fn mr_target_branch(&self, req: &ChangeRequest<'_>, project: &str) -> Result<String, ScmError> {
        if let Some(b) = req.target_branch.filter(|b| !b.is_empty()) {
            return Ok(b.to_string());
        }
        let info = self
            .client
            .get(&format!("/projects/{}", enc(project)))
            .map_err(|e| e.explain(&format!("cannot read the project {project}"), &self.host))?;
        match info["default_branch"].as_str().filter(|b| !b.is_empty()) {
            Some(b) => Ok(b.to_string()),
            None => Err(ScmError::new(format!("The branch creation failed. Target branch was not provided, and could not find default branch from project settings. Project: {project}"))),
        }
    }

    /// Creates `branch` from `target` unless it exists; an existing branch is an error when
    /// there are changes to commit (`has_changes`), and is used as it is otherwise.
    fn prepare_branch(
        &self,
        notes: &mut Notes,
        project: &str,
        branch: &str,
        target: &str,
        has_changes: bool,
    ) -> Result<(), ScmError> {
        let p = enc(project);
        let mut create_branch = has_changes;
        match self.client.get(&format!(
            "/projects/{p}/repository/branches/{}",
            enc(branch)
        )) {
            Ok(existing) => {
                if create_branch {
                    let web = existing["web_url"].as_str().unwrap_or_default();
                    let mrs = self
                        .client
                        .all(&format!(
                            "/projects/{p}/merge_requests?source_branch={}",
                            enc(branch)
                        ))
                        .unwrap_or_default();
                    return Err(ScmError::new(match mrs.first() {
                        Some(mr) => format!("The branch creation failed because the branch already exists at: {web}. Additionally, there is a Merge Request for this branch: {}", mr["web_url"].as_str().unwrap_or_default()),
                        None => format!("The branch creation failed because the branch already exists at: {web}."),
                    })
                    .with_hint("choose another branchName, or merge or delete the existing branch"));
                }
                notes.info(format!(
                    "Using existing branch {branch} without modification."
                ));
            }
            Err(_) => create_branch = true,
        }
        if create_branch {
            self.client
                .post(
                    &format!("/projects/{p}/repository/branches"),
                    &json!({"branch": branch, "ref": target}),
                )
                .map_err(|e| ScmError::new(format!("The branch creation failed. Please check that your repo does not already contain a branch named '{branch}'. {}", e.message)))?;
            notes.created(format!("branch {branch} of the GitLab project {project}"));
        }
        Ok(())
    }

    /// `assignReviewersFromApprovalRules` and `autoMerge`, once the merge request exists.
    fn after_merge_request(
        &self,
        notes: &mut Notes,
        o: &Map<String, Value>,
        p: &str,
        iid: u64,
        reviewer_ids: Option<&[u64]>,
    ) -> Result<(), ScmError> {
        if o.get("assignReviewersFromApprovalRules")
            .and_then(Value::as_bool)
            == Some(true)
        {
            self.assign_reviewers_from_rules(notes, p, iid, reviewer_ids);
        }
        if o.get("autoMerge").and_then(Value::as_bool) == Some(true) {
            self.client
                .call(
                    http::Method::PUT,
                    &format!("/projects/{p}/merge_requests/{iid}/merge"),
                    Some(&json!({"auto_merge": true})),
                )
                .map_err(|e| {
                    ScmError::new(format!(
                        "Enabling auto-merge for merge request {iid} failed. {}",
                        e.message
                    ))
                })?;
        }
        Ok(())
    }
}

/// The body of `POST /projects/:id/merge_requests`.
fn mr_body(
    req: &ChangeRequest<'_>,
    target: &str,
    assignee_id: Option<u64>,
    reviewer_ids: Option<&[u64]>,
) -> Value {
    let o = req.options;
    let mut body = Map::new();
    body.insert("source_branch".into(), json!(req.branch));
    body.insert("target_branch".into(), json!(target));
    body.insert("title".into(), json!(req.title));
    if let Some(d) = req.description {
        body.insert("description".into(), json!(d));
    }
    body.insert(
        "remove_source_branch".into(),
        json!(o
            .get("removeSourceBranch")
            .and_then(Value::as_bool)
            .unwrap_or(false)),
    );
    if let Some(a) = assignee_id {
        body.insert("assignee_id".into(), json!(a));
    }
    if let Some(r) = reviewer_ids {
        body.insert("reviewer_ids".into(), json!(r));
    }
    if let Some(l) = o.get("labels") {
        body.insert("labels".into(), l.clone());
    }
    Value::Object(body)
}

fn strip_git(url: &str) -> String {
    url.strip_suffix(".git").unwrap_or(url).to_string()
}

/// A git blob id of `content` with the algorithm of `like` (40 hex digits: SHA-1).
fn blob_id(content: &[u8]) -> String {
    git2::Oid::hash_object(git2::ObjectType::Blob, content)
        .map(|o| o.to_string())
        .unwrap_or_default()
}

impl Target for Gitlab {
    fn kind(&self) -> Kind {
        Kind::Gitlab
    }

    fn create_repository(&self, notes: &mut Notes, new: &NewRepository<'_>) -> Result<Repository> {
        let (repo, settings) = (new.spec, new.settings);
        let (owner, name) = (repo.owner.as_str(), repo.name.as_str());
        let (ns_id, ns_kind, user_id) = self.namespace(owner)?;
        let existing = self.existing_project(owner, name, &ns_kind)?;
        let skip_existing = settings
            .get("skipExisting")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if let (true, Some(p)) = (skip_existing, &existing) {
            notes.info(format!("Repo {name} already exists in namespace {owner}."));
            let git_url = p["http_url_to_repo"].as_str().unwrap_or_default();
            let branch = p["default_branch"].as_str().unwrap_or_default();
            return Ok(repository(p["id"].as_u64(), git_url, branch, false));
        }
        notes.info(format!("Creating repo {name} in namespace {owner}."));
        let created = self.post_project(owner, name, project_body(ns_id, name, settings))?;
        let id = created["id"].as_u64();
        let git_url = created["http_url_to_repo"].as_str().unwrap_or_default();
        notes.created(format!(
            "the GitLab project {owner}/{name} ({})",
            strip_git(git_url)
        ));
        let pid = id.map(|i| i.to_string()).unwrap_or_default();
        self.add_owners(notes, &pid, user_id, settings)?;
        let branch = settings
            .get("defaultBranch")
            .and_then(Value::as_str)
            .unwrap_or("master");
        Ok(repository(id, git_url, branch, true))
    }

    fn push(&self, notes: &mut Notes, repo: &Repository, push: &Push<'_>) -> Result<String> {
        let token = self.client.auth.secret().clone();
        let hash = push
            .run(&repo.git_url, "oauth2", Some(&token))
            .map_err(|e| {
                let err = ScmError::new(format!(
                    "cannot push to the GitLab project {}: {e}",
                    repo.web_url
                ));
                if e.contains("refused the token") || e.contains("401") || e.contains("403") {
                    err.with_hint("the token was refused for git: it needs the `write_repository` (or `api`) scope and the Developer role")
                } else {
                    err.with_hint("a server-side hook or a protected branch may refuse the push; the project was created and is named above")
                }
            })?;
        notes.pushed(&hash, &repo.git_url, push);
        Ok(hash)
    }

    fn set_up(&self, notes: &mut Notes, repo: &Repository, settings: Input<'_>) -> Result<()> {
        let pid = repo.id.map(|i| i.to_string()).unwrap_or_default();
        if repo.pushed.is_some() {
            for b in settings
                .value("branches")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                self.set_up_branch(notes, &pid, b)?;
            }
        }
        for v in settings
            .value("projectVariables")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = v["key"].as_str().unwrap_or_default();
            self.client
                .post(&format!("/projects/{pid}/variables"), &variable_body(v))
                .map_err(|e| {
                    ScmError::new(format!(
                        "Environment variable creation failed for {key}. {}",
                        e.printed()
                    ))
                })?;
        }
        Ok(())
    }

    fn open_change_request(&self, notes: &mut Notes, req: &ChangeRequest<'_>) -> Result<Change> {
        let o = req.options;
        let project = o
            .get("projectid")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| req.repo.full_name());
        let p = enc(&project);
        let assignee_id = self.assignee_id(notes, o);
        let reviewer_ids = self.reviewer_ids(notes, o);
        let files = crate::git::worktree_files(req.source)
            .map_err(|e| ScmError::new(format!("cannot read `{}`: {e}", req.source.display())))?;
        let target = self.mr_target_branch(req, &project)?;
        let commit_action = o
            .get("commitAction")
            .and_then(Value::as_str)
            .unwrap_or("auto");
        let actions = commit_actions(
            notes,
            &self.client,
            &project,
            &target,
            &files,
            req.target_path,
            commit_action,
        );
        let branch = req.branch;
        self.prepare_branch(notes, &project, branch, &target, !actions.is_empty())?;
        if !actions.is_empty() {
            self.client
                .post(
                    &format!("/projects/{p}/repository/commits"),
                    &json!({"branch": branch, "commit_message": req.title, "actions": actions}),
                )
                .map_err(|e| ScmError::new(format!("Committing the changes to {branch} failed. Please check that none of the files created by the template already exists. {}", e.message)))?;
        }
        let body = mr_body(req, &target, assignee_id, reviewer_ids.as_deref());
        let mr = self
            .client
            .post(&format!("/projects/{p}/merge_requests"), &body)
            .map_err(|e| ScmError::new(format!("Merge request creation failed. {}", e.message)))?;
        let iid = mr["iid"].as_u64().unwrap_or_default();
        let url = mr["web_url"].as_str().unwrap_or_default().to_string();
        notes.created(format!(
            "merge request !{iid} of the GitLab project {project} ({url})"
        ));
        self.after_merge_request(notes, o, &p, iid, reviewer_ids.as_deref())?;
        Ok(Change {
            target_branch: target,
            url,
            number: iid,
        })
    }

    fn read_file(&self, repo: &RepoSpec, branch: &str, path: &str) -> Result<Vec<u8>> {
        let project = enc(&repo.full_name());
        let v = self
            .client
            .get(&format!(
                "/projects/{project}/repository/files/{}/raw?ref={}",
                enc(path.trim_start_matches('/')),
                enc(branch)
            ))
            .map_err(|e| {
                e.explain(
                    &format!("cannot read {path} of {}", repo.full_name()),
                    &self.host,
                )
            })?;
        Ok(match v {
            Value::String(s) => s.into_bytes(),
            other => other.to_string().into_bytes(),
        })
    }
}

/// The `actions` of a GitLab commit for `files`, as Backstage's `getFileAction` decides them:
/// with `auto`, files identical to the branch's (same git blob id) are left out, existing ones
/// are updated and new ones created; any other `commitAction` applies to every file.
pub fn commit_actions(
    notes: &mut Notes,
    client: &Client,
    project: &str,
    branch: &str,
    files: &[crate::git::WorkFile],
    target_path: Option<&str>,
    commit_action: &str,
) -> Vec<Value> {
    let p = enc(project);
    let mut remote: Vec<Value> = Vec::new();
    if commit_action == "auto" {
        let mut q = format!(
            "/projects/{p}/repository/tree?ref={}&recursive=true",
            enc(branch)
        );
        if let Some(tp) = target_path {
            q.push_str(&format!("&path={}", enc(tp)));
        }
        q.push_str("&per_page=100");
        match client.all(&q) {
            Ok(v) => remote = v,
            Err(e) => notes.warn(format!(
                "Could not retrieve the list of files for {project} (branch: {branch}) : {}",
                e.message
            )),
        }
    }
    let mut actions = Vec::new();
    if commit_action == "skip" {
        return actions;
    }
    for f in files {
        let file_path = match target_path {
            Some(tp) => join_posix(tp, &f.path),
            None => f.path.clone(),
        };
        let action = if commit_action == "auto" {
            match remote.iter().find(|e| e["path"] == json!(file_path)) {
                Some(e) if e["id"].as_str() == Some(blob_id(&f.content).as_str()) => "skip",
                Some(_) => "update",
                None => "create",
            }
        } else {
            commit_action
        };
        if action == "skip" {
            continue;
        }
        actions.push(json!({
            "action": action,
            "file_path": file_path,
            "encoding": "base64",
            "content": base64::engine::general_purpose::STANDARD.encode(&f.content),
            "execute_filemode": f.mode == 0o100755,
        }));
    }
    actions
}

/// `path.posix.join(a, b)` for two relative paths.
fn join_posix(a: &str, b: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in a.split('/').chain(b.split('/')) {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_paths_and_blob_ids() {
        assert_eq!(
            next_link("<https://g/api/v4/x?page=2>; rel=\"next\", <https://g/api/v4/x?page=9>; rel=\"last\"").as_deref(),
            Some("https://g/api/v4/x?page=2")
        );
        assert_eq!(next_link("<https://g/x?page=9>; rel=\"last\""), None);
        assert_eq!(join_posix("docs/", "./a/b.md"), "docs/a/b.md");
        // `git hash-object` of "hello\n".
        assert_eq!(
            blob_id(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(enc("acme/backend"), "acme%2Fbackend");
        assert!(transient(Some(502), None));
        assert!(transient(Some(403), Some(Duration::from_secs(1))));
        assert!(!transient(Some(403), None));
        assert!(!transient(Some(401), None));
    }
}
