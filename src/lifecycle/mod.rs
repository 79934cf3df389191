//! Template lifecycle: templates from git repositories ([`source`], [`fetch`]), the record each
//! generated project carries ([`record`]), and rendering a template again with recorded answers
//! so `golden check` and `golden update` can compare and merge ([`render`], [`merge`]).

pub mod catalog;
pub mod fetch;
pub mod merge;
pub mod project;
pub mod record;
pub mod remote;
pub mod render;
pub mod source;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use record::TemplateRef;

/// A template ready to load, with what the record says about where it came from.
pub struct Resolved {
    /// The template file or folder to load.
    pub path: PathBuf,
    /// For a fetched template, the repository's files at the commit (its source root).
    pub root: Option<PathBuf>,
    /// What the record stores about the source.
    pub source: TemplateRef,
}

/// How templates are fetched: the cache only (`--offline`) or not, with the config's tokens,
/// golden's data directory and git's proxies.
#[derive(Clone, Copy)]
pub struct FetchSettings<'a> {
    pub offline: bool,
    pub context: &'a crate::settings::Context,
}

impl FetchSettings<'_> {
    /// The fetcher these settings describe.
    pub fn fetcher(&self) -> fetch::Fetcher {
        fetch::Fetcher::new(
            &self.context.home,
            self.offline,
            self.context.config.clone(),
            self.context.proxies.clone(),
        )
    }
}

/// Fetches a git template source (`SOURCE` of `golden new`, see [`source`]).
pub fn resolve_git(
    spec: &str,
    reference: Option<&str>,
    settings: &FetchSettings<'_>,
) -> Result<Resolved> {
    let src = source::parse(spec, reference)?;
    let got = settings
        .fetcher()
        .checkout(&src.url, src.reference.as_deref(), false)?;
    from_fetched(&src, got)
}

impl Resolved {
    /// Loads the template; a fetched one reads only inside the fetched repository (its source
    /// root), so `url: ../../skeletons/x` resolves within that commit of the repository.
    pub fn load(&self) -> Result<crate::template::Template> {
        let Some(root) = &self.root else {
            return crate::template::Template::load(&self.path);
        };
        let text = std::fs::read_to_string(&self.path)
            .map_err(|e| Error::io("cannot read", &self.path, e))?;
        let root = std::fs::canonicalize(root).map_err(|e| Error::io("cannot resolve", root, e))?;
        let real = std::fs::canonicalize(&self.path)
            .map_err(|e| Error::io("cannot resolve", &self.path, e))?;
        let dir = real
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| root.clone());
        crate::template::Template::from_source_in(&self.path, &dir, &root, text)
    }
}

/// The template of a git source at a fetched commit.
pub fn from_fetched(src: &source::GitSource, got: fetch::Fetched) -> Result<Resolved> {
    let dir = if src.subpath.is_empty() {
        got.dir.clone()
    } else {
        got.dir.join(&src.subpath)
    };
    let file = dir.join(&src.file);
    if !file.is_file() {
        return Err(Error::usage(format!(
            "the repository `{}` has no `{}` at commit {}",
            src.url,
            if src.subpath.is_empty() {
                src.file.clone()
            } else {
                format!("{}/{}", src.subpath, src.file)
            },
            &got.commit[..12.min(got.commit.len())]
        ))
        .hint(
            "name the template's folder after `//` (`URL//go-service`) or use its tree/blob URL",
        ));
    }
    Ok(Resolved {
        path: file,
        root: Some(got.dir),
        source: TemplateRef {
            url: Some(src.url.clone()),
            path: src.subpath.clone(),
            file: (src.file != "template.yaml").then(|| src.file.clone()),
            // A commit is not followed: check and update then follow the default branch.
            reference: src
                .reference
                .clone()
                .filter(|r| !got.commit.starts_with(&r.to_ascii_lowercase())),
            commit: Some(got.commit),
            ..Default::default()
        },
    })
}

/// The record's source for a template folder on disk: its absolute path and, when `hash` (a record
/// will be written), its content hash. Hashing reads every file of the template, so a dry run
/// without `--record` skips it.
pub fn local_ref(template_file: &Path, shown: Option<String>, hash: bool) -> TemplateRef {
    let dir = template_file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let abs = std::fs::canonicalize(&dir).unwrap_or(dir.clone());
    TemplateRef {
        dir: Some(shown.unwrap_or_else(|| abs.display().to_string())),
        content_hash: if hash { content_hash(&abs) } else { None },
        ..Default::default()
    }
}

/// The git tree hash of a folder's files (as `git add .` would see them).
pub fn content_hash(dir: &Path) -> Option<String> {
    let files = crate::git::worktree_files(dir).ok()?;
    let repo = memory_repo().ok()?;
    tree_of(
        &repo,
        files
            .iter()
            .map(|f| (f.path.as_str(), f.mode, f.content.as_slice())),
    )
    .ok()
    .map(|o| o.to_string())
}

/// A repository whose objects live in memory only (for hashing, merging and diffing).
pub fn memory_repo() -> std::result::Result<git2::Repository, git2::Error> {
    let odb = git2::Odb::new()?;
    odb.add_new_mempack_backend(1000)?;
    git2::Repository::from_odb(odb)
}

/// Writes files (`path`, git mode, content) as a tree into `repo`.
pub fn tree_of<'a>(
    repo: &git2::Repository,
    files: impl Iterator<Item = (&'a str, u32, &'a [u8])>,
) -> std::result::Result<git2::Oid, git2::Error> {
    let mut index = git2::Index::new()?;
    for (path, mode, content) in files {
        let id = repo.blob(content)?;
        let entry = git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode,
            uid: 0,
            gid: 0,
            file_size: content.len() as u32,
            id,
            flags: 0,
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        };
        index.add(&entry)?;
    }
    index.write_tree_to(repo)
}
