//! git with git2, behind a small trait ([`Git`]): one commit of a directory pushed as a new
//! branch (what `publish:*` does), a commit on top of an existing branch (pull requests), and
//! clones. Tokens reach git only through the credentials callback (`x-access-token:<token>`),
//! which gives up after one refusal (libgit2 would ask again forever). A push the server refuses
//! is reported from `push_update_reference`, since libgit2's `push()` still returns `Ok`.

use std::cell::Cell;
use std::path::Path;
use std::time::Duration;

use git2::{
    Cred, FetchOptions, IndexAddOption, PushOptions, RemoteCallbacks, Repository, Signature,
};

use crate::config::Secret;

/// The author (and committer) of a commit.
#[derive(Debug, Clone)]
pub struct Author {
    pub name: String,
    pub email: String,
}

/// A commit on top of a branch, for a pull request.
pub struct BranchCommit<'a> {
    /// The branch the new one starts from (`None`: the remote's default branch).
    pub base: Option<&'a str>,
    /// The branch to create or move.
    pub branch: &'a str,
    /// Files from here are written into the tree.
    pub source: &'a Path,
    /// Under this path of the repository (empty: the root).
    pub target_path: &'a str,
    /// Repository paths (relative to `target_path`) to delete.
    pub delete: &'a [String],
    pub message: &'a str,
    pub author: &'a Author,
    /// Replace the branch if it exists (otherwise a push that is not a fast-forward fails).
    pub force: bool,
}

/// What a [`BranchCommit`] did.
#[derive(Debug, Clone)]
pub struct BranchCommitResult {
    /// The base branch's name.
    pub base: String,
    /// The new commit, or `None` when the files changed nothing.
    pub commit: Option<String>,
}

/// Where a push or a clone goes, and as whom: the token is the password of `username`.
#[derive(Clone, Copy)]
pub struct Remote<'a> {
    pub url: &'a str,
    /// `x-access-token` for GitHub; GitLab and Gitea take the token as the password of `oauth2`
    /// or of the account.
    pub username: &'a str,
    pub token: Option<&'a Secret>,
}

impl<'a> Remote<'a> {
    /// `url` with GitHub's login (the token as the password of `x-access-token`).
    pub fn new(url: &'a str, token: Option<&'a Secret>) -> Remote<'a> {
        Remote::as_user(url, "x-access-token", token)
    }

    /// `url` with the token as the password of `username`.
    pub fn as_user(url: &'a str, username: &'a str, token: Option<&'a Secret>) -> Remote<'a> {
        Remote {
            url,
            username,
            token,
        }
    }
}

/// The one commit of a new repository: `source`'s files (`.gitignore` honoured, `.git` left
/// out) on `branch`.
pub struct NewCommit<'a> {
    pub source: &'a Path,
    pub branch: &'a str,
    pub message: &'a str,
    pub author: &'a Author,
    /// Gets the commit's text and returns the armored signature that becomes its `gpgsig`
    /// header (`None`: unsigned).
    pub sign: Option<Signer<'a>>,
}

/// git operations publish actions need.
pub trait Git: Send + Sync {
    /// Makes a new repository of `c`, one commit, and pushes it to `remote`. Returns the commit
    /// hash.
    fn push_new(&self, remote: &Remote<'_>, c: &NewCommit<'_>) -> Result<String, String>;
    /// Commits `c.source`'s files on top of the base branch and pushes them as `c.branch`.
    fn push_branch(
        &self,
        url: &str,
        token: Option<&Secret>,
        c: &BranchCommit<'_>,
    ) -> Result<BranchCommitResult, String>;
    /// Clones `remote` into `dir` (which must not exist or be empty), checking out `branch`.
    fn clone_into(
        &self,
        remote: &Remote<'_>,
        branch: Option<&str>,
        dir: &Path,
    ) -> Result<(), String>;
}

/// Signs a commit: its text in, an armored OpenPGP signature out (see `scm::sign`).
pub type Signer<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// The git2 implementation, with the proxy variables of the environment snapshot.
#[derive(Debug, Clone, Default)]
pub struct Git2 {
    pub proxies: Proxies,
}

