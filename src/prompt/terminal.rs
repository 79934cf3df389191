//! The interactive [`Prompter`]: dialoguer on stderr (stdout stays for `--json`). Ctrl-C at any
//! question is turned into [`Stop::Interrupted`] (exit 130) with the terminal restored, instead of
//! killing the process half-way.

use std::sync::atomic::{AtomicBool, Ordering};

use console::{style, Key, Term};
use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, FuzzySelect, Input, MultiSelect, Select};

use super::{Answer, Check, Pick, Prompt, Prompter, Stop};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// While alive, SIGINT only sets a flag: the key reader (which raises SIGINT itself on Ctrl-C)
/// then returns an "interrupted" error that unwinds normally, so temporary files are removed.
pub struct InterruptGuard {
    #[cfg(unix)]
    old: libc::sigaction,
}

#[cfg(unix)]
extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

impl InterruptGuard {
    pub fn install() -> InterruptGuard {
        INTERRUPTED.store(false, Ordering::SeqCst);
        #[cfg(unix)]
        // SAFETY: installs a handler that only stores to an atomic (async-signal-safe); the old
        // action is kept and restored on drop.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigint as *const () as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGINT, &action, &mut old);
            InterruptGuard { old }
        }
        #[cfg(not(unix))]
        InterruptGuard {}
    }
}

impl Drop for InterruptGuard {
    fn drop(&mut self) {
        let _ = Term::stderr().show_cursor();
        #[cfg(unix)]
        // SAFETY: restores the action saved by `install`.
        unsafe {
            libc::sigaction(libc::SIGINT, &self.old, std::ptr::null_mut());
        }
    }
}

/// The colourful theme with a visible cursor in multi-selects: dialoguer marks the active item
/// only by colour, which NO_COLOR (or a monochrome terminal) removes; a `❯` marks it here.
struct CursorTheme<'a>(&'a ColorfulTheme);

impl dialoguer::theme::Theme for CursorTheme<'_> {
    fn format_prompt(&self, f: &mut dyn std::fmt::Write, prompt: &str) -> std::fmt::Result {
        self.0.format_prompt(f, prompt)
    }
    fn format_multi_select_prompt(
        &self,
        f: &mut dyn std::fmt::Write,
        prompt: &str,
    ) -> std::fmt::Result {
        self.0.format_multi_select_prompt(f, prompt)
    }
    fn format_multi_select_prompt_selection(
        &self,
        f: &mut dyn std::fmt::Write,
        prompt: &str,
        selections: &[&str],
    ) -> std::fmt::Result {
        self.0
            .format_multi_select_prompt_selection(f, prompt, selections)
    }
    fn format_multi_select_prompt_item(
        &self,
        f: &mut dyn std::fmt::Write,
        text: &str,
        checked: bool,
        active: bool,
    ) -> std::fmt::Result {
        write!(f, "{} ", if active { "❯" } else { " " })?;
        self.0
            .format_multi_select_prompt_item(f, text, checked, active)
    }
}

/// dialoguer on the terminal.
pub struct Terminal {
    term: Term,
    theme: ColorfulTheme,
    /// The run's secrets, masked in notices.
    redactor: crate::redact::Redactor,
}

impl Terminal {
    pub fn new(redactor: crate::redact::Redactor) -> Terminal {
        Terminal {
            term: Term::stderr(),
            theme: ColorfulTheme::default(),
            redactor,
        }
    }

    fn label(p: &Prompt) -> String {
        if p.required {
            p.label.clone()
        } else {
            format!("{} (optional)", p.label)
        }
    }

    fn help(&self, p: &Prompt) {
        if let Some(h) = &p.help {
            let _ = self.term.write_line(&format!("  {}", style(h).dim()));
        }
        if let Some(ph) = &p.placeholder {
            let _ = self
                .term
                .write_line(&format!("  {}", style(format!("e.g. {ph}")).dim()));
        }
    }

