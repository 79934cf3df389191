//! Every environment variable golden reads, named once.

/// Extra template directories (`:`-separated) searched by name.
pub const TEMPLATE_PATH: &str = "GOLDEN_TEMPLATE_PATH";
/// golden's data directory (local forge and catalog).
pub const HOME: &str = "GOLDEN_HOME";
/// Prefix of variables that set parameter values (`GOLDEN_VALUE_NAME=demo`).
pub const VALUE_PREFIX: &str = "GOLDEN_VALUE_";
/// Set by CI systems: never prompt.
pub const CI: &str = "CI";
/// The config file (overridden by `--config`).
pub const CONFIG: &str = "GOLDEN_CONFIG";
/// GitHub tokens for github.com (after the config file's `integrations.github[].token`).
pub const GITHUB_TOKEN: &str = "GITHUB_TOKEN";
pub const GH_TOKEN: &str = "GH_TOKEN";
/// The GitLab token for gitlab.com (after the config file's `integrations.gitlab[].token`).
pub const GITLAB_TOKEN: &str = "GITLAB_TOKEN";
/// The Backstage token for the catalog (after the config file's `catalog.backstage.token`).
pub const BACKSTAGE_TOKEN: &str = "BACKSTAGE_TOKEN";
/// The Node.js program that runs action modules from npm (default `node` on PATH).
pub const NODE: &str = "GOLDEN_NODE";
/// Any non-empty value turns colour off (unless `--color always`).
pub const NO_COLOR: &str = "NO_COLOR";
/// Tests only: `N:DIR` makes a local-forge creation wait, after finding its name free, until N
/// runs have (`forge::RaceBarrier`), to show that concurrent runs create a name exactly once.
pub const TEST_FORGE_RACE: &str = "GOLDEN_TEST_FORGE_RACE";
/// The proxy variables git honours (either case), read for git's network operations.
pub const PROXIES: &[&str] = &[
    "https_proxy",
    "HTTPS_PROXY",
    "http_proxy",
    "HTTP_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];
