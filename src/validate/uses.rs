//! Judges what a templated string uses against what its context provides: variables, filters,
//! tests, functions and JavaScript methods. Findings are relative to the string; the caller maps
//! them to the file.

use super::expr::{Analysis, Kind};
use super::{Checker, Flavor};

/// A finding inside one string: code, message, byte range in the string, label, hint.
#[derive(Debug, Clone)]
pub struct Finding {
    pub code: &'static str,
    pub message: String,
    pub start: usize,
    pub end: usize,
    pub label: String,
    pub hint: Option<String>,
}

/// JavaScript methods nunjitsu (Backstage 4) allows (SPEC §4.5), and the loop/cycler helpers.
const JS_METHODS: &[&str] = &[
    // strings
    "charAt",
    "charCodeAt",
    "concat",
    "endsWith",
    "includes",
    "indexOf",
    "lastIndexOf",
    "replace",
    "slice",
    "split",
    "startsWith",
    "substring",
    "toLowerCase",
    "toUpperCase",
    "trim",
    "trimEnd",
    "trimStart",
    // arrays
    "at",
    "flat",
    "join",
    "sort",
    "reverse",
    "push",
    "pop",
    "shift",
    "unshift",
    "splice",
    "fill",
    "copyWithin",
    // numbers
    "toFixed",
    "toPrecision",
    "toExponential",
    "toString",
    // loop.cycle, cycler.next/reset
    "cycle",
    "next",
    "reset",
];

/// Python list and dict methods of `cookiecutterCompat` mode (SPEC §4.8).
const PYTHON_METHODS: &[&str] = &[
    "append",
    "pop",
    "remove",
    "count",
    "index",
    "find",
    "insert",
    "items",
    "keys",
    "values",
    "get",
    "has_key",
    "popitem",
    "setdefault",
    "update",
    "iteritems",
    "itervalues",
    "iterkeys",
];

/// Names GitHub Actions evaluates in `${{ }}` (contexts and functions).
pub const GHA_CONTEXTS: &[&str] = &[
    "github", "secrets", "matrix", "runner", "env", "vars", "inputs", "needs", "steps", "job",
    "jobs", "strategy",
];
pub const GHA_FUNCTIONS: &[&str] = &[
    "hashFiles",
    "contains",
    "startsWith",
    "endsWith",
    "format",
    "join",
    "toJSON",
    "fromJSON",
    "success",
    "always",
    "cancelled",
    "failure",
];

/// nunjucks' globals (SPEC §4.4), known whether or not golden's engine has them yet.
const NUNJUCKS_GLOBALS: &[&str] = &["range", "cycler", "joiner"];
/// v4's status functions for step `if`.
const STATUS_FUNCTIONS: &[&str] = &["always", "failure"];

/// Names that are always fine as a variable root.
const ALWAYS: &[&str] = &["loop", "caller", "varargs", "kwargs", "self", "super"];

/// The code of a finding: `expr-*` in template.yaml (Backstage keeps the text as written),
/// `skeleton-*` in skeleton files (the fetch step fails).
fn code(flavor: Flavor, what: &str) -> &'static str {
    let skeleton = flavor != Flavor::Workflow;
    match (what, skeleton) {
        ("unknown-filter", false) => "expr-unknown-filter",
        ("unknown-filter", true) => "skeleton-unknown-filter",
        ("unknown-test", false) => "expr-unknown-test",
        ("unknown-test", true) => "skeleton-unknown-test",
        ("unknown-function", false) => "expr-unknown-function",
        ("unknown-function", true) => "skeleton-unknown-function",
        ("unknown-method", false) => "expr-unknown-method",
        _ => "skeleton-unknown-method",
    }
}

fn filter_hint(name: &str, flavor: Flavor) -> String {
    match name {
        "tojson" | "to_json" | "to_nice_json" | "json" => "use `dump` (nunjucks' JSON filter)".into(),
        "jsonify" if flavor != Flavor::Cookiecutter => "`jsonify` exists only with `cookiecutterCompat: true`; use `dump`".into(),
        "map" => "nunjucks has no `map`; use a `{% for %}` loop".into(),
        "unique" => "nunjucks has no `unique`; build the list with a `{% for %}` loop and an `in` check".into(),
        "items" => "use `dictsort`, or `{% for key, value in obj %}`".into(),
        "min" | "max" => format!("nunjucks has no `{name}`; use `sort` then `first` or `last`"),
        "to_yaml" | "to_nice_yaml" | "yaml" => "nunjucks has no YAML filter; write the YAML in the file, or `dump` for JSON".into(),
        _ => match crate::runner::action::closest(name, crate::render::filter_names()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "Backstage has the nunjucks built-in filters plus `parseRepoUrl`, `parseEntityRef`, `pick` and `projectSlug`; a custom backend module may provide others".into(),
        },
    }
}

