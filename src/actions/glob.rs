//! Glob matching the way Backstage's actions call npm `globby` 11 (fast-glob, `dot: true`):
//! a pattern naming an existing directory matches its whole subtree (`expandDirectories`), `!`
//! patterns exclude what earlier patterns matched (and, naming a directory, its subtree), `./` is
//! ignored, `*` does not cross `/`, and matching is case-sensitive. Paths are relative to the
//! base directory, with `/` separators and no trailing slash.

use std::path::Path;

use globset::{Candidate, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};

/// A compiled list of globby patterns.
pub struct Patterns {
    /// The patterns in the order given, consecutive positive ones in one set (matched in one
    /// pass: `**/*.png`-like patterns by a lookup of the extension).
    items: Vec<Item>,
}

enum Item {
    Include(GlobSet),
    Exclude(GlobMatcher),
}

impl Patterns {
    /// Compiles `patterns` against `base` (used to expand directory names).
    pub fn new(patterns: &[String], base: &Path) -> Result<Patterns, String> {
        let mut items = Vec::new();
        let mut include: Option<GlobSetBuilder> = None;
        for raw in patterns {
            let (negated, body) = match raw.strip_prefix('!') {
                Some(rest) if !rest.starts_with('(') => (true, rest),
                _ => (false, raw.as_str()),
            };
            let mut p = body;
            while let Some(rest) = p.strip_prefix("./") {
                p = rest;
            }
            let p = p.trim_end_matches('/');
            if p.starts_with('/') || p.starts_with("../") || p == ".." {
                continue; // outside the base: can never match a path inside it
            }
            let expanded = if !negated && (p.is_empty() || p == "." || base.join(p).is_dir()) {
                if p.is_empty() || p == "." {
                    "**".to_string()
                } else {
                    format!("{p}/**")
                }
            } else {
                p.to_string()
            };
            let glob = GlobBuilder::new(&expanded)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| format!("invalid glob pattern `{raw}`: {e}"))?;
            if negated {
                if let Some(set) = include.take() {
                    items.push(Item::Include(build(set)?));
                }
                items.push(Item::Exclude(glob.compile_matcher()));
            } else {
                include.get_or_insert_with(GlobSetBuilder::new).add(glob);
            }
        }
        if let Some(set) = include {
            items.push(Item::Include(build(set)?));
        }
        Ok(Patterns { items })
    }

    /// Whether the relative path `rel` (no trailing slash) is selected.
    pub fn is_match(&self, rel: &str) -> bool {
        let candidate = Candidate::new(rel);
        let mut selected = false;
        for item in &self.items {
            match item {
                Item::Exclude(m) => {
                    if selected
                        && (m.is_match_candidate(&candidate)
                            || ancestors(rel).any(|a| m.is_match(a)))
                    {
                        selected = false;
                    }
                }
                Item::Include(set) => {
                    if !selected && set.is_match_candidate(&candidate) {
                        selected = true;
                    }
                }
            }
        }
        selected
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

fn build(set: GlobSetBuilder) -> Result<GlobSet, String> {
    set.build()
        .map_err(|e| format!("invalid glob pattern: {e}"))
}

/// `a/b/c` → `a/b`, `a`.
fn ancestors(rel: &str) -> impl Iterator<Item = &str> {
    rel.char_indices()
        .rev()
        .filter(|(_, c)| *c == '/')
        .map(move |(i, _)| &rel[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree and expectations come from running globby 11 in the oracle with
    /// `{dot: true, onlyFiles: false, markDirectories: true, followSymbolicLinks: false}`.
    fn tree() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for dir in ["dir/sub", "other", ".hid", "emptyd"] {
            std::fs::create_dir_all(d.path().join(dir)).unwrap();
        }
        for f in [
            "dir/a.txt",
            "dir/sub/b.txt",
            "other/c.go",
            ".hid/x",
            "top.txt",
            ".dotf",
        ] {
            std::fs::write(d.path().join(f), "").unwrap();
        }
        d
    }

    const ENTRIES: [&str; 11] = [
        ".dotf",
        ".hid",
        "dir",
        "emptyd",
        "other",
        "top.txt",
        ".hid/x",
        "dir/a.txt",
        "dir/sub",
        "other/c.go",
        "dir/sub/b.txt",
    ];

    fn select(pats: &[&str], base: &Path) -> Vec<&'static str> {
        let p = Patterns::new(
            &pats.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            base,
        )
        .unwrap();
        let mut v: Vec<_> = ENTRIES.iter().copied().filter(|e| p.is_match(e)).collect();
        v.sort();
        v
    }

    #[test]
    fn globby_semantics() {
        let t = tree();
        let b = t.path();
        assert_eq!(
            select(&["dir"], b),
            ["dir/a.txt", "dir/sub", "dir/sub/b.txt"]
        );
        assert_eq!(
            select(&["dir/"], b),
            ["dir/a.txt", "dir/sub", "dir/sub/b.txt"]
        );
        assert_eq!(
            select(&["./dir"], b),
            ["dir/a.txt", "dir/sub", "dir/sub/b.txt"]
        );
        assert_eq!(select(&["dir/*"], b), ["dir/a.txt", "dir/sub"]);
        assert_eq!(
            select(&["dir/**"], b),
            ["dir/a.txt", "dir/sub", "dir/sub/b.txt"]
        );
        assert_eq!(select(&["**/*.go"], b), ["other/c.go"]);
        assert_eq!(select(&["*.txt"], b), ["top.txt"]);
        assert_eq!(select(&[".hid"], b), [".hid/x"]);
        assert!(select(&["emptyd"], b).is_empty());
        assert_eq!(select(&["other/**/*"], b), ["other/c.go"]);
        assert_eq!(
            select(&["!dir/a.txt", "dir"], b),
            ["dir/a.txt", "dir/sub", "dir/sub/b.txt"]
        );
        assert_eq!(
            select(&["dir", "!dir/a.txt"], b),
            ["dir/sub", "dir/sub/b.txt"]
        );
        assert_eq!(select(&["d*"], b), ["dir"]);
        assert!(select(&["DIR"], b).is_empty());
        assert_eq!(select(&["**/sub"], b), ["dir/sub"]);
        assert_eq!(select(&["{dir,other}"], b), ["dir", "other"]);
        assert_eq!(select(&["dir/sub/"], b), ["dir/sub/b.txt"]);
        assert!(select(&["sub"], b).is_empty());
        assert_eq!(select(&["**/b.txt"], b), ["dir/sub/b.txt"]);
        assert_eq!(
            select(&["*"], b),
            [".dotf", ".hid", "dir", "emptyd", "other", "top.txt"]
        );
        assert!(select(&["/tmp/x", "../t/top.txt"], b).is_empty());
    }
}
