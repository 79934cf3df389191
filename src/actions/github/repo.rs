//! `publish:github`, `github:repo:create` and `github:repo:push`, as Backstage's
//! `createGithubRepoWithCollaboratorsAndTopics` and `initRepoPushAndProtect` do them, through the
//! GitHub target (`scm::github`): create the repository (owner type, access, collaborators,
//! topics, variables, secrets), push the workspace as one commit, protect the branch. With
//! `--local` the same inputs create and fill a local-forge repository, created aside and moved
//! into place only once pushed.

use serde_json::{json, Map, Value};

use super::{author, source_dir, Input};
use crate::actions::scm_target::with_notes;
use crate::forge;
use crate::github::RepoUrl;
use crate::runner::Published;
use crate::runner::{ActionContext, ActionError, Outputs};
use crate::scm::github::Github;
use crate::scm::{Push, RepoSpec, Repository, Target};

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
    let github = super::target(ctx, &url, i.nonempty("token"))?;
    let spec = spec_of(&url);
    let repo = with_notes(ctx, |n| github.create_repository(n, &spec, input))?;
    let hash = push_and_protect(ctx, &i, &github, &url, &repo, &source, &branch, &message)?;
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
    if ctx.services.local {
        let (path, ()) = create_in_forge(ctx, &i, &url, "main", |_| Ok(()))?;
        return Ok(outputs(&[("remoteUrl", forge::url(&path))]));
    }
    let github = super::target(ctx, &url, i.nonempty("token"))?;
    let spec = spec_of(&url);
    let repo = with_notes(ctx, |n| github.create_repository(n, &spec, input))?;
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
    let github = super::target(ctx, &url, i.nonempty("token"))?;
    let repo = github
        .repository(&spec_of(&url), &branch)
        .map_err(ActionError::from)?;
    let hash = push_and_protect(ctx, &i, &github, &url, &repo, &source, &branch, &message)?;
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

fn push_error(url: &RepoUrl, e: &str) -> ActionError {
    ActionError::new(format!("cannot push to {}: {e}", url.full_name()))
}

/// Keeps the settings GitHub would apply as `REPO.git/golden/settings.json` in the local forge
/// (everything but the token and secret values).
fn record_settings(
    path: &std::path::Path,
    i: &Input<'_>,
    redactor: &crate::redact::Redactor,
) -> Result<(), ActionError> {
    let mut settings = i.0.clone();
    settings.remove("token");
    if let Some(Value::Object(s)) = settings.get_mut("secrets") {
        for v in s.values_mut() {
            *v = json!("***");
        }
    }
    forge::record(path, "settings", Value::Object(settings), redactor)?;
    Ok(())
}

/// `initRepoPushAndProtect` through the target: the stamp written, one commit pushed with the
/// token, the repository noted as published, then branch protection (whose failures only warn).
#[allow(clippy::too_many_arguments)]
fn push_and_protect(
    ctx: &mut ActionContext<'_>,
    i: &Input<'_>,
    github: &Github,
    url: &RepoUrl,
    repo: &Repository,
    source: &std::path::Path,
    branch: &str,
    message: &str,
) -> Result<String, ActionError> {
    let services = ctx.services;
    services
        .stamp(ctx.workspace, source)
        .map_err(ActionError::new)?;
    let who = author(i);
    let push = Push {
        source,
        branch,
        message,
        author: &who,
        signer: None,
    };
    let hash = with_notes(ctx, |n| github.push(n, services.git(), repo, &push))?;
    ctx.note_published(Published {
        name: url.full_name(),
        remote_url: repo.git_url.clone(),
        repo_contents_url: repo.contents_url.clone(),
        branch: branch.to_string(),
        source_dir: source.to_path_buf(),
        token: Some(github.token().clone()),
        git_user: None,
        integration: Some(("github", url.host.clone())),
    });
    with_notes(ctx, |n| github.set_up(n, repo, i.0, true))?;
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
    let redactor = ctx.services.config.redactor.clone();
    let (path, value) =
        ctx.services
            .forge()
            .create_with(&url.host, &url.owner, &url.repo, branch, |aside| {
                record_settings(aside, i, &redactor)?;
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
