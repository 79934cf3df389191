//! Fetching template repositories with git2 into golden's cache, `<GOLDEN_HOME>/cache/templates/`:
//! one bare repository per URL (`<key>/repo.git`, refs mirrored by name, HEAD the remote's
//! default branch) and one checked-out tree per commit (`<key>/trees/<commit>/`), so a commit is
//! fetched and written once. A ref is resolved with one `ls-remote`-style request; when it still
//! points at a commit already in the cache nothing is downloaded. Network fetches are shallow
//! (depth 1) unless history is asked for (`golden check` lists commits); libgit2 cannot fetch
//! shallow from `file://` repositories, so those are fetched whole. `--offline` resolves refs
//! from the cache only. Tokens come from the config's `integrations.github[]` entry for the
//! URL's host — a GitHub App installation's first, as publishing looks them up — (github.com also
//! from GITHUB_TOKEN/GH_TOKEN/gh) and reach git only through the credentials callback when the
//! server asks.

use std::cell::Cell;
use std::path::{Path, PathBuf};

use git2::{FetchOptions, Oid, Repository};

use crate::config::{Config, Secret};
use crate::error::{Error, Result};

/// A commit of a template repository, checked out in the cache.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The commit's full hash.
    pub commit: String,
    /// The repository's files at that commit (read-only by convention).
    pub dir: PathBuf,
    /// Whether anything was downloaded for it.
    #[allow(dead_code)]
    // not read yet (tests check the cache through the server's request log)
    pub downloaded: bool,
}

/// A commit between two others, for `golden check`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LogEntry {
    pub commit: String,
    pub summary: String,
}

/// Fetches template repositories into the cache.
pub struct Fetcher {
    root: PathBuf,
    offline: bool,
    config: Config,
    proxies: crate::git::Proxies,
    apps: crate::github::app::AppTokens,
}

impl Fetcher {
    /// The cache under `home` (golden's data directory).
    pub fn new(
        home: &Path,
        offline: bool,
        config: Config,
        proxies: crate::git::Proxies,
    ) -> Fetcher {
        Fetcher {
            root: home.join("cache").join("templates"),
            offline,
            config,
            proxies,
            apps: Default::default(),
        }
    }

    /// The cache folder of `url`.
    fn dir_of(&self, url: &str) -> PathBuf {
        let key = Oid::hash_object(git2::ObjectType::Blob, url.as_bytes())
            .map(|o| o.to_string())
            .unwrap_or_default();
        self.root.join(&key[..16.min(key.len())])
    }

    fn open(&self, url: &str) -> Result<Repository> {
        let dir = self.dir_of(url);
        let git = dir.join("repo.git");
        if git.is_dir() {
            return Repository::open_bare(&git).map_err(|e| cache_err(&git, &e));
        }
        if self.offline {
            return Err(Error::usage(format!(
                "`{url}` is not in golden's cache and --offline forbids fetching it"
            ))
            .hint("run once without --offline to fetch it"));
        }
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create", &dir, e))?;
        std::fs::write(dir.join("url"), url).map_err(|e| Error::io("cannot write", &dir, e))?;
        Repository::init_bare(&git).map_err(|e| cache_err(&git, &e))
    }

    /// The token for `url`'s host, only when the config names that host (or it is github.com):
    /// as publishing looks it up, a GitHub App installation's for the repository's owner first
    /// (`integrations.github[].apps`), else the configured token.
    fn token(&self, url: &str) -> Result<Option<Secret>> {
        let Some(u) = url::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
        else {
            return Ok(None);
        };
        let Some(host) = crate::backstage::repo_url::host_of(&u).map(|h| h.to_ascii_lowercase())
        else {
            return Ok(None);
        };
        if host != "github.com" && self.config.github(&host).is_none() {
            return Ok(None);
        }
        if let Some(t) = self.app_token(&host, &u)? {
            return Ok(Some(t));
        }
        Ok(self.config.github_token(&host))
    }

