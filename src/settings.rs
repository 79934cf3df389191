//! Settings: the one place golden reads its surroundings. [`Environment::capture`] takes a
//! snapshot of the process environment (`GOLDEN_*`, `CI`, `NO_COLOR`, tokens, proxies, the
//! terminals, the current directory, the platform's directories) once, at start-up; [`resolve`]
//! loads the config file (once) and turns the parsed command line plus that snapshot into plain
//! per-command settings ([`NewSettings`], [`ValidateSettings`], [`CatalogSettings`]).
//!
//! No other module reads environment variables, asks whether a stream is a terminal, reads the
//! current directory or loads the config file: they get the values from here (the ripgrep
//! "low args → high args" and uv `Settings::resolve` habit). Like `cli`, this module sits at the
//! top of the pipeline and depends only on leaf modules.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::cli::{self, CatalogCommand, ColorChoice, Command};
use crate::config::{Config, Secret};
use crate::env_vars;
use crate::error::{Error, Result};

/// A snapshot of the process environment, taken once.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    vars: BTreeMap<String, String>,
    /// The current directory when golden started.
    pub cwd: PathBuf,
    pub stdin_is_terminal: bool,
    pub stdout_is_terminal: bool,
    pub stderr_is_terminal: bool,
    /// The platform's config directory (`~/.config` on Linux).
    pub config_dir: Option<PathBuf>,
    /// The platform's data directory (`~/.local/share` on Linux).
    pub data_dir: Option<PathBuf>,
    /// The directory for temporary files.
    pub temp_dir: PathBuf,
    /// This binary.
    pub current_exe: Option<PathBuf>,
}

impl Environment {
    /// Reads the environment: the only call in golden that does.
    pub fn capture() -> Environment {
        Environment {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            cwd: std::env::current_dir().unwrap_or_default(),
            stdin_is_terminal: std::io::stdin().is_terminal(),
            stdout_is_terminal: std::io::stdout().is_terminal(),
            stderr_is_terminal: std::io::stderr().is_terminal(),
            config_dir: dirs::config_dir(),
            data_dir: dirs::data_dir(),
            temp_dir: std::env::temp_dir(),
            current_exe: std::env::current_exe().ok(),
        }
    }

