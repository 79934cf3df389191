//! `golden link SOURCE [DIR]`: adopts a project golden did not make (Backstage did, or a person)
//! by writing its record, so `golden check` and `golden update` work on it from then on.

use crate::error::{Error, Result};
use crate::lifecycle::record::{self, Record};
use crate::output::Printer;
use crate::settings::LinkSettings;

pub fn run(args: LinkSettings, printer: Printer) -> Result<i32> {
    let dir = args.dir.clone();
    if !dir.is_dir() {
        return Err(Error::usage(format!("`{}` is not a folder", dir.display())));
    }
    let file = dir.join(record::FILE);
    if file.exists() && !args.force {
        return Err(
            Error::usage(format!("`{}` already has a record", file.display()))
                .hint("`golden check` and `golden update` use it; --force replaces it"),
        );
    }
    if !crate::lifecycle::source::is_git(&args.source) {
        return Err(Error::usage(format!(
            "`{}` is not a git URL; a linked project needs its template's history",
            args.source
        ))
        .hint("use `https://github.com/OWNER/REPO/tree/REF/PATH` or `GIT_URL//PATH?ref=REF`"));
    }
    let fetch = crate::lifecycle::FetchSettings {
        offline: args.offline,
        context: &args.context,
    };
    let resolved = crate::lifecycle::resolve_git(&args.source, args.reference.as_deref(), &fetch)?;
    let template = resolved.load()?;
    // Without --values, what the project's catalog entity says (name, owner, ...) answers the
    // parameters of the same names; the rest is asked for (or listed as missing).
    let mut sources = args.sources.clone();
    let from_entity = tempfile::Builder::new()
        .prefix("golden-entity-")
        .suffix(".json")
        .tempfile()
        .map_err(|e| Error::internal(format!("cannot create a temporary file: {e}")))?;
    if sources.files.is_empty() {
        if let Some((answers, source_template)) = entity_answers(&dir, &template) {
            if let Some(t) = source_template.filter(|t| {
                !t.eq_ignore_ascii_case(&format!(
                    "template:{}/{}",
                    template.namespace, template.name
                ))
            }) {
                printer.warn(&format!(
                    "the project's catalog entity says it was made from `{t}`, not `template:{}/{}`",
                    template.namespace, template.name
                ));
            }
            if !answers.is_empty() {
                printer.status(format!(
                    "answers from catalog-info.yaml: {}",
                    answers.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
                std::fs::write(
                    from_entity.path(),
                    serde_json::to_string(&serde_json::Value::Object(answers)).unwrap_or_default(),
                )
                .map_err(|e| Error::io("cannot write", from_entity.path(), e))?;
                sources.files.push(from_entity.path().to_path_buf());
            }
        }
    }
    let options = super::answers_options(sources, &args.mode, &args.context);
    let values = crate::prompt::values_with(&template, &options, &args.context)?;
    let commit = resolved.source.commit.clone().unwrap_or_default();
    let rec = Record::new(&template, resolved.source, &values.parameters);
    std::fs::write(&file, rec.to_yaml()).map_err(|e| Error::io("cannot write", &file, e))?;
    printer.status(format!(
        "linked {} to {} at {}; commit {} and run `golden check`",
        dir.display(),
        template.name,
        &commit[..12.min(commit.len())],
        record::FILE
    ));
    Ok(0)
}

/// Answers the project's `catalog-info.yaml` gives (its entity's name, description, owner,
/// system, lifecycle and type, for parameters of those names), and the template its
/// `backstage.io/source-template` annotation names.
fn entity_answers(
    dir: &std::path::Path,
    template: &crate::template::Template,
) -> Option<(serde_json::Map<String, serde_json::Value>, Option<String>)> {
    use serde_json::Value;
    let text = std::fs::read_to_string(dir.join("catalog-info.yaml")).ok()?;
    let docs = crate::template::yaml::parse_documents(&text).ok()?;
    let entity = docs
        .into_iter()
        .map(|d| d.value)
        .find(|v| v.pointer("/metadata/name").is_some())?;
    let declared = |name: &str| {
        template
            .pages
            .iter()
            .any(|p| p.pointer(&format!("/properties/{name}")).is_some())
    };
    let mut out = serde_json::Map::new();
    for (param, pointer) in [
        ("name", "/metadata/name"),
        ("description", "/metadata/description"),
        ("owner", "/spec/owner"),
        ("system", "/spec/system"),
        ("lifecycle", "/spec/lifecycle"),
    ] {
        if let Some(v) = entity.pointer(pointer).filter(|v| v.is_string()) {
            if declared(param) {
                out.insert(param.to_string(), v.clone());
            }
        }
    }
    let source_template = entity
        .pointer("/metadata/annotations/backstage.io~1source-template")
        .and_then(Value::as_str)
        .map(str::to_string);
    Some((out, source_template))
}
