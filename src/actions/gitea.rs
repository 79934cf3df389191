//! `publish:gitea` of `@backstage/plugin-scaffolder-backend-module-gitea` 0.2.25 (Gitea and
//! Forgejo), with Backstage's input schema, through the publishing-target seam (`crate::scm`):
//! the Gitea API with `integrations.gitea[]` credentials, or the local forge with `--local`.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::scm_target;
use crate::actions::github::{CommitText, MessageRule};
use crate::runner::Published;
use crate::runner::{Action, ActionContext, ActionError, Outputs};
use crate::scm::sign::CommitSigner;
use crate::scm::{self, Input, Kind, NewRepository, RepoSpec};

pub struct PublishGitea;

fn schema() -> Value {
    static ALL: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        serde_json::from_str::<Value>(include_str!("gitlab/schemas.json"))
            .ok()
            .and_then(|v| v.get("publish:gitea").and_then(|g| g.get("input")).cloned())
            .unwrap_or_else(|| json!({"type": "object"}))
    })
    .clone()
}

impl Action for PublishGitea {
    fn id(&self) -> &'static str {
        "publish:gitea"
    }
    fn description(&self) -> &'static str {
        "Creates a Gitea (or Forgejo) repository and pushes the workspace to it"
    }
    fn input_schema(&self) -> Value {
        schema()
    }
    fn outputs(&self) -> &'static [&'static str] {
        &["remoteUrl", "repoContentsUrl", "commitHash"]
    }
    fn runs_in_dry_run(&self) -> bool {
        false
    }
    fn invented_outputs(&self) -> &'static [&'static str] {
        &["commitHash"]
    }
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        let repo_url = input
            .get("repoUrl")
            .and_then(Value::as_str)
            .ok_or_else(|| ActionError::new("the input `repoUrl` is required"))?;
        let spec = repo_spec(ctx, repo_url)?;
        let i = Input(input);
        let branch = i.nonempty("defaultBranch").unwrap_or("main").to_string();
        let source = crate::actions::github::source_dir(ctx, i.nonempty("sourcePath"))?;
        let base = ctx
            .services
            .config
            .gitea(&spec.host)
            .map(|g| g.base_url())
            .unwrap_or_else(|| format!("https://{}", spec.host));
        if ctx.dry_run {
            return Ok(dry_run_outputs(ctx, &spec, &base, &branch, source));
        }
        // Backstage looks for the key after creating the repository; golden before, so that
        // a missing or unusable key leaves nothing behind.
        let signer = signer(ctx, input, &spec.host)?;
        if spec.owner.is_empty() {
            return Err(ActionError::new(format!(
                "publish:gitea needs an organisation: `{repo_url}` names none"
            ))
            .with_hint("repoUrl looks like `HOST?owner=ORGANISATION&repo=NAME`"));
        }
        let target = scm_target::target(ctx, Kind::Gitea, &spec.host, None)?;
        let text = CommitText::of(&Input(input), &ctx.services.config, MessageRule::Gitea);
        let push = text.push(ctx.services.git(), &source, &branch, signer.as_ref());
        // Created and pushed in one: in the local forge a failed push leaves no repository.
        let new = NewRepository {
            spec: &spec,
            settings: input,
            push: Some(&push),
        };
        let repo = scm_target::with_notes(ctx, |n| target.create_and_push(n, &new))?;
        let hash = repo.pushed.clone().ok_or_else(|| {
            ActionError::new(format!("nothing was pushed to {}", spec.full_name()))
        })?;
        note_published(ctx, &spec, &repo, &branch, &source);
        scm_target::with_notes(ctx, |n| target.set_up(n, &repo, Input(input)))?;
        let contents = if ctx.services.local {
            repo.contents_url.clone()
        } else {
            format!("{base}/{}/{}/src/branch/{branch}/", spec.owner, spec.name)
        };
        Ok(Map::from_iter([
            ("remoteUrl".to_string(), json!(repo.git_url)),
            ("commitHash".to_string(), json!(hash)),
            ("repoContentsUrl".to_string(), json!(contents)),
        ]))
    }
}

/// The repository `repoUrl` names, on a host configured under `integrations.gitea`.
fn repo_spec(ctx: &ActionContext<'_>, repo_url: &str) -> Result<RepoSpec, ActionError> {
    let r = crate::actions::predict::parse_repo_url(ctx.services, repo_url)?;
    if scm::kind_of(&ctx.services.config, &r.host) != Some(Kind::Gitea) {
        return Err(ActionError::new(format!(
            "No matching integration configuration for host {}, please check your integrations config",
            r.host
        ))
        .with_hint(format!(
            "add `{}` under `integrations.gitea` in golden's config file (host, baseUrl, username, password)",
            r.host
        )));
    }
    Ok(RepoSpec {
        host: r.host.clone(),
        owner: r.owner.clone().unwrap_or_default(),
        name: r.repo.clone().unwrap_or_default(),
    })
}

/// The outputs of a dry run, predicted from the input (nothing is created).
fn dry_run_outputs(
    ctx: &mut ActionContext<'_>,
    spec: &RepoSpec,
    base: &str,
    branch: &str,
    source: PathBuf,
) -> Outputs {
    let contents = format!("{base}/{}/{}/src/branch/{branch}/", spec.owner, spec.name);
    crate::actions::predict::record_published(ctx.record, &contents, source);
    let remote = format!("{base}/{}/{}.git", spec.owner, spec.name);
    ctx.info("dry run: publish:gitea was not run; its outputs are predicted from its input");
    Map::from_iter([
        ("remoteUrl".to_string(), json!(remote)),
        (
            "commitHash".to_string(),
            json!(crate::actions::predict::placeholder_commit_hash(&remote)),
        ),
        ("repoContentsUrl".to_string(), json!(contents)),
    ])
}

/// The commit signer when `signCommit` is set: the integration's key, else the default one.
fn signer(
    ctx: &ActionContext<'_>,
    input: &Map<String, Value>,
    host: &str,
) -> Result<Option<CommitSigner>, ActionError> {
    if input.get("signCommit").and_then(Value::as_bool) != Some(true) {
        return Ok(None);
    }
    let config = &ctx.services.config;
    let integration = config
        .gitea(host)
        .and_then(|g| g.commit_signing_key.clone());
    Ok(Some(
        crate::scm::sign::signer(
            integration.as_ref(),
            config.scaffolder.default_commit_signing_key.as_ref(),
            host,
        )
        .map_err(ActionError::from)?,
    ))
}

/// Records the published repository for the run's summary and later steps.
fn note_published(
    ctx: &mut ActionContext<'_>,
    spec: &RepoSpec,
    repo: &scm::Repository,
    branch: &str,
    source: &Path,
) {
    let token = if ctx.services.local {
        None
    } else {
        ctx.services.token_of("gitea", &spec.host)
    };
    let git_user = ctx
        .services
        .config
        .gitea(&spec.host)
        .and_then(|g| g.username.clone());
    let integration = (!ctx.services.local).then(|| ("gitea", spec.host.clone()));
    ctx.note_published(Published {
        name: spec.full_name(),
        remote_url: repo.git_url.clone(),
        repo_contents_url: repo.contents_url.clone(),
        branch: branch.to_string(),
        source_dir: source.to_path_buf(),
        token,
        git_user,
        integration,
    });
}