/// git2 without proxy variables (libgit2's own detection only).
pub static PLAIN: Git2 = Git2 {
    proxies: Proxies { vars: Vec::new() },
};

/// The proxy variables (`https_proxy`, `no_proxy`, ... in either case) as `settings` read them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxies {
    vars: Vec<(String, String)>,
}

impl Proxies {
    pub fn new(vars: impl IntoIterator<Item = (String, String)>) -> Proxies {
        Proxies {
            vars: vars.into_iter().collect(),
        }
    }

    fn var(&self, name: &str) -> Option<String> {
        self.vars
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

/// Bounds libgit2's network waits (it has none by default, so a silent server would hang the run).
///
/// These are libgit2 globals by libgit2's design: `GIT_OPT_SET_SERVER_CONNECT_TIMEOUT` and
/// `GIT_OPT_SET_SERVER_TIMEOUT` exist only as `git_libgit2_opts`, and neither git2's
/// `RemoteCallbacks`, `FetchOptions`, `PushOptions` nor `ProxyOptions` offers a per-connection
/// timeout. So they are set once per process from `settings`: `crate::run` is the one caller
/// (`tests/it/module_graph.rs` checks it), and nothing else in golden changes libgit2's options.
///
/// `crate::run` only hands the values over; they reach libgit2 when the first connection is
/// prepared ([`callbacks_as`], which every fetch, clone, push and ls-remote goes through).
/// Setting an option starts libgit2, which loads every system CA certificate: ~60 ms of CPU at
/// every start, more than a 10,000-file render takes (issue 11).
pub fn set_timeouts(connect_ms: i32, io_ms: i32) {
    let _ = TIMEOUTS.set((connect_ms, io_ms));
}

/// The timeouts `crate::run` handed over (see [`set_timeouts`]).
static TIMEOUTS: std::sync::OnceLock<(i32, i32)> = std::sync::OnceLock::new();

/// Gives libgit2 the timeouts, once per process, before the first connection.
fn apply_timeouts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    let Some(&(connect_ms, io_ms)) = TIMEOUTS.get() else {
        return;
    };
    ONCE.call_once(|| {
        // SAFETY: libgit2 keeps these in unsynchronised globals that it reads when it opens a
        // connection. They are written once, inside `ONCE`; every thread that opens a
        // connection passes through `ONCE` first (in `callbacks_as`), which orders this write
        // before its reads.
        unsafe {
            let _ = git2::opts::set_server_connect_timeout_in_milliseconds(connect_ms);
            let _ = git2::opts::set_server_timeout_in_milliseconds(io_ms);
        }
    });
}

/// [`callbacks_as`] with GitHub's login (`x-access-token`).
pub(crate) fn callbacks<'a>(
    token: Option<&'a Secret>,
    asked: &'a Cell<u32>,
) -> RemoteCallbacks<'a> {
    callbacks_as("x-access-token", token, asked)
}

/// The credentials callback: the token once as the password of `username`, then a refusal
/// (libgit2 would ask again forever). Counts the questions in `asked`.
fn callbacks_as<'a>(
    username: &'a str,
    token: Option<&'a Secret>,
    asked: &'a Cell<u32>,
) -> RemoteCallbacks<'a> {
    apply_timeouts();
    let mut cbs = RemoteCallbacks::new();
    cbs.credentials(move |_url, _user, _allowed| {
        asked.set(asked.get() + 1);
        match token {
            Some(t) if asked.get() == 1 => Cred::userpass_plaintext(username, &t.0),
            Some(_) => Err(git2::Error::from_str("the server refused the token")),
            None => Err(git2::Error::from_str(
                "the server asked for credentials and golden has no token for it",
            )),
        }
    });
    cbs
}

/// The proxy for `url`: `https_proxy`/`http_proxy` (either case) unless `no_proxy` names the
/// host, else libgit2's automatic detection (git's `http.proxy` setting).
pub(crate) fn proxy(url: &str, proxies: &Proxies) -> git2::ProxyOptions<'static> {
    let mut p = git2::ProxyOptions::new();
    match env_proxy(url, |k| proxies.var(k)) {
        Some(proxy) => {
            p.url(&proxy);
        }
        None => {
            p.auto();
        }
    }
    p
}

