//! Backstage's field extensions (`ui:field`) as terminal questions, each producing exactly the
//! value Backstage's field produces: RepoUrlPicker, the entity pickers (OwnerPicker,
//! EntityPicker, OwnedEntityPicker, MyGroupsPicker, MultiEntityPicker), EntityNamePicker and
//! EntityTagsPicker. Secret is handled by the walker (its value goes to `secrets`).

use serde_json::{json, Map, Value};

use super::ask::Walker;
use super::entities::{humanize, parse_ref, ref_of};
use super::schema::{label_of, Ui};
use super::{Answer, Prompt};
use crate::backstage::repo_url;

/// The validation a field does on its value (the schema is checked separately).
pub fn check(field: Option<&str>, value: &Value) -> Result<(), String> {
    match (field, value) {
        (Some("EntityNamePicker"), Value::String(s)) => valid_object_name(s),
        (Some("RepoUrlPicker"), Value::String(s)) => parse_repo_url(s).map(|_| ()),
        (Some("EntityTagsPicker"), Value::Array(tags)) => {
            tags.iter().try_for_each(|t| valid_tag(&label_of(t)))
        }
        (Some("MultiEntityPicker"), Value::Array(refs)) => refs.iter().try_for_each(|r| {
            parse_ref(&label_of(r), Some("x"), None)
                .map(|_| ())
                .map_err(|_| format!("{} is not a valid entity ref", label_of(r)))
        }),
        _ => Ok(()),
    }
}

/// `isValidObjectName` of the catalog model.
pub fn valid_object_name(s: &str) -> Result<(), String> {
    let re = regex::Regex::new(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$").expect("valid regex");
    if !s.is_empty() && s.len() <= 63 && re.is_match(s) {
        Ok(())
    } else {
        Err("must start and end with an alphanumeric character, and contain only alphanumeric characters, hyphens, underscores, and periods. Maximum length is 63 characters.".into())
    }
}

/// The catalog's tag rule, as EntityTagsPicker applies it.
pub fn valid_tag(t: &str) -> Result<(), String> {
    let re = regex::Regex::new(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$").expect("valid regex");
    if !t.is_empty() && t.len() <= 63 && re.is_match(t) {
        Ok(())
    } else {
        Err(format!("`{t}` is not a valid tag: use lower-case letters, digits, +, # and : in words joined by -, at most 63 characters"))
    }
}

/// Splits a RepoUrlPicker value `host?owner=..&repo=..` into host and query pairs.
pub fn parse_repo_url(s: &str) -> Result<(String, Vec<(String, String)>), String> {
    repo_url::split_picker_value(s)
}

/// Builds the RepoUrlPicker value: query in Backstage's order, only non-empty keys, form-encoded.
pub fn repo_url(host: &str, parts: &[(&str, String)]) -> String {
    repo_url::picker_value(host, parts)
}

/// What kind of SCM a host is (Backstage asks the configured integrations; without them this
/// is read off the host name).
fn host_kind(host: &str) -> &'static str {
    repo_url::guess_kind(host)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().map(label_of).collect())
        .unwrap_or_default()
}

/// Asks for a field's value; `None` when golden does not know the field.
pub fn ask(
    w: &mut Walker<'_>,
    field: &str,
    name: &str,
    prop: &Value,
    ui: &Ui,
    required: bool,
    current: Option<&Value>,
) -> Option<Answer<Option<Value>>> {
    Some(match field {
        "RepoUrlPicker" => repo_url_picker(w, name, prop, ui, required, current),
        "OwnerPicker" | "EntityPicker" | "OwnedEntityPicker" | "MyGroupsPicker" => {
            entity_picker(w, field, name, prop, ui, required, current)
        }
        "MultiEntityPicker" => multi_entity_picker(w, name, prop, ui, required, current),
        "EntityNamePicker" => {
            let prompt = w.prompt(name, prop, required, current.map(label_of));
            let check = super::ask::typed_check(prop, required);
            w.p.text(&prompt, &check).map(|s| {
                if s.is_empty() {
                    None
                } else {
                    Some(Value::String(s))
                }
            })
        }
        "EntityTagsPicker" => tags_picker(w, name, prop, ui, required, current),
        _ => return None,
    })
}

