//! `golden new`: find the template, collect and validate values, run the steps in a temporary
//! workspace, and publish the result (or, with `--dry-run`, move the workspace to `--output`).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output::{self, Printer};
use crate::runner::{Runner, Status};
use crate::services::Services;
use crate::settings::NewSettings;
use crate::template::locate::{self, Found};

pub fn run(args: NewSettings, printer: Printer) -> Result<i32> {
    crate::interrupt::install(printer);
    let _extracted; // keeps a built-in template's files alive for the run
    let _extracted_cleanup;
    let mut builtin = None;
    let catalog_ref = if args.from_catalog {
        Some(
            if crate::lifecycle::catalog::is_catalog_ref(&args.template) {
                args.template.clone()
            } else {
                format!("template:{}", args.template)
            },
        )
    } else {
        crate::lifecycle::catalog::is_catalog_ref(&args.template).then(|| args.template.clone())
    };
    let fetch = crate::lifecycle::FetchSettings {
        offline: args.offline,
        context: &args.context,
    };
    let (resolved, source) = if let Some(r) = catalog_ref {
        let r = crate::lifecycle::catalog::resolve(&r, args.reference.as_deref(), &fetch)?;
        let source = r.source.clone();
        (r, Some(source))
    } else if crate::lifecycle::source::is_git(&args.template) {
        let r = crate::lifecycle::resolve_git(&args.template, args.reference.as_deref(), &fetch)?;
        let source = r.source.clone();
        (r, Some(source))
    } else {
        if args.reference.is_some() {
            return Err(Error::usage(format!(
                "--ref needs a git template source; `{}` is not a git URL",
                args.template
            ))
            .hint("use `https://github.com/OWNER/REPO/tree/REF/PATH` or `GIT_URL//PATH`"));
        }
        let local = |path| crate::lifecycle::Resolved {
            path,
            root: None,
            source: Default::default(),
        };
        match locate::find(&args.template, &args.search_path)? {
            Found::Path(p) => (local(p), None),
            Found::Builtin(name) => {
                let dir = crate::interrupt::tempdir_in(&std::env::temp_dir(), "golden-template-")
                    .map_err(|e| {
                    Error::internal(format!("cannot create a temporary directory: {e}"))
                })?;
                _extracted_cleanup = crate::interrupt::register(dir.path());
                let path = locate::extract_builtin(&name, dir.path())?;
                _extracted = dir;
                builtin = Some(name);
                (local(path), None)
            }
        }
    };
    let mut template = resolved.load()?;
    let source = source.unwrap_or_else(|| {
        crate::lifecycle::local_ref(
            &template.path,
            builtin.as_ref().map(|n| format!("built-in:{n}")),
            !args.dry_run || args.record,
        )
    });
    if let Some(name) = builtin {
        // Messages name the built-in, not the temporary folder it was extracted to.
        template.path = PathBuf::from(format!("built-in:{name}/template.yaml"));
    }

    if !args.context.config.actions.packages.is_empty() {
        crate::actions::npm::Store::new(&args.context.home)
            .ensure(&args.context.config.actions.packages)?;
    }
    let registry = crate::actions::registry_for(
        &args.context.config,
        Some(&args.context.home),
        template.steps.iter().map(|s| s.action.as_str()),
    )?;
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
                "`golden actions` lists the actions golden can run; declare yours under `actions:` in the config file or put a `golden-action-<id>` program on PATH (`golden actions --protocol`); `--dry-run` runs the rest",
            ));
        }
    }

    // Everything that can be refused without asking is checked before the questions.
    let out = if args.dry_run {
        let out = args.output.clone().ok_or_else(|| {
            Error::usage("--dry-run needs --output DIR, where the generated project is written")
        })?;
        check_output_dir(&out)?;
        Some(out)
    } else if let Some(out) = &args.output {
        return Err(Error::usage(format!(
            "--output `{}` is only used with --dry-run; nothing was run",
            out.display()
        ))
        .hint("add --dry-run to write the generated project there, or use --checkout DIR to choose where the published repository is cloned"));
    } else {
        None
    };

    let unknown = crate::values::unknown_keys(&template, &args.sources);
    if !unknown.is_empty() {
        if args.strict {
            return Err(
                Error::values("values were given that the template does not declare")
                    .with_details(unknown)
                    .hint("fix or remove them, or run without --strict to only warn"),
            );
        }
        for u in &unknown {
            printer.warn(&format!("{u}; it is passed on but nothing declares it"));
        }
    }

    let values = crate::prompt::values_for(&template, &args)?;

    let record = crate::lifecycle::record::Record::new(&template, source, &values.parameters);
    let services = Services {
        home: args.context.home.clone(),
        cwd: args.context.cwd.clone(),
        local: args.local,
        config: args.context.config.clone(),
        git: Some(std::sync::Arc::new(crate::git::Git2 {
            proxies: args.context.proxies.clone(),
        })),
        stamp: (!args.dry_run).then(|| crate::lifecycle::record::stamp(record.clone())),
        remote: Some(std::sync::Arc::new(crate::lifecycle::remote::Reader {
            home: args.context.home.clone(),
            config: args.context.config.clone(),
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
        keep_log: printer.verbosity() == crate::settings::Verbosity::Verbose,
    };
    let mut progress = printer.progress(template.steps.len());
    let report = runner.run(&template, &values, &mut progress);
    if printer.verbosity() != crate::settings::Verbosity::Verbose {
        for step in &report.steps {
            for w in step.log.iter().filter_map(|l| l.strip_prefix("warning: ")) {
                printer.warn(&format!("step `{}`: {w}", step.id));
            }
        }
    }

    if args.json {
        let json = output::report_json(&report, &values.parameters);
        printer.data(serde_json::to_string_pretty(&json).unwrap_or_default());
    }
    if let Some(i) = report.failed {
        let (e, done) = super::step_failed(&template, &report, i);
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
    if args.record {
        write_dry_run_record(&report.record, workspace.path(), &record, printer)?;
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
        let predicted = report.steps.iter().any(|s| s.status == Status::Predicted);
        printer.summary(&report.output, predicted);
    }
    Ok(0)
}

/// `--record` with `--dry-run`: the record goes where a real run would commit it, the folder
/// the first publish step would push (nowhere when nothing is published).
fn write_dry_run_record(
    run: &crate::runner::RunRecord,
    workspace: &Path,
    record: &crate::lifecycle::record::Record,
    printer: Printer,
) -> Result<()> {
    let ws = std::fs::canonicalize(workspace).unwrap_or(workspace.to_path_buf());
    let Some(dir) = run.published.first().map(|p| p.source_dir.clone()) else {
        printer.warn(
            "--record: the template publishes no repository, so a real run writes no record either",
        );
        return Ok(());
    };
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    if !dir.starts_with(&ws) {
        return Err(Error::internal(
            "the published folder is outside the workspace",
        ));
    }
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create", &dir, e))?;
    let mut record = record.clone();
    record.project_path = crate::lifecycle::render::rel_string(&dir, &ws);
    let file = dir.join(crate::lifecycle::record::FILE);
    std::fs::write(&file, record.to_yaml()).map_err(|e| Error::io("cannot write", &file, e))
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
