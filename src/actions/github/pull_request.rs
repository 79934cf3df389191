//! `publish:github:pull-request`: the workspace's files (or `sourcePath`'s, written under
//! `targetPath`, minus `filesToDelete`) as one commit on a branch, then a pull request. On GitHub
//! it goes through the Git Data API call for call as Backstage's `octokit-plugin-create-pull-request`
//! (blobs, tree, commit, the branch-and-pull-request GraphQL query, ref, pull request), so the
//! tests compare the calls with Backstage's own. In the local forge the branch is pushed with git
//! and the pull request is recorded under `REPO.git/golden/pulls.json`.

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

pub fn run(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    let i = Input(input);
    let target_path = i.str("targetPath").unwrap_or("");
    if !target_path.is_empty() {
        check_target_path(target_path, "targetPath")?;
    }
    let delete = i.strings("filesToDelete").unwrap_or_default();
    for d in &delete {
        check_target_path(d, "filesToDelete entry")?;
    }
    let url = RepoUrl::parse(i.required("repoUrl")?)?;
    let branch = i.required("branchName")?.to_string();
    let title = i.required("title")?.to_string();
    let description = i.str("description").unwrap_or_default().to_string();
    if i.bool("forceFork", false) {
        return Err(ActionError::new(
            "`forceFork` (opening the pull request from a fork) is not supported by golden yet",
        )
        .with_hint("remove `forceFork`, or push to a repository the token can write to"));
    }
    let source = match i.str("sourcePath").filter(|s| !s.is_empty()) {
        Some(sp) => crate::workspace::safe_join(ctx.workspace, sp)?,
        None => ctx.workspace.to_path_buf(),
    };
    // `commitMessage ?? title`: an empty message stays empty, as in Backstage.
    let message = i.str("commitMessage").unwrap_or(&title).to_string();
    // Without an author GitHub would use the token's identity; git needs one, so golden uses
    // Backstage's fallback.
    let author = Author {
        name: i
            .nonempty("gitAuthorName")
            .unwrap_or("Scaffolder")
            .to_string(),
        email: i
            .nonempty("gitAuthorEmail")
            .unwrap_or("scaffolder@backstage.io")
            .to_string(),
    };
    let update = i.bool("update", false);
    let create_when_empty = i.bool("createWhenEmpty", true);

    if ctx.services.local {
        let path = ctx
            .services
            .forge()
            .existing(&url.host, &url.owner, &url.repo)?;
        let remote = forge::url(&path);
        let open = forge::records(&path, "pulls")
            .iter()
            .position(|p| p["head"] == json!(branch));
        if let (Some(i), false) = (open, update) {
            return Err(ActionError::new(format!(
                "Pull request creation failed: [octokit-plugin-create-pull-request] Pull request already exists: {remote}/pull/{}. Set update=true to enable updating",
                i + 1
            )));
        }
        let commit = BranchCommit {
            base: i.nonempty("targetBranchName"),
            branch: &branch,
            source: &source,
            target_path,
            delete: &delete,
            message: &message,
            author: &author,
            force: update,
        };
        let res = ctx
            .services
            .git()
            .push_branch(&remote, None, &commit)
            .map_err(|e| pr_error(&url, &e))?;
        if res.commit.is_none() && !create_when_empty {
            ctx.info("No changes to commit, pull request was not created");
            return Ok(Map::new());
        }
        ctx.note_created(format!(
            "branch {branch} of the local-forge repository {}",
            url.full_name()
        ));
        let pull = json!({"title": title, "body": description, "head": branch, "base": res.base, "draft": i.bool("draft", false), "commit": res.commit});
        let number = match open {
            Some(i) => {
                forge::replace_record(&path, "pulls", i, pull, &ctx.services.config.redactor)?;
                i + 1
            }
            None => forge::record(&path, "pulls", pull, &ctx.services.config.redactor)?,
        };
        ctx.info(format!(
            "local forge: pull request #{number} recorded in `{}`",
            path.join("golden/pulls.json").display()
        ));
        let mut out = Map::new();
        out.insert("targetBranchName".into(), json!(res.base));
        out.insert("remoteUrl".into(), json!(format!("{remote}/pull/{number}")));
        out.insert("pullRequestNumber".into(), json!(number));
        return Ok(out);
    }

    let gh = ctx.services.github(&url.host, i.nonempty("token"))?;
    // Backstage sends an author only when a name or an email is set (and not forceEmptyGitAuthor);
    // otherwise GitHub uses the token's identity.
    let author = if i.bool("forceEmptyGitAuthor", false)
        || (i.nonempty("gitAuthorName").is_none() && i.nonempty("gitAuthorEmail").is_none())
    {
        None
    } else {
        Some(author)
    };
    let files = pull_request_files(&source, target_path, &delete)?;
    let request = PullRequest {
        url: &url,
        branch: &branch,
        title: &title,
        description: &description,
        message: &message,
        author,
        update,
        create_when_empty,
        draft: i.bool("draft", false),
        base: i.nonempty("targetBranchName"),
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
        "branch {branch} and pull request #{n} of the GitHub repository {}",
        url.full_name()
    ));
    let repo_path = format!("/repos/{}/{}", seg(&url.owner), seg(&url.repo));
    let reviewers = i.strings("reviewers");
    let team_reviewers = i.strings("teamReviewers");
    if reviewers.is_some() || team_reviewers.is_some() {
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
    if let Some(mut assignees) = i.strings("assignees") {
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
/// does it for Backstage: blobs, a tree on the base tree, a commit, the branch, the pull request.
/// `None` when nothing changed and `createWhenEmpty` is false.
fn create_pull_request(
    gh: &crate::services::GithubConnection,
    pr: &PullRequest<'_>,
    changes: &[Change],
) -> Result<Option<Value>, crate::github::ApiError> {
    use base64::Engine as _;
    let (owner, name) = (pr.url.owner.as_str(), pr.url.repo.as_str());
    let repo_path = format!("/repos/{}/{}", seg(owner), seg(name));
    let repo = gh.api.call(Method::Get, &repo_path, None)?;
    let refused = |message: &str| crate::github::ApiError {
        call: format!("GET {repo_path}"),
        status: None,
        message: message.into(),
        details: Vec::new(),
    };
    let Some(permissions) = repo.get("permissions") else {
        return Err(refused(
            "[octokit-plugin-create-pull-request] Missing authentication",
        ));
    };
    if permissions.get("push") == Some(&Value::Bool(false)) {
        return Err(refused("the token cannot push to the repository, and golden does not open pull requests from forks yet"));
    }
    let default_branch = repo
        .get("default_branch")
        .and_then(Value::as_str)
        .unwrap_or("main")
        .to_string();
    let base = pr.base.map(str::to_string).unwrap_or(default_branch);
    if base == pr.branch {
        return Err(refused(
            "[octokit-plugin-create-pull-request] \"head\" cannot be the same value as \"base\"",
        ));
    }
    let latest = gh.api.call(
        Method::Get,
        &format!("{repo_path}/commits?sha={}&per_page=1", seg(&base)),
        None,
    )?;
    let latest_sha = latest
        .pointer("/0/sha")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let base_tree = latest
        .pointer("/0/commit/tree/sha")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
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
                        .call(Method::Post, &format!("{repo_path}/git/blobs"), Some(&body))?;
                tree.push(json!({"path": f.path, "mode": mode, "sha": blob.get("sha").cloned().unwrap_or(Value::Null)}));
            }
            Change::Delete(p) => {
                let head = format!("{repo_path}/contents/{}?ref={latest_sha}", seg(p));
                if gh.api.call(Method::Head, &head, None).is_ok() {
                    tree.push(json!({"path": p, "mode": "100644", "sha": null}));
                }
            }
        }
    }
    let mut tree_sha = base_tree.clone();
    if !tree.is_empty() {
        let t = gh.api.call(
            Method::Post,
            &format!("{repo_path}/git/trees"),
            Some(&json!({"base_tree": base_tree, "tree": tree})),
        )?;
        tree_sha = t
            .get("sha")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
    }
    let mut commit = Map::new();
    commit.insert("message".into(), json!(pr.message));
    if let Some(a) = &pr.author {
        commit.insert("author".into(), json!({"name": a.name, "email": a.email}));
    }
    commit.insert("tree".into(), json!(tree_sha));
    commit.insert("parents".into(), json!([latest_sha]));
    let created = gh.api.call(
        Method::Post,
        &format!("{repo_path}/git/commits"),
        Some(&Value::Object(commit)),
    )?;
    let commit_sha = created.get("sha").cloned().unwrap_or(Value::Null);
    if tree_sha == base_tree && !pr.create_when_empty {
        return Ok(None);
    }
    let info = gh.api.graphql(
        BRANCH_QUERY,
        &json!({"owner": owner, "repo": name, "head": pr.branch}),
    )?;
    let branch_ref = info.pointer("/repository/ref").filter(|r| !r.is_null());
    let existing = branch_ref
        .and_then(|r| r.pointer("/associatedPullRequests/edges/0/node"))
        .cloned();
    if let (Some(e), false) = (&existing, pr.update) {
        let url = e.get("url").and_then(Value::as_str).unwrap_or_default();
        return Err(refused(&format!("[octokit-plugin-create-pull-request] Pull request already exists: {url}. Set update=true to enable updating")));
    }
    if branch_ref.is_some() {
        let body = json!({"sha": commit_sha, "force": true});
        gh.api.call(
            Method::Patch,
            &format!(
                "{repo_path}/git/refs/{}",
                seg(&format!("heads/{}", pr.branch))
            ),
            Some(&body),
        )?;
    } else {
        gh.api.call(
            Method::Post,
            &format!("{repo_path}/git/refs"),
            Some(&json!({"sha": commit_sha, "ref": format!("refs/heads/{}", pr.branch)})),
        )?;
    }
    let body = json!({"head": format!("{owner}:{}", pr.branch), "base": base, "title": pr.title, "body": pr.description, "draft": pr.draft});
    let result = match existing
        .as_ref()
        .and_then(|e| e.get("number"))
        .and_then(Value::as_u64)
    {
        Some(n) => gh.api.call(
            Method::Patch,
            &format!("{repo_path}/pulls/{n}"),
            Some(&body),
        )?,
        None => gh
            .api
            .call(Method::Post, &format!("{repo_path}/pulls"), Some(&body))?,
    };
    Ok(Some(result))
}

fn pr_error(url: &RepoUrl, e: &str) -> ActionError {
    ActionError::new(format!(
        "Pull request creation failed: cannot push the branch to {}: {e}",
        url.full_name()
    ))
}