/// One value from a list (`allowed`), or typed when the list is empty; a single entry is taken
/// without asking, as Backstage disables the box.
fn pick_or_type(
    w: &mut Walker<'_>,
    label: &str,
    help: &str,
    allowed: &[String],
    current: Option<&str>,
) -> Answer<String> {
    let prompt = Prompt {
        label: label.into(),
        help: Some(help.into()),
        default: current.map(str::to_string),
        required: true,
        placeholder: None,
    };
    match allowed.len() {
        0 => {
            let check = |s: &str| {
                if s.trim().is_empty() {
                    Err(format!("{label} is required"))
                } else {
                    Ok(())
                }
            };
            w.p.text(&prompt, &check).map(|s| s.trim().to_string())
        }
        1 => {
            w.p.notice(&format!("{label}: {}", allowed[0]));
            Ok(allowed[0].clone())
        }
        _ => {
            let d = current
                .and_then(|c| allowed.iter().position(|a| a == c))
                .unwrap_or(0);
            let i = w.p.select(&prompt, allowed, d)?;
            Ok(allowed[i].clone())
        }
    }
}

fn repo_url_picker(
    w: &mut Walker<'_>,
    name: &str,
    prop: &Value,
    ui: &Ui,
    required: bool,
    current: Option<&Value>,
) -> Answer<Option<Value>> {
    let o = &ui.options;
    if !required && current.is_none() {
        // Optional and not given: Enter leaves it unset, as --no-input does.
        let prompt = w.prompt(name, prop, required, None);
        let items = [
            "choose a repository location".to_string(),
            super::ask::NONE.to_string(),
        ];
        if w.p.select(&prompt, &items, 1)? == 1 {
            return Ok(None);
        }
    }
    let (cur_host, cur_pairs) = current
        .and_then(Value::as_str)
        .and_then(|s| parse_repo_url(s).ok())
        .unwrap_or_default();
    let cur = |k: &str| {
        cur_pairs
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.clone())
    };
    let allowed_hosts = strings(o.get("allowedHosts"));
    let title = super::schema::title(name, prop);
    w.p.notice(&format!("{title}: where the repository is created"));
    let host = if allowed_hosts.is_empty() {
        let configured = &w.integration_hosts;
        let mut hosts: Vec<String> = configured
            .github
            .iter()
            .chain(&configured.gitlab)
            .chain(&configured.gitea)
            .filter(|h| !h.is_empty())
            .cloned()
            .collect();
        if !hosts.iter().any(|h| h == "github.com") {
            hosts.insert(0, "github.com".into());
        }
        hosts.push("another host…".into());
        let d = hosts.iter().position(|h| *h == cur_host).unwrap_or(0);
        let prompt = Prompt {
            label: "Host".into(),
            help: Some("the SCM host of the new repository".into()),
            required: true,
            ..Prompt::default()
        };
        let i = w.p.select(&prompt, &hosts, d)?;
        if i + 1 == hosts.len() {
            pick_or_type(w, "Host", "host name, e.g. gitlab.example.com", &[], None)?
        } else {
            hosts[i].clone()
        }
    } else {
        pick_or_type(
            w,
            "Host",
            "the SCM host of the new repository",
            &allowed_hosts,
            Some(cur_host.as_str()).filter(|h| !h.is_empty()),
        )?
    };
    let owners = strings(o.get("allowedOwners"));
    let mut parts: Vec<(&str, String)> = Vec::new();
    match host_kind(&host) {
        "bitbucketCloud" => {
            parts.push((
                "workspace",
                pick_or_type(
                    w,
                    "Workspace",
                    "the Bitbucket workspace",
                    &owners,
                    cur("workspace").as_deref(),
                )?,
            ));
            parts.push((
                "project",
                pick_or_type(
                    w,
                    "Project",
                    "the Bitbucket project key",
                    &strings(o.get("allowedProjects")),
                    cur("project").as_deref(),
                )?,
            ));
        }
        "bitbucketServer" => {
            parts.push((
                "project",
                pick_or_type(
                    w,
                    "Project",
                    "the Bitbucket project key",
                    &strings(o.get("allowedProjects")),
                    cur("project").as_deref(),
                )?,
            ));
        }
        "azure" => {
            parts.push((
                "organization",
                pick_or_type(
                    w,
                    "Organization",
                    "the Azure DevOps organization",
                    &strings(o.get("allowedOrganizations")),
                    cur("organization").as_deref(),
                )?,
            ));
            let projects = strings(o.get("allowedProjects"))
                .into_iter()
                .chain(owners.clone())
                .collect::<Vec<_>>();
            parts.push((
                "project",
                pick_or_type(
                    w,
                    "Project",
                    "the Azure DevOps project",
                    &projects,
                    cur("project").as_deref(),
                )?,
            ));
        }
        "gitlab" => parts.push((
            "owner",
            pick_or_type(
                w,
                "Owner",
                "the group (or group/subgroup) or user that owns the repository",
                &owners,
                cur("owner").as_deref(),
            )?,
        )),
        _ => parts.push((
            "owner",
            pick_or_type(
                w,
                "Owner",
                "the organization or user that owns the repository",
                &owners,
                cur("owner").as_deref(),
            )?,
        )),
    }
    parts.push((
        "repo",
        pick_or_type(
            w,
            "Repository",
            "the name of the repository",
            &strings(o.get("allowedRepos")),
            cur("repo").as_deref(),
        )?,
    ));
    Ok(Some(Value::String(repo_url(&host, &parts))))
}

