//! `publish:github:pull-request`: the workspace's files (or `sourcePath`'s, written under
//! `targetPath`, minus `filesToDelete`) as one commit on a new branch, then a pull request.
//! Backstage sends the files through the Git Data API; golden pushes the same commit with git
//! and opens the pull request with `POST /repos/{o}/{r}/pulls`. In the local forge the branch is
//! pushed and the pull request is recorded under `REPO.git/golden/pulls.json`.

use serde_json::{json, Map, Value};

use super::{call, warn, Input};
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

pub fn run(ctx: &mut ActionContext<'_>, input: &Map<String, Value>) -> Result<Outputs, ActionError> {
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
        return Err(ActionError::new("`forceFork` (opening the pull request from a fork) is not supported by golden yet")
            .with_hint("remove `forceFork`, or push to a repository the token can write to"));
    }
    let source = match i.str("sourcePath").filter(|s| !s.is_empty()) {
        Some(sp) => crate::workspace::safe_join(ctx.workspace, sp)?,
        None => ctx.workspace.to_path_buf(),
    };
    let message = i.nonempty("commitMessage").unwrap_or(&title).to_string();
    // Without an author GitHub would use the token's identity; git needs one, so golden uses
    // Backstage's fallback.
    let author = Author {
        name: i.nonempty("gitAuthorName").unwrap_or("Scaffolder").to_string(),
        email: i.nonempty("gitAuthorEmail").unwrap_or("scaffolder@backstage.io").to_string(),
    };
    let update = i.bool("update", false);
    let create_when_empty = i.bool("createWhenEmpty", true);

    if ctx.services.local {
        let path = ctx.services.forge().existing(&url.host, &url.owner, &url.repo)?;
        let remote = forge::url(&path);
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
        let res = ctx.services.git().push_branch(&remote, None, &commit).map_err(|e| pr_error(&url, &e))?;
        if res.commit.is_none() && !create_when_empty {
            ctx.info("No changes to commit, pull request was not created");
            return Ok(Map::new());
        }
        ctx.services.note_created(format!("branch {branch} of the local-forge repository {}", url.full_name()));
        let number = forge::record(
            &path,
            "pulls",
            json!({"title": title, "body": description, "head": branch, "base": res.base, "draft": i.bool("draft", false), "commit": res.commit}),
        )?;
        ctx.info(format!("local forge: pull request #{number} recorded in `{}`", path.join("golden/pulls.json").display()));
        let mut out = Map::new();
        out.insert("targetBranchName".into(), json!(res.base));
        out.insert("remoteUrl".into(), json!(format!("{remote}/pull/{number}")));
        out.insert("pullRequestNumber".into(), json!(number));
        return Ok(out);
    }

    let gh = ctx.services.github(&url.host, i.nonempty("token"))?;
    let host = url.host.clone();
    let repo_path = format!("/repos/{}/{}", seg(&url.owner), seg(&url.repo));
    let repo = call(&gh, &host, Method::Get, &repo_path, None, &format!("Pull request creation failed: cannot find {}", url.full_name()))?;
    let clone_url = repo.get("clone_url").and_then(Value::as_str).unwrap_or_default().to_string();
    let default_branch = repo.get("default_branch").and_then(Value::as_str).unwrap_or("main").to_string();
    let base = i.nonempty("targetBranchName").unwrap_or(&default_branch).to_string();
    let commit = BranchCommit { base: Some(&base), branch: &branch, source: &source, target_path, delete: &delete, message: &message, author: &author, force: update };
    let res = ctx.services.git().push_branch(&clone_url, Some(&gh.token), &commit).map_err(|e| pr_error(&url, &e))?;
    if res.commit.is_none() && !create_when_empty {
        ctx.info("No changes to commit, pull request was not created");
        return Ok(Map::new());
    }
    ctx.services.note_created(format!("branch {branch} of the GitHub repository {}", url.full_name()));
    let mut body = Map::new();
    body.insert("title".into(), json!(title));
    body.insert("head".into(), json!(branch));
    body.insert("base".into(), json!(base));
    body.insert("body".into(), json!(description));
    if let Some(d) = i.opt_bool("draft") {
        body.insert("draft".into(), json!(d));
    }
    let pr = match gh.api.call(Method::Post, &format!("{repo_path}/pulls"), Some(&Value::Object(body))) {
        Ok(pr) => pr,
        Err(e) if update && e.status == Some(422) && e.text().contains("already exists") => {
            let list = call(&gh, &host, Method::Get, &format!("{repo_path}/pulls?state=open&head={}:{}", seg(&url.owner), seg(&branch)), None, "Pull request creation failed")?;
            list.as_array().and_then(|a| a.first()).cloned().ok_or_else(|| e.explain("Pull request creation failed", &host))?
        }
        Err(e) => return Err(e.explain("Pull request creation failed", &host)),
    };
    let number = pr.get("number").cloned().unwrap_or(Value::Null);
    let n = number.as_u64().unwrap_or_default();
    ctx.services.note_created(format!("pull request #{n} of {}", url.full_name()));
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
        if let Err(e) = gh.api.call(Method::Post, &format!("{repo_path}/pulls/{n}/requested_reviewers"), Some(&Value::Object(b))) {
            warn(ctx, format!("Failure when adding reviewers to Pull request {n}: {}", e.text()));
        }
    }
    if let Some(mut assignees) = i.strings("assignees") {
        if assignees.len() > 10 {
            warn(ctx, "Assignees list is too long, only the first 10 will be used.");
            assignees.truncate(10);
        }
        if let Err(e) = gh.api.call(Method::Post, &format!("/repos/{}/{}/issues/{n}/assignees", seg(&url.owner), seg(&url.repo)), Some(&json!({"assignees": assignees}))) {
            warn(ctx, format!("Failure when adding assignees to Pull request {n}: {}", e.text()));
        }
    }
    let mut out = Map::new();
    out.insert("targetBranchName".into(), pr.pointer("/base/ref").cloned().unwrap_or(json!(base)));
    out.insert("remoteUrl".into(), pr.get("html_url").cloned().unwrap_or(Value::Null));
    out.insert("pullRequestNumber".into(), number);
    Ok(out)
}

fn pr_error(url: &RepoUrl, e: &str) -> ActionError {
    ActionError::new(format!("Pull request creation failed: cannot push the branch to {}: {e}", url.full_name()))
}
