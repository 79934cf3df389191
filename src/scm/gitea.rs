//! Gitea and Forgejo as a [`Target`], as `@backstage/plugin-scaffolder-backend-module-gitea`
//! 0.2.25 publishes to them: the owner organisation must exist (`GET /api/v1/orgs/OWNER`), the
//! repository is created in it (`POST /api/v1/orgs/OWNER/repos`), the workspace is pushed with
//! the integration's username and password, then golden waits (up to 20 s) until the branch page
//! answers. Gitea has no change-request action in Backstage, so golden has none either.

use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use super::{
    Change, ChangeRequest, Input, Kind, NewRepository, Notes, Push, RepoSpec, Repository, Result,
    ScmError, Target,
};
use crate::config::{Config, GiteaIntegration, Secret};

/// Gitea for one host, with its credentials (both for publishing; reading takes what there is).
pub struct Gitea {
    config: GiteaIntegration,
    username: Option<String>,
    password: Option<Secret>,
    http: reqwest::blocking::Client,
}

fn http_client() -> Result<reqwest::blocking::Client, ScmError> {
    crate::http::blocking_client(Duration::from_secs(15)).map_err(ScmError::new)
}

/// A file named by a Gitea web URL: its repository, ref and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileUrl {
    pub repo: RepoSpec,
    pub reference: String,
    pub path: String,
}

/// The `integrations.gitea[]` entry serving `url` (Backstage's Gitea reader takes URLs whose
/// host, with its port, is the entry's host) and the file it names, split as Backstage's
/// `parseGiteaUrl` splits `BASE/OWNER/REPO/src/(branch|commit|tag)/REF/PATH`.
pub fn file_for_url(config: &Config, url: &str) -> Option<(GiteaIntegration, FileUrl)> {
    let u = url::Url::parse(url).ok()?;
    let host = crate::backstage::repo_url::host_of(&u)?;
    let integration = config.gitea(&host)?.clone();
    let rest = url.strip_prefix(&integration.base_url())?;
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .to_string()
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let ["", owner, name, "src", _kind, reference, path @ ..] = parts.as_slice() else {
        return None;
    };
    let path = path.join("/");
    Some((
        integration.clone(),
        FileUrl {
            repo: RepoSpec {
                host,
                owner: decode(owner),
                name: decode(name),
            },
            reference: decode(reference),
            path: decode(path.trim_start_matches('/')),
        },
    ))
}

/// The file of a `GET /api/v1/repos/OWNER/REPO/contents/PATH` answer (`{"encoding": "base64",
/// "content": ...}`), as Backstage's Gitea reader decodes it.
fn decode_contents(body: &[u8]) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the answer is not a Gitea contents object: {e}"))?;
    match v.get("encoding").and_then(Value::as_str) {
        Some("base64") => base64::engine::general_purpose::STANDARD
            .decode(
                v["content"]
                    .as_str()
                    .unwrap_or_default()
                    .replace(['\n', '\r'], ""),
            )
            .map_err(|e| format!("the file's base64 content is broken: {e}")),
        other => Err(format!(
            "Unknown encoding: {}",
            other
                .map(str::to_string)
                .unwrap_or_else(|| v["encoding"].to_string())
        )),
    }
}

impl Gitea {
    /// The host's `integrations.gitea[]` entry; Backstage requires both a username and a
    /// password (or token) there.
    pub fn connect(config: &Config, host: &str) -> Result<Gitea, ScmError> {
        let Some(config) = config.gitea(host).cloned() else {
            return Err(ScmError::new(format!(
                "No matching integration configuration for host {host}, please check your integrations config"
            ))
            .with_hint(format!("add `{host}` under `integrations.gitea` in golden's config file (host, baseUrl, username, password)")));
        };
        let username = config.username.clone().filter(|u| !u.is_empty());
        let password = config.password.clone().filter(|p| !p.0.trim().is_empty());
        let (Some(username), Some(password)) = (username, password) else {
            return Err(ScmError::new(format!(
                "Credentials for the gitea {host} required."
            ))
            .with_hint(format!("set `username` and `password` (a password or an access token) of `{host}` under `integrations.gitea` in golden's config file")));
        };
        Ok(Gitea {
            config,
            username: Some(username),
            password: Some(Secret(password.0.trim().to_string())),
            http: http_client()?,
        })
    }

    /// Gitea for reading files, with whatever credentials the entry has (Backstage's reader
    /// reads anonymously without a password, and with a password but no username sends it as
    /// a token).
    pub fn reader(config: GiteaIntegration) -> Result<Gitea, ScmError> {
        Ok(Gitea {
            username: config.username.clone().filter(|u| !u.is_empty()),
            password: config
                .password
                .clone()
                .map(|p| Secret(p.0.trim().to_string()))
                .filter(|p| !p.0.is_empty()),
            config,
            http: http_client()?,
        })
    }

    fn base(&self) -> String {
        self.config.base_url()
    }

