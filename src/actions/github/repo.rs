//! `publish:github`, `github:repo:create` and `github:repo:push`, as Backstage's
//! `createGithubRepoWithCollaboratorsAndTopics` and `initRepoPushAndProtect` do them, through a
//! publishing target (`scm::Target`): GitHub's (`scm::github`: create the repository with owner
//! type, access, collaborators, topics, variables, secrets; push the workspace as one commit;
//! protect the branch), or with `--local` the local forge's (`scm::local`), which records the
//! settings and creates the repository aside, moved into place only once pushed.

use serde_json::{Map, Value};

use super::{author, commit_message, source_dir, Input, MessageRule};
use crate::actions::scm_target::with_notes;
use crate::config::Secret;
use crate::github::RepoUrl;
use crate::runner::Published;
use crate::runner::{ActionContext, ActionError, Outputs};
use crate::scm::local::Local;
use crate::scm::{Kind, Push, RepoSpec, Repository, Target};

/// The target of a GitHub publish action, and the token pushes use (none in the local forge).
fn target_of(
    ctx: &ActionContext<'_>,
    url: &RepoUrl,
    i: &Input<'_>,
) -> Result<(Box<dyn Target>, Option<Secret>), ActionError> {
    if ctx.services.local {
        return Ok((
            Box::new(Local::new(ctx.services.forge(), Kind::Github)),
            None,
        ));
    }
    let github = super::target(ctx, url, i.nonempty("token"))?;
    let token = github.token().clone();
    Ok((Box::new(github), Some(token)))
}

/// `publish:github`: create, push, protect.
pub fn publish(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    let i = Input(input);
    let url = RepoUrl::parse(i.required("repoUrl")?)?;
    let branch = i.nonempty("defaultBranch").unwrap_or("main").to_string();
    let message = commit_message(&i, &ctx.services.config, MessageRule::Github);
    let source = source_dir(ctx, i.str("sourcePath"))?;
    let (target, token) = target_of(ctx, &url, &i)?;
    let services = ctx.services;
    services
        .stamp(ctx.workspace, &source)
        .map_err(ActionError::new)?;
    let who = author(&i, &services.config);
    let push = Push {
        source: &source,
        branch: &branch,
        message: &message,
        author: &who,
        signer: None,
    };
    let spec = spec_of(&url);
    let (repo, hash) = with_notes(ctx, |n| {
        target.create_and_push(n, services.git(), &spec, input, Some(&push))
    })?;
    let hash =
        hash.ok_or_else(|| ActionError::new(format!("nothing was pushed to {}", url.full_name())))?;
    published_then_protect(
        ctx,
        &i,
        target.as_ref(),
        token,
        &url,
        &repo,
        &source,
        &branch,
    )?;
    Ok(outputs(&[
        ("remoteUrl", repo.git_url),
        ("repoContentsUrl", repo.contents_url),
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
    let (target, _) = target_of(ctx, &url, &i)?;
    let spec = spec_of(&url);
    let repo = with_notes(ctx, |n| target.create_repository(n, &spec, input))?;
    Ok(outputs(&[("remoteUrl", repo.git_url)]))
}

/// `github:repo:push`: push the workspace to an existing (empty) repository and protect it.
pub fn push(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    let i = Input(input);
    let url = RepoUrl::parse(i.required("repoUrl")?)?;
    let branch = i.nonempty("defaultBranch").unwrap_or("main").to_string();
    let message = commit_message(&i, &ctx.services.config, MessageRule::GithubPush);
    let source = source_dir(ctx, i.str("sourcePath"))?;
    let spec = spec_of(&url);
    let (target, token, repo): (Box<dyn Target>, _, _) = if ctx.services.local {
        let local = Local::new(ctx.services.forge(), Kind::Github);
        let repo = local.existing(&spec, &branch)?;
        (Box::new(local), None, repo)
    } else {
        let github = super::target(ctx, &url, i.nonempty("token"))?;
        let repo = github.repository(&spec, &branch)?;
        let token = Some(github.token().clone());
        (Box::new(github), token, repo)
    };
    let services = ctx.services;
    services
        .stamp(ctx.workspace, &source)
        .map_err(ActionError::new)?;
    let who = author(&i, &services.config);
    let push = Push {
        source: &source,
        branch: &branch,
        message: &message,
        author: &who,
        signer: None,
    };
    let hash = with_notes(ctx, |n| target.push(n, services.git(), &repo, &push))?;
    published_then_protect(
        ctx,
        &i,
        target.as_ref(),
        token,
        &url,
        &repo,
        &source,
        &branch,
    )?;
    Ok(outputs(&[
        ("remoteUrl", repo.git_url),
        ("repoContentsUrl", repo.contents_url),
        ("commitHash", hash),
    ]))
}

/// The repository `url` names, for the target.
fn spec_of(url: &RepoUrl) -> RepoSpec {
    RepoSpec {
        host: url.host.clone(),
        owner: url.owner.clone(),
        name: url.repo.clone(),
    }
}

fn outputs(pairs: &[(&str, String)]) -> Outputs {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
        .collect()
}

/// The end of `initRepoPushAndProtect` once pushed: the repository noted as published (with
/// the token, so later steps and the checkout can clone it), then branch protection (whose
/// failures only warn; the local forge records what it is given).
#[allow(clippy::too_many_arguments)]
fn published_then_protect(
    ctx: &mut ActionContext<'_>,
    i: &Input<'_>,
    target: &dyn Target,
    token: Option<Secret>,
    url: &RepoUrl,
    repo: &Repository,
    source: &std::path::Path,
    branch: &str,
) -> Result<(), ActionError> {
    let integration = token.is_some().then(|| ("github", url.host.clone()));
    ctx.note_published(Published {
        name: url.full_name(),
        remote_url: repo.git_url.clone(),
        repo_contents_url: repo.contents_url.clone(),
        branch: branch.to_string(),
        source_dir: source.to_path_buf(),
        token,
        git_user: None,
        integration,
    });
    with_notes(ctx, |n| target.set_up(n, repo, i.0, true))
}
