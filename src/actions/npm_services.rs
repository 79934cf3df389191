//! The Backstage services golden itself provides to npm action modules: the bridge asks over its
//! channel (`{"type": "ask", "service": ..., "args": ...}`) and golden answers. The url reader
//! reads with golden's own readers (the allow-list of Backstage's URL readers: hosts with an
//! integration, else refused with Backstage's `NotAllowedError`; integration tokens, timeouts and
//! retries of golden's catalog reads; trees through the template fetcher); the catalog service is
//! golden's catalog (the local one, or Backstage's when `catalog.backstage` is configured).

use std::path::Path;

use base64::Engine as _;
use serde_json::{json, Value};

use crate::backstage::catalog_filter;
use crate::catalog::{self, query};
use crate::services::Services;

/// A failed answer: Backstage's error name (`NotAllowedError`, `NotFoundError`, `InputError`,
/// `NotImplementedError`, `Error`) and the message.
pub type Fail = (&'static str, String);

/// What a run lends the bridge to answer with.
pub struct Lender<'a> {
    pub services: &'a Services,
    /// The template's source root: `file:` URLs are read inside it only.
    pub source_root: &'a Path,
    /// A dry run changes no catalog.
    pub dry_run: bool,
}

impl Lender<'_> {
    /// The answer to one question of the bridge (`{"answer": id, "result"|"error": ...}`).
    pub fn answer(&self, ask: &Value) -> Value {
        let id = ask["id"].clone();
        let args = &ask["args"];
        let result = match ask["service"].as_str().unwrap_or_default() {
            "urlReader.readUrl" => self.read_url(args["url"].as_str().unwrap_or_default()),
            "urlReader.readTree" => self.read_tree(args["url"].as_str().unwrap_or_default()),
            "catalog" => self.catalog(args),
            other => Err((
                "NotImplementedError",
                format!("golden provides no service `{other}`"),
            )),
        };
        match result {
            Ok(v) => json!({"answer": id, "result": v}),
            Err((name, message)) => {
                json!({"answer": id, "error": {"name": name, "message": message}})
            }
        }
    }

    fn read_url(&self, url: &str) -> Result<Value, Fail> {
        let bytes = match self.local(url)? {
            Some(path) => crate::limits::read_file(&path)
                .map_err(|e| ("NotFoundError", format!("cannot read {url}: {e}")))?,
            None => {
                allowed(&self.services.config, url)?;
                catalog::read::read_url(&self.services.config, url).map_err(|e| {
                    let name = if e.message.contains("does not exist") {
                        "NotFoundError"
                    } else {
                        "Error"
                    };
                    (name, e.message)
                })?
            }
        };
        Ok(json!({"base64": base64::engine::general_purpose::STANDARD.encode(bytes)}))
    }

    fn read_tree(&self, url: &str) -> Result<Value, Fail> {
        let dir = match self.local(url)? {
            Some(path) => path,
            None => {
                allowed(&self.services.config, url)?;
                let remote = self.services.remote.as_ref().ok_or((
                    "NotImplementedError",
                    format!("golden cannot read the tree at {url} in this command"),
                ))?;
                remote.read(url).map_err(|e| ("Error", e.message))?
            }
        };
        if !dir.is_dir() {
            return Err(("NotFoundError", format!("{url} is not a folder")));
        }
        Ok(json!({"dir": dir.to_string_lossy()}))
    }

    /// The local path of a `file:` URL inside the template's source root; `None` for other
    /// schemes.
    fn local(&self, url: &str) -> Result<Option<std::path::PathBuf>, Fail> {
        let parsed = url::Url::parse(url)
            .map_err(|e| ("InputError", format!("`{url}` is not a URL: {e}")))?;
        if parsed.scheme() != "file" {
            return Ok(None);
        }
        let path = parsed
            .to_file_path()
            .ok()
            .and_then(|p| std::fs::canonicalize(p).ok())
            .ok_or(("NotFoundError", format!("{url} does not exist")))?;
        let root = std::fs::canonicalize(self.source_root)
            .unwrap_or_else(|_| self.source_root.to_path_buf());
        if !path.starts_with(&root) {
            return Err(not_allowed(url));
        }
        Ok(Some(path))
    }

    fn catalog(&self, args: &Value) -> Result<Value, Fail> {
        let s = self.services;
        let cat = catalog::open(&s.config, &s.home, &s.cwd).map_err(|e| ("Error", e.message))?;
        let fail = |e: crate::error::Error| ("Error", e.message);
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let fields = strings(&args["fields"]);
        match args["op"].as_str().unwrap_or_default() {
            "getEntityByRef" => {
                let r =
                    catalog::full_ref(args["entityRef"].as_str().unwrap_or_default(), None, None)
                        .map_err(|e| ("InputError", e.message))?;
                Ok(cat.get(&r).map_err(fail)?.unwrap_or(Value::Null))
            }
            "getEntitiesByRefs" => {
                let mut items = Vec::new();
                for r in strings(&args["entityRefs"]) {
                    let found = match catalog::full_ref(&r, None, None) {
                        Ok(full) => cat.get(&full).map_err(fail)?,
                        Err(_) => None,
                    };
                    items.push(found.map_or(Value::Null, |e| query::project(&e, &fields)));
                }
                Ok(json!({"items": items}))
            }
            "getEntities" | "queryEntities" => {
                let all = cat.list(&catalog::Filter::default()).map_err(fail)?;
                Ok(select(all, args, &fields))
            }
            "addLocation" => {
                let kind = args["type"].as_str().unwrap_or("url");
                let target = args["target"].as_str().unwrap_or_default();
                if self.dry_run {
                    return Err(("NotAllowedError", format!("catalog.addLocation of {target} in a dry run: golden's --dry-run registers nothing (run without --dry-run to register it)")));
                }
                if args["dryRun"] == Value::Bool(true) {
                    return Err(("NotImplementedError", "catalog.addLocation with `dryRun: true` is not supported by golden's catalog service".into()));
                }
                if kind != "url" && kind != "file" {
                    return Err((
                        "InputError",
                        format!(
                            "golden's catalog registers `url` and `file` locations, not `{kind}`"
                        ),
                    ));
                }
                let reg = cat.register(target).map_err(fail)?;
                Ok(json!({
                    "location": {"id": reg.location.to_string(), "type": reg.location.kind, "target": reg.location.target},
                    "entities": reg.entities,
                    "exists": reg.already_registered,
                }))
            }
            other => Err((
                "NotImplementedError",
                format!("golden's catalog service has no `{other}`"),
            )),
        }
    }
}