/// The filters, default kind and namespace of an entity picker.
struct PickerSpec {
    filters: Vec<Map<String, Value>>,
    default_kind: Option<String>,
    default_namespace: Option<String>,
    arbitrary: bool,
}

fn picker_spec(w: &Walker<'_>, field: &str, ui: &Ui) -> PickerSpec {
    let o = &ui.options;
    let mut filters: Vec<Map<String, Value>> = match o.get("catalogFilter") {
        Some(Value::Object(f)) => vec![f.clone()],
        Some(Value::Array(fs)) => fs.iter().filter_map(Value::as_object).cloned().collect(),
        _ => Vec::new(),
    };
    let kinds = strings(o.get("allowedKinds"));
    if filters.is_empty() {
        if !kinds.is_empty() {
            filters.push(
                json!({"kind": kinds})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            );
        } else if field == "OwnerPicker" {
            filters.push(
                json!({"kind": ["Group", "User"]})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            );
        } else if field == "MyGroupsPicker" {
            filters.push(
                json!({"kind": "Group"})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            );
        }
    }
    let user_ref = w
        .user
        .get("ref")
        .and_then(Value::as_str)
        .map(str::to_lowercase);
    if let Some(user) = &user_ref {
        let key = match field {
            "MyGroupsPicker" => Some("relations.hasMember"),
            "OwnedEntityPicker" => Some("relations.ownedBy"),
            _ => None,
        };
        if let Some(key) = key {
            if filters.is_empty() {
                filters.push(Map::new());
            }
            // The user's ownership refs: the user and the groups it is a member of.
            let mut refs = vec![Value::String(user.clone())];
            if field == "OwnedEntityPicker" {
                let entity = w.user.get("entity").cloned().unwrap_or(Value::Null);
                let member_of = entity
                    .pointer("/spec/memberOf")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let rels = entity
                    .get("relations")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let groups = member_of
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .chain(
                        rels.iter()
                            .filter(|r| r.get("type").and_then(Value::as_str) == Some("memberOf"))
                            .filter_map(|r| {
                                r.get("targetRef")
                                    .and_then(Value::as_str)
                                    .map(str::to_string)
                            }),
                    );
                for g in groups {
                    let full = Value::String(normalise(&g, Some("Group"), None));
                    if !refs.contains(&full) {
                        refs.push(full);
                    }
                }
            }
            for f in &mut filters {
                f.insert(key.into(), Value::Array(refs.clone()));
            }
        }
    }
    let default_kind = match field {
        "OwnerPicker" | "MyGroupsPicker" => Some("Group".to_string()),
        _ => o
            .get("defaultKind")
            .and_then(Value::as_str)
            .map(str::to_string),
    };
    PickerSpec {
        filters,
        default_kind,
        default_namespace: o
            .get("defaultNamespace")
            .and_then(Value::as_str)
            .map(str::to_string),
        arbitrary: o
            .get("allowArbitraryValues")
            .and_then(Value::as_bool)
            .unwrap_or(true),
    }
}