    /// A snapshot with the given variables and nothing else (tests).
    pub fn from_vars<'a>(vars: impl IntoIterator<Item = (&'a str, &'a str)>) -> Environment {
        Environment {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Environment::default()
        }
    }

    /// A variable's value (unset and non-UTF-8 variables are `None`).
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// A variable's value when set and not blank, trimmed.
    fn non_blank(&self, name: &str) -> Option<&str> {
        self.var(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// `CI` is set (and not `0` or `false`).
    pub fn ci(&self) -> bool {
        self.var(env_vars::CI)
            .is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
    }

    /// golden's data directory: `GOLDEN_HOME`, else `<data dir>/golden`; always absolute (the
    /// local forge's `file://` URLs must be valid from anywhere).
    pub fn home(&self) -> PathBuf {
        let home = match self.var(env_vars::HOME) {
            Some(h) if !h.is_empty() => PathBuf::from(h),
            _ => self
                .data_dir
                .clone()
                .unwrap_or_else(|| self.temp_dir.clone())
                .join("golden"),
        };
        if home.is_absolute() {
            home
        } else {
            self.cwd.join(home)
        }
    }

    /// Where templates are searched by name: `./templates`, then `GOLDEN_TEMPLATE_PATH`.
    pub fn template_search_path(&self) -> Vec<PathBuf> {
        let mut dirs = vec![PathBuf::from("templates")];
        if let Some(v) = self.var(env_vars::TEMPLATE_PATH) {
            dirs.extend(std::env::split_paths(v));
        }
        dirs
    }

    /// `GOLDEN_VALUE_<NAME>=value` pairs, `NAME` as written in the variable.
    pub fn value_vars(&self) -> Vec<(String, String)> {
        self.vars
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix(env_vars::VALUE_PREFIX)
                    .map(|n| (n.to_string(), v.clone()))
            })
            .collect()
    }

    /// What starting other programs needs: PATH's directories, the current directory, the
    /// Node.js program (`GOLDEN_NODE`).
    pub fn programs(&self) -> Programs {
        Programs {
            path: self
                .var("PATH")
                .map(|p| std::env::split_paths(p).collect())
                .unwrap_or_default(),
            cwd: self.cwd.clone(),
            node: self.non_blank(env_vars::NODE).map(PathBuf::from),
        }
    }

    /// The proxy variables git honours (`https_proxy`, `no_proxy`, ... in either case).
    pub fn proxies(&self) -> crate::git::Proxies {
        crate::git::Proxies::new(
            env_vars::PROXIES
                .iter()
                .filter_map(|k| self.var(k).map(|v| (k.to_string(), v.to_string()))),
        )
    }

    /// `NO_COLOR` is set to anything but the empty string.
    pub fn no_color(&self) -> bool {
        self.var(env_vars::NO_COLOR).is_some_and(|v| !v.is_empty())
    }

    /// Where the config file is: `--config`, else `GOLDEN_CONFIG`, else
    /// `<config dir>/golden/config.yaml` when it exists.
    pub fn config_path(&self, flag: Option<&Path>) -> Option<PathBuf> {
        if let Some(p) = flag {
            return Some(p.to_path_buf());
        }
        if let Some(p) = self.var(env_vars::CONFIG).filter(|p| !p.is_empty()) {
            return Some(PathBuf::from(p));
        }
        self.config_dir
            .as_ref()
            .map(|d| d.join("golden").join("config.yaml"))
            .filter(|p| p.is_file())
    }

    /// Replaces `${VAR}` with the variable's value (empty when unset).
    pub fn expand(&self, text: &str) -> String {
        let re = regex::Regex::new(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}").expect("valid regex");
        re.replace_all(text, |c: &regex::Captures<'_>| {
            self.var(&c[1]).unwrap_or_default().to_string()
        })
        .into_owned()
    }

    /// Loads the config file (see [`Environment::config_path`]), or the defaults when there is
    /// none; tokens the environment gives (`GITHUB_TOKEN`, `GH_TOKEN`, `GITLAB_TOKEN`, `BACKSTAGE_TOKEN`) are
    /// filled in where the file has none.
    pub fn load_config(
        &self,
        flag: Option<&Path>,
        redactor: &crate::redact::Redactor,
    ) -> Result<Config> {
        let mut config = match self.config_path(flag) {
            Some(path) => {
                let mut c = read_config(&path, self)?;
                c.source = Some(path);
                c
            }
            None => Config::default(),
        };
        config.env_github_token = [env_vars::GITHUB_TOKEN, env_vars::GH_TOKEN]
            .iter()
            .find_map(|k| self.non_blank(k))
            .map(|t| Secret(t.to_string()));
        config.env_gitlab_token = self
            .non_blank(env_vars::GITLAB_TOKEN)
            .map(|t| Secret(t.to_string()));
        if let Some(b) = config.catalog.backstage.as_mut() {
            if b.token.as_ref().is_none_or(|t| t.0.trim().is_empty()) {
                b.token = self
                    .non_blank(env_vars::BACKSTAGE_TOKEN)
                    .map(|t| Secret(t.to_string()));
            }
        }
        // Every token golden may hold is masked wherever golden writes text.
        config.redactor = redactor.clone();
        config.register_secrets();
        for k in [
            env_vars::GITHUB_TOKEN,
            env_vars::GH_TOKEN,
            env_vars::BACKSTAGE_TOKEN,
        ] {
            if let Some(t) = self.non_blank(k) {
                redactor.register(t);
            }
        }
        Ok(config)
    }
}

