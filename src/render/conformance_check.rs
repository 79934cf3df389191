//! Engine-only check against the conformance cases: re-renders every step input (from the
//! parameters, secrets, user and earlier step outputs the oracle recorded) and every skeleton file
//! of every executed `fetch:template` step (from the `values` the oracle recorded), and compares
//! with what Backstage produced (`expected.steps.json`, `expected/`). Independent of the actions.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value as Json};

use super::{to_value, Engine, SkeletonOptions};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/cases")
}

fn read_json(p: &Path) -> Option<Json> {
    serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
}

fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        let rel = p.strip_prefix(base).unwrap().to_string_lossy().to_string();
        if p.is_dir() {
            walk(&p, base, out);
        } else {
            out.push(rel);
        }
    }
}

/// Returns a list of differences for one case.
fn check_case(case: &Path) -> Vec<String> {
    let mut diffs = Vec::new();
    let Some(record) = read_json(&case.join("expected.steps.json")) else {
        return diffs;
    };
    let template = case.join("template");
    let Ok(tpl) = crate::template::Template::load(&template.join("template.yaml")) else {
        return diffs;
    };
    let steps = record["steps"].as_array().cloned().unwrap_or_default();
    let user = read_json(&case.join("user.json")).unwrap_or(json!({}));
    let secrets = read_json(&case.join("secrets.json")).unwrap_or(json!({}));
    let engine = Engine::workflow();
    let mut steps_ctx = Map::new();
    let mut touched: std::collections::HashMap<String, usize> = Default::default();
    for (i, rec) in steps.iter().enumerate() {
        let Some(step) = tpl
            .steps
            .iter()
            .find(|s| Some(s.id.as_str()) == rec["id"].as_str())
        else {
            continue;
        };
        if step.each.is_none() && rec["status"] == "executed" {
            let ctx = json!({
                "parameters": record["parameters"],
                "steps": steps_ctx,
                "user": user,
                "secrets": secrets,
                "environment": {"parameters": {}, "secrets": secrets},
                "context": {"task": {"id": "x"}},
            });
            let got = engine
                .render_tree(&Json::Object(step.input.clone()), &to_value(&ctx))
                .unwrap_or(Json::Null);
            if got != rec["input"] && rec["input"].is_object() {
                let (g, e) = (
                    got.as_object().cloned().unwrap_or_default(),
                    rec["input"].as_object().cloned().unwrap_or_default(),
                );
                for k in g.keys().chain(e.keys()) {
                    if g.get(k) != e.get(k) {
                        diffs.push(format!(
                            "step {} input {k}: got {:?} expected {:?}",
                            step.id,
                            g.get(k),
                            e.get(k)
                        ));
                        break;
                    }
                }
            }
        }
        if rec["status"] == "executed" {
            let mut output = rec["output"].clone();
            if let Some(its) = rec["iterations"].as_array() {
                let mut o = Map::new();
                for it in its {
                    for (k, v) in it["output"].as_object().cloned().unwrap_or_default() {
                        o.entry(k)
                            .or_insert_with(|| json!([]))
                            .as_array_mut()
                            .unwrap()
                            .push(v);
                    }
                }
                output = Json::Object(o);
            }
            steps_ctx.insert(step.id.clone(), json!({ "output": output }));
        }
        if step.action != "fetch:template"
            || rec["status"] != "executed"
            || rec.get("iterations").is_some()
        {
            continue;
        }
        let input = &rec["input"];
        let Some(url) = input["url"].as_str() else {
            continue;
        };
        let src = template.join(url);
        let target = input["targetPath"].as_str().unwrap_or("./").to_string();
        let opts = SkeletonOptions {
            cookiecutter: input["cookiecutterCompat"].as_bool().unwrap_or(false),
            trim_blocks: input["trimBlocks"].as_bool().unwrap_or(false),
            lstrip_blocks: input["lstripBlocks"].as_bool().unwrap_or(false),
        };
        let ext = match &input["templateFileExtension"] {
            Json::Bool(true) => Some(".njk".to_string()),
            Json::String(s) => Some(if s.starts_with('.') {
                s.clone()
            } else {
                format!(".{s}")
            }),
            _ => None,
        };
        let sk = Engine::skeleton(opts);
        let root = if opts.cookiecutter {
            "cookiecutter"
        } else {
            "values"
        };
        let ctx = to_value(&json!({ root: input["values"].clone() }));
        let mut files = Vec::new();
        walk(&src, &src, &mut files);
        for rel in files {
            let (mut path_src, mut render_contents) = (rel.clone(), true);
            if let Some(ext) = &ext {
                render_contents = rel.ends_with(ext.as_str());
                if render_contents {
                    path_src.truncate(path_src.len() - ext.len());
                }
            }
            let out_rel = match sk.render(&path_src, &ctx) {
                Ok(p) => p,
                Err(e) => {
                    diffs.push(format!("step {} path {rel}: error {e}", step.id));
                    continue;
                }
            };
            if out_rel.is_empty() || out_rel.starts_with('/') || out_rel.contains("//") {
                continue;
            }
            let out_path = case.join("expected").join(&target).join(&out_rel);
            let key = out_path.to_string_lossy().to_string();
            *touched.entry(key.clone()).or_default() += 1;
            let Ok(raw) = std::fs::read(src.join(&rel)) else {
                continue;
            };
            let Ok(text) = String::from_utf8(raw) else {
                continue;
            };
            if text.contains('\0') {
                continue;
            }
            let Ok(expected) = std::fs::read_to_string(&out_path) else {
                continue;
            };
            if touched[&key] > 1 || written_later(&steps[i + 1..], &template, &out_rel) {
                continue;
            }
            let got = if render_contents {
                sk.render(&text, &ctx)
            } else {
                Ok(text.clone())
            };
            match got {
                Ok(g) if g == expected => {}
                Ok(_) if text == expected => {} // copyWithoutTemplating
                Ok(g) => {
                    let line = g
                        .lines()
                        .zip(expected.lines())
                        .position(|(a, b)| a != b)
                        .unwrap_or(0);
                    diffs.push(format!(
                        "step {} file {out_rel} line {}: got {:?} expected {:?}",
                        step.id,
                        line + 1,
                        g.lines().nth(line).unwrap_or(""),
                        expected.lines().nth(line).unwrap_or("")
                    ));
                }
                Err(_) if text == expected => {}
                Err(e) => diffs.push(format!("step {} file {out_rel}: error {e}", step.id)),
            }
        }
    }
    diffs
}

