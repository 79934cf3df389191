//! Services: the outside world handed to actions (settings, the publisher, the catalog).
//! Tests substitute fakes by building a `Services` with other parts.

use std::path::PathBuf;

use crate::config::Config;

/// The bundle of integrations a run uses.
#[derive(Default)]
pub struct Services {
    /// golden's data directory (`GOLDEN_HOME`, else the platform's data directory): the local
    /// forge and catalog live here.
    pub home: PathBuf,
    /// Publish to the local forge instead of GitHub.
    pub local: bool,
    /// The loaded configuration file.
    pub config: Config,
    /// Repositories published so far in this run (real or predicted), so that `catalog:register`
    /// can find the catalog file that was pushed.
    pub published: std::sync::Mutex<Vec<Published>>,
}

/// A repository a publish step created (or, in a dry run, would create).
#[derive(Debug, Clone)]
pub struct Published {
    /// `https://HOST/OWNER/REPO/blob/BRANCH`.
    pub repo_contents_url: String,
    /// The workspace folder whose files became the repository (`sourcePath` applied).
    pub source_dir: PathBuf,
}

/// golden's data directory: `GOLDEN_HOME`, else `<data dir>/golden`.
pub fn home() -> PathBuf {
    match std::env::var(crate::env_vars::HOME) {
        Ok(h) if !h.is_empty() => PathBuf::from(h),
        _ => dirs::data_dir().unwrap_or_else(std::env::temp_dir).join("golden"),
    }
}
