//! The one integration-test binary: CLI tests, the Backstage conformance cases, and friends.
#![allow(clippy::print_stdout, clippy::print_stderr)] // notes on skipped tests

mod backstage_record;
mod catalog;
mod external_actions;
mod conformance;
mod fake_github;
mod golden_path;
mod new;
mod npm_actions;
mod prompts;
mod publish;
mod support;
mod validate;