    fn done<T>(&self, r: dialoguer::Result<T>) -> Answer<T> {
        let r = match r {
            Ok(v) => Ok(v),
            Err(dialoguer::Error::IO(e)) if e.kind() == std::io::ErrorKind::Interrupted => {
                Err(Stop::Interrupted)
            }
            Err(e) => Err(Stop::Failed(e.to_string())),
        };
        if INTERRUPTED.load(Ordering::SeqCst) || r.as_ref().err() == Some(&Stop::Interrupted) {
            let _ = self.term.show_cursor();
            let _ = self.term.write_line("");
            return Err(Stop::Interrupted);
        }
        r
    }

    fn line(&self, label: &str, default: Option<&str>, check: Check<'_>) -> Answer<String> {
        let mut input = Input::<String>::with_theme(&self.theme)
            .with_prompt(label)
            .allow_empty(true);
        if let Some(d) = default {
            input = input.default(d.to_string());
        }
        let input = input.validate_with(|s: &String| check(s));
        self.done(input.interact_text_on(&self.term))
    }
}

impl Prompter for Terminal {
    fn heading(&mut self, title: &str, description: Option<&str>) {
        let _ = self.term.write_line("");
        let _ = self
            .term
            .write_line(&style(title).bold().underlined().to_string());
        if let Some(d) = description {
            let _ = self.term.write_line(&style(d).dim().to_string());
        }
    }

    fn notice(&mut self, text: &str) {
        let _ = self.term.write_line(&format!(
            "{} {}",
            style("·").cyan(),
            self.redactor.text(text)
        ));
    }

