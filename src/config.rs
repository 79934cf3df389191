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
    /// `scaffolder:` of Backstage's app-config (what golden reads of it).
    pub scaffolder: ScaffolderConfig,
    /// The file this was read from (`None` for the defaults); relative paths in `actions:`
    /// resolve from its folder.
    #[serde(skip)]
    pub source: Option<PathBuf>,
    /// `GITHUB_TOKEN`, else `GH_TOKEN`, from the environment (filled in by `settings`).
    #[serde(skip)]
    pub env_github_token: Option<Secret>,
    /// `GITLAB_TOKEN` from the environment (filled in by `settings`).
    #[serde(skip)]
    pub env_gitlab_token: Option<Secret>,
    /// The run's redaction list: every token this config holds or finds is added to it.
    #[serde(skip)]
    pub redactor: crate::redact::Redactor,
}

/// `actions:`, either a list of ids your Backstage provides (known to `golden validate`), or a
/// mapping with the reserved keys `strict`, `known`, `packages`, `timeouts` and, under any other key, the
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
    /// `timeouts:` of npm action modules, by action id, package name or `default`, as written
    /// (checked when the registry is built).
    pub timeouts: std::collections::BTreeMap<String, serde_json::Value>,
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
                        "timeouts" => match v {
                            serde_json::Value::Object(m) => c.timeouts = m.into_iter().collect(),
                            serde_json::Value::Null => {}
                            _ => return Err(D::Error::custom(
                                "`actions.timeouts` must be a mapping of action ids, package names or `default` to durations (`30s`, `5m`)",
                            )),
                        },
                        _ => {
                            c.external.insert(k, v);
                        }
                    }
                }
                Ok(c)
            }
            _ => Err(D::Error::custom(
                "`actions` must be a list of action ids or a mapping (strict, known, packages, timeouts, and external actions by id)",
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
    pub gitlab: Vec<GitlabIntegration>,
    pub gitea: Vec<GiteaIntegration>,
}

/// `scaffolder:`: the settings of Backstage's scaffolder golden reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ScaffolderConfig {
    /// The armored OpenPGP secret key `signCommit` signs with when the host's integration has
    /// no `commitSigningKey`.
    pub default_commit_signing_key: Option<Secret>,
    /// `defaultAuthor`: the commit author publish actions use when their input names none.
    pub default_author: DefaultAuthor,
    /// `defaultCommitMessage`: the commit message publish actions fall back to (each action
    /// has its own precedence; see `actions::github::commit_message`).
    pub default_commit_message: Option<String>,
}

/// `scaffolder.defaultAuthor`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DefaultAuthor {
    pub name: Option<String>,
    pub email: Option<String>,
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
    /// The armored OpenPGP secret key `signCommit` signs with on this host.
    pub commit_signing_key: Option<Secret>,
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
    /// The armored OpenPGP secret key `signCommit` signs with on this host.
    pub commit_signing_key: Option<Secret>,
}

/// One `integrations.github[]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GithubIntegration {
    pub host: String,
    pub api_base_url: Option<String>,
    pub token: Option<Secret>,
    /// GitHub App credentials, as Backstage's: an installation token for the repository's owner
    /// is used before `token` (`crate::github::app`).
    pub apps: Vec<GithubApp>,
}

/// One `integrations.github[].apps[]` entry (Backstage's `GithubAppConfig`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GithubApp {
    /// The app's numeric id (a number, or a string of digits).
    #[serde(deserialize_with = "app_id")]
    pub app_id: u64,
    /// The app's private key (PEM; literal `\n` sequences stand for line breaks).
    pub private_key: Secret,
    /// Required as in Backstage (used by its sign-in, not by golden).
    pub client_id: String,
    pub client_secret: Secret,
    #[serde(default)]
    pub webhook_secret: Option<Secret>,
    /// The owners this app may act for (any, when absent); compared ignoring case.
    #[serde(default)]
    pub allowed_installation_owners: Option<Vec<String>>,
    /// Use the app's first installation for owners it is not installed for.
    #[serde(default)]
    pub public_access: bool,
}

/// `appId`: a number, or a string of digits (Backstage's `getNumber` accepts both).
fn app_id<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<u64, D::Error> {
    use serde::de::Error as _;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| D::Error::custom("`appId` must be a positive whole number")),
        serde_json::Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| D::Error::custom(format!("`appId` must be a number, not `{s}`"))),
        _ => Err(D::Error::custom("`appId` must be a number")),
    }
}

impl Config {
    /// The `integrations.github[]` entry for `host`, if the config has one.
    pub fn github(&self, host: &str) -> Option<&GithubIntegration> {
        self.integrations
            .github
            .iter()
            .find(|g| g.host.eq_ignore_ascii_case(host))
    }

