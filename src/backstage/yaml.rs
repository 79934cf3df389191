//! YAML text → `serde_json::Value`, keeping where every node came from.
//!
//! Backstage reads templates with the npm `yaml` package (YAML 1.2 core schema), so `yes` stays a
//! string and duplicate keys are an error. saphyr is a YAML 1.2 parser that keeps a span on every
//! node; we convert its tree to JSON (the shape the scaffolder sees) and keep a side table from JSON
//! pointer to source position for diagnostics.

use std::collections::HashMap;

use saphyr::{MarkedYaml, Scalar, YamlData, YamlLoader};
use saphyr_parser::{Event, Parser, SpannedEventReceiver};
use serde_json::{Map, Number, Value};

use crate::limits::{nesting_message, MAX_DEPTH};

/// A position in the source text: 1-based line and column (in characters), byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

/// Positions of the nodes of one document, keyed by JSON pointer (`/spec/steps/0/input`).
/// The position of a mapping key is stored under the pointer followed by `#key`.
#[derive(Debug, Clone, Default)]
pub struct Spans {
    map: HashMap<String, Pos>,
}

impl Spans {
    /// Position of the value at `pointer`, or of its closest ancestor that has one.
    pub fn value(&self, pointer: &str) -> Option<Pos> {
        let mut p = pointer.to_string();
        loop {
            if let Some(pos) = self.map.get(&p) {
                return Some(*pos);
            }
            match p.rfind('/') {
                Some(i) => p.truncate(i),
                None => return None,
            }
        }
    }
    /// Position of the key that holds the value at `pointer` (falls back to the value).
    pub fn key(&self, pointer: &str) -> Option<Pos> {
        self.map
            .get(&format!("{pointer}#key"))
            .copied()
            .or_else(|| self.value(pointer))
    }
}

/// One YAML document converted to JSON.
#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    pub spans: Spans,
}

/// A YAML syntax error with its position.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    pub message: String,
    pub pos: Pos,
}

/// Maps saphyr's character indices to byte offsets.
struct Offsets {
    /// Byte offset of every char index (built lazily only for non-ASCII text).
    table: Option<Vec<usize>>,
}

impl Offsets {
    fn new(src: &str) -> Self {
        if src.is_ascii() {
            Offsets { table: None }
        } else {
            let mut table: Vec<usize> = src.char_indices().map(|(b, _)| b).collect();
            table.push(src.len());
            Offsets { table: Some(table) }
        }
    }
    fn byte(&self, char_index: usize) -> usize {
        match &self.table {
            None => char_index,
            Some(t) => t
                .get(char_index)
                .copied()
                .unwrap_or_else(|| *t.last().unwrap_or(&0)),
        }
    }
    fn pos(&self, m: &saphyr::Marker) -> Pos {
        Pos {
            line: m.line(),
            column: m.col() + 1,
            offset: self.byte(m.index()),
        }
    }
}

/// Parses every document of a YAML stream. Nesting deeper than [`MAX_DEPTH`] is an error (block
/// and flow style alike), found while reading the events, before any deep tree is built.
pub fn parse_documents(src: &str) -> Result<Vec<Document>, YamlError> {
    let offsets = Offsets::new(src);
    let mut loader: YamlLoader<'_, MarkedYaml<'_>> = YamlLoader::default();
    let mut depth = 0usize;
    // saphyr's `Parser::load` recurses once per level: feed the loader event by event instead.
    for event in Parser::new_from_str(src) {
        let (ev, span) = event.map_err(|e| YamlError {
            message: if e.info() == "recursion limit exceeded" {
                nesting_message()
            } else {
                e.info().to_string()
            },
            pos: offsets.pos(e.marker()),
        })?;
        match ev {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(YamlError {
                        message: nesting_message(),
                        pos: offsets.pos(&span.start),
                    });
                }
            }
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
        loader.on_event(ev, span);
        if let Some(e) = loader.error() {
            return Err(YamlError {
                message: e.info().to_string(),
                pos: offsets.pos(e.marker()),
            });
        }
    }
    let docs = loader.into_documents();
    let mut out = Vec::with_capacity(docs.len());
    for doc in &docs {
        let mut spans = Spans::default();
        let value = convert(doc, "", &mut spans, &offsets, 0)?;
        out.push(Document { value, spans });
    }
    Ok(out)
}

