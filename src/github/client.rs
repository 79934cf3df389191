//! The real GitHub REST client: octocrab over reqwest (rustls with ring, the platform's
//! certificate verifier, `https_proxy`/`no_proxy`) inside a private current-thread tokio runtime
//! (octocrab panics outside one), with timeouts, and retries with backoff for 5xx answers,
//! transport failures and rate limits, bounded in total time. octocrab's own retry layer is off:
//! this one decides.

use std::time::Duration;

use serde_json::Value;

use super::{Api, ApiError, Method};
use crate::config::Secret;
use crate::http::RetryPolicy;

/// Builds [`Client`]s with the default retry policy.
pub struct Real;

impl super::Connect for Real {
    fn connect(&self, api_base_url: &str, token: &Secret) -> Result<Box<dyn Api>, String> {
        Ok(Box::new(Client::new(
            api_base_url,
            token,
            RetryPolicy::default(),
        )?))
    }
}

/// A GitHub REST client for one API base URL and token.
pub struct Client {
    rt: tokio::runtime::Runtime,
    gh: octocrab::Octocrab,
    /// The same, rooted where GraphQL lives (octocrab prefixes every path with its base path).
    gql: octocrab::Octocrab,
    policy: RetryPolicy,
}

/// Where `/graphql` hangs off: `https://api.github.com` for github.com, `https://HOST/api` for an
/// Enterprise `https://HOST/api/v3` (as octokit computes it).
fn graphql_root(api_base_url: &str) -> String {
    let base = api_base_url.trim_end_matches('/');
    base.strip_suffix("/v3")
        .filter(|b| b.ends_with("/api"))
        .unwrap_or(base)
        .to_string()
}

impl Client {
    /// A client for `api_base_url` (`https://api.github.com`, `https://HOST/api/v3`, ...).
    pub fn new(api_base_url: &str, token: &Secret, policy: RetryPolicy) -> Result<Client, String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the HTTP runtime: {e}"))?;
        // reqwest underneath: TLS with the platform's certificate verifier (ring), and the
        // `https_proxy`/`http_proxy`/`no_proxy` variables honoured.
        let http = {
            let _guard = rt.enter();
            reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(15))
                .read_timeout(Duration::from_secs(60))
                .user_agent(crate::http::USER_AGENT)
                .build()
                .map_err(|e| format!("cannot build the HTTP client: {e}"))?
        };
        let build = |base: &str| {
            let _guard = rt.enter();
            let builder = octocrab::Octocrab::builder()
                .add_retry_config(octocrab::service::middleware::retry::RetryConfig::None)
                .base_uri(base)
                .map_err(|e| {
                    format!(
                        "the GitHub API base URL `{api_base_url}` is invalid: {}",
                        first_line(&e.to_string())
                    )
                })?;
            // No token (a public repository read without credentials): no Authorization.
            let builder = if token.0.is_empty() {
                builder
            } else {
                builder.personal_token(token.0.clone())
            };
            builder.build_with_reqwest(http.clone()).map_err(|e| {
                format!(
                    "cannot build the GitHub client: {}",
                    first_line(&e.to_string())
                )
            })
        };
        let gh = build(api_base_url)?;
        let gql = build(&graphql_root(api_base_url))?;
        Ok(Client {
            rt,
            gh,
            gql,
            policy,
        })
    }

    /// One attempt; on failure also says how long GitHub asked to wait, if it did.
    async fn once(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        raw: bool,
    ) -> Result<Value, (ApiError, Option<Duration>)> {
        let call = format!("{} {}", method.as_str(), path);
        let transport = |e: octocrab::Error| (transport_error(&call, &e), None);
        let client = if path == "/graphql" {
            &self.gql
        } else {
            &self.gh
        };
        let method = http_method(method);
        let response = async {
            let mut builder = http::Request::builder().method(method).uri(path);
            if raw {
                builder = builder.header("Accept", "application/vnd.github.raw");
            }
            let request = client.build_request(builder, body)?;
            client.execute(request).await
        }
        .await
        .map_err(transport)?;
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let text = client.body_to_string(response).await.map_err(transport)?;
        if raw && (200..300).contains(&status) {
            return Ok(Value::String(text));
        }
        let json: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text.clone()))
        };
        if (200..300).contains(&status) {
            return Ok(json);
        }
        Err((api_error(call, status, &text, &json), retry_after))
    }
}

/// Whether a failure is worth another attempt: transport failures and timeouts, 5xx, 429, and
/// 403 rate limits (GitHub's secondary limits answer 403 with a message saying so).
fn transient(e: &ApiError, retry_after: Option<Duration>) -> bool {
    match e.status {
        None => true,
        Some(s) if s >= 500 || s == 429 => true,
        Some(403) => retry_after.is_some() || e.message.to_ascii_lowercase().contains("rate limit"),
        _ => false,
    }
}

