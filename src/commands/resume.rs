//! `golden new --resume DIR`: continuing a failed real run. A failed run keeps its folder
//! (`golden-kept-*`) holding the workspace and `run.json`: the step to start from, the outputs of
//! the steps that ran, what they created and published, and a digest of the values (the values
//! themselves, and secrets, are never saved: the resumed run collects them again and must get the
//! same). Before anything runs, what the earlier run pushed is checked to still hold: a
//! local-forge repository must hold the pushed commit; a GitHub repository must exist with the
//! pushed branch at the pushed commit (asked through the host's integration, with its token, which
//! also clones it for the checkout).

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::error::{Error, Result};
use crate::github::{seg, Method};
use crate::runner::{Published, Report, Resumed, RunRecord, Status};
use crate::services::Services;
use crate::template::Template;
use crate::values::Values;

/// The file beside the kept workspace.
const FILE: &str = "run.json";

/// A kept run, read back.
pub struct Saved {
    /// The kept folder.
    pub dir: PathBuf,
    start: usize,
    outputs: Map<String, Value>,
    created: Vec<String>,
    published: Vec<Value>,
}

/// The kept workspace inside a kept folder.
pub fn workspace(dir: &Path) -> PathBuf {
    dir.join("workspace")
}

/// A digest of the parameters and user (stable for one golden binary), to refuse resuming with
/// other values.
fn digest(values: &Values) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(&values.parameters)
        .unwrap_or_default()
        .hash(&mut h);
    values.user.to_string().hash(&mut h);
    format!("{:016x}", h.finish())
}

/// Writes `run.json` into the kept folder `dir` of a failed run.
pub fn save(dir: &Path, template: &Template, values: &Values, report: &Report) -> Result<()> {
    let Some(start) = report.failed else {
        return Ok(());
    };
    let ws = workspace(dir);
    let outputs: Map<String, Value> = report
        .steps
        .iter()
        .filter(|s| s.status == Status::Executed)
        .map(|s| (s.id.clone(), Value::Object(s.output.clone())))
        .collect();
    let published: Vec<Value> = report
        .record
        .published
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "remoteUrl": p.remote_url,
                "repoContentsUrl": p.repo_contents_url,
                "gitUser": p.git_user,
                "branch": p.branch,
                "sourcePath": p.source_dir.strip_prefix(&ws).unwrap_or(Path::new("")).to_string_lossy(),
                "integration": p.integration.as_ref().map(|(kind, host)| json!({"kind": kind, "host": host})),
            })
        })
        .collect();
    let run = json!({
        "version": 1,
        "template": template.entity_ref(),
        "values": digest(values),
        "start": start,
        "outputs": outputs,
        "created": report.record.created,
        "published": published,
    });
    let file = dir.join(FILE);
    std::fs::write(
        &file,
        serde_json::to_string_pretty(&run).unwrap_or_default(),
    )
    .map_err(|e| Error::io("cannot write", &file, e))
}

