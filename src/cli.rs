//! The command-line surface, declared with clap and nothing else. Help text lives here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const AFTER_HELP: &str = "\
Exit status: 0 success; 1 the template, the values or a step failed; 2 usage or internal error;
130 interrupted.

Examples:
  golden new go-microservice --local --set name=demo --set owner=group:default/team-a
  golden new ./my-template --values answers.yaml --dry-run --output out
  golden list";

/// `0.1.0 (abc1234 2026-12-06)`: the package version with the commit and its date (see build.rs).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("GOLDEN_COMMIT"),
    " ",
    env!("GOLDEN_COMMIT_DATE"),
    ")"
);

/// Run Backstage Software Templates anywhere: render a skeleton, publish it, register it.
#[derive(Debug, Parser)]
#[command(name = "golden", version = VERSION, about, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Flags every command accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print each step's log lines.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// When to colour the output: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value = "auto",
        global = true
    )]
    pub color: ColorChoice,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Output formats of `golden validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
    Sarif,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a project from a template: ask for values, run the steps, print the links.
    #[command(after_help = NEW_HELP)]
    New(NewArgs),
    /// List the templates golden can find (./templates, GOLDEN_TEMPLATE_PATH, built-in).
    List {
        /// Print the templates as JSON on stdout (`[{name, title, location}]`).
        #[arg(long)]
        json: bool,
    },
    /// List the actions golden can run (built-in, external, from npm), or show one action's
    /// input schema.
    #[command(after_help = ACTIONS_HELP)]
    Actions(ActionsArgs),
    /// Register, list, show and unregister entities in the catalog (Backstage when
    /// `catalog.backstage.baseUrl` is configured, else golden's local catalog).
    #[command(after_help = CATALOG_HELP)]
    Catalog(CatalogArgs),
    /// Check templates before merging: YAML, schema, parameters, steps, expressions, skeletons.
    #[command(after_help = VALIDATE_HELP)]
    Validate(ValidateArgs),
    /// Print the JSON Schema of template.yaml (or, with `record`, of .golden.yaml), for editors.
    Schema {
        /// `template` (default) or `record`.
        #[arg(value_parser = ["template", "record"])]
        which: Option<String>,
    },
    /// Bring a generated project up to date with its template (a 3-way merge).
    #[command(after_help = UPDATE_HELP)]
    Update(UpdateArgs),
    /// Tell whether a generated project's template has changed (exit 0 up to date, 1 update
    /// available, 2 cannot tell).
    #[command(after_help = CHECK_HELP)]
    Check(CheckArgs),
    /// Write the record (.golden.yaml) for a project made by Backstage or by hand, so `check`
    /// and `update` work on it.
    #[command(after_help = LINK_HELP)]
    Link(LinkArgs),
    /// Run the test cases of templates (`tests/<case>/` beside template.yaml) and compare.
    #[command(after_help = TEST_HELP)]
    Test(TestArgs),
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish.
    #[command(after_help = COMPLETIONS_HELP)]
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Print golden's manual page (roff), e.g. `golden man > golden.1`.
    Man,
}

const COMPLETIONS_HELP: &str = "\
Examples:
  golden completions bash > ~/.local/share/bash-completion/completions/golden
  golden completions zsh > \"${fpath[1]}/_golden\"
  golden completions fish > ~/.config/fish/completions/golden.fish
  golden completions powershell >> $PROFILE";

const LINK_HELP: &str = "\
SOURCE is the template's git URL, as for `golden new`; --ref should name the commit (or tag) the
project was made from, so that `golden update` merges only what changed since. The answers come
from --values (a YAML or JSON file, or another project's .golden.yaml) and --set; without
--values, the project's catalog-info.yaml answers name, description, owner, system and lifecycle;
on a terminal golden asks for the required ones still missing.

Examples:
  golden link https://github.com/acme/templates/tree/v1.2.0/go-service --values answers.yaml
  golden link file:///srv/templates.git//go-service ./svc --ref 3f2a9c1 --set name=svc";

/// How `link` and `update` render the project's template: at which ref, with which answers
/// (the help is `update`'s; `link` words it for itself).
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The template's branch, tag or commit to update to.
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// Extra values (for parameters the new version adds), as in `golden new`.
    #[arg(long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Set one value, as in `golden new`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Never prompt: missing values are listed in one error.
    #[arg(long)]
    pub no_input: bool,
}

/// How `link`, `update` and `check` reach the project's template: the config file, and whether
/// the network may be used.
#[derive(Debug, Args)]
pub struct AccessArgs {
    /// Use golden's template cache only, never the network.
    #[arg(long)]
    pub offline: bool,
    /// The config file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(
    mut_arg("reference", |a| a.help("The branch, tag or commit the project was made from")),
    mut_arg("values", |a| a.help("The answers the project was made with (YAML or JSON; repeatable)")),
    mut_arg("set", |a| a.help("Set one answer, as in `golden new`")),
)]
pub struct LinkArgs {
    /// The template's git URL.
    pub source: String,
    /// The project (default: `.`).
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub render: RenderArgs,
    /// Replace an existing record.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub access: AccessArgs,
}

const UPDATE_HELP: &str = "\
DIR is a project golden generated (it holds .golden.yaml; default: the current directory).

The template at the recorded commit, rendered with the recorded answers, is the base; the
template at the new ref (default: the recorded ref, else the default branch), rendered with the
same answers, is theirs; the project's files are ours. Changes on both sides survive; overlapping
edits become conflict markers (<<<<<<< project / >>>>>>> template) and are listed; a binary file
in conflict keeps the project's version and gets the template's beside it (PATH.golden-template).
Only local actions run (fetch:*, fs:*, debug:*...): publish and register steps are skipped.

Exit status: 0 updated (or nothing to do); 1 updated with conflicts, or a failure; 2 usage.

Examples:
  golden update
  golden update path/to/project --ref v2 --set newParam=x
  golden update --diff            # print the change as a patch, write nothing
  golden update --pr              # and push a branch golden/update-COMMIT with a pull request";

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The project (default: `.`).
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub render: RenderArgs,
    /// Run even though the project has uncommitted changes.
    #[arg(long)]
    pub force: bool,
    /// Print the change as a patch and write nothing.
    #[arg(long)]
    pub diff: bool,
    /// Also commit the update on a new branch, push it to `origin` and open a pull request
    /// (on GitHub, or recorded in the local forge for a local-forge repository).
    #[arg(long, conflicts_with = "diff")]
    pub pr: bool,
    #[command(flatten)]
    pub access: AccessArgs,
}

const CHECK_HELP: &str = "\
Compares the project's record with the newest commit of its template ref: renders both with the
recorded answers and lists the commits and the files an update would change.

Exit status: 0 up to date; 1 an update is available; 2 golden cannot tell (no record, the
source is unreachable: the message says which).

Examples:
  golden check
  golden check path/to/project --json";

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The project (default: `.`).
    pub dir: Option<PathBuf>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub access: AccessArgs,
}

const TEST_HELP: &str = "\
PATH is a template directory or a folder searched for them (default: the current directory).
A case is a folder tests/<case>/ beside template.yaml: values.yaml (optional secrets.yaml,
user.yaml), and expected/ (the rendered tree) and/or case.yaml (command, timeout, assert).
Each case runs as `golden new --dry-run` in a temporary folder; cases run in parallel.

Exit status: 0 every case passed; 1 a case failed; 2 no cases found or golden could not run.

Examples:
  golden test templates/
  golden test templates/node-service --bless      # write the rendered trees as expected/
  golden test --no-run --format junit . > golden-test.xml";

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Template directories or folders holding them (default: `.`).
    pub paths: Vec<PathBuf>,
    /// Write each case's rendered tree as its expected/ (then run assertions and command).
    #[arg(long, visible_alias = "update")]
    pub bless: bool,
    /// Do not run the cases' commands (compare and assert only).
    #[arg(long)]
    pub no_run: bool,
    /// human (one line per case, on stdout) or junit (XML on stdout, the lines on stderr).
    #[arg(long, value_enum, default_value = "human")]
    pub format: TestFormat,
}

/// How `golden test` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TestFormat {
    Human,
    Junit,
}

const ACTIONS_HELP: &str = "\
External actions are programs in any language: declared under `actions:` in the config file
(`actions: {acme:hello: {command: [python3, ./hello.py]}}`), or executables named
`golden-action-<id>` on PATH (`:` in the id written `-`). `--protocol` prints how golden talks
to them.

Backstage's own action modules from npm run unchanged through Node.js: `golden actions add
@roadiehq/scaffolder-backend-module-utils` installs one (the config's `actions.packages` lists
modules to install on first use).

Examples:
  golden actions
  golden actions fetch:template
  golden actions --protocol
  golden actions add @roadiehq/scaffolder-backend-module-utils@4.1.2";

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ActionsArgs {
    #[command(subcommand)]
    pub command: Option<ActionsCommand>,
    /// An action id, e.g. `fetch:template`.
    pub id: Option<String>,
    /// Print the protocol of external actions (stdin, stdout, stderr, exit status).
    #[arg(long, conflicts_with = "id")]
    pub protocol: bool,
    /// The config file (default: GOLDEN_CONFIG, else golden/config.yaml in the platform's config
    /// directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ActionsCommand {
    /// Install a Backstage action module from npm (NAME[@VERSION]) into golden's data directory
    /// and record the actions it provides (needs Node.js and npm).
    Add {
        /// e.g. `@roadiehq/scaffolder-backend-module-utils@4.1.2` (several: one npm install)
        #[arg(required = true)]
        packages: Vec<String>,
    },
    /// Remove a module added with `golden actions add`.
    Remove {
        /// The package name.
        package: String,
    },
}

const VALIDATE_HELP: &str = "\
PATH is a template file or a directory searched recursively for YAML files holding a
`kind: Template` document (default: the current directory).

Exit status: 0 no errors; 1 errors (or warnings with --deny-warnings); 2 golden could not run.

Examples:
  golden validate
  golden validate templates/ --deny-warnings
  golden validate --format github templates/     # annotations in a GitHub Actions job
  golden validate --format sarif . > golden.sarif
  golden validate --allow step-unknown-action --deny expr-unknown-variable templates/";

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Template files or directories (default: `.`).
    pub paths: Vec<PathBuf>,
    /// How to print the findings: human (rustc-style, on stderr), json, github (workflow
    /// annotations) or sarif (2.1.0); the last three go to stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Do not report this code (repeatable); also `validate.allow` in the config, or a
    /// `# golden-allow: CODE` comment on the line (or the line above).
    #[arg(long, value_name = "CODE")]
    pub allow: Vec<String>,
    /// Report this code as an error (repeatable); also `validate.deny` in the config.
    #[arg(long, value_name = "CODE")]
    pub deny: Vec<String>,
    /// golden's config file (`actions:` declares your Backstage's other actions; `validate:`
    /// allows or denies codes).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

