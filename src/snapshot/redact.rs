//! People's values out of a snapshot: logins, emails, names, phone numbers and IP addresses become pseudonyms.
//!
//! Two ways a value is found:
//! - **By field**: the fields Okta's schemas give people (a user's `login`, `email`, `secondEmail`, `firstName`,
//!   `lastName`, `middleName`, `displayName`, `nickName`, `mobilePhone`, `primaryPhone`; a log event's
//!   `alternateId`, `displayName` and `ipAddress`; an app user's `userName`), anywhere in any answer, and the vars
//!   that name a person (`admin`, `user`, and any ending in `_user`, `_login`, `_email` or `_admin`). Each value
//!   found is then replaced wherever it occurs, in any text: an app's label, an error's `errorSummary`, a URL.
//! - **By pattern**, in every text: emails, phone numbers written with separators or a `+`, IPv4 and IPv6
//!   addresses.
//!
//! A pseudonym is the same for every occurrence of a value in one snapshot, whatever its case (`Bob@Acme.com` and
//! `bob@acme.com` are one login, as in Okta), so that a replay joins a var, a URL and an answer as the live run did.
//! It is a number in order of appearance (`user-3`, `Name-7`, `phone-2`, `198.18.0.4`), so it cannot be reversed
//! from the file: nothing of the value is in it. An email keeps its domain (`user-3@acme.com`): domains say which
//! organisation, not which person, and checks compare them. Values the selected checks themselves name (their
//! literals) are not people's and are kept, so that a check still compares what it compared live.
//!
//! Limits (README's "For support teams"): a person's name typed into free text is only caught when it is also the
//! value of a person's field in the answers or a person var; values of one character are kept.

use std::collections::{BTreeMap, HashSet};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};
use percent_encoding::{percent_decode_str, utf8_percent_encode};
use regex::Regex;
use serde_json::{Map, Value};
use url::Url;

/// The fields whose string values are people's, and what kind of value each holds.
const FIELDS: &[(&str, Kind)] = &[
    ("login", Kind::Login),
    ("email", Kind::Login),
    ("secondEmail", Kind::Login),
    ("alternateId", Kind::Login),
    ("userName", Kind::Login),
    ("firstName", Kind::Name),
    ("lastName", Kind::Name),
    ("middleName", Kind::Name),
    ("displayName", Kind::Name),
    ("nickName", Kind::Name),
    ("manager", Kind::Name),
    ("mobilePhone", Kind::Phone),
    ("primaryPhone", Kind::Phone),
    ("ipAddress", Kind::Ip),
];

/// Whether a var names a person.
pub fn person_var(name: &str) -> bool {
    matches!(name, "admin" | "user" | "login" | "email" | "username")
        || ["_user", "_login", "_email", "_admin", "_username"]
            .iter()
            .any(|s| name.ends_with(s))
}

/// Fields whose values are secrets, removed from every snapshot, `--no-redact` or not: no check needs to read a
/// secret, and one kept by a check that reads a whole object must not travel.
const SECRETS: &[&str] = &[
    "client_secret",
    "password",
    "secret",
    "sharedSecret",
    "privateKey",
    "private_key",
    "authScheme",
];

/// What a secret's value becomes.
pub const REMOVED: &str = "(secret removed by kb)";

/// `v` with the value of every secret field ([`SECRETS`]) replaced by [`REMOVED`].
pub fn without_secrets(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    let v = if SECRETS.contains(&k.as_str()) && !v.is_null() {
                        Value::String(REMOVED.into())
                    } else {
                        without_secrets(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_secrets).collect()),
        other => other.clone(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A login, which may be an email.
    Login,
    Name,
    Phone,
    Ip,
}

/// A pattern of [`Redactor::text`]: what it finds, the characters besides letters and digits that may not touch a
/// match (`None`: any may), and whether a match is one.
type Finder<'a> = (&'a Regex, Kind, Option<&'a str>, &'a dyn Fn(&str) -> bool);

