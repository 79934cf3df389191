//! The renderer on arbitrary text: workflow values (`${{ }}` in step inputs) and skeleton files
//! (nunjucks with `{% %}`), against a small context. It must return, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ctx = golden::render::to_value(&serde_json::json!({
        "parameters": {"name": "demo", "n": 3, "list": [1, "two", {"x": null}], "flag": true},
        "steps": {"a": {"output": {"url": "https://example.com/x"}}},
        "values": {"name": "demo", "items": ["a", "b"]},
        "user": {"entity": {"metadata": {"name": "me"}}},
    }));
    let workflow = golden::render::Engine::workflow();
    let _ = workflow.render_value(text, &ctx);
    let skeleton = golden::render::Engine::skeleton(Default::default());
    let _ = skeleton.render(text, &ctx);
});
