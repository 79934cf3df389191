//! The hermetic test context every integration test runs golden in: its own `HOME`,
//! `GOLDEN_HOME`, `TMPDIR` and (empty) config file, no `GOLDEN_*`, `CI`, tokens, proxies or XDG
//! directories from the developer's environment, no colours. [`golden`] runs in a context shared
//! by the test process; [`TestContext::new`] gives a test one of its own.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Variables removed from every golden run (besides `GOLDEN_*`, removed by prefix).
const CLEARED: &[&str] = &[
    "CI",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GITLAB_TOKEN",
    "BACKSTAGE_TOKEN",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_CACHE_HOME",
    "CLICOLOR_FORCE",
];

/// A folder holding a run's surroundings: `home/` (GOLDEN_HOME, not created), `user-home/` (HOME),
/// `tmp/` (TMPDIR), `work/` (a place to run in) and `config.yaml` (empty).
pub struct TestContext {
    dir: tempfile::TempDir,
}

impl Default for TestContext {
    fn default() -> Self {
        Self::new()
    }
}

impl TestContext {
    pub fn new() -> TestContext {
        Self::in_dir(tempfile::tempdir().unwrap())
    }

    fn in_dir(dir: tempfile::TempDir) -> TestContext {
        // `home/` is left for golden to create (tests check what it creates there)
        for sub in ["user-home", "tmp", "work"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        std::fs::write(dir.path().join("config.yaml"), "").unwrap();
        TestContext { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// GOLDEN_HOME: the local forge and catalog.
    pub fn home(&self) -> PathBuf {
        self.path().join("home")
    }

    /// A directory to run golden in.
    pub fn work(&self) -> PathBuf {
        self.path().join("work")
    }

    /// The empty config file GOLDEN_CONFIG names.
    pub fn config(&self) -> PathBuf {
        self.path().join("config.yaml")
    }

    /// Writes `text` to `name` inside the context (parents created); returns the path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Sets up `cmd`'s environment: cleared of the developer's settings, pointed at this
    /// context's folders.
    pub fn apply(&self, cmd: &mut std::process::Command) {
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("GOLDEN_") {
                cmd.env_remove(key);
            }
        }
        for key in CLEARED {
            cmd.env_remove(key);
        }
        cmd.env("HOME", self.path().join("user-home"))
            .env("TMPDIR", self.path().join("tmp"))
            .env("GOLDEN_HOME", self.home())
            .env("GOLDEN_CONFIG", self.config())
            .env("NO_COLOR", "1");
    }

    /// The golden binary under test, in this context.
    pub fn golden(&self) -> assert_cmd::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_golden"));
        self.apply(&mut cmd);
        assert_cmd::Command::from_std(cmd)
    }
}

/// The context shared by the tests of this process: a fresh folder under CARGO_TARGET_TMPDIR,
/// cargo's scratch space for integration tests.
pub fn shared() -> &'static TestContext {
    static SHARED: OnceLock<TestContext> = OnceLock::new();
    SHARED.get_or_init(|| {
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        std::fs::create_dir_all(&base).unwrap();
        TestContext::in_dir(tempfile::tempdir_in(base).unwrap())
    })
}

/// The golden binary under test, in the shared hermetic context.
pub fn golden() -> assert_cmd::Command {
    shared().golden()
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