/// Finds people's values and gives each its pseudonym.
#[derive(Default)]
pub struct Redactor {
    /// Lowercase value → pseudonym.
    table: BTreeMap<String, String>,
    /// The values found by field or var, lowercase: searched for in every text.
    known: Vec<String>,
    matcher: Option<AhoCorasick>,
    /// Lowercase literals of the selected checks: never redacted.
    spare: HashSet<String>,
    users: usize,
    names: usize,
    phones: usize,
    ips: usize,
}

fn patterns() -> &'static [Regex; 5] {
    static P: OnceLock<[Regex; 5]> = OnceLock::new();
    P.get_or_init(|| {
        [
            // URLs, redacted part by part, decoded first.
            Regex::new(r#"https?://[^\s"'<>]+"#).unwrap(),
            // Emails.
            Regex::new(r"[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+").unwrap(),
            // Phone numbers: with separators, or `+` and 8 digits or more.
            Regex::new(r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]\d{3,4}|\+\d{8,15}")
                .unwrap(),
            // IPv4.
            Regex::new(r"\d{1,3}(?:\.\d{1,3}){3}").unwrap(),
            // IPv6 candidates, each parsed before it counts.
            Regex::new(r"(?i)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}").unwrap(),
        ]
    })
}

impl Redactor {
    /// A redactor that keeps `literals` (the selected checks' own values).
    pub fn new(literals: impl IntoIterator<Item = String>) -> Redactor {
        Redactor {
            spare: literals.into_iter().map(|l| l.to_lowercase()).collect(),
            ..Redactor::default()
        }
    }

