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

/// A failure with a message, optional location, detail lines and hints.
#[derive(Debug)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    /// `file:line:column` or a step id.
    pub location: Option<String>,
    /// One item per line (for example every invalid value).
    pub details: Vec<String>,
    /// What to do about it.
    pub hints: Vec<String>,
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
    pub fn at(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
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
    /// An I/O failure on `path` while doing `what`.
    pub fn io(what: &str, path: &std::path::Path, err: std::io::Error) -> Self {
        Error::internal(format!("{what} `{}`: {err}", path.display()))
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

impl std::error::Error for Error {}
