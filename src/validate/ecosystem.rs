//! The actions of Backstage's own scaffolder modules and the most used community modules: id,
//! description and input schema, generated from their npm packages by tools/ecosystem/gen.cjs
//! into `ecosystem.json` (never edited by hand). `golden validate` checks steps using them.

use std::sync::OnceLock;

use serde_json::{Map, Value};

fn all() -> &'static Map<String, Value> {
    static ALL: OnceLock<Map<String, Value>> = OnceLock::new();
    ALL.get_or_init(
        || match serde_json::from_str::<Value>(include_str!("ecosystem.json")) {
            Ok(Value::Object(mut m)) => match m.remove("actions") {
                Some(Value::Object(a)) => a,
                _ => Map::new(),
            },
            _ => Map::new(),
        },
    )
}

/// The npm package that provides `id`, if a known module does.
pub fn package(id: &str) -> Option<&'static str> {
    all().get(id)?.get("package")?.as_str()
}

/// The input schema of `id` as its module publishes it.
pub fn input_schema(id: &str) -> Option<&'static Value> {
    all().get(id)?.get("input").filter(|v| v.is_object())
}

/// Every known id.
pub fn ids() -> impl Iterator<Item = &'static str> {
    all().keys().map(String::as_str)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_modules_of_the_issue_are_there() {
        for id in [
            "publish:gitlab",
            "publish:azure",
            "publish:bitbucketCloud",
            "publish:bitbucketServer",
            "publish:gerrit",
            "publish:gitea",
            "notification:send",
            "roadiehq:utils:fs:write",
            "http:backstage:request",
            "argocd:create-resources",
            "fetch:cookiecutter",
            "catalog:fetch",
        ] {
            assert!(super::package(id).is_some(), "{id}");
        }
        assert!(super::input_schema("roadiehq:utils:fs:write").is_some());
    }
}
