//! The GitHub actions, one row each in [`ACTIONS`]: id, description, outputs, the outputs a dry
//! run invents, the real run (against GitHub or, with `--local`, the local forge) and the dry-run
//! prediction. Their input schemas are Backstage's (`schemas.json` here and in `actions/`).
//!
//! One file per family: `repo.rs` (`publish:github`, `github:repo:create`, `github:repo:push`),
//! `pull_request.rs`, `webhook.rs` (also `github:actions:dispatch`), `extra.rs` (issues, labels,
//! autolinks, pages, deploy keys, branch protection), `environment.rs` (environments, rulesets);
//! the publish actions' predictions are in `actions/predict.rs`.

mod environment;
mod extra;
mod pull_request;
mod repo;
mod webhook;

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::predict;
use crate::github::RepoUrl;
use crate::runner::{ActionContext, ActionError, Outputs};

/// An action's real run, or its dry run.
type Run = fn(&mut ActionContext<'_>, &Map<String, Value>) -> Result<Outputs, ActionError>;

/// One GitHub action: everything golden knows of it by its id.
pub struct GithubAction {
    pub id: &'static str,
    description: &'static str,
    outputs: &'static [&'static str],
    /// The outputs its dry run invents (they name nothing real).
    invented: &'static [&'static str],
    run: Run,
    predict: Run,
}

/// The GitHub actions: the one table of their ids and behaviours.
pub const ACTIONS: &[GithubAction] = &[
    GithubAction {
        id: "publish:github",
        description: "Creates a GitHub repository and pushes the workspace to it",
        outputs: &["remoteUrl", "repoContentsUrl", "commitHash"],
        invented: &["commitHash"],
        run: repo::publish,
        predict: |ctx, input| {
            predicted(ctx, "publish:github", |ctx| {
                predict::publish_github(ctx.services, ctx.record, ctx.workspace, input)
            })
        },
    },
    GithubAction {
        id: "publish:github:pull-request",
        description: "Opens a pull request with the workspace's files on a GitHub repository",
        outputs: &["targetBranchName", "remoteUrl", "pullRequestNumber"],
        invented: &["pullRequestNumber"],
        run: pull_request::run,
        predict: |ctx, input| {
            predicted(ctx, "publish:github:pull-request", |ctx| {
                predict::pull_request(ctx.services, input)
            })
        },
    },
    GithubAction {
        id: "github:repo:create",
        description: "Creates a GitHub repository",
        outputs: &["remoteUrl"],
        invented: &[],
        run: repo::create,
        predict: |ctx, input| {
            predicted(ctx, "github:repo:create", |ctx| {
                predict::repo_create(ctx.services, input)
            })
        },
    },
    GithubAction {
        id: "github:repo:push",
        description: "Pushes the workspace to an existing GitHub repository",
        outputs: &["remoteUrl", "repoContentsUrl", "commitHash"],
        invented: &["commitHash"],
        run: repo::push,
        predict: |ctx, input| {
            predicted(ctx, "github:repo:push", |ctx| {
                predict::publish_github(ctx.services, ctx.record, ctx.workspace, input)
            })
        },
    },
    GithubAction {
        id: "github:webhook",
        description: "Creates a webhook for a GitHub repository",
        outputs: &[],
        invented: &[],
        run: |ctx, input| webhook::webhook(ctx, &Input(input)),
        // Backstage's github:webhook returns before any call in a dry run.
        predict: |ctx, _| not_run(ctx, "github:webhook"),
    },
    GithubAction {
        id: "github:actions:dispatch",
        description: "Dispatches a GitHub Actions workflow for a branch or tag",
        outputs: &["workflowRunId", "workflowRunUrl", "workflowRunHtmlUrl"],
        invented: &[],
        run: |ctx, input| webhook::dispatch(ctx, &Input(input)),
        predict: |ctx, _| not_run(ctx, "github:actions:dispatch"),
    },
    GithubAction {
        id: "github:issues:create",
        description: "Creates an issue on a GitHub repository",
        outputs: &["issueUrl", "issueNumber"],
        invented: &[],
        run: |ctx, input| extra::issues_create(ctx, &Input(input)),
        predict: issue_42,
    },
    GithubAction {
        id: "github:issues:label",
        description: "Adds labels to an issue or pull request on GitHub",
        outputs: &[],
        invented: &[],
        run: |ctx, input| extra::issues_label(ctx, &Input(input)),
        predict: |ctx, _| not_run(ctx, "github:issues:label"),
    },
    GithubAction {
        id: "github:autolinks:create",
        description: "Creates an autolink reference on a GitHub repository",
        outputs: &[],
        invented: &[],
        run: |ctx, input| extra::autolinks(ctx, &Input(input)),
        predict: |ctx, _| not_run(ctx, "github:autolinks:create"),
    },
    GithubAction {
        id: "github:pages:enable",
        description: "Enables GitHub Pages for a repository",
        outputs: &[],
        invented: &[],
        run: |ctx, input| extra::pages(ctx, &Input(input)),
        predict: |ctx, _| not_run(ctx, "github:pages:enable"),
    },
    GithubAction {
        id: "github:deployKey:create",
        description: "Adds a deploy key and stores its private key as an Actions secret",
        outputs: &["privateKeySecretName"],
        invented: &[],
        run: |ctx, input| extra::deploy_key(ctx, &Input(input)),
        predict: |ctx, _| not_run(ctx, "github:deployKey:create"),
    },
    GithubAction {
        id: "github:branch-protection:create",
        description: "Protects a branch of a GitHub repository",
        outputs: &[],
        invented: &[],
        run: |ctx, input| extra::branch_protection(ctx, &Input(input)),
        predict: |ctx, _| not_run(ctx, "github:branch-protection:create"),
    },
    GithubAction {
        id: "github:environment:create",
        description: "Creates a deployment environment with its policies, variables and secrets",
        outputs: &[],
        invented: &[],
        run: |ctx, input| environment::environment(ctx, &Input(input)),
        predict: |ctx, _| not_run(ctx, "github:environment:create"),
    },
    GithubAction {
        id: "github:repo:rulesets:create",
        description: "Creates a ruleset in a GitHub repository",
        outputs: &["id"],
        invented: &["id"],
        run: |ctx, input| environment::rulesets(ctx, &Input(input)),
        predict: invented_ruleset_id,
    },
];