/// What a scope provides.
pub struct Scope<'a> {
    pub flavor: Flavor,
    /// Variable roots the context provides.
    pub roots: &'a [&'a str],
}

/// Judges filters, tests, functions, methods and unknown roots. Roots in `scope.roots` are left to
/// the caller (which knows parameters and steps); other roots go to `unknown_root`.
pub fn judge(
    checker: &Checker,
    scope: &Scope<'_>,
    analysis: &Analysis,
    mut unknown_root: impl FnMut(&str, &[String], usize, usize) -> Option<Finding>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for u in &analysis.uses {
        let (start, end) = (u.start, u.end);
        let found = match &u.kind {
            Kind::Var { root, path } => {
                if scope.roots.contains(&root.as_str())
                    || ALWAYS.contains(&root.as_str())
                    || NUNJUCKS_GLOBALS.contains(&root.as_str())
                    || checker.knows(scope.flavor, 2, root)
                {
                    continue;
                }
                unknown_root(root, path, start, end)
            }
            Kind::Filter(name) => (!checker.knows(scope.flavor, 0, name)).then(|| Finding {
                code: code(scope.flavor, "unknown-filter"),
                message: format!("unknown filter `{name}`"),
                start,
                end,
                label: "Backstage has no such filter".into(),
                hint: Some(filter_hint(name, scope.flavor)),
            }),
            Kind::Test(name) => (!checker.knows(scope.flavor, 1, name)).then(|| Finding {
                code: code(scope.flavor, "unknown-test"),
                message: format!("unknown test `{name}`"),
                start,
                end,
                label: "Backstage has no such test".into(),
                hint: Some("nunjucks tests: defined, undefined, none/null, number, string, truthy, falsy, eq, ne, even, odd, divisibleby, iterable, mapping, callable, lower, upper".into()),
            }),
            Kind::Function(name) => unknown_function(checker, scope, name, start, end),
            Kind::Method(name) => unknown_method(scope, name, start, end),
        };
        out.extend(found);
    }
    out
}

/// A function call Backstage does not provide (a GitHub Actions function in a skeleton file
/// gets its own code).
fn unknown_function(
    checker: &Checker,
    scope: &Scope<'_>,
    name: &str,
    start: usize,
    end: usize,
) -> Option<Finding> {
    // `caller()` inside a macro renders the body of the `{% call %}` block that called it
    let builtin = NUNJUCKS_GLOBALS.contains(&name)
        || name == "caller"
        || (scope.flavor == Flavor::Workflow && STATUS_FUNCTIONS.contains(&name));
    if builtin || checker.knows(scope.flavor, 2, name) {
        return None;
    }
    if GHA_FUNCTIONS.contains(&name) && scope.flavor != Flavor::Workflow {
        return Some(Finding {
            code: "skeleton-gha-function",
            message: format!("GitHub Actions function `{name}(...)` is evaluated by the scaffolder and fails the step"),
            start,
            end,
            label: "calls an undefined function".into(),
            hint: Some(format!("escape it for GitHub: `${{{{ '${{{{ {name}(...) }}}}' }}}}`, wrap the block in `{{% raw %}}...{{% endraw %}}`, or list the file in `copyWithoutTemplating`")),
        });
    }
    Some(Finding {
        code: code(scope.flavor, "unknown-function"),
        message: format!("`{name}` is not a function Backstage provides"),
        start,
        end,
        label: "resolves to undefined and cannot be called".into(),
        hint: Some(if scope.flavor == Flavor::Workflow {
            "the workflow context has the globals `range`, `cycler`, `joiner`, `always()` and `failure()`".into()
        } else {
            "skeleton files have the globals `range`, `cycler` and `joiner`".into()
        }),
    })
}

/// A method nunjitsu (Backstage 4) does not allow.
fn unknown_method(scope: &Scope<'_>, name: &str, start: usize, end: usize) -> Option<Finding> {
    let ok = JS_METHODS.contains(&name)
        || (scope.flavor == Flavor::Cookiecutter && PYTHON_METHODS.contains(&name));
    if ok {
        return None;
    }
    let hint = match name {
        "replaceAll" => "use the `replace` filter (it replaces every occurrence): `x | replace('a', 'b')`".to_string(),
        "padStart" | "padEnd" => "pad with a filter instead, e.g. `center`, or build the string with `~`".to_string(),
        "lower" | "upper" | "capitalize" | "title" | "strip" => {
            let f = if name == "strip" { "trim" } else { name };
            format!("use the `{f}` filter: `x | {f}`")
        }
        _ => "Backstage 4 (nunjitsu) allows only a fixed list of JavaScript methods (SPEC §4.5); use a filter".to_string(),
    };
    Some(Finding {
        code: code(scope.flavor, "unknown-method"),
        message: format!("method `{name}` is not allowed by Backstage 4"),
        start,
        end,
        label: "resolves to undefined and cannot be called".into(),
        hint: Some(hint),
    })
}
