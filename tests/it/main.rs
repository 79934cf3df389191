//! The one integration-test binary: CLI tests, the Backstage conformance cases, and friends.
#![allow(clippy::print_stdout, clippy::print_stderr)] // notes on skipped tests

mod backstage_record;
mod backstage_record_gitlab;
mod catalog;
mod conformance;
mod fake_gitea;
mod fake_github;
mod fake_gitlab;
mod golden_path;
mod golden_test;
mod hostile;
mod new;
mod node_path;
mod prompts;
mod publish;
mod publish_gitlab;
mod support;
mod validate;
