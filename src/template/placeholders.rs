//! The catalog's `$text`, `$json` and `$yaml` placeholders, resolved before the scaffolder sees a
//! template: an object whose only key is one of them is replaced by the referenced file's text, or
//! its parsed JSON or YAML. Paths are relative to the template file and must stay inside the
//! template's source root ([`super::root`]); only regular files are read, up to golden's size
//! limit.

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};

/// Replaces every placeholder in `value`, reading files relative to `dir` inside `root`.
pub fn resolve(value: &mut Value, root: &Path, dir: &Path) -> Result<()> {
    match value {
        Value::Object(map) => {
            if map.len() == 1 {
                let (key, target) = map
                    .iter()
                    .next()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .unwrap_or_default();
                if matches!(key.as_str(), "$text" | "$json" | "$yaml") {
                    *value = load(&key, &target, root, dir)?;
                    return Ok(());
                }
            }
            for v in map.values_mut() {
                resolve(v, root, dir)?;
            }
        }
        Value::Array(items) => {
            for v in items {
                resolve(v, root, dir)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn load(kind: &str, target: &Value, root: &Path, dir: &Path) -> Result<Value> {
    let target = target
        .as_str()
        .ok_or_else(|| Error::template(format!("placeholder `{kind}` expects a string path")))?;
    if target.contains("://") {
        return Err(Error::template(format!(
            "placeholder `{kind}: {target}` points at a URL; golden reads placeholders from local files only"
        ))
        .hint("download the file next to the template and reference it with a relative path"));
    }
    let path = super::root::resolve(root, dir, target).map_err(|r| {
        let e = Error::template(format!(
            "placeholder `{kind}: {target}`: {}",
            r.message(target, Some(root))
        ));
        if r.is_refusal() {
            e.hint(r.hint())
        } else {
            e
        }
    })?;
    let text = crate::limits::read_text(&path).map_err(|e| {
        Error::template(format!(
            "placeholder `{kind}: {target}` cannot be read from `{}`: {e}",
            path.display()
        ))
    })?;
    match kind {
        "$text" => Ok(Value::String(text)),
        "$json" => serde_json::from_str(&text)
            .map_err(|e| Error::template(format!("`{}` is not valid JSON: {e}", path.display()))),
        _ => super::yaml::parse_value(&text).map_err(|e| {
            Error::template(format!(
                "`{}` is not valid YAML: {}",
                path.display(),
                e.message
            ))
            .at(format!(
                "{}:{}:{}",
                path.display(),
                e.pos.line,
                e.pos.column
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_text_json_and_yaml() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.md"), "hello\n").unwrap();
        std::fs::write(dir.path().join("b.json"), "{\"x\": 1}").unwrap();
        std::fs::write(dir.path().join("c.yaml"), "y: [1, 2]\n").unwrap();
        let mut v = serde_json::json!({"t": {"$text": "a.md"}, "j": [{"$json": "b.json"}], "y": {"$yaml": "c.yaml"}, "k": {"$text": "a.md", "other": 1}});
        resolve(&mut v, dir.path(), dir.path()).unwrap();
        assert_eq!(v["t"], "hello\n");
        assert_eq!(v["j"][0]["x"], 1);
        assert_eq!(v["y"]["y"][1], 2);
        assert_eq!(
            v["k"]["other"], 1,
            "objects with other keys are not placeholders"
        );
    }

    #[test]
    fn missing_file_is_an_error_naming_it() {
        let mut v = serde_json::json!({"t": {"$text": "nope.md"}});
        let e = resolve(&mut v, Path::new("/nonexistent"), Path::new("/nonexistent")).unwrap_err();
        assert!(e.message.contains("nope.md"));
    }

    #[test]
    fn refuses_absolute_escaping_and_special_files() {
        let tmp = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(tmp.path()).unwrap();
        let dir = root.join("t");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(root.join("shared.md"), "shared").unwrap();
        let mut ok = serde_json::json!({"t": {"$text": "../shared.md"}});
        resolve(&mut ok, &root, &dir).unwrap();
        assert_eq!(ok["t"], "shared");
        for (target, expect) in [
            ("/proc/self/environ", "absolute path"),
            ("/dev/zero", "absolute path"),
            ("../../etc/passwd", "outside the template's source root"),
        ] {
            let mut v = serde_json::json!({"t": {"$text": target}});
            let e = resolve(&mut v, &root, &dir).unwrap_err();
            assert!(e.message.contains(expect), "{target}: {}", e.message);
        }
        #[cfg(unix)]
        {
            let fifo = dir.join("fifo");
            let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
            let mut v = serde_json::json!({"t": {"$text": "./fifo"}});
            let e = resolve(&mut v, &root, &dir).unwrap_err();
            assert!(e.message.contains("named pipe"), "{}", e.message);
            std::os::unix::fs::symlink("/dev/zero", dir.join("zero")).unwrap();
            let mut v = serde_json::json!({"t": {"$text": "zero"}});
            let e = resolve(&mut v, &root, &dir).unwrap_err();
            assert!(e.message.contains("outside"), "{}", e.message);
        }
    }
}
