//! Where a catalog file is and how to read it. A location is given as a local path, a `file://`
//! URL, a local-forge contents URL (`file:///…/forge/HOST/OWNER/REPO.git/blob/BRANCH/PATH`, the
//! shape of `repoContentsUrl` after a `--local` publish) or an `http(s)` URL (GitHub `blob`/`tree`
//! URLs are read through the contents API with the host's token, GitLab `/-/blob/` URLs through
//! the files API, Gitea `/src/branch/` URLs through `scm::gitea`'s `read_file`). Each becomes a [`Location`]
//! with Backstage's `type` (`file` for a path on disk, `url` otherwise) and target.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::Config;
use crate::error::{Error, Result};

/// A registered location, as Backstage stores it (`<type>:<target>` in annotations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// `file` (an absolute path) or `url`.
    pub kind: String,
    pub target: String,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind, self.target)
    }
}

impl Location {
    /// Interprets what the user or a step gave: a URL (`http(s)://`, `file://`) or a path
    /// (relative to `cwd`, the directory golden started in).
    pub fn parse(text: &str, cwd: &Path) -> Result<Location> {
        let text = text.trim();
        if text.is_empty() {
            return Err(
                Error::usage("the location is empty").hint("give a catalog-info.yaml path or URL")
            );
        }
        if let Some((kind, target)) = text
            .split_once(':')
            .filter(|(k, _)| *k == "url" || *k == "file")
            .filter(|(_, t)| !t.starts_with("//"))
        {
            // A location reference (`url:https://…`, `file:/abs/path`) as found in annotations.
            return Location::parse(target, cwd).map(|l| {
                if kind == "url" {
                    Location {
                        kind: "url".into(),
                        target: l.target,
                    }
                } else {
                    l
                }
            });
        }
        if let Ok(u) = url::Url::parse(text) {
            match u.scheme() {
                "http" | "https" => {
                    return Ok(Location {
                        kind: "url".into(),
                        target: text.to_string(),
                    })
                }
                "file" => {
                    let path = u.to_file_path().map_err(|_| {
                        Error::usage(format!("`{text}` is not a usable file:// URL"))
                    })?;
                    if forge_parts(&path).is_some() {
                        return Ok(Location {
                            kind: "url".into(),
                            target: u.to_string(),
                        });
                    }
                    return Ok(Location {
                        kind: "file".into(),
                        target: absolute(&path, cwd).display().to_string(),
                    });
                }
                s if s.len() > 1 => {
                    return Err(Error::usage(format!(
                        "cannot read catalog files over `{s}:` (`{text}`)"
                    ))
                    .hint("use an http(s):// URL, a file:// URL or a local path"))
                }
                _ => {} // a Windows drive letter: a path
            }
        }
        Ok(Location {
            kind: "file".into(),
            target: absolute(Path::new(text), cwd).display().to_string(),
        })
    }

    /// The location a relative `target` of a Location entity at `self` points to.
    pub fn join(&self, target: &str) -> Result<Location> {
        if url::Url::parse(target).is_ok_and(|u| u.scheme().len() > 1) {
            return Location::parse(target, Path::new("/"));
        }
        if self.kind == "file" {
            let base = Path::new(&self.target).parent().unwrap_or(Path::new("/"));
            return Ok(Location {
                kind: "file".into(),
                target: normalize(&base.join(target)).display().to_string(),
            });
        }
        let base = url::Url::parse(&self.target)
            .map_err(|e| Error::usage(format!("`{}` is not a URL: {e}", self.target)))?;
        let joined = base.join(target).map_err(|e| {
            Error::usage(format!(
                "cannot resolve `{target}` against `{}`: {e}",
                self.target
            ))
        })?;
        Ok(Location {
            kind: "url".into(),
            target: joined.to_string(),
        })
    }

    /// Reads the file's text. A GitHub `blob`/`tree` URL (github.com or a host of
    /// `integrations.github`) is read through the REST API's contents endpoint, with the host's
    /// token when golden has one, as Backstage's GitHub reader does; GitLab and Gitea URLs
    /// through their APIs, as their readers do.
    pub fn read(&self, config: &Config) -> Result<String> {
        let bytes = if self.kind == "file" {
            std::fs::read(&self.target).map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    Error::usage(format!("file {} does not exist", self.target))
                } else {
                    Error::io("cannot read", Path::new(&self.target), e)
                }
            })?
        } else if self.target.starts_with("file:") {
            read_forge(&self.target)?
        } else {
            read_url(config, &self.target)?
        };
        String::from_utf8(bytes).map_err(|_| Error::usage(format!("{self} is not UTF-8 text")))
    }
}