fn read_config(path: &Path, env: &Environment) -> Result<Config> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::usage(format!(
            "cannot read the config file `{}`: {e}",
            path.display()
        ))
    })?;
    let mut docs = crate::template::yaml::parse_documents(&env.expand(&text)).map_err(|e| {
        Error::usage(format!("the config file is not valid YAML: {}", e.message))
            .at(crate::error::Location::file(path, e.pos.line, e.pos.column))
    })?;
    if docs.len() > 1 {
        return Err(Error::usage(format!(
            "the config file `{}` holds {} YAML documents; it must hold one",
            path.display(),
            docs.len()
        )));
    }
    let Some(doc) = docs.pop() else {
        return Ok(Config::default());
    };
    if doc.value.is_null() {
        return Ok(Config::default());
    }
    let value = crate::config::checked(doc, path)?;
    serde_json::from_value(value).map_err(|e| {
        Error::usage(format!(
            "the config file `{}` is invalid: {e}",
            path.display()
        ))
    })
}

/// libgit2's network timeouts (set once per process by `git::set_timeouts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GitTimeouts {
    /// To connect to a server, in milliseconds.
    pub connect_ms: i32,
    /// For any read or write, in milliseconds.
    pub io_ms: i32,
}

impl GitTimeouts {
    /// 15 s to connect, 60 s for any read or write (libgit2 has no bound by default, so a silent
    /// server would hang the run).
    pub const DEFAULT: GitTimeouts = GitTimeouts {
        connect_ms: 15_000,
        io_ms: 60_000,
    };
}

/// How much to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// What the printer needs: verbosity, whether to colour each stream, whether stderr can show
/// a spinner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputSettings {
    pub verbosity: Verbosity,
    pub color_stdout: bool,
    pub color_stderr: bool,
    /// stderr is a terminal (spinners and prompts draw there).
    pub stderr_is_terminal: bool,
}

impl OutputSettings {
    /// `-q`, `-v`, `--color` and `NO_COLOR` (`--color always` wins over `NO_COLOR`).
    pub fn resolve(global: &cli::GlobalArgs, env: &Environment) -> OutputSettings {
        let verbosity = if global.quiet {
            Verbosity::Quiet
        } else if global.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        };
        let auto = |tty: bool| tty && !env.no_color() && env.var("TERM") != Some("dumb");
        let (color_stdout, color_stderr) = match global.color {
            ColorChoice::Always => (true, true),
            ColorChoice::Never => (false, false),
            ColorChoice::Auto => (auto(env.stdout_is_terminal), auto(env.stderr_is_terminal)),
        };
        OutputSettings {
            verbosity,
            color_stdout,
            color_stderr,
            stderr_is_terminal: env.stderr_is_terminal,
        }
    }
}

/// Whether golden may ask, and if not, why (named in the missing-values error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Interactive,
    NonInteractive(String),
}

impl Mode {
    /// `--no-input`, `CI`, then stdin and stderr must both be terminals.
    pub fn resolve(no_input: bool, env: &Environment) -> Mode {
        if no_input {
            Mode::NonInteractive("--no-input was given".into())
        } else if env.ci() {
            Mode::NonInteractive("CI is set".into())
        } else if !env.stdin_is_terminal {
            Mode::NonInteractive("stdin is not a terminal".into())
        } else if !env.stderr_is_terminal {
            Mode::NonInteractive("stderr is not a terminal".into())
        } else {
            Mode::Interactive
        }
    }
}

/// Where values come from, in increasing precedence after schema defaults.
#[derive(Debug, Clone, Default)]
pub struct ValueSources {
    /// `--values FILE` (YAML or JSON), later files win.
    pub files: Vec<PathBuf>,
    /// `GOLDEN_VALUE_<NAME>=value` pairs (name as written in the variable).
    pub env: Vec<(String, String)>,
    /// `--set key=value`, later wins.
    pub set: Vec<String>,
    /// `--secrets FILE`.
    pub secrets: Option<PathBuf>,
    /// `--user FILE`.
    pub user: Option<PathBuf>,
}

