//! The one integration-test binary: CLI tests, the Backstage conformance cases, and friends.

mod catalog;
mod conformance;
mod golden_path;
mod new;
mod support;
mod validate;
