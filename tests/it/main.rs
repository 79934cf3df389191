//! The one integration-test binary: CLI tests, the Backstage conformance cases, and friends.
#![allow(clippy::print_stdout, clippy::print_stderr)] // notes on skipped tests

mod backstage_record;
mod backstage_record_gitlab;
mod catalog;
mod conformance;
mod external_actions;
mod fake_gitea;
mod fake_github;
mod fake_gitlab;
mod golden_path;
mod golden_test;
mod help;
mod honesty;
mod hostile;
mod hostile_resume;
mod lifecycle;
mod module_graph;
mod new;
mod node_path;
mod npm_actions;
mod npm_services;
mod parity;
mod prompts;
mod publish;
mod publish_gitlab;
mod publish_seam;
mod render_errors;
mod render_limits;
mod secrets;
mod support;
mod surface;
mod validate;
