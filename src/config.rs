//! Configuration: the shapes of golden's YAML config file, the same as Backstage's app-config
//! (`integrations.github[]`, `catalog`). Finding and loading the file (`--config FILE`, else
//! `GOLDEN_CONFIG`, else the platform's config directory, with `${VAR}` references expanded) is
//! `settings`' job. Tokens are never printed: [`Secret`] hides them from `Debug`.

use serde::Deserialize;

/// A token or password; its `Debug` output is redacted.
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"***\"" })
    }
}

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Config {
    pub integrations: Integrations,
    pub catalog: CatalogConfig,
    /// Publish to the local forge instead of GitHub (as `--local`).
    pub local: bool,
    /// Extra action ids the team's Backstage provides (accepted by `golden validate`).
    pub actions: Vec<String>,
    /// `GITHUB_TOKEN`, else `GH_TOKEN`, from the environment (filled in by `settings`).
    #[serde(skip)]
    pub env_github_token: Option<Secret>,
    /// `GITLAB_TOKEN` from the environment (filled in by `settings`).
    #[serde(skip)]
    pub env_gitlab_token: Option<Secret>,
}

/// `integrations:` as in Backstage's app-config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Integrations {
    pub github: Vec<GithubIntegration>,
    pub gitlab: Vec<GitlabIntegration>,
    pub gitea: Vec<GiteaIntegration>,
}

/// One `integrations.gitlab[]` entry (gitlab.com or a self-managed GitLab).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GitlabIntegration {
    pub host: String,
    /// The REST API (`https://gitlab.com/api/v4`; self-managed: `https://HOST/api/v4`).
    pub api_base_url: Option<String>,
    /// The web address (`https://HOST`, or with a relative path for an instance under one).
    pub base_url: Option<String>,
    pub token: Option<Secret>,
}

/// One `integrations.gitea[]` entry (Gitea or Forgejo).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GiteaIntegration {
    pub host: String,
    /// The web address (default `https://HOST`); the API is `BASE/api/v1`.
    pub base_url: Option<String>,
    pub username: Option<String>,
    /// A password or an access token.
    pub password: Option<Secret>,
}

/// One `integrations.github[]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GithubIntegration {
    pub host: String,
    pub api_base_url: Option<String>,
    pub token: Option<Secret>,
    /// GitHub App credentials, as Backstage accepts them; golden only notices them (it
    /// authenticates with tokens).
    pub apps: Option<serde_json::Value>,
}

impl Config {
    /// The `integrations.github[]` entry for `host`, if the config has one.
    pub fn github(&self, host: &str) -> Option<&GithubIntegration> {
        self.integrations
            .github
            .iter()
            .find(|g| g.host.eq_ignore_ascii_case(host))
    }

    /// The REST API base URL for `host`: the entry's `apiBaseUrl`, else `https://api.github.com`
    /// for github.com and `https://HOST/api/v3` (GitHub Enterprise Server) for any other host.
    pub fn github_api_base_url(&self, host: &str) -> String {
        if let Some(url) = self
            .github(host)
            .and_then(|g| g.api_base_url.as_deref())
            .filter(|u| !u.is_empty())
        {
            return url.trim_end_matches('/').to_string();
        }
        if host.eq_ignore_ascii_case("github.com") {
            "https://api.github.com".to_string()
        } else {
            format!("https://{host}/api/v3")
        }
    }

    /// The token for `host`: the config's entry, then `GITHUB_TOKEN`/`GH_TOKEN` (github.com only),
    /// then `gh auth token --hostname HOST` when `gh` is installed. `None` when nothing has one.
    pub fn github_token(&self, host: &str) -> Option<Secret> {
        if let Some(t) = self
            .github(host)
            .and_then(|g| g.token.clone())
            .filter(|t| !t.0.is_empty())
        {
            return Some(t);
        }
        if host.eq_ignore_ascii_case("github.com") {
            if let Some(t) = &self.env_github_token {
                return Some(t.clone());
            }
        }
        gh_auth_token(host)
    }
}

impl Config {
    /// The `integrations.gitlab[]` entry for `host`; gitlab.com is always known (as in
    /// Backstage, which adds it when the config does not).
    pub fn gitlab(&self, host: &str) -> Option<GitlabIntegration> {
        if let Some(g) = self
            .integrations
            .gitlab
            .iter()
            .find(|g| g.host.eq_ignore_ascii_case(host))
        {
            return Some(g.clone());
        }
        host.eq_ignore_ascii_case("gitlab.com")
            .then(|| GitlabIntegration {
                host: "gitlab.com".into(),
                ..Default::default()
            })
    }

    /// The `integrations.gitea[]` entry for `host`.
    pub fn gitea(&self, host: &str) -> Option<&GiteaIntegration> {
        self.integrations
            .gitea
            .iter()
            .find(|g| g.host.eq_ignore_ascii_case(host))
    }

    /// The GitLab token for `host`: the config's entry, then `GITLAB_TOKEN` (gitlab.com only),
    /// then `glab auth token --hostname HOST` when `glab` is installed.
    pub fn gitlab_token(&self, host: &str) -> Option<Secret> {
        if let Some(t) = self
            .gitlab(host)
            .and_then(|g| g.token)
            .filter(|t| !t.0.trim().is_empty())
        {
            return Some(Secret(t.0.trim().to_string()));
        }
        if host.eq_ignore_ascii_case("gitlab.com") {
            if let Some(t) = &self.env_gitlab_token {
                return Some(t.clone());
            }
        }
        cli_token("glab", host)
    }
}

impl GitlabIntegration {
    /// `baseUrl`, else `https://HOST`, without a trailing `/`.
    pub fn base_url(&self) -> String {
        match self.base_url.as_deref().filter(|u| !u.is_empty()) {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("https://{}", self.host),
        }
    }

    /// `apiBaseUrl`, else `https://gitlab.com/api/v4` for gitlab.com and `BASE/api/v4` for a
    /// self-managed host.
    pub fn api_base_url(&self) -> String {
        match self.api_base_url.as_deref().filter(|u| !u.is_empty()) {
            Some(u) => u.trim_end_matches('/').to_string(),
            None if self.host.eq_ignore_ascii_case("gitlab.com") => {
                "https://gitlab.com/api/v4".to_string()
            }
            None => format!("{}/api/v4", self.base_url()),
        }
    }
}

impl GiteaIntegration {
    /// `baseUrl`, else `https://HOST`, without a trailing `/`.
    pub fn base_url(&self) -> String {
        match self.base_url.as_deref().filter(|u| !u.is_empty()) {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("https://{}", self.host),
        }
    }
}

/// Asks a forge's CLI (`glab`) for its token for `host` (stdout only, stderr discarded).
fn cli_token(program: &str, host: &str) -> Option<Secret> {
    let out = std::process::Command::new(program)
        .args(["auth", "token", "--hostname", host])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let token = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !token.is_empty()).then_some(Secret(token))
}

/// Asks the GitHub CLI for its token for `host` (stdout only; its stderr is discarded so nothing
/// it prints reaches the terminal).
fn gh_auth_token(host: &str) -> Option<Secret> {
    let out = std::process::Command::new("gh")
        .args(["auth", "token", "--hostname", host])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let token = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !token.is_empty()).then_some(Secret(token))
}

/// `catalog:` settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CatalogConfig {
    pub backstage: Option<BackstageCatalog>,
}

/// A Backstage catalog to register in.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BackstageCatalog {
    pub base_url: String,
    pub token: Option<Secret>,
}
