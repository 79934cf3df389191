//! The rules of Backstage's field extensions, with no asking: the checks a field applies to its
//! value (EntityNamePicker, RepoUrlPicker, EntityTagsPicker, MultiEntityPicker), the check of a
//! typed answer, RepoUrlPicker values, typed entity refs, tags, files as data URLs, and the
//! `--set` example of each field for the missing-values error.

use serde_json::Value;

use super::entities::parse_ref;
use super::schema::{self, label_of, Ui};
use crate::backstage::repo_url;

/// The validation a field does on its value (the schema is checked separately).
pub fn check(field: Option<&str>, value: &Value) -> Result<(), String> {
    match (field, value) {
        (Some("EntityNamePicker"), Value::String(s)) => valid_object_name(s),
        (Some("RepoUrlPicker"), Value::String(s)) => repo_url::split_picker_value(s).map(|_| ()),
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

/// A check for a typed answer: required, parsed by the schema's type, then the schema.
pub fn typed_check(prop: &Value, required: bool) -> impl Fn(&str) -> Result<(), String> {
    let prop = prop.clone();
    move |s: &str| {
        if s.is_empty() {
            return if required {
                Err("a value is required".into())
            } else {
                Ok(())
            };
        }
        let v = crate::values::typed(Some(&prop), s)?;
        schema::check(&prop, &v)?;
        check(Ui::of(&prop).field.as_deref(), &v)
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

/// The strings of a `ui:options` list.
pub fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().map(label_of).collect())
        .unwrap_or_default()
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
                repo_url::picker_value(&host, &[("owner", owner), ("repo", "REPO".into())]),
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
            repo_url::picker_value(
                "github.com",
                &[("owner", "acme".into()), ("repo", "svc".into())]
            ),
            "github.com?owner=acme&repo=svc"
        );
        assert_eq!(
            repo_url::picker_value(
                "gitlab.com",
                &[("owner", "grp/sub".into()), ("repo", "svc".into())]
            ),
            "gitlab.com?owner=grp%2Fsub&repo=svc"
        );
        assert_eq!(
            repo_url::picker_value(
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
            repo_url::picker_value(
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
            repo_url::picker_value(
                "github.com",
                &[("owner", "a b".into()), ("repo", "x".into())]
            ),
            "github.com?owner=a+b&repo=x"
        );
        assert!(repo_url::split_picker_value("github.com?owner=acme").is_err());
        assert!(repo_url::split_picker_value("github.com?owner=acme&repo=x").is_ok());
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
            crate::backstage::repo_url::picker_value(
                "h",
                &[("owner", "a b/c*~".into()), ("repo", "x.y-_!".into())]
            ),
            "h?owner=a+b%2Fc*%7E&repo=x.y-_%21"
        );
    }
}