impl ValueSources {
    /// The answers of a re-render (`link`, `update`): `--values` files, `--set` and the `env`
    /// pairs; never secrets or a user.
    fn answers(files: Vec<PathBuf>, set: Vec<String>, env: Vec<(String, String)>) -> ValueSources {
        ValueSources {
            files,
            env,
            set,
            secrets: None,
            user: None,
        }
    }
}

/// What starting other programs (external actions, the Node.js bridge) needs from the
/// surroundings.
#[derive(Debug, Clone, Default)]
pub struct Programs {
    /// PATH's directories, in order (`golden-action-<id>` executables are looked up here).
    pub path: Vec<PathBuf>,
    /// The current directory when golden started (relative paths of a config without a file).
    pub cwd: PathBuf,
    /// `GOLDEN_NODE`, if set.
    pub node: Option<PathBuf>,
}

impl Programs {
    /// The Node.js program: `GOLDEN_NODE`, else `node` (found on PATH when started).
    pub fn node(&self) -> PathBuf {
        self.node.clone().unwrap_or_else(|| PathBuf::from("node"))
    }
}

/// What integrations need from the surroundings: the config, golden's data directory, the
/// current directory (for relative catalog paths) and git's proxies.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub config: Config,
    /// golden's data directory (absolute): the local forge and catalog live here.
    pub home: PathBuf,
    /// The current directory when golden started.
    pub cwd: PathBuf,
    pub proxies: crate::git::Proxies,
    pub programs: Programs,
    /// The directory for temporary files (`TMPDIR`).
    pub temp_dir: PathBuf,
    /// Tests only: `GOLDEN_TEST_FORGE_RACE` (see `forge::RaceBarrier`).
    pub forge_race: Option<crate::forge::RaceBarrier>,
}

impl Context {
    fn resolve(config: Config, env: &Environment) -> Context {
        Context {
            config,
            home: env.home(),
            cwd: env.cwd.clone(),
            proxies: env.proxies(),
            programs: env.programs(),
            temp_dir: env.temp_dir.clone(),
            forge_race: env
                .var(env_vars::TEST_FORGE_RACE)
                .and_then(crate::forge::RaceBarrier::parse),
        }
    }

    /// The hosts the config names under `integrations.github` (for `parseRepoUrl` and the
    /// RepoUrlPicker).
    pub fn github_hosts(&self) -> Vec<String> {
        self.config.github_hosts()
    }
}

/// Where `golden new` leaves the repository it published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checkout {
    /// `./REPO` (the default).
    Default,
    /// `--checkout DIR`.
    Into(PathBuf),
    /// `--no-checkout`.
    No,
}