/// Every GitHub action, for the registry.
pub fn actions() -> Vec<Box<dyn crate::runner::Action>> {
    ACTIONS
        .iter()
        .map(|a| Box::new(a) as Box<dyn crate::runner::Action>)
        .collect()
}

/// The dry run of a publish action: its outputs predicted from its input (`predict.rs`).
fn predicted(
    ctx: &mut ActionContext<'_>,
    id: &str,
    predict: impl FnOnce(&mut ActionContext<'_>) -> Result<Outputs, ActionError>,
) -> Result<Outputs, ActionError> {
    let out = predict(ctx)?;
    ctx.info(format!(
        "dry run: {id} was not run; its outputs are predicted from its input"
    ));
    Ok(out)
}

/// The dry run of an action that predicts nothing.
fn not_run(ctx: &mut ActionContext<'_>, id: &str) -> Result<Outputs, ActionError> {
    ctx.info(format!("dry run: `{id}` was not run"));
    Ok(Map::new())
}

/// Backstage's own dry run of github:issues:create outputs issue 42.
fn issue_42(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    let url = RepoUrl::parse(Input(input).required("repoUrl")?)?;
    ctx.info("dry run: github:issues:create was not run");
    Ok(Map::from_iter([
        (
            "issueUrl".to_string(),
            serde_json::json!(format!(
                "https://github.com/{}/{}/issues/42",
                url.owner, url.repo
            )),
        ),
        ("issueNumber".to_string(), serde_json::json!(42)),
    ]))
}

/// A ruleset's id is known only once GitHub made it: a stable stand-in.
fn invented_ruleset_id(
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    let i = Input(input);
    let url = RepoUrl::parse(i.required("repoUrl")?)?;
    let name = i.required("name")?;
    ctx.info("dry run: github:repo:rulesets:create was not run; its id is invented");
    let id = crate::scm::stable_id(&format!("{}/{}#{name}", url.host, url.full_name()));
    Ok(Map::from_iter([("id".to_string(), serde_json::json!(id))]))
}

pub(crate) use crate::scm::Input;

/// `getRepoSourceDirectory`: leading `../` segments of the normalized `sourcePath` are dropped,
/// and the result must stay inside the workspace.
pub(crate) fn source_dir(
    ctx: &ActionContext<'_>,
    source_path: Option<&str>,
) -> Result<PathBuf, ActionError> {
    let Some(sp) = source_path.filter(|s| !s.is_empty()) else {
        return Ok(ctx.workspace.to_path_buf());
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in sp.split(['/', '\\']) {
        match p {
            "" | "." => {}
            ".." => {
                if parts.is_empty() || parts.last() == Some(&"..") {
                    parts.push("..");
                } else {
                    parts.pop();
                }
            }
            other => parts.push(other),
        }
    }
    // `path.join(workspace, "/x")` is `workspace/x`, and for an absolute path `normalize` drops
    // the `..` at the root: either way the leading `..` go.
    let trimmed: Vec<&str> = parts.into_iter().skip_while(|p| *p == "..").collect();
    let dir = crate::workspace::safe_join(ctx.workspace, &trimmed.join("/"))
        .map_err(|_| ActionError::new("Invalid source path"))?;
    if !dir.is_dir() {
        return Err(ActionError::new(format!(
            "the sourcePath `{sp}` is not a directory of the workspace"
        )));
    }
    Ok(dir)
}

/// Records `value` under `REPO.git/golden/NAME.json` of the local forge (what `--local` keeps of
/// a repository action), says where in the log; returns its number.
pub(crate) fn record_local(
    ctx: &mut ActionContext<'_>,
    url: &RepoUrl,
    name: &str,
    value: Value,
    what: &str,
) -> Result<usize, ActionError> {
    let path = ctx
        .services
        .forge()
        .existing(&url.host, &url.owner, &url.repo)?;
    let n = crate::forge::record(&path, name, value, &ctx.services.config.redactor)?;
    warn(
        ctx,
        format!(
            "local forge: {what} recorded in `{}`",
            path.join(format!("golden/{name}.json")).display()
        ),
    );
    Ok(n)
}

/// A warning: kept in the step's log with a `warning:` prefix, which `golden new` shows.
pub(crate) fn warn(ctx: &mut ActionContext<'_>, message: impl Into<String>) {
    ctx.info(format!("warning: {}", message.into()));
}

/// The GitHub target (`scm::github`) for `url`'s host, with the token Backstage would use.
pub(crate) fn target(
    ctx: &ActionContext<'_>,
    url: &RepoUrl,
    token_input: Option<&str>,
) -> Result<crate::scm::github::Github, ActionError> {
    let gh = ctx.services.github(url, token_input)?;
    Ok(crate::scm::github::Github::new(gh.api, gh.token, &url.host))
}

/// The git author as Backstage's publish actions make it: each input when non-empty, else
/// `scaffolder.defaultAuthor`'s, else `Scaffolder <scaffolder@backstage.io>`.
pub(crate) fn author(input: &Input<'_>, config: &crate::config::Config) -> crate::git::Author {
    let default = &config.scaffolder.default_author;
    let pick = |key: &str, configured: &Option<String>, builtin: &str| {
        input
            .nonempty(key)
            .map(str::to_string)
            .or_else(|| configured.clone())
            .unwrap_or_else(|| builtin.to_string())
    };
    crate::git::Author {
        name: pick("gitAuthorName", &default.name, "Scaffolder"),
        email: pick("gitAuthorEmail", &default.email, "scaffolder@backstage.io"),
    }
}

/// Where a publish action's commit message comes from when `gitCommitMessage` is empty.
#[derive(Clone, Copy)]
pub(crate) enum MessageRule {
    /// `publish:github` (`getGitCommitMessage(input, config) || "initial commit"`): a non-empty
    /// input, else a non-empty `scaffolder.defaultCommitMessage`, else `initial commit`.
    Github,
    /// `github:repo:push`: as [`MessageRule::Github`], but an absent input is `initial commit`
    /// (the handler's default) — the config is read only for an empty one.
    GithubPush,
    /// `publish:gitlab`: absent is `initial commit`; empty takes the config, and without one
    /// `initRepoAndPush`'s own default `Initial commit`.
    Gitlab,
    /// `publish:gitea`: a non-empty config wins over the input (absent: `initial commit`); the
    /// target adds the `Change-Id`.
    Gitea,
}

/// The commit message of a publish action, by its module's precedence (`rule`).
pub(crate) fn commit_message(
    input: &Input<'_>,
    config: &crate::config::Config,
    rule: MessageRule,
) -> String {
    let configured = config.scaffolder.default_commit_message.as_deref();
    let nonempty_config = configured.filter(|m| !m.is_empty());
    let given = input.str("gitCommitMessage");
    let message = match rule {
        MessageRule::Github => input.nonempty("gitCommitMessage").or(nonempty_config),
        MessageRule::GithubPush => match given {
            None => Some("initial commit"),
            Some("") => nonempty_config,
            Some(m) => Some(m),
        },
        MessageRule::Gitlab => match given {
            None => Some("initial commit"),
            Some("") => Some(configured.unwrap_or("Initial commit")),
            Some(m) => Some(m),
        },
        MessageRule::Gitea => nonempty_config.or(Some(given.unwrap_or("initial commit"))),
    };
    message.unwrap_or("initial commit").to_string()
}

/// Who a publish action commits as and with what message, from its input and the config by
/// its module's precedence (`rule`); lends them to the [`Push`](crate::scm::Push) it makes.
pub(crate) struct CommitText {
    pub author: crate::git::Author,
    pub message: String,
}

impl CommitText {
    pub fn of(input: &Input<'_>, config: &crate::config::Config, rule: MessageRule) -> Self {
        CommitText {
            author: author(input, config),
            message: commit_message(input, config, rule),
        }
    }

    /// One commit of `source` as `branch`, with this author and message.
    pub fn push<'a>(
        &'a self,
        git: &'a dyn crate::git::Git,
        source: &'a std::path::Path,
        branch: &'a str,
        signer: Option<&'a crate::scm::sign::CommitSigner>,
    ) -> crate::scm::Push<'a> {
        crate::scm::Push {
            git,
            source,
            branch,
            message: &self.message,
            author: &self.author,
            signer,
        }
    }
}

