//! The one integration-test binary: CLI tests, the Backstage conformance cases, and friends.
#![allow(clippy::print_stdout, clippy::print_stderr)] // notes on skipped tests

mod backstage_record;
mod catalog;
mod external_actions;
mod conformance;
mod fake_github;
mod golden_path;
mod lifecycle;
mod golden_test;
mod honesty;
mod hostile;
mod module_graph;
mod new;
mod node_path;
mod npm_actions;
mod parity;
mod prompts;
mod publish;
mod render_limits;
mod secrets;
mod support;
mod validate;
