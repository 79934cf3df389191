//! The built-in actions, one file per family. Each action mirrors Backstage's inputs, outputs and
//! input schema (unknown input keys are rejected, as Backstage's zod schemas do).

mod binary;
mod catalog;
mod catalog_client;
mod debug;
pub mod declared;
pub mod external;
mod fetch;
mod file_io;
mod fs;
mod gitea;
pub mod github;
mod gitlab;
mod glob;
pub mod npm;
pub mod npm_services;
pub mod predict;
pub mod schemas;
mod scm_target;
mod source;
mod template;
mod walk;
pub use crate::backstage::yaml_out;
pub(crate) use template::file_extension as template_file_extension;

use crate::runner::{Action, Registry};

/// A registry of every built-in action (what commands run and validate against).
pub fn registry() -> Registry {
    Registry::new(all())
}

/// Every built-in action.
pub fn all() -> Vec<Box<dyn Action>> {
    let mut v: Vec<Box<dyn Action>> = Vec::new();
    v.extend(debug::actions());
    v.push(Box::new(template::FetchTemplate));
    v.push(Box::new(template::WorkspaceTemplate));
    v.extend(fetch::actions());
    v.extend(fs::actions());
    v.extend(catalog::actions());
    v.extend(gitlab::actions());
    v.push(Box::new(gitea::PublishGitea));
    v.extend(github::actions());
    v.extend(catalog_client::actions());
    v
}

/// The actions a run can use: the built-ins, the modules `golden actions add` installed in `home`,
/// the config's external actions, and for each id in `wanted` that is none of these, a
/// `golden-action-<id>` executable on PATH if there is one.
pub fn registry_for<'a>(
    config: &crate::config::Config,
    home: Option<&std::path::Path>,
    programs: &crate::settings::Programs,
    wanted: impl IntoIterator<Item = &'a str>,
) -> crate::error::Result<crate::runner::Registry> {
    let mut r = registry();
    if let Some(home) = home {
        for a in npm::Store::new(home, programs).actions(config)? {
            if r.get(a.id()).is_none() {
                r.add(Box::new(a));
            }
        }
    }
    for a in external::External::from_config(config, programs)? {
        if r.get(a.id()).is_some() {
            return Err(crate::error::Error::usage(format!(
                "`actions.{}` in the config file has the id of a built-in action",
                a.id()
            ))
            .hint("give the external action an id of its own (Backstage refuses two actions with one id too)"));
        }
        r.add(Box::new(a));
    }
    for id in wanted {
        if r.get(id).is_none() {
            if let Some(a) = external::External::from_path(id, programs) {
                r.add(Box::new(a));
            }
        }
    }
    Ok(r)
}

/// Reads an optional string input.
pub fn opt_str<'a>(
    input: &'a serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Option<&'a str> {
    input.get(key).and_then(serde_json::Value::as_str)
}

/// Reads an optional boolean input (absent → `default`).
pub fn opt_bool(
    input: &serde_json::Map<String, serde_json::Value>,
    key: &str,
    default: bool,
) -> bool {
    input
        .get(key)
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(default)
}

/// Runs actions in unit tests with a throwaway context.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;

    use serde_json::{Map, Value};

    use crate::runner::{Action, ActionContext, ActionError, Outputs};
    use crate::services::Services;

    /// What a run gives back: the action's result and its log.
    pub type Ran = (Result<Outputs, ActionError>, Vec<String>);

    /// A throwaway context to run an action in: a dry run keeping the whole log, with default
    /// services, unless the fields say otherwise.
    pub struct TestRun<'a> {
        pub workspace: &'a Path,
        /// Templates are read from here.
        pub template_dir: &'a Path,
        pub services: Option<&'a Services>,
        pub dry_run: bool,
        /// `false`: as a run without `--verbose` does it, only warnings are kept in the log.
        pub keep_log: bool,
    }

    /// Runs `action` with `input` in `workspace`, templates read from `template_dir`.
    pub fn run(action: &dyn Action, workspace: &Path, template_dir: &Path, input: Value) -> Ran {
        TestRun::new(workspace, template_dir).run(action, input)
    }

    /// [`run`] with these services, as a dry run or not.
    pub fn run_with(
        action: &dyn Action,
        workspace: &Path,
        template_dir: &Path,
        input: Value,
        services: &Services,
        dry_run: bool,
    ) -> Ran {
        let run = TestRun {
            services: Some(services),
            dry_run,
            ..TestRun::new(workspace, template_dir)
        };
        run.run(action, input)
    }

    impl<'a> TestRun<'a> {
        pub fn new(workspace: &'a Path, template_dir: &'a Path) -> TestRun<'a> {
            TestRun {
                workspace,
                template_dir,
                services: None,
                dry_run: true,
                keep_log: true,
            }
        }

        /// Runs `action` with `input`.
        pub fn run(&self, action: &dyn Action, input: Value) -> Ran {
            let default = Services::default();
            let services = self.services.unwrap_or(&default);
            let (workspace, template_dir) = (self.workspace, self.template_dir);
            let secrets = Map::new();
            let mut log = Vec::new();
            let root = crate::template::root::source_root(template_dir);
            let mut ctx = ActionContext {
                workspace,
                template_dir,
                source_root: &root,
                template_ref: "template:default/t",
                step_id: "s",
                dry_run: self.dry_run,
                secrets: &secrets,
                user: &serde_json::Value::Null,
                services,
                log: &mut log,
                keep_log: self.keep_log,
                record: &mut crate::runner::RunRecord::default(),
            };
            let input = input.as_object().expect("input is an object");
            let r = crate::runner::action::perform(action, &mut ctx, input);
            (r, log)
        }
    }
}
