//! Publishing targets: the one small interface every SCM kind implements ([`Target`]: create a
//! repository, push to it, set it up, open a change request, read a file), chosen by the host's
//! integration kind ([`kind_of`]). The local forge implements it for every kind (`local.rs`), so
//! `--local` works whatever host a template names; GitLab's REST API implements it in
//! `gitlab.rs`, Gitea's in `gitea.rs`. Adding a kind (Azure DevOps, Bitbucket) is one file implementing [`Target`] plus
//! a line in [`target`].
//!
//! The settings a target reads are the publish action's own input (`settings`, `branches`,
//! `projectVariables`, ...): each kind interprets the keys of its Backstage module.

pub mod gitea;
pub mod gitlab;
pub mod local;

use std::path::Path;

use serde_json::{Map, Value};

use crate::config::Config;
use crate::git::Author;
use crate::runner::{ActionContext, ActionError};
use crate::services::Services;

/// The SCM kinds golden publishes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Github,
    Gitlab,
    Gitea,
}

impl Kind {
    /// Backstage's name of the integration kind (`github`, `gitlab`, `gitea`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Github => "github",
            Kind::Gitlab => "gitlab",
            Kind::Gitea => "gitea",
        }
    }

    /// What people call it in messages.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Github => "GitHub",
            Kind::Gitlab => "GitLab",
            Kind::Gitea => "Gitea",
        }
    }
}

/// The kind of `host`: github.com and `integrations.github[]` hosts are GitHub, gitlab.com and
/// `integrations.gitlab[]` hosts GitLab, `integrations.gitea[]` hosts Gitea.
pub fn kind_of(config: &Config, host: &str) -> Option<Kind> {
    if host.eq_ignore_ascii_case("github.com") || config.github(host).is_some() {
        Some(Kind::Github)
    } else if config.gitlab(host).is_some() {
        Some(Kind::Gitlab)
    } else if config.gitea(host).is_some() {
        Some(Kind::Gitea)
    } else {
        None
    }
}

/// The GitLab integration whose host or `baseUrl` serves `url` (a web URL such as
/// `https://gitlab.com/acme/demo/-/blob/main/catalog-info.yaml`).
pub fn gitlab_for_url(config: &Config, url: &str) -> Option<crate::config::GitlabIntegration> {
    let u = url::Url::parse(url).ok()?;
    let host = match u.port() {
        Some(p) => format!("{}:{p}", u.host_str()?),
        None => u.host_str()?.to_string(),
    };
    if let Some(g) = config.gitlab(&host) {
        return Some(g);
    }
    config
        .integrations
        .gitlab
        .iter()
        .find(|g| {
            let base = g.base_url();
            url.starts_with(&format!("{base}/"))
        })
        .cloned()
}

/// A repository named by a `repoUrl`: host, owner (a user, organisation or — on GitLab — a
/// possibly nested group path) and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSpec {
    pub host: String,
    pub owner: String,
    pub name: String,
}

impl RepoSpec {
    /// `owner/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// A repository a target created or found.
#[derive(Debug, Clone)]
pub struct Repository {
    /// The forge's numeric id (GitLab's project id), when it has one.
    pub id: Option<u64>,
    /// Where git pushes go (`https://…/REPO.git`, or a forge `file://` URL).
    pub git_url: String,
    /// The repository's web address (`remoteUrl` of publish:gitlab), or the forge URL.
    pub web_url: String,
    /// `repoContentsUrl` for the default branch.
    pub contents_url: String,
    pub default_branch: String,
    /// Whether it was created by this step (false: it existed and `skipExisting` kept it).
    pub created: bool,
}

/// One commit of a directory, pushed as a new branch.
pub struct Push<'a> {
    pub source: &'a Path,
    pub branch: &'a str,
    pub message: &'a str,
    pub author: &'a Author,
}

/// A change request (pull or merge request) from the files of `source`.
pub struct ChangeRequest<'a> {
    pub repo: &'a RepoSpec,
    /// The source branch.
    pub branch: &'a str,
    /// The target branch (`None`: the repository's default branch).
    pub target_branch: Option<&'a str>,
    pub title: &'a str,
    pub description: Option<&'a str>,
    /// The files to propose.
    pub source: &'a Path,
    /// Where they go in the repository (`None`: its root).
    pub target_path: Option<&'a str>,
    /// The rest of the action's input (assignee, reviewers, labels, commitAction, ...).
    pub options: &'a Map<String, Value>,
}

