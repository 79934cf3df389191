//! Services: the outside world handed to actions (settings, GitHub, git, the local forge, the
//! catalog). Tests substitute fakes by building a `Services` with other parts; `None` in a
//! client slot means the real one.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::config::{Config, Secret};
use crate::forge::Forge;
use crate::git::Git;
use crate::github::{Api, Connect};
use crate::runner::ActionError;

/// The bundle of integrations a run uses.
#[derive(Default)]
pub struct Services {
    /// golden's data directory (`GOLDEN_HOME`, else the platform's data directory; absolute,
    /// resolved by `settings`): the local forge and catalog live here.
    pub home: PathBuf,
    /// The current directory golden started in (relative catalog paths resolve against it).
    pub cwd: PathBuf,
    /// Publish to the local forge instead of GitHub.
    pub local: bool,
    /// The loaded configuration file.
    pub config: Config,
    /// Builds GitHub REST clients (`None`: octocrab, see `github::client`).
    pub github: Option<Arc<dyn Connect>>,
    /// git operations (`None`: git2).
    pub git: Option<Arc<dyn Git>>,
    /// What publish actions created so far, one line each (named in failure reports).
    pub created: Mutex<Vec<String>>,
    /// Repositories publish actions pushed a default branch to, in order (`golden new` clones
    /// the first).
    pub published: Mutex<Vec<Published>>,
    /// Tokens already looked up, by host (so `gh auth token` runs once per host and run).
    pub tokens: Mutex<std::collections::HashMap<String, Option<Secret>>>,
}

/// A repository a publish step pushed to (real run) or would push to (dry run).
#[derive(Debug, Clone, Default)]
pub struct Published {
    /// `owner/repo`.
    pub name: String,
    /// The git URL (`https://…` or `file://…`).
    pub remote_url: String,
    /// `https://HOST/OWNER/REPO/blob/BRANCH` (or the forge's `file://…/REPO.git/blob/BRANCH`).
    pub repo_contents_url: String,
    /// The branch pushed.
    pub branch: String,
    /// The workspace folder whose files became the repository (`sourcePath` applied).
    pub source_dir: PathBuf,
    /// The token that pushed, if any (to clone with; `Debug` shows it as `***`).
    pub token: Option<Secret>,
    /// The git user name the token goes with (`None`: GitHub's `x-access-token`).
    pub git_user: Option<String>,
}

/// A GitHub client with the token it uses (the token also authenticates git pushes).
pub struct GithubConnection {
    pub api: Box<dyn Api>,
    pub token: Secret,
}

impl Services {
    /// A client for `host`: the step's `token` input if given, else the token lookup of
    /// `Config::github_token`; the API base URL from the config.
    pub fn github(
        &self,
        host: &str,
        token_input: Option<&str>,
    ) -> Result<GithubConnection, ActionError> {
        if !host.eq_ignore_ascii_case("github.com") && self.config.github(host).is_none() {
            return Err(ActionError::new(format!("No matching integration configuration for host {host}, please check your integrations config"))
                .with_hint(format!("add `{host}` under `integrations.github` in golden's config file (with `apiBaseUrl` for GitHub Enterprise), or publish to the local forge with --local")));
        }
        let token = match token_input.filter(|t| !t.is_empty()) {
            Some(t) => Secret(t.to_string()),
            None => self.token_for(host).ok_or_else(|| {
                let apps = if self.config.github(host).is_some_and(|g| g.apps.is_some()) {
                    "golden does not sign in as a GitHub App (`integrations.github[].apps`); "
                } else {
                    ""
                };
                ActionError::new(format!("No token available for host: {host}")).with_hint(format!(
                    "{apps}give golden a token for {host}: `integrations.github[].token` in the config file, GITHUB_TOKEN or GH_TOKEN (github.com), or `gh auth login`; or publish to the local forge with --local"
                ))
            })?,
        };
        let base = self.config.github_api_base_url(host);
        let api = match &self.github {
            Some(c) => c.connect(&base, &token),
            None => crate::github::client::Real.connect(&base, &token),
        }
        .map_err(ActionError::new)?;
        Ok(GithubConnection { api, token })
    }

    /// The configured token of a `kind` host (config file, environment, the forge's CLI), looked
    /// up once per host and run.
    pub fn token_of(&self, kind: crate::scm::Kind, host: &str) -> Option<Secret> {
        if kind == crate::scm::Kind::Github {
            return self.token_for(host);
        }
        let key = format!("{}:{}", kind.name(), host.to_ascii_lowercase());
        if let Some(t) = self.tokens.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return t;
        }
        let t = match kind {
            crate::scm::Kind::Gitlab => self.config.gitlab_token(host),
            _ => self
                .config
                .gitea(host)
                .and_then(|g| g.password.clone())
                .filter(|p| !p.0.is_empty()),
        };
        if let Ok(mut m) = self.tokens.lock() {
            m.insert(key, t.clone());
        }
        t
    }

    /// `Config::github_token`, once per host.
    fn token_for(&self, host: &str) -> Option<Secret> {
        let key = host.to_ascii_lowercase();
        if let Some(t) = self.tokens.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return t;
        }
        let t = self.config.github_token(host);
        if let Ok(mut m) = self.tokens.lock() {
            m.insert(key, t.clone());
        }
        t
    }

    /// git operations.
    pub fn git(&self) -> &dyn Git {
        match &self.git {
            Some(g) => g.as_ref(),
            None => &crate::git::PLAIN,
        }
    }

    /// The local forge.
    pub fn forge(&self) -> Forge {
        Forge::new(&self.home)
    }

    /// Remembers something a step created (a repository, a branch) for failure reports.
    pub fn note_created(&self, what: impl Into<String>) {
        if let Ok(mut c) = self.created.lock() {
            c.push(what.into());
        }
    }

    /// Remembers a repository a step pushed to.
    pub fn note_published(&self, p: Published) {
        if let Ok(mut v) = self.published.lock() {
            v.push(p);
        }
    }

    /// Everything created so far.
    pub fn created(&self) -> Vec<String> {
        self.created.lock().map(|c| c.clone()).unwrap_or_default()
    }
}