    /// Learns the people's values of an answer (by field). A `displayName` is a person's unless its object says it
    /// is something else (`"type": "InlineHook"`, as a log event's targets do).
    pub fn learn(&mut self, v: &Value) {
        match v {
            Value::Object(o) => {
                let thing = o.get("type").and_then(Value::as_str).is_some_and(|t| t != "User");
                for (k, v) in o {
                    match (FIELDS.iter().find(|(f, _)| f == k), v) {
                        (Some((f, _)), _) if thing && *f == "displayName" => {}
                        (Some((_, kind)), Value::String(s)) => self.known(*kind, s),
                        _ => self.learn(v),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| self.learn(i)),
            _ => {}
        }
    }

    /// Learns a var's value (or each of its values) when the var names a person.
    pub fn learn_var(&mut self, name: &str, v: &Value) {
        if !person_var(name) {
            return;
        }
        match v {
            Value::String(s) => self.known(Kind::Login, s),
            Value::Array(items) => items.iter().for_each(|i| self.learn_var(name, i)),
            _ => {}
        }
    }

    fn known(&mut self, kind: Kind, value: &str) {
        let key = value.to_lowercase();
        if value.chars().count() < 2 || self.spare.contains(&key) || self.table.contains_key(&key) {
            return;
        }
        let pseudonym = self.make(kind, value);
        self.table.insert(key.clone(), pseudonym);
        self.known.push(key);
        self.matcher = None;
    }

    fn make(&mut self, kind: Kind, value: &str) -> String {
        match kind {
            Kind::Login => {
                self.users += 1;
                match email_domain(value) {
                    Some(domain) => format!("user-{}@{}", self.users, domain.to_lowercase()),
                    None => format!("user-{}", self.users),
                }
            }
            Kind::Name => {
                self.names += 1;
                format!("Name-{}", self.names)
            }
            Kind::Phone => {
                self.phones += 1;
                format!("phone-{}", self.phones)
            }
            Kind::Ip => {
                self.ips += 1;
                pseudo_ip(value.contains(':'), self.ips)
            }
        }
    }

    /// The pseudonym of a value found by pattern.
    fn found(&mut self, kind: Kind, value: &str) -> Option<String> {
        let key = value.to_lowercase();
        if self.spare.contains(&key) {
            return None;
        }
        if let Some(p) = self.table.get(&key) {
            return Some(p.clone());
        }
        let p = self.make(kind, value);
        self.table.insert(key, p.clone());
        Some(p)
    }

    /// `s` with every person's value replaced, in one pass (a pseudonym is never redacted again).
    pub fn text(&mut self, s: &str) -> String {
        if s.is_empty() {
            return String::new();
        }
        let mut spans: Vec<(usize, usize, String)> = Vec::new();
        self.known_spans(s, &mut spans);
        let [urls, email, phone, v4, v6] = patterns();
        let bounded = |a: usize, b: usize, extra: &str| {
            let before = s[..a].chars().next_back();
            let after = s[b..].chars().next();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || extra.contains(c));
            !word(before) && !word(after)
        };
        for m in urls.find_iter(s) {
            if let Ok(u) = Url::parse(m.as_str()) {
                let redacted = self.url(&u);
                if redacted != u {
                    spans.push((m.start(), m.end(), redacted.to_string()));
                }
            }
        }
        // Each pattern: what it finds, what else may touch it, whether a match is one.
        let ip = |ip: std::net::IpAddr| !ip.is_unspecified() && !ip.is_loopback();
        let finders: [Finder<'_>; 4] = [
            (email, Kind::Login, None, &|m| email_domain(m).is_some()),
            (phone, Kind::Phone, Some(""), &|_| true),
            (v4, Kind::Ip, Some("."), &|m| {
                m.parse::<Ipv4Addr>().is_ok_and(|a| ip(a.into()))
            }),
            (v6, Kind::Ip, Some(":"), &|m| {
                m.parse::<Ipv6Addr>().is_ok_and(|a| ip(a.into()))
            }),
        ];
        for (re, kind, extra, valid) in finders {
            for m in re.find_iter(s) {
                let alone = extra.is_none_or(|e| bounded(m.start(), m.end(), e));
                if alone
                    && valid(m.as_str())
                    && let Some(p) = self.found(kind, m.as_str())
                {
                    spans.push((m.start(), m.end(), p));
                }
            }
        }
        if spans.is_empty() {
            return s.to_string();
        }
        // Leftmost first, the longest of those starting together, none overlapping.
        spans.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut out = String::with_capacity(s.len());
        let mut at = 0;
        for (start, end, p) in spans {
            if start < at {
                continue;
            }
            out.push_str(&s[at..start]);
            out.push_str(&p);
            at = end;
        }
        out.push_str(&s[at..]);
        out
    }

    /// Where the known values occur in `s` (whatever their case), as whole words.
    fn known_spans(&mut self, s: &str, spans: &mut Vec<(usize, usize, String)>) {
        if self.known.is_empty() {
            return;
        }
        if self.matcher.is_none() {
            self.matcher = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&self.known)
                .ok();
        }
        let Some(matcher) = &self.matcher else { return };
        // The lowercase text, and for each of its bytes the original's byte offset.
        let mut low = String::with_capacity(s.len());
        let mut from: Vec<usize> = Vec::with_capacity(s.len() + 1);
        for (off, c) in s.char_indices() {
            let start = low.len();
            low.extend(c.to_lowercase());
            from.extend(std::iter::repeat_n(off, low.len() - start));
        }
        from.push(s.len());
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        for m in matcher.find_iter(&low) {
            let (a, b) = (from[m.start()], from[m.end()]);
            // A match ending inside one character's lowercase form is no match of the original.
            if m.end() < low.len() && from[m.end()] == from[m.end() - 1] {
                continue;
            }
            if word(s[..a].chars().next_back()) || word(s[b..].chars().next()) {
                continue;
            }
            if let Some(p) = self.table.get(&self.known[m.pattern().as_usize()]) {
                spans.push((a, b, p.clone()));
            }
        }
    }

