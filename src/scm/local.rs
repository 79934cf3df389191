//! The local forge as a [`Target`] of any kind: repositories under
//! `forge/HOST/GROUP/SUBGROUP/REPO.git`, pushes with git2 over `file://`, change requests as a
//! pushed branch plus a record in `REPO.git/golden/merge_requests.json`, settings (branches,
//! protection, variables — their values left out) recorded as JSON beside the repository.

use serde_json::{json, Map, Value};

use super::{
    Change, ChangeRequest, Input, Kind, NewRepository, Notes, Push, RepoSpec, Repository, Result,
    ScmError, Target,
};
use crate::forge::{self, Forge};
use crate::git::BranchCommit;

/// The local forge standing in for a forge of `kind`.
pub struct Local {
    forge: Forge,
    kind: Kind,
}

impl Local {
    pub fn new(forge: Forge, kind: Kind) -> Local {
        Local { forge, kind }
    }

    /// The default branch when the input names none: GitLab's module uses `master`, the others
    /// `main`.
    fn default_branch(&self, settings: &Map<String, Value>) -> String {
        settings
            .get("defaultBranch")
            .and_then(Value::as_str)
            .filter(|b| !b.is_empty())
            .unwrap_or(match self.kind {
                Kind::Gitlab => "master",
                _ => "main",
            })
            .to_string()
    }
}

/// The action's input without what must never be written down: the token, and the values of
/// variables and secrets.
fn recordable(settings: &Map<String, Value>) -> Value {
    let mut s = settings.clone();
    s.remove("token");
    if let Some(Value::Array(vars)) = s.get_mut("projectVariables") {
        for v in vars.iter_mut() {
            if let Some(o) = v.as_object_mut() {
                o.insert("value".into(), json!("***"));
            }
        }
    }
    if let Some(Value::Object(secrets)) = s.get_mut("secrets") {
        for v in secrets.values_mut() {
            *v = json!("***");
        }
    }
    Value::Object(s)
}

/// A stable number for a forge repository (GitLab's project id stands in for it).
fn forge_id(path: &std::path::Path) -> u64 {
    super::stable_id(&path.display().to_string())
}

impl Local {
    /// The repository at `path`, whose default branch is `branch`.
    fn repository(path: &std::path::Path, branch: String, created: bool) -> Repository {
        let url = forge::url(path);
        Repository {
            id: Some(forge_id(path)),
            git_url: url.clone(),
            web_url: url,
            contents_url: forge::contents_url(path, &branch),
            default_branch: branch,
            created,
            pushed: None,
        }
    }

    /// The existing repository `repo` when `skipExisting` keeps it.
    fn kept(
        &self,
        notes: &mut Notes,
        repo: &RepoSpec,
        settings: &Map<String, Value>,
    ) -> Result<Option<Repository>, ScmError> {
        let path = self.forge.repo_path(&repo.host, &repo.owner, &repo.name)?;
        let skip_existing = settings
            .get("skipExisting")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if !(skip_existing && path.is_dir()) {
            return Ok(None);
        }
        let head = git2::Repository::open_bare(&path)
            .ok()
            .and_then(|r| {
                r.find_reference("HEAD")
                    .ok()
                    .and_then(|h| h.symbolic_target().ok().flatten().map(str::to_string))
            })
            .and_then(|t| t.strip_prefix("refs/heads/").map(str::to_string))
            .unwrap_or_else(|| self.default_branch(settings));
        notes.info(format!(
            "Repo {} already exists in namespace {}.",
            repo.name, repo.owner
        ));
        Ok(Some(Local::repository(&path, head, false)))
    }

    /// The existing repository `repo` (`github:repo:push` pushes to one made before); its
    /// default branch as given, or `branch` while it is empty.
    pub fn existing(&self, repo: &RepoSpec, branch: &str) -> Result<Repository, ScmError> {
        let path = self.forge.existing(&repo.host, &repo.owner, &repo.name)?;
        let head = git2::Repository::open_bare(&path)
            .ok()
            .and_then(|r| {
                r.head()
                    .ok()
                    .and_then(|h| h.shorthand().ok().map(str::to_string))
            })
            .unwrap_or_else(|| branch.to_string());
        Ok(Local::repository(&path, head, false))
    }

