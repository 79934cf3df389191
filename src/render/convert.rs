//! Conversions between JSON and engine values (`JSON.stringify` for the `dump` filter), and
//! JavaScript truthiness of a JSON value. Depends only on the leaf modules.

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind};
use serde_json::Value as Json;

use super::regex::as_regex;
use super::text::as_f64;

fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// JSON → engine value.
pub fn to_value(json: &Json) -> Value {
    Value::from(minijinja::value::Serde(json))
}

/// Engine value → JSON, `None` for undefined (as `JSON.stringify` drops undefined members).
pub fn to_json(v: &Value) -> Option<Json> {
    Some(match v.kind() {
        ValueKind::Undefined => return None,
        ValueKind::None => Json::Null,
        ValueKind::Bool => Json::Bool(v.is_true()),
        ValueKind::Number => number_json(v),
        ValueKind::String | ValueKind::Bytes => Json::String(
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string()),
        ),
        ValueKind::Seq | ValueKind::Iterable => {
            let items = v
                .try_iter()
                .map(|it| it.collect::<Vec<_>>())
                .unwrap_or_default();
            Json::Array(
                items
                    .iter()
                    .map(|i| to_json(i).unwrap_or(Json::Null))
                    .collect(),
            )
        }
        ValueKind::Map => {
            let mut obj = serde_json::Map::new();
            if let Ok(keys) = v.try_iter() {
                for k in keys {
                    if let Ok(item) = v.get_item(&k) {
                        if let Some(j) = to_json(&item) {
                            obj.insert(
                                k.as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| k.to_string()),
                                j,
                            );
                        }
                    }
                }
            }
            Json::Object(obj)
        }
        ValueKind::Plain | ValueKind::Invalid => Json::String(v.to_string()),
        _ => Json::String(v.to_string()),
    })
}

fn number_json(v: &Value) -> Json {
    if let Ok(i) = i64::try_from(v.clone()) {
        return Json::Number(i.into());
    }
    let f = f64::try_from(v.clone()).unwrap_or(f64::NAN);
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 {
        return Json::Number((f as i64).into());
    }
    serde_json::Number::from_f64(f)
        .map(Json::Number)
        .unwrap_or(Json::Null)
}

/// JavaScript truthiness of a rendered workflow value (`[]` is falsy, as in Backstage's runner).
pub fn is_truthy(v: Option<&Json>) -> bool {
    match v {
        None | Some(Json::Null) => false,
        Some(Json::Bool(b)) => *b,
        Some(Json::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Some(Json::String(s)) => !s.is_empty(),
        Some(Json::Array(a)) => !a.is_empty(),
        Some(Json::Object(_)) => true,
    }
}

/// `JSON.stringify(value, null, indent)`; undefined gives undefined.
pub fn dump(v: &Value, indent: Value) -> Result<Value, Error> {
    if v.kind() == ValueKind::Plain && as_regex(v).is_none() {
        return Err(err("Callable values cannot be serialized"));
    }
    let Some(json) = to_json(v) else {
        return Ok(Value::UNDEFINED);
    };
    let pad = match indent.kind() {
        ValueKind::String => indent
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(10)
            .collect::<String>(),
        ValueKind::Number => {
            let n = as_f64(&indent);
            if n.is_nan() || n <= 0.0 {
                String::new()
            } else {
                " ".repeat(n.min(10.0).trunc() as usize)
            }
        }
        _ => String::new(),
    };
    if pad.is_empty() {
        return Ok(Value::from(
            serde_json::to_string(&json).map_err(|e| err(e.to_string()))?,
        ));
    }
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(pad.as_bytes());
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    serde::Serialize::serialize(&json, &mut ser).map_err(|e| err(e.to_string()))?;
    Ok(Value::from(String::from_utf8(buf).unwrap_or_default()))
}