    /// A URL with each path segment and query value redacted as text, encoded again as kb encodes them.
    pub fn url(&mut self, url: &Url) -> Url {
        let mut out = url.clone();
        let segments: Vec<String> = url
            .path_segments()
            .map(|segs| {
                segs.map(|s| {
                    let decoded = percent_decode_str(s).decode_utf8_lossy();
                    utf8_percent_encode(&self.text(&decoded), crate::checks::path::SEGMENT).to_string()
                })
                .collect()
            })
            .unwrap_or_default();
        out.set_path(&format!("/{}", segments.join("/")));
        if url.query().is_some() {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), self.text(&v)))
                .collect();
            out.set_query(None);
            out.query_pairs_mut().extend_pairs(pairs);
        }
        out
    }

    /// A JSON value with every string redacted (keys are kept: they are the schema's names).
    pub fn value(&mut self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.string(s)),
            Value::Array(items) => Value::Array(items.iter().map(|i| self.value(i)).collect()),
            Value::Object(o) => {
                let mut out = Map::new();
                for (k, v) in o {
                    out.insert(k.clone(), self.value(v));
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }

    /// A string, redacted: as a URL when it is one (its path and query decoded first; the host, the org's, kept),
    /// else as text (URLs within it likewise).
    pub fn string(&mut self, s: &str) -> String {
        if (s.starts_with("https://") || s.starts_with("http://"))
            && let Ok(u) = Url::parse(s)
        {
            // Unchanged, it stays as written (a URL parsed and written again may gain a `/`).
            let redacted = self.url(&u);
            return if redacted == u {
                s.to_string()
            } else {
                redacted.to_string()
            };
        }
        self.text(s)
    }
}

