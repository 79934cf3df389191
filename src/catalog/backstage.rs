//! A real Backstage catalog over its REST API (SPEC §7.1): `POST /api/catalog/locations` (a
//! dry run first, which validates the file at its final URL and returns its entities, then the
//! real registration; an existing location is refreshed (`onConflict=refresh`) and 409
//! "already exists" is success), `GET /entities/by-query`,
//! `GET /entities/by-name/...`, `GET /locations/by-entity/...` and `DELETE /locations/:id`.
//! The token (`catalog.backstage.token`, else `BACKSTAGE_TOKEN`) is sent as a bearer token and
//! never printed. Transient failures (connection errors, 429, 502–504) are retried.

use std::time::Duration;

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{entity, Catalog, Filter, Location, ReadContext, Registration, Unregistration};
use crate::config::{BackstageCatalog, Secret};
use crate::error::{Error, Result};

/// How many times a transient failure is tried in all.
const ATTEMPTS: u32 = 3;

/// A Backstage catalog client.
pub struct Backstage {
    base_url: String,
    token: Option<Secret>,
    client: reqwest::blocking::Client,
    /// For reading an imported file before handing it to Backstage.
    context: ReadContext,
}

/// A response: status and JSON body (`Null` when empty or not JSON).
struct Reply {
    status: StatusCode,
    body: Value,
}

impl Backstage {
    /// A client for `catalog.backstage` settings, reading the files golden itself must read
    /// (the Location file of `import`) with `context`.
    pub fn new(cfg: &BackstageCatalog, context: ReadContext) -> Result<Backstage> {
        let base_url = cfg.base_url.trim().trim_end_matches('/').to_string();
        url::Url::parse(&base_url).map_err(|e| {
            Error::usage(format!(
                "catalog.backstage.baseUrl `{base_url}` is not a URL: {e}"
            ))
            .hint("set it to your Backstage backend, e.g. https://backstage.example.com")
        })?;
        let token = cfg.token.clone().filter(|t| !t.0.trim().is_empty());
        Ok(Backstage {
            base_url,
            token,
            client: super::read::http_client()?,
            context,
        })
    }

    fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Reply> {
        let url = format!("{}/api/catalog{path}", self.base_url);
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(400 << attempt));
            }
            let mut req = self.client.request(method.clone(), &url);
            if let Some(t) = &self.token {
                req = req.bearer_auth(&t.0);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            match req.send() {
                Ok(resp) => {
                    let status = resp.status();
                    let transient = matches!(status.as_u16(), 429 | 502 | 503 | 504);
                    let text = resp.text().unwrap_or_default();
                    if transient && attempt + 1 < ATTEMPTS {
                        last = format!("HTTP {status}");
                        continue;
                    }
                    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
                    return Ok(Reply { status, body });
                }
                Err(e) if (e.is_connect() || e.is_timeout()) && attempt + 1 < ATTEMPTS => {
                    last = reason(&e)
                }
                Err(e) => {
                    return Err(Error::internal(format!("cannot reach the Backstage catalog at {}: {}", self.base_url, reason(&e)))
                        .hint("check catalog.backstage.baseUrl in the config file, and that Backstage is running"));
                }
            }
        }
        Err(Error::internal(format!(
            "the Backstage catalog at {} kept failing ({last})",
            self.base_url
        )))
    }

    /// The catalog's own error explained: what failed, Backstage's message, what to do.
    fn refused(&self, what: &str, reply: &Reply) -> Error {
        let name = reply.body["error"]["name"].as_str().unwrap_or("Error");
        let message = reply.body["error"]["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("HTTP {}", reply.status));
        let e = Error::usage(format!(
            "the Backstage catalog at {} refused to {what}: {name}: {message}",
            self.base_url
        ));
        match reply.status.as_u16() {
            401 => e.hint(if self.token.is_some() {
                "the token was rejected: check catalog.backstage.token or BACKSTAGE_TOKEN (a static external-access token of the backend, or a user token)"
            } else {
                "give golden a token: catalog.backstage.token in the config file, or BACKSTAGE_TOKEN (a static external-access token of the backend)"
            }),
            403 => e.hint("the token may not do this (permissions or accessRestrictions), or the catalog is read-only (catalog.readonly)"),
            404 if reply.body.is_null() => e.hint(format!("is {} a Backstage backend? golden calls {}/api/catalog", self.base_url, self.base_url)),
            400 if message.contains("allowed type") => e.hint("this Backstage only registers URLs (type url); publish the repository and register its catalog-info.yaml URL"),
            400 if message.contains("not allowed") => e.hint("Backstage can only read hosts it has an integration for, or that backend.reading.allow lists"),
            _ => e,
        }
    }

    /// `{type, target}` as Backstage takes it.
    fn backstage_location(&self, location: &Location) -> Result<Value> {
        if location.kind == "url" && location.target.starts_with("file:") {
            return Err(Error::usage(format!("{location} is in golden's local forge, which the Backstage catalog at {} cannot read", self.base_url))
                .hint("publish to GitHub (without --local) so Backstage can read the repository, or register in golden's local catalog (remove catalog.backstage from the config)"));
        }
        Ok(json!({"type": location.kind, "target": location.target}))
    }

    fn by_query(&self, query: &str) -> Result<Vec<Value>> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/entities/by-query?cursor={}&limit=500", enc(c)),
                None => format!("/entities/by-query?limit=500{query}"),
            };
            let reply = self.call(Method::GET, &path, None)?;
            if !reply.status.is_success() {
                return Err(self.refused("list entities", &reply));
            }
            items.extend(reply.body["items"].as_array().cloned().unwrap_or_default());
            cursor = reply.body["pageInfo"]["nextCursor"]
                .as_str()
                .map(str::to_string);
            if cursor.is_none() {
                return Ok(items);
            }
        }
    }
}

fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

/// Why a request failed, in a few words: the innermost cause (`connection refused`, `timed
/// out`), not reqwest's chain of wrappers with the URL.
fn reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "no answer in time (timed out)".into();
    }
    let mut inner: &dyn std::error::Error = e;
    while let Some(next) = inner.source() {
        inner = next;
    }
    let text = inner.to_string();
    let text = match text.find(" (os error ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => e.to_string(),
    }
}

impl Catalog for Backstage {
    fn describe(&self) -> String {
        format!("the Backstage catalog at {}", self.base_url)
    }

    fn context(&self) -> &ReadContext {
        &self.context
    }

    fn register(&self, location: &str) -> Result<Registration> {
        let location = Location::parse(location, &self.context.cwd)?;
        let body = self.backstage_location(&location)?;
        let dry = self.call(Method::POST, "/locations?dryRun=true", Some(&body))?;
        if !dry.status.is_success() {
            return Err(self.refused(&format!("read {location}"), &dry));
        }
        let generated = dry.body["location"]["entityRef"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let entities: Vec<Value> = dry.body["entities"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| entity::ref_of(e) != generated)
            .collect();
        // Already registered: ask for an immediate refresh (`onConflict=refresh`) so a changed
        // file shows up now; a backend without that option answers 409, which is fine too.
        let exists = dry.body["exists"] == Value::Bool(true);
        let path = if exists {
            "/locations?onConflict=refresh"
        } else {
            "/locations"
        };
        let real = self.call(Method::POST, path, Some(&body))?;
        let already_registered = match real.status.as_u16() {
            200 | 201 => exists,
            409 => true,
            _ => return Err(self.refused(&format!("register {location}"), &real)),
        };
        Ok(Registration {
            location,
            entities,
            already_registered,
        })
    }

    fn list(&self, filter: &Filter) -> Result<Vec<Value>> {
        let terms: Vec<String> = filter
            .conditions()
            .map_err(|e| Error::usage(format!("--owner: {e}")))?
            .into_iter()
            .map(|(key, value)| match value {
                Some(v) => format!("{key}={v}"),
                None => key,
            })
            .collect();
        let query = if terms.is_empty() {
            String::new()
        } else {
            format!("&filter={}", enc(&terms.join(",")))
        };
        let mut items: Vec<Value> = self
            .by_query(&query)?
            .into_iter()
            .filter(|e| filter.matches(e))
            .collect();
        items.sort_by_key(entity::ref_of);
        Ok(items)
    }

    fn get(&self, entity_ref: &str) -> Result<Option<Value>> {
        let r = entity::parse_ref(entity_ref, None, None).map_err(Error::usage)?;
        let reply = self.call(
            Method::GET,
            &format!(
                "/entities/by-name/{}/{}/{}",
                enc(&r.kind),
                enc(&r.namespace),
                enc(&r.name)
            ),
            None,
        )?;
        match reply.status.as_u16() {
            200 => Ok(Some(reply.body)),
            404 => Ok(None),
            _ => Err(self.refused(&format!("look up {entity_ref}"), &reply)),
        }
    }

    fn unregister(&self, entity_ref: &str) -> Result<Unregistration> {
        let r = entity::parse_ref(entity_ref, None, None).map_err(Error::usage)?;
        let reply = self.call(
            Method::GET,
            &format!(
                "/locations/by-entity/{}/{}/{}",
                enc(&r.kind),
                enc(&r.namespace),
                enc(&r.name)
            ),
            None,
        )?;
        if reply.status == StatusCode::NOT_FOUND {
            return Err(
                Error::usage(format!("{entity_ref} is not in {}", self.describe()))
                    .hint("`golden catalog list` shows what is registered"),
            );
        }
        if !reply.status.is_success() {
            return Err(self.refused(&format!("find the location of {entity_ref}"), &reply));
        }
        let id = reply.body["id"].as_str().unwrap_or_default().to_string();
        let location = Location {
            kind: reply.body["type"].as_str().unwrap_or_default().to_string(),
            target: reply.body["target"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        };
        let filter = format!(
            "&filter={}",
            enc(&format!(
                "metadata.annotations.backstage.io/managed-by-origin-location={location}"
            ))
        );
        let mut removed: Vec<String> = self
            .by_query(&filter)
            .unwrap_or_default()
            .iter()
            .map(entity::ref_of)
            .filter(|r| !r.starts_with("location:"))
            .collect();
        removed.sort();
        if removed.is_empty() {
            removed.push(entity_ref.to_string());
        }
        let del = self.call(Method::DELETE, &format!("/locations/{}", enc(&id)), None)?;
        if !del.status.is_success() {
            return Err(self.refused(&format!("unregister {location}"), &del));
        }
        Ok(Unregistration { location, removed })
    }
}
