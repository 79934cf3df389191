//! Backstage's own filters (`parseRepoUrl`, `projectSlug`, `parseEntityRef`, `pick`), as
//! `@backstage/plugin-scaffolder-backend` 4.3 registers them by default (SPEC §4.6).

use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};

use super::js::js_string;

/// Registers Backstage's filters on `env`.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("parseRepoUrl", parse_repo_url);
    env.add_filter("projectSlug", project_slug);
    env.add_filter("parseEntityRef", parse_entity_ref);
    env.add_filter("pick", pick);
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// Integration kind of a host, as Backstage's default integrations configure them.
fn host_kind(host: &str) -> Option<&'static str> {
    match host {
        "github.com" => Some("github"),
        "gitlab.com" => Some("gitlab"),
        "bitbucket.org" => Some("bitbucketCloud"),
        "dev.azure.com" => Some("azure"),
        _ => None,
    }
}

/// `parseRepoUrl`: `host?owner=o&repo=r` → `{host, owner, repo, ...}`.
pub fn parse_repo_url(url: Value) -> Result<Value, Error> {
    let raw = js_string(&url);
    let parsed = url::Url::parse(&format!("https://{raw}"))
        .map_err(|_| invalid(format!("Invalid repo URL passed to publisher, got {raw}")))?;
    let host = match (parsed.host_str(), parsed.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => return Err(invalid(format!("Invalid repo URL passed to publisher, got {raw}"))),
    };
    let mut out = indexmap_like();
    out.push(("host".to_string(), Value::from(host.clone())));
    let get = |k: &str| {
        parsed.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.trim_matches('/').to_string())
    };
    let kind = host_kind(&host).ok_or_else(|| {
        invalid(format!("No matching integration configuration for host {host}, please check your integrations config"))
    })?;
    for key in ["owner", "organization", "workspace", "project", "repo"] {
        if let Some(v) = get(key) {
            out.push((key.to_string(), Value::from(v)));
        }
    }
    let has = |k: &str| out.iter().any(|(n, _)| n == k);
    let required: &[&str] = match kind {
        "github" => &["owner", "repo"],
        "gitlab" if has("project") => &[],
        "gitlab" => &["owner", "repo"],
        "bitbucketCloud" => &["workspace", "project", "repo"],
        _ => &["project", "repo"],
    };
    for r in required {
        if !has(r) {
            return Err(invalid(format!("Invalid repo URL passed to publisher: https://{raw}, missing {r}")));
        }
    }
    Ok(super::ops::object(out))
}

fn indexmap_like() -> Vec<(String, Value)> {
    Vec::new()
}

/// `projectSlug`: `owner/repo` of a repo URL.
pub fn project_slug(url: Value) -> Result<Value, Error> {
    let parsed = parse_repo_url(url)?;
    let owner = parsed.get_attr("owner").unwrap_or(Value::UNDEFINED);
    let owner = if owner.is_undefined() { "undefined".to_string() } else { js_string(&owner) };
    let repo = js_string(&parsed.get_attr("repo").unwrap_or(Value::UNDEFINED));
    Ok(Value::from(format!("{owner}/{repo}")))
}

/// `parseEntityRef(ref, {defaultKind, defaultNamespace})`.
pub fn parse_entity_ref(entity_ref: Value, context: Option<Value>) -> Result<Value, Error> {
    let opt = |k: &str| {
        context
            .as_ref()
            .and_then(|c| c.get_attr(k).ok())
            .filter(|v| !v.is_undefined() && !v.is_none())
            .map(|v| js_string(&v))
    };
    let (kind, namespace, name) = if entity_ref.kind() == ValueKind::Map {
        let field = |k: &str| entity_ref.get_attr(k).ok().filter(|v| !v.is_undefined() && !v.is_none()).map(|v| js_string(&v));
        (field("kind"), field("namespace"), field("name").unwrap_or_default())
    } else {
        let s = js_string(&entity_ref);
        let colon = s.find(':');
        let slash = s.find('/');
        let (kind, rest) = match (colon, slash) {
            (Some(c), Some(sl)) if sl < c => (None, s.as_str()),
            (Some(c), _) => (Some(s[..c].to_string()), &s[c + 1..]),
            _ => (None, s.as_str()),
        };
        let (ns, name) = match rest.split_once('/') {
            Some((ns, name)) => (Some(ns.to_string()), name.to_string()),
            None => (None, rest.to_string()),
        };
        (kind, ns, name)
    };
    let kind = kind.or_else(|| opt("defaultKind")).ok_or_else(|| {
        invalid(format!("Entity reference \"{}\" had missing or empty kind (e.g. did not start with \"component:\" or similar)", js_string(&entity_ref)))
    })?;
    let namespace = namespace.or_else(|| opt("defaultNamespace")).unwrap_or_else(|| "default".into());
    if kind.is_empty() || namespace.is_empty() || name.is_empty() {
        return Err(invalid(format!("Entity reference \"{}\" was not on the form [<kind>:][<namespace>/]<name>", js_string(&entity_ref))));
    }
    Ok(super::ops::object(vec![("kind".into(), Value::from(kind)), ("namespace".into(), Value::from(namespace)), ("name".into(), Value::from(name))]))
}

/// `pick(obj, 'a.b[0].c')`: lodash `get`.
pub fn pick(obj: Value, path: Value, _rest: Rest<Value>, _kw: Kwargs) -> Result<Value, Error> {
    let path = js_string(&path);
    let mut cur = obj;
    for seg in path.split(['.', '[', ']']).filter(|s| !s.is_empty()) {
        let seg = seg.trim_matches(|c| c == '"' || c == '\'');
        let next = match cur.kind() {
            ValueKind::Seq => seg.parse::<usize>().ok().and_then(|i| cur.get_item(&Value::from(i)).ok()),
            ValueKind::Map => cur.get_attr(seg).ok(),
            _ => None,
        };
        match next {
            Some(v) if !v.is_undefined() => cur = v,
            _ => return Ok(Value::UNDEFINED),
        }
    }
    Ok(cur)
}
