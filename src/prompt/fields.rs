//! Backstage's field extensions (`ui:field`) as terminal questions, each producing exactly the
//! value Backstage's field produces: RepoUrlPicker, the entity pickers (OwnerPicker,
//! EntityPicker, OwnedEntityPicker, MyGroupsPicker, MultiEntityPicker), EntityNamePicker and
//! EntityTagsPicker. Secret is handled by the walker (its value goes to `secrets`).

use serde_json::{json, Map, Value};

use super::entities::parse_ref;
use super::rules::{normalise, strings, tags, valid_tag};
use super::schema::{label_of, Ui};
use super::walker::{Question, Walker, NONE};
use super::{Answer, Pick, Prompt, Stop};
use crate::backstage::entity_ref::EntityRef;
use crate::backstage::repo_url;

/// Asks for a field's value; `None` when golden does not know the field.
pub fn ask(
    w: &mut Walker<'_>,
    field: &str,
    q: &Question<'_>,
    current: Option<&Value>,
) -> Option<Answer<Option<Value>>> {
    Some(match field {
        "RepoUrlPicker" => repo_url_picker(w, q, current),
        "OwnerPicker" | "EntityPicker" | "OwnedEntityPicker" | "MyGroupsPicker" => {
            entity_picker(w, field, q, current)
        }
        "MultiEntityPicker" => multi_entity_picker(w, q, current),
        "EntityNamePicker" => {
            let prompt = w.prompt(q, current.map(label_of));
            let check = super::rules::typed_check(q.prop, q.required);
            w.p.text(&prompt, &check).map(|s| {
                if s.is_empty() {
                    None
                } else {
                    Some(Value::String(s))
                }
            })
        }
        "EntityTagsPicker" => tags_picker(w, q, current),
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
    q: &Question<'_>,
    current: Option<&Value>,
) -> Answer<Option<Value>> {
    let o = &q.ui.options;
    if !q.required && current.is_none() {
        // Optional and not given: Enter leaves it unset, as --no-input does.
        let prompt = w.prompt(q, None);
        let items = ["choose a repository location".to_string(), NONE.to_string()];
        if w.p.select(&prompt, &items, 1)? == 1 {
            return Ok(None);
        }
    }
    let (cur_host, cur_pairs) = current
        .and_then(Value::as_str)
        .and_then(|s| repo_url::split_picker_value(s).ok())
        .unwrap_or_default();
    let cur = |k: &str| {
        cur_pairs
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.clone())
    };
    let title = super::schema::title(q.name, q.prop);
    w.p.notice(&format!("{title}: where the repository is created"));
    let host = repo_host(w, &strings(o.get("allowedHosts")), &cur_host)?;
    let mut parts = repo_owner_parts(w, o, repo_url::guess_kind(&host), &cur)?;
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
    Ok(Some(Value::String(repo_url::picker_value(&host, &parts))))
}

/// The RepoUrlPicker's host: one of `allowedHosts`, else one of github.com and the configured
/// integrations' hosts, or typed.
fn repo_host(w: &mut Walker<'_>, allowed_hosts: &[String], cur_host: &str) -> Answer<String> {
    if !allowed_hosts.is_empty() {
        return pick_or_type(
            w,
            "Host",
            "the SCM host of the new repository",
            allowed_hosts,
            Some(cur_host).filter(|h| !h.is_empty()),
        );
    }
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
        pick_or_type(w, "Host", "host name, e.g. gitlab.example.com", &[], None)
    } else {
        Ok(hosts[i].clone())
    }
}