/// Whether a later step (another fetch into the same place, or an fs action naming the file)
/// may have changed `rel` after this step wrote it.
fn written_later(later: &[Json], template: &Path, rel: &str) -> bool {
    later.iter().any(|rec| {
        let input = &rec["input"];
        if rec["action"].as_str().is_some_and(|a| a.starts_with("fs:")) {
            return input
                .to_string()
                .contains(rel.rsplit('/').next().unwrap_or(rel));
        }
        if !rec["action"]
            .as_str()
            .is_some_and(|a| a.starts_with("fetch:"))
        {
            return false;
        }
        let name = rel.rsplit('/').next().unwrap_or(rel);
        if input["targetPath"]
            .as_str()
            .is_some_and(|t| t.ends_with(name))
        {
            return true;
        }
        let Some(url) = input["url"].as_str() else {
            return false;
        };
        let mut files = Vec::new();
        let src = template.join(url);
        walk(&src, &src, &mut files);
        files
            .iter()
            .any(|f| f.ends_with(rel.rsplit('/').next().unwrap_or(rel)))
    })
}

#[test]
fn engine_matches_conformance_cases() {
    let filter = std::env::var("CONFORMANCE_FILTER").unwrap_or_default();
    let mut all = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(cases_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    for case in names {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        if !name.contains(&filter) || name.starts_with("error-") {
            continue;
        }
        for d in check_case(&case) {
            all.push(format!("{name}: {d}"));
        }
    }
    for d in &all {
        eprintln!("{d}");
    }
    assert!(all.is_empty(), "{} engine differences", all.len());
}
