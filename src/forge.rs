//! The local forge: bare git repositories under `<GOLDEN_HOME>/forge/HOST/OWNER/REPO.git` (an
//! owner may be a nested GitLab group, one folder per level), the embedded stand-in for GitHub,
//! GitLab and Gitea when golden runs with `--local` (or `local: true` in the config).
//! Publish actions create repositories here and push with git2 over `file://`; their outputs
//! point here: `remoteUrl` is the repository's `file://` URL and `repoContentsUrl` is
//! `<remoteUrl>/blob/<branch>`, the same shape as GitHub's (the catalog reads files through it).
//! What GitHub would keep as settings (topics, collaborators, protection, pull requests,
//! webhooks, dispatches) is recorded as JSON under `REPO.git/golden/`, never secrets or tokens.
//!
//! Crash and concurrency safety: a repository is built aside (`.REPO.git.creating-PID-…`) and
//! renamed into place without replacing anything, so it appears only when complete and exactly
//! one of several concurrent runs creates a name; records are written to a temporary file and
//! renamed over the old one, under a lock file, so they are never half-written or lost.

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
    /// The run's secrets, masked in the records written beside repositories.
    redactor: crate::redact::Redactor,
    race: Option<RaceBarrier>,
}

/// Tests only (`GOLDEN_TEST_FORGE_RACE=N:DIR`, read by `settings`): a creation that found its
/// name free waits there until `N` runs have (each leaves a file in `DIR`; at most 20 s), so the
/// concurrency test makes every run pass the check before any creates, and fails unless the
/// creation itself refuses to replace.
#[derive(Debug, Clone, PartialEq)]
pub struct RaceBarrier {
    pub runs: usize,
    pub dir: PathBuf,
}

impl RaceBarrier {
    /// `N:DIR`.
    pub fn parse(value: &str) -> Option<RaceBarrier> {
        let (runs, dir) = value.split_once(':')?;
        Some(RaceBarrier {
            runs: runs.parse().ok()?,
            dir: PathBuf::from(dir),
        })
    }