    fn busy(&mut self, message: &str) -> super::Busy {
        let bar = indicatif::ProgressBar::with_draw_target(
            None,
            indicatif::ProgressDrawTarget::term(self.term.clone(), 10),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.set_message(self.redactor.text(message).to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        super::Busy(Some(bar))
    }

    fn text(&mut self, p: &Prompt, check: Check<'_>) -> Answer<String> {
        self.done(Ok(()))?;
        self.help(p);
        self.line(&Self::label(p), p.default.as_deref(), check)
    }

    fn multiline(&mut self, p: &Prompt, check: Check<'_>) -> Answer<String> {
        self.done(Ok(()))?;
        self.help(p);
        let _ = self.term.write_line(&format!(
            "  {}",
            style("several lines: finish with an empty line").dim()
        ));
        loop {
            let mut lines: Vec<String> = Vec::new();
            loop {
                let label = if lines.is_empty() {
                    Self::label(p)
                } else {
                    "…".to_string()
                };
                let default = if lines.is_empty() {
                    p.default.as_deref()
                } else {
                    None
                };
                let line = self.line(&label, default, &|_| Ok(()))?;
                if line.is_empty() {
                    break;
                }
                if default.is_some() && line == default.unwrap_or_default() && lines.is_empty() {
                    return Ok(line);
                }
                lines.push(line);
            }
            let text = lines.join("\n");
            match check(&text) {
                Ok(()) => return Ok(text),
                Err(e) => self.notice(&style(e).red().to_string()),
            }
        }
    }

    fn secret(&mut self, p: &Prompt, check: Check<'_>) -> Answer<String> {
        self.done(Ok(()))?;
        self.help(p);
        loop {
            let _ = self.term.write_str(&format!(
                "{} {} ",
                style("?").yellow(),
                style(format!("{} ›", Self::label(p))).bold()
            ));
            let mut value = String::new();
            loop {
                let key = self.done(self.term.read_key().map_err(dialoguer::Error::IO))?;
                match key {
                    Key::Enter => break,
                    Key::Backspace if !value.is_empty() => {
                        value.pop();
                        let _ = self.term.clear_chars(1);
                    }
                    Key::Char(c) if !c.is_control() => {
                        value.push(c);
                        let _ = self.term.write_str("*");
                    }
                    Key::CtrlC => {
                        return self.done::<String>(Err(dialoguer::Error::IO(
                            std::io::ErrorKind::Interrupted.into(),
                        )))
                    }
                    _ => {}
                }
            }
            let _ = self.term.write_line("");
            match check(&value) {
                Ok(()) => return Ok(value),
                Err(e) => self.notice(&style(e).red().to_string()),
            }
        }
    }

    fn select(&mut self, p: &Prompt, items: &[String], default: usize) -> Answer<usize> {
        self.done(Ok(()))?;
        self.help(p);
        let s = Select::with_theme(&self.theme)
            .with_prompt(Self::label(p))
            .items(items)
            .default(default.min(items.len().saturating_sub(1)))
            .max_length(12);
        self.done(s.interact_on(&self.term))
    }

    fn fuzzy_select(&mut self, p: &Prompt, items: &[String], default: usize) -> Answer<usize> {
        self.done(Ok(()))?;
        self.help(p);
        let _ = self.term.write_line(&format!(
            "  {}",
            style("type to filter, arrows to move, Enter to choose").dim()
        ));
        let s = FuzzySelect::with_theme(&self.theme)
            .with_prompt(Self::label(p))
            .items(items)
            .default(default.min(items.len().saturating_sub(1)))
            .max_length(10);
        self.done(s.interact_on(&self.term))
    }

    fn fuzzy_pick(
        &mut self,
        p: &Prompt,
        items: &[String],
        default: usize,
        quiet: Option<usize>,
        check: Check<'_>,
    ) -> Answer<Pick> {
        self.done(Ok(()))?;
        self.help(p);
        let _ = self.term.write_line(&format!(
            "  {}",
            style("type to filter, arrows to move, Enter to choose").dim()
        ));
        let list = super::fuzzy::List {
            items,
            default,
            quiet,
            check,
        };
        let picked = super::fuzzy::pick(&self.term, &self.theme, &Self::label(p), &list);
        self.done(picked.map_err(dialoguer::Error::IO))
    }

    fn multi_select(
        &mut self,
        p: &Prompt,
        items: &[String],
        checked: &[bool],
    ) -> Answer<Vec<usize>> {
        self.done(Ok(()))?;
        self.help(p);
        let _ = self.term.write_line(&format!(
            "  {}",
            style("Space toggles, Enter confirms").dim()
        ));
        let theme = CursorTheme(&self.theme);
        let s = MultiSelect::with_theme(&theme)
            .with_prompt(Self::label(p))
            .items_checked(items.iter().cloned().zip(checked.iter().copied()))
            .max_length(12);
        self.done(s.interact_on(&self.term))
    }

    fn confirm_or_none(&mut self, p: &Prompt) -> Answer<Option<bool>> {
        self.done(Ok(()))?;
        self.help(p);
        let _ = self.term.write_str(&format!(
            "{} {} ",
            style("?").yellow(),
            style(format!("{} (y/n, Enter: none) ›", Self::label(p))).bold()
        ));
        let mut value: Option<bool> = None;
        loop {
            let key = self.done(self.term.read_key().map_err(dialoguer::Error::IO))?;
            let shown = |v: Option<bool>| match v {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            };
            let before = shown(value).len();
            match key {
                Key::Enter => break,
                Key::Char('y' | 'Y') => value = Some(true),
                Key::Char('n' | 'N') => value = Some(false),
                Key::Backspace => value = None,
                Key::CtrlC => {
                    return self.done(Err(dialoguer::Error::IO(
                        std::io::ErrorKind::Interrupted.into(),
                    )))
                }
                _ => continue,
            }
            let _ = self.term.clear_chars(before);
            let _ = self.term.write_str(shown(value));
        }
        let _ = self.term.clear_line();
        let _ = self.term.write_line(&format!(
            "{} {} {} {}",
            style("✔").green(),
            Self::label(p),
            style("·").dim(),
            match value {
                Some(true) => "yes",
                Some(false) => "no",
                None => super::walker::NONE,
            }
        ));
        Ok(value)
    }

    fn confirm(&mut self, p: &Prompt, default: Option<bool>) -> Answer<bool> {
        self.done(Ok(()))?;
        self.help(p);
        let mut c = Confirm::with_theme(&self.theme)
            .with_prompt(p.label.clone())
            .wait_for_newline(true);
        if let Some(d) = default {
            c = c.default(d);
        }
        self.done(c.interact_on(&self.term))
    }
}
