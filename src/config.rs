//! Configuration: the YAML file (`--config FILE`, else `GOLDEN_CONFIG`, else the platform's config
//! directory) with the same shapes as Backstage's app-config (`integrations.github[]`,
//! `catalog`), and `${VAR}` references to environment variables. Tokens read here are never
//! printed: [`Secret`] hides them from `Debug`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

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
            for var in [crate::env_vars::GITHUB_TOKEN, crate::env_vars::GH_TOKEN] {
                if let Ok(t) = std::env::var(var) {
                    if !t.trim().is_empty() {
                        return Some(Secret(t.trim().to_string()));
                    }
                }
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
    crate::redact::register(&token);
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

/// Where the config file is: `--config`, else `GOLDEN_CONFIG`, else `<config dir>/golden/config.yaml`.
pub fn path(flag: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = flag {
        return Some(p.to_path_buf());
    }
    if let Ok(p) = std::env::var(crate::env_vars::CONFIG) {
        if !p.is_empty() {
            return Some(PathBuf::from(p));
        }
    }
    dirs::config_dir()
        .map(|d| d.join("golden").join("config.yaml"))
        .filter(|p| p.is_file())
}

/// Loads the config file, or the defaults when there is none.
pub fn load(flag: Option<&Path>) -> Result<Config> {
    let Some(path) = path(flag) else {
        return Ok(Config::default());
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Error::usage(format!(
            "cannot read the config file `{}`: {e}",
            path.display()
        ))
    })?;
    let at = |pos: crate::template::Pos| format!("{}:{}:{}", path.display(), pos.line, pos.column);
    let mut docs = crate::template::yaml::parse_documents(&expand_env(&text)).map_err(|e| {
        Error::usage(format!("the config file is not valid YAML: {}", e.message)).at(at(e.pos))
    })?;
    if docs.len() > 1 {
        return Err(Error::usage(format!(
            "the config file `{}` holds {} YAML documents; it must hold one",
            path.display(),
            docs.len()
        )));
    }
    let Some(doc) = docs.pop() else {
        return Ok(Config::default());
    };
    let mut value = doc.value;
    if value.is_null() {
        return Ok(Config::default());
    }
    let problems = check_shape(&value, &ROOT, "", "");
    if let Some((pointer, message, suggestion)) = problems.into_iter().next() {
        let mut e = Error::usage(format!("the config file is invalid: {message}"));
        if let Some(pos) = doc.spans.key(&pointer) {
            e = e.at(at(pos));
        } else {
            e = e.at(path.display().to_string());
        }
        if let Some(s) = suggestion {
            e = e.hint(format!("did you mean `{s}`?"));
        }
        return Err(e);
    }
    drop_nulls(&mut value);
    let config: Config = serde_json::from_value(value).map_err(|e| {
        Error::usage(format!(
            "the config file `{}` is invalid: {e}",
            path.display()
        ))
    })?;
    config.register_secrets();
    Ok(config)
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
            crate::redact::register(&t.0);
        }
    }
}

/// Adds the tokens golden reads from the environment to the redaction list.
pub fn register_env_secrets() {
    for var in [
        crate::env_vars::GITHUB_TOKEN,
        crate::env_vars::GH_TOKEN,
        crate::env_vars::BACKSTAGE_TOKEN,
    ] {
        if let Ok(t) = std::env::var(var) {
            crate::redact::register(&t);
        }
    }
}

/// The shape of the config file: what `check_shape` accepts.
enum Shape {
    Object(&'static [(&'static str, Shape)]),
    Array(&'static Shape),
    Str,
    Bool,
    /// Kept as given (GitHub App credentials golden only notices).
    Any,
    /// A key Backstage's app-config has that golden does not use (accepted).
    Ignored,
}

const GITHUB: Shape = Shape::Object(&[
    ("host", Shape::Str),
    ("apiBaseUrl", Shape::Str),
    ("rawBaseUrl", Shape::Ignored),
    ("token", Shape::Str),
    ("apps", Shape::Any),
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
    ("local", Shape::Bool),
    ("actions", Shape::Array(&Shape::Str)),
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
                        let best = fields
                            .iter()
                            .map(|(f, _)| (strsim::jaro_winkler(f, k), *f))
                            .filter(|(score, _)| *score > 0.7)
                            .max_by(|a, b| a.0.total_cmp(&b.0))
                            .map(|(_, f)| f.to_string());
                        let known: Vec<&str> = fields.iter().map(|(f, _)| *f).collect();
                        out.push((
                            p,
                            format!("unknown key `{full}` (golden reads: {})", known.join(", ")),
                            best,
                        ));
                    }
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

/// Replaces `${VAR}` with the environment variable's value (empty when unset).
pub fn expand_env(text: &str) -> String {
    let re = regex::Regex::new(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}").expect("valid regex");
    re.replace_all(text, |c: &regex::Captures<'_>| {
        std::env::var(&c[1]).unwrap_or_default()
    })
    .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_backstage_shaped_config_with_env_refs() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.yaml");
        std::env::set_var("GOLDEN_TEST_TOKEN_X", "s3cret");
        std::fs::write(&p, "integrations:\n  github:\n    - host: ghe.example.com\n      apiBaseUrl: https://ghe.example.com/api/v3\n      token: ${GOLDEN_TEST_TOKEN_X}\ncatalog:\n  backstage:\n    baseUrl: http://127.0.0.1:7007\n").unwrap();
        let c = load(Some(&p)).unwrap();
        assert_eq!(c.integrations.github[0].token.as_ref().unwrap().0, "s3cret");
        assert!(
            !format!("{c:?}").contains("s3cret"),
            "tokens never appear in Debug output"
        );
        assert_eq!(
            c.catalog.backstage.as_ref().unwrap().base_url,
            "http://127.0.0.1:7007"
        );
        assert_eq!(
            c.github_api_base_url("GHE.example.com"),
            "https://ghe.example.com/api/v3"
        );
        assert_eq!(c.github_token("ghe.example.com").unwrap().0, "s3cret");
        assert_eq!(
            c.github_api_base_url("github.com"),
            "https://api.github.com"
        );
        assert_eq!(
            Config::default().github_api_base_url("git.corp"),
            "https://git.corp/api/v3"
        );
    }
}
