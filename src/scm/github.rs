//! GitHub as a [`Target`], call for call as Backstage's GitHub module 0.10.4:
//! `createGithubRepoWithCollaboratorsAndTopics` (owner type, team check, the repository, access,
//! collaborators, topics, variables, sealed secrets, OIDC, watching, workflow access), the push
//! of `initRepoPushAndProtect` (git with the token, the GraphQL fallback of `github_push.rs` when
//! git cannot connect), its branch protection, pull requests (`github_pr.rs`) and file reads
//! through the contents API. The tests compare every call with the module's recorded calls.

use serde_json::{json, Map, Value};

use super::{
    Change, ChangeRequest, Input, Kind, NewRepository, Notes, Push, RepoSpec, Repository, Result,
    ScmError, Target,
};
use crate::config::Secret;
use crate::github::{entity_ref_to_name, seg, Api, Method};

/// One host's REST API with the token it uses (the token also authenticates git pushes).
pub struct Github {
    pub(super) api: Box<dyn Api>,
    token: Secret,
    pub(super) host: String,
}

/// The git failures after which Backstage pushes through the API instead (`ECONNRESET`,
/// `ECONNREFUSED`).
fn is_connection_error(e: &str) -> bool {
    let e = e.to_ascii_lowercase();
    e.contains("connection refused") || e.contains("connection reset")
}

/// `owner/name` of a repository from its web address (`https://HOST/OWNER/NAME`).
fn spec_of(host: &str, repo: &Repository) -> RepoSpec {
    let mut parts = repo.web_url.trim_end_matches('/').rsplit('/');
    let name = parts.next().unwrap_or_default().to_string();
    let owner = parts.next().unwrap_or_default().to_string();
    RepoSpec {
        host: host.to_string(),
        owner,
        name,
    }
}

impl Github {
    pub fn new(api: Box<dyn Api>, token: Secret, host: &str) -> Github {
        Github {
            api,
            token,
            host: host.to_string(),
        }
    }

    /// The REST API, for calls whose failures the caller explains itself.
    pub fn api(&self) -> &dyn Api {
        self.api.as_ref()
    }

