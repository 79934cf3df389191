//! Repository URLs as the scaffolder writes them (`github.com?owner=acme&repo=svc`, what the
//! RepoUrlPicker produces): `parseRepoUrl` of `@backstage/plugin-scaffolder-node` with its error
//! messages, the integration kind of a host (Backstage's default integrations plus the
//! configured GitHub, GitLab and Gitea hosts), the picker's own guess from a host name, and the picker's value
//! built back from its parts.

use std::fmt;

/// A parsed `repoUrl`: its host (with the port, if any) and its query parameters as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoUrl {
    pub host: String,
    /// `https://HOST?QUERY`, as `URL.toString()` gives it (quoted in messages).
    pub url: String,
    params: Vec<(String, String)>,
}

/// Why a `repoUrl` was refused; `Display` gives Backstage's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoUrlError {
    /// Not a URL once `https://` is put in front.
    Invalid { raw: String, reason: String },
    /// No integration serves the host.
    UnknownHost { host: String },
    /// A parameter the host's kind needs is missing or empty.
    Missing { url: String, name: String },
}

impl fmt::Display for RepoUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RepoUrlError::Invalid { raw, reason } => write!(
                f,
                "Invalid repo URL passed to publisher, got {raw}, TypeError: Invalid URL ({reason})"
            ),
            RepoUrlError::UnknownHost { host } => write!(
                f,
                "No matching integration configuration for host {host}, please check your integrations config"
            ),
            RepoUrlError::Missing { url, name } => write!(
                f,
                "Invalid repo URL passed to publisher: {url}, missing {name}"
            ),
        }
    }
}

impl std::error::Error for RepoUrlError {}

impl RepoUrl {
    /// Reads `raw` as `https://{raw}` without checking which parameters it has.
    pub fn parse(raw: &str) -> Result<RepoUrl, RepoUrlError> {
        let parsed =
            url::Url::parse(&format!("https://{raw}")).map_err(|e| RepoUrlError::Invalid {
                raw: raw.to_string(),
                reason: e.to_string(),
            })?;
        let host = host_of(&parsed).ok_or_else(|| RepoUrlError::Invalid {
            raw: raw.to_string(),
            reason: "no host".into(),
        })?;
        Ok(RepoUrl {
            host,
            url: parsed.as_str().to_string(),
            params: parsed.query_pairs().into_owned().collect(),
        })
    }

    /// A parameter's first value with leading and trailing `/` trimmed.
    pub fn get(&self, name: &str) -> Option<String> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim_matches('/').to_string())
    }

    /// Whether the parameter is given and not empty (`searchParams.get(name)` is truthy).
    pub fn has(&self, name: &str) -> bool {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .is_some_and(|(_, v)| !v.is_empty())
    }

    /// Fails on the first of `names` that is missing or empty.
    pub fn require(&self, names: &[&str]) -> Result<(), RepoUrlError> {
        match names.iter().find(|n| !self.has(n)) {
            Some(name) => Err(RepoUrlError::Missing {
                url: self.url.clone(),
                name: name.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// The parameters a host of `kind` needs, as `parseRepoUrl` checks them.
    pub fn check(&self, kind: &str) -> Result<(), RepoUrlError> {
        let required: &[&str] = match kind {
            "bitbucketCloud" => &["workspace", "project", "repo"],
            "bitbucketServer" | "azure" => &["project", "repo"],
            // `project` (a GitLab project id) stands for owner and repo.
            "gitlab" if self.has("project") => &[],
            "gitlab" => &["owner", "repo"],
            "gitea" | "gerrit" => &["repo"],
            _ => &["repo", "owner"],
        };
        self.require(required)
    }
}

/// The hosts of the configured integrations, by kind (Backstage adds them to its defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hosts {
    pub github: Vec<String>,
    pub gitlab: Vec<String>,
    pub gitea: Vec<String>,
}

impl Hosts {
    /// Configured GitHub (Enterprise) hosts only.
    pub fn github(hosts: Vec<String>) -> Hosts {
        Hosts {
            github: hosts,
            ..Hosts::default()
        }
    }

    /// The configured kind of `host`, if the configuration names it.
    fn kind_of(&self, host: &str) -> Option<&'static str> {
        let has = |list: &[String]| list.iter().any(|h| h.eq_ignore_ascii_case(host));
        if has(&self.github) {
            Some("github")
        } else if has(&self.gitlab) {
            Some("gitlab")
        } else if has(&self.gitea) {
            Some("gitea")
        } else {
            None
        }
    }
}

/// `parseRepoUrl(repoUrl, integrations)`: the URL, its host's integration kind, and the
/// parameters that kind needs. `hosts` are the configured integrations' hosts.
pub fn parse_repo_url(raw: &str, hosts: &Hosts) -> Result<(RepoUrl, &'static str), RepoUrlError> {
    let url = RepoUrl::parse(raw)?;
    let kind = integration_kind(&url.host, hosts).ok_or_else(|| RepoUrlError::UnknownHost {
        host: url.host.clone(),
    })?;
    url.check(kind)?;
    Ok((url, kind))
}

/// Hosts Backstage has an integration for without configuration, with their kinds.
pub const DEFAULT_INTEGRATIONS: [(&str, &str); 4] = [
    ("github.com", "github"),
    ("gitlab.com", "gitlab"),
    ("bitbucket.org", "bitbucketCloud"),
    ("dev.azure.com", "azure"),
];

/// The host `url` is served by as integrations name it: its host, with `:PORT` when it gives
/// one (`integrations.*[].host` of a self-hosted forge on another port).
pub fn host_of(url: &url::Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    })
}

