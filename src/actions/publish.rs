//! The GitHub publishing actions with Backstage's input schemas: `publish:github`,
//! `publish:github:pull-request`, `github:repo:create`, `github:repo:push`. In a dry run they
//! predict their outputs (see `predict`); the real network run is [`run_real`].

use serde_json::{Map, Value};

use super::{predict, schemas};
use crate::runner::{Action, ActionContext, ActionError, Outputs};

pub fn actions() -> Vec<Box<dyn Action>> {
    vec![
        Box::new(Github {
            id: "publish:github",
            description: "Creates a GitHub repository and pushes the workspace to it",
            outputs: &["remoteUrl", "repoContentsUrl", "commitHash"],
        }),
        Box::new(Github {
            id: "publish:github:pull-request",
            description: "Opens a pull request with the workspace's files on a GitHub repository",
            outputs: &["targetBranchName", "remoteUrl", "pullRequestNumber"],
        }),
        Box::new(Github {
            id: "github:repo:create",
            description: "Creates a GitHub repository",
            outputs: &["remoteUrl"],
        }),
        Box::new(Github {
            id: "github:repo:push",
            description: "Pushes the workspace to an existing GitHub repository",
            outputs: &["remoteUrl", "repoContentsUrl", "commitHash"],
        }),
    ]
}

struct Github {
    id: &'static str,
    description: &'static str,
    outputs: &'static [&'static str],
}

impl Action for Github {
    fn id(&self) -> &'static str {
        self.id
    }
    fn description(&self) -> &'static str {
        self.description
    }
    fn input_schema(&self) -> Value {
        schemas::input(self.id)
    }
    fn outputs(&self) -> &'static [&'static str] {
        self.outputs
    }
    fn runs_in_dry_run(&self) -> bool {
        false
    }
    fn invented_outputs(&self) -> &'static [&'static str] {
        crate::actions::predict::invented_outputs(self.id)
    }
    fn run(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        run_real(self.id, ctx, input)
    }
    fn predict(
        &self,
        ctx: &mut ActionContext<'_>,
        input: &Map<String, Value>,
    ) -> Result<Outputs, ActionError> {
        predict_outputs(self.id, ctx, input)
    }
}

/// The dry-run outputs of action `id`.
pub fn predict_outputs(
    id: &str,
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    let out = match id {
        "publish:github" | "github:repo:push" => {
            predict::publish_github(ctx.services, ctx.record, ctx.workspace, input)?
        }
        "github:repo:create" => predict::repo_create(ctx.services, input)?,
        "publish:github:pull-request" => predict::pull_request(ctx.services, input)?,
        other => {
            return Err(ActionError::new(format!(
                "no dry-run prediction for `{other}`"
            )))
        }
    };
    ctx.info(format!(
        "dry run: {id} was not run; its outputs are predicted from its input"
    ));
    Ok(out)
}

/// The real, networked run of action `id`.
pub fn run_real(
    id: &str,
    ctx: &mut ActionContext<'_>,
    input: &Map<String, Value>,
) -> Result<Outputs, ActionError> {
    super::github::run(id, ctx, input).unwrap_or_else(|| {
        Err(ActionError::new(format!(
            "golden has no real implementation of `{id}`"
        )))
    })
}
