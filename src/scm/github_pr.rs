//! GitHub pull requests for the GitHub target (`github.rs`): the Git Data API call for call as
//! Backstage's `octokit-plugin-create-pull-request` (the fork with `forceFork` or when the token
//! cannot push, blobs, a tree, a commit, the branch-and-pull-request GraphQL query, the ref, the
//! pull request), then reviewers and assignees as Backstage's `publish:github:pull-request`.

use serde_json::{json, Map, Value};

use super::github::{repo_path, Github};
use super::{Change, ChangeRequest, Input, Notes, ScmError};
use crate::git::Author;
use crate::github::{seg, Method};

impl Github {
    /// Opens (or, with `update`, updates) the pull request of `req`; `None` when nothing changed
    /// and `createWhenEmpty` is false. The input's other keys are in `req.options`.
    pub fn pull_request(
        &self,
        notes: &mut Notes,
        req: &ChangeRequest<'_>,
    ) -> Result<Option<Change>, ScmError> {
        let s = Input(req.options);
        let delete = s.strings("filesToDelete").unwrap_or_default();
        let files = pull_request_files(req.source, req.target_path.unwrap_or(""), &delete)?;
        // Backstage sends an author only when a name or an email is set (and not
        // forceEmptyGitAuthor); otherwise GitHub uses the token's identity.
        let (name, email) = (s.nonempty("gitAuthorName"), s.nonempty("gitAuthorEmail"));
        let author = (!s.bool("forceEmptyGitAuthor", false) && (name.is_some() || email.is_some()))
            .then(|| Author {
                name: name.unwrap_or("Scaffolder").to_string(),
                email: email.unwrap_or("scaffolder@backstage.io").to_string(),
            });
        let pr = PullRequest {
            repo: req.repo,
            branch: req.branch,
            title: req.title,
            description: req.description.unwrap_or_default(),
            // `commitMessage ?? title`: an empty message stays empty, as in Backstage.
            message: s.str("commitMessage").unwrap_or(req.title),
            author,
            update: s.bool("update", false),
            create_when_empty: s.bool("createWhenEmpty", true),
            draft: s.bool("draft", false),
            base: req.target_branch,
            force_fork: s.bool("forceFork", false),
        };
        let Some(created) = create_pull_request(self, &pr, &files)
            .map_err(|e| e.explain("Pull request creation failed", &self.host))?
        else {
            return Ok(None);
        };
        let n = created["number"].as_u64().unwrap_or_default();
        notes.created(format!(
            "branch {} and pull request #{n} of the GitHub repository {}",
            req.branch,
            req.repo.full_name()
        ));
        let path = repo_path(req.repo);
        request_reviewers(self, notes, &s, &path, n);
        add_assignees(self, notes, &s, &path, n);
        Ok(Some(Change {
            target_branch: created
                .pointer("/base/ref")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            url: created["html_url"].as_str().unwrap_or_default().to_string(),
            number: n,
        }))
    }
}

/// `reviewers` and `teamReviewers` (deduplicated); a failure only warns, as in Backstage.
fn request_reviewers(gh: &Github, notes: &mut Notes, i: &Input<'_>, repo_path: &str, n: u64) {
    let reviewers = i.strings("reviewers");
    let team_reviewers = i.strings("teamReviewers");
    if reviewers.is_none() && team_reviewers.is_none() {
        return;
    }
    let mut b = Map::new();
    if let Some(r) = reviewers {
        b.insert("reviewers".into(), json!(r));
    }
    if let Some(mut t) = team_reviewers {
        let mut seen = std::collections::HashSet::new();
        t.retain(|x| seen.insert(x.clone()));
        b.insert("team_reviewers".into(), json!(t));
    }
    if let Err(e) = gh.api.call(
        Method::Post,
        &format!("{repo_path}/pulls/{n}/requested_reviewers"),
        Some(&Value::Object(b)),
    ) {
        notes.warn(format!(
            "Failure when adding reviewers to Pull request {n}: {}",
            e.text()
        ));
    }
}

/// `assignees` (the first 10); a failure only warns, as in Backstage.
fn add_assignees(gh: &Github, notes: &mut Notes, i: &Input<'_>, repo_path: &str, n: u64) {
    let Some(mut assignees) = i.strings("assignees") else {
        return;
    };
    if assignees.len() > 10 {
        notes.warn("Assignees list is too long, only the first 10 will be used.");
        assignees.truncate(10);
    }
    if let Err(e) = gh.api.call(
        Method::Post,
        &format!("{repo_path}/issues/{n}/assignees"),
        Some(&json!({"assignees": assignees})),
    ) {
        notes.warn(format!(
            "Failure when adding assignees to Pull request {n}: {}",
            e.text()
        ));
    }
}

/// One change of the pull request's commit: a file to write, or a path to delete.
enum FileChange {
    Write(crate::git::WorkFile),
    Delete(String),
}

