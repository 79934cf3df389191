//! The one integration-test binary: CLI tests, the Backstage conformance cases, and friends.

mod conformance;
mod prompts;
mod support;
