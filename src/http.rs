//! HTTP plumbing the forge and catalog clients share: golden's blocking HTTP client (rustls with
//! ring and the platform's certificate verifier, `https_proxy`/`no_proxy`, timeouts, golden's
//! user agent) and the [`RetryPolicy`] for transient failures.

use std::time::Duration;

/// The user agent of every request golden makes.
pub const USER_AGENT: &str = concat!("golden/", env!("CARGO_PKG_VERSION"));

/// A blocking client that gives up connecting after `connect` and on a request after 60 s.
pub fn blocking_client(connect: Duration) -> Result<reqwest::blocking::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .connect_timeout(connect)
        .timeout(Duration::from_secs(60))
        .user_agent(USER_AGENT)
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// How transient failures are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per call, the first included.
    pub attempts: u32,
    /// The wait before the first retry; doubled for each next one.
    pub first_delay: Duration,
    /// No retry starts once this much time has passed since the first attempt.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            first_delay: Duration::from_millis(500),
            budget: Duration::from_secs(60),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_build_and_retries_are_bounded() {
        assert!(blocking_client(Duration::from_secs(1)).is_ok());
        let p = RetryPolicy::default();
        assert_eq!(p.attempts, 5);
        assert!(p.first_delay < p.budget);
        assert!(USER_AGENT.starts_with("golden/"));
    }
}