/// The files of `source` (as Backstage's `serializeDirectoryContents` with `.gitignore` honoured:
/// symlinks that point at something are left out, dangling ones kept) placed under
/// `target_path`, then the deletions.
fn pull_request_files(
    source: &std::path::Path,
    target_path: &str,
    delete: &[String],
) -> Result<Vec<FileChange>, ScmError> {
    let join = |p: &str| {
        if target_path.is_empty() {
            p.to_string()
        } else {
            format!("{}/{p}", target_path.trim_end_matches('/'))
        }
    };
    let mut changes = Vec::new();
    for mut f in crate::git::worktree_files(source)
        .map_err(|e| ScmError::new(format!("cannot read the files for the pull request: {e}")))?
    {
        if f.mode == 0o120000 && std::fs::metadata(source.join(&f.path)).is_ok() {
            continue;
        }
        f.path = join(&f.path);
        changes.push(FileChange::Write(f));
    }
    changes.extend(delete.iter().map(|d| FileChange::Delete(join(d))));
    Ok(changes)
}

/// What `octokit-plugin-create-pull-request` is asked for.
struct PullRequest<'a> {
    repo: &'a super::RepoSpec,
    branch: &'a str,
    base: Option<&'a str>,
    title: &'a str,
    description: &'a str,
    message: &'a str,
    author: Option<Author>,
    update: bool,
    create_when_empty: bool,
    draft: bool,
    force_fork: bool,
}

const BRANCH_QUERY: &str = "
    query ($owner: String!, $repo: String!, $head: String!) {
      repository(name: $repo, owner: $owner) {
        ref(qualifiedName: $head) {
          associatedPullRequests(first: 1, states: OPEN) {
            edges {
              node {
                id
                number
                url
              }
            }
          }
        }
      }
    }";

/// The pull request through the Git Data API, call for call as `octokit-plugin-create-pull-request`
/// does it for Backstage: the fork (with `forceFork`, or when the token cannot push), blobs, a
/// tree on the base tree, a commit, the branch, the pull request. `None` when nothing changed and
/// `createWhenEmpty` is false.
fn create_pull_request(
    gh: &Github,
    pr: &PullRequest<'_>,
    changes: &[FileChange],
) -> Result<Option<Value>, crate::github::ApiError> {
    let (owner, name) = (pr.repo.owner.as_str(), pr.repo.name.as_str());
    let repo_path = format!("/repos/{}/{}", seg(owner), seg(name));
    let repo = gh.api.call(Method::Get, &repo_path, None)?;
    let Some(permissions) = repo.get("permissions") else {
        return Err(refused(
            &repo_path,
            "[octokit-plugin-create-pull-request] Missing authentication",
        ));
    };
    let default_branch = repo
        .get("default_branch")
        .and_then(Value::as_str)
        .unwrap_or("main")
        .to_string();
    let base = pr.base.map(str::to_string).unwrap_or(default_branch);
    if base == pr.branch {
        return Err(refused(
            &repo_path,
            "[octokit-plugin-create-pull-request] \"head\" cannot be the same value as \"base\"",
        ));
    }
    // The plugin forks for `forceFork`, and for a user's token that cannot push (GitHub sends
    // `X-OAuth-Scopes` for those; a GitHub App's installation token, `ghs_…`, is not a user's).
    let is_user = !gh.token().0.starts_with("ghs_");
    let cannot_push = permissions.get("push") == Some(&Value::Bool(false));
    let head_owner = if pr.force_fork || (is_user && cannot_push) {
        fork(gh, &repo_path)?
    } else {
        owner.to_string()
    };
    let head_path = format!("/repos/{}/{}", seg(&head_owner), seg(name));
    let latest = gh.api.call(
        Method::Get,
        &format!("{repo_path}/commits?sha={}&per_page=1", seg(&base)),
        None,
    )?;
    let text = |p: &str| {
        latest
            .pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (latest_sha, base_tree) = (text("/0/sha"), text("/0/commit/tree/sha"));
    let tree = tree_entries(gh, &head_path, &latest_sha, changes)?;
    let mut tree_sha = base_tree.clone();
    if !tree.is_empty() {
        let t = gh.api.call(
            Method::Post,
            &format!("{head_path}/git/trees"),
            Some(&json!({"base_tree": base_tree, "tree": tree})),
        )?;
        tree_sha = t
            .get("sha")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
    }
    let commit_sha = create_commit(gh, &head_path, pr, &tree_sha, &latest_sha)?;
    if tree_sha == base_tree && !pr.create_when_empty {
        return Ok(None);
    }
    let head = Head {
        owner: &head_owner,
        path: &head_path,
        commit: &commit_sha,
    };
    open_or_update(gh, pr, &repo_path, &base, &head).map(Some)
}

/// An error of the plugin's own (no HTTP status).
fn refused(repo_path: &str, message: &str) -> crate::github::ApiError {
    crate::github::ApiError {
        call: format!("GET {repo_path}"),
        status: None,
        message: message.into(),
        details: Vec::new(),
    }
}

/// The token user's fork of the repository (made when it has none); returns the user's login.
fn fork(gh: &Github, repo_path: &str) -> Result<String, crate::github::ApiError> {
    let user = gh.api.call(Method::Get, "/user", None)?;
    let login = user["login"].as_str().unwrap_or_default().to_string();
    let forks = gh
        .api
        .call(Method::Get, &format!("{repo_path}/forks"), None)?;
    let has_fork = forks.as_array().is_some_and(|f| {
        f.iter()
            .any(|f| f.pointer("/owner/login").and_then(Value::as_str) == Some(login.as_str()))
    });
    if !has_fork {
        gh.api
            .call(Method::Post, &format!("{repo_path}/forks"), None)?;
    }
    Ok(login)
}

/// The tree entries: a blob per file (symlinks inline), deletions of the paths that exist.
fn tree_entries(
    gh: &Github,
    head_path: &str,
    latest_sha: &str,
    changes: &[FileChange],
) -> Result<Vec<Value>, crate::github::ApiError> {
    use base64::Engine as _;
    let mut tree = Vec::new();
    for change in changes {
        match change {
            FileChange::Write(f) if f.mode == 0o120000 => {
                tree.push(json!({"path": f.path, "mode": "120000", "content": String::from_utf8_lossy(&f.content)}));
            }
            FileChange::Write(f) => {
                let mode = format!("{:o}", f.mode);
                let body = json!({"mode": mode, "encoding": "base64", "content": base64::engine::general_purpose::STANDARD.encode(&f.content)});
                let blob =
                    gh.api
                        .call(Method::Post, &format!("{head_path}/git/blobs"), Some(&body))?;
                tree.push(json!({"path": f.path, "mode": mode, "sha": blob.get("sha").cloned().unwrap_or(Value::Null)}));
            }
            FileChange::Delete(p) => {
                let head = format!("{head_path}/contents/{}?ref={latest_sha}", seg(p));
                if gh.api.call(Method::Head, &head, None).is_ok() {
                    tree.push(json!({"path": p, "mode": "100644", "sha": null}));
                }
            }
        }
    }
    Ok(tree)
}

/// `POST …/git/commits` of `tree_sha` on `parent`; returns the commit's sha.
fn create_commit(
    gh: &Github,
    head_path: &str,
    pr: &PullRequest<'_>,
    tree_sha: &str,
    parent: &str,
) -> Result<Value, crate::github::ApiError> {
    let mut commit = Map::new();
    commit.insert("message".into(), json!(pr.message));
    if let Some(a) = &pr.author {
        commit.insert("author".into(), json!({"name": a.name, "email": a.email}));
    }
    commit.insert("tree".into(), json!(tree_sha));
    commit.insert("parents".into(), json!([parent]));
    let created = gh.api.call(
        Method::Post,
        &format!("{head_path}/git/commits"),
        Some(&Value::Object(commit)),
    )?;
    Ok(created.get("sha").cloned().unwrap_or(Value::Null))
}

/// Where the pull request's branch lives: the repository or the user's fork.
struct Head<'a> {
    owner: &'a str,
    path: &'a str,
    commit: &'a Value,
}