/// Reads an `http(s)` URL as golden reads catalog files: GitHub `blob`/`tree` URLs through the
/// GitHub target's `read_file` (the contents API, a GitHub App's token first), GitLab blob URLs through the files API and Gitea `src` URLs through the Gitea
/// contents API, each with its integration's token;
/// any other URL with a plain GET. Timeouts and retries of [`http_client`] and
/// `read_http_with`. Which hosts may be read at all is the caller's decision.
pub fn read_url(config: &Config, target: &str) -> Result<Vec<u8>> {
    if let Some(file) = github_file(config, target) {
        read_github(config, target, &file)
    } else if let Some((api, host)) = gitlab_file(config, target) {
        read_gitlab(config, target, &api, &host)
    } else if let Some((gitea, file)) = crate::scm::gitea::file_for_url(config, target) {
        read_gitea(gitea, &file)
    } else {
        read_http(target)
    }
}

fn absolute(p: &Path, cwd: &Path) -> PathBuf {
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    };
    normalize(&p)
}

/// Removes `.` and `..` segments without touching the disk.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `(bare repository, branch, file)` of a forge contents path `…/REPO.git/blob/BRANCH/FILE`.
fn forge_parts(path: &Path) -> Option<(PathBuf, String, String)> {
    let text = path.to_str()?;
    let (repo, rest) = text.split_once(".git/blob/")?;
    let (branch, file) = rest.split_once('/').unwrap_or((rest, ""));
    Some((
        PathBuf::from(format!("{repo}.git")),
        branch.to_string(),
        file.to_string(),
    ))
}

/// Reads `FILE` at the tip of `BRANCH` in a local-forge bare repository.
fn read_forge(target: &str) -> Result<Vec<u8>> {
    let path = url::Url::parse(target)
        .ok()
        .and_then(|u| u.to_file_path().ok())
        .unwrap_or_default();
    let (repo, branch, file) = forge_parts(&path)
        .ok_or_else(|| Error::usage(format!("`{target}` is not a local-forge contents URL")))?;
    let not_found = |what: String| Error::usage(format!("{what}, so {target} does not exist"));
    let r = git2::Repository::open_bare(&repo)
        .map_err(|_| not_found(format!("there is no repository at `{}`", repo.display())))?;
    let tree = r
        .find_reference(&format!("refs/heads/{branch}"))
        .and_then(|b| b.peel_to_tree())
        .map_err(|_| {
            not_found(format!(
                "the repository `{}` has no branch `{branch}`",
                repo.display()
            ))
        })?;
    let entry = tree
        .get_path(Path::new(&file))
        .map_err(|_| not_found(format!("branch `{branch}` has no file `{file}`")))?;
    let blob = entry
        .to_object(&r)
        .and_then(|o| o.peel_to_blob())
        .map_err(|_| not_found(format!("`{file}` is not a file")))?;
    Ok(blob.content().to_vec())
}

/// A blocking HTTP client with timeouts; rustls on the ring provider.
pub fn http_client() -> Result<reqwest::blocking::Client> {
    crate::http::blocking_client(Duration::from_secs(10)).map_err(Error::internal)
}

/// A file of a GitHub file URL `https://HOST/OWNER/REPO/(blob|tree)/REF/PATH` on a GitHub
/// integration host: the repository, the ref and the path (decoded).
struct GithubFile {
    repo: crate::scm::RepoSpec,
    git_ref: String,
    path: String,
}

fn github_file(config: &Config, target: &str) -> Option<GithubFile> {
    let u = url::Url::parse(target).ok()?;
    let host = crate::backstage::repo_url::host_of(&u)?;
    if !host.eq_ignore_ascii_case("github.com") && config.github(&host).is_none() {
        return None;
    }
    let segments: Vec<&str> = u.path_segments()?.collect();
    let [owner, repo, kind, git_ref, path @ ..] = segments.as_slice() else {
        return None;
    };
    if !matches!(*kind, "blob" | "tree") || path.is_empty() {
        return None;
    }
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .to_string()
    };
    Some(GithubFile {
        repo: crate::scm::RepoSpec {
            host,
            owner: decode(owner),
            name: decode(repo),
        },
        git_ref: decode(git_ref),
        path: path.iter().map(|p| decode(p)).collect::<Vec<_>>().join("/"),
    })
}

