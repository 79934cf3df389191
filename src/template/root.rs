//! The template's source root: the one folder a template may read from. It is the git working
//! tree that holds the template when there is one (so `../../skeletons/common` works inside a
//! templates repository), else the template's own folder; a template fetched from elsewhere gets
//! the fetched tree as its root. Every `fetch:*` `url` and every `$text`/`$json`/`$yaml` path is
//! resolved here, and like Backstage's `resolveSafeChildPath`, absolute paths and paths that lead
//! out of the root (through `..` or a symlink) are refused.

use std::path::{Component, Path, PathBuf};

/// Why a path was refused or could not be resolved.
#[derive(Debug)]
pub enum Refused {
    /// An absolute path (`/proc/self/environ`).
    Absolute,
    /// A relative path that leaves the root, as written or after resolving symlinks.
    Outside,
    /// The path does not exist or cannot be resolved.
    Io(PathBuf, std::io::Error),
}

impl Refused {
    /// A message naming `shown` (the path as the template wrote it) and, when given, the root.
    pub fn message(&self, shown: &str, root: Option<&Path>) -> String {
        let root = root
            .map(|r| format!(" `{}`", r.display()))
            .unwrap_or_default();
        match self {
            Refused::Absolute => format!(
                "`{shown}` is an absolute path; a template reads only files inside its source root{root}"
            ),
            Refused::Outside => format!(
                "`{shown}` is not allowed to refer to a path outside the template's source root{root}"
            ),
            Refused::Io(p, e) if e.kind() == std::io::ErrorKind::NotFound => {
                format!("`{}` does not exist", p.display())
            }
            Refused::Io(p, e) => format!("`{}` cannot be read: {e}", p.display()),
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Refused::Absolute | Refused::Outside => {
                "keep skeletons and included files inside the repository (or folder) that holds template.yaml and refer to them with relative paths"
            }
            Refused::Io(..) => "a relative path is resolved from the folder of template.yaml",
        }
    }

    /// Whether the path was refused (rather than missing or unreadable).
    pub fn is_refusal(&self) -> bool {
        matches!(self, Refused::Absolute | Refused::Outside)
    }
}

/// The source root of a template whose real folder is `dir`: the working tree of the git
/// repository holding it, else `dir` itself. Always a real (canonical) path.
///
/// Found as `git rev-parse --show-toplevel` does (the nearest folder with a `.git` repository
/// or `.git` file, not crossing into another file system), by looking at the disk only: opening
/// the repository with libgit2 would initialise its TLS (every system CA certificate parsed,
/// more than half of a 1,000-file dry run's instructions) for a question about folders.
pub fn source_root(dir: &Path) -> PathBuf {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    work_tree(&dir).unwrap_or(dir)
}

/// The nearest ancestor of `dir` (itself included) holding a git repository's `.git`.
fn work_tree(dir: &Path) -> Option<PathBuf> {
    #[cfg(unix)]
    let device = |p: &Path| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(p).ok().map(|m| m.dev())
    };
    #[cfg(not(unix))]
    let device = |_: &Path| Some(0u64);
    let start = device(dir)?;
    for d in dir.ancestors() {
        if device(d) != Some(start) {
            return None;
        }
        let git = d.join(".git");
        let is_repo = if git.is_dir() {
            git.join("HEAD").is_file() && git.join("objects").is_dir()
        } else {
            std::fs::read(&git).is_ok_and(|b| b.starts_with(b"gitdir:"))
        };
        if is_repo {
            return Some(d.to_path_buf());
        }
    }
    None
}

/// Resolves `rel` from `dir` (inside `root`) to the real path it names, refusing absolute paths
/// and anything outside `root`. `root` must be a real path.
pub fn resolve(root: &Path, dir: &Path, rel: &str) -> Result<PathBuf, Refused> {
    let rel_path = Path::new(rel);
    if rel_path.is_absolute() || rel.starts_with('\\') {
        return Err(Refused::Absolute);
    }
    // Lexically first, so `../../etc/passwd` is refused whether or not it exists.
    let mut joined = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    for c in rel_path.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => return Err(Refused::Absolute),
            Component::CurDir => {}
            Component::ParentDir => {
                joined.pop();
            }
            Component::Normal(p) => joined.push(p),
        }
    }
    if !joined.starts_with(root) {
        return Err(Refused::Outside);
    }
    let real = std::fs::canonicalize(&joined).map_err(|e| Refused::Io(joined.clone(), e))?;
    if !real.starts_with(root) {
        return Err(Refused::Outside);
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confines_to_the_root() {
        let tmp = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(tmp.path()).unwrap();
        let dir = root.join("templates/t");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::create_dir_all(root.join("skeletons/x")).unwrap();
        assert_eq!(
            resolve(&root, &dir, "../../skeletons/x").unwrap(),
            root.join("skeletons/x")
        );
        assert!(matches!(
            resolve(&root, &dir, "/proc/self/environ"),
            Err(Refused::Absolute)
        ));
        assert!(matches!(
            resolve(&root, &dir, "../../../etc/passwd"),
            Err(Refused::Outside)
        ));
        assert!(matches!(
            resolve(&root, &dir, "missing"),
            Err(Refused::Io(..))
        ));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc", dir.join("etc")).unwrap();
            assert!(matches!(
                resolve(&root, &dir, "etc/passwd"),
                Err(Refused::Outside)
            ));
        }
    }

    #[test]
    fn root_is_the_git_working_tree_else_the_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(tmp.path()).unwrap();
        let plain = base.join("plain");
        std::fs::create_dir_all(&plain).unwrap();
        assert_eq!(source_root(&plain), plain);
        let repo = base.join("repo");
        git2::Repository::init(&repo).unwrap();
        let inner = repo.join("templates/a");
        std::fs::create_dir_all(&inner).unwrap();
        assert_eq!(source_root(&inner), repo);
        // A `.git` file (linked worktree, submodule) marks a working tree too; a `.git` folder
        // that is no repository does not.
        let linked = base.join("linked");
        std::fs::create_dir_all(linked.join("x")).unwrap();
        std::fs::write(
            linked.join(".git"),
            "gitdir: ../repo/.git/worktrees/linked\n",
        )
        .unwrap();
        assert_eq!(source_root(&linked.join("x")), linked);
        let fake = plain.join("fake");
        std::fs::create_dir_all(fake.join(".git")).unwrap();
        assert_eq!(source_root(&fake), fake);
    }
}
