//! Dry-run predictions of the network actions' outputs, computed from their inputs alone the way
//! the real actions would produce them: `publish:github` (`remoteUrl`, `repoContentsUrl`,
//! `commitHash`), `github:repo:create`, `github:repo:push`, `publish:github:pull-request` (what
//! Backstage's own dry run outputs) and `catalog:register` (`catalogInfoUrl`, and `entityRef`
//! read from the catalog file the publish step would have pushed). The actions live in
//! `github/mod.rs` / `catalog.rs`; they and `golden validate` call these functions too.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::backstage::repo_url::{self, RepoUrlError};
use crate::backstage::{entity_ref, scm_url};
use crate::runner::{ActionError, Outputs};
use crate::runner::{Published, RunRecord};
use crate::services::Services;

/// The parts of a `repoUrl` (`host?owner=o&repo=r`), as `parseRepoUrl` of scaffolder-node gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoUrl {
    pub host: String,
    pub owner: Option<String>,
    pub repo: Option<String>,
    pub organization: Option<String>,
    pub workspace: Option<String>,
    pub project: Option<String>,
}

/// The SCM type of a host among the integrations Backstage knows by default plus the configured
/// GitHub, GitLab and Gitea hosts.
pub fn integration_type(services: &Services, host: &str) -> Option<&'static str> {
    repo_url::integration_kind(host, &services.config.integration_hosts())
}

/// `github.com` or a host of `integrations.github[]`.
pub fn is_github_host(services: &Services, host: &str) -> bool {
    integration_type(services, host) == Some("github")
}

/// `parseRepoUrl(repoUrl, integrations)` of `@backstage/plugin-scaffolder-node`.
pub fn parse_repo_url(services: &Services, raw: &str) -> Result<RepoUrl, ActionError> {
    let (url, _) = repo_url::parse_repo_url(raw, &services.config.integration_hosts()).map_err(|e| {
        let hint = match &e {
            RepoUrlError::Invalid { .. } => Some(
                "repoUrl looks like `github.com?owner=ORG&repo=NAME` (what RepoUrlPicker gives)",
            ),
            RepoUrlError::UnknownHost { .. } => {
                Some("add the host under `integrations.github` (or `gitlab`, `gitea`) in golden's config file")
            }
            RepoUrlError::Missing { .. } => None,
        };
        let a = ActionError::new(e.to_string());
        match hint {
            Some(h) => a.with_hint(h),
            None => a,
        }
    })?;
    Ok(RepoUrl {
        owner: url.get("owner"),
        repo: url.get("repo"),
        organization: url.get("organization"),
        workspace: url.get("workspace"),
        project: url.get("project"),
        host: url.host,
    })
}

/// Host, owner and repo of a GitHub `repoUrl` (the owner and repo are required there).
fn github_repo(
    services: &Services,
    input: &Map<String, Value>,
) -> Result<(String, String, String), ActionError> {
    let repo_url = input
        .get("repoUrl")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let r = parse_repo_url(services, repo_url)?;
    if !is_github_host(services, &r.host) {
        return Err(ActionError::new(format!(
            "No matching integration configuration for host {}, please check your integrations config",
            r.host
        )));
    }
    let owner = r
        .owner
        .ok_or_else(|| ActionError::new("Invalid repository owner provided in repoUrl"))?;
    let repo = r
        .repo
        .ok_or_else(|| ActionError::new("Invalid repository name provided in repoUrl"))?;
    Ok((r.host, owner, repo))
}

