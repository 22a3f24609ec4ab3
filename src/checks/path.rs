//! Request paths: validated when the check is loaded, and built into URLs on the org's origin only.
//!
//! A path is written relative to the org (`/api/v1/apps/{{ app.id }}/users/{{ user_id }}`). Its literal text may
//! hold unreserved characters only, so nothing percent-encoded, no `..`, no backslash, no scheme or host can be
//! written. A value fills a whole segment and is percent-encoded when the URL is built, so no value can add a
//! segment, a query, or another origin.

use percent_encoding::{AsciiSet, utf8_percent_encode};
use serde_json::Value;
use url::Url;

use super::template::{Lookup, Template, TemplateError, to_text};

/// The only prefixes a check may read: the management API and the org's public metadata.
pub const PREFIXES: &[&str] = &["/api/v1/", "/.well-known/"];

/// Everything but RFC 3986's unreserved characters is encoded in a templated path segment.
pub const SEGMENT: &AsciiSet = crate::text::URL_SEGMENT;

/// Read-only methods: the only ones a check can express.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Head,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Literal(String),
    Value(Template),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PathTemplate {
    pub segments: Vec<Segment>,
}

/// Why a path was rejected: the message, a hint, and the byte range of the culprit within the path text.
#[derive(Debug, Clone, PartialEq)]
pub struct PathError {
    pub message: String,
    pub hint: String,
    pub at: std::ops::Range<usize>,
}

fn err(message: impl Into<String>, hint: impl Into<String>, at: std::ops::Range<usize>) -> PathError {
    PathError {
        message: message.into(),
        hint: hint.into(),
        at,
    }
}

const PREFIX_HINT: &str = "a check reads the management API (`/api/v1/...`) or the org's metadata (`/.well-known/...`); \
                           other GETs, like /oauth2/v1/authorize or /login/, can act";

impl PathTemplate {
    /// A request path: under `/api/v1/` or `/.well-known/`.
    pub fn parse(source: &str) -> Result<PathTemplate, PathError> {
        let out = segments(source)?;
        let lit = |i: usize| match out.get(i) {
            Some(Segment::Literal(s)) => Some(s.as_str()),
            _ => None,
        };
        let api = lit(0) == Some("api") && lit(1) == Some("v1") && out.len() >= 3;
        let well_known = lit(0) == Some(".well-known") && out.len() >= 2;
        if !(api || well_known) {
            return Err(err(
                format!("the path `{source}` is outside /api/v1/ and /.well-known/"),
                PREFIX_HINT,
                0..source.len(),
            ));
        }
        Ok(PathTemplate { segments: out })
    }

    /// A link into the Admin Console, for findings: a path under `/admin/`, with values as whole segments, so that
    /// no value can leave the Admin Console's origin or its `/admin/` pages.
    pub fn parse_link(source: &str) -> Result<PathTemplate, PathError> {
        let out = segments(source)?;
        if !matches!(out.first(), Some(Segment::Literal(s)) if s == "admin") || out.len() < 2 {
            return Err(err(
                format!("the link `{source}` is not a page of the Admin Console"),
                "write a path under /admin/, such as \"/admin/user/profile/view/{{ item.id }}\": it opens on the \
                 org's Admin Console",
                0..source.len(),
            ));
        }
        Ok(PathTemplate { segments: out })
    }

    pub fn vars(&self) -> impl Iterator<Item = &super::template::Var> {
        self.segments.iter().flat_map(|s| match s {
            Segment::Value(t) => t.vars().collect::<Vec<_>>(),
            Segment::Literal(_) => Vec::new(),
        })
    }

    /// The path with every value rendered and percent-encoded as one segment.
    pub fn render(&self, lookup: &Lookup<'_>) -> Result<String, String> {
        let mut path = String::new();
        for seg in &self.segments {
            path.push('/');
            match seg {
                Segment::Literal(s) => path.push_str(s),
                Segment::Value(t) => {
                    let var = t.single_var().map_or_else(|| t.source.clone(), |v| v.dotted());
                    let value = match t.single_var() {
                        Some(v) => match v.eval(lookup)? {
                            v @ (Value::String(_) | Value::Number(_) | Value::Bool(_)) => to_text(&v),
                            other => {
                                return Err(format!("`{var}` is {} and cannot be a path segment", kind_of(&other)));
                            }
                        },
                        None => t.render(lookup)?,
                    };
                    if value.is_empty() || value == "." || value == ".." {
                        return Err(format!("`{var}` is {value:?}, which cannot be a path segment"));
                    }
                    path.extend(utf8_percent_encode(&value, SEGMENT));
                }
            }
        }
        Ok(path)
    }
}

