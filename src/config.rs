//! Configuration: the shapes of golden's YAML config file, the same as Backstage's app-config
//! (`integrations.github[]`, `catalog`). Finding and loading the file (`--config FILE`, else
//! `GOLDEN_CONFIG`, else the platform's config directory, with `${VAR}` references expanded) is
//! `settings`' job. Tokens are never printed: [`Secret`] hides them from `Debug`.

use std::path::PathBuf;

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
    /// `actions:`: external actions, npm modules, the ids the team's Backstage provides.
    pub actions: ActionsConfig,
    /// `validate:`: per-rule control of `golden validate`.
    pub validate: ValidateConfig,
    /// The file this was read from (`None` for the defaults); relative paths in `actions:`
    /// resolve from its folder.
    #[serde(skip)]
    pub source: Option<PathBuf>,
    /// `GITHUB_TOKEN`, else `GH_TOKEN`, from the environment (filled in by `settings`).
    #[serde(skip)]
    pub env_github_token: Option<Secret>,
}

/// `actions:`, either a list of ids your Backstage provides (known to `golden validate`), or a
/// mapping with the reserved keys `strict`, `known`, `packages` and, under any other key, the
/// definition of an external action with that id (read by `actions::external`).
#[derive(Debug, Clone, Default)]
pub struct ActionsConfig {
    /// An action golden cannot find anywhere is an error in `golden validate` (else a warning).
    pub strict: bool,
    /// Ids your Backstage provides (validate accepts them without knowing their inputs).
    pub known: Vec<String>,
    /// npm packages of action modules to install on first use.
    pub packages: Vec<String>,
    /// External action definitions by id, as written (checked when the registry is built).
    pub external: std::collections::BTreeMap<String, serde_json::Value>,
}

impl<'de> Deserialize<'de> for ActionsConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let raw = serde_json::Value::deserialize(d)?;
        let strings = |v: &serde_json::Value,
                       what: &str|
         -> std::result::Result<Vec<String>, D::Error> {
            match v {
                serde_json::Value::Null => Ok(Vec::new()),
                serde_json::Value::Array(a) => a
                    .iter()
                    .map(|x| {
                        x.as_str().map(str::to_string).ok_or_else(|| {
                            D::Error::custom(format!("`actions.{what}` must be a list of strings"))
                        })
                    })
                    .collect(),
                _ => Err(D::Error::custom(format!(
                    "`actions.{what}` must be a list of strings"
                ))),
            }
        };
        match raw {
            serde_json::Value::Null => Ok(ActionsConfig::default()),
            serde_json::Value::Array(_) => Ok(ActionsConfig {
                known: strings(&raw, "known")?,
                ..Default::default()
            }),
            serde_json::Value::Object(map) => {
                let mut c = ActionsConfig::default();
                for (k, v) in map {
                    match k.as_str() {
                        "strict" => {
                            c.strict = v.as_bool().ok_or_else(|| {
                                D::Error::custom("`actions.strict` must be true or false")
                            })?
                        }
                        "known" => c.known = strings(&v, "known")?,
                        "packages" => c.packages = strings(&v, "packages")?,
                        _ => {
                            c.external.insert(k, v);
                        }
                    }
                }
                Ok(c)
            }
            _ => Err(D::Error::custom(
                "`actions` must be a list of action ids or a mapping (strict, known, packages, and external actions by id)",
            )),
        }
    }
}

/// `validate:` in the config: rule codes allowed (not reported) or denied (reported as errors).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidateConfig {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

/// `integrations:` as in Backstage's app-config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Integrations {
    pub github: Vec<GithubIntegration>,
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
