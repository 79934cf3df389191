//! Signals for the whole run: on SIGINT, SIGTERM or SIGHUP the temporary folders the run has
//! registered (workspaces, an extracted built-in template) are removed and golden ends with
//! 128 + the signal (130, 143, 129). Also removes what killed runs left behind: temporary folders
//! carry the pid of their process (`PREFIX<pid>-…`), and those of processes that no longer run are
//! removed by the next run that creates one in the same place.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Folders to remove if a signal ends the run.
static CLEANUP: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Starts the thread that handles SIGINT, SIGTERM and SIGHUP (once, at the start of a command).
/// While prompting, the prompt's own SIGINT handler takes over and unwinds normally.
pub fn install(printer: crate::output::Printer) {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        let _ = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    let removed = clean_up();
                    let name = match sig {
                        SIGINT => "interrupted",
                        SIGTERM => "terminated",
                        _ => "hung up",
                    };
                    let what = if removed == 0 {
                        String::new()
                    } else {
                        "; the temporary workspace was removed".to_string()
                    };
                    printer.always(format!("\n{name}{what}"));
                    std::process::exit(128 + sig);
                }
            });
    }
}

/// Removes every registered folder; returns how many there were.
fn clean_up() -> usize {
    let dirs = match CLEANUP.lock() {
        Ok(mut d) => std::mem::take(&mut *d),
        Err(p) => std::mem::take(&mut *p.into_inner()),
    };
    for d in &dirs {
        let _ = std::fs::remove_dir_all(d);
    }
    dirs.len()
}

/// While alive, `path` is removed if a signal ends the run.
pub struct Registration(PathBuf);

/// Registers `path` for removal on a signal.
pub fn register(path: &Path) -> Registration {
    if let Ok(mut d) = CLEANUP.lock() {
        d.push(path.to_path_buf());
    }
    Registration(path.to_path_buf())
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut d) = CLEANUP.lock() {
            d.retain(|p| p != &self.0);
        }
    }
}

/// A temporary folder in `parent` named `PREFIX<pid>-XXXXXX`, after removing the folders with the
/// same prefix that processes no longer running left behind.
pub fn tempdir_in(parent: &Path, prefix: &str) -> std::io::Result<tempfile::TempDir> {
    remove_stale(parent, prefix);
    tempfile::Builder::new()
        .prefix(&format!("{prefix}{}-", std::process::id()))
        .tempdir_in(parent)
}

/// Removes `PREFIX<pid>-*` folders in `parent` whose process no longer runs; returns how many.
pub fn remove_stale(parent: &Path, prefix: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id()
            && !crate::workspace::process_alive(pid)
            && e.file_type().is_ok_and(|t| t.is_dir())
            && std::fs::remove_dir_all(e.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_folders_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(".golden-workspace-4000000000-abc");
        let mine = dir
            .path()
            .join(format!(".golden-workspace-{}-x", std::process::id()));
        let other = dir.path().join(".golden-workspace-x");
        for d in [&dead, &mine, &other] {
            std::fs::create_dir_all(d.join("sub")).unwrap();
        }
        let t = tempdir_in(dir.path(), ".golden-workspace-").unwrap();
        assert!(!dead.exists());
        assert!(mine.exists() && other.exists());
        assert!(t
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(&format!(".golden-workspace-{}-", std::process::id())));
    }
}
