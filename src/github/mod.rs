//! GitHub: the REST client behind a small trait ([`Api`]), how a `repoUrl` is read, and how
//! GitHub's errors are explained. The octocrab-backed client lives in `client.rs`, GitHub App
//! credentials (JWT, installation tokens) in `app.rs`; git itself (commit, push, clone) lives in
//! `crate::git`.
//!
//! Tokens never leave this module in a message: errors carry GitHub's own text and a hint.

pub mod app;
pub mod client;
pub mod seal;

use serde_json::Value;

/// A failure of the GitHub integration (REST calls, reading a `repoUrl`): the message and, where useful, what to do about it.
#[derive(Debug, Clone)]
pub struct GithubError {
    pub message: String,
    pub hint: Option<String>,
}

impl GithubError {
    pub fn new(message: impl Into<String>) -> Self {
        GithubError {
            message: message.into(),
            hint: None,
        }
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl std::fmt::Display for GithubError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for GithubError {}

/// The HTTP methods golden uses against the REST API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Head,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Head => "HEAD",
        }
    }
}

/// A GitHub REST API for one host and one token. Paths start with `/` and are relative to the
/// API base URL (`https://api.github.com`, `https://HOST/api/v3`, or the config's `apiBaseUrl`).
pub trait Api: Send + Sync {
    /// Sends one request (retrying transient failures) and returns the JSON body (`null` when
    /// GitHub answers without one, as for 204).
    fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, ApiError>;
    /// Sends a GraphQL query to the host's GraphQL endpoint (`/graphql` on api.github.com,
    /// `/api/graphql` on GitHub Enterprise) and returns its `data`; GraphQL `errors` fail it.
    fn graphql(&self, query: &str, variables: &Value) -> Result<Value, ApiError>;
    /// GETs a file of the contents API as its bytes (the raw media type). By default: the JSON
    /// answer's base64 `content`, decoded.
    fn raw(&self, path: &str) -> Result<Vec<u8>, ApiError> {
        use base64::Engine as _;
        let v = self.call(Method::Get, path, None)?;
        let content: String = v["content"]
            .as_str()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        base64::engine::general_purpose::STANDARD
            .decode(content)
            .map_err(|e| ApiError {
                call: format!("GET {path}"),
                status: None,
                message: format!("the contents API answered undecodable content ({e})"),
                details: Vec::new(),
            })
    }
}

/// Builds a client for an API base URL and a token.
pub trait Connect: Send + Sync {
    fn connect(
        &self,
        api_base_url: &str,
        token: &crate::config::Secret,
    ) -> Result<Box<dyn Api>, String>;
}

/// A failed REST call: the HTTP status (none for a transport failure), GitHub's message and its
/// `errors[].message` details.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// `POST /orgs/acme/repos`.
    pub call: String,
    pub status: Option<u16>,
    pub message: String,
    pub details: Vec<String>,
}

impl crate::http::Attempted for ApiError {
    fn message_mut(&mut self) -> &mut String {
        &mut self.message
    }
}

impl ApiError {
    /// GitHub's message with its details, as one line.
    pub fn text(&self) -> String {
        let mut s = self.message.clone();
        if !self.details.is_empty() {
            s.push_str(&format!(" ({})", self.details.join("; ")));
        }
        s
    }

    /// Whether GitHub said the thing does not exist.
    pub fn is_not_found(&self) -> bool {
        self.status == Some(404)
    }

