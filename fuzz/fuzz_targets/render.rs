//! The renderer on arbitrary text: workflow values (`${{ }}` in step inputs) and skeleton files
//! (nunjucks with `{% %}`), against a small context. It must return, never panic or hang.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| golden::fuzzing::render(data));
