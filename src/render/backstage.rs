//! Backstage's own filters (`parseRepoUrl`, `projectSlug`, `parseEntityRef`, `pick`), as
//! `@backstage/plugin-scaffolder-backend` 4.3 registers them by default (SPEC §4.6).

use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};

use super::text::js_string;
use crate::backstage::repo_url::Hosts;

/// Registers Backstage's filters on `env` (`parseRepoUrl` knows the default integrations only).
pub fn register(env: &mut Environment<'static>) {
    register_with_hosts(env, Hosts::default());
    env.add_filter("parseEntityRef", parse_entity_ref);
    env.add_filter("pick", pick);
}

/// (Re-)registers `parseRepoUrl` and `projectSlug` with the configured integrations' hosts,
/// which Backstage adds to its default integrations.
pub fn register_with_hosts(env: &mut Environment<'static>, hosts: Hosts) {
    let hosts = std::sync::Arc::new(hosts);
    let h = hosts.clone();
    env.add_filter("parseRepoUrl", move |url: Value| parse_repo_url(url, &h));
    env.add_filter("projectSlug", move |url: Value| project_slug(url, &hosts));
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// `parseRepoUrl`: `host?owner=o&repo=r` → `{host, owner, repo, organization, workspace, project}`
/// (absent parameters are left out), as `@backstage/plugin-scaffolder-node`'s `parseRepoUrl`.
pub fn parse_repo_url(url: Value, hosts: &Hosts) -> Result<Value, Error> {
    let raw = js_string(&url);
    let (parsed, _) = crate::backstage::repo_url::parse_repo_url(&raw, hosts)
        .map_err(|e| invalid(e.to_string()))?;
    let mut out = vec![("host".to_string(), Value::from(parsed.host.clone()))];
    for key in ["owner", "repo", "organization", "workspace", "project"] {
        if let Some(v) = parsed.get(key) {
            out.push((key.to_string(), Value::from(v)));
        }
    }
    Ok(super::ops::object(out))
}

/// `projectSlug`: `owner/repo` of a repo URL.
pub fn project_slug(url: Value, hosts: &Hosts) -> Result<Value, Error> {
    let parsed = parse_repo_url(url, hosts)?;
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
        super::convert::dump(&entity_ref, Value::UNDEFINED)
            .map(|d| js_string(&d))
            .unwrap_or_default()
    };
    if entity_ref.kind() == ValueKind::String {
        let s = entity_ref.as_str().unwrap_or_default();
        let r = crate::backstage::entity_ref::parse(
            s,
            opt("defaultKind").as_deref(),
            Some(default_namespace.as_str()),
        )
        .map_err(invalid)?;
        return Ok(super::ops::object(vec![
            ("kind".into(), Value::from(r.kind)),
            ("namespace".into(), Value::from(r.namespace)),
            ("name".into(), Value::from(r.name)),
        ]));
    }
    let (kind, namespace, name) = {
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