    /// A GitHub App installation token for the repository of `u` (its last two path segments:
    /// `OWNER/REPO[.git]`), when the host has apps and one is installed for the owner.
    fn app_token(&self, host: &str, u: &url::Url) -> Result<Option<Secret>> {
        let apps = self
            .config
            .github(host)
            .map(|g| g.apps.clone())
            .unwrap_or_default();
        let segments: Vec<&str> = u
            .path_segments()
            .map(|s| s.filter(|x| !x.is_empty()).collect())
            .unwrap_or_default();
        let (true, [.., owner, repo]) = (!apps.is_empty(), segments.as_slice()) else {
            return Ok(None);
        };
        let repo = repo.strip_suffix(".git").unwrap_or(repo);
        let run = self.apps.with_redactor(self.config.redactor.clone());
        crate::github::app::app_token(
            &run,
            &crate::github::client::Real,
            &self.config.github_api_base_url(host),
            &apps,
            owner,
            Some(repo),
        )
        .map_err(|e| {
            let err = Error::usage(format!(
                "cannot fetch the template repository `{url}`: {}",
                e.message,
                url = u.as_str()
            ));
            match e.hint {
                Some(h) => err.hint(h),
                None => err,
            }
        })
    }

    /// Resolves `reference` (a branch, tag or commit; `None`: the default branch) of `url` and
    /// returns its checked-out tree, fetching only what the cache lacks. With `history`, the
    /// commits before it are fetched too.
    pub fn checkout(&self, url: &str, reference: Option<&str>, history: bool) -> Result<Fetched> {
        let repo = self.open(url)?;
        let (oid, downloaded) = if self.offline {
            (
                resolve_local(&repo, reference).ok_or_else(|| {
                    Error::usage(format!(
                    "`{}` of `{url}` is not in golden's cache and --offline forbids fetching it",
                    reference.unwrap_or("the default branch")
                ))
                    .hint("run once without --offline to fetch it")
                })?,
                false,
            )
        } else {
            self.fetch(&repo, url, reference, history)?
        };
        let commit = repo
            .find_commit(oid)
            .map_err(|e| fetch_err(url, &format!("`{oid}` is not a commit: {}", e.message())))?;
        let dir = self.dir_of(url).join("trees").join(oid.to_string());
        if !dir.is_dir() {
            extract(
                &repo,
                &commit.tree().map_err(|e| cache_err(&dir, &e))?,
                &dir,
            )?;
        }
        Ok(Fetched {
            commit: oid.to_string(),
            dir,
            downloaded,
        })
    }

    /// Makes sure `commit` of `url` is in the cache (fetching it by hash if the server allows)
    /// and returns its checked-out tree.
    pub fn commit(&self, url: &str, commit: &str) -> Result<Fetched> {
        self.checkout(url, Some(commit), false)
    }

    /// The commits reachable from `to` and not from `from`, newest first.
    pub fn log(&self, url: &str, from: &str, to: &str) -> Result<Vec<LogEntry>> {
        let repo = self.open(url)?;
        let mut walk = repo.revwalk().map_err(|e| cache_err(repo.path(), &e))?;
        let parse = |s: &str| Oid::from_str(s).map_err(|e| fetch_err(url, e.message()));
        walk.push(parse(to)?)
            .map_err(|e| fetch_err(url, e.message()))?;
        let _ = walk.hide(parse(from)?); // unknown (shallow) history: every fetched commit
        let mut out = Vec::new();
        for oid in walk.flatten() {
            if let Ok(c) = repo.find_commit(oid) {
                out.push(LogEntry {
                    commit: oid.to_string(),
                    summary: c.summary().ok().flatten().unwrap_or_default().to_string(),
                });
            }
        }
        Ok(out)
    }