const CATALOG_HELP: &str = "\
The catalog is the Backstage one when the config file sets catalog.backstage.baseUrl (token:
catalog.backstage.token or BACKSTAGE_TOKEN), else golden's local catalog (catalog.db in the data
directory, GOLDEN_HOME). A REF is [KIND:][NAMESPACE/]NAME; the kind defaults to Component.

Examples:
  golden catalog register ./catalog-info.yaml
  golden catalog register https://github.com/acme/svc/blob/main/catalog-info.yaml
  golden catalog import teams/locations.yaml
  golden catalog list --kind Component --owner team-a
  golden catalog show demo
  golden catalog unregister component:default/demo";

#[derive(Debug, Args)]
pub struct CatalogArgs {
    #[command(subcommand)]
    pub command: CatalogCommand,
    /// The config file (default: GOLDEN_CONFIG, else golden/config.yaml in the platform's config
    /// directory).
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Register a catalog file (a path, a file:// or http(s) URL, a local-forge URL): for any
    /// service, including one not made from a template.
    Register {
        /// Where the catalog-info.yaml is.
        location: String,
    },
    /// List the entities, sorted by reference.
    List {
        /// Only this kind (repeatable: any of them).
        #[arg(long, value_name = "KIND")]
        kind: Vec<String>,
        /// Only entities owned by this owner (`team-a` means group:default/team-a).
        #[arg(long, value_name = "OWNER")]
        owner: Option<String>,
        /// Print the entities as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Print one entity (YAML, with its relations).
    Show {
        /// [KIND:][NAMESPACE/]NAME
        entity_ref: String,
        /// Print JSON instead of YAML.
        #[arg(long)]
        json: bool,
    },
    /// Remove the location that holds an entity, with every entity it holds.
    Unregister {
        /// [KIND:][NAMESPACE/]NAME
        entity_ref: String,
    },
    /// Register a file of `kind: Location` entities and follow their targets (to seed groups,
    /// users and systems).
    Import {
        /// The Location file (path or URL).
        file: String,
    },
}

const NEW_HELP: &str = "\
TEMPLATE is a directory holding template.yaml, a template.yaml path, a template's
metadata.name searched in ./templates, each directory of GOLDEN_TEMPLATE_PATH, and the built-in
templates, or a git URL: https://github.com/OWNER/REPO/tree/REF/PATH (or a blob URL of the
template file), GIT_URL//PATH?ref=REF for any git URL (https://, ssh://, file://, or scp-like
git@host:owner/repo.git), or a plain git URL (the template at the repository's root). Fetched
repositories are cached in GOLDEN_HOME/cache/templates by URL and commit. `template:NAME` (or
--from-catalog NAME) reads the Template entity from the configured catalog and follows its
source location.

A real run writes .golden.yaml (the template source, commit and answers, never secrets) into
the published repository's first commit; `golden check` and `golden update` read it, and
`--values .golden.yaml` replays its answers.

Values, lowest precedence first: schema defaults, --values files (in order), GOLDEN_VALUE_<NAME>
variables (NAME upper-cased, e.g. GOLDEN_VALUE_REPO_URL or GOLDEN_VALUE_REPOURL), --set.

On a terminal golden asks, page by page, for every value not given (with --values, only for
the required ones), then shows a summary and asks to confirm (--yes skips it). Without a terminal
(stdin or stderr not a terminal, CI set, or --no-input) it never asks: missing or invalid values
are listed in one error with the --set that supplies each. Secret fields come from --secrets.

Examples:
  golden new go-microservice --dry-run --output out --set name=demo \\
      --set owner=group:default/team-a --set repoUrl='github.com?owner=acme&repo=demo'
  golden new ./templates/service --values answers.yaml --dry-run --json
  golden new go-microservice --dry-run --output out --save-values answers.json   # asks, saves
  golden new go-microservice --dry-run --output out2 --values answers.json --yes  # replays";

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Template directory, template.yaml path, template name, or git URL.
    pub template: String,
    /// The branch, tag or commit of a git TEMPLATE (default: the URL's ref, else the default
    /// branch).
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// Use golden's template cache only, never the network.
    #[arg(long)]
    pub offline: bool,
    /// TEMPLATE is a Template entity of the configured catalog (`go-service` means
    /// `template:default/go-service`).
    #[arg(long)]
    pub from_catalog: bool,
    /// With --dry-run: also write the record (.golden.yaml) into the output.
    #[arg(long)]
    pub record: bool,
    /// Read values from a YAML or JSON file (repeatable; later files win).
    #[arg(long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Set one value: `name=value`, dotted keys for objects, typed by the parameter's schema.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Read task secrets (`${{ secrets.x }}`) from a YAML or JSON file.
    #[arg(long, value_name = "FILE")]
    pub secrets: Option<PathBuf>,
    /// Read the user context (`{ref, entity}` for `${{ user.* }}`) from a YAML or JSON file.
    #[arg(long, value_name = "FILE")]
    pub user: Option<PathBuf>,
    /// Run local actions only, predict the outputs of network actions, and write the result to
    /// --output.
    #[arg(long)]
    pub dry_run: bool,
    /// Where --dry-run writes the generated project (must not exist, or be empty).
    #[arg(long, short, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Print the plan as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Never prompt (also when CI is set or stdin or stderr is not a terminal): missing values
    /// are listed in one error.
    #[arg(long)]
    pub no_input: bool,
    /// Write the collected values (never secrets or passwords) to FILE as JSON; feed it back with
    /// --values to run again without questions.
    #[arg(long, value_name = "FILE")]
    pub save_values: Option<PathBuf>,
    /// Make warnings about the values (keys the template does not declare) errors.
    #[arg(long)]
    pub strict: bool,
    /// Reuse the answers of the last run of this template (kept in GOLDEN_HOME/replay/, never
    /// secrets or passwords); --values, GOLDEN_VALUE_* and --set still win.
    #[arg(long)]
    pub replay: bool,
    /// Do not ask for confirmation before running.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Publish to golden's local forge of bare git repositories instead of GitHub.
    #[arg(long)]
    pub local: bool,
    /// After publishing, clone the new repository into DIR (default: ./REPO).
    #[arg(long, value_name = "DIR", conflicts_with = "no_checkout")]
    pub checkout: Option<PathBuf>,
    /// After publishing, do not clone the new repository.
    #[arg(long)]
    pub no_checkout: bool,
    /// Continue a failed real run from the folder its error names (`golden-kept-*`): the steps
    /// that ran are not run again, what they created is checked, the rest run.
    #[arg(long, value_name = "DIR", conflicts_with = "dry_run")]
    pub resume: Option<PathBuf>,
    /// The config file (default: GOLDEN_CONFIG, else golden/config.yaml in the platform's config
    /// directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}
