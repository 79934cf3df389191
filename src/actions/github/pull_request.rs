//! `publish:github:pull-request`: the workspace's files (or `sourcePath`'s, written under
//! `targetPath`, minus `filesToDelete`) as one commit on a branch, then a pull request. On GitHub
//! it goes through the Git Data API call for call as Backstage's `octokit-plugin-create-pull-request`
//! (blobs, tree, commit, the branch-and-pull-request GraphQL query, ref, pull request), so the
//! tests compare the calls with Backstage's own. `forceFork` forks the repository into the token
//! user's account and proposes the branch from there, as the plugin does. In the local forge the
//! branch is pushed with git (to the user's fork with `forceFork`) and the pull request is
//! recorded under `REPO.git/golden/pulls.json`.

use serde_json::{json, Map, Value};

use super::{warn, Input};
use crate::forge;
use crate::git::{Author, BranchCommit};
use crate::github::{seg, Method, RepoUrl};
use crate::runner::{ActionContext, ActionError, Outputs};

/// `assertValidTargetPath`: relative, without `..` segments.
fn check_target_path(path: &str, input: &str) -> Result<(), ActionError> {
    if path.starts_with('/') || path.split('/').any(|s| s == "..") {
        return Err(ActionError::new(format!(
            "Invalid {input} '{path}': must be a relative path within the target repository, without '..' segments"
        )));
    }
    Ok(())
}

/// What the step asks for, read from its input.
struct Request {
    url: RepoUrl,
    branch: String,
    title: String,
    description: String,
    message: String,
    author: Author,
    source: std::path::PathBuf,
    target_path: String,
    delete: Vec<String>,
    update: bool,
    create_when_empty: bool,
    force_fork: bool,
}

impl Request {
    fn read(ctx: &ActionContext<'_>, i: &Input<'_>) -> Result<Request, ActionError> {
        let target_path = i.str("targetPath").unwrap_or("").to_string();
        if !target_path.is_empty() {
            check_target_path(&target_path, "targetPath")?;
        }
        let delete = i.strings("filesToDelete").unwrap_or_default();
        for d in &delete {
            check_target_path(d, "filesToDelete entry")?;
        }
        let url = RepoUrl::parse(i.required("repoUrl")?)?;
        let branch = i.required("branchName")?.to_string();
        let title = i.required("title")?.to_string();
        let source = match i.str("sourcePath").filter(|s| !s.is_empty()) {
            Some(sp) => crate::workspace::safe_join(ctx.workspace, sp)?,
            None => ctx.workspace.to_path_buf(),
        };
        Ok(Request {
            url,
            branch,
            description: i.str("description").unwrap_or_default().to_string(),
            // `commitMessage ?? title`: an empty message stays empty, as in Backstage.
            message: i.str("commitMessage").unwrap_or(&title).to_string(),
            title,
            // Without an author GitHub would use the token's identity; git needs one, so golden
            // uses Backstage's fallback.
            author: super::author(i),
            source,
            target_path,
            delete,
            update: i.bool("update", false),
            create_when_empty: i.bool("createWhenEmpty", true),
            force_fork: i.bool("forceFork", false),
        })
    }
}

pub fn run(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    let i = Input(input);
    let req = Request::read(ctx, &i)?;
    if ctx.services.local {
        run_local(ctx, &i, &req)
    } else {
        run_github(ctx, &i, &req)
    }
}

/// The local forge: the branch pushed with git (to a fork in the user's account with
/// `forceFork`), the pull request recorded under `REPO.git/golden/pulls.json`.
fn run_local(
    ctx: &mut ActionContext<'_>,
    i: &Input<'_>,
    req: &Request,
) -> Result<Outputs, ActionError> {
    let url = &req.url;
    let path = ctx
        .services
        .forge()
        .existing(&url.host, &url.owner, &url.repo)?;
    let remote = forge::url(&path);
    let (head_remote, head) = if req.force_fork {
        let login = local_login(ctx);
        let fork = local_fork(ctx, url, &path, &login, i.nonempty("targetBranchName"))?;
        (forge::url(&fork), format!("{login}:{}", req.branch))
    } else {
        (remote.clone(), req.branch.clone())
    };
    let open = forge::records(&path, "pulls")
        .iter()
        .position(|p| p["head"] == json!(head));
    if let (Some(n), false) = (open, req.update) {
        return Err(ActionError::new(format!(
            "Pull request creation failed: [octokit-plugin-create-pull-request] Pull request already exists: {remote}/pull/{}. Set update=true to enable updating",
            n + 1
        )));
    }
    let commit = BranchCommit {
        base: i.nonempty("targetBranchName"),
        branch: &req.branch,
        source: &req.source,
        target_path: &req.target_path,
        delete: &req.delete,
        message: &req.message,
        author: &req.author,
        force: req.update,
    };
    let res = ctx
        .services
        .git()
        .push_branch(&head_remote, None, &commit)
        .map_err(|e| pr_error(url, &e))?;
    if res.commit.is_none() && !req.create_when_empty {
        ctx.info("No changes to commit, pull request was not created");
        return Ok(Map::new());
    }
    ctx.note_created(format!(
        "branch {} of the local-forge repository {}",
        req.branch,
        if req.force_fork {
            head.clone()
        } else {
            url.full_name()
        }
    ));
    let pull = json!({"title": req.title, "body": req.description, "head": head, "base": res.base, "draft": i.bool("draft", false), "commit": res.commit});
    let number = match open {
        Some(n) => {
            forge::replace_record(&path, "pulls", n, pull)?;
            n + 1
        }
        None => forge::record(&path, "pulls", pull)?,
    };
    ctx.info(format!(
        "local forge: pull request #{number} recorded in `{}`",
        path.join("golden/pulls.json").display()
    ));
    let mut out = Map::new();
    out.insert("targetBranchName".into(), json!(res.base));
    out.insert("remoteUrl".into(), json!(format!("{remote}/pull/{number}")));
    out.insert("pullRequestNumber".into(), json!(number));
    Ok(out)
}