/// The files-API URL for a GitLab file URL `https://HOST/GROUP/SUB/REPO/-/blob/REF/PATH` on a
/// GitLab integration (matched by host or `baseUrl`), as Backstage's GitLab URL reader builds it:
/// `API/projects/GROUP%2FSUB%2FREPO/repository/files/PATH/raw?ref=REF`. Also the integration's
/// host, for its token.
fn gitlab_file(config: &Config, target: &str) -> Option<(String, String)> {
    let g = crate::scm::gitlab_for_url(config, target)?;
    let u = url::Url::parse(target).ok()?;
    let path = u.path();
    let (repo, rest) = path
        .split_once("/-/blob/")
        .or_else(|| path.split_once("/blob/"))?;
    let (branch, file) = rest.split_once('/')?;
    // The project path is what follows the base URL's own path (an instance under a prefix).
    let prefix = url::Url::parse(&g.base_url())
        .map(|b| b.path().trim_end_matches('/').to_string())
        .unwrap_or_default();
    let project = repo
        .strip_prefix(&prefix)
        .unwrap_or(repo)
        .trim_start_matches('/');
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .to_string()
    };
    let enc = |s: &str| crate::github::seg(s);
    Some((
        format!(
            "{}/projects/{}/repository/files/{}/raw?ref={}",
            g.api_base_url(),
            enc(&decode(project)),
            enc(&decode(file)),
            enc(&decode(branch))
        ),
        g.host,
    ))
}

/// Reads a GitLab file through the files API, with the host's token as a bearer token (as
/// Backstage's GitLab reader sends it).
fn read_gitlab(config: &Config, target: &str, api: &str, host: &str) -> Result<Vec<u8>> {
    let token = config.gitlab_token(host);
    read_http_with(api, |req| match &token {
        Some(t) => req.bearer_auth(&t.0),
        None => req,
    })
    .map_err(|e| {
        let e = Error {
            message: e.message.replace(api, target),
            ..e
        };
        if token.is_none() {
            e.hint(format!("golden has no token for {host}: a private project needs `integrations.gitlab[].token` in the config file, GITLAB_TOKEN or `glab auth login`"))
        } else {
            e
        }
    })
}

/// Reads a Gitea file through the publishing target's `read_file` (the contents API with the
/// integration's credentials, as Backstage's Gitea reader reads it).
fn read_gitea(
    gitea: crate::config::GiteaIntegration,
    file: &crate::scm::gitea::FileUrl,
) -> Result<Vec<u8>> {
    use crate::scm::Target as _;
    let err = |e: crate::scm::ScmError| {
        let mut err = Error::usage(e.message);
        if let Some(h) = e.hint {
            err = err.hint(h);
        }
        err
    };
    crate::scm::gitea::Gitea::reader(gitea)
        .map_err(err)?
        .read_file(&file.repo, &file.reference, &file.path)
        .map_err(err)
}

/// Reads a GitHub file through the GitHub target's `read_file` (the contents API, raw media
/// type) with the token Backstage would use: a GitHub App's installation token for the owner,
/// else the host's token; none for a public repository.
fn read_github(config: &Config, target: &str, file: &GithubFile) -> Result<Vec<u8>> {
    use crate::github::Connect as _;
    use crate::scm::Target as _;
    let host = file.repo.host.as_str();
    let base = config.github_api_base_url(host);
    let apps = config
        .github(host)
        .map(|g| g.apps.as_slice())
        .unwrap_or_default();
    let connect = crate::github::client::Real;
    let tokens = crate::github::app::AppTokens::default().with_redactor(config.redactor.clone());
    let token = crate::github::app::app_token(
        &tokens,
        &connect,
        &base,
        apps,
        &file.repo.owner,
        Some(&file.repo.name),
    )
    .map_err(|e| Error::usage(format!("cannot read {target}: {}", e.message)))?
    .or_else(|| config.github_token(host));
    let secret = token.clone().unwrap_or_default();
    let api = connect.connect(&base, &secret).map_err(Error::internal)?;
    let github = crate::scm::github::Github::new(api, secret, host);
    github
        .read_file(&file.repo, &file.git_ref, &file.path)
        .map_err(|e| {
            if e.message.ends_with("(HTTP 404)") {
                return Error::usage(format!("{target} does not exist (HTTP 404)"));
            }
            let e = Error::usage(format!("cannot read {target}: {}", e.message));
            if token.is_none() {
                e.hint(format!("golden has no token for {host}: a private repository needs `integrations.github[].token` in the config file, GITHUB_TOKEN or `gh auth login`"))
            } else {
                e
            }
        })
}

