//! GitHub App credentials (`integrations.github[].apps`), as Backstage's
//! `SingleInstanceGithubCredentialsProvider` gets them: a JWT signed with the app's private key
//! (RS256, issued 30 s in the past, valid 10 minutes), the app's installations listed with it,
//! the installation of the repository's owner picked, and an installation access token created
//! for it. Tokens are cached per app and owner for the run (in its [`AppTokens`], held by
//! `Services`), until 10 minutes before they expire. `allowedInstallationOwners` limits the owners an app answers for; an installation
//! limited to selected repositories only answers for those.
//!
//! Neither the private key nor a token ever appears in a message; the tokens are registered with
//! the run's `crate::redact::Redactor` as soon as they exist.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::{Api, Connect, GithubError, Method};
use crate::config::{GithubApp, Secret};

/// How long a listing of installations is reused.
const INSTALLATIONS_TTL: Duration = Duration::from_secs(600);
/// Tokens are dropped from the cache this long before they expire.
const EXPIRY_MARGIN: Duration = Duration::from_secs(600);

/// A cached installation token.
#[derive(Clone)]
struct Cached {
    token: Secret,
    expires: SystemTime,
    /// The repositories it may use (`None`: all of the owner's).
    repositories: Option<Vec<String>>,
}

/// Tokens by `api|app id|owner`, installations by `api|app id`.
#[derive(Default)]
struct Caches {
    tokens: HashMap<String, Cached>,
    installations: HashMap<String, (SystemTime, Vec<Value>)>,
}

/// The run's app tokens: the caches, and the redaction list every token joins. Clones share them.
#[derive(Clone, Default)]
pub struct AppTokens {
    caches: Arc<Mutex<Caches>>,
    redactor: crate::redact::Redactor,
}

