//! What the org answered, as kb read it: a [`Response`] whose [`Body`] is JSON only when its bytes parsed as JSON
//! within a budget, and otherwise says what arrived. A verdict is only ever drawn from `Body::Json`; see "Answers
//! kb cannot read" in README.
//!
//! [`parse`] is the one way bytes become a body, for the runner and for tests alike. It builds the JSON tree itself
//! (a [`serde::de::DeserializeSeed`]) so that the memory a parsed answer takes is counted while it is built, and a
//! body over the budget is refused part way instead of held whole. serde_json's nesting limit (128) stays.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::text::snippet;

/// What one JSON value's slot costs in memory (a `serde_json::Value` is 32 bytes): in a list, per slot allocated.
const VALUE: usize = std::mem::size_of::<Value>();
/// What an object's member costs beyond its value's slot and its key's text: the key's `String` and the map's node.
const MEMBER: usize = 48;

/// A response as `Evaluation::answer` needs it: status, lowercase header names, and the body as read.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

/// A body as kb read it.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Bytes that parsed as JSON.
    Json(Value),
    /// No bytes at all (a HEAD answer, a 204, an empty 403).
    Empty,
    /// Bytes that are not JSON kb could use, in words: their media type, size and first characters, and why (`not
    /// JSON`, `JSON that ends early`, `nested deeper than 128 levels`, over the budget).
    Unreadable(String),
}

impl Body {
    /// The JSON, when the body is JSON.
    pub fn json(&self) -> Option<&Value> {
        match self {
            Body::Json(v) => Some(v),
            _ => None,
        }
    }

    /// A field of a JSON object body (`errorCode`), if any.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.json().and_then(|v| v.get(key))
    }

    /// What it is, shortly, for a message that follows "answered 200 with ": the kind of its JSON (`a JSON
    /// string`, `an object`), or what arrived when it is not JSON.
    pub fn described(&self) -> String {
        match self {
            Body::Json(v) => kind(v).to_string(),
            other => other.arrived(),
        }
    }

    /// What arrived, for a message that follows "the org answered 200 with ": `no body`, `text/html (1.2 KiB), not
    /// JSON: ...`, `JSON: {...}`.
    pub fn arrived(&self) -> String {
        match self {
            Body::Json(v) => format!("JSON: `{}`", preview(v)),
            Body::Empty => "no body".into(),
            Body::Unreadable(what) => what.clone(),
        }
    }
}

/// A JSON value's kind in words: `a JSON string`, `a list`, `null`.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a JSON string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Reads `bytes` (a whole body, already decompressed) as JSON, building at most `budget` bytes of parsed values
/// (estimated). `content_type` is the answer's `Content-Type`, for messages. Returns the body and the memory its
/// JSON takes (estimated, 0 when it is not JSON).
pub fn parse(bytes: &[u8], content_type: Option<&str>, budget: usize) -> (Body, usize) {
    if bytes.is_empty() {
        return (Body::Empty, 0);
    }
    let left = Cell::new(budget);
    let over = Cell::new(false);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = Build {
        left: &left,
        over: &over,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    match parsed {
        Ok(v) => (Body::Json(v), budget - left.get()),
        Err(e) => (
            Body::Unreadable(unreadable(bytes, content_type, &e, over.get(), budget)),
            0,
        ),
    }
}

/// Why bytes are not JSON kb can use, with what they were.
fn unreadable(bytes: &[u8], content_type: Option<&str>, e: &serde_json::Error, over: bool, budget: usize) -> String {
    let media = media_type(content_type);
    let size = size(bytes.len() as u64);
    let why = if over {
        format!(
            "JSON that would take more than {} of memory once parsed (the cap is --max-body)",
            self::size(budget as u64)
        )
    } else if e.to_string().starts_with("recursion limit exceeded") {
        format!(
            "JSON nested deeper than 128 levels (line {}, column {})",
            e.line(),
            e.column()
        )
    } else if e.is_eof() {
        format!("JSON that ends early, at line {} column {}", e.line(), e.column())
    } else {
        format!("not JSON ({e})")
    };
    format!("{media} ({size}), {why}: `{}`", snippet(bytes, 60))
}

/// The start of a JSON value as text, for a message, without writing out the whole of a large one.
pub fn preview(v: &Value) -> String {
    struct Capped(Vec<u8>);
    impl std::io::Write for Capped {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.0.len() > 320 {
                return Err(std::io::Error::other("enough"));
            }
            self.0.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = Capped(Vec::new());
    let _ = serde_json::to_writer(&mut out, v);
    snippet(&out.0, 60)
}

/// The media type of a `Content-Type` value, without parameters; `no content type` without one.
pub fn media_type(content_type: Option<&str>) -> String {
    match content_type.map(|c| c.split(';').next().unwrap_or_default().trim()) {
        Some(m) if !m.is_empty() => snippet(m.as_bytes(), 60),
        _ => "no content type".into(),
    }
}

/// A size in words: `312 bytes`, `4.0 KiB`, `32.0 MiB`, `3.0 GiB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return crate::text::count(bytes as usize, "byte");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// Builds a `Value`, charging each value's estimated memory to `left`; `over` is set when it runs out.
#[derive(Clone, Copy)]
struct Build<'a> {
    left: &'a Cell<usize>,
    over: &'a Cell<bool>,
}

impl Build<'_> {
    fn charge<E: de::Error>(&self, cost: usize) -> Result<(), E> {
        match self.left.get().checked_sub(cost) {
            Some(rest) => {
                self.left.set(rest);
                Ok(())
            }
            None => {
                self.over.set(true);
                Err(E::custom("over kb's budget for one answer"))
            }
        }
    }
}

