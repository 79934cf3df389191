//! Publishing targets: the one small interface every SCM kind implements ([`Target`]: create a
//! repository, push to it, set it up, open a change request, read a file), chosen by the host's
//! integration kind ([`kind_of`]). The local forge implements it for every kind (`local.rs`), so
//! `--local` works whatever host a template names; GitHub's REST API implements it in
//! `github.rs` (pull requests in `github_pr.rs`, the API push in `github_push.rs`), GitLab's in
//! `gitlab.rs`, Gitea's in `gitea.rs`. Adding a kind (Azure DevOps, Bitbucket) is one file
//! implementing [`Target`] plus a line in `actions::scm_target::target`, which picks the target.
//!
//! This module sits below the runner: targets report through [`Notes`] and fail with
//! [`ScmError`]; the publish actions copy both into their step.
//!
//! The settings a target reads are the publish action's own input (`settings`, `branches`,
//! `projectVariables`, ...): each kind interprets the keys of its Backstage module.

pub mod gitea;
pub mod github;
mod github_pr;
mod github_push;
pub mod gitlab;
pub mod local;
pub mod sign;

use std::path::Path;

use serde_json::{Map, Value};

use crate::config::Config;
use crate::git::{Author, Git};

/// What a target's calls return.
pub type Result<T, E = ScmError> = std::result::Result<T, E>;

/// A failure of a publishing target: what failed, the forge's words, and what to do.
#[derive(Debug, Clone)]
pub struct ScmError {
    pub message: String,
    pub hint: Option<String>,
}

impl ScmError {
    pub fn new(message: impl Into<String>) -> Self {
        ScmError {
            message: message.into(),
            hint: None,
        }
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl std::fmt::Display for ScmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ScmError {}

impl From<crate::github::GithubError> for ScmError {
    fn from(e: crate::github::GithubError) -> Self {
        ScmError {
            message: e.message,
            hint: e.hint,
        }
    }
}

impl From<crate::forge::ForgeError> for ScmError {
    fn from(e: crate::forge::ForgeError) -> Self {
        ScmError {
            message: e.message,
            hint: e.hint,
        }
    }
}

/// What a target said and created while it worked: log lines (`warning: ` first for warnings)
/// and one line per thing it created (named in failure reports). The step copies both.
#[derive(Debug, Default)]
pub struct Notes {
    pub log: Vec<String>,
    pub created: Vec<String>,
}

impl Notes {
    pub fn info(&mut self, line: impl Into<String>) {
        self.log.push(line.into());
    }
    pub fn warn(&mut self, line: impl Into<String>) {
        self.log.push(format!("warning: {}", line.into()));
    }
    pub fn created(&mut self, what: impl Into<String>) {
        self.created.push(what.into());
    }
    /// The log line of every target's push: `pushed HASH to URL (BRANCH)`.
    pub fn pushed(&mut self, hash: &str, url: &str, push: &Push<'_>) {
        self.info(format!("pushed {hash} to {url} ({})", push.branch));
    }
}

/// Typed reads of a publish action's input (the settings a target gets), with JavaScript's
/// truthiness where Backstage's modules test a value with `x ? x : default`.
#[derive(Clone, Copy)]
pub struct Input<'a>(pub &'a Map<String, Value>);

impl<'a> Input<'a> {
    pub fn str(&self, key: &str) -> Option<&'a str> {
        self.0.get(key).and_then(Value::as_str)
    }
    /// A string that is absent or empty counts as absent (JavaScript's `x ? x : default`).
    pub fn nonempty(&self, key: &str) -> Option<&'a str> {
        self.str(key).filter(|s| !s.is_empty())
    }
    pub fn bool(&self, key: &str, default: bool) -> bool {
        self.opt_bool(key).unwrap_or(default)
    }
    pub fn opt_bool(&self, key: &str) -> Option<bool> {
        self.0.get(key).and_then(Value::as_bool)
    }
    /// A value that is absent or `null` counts as absent.
    pub fn value(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }
    /// The strings of an array (other items left out).
    pub fn strings(&self, key: &str) -> Option<Vec<String>> {
        self.0.get(key).and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
    }
    pub fn required(&self, key: &str) -> Result<&'a str> {
        self.str(key)
            .ok_or_else(|| ScmError::new(format!("the input `{key}` is required")))
    }
}

/// A stable number for a name (the local forge's stand-in for a forge's numeric ids).
pub fn stable_id(name: &str) -> u64 {
    // FNV-1a, folded to 24 bits so ids stay readable.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h & 0xff_ffff) + 1
}

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
    let host = crate::backstage::repo_url::host_of(&u)?;
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

