//! TOML text into an owned tree that keeps the span of every key and value, so that each problem in a check block
//! or definition can be reported at its exact place.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

#[derive(Debug, Clone)]
pub struct Node {
    pub value: Value,
    /// Byte range in the TOML text (not yet in the Markdown file: see `Source::span`).
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Datetime,
    Array(Vec<Node>),
    Table(Vec<Entry>),
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub key_span: Range<usize>,
    pub node: Node,
}

impl Node {
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Bool(_) => "a boolean",
            Value::Datetime => "a date",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_table(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Table(t) => Some(t),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// A TOML syntax error: its message and where.
#[derive(Debug)]
pub struct SyntaxError {
    pub message: String,
    pub span: Range<usize>,
}

/// Parses a TOML document into a table node; every syntax error is returned.
pub fn parse(text: &str) -> Result<Node, Vec<SyntaxError>> {
    let (table, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        return Err(errors
            .iter()
            .map(|e| SyntaxError {
                message: e.message().trim_end().to_string(),
                span: e.span().unwrap_or(0..0),
            })
            .collect());
    }
    Ok(Node {
        span: 0..text.len(),
        value: Value::Table(table_entries(table.get_ref())),
    })
}

fn table_entries(table: &DeTable<'_>) -> Vec<Entry> {
    table
        .iter()
        .map(|(k, v)| Entry {
            key: k.get_ref().to_string(),
            key_span: k.span(),
            node: node(v.get_ref(), v.span()),
        })
        .collect()
}

fn node(value: &DeValue<'_>, span: Range<usize>) -> Node {
    let value = match value {
        DeValue::String(s) => Value::Str(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Int(n),
            Err(_) => Value::Float(f64::NAN),
        },
        DeValue::Float(f) => Value::Float(f.as_str().parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(_) => Value::Datetime,
        DeValue::Array(a) => Value::Array(a.iter().map(|v| node(v.get_ref(), v.span())).collect()),
        DeValue::Table(t) => Value::Table(table_entries(t)),
    };
    Node { value, span }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_spans_of_nested_values() {
        let text = "id = \"a\"\n[[step]]\nget = \"/api/v1/apps\"\nquery = { q = \"x\" }\n";
        let root = parse(text).unwrap();
        let t = root.as_table().unwrap();
        assert_eq!(t[0].key, "id");
        assert_eq!(&text[t[0].node.span.clone()], "\"a\"");
        let steps = t[1].node.as_array().unwrap();
        let step = steps[0].as_table().unwrap();
        assert_eq!(&text[step[0].node.span.clone()], "\"/api/v1/apps\"");
        let q = step[1].node.as_table().unwrap();
        assert_eq!(&text[q[0].key_span.clone()], "q");
    }

    #[test]
    fn reports_syntax_errors_with_spans() {
        let errors = parse("id = \n").unwrap_err();
        assert!(!errors.is_empty());
        assert!(errors[0].span.start <= 6);
    }
}