/// The proxy URL the environment gives for `url`, if any.
fn env_proxy(url: &str, var: impl Fn(&str) -> Option<String>) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let names = match parsed.scheme() {
        "https" => ["https_proxy", "HTTPS_PROXY"],
        "http" => ["http_proxy", "HTTP_PROXY"],
        _ => return None,
    };
    let proxy = names
        .iter()
        .chain(["all_proxy", "ALL_PROXY"].iter())
        .find_map(|n| var(n).filter(|v| !v.is_empty()))?;
    let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
    let no_proxy = var("no_proxy")
        .or_else(|| var("NO_PROXY"))
        .unwrap_or_default();
    let bypass = no_proxy
        .split(',')
        .map(|e| e.trim().trim_start_matches('.').to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .any(|e| e == "*" || host == e || host.ends_with(&format!(".{e}")));
    (!bypass).then_some(proxy)
}

fn describe(e: &git2::Error) -> String {
    e.message().to_string()
}

/// Pushes `refspec` from `repo` to `to`, retrying transient network failures (GitHub may not
/// serve a repository for a moment after creating it).
fn push(
    repo: &Repository,
    to: &Remote<'_>,
    refspec: &str,
    proxies: &Proxies,
) -> Result<(), String> {
    let url = to.url;
    let mut remote = repo.remote_anonymous(url).map_err(|e| describe(&e))?;
    let mut last = String::new();
    for attempt in 0..3 {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(1000 * attempt));
        }
        let asked = Cell::new(0);
        let rejected = std::cell::RefCell::new(Vec::new());
        let mut cbs = callbacks_as(to.username, to.token, &asked);
        cbs.push_update_reference(|r, status| {
            if let Some(m) = status {
                rejected.borrow_mut().push(format!("{r}: {m}"));
            }
            Ok(())
        });
        let mut opts = PushOptions::new();
        opts.remote_callbacks(cbs);
        opts.proxy_options(proxy(url, proxies));
        let pushed = remote.push(&[refspec], Some(&mut opts));
        drop(opts);
        match pushed {
            Ok(()) => {
                let rejected = rejected.into_inner();
                if rejected.is_empty() {
                    return Ok(());
                }
                return Err(format!(
                    "the server rejected the push: {}",
                    rejected.join("; ")
                ));
            }
            Err(e) => {
                last = describe(&e);
                let retry = matches!(
                    e.class(),
                    git2::ErrorClass::Net | git2::ErrorClass::Http | git2::ErrorClass::Os
                ) && asked.get() <= 1
                    && e.code() != git2::ErrorCode::Auth
                    && !last.contains("401")
                    && !last.contains("403");
                if !retry {
                    break;
                }
            }
        }
    }
    Err(last)
}

fn signature(author: &Author) -> Result<Signature<'static>, String> {
    Signature::now(&author.name, &author.email)
        .map_err(|e| format!("invalid git author: {}", describe(&e)))
}

/// A temporary directory for a scratch repository, removed when dropped.
fn temp_dir() -> Result<tempfile::TempDir, String> {
    tempfile::Builder::new()
        .prefix("golden-git-")
        .tempdir()
        .map_err(|e| e.to_string())
}

/// A scratch repository whose work tree is `workdir`, with its `.git` at `gitdir`, so nothing
/// is written into the workspace; its index holds every file of `workdir` that `git add .`
/// would add (`.gitignore` honoured, `.git` left out).
fn staged(gitdir: &Path, workdir: &Path) -> Result<(Repository, git2::Index), String> {
    let repo = Repository::init_bare(gitdir).map_err(|e| describe(&e))?;
    repo.set_workdir(workdir, false).map_err(|e| describe(&e))?;
    let mut index = repo.index().map_err(|e| describe(&e))?;
    index
        .add_all(["*"], IndexAddOption::DEFAULT, None)
        .map_err(|e| describe(&e))?;
    Ok((repo, index))
}