/// Moves or creates the branch, then updates the open pull request or opens one.
fn open_or_update(
    gh: &Github,
    pr: &PullRequest<'_>,
    repo_path: &str,
    base: &str,
    head: &Head<'_>,
) -> Result<Value, crate::github::ApiError> {
    let info = gh.api.graphql(
        BRANCH_QUERY,
        &json!({"owner": head.owner, "repo": pr.repo.name, "head": pr.branch}),
    )?;
    let branch_ref = info.pointer("/repository/ref").filter(|r| !r.is_null());
    let existing = branch_ref
        .and_then(|r| r.pointer("/associatedPullRequests/edges/0/node"))
        .cloned();
    if let (Some(e), false) = (&existing, pr.update) {
        let url = e.get("url").and_then(Value::as_str).unwrap_or_default();
        return Err(refused(repo_path, &format!("[octokit-plugin-create-pull-request] Pull request already exists: {url}. Set update=true to enable updating")));
    }
    if branch_ref.is_some() {
        let body = json!({"sha": head.commit, "force": true});
        let r = seg(&format!("heads/{}", pr.branch));
        gh.api.call(
            Method::Patch,
            &format!("{}/git/refs/{r}", head.path),
            Some(&body),
        )?;
    } else {
        gh.api.call(
            Method::Post,
            &format!("{}/git/refs", head.path),
            Some(&json!({"sha": head.commit, "ref": format!("refs/heads/{}", pr.branch)})),
        )?;
    }
    let body = json!({"head": format!("{}:{}", head.owner, pr.branch), "base": base, "title": pr.title, "body": pr.description, "draft": pr.draft});
    match existing
        .as_ref()
        .and_then(|e| e.get("number"))
        .and_then(Value::as_u64)
    {
        Some(n) => gh.api.call(
            Method::Patch,
            &format!("{repo_path}/pulls/{n}"),
            Some(&body),
        ),
        None => gh
            .api
            .call(Method::Post, &format!("{repo_path}/pulls"), Some(&body)),
    }
}
