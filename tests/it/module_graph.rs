//! The module graph of `src/` has no cycle among top-level modules: each `crate::<module>`
//! path (in `use` lines and inline) outside test code is an arrow from the file's top-level
//! module to `<module>`; a strongly connected component of more than one module fails the test,
//! naming the files that close it. Run with `cargo test --test it module_graph`.
//! (Cycles inside one top-level module, such as render's filters and ops, are that module's
//! business.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::support::root;

/// Arrows between top-level modules, each with the files that draw it.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// Cycles being taken apart, each the sorted module list of one component: the test fails on a
/// component not listed here, and on a listed one that is gone (so the list only shrinks).
/// Empty: there is no cycle.
const KNOWN: &[&[&str]] = &[];

/// The code of a file without its tests and comments.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn graph(src: &Path) -> Graph {
    let re = regex::Regex::new(r"\bcrate::([a-z_][a-z0-9_]*)").unwrap();
    let mut g = Graph::new();
    for entry in walkdir::WalkDir::new(src) {
        let entry = entry.unwrap();
        let path = entry.path();
        let name = path.file_name().unwrap().to_string_lossy();
        if !name.ends_with(".rs") || name == "tests.rs" || name.ends_with("_tests.rs") {
            continue;
        }
        let rel = path.strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        let arrows = g.entry(module.clone()).or_default();
        for c in re.captures_iter(&code_of(&text)) {
            if c[1] != module {
                arrows
                    .entry(c[1].to_string())
                    .or_default()
                    .insert(rel.display().to_string());
            }
        }
    }
    g
}

/// Tarjan's strongly connected components with more than one module, each sorted.
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    struct State<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        for w in s.g[v].keys().filter(|w| s.g.contains_key(*w)) {
            let w = s.g.get_key_value(w).unwrap().0.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                s.low.insert(v, s.low[v].min(lw));
            } else if s.stack.contains(&w) {
                let iw = s.index[w];
                s.low.insert(v, s.low[v].min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

/// The arrows inside a component, with the files that draw them.
fn explain(g: &Graph, component: &[String]) -> String {
    let mut lines = Vec::new();
    for from in component {
        for (to, files) in &g[from] {
            if component.contains(to) {
                let files: Vec<&str> = files.iter().map(String::as_str).collect();
                lines.push(format!("  {from} -> {to}  ({})", files.join(", ")));
            }
        }
    }
    lines.join("\n")
}

#[test]
fn no_cycle_among_top_level_modules() {
    let g = graph(&root().join("src"));
    assert!(
        g.len() > 10,
        "the modules of src/ were read: {:?}",
        g.keys()
    );
    let found = cycles(&g);
    let known: Vec<Vec<String>> = KNOWN
        .iter()
        .map(|c| c.iter().map(|m| m.to_string()).collect())
        .collect();
    for c in &found {
        assert!(
            known.contains(c),
            "a cycle among top-level modules: {}\n{}",
            c.join(" ⇄ "),
            explain(&g, c)
        );
    }
    for k in &known {
        assert!(
            found.contains(k),
            "the known cycle {} is gone or changed: update KNOWN in tests/it/module_graph.rs (found: {found:?})",
            k.join(", ")
        );
    }
}

#[test]
fn cycle_detection_sees_a_cycle() {
    let mut g = Graph::new();
    for (from, to) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        g.entry(from.into())
            .or_default()
            .entry(to.into())
            .or_default()
            .insert(format!("{from}.rs"));
        g.entry(to.into()).or_default();
    }
    assert_eq!(cycles(&g), vec![vec!["a", "b", "c"]]);
    assert!(explain(&g, &cycles(&g)[0]).contains("c -> a  (c.rs)"));
    assert_eq!(
        code_of("use crate::x;\n// crate::y\n#[cfg(test)]\nuse crate::z;"),
        "use crate::x;"
    );
}