/// The query parts before `repo` that a host of `kind` takes (Bitbucket workspace and project,
/// Azure organization and project, else the owner), each picked from its `allowed*` list or
/// typed.
fn repo_owner_parts(
    w: &mut Walker<'_>,
    o: &Map<String, Value>,
    kind: &str,
    cur: &dyn Fn(&str) -> Option<String>,
) -> Answer<Vec<(&'static str, String)>> {
    let owners = strings(o.get("allowedOwners"));
    let projects = strings(o.get("allowedProjects"));
    // (key, label, help, allowed)
    let asked: Vec<(&'static str, &str, &str, Vec<String>)> = match kind {
        "bitbucketCloud" => vec![
            ("workspace", "Workspace", "the Bitbucket workspace", owners),
            ("project", "Project", "the Bitbucket project key", projects),
        ],
        "bitbucketServer" => vec![("project", "Project", "the Bitbucket project key", projects)],
        "azure" => vec![
            (
                "organization",
                "Organization",
                "the Azure DevOps organization",
                strings(o.get("allowedOrganizations")),
            ),
            (
                "project",
                "Project",
                "the Azure DevOps project",
                projects.into_iter().chain(owners).collect(),
            ),
        ],
        "gitlab" => vec![(
            "owner",
            "Owner",
            "the group (or group/subgroup) or user that owns the repository",
            owners,
        )],
        _ => vec![(
            "owner",
            "Owner",
            "the organization or user that owns the repository",
            owners,
        )],
    };
    let mut parts = Vec::new();
    for (key, label, help, allowed) in asked {
        parts.push((
            key,
            pick_or_type(w, label, help, &allowed, cur(key).as_deref())?,
        ));
    }
    Ok(parts)
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
    if let Some((key, refs)) = ownership(w, field) {
        if filters.is_empty() {
            filters.push(Map::new());
        }
        for f in &mut filters {
            f.insert(key.into(), Value::Array(refs.clone()));
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

/// MyGroupsPicker and OwnedEntityPicker narrow to the signed-in user: the relation key and the
/// user's ownership refs (the user and, for OwnedEntityPicker, the groups it is a member of).
fn ownership(w: &Walker<'_>, field: &str) -> Option<(&'static str, Vec<Value>)> {
    let user = w
        .user
        .get("ref")
        .and_then(Value::as_str)
        .map(str::to_lowercase)?;
    let key = match field {
        "MyGroupsPicker" => "relations.hasMember",
        "OwnedEntityPicker" => "relations.ownedBy",
        _ => return None,
    };
    let mut refs = vec![Value::String(user)];
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
    Some((key, refs))
}

/// Entities for a picker, or `None` (with a notice) when there is no catalog to ask.
fn lookup(w: &mut Walker<'_>, spec: &PickerSpec) -> Option<Vec<Value>> {
    let what = match w.source() {
        Ok(src) => src.describe(),
        Err(e) => {
            w.notice_once(&format!(
                "{e}: type entity refs such as group:default/team-a"
            ));
            return None;
        }
    };
    // A slow or unreachable catalog: a spinner while it answers (or until it gives up).
    let busy = w.p.busy(&format!("asking {what}…"));
    let result = w.source().and_then(|src| src.entities(&spec.filters));
    drop(busy);
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
    q: &Question<'_>,
    current: Option<&Value>,
) -> Answer<Option<Value>> {
    let spec = picker_spec(w, field, q.ui);
    if let Some(list) = lookup(w, &spec) {
        if let Some(answer) = pick_entity(w, field, q, current, &spec, &list)? {
            return Ok(answer);
        }
    }
    let required = q.required;
    let mut prompt = w.prompt(q, current.map(label_of));
    prompt
        .help
        .get_or_insert_with(|| "an entity ref, such as group:default/team-a".into());
    let (kind, ns) = (spec.default_kind.clone(), spec.default_namespace.clone());
    let check = move |s: &str| {
        if s.trim().is_empty() {
            return if required {
                Err("a value is required".to_string())
            } else {
                Ok(())
            };
        }
        typed_ref(s, kind.as_deref(), ns.as_deref()).map(|_| ())
    };
    let raw = w.p.text(&prompt, &check)?;
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let full = normalise(
        &raw,
        spec.default_kind.as_deref(),
        spec.default_namespace.as_deref(),
    );
    if full != raw.trim() {
        w.p.notice(&format!("{} → {full}", raw.trim()));
    }
    Ok(Some(Value::String(full)))
}

/// A typed entity ref, parsed with the picker's default kind and namespace (the reason when it
/// does not parse).
fn typed_ref(text: &str, kind: Option<&str>, ns: Option<&str>) -> Result<String, String> {
    parse_ref(text, kind, ns)
        .map(|r| r.full())
        .map_err(|e| format!("`{}` is not an entity ref: {e}", text.trim()))
}

/// The catalog's entities as a list filtered as typed: `Some(answer)`, or `None` when the user
/// asks to type a ref. Text that matches no entity is taken as a ref once it parses as one
/// (re-asked with the reason otherwise).
fn pick_entity(
    w: &mut Walker<'_>,
    field: &str,
    q: &Question<'_>,
    current: Option<&Value>,
    spec: &PickerSpec,
    list: &[Value],
) -> Answer<Option<Option<Value>>> {
    let required = q.required;
    let kind = spec.default_kind.as_deref();
    let mut refs: Vec<(String, String)> = list
        .iter()
        .filter_map(|e| {
            let r = EntityRef::of(e)?;
            let title = e
                .pointer("/metadata/title")
                .and_then(Value::as_str)
                .map(|t| format!(" — {t}"))
                .unwrap_or_default();
            Some((r.full(), format!("{}{title}", r.humanize(kind))))
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
        let title = super::schema::title(q.name, q.prop);
        w.p.notice(&format!("{title}: {} (the only match)", refs[0].0));
        return Ok(Some(Some(Value::String(refs[0].0.clone()))));
    }
    let mut items: Vec<String> = refs.iter().map(|(_, l)| l.clone()).collect();
    let type_another = spec.arbitrary.then(|| {
        items.push("type another entity ref…".into());
        items.len() - 1
    });
    // Optional and not given: Enter leaves it unset, as --no-input does.
    let none = (!required && current.is_none()).then(|| {
        items.push(NONE.into());
        items.len() - 1
    });
    let cur = current
        .map(label_of)
        .map(|c| normalise(&c, kind, spec.default_namespace.as_deref()));
    let d = cur
        .and_then(|c| refs.iter().position(|(r, _)| *r == c))
        .or(none)
        .unwrap_or(0);
    let prompt = w.prompt(q, None);
    let ns = spec.default_namespace.as_deref();
    let check = |text: &str| {
        if !spec.arbitrary {
            return Err("choose one of the catalog's entities (this field takes no other)".into());
        }
        typed_ref(text, kind, ns).map(|_| ())
    };
    Ok(
        match w.p.fuzzy_pick(&prompt, &items, d, type_another, &check)? {
            Pick::Item(i) if Some(i) == none => Some(None),
            Pick::Item(i) if i < refs.len() => Some(Some(Value::String(refs[i].0.clone()))),
            Pick::Item(_) => None,
            Pick::Typed(text) => {
                let full = typed_ref(&text, kind, ns).map_err(Stop::Failed)?;
                if full != text {
                    w.p.notice(&format!("{text} → {full}"));
                }
                Some(Some(Value::String(full)))
            }
        },
    )
}

fn multi_entity_picker(
    w: &mut Walker<'_>,
    q: &Question<'_>,
    current: Option<&Value>,
) -> Answer<Option<Value>> {
    let spec = picker_spec(w, "MultiEntityPicker", q.ui);
    let kind = spec.default_kind.clone();
    let ns = spec.default_namespace.clone();
    let chosen: Vec<String> = current
        .and_then(Value::as_array)
        .map(|a| a.iter().map(label_of).collect())
        .unwrap_or_default();
    if let Some(list) = lookup(w, &spec) {
        let refs: Vec<(String, String)> = list
            .iter()
            .filter_map(EntityRef::of)
            .map(|r| (r.full(), r.humanize(kind.as_deref())))
            .collect();
        let labels: Vec<String> = refs.iter().map(|(_, l)| l.clone()).collect();
        let checked: Vec<bool> = refs.iter().map(|(r, _)| chosen.contains(r)).collect();
        let prompt = w.prompt(q, None);
        let picked = w.p.multi_select(&prompt, &labels, &checked)?;
        return Ok(Some(Value::Array(
            picked
                .into_iter()
                .map(|i| Value::String(refs[i].0.clone()))
                .collect(),
        )));
    }
    let mut prompt = w.prompt(q, Some(chosen.join(", ")).filter(|s| !s.is_empty()));
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
    Ok(if refs.is_empty() && !q.required {
        None
    } else {
        Some(Value::Array(refs))
    })
}

fn tags_picker(
    w: &mut Walker<'_>,
    q: &Question<'_>,
    current: Option<&Value>,
) -> Answer<Option<Value>> {
    let required = q.required;
    let given = current
        .and_then(Value::as_array)
        .map(|a| a.iter().map(label_of).collect::<Vec<_>>().join(", "));
    let mut prompt = w.prompt(q, given);
    let helper = q.ui.options.get("helperText").and_then(Value::as_str).unwrap_or("Add any relevant tags, hit 'Enter' to add new tags. Valid format: [a-z0-9+#] separated by [-], at most 63 characters");
    prompt.help = Some(format!("{helper} (comma-separated)"));
    let p2 = q.prop.clone();
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
