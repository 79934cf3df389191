//! `publish:github:pull-request`: the workspace's files (or `sourcePath`'s, written under
//! `targetPath`, minus `filesToDelete`) as one commit on a branch, then a pull request. On GitHub
//! it goes through the Git Data API call for call as Backstage's `octokit-plugin-create-pull-request`
//! (blobs, tree, commit, the branch-and-pull-request GraphQL query, ref, pull request), so the
//! tests compare the calls with Backstage's own. `forceFork` forks the repository into the token
//! user's account and proposes the branch from there, as the plugin does. In the local forge the
//! branch is pushed with git (to the user's fork with `forceFork`) and the pull request is
//! recorded under `REPO.git/golden/pulls.json`.

use serde_json::{json, Map, Value};

use super::Input;
use crate::forge;
use crate::git::{Author, BranchCommit};
use crate::github::RepoUrl;
use crate::runner::{ActionContext, ActionError, Outputs};
use crate::scm::{ChangeRequest, RepoSpec};

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
            author: super::author(i, &ctx.services.config),
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
    let input = super::pull_request_defaults(input, &ctx.services.config);
    let i = Input(&input);
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
            forge::replace_record(&path, "pulls", n, pull, &ctx.services.config.redactor)?;
            n + 1
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

/// GitHub: the pull request through the GitHub target (`scm::github`), which makes the calls
/// of Backstage's `octokit-plugin-create-pull-request`, then adds reviewers and assignees.
fn run_github(
    ctx: &mut ActionContext<'_>,
    i: &Input<'_>,
    req: &Request,
) -> Result<Outputs, ActionError> {
    let url = &req.url;
    let github = super::target(ctx, url, i.nonempty("token"))?;
    let spec = RepoSpec::from(url);
    let change = ChangeRequest {
        git: ctx.services.git(),
        repo: &spec,
        branch: &req.branch,
        target_branch: i.nonempty("targetBranchName"),
        title: &req.title,
        description: Some(&req.description),
        source: &req.source,
        target_path: Some(&req.target_path),
        options: i.0,
    };
    let opened = crate::actions::scm_target::with_notes(ctx, |n| github.pull_request(n, &change))?;
    let Some(pr) = opened else {
        ctx.info("No changes to commit, pull request was not created");
        return Ok(Map::new());
    };
    let mut out = Map::new();
    out.insert("targetBranchName".into(), json!(pr.target_branch));
    out.insert("remoteUrl".into(), json!(pr.url));
    out.insert("pullRequestNumber".into(), json!(pr.number));
    Ok(out)
}

fn pr_error(url: &RepoUrl, e: &str) -> ActionError {
    ActionError::new(format!(
        "Pull request creation failed: cannot push the branch to {}: {e}",
        url.full_name()
    ))
}
