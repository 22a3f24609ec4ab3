//! Whether a JSON answer has the shape a step reads, so that "nothing matched" is only ever said of an answer that
//! could have matched.
//!
//! Two sources, both checked:
//! - **The endpoint**: `okta-endpoints.txt`, generated from Okta's OpenAPI specs by
//!   `tests/fixtures/okta-spec/extract.py`, gives for every GET endpoint whether its 200 answer is a list of
//!   objects or an object, and the fields every such object carries (the schema's `required` fields, and `id` and
//!   `status` where every example in the spec has them). Any other field may legitimately be absent.
//! - **The step's JSONPaths**: the plain part of each capture's path (`$`, `.name`, `['name']`, `[*]`, `[3]`, up to
//!   the first filter or descendant segment) and each `where` field says which values must be objects or lists
//!   where they are present. A value that is present with another type is a wrong shape; an absent or `null` one
//!   is absence, which the expectations judge.
//!
//! An endpoint the table does not know (a path outside the spec) is judged by its paths alone, and its answer must
//! at least be a JSON object or list: no Okta endpoint answers a bare string, number or `null`.

use std::sync::OnceLock;

use serde_json::Value;

use super::answer::kind;
use super::path::Segment;

/// What an endpoint's 200 answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A JSON list of objects.
    List,
    Object,
    /// JSON of another or of several forms.
    Json,
    /// Not JSON at all: the spec's media type (`text/xml`).
    Other(&'static str),
}

/// An endpoint of the spec.
#[derive(Debug)]
pub struct Endpoint {
    /// As the spec writes it: `/api/v1/apps/{appId}`.
    pub path: &'static str,
    segments: Vec<&'static str>,
    pub form: Form,
    /// What every object of the answer carries.
    pub fields: Vec<&'static str>,
}

fn table() -> &'static [Endpoint] {
    static TABLE: OnceLock<Vec<Endpoint>> = OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("okta-endpoints.txt")
            .lines()
            .filter(|l| l.starts_with("GET "))
            .filter_map(|l| {
                let mut words = l.split_whitespace().skip(1);
                let path = words.next()?;
                let form = match words.next()? {
                    "list" => Form::List,
                    "object" => Form::Object,
                    "json" => Form::Json,
                    other => Form::Other(other),
                };
                Some(Endpoint {
                    path,
                    segments: path.trim_start_matches('/').split('/').collect(),
                    form,
                    fields: words.collect(),
                })
            })
            .collect()
    })
}

/// Every top-level field an object of the endpoint's answer may carry (for a list, an item), from Okta's spec
/// (`okta-fields.txt`, generated with `okta-endpoints.txt`); `None` when the spec lets any field appear.
pub fn properties(e: &Endpoint) -> Option<&'static [&'static str]> {
    static FIELDS: OnceLock<Vec<(&'static str, Vec<&'static str>)>> = OnceLock::new();
    let all = FIELDS.get_or_init(|| {
        include_str!("okta-fields.txt")
            .lines()
            .filter_map(|l| l.strip_prefix("GET "))
            .filter_map(|l| {
                let mut words = l.split_whitespace();
                let path = words.next()?;
                let fields: Vec<&str> = words.collect();
                (fields != ["*"]).then_some((path, fields))
            })
            .collect()
    });
    all.iter().find(|(p, _)| *p == e.path).map(|(_, f)| f.as_slice())
}

/// The spec's endpoint for a step's path: literal segments must match a literal segment or a `{parameter}`, and a
/// templated segment a parameter; the endpoint with the most literal segments matched wins (`/users/me` is
/// `/users/{id}`, but `/apps/{appId}/users` is not `/apps/{appId}/{x}`).
pub fn endpoint(segments: &[Segment]) -> Option<&'static Endpoint> {
    let fits = |e: &Endpoint| -> Option<usize> {
        if e.segments.len() != segments.len() {
            return None;
        }
        let mut literal = 0;
        for (spec, seg) in e.segments.iter().zip(segments) {
            let param = spec.starts_with('{');
            match seg {
                Segment::Literal(l) if *spec == l.as_str() => literal += 1,
                Segment::Literal(_) | Segment::Value(_) if param => {}
                _ => return None,
            }
        }
        Some(literal)
    };
    table()
        .iter()
        .filter_map(|e| fits(e).map(|n| (n, e)))
        .max_by_key(|(n, _)| *n)
        .map(|(_, e)| e)
}