/// Normalises a typed ref as the pickers do: parsed with the defaults and stringified, or kept
/// as typed when it does not parse.
pub fn normalise(
    text: &str,
    default_kind: Option<&str>,
    default_namespace: Option<&str>,
) -> String {
    parse_ref(text, default_kind, default_namespace)
        .map(|r| r.full())
        .unwrap_or_else(|_| text.trim().to_string())
}

/// Entities for a picker, or `None` (with a notice) when there is no catalog to ask.
fn lookup(w: &mut Walker<'_>, spec: &PickerSpec) -> Option<Vec<Value>> {
    let result = match w.source() {
        Ok(src) => src.entities(&spec.filters),
        Err(e) => {
            w.notice_once(&format!(
                "{e}: type entity refs such as group:default/team-a"
            ));
            return None;
        }
    };
    match result {
        Ok(list) if !list.is_empty() => Some(list),
        Ok(_) => {
            w.p.notice("the catalog has no matching entities; type an entity ref");
            None
        }
        Err(e) => {
            w.p.notice(&format!("{e}; type an entity ref"));
            None
        }
    }
}

fn entity_picker(
    w: &mut Walker<'_>,
    field: &str,
    name: &str,
    prop: &Value,
    ui: &Ui,
    required: bool,
    current: Option<&Value>,
) -> Answer<Option<Value>> {
    let spec = picker_spec(w, field, ui);
    let kind = spec.default_kind.clone();
    let ns = spec.default_namespace.clone();
    if let Some(list) = lookup(w, &spec) {
        let mut refs: Vec<(String, String)> = list
            .iter()
            .filter_map(|e| {
                let r = ref_of(e)?;
                let title = e
                    .pointer("/metadata/title")
                    .and_then(Value::as_str)
                    .map(|t| format!(" — {t}"))
                    .unwrap_or_default();
                Some((
                    r.full(),
                    format!("{}{title}", humanize(&r, kind.as_deref())),
                ))
            })
            .collect();
        refs.sort_by(|a, b| a.1.cmp(&b.1));
        refs.dedup();
        let auto = match field {
            "EntityPicker" | "OwnedEntityPicker" => true,
            "MyGroupsPicker" => required,
            _ => false,
        };
        if auto && refs.len() == 1 {
            w.p.notice(&format!(
                "{}: {} (the only match)",
                super::schema::title(name, prop),
                refs[0].0
            ));
            return Ok(Some(Value::String(refs[0].0.clone())));
        }
        let mut items: Vec<String> = refs.iter().map(|(_, l)| l.clone()).collect();
        if spec.arbitrary {
            items.push("type another entity ref…".into());
        }
        // Optional and not given: Enter leaves it unset, as --no-input does.
        let none = (!required && current.is_none()).then(|| {
            items.push(super::ask::NONE.into());
            items.len() - 1
        });
        let cur = current
            .map(label_of)
            .map(|c| normalise(&c, kind.as_deref(), ns.as_deref()));
        let d = cur
            .and_then(|c| refs.iter().position(|(r, _)| *r == c))
            .or(none)
            .unwrap_or(0);
        let prompt = w.prompt(name, prop, required, None);
        let i = w.p.fuzzy_select(&prompt, &items, d)?;
        if Some(i) == none {
            return Ok(None);
        }
        if let Some((r, _)) = refs.get(i) {
            return Ok(Some(Value::String(r.clone())));
        }
    }
    let prompt = w.prompt(name, prop, required, current.map(label_of));
    let check = move |s: &str| {
        if s.trim().is_empty() && required {
            Err("a value is required".to_string())
        } else {
            Ok(())
        }
    };
    let raw = w.p.text(&prompt, &check)?;
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let full = normalise(&raw, kind.as_deref(), ns.as_deref());
    if full != raw.trim() {
        w.p.notice(&format!("{} → {full}", raw.trim()));
    }
    Ok(Some(Value::String(full)))
}