/// A stand-in commit hash for a dry run: 40 hex digits derived from the repository URL (the same
/// formula as the reference oracle), so plans are stable. It names no real commit.
pub fn placeholder_commit_hash(seed: &str) -> String {
    // h = (h * 131 + codePoint) mod 2^160, printed as 40 hex digits.
    let mut h = [0u32; 5]; // little-endian 32-bit limbs of a 160-bit number
    for ch in seed.chars() {
        let mut carry: u64 = ch as u64;
        for limb in h.iter_mut() {
            let v = (*limb as u64) * 131 + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
    }
    h.iter().rev().map(|l| format!("{l:08x}")).collect()
}

/// `publish:github` / `github:repo:push`: `remoteUrl`, `repoContentsUrl` and `commitHash`, and
/// the published folder recorded for `catalog:register`.
pub fn publish_github(
    services: &Services,
    record: &mut RunRecord,
    workspace: &Path,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    let (host, owner, repo) = github_repo(services, input)?;
    let branch = input
        .get("defaultBranch")
        .and_then(Value::as_str)
        .unwrap_or("main");
    let html = format!("https://{host}/{owner}/{repo}");
    let contents = format!("{html}/blob/{branch}");
    let source_dir = repo_source_dir(workspace, input.get("sourcePath").and_then(Value::as_str))?;
    record_published(record, &contents, source_dir);
    let mut out = Map::new();
    out.insert("remoteUrl".into(), json!(format!("{html}.git")));
    out.insert("repoContentsUrl".into(), json!(contents));
    out.insert("commitHash".into(), json!(placeholder_commit_hash(&html)));
    Ok(out)
}

/// `github:repo:create`: the clone URL of the new repository.
pub fn repo_create(
    services: &Services,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    let (host, owner, repo) = github_repo(services, input)?;
    let mut out = Map::new();
    out.insert(
        "remoteUrl".into(),
        json!(format!("https://{host}/{owner}/{repo}.git")),
    );
    Ok(out)
}

/// `publish:github:pull-request` in Backstage's own dry run: the branch name, the `repoUrl` as
/// given and pull request number 43.
pub fn pull_request(
    services: &Services,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    github_repo(services, input)?;
    let mut out = Map::new();
    if let Some(b) = input.get("branchName") {
        out.insert("targetBranchName".into(), b.clone());
    }
    out.insert(
        "remoteUrl".into(),
        input.get("repoUrl").cloned().unwrap_or(Value::Null),
    );
    out.insert("pullRequestNumber".into(), json!(43));
    Ok(out)
}

/// Remembers a published repository for later `catalog:register` steps.
pub fn record_published(record: &mut RunRecord, repo_contents_url: &str, source_dir: PathBuf) {
    record.published.push(Published {
        repo_contents_url: repo_contents_url.to_string(),
        source_dir,
        ..Default::default()
    });
}

/// `getRepoSourceDirectory(workspace, sourcePath)`: leading `../` dropped, must stay inside.
pub fn repo_source_dir(
    workspace: &Path,
    source_path: Option<&str>,
) -> Result<PathBuf, ActionError> {
    let Some(sp) = source_path.filter(|s| !s.is_empty()) else {
        return Ok(workspace.to_path_buf());
    };
    let mut parts: Vec<&str> = Vec::new();
    for seg in sp.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    continue; // leading `..` are stripped
                }
            }
            s => parts.push(s),
        }
    }
    Ok(parts.iter().fold(workspace.to_path_buf(), |p, s| p.join(s)))
}

/// `catalog:register`'s `catalogInfoUrl` and (when the catalog file can be found among the
/// published folders) `entityRef`.
pub fn catalog_register(
    services: &Services,
    published: &[Published],
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    let url = catalog_info_url(services, input)?;
    let mut out = Map::new();
    let entities = published_entities(published, &url);
    if let Some(e) = entity_ref::reported(&entities) {
        out.insert("entityRef".into(), json!(entity_ref::stringify(e)));
    }
    out.insert("catalogInfoUrl".into(), json!(url));
    Ok(out)
}

/// The URL `catalog:register` registers, in a real run and in a dry run alike:
/// `catalogInfoUrl`, or `catalogInfoPath` (default `/catalog-info.yaml`) resolved against
/// `repoContentsUrl` as the SCM integration serving it does.
pub fn catalog_info_url(
    services: &Services,
    input: &Map<String, Value>,
) -> Result<String, ActionError> {
    if let Some(u) = input.get("catalogInfoUrl").and_then(Value::as_str) {
        return Ok(u.to_string());
    }
    let base = input
        .get("repoContentsUrl")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let path = input
        .get("catalogInfoPath")
        .and_then(Value::as_str)
        .unwrap_or("/catalog-info.yaml");
    let Some(github) = serves_github(services, base) else {
        return Err(ActionError::new(format!("No integration found for host {base}"))
            .with_hint("add the host to integrations.github (or gitlab, gitea) in the config file, or give catalogInfoUrl instead"));
    };
    scm_url::resolve_for(base, path, github).map_err(ActionError::new)
}

/// Which integration serves `url`: `None` without one, `Some(true)` for a GitHub host (the
/// local forge's `file://` URLs are served, not by GitHub).
fn serves_github(services: &Services, url: &str) -> Option<bool> {
    let u = url::Url::parse(url).ok()?;
    if u.scheme() == "file" {
        return Some(false);
    }
    let host = u.host_str().unwrap_or_default();
    let port_host = repo_url::host_of(&u).unwrap_or_default();
    integration_type(services, &port_host)
        .or_else(|| integration_type(services, host))
        .or_else(|| crate::scm::gitlab_for_url(&services.config, url).map(|_| "gitlab"))
        .map(|kind| kind == "github")
}

