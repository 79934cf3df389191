//! The one integration-test binary: CLI tests, the Backstage conformance cases, and friends.

mod backstage_record;
mod backstage_record_gitlab;
mod catalog;
mod conformance;
mod fake_github;
mod fake_gitlab;
mod golden_path;
mod new;
mod prompts;
mod publish;
mod publish_gitlab;
mod support;
mod validate;
