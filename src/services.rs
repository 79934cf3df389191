//! Services: the outside world handed to actions (settings, GitHub, git, the local forge, the
//! catalog). Tests substitute fakes by building a `Services` with other parts; `None` in a
//! client slot means the real one. What steps create and publish is not kept here but in the
//! run record (`runner::RunRecord`).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::config::{Config, Secret};
use crate::forge::Forge;
use crate::git::Git;
use crate::github::GithubError;
use crate::github::{Api, Connect};

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
    /// Tokens already looked up, by host (so `gh auth token` runs once per host and run).
    pub tokens: Mutex<std::collections::HashMap<String, Option<Secret>>>,
    /// Writes the file `golden new` adds to every repository a publish step pushes (the
    /// project record), given the pushed folder's path in the workspace (`None`: nothing).
    pub stamp: Option<Arc<Stamp>>,
    /// Reads remote `url`s of `fetch:*` steps (`None`: they are refused).
    pub remote: Option<Arc<dyn RemoteReader>>,
    /// Tests only: the local forge's race barrier (`settings::Context::forge_race`).
    pub forge_race: Option<crate::forge::RaceBarrier>,
    /// GitHub App tokens (and installations) already obtained in this run.
    pub github_apps: crate::github::app::AppTokens,
}

/// Makes the file added to a published folder: `(file name, content)` for the folder's
/// `/`-separated path in the workspace (`""` for the root).
pub type Stamp = dyn Fn(&str) -> (String, Vec<u8>) + Send + Sync;

/// Reads a remote `fetch:*` `url` into a local folder or file.
pub trait RemoteReader: Send + Sync {
    /// The local copy of `url` (a folder for a tree URL, a file for a blob URL).
    fn read(&self, url: &str) -> Result<PathBuf, crate::error::Error>;
}

/// A GitHub client with the token it uses (the token also authenticates git pushes).
pub struct GithubConnection {
    pub api: Box<dyn Api>,
    pub token: Secret,
}

impl Services {
    /// A client for `url`'s host with the token Backstage would use: the step's `token` input,
    /// else an installation token of a GitHub App of the host's `apps` installed for the owner
    /// (`crate::github::app`), else the token lookup of `Config::github_token`; the API base URL
    /// from the config.
    pub fn github(
        &self,
        url: &crate::github::RepoUrl,
        token_input: Option<&str>,
    ) -> Result<GithubConnection, GithubError> {
        let host = url.host.as_str();
        if !host.eq_ignore_ascii_case("github.com") && self.config.github(host).is_none() {
            return Err(GithubError::new(format!("No matching integration configuration for host {host}, please check your integrations config"))
                .with_hint(format!("add `{host}` under `integrations.github` in golden's config file (with `apiBaseUrl` for GitHub Enterprise), or publish to the local forge with --local")));
        }
        let base = self.config.github_api_base_url(host);
        let connect: &dyn Connect = match &self.github {
            Some(c) => c.as_ref(),
            None => &crate::github::client::Real,
        };
        let token = match token_input.filter(|t| !t.is_empty()) {
            Some(t) => {
                self.config.redactor.register(t);
                Secret(t.to_string())
            }
            None => self.github_token(connect, &base, url)?,
        };
        let api = connect.connect(&base, &token).map_err(GithubError::new)?;
        Ok(GithubConnection { api, token })
    }

    /// The token for `url` without a step token: a GitHub App's, else the configured one.
    fn github_token(
        &self,
        connect: &dyn Connect,
        base: &str,
        url: &crate::github::RepoUrl,
    ) -> Result<Secret, GithubError> {
        let host = url.host.as_str();
        let apps = self
            .config
            .github(host)
            .map(|g| g.apps.as_slice())
            .unwrap_or_default();
        let repo = Some(url.repo.as_str()).filter(|r| !r.is_empty());
        let run = self.github_apps.with_redactor(self.config.redactor.clone());
        if let Some(t) = crate::github::app::app_token(&run, connect, base, apps, &url.owner, repo)?
        {
            return Ok(t);
        }
        self.token_for(host).ok_or_else(|| {
            let apps = if apps.is_empty() {
                String::new()
            } else {
                format!(
                    "no GitHub App of `integrations.github[].apps` is installed for {}; ",
                    url.owner
                )
            };
            GithubError::new(format!("No token available for host: {host}")).with_hint(format!(
                "{apps}give golden a token for {host}: `integrations.github[].token` in the config file, GITHUB_TOKEN or GH_TOKEN (github.com), or `gh auth login`; or publish to the local forge with --local"
            ))
        })
    }

    /// The configured token of a host of integration `kind` (`github`, `gitlab`, `gitea`):
    /// config file, environment, the forge's CLI; looked up once per host and run.
    pub fn token_of(&self, kind: &str, host: &str) -> Option<Secret> {
        if kind == "github" {
            return self.token_for(host);
        }
        let key = format!("{kind}:{}", host.to_ascii_lowercase());
        if let Some(t) = self.tokens.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return t;
        }
        let t = match kind {
            "gitlab" => self.config.gitlab_token(host),
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

    /// Writes the stamp (the project record) into `source`, the folder a publish step is about
    /// to push, so it is part of the first commit.
    pub fn stamp(
        &self,
        workspace: &std::path::Path,
        source: &std::path::Path,
    ) -> Result<(), String> {
        let Some(stamp) = &self.stamp else {
            return Ok(());
        };
        let ws = std::fs::canonicalize(workspace).unwrap_or(workspace.to_path_buf());
        let src = std::fs::canonicalize(source).unwrap_or(source.to_path_buf());
        let rel = src
            .strip_prefix(&ws)
            .unwrap_or(&src)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .collect::<Vec<_>>()
            .join("/");
        let (name, content) = stamp(&rel);
        let file = source.join(name);
        std::fs::write(&file, content)
            .map_err(|e| format!("cannot write `{}`: {e}", file.display()))
    }

    /// The local forge.
    pub fn forge(&self) -> Forge {
        Forge::new(&self.home)
            .with_redactor(self.config.redactor.clone())
            .with_race_barrier(self.forge_race.clone())
    }
}