fn multi_entity_picker(
    w: &mut Walker<'_>,
    name: &str,
    prop: &Value,
    ui: &Ui,
    required: bool,
    current: Option<&Value>,
) -> Answer<Option<Value>> {
    let spec = picker_spec(w, "MultiEntityPicker", ui);
    let kind = spec.default_kind.clone();
    let ns = spec.default_namespace.clone();
    let chosen: Vec<String> = current
        .and_then(Value::as_array)
        .map(|a| a.iter().map(label_of).collect())
        .unwrap_or_default();
    if let Some(list) = lookup(w, &spec) {
        let refs: Vec<(String, String)> = list
            .iter()
            .filter_map(ref_of)
            .map(|r| (r.full(), humanize(&r, kind.as_deref())))
            .collect();
        let labels: Vec<String> = refs.iter().map(|(_, l)| l.clone()).collect();
        let checked: Vec<bool> = refs.iter().map(|(r, _)| chosen.contains(r)).collect();
        let prompt = w.prompt(name, prop, required, None);
        let picked = w.p.multi_select(&prompt, &labels, &checked)?;
        return Ok(Some(Value::Array(
            picked
                .into_iter()
                .map(|i| Value::String(refs[i].0.clone()))
                .collect(),
        )));
    }
    let mut prompt = w.prompt(
        name,
        prop,
        required,
        Some(chosen.join(", ")).filter(|s| !s.is_empty()),
    );
    prompt.help = Some("entity refs, comma-separated".into());
    let (k2, n2) = (kind.clone(), ns.clone());
    let check = move |s: &str| {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .try_for_each(|x| {
                parse_ref(x, k2.as_deref(), n2.as_deref())
                    .map(|_| ())
                    .map_err(|_| format!("{x} is not a valid entity ref"))
            })
    };
    let raw = w.p.text(&prompt, &check)?;
    let refs: Vec<Value> = raw
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| Value::String(normalise(x, kind.as_deref(), ns.as_deref())))
        .collect();
    Ok(if refs.is_empty() && !required {
        None
    } else {
        Some(Value::Array(refs))
    })
}

