//! The [`Printer`]: the one owner of stdout and stderr. Data for machines (JSON, tables, YAML,
//! refs) goes to stdout and is printed whatever the verbosity; messages for humans go to stderr
//! and follow `-q`/`-v`; colour follows `--color` and `NO_COLOR`, decided once per stream by
//! `settings`. Every other module hands it text or values; none prints. Every secret golden knows
//! is masked here, on the way out (`crate::redact`).

use std::fmt::Display;
use std::io::Write;

use console::Style;

use crate::redact::Redactor;
use crate::settings::{OutputSettings, Verbosity};

/// Where golden's text goes, and how it looks.
#[derive(Debug, Clone)]
pub struct Printer {
    settings: OutputSettings,
    /// The run's secrets, masked in everything printed.
    redactor: Redactor,
}

impl Printer {
    pub fn new(settings: OutputSettings, redactor: Redactor) -> Printer {
        Printer { settings, redactor }
    }

    /// The run's redaction list (for writers of records that do not print).
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    pub fn verbosity(&self) -> Verbosity {
        self.settings.verbosity
    }

    /// `-q`: only errors (and data on stdout).
    pub fn is_quiet(&self) -> bool {
        self.settings.verbosity == Verbosity::Quiet
    }

    /// Whether stderr gets ANSI colours.
    pub fn colors_stderr(&self) -> bool {
        self.settings.color_stderr
    }

    /// Whether a spinner may be drawn on stderr (a terminal, neither quiet nor verbose).
    pub fn fancy_progress(&self) -> bool {
        self.settings.stderr_is_terminal && self.settings.verbosity == Verbosity::Normal
    }

    /// `style` on stderr when colours are on, plain otherwise.
    pub fn paint(&self, style: Style, text: impl Display) -> String {
        style
            .force_styling(self.settings.color_stderr)
            .apply_to(text)
            .to_string()
    }

    /// One line of data on stdout (always printed).
    pub fn data(&self, line: impl Display) {
        let line = line.to_string();
        let _ = writeln!(std::io::stdout().lock(), "{}", self.redactor.text(&line));
    }

    /// A JSON document on stdout, pretty-printed, every secret masked (always printed).
    pub fn json(&self, value: &serde_json::Value) {
        let masked = self.redactor.value(value);
        let _ = writeln!(
            std::io::stdout().lock(),
            "{}",
            serde_json::to_string_pretty(&masked).unwrap_or_default()
        );
    }

    /// Text on stdout as given, secrets masked (always printed).
    pub fn data_raw(&self, text: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(self.redactor.text(text).as_bytes())?;
        out.flush()
    }

    /// Text on stderr as given, secrets masked (always printed: reports the user asked for).
    pub fn report_raw(&self, text: &str) -> std::io::Result<()> {
        std::io::stderr()
            .lock()
            .write_all(self.redactor.text(text).as_bytes())
    }

    /// A message for a human on stderr, unless `-q`.
    pub fn status(&self, line: impl Display) {
        if !self.is_quiet() {
            self.always(line);
        }
    }

    /// A line on stderr whatever the verbosity (errors, and lines golden must not hide).
    pub fn always(&self, line: impl Display) {
        let line = line.to_string();
        let _ = writeln!(std::io::stderr().lock(), "{}", self.redactor.text(&line));
    }

    /// A `warning:` line on stderr.
    pub fn warn(&self, message: &str) {
        let head = self.paint(Style::new().yellow().bold(), "warning:");
        self.always(format!("{head} {message}"));
    }
}
