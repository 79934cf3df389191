//! The template parser on arbitrary text: YAML with positions, the Template document, the schema
//! check, placeholders (with a source root holding no files). It must return, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| golden::fuzzing::template(data));