/// `golden new`, resolved.
#[derive(Debug, Clone)]
pub struct NewSettings {
    /// The TEMPLATE argument.
    pub template: String,
    pub search_path: Vec<PathBuf>,
    pub sources: ValueSources,
    pub mode: Mode,
    /// `--yes`: skip the summary and confirmation.
    pub yes: bool,
    /// `--save-values FILE`.
    pub save_values: Option<PathBuf>,
    /// `--strict`: values the template does not declare are errors, not warnings.
    pub strict: bool,
    /// `--replay`: start from the answers of the last run of this template.
    pub replay: bool,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--output DIR` (what `--dry-run` writes).
    pub output: Option<PathBuf>,
    /// `--json`.
    pub json: bool,
    /// `--local` or `local: true` in the config.
    pub local: bool,
    pub checkout: Checkout,
    /// `--ref`: the branch, tag or commit of a git template.
    pub reference: Option<String>,
    /// `--offline`: the template cache only.
    pub offline: bool,
    /// `--from-catalog`: TEMPLATE names a catalog Template entity.
    pub from_catalog: bool,
    /// `--record`: a dry run writes the record too.
    pub record: bool,
    pub context: Context,
    /// `--resume DIR`: the kept folder of a failed real run.
    pub resume: Option<PathBuf>,
}

/// `golden update`, resolved.
#[derive(Debug, Clone)]
pub struct UpdateSettings {
    pub dir: PathBuf,
    pub reference: Option<String>,
    pub sources: ValueSources,
    pub mode: Mode,
    pub force: bool,
    pub diff: bool,
    pub pr: bool,
    pub offline: bool,
    pub context: Context,
}

/// `golden check`, resolved.
#[derive(Debug, Clone)]
pub struct CheckSettings {
    pub dir: PathBuf,
    pub json: bool,
    pub offline: bool,
    pub context: Context,
}

/// `golden link`, resolved.
#[derive(Debug, Clone)]
pub struct LinkSettings {
    pub source: String,
    pub dir: PathBuf,
    pub reference: Option<String>,
    pub sources: ValueSources,
    pub mode: Mode,
    pub force: bool,
    pub offline: bool,
    pub context: Context,
}

/// `golden validate`, resolved.
#[derive(Debug, Clone)]
pub struct ValidateSettings {
    pub paths: Vec<PathBuf>,
    pub format: cli::Format,
    pub deny_warnings: bool,
    /// The config file (its `actions:` and `validate:`).
    pub config: Config,
    /// golden's data directory (the npm modules `golden actions add` installed).
    pub home: PathBuf,
    /// PATH (external actions) and Node.js (npm modules).
    pub programs: Programs,
    /// `--allow CODE`.
    pub allow: Vec<String>,
    /// `--deny CODE`.
    pub deny: Vec<String>,
}

/// `golden test`, resolved.
#[derive(Debug, Clone)]
pub struct TestSettings {
    pub paths: Vec<PathBuf>,
    pub bless: bool,
    pub no_run: bool,
    pub format: cli::TestFormat,
    /// This binary (the cases run it).
    pub golden_exe: Option<PathBuf>,
    /// Names of the `GOLDEN_VALUE_*` variables set (hidden from the cases).
    pub value_vars: Vec<String>,
}

/// `golden catalog`, resolved.
#[derive(Debug)]
pub struct CatalogSettings {
    pub command: CatalogCommand,
    pub context: Context,
}

/// A command with its settings.
#[derive(Debug)]
pub enum CommandSettings {
    New(Box<NewSettings>),
    List {
        search_path: Vec<PathBuf>,
        /// `--json`.
        json: bool,
    },
    Actions {
        command: Option<cli::ActionsCommand>,
        id: Option<String>,
        /// `--protocol`.
        protocol: bool,
        context: Box<Context>,
    },
    Catalog(CatalogSettings),
    Validate(ValidateSettings),
    /// `golden schema [template|record]`.
    Schema {
        which: Option<String>,
    },
    Update(Box<UpdateSettings>),
    Check(CheckSettings),
    Link(Box<LinkSettings>),
    Test(TestSettings),
    Completions(clap_complete::Shell),
    Man,
}

/// The paths given, or `.` when none are.
fn or_current_dir(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    }
}

/// Resolves a command's settings: loads the config file the command uses (once).
pub fn resolve(
    command: Command,
    env: &Environment,
    redactor: &crate::redact::Redactor,
) -> Result<CommandSettings> {
    let load = |flag: Option<&Path>| env.load_config(flag, redactor);
    Ok(match command {
        Command::New(args) => CommandSettings::New(Box::new(new_settings(args, env, redactor)?)),
        Command::List { json } => CommandSettings::List {
            json,
            search_path: env.template_search_path(),
        },
        Command::Actions(args) => CommandSettings::Actions {
            command: args.command,
            id: args.id,
            protocol: args.protocol,
            context: Box::new(Context::resolve(load(args.config.as_deref())?, env)),
        },
        Command::Catalog(args) => {
            let config = load(args.config.as_deref())?;
            CommandSettings::Catalog(CatalogSettings {
                command: args.command,
                context: Context::resolve(config, env),
            })
        }
        Command::Validate(args) => {
            let config = load(args.config.as_deref())?;
            CommandSettings::Validate(ValidateSettings {
                paths: or_current_dir(args.paths),
                format: args.format,
                deny_warnings: args.deny_warnings,
                config,
                home: env.home(),
                programs: env.programs(),
                allow: args.allow,
                deny: args.deny,
            })
        }
        Command::Schema { which } => CommandSettings::Schema { which },
        Command::Update(args) => {
            CommandSettings::Update(Box::new(update_settings(args, env, redactor)?))
        }
        Command::Check(args) => {
            let config = load(args.access.config.as_deref())?;
            CommandSettings::Check(CheckSettings {
                dir: args.dir.unwrap_or_else(|| PathBuf::from(".")),
                json: args.json,
                offline: args.access.offline,
                context: Context::resolve(config, env),
            })
        }
        Command::Link(args) => CommandSettings::Link(Box::new(link_settings(args, env, redactor)?)),
        Command::Completions { shell } => CommandSettings::Completions(shell),
        Command::Man => CommandSettings::Man,
        Command::Test(args) => CommandSettings::Test(TestSettings {
            paths: or_current_dir(args.paths),
            bless: args.bless,
            no_run: args.no_run,
            format: args.format,
            golden_exe: env.current_exe.clone(),
            value_vars: env
                .value_vars()
                .into_iter()
                .map(|(name, _)| format!("{}{name}", env_vars::VALUE_PREFIX))
                .collect(),
        }),
    })
}

/// `golden new`, resolved (its config loaded).
fn new_settings(
    args: cli::NewArgs,
    env: &Environment,
    redactor: &crate::redact::Redactor,
) -> Result<NewSettings> {
    let config = env.load_config(args.config.as_deref(), redactor)?;
    let checkout = match (args.checkout, args.no_checkout) {
        (_, true) => Checkout::No,
        (Some(dir), false) => Checkout::Into(dir),
        (None, false) => Checkout::Default,
    };
    Ok(NewSettings {
        template: args.template,
        search_path: env.template_search_path(),
        sources: ValueSources {
            files: args.values,
            env: env.value_vars(),
            set: args.set,
            secrets: args.secrets,
            user: args.user,
        },
        mode: Mode::resolve(args.no_input, env),
        yes: args.yes,
        save_values: args.save_values,
        strict: args.strict,
        replay: args.replay,
        dry_run: args.dry_run,
        resume: args.resume,
        output: args.output,
        json: args.json,
        local: args.local || config.local,
        checkout,
        reference: args.reference,
        offline: args.offline,
        from_catalog: args.from_catalog,
        record: args.record,
        context: Context::resolve(config, env),
    })
}

/// `golden update`, resolved (its config loaded).
fn update_settings(
    args: cli::UpdateArgs,
    env: &Environment,
    redactor: &crate::redact::Redactor,
) -> Result<UpdateSettings> {
    let config = env.load_config(args.access.config.as_deref(), redactor)?;
    let render = args.render;
    Ok(UpdateSettings {
        dir: args.dir.unwrap_or_else(|| PathBuf::from(".")),
        mode: Mode::resolve(render.no_input, env),
        reference: render.reference,
        sources: ValueSources::answers(render.values, render.set, env.value_vars()),
        force: args.force,
        diff: args.diff,
        pr: args.pr,
        offline: args.access.offline,
        context: Context::resolve(config, env),
    })
}

/// `golden link`, resolved (its config loaded).
fn link_settings(
    args: cli::LinkArgs,
    env: &Environment,
    redactor: &crate::redact::Redactor,
) -> Result<LinkSettings> {
    let config = env.load_config(args.access.config.as_deref(), redactor)?;
    let render = args.render;
    Ok(LinkSettings {
        source: args.source,
        dir: args.dir.unwrap_or_else(|| PathBuf::from(".")),
        mode: Mode::resolve(render.no_input, env),
        reference: render.reference,
        sources: ValueSources::answers(render.values, render.set, Vec::new()),
        force: args.force,
        offline: args.access.offline,
        context: Context::resolve(config, env),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_backstage_shaped_config_with_env_refs() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.yaml");
        std::fs::write(&p, "integrations:\n  github:\n    - host: ghe.example.com\n      apiBaseUrl: https://ghe.example.com/api/v3\n      token: ${GOLDEN_TEST_TOKEN_X}\ncatalog:\n  backstage:\n    baseUrl: http://127.0.0.1:7007\n").unwrap();
        let env = Environment::from_vars([("GOLDEN_TEST_TOKEN_X", "s3cret")]);
        let c = env.load_config(Some(&p), &Default::default()).unwrap();
        assert_eq!(c.integrations.github[0].token.as_ref().unwrap().0, "s3cret");
        assert!(
            !format!("{c:?}").contains("s3cret"),
            "tokens never appear in Debug output"
        );
        assert_eq!(
            c.catalog.backstage.as_ref().unwrap().base_url,
            "http://127.0.0.1:7007"
        );
        assert_eq!(
            c.github_api_base_url("GHE.example.com"),
            "https://ghe.example.com/api/v3"
        );
        assert_eq!(c.github_token("ghe.example.com").unwrap().0, "s3cret");
        assert_eq!(
            c.github_api_base_url("github.com"),
            "https://api.github.com"
        );
        assert_eq!(
            Config::default().github_api_base_url("git.corp"),
            "https://git.corp/api/v3"
        );
    }

    #[test]
    fn the_flag_wins_over_golden_config_and_env_tokens_fill_gaps() {
        let dir = tempfile::tempdir().unwrap();
        let flagged = dir.path().join("flag.yaml");
        std::fs::write(
            &flagged,
            "local: true\ncatalog:\n  backstage:\n    baseUrl: http://127.0.0.1:1\n",
        )
        .unwrap();
        let from_env = dir.path().join("env.yaml");
        std::fs::write(&from_env, "local: false\n").unwrap();
        let env = Environment::from_vars([
            ("GOLDEN_CONFIG", from_env.to_str().unwrap()),
            ("GH_TOKEN", " gh-token "),
            ("BACKSTAGE_TOKEN", "bs"),
        ]);
        let c = env
            .load_config(Some(&flagged), &Default::default())
            .unwrap();
        assert!(c.local);
        assert_eq!(c.env_github_token.as_ref().unwrap().0, "gh-token");
        assert_eq!(c.github_token("github.com").unwrap().0, "gh-token");
        assert_eq!(
            c.catalog.backstage.unwrap().token.unwrap().0,
            "bs",
            "BACKSTAGE_TOKEN fills a config without a token"
        );
        assert!(!env.load_config(None, &Default::default()).unwrap().local);
    }

    #[test]
    fn mode_and_colour_come_from_the_snapshot() {
        let mut env = Environment::from_vars([("CI", "true")]);
        env.stdin_is_terminal = true;
        env.stderr_is_terminal = true;
        assert_eq!(
            Mode::resolve(false, &env),
            Mode::NonInteractive("CI is set".into())
        );
        env.vars.insert("CI".into(), "false".into());
        assert_eq!(Mode::resolve(false, &env), Mode::Interactive);
        env.stdin_is_terminal = false;
        assert_eq!(
            Mode::resolve(false, &env),
            Mode::NonInteractive("stdin is not a terminal".into())
        );
        let global = |color| cli::GlobalArgs {
            quiet: false,
            verbose: false,
            color,
        };
        env.vars.insert("NO_COLOR".into(), "1".into());
        let o = OutputSettings::resolve(&global(ColorChoice::Auto), &env);
        assert!(!o.color_stderr, "NO_COLOR turns auto colour off");
        let o = OutputSettings::resolve(&global(ColorChoice::Always), &env);
        assert!(o.color_stderr && o.color_stdout, "--color always wins");
    }

    #[test]
    fn home_is_absolute() {
        let mut env = Environment::from_vars([("GOLDEN_HOME", "rel/home")]);
        env.cwd = PathBuf::from("/work/here");
        assert_eq!(env.home(), PathBuf::from("/work/here/rel/home"));
    }
}
