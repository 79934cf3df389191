//! The entry points of the fuzz targets in `fuzz/` (`fuzz/run.sh`): the renderer and the
//! template parser on arbitrary bytes. Built in every build so that they keep compiling; each
//! must return, never panic, hang or grow without bound. The regression tests of what fuzzing
//! found live beside the code they fixed, in the normal test suite.

use std::path::Path;

use crate::render::Engine;

/// The context expressions render against: parameters of every JSON type, a step output,
/// skeleton values and the user entity.
fn context() -> minijinja::Value {
    crate::render::to_value(&serde_json::json!({
        "parameters": {"name": "demo", "n": 3, "list": [1, "two", {"x": null}], "flag": true},
        "steps": {"a": {"output": {"url": "https://example.com/x"}}},
        "values": {"name": "demo", "items": ["a", "b"]},
        "user": {"entity": {"metadata": {"name": "me"}}},
    }))
}

/// `data` as a workflow value (`${{ }}` in a step input) and as a skeleton file (nunjucks).
pub fn render(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ctx = context();
    let _ = Engine::workflow().render_value(text, &ctx);
    let _ = Engine::skeleton(Default::default()).render(text, &ctx);
}

/// `data` as a template.yaml: YAML with positions, the Template document, the schema check and
/// placeholders (against a source root that holds no files).
pub fn template(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = crate::template::yaml::parse_documents(text);
    let root = Path::new("/nonexistent-golden-fuzz-root");
    let _ = crate::template::Template::from_source_in(
        Path::new("template.yaml"),
        root,
        root,
        text.to_string(),
    );
}

#[cfg(test)]
mod tests {
    /// The entry points return on the inputs fuzzing starts from and on a few hostile ones.
    #[test]
    fn entry_points_return() {
        for input in [
            "${{ parameters.name | upper }}",
            "{% for i in range(3) %}{{ i }}{% endfor %}",
            "{{ values.items[1:] }}",
            "\u{feff}apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\n",
            "- - - - - [[[[{{{{",
        ] {
            super::render(input.as_bytes());
            super::template(input.as_bytes());
        }
        super::render(&[0xff, 0xfe]);
    }
}