/// The local forge's stand-in for the token's user: the name of the run's user entity
/// (`--user`), else `golden`.
fn local_login(ctx: &ActionContext<'_>) -> String {
    ctx.user
        .get("ref")
        .and_then(Value::as_str)
        .map(crate::github::entity_ref_to_name)
        .filter(|n| !n.is_empty())
        .unwrap_or("golden")
        .to_string()
}

/// The user's fork of `upstream` in the local forge, made on first use (every branch copied);
/// the base branch is brought up to date with the upstream's, as GitHub bases the commit on it.
fn local_fork(
    ctx: &mut ActionContext<'_>,
    url: &RepoUrl,
    upstream: &std::path::Path,
    login: &str,
    base: Option<&str>,
) -> Result<std::path::PathBuf, ActionError> {
    let forge = ctx.services.forge();
    let fetch = |dest: &std::path::Path, refspec: &str| -> Result<(), ActionError> {
        let repo = git2::Repository::open_bare(dest)
            .and_then(|r| {
                r.remote_anonymous(&forge::url(upstream))?
                    .fetch(&[refspec], None, None)?;
                Ok(r)
            })
            .map_err(|e| {
                ActionError::new(format!(
                    "cannot fork {} in the local forge: {}",
                    url.full_name(),
                    e.message()
                ))
            })?;
        drop(repo);
        Ok(())
    };
    let fork = forge.repo_path(&url.host, login, &url.repo)?;
    if fork.is_dir() {
        let base = base
            .map(str::to_string)
            .unwrap_or_else(|| default_branch(upstream));
        fetch(&fork, &format!("+refs/heads/{base}:refs/heads/{base}"))?;
        return Ok(fork);
    }
    let default = default_branch(upstream);
    let (fork, ()) = forge.create_with(&url.host, login, &url.repo, &default, |aside| {
        fetch(aside, "+refs/heads/*:refs/heads/*")
    })?;
    ctx.note_created(format!(
        "the local-forge fork {login}/{} of {}",
        url.repo,
        url.full_name()
    ));
    Ok(fork)
}

/// The branch HEAD names in a bare repository (`main` when unreadable).
fn default_branch(repo: &std::path::Path) -> String {
    git2::Repository::open_bare(repo)
        .ok()
        .and_then(|r| {
            let head = r.find_reference("HEAD").ok()?;
            let target = head.symbolic_target().ok().flatten()?;
            Some(target.trim_start_matches("refs/heads/").to_string())
        })
        .unwrap_or_else(|| "main".to_string())
}

/// GitHub: the Git Data API calls of `octokit-plugin-create-pull-request`, then reviewers and
/// assignees.
fn run_github(
    ctx: &mut ActionContext<'_>,
    i: &Input<'_>,
    req: &Request,
) -> Result<Outputs, ActionError> {
    let url = &req.url;
    let gh = ctx.services.github(url, i.nonempty("token"))?;
    // Backstage sends an author only when a name or an email is set (and not forceEmptyGitAuthor);
    // otherwise GitHub uses the token's identity.
    let author = if i.bool("forceEmptyGitAuthor", false)
        || (i.nonempty("gitAuthorName").is_none() && i.nonempty("gitAuthorEmail").is_none())
    {
        None
    } else {
        Some(req.author.clone())
    };
    let files = pull_request_files(&req.source, &req.target_path, &req.delete)?;
    let request = PullRequest {
        url,
        branch: &req.branch,
        title: &req.title,
        description: &req.description,
        message: &req.message,
        author,
        update: req.update,
        create_when_empty: req.create_when_empty,
        draft: i.bool("draft", false),
        base: i.nonempty("targetBranchName"),
        force_fork: req.force_fork,
    };
    let Some(pr) = create_pull_request(&gh, &request, &files)
        .map_err(|e| e.explain("Pull request creation failed", &url.host))?
    else {
        ctx.info("No changes to commit, pull request was not created");
        return Ok(Map::new());
    };
    let number = pr.get("number").cloned().unwrap_or(Value::Null);
    let n = number.as_u64().unwrap_or_default();
    ctx.note_created(format!(
        "branch {} and pull request #{n} of the GitHub repository {}",
        req.branch,
        url.full_name()
    ));
    let repo_path = format!("/repos/{}/{}", seg(&url.owner), seg(&url.repo));
    request_reviewers(ctx, &gh, i, &repo_path, n);
    add_assignees(ctx, &gh, i, &repo_path, n);
    let mut out = Map::new();
    out.insert(
        "targetBranchName".into(),
        pr.pointer("/base/ref").cloned().unwrap_or(Value::Null),
    );
    out.insert(
        "remoteUrl".into(),
        pr.get("html_url").cloned().unwrap_or(Value::Null),
    );
    out.insert("pullRequestNumber".into(), number);
    Ok(out)
}

