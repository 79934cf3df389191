//! Turns positions into [`Span`]s: byte offsets into line/column, JSON pointers into the node they
//! name, and a use inside a YAML string value into its place in the file.

use std::sync::Arc;

use serde_json::Value;

use super::{Doc, Span};

/// Line starts of a text, for offset → line/column.
#[derive(Debug, Clone)]
pub struct Lines {
    text: Arc<str>,
    starts: Arc<Vec<usize>>,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines {
            text: Arc::from(text),
            starts: Arc::new(starts),
        }
    }

    /// The span of `start..end` (byte offsets).
    pub fn span(&self, start: usize, end: usize) -> Span {
        let start = floor_char(&self.text, start.min(self.text.len()));
        let end = floor_char(&self.text, end.clamp(start, self.text.len()));
        let (line, column) = self.line_column(start);
        let (end_line, end_column) = self.line_column(end);
        Span {
            line,
            column,
            end_line,
            end_column,
            start,
            end,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn line_column(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset);
        let line_start = self.starts[line - 1];
        (line, self.text[line_start..offset].chars().count() + 1)
    }

    /// The span of a whole line (1-based), without its line break.
    pub fn line(&self, line: usize) -> Span {
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let end = self.text[start..]
            .find('\n')
            .map(|i| start + i)
            .unwrap_or(self.text.len());
        let end = if self.text[..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        self.span(start, end)
    }

    /// The span of the first line of a construct starting at `start`, trimmed.
    pub fn rest_of_line(&self, start: usize) -> Span {
        let start = start.min(self.text.len());
        let end = self.text[start..]
            .find('\n')
            .map(|i| start + i)
            .unwrap_or(self.text.len());
        let trimmed = self.text[start..end].trim_end().len();
        self.span(start, start + trimmed.max(1))
    }
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl Doc {
    /// The span of the value at `pointer` (or its closest ancestor).
    pub fn value_span(&self, pointer: &str) -> Option<Span> {
        let pos = self.spans.value(pointer)?;
        let start = pos.offset;
        let rest = &self.source[start.min(self.source.len())..];
        let len = match self.entity.pointer(pointer) {
            Some(Value::String(s)) if rest.starts_with(s.as_str()) && !s.is_empty() => s.len(),
            Some(Value::String(_)) if rest.starts_with('\'') || rest.starts_with('"') => {
                let q = &rest[..1];
                let line_end = rest.find('\n').unwrap_or(rest.len());
                rest[1..line_end].find(q).map(|i| i + 2).unwrap_or(line_end)
            }
            Some(Value::Object(_) | Value::Array(_)) => {
                return Some(self.lines.span(start, start + 1))
            }
            _ => return Some(self.lines.rest_of_line(start)),
        };
        Some(self.lines.span(start, start + len))
    }

    /// The span of the key holding the value at `pointer`.
    pub fn key_span(&self, pointer: &str) -> Option<Span> {
        let pos = self.spans.key(pointer)?;
        let key = pointer
            .rsplit('/')
            .next()
            .unwrap_or("")
            .replace("~1", "/")
            .replace("~0", "~");
        let rest = &self.source[pos.offset.min(self.source.len())..];
        let len = if rest.starts_with(key.as_str()) {
            key.len()
        } else {
            key.len() + 2
        };
        Some(self.lines.span(pos.offset, pos.offset + len.max(1)))
    }

    /// The span in the file of `start..end` of the string at `pointer`. A plain or quoted scalar
    /// written as one line without escapes maps byte for byte; in any other (a block scalar, an
    /// escape) the piece is found as the same occurrence of its text, counted from the value's
    /// start, so each use points at itself.
    pub fn string_span(&self, pointer: &str, start: usize, end: usize) -> Option<Span> {
        let pos = self.spans.value(pointer)?;
        let Some(Value::String(s)) = self.entity.pointer(pointer) else {
            return self.value_span(pointer);
        };
        let (Some(needle), Some(before)) = (s.get(start..end), s.get(..start)) else {
            return self.value_span(pointer);
        };
        let from = pos.offset.min(self.source.len());
        let raw = &self.source[from..];
        let quote = usize::from(raw.starts_with(['\'', '"']));
        if raw.get(quote..).is_some_and(|r| r.starts_with(s.as_str())) {
            return Some(self.lines.span(from + quote + start, from + quote + end));
        }
        if needle.is_empty() {
            return self.value_span(pointer);
        }
        let to = floor_char(
            &self.source,
            (from + s.len() * 2 + 256).min(self.source.len()),
        );
        let nth = before.match_indices(needle).count();
        let mut found = self.source[from..to].match_indices(needle);
        match found.clone().nth(nth).or_else(|| found.next()) {
            Some((i, _)) => Some(self.lines.span(from + i, from + i + needle.len())),
            None => self.value_span(pointer),
        }
    }
}

/// Escapes a JSON pointer segment.
pub fn seg(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_to_lines_and_columns() {
        let l = Lines::new("ab\ncdé\nf");
        assert_eq!(l.span(0, 1).line, 1);
        let s = l.span(5, 7);
        assert_eq!((s.line, s.column), (2, 3));
        let s = l.span(8, 9);
        assert_eq!((s.line, s.column), (3, 1));
        assert_eq!(l.line(2).end, 7);
    }
}
