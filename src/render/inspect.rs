//! What a template uses, for `golden validate`: compiles a source with the engine's own syntax and
//! hands over minijinja's instructions, and answers whether a filter, test or global exists in this
//! engine (asked of the configured `Environment`, so the answer follows every filter the engine
//! registers or removes).

use minijinja::machinery::{get_compiled_template, Instructions};
use minijinja::ErrorKind;

use super::Engine;

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Engine {
    /// Compiles `source` as [`Engine::render`] would and calls `f` with its instructions
    /// (instruction spans are lines and columns in `source`).
    /// The error keeps minijinja's byte range of the failure (`Error::range`).
    pub fn inspect<R>(&self, source: &str, f: impl FnOnce(&Instructions<'_>) -> R) -> Result<R, minijinja::Error> {
        let template = self.env.template_from_str(source)?;
        Ok(f(&get_compiled_template(&template).instructions))
    }

    /// Whether `name` is a filter of this engine.
    pub fn has_filter(&self, name: &str) -> bool {
        if !is_identifier(name) {
            return false;
        }
        let probe = format!("{{% filter {name} %}}{{% endfilter %}}");
        match self.env.render_str(&probe, ()) {
            Ok(_) => true,
            Err(e) => e.kind() != ErrorKind::UnknownFilter,
        }
    }

    /// Whether `name` is a test of this engine (`x is name`).
    pub fn has_test(&self, name: &str) -> bool {
        if !is_identifier(name) {
            return false;
        }
        let probe = format!("{{% if none is {name} %}}{{% endif %}}");
        match self.env.render_str(&probe, ()) {
            Ok(_) => true,
            Err(e) => e.kind() != ErrorKind::UnknownTest,
        }
    }

    /// Whether `name` is a global (function or value) of this engine.
    pub fn has_global(&self, name: &str) -> bool {
        self.env.globals().any(|(n, _)| n == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_its_own_filters_and_globals() {
        let e = Engine::workflow();
        assert!(e.has_filter("parseRepoUrl"));
        assert!(e.has_filter("upper"));
        assert!(!e.has_filter("noSuchFilter"));
        assert!(e.has_test("defined"));
        assert!(!e.has_test("noSuchTest"));
        assert!(e.has_global("range"));
        assert!(!e.has_global("hashFiles"));
    }

    #[test]
    fn hands_over_instructions() {
        let e = Engine::workflow();
        let n = e.inspect("${{ parameters.name | upper }}", |i| (0..).take_while(|n| i.get(*n).is_some()).count()).unwrap();
        assert!(n > 0);
        assert!(e.inspect("${{ a b }}", |_| ()).is_err());
    }
}