    /// `getGiteaRequestOptions`: `basic USER:PASSWORD` (base64), `token PASSWORD` without a
    /// username, nothing without a password.
    fn authed(&self, req: reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder {
        use base64::Engine as _;
        let req = match (&self.username, &self.password) {
            (Some(user), Some(password)) => {
                let basic = base64::engine::general_purpose::STANDARD
                    .encode(format!("{user}:{}", password.0));
                req.header("Authorization", format!("basic {basic}"))
            }
            (None, Some(password)) => req.header("Authorization", format!("token {}", password.0)),
            _ => req,
        };
        req.header("Content-Type", "application/json")
    }

    fn username(&self) -> &str {
        self.username.as_deref().unwrap_or_default()
    }

    /// One request; transport failures are explained with the host.
    fn send(
        &self,
        req: reqwest::blocking::RequestBuilder,
        what: &str,
    ) -> Result<(u16, String, String), ScmError> {
        let resp = req.send().map_err(|e| {
            ScmError::new(format!("{what}: {e}")).with_hint(format!(
                "check the network connection to {} and the config file's baseUrl for it",
                self.config.host
            ))
        })?;
        let status = resp.status();
        let line = format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        );
        let text = resp.text().unwrap_or_default();
        Ok((status.as_u16(), line.trim().to_string(), text))
    }
}

/// The commit message Backstage's Gitea module makes: the subject, then a Gerrit-style
/// `Change-Id` of 20 random bytes.
fn commit_message(subject: &str) -> String {
    use crypto_box::aead::rand_core::RngCore as _;
    let mut bytes = [0u8; 20];
    crypto_box::aead::OsRng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{subject}\n\nChange-Id: I{hex}")
}

impl Target for Gitea {
    fn kind(&self) -> Kind {
        Kind::Gitea
    }

    fn create_repository(&self, notes: &mut Notes, new: &NewRepository<'_>) -> Result<Repository> {
        let (repo, settings) = (new.spec, new.settings);
        let base = self.base();
        let (owner, name) = (repo.owner.as_str(), repo.name.as_str());
        if !owner.is_empty() {
            let (status, _, _) = self.send(
                self.authed(self.http.get(format!("{base}/api/v1/orgs/{owner}"))),
                &format!("Unable to get the Organization: {owner}"),
            )?;
            if status != 200 {
                return Err(ScmError::new(format!(
                    "Organization {owner} do not exist. Please create it first !"
                ))
                .with_hint(format!("create the organisation {owner} on {} (publish:gitea creates repositories in organisations only), or check the credentials of integrations.gitea", self.config.host)));
            }
        }
        let private = settings.get("repoVisibility").and_then(Value::as_str) == Some("private");
        let mut body = Map::new();
        body.insert("name".into(), json!(name));
        if let Some(d) = settings.get("description") {
            body.insert("description".into(), d.clone());
        }
        body.insert("private".into(), json!(private));
        let (status, line, body) = self.send(
            self.authed(self.http.post(format!("{base}/api/v1/orgs/{owner}/repos")))
                .body(Value::Object(body).to_string()),
            "Unable to create repository",
        )?;
        if status != 201 {
            let err = ScmError::new(format!("Unable to create repository, {line}, {body}"));
            return Err(if status == 409 {
                err.with_hint(format!("{owner}/{name} already exists on {}; golden never overwrites a repository: choose another name", self.config.host))
            } else if status == 401 || status == 403 {
                err.with_hint("the credentials of integrations.gitea were refused or lack the right to create repositories in the organisation")
            } else {
                err
            });
        }
        notes.created(format!(
            "the Gitea repository {owner}/{name} ({base}/{owner}/{name})"
        ));
        let branch = settings
            .get("defaultBranch")
            .and_then(Value::as_str)
            .unwrap_or("main")
            .to_string();
        let remote = format!("{base}/{owner}/{name}.git");
        Ok(Repository {
            id: None,
            git_url: remote.clone(),
            web_url: remote,
            contents_url: format!("{base}/{owner}/{name}/src/branch/{branch}/"),
            default_branch: branch,
            created: true,
            pushed: None,
        })
    }

    fn push(&self, notes: &mut Notes, repo: &Repository, push: &Push<'_>) -> Result<String> {
        let message = commit_message(push.message);
        let with_change_id = Push {
            message: &message,
            ..*push
        };
        let hash = with_change_id
            .run(&repo.git_url, self.username(), self.password.as_ref())
            .map_err(|e| {
                ScmError::new(format!("cannot push to the Gitea repository {}: {e}", repo.git_url))
                    .with_hint("the repository was created (named above); check the credentials of integrations.gitea and any server-side hook")
            })?;
        notes.pushed(&hash, &repo.git_url, push);
        Ok(hash)
    }