    /// The token pushes and clones use.
    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// One REST call, with a failure explained as `what`.
    pub(crate) fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        what: &str,
    ) -> Result<Value, ScmError> {
        self.api
            .call(method, path, body)
            .map_err(|e| e.explain(what, &self.host).into())
    }

    /// GitHub's repository object of an existing repository.
    pub fn repository(&self, repo: &RepoSpec, branch: &str) -> Result<Repository, ScmError> {
        let v = self.call(
            Method::Get,
            &format!("/repos/{}/{}", seg(&repo.owner), seg(&repo.name)),
            None,
            &format!("cannot find the repository {}", repo.full_name()),
        )?;
        Ok(repository_of(&v, branch, false))
    }

    /// The owner's account type (`User` or `Organization`).
    fn owner_kind(&self, owner: &str) -> Result<String, ScmError> {
        let user = self.call(
            Method::Get,
            &format!("/users/{}", seg(owner)),
            None,
            &format!("cannot look up the owner `{owner}`"),
        )?;
        Ok(user
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("User")
            .to_string())
    }

    /// The team of an `access: OWNER/TEAM` input, checked to exist as Backstage checks it.
    fn access_team(&self, s: &Input<'_>, owner: &str) -> Result<Option<String>, ScmError> {
        let Some(team) = s
            .nonempty("access")
            .and_then(|a| a.strip_prefix(&format!("{owner}/")))
        else {
            return Ok(None);
        };
        let team = team.split('/').next().unwrap_or(team).to_string();
        let path = format!("/orgs/{}/teams/{}", seg(owner), seg(&team));
        if let Err(e) = self.api.call(Method::Get, &path, None) {
            if e.is_not_found() {
                return Err(ScmError::new(format!(
                    "Received 'Not Found' from the API; one of org: {owner} or team: {team} was not found within GitHub."
                ))
                .with_hint("check the `access` input: it names a team as `ORG/TEAM-SLUG`"));
            }
        }
        Ok(Some(team))
    }

    /// `POST /orgs/OWNER/repos` or `POST /user/repos`; an existing repository is refused.
    fn post_create(
        &self,
        notes: &mut Notes,
        repo: &RepoSpec,
        kind: &str,
        body: Map<String, Value>,
    ) -> Result<Value, ScmError> {
        let (host, owner, name) = (&self.host, repo.owner.as_str(), repo.name.as_str());
        let path = if kind == "Organization" {
            format!("/orgs/{}/repos", seg(owner))
        } else {
            "/user/repos".to_string()
        };
        let created = match self
            .api
            .call(Method::Post, &path, Some(&Value::Object(body)))
        {
            Ok(v) => v,
            Err(e) => {
                let what = format!("Failed to create the {kind} repository {owner}/{name}");
                if e.status == Some(422) && e.text().contains("already exists") {
                    return Err(ScmError::new(format!("{what}: the repository {owner}/{name} already exists on {host} (GitHub: {}); golden never overwrites a repository", e.text()))
                        .with_hint(format!("choose another repository name, or delete https://{host}/{owner}/{name} if it is a leftover of an earlier run")));
                }
                let mut err = e.explain(&what, host);
                if e.message == "Resource not accessible by integration" {
                    err = err.with_hint(format!("the GitHub app or token may not have the permissions to create the {kind} repository {owner}/{name}"));
                }
                return Err(err.into());
            }
        };
        if let Some(login) = created
            .pointer("/owner/login")
            .and_then(Value::as_str)
            .filter(|l| !l.eq_ignore_ascii_case(owner))
        {
            notes.warn(format!("GitHub created the repository for the token's user {login}, not for {owner} (POST /user/repos always does, as in Backstage)"));
        }
        let html = created["html_url"].as_str().unwrap_or_default();
        notes.created(format!("the GitHub repository {owner}/{name} ({html})"));
        notes.info(format!("created the {kind} repository {owner}/{name}"));
        Ok(created)
    }

    /// Admin access for the `access` team or user.
    fn grant_access(
        &self,
        s: &Input<'_>,
        repo: &RepoSpec,
        team: Option<&str>,
    ) -> Result<(), ScmError> {
        let (owner, name) = (repo.owner.as_str(), repo.name.as_str());
        let admin = json!({"permission": "admin"});
        if let Some(team) = team {
            let path = format!(
                "/orgs/{}/teams/{}/repos/{}/{}",
                seg(owner),
                seg(team),
                seg(owner),
                seg(name)
            );
            self.call(
                Method::Put,
                &path,
                Some(&admin),
                &format!("cannot give team {team} admin access"),
            )?;
        } else if let Some(user) = s.nonempty("access").filter(|a| *a != owner) {
            let path = format!("{}/collaborators/{}", repo_path(repo), seg(user));
            self.call(
                Method::Put,
                &path,
                Some(&admin),
                &format!("cannot give {user} admin access"),
            )?;
        }
        Ok(())
    }

    /// `collaborators`: users and teams; failures only warn, as in Backstage.
    fn add_collaborators(&self, notes: &mut Notes, s: &Input<'_>, repo: &RepoSpec) {
        let list = s
            .value("collaborators")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for c in list {
            let permission = c.get("access").and_then(Value::as_str).unwrap_or_default();
            let body = json!({"permission": permission});
            let (who, path) = if let Some(user) = c.get("user").and_then(Value::as_str) {
                let user = entity_ref_to_name(user);
                (
                    user,
                    format!("{}/collaborators/{}", repo_path(repo), seg(user)),
                )
            } else if let Some(team) = c.get("team").and_then(Value::as_str) {
                let team = entity_ref_to_name(team);
                let (o, n) = (seg(&repo.owner), seg(&repo.name));
                (team, format!("/orgs/{o}/teams/{}/repos/{o}/{n}", seg(team)))
            } else {
                continue;
            };
            if let Err(e) = self.api.call(Method::Put, &path, Some(&body)) {
                notes.warn(format!(
                    "Skipping {permission} access for {who}, {}",
                    e.text()
                ));
            }
        }
    }

    /// `topics` (lower-cased); a failure only warns.
    fn set_topics(&self, notes: &mut Notes, s: &Input<'_>, repo: &RepoSpec) {
        let Some(topics) = s.strings("topics") else {
            return;
        };
        let names: Vec<String> = topics.iter().map(|t| t.to_lowercase()).collect();
        let path = format!("{}/topics", repo_path(repo));
        if let Err(e) = self
            .api
            .call(Method::Put, &path, Some(&json!({"names": names})))
        {
            notes.warn(format!(
                "Skipping topics {}, {}",
                topics.join(" "),
                e.text()
            ));
        }
    }

    /// `repoVariables`, then `secrets` sealed with the repository's public key.
    fn set_variables_and_secrets(&self, s: &Input<'_>, repo: &RepoSpec) -> Result<(), ScmError> {
        let base = repo_path(repo);
        if let Some(vars) = s.value("repoVariables").and_then(Value::as_object) {
            for (name, value) in vars {
                self.call(
                    Method::Post,
                    &format!("{base}/actions/variables"),
                    Some(&json!({"name": name, "value": value})),
                    &format!("cannot set the Actions variable {name}"),
                )?;
            }
        }
        let Some(secrets) = s.value("secrets").and_then(Value::as_object) else {
            return Ok(());
        };
        let key = self.call(
            Method::Get,
            &format!("{base}/actions/secrets/public-key"),
            None,
            "cannot read the repository's public key for Actions secrets",
        )?;
        let sealed = crate::github::seal::seal_each(&key, secrets).map_err(|(name, e)| {
            ScmError::new(format!("cannot encrypt the Actions secret {name}: {e}"))
        })?;
        for (name, value) in sealed {
            self.call(
                Method::Put,
                &format!("{base}/actions/secrets/{}", seg(name)),
                Some(&json!({"encrypted_value": value, "key_id": key["key_id"]})),
                &format!("cannot set the Actions secret {name}"),
            )?;
        }
        Ok(())
    }

    /// `oidcCustomization`, `subscribe` and (github:repo:create) `workflowAccess`.
    fn set_actions_options(&self, s: &Input<'_>, repo: &RepoSpec) -> Result<(), ScmError> {
        let base = repo_path(repo);
        if let Some(oidc) = s.value("oidcCustomization") {
            let mut b = Map::new();
            if let Some(u) = oidc.get("useDefault") {
                b.insert("use_default".into(), u.clone());
            }
            if let Some(k) = oidc.get("includeClaimKeys") {
                b.insert("include_claim_keys".into(), k.clone());
            }
            self.call(
                Method::Put,
                &format!("{base}/actions/oidc/customization/sub"),
                Some(&Value::Object(b)),
                "cannot set the OIDC subject customization",
            )?;
        }
        if s.bool("subscribe", false) {
            self.call(
                Method::Put,
                &format!("{base}/subscription"),
                Some(&json!({"subscribed": true, "ignored": false})),
                "cannot watch the repository",
            )?;
        }
        if let Some(level) = s.nonempty("workflowAccess") {
            self.call(
                Method::Put,
                &format!("{base}/actions/permissions/access"),
                Some(&json!({"access_level": level})),
                "cannot set the workflow access level",
            )?;
        }
        Ok(())
    }

    /// Branch protection of `initRepoPushAndProtect` (its failures only warn, as in Backstage).
    fn protect(&self, notes: &mut Notes, s: &Input<'_>, repo: &RepoSpec, branch: &str) {
        let body = protection_body(s, s.bool("protectEnforceAdmins", true), false);
        let signing = s.bool("requiredCommitSigning", false);
        match self.protect_branch(repo, branch, &body, signing) {
            Ok(()) => notes.info(format!("protected branch {branch}")),
            Err(e) if needs_pro(&e) => notes.warn(NEEDS_PRO),
            Err(e) => notes.warn(format!(
                "Skipping: default branch protection on '{}', {}",
                repo.name,
                e.text()
            )),
        }
    }

    /// `PUT …/branches/BRANCH/protection` with `body`, then with `signing` `POST
    /// …/required_signatures`; tried once more after 600 ms when GitHub does not see the branch
    /// yet (a push just made it).
    pub(crate) fn protect_branch(
        &self,
        repo: &RepoSpec,
        branch: &str,
        body: &Value,
        signing: bool,
    ) -> Result<(), crate::github::ApiError> {
        let path = format!("{}/branches/{}/protection", repo_path(repo), seg(branch));
        let try_once = || -> Result<(), crate::github::ApiError> {
            self.api.call(Method::Put, &path, Some(body))?;
            if signing {
                self.api
                    .call(Method::Post, &format!("{path}/required_signatures"), None)?;
            }
            Ok(())
        };
        let mut result = try_once();
        if matches!(&result, Err(e) if e.text().contains("Branch not found")) {
            std::thread::sleep(std::time::Duration::from_millis(600));
            result = try_once();
        }
        result
    }

    /// Reads a file of a branch through the contents API (raw media type), as Backstage's GitHub
    /// URL reader does.
    pub fn read(
        &self,
        repo: &RepoSpec,
        branch: &str,
        path: &str,
    ) -> Result<Vec<u8>, crate::github::ApiError> {
        let file: Vec<String> = path.trim_start_matches('/').split('/').map(seg).collect();
        self.api.raw(&format!(
            "{}/contents/{}?ref={}",
            repo_path(repo),
            file.join("/"),
            seg(branch)
        ))
    }
}