/// `reviewers` and `teamReviewers` (deduplicated); a failure only warns, as in Backstage.
fn request_reviewers(
    ctx: &mut ActionContext<'_>,
    gh: &crate::services::GithubConnection,
    i: &Input<'_>,
    repo_path: &str,
    n: u64,
) {
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
        warn(
            ctx,
            format!(
                "Failure when adding reviewers to Pull request {n}: {}",
                e.text()
            ),
        );
    }
}

/// `assignees` (the first 10); a failure only warns, as in Backstage.
fn add_assignees(
    ctx: &mut ActionContext<'_>,
    gh: &crate::services::GithubConnection,
    i: &Input<'_>,
    repo_path: &str,
    n: u64,
) {
    let Some(mut assignees) = i.strings("assignees") else {
        return;
    };
    if assignees.len() > 10 {
        warn(
            ctx,
            "Assignees list is too long, only the first 10 will be used.",
        );
        assignees.truncate(10);
    }
    if let Err(e) = gh.api.call(
        Method::Post,
        &format!("{repo_path}/issues/{n}/assignees"),
        Some(&json!({"assignees": assignees})),
    ) {
        warn(
            ctx,
            format!(
                "Failure when adding assignees to Pull request {n}: {}",
                e.text()
            ),
        );
    }
}

/// One change of the pull request's commit: a file to write, or a path to delete.
enum Change {
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
) -> Result<Vec<Change>, ActionError> {
    let join = |p: &str| {
        if target_path.is_empty() {
            p.to_string()
        } else {
            format!("{}/{p}", target_path.trim_end_matches('/'))
        }
    };
    let mut changes = Vec::new();
    for mut f in crate::git::worktree_files(source)
        .map_err(|e| ActionError::new(format!("cannot read the files for the pull request: {e}")))?
    {
        if f.mode == 0o120000 && std::fs::metadata(source.join(&f.path)).is_ok() {
            continue;
        }
        f.path = join(&f.path);
        changes.push(Change::Write(f));
    }
    changes.extend(delete.iter().map(|d| Change::Delete(join(d))));
    Ok(changes)
}

/// What `octokit-plugin-create-pull-request` is asked for.
struct PullRequest<'a> {
    url: &'a RepoUrl,
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
    gh: &crate::services::GithubConnection,
    pr: &PullRequest<'_>,
    changes: &[Change],
) -> Result<Option<Value>, crate::github::ApiError> {
    let (owner, name) = (pr.url.owner.as_str(), pr.url.repo.as_str());
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
    // The plugin forks for `forceFork`, and for a user token that cannot push.
    let head_owner = if pr.force_fork || permissions.get("push") == Some(&Value::Bool(false)) {
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
fn fork(
    gh: &crate::services::GithubConnection,
    repo_path: &str,
) -> Result<String, crate::github::ApiError> {
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
    gh: &crate::services::GithubConnection,
    head_path: &str,
    latest_sha: &str,
    changes: &[Change],
) -> Result<Vec<Value>, crate::github::ApiError> {
    use base64::Engine as _;
    let mut tree = Vec::new();
    for change in changes {
        match change {
            Change::Write(f) if f.mode == 0o120000 => {
                tree.push(json!({"path": f.path, "mode": "120000", "content": String::from_utf8_lossy(&f.content)}));
            }
            Change::Write(f) => {
                let mode = format!("{:o}", f.mode);
                let body = json!({"mode": mode, "encoding": "base64", "content": base64::engine::general_purpose::STANDARD.encode(&f.content)});
                let blob =
                    gh.api
                        .call(Method::Post, &format!("{head_path}/git/blobs"), Some(&body))?;
                tree.push(json!({"path": f.path, "mode": mode, "sha": blob.get("sha").cloned().unwrap_or(Value::Null)}));
            }
            Change::Delete(p) => {
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
    gh: &crate::services::GithubConnection,
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
    gh: &crate::services::GithubConnection,
    pr: &PullRequest<'_>,
    repo_path: &str,
    base: &str,
    head: &Head<'_>,
) -> Result<Value, crate::github::ApiError> {
    let info = gh.api.graphql(
        BRANCH_QUERY,
        &json!({"owner": head.owner, "repo": pr.url.repo, "head": pr.branch}),
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

fn pr_error(url: &RepoUrl, e: &str) -> ActionError {
    ActionError::new(format!(
        "Pull request creation failed: cannot push the branch to {}: {e}",
        url.full_name()
    ))
}