impl Git for Git2 {
    fn push_new(&self, remote: &Remote<'_>, c: &NewCommit<'_>) -> Result<String, String> {
        let tmp = temp_dir()?;
        let (repo, mut index) = staged(tmp.path(), c.source)?;
        let tree_id = index.write_tree().map_err(|e| describe(&e))?;
        let tree = repo.find_tree(tree_id).map_err(|e| describe(&e))?;
        let sig = signature(c.author)?;
        let refname = format!("refs/heads/{}", c.branch);
        let oid = match c.sign {
            None => repo
                .commit(Some(&refname), &sig, &sig, c.message, &tree, &[])
                .map_err(|e| describe(&e))?,
            Some(sign) => {
                let buf = repo
                    .commit_create_buffer(&sig, &sig, c.message, &tree, &[])
                    .map_err(|e| describe(&e))?;
                let text = buf
                    .as_str()
                    .map_err(|_| "the commit is not UTF-8 text, so it cannot be signed")?;
                let signature = sign(text)?;
                let oid = repo
                    .commit_signed(text, &signature, Some("gpgsig"))
                    .map_err(|e| describe(&e))?;
                repo.reference(&refname, oid, true, "signed commit")
                    .map_err(|e| describe(&e))?;
                oid
            }
        };
        let refspec = format!("{refname}:{refname}");
        push(&repo, remote, &refspec, &self.proxies)?;
        Ok(oid.to_string())
    }

    fn push_branch(
        &self,
        url: &str,
        token: Option<&Secret>,
        c: &BranchCommit<'_>,
    ) -> Result<BranchCommitResult, String> {
        let tmp = temp_dir()?;
        let repo = Repository::init_bare(tmp.path()).map_err(|e| describe(&e))?;
        let mut remote = repo.remote_anonymous(url).map_err(|e| describe(&e))?;
        let base = match c.base {
            Some(b) => b.to_string(),
            None => default_branch(&mut remote, url, token, &self.proxies)?,
        };
        let asked = Cell::new(0);
        let mut fo = FetchOptions::new();
        fo.remote_callbacks(callbacks(token, &asked));
        fo.proxy_options(proxy(url, &self.proxies));
        let base_ref = format!("refs/remotes/origin/{base}");
        remote
            .fetch(
                &[format!("+refs/heads/{base}:{base_ref}")],
                Some(&mut fo),
                None,
            )
            .map_err(|e| format!("cannot fetch branch `{base}`: {}", describe(&e)))?;
        let parent = repo
            .find_reference(&base_ref)
            .and_then(|r| r.peel_to_commit())
            .map_err(|_| format!("the repository has no branch `{base}`"))?;
        let tree_id = branch_tree(&repo, &parent, c, &tmp.path().join("src.git"))?;
        if tree_id == parent.tree_id() {
            return Ok(BranchCommitResult { base, commit: None });
        }
        let tree = repo.find_tree(tree_id).map_err(|e| describe(&e))?;
        let sig = signature(c.author)?;
        let refname = format!("refs/heads/{}", c.branch);
        let oid = repo
            .commit(Some(&refname), &sig, &sig, c.message, &tree, &[&parent])
            .map_err(|e| describe(&e))?;
        let plus = if c.force { "+" } else { "" };
        let refspec = format!("{plus}{refname}:{refname}");
        push(&repo, &Remote::new(url, token), &refspec, &self.proxies)?;
        Ok(BranchCommitResult {
            base,
            commit: Some(oid.to_string()),
        })
    }

    fn clone_into(
        &self,
        remote: &Remote<'_>,
        branch: Option<&str>,
        dir: &Path,
    ) -> Result<(), String> {
        let asked = Cell::new(0);
        let mut fo = FetchOptions::new();
        fo.remote_callbacks(callbacks_as(remote.username, remote.token, &asked));
        fo.proxy_options(proxy(remote.url, &self.proxies));
        let mut builder = git2::build::RepoBuilder::new();
        builder.fetch_options(fo);
        if let Some(b) = branch {
            builder.branch(b);
        }
        let result = builder
            .clone(remote.url, dir)
            .map(|_| ())
            .map_err(|e| describe(&e));
        drop(builder);
        result
    }
}

