//! The one integration-test binary: CLI tests, the Backstage conformance cases, and friends.

mod conformance;
mod golden_path;
mod new;
mod prompts;
mod support;
mod validate;