impl<'de> DeserializeSeed<'de> for Build<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Build<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    // A scalar lives in its parent's slot (a list's item, an object's member), which the parent pays for; only a
    // string's text is more.
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.charge(v.len())?;
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.charge(v.len())?;
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }

    /// A list pays for the slots it allocates, as it allocates them (doubling from 4), so what is charged is what
    /// the list holds in memory, not only what it uses.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items: Vec<Value> = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            if items.len() == items.capacity() {
                let more = items.capacity().max(4);
                self.charge(more * VALUE)?;
                items.reserve_exact(more);
            }
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            self.charge(MEMBER + VALUE + key.len())?;
            let value = map.next_value_seed(self)?;
            members.insert(key, value);
        }
        Ok(Value::Object(members))
    }
}

/// A response as the predicates see it.
#[derive(Debug, Clone)]
pub struct Observed<'a> {
    /// The request's method (a HEAD answer has no body).
    pub method: super::path::Method,
    pub status: u16,
    /// Header names in lowercase.
    pub headers: &'a [(String, String)],
    pub body: &'a Body,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MB: usize = 1 << 20;

    fn read(bytes: &[u8]) -> Body {
        parse(bytes, Some("application/json; charset=utf-8"), MB).0
    }

    fn why(bytes: &[u8], content_type: Option<&str>) -> String {
        match parse(bytes, content_type, MB).0 {
            Body::Unreadable(w) => w,
            other => panic!("read as {other:?}"),
        }
    }

    #[test]
    fn json_is_read_as_serde_json_reads_it() {
        let text = r#"[{"id":"0oa1","name":"flow","n":-3,"f":1.5,"ok":true,"none":null,"tags":["a","b"]}]"#;
        let (body, cost) = parse(text.as_bytes(), None, MB);
        assert_eq!(body, Body::Json(serde_json::from_str(text).unwrap()));
        assert!(cost > text.len(), "{cost}");
        assert_eq!(read(b""), Body::Empty);
        assert_eq!(read(b" {} \n"), Body::Json(json!({})));
    }

    #[test]
    fn what_is_not_json_says_what_arrived() {
        let html = why(
            b"<html><head><title>Sign in</title></head>",
            Some("text/html; charset=UTF-8"),
        );
        assert!(
            html.starts_with("text/html (41 bytes), not JSON (expected value at line 1 column 1): `<html><head>"),
            "{html}"
        );
        let nul = why(&[0u8; 1 << 20], None);
        assert!(nul.starts_with("no content type (1.0 MiB), not JSON"), "{nul}");
        assert!(nul.ends_with(&format!("`{}…`", "\\0".repeat(60))), "{nul}");
        let cut = why(br#"[{"id":"0oa1","na"#, Some("application/json"));
        assert!(cut.contains("JSON that ends early, at line 1 column 17"), "{cut}");
        let deep = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
        let deep = why(deep.as_bytes(), Some("application/json"));
        assert!(deep.contains("JSON nested deeper than 128 levels"), "{deep}");
        let trailing = why(b"{} <html>", None);
        assert!(trailing.contains("not JSON (trailing characters"), "{trailing}");
    }

    #[test]
    fn the_budget_is_enforced_while_parsing() {
        // Two million small numbers: 4 MB of text, 64 MB of values.
        let mut text = String::from("[0");
        text.push_str(&",0".repeat(2_000_000));
        text.push(']');
        let over = why(text.as_bytes(), Some("application/json"));
        assert!(
            over.contains("JSON that would take more than 1.0 MiB of memory once parsed"),
            "{over}"
        );
        let (body, cost) = parse(text.as_bytes(), None, 100 * MB);
        let Body::Json(Value::Array(items)) = body else {
            panic!("a list")
        };
        assert_eq!(items.len(), 2_000_001);
        // The slots allocated, doubling from 4: 2^21 of them.
        assert_eq!(items.capacity(), 1 << 21);
        assert_eq!(cost, VALUE << 21);
    }

    #[test]
    fn sizes_read_as_words() {
        assert_eq!(size(1), "1 byte");
        assert_eq!(size(1023), "1023 bytes");
        assert_eq!(size(32 << 20), "32.0 MiB");
        assert_eq!(size(3 << 30), "3.0 GiB");
    }
}