/// `/repos/OWNER/NAME`.
pub(super) fn repo_path(repo: &RepoSpec) -> String {
    format!("/repos/{}/{}", seg(&repo.owner), seg(&repo.name))
}

/// A [`Repository`] from GitHub's repository object.
fn repository_of(v: &Value, branch: &str, created: bool) -> Repository {
    let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    let html = text("html_url");
    Repository {
        id: v["id"].as_u64(),
        git_url: text("clone_url"),
        contents_url: format!("{html}/blob/{branch}"),
        web_url: html,
        default_branch: branch.to_string(),
        created,
        pushed: None,
    }
}

/// The body of `POST …/repos`, key for key as Backstage sends it.
fn create_body(s: &Input<'_>, name: &str, organization: bool) -> Map<String, Value> {
    let visibility = s.nonempty("repoVisibility").unwrap_or("private");
    let mut body = Map::new();
    for (key, input, default) in [
        ("allow_auto_merge", "allowAutoMerge", false),
        ("allow_merge_commit", "allowMergeCommit", true),
        ("allow_rebase_merge", "allowRebaseMerge", true),
        ("allow_squash_merge", "allowSquashMerge", true),
        ("allow_update_branch", "allowUpdateBranch", false),
    ] {
        body.insert(key.into(), json!(s.bool(input, default)));
    }
    if let Some(a) = s.opt_bool("autoInit") {
        body.insert("auto_init".into(), json!(a));
    }
    body.insert(
        "delete_branch_on_merge".into(),
        json!(s.bool("deleteBranchOnMerge", false)),
    );
    if let Some(d) = s.str("description") {
        body.insert("description".into(), json!(d));
    }
    for (key, input) in [
        ("has_issues", "hasIssues"),
        ("has_projects", "hasProjects"),
        ("has_wiki", "hasWiki"),
    ] {
        if let Some(b) = s.opt_bool(input) {
            body.insert(key.into(), json!(b));
        }
    }
    if let Some(h) = s.str("homepage") {
        body.insert("homepage".into(), json!(h));
    }
    body.insert("name".into(), json!(name));
    body.insert("private".into(), json!(visibility == "private"));
    body.insert(
        "squash_merge_commit_message".into(),
        json!(s
            .nonempty("squashMergeCommitMessage")
            .unwrap_or("COMMIT_MESSAGES")),
    );
    body.insert(
        "squash_merge_commit_title".into(),
        json!(s
            .nonempty("squashMergeCommitTitle")
            .unwrap_or("COMMIT_OR_PR_TITLE")),
    );
    if organization {
        if let Some(cp) = s.value("customProperties") {
            body.insert("custom_properties".into(), cp.clone());
        }
        body.insert("visibility".into(), json!(visibility));
    }
    body
}

