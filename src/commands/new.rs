//! `golden new`: find the template, collect and validate values, run the steps in a temporary
//! workspace, and publish the result (or, with `--dry-run`, move the workspace to `--output`).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output::{self, Printer};
use crate::runner::{Registry, Runner, Status};
use crate::services::Services;
use crate::settings::NewSettings;
use crate::template::locate::{self, Found};

pub fn run(args: NewSettings, printer: Printer) -> Result<i32> {
    crate::interrupt::install(printer.clone());
    let loaded = load(&args)?;
    let template = &loaded.template;
    let registry = registry(&args, template, &printer)?;
    // Everything that can be refused without asking is checked before the questions.
    let out = output_dir(&args)?;
    check_unknown_values(&args, template, &printer)?;

    let values = crate::prompt::values_for(template, &args)?;
    let record =
        crate::lifecycle::record::Record::new(template, loaded.source.clone(), &values.parameters);
    let services = services(&args, &record);
    match out {
        None => super::publish::run(&args, template, &values, &registry, services, printer),
        Some(out) => {
            let run = DryRun {
                args: &args,
                template,
                values: &values,
                registry: &registry,
                services: &services,
                record: &record,
            };
            run.write(&out, printer)
        }
    }
}

/// The template of the run, with what keeps it on disk.
struct Loaded {
    template: crate::template::Template,
    /// What the record says about where the template came from.
    source: crate::lifecycle::record::TemplateRef,
    /// A built-in template's extracted files, removed at the end of the run (or on a signal).
    _extracted: Option<(crate::interrupt::Registration, tempfile::TempDir)>,
}

/// The TEMPLATE argument as a catalog reference (`template:NS/NAME`), if it is one (or
/// `--from-catalog` says so).
fn catalog_ref(args: &NewSettings) -> Option<String> {
    let is_ref = crate::lifecycle::catalog::is_catalog_ref(&args.template);
    if is_ref {
        Some(args.template.clone())
    } else {
        args.from_catalog
            .then(|| format!("template:{}", args.template))
    }
}

/// Finds and loads the template: from the catalog, a git URL, a folder, or the built-ins.
fn load(args: &NewSettings) -> Result<Loaded> {
    let fetch = crate::lifecycle::FetchSettings {
        offline: args.offline,
        context: &args.context,
    };
    let remote = if let Some(r) = catalog_ref(args) {
        Some(crate::lifecycle::catalog::resolve(
            &r,
            args.reference.as_deref(),
            &fetch,
        )?)
    } else if crate::lifecycle::source::is_git(&args.template) {
        Some(crate::lifecycle::resolve_git(
            &args.template,
            args.reference.as_deref(),
            &fetch,
        )?)
    } else {
        None
    };
    if let Some(r) = remote {
        let source = r.source.clone();
        return Ok(Loaded {
            template: r.load()?,
            source,
            _extracted: None,
        });
    }
    load_local(args)
}

/// A template found by name or path (`./templates`, GOLDEN_TEMPLATE_PATH, the built-ins).
fn load_local(args: &NewSettings) -> Result<Loaded> {
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
    let hash = !args.dry_run || args.record;
    match locate::find(&args.template, &args.search_path)? {
        Found::Path(p) => {
            let template = local(p).load()?;
            let source = crate::lifecycle::local_ref(&template.path, None, hash);
            Ok(Loaded {
                template,
                source,
                _extracted: None,
            })
        }
        Found::Builtin(name) => {
            let dir = crate::interrupt::tempdir_in(&args.context.temp_dir, "golden-template-")
                .map_err(|e| {
                    Error::internal(format!("cannot create a temporary directory: {e}"))
                })?;
            let cleanup = crate::interrupt::register(dir.path());
            let path = locate::extract_builtin(&name, dir.path())?;
            let mut template = local(path).load()?;
            let source =
                crate::lifecycle::local_ref(&template.path, Some(format!("built-in:{name}")), hash);
            // Messages name the built-in, not the temporary folder it was extracted to.
            template.path = PathBuf::from(format!("built-in:{name}/template.yaml"));
            Ok(Loaded {
                template,
                source,
                _extracted: Some((cleanup, dir)),
            })
        }
    }
}