    /// Creates `repo` aside with its settings recorded, runs `fill` on it there (the push),
    /// then moves it into place: it appears complete or not at all.
    fn create(
        &self,
        notes: &mut Notes,
        repo: &RepoSpec,
        settings: &Map<String, Value>,
        fill: impl FnOnce(&str) -> Result<Option<String>>,
    ) -> Result<Repository> {
        let branch = self.default_branch(settings);
        let redactor = self.forge.redactor();
        let (path, hash) = self.forge.create_with(
            &repo.host,
            &repo.owner,
            &repo.name,
            &branch,
            |aside| -> Result<Option<String>> {
                forge::record(aside, "settings", recordable(settings), redactor)?;
                fill(&forge::url(aside))
            },
        )?;
        notes.created(format!(
            "the local-forge repository {} (`{}`)",
            repo.full_name(),
            path.display()
        ));
        notes.info(format!(
            "local forge: created {} ({} settings recorded in `{}`)",
            repo.full_name(),
            self.kind.label(),
            path.join("golden/settings.json").display()
        ));
        let created = Local::repository(&path, branch, true);
        Ok(Repository {
            pushed: hash,
            ..created
        })
    }
}

fn push_error(full_name: &str, e: &str) -> ScmError {
    ScmError::new(format!("cannot push to {full_name}: {e}"))
}

impl Target for Local {
    fn kind(&self) -> Kind {
        self.kind
    }

    fn create_repository(&self, notes: &mut Notes, new: &NewRepository<'_>) -> Result<Repository> {
        if let Some(kept) = self.kept(notes, new.spec, new.settings)? {
            return Ok(kept);
        }
        self.create(notes, new.spec, new.settings, |_| Ok(None))
    }

    fn create_and_push(&self, notes: &mut Notes, new: &NewRepository<'_>) -> Result<Repository> {
        if let Some(kept) = self.kept(notes, new.spec, new.settings)? {
            return Ok(kept);
        }
        let created = self.create(notes, new.spec, new.settings, |url| match new.push {
            Some(p) => p
                .run(url, "x-access-token", None)
                .map(Some)
                .map_err(|e| push_error(&new.spec.full_name(), &e)),
            None => Ok(None),
        })?;
        if let (Some(hash), Some(p)) = (&created.pushed, new.push) {
            notes.pushed(hash, &created.git_url, p);
        }
        Ok(created)
    }

    fn push(&self, notes: &mut Notes, repo: &Repository, push: &Push<'_>) -> Result<String> {
        let path = url::Url::parse(&repo.git_url)
            .ok()
            .and_then(|u| u.to_file_path().ok());
        let was_empty = path.as_deref().is_some_and(forge::is_empty);
        let name = path
            .as_deref()
            .and_then(|p| self.forge.full_name(p))
            .unwrap_or_else(|| repo.git_url.clone());
        let hash = push
            .run(&repo.git_url, "x-access-token", None)
            .map_err(|e| push_error(&name, &e))?;
        if let (true, Some(path)) = (was_empty, &path) {
            // The first push decides the default branch, as on GitHub.
            forge::set_default_branch(path, push.branch);
        }
        notes.created(format!(
            "branch {} of the local-forge repository {name}",
            push.branch
        ));
        notes.pushed(&hash, &repo.git_url, push);
        Ok(hash)
    }

