//! golden's error type: what went wrong, where, what to do, and which exit status it means.
//!
//! Every layer reports failures as an [`Error`] with a [`Kind`]; drawing it on the terminal is the
//! job of `output`. Messages start lowercase and name files, steps and values in backticks.

use std::fmt;

/// Exit statuses (documented in `golden --help`).
pub mod exit {
    pub const SUCCESS: i32 = 0;
    /// The template, the values or a step failed.
    pub const FAILURE: i32 = 1;
    /// Usage error or an internal error.
    pub const USAGE: i32 = 2;
    /// Interrupted (Ctrl-C at a prompt).
    pub const INTERRUPTED: i32 = 130;
}

/// What kind of failure this is; decides the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bad command line or environment (exit 2).
    Usage,
    /// The template is invalid or cannot be loaded (exit 1).
    Template,
    /// The values are missing or invalid (exit 1).
    Values,
    /// A step failed (exit 1).
    Step,
    /// Reading or writing files, the network, or a bug (exit 2).
    Internal,
    /// The user interrupted (exit 130).
    Interrupted,
}

/// Where a failure is: a place in a file (line and column when known), or something else
/// named in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File {
        path: std::path::PathBuf,
        line: Option<usize>,
        column: Option<usize>,
    },
    Other(String),
}

impl Location {
    /// `path:line:column`.
    pub fn file(path: impl Into<std::path::PathBuf>, line: usize, column: usize) -> Location {
        Location::File {
            path: path.into(),
            line: Some(line),
            column: Some(column),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File { path, line, column } => {
                write!(f, "{}", path.display())?;
                if let Some(l) = line {
                    write!(f, ":{l}")?;
                    if let Some(c) = column {
                        write!(f, ":{c}")?;
                    }
                }
                Ok(())
            }
            Location::Other(s) => f.write_str(s),
        }
    }
}

impl From<String> for Location {
    fn from(s: String) -> Location {
        Location::Other(s)
    }
}

impl From<&std::path::Path> for Location {
    fn from(p: &std::path::Path) -> Location {
        Location::File {
            path: p.to_path_buf(),
            line: None,
            column: None,
        }
    }
}

/// A failure with a message, optional location, detail lines, hints and the error it came from.
#[derive(Debug)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    /// A place in a file, or a step (boxed: errors travel in every `Result`, and clippy's
    /// `result_large_err` keeps them small).
    pub location: Option<Box<Location>>,
    /// One item per line (for example every invalid value).
    pub details: Vec<String>,
    /// What to do about it.
    pub hints: Vec<String>,
    /// The underlying error (an I/O error, ...), kept for `source()`.
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            location: None,
            details: Vec::new(),
            hints: Vec::new(),
            source: None,
        }
    }
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message)
    }
    pub fn template(message: impl Into<String>) -> Self {
        Self::new(Kind::Template, message)
    }
    pub fn values(message: impl Into<String>) -> Self {
        Self::new(Kind::Values, message)
    }
    pub fn step(message: impl Into<String>) -> Self {
        Self::new(Kind::Step, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Kind::Internal, message)
    }
    pub fn at(mut self, location: impl Into<Location>) -> Self {
        self.location = Some(Box::new(location.into()));
        self
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.details.push(detail.into());
        self
    }
    pub fn with_details(mut self, details: impl IntoIterator<Item = String>) -> Self {
        self.details.extend(details);
        self
    }
    /// The exit status this error maps to.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            Kind::Usage | Kind::Internal => exit::USAGE,
            Kind::Template | Kind::Values | Kind::Step => exit::FAILURE,
            Kind::Interrupted => exit::INTERRUPTED,
        }
    }
    /// Keeps `source` as the error this one came from.
    pub fn caused_by(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }
    /// An I/O failure on `path` while doing `what` (the io::Error is kept as the source).
    pub fn io(what: &str, path: &std::path::Path, err: std::io::Error) -> Self {
        Error::internal(format!("{what} `{}`: {err}", path.display())).caused_by(err)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{loc}: ")?;
        }
        f.write_str(&self.message)?;
        for d in &self.details {
            write!(f, "\n  - {d}")?;
        }
        for h in &self.hints {
            write!(f, "\nhint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_keep_their_source_and_locations_are_typed() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = Error::io("cannot read", std::path::Path::new("/x/y"), io);
        assert_eq!(e.message, "cannot read `/x/y`: gone");
        let source = std::error::Error::source(&e).unwrap();
        assert_eq!(
            source.downcast_ref::<std::io::Error>().unwrap().kind(),
            std::io::ErrorKind::NotFound
        );
        let e = Error::template("bad").at(Location::file("t/template.yaml", 3, 7));
        assert_eq!(e.to_string(), "t/template.yaml:3:7: bad");
        assert_eq!(
            Error::step("x").at("step `a`".to_string()).to_string(),
            "step `a`: x"
        );
    }
}
