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
    /// Check templates before merging: YAML, schema, parameters, steps, expressions, skeletons.
    #[command(after_help = VALIDATE_HELP)]
    Validate(ValidateArgs),
    /// Print the JSON Schema of template.yaml, for editors (yaml-language-server).
    Schema,
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
    pub format: crate::diagnostics::Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// golden's config file (its `actions:` list declares your Backstage's extra actions).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
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
}