/// The integration kind serving `host`: a configured host's kind, else a default integration.
pub fn integration_kind(host: &str, hosts: &Hosts) -> Option<&'static str> {
    if let Some(kind) = hosts.kind_of(host) {
        return Some(kind);
    }
    DEFAULT_INTEGRATIONS
        .iter()
        .find(|(h, _)| h.eq_ignore_ascii_case(host))
        .map(|(_, kind)| *kind)
}

/// What kind of SCM a host looks like from its name alone (the RepoUrlPicker's guess when no
/// integration is configured for it).
pub fn guess_kind(host: &str) -> &'static str {
    let h = host.to_ascii_lowercase();
    if h == "bitbucket.org" {
        "bitbucketCloud"
    } else if h.contains("bitbucket") {
        "bitbucketServer"
    } else if h == "dev.azure.com" || h.ends_with("visualstudio.com") || h.contains("azure") {
        "azure"
    } else if h.contains("gitlab") {
        "gitlab"
    } else if h.contains("gerrit") {
        "gerrit"
    } else {
        "github"
    }
}

/// Splits a RepoUrlPicker value `host?owner=..&repo=..` into host and query pairs (the picker
/// needs a host and a non-empty `repo`).
pub fn split_picker_value(s: &str) -> Result<(String, Vec<(String, String)>), String> {
    let incomplete = || {
        "Incomplete repository location provided: expected HOST?owner=OWNER&repo=REPO".to_string()
    };
    let (host, query) = s.split_once('?').ok_or_else(incomplete)?;
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    if host.is_empty() || !pairs.iter().any(|(k, v)| k == "repo" && !v.is_empty()) {
        return Err(incomplete());
    }
    Ok((host.to_string(), pairs))
}

/// Builds the RepoUrlPicker value: query in Backstage's order, only non-empty keys, form-encoded.
pub fn picker_value(host: &str, parts: &[(&str, String)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for key in [
        "owner",
        "repo",
        "organization",
        "workspace",
        "project",
        "id",
    ] {
        if let Some((_, v)) = parts.iter().find(|(k, v)| *k == key && !v.is_empty()) {
            q.append_pair(key, v);
        }
    }
    format!("{host}?{}", q.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_parse_repo_url() {
        let (u, kind) =
            parse_repo_url("github.com?owner=acme&repo=/svc/", &Hosts::default()).unwrap();
        assert_eq!((u.host.as_str(), kind), ("github.com", "github"));
        assert_eq!(u.get("repo").as_deref(), Some("svc"));
        let ghe = Hosts::github(vec!["GHE.corp:8443".to_string()]);
        let (u, kind) = parse_repo_url("ghe.corp:8443?repo=x&owner=team", &ghe).unwrap();
        assert_eq!((u.host.as_str(), kind), ("ghe.corp:8443", "github"));
        assert_eq!(
            parse_repo_url("github.com?owner=acme", &Hosts::default())
                .unwrap_err()
                .to_string(),
            "Invalid repo URL passed to publisher: https://github.com/?owner=acme, missing repo"
        );
        assert_eq!(
            parse_repo_url("example.com?owner=a&repo=b", &Hosts::default()).unwrap_err(),
            RepoUrlError::UnknownHost {
                host: "example.com".into()
            }
        );
        assert!(parse_repo_url("gitlab.com?project=42", &Hosts::default()).is_ok());
        assert!(
            parse_repo_url("gitlab.com?project=&repo=x", &Hosts::default()).is_err(),
            "an empty project does not stand for owner and repo"
        );
        assert!(matches!(
            RepoUrl::parse("exa mple.com?repo=x"),
            Err(RepoUrlError::Invalid { .. })
        ));
    }

    #[test]
    fn integrations_name_hosts_with_their_port() {
        let host = |u: &str| host_of(&url::Url::parse(u).unwrap());
        assert_eq!(
            host("http://tea.test:3000/a/b").as_deref(),
            Some("tea.test:3000")
        );
        assert_eq!(
            host("https://github.com/a/b").as_deref(),
            Some("github.com")
        );
        assert_eq!(
            host("https://github.com:443/a").as_deref(),
            Some("github.com")
        );
        assert_eq!(host("file:///f/a.git"), None);
    }

    #[test]
    fn configured_gitlab_and_gitea_hosts_have_their_kinds() {
        let hosts = Hosts {
            gitlab: vec!["git.corp".into()],
            gitea: vec!["tea.corp".into()],
            ..Hosts::default()
        };
        let (u, kind) = parse_repo_url("git.corp?owner=a/b&repo=c", &hosts).unwrap();
        assert_eq!((kind, u.get("owner").as_deref()), ("gitlab", Some("a/b")));
        assert_eq!(
            parse_repo_url("tea.corp?repo=x", &hosts).unwrap().1,
            "gitea"
        );
        assert!(parse_repo_url("git.corp?repo=c", &hosts).is_err());
    }

    #[test]
    fn picker_values_round_trip() {
        let v = picker_value(
            "github.com",
            &[("repo", "svc".into()), ("owner", "a b".into())],
        );
        assert_eq!(v, "github.com?owner=a+b&repo=svc");
        let (host, pairs) = split_picker_value(&v).unwrap();
        assert_eq!(host, "github.com");
        assert!(pairs.contains(&("owner".into(), "a b".into())));
        assert!(split_picker_value("github.com?owner=acme").is_err());
        assert_eq!(guess_kind("git.bitbucket.corp"), "bitbucketServer");
    }
}