    /// Waits until the branch page answers (Gitea may index a new repository for a moment).
    fn set_up(&self, notes: &mut Notes, repo: &Repository, _settings: Input<'_>) -> Result<()> {
        if repo.pushed.is_none() {
            return Ok(());
        }
        let url = repo.contents_url.trim_end_matches('/').to_string();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if matches!(self.http.get(&url).send(), Ok(r) if r.status().as_u16() == 200) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_secs(1));
        }
        notes.warn(format!("{url} did not answer within 20 s"));
        Ok(())
    }

    fn open_change_request(&self, _notes: &mut Notes, _req: &ChangeRequest<'_>) -> Result<Change> {
        Err(ScmError::new(
            "Gitea change requests are not supported: Backstage's Gitea module has no pull-request action",
        ))
    }

    /// Reads a file through the contents API (`GET /api/v1/repos/OWNER/REPO/contents/PATH?ref=REF`,
    /// base64 in JSON), as Backstage's Gitea URL reader does; transient failures (connection
    /// errors, 429, 5xx) are tried three times.
    fn read_file(&self, repo: &RepoSpec, branch: &str, path: &str) -> Result<Vec<u8>> {
        let seg = |s: &str| crate::github::seg(s);
        let file: Vec<String> = path.trim_start_matches('/').split('/').map(seg).collect();
        let url = format!(
            "{}/api/v1/repos/{}/{}/contents/{}?ref={}",
            self.base(),
            seg(&repo.owner),
            seg(&repo.name),
            file.join("/"),
            seg(branch)
        );
        let what = format!("{path} of {} ({branch})", repo.full_name());
        let mut last = String::new();
        for attempt in 0..3 {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(300 << attempt));
            }
            let resp = match self.authed(self.http.get(&url)).send() {
                Ok(r) => r,
                Err(e) if e.is_connect() || e.is_timeout() => {
                    last = e.to_string();
                    continue;
                }
                Err(e) => return Err(ScmError::new(format!("cannot read {what}: {e}"))),
            };
            let status = resp.status();
            if status.is_success() {
                let body = resp
                    .bytes()
                    .map_err(|e| ScmError::new(format!("cannot read {what}: {e}")))?;
                return decode_contents(&body)
                    .map_err(|e| ScmError::new(format!("cannot read {what}: {e}")));
            }
            if status.is_server_error() || status.as_u16() == 429 {
                last = format!("HTTP {status}");
                continue;
            }
            let err = ScmError::new(format!(
                "{what} could not be read as {url}, {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or_default()
            ));
            return Err(match status.as_u16() {
                404 if self.password.is_none() => err.with_hint(format!("Gitea answers 404 for a private repository read without credentials: set `password` (and `username`) of `{}` under `integrations.gitea` in golden's config file", self.config.host)),
                404 => err.with_hint("check the owner, repository, branch and path in the URL"),
                401 | 403 => err.with_hint(format!("the credentials of `{}` under `integrations.gitea` were refused", self.config.host)),
                _ => err,
            });
        }
        Err(ScmError::new(format!(
            "cannot read {what} after 3 attempts: {last}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The URLs Backstage's Gitea reader reads (`parseGiteaUrl` of `@backstage/integration`
    /// 2.2.0): any `src/KIND/REF`, the entry found by the URL's host and port.
    #[test]
    fn gitea_urls_name_their_files() {
        let mut c = Config::default();
        c.integrations.gitea.push(GiteaIntegration {
            host: "tea.test:3000".into(),
            base_url: Some("http://tea.test:3000/".into()),
            ..Default::default()
        });
        let (g, f) = file_for_url(
            &c,
            "http://tea.test:3000/acme/svc/src/branch/main/deploy/catalog-info.yaml",
        )
        .unwrap();
        assert_eq!(g.host, "tea.test:3000");
        assert_eq!(f.repo.full_name(), "acme/svc");
        assert_eq!(
            (f.reference.as_str(), f.path.as_str()),
            ("main", "deploy/catalog-info.yaml")
        );
        let (_, f) = file_for_url(
            &c,
            "http://tea.test:3000/acme/svc/src/commit/abc123/a%20b.yaml",
        )
        .unwrap();
        assert_eq!(
            (f.reference.as_str(), f.path.as_str()),
            ("abc123", "a b.yaml")
        );
        assert!(file_for_url(&c, "http://tea.test:3000/acme/svc").is_none());
        assert!(file_for_url(&c, "http://tea.test/acme/svc/src/branch/main/x.yaml").is_none());
        assert_eq!(
            decode_contents(br#"{"encoding":"base64","content":"a2luZDog\nQ29tcG9uZW50Cg=="}"#)
                .unwrap(),
            b"kind: Component\n"
        );
        assert_eq!(
            decode_contents(br#"{"encoding":"utf8","content":"x"}"#).unwrap_err(),
            "Unknown encoding: utf8"
        );
    }

    #[test]
    fn commit_messages_carry_a_change_id() {
        let m = commit_message("initial commit");
        let (subject, id) = m.split_once("\n\nChange-Id: I").unwrap();
        assert_eq!(subject, "initial commit");
        assert_eq!(id.len(), 40);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(m, commit_message("initial commit"));
    }
}