/// What Backstage logs when branch protection needs GitHub Pro.
pub(crate) const NEEDS_PRO: &str =
    "Branch protection was not enabled as it requires GitHub Pro for private repositories";

/// Whether protection failed because the repository is private and the plan has no protection.
pub(crate) fn needs_pro(e: &crate::github::ApiError) -> bool {
    e.text()
        .contains("Upgrade to GitHub Pro or make this repository public to enable this feature")
}

/// The body of `PUT …/branches/BRANCH/protection`, key for key as Backstage sends it.
/// `enforce_admins` and `block_creations` come from each action's own input.
pub(crate) fn protection_body(s: &Input<'_>, enforce_admins: bool, block_creations: bool) -> Value {
    let mut reviews = Map::new();
    reviews.insert(
        "required_approving_review_count".into(),
        s.value("requiredApprovingReviewCount")
            .cloned()
            .unwrap_or(json!(1)),
    );
    reviews.insert(
        "require_code_owner_reviews".into(),
        json!(s.bool("requireCodeOwnerReviews", false)),
    );
    if let Some(b) = s.value("bypassPullRequestAllowances") {
        reviews.insert("bypass_pull_request_allowances".into(), b.clone());
    }
    reviews.insert(
        "dismiss_stale_reviews".into(),
        json!(s.bool("dismissStaleReviews", false)),
    );
    reviews.insert(
        "require_last_push_approval".into(),
        json!(s.bool("requireLastPushApproval", false)),
    );
    json!({
        "required_status_checks": {
            "strict": s.bool("requireBranchesToBeUpToDate", true),
            "contexts": s.value("requiredStatusCheckContexts").cloned().unwrap_or(json!([])),
        },
        "restrictions": s.value("restrictions").cloned().unwrap_or(Value::Null),
        "enforce_admins": enforce_admins,
        "required_pull_request_reviews": reviews,
        "required_conversation_resolution": s.bool("requiredConversationResolution", false),
        "required_linear_history": s.bool("requiredLinearHistory", false),
        "block_creations": block_creations,
    })
}