/// GETs a URL, retrying transient failures (connection errors, 429, 5xx) a few times.
fn read_http(target: &str) -> Result<Vec<u8>> {
    read_http_with(target, |req| req)
}

/// GETs a URL with headers set by `prepare`, retrying transient failures a few times.
fn read_http_with(
    target: &str,
    prepare: impl Fn(reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder,
) -> Result<Vec<u8>> {
    let client = http_client()?;
    let mut last = String::new();
    for attempt in 0..3 {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(300 << attempt));
        }
        let req = prepare(client.get(target));
        match req.send() {
            Ok(resp) if resp.status().is_success() => {
                return resp
                    .bytes()
                    .map(|b| b.to_vec())
                    .map_err(|e| Error::internal(format!("cannot read {target}: {e}")));
            }
            Ok(resp) if resp.status() == reqwest::StatusCode::NOT_FOUND => {
                return Err(Error::usage(format!("{target} does not exist (HTTP 404)")));
            }
            Ok(resp)
                if resp.status().is_server_error()
                    || resp.status() == reqwest::StatusCode::TOO_MANY_REQUESTS =>
            {
                last = format!("HTTP {}", resp.status());
            }
            Ok(resp) => {
                return Err(Error::usage(format!(
                    "cannot read {target}: HTTP {}",
                    resp.status()
                )))
            }
            Err(e) if e.is_connect() || e.is_timeout() => last = e.to_string(),
            Err(e) => return Err(Error::internal(format!("cannot read {target}: {e}"))),
        }
    }
    Err(Error::internal(format!(
        "cannot read {target} after 3 attempts: {last}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The URL Backstage's GitLab reader fetches (`getGitLabFileFetchUrl` in the oracle's
    /// `@backstage/integration`).
    #[test]
    fn gitlab_blob_urls_read_through_the_files_api() {
        let mut c = Config::default();
        let (api, host) = gitlab_file(
            &c,
            "https://gitlab.com/acme/backend/demo/-/blob/main/docs/catalog-info.yaml",
        )
        .unwrap();
        assert_eq!(api, "https://gitlab.com/api/v4/projects/acme%2Fbackend%2Fdemo/repository/files/docs%2Fcatalog-info.yaml/raw?ref=main");
        assert_eq!(host, "gitlab.com");
        c.integrations
            .gitlab
            .push(crate::config::GitlabIntegration {
                host: "git.corp".into(),
                base_url: Some("https://git.corp/gitlab".into()),
                ..Default::default()
            });
        let (api, _) = gitlab_file(
            &c,
            "https://git.corp/gitlab/acme/demo/-/blob/feature%2Fx/catalog-info.yaml",
        )
        .unwrap();
        assert_eq!(api, "https://git.corp/gitlab/api/v4/projects/acme%2Fdemo/repository/files/catalog-info.yaml/raw?ref=feature%2Fx");
        assert!(gitlab_file(&c, "https://github.com/a/b/blob/main/x.yaml").is_none());
    }

    #[test]
    fn interprets_locations() {
        let l = Location::parse("https://example.com/a/catalog-info.yaml", Path::new("/")).unwrap();
        assert_eq!(l.to_string(), "url:https://example.com/a/catalog-info.yaml");
        assert_eq!(
            l.join("../b/x.yaml").unwrap().target,
            "https://example.com/b/x.yaml"
        );
        let f = Location::parse("/srv/a/./catalog-info.yaml", Path::new("/")).unwrap();
        assert_eq!(f.to_string(), "file:/srv/a/catalog-info.yaml");
        assert_eq!(
            f.join("../teams/a.yaml").unwrap().target,
            "/srv/teams/a.yaml"
        );
        assert_eq!(
            Location::parse("file:///srv/x.yaml", Path::new("/"))
                .unwrap()
                .to_string(),
            "file:/srv/x.yaml"
        );
        assert_eq!(
            Location::parse("file:/srv/x.yaml", Path::new("/"))
                .unwrap()
                .to_string(),
            "file:/srv/x.yaml"
        );
        let forge = Location::parse(
            "file:///h/forge/github.com/acme/svc.git/blob/main/catalog-info.yaml",
            Path::new("/"),
        )
        .unwrap();
        assert_eq!(forge.kind, "url");
        assert!(Location::parse("ftp://x/y", Path::new("/")).is_err());
    }
}