/// The values the checks themselves compare and ask with: their request paths and query values, JSONPaths,
/// `where` values and expected values, whole and word by word. A person's value equal to one of them is kept, so
/// that a check compares and asks for what it did live (a last name `Active` stays, or `status eq "ACTIVE"` would
/// change).
pub fn literals(checks: &[&crate::checks::Check]) -> Vec<String> {
    use crate::checks::model::{Expected, Test};
    use crate::checks::path::Segment;
    let mut texts: Vec<String> = Vec::new();
    for c in checks {
        texts.extend(c.args.iter().map(|(_, t)| t.source.clone()));
        for s in c.steps() {
            for seg in &s.path.segments {
                if let Segment::Literal(l) = seg {
                    texts.push(l.clone());
                }
            }
            texts.extend(s.query.iter().map(|(_, t)| t.source.clone()));
            for cap in &s.captures {
                texts.push(cap.source.clone());
                texts.extend(cap.filter.iter().map(|(_, t)| t.source.clone()));
            }
            for p in s.expect.iter().chain(&s.skip_unless) {
                let expected: Vec<&Expected> = match &p.test {
                    Test::Equals(e) | Test::NotEquals(e) | Test::Contains(e) | Test::NotContains(e) => vec![e],
                    Test::OneOf(list) => list.iter().collect(),
                    Test::Matches(re) => {
                        texts.push(re.as_str().to_string());
                        Vec::new()
                    }
                    _ => Vec::new(),
                };
                for e in expected {
                    if let Expected::Str(t) = e {
                        texts.push(t.source.clone());
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for t in texts {
        out.extend(
            t.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|w| w.chars().count() >= 2)
                .map(str::to_string),
        );
        out.push(t);
    }
    out
}

/// The domain of an email address, when `s` is one.
fn email_domain(s: &str) -> Option<&str> {
    let (local, domain) = s.rsplit_once('@')?;
    (!local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.contains(char::is_whitespace))
        .then_some(domain)
}

/// The `n`th pseudonymous address: in 198.18.0.0/15 (set aside for benchmarks), then 240.0.0.0/4 (reserved), or
/// 2001:db8::/32 (for documentation), so never a real host's, and never two values' alike.
fn pseudo_ip(v6: bool, n: usize) -> String {
    if v6 {
        return Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, (n >> 32) as u16, (n >> 16) as u16, n as u16).to_string();
    }
    let n = n as u32;
    let ip = if n < 1 << 17 {
        u32::from(Ipv4Addr::new(198, 18, 0, 0)) + n
    } else {
        u32::from(Ipv4Addr::new(240, 0, 0, 0)) + (n - (1 << 17))
    };
    Ipv4Addr::from(ip).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn learned() -> Redactor {
        let mut r = Redactor::new(["Okta Workflows".to_string()]);
        r.learn(
            &json!([{"profile": {"login": "Alice@Acme.com", "firstName": "Alice", "lastName": "Okta Workflows",
            "mobilePhone": "5550100"}}]),
        );
        r.learn_var("admin", &json!("bob"));
        r
    }

    #[test]
    fn people_become_pseudonyms_wherever_they_occur() {
        let mut r = learned();
        assert_eq!(r.text("alice@acme.com"), "user-1@acme.com");
        assert_eq!(r.text("ALICE@ACME.COM signed in"), "user-1@acme.com signed in");
        assert_eq!(
            r.text("Not found: Resource not found: bob (User)"),
            "Not found: Resource not found: user-2 (User)"
        );
        assert_eq!(r.text("Alice's app"), "Name-1's app");
        // Within another word, a name is not that name.
        assert_eq!(r.text("Malice"), "Malice");
        // The checks' own literal is not a person's value, even when a field held it.
        assert_eq!(r.text("Okta Workflows"), "Okta Workflows");
        assert_eq!(r.text("call 555 0100 or +1 (415) 555-0100"), "call 555 0100 or phone-2");
        assert_eq!(
            r.text("from 203.0.113.9 and 2001:db8:85a3::8a2e:370:7334"),
            "from 198.18.0.1 and 2001:db8::2"
        );
        // Dates and times are not phone numbers or addresses.
        assert_eq!(r.text("2026-12-02T10:20:30.000Z"), "2026-12-02T10:20:30.000Z");
        assert_eq!(r.text("carol@example.org"), "user-3@example.org");
        assert_eq!(r.text("carol@example.org"), "user-3@example.org", "stable");
    }

    #[test]
    fn urls_are_redacted_across_percent_encoding() {
        let mut r = learned();
        let u = Url::parse("https://o.test/api/v1/users/alice%40acme.com?search=profile.login+eq+%22bob%22").unwrap();
        assert_eq!(
            r.url(&u).as_str(),
            "https://o.test/api/v1/users/user-1%40acme.com?search=profile.login+eq+%22user-2%22"
        );
    }

    /// The URL a check builds for a user lookup and a search on `login`, as `path::build_url` encodes them.
    fn lookups(login: &str) -> Url {
        let segment = utf8_percent_encode(login, crate::checks::path::SEGMENT);
        let mut u = Url::parse(&format!("https://acme.okta.test/api/v1/users/{segment}")).unwrap();
        u.query_pairs_mut()
            .append_pair("search", &format!("profile.login eq \"{login}\""));
        u
    }

    proptest::proptest! {
        /// Hostile logins (quotes, newlines, markup, look-alike letters, zero-width spaces, any case, long): each is
        /// gone from the var, the answer and the URL, and the redacted URL is the one a replay builds from the
        /// redacted var, so the replay finds its answer.
        #[test]
        fn redaction_of_hostile_values_still_joins(
            login in "[A-Za-zÀ-ÿа-я]{2,8}(['\"\n ,;<>&%+]|\u{430}|\u{435}|\u{200b})[A-Za-z0-9._@'-]{0,300}",
            upper in proptest::bool::ANY,
        ) {
            let mut r = Redactor::new([]);
            r.learn_var("user", &json!(login));
            let served = if upper { login.to_ascii_uppercase() } else { login.clone() };
            let answer = json!({"profile": {"login": served}, "errorSummary": format!("Not found: {served} (User)")});
            r.learn(&answer);
            let var = r.value(&json!(login));
            let var = var.as_str().unwrap().to_string();
            let redacted = r.value(&answer);
            proptest::prop_assert_eq!(redacted["profile"]["login"].as_str(), Some(var.as_str()));
            let url = r.url(&lookups(&login));
            let rebuilt = lookups(&var);
            proptest::prop_assert_eq!(url.as_str(), rebuilt.as_str());
            let shown = format!("{var} {redacted} {}", percent_decode_str(url.as_str()).decode_utf8_lossy());
            proptest::prop_assert!(!shown.to_lowercase().contains(&login.to_lowercase()), "{}", shown);
        }
    }
}
