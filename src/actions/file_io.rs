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

/// A folder whose files are opened by their path relative to it (`openat`): the kernel walks
/// and the C string holds the short relative name instead of the whole path, for every file of
/// a large skeleton. When the folder cannot be opened as such, files are opened by their whole
/// path, as before.
pub struct Folder<'a> {
    path: &'a Path,
    #[cfg(unix)]
    fd: Option<std::os::fd::OwnedFd>,
}

impl<'a> Folder<'a> {
    pub fn open(path: &'a Path) -> Folder<'a> {
        #[cfg(unix)]
        {
            use rustix::fs::{Mode, OFlags};
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            let fd = rustix::fs::open(path, flags, Mode::empty()).ok();
            Folder { path, fd }
        }
        #[cfg(not(unix))]
        Folder { path }
    }

    /// Opens `rel` (a plain relative path: no `..`, no leading `/`) with `opts`.
    fn open_file(&self, rel: &str, opts: &Opening) -> io::Result<File> {
        #[cfg(unix)]
        if let Some(fd) = &self.fd {
            use rustix::fs::{Mode, OFlags};
            let mut flags = OFlags::CLOEXEC;
            let mut mode = Mode::empty();
            match opts {
                Opening::Read => flags |= OFlags::RDONLY | OFlags::NONBLOCK,
                Opening::Create(m) => {
                    flags |= OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC;
                    mode = Mode::from_raw_mode(m & 0o7777);
                }
            }
            return Ok(File::from(rustix::fs::openat(fd, rel, flags, mode)?));
        }
        let path = self.path.join(rel);
        match opts {
            Opening::Read => open_read(&path),
            Opening::Create(m) => create(&path, *m),
        }
    }
}

/// How [`Folder::open_file`] opens a file.
enum Opening {
    /// For reading, without blocking on a FIFO.
    Read,
    /// For writing, created with this mode (minus the umask) or truncated.
    Create(u32),
}

/// Opens `p` for reading without blocking (see [`read_skeleton_file`]).
fn open_read(p: &Path) -> io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    opts.open(p)
}

/// Opens a skeleton file and reads it into `bytes` (a buffer reused from file to file), or just
/// its first bytes when it is large. Only a regular file is read: it is opened without blocking
/// (a FIFO put there since the listing is refused, not waited on); `O_NONBLOCK` changes nothing
/// for a regular file, so it is left set. Returns what the file is (`bytes` holds a `Text` or
/// `Binary` file's contents) and its mode.
pub fn read_skeleton_file(
    folder: &Folder,
    rel: &str,
    bytes: &mut Vec<u8>,
) -> io::Result<(Contents, u32)> {
    let mut f = folder.open_file(rel, &Opening::Read)?;
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
    write_open(create(path, mode)?, data, mode, exact)
}

/// [`write_file_as`] of `rel` in `folder`.
pub fn write_file_in(
    folder: &Folder,
    rel: &str,
    data: &[u8],
    mode: u32,
    exact: bool,
) -> io::Result<()> {
    write_open(
        folder.open_file(rel, &Opening::Create(mode))?,
        data,
        mode,
        exact,
    )
}

fn write_open(mut f: File, data: &[u8], mode: u32, exact: bool) -> io::Result<()> {
    use std::io::Write;
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
