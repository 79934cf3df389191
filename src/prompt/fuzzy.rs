//! The entity pickers' list on the terminal: dialoguer's fuzzy select (same matcher, same keys,
//! same look), except that Enter on text that matches no item returns the text, and that one
//! item (the "type another entity ref…" entry) can be chosen without being echoed as the answer.

use console::{Key, Term};
use dialoguer::theme::Theme;
use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;

use super::{Check, Pick};

/// Rows of the list shown at once.
const ROWS: usize = 10;

/// What is offered: the items, the one chosen on Enter at first, the one not echoed when
/// chosen, and the check of typed text.
pub struct List<'a> {
    pub items: &'a [String],
    pub default: usize,
    pub quiet: Option<usize>,
    pub check: Check<'a>,
}

/// Asks on `term`; `Err` only when the terminal fails (Ctrl-C is an `Interrupted` I/O error).
/// Typed text that `check` refuses stays, with the reason under the list.
pub fn pick(term: &Term, theme: &dyn Theme, label: &str, list: &List<'_>) -> std::io::Result<Pick> {
    let (items, default, quiet) = (list.items, list.default, list.quiet);
    let matcher = SkimMatcherV2::default();
    let mut problem: Option<String> = None;
    let rows = ROWS.min((term.size().0 as usize).max(3) - 2);
    let mut search = String::new();
    let mut sel = default.min(items.len().saturating_sub(1));
    let mut first_row = 0;
    let mut drawn = 0;
    term.hide_cursor()?;
    loop {
        let mut found: Vec<(usize, i64)> = items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| matcher.fuzzy_match(item, &search).map(|s| (i, s)))
            .collect();
        found.sort_by(|a, b| b.1.cmp(&a.1));
        term.clear_last_lines(drawn)?;
        drawn = draw(
            term, theme, label, &search, items, &found, sel, first_row, rows, &matcher,
        )?;
        if let Some(p) = &problem {
            term.write_line(&format!("  {}", console::style(p).red()))?;
            drawn += 1;
        }
        term.flush()?;
        match term.read_key()? {
            Key::ArrowUp | Key::BackTab if !found.is_empty() => {
                sel = (sel + found.len() - 1) % found.len();
                first_row = scroll(sel, first_row, rows, found.len());
            }
            Key::ArrowDown | Key::Tab if !found.is_empty() => {
                sel = (sel + 1) % found.len();
                first_row = scroll(sel, first_row, rows, found.len());
            }
            Key::Enter if !found.is_empty() => {
                let index = found[sel.min(found.len() - 1)].0;
                term.clear_last_lines(drawn)?;
                if Some(index) != quiet {
                    answered(term, theme, label, &items[index])?;
                }
                term.show_cursor()?;
                return Ok(Pick::Item(index));
            }
            Key::Enter if !search.trim().is_empty() => {
                if let Err(e) = (list.check)(search.trim()) {
                    problem = Some(e);
                    continue;
                }
                term.clear_last_lines(drawn)?;
                answered(term, theme, label, search.trim())?;
                term.show_cursor()?;
                return Ok(Pick::Typed(search.trim().to_string()));
            }
            Key::Backspace => {
                problem = None;
                search.pop();
                (sel, first_row) = (0, 0);
            }
            Key::Char(c) if !c.is_ascii_control() => {
                problem = None;
                search.push(c);
                (sel, first_row) = (0, 0);
            }
            Key::CtrlC => {
                term.show_cursor()?;
                return Err(std::io::ErrorKind::Interrupted.into());
            }
            _ => {}
        }
    }
}

/// The first row shown so that row `sel` is visible.
fn scroll(sel: usize, first_row: usize, rows: usize, len: usize) -> usize {
    if sel < first_row {
        sel
    } else if sel >= first_row + rows {
        sel + 1 - rows
    } else {
        first_row.min(len.saturating_sub(rows))
    }
}

/// Draws the prompt with the text typed so far, and the matching items; returns the lines drawn.
#[allow(clippy::too_many_arguments)]
fn draw(
    term: &Term,
    theme: &dyn Theme,
    label: &str,
    search: &str,
    items: &[String],
    found: &[(usize, i64)],
    sel: usize,
    first_row: usize,
    rows: usize,
    matcher: &SkimMatcherV2,
) -> std::io::Result<usize> {
    let mut line = String::new();
    let _ = theme.format_fuzzy_select_prompt(&mut line, label, search, search.len());
    term.write_line(&line)?;
    let mut drawn = 1;
    for (row, (i, _)) in found.iter().enumerate().skip(first_row).take(rows) {
        let mut line = String::new();
        let _ = theme.format_fuzzy_select_prompt_item(
            &mut line,
            &items[*i],
            row == sel,
            true,
            matcher,
            search,
        );
        term.write_line(&line)?;
        drawn += 1;
    }
    if found.is_empty() && !search.trim().is_empty() {
        term.write_line("  (no match: Enter takes the text as typed)")?;
        drawn += 1;
    }
    Ok(drawn)
}

fn answered(term: &Term, theme: &dyn Theme, label: &str, answer: &str) -> std::io::Result<()> {
    let mut line = String::new();
    let _ = theme.format_input_prompt_selection(&mut line, label, answer);
    term.write_line(&line)
}