impl From<&crate::github::RepoUrl> for RepoSpec {
    fn from(url: &crate::github::RepoUrl) -> Self {
        RepoSpec {
            host: url.host.clone(),
            owner: url.owner.clone(),
            name: url.repo.clone(),
        }
    }
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
    #[allow(dead_code)] // read by no action yet
    pub default_branch: String,
    /// Whether it was created by this step (false: it existed and `skipExisting` kept it).
    pub created: bool,
    /// The commit this step pushed to it (`None`: it pushed nothing).
    pub pushed: Option<String>,
}

/// A repository to create: the one `repoUrl` names, the publish action's input as its settings,
/// and (for [`Target::create_and_push`]) the commit to push to it once it exists.
pub struct NewRepository<'a> {
    pub spec: &'a RepoSpec,
    pub settings: &'a Map<String, Value>,
    pub push: Option<&'a Push<'a>>,
}

/// One commit of a directory, pushed as a new branch with `git`.
#[derive(Clone, Copy)]
pub struct Push<'a> {
    pub git: &'a dyn Git,
    pub source: &'a Path,
    pub branch: &'a str,
    pub message: &'a str,
    pub author: &'a Author,
    /// Signs the commit (`signCommit`).
    pub signer: Option<&'a sign::CommitSigner>,
}

impl Push<'_> {
    /// [`Git::push_new`] of this push to `url` as `username`.
    pub fn run(
        &self,
        url: &str,
        username: &str,
        token: Option<&crate::config::Secret>,
    ) -> Result<String, String> {
        let sign = self.signer.map(|s| move |text: &str| s.sign(text));
        let commit = crate::git::NewCommit {
            source: self.source,
            branch: self.branch,
            message: self.message,
            author: self.author,
            sign: sign.as_ref().map(|f| f as crate::git::Signer<'_>),
        };
        self.git
            .push_new(&crate::git::Remote::as_user(url, username, token), &commit)
    }
}

/// A change request (pull or merge request) from the files of `source`.
pub struct ChangeRequest<'a> {
    /// The git of the targets that push the branch themselves (the local forge).
    pub git: &'a dyn Git,
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
    #[allow(dead_code)] // read by no action yet
    pub number: u64,
}

/// A place to publish to: a forge's API, or the local forge standing in for it. What it logs
/// and creates goes to `notes`; git work goes through the `git` of a [`Push`] or a
/// [`ChangeRequest`].
pub trait Target {
    #[allow(dead_code)] // the seam's own kind; callers pick the target by kind before they hold one
    fn kind(&self) -> Kind;
    /// Creates the repository (or, when its settings allow it, finds the existing one); pushes
    /// nothing (`new.push` is for [`Target::create_and_push`]).
    fn create_repository(&self, notes: &mut Notes, new: &NewRepository<'_>) -> Result<Repository>;
    /// Pushes one commit of `push.source` as `push.branch`; returns the commit hash.
    fn push(&self, notes: &mut Notes, repo: &Repository, push: &Push<'_>) -> Result<String>;
    /// Creates the repository and, when it is new and `new.push` is given, pushes one commit to
    /// it (its hash in [`Repository::pushed`]). The local forge makes this atomic (the
    /// repository appears only once complete, so a failed push leaves nothing); a forge's API
    /// cannot, so by default it creates, then pushes.
    fn create_and_push(&self, notes: &mut Notes, new: &NewRepository<'_>) -> Result<Repository> {
        let mut repo = self.create_repository(notes, new)?;
        if let (Some(push), true) = (new.push, repo.created) {
            repo.pushed = Some(self.push(notes, &repo, push)?);
        }
        Ok(repo)
    }
    /// What follows the push: branches, protection, variables (some need the pushed branch:
    /// `repo.pushed` says whether there is one).
    fn set_up(&self, notes: &mut Notes, repo: &Repository, settings: Input<'_>) -> Result<()>;
    /// Proposes `req.source`'s files on a branch and opens a change request for them.
    fn open_change_request(&self, notes: &mut Notes, req: &ChangeRequest<'_>) -> Result<Change>;
    /// Reads a file of a branch. The catalog reads GitHub and Gitea URLs through it
    /// (`catalog/read.rs`); GitLab URLs are read there with their reader's own request
    /// (Backstage's GitLab reader sends a bearer token where the GitLab actions send
    /// `PRIVATE-TOKEN`).
    fn read_file(&self, repo: &RepoSpec, branch: &str, path: &str) -> Result<Vec<u8>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_push_is_logged_alike() {
        let author = Author {
            name: "A".into(),
            email: "a@example.com".into(),
        };
        let push = Push {
            git: &crate::git::PLAIN,
            source: Path::new("."),
            branch: "trunk",
            message: "m",
            author: &author,
            signer: None,
        };
        let mut notes = Notes::default();
        notes.pushed("abc123", "https://forge.test/acme/svc.git", &push);
        assert_eq!(
            notes.log,
            ["pushed abc123 to https://forge.test/acme/svc.git (trunk)"]
        );
        assert!(notes.created.is_empty());
    }

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