    fn set_up(&self, notes: &mut Notes, repo: &Repository, settings: Input<'_>) -> Result<()> {
        let path = url::Url::parse(&repo.git_url)
            .ok()
            .and_then(|u| u.to_file_path().ok())
            .ok_or_else(|| {
                ScmError::new(format!("`{}` is not in the local forge", repo.git_url))
            })?;
        let branches = settings
            .value("branches")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if repo.pushed.is_some() {
            let r = git2::Repository::open_bare(&path).map_err(|e| {
                ScmError::new(format!("cannot open `{}`: {}", path.display(), e.message()))
            })?;
            for b in &branches {
                let name = b["name"].as_str().unwrap_or_default();
                if b["create"].as_bool().unwrap_or(false) {
                    let reference = b["ref"].as_str().unwrap_or("master");
                    let commit = r
                        .revparse_single(&format!("refs/heads/{reference}"))
                        .and_then(|o| o.peel_to_commit())
                        .map_err(|_| {
                            ScmError::new(format!(
                                "Branch creation failed for {name}. the local forge repository has no branch `{reference}`"
                            ))
                        })?;
                    r.branch(name, &commit, false).map_err(|e| {
                        ScmError::new(format!(
                            "Branch creation failed for {name}. {}",
                            e.message()
                        ))
                    })?;
                    notes.info(format!("Branch {name} created with ref {reference}"));
                }
                if b["protect"].as_bool().unwrap_or(false) {
                    forge::record(
                        &path,
                        "protected_branches",
                        json!({"name": name}),
                        self.forge.redactor(),
                    )?;
                }
            }
        }
        if let Some(vars) = settings.value("projectVariables").and_then(Value::as_array) {
            for v in vars {
                let mut v = v.clone();
                if let Some(o) = v.as_object_mut() {
                    o.insert("value".into(), json!("***"));
                }
                forge::record(&path, "variables", v, self.forge.redactor())?;
            }
        }
        Ok(())
    }

    fn open_change_request(&self, notes: &mut Notes, req: &ChangeRequest<'_>) -> Result<Change> {
        let repo = req.repo;
        let path = self.forge.existing(&repo.host, &repo.owner, &repo.name)?;
        let remote = forge::url(&path);
        if let Some(n) = forge::records(&path, "merge_requests")
            .iter()
            .position(|m| m["source_branch"] == json!(req.branch))
        {
            return Err(ScmError::new(format!(
                "The branch creation failed because the branch already exists at: {remote} ({}). Additionally, there is a Merge Request for this branch: {remote}/-/merge_requests/{}",
                req.branch,
                n + 1
            )));
        }
        let author = crate::git::Author {
            name: "Scaffolder".into(),
            email: "scaffolder@backstage.io".into(),
        };
        let commit = BranchCommit {
            base: req.target_branch,
            branch: req.branch,
            source: req.source,
            target_path: req.target_path.unwrap_or(""),
            delete: &[],
            message: req.title,
            author: &author,
            force: false,
        };
        let res = req.git.push_branch(&remote, None, &commit).map_err(|e| {
            ScmError::new(format!(
                "Merge request creation failed for {}: {e}",
                repo.full_name()
            ))
        })?;
        notes.created(format!(
            "branch {} of the local-forge repository {}",
            req.branch,
            repo.full_name()
        ));
        let mut mr = Map::new();
        mr.insert("source_branch".into(), json!(req.branch));
        mr.insert("target_branch".into(), json!(res.base));
        mr.insert("title".into(), json!(req.title));
        if let Some(d) = req.description {
            mr.insert("description".into(), json!(d));
        }
        for key in [
            "assignee",
            "reviewers",
            "labels",
            "removeSourceBranch",
            "autoMerge",
        ] {
            if let Some(v) = req.options.get(key) {
                mr.insert(key.into(), v.clone());
            }
        }
        mr.insert("commit".into(), json!(res.commit));
        let number = forge::record(
            &path,
            "merge_requests",
            Value::Object(mr),
            self.forge.redactor(),
        )?;
        notes.info(format!(
            "local forge: merge request !{number} recorded in `{}`",
            path.join("golden/merge_requests.json").display()
        ));
        Ok(Change {
            target_branch: res.base,
            url: format!("{remote}/-/merge_requests/{number}"),
            number: number as u64,
        })
    }

