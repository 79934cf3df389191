//! Gitea and Forgejo as a [`Target`], as `@backstage/plugin-scaffolder-backend-module-gitea`
//! 0.2.25 publishes to them: the owner organisation must exist (`GET /api/v1/orgs/OWNER`), the
//! repository is created in it (`POST /api/v1/orgs/OWNER/repos`), the workspace is pushed with
//! the integration's username and password, then golden waits (up to 20 s) until the branch page
//! answers. Gitea has no change-request action in Backstage, so golden has none either.

use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use super::{Change, ChangeRequest, Kind, Notes, Push, RepoSpec, Repository, ScmError, Target};
use crate::config::{Config, GiteaIntegration, Secret};
use crate::git::Git;

/// Gitea for one host, with its credentials.
pub struct Gitea {
    config: GiteaIntegration,
    username: String,
    password: Secret,
    http: reqwest::blocking::Client,
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
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("golden/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ScmError::new(format!("cannot build the HTTP client: {e}")))?;
        Ok(Gitea {
            config,
            username,
            password: Secret(password.0.trim().to_string()),
            http,
        })
    }

    fn base(&self) -> String {
        self.config.base_url()
    }

    fn authed(&self, req: reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder {
        use base64::Engine as _;
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.username, self.password.0));
        req.header("Authorization", format!("basic {basic}"))
            .header("Content-Type", "application/json")
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

    fn create_repository(
        &self,
        notes: &mut Notes,
        repo: &RepoSpec,
        settings: &Map<String, Value>,
    ) -> Result<Repository, ScmError> {
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
        })
    }

    fn push(
        &self,
        notes: &mut Notes,
        git: &dyn Git,
        repo: &Repository,
        push: &Push<'_>,
    ) -> Result<String, ScmError> {
        let message = commit_message(push.message);
        let hash = git
            .push_new_as(
                push.source,
                &repo.git_url,
                push.branch,
                &message,
                push.author,
                &self.username,
                Some(&self.password),
            )
            .map_err(|e| {
                ScmError::new(format!("cannot push to the Gitea repository {}: {e}", repo.git_url))
                    .with_hint("the repository was created (named above); check the credentials of integrations.gitea and any server-side hook")
            })?;
        notes.info(format!(
            "pushed {hash} to {} ({})",
            repo.git_url, push.branch
        ));
        Ok(hash)
    }

    /// Waits until the branch page answers (Gitea may index a new repository for a moment).
    fn set_up(
        &self,
        notes: &mut Notes,
        repo: &Repository,
        _settings: &Map<String, Value>,
        pushed: bool,
    ) -> Result<(), ScmError> {
        if !pushed {
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

    fn open_change_request(
        &self,
        _notes: &mut Notes,
        _git: &dyn Git,
        _req: &ChangeRequest<'_>,
    ) -> Result<Change, ScmError> {
        Err(ScmError::new(
            "Gitea change requests are not supported: Backstage's Gitea module has no pull-request action",
        ))
    }

    fn read_file(&self, repo: &RepoSpec, branch: &str, path: &str) -> Result<Vec<u8>, ScmError> {
        let url = format!(
            "{}/api/v1/repos/{}/{}/raw/{}?ref={}",
            self.base(),
            repo.owner,
            repo.name,
            path.trim_start_matches('/'),
            crate::github::seg(branch)
        );
        let resp = self
            .authed(self.http.get(&url))
            .send()
            .map_err(|e| ScmError::new(format!("cannot read {url}: {e}")))?;
        if !resp.status().is_success() {
            return Err(ScmError::new(format!(
                "cannot read {url}: HTTP {}",
                resp.status()
            )));
        }
        resp.bytes()
            .map(|b| b.to_vec())
            .map_err(|e| ScmError::new(format!("cannot read {url}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