/// The actions of the run (installing the config's npm packages first); actions golden does not
/// have are an error, or a warning in a dry run (those steps are skipped).
fn registry(
    args: &NewSettings,
    template: &crate::template::Template,
    printer: &Printer,
) -> Result<Registry> {
    if !args.context.config.actions.packages.is_empty() {
        crate::actions::npm::Store::new(&args.context.home, &args.context.programs)
            .ensure(&args.context.config.actions.packages)?;
    }
    let registry = crate::actions::registry_for(
        &args.context.config,
        Some(&args.context.home),
        &args.context.programs,
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
    if unknown.is_empty() {
        return Ok(registry);
    }
    if !args.dry_run {
        return Err(Error::template(
            "the template uses actions golden does not implement; nothing was run",
        )
        .with_details(unknown)
        .hint(
            "`golden actions` lists the actions golden can run; declare yours under `actions:` in the config file or put a `golden-action-<id>` program on PATH (`golden actions --protocol`); `--dry-run` runs the rest",
        ));
    }
    for u in &unknown {
        printer.warn(&format!(
            "{u}, which golden does not implement; it will be skipped"
        ));
    }
    Ok(registry)
}

/// `--output DIR`: required by `--dry-run` (and must be empty or missing), refused without it.
fn output_dir(args: &NewSettings) -> Result<Option<PathBuf>> {
    if args.dry_run {
        let out = args.output.clone().ok_or_else(|| {
            Error::usage("--dry-run needs --output DIR, where the generated project is written")
        })?;
        check_output_dir(&out)?;
        Ok(Some(out))
    } else if let Some(out) = &args.output {
        Err(Error::usage(format!(
            "--output `{}` is only used with --dry-run; nothing was run",
            out.display()
        ))
        .hint("add --dry-run to write the generated project there, or use --checkout DIR to choose where the published repository is cloned"))
    } else {
        Ok(None)
    }
}

/// Values given that the template does not declare: warnings, errors with `--strict`.
fn check_unknown_values(
    args: &NewSettings,
    template: &crate::template::Template,
    printer: &Printer,
) -> Result<()> {
    let unknown = crate::values::unknown_keys(template, &args.sources);
    if unknown.is_empty() {
        return Ok(());
    }
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
    Ok(())
}

/// The outside world of the run: git, the forge, the config's integrations, remote `fetch:*`
/// URLs, and (on a real run) the record stamped into published repositories.
fn services(args: &NewSettings, record: &crate::lifecycle::record::Record) -> Services {
    Services {
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
        forge_race: args.context.forge_race.clone(),
        ..Default::default()
    }
}

/// A `--dry-run`: the steps run in a workspace beside `--output`, which becomes the output.
struct DryRun<'a> {
    args: &'a NewSettings,
    template: &'a crate::template::Template,
    values: &'a crate::values::Values,
    registry: &'a Registry,
    services: &'a Services,
    record: &'a crate::lifecycle::record::Record,
}

impl DryRun<'_> {
    fn write(&self, out: &Path, printer: Printer) -> Result<i32> {
        let (args, template, values) = (self.args, self.template, self.values);
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
            registry: self.registry,
            services: self.services,
            workspace: workspace.path(),
            dry_run: true,
            keep_log: printer.verbosity() == crate::settings::Verbosity::Verbose,
        };
        let mut progress = printer.progress(template.steps.len());
        let report = runner.run(template, values, &mut progress);
        super::step_warnings(&report, &printer);
        if args.json {
            let json = output::report_json(&report, &values.parameters, printer.redactor());
            printer.data(serde_json::to_string_pretty(&json).unwrap_or_default());
        }
        if let Some(i) = report.failed {
            let (e, done) = super::step_failed(template, &report, i);
            return Err(e.hint(format!(
                "{done}; nothing was written to `{}`",
                out.display()
            )));
        }
        if args.record {
            write_dry_run_record(
                &report.record,
                workspace.path(),
                self.record,
                printer.clone(),
            )?;
        }
        if out.exists() {
            std::fs::remove_dir(out)
                .map_err(|e| Error::io("cannot replace the empty directory", out, e))?;
        }
        let kept = workspace.keep();
        std::fs::rename(&kept, out).map_err(|e| {
            let _ = std::fs::remove_dir_all(&kept);
            Error::io("cannot move the generated project to", out, e)
        })?;
        if !printer.is_quiet() && !args.json {
            printer.status(format!("wrote {}", out.display()));
            let predicted = report.steps.iter().any(|s| s.status == Status::Predicted);
            printer.summary(&report.output, predicted);
        }
        Ok(0)
    }
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
