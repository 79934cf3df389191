//! The assertions a case's `case.yaml` may list under `assert:`, and how each is checked against
//! the rendered tree, the run's JSON report (step statuses, output links) or its error.

use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// One assertion. In YAML each is a one-key map, e.g. `- exists: README.md`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Assertion {
    /// The file or folder exists in the rendered project.
    Exists(String),
    /// The file or folder does not exist.
    Absent(String),
    /// The file contains the text.
    Contains { file: String, text: String },
    /// The file matches the regular expression.
    Matches { file: String, regex: String },
    /// The step ended with this status: `executed`, `predicted` (a publish or register step in the
    /// dry run `golden test` makes), `skipped` or `failed`.
    Step { id: String, status: String },
    /// The template's output has a link with this title and url.
    Link { title: String, url: String },
    /// The run fails, with an error message containing this text.
    Fails(String),
}

impl Assertion {
    pub fn is_failure(&self) -> bool {
        matches!(self, Assertion::Fails(_))
    }

    /// Checks a `fails:` assertion against the failed run's error output.
    pub fn check_failure(&self, stderr: &str) -> Result<(), String> {
        match self {
            Assertion::Fails(text) if !stderr.contains(text.as_str()) => Err(format!(
                "fails: the error does not contain {text:?}; it was:\n{}",
                super::indent(stderr)
            )),
            _ => Ok(()),
        }
    }

    /// Checks any other assertion against the rendered project `out` and the JSON `report`.
    pub fn check(&self, out: &Path, report: &Value) -> Result<(), String> {
        match self {
            Assertion::Exists(p) => {
                if !inside(out, p)?.exists() {
                    return Err(format!("exists: {p} was not rendered"));
                }
            }
            Assertion::Absent(p) => {
                if inside(out, p)?.exists() {
                    return Err(format!("absent: {p} was rendered"));
                }
            }
            Assertion::Contains { file, text } => {
                let body = read(out, file, "contains")?;
                if !body.contains(text.as_str()) {
                    return Err(format!("contains: {file} does not contain {text:?}"));
                }
            }
            Assertion::Matches { file, regex } => {
                let re = regex::Regex::new(regex)
                    .map_err(|e| format!("matches: bad regular expression {regex:?}: {e}"))?;
                let body = read(out, file, "matches")?;
                if !re.is_match(&body) {
                    return Err(format!("matches: {file} does not match /{regex}/"));
                }
            }
            Assertion::Step { id, status } => {
                let steps = report
                    .get("steps")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let Some(step) = steps
                    .iter()
                    .find(|s| s.get("id").and_then(Value::as_str) == Some(id))
                else {
                    return Err(format!("step: the template has no step `{id}`"));
                };
                let got = step.get("status").and_then(Value::as_str).unwrap_or("");
                if got != status {
                    return Err(format!("step: `{id}` was {got}, expected {status}"));
                }
            }
            Assertion::Link { title, url } => {
                let links = report
                    .pointer("/output/links")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let found = links
                    .iter()
                    .find(|l| l.get("title").and_then(Value::as_str) == Some(title));
                match found.and_then(|l| l.get("url")).and_then(Value::as_str) {
                    Some(u) if u == url => {}
                    Some(u) => return Err(format!("link: `{title}` is {u}, expected {url}")),
                    None => {
                        return Err(format!("link: no output link titled `{title}` with a url"))
                    }
                }
            }
            Assertion::Fails(_) => {}
        }
        Ok(())
    }
}

/// `out/rel`, refusing absolute paths and `..` (an assertion reads only the rendered project).
fn inside(out: &Path, rel: &str) -> Result<PathBuf, String> {
    let p = Path::new(rel);
    if p.components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "`{rel}`: assertion paths are relative to the rendered project, without `..`"
        ));
    }
    Ok(out.join(p))
}

fn read(out: &Path, rel: &str, what: &str) -> Result<String, String> {
    let path = inside(out, rel)?;
    std::fs::read_to_string(&path).map_err(|e| format!("{what}: cannot read {rel}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(yaml: &str) -> Vec<Assertion> {
        let v = crate::template::yaml::parse_value(yaml).unwrap();
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn each_assertion_passes_and_fails() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "port: 8080\n").unwrap();
        let report = json!({
            "steps": [{"id": "publish", "status": "skipped"}],
            "output": {"links": [{"title": "Repository", "url": "https://x/y.git"}]}
        });
        let good = parse(
            "- exists: a.txt\n- absent: b.txt\n- contains: {file: a.txt, text: 'port: 8080'}\n\
             - matches: {file: a.txt, regex: 'port: \\d+'}\n- step: {id: publish, status: skipped}\n\
             - link: {title: Repository, url: 'https://x/y.git'}\n",
        );
        for a in &good {
            assert_eq!(a.check(dir.path(), &report), Ok(()), "{a:?}");
        }
        let bad = parse(
            "- exists: b.txt\n- absent: a.txt\n- contains: {file: a.txt, text: '9090'}\n\
             - matches: {file: a.txt, regex: '^x'}\n- step: {id: publish, status: executed}\n\
             - link: {title: Repository, url: 'https://other'}\n- exists: ../etc\n",
        );
        for a in &bad {
            assert!(a.check(dir.path(), &report).is_err(), "{a:?} should fail");
        }
    }

    #[test]
    fn fails_checks_the_error_text() {
        let a = parse("- fails: divergence\n").remove(0);
        assert!(a.is_failure());
        assert_eq!(a.check_failure("error: requires divergence"), Ok(()));
        assert!(a.check_failure("error: something else").is_err());
    }

    #[test]
    fn unknown_assertions_are_rejected() {
        let v = crate::template::yaml::parse_value("- exist: a.txt\n").unwrap();
        let e = serde_json::from_value::<Vec<Assertion>>(v).unwrap_err();
        assert!(e.to_string().contains("exist"), "{e}");
    }
}
