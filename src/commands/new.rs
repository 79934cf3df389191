//! `golden new`: find the template, collect and validate values, run the steps in a temporary
//! workspace, and publish the result (or, with `--dry-run`, move the workspace to `--output`).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output::{self, Printer};
use crate::runner::{Registry, Runner, Status};
use crate::services::Services;
use crate::settings::NewSettings;
use crate::template::locate::{self, Found};
use crate::template::Template;

pub fn run(args: NewSettings, printer: Printer) -> Result<i32> {
    crate::interrupt::install(printer);
    let found = locate::find(&args.template, &args.search_path)?;
    let _extracted; // keeps a built-in template's files alive for the run
    let _extracted_cleanup;
    let mut builtin = None;
    let template_path = match found {
        Found::Path(p) => p,
        Found::Builtin(name) => {
            let dir = crate::interrupt::tempdir_in(&std::env::temp_dir(), "golden-template-")
                .map_err(|e| {
                    Error::internal(format!("cannot create a temporary directory: {e}"))
                })?;
            _extracted_cleanup = crate::interrupt::register(dir.path());
            let path = locate::extract_builtin(&name, dir.path())?;
            _extracted = dir;
            builtin = Some(name);
            path
        }
    };
    let mut template = Template::load(&template_path)?;
    if let Some(name) = builtin {
        // Messages name the built-in, not the temporary folder it was extracted to.
        template.path = PathBuf::from(format!("built-in:{name}/template.yaml"));
    }

    let registry = Registry::builtin();
    let unknown: Vec<String> = template
        .steps
        .iter()
        .filter(|s| registry.get(&s.action).is_none())
        .map(|s| {
            format!(
                "step `{}` uses `{}`{}",
                s.id,
                s.action,
                registry
                    .suggest(&s.action)
                    .map(|x| format!(" (did you mean `{x}`?)"))
                    .unwrap_or_default()
            )
        })
        .collect();
    if !unknown.is_empty() {
        if args.dry_run {
            for u in &unknown {
                printer.warn(&format!(
                    "{u}, which golden does not implement; it will be skipped"
                ));
            }
        } else {
            return Err(Error::template(
                "the template uses actions golden does not implement; nothing was run",
            )
            .with_details(unknown)
            .hint(
                "`golden actions` lists the actions golden implements; `--dry-run` runs the rest",
            ));
        }
    }

    // Everything that can be refused without asking is checked before the questions.
    crate::render::set_github_hosts(args.context.github_hosts());
    let out = if args.dry_run {
        let out = args.output.clone().ok_or_else(|| {
            Error::usage("--dry-run needs --output DIR, where the generated project is written")
        })?;
        check_output_dir(&out)?;
        Some(out)
    } else {
        None
    };

    let values = crate::prompt::values_for(&template, &args)?;

    let services = Services {
        home: args.context.home.clone(),
        cwd: args.context.cwd.clone(),
        local: args.local,
        config: args.context.config.clone(),
        git: Some(std::sync::Arc::new(crate::git::Git2 {
            proxies: args.context.proxies.clone(),
        })),
        ..Default::default()
    };
    let Some(out) = out else {
        return super::publish::run(&args, &template, &values, &registry, services, printer);
    };
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&parent).map_err(|e| Error::io("cannot create", &parent, e))?;
    // Named with the pid; a signal removes it, and the next run removes those of killed runs.
    let workspace = crate::interrupt::tempdir_in(&parent, ".golden-workspace-")
        .map_err(|e| Error::io("cannot create a workspace in", &parent, e))?;
    let _cleanup = crate::interrupt::register(workspace.path());

    let runner = Runner {
        registry: &registry,
        services: &services,
        workspace: workspace.path(),
        dry_run: true,
    };
    let mut progress = printer.progress(template.steps.len());
    let report = runner.run(&template, &values, &mut progress);

    if args.json {
        let json = output::report_json(&report, &values.parameters);
        printer.data(serde_json::to_string_pretty(&json).unwrap_or_default());
    }
    if let Some(i) = report.failed {
        let step = &report.steps[i];
        let done: Vec<String> = report.steps[..i]
            .iter()
            .filter(|s| s.status == Status::Executed)
            .map(|s| format!("`{}`", s.id))
            .collect();
        let mut e = Error::step(format!(
            "step `{}` ({}) failed: {}",
            step.id,
            step.action,
            step.reason.clone().unwrap_or_default()
        ))
        .at(template.location(&format!("/spec/steps/{i}")));
        if let Some(h) = &step.hint {
            e = e.hint(h.clone());
        }
        let done = if done.is_empty() {
            "no step had run before it".to_string()
        } else {
            format!("steps {} had run before it", done.join(", "))
        };
        return Err(e.hint(format!(
            "{done}; nothing was written to `{}`",
            out.display()
        )));
    }
    if out.exists() {
        std::fs::remove_dir(&out)
            .map_err(|e| Error::io("cannot replace the empty directory", &out, e))?;
    }
    let kept = workspace.keep();
    std::fs::rename(&kept, &out).map_err(|e| {
        let _ = std::fs::remove_dir_all(&kept);
        Error::io("cannot move the generated project to", &out, e)
    })?;
    if !printer.is_quiet() && !args.json {
        printer.status(format!("wrote {}", out.display()));
        printer.summary(&report.output);
    }
    Ok(0)
}

/// `--output` must not exist, or be an empty directory.
fn check_output_dir(out: &Path) -> Result<()> {
    if !out.exists() {
        return Ok(());
    }
    let empty = out.is_dir()
        && std::fs::read_dir(out)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
    if empty {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "`{}` already exists and is not empty",
            out.display()
        ))
        .hint("choose another --output directory, or remove this one"))
    }
}
