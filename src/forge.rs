//! The local forge: bare git repositories under `<GOLDEN_HOME>/forge/HOST/OWNER/REPO.git` (an
//! owner may be a nested GitLab group, one folder per level), the embedded stand-in for GitHub,
//! GitLab and Gitea when golden runs with `--local` (or `local: true` in the config).
//! Publish actions create repositories here and push with git2 over `file://`; their outputs
//! point here: `remoteUrl` is the repository's `file://` URL and `repoContentsUrl` is
//! `<remoteUrl>/blob/<branch>`, the same shape as GitHub's, which [`read_contents_url`] resolves.
//! What GitHub would keep as settings (topics, collaborators, protection, pull requests,
//! webhooks, dispatches) is recorded as JSON under `REPO.git/golden/`, never secrets or tokens.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// A failure of the local forge: the message and, where useful, what to do about it.
#[derive(Debug, Clone)]
pub struct ForgeError {
    pub message: String,
    pub hint: Option<String>,
}

impl ForgeError {
    pub fn new(message: impl Into<String>) -> Self {
        ForgeError {
            message: message.into(),
            hint: None,
        }
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl std::fmt::Display for ForgeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ForgeError {}

/// The forge under golden's data directory.
pub struct Forge {
    root: PathBuf,
}

impl Forge {
    /// The forge inside `home` (golden's data directory, made absolute by `settings` so that
    /// the `file://` URLs of its repositories are valid from anywhere).
    pub fn new(home: &Path) -> Forge {
        Forge {
            root: home.join("forge"),
        }
    }

    /// Where `host/owner/repo` lives (whether or not it exists). The owner may be a nested
    /// group path (`acme/backend`, as on GitLab): each of its segments is one folder.
    pub fn repo_path(&self, host: &str, owner: &str, repo: &str) -> Result<PathBuf, ForgeError> {
        let ok = |s: &str| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
        };
        for (what, s) in [("host", host), ("repository name", repo)] {
            if !ok(s) {
                return Err(bad_name(what, s));
            }
        }
        if !owner.split('/').all(ok) {
            return Err(bad_name("owner", owner));
        }
        let mut path = self.root.join(host);
        for part in owner.split('/') {
            path.push(part);
        }
        Ok(path.join(format!("{repo}.git")))
    }

    /// Creates an empty bare repository whose HEAD is `branch`. An existing one is an error that
    /// names it: the forge never overwrites a repository.
    pub fn create(
        &self,
        host: &str,
        owner: &str,
        repo: &str,
        branch: &str,
    ) -> Result<PathBuf, ForgeError> {
        let path = self.repo_path(host, owner, repo)?;
        if path.exists() {
            return Err(ForgeError::new(format!(
                "the repository {owner}/{repo} already exists in the local forge at `{}`; golden never overwrites a repository",
                path.display()
            ))
            .with_hint(format!("choose another repository name, or delete `{}` if you no longer need it", path.display())));
        }
        let parent = path.parent().expect("repository paths have a parent");
        std::fs::create_dir_all(parent)
            .map_err(|e| ForgeError::new(format!("cannot create `{}`: {e}", parent.display())))?;
        let repo_git = git2::Repository::init_bare(&path).map_err(|e| {
            ForgeError::new(format!(
                "cannot create the repository `{}`: {}",
                path.display(),
                e.message()
            ))
        })?;
        repo_git
            .set_head(&format!("refs/heads/{branch}"))
            .map_err(|e| {
                ForgeError::new(format!(
                    "cannot set the default branch of `{}`: {}",
                    path.display(),
                    e.message()
                ))
            })?;
        Ok(path)
    }

    /// An existing repository, or an error naming the missing one.
    pub fn existing(&self, host: &str, owner: &str, repo: &str) -> Result<PathBuf, ForgeError> {
        let path = self.repo_path(host, owner, repo)?;
        if !path.is_dir() {
            return Err(ForgeError::new(format!(
                "the repository {owner}/{repo} does not exist in the local forge (`{}`)",
                path.display()
            ))
            .with_hint("create it first (publish:github or github:repo:create with --local)"));
        }
        Ok(path)
    }
}

fn bad_name(what: &str, s: &str) -> ForgeError {
    ForgeError::new(format!(
        "the {what} `{s}` cannot name a repository in the local forge"
    ))
    .with_hint(
        "use letters, digits, `-`, `_` and `.` only (and `/` between the groups of an owner)",
    )
}

/// Whether a bare repository has no reference yet (libgit2's `is_empty` also wants HEAD to name
/// `master`, which forge repositories do not).
pub fn is_empty(path: &Path) -> bool {
    git2::Repository::open_bare(path)
        .and_then(|r| r.references().map(|mut refs| refs.next().is_none()))
        .unwrap_or(false)
}

/// Points HEAD of an empty repository at `branch` (the first push decides the default branch,
/// as on GitHub).
pub fn set_default_branch(path: &Path, branch: &str) {
    if let Ok(r) = git2::Repository::open_bare(path) {
        let _ = r.set_head(&format!("refs/heads/{branch}"));
    }
}

/// The `file://` URL of a forge repository.
pub fn url(path: &Path) -> String {
    url::Url::from_file_path(path)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| format!("file://{}", path.display()))
}

