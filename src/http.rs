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

impl RetryPolicy {
    /// Runs `attempt` until it succeeds, fails for good (`transient` of the failure and the
    /// server's `Retry-After` says no), or the attempts or the time budget run out. Between
    /// tries it waits the doubling delay, or longer when the server asks. A failure that took
    /// more than one attempt gets " (after N attempts)" added to its `message`.
    pub fn run<T, E: Attempted>(
        &self,
        mut attempt: impl FnMut() -> Result<T, (E, Option<Duration>)>,
        transient: impl Fn(&E, Option<Duration>) -> bool,
    ) -> Result<T, E> {
        let started = std::time::Instant::now();
        let mut delay = self.first_delay;
        let mut n = 1;
        loop {
            let (mut err, retry_after) = match attempt() {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            let wait = retry_after.unwrap_or(delay).max(delay);
            if n >= self.attempts
                || !transient(&err, retry_after)
                || started.elapsed() + wait > self.budget
            {
                if n > 1 {
                    let message = err.message_mut();
                    *message = format!("{message} (after {n} attempts)");
                }
                return Err(err);
            }
            std::thread::sleep(wait);
            delay *= 2;
            n += 1;
        }
    }
}

/// A failure whose message says how many attempts it took.
pub trait Attempted {
    fn message_mut(&mut self) -> &mut String;
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

    struct Failed(String);

    impl Attempted for Failed {
        fn message_mut(&mut self) -> &mut String {
            &mut self.0
        }
    }

    #[test]
    fn transient_failures_are_tried_again_and_counted() {
        let policy = RetryPolicy {
            attempts: 3,
            first_delay: Duration::from_millis(1),
            budget: Duration::from_secs(5),
        };
        let mut calls = 0;
        let r: Result<(), Failed> = policy.run(
            || {
                calls += 1;
                Err((Failed("busy".into()), None))
            },
            |_, _| true,
        );
        assert_eq!(r.err().unwrap().0, "busy (after 3 attempts)");
        assert_eq!(calls, 3);
        let mut calls = 0;
        let r: Result<(), Failed> = policy.run(
            || {
                calls += 1;
                Err((Failed("denied".into()), None))
            },
            |_, _| false,
        );
        assert_eq!((r.err().unwrap().0.as_str(), calls), ("denied", 1));
        let mut calls = 0;
        let r = policy.run(
            || {
                calls += 1;
                if calls < 2 {
                    Err((Failed("busy".into()), Some(Duration::from_millis(2))))
                } else {
                    Ok(calls)
                }
            },
            |_, retry_after| retry_after.is_some(),
        );
        assert_eq!(r.ok(), Some(2));
    }
}
