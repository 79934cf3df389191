//! Pushing without git: when the git push of `publish:github` / `github:repo:push` cannot even
//! connect (a proxy blocking git's smart HTTP), Backstage sends the files as one commit through
//! the GraphQL `createCommitOnBranch` mutation, first making the empty repository a `.gitkeep`
//! commit to build on. golden does the same, call for call. Part of the GitHub target
//! (`github.rs`).

use std::path::Path;

use serde_json::{json, Value};

use super::{Notes, RepoSpec, ScmError};
use crate::github::{seg, Api, ApiError, Method};

const MUTATION: &str = "
  mutation CreateCommitOnBranch($input: CreateCommitOnBranchInput!) {
    createCommitOnBranch(input: $input) {
      commit {
        oid
      }
    }
  }
";

/// GraphQL's payload limit, as Backstage estimates it.
const MAX_PAYLOAD_BYTES: usize = 30 * 1024 * 1024;

/// Every regular file under `dir` (symlinks and `.git` skipped, `.gitignore` not read), as
/// Backstage's `collectFilesFromDir`; sorted by path.
fn collect(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, ScmError> {
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || e.file_name() != ".git");
    for entry in walker {
        let entry = entry.map_err(|e| ScmError::new(format!("cannot read the workspace: {e}")))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap_or(entry.path())
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(entry.path())
            .map_err(|e| ScmError::new(format!("cannot read `{rel}`: {e}")))?;
        files.push((rel, bytes));
    }
    files.sort();
    Ok(files)
}

/// Pushes `source`'s files to `branch` of `url` through the API; returns the commit hash.
pub fn push(
    notes: &mut Notes,
    api: &dyn Api,
    host: &str,
    url: &RepoSpec,
    source: &Path,
    branch: &str,
    message: &str,
) -> Result<String, ScmError> {
    use base64::Engine as _;
    let files = collect(source)?;
    notes.info(format!(
        "Collected {} files for push via GraphQL to {}#{branch}",
        files.len(),
        url.full_name()
    ));
    if files.is_empty() {
        return Err(ScmError::new(
            "GraphQL API fallback found no files to push. The workspace directory may be empty.",
        ));
    }
    let raw: usize = files.iter().map(|(_, b)| b.len()).sum();
    let estimated = raw.div_ceil(3) * 4 + files.len() * 1024;
    if estimated > MAX_PAYLOAD_BYTES {
        return Err(ScmError::new(format!(
            "GraphQL API fallback payload too large ({:.1} MB raw, ~{:.1} MB encoded). Consider reducing template size or resolving the network issue preventing git push.",
            raw as f64 / 1048576.0,
            estimated as f64 / 1048576.0
        )));
    }
    let repo_path = format!("/repos/{}/{}", seg(&url.owner), seg(&url.name));
    let ref_path = format!("{repo_path}/git/ref/{}", seg(&format!("heads/{branch}")));
    let explain = |e: ApiError| {
        e.explain(
            &format!("cannot push to {} through the API", url.full_name()),
            host,
        )
    };
    let (head, cleanup) = match api.call(Method::Get, &ref_path, None) {
        Ok(r) => (
            r.pointer("/object/sha")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            false,
        ),
        Err(e) if e.status == Some(404) || e.status == Some(409) => {
            if e.status == Some(404) {
                let repo = api.call(Method::Get, &repo_path, None).map_err(explain)?;
                if repo.get("size").and_then(Value::as_u64).unwrap_or(0) > 0 {
                    let default = repo
                        .get("default_branch")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    return Err(ScmError::new(format!(
                        "Branch '{branch}' not found in {}. The repository exists and its default branch is '{default}'.",
                        url.full_name()
                    )));
                }
            }
            notes.info(format!(
                "No existing HEAD found for {}#{branch}, initializing repository",
                url.full_name()
            ));
            let body = json!({"message": "initialize repository", "content": "", "branch": branch});
            let init = api
                .call(
                    Method::Put,
                    &format!("{repo_path}/contents/.gitkeep"),
                    Some(&body),
                )
                .map_err(explain)?;
            (
                init.pointer("/commit/sha")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                true,
            )
        }
        Err(e) => return Err(explain(e).into()),
    };
    let additions: Vec<Value> =
        files.iter().map(|(p, b)| json!({"path": p, "contents": base64::engine::general_purpose::STANDARD.encode(b)})).collect();
    let mut changes = json!({"additions": additions});
    if cleanup {
        changes["deletions"] = json!([{"path": ".gitkeep"}]);
    }
    let mut input = json!({
        "branch": {"repositoryNameWithOwner": url.full_name(), "branchName": branch},
        "message": {"headline": message},
        "fileChanges": changes,
        "expectedHeadOid": head,
    });
    let result = match api.graphql(MUTATION, &json!({"input": input})) {
        Ok(r) => r,
        Err(e) if e.text().contains("expectedHeadOid") => {
            notes.warn(format!(
                "HEAD OID of {}#{branch} changed since read, retrying GraphQL commit once",
                url.full_name()
            ));
            let fresh = api.call(Method::Get, &ref_path, None).map_err(explain)?;
            input["expectedHeadOid"] = fresh.pointer("/object/sha").cloned().unwrap_or(Value::Null);
            api.graphql(MUTATION, &json!({"input": input}))
                .map_err(explain)?
        }
        Err(e) => return Err(explain(e).into()),
    };
    let oid = result
        .pointer("/createCommitOnBranch/commit/oid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    notes.info(format!(
        "Pushed {} files to {}#{branch} via GitHub GraphQL API ({oid})",
        files.len(),
        url.full_name()
    ));
    Ok(oid)
}
