//! The catalog's `$text`, `$json` and `$yaml` placeholders, resolved before the scaffolder sees a
//! template: an object whose only key is one of them is replaced by the referenced file's text, or
//! its parsed JSON or YAML. Paths are relative to the template file.

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};

/// Replaces every placeholder in `value`, reading files relative to `dir`.
pub fn resolve(value: &mut Value, dir: &Path) -> Result<()> {
    match value {
        Value::Object(map) => {
            if map.len() == 1 {
                let (key, target) = map
                    .iter()
                    .next()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .unwrap_or_default();
                if matches!(key.as_str(), "$text" | "$json" | "$yaml") {
                    *value = load(&key, &target, dir)?;
                    return Ok(());
                }
            }
            for v in map.values_mut() {
                resolve(v, dir)?;
            }
        }
        Value::Array(items) => {
            for v in items {
                resolve(v, dir)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn load(kind: &str, target: &Value, dir: &Path) -> Result<Value> {
    let target = target
        .as_str()
        .ok_or_else(|| Error::template(format!("placeholder `{kind}` expects a string path")))?;
    if target.contains("://") {
        return Err(Error::template(format!(
            "placeholder `{kind}: {target}` points at a URL; golden reads placeholders from local files only"
        ))
        .hint("download the file next to the template and reference it with a relative path"));
    }
    let path = dir.join(target);
    let text = std::fs::read_to_string(&path).map_err(|e| {
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
        resolve(&mut v, dir.path()).unwrap();
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
        let e = resolve(&mut v, Path::new("/nonexistent")).unwrap_err();
        assert!(e.message.contains("nope.md"));
    }
}
