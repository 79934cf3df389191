//! What a template source string names when it is a git repository rather than a folder:
//!
//! - `https://github.com/O/R/tree/REF/PATH` and `…/blob/REF/PATH/template.yaml` (the URLs
//!   Backstage registers templates with; any host, so GitHub Enterprise works too);
//! - `URL//SUBDIR?ref=REF` for any git URL (`https://host/o/r.git//go-service?ref=v2`,
//!   `file:///srv/templates.git//go-service`, `git@host:o/r.git//go-service?ref=main`): the part
//!   after `//` is the template's folder inside the repository, `ref` a branch, tag or commit;
//! - a plain git URL (`https://…/r.git`, `ssh://…`, `git://…`, `file://…`, scp-like
//!   `git@host:o/r.git`): the template is at the repository's root.

use crate::error::{Error, Result};

/// A template in a git repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitSource {
    /// The repository's git URL (what is fetched and recorded).
    pub url: String,
    /// The template's folder inside the repository (`""`: the root), `/`-separated.
    pub subpath: String,
    /// The template file's name inside `subpath` (`template.yaml` unless a blob URL names another).
    pub file: String,
    /// The branch, tag or commit to use (`None`: the repository's default branch).
    pub reference: Option<String>,
}

/// Whether `s` is a git URL golden fetches rather than a path or a template name.
pub fn is_git(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    [
        "https://",
        "http://",
        "file://",
        "ssh://",
        "git://",
        "git+ssh://",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
        || scp_like(s)
}

/// `user@host:path` (git's scp-like syntax): an `@` before the first `:`, no `/` before it.
fn scp_like(s: &str) -> bool {
    let Some((head, rest)) = s.split_once(':') else {
        return false;
    };
    head.contains('@') && !head.contains('/') && !rest.starts_with("//") && !rest.is_empty()
}

/// Parses a git template source. `reference` (from `--ref`) wins over one in the string.
pub fn parse(s: &str, reference: Option<&str>) -> Result<GitSource> {
    let bad = |why: &str| {
        Error::usage(format!("cannot read the template source `{s}`: {why}")).hint(
            "use `https://github.com/OWNER/REPO/tree/REF/PATH`, `GIT_URL//PATH?ref=REF`, or a local folder",
        )
    };
    let (body, query_ref) = split_query(s).map_err(|w| bad(&w))?;
    let (repo, subpath) = split_subpath(body);
    let mut src = GitSource {
        url: repo.trim_end_matches('/').to_string(),
        subpath: clean_subpath(subpath).map_err(|w| bad(&w))?,
        file: "template.yaml".into(),
        reference: query_ref,
    };
    if subpath.is_empty() {
        if let Some(web) = web_url(repo) {
            src = GitSource {
                reference: Some(web.reference),
                subpath: clean_subpath(&web.path).map_err(|w| bad(&w))?,
                url: web.url,
                file: "template.yaml".into(),
            };
            if web.blob {
                let (dir, file) = match src.subpath.rsplit_once('/') {
                    Some((d, f)) => (d.to_string(), f.to_string()),
                    None => (String::new(), src.subpath.clone()),
                };
                if file.is_empty() {
                    return Err(bad("a blob URL must name the template file"));
                }
                src.subpath = dir;
                src.file = file;
            }
        }
    }
    if let Some(r) = reference {
        src.reference = Some(r.to_string());
    }
    if src.url.is_empty() {
        return Err(bad("no repository URL"));
    }
    Ok(src)
}

/// `URL?ref=REF` → the URL and the (percent-decoded) ref; any other query is refused.
fn split_query(s: &str) -> std::result::Result<(&str, Option<String>), String> {
    let Some((body, query)) = s.split_once('?') else {
        return Ok((s, None));
    };
    let mut reference = None;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("ref", v)) if !v.is_empty() => {
                let v = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
                reference = Some(v.to_string());
            }
            _ => return Err(format!("unknown query `{pair}` (only `ref=` is read)")),
        }
    }
    Ok((body, reference))
}

