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

/// Run Backstage Software Templates anywhere: render a skeleton, publish it, register it.
#[derive(Debug, Parser)]
#[command(name = "golden", version, about, after_help = AFTER_HELP, propagate_version = true)]
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
    List,
    /// List the actions golden implements, or show one action's input schema.
    Actions {
        /// An action id, e.g. `fetch:template`.
        id: Option<String>,
    },
    /// Register, list, show and unregister entities in the catalog (Backstage when
    /// `catalog.backstage.baseUrl` is configured, else golden's local catalog).
    #[command(after_help = CATALOG_HELP)]
    Catalog(CatalogArgs),
    /// Check templates before merging: YAML, schema, parameters, steps, expressions, skeletons.
    #[command(after_help = VALIDATE_HELP)]
    Validate(ValidateArgs),
    /// Print the JSON Schema of template.yaml, for editors (yaml-language-server).
    Schema,
    /// Run the test cases of templates (`tests/<case>/` beside template.yaml) and compare.
    #[command(after_help = TEST_HELP)]
    Test(TestArgs),
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

const VALIDATE_HELP: &str = "\
PATH is a template file or a directory searched recursively for YAML files holding a
`kind: Template` document (default: the current directory).

Exit status: 0 no errors; 1 errors (or warnings with --deny-warnings); 2 golden could not run.

Examples:
  golden validate
  golden validate templates/ --deny-warnings
  golden validate --format github templates/     # annotations in a GitHub Actions job
  golden validate --format sarif . > golden.sarif";

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
    /// golden's config file (its `actions:` list declares your Backstage's extra actions).
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
TEMPLATE is a directory holding template.yaml, a template.yaml path, or a template's
metadata.name searched in ./templates, each directory of GOLDEN_TEMPLATE_PATH, and the built-in
templates.

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
    /// Template directory, template.yaml path, or template name.
    pub template: String,
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