/// An opened change request.
#[derive(Debug, Clone)]
pub struct Change {
    /// The branch it merges into.
    pub target_branch: String,
    /// Its web address.
    pub url: String,
    /// Its number within the repository.
    pub number: u64,
}

/// A place to publish to: a forge's API, or the local forge standing in for it.
pub trait Target {
    fn kind(&self) -> Kind;
    /// Creates the repository (or, when `settings` allow it, finds the existing one).
    fn create_repository(
        &self,
        ctx: &mut ActionContext<'_>,
        repo: &RepoSpec,
        settings: &Map<String, Value>,
    ) -> Result<Repository, ActionError>;
    /// Pushes one commit of `push.source` as `push.branch`; returns the commit hash.
    fn push(
        &self,
        ctx: &mut ActionContext<'_>,
        repo: &Repository,
        push: &Push<'_>,
    ) -> Result<String, ActionError>;
    /// What follows the push: branches, protection, variables. `pushed` says whether a push
    /// happened (some settings need the pushed branch).
    fn set_up(
        &self,
        ctx: &mut ActionContext<'_>,
        repo: &Repository,
        settings: &Map<String, Value>,
        pushed: bool,
    ) -> Result<(), ActionError>;
    /// Proposes `req.source`'s files on a branch and opens a change request for them.
    fn open_change_request(
        &self,
        ctx: &mut ActionContext<'_>,
        req: &ChangeRequest<'_>,
    ) -> Result<Change, ActionError>;
    /// Reads a file of a branch.
    fn read_file(&self, repo: &RepoSpec, branch: &str, path: &str) -> Result<Vec<u8>, ActionError>;
}

/// The target for `kind` on `host`: the local forge with `--local`, else the forge's API with
/// the step's `token` input or the host's configured token.
pub fn target(
    services: &Services,
    kind: Kind,
    host: &str,
    token_input: Option<&str>,
) -> Result<Box<dyn Target>, ActionError> {
    if services.local {
        return Ok(Box::new(local::Local::new(services.forge(), kind)));
    }
    match kind {
        Kind::Gitlab => Ok(Box::new(gitlab::Gitlab::connect(
            services,
            host,
            token_input,
        )?)),
        Kind::Gitea => Ok(Box::new(gitea::Gitea::connect(services, host)?)),
        Kind::Github => Err(ActionError::new(format!(
            "golden does not publish to {} through the shared target interface yet",
            kind.label()
        ))),
    }
}

/// `getRepoSourceDirectory` with publish:gitlab's boolean `sourcePath`: `true` or absent is the
/// workspace, `false` is no push at all (`None`).
pub fn source_dir(
    ctx: &ActionContext<'_>,
    source_path: Option<&Value>,
) -> Result<Option<std::path::PathBuf>, ActionError> {
    match source_path {
        Some(Value::Bool(false)) => Ok(None),
        Some(Value::String(s)) => crate::actions::github::source_dir(ctx, Some(s)).map(Some),
        _ => Ok(Some(ctx.workspace.to_path_buf())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_have_kinds_from_the_config() {
        let mut c = Config::default();
        assert_eq!(kind_of(&c, "github.com"), Some(Kind::Github));
        assert_eq!(kind_of(&c, "gitlab.com"), Some(Kind::Gitlab));
        assert_eq!(kind_of(&c, "git.corp"), None);
        c.integrations
            .gitlab
            .push(crate::config::GitlabIntegration {
                host: "git.corp".into(),
                base_url: Some("https://git.corp/gitlab/".into()),
                ..Default::default()
            });
        c.integrations.gitea.push(crate::config::GiteaIntegration {
            host: "tea.corp".into(),
            ..Default::default()
        });
        assert_eq!(kind_of(&c, "git.corp"), Some(Kind::Gitlab));
        assert_eq!(kind_of(&c, "tea.corp"), Some(Kind::Gitea));
        let g = gitlab_for_url(&c, "https://git.corp/gitlab/acme/x/-/blob/main/a.yaml").unwrap();
        assert_eq!(g.api_base_url(), "https://git.corp/gitlab/api/v4");
        assert_eq!(
            gitlab_for_url(&c, "https://gitlab.com/a/b/-/blob/main/c")
                .unwrap()
                .api_base_url(),
            "https://gitlab.com/api/v4"
        );
        assert!(gitlab_for_url(&c, "https://example.com/a").is_none());
    }
}