    fn read_file(&self, repo: &RepoSpec, branch: &str, file: &str) -> Result<Vec<u8>> {
        let path = self.forge.existing(&repo.host, &repo.owner, &repo.name)?;
        forge::read_contents_url(&format!(
            "{}/{}",
            forge::contents_url(&path, branch),
            file.trim_start_matches('/')
        ))
        .ok_or_else(|| {
            ScmError::new(format!(
                "branch `{branch}` of the local-forge repository {} has no file `{file}`",
                repo.full_name()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::{Author, BranchCommit, BranchCommitResult, Git, NewCommit, Remote};

    /// A git whose pushes all fail.
    struct Refusing;

    impl Git for Refusing {
        fn push_new(&self, _: &Remote<'_>, _: &NewCommit<'_>) -> Result<String, String> {
            Err("refused".into())
        }
        fn push_branch(
            &self,
            _: &str,
            _: Option<&crate::config::Secret>,
            _: &BranchCommit<'_>,
        ) -> Result<BranchCommitResult, String> {
            Err("refused".into())
        }
        fn clone_into(
            &self,
            _: &Remote<'_>,
            _: Option<&str>,
            _: &std::path::Path,
        ) -> Result<(), String> {
            Err("refused".into())
        }
    }

    #[test]
    fn create_and_push_is_atomic_for_every_kind() {
        let home = tempfile::tempdir().unwrap();
        let source = tempfile::tempdir().unwrap();
        std::fs::write(source.path().join("README.md"), "hi\n").unwrap();
        let author = Author {
            name: "A".into(),
            email: "a@example.com".into(),
        };
        let push = Push {
            git: &Refusing,
            source: source.path(),
            branch: "main",
            message: "m",
            author: &author,
            signer: None,
        };
        let settings = serde_json::json!({"defaultBranch": "main"});
        let settings = settings.as_object().unwrap();
        for kind in [Kind::Github, Kind::Gitlab, Kind::Gitea] {
            let local = Local::new(Forge::new(home.path()), kind);
            let spec = RepoSpec {
                host: format!("{}.example", kind.name()),
                owner: "acme/team".into(),
                name: "svc".into(),
            };
            let mut notes = Notes::default();
            let new = NewRepository {
                spec: &spec,
                settings,
                push: Some(&push),
            };
            let err = local.create_and_push(&mut notes, &new).unwrap_err();
            assert!(
                err.message
                    .contains("cannot push to acme/team/svc: refused"),
                "{err}"
            );
            let parent = home.path().join("forge").join(&spec.host).join("acme/team");
            assert_eq!(
                std::fs::read_dir(&parent).map(|d| d.count()).unwrap_or(0),
                0,
                "{kind:?}: nothing is left in the forge"
            );
            assert!(notes.created.is_empty(), "{kind:?}: {:?}", notes.created);
            // With a working git, the repository appears complete.
            let push = Push {
                git: &crate::git::PLAIN,
                ..push
            };
            let new = NewRepository {
                push: Some(&push),
                ..new
            };
            let repo = local.create_and_push(&mut notes, &new).unwrap();
            let hash = repo.pushed.clone();
            assert!(repo.created && hash.is_some());
            let logged = format!(
                "pushed {} to {} (main)",
                hash.as_deref().unwrap(),
                repo.git_url
            );
            assert!(notes.log.contains(&logged), "{kind:?}: {:?}", notes.log);
            let bare = git2::Repository::open_bare(parent.join("svc.git")).unwrap();
            let head = bare.head().unwrap().peel_to_commit().unwrap();
            assert_eq!(head.id().to_string(), hash.unwrap());
            assert_eq!(head.message().ok(), Some("m"));
        }
    }

    #[test]
    fn recorded_settings_leave_out_tokens_and_variable_values() {
        let s = json!({"token": "glpat-x", "projectVariables": [{"key": "K", "value": "v"}], "topics": ["a"]});
        let r = recordable(s.as_object().unwrap());
        assert!(r.get("token").is_none());
        assert_eq!(r["projectVariables"][0]["value"], "***");
        assert_eq!(r["topics"], json!(["a"]));
    }
}
