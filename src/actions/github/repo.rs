//! `publish:github`, `github:repo:create` and `github:repo:push`, as Backstage's
//! `createGithubRepoWithCollaboratorsAndTopics` and `initRepoPushAndProtect` do them, through a
//! publishing target (`scm::Target`): GitHub's (`scm::github`: create the repository with owner
//! type, access, collaborators, topics, variables, secrets; push the workspace as one commit;
//! protect the branch), or with `--local` the local forge's (`scm::local`), which records the
//! settings and creates the repository aside, moved into place only once pushed.

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::{source_dir, CommitText, Input, MessageRule};
use crate::actions::scm_target::with_notes;
use crate::config::Secret;
use crate::github::RepoUrl;
use crate::runner::Published;
use crate::runner::{ActionContext, ActionError, Outputs};
use crate::scm::local::Local;
use crate::scm::{Kind, NewRepository, Push, RepoSpec, Repository, Target};

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

/// What `publish:github` and `github:repo:push` push: the workspace's `sourcePath` as one commit
/// of `defaultBranch` to the repository `repoUrl` names.
struct Commit {
    url: RepoUrl,
    spec: RepoSpec,
    branch: String,
    text: CommitText,
    source: PathBuf,
}

impl Commit {
    fn of(
        ctx: &ActionContext<'_>,
        i: &Input<'_>,
        rule: MessageRule,
    ) -> Result<Commit, ActionError> {
        let url = RepoUrl::parse(i.required("repoUrl")?)?;
        Ok(Commit {
            spec: RepoSpec::from(&url),
            url,
            branch: i.nonempty("defaultBranch").unwrap_or("main").to_string(),
            text: CommitText::of(i, &ctx.services.config, rule),
            source: source_dir(ctx, i.str("sourcePath"))?,
        })
    }

    /// Stamps the workspace, pushes it with `push_with` (which returns the repository and the
    /// commit), then notes the repository published and protects its branch; the outputs.
    fn push_then_protect(
        &self,
        ctx: &mut ActionContext<'_>,
        i: &Input<'_>,
        (target, token): (&dyn Target, Option<Secret>),
        push_with: impl FnOnce(&mut ActionContext<'_>, &Push<'_>) -> Result<Repository, ActionError>,
    ) -> Result<Outputs, ActionError> {
        let services = ctx.services;
        services
            .stamp(ctx.workspace, &self.source)
            .map_err(ActionError::new)?;
        let push = self
            .text
            .push(services.git(), &self.source, &self.branch, None);
        let repo = push_with(ctx, &push)?;
        let hash = repo.pushed.clone().ok_or_else(|| {
            ActionError::new(format!("nothing was pushed to {}", self.url.full_name()))
        })?;
        self.published_then_protect(ctx, i, target, token, &repo)?;
        Ok(outputs(&[
            ("remoteUrl", repo.git_url),
            ("repoContentsUrl", repo.contents_url),
            ("commitHash", hash),
        ]))
    }

    /// The end of `initRepoPushAndProtect` once pushed: the repository noted as published (with
    /// the token, so later steps and the checkout can clone it), then branch protection (whose
    /// failures only warn; the local forge records what it is given).
    fn published_then_protect(
        &self,
        ctx: &mut ActionContext<'_>,
        i: &Input<'_>,
        target: &dyn Target,
        token: Option<Secret>,
        repo: &Repository,
    ) -> Result<(), ActionError> {
        let integration = token.is_some().then(|| ("github", self.url.host.clone()));
        ctx.note_published(Published {
            name: self.url.full_name(),
            remote_url: repo.git_url.clone(),
            repo_contents_url: repo.contents_url.clone(),
            branch: self.branch.clone(),
            source_dir: self.source.clone(),
            token,
            git_user: None,
            integration,
        });
        with_notes(ctx, |n| target.set_up(n, repo, *i))
    }
}

/// `publish:github`: create, push, protect.
pub fn publish(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    let i = Input(input);
    let commit = Commit::of(ctx, &i, MessageRule::Github)?;
    let (target, token) = target_of(ctx, &commit.url, &i)?;
    commit.push_then_protect(ctx, &i, (target.as_ref(), token), |ctx, push| {
        let new = NewRepository {
            spec: &commit.spec,
            settings: input,
            push: Some(push),
        };
        with_notes(ctx, |n| target.create_and_push(n, &new))
    })
}

/// `github:repo:create`: the creation half; outputs `remoteUrl` only (as Backstage does).
pub fn create(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    let i = Input(input);
    let url = RepoUrl::parse(i.required("repoUrl")?)?;
    let (target, _) = target_of(ctx, &url, &i)?;
    let new = NewRepository {
        spec: &RepoSpec::from(&url),
        settings: input,
        push: None,
    };
    let repo = with_notes(ctx, |n| target.create_repository(n, &new))?;
    Ok(outputs(&[("remoteUrl", repo.git_url)]))
}

/// `github:repo:push`: push the workspace to an existing (empty) repository and protect it.
pub fn push(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    let i = Input(input);
    let commit = Commit::of(ctx, &i, MessageRule::GithubPush)?;
    let (spec, branch) = (&commit.spec, commit.branch.as_str());
    let (target, token, repo): (Box<dyn Target>, _, _) = if ctx.services.local {
        let local = Local::new(ctx.services.forge(), Kind::Github);
        let repo = local.existing(spec, branch)?;
        (Box::new(local), None, repo)
    } else {
        let github = super::target(ctx, &commit.url, i.nonempty("token"))?;
        let repo = github.repository(spec, branch)?;
        let token = Some(github.token().clone());
        (Box::new(github), token, repo)
    };
    commit.push_then_protect(ctx, &i, (target.as_ref(), token), |ctx, push| {
        let hash = with_notes(ctx, |n| target.push(n, &repo, push))?;
        Ok(Repository {
            pushed: Some(hash),
            ..repo
        })
    })
}

fn outputs(pairs: &[(&str, String)]) -> Outputs {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
        .collect()
}
