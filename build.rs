//! Lists the executable files under `templates/` so the built-in templates keep their modes
//! (include_dir does not record them).
#![allow(clippy::print_stdout)] // cargo reads a build script's instructions from stdout

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=templates");
    let root = Path::new("templates");
    let mut lines = Vec::new();
    walk(root, root, &mut lines);
    lines.sort();
    let out = std::env::var("OUT_DIR").expect("OUT_DIR");
    std::fs::write(Path::new(&out).join("executables.txt"), lines.join("\n"))
        .expect("write executables.txt");
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
