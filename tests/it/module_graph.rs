//! The module graph of `src/` has no cycle among top-level modules: each `crate::<module>`
//! path (in `use` lines and inline) outside test code is an arrow from the file's top-level
//! module to `<module>`; a strongly connected component of more than one module fails the test,
//! naming the files that close it. Run with `cargo test --test it module_graph`.
//! Inside each folder module (`src/prompt/`, `src/render/`, ...) the files form a graph of their
//! own (`super::x` and `crate::<folder>::x` paths, the folder's `mod.rs` left out as the
//! module's face): a cycle there fails too, unless it is listed in `KNOWN_INSIDE`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::support::root;

/// Arrows between top-level modules, each with the files that draw it.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// Cycles being taken apart, each the sorted module list of one component: the test fails on a
/// component not listed here, and on a listed one that is gone (so the list only shrinks).
/// Empty: there is no cycle.
const KNOWN: &[&[&str]] = &[];

/// Cycles among the files of one folder module being taken apart: `(folder, sorted files)`. As
/// with `KNOWN`, the list only shrinks.
const KNOWN_INSIDE: &[(&str, &[&str])] = &[];

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

/// Arrows between the files of the folder module `dir` (named by file stem; `mod.rs` and test
/// files left out), from `super::x`, `super::{x, y}` and `crate::<folder>::x` paths.
fn inside_graph(dir: &Path) -> Graph {
    let folder = dir.file_name().unwrap().to_string_lossy().to_string();
    let files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().to_string();
            let stem = name.strip_suffix(".rs")?.to_string();
            let test = stem == "tests" || stem.ends_with("_tests") || stem == "mod";
            (!test).then_some(stem)
        })
        .collect();
    let path = format!(r"\b(?:super|crate::{folder})::(?:([a-z_][a-z0-9_]*)|\{{([^}}]*)\}})");
    let re = regex::Regex::new(&path).unwrap();
    let mut g = Graph::new();
    for file in &files {
        let text = std::fs::read_to_string(dir.join(format!("{file}.rs"))).unwrap();
        let arrows = g.entry(file.clone()).or_default();
        for c in re.captures_iter(&code_of(&text)) {
            let names: Vec<&str> = match (c.get(1), c.get(2)) {
                (Some(one), _) => vec![one.as_str()],
                (_, Some(list)) => list
                    .as_str()
                    .split(',')
                    .map(|n| n.trim().split("::").next().unwrap_or("").trim())
                    .collect(),
                _ => Vec::new(),
            };
            for n in names {
                if n != file && files.iter().any(|f| f == n) {
                    arrows
                        .entry(n.to_string())
                        .or_default()
                        .insert(format!("{folder}/{file}.rs"));
                }
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
fn no_cycle_among_the_files_of_a_folder_module() {
    let src = root().join("src");
    let mut found: Vec<(String, Vec<String>)> = Vec::new();
    let mut messages = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let folder = dir.file_name().unwrap().to_string_lossy().to_string();
        let g = inside_graph(&dir);
        for c in cycles(&g) {
            let known = KNOWN_INSIDE
                .iter()
                .any(|(f, k)| *f == folder && k.iter().copied().eq(c.iter().map(String::as_str)));
            if !known {
                messages.push(format!(
                    "a cycle among the files of src/{folder}/: {}\n{}",
                    c.join(" ⇄ "),
                    explain(&g, &c)
                ));
            }
            found.push((folder.clone(), c));
        }
    }
    assert!(messages.is_empty(), "{}", messages.join("\n"));
    for (folder, k) in KNOWN_INSIDE {
        assert!(
            found
                .iter()
                .any(|(f, c)| f == folder && k.iter().copied().eq(c.iter().map(String::as_str))),
            "the known cycle {folder}/{{{}}} is gone or changed: update KNOWN_INSIDE (found: {found:?})",
            k.join(", ")
        );
    }
}

#[test]
fn the_files_of_a_folder_module_are_read_with_their_arrows() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m");
    std::fs::create_dir(&m).unwrap();
    for (file, text) in [
        ("mod.rs", "mod a; mod b; mod c; use a::X;"),
        ("a.rs", "use super::{b, Prompt};\nuse super::c::Y;"),
        ("b.rs", "use crate::m::c;\n// super::a\n"),
        ("c.rs", "use super::{self as s, a::Z};"),
    ] {
        std::fs::write(m.join(file), text).unwrap();
    }
    let g = inside_graph(&m);
    assert!(!g.contains_key("mod"), "mod.rs is the face, not a node");
    assert_eq!(g["a"].keys().collect::<Vec<_>>(), ["b", "c"]);
    assert_eq!(g["b"].keys().collect::<Vec<_>>(), ["c"]);
    assert_eq!(g["c"].keys().collect::<Vec<_>>(), ["a"]);
    assert_eq!(cycles(&g), vec![vec!["a", "b", "c"]]);
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

/// Every `src/` file with its code (tests and comments removed), path relative to `src/`; files
/// that are test modules (`#[cfg(test)] mod NAME;`) are left out.
fn sources() -> Vec<(String, String)> {
    let src = root().join("src");
    let test_mod =
        regex::Regex::new(r"#\[cfg\(test\)\]\s*(?:pub(?:\([a-z]+\))?\s+)?mod\s+([a-z_0-9]+);")
            .unwrap();
    let mut test_files = std::collections::HashSet::new();
    for e in walkdir::WalkDir::new(&src).into_iter().map(|e| e.unwrap()) {
        if e.path().extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        let dir = e.path().parent().unwrap();
        for c in test_mod.captures_iter(&text) {
            test_files.insert(dir.join(format!("{}.rs", &c[1])));
        }
    }
    walkdir::WalkDir::new(&src)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .filter(|e| !test_files.contains(e.path()))
        .filter(|e| {
            let n = e.file_name().to_string_lossy();
            n != "tests.rs" && !n.ends_with("_tests.rs")
        })
        .map(|e| {
            let rel = e.path().strip_prefix(&src).unwrap().display().to_string();
            (rel, code_of(&std::fs::read_to_string(e.path()).unwrap()))
        })
        .collect()
}

/// `settings.rs` is the one reader of the process environment (variables, current directory,
/// temporary directory, terminals, platform directories); `main.rs` only hands it over.
#[test]
fn only_settings_reads_the_environment() {
    let reads = regex::Regex::new(
        r"std::env::(var|vars|var_os|vars_os|current_dir|temp_dir|home_dir|current_exe)\b|\benv::(var|var_os|vars)\(|\.is_terminal\(\)|\bdirs::",
    )
    .unwrap();
    let mut found = Vec::new();
    for (file, code) in sources() {
        if file == "settings.rs" || file == "main.rs" {
            continue;
        }
        for line in code.lines() {
            if reads.is_match(line) {
                found.push(format!("src/{file}: {}", line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the environment is read outside settings.rs (take it from the settings snapshot):\n{}",
        found.join("\n")
    );
}

/// No global mutable state apart from the Ctrl-C machinery (`interrupt.rs`'s folders to remove
/// on a signal, the prompt's SIGINT flag): a `static` holding a lock, an atomic or a cell is
/// mutable state shared by the whole process. Caches filled once (`OnceLock` of a compiled
/// regex or schema) are not state.
#[test]
fn no_global_mutable_state_but_the_interrupt_flag() {
    let state = regex::Regex::new(
        r"\bstatic\s+(mut\s+)?[A-Z_][A-Z0-9_]*\s*:\s*[^=]*\b(Mutex|RwLock|Atomic[A-Za-z0-9]*|RefCell|Cell)\b|\bstatic\s+mut\b|thread_local!",
    )
    .unwrap();
    let allowed = ["interrupt.rs", "prompt/terminal.rs"];
    let mut found = Vec::new();
    for (file, code) in sources() {
        for line in code.lines().filter(|l| state.is_match(l)) {
            if !allowed.contains(&file.as_str()) {
                found.push(format!("src/{file}: {}", line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "global mutable state (own it in the run instead):\n{}",
        found.join("\n")
    );
}

/// libgit2's timeouts are process-wide by libgit2's design: they are set in one place, at
/// start-up (`crate::run`), before any thread starts.
#[test]
fn libgit2_options_are_set_once_at_start_up() {
    let mut callers = Vec::new();
    for (file, code) in sources() {
        if code.contains("set_timeouts(") && file != "git.rs" {
            callers.push(file.clone());
        }
        if file != "git.rs" && code.contains("git2::opts::") {
            callers.push(format!("{file} (git2::opts)"));
        }
    }
    assert_eq!(callers, vec!["lib.rs".to_string()]);
}
