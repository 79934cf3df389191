//! The template parser on arbitrary text: YAML with positions, the Template document, the schema
//! check, placeholders (with a source root holding no files). It must return, never panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = golden::template::yaml::parse_documents(text);
    let root = Path::new("/nonexistent-golden-fuzz-root");
    let _ = golden::template::Template::from_source_in(
        Path::new("template.yaml"),
        root,
        root,
        text.to_string(),
    );
});