    fn wait(&self) {
        let me = self.dir.join(format!(
            "{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::create_dir_all(&self.dir).and_then(|()| std::fs::write(me, ""));
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_secs(20)
            && std::fs::read_dir(&self.dir).map_or(0, |d| d.count()) < self.runs
        {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}

impl Forge {
    /// The forge inside `home` (golden's data directory, made absolute by `settings` so that
    /// the `file://` URLs of its repositories are valid from anywhere).
    pub fn new(home: &Path) -> Forge {
        Forge {
            root: home.join("forge"),
            redactor: Default::default(),
            race: None,
        }
    }

    /// The same forge, masking the run's secrets in what it records.
    pub fn with_redactor(mut self, redactor: crate::redact::Redactor) -> Forge {
        self.redactor = redactor;
        self
    }

    /// The run's secrets (records are written through [`record`] with them).
    pub fn redactor(&self) -> &crate::redact::Redactor {
        &self.redactor
    }

    /// The forge with the tests' race barrier (see [`RaceBarrier`]).
    pub fn with_race_barrier(mut self, race: Option<RaceBarrier>) -> Forge {
        self.race = race;
        self
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

    #[cfg(test)]
    /// Creates an empty bare repository whose HEAD is `branch`. An existing one is an error that
    /// names it: the forge never overwrites a repository.
    pub fn create(
        &self,
        host: &str,
        owner: &str,
        repo: &str,
        branch: &str,
    ) -> Result<PathBuf, ForgeError> {
        self.create_with(host, owner, repo, branch, |_| Ok::<(), ForgeError>(()))
            .map(|(p, ())| p)
    }

    /// Creates the repository aside, lets `fill` complete it (record settings, push), then moves
    /// it into place without replacing anything: the repository appears only when complete, and
    /// of several runs creating the same name exactly one succeeds; the others fail, having
    /// changed nothing. `fill` gets the aside path (push to its URL); the result's path is final.
    pub fn create_with<T, E: From<ForgeError>>(
        &self,
        host: &str,
        owner: &str,
        repo: &str,
        branch: &str,
        fill: impl FnOnce(&Path) -> Result<T, E>,
    ) -> Result<(PathBuf, T), E> {
        let (path, aside) = self.create_aside(host, owner, repo, branch)?;
        let value = fill(aside.path())?; // on failure the aside directory is removed
        Ok((self.move_into_place(owner, repo, aside, path)?, value))
    }

    /// An empty repository created aside, and where it goes.
    fn create_aside(
        &self,
        host: &str,
        owner: &str,
        repo: &str,
        branch: &str,
    ) -> Result<(PathBuf, tempfile::TempDir), ForgeError> {
        let path = self.repo_path(host, owner, repo)?;
        if path.exists() {
            return Err(exists(owner, repo, &path));
        }
        if let Some(race) = &self.race {
            race.wait();
        }
        let parent = path.parent().expect("repository paths have a parent");
        std::fs::create_dir_all(parent)
            .map_err(|e| ForgeError::new(format!("cannot create `{}`: {e}", parent.display())))?;
        remove_stale_aside(parent);
        let aside = tempfile::Builder::new()
            .prefix(&format!(".{repo}.git.creating-{}-", std::process::id()))
            .tempdir_in(parent)
            .map_err(|e| {
                ForgeError::new(format!(
                    "cannot create a directory in `{}`: {e}",
                    parent.display()
                ))
            })?;
        let repo_git = git2::Repository::init_bare(aside.path()).map_err(|e| {
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
        drop(repo_git);
        Ok((path, aside))
    }

    /// Renames the completed `aside` repository to `path`, never over an existing one.
    fn move_into_place(
        &self,
        owner: &str,
        repo: &str,
        aside: tempfile::TempDir,
        path: PathBuf,
    ) -> Result<PathBuf, ForgeError> {
        match rename_noreplace(aside.path(), &path) {
            Ok(()) => {
                let _ = aside.keep();
                Ok(path)
            }
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::EEXIST) | Some(libc::ENOTEMPTY)
                ) =>
            {
                Err(ForgeError::new(format!(
                    "the repository {owner}/{repo} was created in the local forge by another run at the same time (`{}`); this run created nothing",
                    path.display()
                ))
                .with_hint("choose another repository name; the other run's repository is left as it is"))
            }
            Err(e) => Err(ForgeError::new(format!(
                "cannot move the new repository into place at `{}`: {e}",
                path.display()
            ))),
        }
    }

    /// `OWNER/NAME` of the repository at `path` (its host left out), when it is in this forge.
    pub fn full_name(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.root).ok()?;
        let parts: Vec<String> = rel
            .components()
            .skip(1)
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .collect();
        let joined = parts.join("/");
        let name = joined.strip_suffix(".git")?;
        name.contains('/').then(|| name.to_string())
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
#[allow(dead_code)] // reached only through scm::Target::read_file, not called yet
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

fn exists(owner: &str, repo: &str, path: &Path) -> ForgeError {
    let head = git2::Repository::open_bare(path).ok().and_then(|r| {
        let head = r.head().ok()?;
        Some((
            head.shorthand().unwrap_or("HEAD").to_string(),
            head.target()?,
        ))
    });
    let (state, register) = match &head {
        Some((branch, id)) => (
            format!("it holds {branch} at {id}"),
            format!(
                "; if an interrupted run pushed it but did not register it, `golden catalog register {}/catalog-info.yaml` does",
                contents_url(path, branch)
            ),
        ),
        None => ("it has no commit".to_string(), String::new()),
    };
    ForgeError::new(format!(
        "the repository {owner}/{repo} already exists in the local forge at `{}` ({state}); golden never overwrites a repository",
        path.display()
    ))
    .with_hint(format!(
        "choose another repository name, or delete `{}` if you no longer need it{register}",
        path.display()
    ))
}

/// `rename(2)` that fails instead of replacing an existing destination (`renameat2` with
/// `RENAME_NOREPLACE`; a plain rename elsewhere, which never replaces a non-empty directory).
fn rename_noreplace(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let cf = std::ffi::CString::new(from.as_os_str().as_bytes())?;
        let ct = std::ffi::CString::new(to.as_os_str().as_bytes())?;
        // SAFETY: two valid NUL-terminated paths; renameat2 only reads them.
        let r = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                cf.as_ptr(),
                libc::AT_FDCWD,
                ct.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        };
        if r == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINVAL) && e.raw_os_error() != Some(libc::ENOSYS) {
            return Err(e);
        }
    }
    if to.symlink_metadata().is_ok() {
        return Err(std::io::Error::from_raw_os_error(libc::EEXIST));
    }
    std::fs::rename(from, to)
}

/// Removes `.REPO.git.creating-PID-*` directories of processes that no longer run (left by a
/// run killed while creating a repository).
fn remove_stale_aside(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .split(".git.creating-")
            .nth(1)
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if name.starts_with('.') && !crate::workspace::process_alive(pid) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
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
    redactor: &crate::redact::Redactor,
) -> Result<(), ForgeError> {
    let _lock = Lock::acquire(&path.join("golden").join(format!("{name}.json.lock")))?;
    let mut list = records(path, name);
    if index >= list.len() {
        return Err(ForgeError::new(format!(
            "the local forge has no {name} record {}",
            index + 1
        )));
    }
    list[index] = redactor.value(&value);
    let file = path.join("golden").join(format!("{name}.json"));
    write_atomic(
        &file,
        &serde_json::to_string_pretty(&list).unwrap_or_default(),
    )
}

/// Appends a record to `REPO.git/golden/<name>.json` (a JSON array) and returns its 1-based
/// position.
pub fn record(
    path: &Path,
    name: &str,
    value: Value,
    redactor: &crate::redact::Redactor,
) -> Result<usize, ForgeError> {
    let dir = path.join("golden");
    std::fs::create_dir_all(&dir)
        .map_err(|e| ForgeError::new(format!("cannot write `{}`: {e}", dir.display())))?;
    let file = dir.join(format!("{name}.json"));
    let _lock = Lock::acquire(&dir.join(format!("{name}.json.lock")))?;
    let mut list = std::fs::read_to_string(&file)
        .ok()
        .and_then(|t| serde_json::from_str::<Vec<Value>>(&t).ok())
        .unwrap_or_default();
    list.push(redactor.value(&value));
    let text = serde_json::to_string_pretty(&list).unwrap_or_default();
    write_atomic(&file, &text)?;
    Ok(list.len())
}

/// Writes `file` whole or not at all: a temporary file beside it, synced, renamed over it.
fn write_atomic(file: &Path, text: &str) -> Result<(), ForgeError> {
    use std::io::Write;
    let err =
        |e: std::io::Error| ForgeError::new(format!("cannot write `{}`: {e}", file.display()));
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    tmp.write_all(text.as_bytes()).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(file).map_err(|e| err(e.error))?;
    Ok(())
}

/// An exclusive lock on a lock file (`flock`), released when dropped or when the process dies,
/// so a killed run never leaves the records locked.
struct Lock {
    _file: std::fs::File,
}

impl Lock {
    fn acquire(path: &Path) -> Result<Lock, ForgeError> {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| ForgeError::new(format!("cannot open `{}`: {e}", path.display())))?;
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: flock on a descriptor this value owns.
            if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
                return Err(ForgeError::new(format!(
                    "cannot lock `{}`: {}",
                    path.display(),
                    std::io::Error::last_os_error()
                )));
            }
        }
        Ok(Lock { _file: f })
    }
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
        assert_eq!(
            record(
                &p,
                "pulls",
                serde_json::json!({"n": 1}),
                &Default::default()
            )
            .unwrap(),
            1
        );
        assert_eq!(
            record(
                &p,
                "pulls",
                serde_json::json!({"n": 2}),
                &Default::default()
            )
            .unwrap(),
            2
        );
    }

    #[test]
    fn concurrent_creates_of_one_name_make_exactly_one_repository() {
        let home = tempfile::tempdir().unwrap();
        for round in 0..10 {
            let name = format!("svc{round}");
            let threads = 12;
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(threads));
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    let barrier = barrier.clone();
                    let home = home.path().to_path_buf();
                    let name = name.clone();
                    std::thread::spawn(move || {
                        barrier.wait();
                        // Every thread finds the name free before any creates it.
                        let race = RaceBarrier {
                            runs: threads,
                            dir: home.join(format!("race-{name}")),
                        };
                        Forge::new(&home).with_race_barrier(Some(race)).create(
                            "github.com",
                            "acme",
                            &name,
                            "main",
                        )
                    })
                })
                .collect();
            let ok = handles
                .into_iter()
                .map(|h| h.join().unwrap())
                .filter(|r| r.is_ok())
                .count();
            assert_eq!(ok, 1, "round {round}");
        }
    }

    #[test]
    fn a_failed_or_killed_creation_leaves_no_repository() {
        let home = tempfile::tempdir().unwrap();
        let forge = Forge::new(home.path());
        let e = forge
            .create_with(
                "github.com",
                "acme",
                "svc",
                "main",
                |_| -> Result<(), ForgeError> { Err(ForgeError::new("push failed")) },
            )
            .unwrap_err();
        assert_eq!(e.message, "push failed");
        let parent = forge.repo_path("github.com", "acme", "svc").unwrap();
        let parent = parent.parent().unwrap();
        assert_eq!(
            std::fs::read_dir(parent).unwrap().count(),
            0,
            "nothing left"
        );
        // What a killed run leaves (the aside directory of a dead process) is removed by the next
        // creation in the same place, and never counts as the repository.
        let stale = parent.join(".svc.git.creating-4000000000-abc");
        std::fs::create_dir_all(stale.join("objects")).unwrap();
        let p = forge.create("github.com", "acme", "svc", "main").unwrap();
        assert!(p.is_dir() && !stale.exists());
    }

    #[test]
    fn concurrent_records_are_all_kept_and_valid() {
        let home = tempfile::tempdir().unwrap();
        let p = Forge::new(home.path())
            .create("github.com", "acme", "svc", "main")
            .unwrap();
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let p = p.clone();
                std::thread::spawn(move || {
                    record(
                        &p,
                        "hooks",
                        serde_json::json!({ "n": i }),
                        &Default::default(),
                    )
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap().unwrap();
        }
        assert_eq!(records(&p, "hooks").len(), 16);
    }
}