/// The remote's default branch (its HEAD, else `main`, `master` or the first branch).
fn default_branch(
    remote: &mut git2::Remote<'_>,
    url: &str,
    token: Option<&Secret>,
    proxies: &Proxies,
) -> Result<String, String> {
    let asked = Cell::new(0);
    let conn = remote
        .connect_auth(
            git2::Direction::Fetch,
            Some(callbacks(token, &asked)),
            Some(proxy(url, proxies)),
        )
        .map_err(|e| describe(&e))?;
    let heads: Vec<String> = conn
        .list()
        .map_err(|e| describe(&e))?
        .iter()
        .map(|h| h.name().to_string())
        .collect();
    let head = conn
        .default_branch()
        .ok()
        .and_then(|b| b.as_str().ok().map(str::to_string))
        .filter(|b| heads.contains(b))
        .or_else(|| {
            ["refs/heads/main", "refs/heads/master"]
                .iter()
                .map(|s| s.to_string())
                .find(|b| heads.contains(b))
        })
        .or_else(|| heads.iter().find(|h| h.starts_with("refs/heads/")).cloned())
        .ok_or_else(|| "the repository has no branches yet".to_string())?;
    Ok(head
        .strip_prefix("refs/heads/")
        .unwrap_or(&head)
        .to_string())
}

