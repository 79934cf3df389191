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

/// Hosts of the configuration file's integrations (`integrations.github[]`, `gitlab[]`,
/// `gitea[]`) with their kind, which Backstage adds to its default integrations; set once per run
/// by the command that loaded the config.
static CONFIGURED_HOSTS: std::sync::RwLock<Vec<(String, &'static str)>> =
    std::sync::RwLock::new(Vec::new());

/// Declares the GitHub (Enterprise) hosts of the configuration, so `parseRepoUrl` accepts them.
pub fn set_github_hosts(hosts: Vec<String>) {
    set_hosts_of_kind("github", hosts);
}

/// Declares the configured hosts of one integration kind (`github`, `gitlab`, `gitea`).
pub fn set_hosts_of_kind(kind: &'static str, hosts: Vec<String>) {
    if let Ok(mut h) = CONFIGURED_HOSTS.write() {
        h.retain(|(_, k)| *k != kind);
        h.extend(hosts.into_iter().map(|host| (host, kind)));
    }
}

/// Integration kind of a host, as Backstage's default integrations plus the configured ones give it.
fn host_kind(host: &str) -> Option<&'static str> {
    if let Some(kind) = CONFIGURED_HOSTS.read().ok().and_then(|h| {
        h.iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(host))
            .map(|(_, k)| *k)
    }) {
        return Some(kind);
    }
    match host {
        "github.com" => Some("github"),
        "gitlab.com" => Some("gitlab"),
        "bitbucket.org" => Some("bitbucketCloud"),
        "dev.azure.com" => Some("azure"),
        _ => None,
    }
}

/// `parseRepoUrl`: `host?owner=o&repo=r` → `{host, owner, repo, organization, workspace, project}`
/// (absent parameters are left out), as `@backstage/plugin-scaffolder-node`'s `parseRepoUrl`.
pub fn parse_repo_url(url: Value) -> Result<Value, Error> {
    let raw = js_string(&url);
    let parsed = url::Url::parse(&format!("https://{raw}")).map_err(|e| {
        invalid(format!(
            "Invalid repo URL passed to publisher, got {raw}, TypeError: Invalid URL ({e})"
        ))
    })?;
    let host = match (parsed.host_str(), parsed.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => {
            return Err(invalid(format!(
                "Invalid repo URL passed to publisher, got {raw}"
            )))
        }
    };
    let kind = host_kind(&host).ok_or_else(|| {
        invalid(format!("No matching integration configuration for host {host}, please check your integrations config"))
    })?;
    let get = |k: &str| {
        parsed
            .query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim_matches('/').to_string())
    };
    let present = |k: &str| {
        parsed
            .query_pairs()
            .find(|(n, _)| n == k)
            .is_some_and(|(_, v)| !v.is_empty())
    };
    let required: &[&str] = match kind {
        "bitbucketCloud" => &["workspace", "project", "repo"],
        "bitbucketServer" | "azure" => &["project", "repo"],
        "gitlab" if get("project").is_some_and(|p| !p.is_empty()) => &[],
        "gitlab" => &["owner", "repo"],
        "gitea" | "gerrit" => &["repo"],
        _ => &["repo", "owner"],
    };
    for r in required {
        if !present(r) {
            return Err(invalid(format!(
                "Invalid repo URL passed to publisher: {}, missing {r}",
                parsed.as_str()
            )));
        }
    }
    let mut out = vec![("host".to_string(), Value::from(host))];
    for key in ["owner", "repo", "organization", "workspace", "project"] {
        if let Some(v) = get(key) {
            out.push((key.to_string(), Value::from(v)));
        }
    }
    Ok(super::ops::object(out))
}