/// Whether a 2xx answer's JSON is what `endpoint` answers (a step's, or `None` outside the spec), and holds what
/// the step's capture paths read (`(source, plain segments)` of each): `Err` says what is wrong, for a `body` error.
pub fn check<'a>(
    endpoint: Option<&Endpoint>,
    paths: impl IntoIterator<Item = (&'a str, &'a [Plain])>,
    body: &Value,
) -> Result<(), String> {
    let name = |e: &Endpoint| format!("GET {}", e.path);
    match endpoint.map(|e| (e, e.form)) {
        Some((e, Form::List)) => {
            let Value::Array(items) = body else {
                return Err(format!("{}, not the list {} gives", kind(body), name(e)));
            };
            for (i, item) in items.iter().enumerate() {
                let Value::Object(o) = item else {
                    return Err(format!(
                        "a list whose item {} is {}, not an object as {} gives",
                        i + 1,
                        kind(item),
                        name(e)
                    ));
                };
                if let Some(f) = e.fields.iter().find(|f| !o.contains_key(**f)) {
                    return Err(format!(
                        "a list whose item {} has no `{f}`, which every item of {} carries",
                        i + 1,
                        name(e)
                    ));
                }
            }
        }
        Some((e, Form::Object)) => {
            let Value::Object(o) = body else {
                return Err(format!("{}, not the object {} gives", kind(body), name(e)));
            };
            if let Some(f) = e.fields.iter().find(|f| !o.contains_key(**f)) {
                return Err(format!("an object without `{f}`, which {} always carries", name(e)));
            }
        }
        Some((_, Form::Json)) => {}
        Some((e, Form::Other(media))) => {
            return Err(format!("JSON, where {} answers {media}", name(e)));
        }
        None if !matches!(body, Value::Array(_) | Value::Object(_)) => {
            return Err(format!("{}, not an object or a list", kind(body)));
        }
        None => {}
    }
    for (source, plain) in paths {
        along(source, plain, body)?;
    }
    Ok(())
}

/// A plain segment of a JSONPath.
#[derive(Debug, Clone, PartialEq)]
pub enum Plain {
    Member(String),
    Index(usize),
    /// `[*]` or `.*`: every item of a list or member of an object.
    Every,
    /// A filter (`[?...]`): the value it applies to is a list or an object; nothing further is known.
    Filter,
}