/// `publish:github:pull-request`'s input with `scaffolder.defaultAuthor` and
/// `defaultCommitMessage` filled in where the input has no key (Backstage's `??`).
pub(crate) fn pull_request_defaults(
    input: &Map<String, Value>,
    config: &crate::config::Config,
) -> Map<String, Value> {
    let mut out = input.clone();
    let s = &config.scaffolder;
    for (key, value) in [
        ("gitAuthorName", &s.default_author.name),
        ("gitAuthorEmail", &s.default_author.email),
        ("commitMessage", &s.default_commit_message),
    ] {
        if let (None | Some(Value::Null), Some(v)) = (out.get(key), value) {
            out.insert(key.to_string(), Value::String(v.clone()));
        }
    }
    out
}

/// `schemas.json`: id → `{input, output, supportsDryRun}` (the actions the scaffolder's own
/// `actions/schemas.json` does not have).
static SCHEMAS: crate::actions::schemas::Table =
    crate::actions::schemas::Table::new(include_str!("schemas.json"));

/// The row of action `id`.
#[cfg(test)]
fn action(id: &str) -> Option<&'static GithubAction> {
    ACTIONS.iter().find(|a| a.id == id)
}

impl crate::runner::Action for &'static GithubAction {
    fn id(&self) -> &'static str {
        self.id
    }
    fn description(&self) -> &'static str {
        self.description
    }
    /// None runs in a dry run: each has its prediction.
    fn runs_in_dry_run(&self) -> bool {
        false
    }
    fn input_schema(&self) -> Value {
        match SCHEMAS.schema(self.id, "input") {
            Some(s) => s.clone(),
            None => {
                let s = crate::actions::schemas::input(self.id);
                if s.get("properties").is_some() {
                    s
                } else {
                    serde_json::json!({"type": "object"})
                }
            }
        }
    }
    fn outputs(&self) -> &'static [&'static str] {
        self.outputs
    }
    fn invented_outputs(&self) -> &'static [&'static str] {
        self.invented
    }
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        (self.run)(ctx, input)
    }
    fn predict(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        (self.predict)(ctx, input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_messages_follow_each_modules_precedence() {
        let mut config = crate::config::Config::default();
        let msg = |input: Value, config: &crate::config::Config, rule| {
            commit_message(&Input(input.as_object().unwrap()), config, rule)
        };
        let (none, empty, given) = (
            serde_json::json!({}),
            serde_json::json!({"gitCommitMessage": ""}),
            serde_json::json!({"gitCommitMessage": "mine"}),
        );
        use MessageRule::*;
        for rule in [Github, GithubPush, Gitlab, Gitea] {
            assert_eq!(msg(given.clone(), &config, rule), "mine");
            assert_eq!(msg(none.clone(), &config, rule), "initial commit");
        }
        assert_eq!(msg(empty.clone(), &config, Gitlab), "Initial commit");
        config.scaffolder.default_commit_message = Some("conf".into());
        assert_eq!(msg(none.clone(), &config, Github), "conf");
        assert_eq!(msg(none.clone(), &config, GithubPush), "initial commit");
        assert_eq!(msg(empty.clone(), &config, GithubPush), "conf");
        assert_eq!(msg(none.clone(), &config, Gitlab), "initial commit");
        assert_eq!(msg(empty.clone(), &config, Gitlab), "conf");
        assert_eq!(msg(given.clone(), &config, Gitea), "conf");
        assert_eq!(msg(given.clone(), &config, Github), "mine");
    }

    #[test]
    fn authors_and_pull_request_defaults_come_from_the_config() {
        let mut config = crate::config::Config::default();
        config.scaffolder.default_author.name = Some("Bot".into());
        let input = serde_json::json!({"gitAuthorEmail": "j@x", "gitAuthorName": ""});
        let a = author(&Input(input.as_object().unwrap()), &config);
        assert_eq!((a.name.as_str(), a.email.as_str()), ("Bot", "j@x"));
        config.scaffolder.default_commit_message = Some("conf".into());
        let pr = pull_request_defaults(input.as_object().unwrap(), &config);
        // `??`: an empty name stays; absent keys take the config.
        assert_eq!(pr["gitAuthorName"], "");
        assert_eq!(pr["commitMessage"], "conf");
        assert_eq!(pr["gitAuthorEmail"], "j@x");
    }

    /// One row per id, and each row's dry run is the one its id had (predicted, Backstage's
    /// issue 42, an invented ruleset id, or nothing).
    #[test]
    fn one_row_per_action_with_its_dry_run() {
        let mut ids: Vec<&str> = ACTIONS.iter().map(|a| a.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), ACTIONS.len());
        assert_eq!(ACTIONS.len(), 14);
        use crate::runner::Action;
        let invented = |id| action(id).unwrap().invented_outputs();
        assert_eq!(invented("publish:github"), ["commitHash"]);
        assert_eq!(invented("github:repo:push"), ["commitHash"]);
        assert_eq!(
            invented("publish:github:pull-request"),
            ["pullRequestNumber"]
        );
        assert_eq!(invented("github:repo:rulesets:create"), ["id"]);
        assert!(invented("github:repo:create").is_empty());
        let dir = tempfile::tempdir().unwrap();
        let dry = |id, input: Value| {
            crate::actions::testing::run(&action(id).unwrap(), dir.path(), dir.path(), input)
        };
        let repo = serde_json::json!({"repoUrl": "github.com?owner=acme&repo=svc", "name": "r"});
        let (out, log) = dry("publish:github", repo.clone());
        assert_eq!(out.unwrap()["remoteUrl"], "https://github.com/acme/svc.git");
        assert!(
            log.iter()
                .any(|l| l.contains("its outputs are predicted from its input")),
            "{log:?}"
        );
        let (out, _) = dry("github:repo:create", repo.clone());
        assert_eq!(out.unwrap()["remoteUrl"], "https://github.com/acme/svc.git");
        let (out, _) = dry("github:issues:create", repo.clone());
        assert_eq!(out.unwrap()["issueNumber"], 42);
        let (out, _) = dry("github:repo:rulesets:create", repo.clone());
        assert!(out.unwrap()["id"].is_number());
        let (out, log) = dry("github:webhook", repo);
        assert!(out.unwrap().is_empty());
        assert!(
            log.iter()
                .any(|l| l.contains("dry run: `github:webhook` was not run")),
            "{log:?}"
        );
    }

    #[test]
    fn webhook_and_dispatch_have_backstages_closed_schemas() {
        for (id, required) in [
            ("github:webhook", vec!["repoUrl", "webhookUrl"]),
            (
                "github:actions:dispatch",
                vec!["repoUrl", "workflowId", "branchOrTagName"],
            ),
        ] {
            let s = crate::runner::Action::input_schema(&action(id).unwrap());
            assert_eq!(s["additionalProperties"], Value::Bool(false), "{id}");
            assert_eq!(s["required"], serde_json::json!(required), "{id}");
        }
        assert!(ACTIONS
            .iter()
            .all(|a| !crate::runner::Action::runs_in_dry_run(&a)));
    }
}

#[cfg(test)]
mod api_tests;