/// `getEntities` / `queryEntities` over the whole catalog: filter, full-text term, order,
/// offset/limit, fields. Answers `{items, totalItems, offset}` (the bridge shapes the page).
fn select(all: Vec<Value>, args: &Value, fields: &[String]) -> Value {
    let filters: Vec<String> = args["filter"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let sets = catalog_filter::parse_query(&filters);
    let term = args["fullTextTerm"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    let mut items: Vec<Value> = all
        .into_iter()
        .filter(|e| catalog_filter::matches(e, &sets))
        .filter(|e| {
            term.is_empty()
                || catalog_filter::search_pairs(e)
                    .iter()
                    .any(|(_, v)| v.contains(&term))
        })
        .collect();
    for o in args["order"].as_array().into_iter().flatten().rev() {
        let field = o["field"].as_str().unwrap_or_default();
        let desc = o["order"].as_str() == Some("desc");
        items.sort_by(|a, b| {
            let (x, y) = (query::field_text(a, field), query::field_text(b, field));
            if desc {
                y.cmp(&x)
            } else {
                x.cmp(&y)
            }
        });
    }
    let total = items.len();
    let offset = args["offset"].as_u64().unwrap_or(0) as usize;
    let limit = args["limit"].as_u64().map_or(usize::MAX, |l| l as usize);
    let page: Vec<Value> = items
        .iter()
        .skip(offset)
        .take(limit)
        .map(|e| query::project(e, fields))
        .collect();
    json!({"items": page, "totalItems": total, "offset": offset})
}

/// Backstage's URL readers read only hosts with an integration (github.com and gitlab.com
/// always; `integrations.*` of the config): others are refused with Backstage's message.
fn allowed(config: &crate::config::Config, url: &str) -> Result<(), Fail> {
    let parsed = url::Url::parse(url).map_err(|_| not_allowed(url))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(not_allowed(url));
    }
    let host = crate::backstage::repo_url::host_of(&parsed)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let integrated = host == "github.com"
        || config.github(&host).is_some()
        || config.gitlab(&host).is_some()
        || crate::scm::gitlab_for_url(config, url).is_some()
        || config.gitea(&host).is_some();
    if integrated {
        Ok(())
    } else {
        Err(not_allowed(url))
    }
}

fn not_allowed(url: &str) -> Fail {
    ("NotAllowedError", format!("Reading from '{url}' is not allowed. You may need to configure an integration for the target host, or add it to the configured list of allowed hosts at 'backend.reading.allow'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_integrated_hosts_are_read() {
        let mut c = crate::config::Config::default();
        assert!(allowed(&c, "https://github.com/a/b/blob/main/x").is_ok());
        assert!(allowed(&c, "https://gitlab.com/a/b/-/blob/main/x").is_ok());
        let (name, msg) = allowed(&c, "http://127.0.0.1:9/x").unwrap_err();
        assert_eq!(name, "NotAllowedError");
        assert!(
            msg.starts_with("Reading from 'http://127.0.0.1:9/x' is not allowed."),
            "{msg}"
        );
        c.integrations
            .gitlab
            .push(crate::config::GitlabIntegration {
                host: "127.0.0.1:9".into(),
                ..Default::default()
            });
        assert!(allowed(&c, "http://127.0.0.1:9/x").is_ok());
        assert!(allowed(&c, "ftp://github.com/x").is_err());
    }

    #[test]
    fn selects_orders_and_pages() {
        let e = |n: &str, t: &str| json!({"kind": "Component", "metadata": {"name": n}, "spec": {"type": t}});
        let all = vec![e("b", "service"), e("a", "service"), e("c", "website")];
        let args = json!({"filter": ["kind=component,spec.type=service"], "order": [{"field": "metadata.name", "order": "asc"}], "limit": 1});
        let got = select(all.clone(), &args, &["metadata.name".into()]);
        assert_eq!(
            got,
            json!({"items": [{"metadata": {"name": "a"}}], "totalItems": 2, "offset": 0})
        );
        let got = select(all, &json!({"fullTextTerm": "WEB"}), &[]);
        assert_eq!(got["totalItems"], 1);
    }
}