    fn fetch(
        &self,
        repo: &Repository,
        url: &str,
        reference: Option<&str>,
        history: bool,
    ) -> Result<(Oid, bool)> {
        let token = self.token(url)?;
        let mut remote = repo
            .remote_anonymous(url)
            .map_err(|e| fetch_err(url, e.message()))?;
        let (heads, default_branch) = self.advertised(&mut remote, url, token.as_ref())?;
        let find = |name: &str| heads.iter().find(|(n, _)| n == name).map(|(_, o)| *o);
        let (name, target) = match reference {
            None => {
                let name = default_branch
                    .filter(|b| find(b).is_some())
                    .or_else(|| {
                        ["refs/heads/main", "refs/heads/master"]
                            .into_iter()
                            .find(|b| find(b).is_some())
                            .map(str::to_string)
                    })
                    .ok_or_else(|| fetch_err(url, "the repository has no default branch"))?;
                let _ = repo.set_head(&name);
                let oid = find(&name).expect("found above");
                (name, oid)
            }
            Some(r) => {
                let candidates = [
                    r.to_string(),
                    format!("refs/heads/{r}"),
                    format!("refs/tags/{r}"),
                ];
                let found = candidates.iter().find_map(|c| {
                    find(c).map(|o| (c.clone(), find(&format!("{c}^{{}}")).unwrap_or(o)))
                });
                match found {
                    Some(x) => x,
                    None => return self.fetch_commit(repo, &mut remote, url, r, token.as_ref()),
                }
            }
        };
        let have = repo.find_commit(target).is_ok()
            && (!history || !repo.is_shallow() || url.starts_with("file:"));
        if have {
            let _ = repo.reference(&name, target, true, "golden: resolved");
            return Ok((target, false));
        }
        let local = url.to_ascii_lowercase().starts_with("file:");
        let depth = match (local, history) {
            (true, _) => None,
            (false, false) => Some(1),
            (false, true) if repo.is_shallow() => Some(i32::MAX),
            (false, true) => None,
        };
        let spec = format!("+{name}:{name}");
        if self
            .run_fetch(
                &mut remote,
                url,
                std::slice::from_ref(&spec),
                token.as_ref(),
                depth,
            )
            .is_err()
        {
            // Some servers refuse shallow requests: fetch the whole branch instead.
            self.run_fetch(&mut remote, url, &[spec], token.as_ref(), None)?;
        }
        let oid = repo
            .refname_to_id(&name)
            .ok()
            .and_then(|o| repo.find_object(o, None).ok())
            .and_then(|o| o.peel_to_commit().ok())
            .map(|c| c.id())
            .unwrap_or(target);
        Ok((oid, true))
    }

    /// The refs the remote advertises (name, commit), and its default branch.
    fn advertised(
        &self,
        remote: &mut git2::Remote<'_>,
        url: &str,
        token: Option<&Secret>,
    ) -> Result<(Vec<Ref>, Option<String>)> {
        let asked = Cell::new(0);
        let conn = remote
            .connect_auth(
                git2::Direction::Fetch,
                Some(crate::git::callbacks(token, &asked)),
                Some(crate::git::proxy(url, &self.proxies)),
            )
            .map_err(|e| fetch_err(url, e.message()))?;
        let heads = conn
            .list()
            .map_err(|e| fetch_err(url, e.message()))?
            .iter()
            .map(|h| (h.name().to_string(), h.oid()))
            .collect();
        let default_branch = conn
            .default_branch()
            .ok()
            .and_then(|b| b.as_str().ok().map(str::to_string));
        Ok((heads, default_branch))
    }

    /// A reference that names no branch or tag: a commit hash, already here, asked for by hash,
    /// or found after fetching every branch and tag.
    fn fetch_commit(
        &self,
        repo: &Repository,
        remote: &mut git2::Remote<'_>,
        url: &str,
        r: &str,
        token: Option<&Secret>,
    ) -> Result<(Oid, bool)> {
        let is_hash = r.len() >= 4 && r.chars().all(|c| c.is_ascii_hexdigit());
        let Some(oid) = Oid::from_str(r).ok().filter(|_| is_hash) else {
            return Err(fetch_err(
                url,
                &format!("it has no branch, tag or commit `{r}`"),
            ));
        };
        if let Some(o) = resolve_local(repo, Some(r)) {
            return Ok((o, false));
        }
        // A commit by hash: ask for it, else fetch everything and look again.
        if r.len() == 40 {
            let spec = format!("+{oid}:refs/golden/wanted");
            if self.run_fetch(remote, url, &[spec], token, None).is_ok() {
                if let Some(o) = resolve_local(repo, Some(r)) {
                    return Ok((o, true));
                }
            }
        }
        self.run_fetch(
            remote,
            url,
            &[
                "+refs/heads/*:refs/heads/*".into(),
                "+refs/tags/*:refs/tags/*".into(),
            ],
            token,
            None,
        )?;
        resolve_local(repo, Some(r))
            .map(|o| (o, true))
            .ok_or_else(|| fetch_err(url, &format!("it has no branch, tag or commit `{r}`")))
    }