/// Tags as EntityTagsPicker makes them: trimmed, lower-cased, no duplicates.
pub fn tags(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in raw
        .split(',')
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
    {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

fn tags_picker(
    w: &mut Walker<'_>,
    name: &str,
    prop: &Value,
    ui: &Ui,
    required: bool,
    current: Option<&Value>,
) -> Answer<Option<Value>> {
    let mut prompt = w.prompt(
        name,
        prop,
        required,
        current
            .and_then(Value::as_array)
            .map(|a| a.iter().map(label_of).collect::<Vec<_>>().join(", ")),
    );
    let helper = ui.options.get("helperText").and_then(Value::as_str).unwrap_or("Add any relevant tags, hit 'Enter' to add new tags. Valid format: [a-z0-9+#] separated by [-], at most 63 characters");
    prompt.help = Some(format!("{helper} (comma-separated)"));
    let p2 = prop.clone();
    let check = move |s: &str| {
        let t = tags(s);
        if t.is_empty() && required {
            return Err("a value is required".into());
        }
        t.iter().try_for_each(|x| valid_tag(x))?;
        super::schema::check(&p2, &json!(t))
    };
    let raw = w.p.text(&prompt, &check)?;
    let t = tags(&raw);
    Ok(if t.is_empty() && !required {
        None
    } else {
        Some(json!(t))
    })
}

/// A file as RJSF's FileWidget submits it: `data:<type>;name=<encodeURIComponent(name)>;base64,…`.
/// The type is what a browser reports for common extensions (`application/octet-stream` else).
pub fn data_url(path: &std::path::Path) -> Result<String, String> {
    use base64::Engine as _;
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mime = match ext.as_str() {
        "txt" => "text/plain",
        "json" => "application/json",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "xml" => "text/xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    };
    Ok(format!(
        "data:{mime};name={};base64,{}",
        crate::backstage::uri::encode_component(&name),
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// The `--set` example and the allowed values a field takes (for the missing-values error).
pub fn describe(field: &str, ui: &Ui) -> Option<(String, String)> {
    let o = &ui.options;
    match field {
        "RepoUrlPicker" => {
            let hosts = strings(o.get("allowedHosts"));
            let host = hosts
                .first()
                .cloned()
                .unwrap_or_else(|| "github.com".into());
            let owner = strings(o.get("allowedOwners"))
                .first()
                .cloned()
                .unwrap_or_else(|| "OWNER".into());
            let allowed = if hosts.is_empty() {
                "HOST?owner=OWNER&repo=REPO".to_string()
            } else {
                format!(
                    "HOST?owner=OWNER&repo=REPO with HOST one of {}",
                    hosts.join(", ")
                )
            };
            Some((
                repo_url(&host, &[("owner", owner), ("repo", "REPO".into())]),
                allowed,
            ))
        }
        "OwnerPicker" | "MyGroupsPicker" => Some((
            "group:default/NAME".into(),
            "an entity ref such as group:default/team-a or user:default/jane".into(),
        )),
        "EntityPicker" | "OwnedEntityPicker" => {
            let kind = o
                .get("defaultKind")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| strings(o.get("allowedKinds")).first().cloned())
                .unwrap_or_else(|| "component".into())
                .to_lowercase();
            let ns = o
                .get("defaultNamespace")
                .and_then(Value::as_str)
                .unwrap_or("default")
                .to_lowercase();
            Some((
                format!("{kind}:{ns}/NAME"),
                "an entity ref: [kind:][namespace/]name".into(),
            ))
        }
        "MultiEntityPicker" => Some((
            "component:default/a,component:default/b".into(),
            "entity refs, comma-separated".into(),
        )),
        "EntityNamePicker" => Some((
            "my-name".into(),
            "1-63 letters, digits, -, _ or ., starting and ending with a letter or digit".into(),
        )),
        "EntityTagsPicker" => Some((
            "java,backend".into(),
            "tags, comma-separated: lower-case words of [a-z0-9+#:] joined by -".into(),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_url_like_backstage() {
        assert_eq!(
            repo_url(
                "github.com",
                &[("owner", "acme".into()), ("repo", "svc".into())]
            ),
            "github.com?owner=acme&repo=svc"
        );
        assert_eq!(
            repo_url(
                "gitlab.com",
                &[("owner", "grp/sub".into()), ("repo", "svc".into())]
            ),
            "gitlab.com?owner=grp%2Fsub&repo=svc"
        );
        assert_eq!(
            repo_url(
                "dev.azure.com",
                &[
                    ("organization", "org".into()),
                    ("project", "p".into()),
                    ("repo", "r".into())
                ]
            ),
            "dev.azure.com?repo=r&organization=org&project=p"
        );
        assert_eq!(
            repo_url(
                "bitbucket.org",
                &[
                    ("workspace", "w".into()),
                    ("project", "P".into()),
                    ("repo", "r".into())
                ]
            ),
            "bitbucket.org?repo=r&workspace=w&project=P"
        );
        assert_eq!(
            repo_url(
                "github.com",
                &[("owner", "a b".into()), ("repo", "x".into())]
            ),
            "github.com?owner=a+b&repo=x"
        );
        assert!(parse_repo_url("github.com?owner=acme").is_err());
        assert!(parse_repo_url("github.com?owner=acme&repo=x").is_ok());
    }

    #[test]
    fn files_as_data_urls() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("my notes (1).txt");
        std::fs::write(&p, "hi").unwrap();
        assert_eq!(
            data_url(&p).unwrap(),
            "data:text/plain;name=my%20notes%20(1).txt;base64,aGk="
        );
        assert!(data_url(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn names_and_tags() {
        assert!(valid_object_name("my-svc_1.2").is_ok());
        assert!(valid_object_name("-bad").is_err());
        assert!(valid_object_name(&"a".repeat(64)).is_err());
        assert_eq!(tags(" Java, backend ,java"), vec!["java", "backend"]);
        assert!(valid_tag("c++").is_ok());
        assert!(valid_tag("has space").is_err());
    }

    #[test]
    fn normalises_typed_refs() {
        assert_eq!(
            normalise("Team-A", Some("Group"), None),
            "group:default/team-a"
        );
        assert_eq!(
            normalise("svc", None, None),
            "svc",
            "unparsable text is kept"
        );
        assert_eq!(
            normalise("platform/web", Some("Component"), None),
            "component:platform/web"
        );
    }
}

#[cfg(test)]
mod oracle_checked {
    /// `URLSearchParams` output from node (Backstage's RepoUrlPicker builds its query with it):
    /// `owner=a+b%2Fc*%7E&repo=x.y-_%21`.
    #[test]
    fn query_encoding_matches_url_search_params() {
        assert_eq!(
            super::repo_url(
                "h",
                &[("owner", "a b/c*~".into()), ("repo", "x.y-_!".into())]
            ),
            "h?owner=a+b%2Fc*%7E&repo=x.y-_%21"
        );
    }
}
