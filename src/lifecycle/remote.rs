//! Remote `url`s in `fetch:template`, `fetch:plain` and `fetch:*:file`
//! (`https://github.com/o/r/tree/main/x`, `…/blob/main/x/file`): read through the template
//! fetcher (git, cached per commit) with Backstage's URL-reader rules: only hosts with a GitHub
//! integration (github.com, or an `integrations.github[]` entry of the config) are read, with
//! that integration's token; any other host is refused with Backstage's message.

use std::path::PathBuf;

use crate::config::Config;
use crate::runner::ActionError;
use crate::services::RemoteReader;

/// The remote reader of a run: the template fetcher with the run's config.
pub struct Reader {
    pub home: PathBuf,
    pub config: Config,
    pub proxies: crate::git::Proxies,
}

impl RemoteReader for Reader {
    fn read(&self, url: &str) -> Result<PathBuf, crate::error::Error> {
        resolve(self, url).map_err(|e| {
            let mut out = crate::error::Error::step(e.message.clone());
            for h in &e.hints {
                out = out.hint(h.clone());
            }
            out.caused_by(e)
        })
    }
}

/// Fetches `url` and returns the local folder (tree URL) or file (blob URL) it names.
fn resolve(services: &Reader, url: &str) -> Result<PathBuf, ActionError> {
    let parsed =
        url::Url::parse(url).map_err(|e| ActionError::new(format!("cannot fetch `{url}`: {e}")))?;
    let host = crate::backstage::repo_url::host_of(&parsed)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let integrated = matches!(parsed.scheme(), "http" | "https")
        && (host == "github.com" || services.config.github(&host).is_some());
    if !integrated {
        return Err(ActionError::new(format!(
            "Reading from '{url}' is not allowed. You may need to configure an integration for the target host, or add it to the configured list of allowed hosts at 'backend.reading.allow'"
        ))
        .with_hint(format!(
            "golden reads remote skeletons from GitHub hosts: add `{host}` under `integrations.github` in golden's config, or copy the skeleton next to the template"
        )));
    }
    let src = super::source::parse(url, None).map_err(|e| ActionError::new(e.message))?;
    if src.reference.is_none() {
        return Err(ActionError::new(format!(
            "cannot fetch `{url}`: golden reads remote skeletons from `…/tree/REF/PATH` and `…/blob/REF/PATH` URLs"
        )));
    }
    let fetcher = super::fetch::Fetcher::new(
        &services.home,
        false,
        services.config.clone(),
        services.proxies.clone(),
    );
    let got = fetcher
        .checkout(&src.url, src.reference.as_deref(), false)
        .map_err(|e| ActionError::new(e.message))?;
    let mut path = got.dir.clone();
    if !src.subpath.is_empty() {
        path = path.join(&src.subpath);
    }
    // A blob URL names a file: `parse` split it into folder and file.
    if url.contains("/blob/") {
        path = path.join(&src.file);
    }
    if !path.exists() {
        return Err(ActionError::new(format!(
            "cannot fetch `{url}`: the repository has no such path at {}",
            &got.commit[..12.min(got.commit.len())]
        )));
    }
    Ok(path)
}