impl Target for Github {
    fn kind(&self) -> Kind {
        Kind::Github
    }

    /// `createGithubRepoWithCollaboratorsAndTopics`.
    fn create_repository(&self, notes: &mut Notes, new: &NewRepository<'_>) -> Result<Repository> {
        let (s, repo) = (Input(new.settings), new.spec);
        let kind = self.owner_kind(&repo.owner)?;
        let team = self.access_team(&s, &repo.owner)?;
        let body = create_body(&s, &repo.name, kind == "Organization");
        let created = self.post_create(notes, repo, &kind, body)?;
        self.grant_access(&s, repo, team.as_deref())?;
        self.add_collaborators(notes, &s, repo);
        self.set_topics(notes, &s, repo);
        self.set_variables_and_secrets(&s, repo)?;
        self.set_actions_options(&s, repo)?;
        let branch = s.nonempty("defaultBranch").unwrap_or("main");
        Ok(repository_of(&created, branch, true))
    }

    /// One commit pushed with the token; through the API when git cannot connect.
    fn push(&self, notes: &mut Notes, repo: &Repository, push: &Push<'_>) -> Result<String> {
        let spec = spec_of(&self.host, repo);
        let commit = crate::git::NewCommit {
            source: push.source,
            branch: push.branch,
            message: push.message,
            author: push.author,
            sign: None,
        };
        let pushed = push.git.push_new(
            &crate::git::Remote::new(&repo.git_url, Some(&self.token)),
            &commit,
        );
        let hash = match pushed {
            Ok(h) => h,
            Err(e) if is_connection_error(&e) => {
                notes.warn(format!("Git push failed ({e}), retrying via GitHub API. This can happen when a network proxy blocks the binary payload in the git smart HTTP protocol."));
                super::github_push::push(
                    notes,
                    self.api.as_ref(),
                    &self.host,
                    &spec,
                    push.source,
                    push.branch,
                    push.message,
                )?
            }
            Err(e) => {
                let mut err = ScmError::new(format!("cannot push to {}: {e}", spec.full_name()));
                if e.contains("refused the token") || e.contains("401") || e.contains("403") {
                    err = err.with_hint("the token was refused for git: it needs the `repo` scope (classic) or Contents write access (fine-grained)");
                }
                return Err(err);
            }
        };
        notes.pushed(&hash, &repo.git_url, push);
        Ok(hash)
    }

    /// Branch protection of the pushed default branch (unless `protectDefaultBranch: false`).
    fn set_up(&self, notes: &mut Notes, repo: &Repository, s: Input<'_>) -> Result<()> {
        if repo.pushed.is_some() && s.bool("protectDefaultBranch", true) {
            self.protect(notes, &s, &spec_of(&self.host, repo), &repo.default_branch);
        }
        Ok(())
    }

    fn open_change_request(&self, notes: &mut Notes, req: &ChangeRequest<'_>) -> Result<Change> {
        self.pull_request(notes, req)?
            .ok_or_else(|| ScmError::new("No changes to commit, pull request was not created"))
    }

    fn read_file(&self, repo: &RepoSpec, branch: &str, path: &str) -> Result<Vec<u8>> {
        self.read(repo, branch, path).map_err(|e| {
            if e.is_not_found() {
                return ScmError::new(format!(
                    "{} has no file `{path}` on `{branch}` (HTTP 404)",
                    repo.full_name()
                ));
            }
            e.explain(
                &format!("cannot read `{path}` of {} ({branch})", repo.full_name()),
                &self.host,
            )
            .into()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_are_named_by_their_web_address() {
        let r = Repository {
            id: None,
            git_url: "https://github.com/acme/svc.git".into(),
            web_url: "https://github.com/acme/svc".into(),
            contents_url: String::new(),
            default_branch: "main".into(),
            created: true,
            pushed: None,
        };
        assert_eq!(spec_of("github.com", &r).full_name(), "acme/svc");
        assert!(is_connection_error("failed to connect: Connection refused"));
        assert!(!is_connection_error("401 Unauthorized"));
    }
}
