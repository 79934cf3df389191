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

/// Where the API push goes: the repository, its branch, and how failures are explained.
struct Target<'a> {
    api: &'a dyn Api,
    host: &'a str,
    url: &'a RepoSpec,
    branch: &'a str,
}

impl Target<'_> {
    fn repo_path(&self) -> String {
        format!("/repos/{}/{}", seg(&self.url.owner), seg(&self.url.name))
    }

    fn ref_path(&self) -> String {
        let r = seg(&format!("heads/{}", self.branch));
        format!("{}/git/ref/{r}", self.repo_path())
    }

    fn explain(&self, e: ApiError) -> ScmError {
        e.explain(
            &format!("cannot push to {} through the API", self.url.full_name()),
            self.host,
        )
        .into()
    }

    /// The branch's head to build on, and whether a `.gitkeep` commit had to be made first (an
    /// empty repository), to be deleted by the pushed commit.
    fn head_or_init(&self, notes: &mut Notes) -> Result<(String, bool), ScmError> {
        let (url, branch) = (self.url, self.branch);
        let sha = |v: &Value, p: &str| {
            v.pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let e = match self.api.call(Method::Get, &self.ref_path(), None) {
            Ok(r) => return Ok((sha(&r, "/object/sha"), false)),
            Err(e) if e.status == Some(404) || e.status == Some(409) => e,
            Err(e) => return Err(self.explain(e)),
        };
        if e.status == Some(404) {
            let repo = self
                .api
                .call(Method::Get, &self.repo_path(), None)
                .map_err(|e| self.explain(e))?;
            if repo.get("size").and_then(Value::as_u64).unwrap_or(0) > 0 {
                let default = repo["default_branch"].as_str().unwrap_or_default();
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
        let init = self
            .api
            .call(
                Method::Put,
                &format!("{}/contents/.gitkeep", self.repo_path()),
                Some(&body),
            )
            .map_err(|e| self.explain(e))?;
        Ok((sha(&init, "/commit/sha"), true))
    }

    /// The `createCommitOnBranch` mutation, retried once with a fresh head when it moved.
    fn commit(&self, notes: &mut Notes, mut input: Value) -> Result<String, ScmError> {
        let result = match self.api.graphql(MUTATION, &json!({"input": input})) {
            Ok(r) => r,
            Err(e) if e.text().contains("expectedHeadOid") => {
                notes.warn(format!(
                    "HEAD OID of {}#{} changed since read, retrying GraphQL commit once",
                    self.url.full_name(),
                    self.branch
                ));
                let fresh = self
                    .api
                    .call(Method::Get, &self.ref_path(), None)
                    .map_err(|e| self.explain(e))?;
                input["expectedHeadOid"] =
                    fresh.pointer("/object/sha").cloned().unwrap_or(Value::Null);
                self.api
                    .graphql(MUTATION, &json!({"input": input}))
                    .map_err(|e| self.explain(e))?
            }
            Err(e) => return Err(self.explain(e)),
        };
        Ok(result
            .pointer("/createCommitOnBranch/commit/oid")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string())
    }
}

/// Refuses a payload over GraphQL's limit, as Backstage estimates it.
fn check_payload(files: &[(String, Vec<u8>)]) -> Result<(), ScmError> {
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
    Ok(())
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
    check_payload(&files)?;
    let target = Target {
        api,
        host,
        url,
        branch,
    };
    let (head, cleanup) = target.head_or_init(notes)?;
    let additions: Vec<Value> = files
        .iter()
        .map(|(p, b)| json!({"path": p, "contents": base64::engine::general_purpose::STANDARD.encode(b)}))
        .collect();
    let mut changes = json!({"additions": additions});
    if cleanup {
        changes["deletions"] = json!([{"path": ".gitkeep"}]);
    }
    let input = json!({
        "branch": {"repositoryNameWithOwner": url.full_name(), "branchName": branch},
        "message": {"headline": message},
        "fileChanges": changes,
        "expectedHeadOid": head,
    });
    let oid = target.commit(notes, input)?;
    notes.info(format!(
        "Pushed {} files to {}#{branch} via GitHub GraphQL API ({oid})",
        files.len(),
        url.full_name()
    ));
    Ok(oid)
}