/// Parses a YAML (or JSON) text that must hold exactly one value, without positions.
pub fn parse_value(src: &str) -> Result<Value, YamlError> {
    let mut docs = parse_documents(src)?;
    match docs.len() {
        0 => Ok(Value::Null),
        1 => Ok(docs.remove(0).value),
        n => Err(YamlError {
            message: format!("expected one YAML document, found {n}"),
            pos: Pos::default(),
        }),
    }
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn convert(
    node: &MarkedYaml<'_>,
    pointer: &str,
    spans: &mut Spans,
    offsets: &Offsets,
    depth: usize,
) -> Result<Value, YamlError> {
    // Aliases are expanded by the loader, so the tree may be deeper than the events were.
    if depth > MAX_DEPTH {
        return Err(YamlError {
            message: nesting_message(),
            pos: offsets.pos(&node.span.start),
        });
    }
    spans
        .map
        .insert(pointer.to_string(), offsets.pos(&node.span.start));
    Ok(match &node.data {
        YamlData::Value(s) => scalar(s),
        YamlData::Representation(text, _, _) => Value::String(text.to_string()),
        YamlData::Sequence(items) => {
            let mut arr = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                arr.push(convert(
                    item,
                    &format!("{pointer}/{i}"),
                    spans,
                    offsets,
                    depth + 1,
                )?);
            }
            Value::Array(arr)
        }
        YamlData::Mapping(map) => {
            let mut obj = Map::new();
            for (k, v) in map.iter() {
                let key = match &k.data {
                    YamlData::Value(s) => match scalar(s) {
                        Value::String(s) => s,
                        Value::Null => "null".into(),
                        other => other.to_string(),
                    },
                    YamlData::Representation(text, _, _) => text.to_string(),
                    // A collection used as a key (`- {{ host }}` is a flow mapping holding a flow
                    // mapping): npm `yaml`, Backstage's parser, turns it into its flow text.
                    YamlData::Mapping(_) | YamlData::Sequence(_) | YamlData::Tagged(..) => {
                        let mut scratch = Spans::default();
                        let v = convert(k, "", &mut scratch, offsets, depth + 1)?;
                        flow_text(&v)
                    }
                    _ => {
                        return Err(YamlError {
                            message: "unsupported mapping key (an alias or an invalid value)"
                                .into(),
                            pos: offsets.pos(&k.span.start),
                        })
                    }
                };
                let child = format!("{pointer}/{}", escape_pointer(&key));
                spans
                    .map
                    .insert(format!("{child}#key"), offsets.pos(&k.span.start));
                let value = convert(v, &child, spans, offsets, depth + 1)?;
                obj.insert(key, value);
            }
            Value::Object(obj)
        }
        YamlData::Tagged(_, inner) => convert(inner, pointer, spans, offsets, depth)?,
        YamlData::Alias(_) | YamlData::BadValue => {
            return Err(YamlError {
                message: "unsupported or invalid YAML value (alias or mistyped tag)".into(),
                pos: offsets.pos(&node.span.start),
            })
        }
    })
}

/// A value in YAML flow style as npm `yaml` stringifies a collection key: `{ a, b: 1 }`,
/// `[ a, b ]`, `{}`; strings are quoted only where a plain scalar would not read back.
fn flow_text(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let plain = !s.is_empty()
                && !s.starts_with([' ', '-', '?', '!', '&', '*', '\'', '"', '%', '@', '`'])
                && !s.ends_with(' ')
                && !s.contains([':', ',', '[', ']', '{', '}', '#', '\n'])
                && matches!(scalar_of(s), Value::String(_));
            if plain {
                s.clone()
            } else {
                serde_json::to_string(s).unwrap_or_default()
            }
        }
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Array(a) => format!(
            "[ {} ]",
            a.iter().map(flow_text).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Object(m) => format!(
            "{{ {} }}",
            m.iter()
                .map(|(k, x)| match x {
                    Value::Null => flow_text(&Value::String(k.clone())),
                    _ => format!("{}: {}", flow_text(&Value::String(k.clone())), flow_text(x)),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// How a plain scalar reads (YAML 1.2 core schema).
fn scalar_of(s: &str) -> Value {
    match parse_value(s) {
        Ok(v @ (Value::Null | Value::Bool(_) | Value::Number(_))) => v,
        _ => Value::String(s.to_string()),
    }
}

fn scalar(s: &Scalar<'_>) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Number((*i).into()),
        Scalar::FloatingPoint(f) => {
            let f = f.into_inner();
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                Value::Number(Number::from(f as i64))
            } else {
                Number::from_f64(f)
                    .map(Value::Number)
                    .unwrap_or(Value::Null)
            }
        }
        Scalar::String(s) => Value::String(s.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collection_keys_read_as_npm_yaml_reads_them() {
        // Expected values recorded with npm `yaml` (Backstage's parser): `YAML.parse(text)`.
        for (text, expected) in [
            ("- {{ a }}", r#"[{"{ a }":null}]"#),
            ("- {{a, b: 1}}", r#"[{"{ a, b: 1 }":null}]"#),
            ("? [a, b]\n: 1", r#"{"[ a, b ]":1}"#),
            ("? {a: [1, 2]}\n: 1", r#"{"{ a: [ 1, 2 ] }":1}"#),
            ("? {}\n: 1", r#"{"{}":1}"#),
            ("? []\n: 1", r#"{"[]":1}"#),
            ("? {a: {b: c}}\n: 1", r#"{"{ a: { b: c } }":1}"#),
            (
                "a:\n  - {{ gitlab_hostname }}\n  - x\n",
                r#"{"a":[{"{ gitlab_hostname }":null},"x"]}"#,
            ),
        ] {
            let got = parse_value(text).unwrap();
            let want: Value = serde_json::from_str(expected).unwrap();
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn yaml_1_2_scalars() {
        let v = parse_value("a: yes\nb: 012\nc: 1.5\nd: ~\ne: true\nf: '8080'\n").unwrap();
        assert_eq!(v["a"], "yes");
        assert_eq!(v["b"], 12);
        assert_eq!(v["c"], 1.5);
        assert!(v["d"].is_null());
        assert_eq!(v["e"], true);
        assert_eq!(v["f"], "8080");
    }

    #[test]
    fn spans_point_at_nodes() {
        let docs = parse_documents("a:\n  b: [1, 2]\n  c: x\n").unwrap();
        let s = &docs[0].spans;
        assert_eq!(
            s.value("/a/c"),
            Some(Pos {
                line: 3,
                column: 6,
                offset: 20
            })
        );
        assert_eq!(s.key("/a/c").unwrap().column, 3);
    }

    #[test]
    fn duplicate_keys_and_syntax_errors_have_positions() {
        let e = parse_documents("a: 1\na: 2\n").unwrap_err();
        assert!(e.message.contains("duplicate"), "{}", e.message);
        assert_eq!(e.pos.line, 2);
        let e = parse_documents("x: ${{ a }}: ${{ b }}\n").unwrap_err();
        assert_eq!(e.pos.line, 1);
    }
}
