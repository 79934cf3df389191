//! Limits on what golden reads, so that a hostile or broken input ends with a clear error instead
//! of a hang, a stack overflow or an exhausted memory: how deeply values may nest (one limit for
//! YAML, JSON and `--set` keys), how large a file read into memory may be, and that only regular
//! files are read (never a FIFO, a socket or a device such as `/dev/zero`).

use std::io::{self, Read};
use std::path::Path;

use serde_json::Value;

/// The deepest nesting of lists and mappings any input may have (serde_json's own limit).
pub const MAX_DEPTH: usize = 128;

/// The largest file golden reads into memory (template files, skeleton files, values files).
pub const MAX_READ_BYTES: u64 = 64 * 1024 * 1024;

/// The message every input path gives for nesting deeper than [`MAX_DEPTH`].
pub fn nesting_message() -> String {
    format!("recursion limit exceeded: values nest deeper than {MAX_DEPTH} levels")
}

/// The nesting depth of a value (a scalar is 0, `[1]` is 1), without recursion.
pub fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, d)) = stack.pop() {
        deepest = deepest.max(d);
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            Value::Object(map) => stack.extend(map.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    deepest
}

/// Reads a whole file that must be a regular file of at most [`MAX_READ_BYTES`]. A FIFO is
/// opened without blocking and refused, as are devices and sockets (but `/dev/null`, the usual
/// empty file, reads as empty); the error says which.
pub fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    let f = match open_regular(path) {
        Err(_) if std::fs::canonicalize(path).is_ok_and(|p| p == Path::new("/dev/null")) => {
            return Ok(Vec::new())
        }
        other => other?,
    };
    let len = f.metadata()?.len();
    read_open(f, len)
}

/// Reads a file opened by [`open_regular`] whose size is `len`, within [`MAX_READ_BYTES`].
pub fn read_open(mut f: std::fs::File, len: u64) -> io::Result<Vec<u8>> {
    if len > MAX_READ_BYTES {
        return Err(too_large(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // A file that grows while being read is still cut at the limit.
    (&mut f).take(MAX_READ_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_READ_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// [`read_file`] as UTF-8 text; invalid UTF-8 is an `InvalidData` error saying so.
pub fn read_text(path: &Path) -> io::Result<String> {
    String::from_utf8(read_file(path)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

/// Opens `path` for reading only if it is a regular file (following symlinks). Opening does not
/// block on a FIFO: it is opened non-blocking, checked, and refused.
pub fn open_regular(path: &Path) -> io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let f = opts.open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {}, not a regular file", kind_of(&meta)),
        ));
    }
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // Regular files never block, but clear the flag so reads behave as usual.
        let fd = f.as_raw_fd();
        // SAFETY: fcntl on a descriptor this function owns; failure leaves the flag set, harmless
        // for a regular file.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFL);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
            }
        }
    }
    Ok(f)
}

/// Refuses anything but a regular file, a directory or a symlink (checked without following it).
pub fn check_entry(meta: &std::fs::Metadata) -> io::Result<()> {
    let ft = meta.file_type();
    if ft.is_file() || ft.is_dir() || ft.is_symlink() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {}, not a regular file", kind_of(meta)),
        ))
    }
}

/// "a named pipe (FIFO)", "a character device", ... for messages.
pub fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let ft = meta.file_type();
    if ft.is_dir() {
        return "a directory";
    }
    if ft.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

fn too_large(len: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "it is larger than golden's limit of {} MiB for a file read into memory ({} bytes or more)",
            MAX_READ_BYTES / (1024 * 1024),
            len
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_levels_without_recursion() {
        assert_eq!(depth(&serde_json::json!(1)), 0);
        assert_eq!(depth(&serde_json::json!({"a": [1, {"b": []}]})), 3);
        let mut v = Value::Null;
        for _ in 0..100_000 {
            v = Value::Array(vec![v]);
        }
        assert_eq!(depth(&v), 100_000);
        // Dropping a deep value recurses: unwind it by hand in the test.
        let mut cur = v;
        while let Value::Array(mut items) = cur {
            cur = items.pop().unwrap_or(Value::Null);
        }
    }

    #[cfg(unix)]
    #[test]
    fn refuses_fifos_and_devices_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let e = read_file(&fifo).unwrap_err();
        assert!(e.to_string().contains("named pipe"), "{e}");
        let e = read_file(Path::new("/dev/zero")).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        assert!(read_file(Path::new("/dev/null")).unwrap().is_empty());
        let ok = dir.path().join("ok");
        std::fs::write(&ok, "hi").unwrap();
        assert_eq!(read_text(&ok).unwrap(), "hi");
    }

    #[test]
    fn refuses_files_over_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_READ_BYTES + 1).unwrap(); // sparse: no disk used
        let e = read_file(&big).unwrap_err();
        assert!(e.to_string().contains("64 MiB"), "{e}");
    }
}
