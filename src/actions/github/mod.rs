//! The real (not dry-run) runs of the GitHub publish actions, against GitHub or, with `--local`,
//! the local forge. The actions themselves (ids, input schemas, dry-run predictions) are
//! registered in `actions::publish`; their `run` calls [`run`] when not in dry-run.
//!
//! One file per family: `repo.rs` (`publish:github`, `github:repo:create`, `github:repo:push`),
//! `pull_request.rs`, `webhook.rs` (also `github:actions:dispatch`), `extra.rs` (issues, labels,
//! autolinks, pages, deploy keys, branch protection), `environment.rs` (environments, rulesets).

mod environment;
mod extra;
mod pull_request;
mod repo;
mod webhook;

use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::github::RepoUrl;
use crate::runner::{ActionContext, ActionError, Outputs};

/// The ids this module runs for real.
pub const IDS: &[&str] = &[
    "publish:github",
    "github:repo:create",
    "github:repo:push",
    "publish:github:pull-request",
    "github:webhook",
    "github:actions:dispatch",
    "github:issues:create",
    "github:issues:label",
    "github:autolinks:create",
    "github:pages:enable",
    "github:deployKey:create",
    "github:branch-protection:create",
    "github:environment:create",
    "github:repo:rulesets:create",
];

/// Runs action `id` for real; `None` when `id` is not one of [`IDS`].
pub fn run(
    id: &str,
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
) -> Option<Result<Outputs, ActionError>> {
    let i = Input(input);
    let result = match id {
        "publish:github" => repo::publish(ctx, input),
        "github:repo:create" => repo::create(ctx, input),
        "github:repo:push" => repo::push(ctx, input),
        "publish:github:pull-request" => pull_request::run(ctx, input),
        "github:webhook" => webhook::webhook(ctx, &i),
        "github:actions:dispatch" => webhook::dispatch(ctx, &i),
        "github:issues:create" => extra::issues_create(ctx, &i),
        "github:issues:label" => extra::issues_label(ctx, &i),
        "github:autolinks:create" => extra::autolinks(ctx, &i),
        "github:pages:enable" => extra::pages(ctx, &i),
        "github:deployKey:create" => extra::deploy_key(ctx, &i),
        "github:branch-protection:create" => extra::branch_protection(ctx, &i),
        "github:environment:create" => environment::environment(ctx, &i),
        "github:repo:rulesets:create" => environment::rulesets(ctx, &i),
        _ => return None,
    };
    Some(result)
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

/// The GitHub actions `actions::publish` does not register (`github:webhook`,
/// `github:actions:dispatch`), with Backstage's input schemas from `schemas.json`. `all()` adds
/// one only for an id nothing else registers.
pub fn fallback(
    registered: &[Box<dyn crate::runner::Action>],
) -> Vec<Box<dyn crate::runner::Action>> {
    IDS.iter()
        .filter(|id| !registered.iter().any(|a| a.id() == **id))
        .map(|id| Box::new(Fallback(id)) as Box<dyn crate::runner::Action>)
        .collect()
}

/// `schemas.json`: id → `{input, output, supportsDryRun}`.
static SCHEMAS: crate::actions::schemas::Table =
    crate::actions::schemas::Table::new(include_str!("schemas.json"));

struct Fallback(&'static str);

impl crate::runner::Action for Fallback {
    fn id(&self) -> &'static str {
        self.0
    }
    fn description(&self) -> &'static str {
        match self.0 {
            "github:webhook" => "Creates a webhook for a GitHub repository",
            "github:actions:dispatch" => "Dispatches a GitHub Actions workflow for a branch or tag",
            "github:issues:create" => "Creates an issue on a GitHub repository",
            "github:issues:label" => "Adds labels to an issue or pull request on GitHub",
            "github:autolinks:create" => "Creates an autolink reference on a GitHub repository",
            "github:pages:enable" => "Enables GitHub Pages for a repository",
            "github:deployKey:create" => {
                "Adds a deploy key and stores its private key as an Actions secret"
            }
            "github:branch-protection:create" => "Protects a branch of a GitHub repository",
            "github:environment:create" => {
                "Creates a deployment environment with its policies, variables and secrets"
            }
            "github:repo:rulesets:create" => "Creates a ruleset in a GitHub repository",
            _ => "GitHub publishing",
        }
    }
    fn input_schema(&self) -> Value {
        match SCHEMAS.schema(self.0, "input") {
            Some(s) => s.clone(),
            None => {
                let s = crate::actions::schemas::input(self.0);
                if s.get("properties").is_some() {
                    s
                } else {
                    serde_json::json!({"type": "object"})
                }
            }
        }
    }
    fn outputs(&self) -> &'static [&'static str] {
        match self.0 {
            "github:actions:dispatch" => &["workflowRunId", "workflowRunUrl", "workflowRunHtmlUrl"],
            "github:issues:create" => &["issueUrl", "issueNumber"],
            "github:deployKey:create" => &["privateKeySecretName"],
            "github:repo:rulesets:create" => &["id"],
            _ => &[],
        }
    }
    fn invented_outputs(&self) -> &'static [&'static str] {
        match self.0 {
            "github:repo:rulesets:create" => &["id"],
            _ => &[],
        }
    }
    fn runs_in_dry_run(&self) -> bool {
        false // golden calls nothing for them in a dry run (Backstage's webhook returns early)
    }
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        if ctx.dry_run && self.0 == "github:issues:create" {
            // Backstage's own dry run of github:issues:create outputs issue 42.
            let url = RepoUrl::parse(Input(input).required("repoUrl")?)?;
            ctx.info("dry run: github:issues:create was not run");
            return Ok(Map::from_iter([
                (
                    "issueUrl".to_string(),
                    serde_json::json!(format!(
                        "https://github.com/{}/{}/issues/42",
                        url.owner, url.repo
                    )),
                ),
                ("issueNumber".to_string(), serde_json::json!(42)),
            ]));
        }
        if ctx.dry_run && self.0 == "github:repo:rulesets:create" {
            // The ruleset's id is known only once GitHub made it: a stable stand-in.
            let i = Input(input);
            let url = RepoUrl::parse(i.required("repoUrl")?)?;
            let name = i.required("name")?;
            ctx.info("dry run: github:repo:rulesets:create was not run; its id is invented");
            let id = crate::scm::stable_id(&format!("{}/{}#{name}", url.host, url.full_name()));
            return Ok(Map::from_iter([("id".to_string(), serde_json::json!(id))]));
        }
        if ctx.dry_run {
            // Backstage's github:webhook returns before any call in a dry run; the others predict
            // nothing.
            ctx.info(format!("dry run: `{}` was not run", self.0));
            return Ok(Map::new());
        }
        run(self.0, ctx, input).unwrap_or_else(|| {
            Err(ActionError::new(format!(
                "`{}` is not a GitHub action",
                self.0
            )))
        })
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

    #[test]
    fn webhook_and_dispatch_have_backstages_closed_schemas() {
        for (id, required) in [
            ("github:webhook", vec!["repoUrl", "webhookUrl"]),
            (
                "github:actions:dispatch",
                vec!["repoUrl", "workflowId", "branchOrTagName"],
            ),
        ] {
            let s = crate::runner::Action::input_schema(&Fallback(id));
            assert_eq!(s["additionalProperties"], Value::Bool(false), "{id}");
            assert_eq!(s["required"], serde_json::json!(required), "{id}");
        }
        assert!(!crate::runner::Action::runs_in_dry_run(&Fallback(
            "github:webhook"
        )));
        assert!(!crate::runner::Action::runs_in_dry_run(&Fallback(
            "github:actions:dispatch"
        )));
    }
}

#[cfg(test)]
mod api_tests;
