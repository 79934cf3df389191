//! Templates from the configured catalog (`golden new template:default/go-service`, or
//! `--from-catalog go-service`): the Template entity is read from Backstage (or golden's local
//! catalog), and its location annotation (`backstage.io/source-location`, else
//! `backstage.io/managed-by-location`) is followed: a `url:` of a repository (`…/tree/REF/PATH`,
//! `…/blob/REF/PATH/template.yaml`, `GIT_URL//PATH`) is fetched like any git source; a `file:`
//! inside a git working tree is fetched from that repository at its checked-out commit (so the
//! record can name the commit); any other `file:` is loaded from disk.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{FetchSettings, Resolved};
use crate::error::{Error, Result};

/// Whether `s` names a catalog template (`template:NAME` or `template:NAMESPACE/NAME`).
pub fn is_catalog_ref(s: &str) -> bool {
    s.len() > 9 && s[..9].eq_ignore_ascii_case("template:") && !s.contains("://")
}

/// Reads the Template entity `reference` and resolves where its files are.
pub fn resolve(
    reference: &str,
    git_ref: Option<&str>,
    settings: &FetchSettings<'_>,
) -> Result<Resolved> {
    let ctx = settings.context;
    let full = crate::catalog::full_ref(reference, Some("template"), Some("default"))?;
    if !full.starts_with("template:") {
        return Err(
            Error::usage(format!("`{reference}` is not a Template entity reference"))
                .hint("use `template:NAME` or `template:NAMESPACE/NAME`"),
        );
    }
    let catalog = crate::catalog::open(&ctx.config, &ctx.home, &ctx.cwd)?;
    let entity = catalog.get(&full)?.ok_or_else(|| {
        Error::usage(format!("{} has no entity `{full}`", catalog.describe()))
            .hint("`golden catalog list --kind Template` lists the templates it has")
    })?;
    let location = location_of(&entity).ok_or_else(|| {
        Error::usage(format!(
            "`{full}` has no `backstage.io/source-location` or `backstage.io/managed-by-location` annotation, so golden cannot find its files"
        ))
    })?;
    let mut resolved = match location.split_once(':') {
        Some(("url", target)) => {
            let spec = tree_url(target);
            if !super::source::is_git(&spec) {
                return Err(unsupported(&full, &location));
            }
            super::resolve_git(&spec, git_ref, settings)?
        }
        Some(("file", path)) => from_file(Path::new(path), git_ref, settings)?,
        _ => return Err(unsupported(&full, &location)),
    };
    if resolved.source.url.is_none() {
        resolved.source.dir = Some(location);
    }
    Ok(resolved)
}

fn unsupported(full: &str, location: &str) -> Error {
    Error::usage(format!(
        "`{full}` lives at `{location}`, which golden cannot fetch templates from"
    ))
    .hint("golden follows `url:` locations of git repositories (…/tree/REF/PATH, …/blob/REF/PATH) and `file:` locations")
}

fn location_of(entity: &Value) -> Option<String> {
    let ann = entity.pointer("/metadata/annotations")?;
    [
        "backstage.io/source-location",
        "backstage.io/managed-by-location",
    ]
    .iter()
    .find_map(|k| ann.get(*k).and_then(Value::as_str))
    .map(str::to_string)
}

/// A source location's folder URL (`…/blob/main/x/`) read as the tree it is.
fn tree_url(target: &str) -> String {
    if let Some((head, tail)) = target.split_once("/blob/") {
        if target.ends_with('/') {
            return format!("{head}/tree/{}", tail.trim_end_matches('/'));
        }
    }
    target.trim_end_matches('/').to_string()
}

/// A `file:` location: the template file (or its folder).
fn from_file(path: &Path, git_ref: Option<&str>, settings: &FetchSettings<'_>) -> Result<Resolved> {
    let file = if path.is_dir() {
        path.join("template.yaml")
    } else {
        path.to_path_buf()
    };
    let real = std::fs::canonicalize(&file).map_err(|e| Error::io("cannot read", &file, e))?;
    // Inside a git working tree: fetch the repository, so the record names a commit.
    if let Ok(repo) = git2::Repository::discover(real.parent().unwrap_or(Path::new("/"))) {
        if let Some(work) = repo.workdir().and_then(|w| std::fs::canonicalize(w).ok()) {
            if let Ok(rel) = real.strip_prefix(&work) {
                let dir = rel.parent().map(PathBuf::from).unwrap_or_default();
                let name = rel.file_name().map(|n| n.to_string_lossy().to_string());
                let url = url::Url::from_file_path(&work)
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                let head = repo
                    .head()
                    .ok()
                    .filter(|h| h.is_branch())
                    .and_then(|h| h.shorthand().ok().map(str::to_string));
                let src = super::source::GitSource {
                    url,
                    subpath: dir
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().to_string())
                        .collect::<Vec<_>>()
                        .join("/"),
                    file: name.unwrap_or_else(|| "template.yaml".into()),
                    reference: git_ref.map(str::to_string).or(head),
                };
                let got = settings
                    .fetcher()
                    .checkout(&src.url, src.reference.as_deref(), false)?;
                return super::from_fetched(&src, got);
            }
        }
    }
    if git_ref.is_some() {
        return Err(Error::usage(format!(
            "--ref needs a git repository; `{}` is not in one",
            real.display()
        )));
    }
    Ok(Resolved {
        source: super::local_ref(&real, None, true),
        path: real,
        root: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_refs_and_source_locations() {
        assert!(is_catalog_ref("template:default/go-service"));
        assert!(is_catalog_ref("Template:x"));
        assert!(!is_catalog_ref("templates/x"));
        assert!(!is_catalog_ref("https://h/template:x"));
        assert_eq!(
            tree_url("https://github.com/acme/t/blob/main/svc/"),
            "https://github.com/acme/t/tree/main/svc"
        );
        assert_eq!(
            tree_url("https://github.com/acme/t/tree/main/svc/"),
            "https://github.com/acme/t/tree/main/svc"
        );
    }
}
