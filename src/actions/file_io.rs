//! The files of `fetch:*` actions on disk: reading a skeleton file (one `open`, one `fstat` and
//! one `read` for the usual small file, as cp does; a large binary file is copied by the kernel,
//! `copy_file_range` on Linux, instead of through memory) and writing an output file with the
//! mode Backstage gives it (`fs.outputFile`'s mode minus the umask, or fs-extra `copy`'s exact
//! mode).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use super::binary;

/// Files up to this size are read whole with one `read`; a larger one is looked at through its
/// first bytes, and copied by the kernel when binary.
const READ_WHOLE: u64 = 64 * 1024;

/// A skeleton file as `fetch:template` treats it (isbinaryfile on its first bytes).
pub enum Contents {
    /// Not binary: decoded as UTF-8, rendered unless copied without templating.
    Text,
    /// Binary: copied as it is.
    Binary,
    /// Binary and larger than [`READ_WHOLE`]: the open file (at offset 0) and its size, copied by
    /// [`copy_exact`] without being read into memory (so golden's read limit does not apply).
    LargeBinary(File, u64),
}

/// Opens a skeleton file and reads it into `bytes` (a buffer reused from file to file), or just
/// its first bytes when it is large. Only a regular file is read: it is opened without blocking
/// (a FIFO put there since the listing is refused, not waited on); `O_NONBLOCK` changes nothing
/// for a regular file, so it is left set. Returns what the file is (`bytes` holds a `Text` or
/// `Binary` file's contents) and its mode.
pub fn read_skeleton_file(p: &Path, bytes: &mut Vec<u8>) -> io::Result<(Contents, u32)> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let mut f = opts.open(p)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "it is {}, not a regular file",
                crate::limits::kind_of(&meta)
            ),
        ));
    }
    let (len, mode) = (meta.len(), mode_of(&meta));
    if len > READ_WHOLE {
        let mut head = [0u8; binary::HEAD];
        let n = read_up_to(&mut f, &mut head)?;
        if binary::is_binary(&head[..n]) {
            f.seek(SeekFrom::Start(0))?;
            return Ok((Contents::LargeBinary(f, len), mode));
        }
        f.seek(SeekFrom::Start(0))?;
        if len > crate::limits::MAX_READ_BYTES {
            // The limit's own error message.
            *bytes = crate::limits::read_open(f, len)?;
            return Ok((Contents::Text, mode));
        }
    }
    // The size `fstat` gave is read (a file that grows meanwhile is cut there, as before).
    bytes.clear();
    bytes.resize(len as usize, 0);
    let got = read_up_to(&mut f, bytes)?;
    bytes.truncate(got);
    let head = &bytes[..bytes.len().min(binary::HEAD)];
    let contents = if binary::is_binary(head) {
        Contents::Binary
    } else {
        Contents::Text
    };
    Ok((contents, mode))
}

/// Reads until `buf` is full or the file ends; returns how much was read.
fn read_up_to(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match f.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// fs-extra `copy` of a large file: its first `len` bytes, copied by the kernel (std's
/// `io::copy` between two files uses `copy_file_range` on Linux), and the source's mode exactly.
pub fn copy_exact(from: &File, len: u64, to: &Path, mode: u32) -> io::Result<()> {
    let mut out = create(to, mode)?;
    io::copy(&mut from.take(len), &mut out)?;
    set_exact_mode(&out, mode)
}

#[cfg(unix)]
pub fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode()
}

#[cfg(not(unix))]
pub fn mode_of(_meta: &std::fs::Metadata) -> u32 {
    0o644
}

/// `fs.outputFile(path, data, {mode})`: a new file gets `mode` (minus the umask); an existing file
/// keeps its mode.
pub fn write_with_mode(path: &Path, data: &[u8], mode: u32) -> io::Result<()> {
    write_file_as(path, data, mode, false)
}

/// [`write_with_mode`]; with `exact`, the file then gets `mode` itself whatever the umask and
/// whatever it had (fs-extra `copy`), set on the open file.
pub fn write_file_as(path: &Path, data: &[u8], mode: u32, exact: bool) -> io::Result<()> {
    use std::io::Write;
    let mut f = create(path, mode)?;
    f.write_all(data)?;
    if exact {
        set_exact_mode(&f, mode)?;
    }
    Ok(())
}

/// Opens `path` for writing, created with `mode` (minus the umask) or truncated.
fn create(path: &Path, mode: u32) -> io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode & 0o7777);
    }
    #[cfg(not(unix))]
    let _ = mode;
    opts.open(path)
}

fn set_exact_mode(f: &File, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (f, mode);
    Ok(())
}
