//! `golden schema`: the JSON Schema of template.yaml for editors (yaml-language-server's
//! `# yaml-language-server: $schema=...`). Backstage's Template v1beta3 schema references the
//! catalog's Entity schemas by id; here they are bundled under `definitions` and every `$ref`
//! rewritten to a local pointer, so the file works on its own.

use serde_json::{Map, Value};

use crate::error::Result;

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("embedded schema is JSON")
}

/// Rewrites `$ref`s (`Entity`, `common#relation`, `#reference` inside common) to local pointers
/// and drops the nested `$id`s and `$schema`s.
fn rewrite(v: &mut Value, inside_common: bool) {
    match v {
        Value::Object(map) => {
            map.remove("$schema");
            map.remove("$id");
            if let Some(Value::String(r)) = map.get_mut("$ref") {
                let target = match r.split_once('#') {
                    Some(("", anchor)) if inside_common => format!("#/definitions/{anchor}"),
                    Some(("common", anchor)) => format!("#/definitions/{anchor}"),
                    None if !r.is_empty() => format!("#/definitions/{r}"),
                    Some((doc, "")) if !doc.is_empty() => format!("#/definitions/{doc}"),
                    _ => r.clone(),
                };
                *r = target;
            }
            for child in map.values_mut() {
                rewrite(child, inside_common);
            }
        }
        Value::Array(items) => {
            for child in items {
                rewrite(child, inside_common);
            }
        }
        _ => {}
    }
}

/// The bundled, self-contained Template schema.
pub fn bundled() -> Value {
    let mut root = crate::template::schema::template_schema();
    rewrite(&mut root, false);
    let mut definitions = Map::new();
    let schemas = crate::backstage::json_schema::ENTITY_SCHEMAS;
    for (name, text) in schemas.iter().filter(|(name, _)| *name != "common") {
        let mut s = parse(text);
        rewrite(&mut s, false);
        definitions.insert(name.to_string(), s);
    }
    let common = parse(schemas[3].1);
    if let Some(defs) = common.get("definitions").and_then(Value::as_object) {
        for (key, def) in defs {
            let anchor = def
                .get("$id")
                .and_then(Value::as_str)
                .map(|a| a.trim_start_matches('#').to_string())
                .unwrap_or(key.clone());
            let mut d = def.clone();
            rewrite(&mut d, true);
            definitions.insert(anchor, d);
        }
    }
    if let Value::Object(map) = &mut root {
        map.insert(
            "$schema".into(),
            Value::String("http://json-schema.org/draft-07/schema#".into()),
        );
        map.insert(
            "$id".into(),
            Value::String("https://golden.invalid/schemas/template.v1beta3.json".into()),
        );
        map.insert("definitions".into(), Value::Object(definitions));
    }
    root
}

pub fn run(which: Option<&str>, printer: crate::output::Printer) -> Result<i32> {
    let schema = match which {
        Some("record") => crate::lifecycle::record::schema(),
        _ => bundled(),
    };
    printer.data(serde_json::to_string_pretty(&schema).unwrap_or_default());
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|c| refs(c, out));
            }
            Value::Array(a) => a.iter().for_each(|c| refs(c, out)),
            _ => {}
        }
    }

    #[test]
    fn bundle_is_self_contained_and_validates_templates() {
        let schema = bundled();
        let mut all = Vec::new();
        refs(&schema, &mut all);
        assert!(!all.is_empty());
        for r in &all {
            assert!(r.starts_with("#/definitions/"), "{r}");
            assert!(schema.pointer(&r[1..]).is_some(), "dangling {r}");
        }
        let v = jsonschema::draft7::new(&schema).expect("compiles without a registry");
        let good = serde_json::json!({"apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template",
            "metadata": {"name": "x"}, "spec": {"type": "service", "steps": []}});
        assert!(v.is_valid(&good));
        let mut bad = good.clone();
        bad["spec"]["steps"] = serde_json::json!([{"action": "debug:log", "input": "${{ x }}"}]);
        assert!(!v.is_valid(&bad));
        let mut bad_meta = good;
        bad_meta["metadata"] = serde_json::json!({"title": "no name"});
        assert!(!v.is_valid(&bad_meta), "Entity rules are bundled");
    }
}