/// The tree of the branch commit: `parent`'s tree without `c.delete`, with every file of
/// `c.source` under `c.target_path` (read through a scratch repository at `scratch_dir`).
fn branch_tree(
    repo: &Repository,
    parent: &git2::Commit<'_>,
    c: &BranchCommit<'_>,
    scratch_dir: &Path,
) -> Result<git2::Oid, String> {
    let mut index = git2::Index::new().map_err(|e| describe(&e))?;
    index
        .read_tree(&parent.tree().map_err(|e| describe(&e))?)
        .map_err(|e| describe(&e))?;
    let prefix = c.target_path.trim_matches('/');
    let join = |rel: &str| {
        if prefix.is_empty() {
            rel.to_string()
        } else {
            format!("{prefix}/{rel}")
        }
    };
    for d in c.delete {
        let p = join(d.trim_matches('/'));
        let _ = index.remove_path(Path::new(&p));
        let _ = index.remove_dir(Path::new(&p), 0);
    }
    let (src_repo, src_index) = staged(scratch_dir, c.source)?;
    for entry in src_index.iter() {
        let rel = String::from_utf8_lossy(&entry.path).to_string();
        let data = src_repo.find_blob(entry.id).map_err(|e| describe(&e))?;
        let id = repo.blob(data.content()).map_err(|e| describe(&e))?;
        let e = git2::IndexEntry {
            id,
            path: join(&rel).into_bytes(),
            ..entry
        };
        index.add(&e).map_err(|e| describe(&e))?;
    }
    index.write_tree_to(repo).map_err(|e| describe(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_come_from_the_environment_unless_no_proxy_names_the_host() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let vars = env(&[
            ("https_proxy", "http://proxy:3128"),
            ("no_proxy", "localhost,.corp.example"),
        ]);
        assert_eq!(
            env_proxy("https://github.com/a/b.git", vars).as_deref(),
            Some("http://proxy:3128")
        );
        assert_eq!(env_proxy("https://git.corp.example/a/b.git", vars), None);
        assert_eq!(
            env_proxy("http://github.com/a/b.git", vars),
            None,
            "http_proxy is not set"
        );
        assert_eq!(env_proxy("file:///tmp/r.git", vars), None);
        assert_eq!(
            env_proxy(
                "https://github.com/a",
                env(&[("ALL_PROXY", "socks5://p:1080")])
            )
            .as_deref(),
            Some("socks5://p:1080")
        );
    }

    #[test]
    fn pushes_one_commit_without_touching_the_source_and_honours_gitignore() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir_all(src.join("a")).unwrap();
        std::fs::write(src.join("a/b.txt"), "hello").unwrap();
        std::fs::write(src.join(".gitignore"), "*.log\n").unwrap();
        std::fs::write(src.join("x.log"), "ignored").unwrap();
        std::fs::write(src.join("run.sh"), "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(src.join("run.sh"), std::fs::Permissions::from_mode(0o755))
                .unwrap();
            std::os::unix::fs::symlink("a/b.txt", src.join("link")).unwrap();
        }
        let bare = dir.path().join("r.git");
        Repository::init_bare(&bare).unwrap();
        let url = url::Url::from_file_path(&bare).unwrap().to_string();
        let author = Author {
            name: "Scaffolder".into(),
            email: "scaffolder@backstage.io".into(),
        };
        let commit = NewCommit {
            source: &src,
            branch: "main",
            message: "initial commit",
            author: &author,
            sign: None,
        };
        let hash = Git2::default()
            .push_new(&Remote::new(&url, None), &commit)
            .unwrap();
        assert!(
            !src.join(".git").exists(),
            "nothing is written into the source directory"
        );
        let r = Repository::open_bare(&bare).unwrap();
        let c = r
            .find_reference("refs/heads/main")
            .unwrap()
            .peel_to_commit()
            .unwrap();
        assert_eq!(c.id().to_string(), hash);
        assert_eq!(c.message().unwrap(), "initial commit");
        let tree = c.tree().unwrap();
        assert!(tree.get_path(Path::new("a/b.txt")).is_ok());
        assert!(tree.get_path(Path::new(".gitignore")).is_ok());
        assert!(tree.get_path(Path::new("x.log")).is_err());
        #[cfg(unix)]
        {
            assert_eq!(
                tree.get_path(Path::new("run.sh")).unwrap().filemode(),
                0o100755,
                "executable bits are kept"
            );
            assert_eq!(
                tree.get_path(Path::new("link")).unwrap().filemode(),
                0o120000,
                "symlinks stay symlinks"
            );
        }

        // A branch on top, written under a target path, with a deletion.
        let pr_src = dir.path().join("pr");
        std::fs::create_dir_all(&pr_src).unwrap();
        std::fs::write(pr_src.join("new.txt"), "new").unwrap();
        let del = vec!["b.txt".to_string()];
        let c = BranchCommit {
            base: None,
            branch: "feature",
            source: &pr_src,
            target_path: "a",
            delete: &del,
            message: "add",
            author: &author,
            force: false,
        };
        let res = Git2::default().push_branch(&url, None, &c).unwrap();
        assert_eq!(res.base, "main");
        let head = r
            .find_reference("refs/heads/feature")
            .unwrap()
            .peel_to_commit()
            .unwrap();
        assert_eq!(Some(head.id().to_string()), res.commit);
        let tree = head.tree().unwrap();
        assert!(tree.get_path(Path::new("a/new.txt")).is_ok());
        assert!(tree.get_path(Path::new("a/b.txt")).is_err());

        r.set_head("refs/heads/main").unwrap();
        let out = dir.path().join("clone");
        Git::clone_into(&Git2::default(), &Remote::new(&url, None), None, &out).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("a/b.txt")).unwrap(),
            "hello"
        );
    }
}

/// A file of a directory as git would add it.
#[derive(Debug, Clone)]
pub struct WorkFile {
    /// `/`-separated path relative to the directory.
    pub path: String,
    /// `0o100644`, `0o100755` or `0o120000`.
    pub mode: u32,
    /// The content (a symlink's target for `0o120000`).
    pub content: Vec<u8>,
}

/// Every file under `dir` that `git add .` would add (`.gitignore` honoured, `.git` left out),
/// sorted by path. Nothing is written into `dir`.
pub fn worktree_files(dir: &Path) -> Result<Vec<WorkFile>, String> {
    let tmp = temp_dir()?;
    let (repo, index) = staged(tmp.path(), dir)?;
    let mut files = Vec::new();
    for entry in index.iter() {
        let content = repo
            .find_blob(entry.id)
            .map_err(|e| describe(&e))?
            .content()
            .to_vec();
        files.push(WorkFile {
            path: String::from_utf8_lossy(&entry.path).to_string(),
            mode: entry.mode,
            content,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}