/// Reads the kept folder `dir` and checks it belongs to `template` with the same values, and
/// that what it pushed (to the local forge or to GitHub) still holds the pushed commits.
pub fn load(
    dir: &Path,
    template: &Template,
    values: &Values,
    services: &Services,
) -> Result<Saved> {
    let file = dir.join(FILE);
    let text = std::fs::read_to_string(&file).map_err(|e| {
        Error::usage(format!(
            "`{}` is not the folder of a failed run: cannot read `{}`: {e}",
            dir.display(),
            file.display()
        ))
        .hint("pass the folder the failed run's error named (`golden-kept-*`)")
    })?;
    let run: Value = serde_json::from_str(&text)
        .map_err(|e| Error::usage(format!("`{}` is not valid JSON: {e}", file.display())))?;
    if run["template"] != template.entity_ref() {
        return Err(Error::usage(format!(
            "`{}` is a run of {}, not of {}",
            dir.display(),
            run["template"],
            template.entity_ref()
        )));
    }
    if run["values"] != digest(values) {
        return Err(Error::usage(format!(
            "the values differ from those of the run kept in `{}`",
            dir.display()
        ))
        .hint(
            "pass the same --values/--set as the failed run (only the secrets are not compared)",
        ));
    }
    if !workspace(dir).is_dir() {
        return Err(Error::usage(format!(
            "`{}` holds no workspace any more",
            dir.display()
        )));
    }
    let outputs = run["outputs"].as_object().cloned().unwrap_or_default();
    let published = run["published"].as_array().cloned().unwrap_or_default();
    verify(&outputs)?;
    verify_github(&outputs, &published, services, dir)?;
    Ok(Saved {
        dir: dir.to_path_buf(),
        start: run["start"].as_u64().unwrap_or(0) as usize,
        outputs,
        created: run["created"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        published,
    })
}

/// Every step output naming a local-forge `remoteUrl` and a `commitHash` must still be there.
fn verify(outputs: &Map<String, Value>) -> Result<()> {
    for (id, out) in outputs {
        let (Some(remote), Some(hash)) = (
            out.get("remoteUrl").and_then(Value::as_str),
            out.get("commitHash").and_then(Value::as_str),
        ) else {
            continue;
        };
        let Some(path) = url::Url::parse(remote)
            .ok()
            .filter(|u| u.scheme() == "file")
            .and_then(|u| u.to_file_path().ok())
        else {
            continue; // GitHub: not checked here; a later step fails if it is gone
        };
        let holds = git2::Repository::open_bare(&path)
            .ok()
            .and_then(|r| {
                git2::Oid::from_str(hash)
                    .ok()
                    .map(|o| r.find_commit(o).is_ok())
            })
            .unwrap_or(false);
        if !holds {
            return Err(Error::usage(format!(
                "step `{id}` of the failed run pushed {hash} to `{}`, which no longer holds it; the run cannot be resumed",
                path.display()
            ))
            .hint("run again without --resume (after deleting what the failed run created)"));
        }
    }
    Ok(())
}

/// Every GitHub repository the failed run pushed to must still exist, with the pushed branch at
/// the pushed commit (`GET /repos/O/R` and `GET /repos/O/R/branches/B` through the host's
/// integration, as the publish step made them).
fn verify_github(
    outputs: &Map<String, Value>,
    published: &[Value],
    services: &Services,
    kept: &Path,
) -> Result<()> {
    for p in published {
        let integration = &p["integration"];
        if integration["kind"] != "github" {
            continue;
        }
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let (host, name, branch) = (
            text(&integration["host"]),
            text(&p["name"]),
            text(&p["branch"]),
        );
        // The step that pushed: its output names the same remote and the commit it pushed.
        let Some((id, hash)) = outputs.iter().find_map(|(id, out)| {
            (out.get("remoteUrl") == Some(&p["remoteUrl"]))
                .then(|| out.get("commitHash").and_then(Value::as_str))
                .flatten()
                .map(|h| (id.clone(), h.to_string()))
        }) else {
            continue;
        };
        let (owner, repo) = name.split_once('/').unwrap_or((&name, ""));
        let url = crate::github::RepoUrl {
            host: host.clone(),
            owner: owner.to_string(),
            repo: repo.to_string(),
        };
        let what = format!("the GitHub repository {name}, to which step `{id}` of the failed run pushed {hash} ({branch})");
        let gh = services.github(&url, None).map_err(|e| {
            let err = Error::usage(format!("cannot check {what}: {}", e.message));
            match e.hint {
                Some(h) => err.hint(h),
                None => err,
            }
        })?;
        let unreachable = |e: crate::github::ApiError| {
            Error::internal(format!("cannot check {what}: {}", e.text()))
                .hint("check the token and the connection to GitHub, then resume again")
        };
        let repo_path = format!("/repos/{}/{}", seg(owner), seg(repo));
        match gh.api.call(Method::Get, &repo_path, None) {
            Ok(_) => {}
            Err(e) if e.status == Some(404) => {
                return Err(Error::usage(format!(
                    "{what} no longer exists; the run cannot be resumed"
                ))
                .hint(format!(
                    "run again without --resume: the steps run from the start and create the repository anew (`rm -rf {}` removes the kept run)",
                    kept.display()
                )))
            }
            Err(e) => return Err(unreachable(e)),
        }
        let branch_path = format!("{repo_path}/branches/{}", seg(&branch));
        let now = match gh.api.call(Method::Get, &branch_path, None) {
            Ok(b) => b["commit"]["sha"].as_str().map(str::to_string),
            Err(e) if e.status == Some(404) => None,
            Err(e) => return Err(unreachable(e)),
        };
        if now.as_deref() != Some(hash.as_str()) {
            let state = match &now {
                Some(sha) => format!("branch {branch} has moved to {sha}"),
                None => format!("branch {branch} no longer exists"),
            };
            return Err(Error::usage(format!(
                "{what}, but {state}; golden does not continue over commits it did not push"
            ))
            .hint(format!(
                "to continue, point branch {branch} of {name} back at {hash} and resume again; to start over, delete the repository {name} (`gh repo delete {name}`) and run again without --resume"
            )));
        }
    }
    Ok(())
}

/// The integration a kept run's published entry names (`{"kind", "host"}`).
fn integration_of(p: &Value) -> Option<(&'static str, String)> {
    let kind = match p["integration"]["kind"].as_str()? {
        "github" => "github",
        "gitlab" => "gitlab",
        "gitea" => "gitea",
        _ => return None,
    };
    Some((kind, p["integration"]["host"].as_str()?.to_string()))
}

/// Moves the kept workspace into `into` (an empty folder); returns where the run resumes, with
/// what the earlier run created and published (with the host's token again, to clone with).
pub fn restore(saved: &Saved, into: &Path, services: &Services) -> Result<Resumed> {
    let from = workspace(&saved.dir);
    std::fs::remove_dir(into).map_err(|e| Error::io("cannot replace", into, e))?;
    std::fs::rename(&from, into)
        .map_err(|e| Error::io("cannot move the kept workspace from", &from, e))?;
    let mut record = RunRecord {
        created: saved.created.clone(),
        published: Vec::new(),
    };
    for p in &saved.published {
        let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
        let integration = integration_of(p);
        record.published.push(Published {
            name: s("name"),
            remote_url: s("remoteUrl"),
            repo_contents_url: s("repoContentsUrl"),
            branch: s("branch"),
            source_dir: into.join(s("sourcePath")),
            token: integration
                .as_ref()
                .and_then(|(kind, host)| services.token_of(kind, host)),
            git_user: p["gitUser"].as_str().map(str::to_string),
            integration,
        });
    }
    Ok(Resumed {
        start: saved.start,
        outputs: saved.outputs.clone(),
        record,
    })
}