    fn run_fetch(
        &self,
        remote: &mut git2::Remote<'_>,
        url: &str,
        specs: &[String],
        token: Option<&Secret>,
        depth: Option<i32>,
    ) -> Result<()> {
        let asked = Cell::new(0);
        let mut fo = FetchOptions::new();
        fo.remote_callbacks(crate::git::callbacks(token, &asked));
        fo.proxy_options(crate::git::proxy(url, &self.proxies));
        fo.download_tags(git2::AutotagOption::None);
        if let Some(d) = depth {
            fo.depth(d);
        }
        let refs: Vec<&str> = specs.iter().map(String::as_str).collect();
        remote
            .fetch(&refs, Some(&mut fo), None)
            .map_err(|e| fetch_err(url, e.message()))
    }
}

/// A ref or commit from the cache alone.
fn resolve_local(repo: &Repository, reference: Option<&str>) -> Option<Oid> {
    let names: Vec<String> = match reference {
        None => vec!["HEAD".into()],
        Some(r) => vec![
            r.to_string(),
            format!("refs/heads/{r}"),
            format!("refs/tags/{r}"),
        ],
    };
    for n in &names {
        if let Ok(o) = repo.refname_to_id(n) {
            if let Ok(c) = repo.find_object(o, None).and_then(|o| o.peel_to_commit()) {
                return Some(c.id());
            }
        }
    }
    let r = reference?;
    if r.len() >= 4 && r.chars().all(|c| c.is_ascii_hexdigit()) {
        return repo
            .revparse_single(r)
            .ok()
            .and_then(|o| o.peel_to_commit().ok())
            .map(|c| c.id());
    }
    None
}

/// Writes `tree` into `dest` (through a temporary folder, so a failure leaves nothing).
fn extract(repo: &Repository, tree: &git2::Tree<'_>, dest: &Path) -> Result<()> {
    let parent = dest.parent().expect("trees have a parent");
    std::fs::create_dir_all(parent).map_err(|e| Error::io("cannot create", parent, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".tree-")
        .tempdir_in(parent)
        .map_err(|e| Error::io("cannot create a folder in", parent, e))?;
    write_tree(repo, tree, tmp.path())?;
    let kept = tmp.keep();
    if let Err(e) = std::fs::rename(&kept, dest) {
        let _ = std::fs::remove_dir_all(&kept);
        if !dest.is_dir() {
            return Err(Error::io("cannot write", dest, e));
        }
    }
    Ok(())
}

fn write_tree(repo: &Repository, tree: &git2::Tree<'_>, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
    for entry in tree.iter() {
        let name = entry
            .name()
            .ok()
            .filter(|n| !n.is_empty() && *n != "." && *n != ".." && !n.contains('/'))
            .ok_or_else(|| Error::internal("the template repository holds an invalid file name"))?;
        let path = dir.join(name);
        match entry.kind() {
            Some(git2::ObjectType::Tree) => {
                let sub = repo
                    .find_tree(entry.id())
                    .map_err(|e| cache_err(&path, &e))?;
                write_tree(repo, &sub, &path)?;
            }
            Some(git2::ObjectType::Blob) => {
                let blob = repo
                    .find_blob(entry.id())
                    .map_err(|e| cache_err(&path, &e))?;
                write_blob(&path, blob.content(), entry.filemode() as u32)?;
            }
            _ => {} // submodules are not fetched (Backstage's readers skip them too)
        }
    }
    Ok(())
}

/// Writes one file with git's `mode` (`0o100755` executable, `0o120000` a symlink).
pub fn write_blob(path: &Path, content: &[u8], mode: u32) -> Result<()> {
    if mode == 0o120000 {
        #[cfg(unix)]
        {
            let target = String::from_utf8_lossy(content).to_string();
            return std::os::unix::fs::symlink(&target, path)
                .map_err(|e| Error::io("cannot create the link", path, e));
        }
    }
    std::fs::write(path, content).map_err(|e| Error::io("cannot write", path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let m = if mode == 0o100755 { 0o755 } else { 0o644 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(m))
            .map_err(|e| Error::io("cannot chmod", path, e))?;
    }
    Ok(())
}

fn fetch_err(url: &str, why: &str) -> Error {
    Error::usage(format!("cannot fetch the template repository `{url}`: {why}")).hint(
        "check the URL and the ref; a private repository needs a token in `integrations.github[]` of golden's config",
    )
}

fn cache_err(p: &Path, e: &git2::Error) -> Error {
    Error::internal(format!(
        "golden's template cache at `{}` is unreadable: {}",
        p.display(),
        e.message()
    ))
    .hint("delete the folder; golden fetches it again")
}

/// A ref the remote advertises: its name and commit.
type Ref = (String, Oid);
