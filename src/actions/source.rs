//! Where `fetch:*` actions read from: a `url` relative to the template file's real directory. Like
//! Backstage for templates registered from a repository, the path may leave the template's own
//! folder (`../../skeletons/common`) but never the template's source root (the repository holding
//! it, see [`crate::template::root`]); absolute paths are refused. Remote `https://` URLs of GitHub
//! hosts are read by the run's remote reader (`Services::remote`: the template fetcher).

use std::path::{Path, PathBuf};

use crate::runner::{ActionContext, ActionError};

/// What a `url` points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Dir,
    File,
}

/// Resolves a fetch `url` to a local path that exists and is a directory or a file as expected.
pub fn resolve(
    ctx: &mut ActionContext<'_>,
    url: &str,
    expect: Expect,
) -> Result<PathBuf, ActionError> {
    let real = if is_absolute_url(url) {
        match &ctx.services.remote {
            Some(r) => r.read(url).map_err(ActionError::from)?,
            None => {
                return Err(ActionError::new(format!(
                    "cannot fetch `{url}`: remote template sources are not available here"
                )))
            }
        }
    } else {
        match relative(ctx, url) {
            Err(e)
                if expect == Expect::Dir
                    && fetched(ctx)
                    && e.message.contains("does not exist") =>
            {
                // Backstage's GitHub reader reads a missing folder of a registered template as
                // an empty tree; golden does the same for fetched templates, and says so.
                ctx.info(format!(
                    "warning: `{url}` does not exist in the template's repository; it is read as an empty folder, as Backstage does"
                ));
                let empty = ctx.services.home.join("cache").join("empty");
                std::fs::create_dir_all(&empty).map_err(|e| {
                    ActionError::new(format!("cannot create `{}`: {e}", empty.display()))
                })?;
                empty
            }
            other => other?,
        }
    };
    check_kind(url, real, expect)
}

/// Whether the template was fetched into golden's template cache.
fn fetched(ctx: &ActionContext<'_>) -> bool {
    let cache = ctx.services.home.join("cache").join("templates");
    std::fs::canonicalize(cache).is_ok_and(|c| ctx.source_root.starts_with(c))
}

fn relative(ctx: &ActionContext<'_>, url: &str) -> Result<PathBuf, ActionError> {
    crate::template::root::resolve(ctx.source_root, ctx.template_dir, url).map_err(|r| {
        ActionError::new(format!(
            "cannot fetch `{url}`: {}",
            r.message(url, Some(ctx.source_root))
        ))
        .with_hint(r.hint())
    })
}

fn check_kind(url: &str, real: PathBuf, expect: Expect) -> Result<PathBuf, ActionError> {
    let meta = std::fs::metadata(&real).map_err(|e| {
        ActionError::new(format!(
            "cannot fetch `{url}`: `{}` {}",
            real.display(),
            describe_io(&e)
        ))
    })?;
    match expect {
        Expect::Dir if !meta.is_dir() => Err(ActionError::new(format!(
            "cannot fetch `{url}`: `{}` is not a directory",
            real.display()
        ))
        .with_hint("use fetch:plain:file or fetch:template:file for a single file")),
        Expect::File if meta.is_dir() => Err(ActionError::new(format!(
            "cannot fetch `{url}`: `{}` is a directory, not a file",
            real.display()
        ))
        .with_hint("use fetch:plain or fetch:template for a directory")),
        Expect::File if !meta.is_file() => Err(ActionError::new(format!(
            "cannot fetch `{url}`: `{}` is {}, not a regular file",
            real.display(),
            crate::limits::kind_of(&meta)
        ))),
        _ => Ok(real),
    }
}

/// `new URL(url)` succeeds: a scheme followed by `:`.
pub fn is_absolute_url(url: &str) -> bool {
    url::Url::parse(url).is_ok()
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "does not exist".to_string(),
        _ => format!("cannot be read: {e}"),
    }
}

/// `path` relative to `base` with `/` separators (`""` for `base` itself).
pub fn rel_string(path: &Path, base: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    let mut s = String::new();
    for c in rel.components() {
        if !s.is_empty() {
            s.push('/');
        }
        s.push_str(&c.as_os_str().to_string_lossy());
    }
    s
}
