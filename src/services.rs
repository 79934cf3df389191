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
}

/// golden's data directory: `GOLDEN_HOME`, else `<data dir>/golden`.
pub fn home() -> PathBuf {
    match std::env::var(crate::env_vars::HOME) {
        Ok(h) if !h.is_empty() => PathBuf::from(h),
        _ => dirs::data_dir().unwrap_or_else(std::env::temp_dir).join("golden"),
    }
}
