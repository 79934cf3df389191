//! The one integration-test binary: CLI tests, the Backstage conformance cases, and friends.
#![allow(clippy::print_stdout, clippy::print_stderr)] // notes on skipped tests

mod backstage_record;
mod catalog;
mod conformance;
mod fake_github;
mod golden_path;
mod golden_test;
mod hostile;
mod new;
mod node_path;
mod prompts;
mod publish;
mod support;
mod validate;