/// `repoContentsUrl` for a branch: `<remoteUrl>/blob/<branch>`.
pub fn contents_url(path: &Path, branch: &str) -> String {
    format!("{}/blob/{branch}", url(path))
}

/// Reads a file through a forge contents URL (`file:///…/REPO.git/blob/BRANCH/PATH`): the
/// catalog uses it to read `catalog-info.yaml` from a local-forge repository.
pub fn read_contents_url(contents_url: &str) -> Option<Vec<u8>> {
    let u = url::Url::parse(contents_url).ok()?;
    let full = u.to_file_path().ok()?;
    let text = full.to_string_lossy().to_string();
    let (repo, rest) = text.split_once(".git/blob/")?;
    let (branch, file) = rest.split_once('/')?;
    let r = git2::Repository::open_bare(format!("{repo}.git")).ok()?;
    let tree = r
        .find_reference(&format!("refs/heads/{branch}"))
        .ok()?
        .peel_to_tree()
        .ok()?;
    let entry = tree.get_path(Path::new(file)).ok()?;
    let blob = entry.to_object(&r).ok()?.peel_to_blob().ok()?;
    Some(blob.content().to_vec())
}

/// The records of `REPO.git/golden/<name>.json` (none when it does not exist).
pub fn records(path: &Path, name: &str) -> Vec<Value> {
    std::fs::read_to_string(path.join("golden").join(format!("{name}.json")))
        .ok()
        .and_then(|t| serde_json::from_str::<Vec<Value>>(&t).ok())
        .unwrap_or_default()
}

/// Replaces record `index` (0-based) of `REPO.git/golden/<name>.json`.
pub fn replace_record(
    path: &Path,
    name: &str,
    index: usize,
    value: Value,
) -> Result<(), ForgeError> {
    let mut list = records(path, name);
    if index >= list.len() {
        return Err(ForgeError::new(format!(
            "the local forge has no {name} record {}",
            index + 1
        )));
    }
    list[index] = crate::redact::value(&value);
    let file = path.join("golden").join(format!("{name}.json"));
    std::fs::write(
        &file,
        serde_json::to_string_pretty(&list).unwrap_or_default(),
    )
    .map_err(|e| ForgeError::new(format!("cannot write `{}`: {e}", file.display())))
}

/// Appends a record to `REPO.git/golden/<name>.json` (a JSON array) and returns its 1-based
/// position.
pub fn record(path: &Path, name: &str, value: Value) -> Result<usize, ForgeError> {
    let dir = path.join("golden");
    std::fs::create_dir_all(&dir)
        .map_err(|e| ForgeError::new(format!("cannot write `{}`: {e}", dir.display())))?;
    let file = dir.join(format!("{name}.json"));
    let mut list = std::fs::read_to_string(&file)
        .ok()
        .and_then(|t| serde_json::from_str::<Vec<Value>>(&t).ok())
        .unwrap_or_default();
    list.push(crate::redact::value(&value));
    let text = serde_json::to_string_pretty(&list).unwrap_or_default();
    std::fs::write(&file, text)
        .map_err(|e| ForgeError::new(format!("cannot write `{}`: {e}", file.display())))?;
    Ok(list.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_once_and_refuses_bad_names() {
        let home = tempfile::tempdir().unwrap();
        let forge = Forge::new(home.path());
        let p = forge.create("github.com", "acme", "svc", "main").unwrap();
        assert!(p.ends_with("forge/github.com/acme/svc.git"));
        assert!(is_empty(&p));
        let e = forge
            .create("github.com", "acme", "svc", "main")
            .unwrap_err();
        assert!(
            e.message.contains("acme/svc already exists"),
            "{}",
            e.message
        );
        assert!(forge.repo_path("github.com", "..", "x").is_err());
        assert!(forge.repo_path("github.com", "a", "x/y").is_err());
        assert!(forge.repo_path("gitlab.com", "acme/../x", "y").is_err());
        assert!(forge.repo_path("gitlab.com", "acme//x", "y").is_err());
        assert!(forge
            .repo_path("gitlab.com", "acme/backend", "demo")
            .unwrap()
            .ends_with("forge/gitlab.com/acme/backend/demo.git"));
        assert!(url(&p).starts_with("file:///"));
        assert_eq!(record(&p, "pulls", serde_json::json!({"n": 1})).unwrap(), 1);
        assert_eq!(record(&p, "pulls", serde_json::json!({"n": 2})).unwrap(), 2);
    }
}
