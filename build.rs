//! Lists the executable files under `templates/` so the built-in templates keep their modes
//! (include_dir does not record them), and records the commit and its date for `--version`
//! (`unknown` outside a git checkout).
#![allow(clippy::print_stdout)] // cargo reads a build script's instructions from stdout

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=templates");
    version_info();
    let root = Path::new("templates");
    let mut lines = Vec::new();
    walk(root, root, &mut lines);
    lines.sort();
    let out = std::env::var("OUT_DIR").expect("OUT_DIR");
    std::fs::write(Path::new(&out).join("executables.txt"), lines.join("\n"))
        .expect("write executables.txt");
}

/// `GOLDEN_COMMIT` (short hash) and `GOLDEN_COMMIT_DATE` (YYYY-MM-DD) from git, when it can say.
fn version_info() {
    let git = |args: &[&str]| -> Option<String> {
        let out = std::process::Command::new("git").args(args).output().ok()?;
        let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
        (out.status.success() && !s.is_empty()).then_some(s)
    };
    let commit = git(&["rev-parse", "--short=10", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let date = git(&["log", "-1", "--format=%cs"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=GOLDEN_COMMIT={commit}");
    println!("cargo:rustc-env=GOLDEN_COMMIT_DATE={date}");
    // Rebuilt when HEAD moves (a commit, a checkout).
    if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
        println!("cargo:rerun-if-changed={dir}/logs/HEAD");
    }
}

fn walk(root: &Path, dir: &Path, lines: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(root, &path, lines);
        } else {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                if entry
                    .metadata()
                    .map(|m| m.permissions().mode() & 0o111 != 0)
                    .unwrap_or(false)
                {
                    lines.push(
                        path.strip_prefix(root)
                            .unwrap_or(&path)
                            .display()
                            .to_string(),
                    );
                }
            }
        }
    }
}
