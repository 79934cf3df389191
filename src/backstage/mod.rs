//! Backstage's concepts, each written once: repository URLs (`parseRepoUrl`, host kinds, the
//! RepoUrlPicker value), entity references, SCM URL resolution, `catalogFilter` matching,
//! "did you mean" suggestions, the Draft-7 JSON Schema builder with its cache, and YAML in and
//! out as Backstage reads and writes it.
//!
//! A leaf: nothing here uses another module of golden, so every layer (prompts, render, actions,
//! validate, catalog) can use it. Errors are plain values; callers turn them into their own.

pub mod catalog_filter;
pub mod entity_ref;
pub mod formats;
pub mod json_schema;
pub mod repo_url;
pub mod scm_url;
pub mod suggest;
pub mod uri;
pub mod yaml;
pub mod yaml_out;
