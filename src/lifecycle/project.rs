//! A generated project seen by `golden check` and `golden update`: its record, the template at
//! the recorded commit and at the newest commit of the followed ref, each rendered with answers.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::fetch::Fetcher;
use super::record::{Record, TemplateRef};
use super::render::{self, Files};
use super::source::GitSource;
use crate::error::{Error, Result};
use crate::services::Services;
use crate::settings::Context;
use crate::template::Template;

/// A project and where its template lives.
pub struct Project {
    pub dir: PathBuf,
    pub record: Record,
    pub context: Context,
    pub fetcher: Fetcher,
}

/// A template at one commit.
pub struct Version {
    pub template: Template,
    pub commit: String,
}

impl Project {
    /// Reads `DIR/.golden.yaml`.
    pub fn open(dir: &Path, context: &Context, offline: bool) -> Result<Project> {
        let record = Record::read(&dir.join(super::record::FILE))?;
        let fetcher = super::FetchSettings { offline, context }.fetcher();
        Ok(Project {
            dir: dir.to_path_buf(),
            record,
            context: context.clone(),
            fetcher,
        })
    }

    /// The integrations a render or a pull request uses.
    pub fn services(&self) -> Services {
        Services {
            home: self.context.home.clone(),
            cwd: self.context.cwd.clone(),
            config: self.context.config.clone(),
            git: Some(std::sync::Arc::new(crate::git::Git2 {
                proxies: self.context.proxies.clone(),
            })),
            remote: Some(std::sync::Arc::new(super::remote::Reader {
                home: self.context.home.clone(),
                config: self.context.config.clone(),
                proxies: self.context.proxies.clone(),
            })),
            ..Default::default()
        }
    }

    /// The record's git source (update and check need one).
    pub fn git_source(&self) -> Result<GitSource> {
        let t = &self.record.template;
        let Some(url) = &t.url else {
            return Err(Error::usage(format!(
                "the project was made from the local template folder `{}`, which has no history to compare with",
                t.dir.as_deref().unwrap_or("?")
            ))
            .hint("keep templates in a git repository and create projects from its URL (`golden new https://…/tree/main/NAME`)"));
        };
        Ok(GitSource {
            url: url.clone(),
            subpath: t.path.clone(),
            file: t.file.clone().unwrap_or_else(|| "template.yaml".into()),
            reference: t.reference.clone(),
        })
    }

    /// The template at the recorded commit.
    pub fn base(&self) -> Result<Version> {
        let src = self.git_source()?;
        let commit = self.record.template.commit.clone().ok_or_else(|| {
            Error::usage("the record names no commit of the template")
                .hint("`golden link` writes a complete record")
        })?;
        let got = self.fetcher.commit(&src.url, &commit)?;
        self.load(&src, got)
    }

    /// The template at the newest commit of `reference` (default: the recorded ref).
    pub fn newest(&self, reference: Option<&str>) -> Result<Version> {
        let mut src = self.git_source()?;
        if let Some(r) = reference {
            src.reference = Some(r.to_string());
        }
        let got = self
            .fetcher
            .checkout(&src.url, src.reference.as_deref(), true)?;
        self.load(&src, got)
    }

    fn load(&self, src: &GitSource, got: super::fetch::Fetched) -> Result<Version> {
        let commit = got.commit.clone();
        let resolved = super::from_fetched(src, got)?;
        Ok(Version {
            template: resolved.load()?,
            commit,
        })
    }

    /// Renders a version with `answers`: the files of the published folder.
    pub fn render(&self, v: &Version, answers: &Map<String, Value>) -> Result<Files> {
        let services = Services {
            local: true,
            ..self.services()
        };
        let (files, _) = render::render(&v.template, answers, &services)?;
        Ok(files)
    }

    /// The project's own files (the working tree, `.gitignore` honoured).
    pub fn files(&self) -> Result<Files> {
        render::read_files(&self.dir)
    }

    /// The record after an update to `v` with `answers`.
    pub fn updated_record(&self, v: &Version, answers: &Map<String, Value>) -> Record {
        let mut r = Record::new(
            &v.template,
            TemplateRef {
                commit: Some(v.commit.clone()),
                ..self.record.template.clone()
            },
            answers,
        );
        r.project_path = self.record.project_path.clone();
        r
    }
}

/// Uncommitted changes of the project's git repository (`None`: not a git repository).
pub fn dirty(dir: &Path) -> Option<Vec<String>> {
    let repo = git2::Repository::open(dir).ok()?;
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let statuses = repo.statuses(Some(&mut opts)).ok()?;
    Some(
        statuses
            .iter()
            .filter(|s| s.status() != git2::Status::CURRENT)
            .filter_map(|s| s.path().ok().map(str::to_string))
            .collect(),
    )
}
