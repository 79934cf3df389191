//! Shared helpers for the integration tests.

use std::path::PathBuf;

/// The golden binary under test.
pub fn golden() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_golden"));
    cmd.env_remove("CI")
        .env_remove("GOLDEN_TEMPLATE_PATH")
        .env("NO_COLOR", "1");
    cmd
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