impl Api for Client {
    fn graphql(&self, query: &str, variables: &Value) -> Result<Value, ApiError> {
        let body = serde_json::json!({"query": query, "variables": variables});
        let v = self.call(Method::Post, "/graphql", Some(&body))?;
        if let Some(errors) = v
            .get("errors")
            .and_then(Value::as_array)
            .filter(|e| !e.is_empty())
        {
            let details: Vec<String> = errors
                .iter()
                .filter_map(|e| e.get("message").and_then(Value::as_str).map(str::to_string))
                .collect();
            return Err(ApiError {
                call: "POST /graphql".into(),
                status: Some(200),
                message: "GraphQL query failed".into(),
                details,
            });
        }
        Ok(v.get("data").cloned().unwrap_or(Value::Null))
    }

    fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, ApiError> {
        self.request(method, path, body, false)
    }

    fn raw(&self, path: &str) -> Result<Vec<u8>, ApiError> {
        match self.request(Method::Get, path, None, true)? {
            Value::String(s) => Ok(s.into_bytes()),
            other => Ok(other.to_string().into_bytes()),
        }
    }
}

impl Client {
    /// One call with retries of transient failures; `raw` asks for the raw media type and
    /// returns the body as a string.
    fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        raw: bool,
    ) -> Result<Value, ApiError> {
        self.policy.run(
            || self.rt.block_on(self.once(method, path, body, raw)),
            transient,
        )
    }
}

/// The error of a call that got no HTTP answer, with the innermost causes.
fn transport_error(call: &str, e: &octocrab::Error) -> ApiError {
    let message = match e {
        octocrab::Error::Service { source, .. } => chain(source.as_ref()),
        octocrab::Error::Hyper { source, .. } => chain(source),
        octocrab::Error::Reqwest { source, .. } => chain(source),
        other => first_line(&other.to_string()),
    };
    ApiError {
        call: call.to_string(),
        status: None,
        message,
        details: Vec::new(),
    }
}

fn http_method(method: Method) -> http::Method {
    match method {
        Method::Get => http::Method::GET,
        Method::Post => http::Method::POST,
        Method::Put => http::Method::PUT,
        Method::Patch => http::Method::PATCH,
        Method::Head => http::Method::HEAD,
    }
}

/// How long GitHub asks to wait: `Retry-After`, or until the rate limit resets when none is
/// left.
fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    header("retry-after")
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .or_else(|| {
            let remaining = header("x-ratelimit-remaining")?;
            let reset = header("x-ratelimit-reset")?.parse::<u64>().ok()?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok()?
                .as_secs();
            (remaining == "0").then(|| Duration::from_secs(reset.saturating_sub(now) + 1))
        })
}

/// The error of a call GitHub answered with a failure status: its `message` and `errors`.
fn api_error(call: String, status: u16, text: &str, json: &Value) -> ApiError {
    let message = json
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| {
            if text.trim().is_empty() {
                format!("HTTP {status}")
            } else {
                first_line(text.trim())
            }
        });
    let details = json
        .get("errors")
        .and_then(Value::as_array)
        .map(|errs| {
            errs.iter()
                .filter_map(|e| {
                    e.get("message")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .or_else(|| e.as_str().map(str::to_string))
                })
                .collect()
        })
        .unwrap_or_default();
    ApiError {
        call,
        status: Some(status),
        message,
        details,
    }
}

/// An error and its causes on one line (`error sending request: connection refused`).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(c) = cur {
        let text = c.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = c.source();
    }
    let text = parts.join(": ");
    text.strip_prefix("Reqwest Error: ")
        .map(str::to_string)
        .unwrap_or(text)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_failures_are_told_apart() {
        let e = |status: Option<u16>, message: &str| ApiError {
            call: String::new(),
            status,
            message: message.into(),
            details: vec![],
        };
        assert!(transient(&e(Some(502), "Bad Gateway"), None));
        assert!(transient(&e(None, "operation timed out"), None));
        assert!(transient(
            &e(Some(403), "You have exceeded a secondary rate limit"),
            None
        ));
        assert!(!transient(
            &e(Some(403), "Resource not accessible by integration"),
            None
        ));
        assert!(!transient(
            &e(Some(422), "Repository creation failed."),
            None
        ));
        assert!(!transient(&e(Some(401), "Bad credentials"), None));
    }

    #[test]
    fn graphql_lives_beside_the_rest_api() {
        assert_eq!(
            graphql_root("https://api.github.com"),
            "https://api.github.com"
        );
        assert_eq!(
            graphql_root("https://ghe.corp/api/v3"),
            "https://ghe.corp/api"
        );
        assert_eq!(
            graphql_root("http://127.0.0.1:1234/api/v3/"),
            "http://127.0.0.1:1234/api"
        );
    }
}