/// The plain segments a JSONPath starts with, up to the first segment kb does not follow (descendants, slices,
/// unions, negative indexes).
pub fn plain(source: &str) -> Vec<Plain> {
    let mut out = Vec::new();
    let Some(mut rest) = source.trim().strip_prefix('$') else {
        return out;
    };
    loop {
        if let Some(r) = rest.strip_prefix(".*") {
            out.push(Plain::Every);
            rest = r;
        } else if let Some(r) = rest.strip_prefix('.').filter(|r| !r.starts_with('.')) {
            let end = r
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || !c.is_ascii()))
                .unwrap_or(r.len());
            if end == 0 {
                return out;
            }
            out.push(Plain::Member(r[..end].to_string()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix("[*]") {
            out.push(Plain::Every);
            rest = r;
        } else if rest.starts_with("[?") {
            out.push(Plain::Filter);
            return out;
        } else if let Some(r) = rest.strip_prefix('[') {
            let Some(close) = r.find(']') else { return out };
            let inner = r[..close].trim();
            let quoted = |q: char| inner.strip_prefix(q).and_then(|s| s.strip_suffix(q));
            match (quoted('\''), quoted('"'), inner.parse::<usize>()) {
                (Some(name), _, _) | (_, Some(name), _) if !name.contains(['\\', '\'', '"']) => {
                    out.push(Plain::Member(name.to_string()))
                }
                (_, _, Ok(i)) => out.push(Plain::Index(i)),
                _ => return out,
            }
            rest = &r[close + 1..];
        } else {
            return out;
        }
    }
}

/// Whether a JSONPath ends with its first filter (`$[?@.status == 'ACTIVE']`): then its matches are items of the
/// list the filter applies to; after more segments (`$[?...].settings.authenticators[*]`) they are something else.
pub fn ends_with_first_filter(source: &str) -> bool {
    let Some(start) = source.find("[?") else {
        return false;
    };
    bracket_end(&source[start..]).is_some_and(|i| source[start + i + 1..].trim().is_empty())
}

/// Where the bracket opening `s` closes, minding quotes (and escapes in them) and nested brackets.
pub fn bracket_end(s: &str) -> Option<usize> {
    let (mut depth, mut quote) = (0usize, None::<char>);
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (Some(_), '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Walks the plain part of a JSONPath through `body`: a value that is present but cannot hold what the path reads
/// next (a string where a member is read, an object where an item is indexed) is a wrong shape.
fn along(source: &str, plain: &[Plain], body: &Value) -> Result<(), String> {
    let mut nodes: Vec<&Value> = vec![body];
    let mut at = String::from("$");
    for seg in plain {
        let mut next = Vec::new();
        for node in nodes {
            let wrong = |wants: &str| format!("{} at `{at}`, where `{source}` reads {wants}", kind(node));
            match (&seg, node) {
                (_, Value::Null) => {}
                (Plain::Member(k), Value::Object(o)) => next.extend(o.get(k)),
                (Plain::Member(_), _) => return Err(wrong("an object")),
                (Plain::Index(i), Value::Array(a)) => next.extend(a.get(*i)),
                (Plain::Index(_), _) => return Err(wrong("a list")),
                (Plain::Every, Value::Array(a)) => next.extend(a),
                (Plain::Every, Value::Object(o)) => next.extend(o.values()),
                (Plain::Filter, Value::Array(_) | Value::Object(_)) => {}
                (Plain::Every | Plain::Filter, _) => return Err(wrong("a list or an object")),
            }
        }
        match seg {
            Plain::Member(k) => at.push_str(&format!(".{k}")),
            Plain::Index(i) => at.push_str(&format!("[{i}]")),
            Plain::Every => at.push_str("[*]"),
            Plain::Filter => return Ok(()),
        }
        nodes = next;
    }
    Ok(())
}

/// The value of a `where` field (`settings.oauthClient.redirect_uris`) in a node the capture selected: `Ok(None)`
/// when absent (or `null`) on the way, `Err` when a value on the way is not an object, or the field itself is an
/// object or a list of other than scalars, which a `where` cannot compare.
pub fn field<'v>(node: &'v Value, field: &[String]) -> Result<Option<&'v Value>, String> {
    let mut v = node;
    for (i, key) in field.iter().enumerate() {
        match v {
            Value::Object(o) => match o.get(key) {
                Some(next) => v = next,
                None => return Ok(None),
            },
            Value::Null => return Ok(None),
            other => {
                let at = if i == 0 {
                    "the item".to_string()
                } else {
                    format!("`{}`", field[..i].join("."))
                };
                return Err(format!(
                    "{at} is {}, where `where` reads `{}` in it",
                    kind(other),
                    field.join(".")
                ));
            }
        }
    }
    let scalar = |v: &Value| !v.is_array() && !v.is_object();
    match v {
        Value::Null => Ok(None),
        Value::Array(items) if items.iter().all(scalar) => Ok(Some(v)),
        v if scalar(v) => Ok(Some(v)),
        other => Err(format!(
            "`{}` is {}, which `where` cannot compare with a value",
            field.join("."),
            kind(other)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::path::PathTemplate;
    use serde_json::json;

    fn segments(path: &str) -> Vec<Segment> {
        PathTemplate::parse(path).unwrap().segments
    }

    #[test]
    fn steps_find_their_endpoint_in_the_spec() {
        let e = |p: &str| endpoint(&segments(p)).map(|e| (e.path, e.form));
        assert_eq!(e("/api/v1/apps"), Some(("/api/v1/apps", Form::List)));
        assert_eq!(
            e("/api/v1/apps/{{ app.id }}/users/{{ user_id }}"),
            Some(("/api/v1/apps/{appId}/users/{userId}", Form::Object))
        );
        assert_eq!(e("/api/v1/users/me"), Some(("/api/v1/users/{id}", Form::Object)));
        assert_eq!(
            e("/api/v1/users/{{ id }}/roles"),
            Some(("/api/v1/users/{userId}/roles", Form::List))
        );
        assert_eq!(
            e("/.well-known/openid-configuration"),
            Some(("/.well-known/openid-configuration", Form::Object))
        );
        assert_eq!(
            e("/api/v1/apps/{{ id }}/sso/saml/metadata"),
            Some(("/api/v1/apps/{appId}/sso/saml/metadata", Form::Other("text/xml")))
        );
        assert_eq!(e("/api/v1/nothing-here"), None);
        let apps = endpoint(&segments("/api/v1/apps")).unwrap();
        assert_eq!(apps.fields, ["id", "label", "signOnMode", "status"]);
    }

    #[test]
    fn a_filter_ends_a_path_or_not() {
        assert!(super::ends_with_first_filter("$[?@.status == 'ACTIVE']"));
        assert!(super::ends_with_first_filter("$[?@.name == 'a]b' && @.x[0] == 1]"));
        assert!(!super::ends_with_first_filter(
            "$[?@.status == 'ACTIVE'].settings.authenticators[*]"
        ));
        assert!(!super::ends_with_first_filter("$[?@.a == 1][?@.b == 2]"));
        assert!(!super::ends_with_first_filter("$[*]"));
    }

    #[test]
    fn plain_paths_are_read_up_to_what_kb_does_not_follow() {
        use Plain::*;
        assert_eq!(plain("$"), []);
        assert_eq!(plain("$[*]"), [Every]);
        let m = |s: &str| Member(s.to_string());
        assert_eq!(plain("$.profile.login"), [m("profile"), m("login")]);
        assert_eq!(plain("$['a b'][2].*"), [m("a b"), Index(2), Every]);
        assert_eq!(plain("$[?@.status == 'ACTIVE'].id"), [Filter]);
        assert_eq!(plain("$..id"), []);
        assert_eq!(plain("$.a[-1]"), [m("a")]);
    }

    fn along(source: &str, body: &Value) -> Result<(), String> {
        super::along(source, &plain(source), body)
    }

    #[test]
    fn a_present_value_of_the_wrong_type_is_a_wrong_shape_and_absence_is_not() {
        assert!(along("$.settings.oauthClient", &json!({})).is_ok());
        assert!(along("$.settings.oauthClient", &json!({ "settings": null })).is_ok());
        let e = along("$.settings.oauthClient", &json!({ "settings": "x" })).unwrap_err();
        assert_eq!(
            e,
            "a JSON string at `$.settings`, where `$.settings.oauthClient` reads an object"
        );
        assert!(along("$[*]", &json!("apps")).is_err());
        assert!(along("$[*].id", &json!([{ "id": 1 }, [1]])).is_err());
        assert!(along("$.id", &json!([])).is_err());
        assert!(along("$[?@.a == 1]", &json!(3)).is_err());
    }

    #[test]
    fn where_fields_must_be_comparable() {
        let f = |v: Value, path: &str| {
            let path: Vec<String> = path.split('.').map(str::to_string).collect();
            field(&v, &path).map(|o| o.cloned())
        };
        assert_eq!(f(json!({ "a": { "b": "x" } }), "a.b"), Ok(Some(json!("x"))));
        assert_eq!(
            f(json!({ "a": { "b": ["x", "y"] } }), "a.b"),
            Ok(Some(json!(["x", "y"])))
        );
        assert_eq!(f(json!({ "a": {} }), "a.b"), Ok(None));
        assert_eq!(f(json!({ "a": null }), "a.b"), Ok(None));
        assert!(f(json!({ "a": "s" }), "a.b").is_err());
        assert!(f(json!({ "a": { "b": { "c": 1 } } }), "a.b").is_err());
        assert!(f(json!([1]), "a").is_err());
    }
}
