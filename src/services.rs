//! Services: the outside world handed to actions (settings, the publisher, the catalog).
//! Tests substitute fakes by building a `Services` with other parts.

use std::path::PathBuf;

/// The bundle of integrations a run uses.
#[derive(Default)]
pub struct Services {
    /// golden's data directory (`GOLDEN_HOME`, else the platform's data directory): the local
    /// forge and catalog live here.
    pub home: PathBuf,
    /// Publish to the local forge instead of GitHub.
    pub local: bool,
}