/// `projectSlug`: `owner/repo` of a repo URL.
pub fn project_slug(url: Value) -> Result<Value, Error> {
    let parsed = parse_repo_url(url)?;
    let owner = parsed.get_attr("owner").unwrap_or(Value::UNDEFINED);
    let owner = if owner.is_undefined() {
        "undefined".to_string()
    } else {
        js_string(&owner)
    };
    let repo = js_string(&parsed.get_attr("repo").unwrap_or(Value::UNDEFINED));
    Ok(Value::from(format!("{owner}/{repo}")))
}

/// `parseEntityRef(ref, {defaultKind, defaultNamespace})` (`@backstage/catalog-model`).
pub fn parse_entity_ref(entity_ref: Value, context: Option<Value>) -> Result<Value, Error> {
    if !super::ops::truthy(&entity_ref) {
        return Err(invalid("Entity reference must not be empty"));
    }
    let opt = |k: &str| {
        context
            .as_ref()
            .and_then(|c| c.get_attr(k).ok())
            .filter(|v| !v.is_undefined() && !v.is_none())
            .map(|v| js_string(&v))
    };
    let default_namespace = opt("defaultNamespace")
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".into());
    let textual = || {
        super::filters::dump(&entity_ref, Value::UNDEFINED)
            .map(|d| js_string(&d))
            .unwrap_or_default()
    };
    let (kind, namespace, name) = if entity_ref.kind() == ValueKind::String {
        let s = entity_ref.as_str().unwrap_or_default();
        let mut colon = s.find(':');
        let slash = s.find('/');
        if let (Some(sl), Some(c)) = (slash, colon) {
            if sl < c {
                colon = None;
            }
        }
        let kind = colon.map(|c| s[..c].to_string());
        let ns_start = colon.map(|c| c + 1).unwrap_or(0);
        let namespace = slash.map(|sl| s.get(ns_start..sl).unwrap_or("").to_string());
        let name_start = colon
            .map(|c| c + 1)
            .unwrap_or(0)
            .max(slash.map(|sl| sl + 1).unwrap_or(0));
        let name = s[name_start..].to_string();
        if kind.as_deref() == Some("") || namespace.as_deref() == Some("") || name.is_empty() {
            return Err(invalid(format!(
                "Entity reference \"{s}\" was not on the form [<kind>:][<namespace>/]<name>"
            )));
        }
        (
            kind.or_else(|| opt("defaultKind")),
            namespace.unwrap_or(default_namespace),
            Some(name),
        )
    } else {
        let field = |k: &str| {
            entity_ref
                .get_attr(k)
                .ok()
                .filter(|v| !v.is_undefined() && !v.is_none())
                .map(|v| js_string(&v))
        };
        (
            field("kind").or_else(|| opt("defaultKind")),
            field("namespace").unwrap_or(default_namespace),
            field("name"),
        )
    };
    let Some(kind) = kind.filter(|k| !k.is_empty()) else {
        return Err(invalid(format!(
            "Entity reference {} had missing or empty kind (e.g. did not start with \"component:\" or similar)",
            textual()
        )));
    };
    if namespace.is_empty() {
        return Err(invalid(format!(
            "Entity reference {} had missing or empty namespace",
            textual()
        )));
    }
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        return Err(invalid(format!(
            "Entity reference {} had missing or empty name",
            textual()
        )));
    };
    Ok(super::ops::object(vec![
        ("kind".into(), Value::from(kind)),
        ("namespace".into(), Value::from(namespace)),
        ("name".into(), Value::from(name)),
    ]))
}

/// `pick(obj, 'a.b[0].c')`: lodash `get`.
pub fn pick(obj: Value, path: Value, _rest: Rest<Value>, _kw: Kwargs) -> Result<Value, Error> {
    let path = js_string(&path);
    let mut cur = obj;
    for seg in path.split(['.', '[', ']']).filter(|s| !s.is_empty()) {
        let seg = seg.trim_matches(|c| c == '"' || c == '\'');
        let next = match cur.kind() {
            ValueKind::Seq => seg
                .parse::<usize>()
                .ok()
                .and_then(|i| cur.get_item(&Value::from(i)).ok()),
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