    /// An error that says what failed, GitHub's words, and what to do about it.
    pub fn explain(&self, what: &str, host: &str) -> GithubError {
        let e = match self.status {
            Some(status) => GithubError::new(format!(
                "{what}: GitHub answered {status} {} to {}",
                self.text(),
                self.call
            )),
            None => GithubError::new(format!("{what}: {} failed: {}", self.call, self.text())),
        };
        match self.status {
            Some(401) => e.with_hint(format!(
                "the token for {host} was refused: check that it is valid and not expired. golden reads it from the step's `token` input, the config file's integrations.github[].token, GITHUB_TOKEN or GH_TOKEN (github.com), or `gh auth token --hostname {host}`"
            )),
            Some(403) => e.with_hint(
                "the token lacks a permission: a classic token needs the `repo` scope (and `workflow` to push workflow files, `admin:org` for organisation teams); a fine-grained token needs Administration and Contents write access on the owner",
            ),
            Some(404) => e.with_hint(
                "check the owner and repository spelling in repoUrl, and that the token can see them (GitHub answers 404 for things a token may not access)",
            ),
            Some(422) => e.with_hint("GitHub refused the request's content; its message above says which field"),
            None => e.with_hint(format!(
                "check the network connection to {host}, the config file's apiBaseUrl for it, and https_proxy/no_proxy if a proxy is needed"
            )),
            _ => e,
        }
    }
}

/// A `repoUrl` (`github.com?owner=acme&repo=svc`), read the way Backstage's `parseRepoUrl` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoUrl {
    pub host: String,
    pub owner: String,
    pub repo: String,
}

impl RepoUrl {
    /// Parses `repoUrl`; `owner` and `repo` are required (leading and trailing `/` trimmed).
    pub fn parse(repo_url: &str) -> Result<RepoUrl, GithubError> {
        let url = crate::backstage::repo_url::RepoUrl::parse(repo_url).map_err(|e| {
            GithubError::new(e.to_string()).with_hint(
                "repoUrl looks like `github.com?owner=OWNER&repo=NAME` (what RepoUrlPicker produces)",
            )
        })?;
        url.require(&["repo", "owner"]).map_err(|e| {
            GithubError::new(e.to_string())
                .with_hint("repoUrl looks like `github.com?owner=OWNER&repo=NAME`")
        })?;
        Ok(RepoUrl {
            owner: url.get("owner").unwrap_or_default(),
            repo: url.get("repo").unwrap_or_default(),
            host: url.host,
        })
    }

    /// `owner/repo`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.repo)
    }
}

/// Percent-encodes one path segment or query value (owner, repository, branch, file path), as
/// `encodeURIComponent` does.
pub fn seg(s: &str) -> String {
    crate::backstage::uri::encode_component(s)
}

pub use crate::backstage::entity_ref::to_name as entity_ref_to_name;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_repo_urls_like_backstage() {
        let r = RepoUrl::parse("github.com?owner=acme&repo=svc").unwrap();
        assert_eq!(
            (r.host.as_str(), r.owner.as_str(), r.repo.as_str()),
            ("github.com", "acme", "svc")
        );
        let r = RepoUrl::parse("ghe.corp:8443?repo=/x/&owner=team").unwrap();
        assert_eq!(
            (r.host.as_str(), r.owner.as_str(), r.repo.as_str()),
            ("ghe.corp:8443", "team", "x")
        );
        let e = RepoUrl::parse("github.com?owner=acme").unwrap_err();
        assert!(e.message.ends_with("missing repo"), "{}", e.message);
        let e = RepoUrl::parse("github.com?repo=x").unwrap_err();
        assert!(e.message.ends_with("missing owner"), "{}", e.message);
    }

    #[test]
    fn entity_refs_become_names_and_segments_are_encoded() {
        assert_eq!(entity_ref_to_name("user:default/jane"), "jane");
        assert_eq!(entity_ref_to_name("group:team-a"), "team-a");
        assert_eq!(entity_ref_to_name("bob"), "bob");
        assert_eq!(seg("feature/x y"), "feature%2Fx%20y");
        assert_eq!(seg("my-repo_1.go"), "my-repo_1.go");
    }

    #[test]
    fn errors_quote_github_and_hint_by_status() {
        let e = ApiError {
            call: "POST /user/repos".into(),
            status: Some(401),
            message: "Bad credentials".into(),
            details: vec![],
        };
        let a = e.explain("cannot create acme/svc", "github.com");
        assert!(a.message.contains("401 Bad credentials"), "{}", a.message);
        assert!(a.hint.unwrap().contains("token"));
    }
}
