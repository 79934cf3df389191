//! What the engine provides, for `golden validate`: whether a filter, test or global exists.
//! Asked of the configured `Environment` itself (through minijinja's expression compiler, which
//! does not depend on the template delimiters), so the answer follows every filter the engine
//! registers or leaves out.

use minijinja::ErrorKind;

use super::Engine;

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Engine {
    /// Whether `name` is a filter of this engine.
    pub fn has_filter(&self, name: &str) -> bool {
        if name.starts_with("__") {
            return false;
        }
        if name == "jsonify" && self.options.cookiecutter {
            return true;
        }
        self.probe(&format!("none | {name}"), ErrorKind::UnknownFilter, name)
    }

    /// Whether `name` is a test of this engine (`x is name`).
    pub fn has_test(&self, name: &str) -> bool {
        super::ops::is_test(name)
    }

    /// Whether `name` is a global (function or value) of this engine.
    pub fn has_global(&self, name: &str) -> bool {
        !name.starts_with("__") && self.env.globals().any(|(n, _)| n == name)
    }

    fn probe(&self, expr: &str, missing: ErrorKind, name: &str) -> bool {
        if !is_identifier(name) {
            return false;
        }
        match self.env.compile_expression(expr) {
            Ok(e) => match e.eval(()) {
                Ok(_) => true,
                Err(err) => err.kind() != missing,
            },
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_its_own_filters_tests_and_globals() {
        let e = Engine::workflow();
        assert!(e.has_filter("parseRepoUrl"));
        assert!(e.has_filter("dump"));
        assert!(!e.has_filter("noSuchFilter"));
        assert!(e.has_test("defined"));
        assert!(!e.has_test("noSuchTest"));
        assert!(!e.has_global("hashFiles"));
    }
}