/// The segments of a path: literal (unreserved characters only) or a whole `{{ value }}`; no scheme, host,
/// backslash, `.`/`..`, percent-encoding, query or fragment.
fn segments(source: &str) -> Result<Vec<Segment>, PathError> {
    let whole = 0..source.len();
    let scheme_end = source.find(':').filter(|&i| {
        i > 0
            && source[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if let Some(i) = scheme_end.filter(|_| !source.starts_with('/')) {
        return Err(err(
            format!(
                "`{}` is an absolute URL; a check's path is relative to the org",
                &source[..i + 1]
            ),
            "write the path only, such as `/api/v1/apps`: requests go to the org's own URL",
            whole,
        ));
    }
    if source.starts_with("//") {
        return Err(err(
            "a path starting with `//` names another host",
            "write the path only, such as `/api/v1/apps`: requests go to the org's own URL",
            0..2,
        ));
    }
    if let Some(i) = source.find('\\') {
        return Err(err(
            "backslashes are not allowed in a path",
            "separate segments with `/`",
            i..i + 1,
        ));
    }
    if !source.starts_with('/') {
        return Err(err(
            format!("the path `{source}` does not start with /api/v1/ or /.well-known/"),
            PREFIX_HINT,
            whole,
        ));
    }
    // Split into segments, keeping `{{ ... }}` blocks whole (a filter argument may hold a `/`).
    let mut segments = Vec::new();
    let mut starts = Vec::new();
    let mut start = 1;
    let mut i = 1;
    let bytes = source.as_bytes();
    while i <= source.len() {
        if source[i..].starts_with("{{") {
            match source[i..].find("}}") {
                Some(end) => {
                    i += end + 2;
                    continue;
                }
                None => return Err(err("`{{` is not closed by `}}`", "write `{{ name }}`", i..source.len())),
            }
        }
        if i == source.len() || bytes[i] == b'/' {
            segments.push(&source[start..i]);
            starts.push(start);
            start = i + 1;
        }
        i += source[i..].chars().next().map_or(1, char::len_utf8);
    }
    let mut out = Vec::new();
    for (seg, &at) in segments.iter().zip(&starts) {
        out.push(segment(seg, at)?);
    }
    Ok(out)
}

/// One segment of a path, starting at byte `at` of the path's text.
fn segment(seg: &str, at: usize) -> Result<Segment, PathError> {
    let span = at..at + seg.len();
    if seg.is_empty() {
        return Err(err(
            "empty path segment (`//` or a trailing `/`)",
            "remove the extra `/`",
            at.saturating_sub(1)..at,
        ));
    }
    if seg.contains("{%") || seg.contains("{#") {
        return Err(err(
            "template tags and comments are not available in a path",
            "write a value as `{{ name }}`",
            span,
        ));
    }
    if seg.contains("{{") {
        if !(seg.starts_with("{{") && seg.ends_with("}}") && seg.matches("{{").count() == 1) {
            return Err(err(
                format!("`{seg}`: a value must fill a whole path segment"),
                "write the value as its own segment, such as `/api/v1/users/{{ user }}`",
                span,
            ));
        }
        let template = Template::parse(seg)
            .map_err(|e: TemplateError| err(e.message, e.hint.unwrap_or_default(), span.clone()))?;
        return Ok(Segment::Value(template));
    }
    if seg == "." || seg == ".." {
        return Err(err(
            format!("`{seg}` segments are not allowed in a path"),
            "write the path the request should reach, without `.` or `..`",
            span,
        ));
    }
    if let Some(p) = seg.find('%') {
        return Err(err(
            "percent-encoded characters are not allowed in a path",
            "write the characters themselves; values from `{{ ... }}` are encoded for you",
            at + p..(at + p + 3).min(at + seg.len()),
        ));
    }
    if let Some((p, c)) = seg
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')))
    {
        let hint = match c {
            '?' => "put query parameters in `query = { name = \"value\" }`",
            '#' => "a fragment is never sent to the server: remove it",
            '@' | ':' => "write the path only: requests go to the org's own URL",
            _ => "a path holds letters, digits, `-`, `.`, `_`, `~` and `/`",
        };
        return Err(err(
            format!("`{c}` is not allowed in a path"),
            hint,
            at + p..at + p + c.len_utf8(),
        ));
    }
    Ok(Segment::Literal(seg.to_string()))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
        _ => "empty",
    }
}

/// A request a check makes: a read-only method and a URL on the org's origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: Method,
    pub url: Url,
}

/// Builds the URL of a request on the org's origin: the rendered path, then each query value encoded as a value.
///
/// The result is checked again after parsing: same origin, an allowed prefix, and exactly the segments built, so a
/// value that would be normalised away (`%2e%2e`) cannot slip through.
pub fn build_url(
    org: &Url,
    path: &PathTemplate,
    query: &[(String, Template)],
    lookup: &Lookup<'_>,
) -> Result<Url, String> {
    let rendered = path.render(lookup)?;
    let origin = org.origin();
    if !origin.is_tuple() {
        return Err(format!("the org URL {org} has no origin"));
    }
    let mut url = Url::parse(&format!("{}{rendered}", origin.ascii_serialization()))
        .map_err(|e| format!("cannot build a URL from {rendered}: {e}"))?;
    if !query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in query {
            pairs.append_pair(k, &v.render(lookup)?);
        }
    }
    if url.origin() != origin || url.path() != rendered || !PREFIXES.iter().any(|p| url.path().starts_with(p)) {
        return Err(format!("refusing to request {url}: it is not {rendered} on the org"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::template::by_name;

    fn reject(path: &str) -> PathError {
        PathTemplate::parse(path).unwrap_err()
    }

    #[test]
    fn accepts_api_and_well_known_paths() {
        let p = PathTemplate::parse("/api/v1/apps/{{ app.id }}/users/{{ user_id }}").unwrap();
        assert_eq!(p.segments.len(), 6);
        assert!(PathTemplate::parse("/.well-known/openid-configuration").is_ok());
    }

    #[test]
    fn rejects_every_origin_and_shape_trick() {
        assert!(
            reject("https://evil.example/api/v1/apps")
                .message
                .contains("absolute URL")
        );
        assert!(reject("//evil.example/api/v1/apps").message.contains("another host"));
        assert!(reject("/api/v1/..\\apps").message.contains("backslash"));
        assert!(reject("/api/v1/../../login").message.contains("`..`"));
        assert!(reject("/api/v1/%2e%2e/login").message.contains("percent-encoded"));
        assert!(reject("/api/v1/apps%2fx").message.contains("percent-encoded"));
        assert!(reject("/oauth2/v1/authorize").message.contains("outside"));
        assert!(reject("/api/v1/apps?q=x").hint.contains("query"));
        assert!(reject("/api/v1//apps").message.contains("empty"));
        assert!(
            reject("/api/v1/users/x{{ user }}")
                .message
                .contains("whole path segment")
        );
        assert!(reject("api/v1/apps").message.contains("does not start"));
        assert!(reject("/api/v1/@evil.example").message.contains("`@`"));
        // Found by the property test: text after a value, outside ASCII, once split a character.
        assert!(reject("/api/v1/users/{{ user }}/½x").message.contains("`½`"));
        assert!(
            reject("/api/v1/users/ {{ user }}")
                .message
                .contains("whole path segment")
        );
        assert!(reject("/api/v1/users/{% if x %}a{% endif %}").message.contains("tags"));
    }

    #[test]
    fn values_are_encoded_as_one_segment() {
        let org = Url::parse("https://acme.okta.com").unwrap();
        let p = PathTemplate::parse("/api/v1/users/{{ user }}").unwrap();
        let url = |v: &str| {
            let v = Value::from(v);
            build_url(&org, &p, &[], &by_name(|n| (n == "user").then(|| v.clone())))
        };
        assert_eq!(
            url("a/b?c#d").unwrap().as_str(),
            "https://acme.okta.com/api/v1/users/a%2Fb%3Fc%23d"
        );
        assert_eq!(url("%2e%2e").unwrap().path(), "/api/v1/users/%252e%252e");
        assert!(url("..").is_err());
        assert!(url("").is_err());
        let q = vec![("q".to_string(), Template::parse("{{ user }}").unwrap())];
        let v = Value::from("x&limit=1#frag");
        let url = build_url(&org, &PathTemplate::parse("/api/v1/apps").unwrap(), &q, &|_| {
            Some(v.clone())
        })
        .unwrap();
        assert_eq!(url.query(), Some("q=x%26limit%3D1%23frag"));
    }
}
