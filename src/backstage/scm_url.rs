//! SCM URL resolution as `@backstage/integration` does it: `defaultScmResolveUrl` (a path
//! against a repository contents URL: absolute paths from the repository root after
//! `blob|tree|edit|raw/<ref>`, relative ones as URL joins, the base's query kept) and GitHub's
//! `replaceGithubUrlType` (`blob` → `tree`). Used by `catalog:register` (real and predicted).

/// `defaultScmResolveUrl({base, url})` of `@backstage/integration`.
pub fn resolve(base: &str, url: &str) -> Result<String, String> {
    if url::Url::parse(url).is_ok() {
        return Ok(url.to_string());
    }
    let base_url = url::Url::parse(base).map_err(|e| format!("Invalid URL {base}: {e}"))?;
    let mut updated = if url.starts_with('/') {
        let mut u = base_url.clone();
        let pathname = base_url.path().to_string();
        let filepath = git_url_filepath(&pathname);
        let root = pathname[..pathname.len() - filepath.len()]
            .trim_end_matches('/')
            .to_string();
        u.set_path(&format!("{root}{url}"));
        // The URL setter resolves `.` and `..` segments, as WHATWG's pathname setter does.
        url::Url::parse(u.as_str()).unwrap_or(u)
    } else {
        base_url
            .join(url)
            .map_err(|e| format!("cannot resolve `{url}` against {base}: {e}"))?
    };
    updated.set_query(base_url.query());
    Ok(updated.to_string())
}

/// git-url-parse's `filepath` for `/owner/repo/(blob|tree|edit)/ref/path...` (else empty).
fn git_url_filepath(pathname: &str) -> &str {
    let segs: Vec<(usize, &str)> = pathname
        .match_indices('/')
        .map(|(i, _)| i)
        .zip(pathname.split('/').skip(1))
        .collect();
    // segs[k] = (start of "/seg", seg)
    if segs.len() > 4 && matches!(segs[2].1, "blob" | "tree" | "edit" | "raw") {
        let start = segs[4].0 + 1;
        return &pathname[start..];
    }
    ""
}

/// `replaceGithubUrlType(url, type)`.
pub fn github_url_type(url: &str, kind: &str) -> String {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let r = R.get_or_init(|| {
        regex::Regex::new(r"//([^/]+)/([^/]+)/([^/]+)/(blob|tree|edit)/").expect("valid regex")
    });
    r.replacen(url, 1, |c: &regex::Captures<'_>| {
        format!("//{}/{}/{}/{kind}/", &c[1], &c[2], &c[3])
    })
    .into_owned()
}

/// `integration.resolveUrl({base, url})`: [`resolve`], then GitHub integrations turn `blob`
/// into `tree`.
pub fn resolve_for(base: &str, url: &str, github: bool) -> Result<String, String> {
    let resolved = resolve(base, url)?;
    Ok(if github {
        github_url_type(&resolved, "tree")
    } else {
        resolved
    })
}