/// The entities of the catalog file `url` points at, read from the folder a publish step of this
/// run pushed (empty when the file is not among them).
fn published_entities(published: &[Published], url: &str) -> Vec<Value> {
    let norm = |u: &str| -> String {
        static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
        R.get_or_init(|| regex::Regex::new(r"/(blob|tree)/").expect("valid regex"))
            .replacen(u, 1, "/~/")
            .into_owned()
    };
    let target = norm(url);
    for p in published {
        let prefix = format!("{}/", norm(p.repo_contents_url.trim_end_matches('/')));
        let Some(rest) = target.strip_prefix(&prefix) else {
            continue;
        };
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let rel = percent_encoding::percent_decode_str(rest)
            .decode_utf8_lossy()
            .to_string();
        let file = match crate::workspace::join_lexical(&p.source_dir, &rel) {
            Ok(f) => f,
            Err(_) => continue,
        };
        if let Ok(text) = std::fs::read_to_string(&file) {
            if let Ok(docs) = crate::template::yaml::parse_documents(&text) {
                return docs
                    .into_iter()
                    .map(|d| d.value)
                    .filter(|v| !v.is_null())
                    .collect();
            }
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values from `parseRepoUrl` of `@backstage/plugin-scaffolder-node` 1.0.0 with the
    /// same integrations (run in the oracle).
    #[test]
    fn gitlab_and_gitea_repo_urls_like_backstage() {
        let mut s = Services::default();
        s.config
            .integrations
            .gitlab
            .push(crate::config::GitlabIntegration {
                host: "git.corp".into(),
                ..Default::default()
            });
        s.config
            .integrations
            .gitea
            .push(crate::config::GiteaIntegration {
                host: "tea.corp".into(),
                ..Default::default()
            });
        let p = |u: &str| parse_repo_url(&s, u);
        let r = p("gitlab.com?owner=acme/backend&repo=demo").unwrap();
        assert_eq!(
            (r.host.as_str(), r.owner.as_deref(), r.repo.as_deref()),
            ("gitlab.com", Some("acme/backend"), Some("demo"))
        );
        let r = p("gitlab.com?owner=%2Facme%2Fbackend%2F&repo=demo").unwrap();
        assert_eq!(r.owner.as_deref(), Some("acme/backend"));
        let r = p("gitlab.com?project=42").unwrap();
        assert_eq!((r.project.as_deref(), r.owner), (Some("42"), None));
        let r = p("git.corp?owner=a/b/c&repo=d").unwrap();
        assert_eq!(r.owner.as_deref(), Some("a/b/c"));
        assert_eq!(
            p("gitlab.com?repo=demo").unwrap_err().message,
            "Invalid repo URL passed to publisher: https://gitlab.com/?repo=demo, missing owner"
        );
        let r = p("tea.corp?repo=x").unwrap();
        assert_eq!((r.owner, r.repo.as_deref()), (None, Some("x")));
        assert_eq!(
            p("tea.corp?owner=o").unwrap_err().message,
            "Invalid repo URL passed to publisher: https://tea.corp/?owner=o, missing repo"
        );
    }

    #[test]
    fn repo_urls() {
        let s = Services::default();
        let r = parse_repo_url(&s, "github.com?owner=acme&repo=demo").unwrap();
        assert_eq!(
            (r.host.as_str(), r.owner.as_deref(), r.repo.as_deref()),
            ("github.com", Some("acme"), Some("demo"))
        );
        let e = parse_repo_url(&s, "github.com?owner=acme").unwrap_err();
        assert_eq!(
            e.message,
            "Invalid repo URL passed to publisher: https://github.com/?owner=acme, missing repo"
        );
        let e = parse_repo_url(&s, "example.com?owner=a&repo=b").unwrap_err();
        assert!(e
            .message
            .starts_with("No matching integration configuration for host example.com"));
    }

    #[test]
    fn publish_predictions() {
        let s = Services::default();
        let ws = tempfile::tempdir().unwrap();
        let input = json!({"repoUrl": "github.com?owner=acme&repo=demo", "defaultBranch": "trunk"});
        let mut record = RunRecord::default();
        let out = publish_github(&s, &mut record, ws.path(), input.as_object().unwrap()).unwrap();
        assert_eq!(out["remoteUrl"], "https://github.com/acme/demo.git");
        assert_eq!(
            out["repoContentsUrl"],
            "https://github.com/acme/demo/blob/trunk"
        );
        assert_eq!(out["commitHash"].as_str().unwrap().len(), 40);
    }

    #[test]
    fn commit_hash_matches_the_oracle_formula() {
        // node: let h=0n; for (const ch of s) h=(h*131n+BigInt(ch.codePointAt(0)))%(1n<<160n); h.toString(16).padStart(40,'0')
        assert_eq!(
            placeholder_commit_hash("ab"),
            format!("{:040x}", 97 * 131 + 98)
        );
    }

    /// Expected values from `@backstage/integration`'s GitHub `resolveUrl` in the oracle.
    #[test]
    fn catalog_info_urls() {
        let s = Services::default();
        let base = "https://github.com/acme/demo/blob/main";
        let url = |p: &str| {
            catalog_info_url(
                &s,
                json!({"repoContentsUrl": base, "catalogInfoPath": p})
                    .as_object()
                    .unwrap(),
            )
            .unwrap()
        };
        assert_eq!(
            url("/catalog-info.yaml"),
            "https://github.com/acme/demo/tree/main/catalog-info.yaml"
        );
        assert_eq!(
            url("catalog-info.yaml"),
            "https://github.com/acme/demo/tree/catalog-info.yaml"
        );
        assert_eq!(
            url("sub/x.yaml"),
            "https://github.com/acme/demo/tree/sub/x.yaml"
        );
        assert_eq!(url("../x.yaml"), "https://github.com/acme/demo/x.yaml");
        assert_eq!(
            url("/a/../b.yaml"),
            "https://github.com/acme/demo/tree/main/b.yaml"
        );
        assert_eq!(url("https://other/x"), "https://other/x");
        assert_eq!(
            url("x y.yaml"),
            "https://github.com/acme/demo/tree/x%20y.yaml"
        );
        let dflt = catalog_info_url(
            &s,
            json!({"repoContentsUrl": "https://github.com/acme/demo"})
                .as_object()
                .unwrap(),
        );
        assert_eq!(
            dflt.unwrap(),
            "https://github.com/acme/demo/catalog-info.yaml"
        );
        let e = catalog_info_url(
            &s,
            json!({"repoContentsUrl": "https://example.com/a/b/blob/main"})
                .as_object()
                .unwrap(),
        );
        assert_eq!(
            e.unwrap_err().message,
            "No integration found for host https://example.com/a/b/blob/main"
        );
        // The local forge's contents URLs resolve as a non-GitHub integration's do, in a dry
        // run as in a real one.
        let forge = catalog_info_url(
            &s,
            json!({"repoContentsUrl": "file:///f/acme/demo.git/blob/main"})
                .as_object()
                .unwrap(),
        );
        assert_eq!(
            forge.unwrap(),
            "file:///f/acme/demo.git/blob/main/catalog-info.yaml"
        );
    }

    #[test]
    fn register_reads_the_published_catalog_file() {
        let s = Services::default();
        let ws = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(ws.path().join("app")).unwrap();
        std::fs::write(
            ws.path().join("app/catalog-info.yaml"),
            "kind: API\nmetadata: {name: x-api}\n---\nkind: Component\nmetadata: {name: Demo, namespace: Team}\n",
        )
        .unwrap();
        let input = json!({"repoUrl": "github.com?owner=acme&repo=demo", "sourcePath": "../app"});
        let mut record = RunRecord::default();
        let out = publish_github(&s, &mut record, ws.path(), input.as_object().unwrap()).unwrap();
        let reg = json!({"repoContentsUrl": out["repoContentsUrl"], "catalogInfoPath": "/catalog-info.yaml"});
        let r = catalog_register(&s, &record.published, reg.as_object().unwrap()).unwrap();
        assert_eq!(r["entityRef"], "component:team/demo");
        assert_eq!(
            r["catalogInfoUrl"],
            "https://github.com/acme/demo/tree/main/catalog-info.yaml"
        );
        let other =
            json!({"catalogInfoUrl": "https://github.com/acme/other/blob/main/catalog-info.yaml"});
        let r = catalog_register(&s, &record.published, other.as_object().unwrap()).unwrap();
        assert!(
            r.get("entityRef").is_none(),
            "no entity known for an unpublished repository"
        );
    }
}
