//! Running a case's command (`sh -c`) in the rendered project, in a process group of its own that
//! is killed when the command ends or outlives its timeout (nothing it started keeps running).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use wait_timeout::ChildExt;

/// Lines of the command's output shown when it fails.
const TAIL_LINES: usize = 40;

/// Runs `command` in `dir`; its output goes to a log file in `scratch`, and its last lines are
/// part of the problem when it fails or times out.
pub fn run(command: &str, dir: &Path, timeout: Duration, scratch: &Path) -> Result<(), String> {
    let log_path = scratch.join("command.log");
    let log = std::fs::File::create(&log_path)
        .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let log2 = log
        .try_clone()
        .map_err(|e| format!("cannot open the command log: {e}"))?;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run `{command}`: {e}"))?;
    let status = match child.wait_timeout(timeout) {
        Ok(Some(status)) => status,
        Ok(None) => {
            kill_group(&mut child);
            return Err(format!(
                "`{command}` did not finish within {}s; its last output:\n{}",
                timeout.as_secs(),
                tail(&log_path)
            ));
        }
        Err(e) => {
            kill_group(&mut child);
            return Err(format!("cannot wait for `{command}`: {e}"));
        }
    };
    // whatever the command left running in the background goes with it
    kill_group(&mut child);
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{command}` failed ({status}); its last output:\n{}",
            tail(&log_path)
        ))
    }
}

fn kill_group(child: &mut std::process::Child) {
    // SAFETY: kill(2) with a negative pid signals the process group `run` created for the child
    // (`process_group(0)`), so the command's own children die with it.
    #[cfg(unix)]
    unsafe {
        libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(TAIL_LINES);
    super::indent(&lines[start..].join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_failure_and_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let t = Duration::from_secs(20);
        assert_eq!(run("test -d .", dir.path(), t, dir.path()), Ok(()));
        let e = run("echo boom; exit 3", dir.path(), t, dir.path()).unwrap_err();
        assert!(e.contains("boom") && e.contains("exit status: 3"), "{e}");
        let started = std::time::Instant::now();
        let e = run(
            "sleep 30",
            dir.path(),
            Duration::from_millis(300),
            dir.path(),
        )
        .unwrap_err();
        assert!(e.contains("did not finish within 0s"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