impl AppTokens {
    /// The same caches, registering tokens with `redactor` (the run's).
    pub fn with_redactor(&self, redactor: crate::redact::Redactor) -> AppTokens {
        AppTokens {
            caches: self.caches.clone(),
            redactor,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Caches> {
        self.caches.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Why an app gave no token: it is not installed for the owner (the next source of credentials
/// is tried), or a real failure (reported).
enum Failure {
    NotFound,
    Error(GithubError),
}

/// The token of the first of `apps` installed for `owner` (and, when its installation is limited
/// to some repositories, allowed `repo`); then a `publicAccess` app's token. `Ok(None)` when no
/// app is installed for the owner; an error when an app failed for another reason.
pub fn app_token(
    run: &AppTokens,
    connect: &dyn Connect,
    api_base_url: &str,
    apps: &[GithubApp],
    owner: &str,
    repo: Option<&str>,
) -> Result<Option<Secret>, GithubError> {
    let results: Vec<Result<Option<Secret>, Failure>> = apps
        .iter()
        .map(|app| installation_token(run, connect, api_base_url, app, owner, repo))
        .collect();
    if let Some(t) = results
        .iter()
        .find_map(|r| r.as_ref().ok().cloned().flatten())
    {
        return Ok(Some(t));
    }
    if let Some(app) = apps.iter().find(|a| a.public_access) {
        if let Ok(Some(t)) = public_token(run, connect, api_base_url, app) {
            return Ok(Some(t));
        }
    }
    for r in results {
        if let Err(Failure::Error(e)) = r {
            return Err(e);
        }
    }
    Ok(None)
}

/// `GithubAppManager.getInstallationCredentials`.
fn installation_token(
    run: &AppTokens,
    connect: &dyn Connect,
    base: &str,
    app: &GithubApp,
    owner: &str,
    repo: Option<&str>,
) -> Result<Option<Secret>, Failure> {
    if let Some(allowed) = &app.allowed_installation_owners {
        if !allowed.iter().any(|o| o.eq_ignore_ascii_case(owner)) {
            return Ok(None);
        }
    }
    let key = format!("{base}|{}|{}", app.app_id, owner.to_ascii_lowercase());
    let cached = run.lock().tokens.get(&key).cloned();
    let cached = match cached.filter(|c| SystemTime::now() < c.expires) {
        Some(c) => c,
        None => {
            let fresh = new_installation_token(run, connect, base, app, owner)?;
            run.lock().tokens.insert(key, fresh.clone());
            fresh
        }
    };
    if let (Some(repo), Some(repos)) = (repo, &cached.repositories) {
        if !repos.iter().any(|r| r == repo) {
            return Err(Failure::Error(GithubError::new(format!(
                "The Backstage GitHub application used in the {owner} organization does not have access to a repository with the name {repo}"
            )).with_hint(format!("add {repo} to the repositories of GitHub App {}'s installation on {owner}, or give golden a token for it", app.app_id))));
        }
    }
    Ok(Some(cached.token))
}

/// Finds the owner's installation and creates a token for it (with its repositories when the
/// installation is limited to some).
fn new_installation_token(
    run: &AppTokens,
    connect: &dyn Connect,
    base: &str,
    app: &GithubApp,
    owner: &str,
) -> Result<Cached, Failure> {
    let api = app_client(run, connect, base, app).map_err(Failure::Error)?;
    let installations = installations(run, api.as_ref(), base, app).map_err(Failure::Error)?;
    let found = installations.iter().find(|i| {
        i.pointer("/account/login")
            .and_then(Value::as_str)
            .is_some_and(|l| l.eq_ignore_ascii_case(owner))
    });
    let Some(inst) = found else {
        return Err(Failure::NotFound);
    };
    if !inst["suspended_by"].is_null() {
        return Err(Failure::Error(GithubError::new(format!(
            "The GitHub application for {owner} is suspended"
        ))));
    }
    let (token, expires, selection) = access_token(run, api.as_ref(), base, app, &inst["id"])?;
    let repositories = if selection == "selected" {
        Some(installation_repositories(connect, base, &token).map_err(Failure::Error)?)
    } else {
        None
    };
    Ok(Cached {
        token,
        expires,
        repositories,
    })
}

/// `POST /app/installations/ID/access_tokens`: the token, when the cache drops it, and the
/// installation's `repository_selection`.
fn access_token(
    run: &AppTokens,
    api: &dyn Api,
    base: &str,
    app: &GithubApp,
    id: &Value,
) -> Result<(Secret, SystemTime, String), Failure> {
    let path = format!("/app/installations/{id}/access_tokens");
    let v = api.call(Method::Post, &path, None).map_err(|e| {
        if e.is_not_found() {
            // A stale listing: the next lookup lists the installations again.
            run.lock()
                .installations
                .remove(&format!("{base}|{}", app.app_id));
        }
        Failure::Error(e.explain(
            &format!(
                "cannot create an access token for GitHub App {}",
                app.app_id
            ),
            host_of(base),
        ))
    })?;
    let token = v["token"].as_str().unwrap_or_default().to_string();
    if token.is_empty() {
        return Err(Failure::Error(GithubError::new(format!(
            "GitHub answered {path} without a token"
        ))));
    }
    run.redactor.register(&token);
    let expires = v["expires_at"]
        .as_str()
        .and_then(parse_time)
        .unwrap_or_else(|| SystemTime::now() + Duration::from_secs(3600));
    let selection = v["repository_selection"]
        .as_str()
        .unwrap_or("all")
        .to_string();
    Ok((
        Secret(token),
        expires.checked_sub(EXPIRY_MARGIN).unwrap_or(UNIX_EPOCH),
        selection,
    ))
}

/// A `publicAccess` app's token: its first installation's.
fn public_token(
    run: &AppTokens,
    connect: &dyn Connect,
    base: &str,
    app: &GithubApp,
) -> Result<Option<Secret>, Failure> {
    let key = format!("{base}|{}|public", app.app_id);
    if let Some(c) = run
        .lock()
        .tokens
        .get(&key)
        .filter(|c| SystemTime::now() < c.expires)
    {
        return Ok(Some(c.token.clone()));
    }
    let api = app_client(run, connect, base, app).map_err(Failure::Error)?;
    let list = installations(run, api.as_ref(), base, app).map_err(Failure::Error)?;
    let Some(first) = list.first() else {
        return Ok(None);
    };
    let (token, expires, _) = access_token(run, api.as_ref(), base, app, &first["id"])?;
    run.lock().tokens.insert(
        key,
        Cached {
            token: token.clone(),
            expires,
            repositories: None,
        },
    );
    Ok(Some(token))
}

/// A client authenticated as the app itself (its JWT as the bearer token).
fn app_client(
    run: &AppTokens,
    connect: &dyn Connect,
    base: &str,
    app: &GithubApp,
) -> Result<Box<dyn Api>, GithubError> {
    let jwt = jwt(app, SystemTime::now())?;
    run.redactor.register(&jwt.0);
    connect.connect(base, &jwt).map_err(GithubError::new)
}

/// The app's JWT at `now`, as `universal-github-app-jwt` makes it: `iat` 30 seconds in the past,
/// `exp` 10 minutes after `iat`, `iss` the app id; RS256.
pub fn jwt(app: &GithubApp, now: SystemTime) -> Result<Secret, GithubError> {
    let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() as i64;
    let iat = now - 30;
    let claims = serde_json::json!({"iat": iat, "exp": iat + 600, "iss": app.app_id});
    // Keys pasted into YAML with literal `\n` work too, as in Backstage.
    let pem = app.private_key.0.replace("\\n", "\n");
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| {
        GithubError::new(format!(
            "the privateKey of GitHub App {} is not an RSA private key in PEM form ({e})",
            app.app_id
        ))
        .with_hint("paste the .pem file GitHub generated for the app (it starts with `-----BEGIN RSA PRIVATE KEY-----`)")
    })?;
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &key,
    )
    .map(Secret)
    .map_err(|e| {
        GithubError::new(format!(
            "cannot sign the JWT of GitHub App {}: {e}",
            app.app_id
        ))
    })
}

/// Every installation of the app (`GET /app/installations`, page by page), reused for 10 minutes.
fn installations(
    run: &AppTokens,
    api: &dyn Api,
    base: &str,
    app: &GithubApp,
) -> Result<Vec<Value>, GithubError> {
    let key = format!("{base}|{}", app.app_id);
    if let Some((at, list)) = run.lock().installations.get(&key) {
        if at.elapsed().unwrap_or(INSTALLATIONS_TTL) < INSTALLATIONS_TTL {
            return Ok(list.clone());
        }
    }
    let list = paged(|page| {
        let v = api
            .call(
                Method::Get,
                &format!("/app/installations?per_page=100&page={page}"),
                None,
            )
            .map_err(|e| {
                let err = e.explain(
                    &format!("cannot list the installations of GitHub App {}", app.app_id),
                    host_of(base),
                );
                if e.status == Some(401) {
                    err.with_hint(format!("GitHub refused the app's JWT: check `appId` ({}) and that `privateKey` is that app's current private key", app.app_id))
                } else {
                    err
                }
            })?;
        Ok(v.as_array().cloned().unwrap_or_default())
    })?;
    run.lock()
        .installations
        .insert(key, (SystemTime::now(), list.clone()));
    Ok(list)
}

/// The names of the repositories an installation token may use (`GET /installation/repositories`).
fn installation_repositories(
    connect: &dyn Connect,
    base: &str,
    token: &Secret,
) -> Result<Vec<String>, GithubError> {
    let api = connect.connect(base, token).map_err(GithubError::new)?;
    let repos = paged(|page| {
        let v = api
            .call(
                Method::Get,
                &format!("/installation/repositories?per_page=100&page={page}"),
                None,
            )
            .map_err(|e| e.explain("cannot list the installation's repositories", host_of(base)))?;
        Ok(v["repositories"].as_array().cloned().unwrap_or_default())
    })?;
    Ok(repos
        .iter()
        .filter_map(|r| r["name"].as_str().map(str::to_string))
        .collect())
}

/// Pages of 100 until a shorter one.
fn paged(
    mut page: impl FnMut(u32) -> Result<Vec<Value>, GithubError>,
) -> Result<Vec<Value>, GithubError> {
    let mut all = Vec::new();
    for n in 1.. {
        let items = page(n)?;
        let last = items.len() < 100;
        all.extend(items);
        if last || n >= 100 {
            break;
        }
    }
    Ok(all)
}

/// The host of an API base URL, for error hints.
fn host_of(base: &str) -> &str {
    let rest = base.split_once("://").map(|(_, r)| r).unwrap_or(base);
    rest.split('/').next().unwrap_or(rest)
}

/// An RFC 3339 time (`2026-01-01T00:00:00Z`).
fn parse_time(s: &str) -> Option<SystemTime> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    let secs = u64::try_from(t.unix_timestamp()).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(key: &str) -> GithubApp {
        GithubApp {
            app_id: 4242,
            private_key: Secret(key.into()),
            ..Default::default()
        }
    }

    #[test]
    fn the_jwt_is_rs256_issued_30_seconds_back_for_10_minutes() {
        let key = include_str!("../../tests/it/fixtures/github-app/private-key.pem");
        let public = include_str!("../../tests/it/fixtures/github-app/public-key.pem");
        // A key pasted with literal `\n` separators is accepted too.
        let escaped = key.trim_end().replace('\n', "\\n");
        let now = UNIX_EPOCH + Duration::from_secs(1_900_000_000);
        for k in [key.to_string(), escaped] {
            let jwt = jwt(&app(&k), now).unwrap();
            let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
            v.validate_exp = false;
            let data = jsonwebtoken::decode::<Value>(
                &jwt.0,
                &jsonwebtoken::DecodingKey::from_rsa_pem(public.as_bytes()).unwrap(),
                &v,
            )
            .unwrap();
            assert_eq!(
                data.claims,
                serde_json::json!({"iat": 1_899_999_970i64, "exp": 1_900_000_570i64, "iss": 4242})
            );
        }
    }

    #[test]
    fn a_bad_key_is_named_without_being_shown() {
        let e = jwt(&app("not a key at all"), SystemTime::now()).unwrap_err();
        assert!(e.message.contains("GitHub App 4242"), "{}", e.message);
        assert!(!e.message.contains("not a key at all"), "{}", e.message);
    }

    #[test]
    fn times_and_hosts() {
        assert_eq!(
            parse_time("2026-01-01T00:00:00Z"),
            Some(UNIX_EPOCH + Duration::from_secs(1_767_225_600))
        );
        assert_eq!(parse_time("soon"), None);
        assert_eq!(host_of("https://ghe.corp/api/v3"), "ghe.corp");
        assert_eq!(host_of("http://127.0.0.1:9/api/v3"), "127.0.0.1:9");
    }

    /// A fake app API: installations of `acme`, tokens expiring at `expires_at`; records calls.
    #[derive(Clone)]
    struct FakeApp {
        calls: std::sync::Arc<Mutex<Vec<String>>>,
        expires_at: &'static str,
    }

    impl Api for FakeApp {
        fn call(
            &self,
            method: Method,
            path: &str,
            _body: Option<&Value>,
        ) -> Result<Value, super::super::ApiError> {
            let mut calls = self.calls.lock().unwrap();
            calls.push(format!("{} {path}", method.as_str()));
            Ok(match path {
                p if p.starts_with("/app/installations?") => {
                    serde_json::json!([{"id": 7, "account": {"login": "Acme"}, "suspended_by": null}])
                }
                _ => {
                    serde_json::json!({"token": format!("ghs_{}", calls.len()), "expires_at": self.expires_at, "repository_selection": "all"})
                }
            })
        }
        fn graphql(&self, _q: &str, _v: &Value) -> Result<Value, super::super::ApiError> {
            Ok(Value::Null)
        }
    }

    impl Connect for FakeApp {
        fn connect(&self, _base: &str, _token: &Secret) -> Result<Box<dyn Api>, String> {
            Ok(Box::new(self.clone()))
        }
    }

    #[test]
    fn installation_tokens_are_cached_until_ten_minutes_before_expiry() {
        let run = AppTokens::default();
        let key = include_str!("../../tests/it/fixtures/github-app/private-key.pem");
        let mut a = app(key);
        for (base, expires_at, fresh_each_time) in [
            ("https://cache-a.test/api/v3", "2099-01-01T00:00:00Z", false),
            // Expiring in 5 minutes is inside the 10-minute margin: a new token every time.
            ("https://cache-b.test/api/v3", "", true),
        ] {
            let soon = time::OffsetDateTime::now_utc() + time::Duration::minutes(5);
            let soon = soon
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap();
            let fake = FakeApp {
                calls: Default::default(),
                expires_at: if expires_at.is_empty() {
                    Box::leak(soon.into_boxed_str())
                } else {
                    expires_at
                },
            };
            a.app_id = 4242;
            let t1 = app_token(&run, &fake, base, &[a.clone()], "acme", Some("svc")).unwrap();
            let t2 = app_token(&run, &fake, base, &[a.clone()], "ACME", Some("other")).unwrap();
            let posts = fake
                .calls
                .lock()
                .unwrap()
                .iter()
                .filter(|c| c.starts_with("POST /app/installations/7/access_tokens"))
                .count();
            assert_eq!(posts, if fresh_each_time { 2 } else { 1 }, "{base}");
            assert_eq!(
                t1.map(|t| t.0) == t2.map(|t| t.0),
                !fresh_each_time,
                "{base}"
            );
            // Not installed for this owner: no token, no error (the next source is tried).
            assert!(app_token(&run, &fake, base, &[a.clone()], "nobody", None)
                .unwrap()
                .is_none());
        }
        // An owner outside allowedInstallationOwners is not even looked up.
        a.allowed_installation_owners = Some(vec!["someone".into()]);
        let fake = FakeApp {
            calls: Default::default(),
            expires_at: "2099-01-01T00:00:00Z",
        };
        assert!(app_token(
            &run,
            &fake,
            "https://cache-c.test/api/v3",
            &[a],
            "acme",
            None
        )
        .unwrap()
        .is_none());
        assert!(fake.calls.lock().unwrap().is_empty());
    }
}
