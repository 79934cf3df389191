//! Picks the publishing target for a step (`crate::scm`): the local forge with `--local`, else
//! the host's forge API with the step's `token` input or the host's configured token; and runs
//! target calls so that what they log and create lands in the step.

use crate::runner::{ActionContext, ActionError};
use crate::scm::{gitea::Gitea, gitlab::Gitlab, local::Local, Kind, Notes, ScmError, Target};

/// The target for `kind` on `host`.
pub fn target(
    ctx: &ActionContext<'_>,
    kind: Kind,
    host: &str,
    token_input: Option<&str>,
) -> Result<Box<dyn Target>, ActionError> {
    let services = ctx.services;
    if services.local {
        return Ok(Box::new(Local::new(services.forge(), kind)));
    }
    match kind {
        Kind::Gitlab => Ok(Box::new(Gitlab::connect(
            &services.config,
            host,
            token_input,
            services.token_of(kind.name(), host),
        )?)),
        Kind::Gitea => Ok(Box::new(Gitea::connect(&services.config, host)?)),
        Kind::Github => {
            // Without the repository, a GitHub App cannot pick an installation: the configured
            // token is used (`target_for_repo` picks one).
            let url = crate::github::RepoUrl {
                host: host.to_string(),
                owner: String::new(),
                repo: String::new(),
            };
            Ok(Box::new(crate::actions::github::target(
                ctx,
                &url,
                token_input,
            )?))
        }
    }
}

/// Runs `f` with fresh notes, then copies its log lines and what it created into the step —
/// also when it failed, so the failure report names what exists.
pub fn with_notes<T>(
    ctx: &mut ActionContext<'_>,
    f: impl FnOnce(&mut Notes) -> Result<T, ScmError>,
) -> Result<T, ActionError> {
    let mut notes = Notes::default();
    let result = f(&mut notes);
    for line in notes.log {
        ctx.info(line);
    }
    for what in notes.created {
        ctx.note_created(what);
    }
    result.map_err(ActionError::from)
}

/// `getRepoSourceDirectory` with publish:gitlab's boolean `sourcePath`: `true` or absent is the
/// workspace, `false` is no push at all (`None`).
pub fn source_dir(
    ctx: &ActionContext<'_>,
    source_path: Option<&serde_json::Value>,
) -> Result<Option<std::path::PathBuf>, ActionError> {
    match source_path {
        Some(serde_json::Value::Bool(false)) => Ok(None),
        Some(serde_json::Value::String(s)) => {
            crate::actions::github::source_dir(ctx, Some(s)).map(Some)
        }
        _ => Ok(Some(ctx.workspace.to_path_buf())),
    }
}