/// `URL//SUBDIR` → the repository URL and the sub-path (`""` when there is none). The scheme's
/// own `//` is not the separator.
fn split_subpath(body: &str) -> (&str, &str) {
    let after_scheme = body.find("://").map(|i| i + 3).unwrap_or(0);
    let Some(i) = body[after_scheme..].find("//") else {
        return (body, "");
    };
    let at = after_scheme + i;
    // file:///x has its path's leading `/` right after the scheme
    if at == after_scheme && body[..after_scheme].eq_ignore_ascii_case("file://") {
        match body[at + 1..].find("//") {
            Some(j) => (&body[..at + 1 + j], &body[at + 1 + j + 2..]),
            None => (body, ""),
        }
    } else {
        (&body[..at], &body[at + 2..])
    }
}

struct Web {
    url: String,
    reference: String,
    path: String,
    blob: bool,
}

/// `https://HOST/O/R/tree|blob/REF[/PATH]` → the clone URL, the ref and the path.
fn web_url(s: &str) -> Option<Web> {
    let u = url::Url::parse(s).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let segs: Vec<&str> = u.path_segments()?.collect();
    if segs.len() < 4 || !matches!(segs[2], "tree" | "blob") || segs[3].is_empty() {
        return None;
    }
    let mut base = u.clone();
    base.set_path(&format!(
        "/{}/{}.git",
        segs[0],
        segs[1].trim_end_matches(".git")
    ));
    base.set_query(None);
    base.set_fragment(None);
    let decode = |x: &str| {
        percent_encoding::percent_decode_str(x)
            .decode_utf8_lossy()
            .to_string()
    };
    Some(Web {
        url: base.to_string(),
        reference: decode(segs[3]),
        path: segs[4..]
            .iter()
            .map(|p| decode(p))
            .collect::<Vec<_>>()
            .join("/"),
        blob: segs[2] == "blob",
    })
}

/// A sub-path without `.`, empty parts or `..` (it may not leave the repository).
fn clean_subpath(p: &str) -> std::result::Result<String, String> {
    let mut parts = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(format!("the sub-path `{p}` leaves the repository")),
            x => parts.push(x),
        }
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> GitSource {
        parse(s, None).unwrap()
    }

    #[test]
    fn github_tree_and_blob_urls() {
        let s = p("https://github.com/acme/templates/tree/main/go-service");
        assert_eq!(s.url, "https://github.com/acme/templates.git");
        assert_eq!(s.subpath, "go-service");
        assert_eq!(s.reference.as_deref(), Some("main"));
        assert_eq!(s.file, "template.yaml");
        let s = p("https://github.com/acme/templates/blob/v2/go-service/tpl.yaml");
        assert_eq!(s.subpath, "go-service");
        assert_eq!(s.file, "tpl.yaml");
        assert_eq!(s.reference.as_deref(), Some("v2"));
        let s = p("https://github.com/acme/templates/tree/main");
        assert_eq!(s.subpath, "");
    }

    #[test]
    fn double_slash_sub_paths_and_refs() {
        let s = p("https://host/acme/templates.git//go-service?ref=v2");
        assert_eq!(s.url, "https://host/acme/templates.git");
        assert_eq!(s.subpath, "go-service");
        assert_eq!(s.reference.as_deref(), Some("v2"));
        let s = p("file:///srv/t.git//a/b");
        assert_eq!(s.url, "file:///srv/t.git");
        assert_eq!(s.subpath, "a/b");
        let s = p("file:///srv/t.git");
        assert_eq!(
            (s.url.as_str(), s.subpath.as_str()),
            ("file:///srv/t.git", "")
        );
        let s = p("git@host:acme/templates.git//svc?ref=main");
        assert_eq!(s.url, "git@host:acme/templates.git");
        assert_eq!(s.subpath, "svc");
        let s = parse("git@host:acme/t.git", Some("abc123")).unwrap();
        assert_eq!(s.reference.as_deref(), Some("abc123"), "--ref wins");
        assert!(parse("https://h/r.git//../x", None).is_err());
        assert!(parse("https://h/r.git?depth=1", None).is_err());
    }

    #[test]
    fn tells_git_urls_from_paths() {
        assert!(is_git("git@github.com:acme/t.git"));
        assert!(is_git("https://github.com/a/b"));
        assert!(is_git("file:///tmp/x"));
        assert!(!is_git("./templates/x"));
        assert!(!is_git("go-microservice"));
        assert!(!is_git("template:default/x"));
        assert!(!is_git("C:/x"));
    }
}
