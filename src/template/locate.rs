//! Finding a template from what the user typed: a directory, a `template.yaml` path, or a
//! `metadata.name` searched in `./templates`, each directory of `GOLDEN_TEMPLATE_PATH`, and the
//! built-in templates compiled into the binary.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};

/// Built-in templates: the repository's `templates/` folder, compiled in.
static BUILTIN: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Where a template was found.
#[derive(Debug, Clone)]
pub enum Found {
    /// A template on disk (directory holding `template.yaml`, or the file).
    Path(PathBuf),
    /// A built-in template; its files must be extracted before use.
    Builtin(String),
}

/// A template that can be listed: its name, title and where it lives.
#[derive(Debug, Clone)]
pub struct Listed {
    pub name: String,
    pub title: String,
    pub location: String,
}

/// Resolves `query` to a template location.
pub fn find(query: &str, search_path: &[PathBuf]) -> Result<Found> {
    let p = Path::new(query);
    if p.exists() {
        return Ok(Found::Path(p.to_path_buf()));
    }
    if query.contains('/') || query.ends_with(".yaml") || query.ends_with(".yml") {
        return Err(Error::usage(format!(
            "no template at `{query}`: the path does not exist"
        )));
    }
    for dir in search_path {
        for (name, path) in scan(dir) {
            if name == query {
                return Ok(Found::Path(path));
            }
        }
    }
    if BUILTIN
        .get_dir(query)
        .is_some_and(|d| d.get_file(format!("{query}/template.yaml")).is_some())
    {
        return Ok(Found::Builtin(query.to_string()));
    }
    let names: Vec<String> = list(search_path).into_iter().map(|l| l.name).collect();
    let mut near: Vec<&String> = names
        .iter()
        .filter(|n| crate::backstage::suggest::alike(n, query) || n.contains(query))
        .collect();
    near.dedup();
    let mut err = Error::usage(format!("no template named `{query}`"));
    if !near.is_empty() {
        err = err.hint(format!(
            "did you mean {}?",
            near.iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Err(err.hint("`golden list` shows every template golden can find; a path to a template directory works too"))
}

/// Every template found on the search path, then the built-ins.
pub fn list(search_path: &[PathBuf]) -> Vec<Listed> {
    let mut out = Vec::new();
    for dir in search_path {
        for (name, path) in scan(dir) {
            let title = title_of(&path).unwrap_or_default();
            out.push(Listed {
                name,
                title,
                location: path.display().to_string(),
            });
        }
    }
    for d in BUILTIN.dirs() {
        let name = d.path().display().to_string();
        if out.iter().any(|l: &Listed| l.name == name) {
            continue; // a template on the search path shadows the built-in of the same name
        }
        if let Some(f) = d.get_file(format!("{name}/template.yaml")) {
            let title = crate::template::yaml::parse_value(f.contents_utf8().unwrap_or_default())
                .ok()
                .and_then(|v| {
                    v.pointer("/metadata/title")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .unwrap_or_default();
            out.push(Listed {
                name,
                title,
                location: "built-in".into(),
            });
        }
    }
    out
}

/// Writes a built-in template's files into `dest` (which must exist) and returns its directory.
pub fn extract_builtin(name: &str, dest: &Path) -> Result<PathBuf> {
    let dir = BUILTIN
        .get_dir(name)
        .ok_or_else(|| Error::usage(format!("no built-in template `{name}`")))?;
    extract_without_tests(dir, dest)
        .map_err(|e| Error::io("cannot extract the built-in template into", dest, e))?;
    restore_modes(dir, dest)?;
    Ok(dest.join(name))
}

/// Writes `dir` under `dest` like `Dir::extract`, leaving out the template's own `tests/` folder:
/// `golden test` reads those cases from the repository, a run never needs them.
fn extract_without_tests(dir: &include_dir::Dir<'_>, dest: &Path) -> std::io::Result<()> {
    let tests = dir.path().join("tests");
    for entry in dir.entries() {
        match entry {
            include_dir::DirEntry::Dir(d) if d.path() == tests => {}
            include_dir::DirEntry::Dir(d) => {
                std::fs::create_dir_all(dest.join(d.path()))?;
                extract_without_tests(d, dest)?;
            }
            include_dir::DirEntry::File(f) => {
                let path = dest.join(f.path());
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(path, f.contents())?;
            }
        }
    }
    Ok(())
}

/// include_dir drops file modes; the skeleton's executable scripts are listed in `.golden-modes`
/// (generated by build.rs) so they keep their bit.
fn restore_modes(dir: &include_dir::Dir<'_>, dest: &Path) -> Result<()> {
    let name = dir.path().display().to_string();
    for line in crate::template::locate::EXECUTABLES.lines() {
        if let Some(rest) = line.strip_prefix(&format!("{name}/")) {
            let path = dest.join(&name).join(rest);
            set_executable(&path)?;
        }
    }
    Ok(())
}

/// Relative paths (from `templates/`) of the built-in files that are executable.
pub static EXECUTABLES: &str = include_str!(concat!(env!("OUT_DIR"), "/executables.txt"));

#[cfg(unix)]
fn set_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut perm = std::fs::metadata(path)
        .map_err(|e| Error::io("cannot stat", path, e))?
        .permissions();
    perm.set_mode(perm.mode() | 0o111);
    std::fs::set_permissions(path, perm).map_err(|e| Error::io("cannot chmod", path, e))
}

#[cfg(not(unix))]
fn set_executable(_: &Path) -> Result<()> {
    Ok(())
}

/// Templates directly inside `dir`: `(metadata.name, directory)`.
fn scan(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let file = path.join("template.yaml");
        if !file.is_file() {
            continue;
        }
        if let Some(name) = name_of(&file) {
            out.push((name, path));
        }
    }
    out
}

fn read_doc(file: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(file).ok()?;
    let docs = crate::template::yaml::parse_documents(text.trim_start_matches('\u{feff}')).ok()?;
    docs.into_iter()
        .map(|d| d.value)
        .find(|v| v.get("kind").and_then(Value::as_str) == Some("Template"))
}

fn name_of(file: &Path) -> Option<String> {
    read_doc(file)?
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn title_of(dir: &Path) -> Option<String> {
    read_doc(&dir.join("template.yaml"))?
        .pointer("/metadata/title")
        .and_then(Value::as_str)
        .map(str::to_string)
}
