//! `golden update --pr`: the merged project is committed on a new branch
//! (`golden/update-<commit>`) on top of the project's branch on `origin`, pushed, and a pull
//! request is opened on GitHub (`POST /repos/OWNER/REPO/pulls`), or recorded in the local forge
//! when `origin` is a local-forge repository. The title names the old and new template versions.

use std::path::Path;

use serde_json::json;

use crate::error::{Error, Result};
use crate::forge;
use crate::git::{Author, BranchCommit};
use crate::github::Method;
use crate::lifecycle::project::Project;
use crate::output::Printer;
use crate::services::Services;

fn short(c: &str) -> &str {
    &c[..12.min(c.len())]
}

/// Pushes the updated working tree of `dir` and opens the pull request.
pub fn open(
    p: &Project,
    dir: &Path,
    from: &str,
    to: &str,
    deleted: &[String],
    printer: Printer,
) -> Result<()> {
    let (origin, base) = origin_and_branch(dir)?;
    let name = &p.record.template.name;
    let version = |c: &str| match &p.record.template.reference {
        Some(r) if !c.starts_with(r.as_str()) => format!("{r}@{}", short(c)),
        _ => short(c).to_string(),
    };
    let title = format!("Update {name} from {} to {}", version(from), version(to));
    let body = format!(
        "golden update: the project's template `{name}` changed from {from} to {to}.\n\nMerged without conflicts; `.golden.yaml` records the new commit."
    );
    let branch = format!("golden/update-{}", short(to));
    let services = p.services();
    let forge_repo = forge_path(&services, &origin);
    let gh = match &forge_repo {
        Some(_) => None,
        None => Some(github_target(&services, &origin)?),
    };
    let author = Author {
        name: "golden".into(),
        email: "golden@users.noreply.github.com".into(),
    };
    let commit = BranchCommit {
        base: base.as_deref(),
        branch: &branch,
        source: dir,
        target_path: "",
        delete: deleted,
        message: &title,
        author: &author,
        force: true,
    };
    let token = gh.as_ref().map(|g| g.conn.token.clone());
    let pushed = services
        .git()
        .push_branch(&origin, token.as_ref(), &commit)
        .map_err(|e| {
            Error::step(format!(
                "cannot push the branch `{branch}` to `{origin}`: {e}"
            ))
        })?;
    let link = match (&forge_repo, gh) {
        (Some(path), _) => {
            let n = forge::record(
                path,
                "pulls",
                json!({"title": title, "body": body, "head": branch, "base": pushed.base, "draft": false, "commit": pushed.commit}),
                &services.config.redactor,
            )
            .map_err(|e| Error::step(e.message))?;
            format!("{}/pull/{n}", forge::url(path))
        }
        (None, Some(gh)) => gh.open_pull_request(
            &json!({"title": title, "body": body, "head": branch, "base": pushed.base}),
        )?,
        (None, None) => unreachable!("a GitHub connection exists when the origin is not the forge"),
    };
    printer.status(format!(
        "pushed {branch} and opened a pull request: {title}"
    ));
    printer.status(format!("  {link}"));
    Ok(())
}

/// The `origin` remote's URL and the checked-out branch of the repository at `dir`.
fn origin_and_branch(dir: &Path) -> Result<(String, Option<String>)> {
    let repo = git2::Repository::open(dir).map_err(|_| {
        Error::usage(format!(
            "--pr needs `{}` to be a git repository with an `origin` remote",
            dir.display()
        ))
    })?;
    let origin = repo
        .find_remote("origin")
        .ok()
        .and_then(|r| r.url().ok().map(str::to_string))
        .ok_or_else(|| Error::usage("--pr needs an `origin` remote to push the branch to"))?;
    let base = repo
        .head()
        .ok()
        .filter(|h| h.is_branch())
        .and_then(|h| h.shorthand().ok().map(str::to_string));
    Ok((origin, base))
}

/// The GitHub repository `origin` names, with a connection to its host.
struct GithubTarget {
    conn: crate::services::GithubConnection,
    host: String,
    owner: String,
    name: String,
}

fn github_target(services: &Services, origin: &str) -> Result<GithubTarget> {
    let (host, owner, name) = github_repo(origin)?;
    let url = crate::github::RepoUrl {
        host: host.clone(),
        owner: owner.clone(),
        repo: name.clone(),
    };
    let conn = services.github(&url, None).map_err(|e| {
        Error::usage(format!(
            "cannot open the pull request on {host}: {}",
            e.message
        ))
    })?;
    Ok(GithubTarget {
        conn,
        host,
        owner,
        name,
    })
}

impl GithubTarget {
    /// Opens the pull request `body` describes; its web address.
    fn open_pull_request(&self, body: &serde_json::Value) -> Result<String> {
        let created = self
            .conn
            .api
            .call(
                Method::Post,
                &format!("/repos/{}/{}/pulls", self.owner, self.name),
                Some(body),
            )
            .map_err(|e| {
                Error::step(
                    e.explain("cannot open the pull request", &self.host)
                        .message,
                )
            })?;
        Ok(created
            .get("html_url")
            .and_then(|u| u.as_str())
            .unwrap_or_default()
            .to_string())
    }
}

/// The local-forge repository `origin` names, if it is one.
fn forge_path(services: &Services, origin: &str) -> Option<std::path::PathBuf> {
    let path = url::Url::parse(origin).ok()?.to_file_path().ok()?;
    let root = std::fs::canonicalize(services.home.join("forge")).ok()?;
    let real = std::fs::canonicalize(&path).ok()?;
    real.starts_with(&root).then_some(real)
}

/// `https://HOST/OWNER/REPO(.git)` → (host with port, owner, repo): the last two path segments.
fn github_repo(origin: &str) -> Result<(String, String, String)> {
    let bad = || {
        Error::usage(format!("cannot tell the GitHub repository of `{origin}`"))
            .hint("--pr opens pull requests on GitHub (https:// origins) and in the local forge")
    };
    let u = url::Url::parse(origin).map_err(|_| bad())?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(bad());
    }
    let host = crate::backstage::repo_url::host_of(&u).ok_or_else(bad)?;
    let segs: Vec<&str> = u
        .path_segments()
        .ok_or_else(bad)?
        .filter(|s| !s.is_empty())
        .collect();
    if segs.len() < 2 {
        return Err(bad());
    }
    let repo = segs[segs.len() - 1].trim_end_matches(".git").to_string();
    Ok((host, segs[segs.len() - 2].to_string(), repo))
}

#[cfg(test)]
mod tests {
    #[test]
    fn github_repositories_from_origin_urls() {
        assert_eq!(
            super::github_repo("https://github.com/acme/svc.git").unwrap(),
            ("github.com".into(), "acme".into(), "svc".into())
        );
        assert_eq!(
            super::github_repo("http://127.0.0.1:8080/git/acme/svc.git")
                .unwrap()
                .0,
            "127.0.0.1:8080"
        );
        assert!(super::github_repo("git@github.com:acme/svc.git").is_err());
    }
}