    /// The hosts of every configured integration, by kind.
    pub fn integration_hosts(&self) -> crate::backstage::repo_url::Hosts {
        let hosts = |v: Vec<&String>| v.into_iter().cloned().collect();
        crate::backstage::repo_url::Hosts {
            github: self.github_hosts(),
            gitlab: hosts(self.integrations.gitlab.iter().map(|g| &g.host).collect()),
            gitea: hosts(self.integrations.gitea.iter().map(|g| &g.host).collect()),
        }
    }

    /// The hosts of `integrations.github[]` (GitHub Enterprise hosts besides github.com).
    pub fn github_hosts(&self) -> Vec<String> {
        self.integrations
            .github
            .iter()
            .map(|g| g.host.clone())
            .collect()
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
        let token = gh_auth_token(host)?;
        self.redactor.register(&token.0);
        Some(token)
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

    /// The GitLab token for `host`: the config's entry, then `GITLAB_TOKEN` (gitlab.com only: it
    /// is the `${GITLAB_TOKEN}` of Backstage's default app-config, which reads no environment
    /// variable for a self-managed host), then what `glab` stores for the host when `glab` is
    /// installed.
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
        let token = glab_token(host)?;
        self.redactor.register(&token.0);
        Some(token)
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

/// The token `glab` stores for `host` (`glab config get token --host HOST`; glab has no
/// `auth token` command). glab would answer `GITLAB_TOKEN` for any host, so its token variables
/// are removed from its environment: the token must be one stored for this host. stdout only,
/// stderr discarded; the caller registers the token for masking.
fn glab_token(host: &str) -> Option<Secret> {
    let out = std::process::Command::new("glab")
        .args(["config", "get", "token", "--host", host])
        .env_remove("GITLAB_TOKEN")
        .env_remove("GITLAB_ACCESS_TOKEN")
        .env_remove("OAUTH_TOKEN")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let token = String::from_utf8(out.stdout).ok()?.trim().to_string();
    if !out.status.success() || token.is_empty() {
        return None;
    }
    Some(Secret(token))
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
impl Config {
    /// Adds every token of the file to the redaction list.
    pub fn register_secrets(&self) {
        let tokens = self
            .integrations
            .github
            .iter()
            .filter_map(|g| g.token.as_ref())
            .chain(
                self.catalog
                    .backstage
                    .iter()
                    .filter_map(|b| b.token.as_ref()),
            );
        for t in tokens {
            self.redactor.register(&t.0);
        }
    }
}

/// A parsed config document, checked against the shape golden reads: the first unknown key (with
/// a did-you-mean and the keys it could be) or wrong type is an error at `file:line:col`. Empty
/// keys (`key:`) are dropped: they mean "not set".
pub fn checked(
    doc: crate::template::yaml::Document,
    path: &std::path::Path,
) -> crate::error::Result<serde_json::Value> {
    let problems = check_shape(&doc.value, &ROOT, "", "");
    if let Some((pointer, message, suggestion)) = problems.into_iter().next() {
        let mut e = crate::error::Error::usage(format!("the config file is invalid: {message}"));
        e = match doc.spans.key(&pointer) {
            Some(pos) => e.at(format!("{}:{}:{}", path.display(), pos.line, pos.column)),
            None => e.at(path.display().to_string()),
        };
        if let Some(s) = suggestion {
            e = e.hint(format!("did you mean `{s}`?"));
        }
        return Err(e);
    }
    let mut value = doc.value;
    drop_nulls(&mut value);
    Ok(value)
}

/// The shape of the config file: what `check_shape` accepts.
enum Shape {
    Object(&'static [(&'static str, Shape)]),
    Array(&'static Shape),
    Str,
    Bool,
    /// Kept as given (checked by its own deserializer).
    Any,
    /// A key Backstage's app-config has that golden does not use (accepted).
    Ignored,
    /// A key that must be present (as Backstage's `getString`/`getNumber` require it).
    Required(&'static Shape),
}

const GITHUB_APP: Shape = Shape::Object(&[
    // a number or a string of digits: its deserializer checks it
    ("appId", Shape::Required(&Shape::Any)),
    ("privateKey", Shape::Required(&Shape::Str)),
    ("clientId", Shape::Required(&Shape::Str)),
    ("clientSecret", Shape::Required(&Shape::Str)),
    ("webhookSecret", Shape::Str),
    ("allowedInstallationOwners", Shape::Array(&Shape::Str)),
    ("publicAccess", Shape::Bool),
]);

const GITHUB: Shape = Shape::Object(&[
    ("host", Shape::Str),
    ("apiBaseUrl", Shape::Str),
    ("rawBaseUrl", Shape::Ignored),
    ("token", Shape::Str),
    ("apps", Shape::Array(&GITHUB_APP)),
]);

const ROOT: Shape = Shape::Object(&[
    (
        "integrations",
        Shape::Object(&[
            ("github", Shape::Array(&GITHUB)),
            // Other integrations of Backstage's app-config: golden publishes to GitHub only.
            ("gitlab", Shape::Ignored),
            ("bitbucket", Shape::Ignored),
            ("bitbucketCloud", Shape::Ignored),
            ("bitbucketServer", Shape::Ignored),
            ("azure", Shape::Ignored),
            ("gerrit", Shape::Ignored),
            ("gitea", Shape::Ignored),
            ("awsS3", Shape::Ignored),
            ("googleGcs", Shape::Ignored),
        ]),
    ),
    (
        "catalog",
        Shape::Object(&[(
            "backstage",
            Shape::Object(&[("baseUrl", Shape::Str), ("token", Shape::Str)]),
        )]),
    ),
    (
        "scaffolder",
        Shape::Object(&[
            ("defaultCommitSigningKey", Shape::Str),
            (
                "defaultAuthor",
                Shape::Object(&[("name", Shape::Str), ("email", Shape::Str)]),
            ),
            ("defaultCommitMessage", Shape::Str),
            // Backstage's other scaffolder settings: accepted, unused.
            ("requireScmUserCredentials", Shape::Ignored),
            ("concurrentTasksLimit", Shape::Ignored),
            ("EXPERIMENTAL_recoverTasks", Shape::Ignored),
            ("EXPERIMENTAL_recoverTasksTimeout", Shape::Ignored),
            ("taskTimeoutJanitorFrequency", Shape::Ignored),
            ("taskTimeout", Shape::Ignored),
        ]),
    ),
    ("local", Shape::Bool),
    // a list of ids, or a mapping (strict, known, packages, external actions by id): its own
    // deserializer checks it and names the key at fault
    ("actions", Shape::Any),
    (
        "validate",
        Shape::Object(&[
            ("allow", Shape::Array(&Shape::Str)),
            ("deny", Shape::Array(&Shape::Str)),
        ]),
    ),
]);

/// Unknown keys and wrong types, as `(JSON pointer, message, did-you-mean)`; `null` stands for
/// an absent key.
fn check_shape(
    v: &serde_json::Value,
    shape: &Shape,
    pointer: &str,
    name: &str,
) -> Vec<(String, String, Option<String>)> {
    use serde_json::Value;
    let kind = |v: &Value| match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    };
    let shown = if name.is_empty() { "the file" } else { name };
    let wrong = |want: &str| {
        vec![(
            pointer.to_string(),
            format!("`{shown}` must be {want}, found {}", kind(v)),
            None,
        )]
    };
    match (shape, v) {
        (Shape::Required(inner), _) => check_shape(v, inner, pointer, name),
        (Shape::Any | Shape::Ignored, _) | (_, Value::Null) => Vec::new(),
        (Shape::Str, Value::String(_)) | (Shape::Bool, Value::Bool(_)) => Vec::new(),
        (Shape::Str, _) => wrong("a string"),
        (Shape::Bool, _) => wrong("true or false"),
        (Shape::Array(item), Value::Array(items)) => items
            .iter()
            .enumerate()
            .flat_map(|(i, x)| {
                check_shape(x, item, &format!("{pointer}/{i}"), &format!("{name}[{i}]"))
            })
            .collect(),
        (Shape::Array(_), _) => wrong("a list"),
        (Shape::Object(fields), Value::Object(m)) => {
            let mut out = Vec::new();
            for (k, x) in m {
                let p = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                let full = if name.is_empty() {
                    k.clone()
                } else {
                    format!("{name}.{k}")
                };
                match fields.iter().find(|(f, _)| f == k) {
                    Some((_, s)) => out.extend(check_shape(x, s, &p, &full)),
                    None => {
                        let best =
                            crate::backstage::suggest::closest(k, fields.iter().map(|(f, _)| *f))
                                .map(str::to_string);
                        let known: Vec<&str> = fields.iter().map(|(f, _)| *f).collect();
                        out.push((
                            p,
                            format!("unknown key `{full}` (golden reads: {})", known.join(", ")),
                            best,
                        ));
                    }
                }
            }
            for (f, s) in fields.iter() {
                if matches!(s, Shape::Required(_)) && m.get(*f).is_none_or(Value::is_null) {
                    let full = if name.is_empty() {
                        f.to_string()
                    } else {
                        format!("{name}.{f}")
                    };
                    out.push((pointer.to_string(), format!("`{full}` is required"), None));
                }
            }
            out
        }
        (Shape::Object(_), _) => wrong("a mapping"),
    }
}

/// Removes keys whose value is `null` (an empty `key:` means the key is not set).
fn drop_nulls(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}
