//! Snapshots: what the selected checks read from an org, recorded by `kb snapshot` and replayed by `kb check
//! --snapshot` with no network (README's "For support teams").
//!
//! A snapshot is one gzip JSON file ([`Snapshot`], format [`VERSION`]): a manifest (kb's version, when, the org's
//! origin, the articles and a hash of their checks, the vars) and, per request, what the org answered. It never
//! holds a credential: the recorder sees only answers, never a request's headers. What goes in is cut to the fields
//! the checks read ([`keep`]) and, unless asked not to, stripped of people's values ([`redact`]).
//!
//! A snapshot comes from a customer, so reading one is reading untrusted input: the file is inflated within
//! `--max-total`, each answer is parsed again by the same budgeted parser as a live answer (within `--max-body`),
//! and a file that is not a snapshot, is cut short, or is of a newer format is refused with a clear message.

pub mod keep;
pub mod redact;
pub mod tape;

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::checks::answer::{self, Body, Response, size};
use crate::checks::eval::{Error, Reason};
use crate::checks::path::{Method, Request};
use crate::checks::{Check, header};
pub use tape::Tape;

/// The snapshot format's version: bumped on any change an older kb could not read.
pub const VERSION: u32 = 1;

/// The headers a snapshot keeps of every answer, besides those a selected check names: what the checks and the
/// rules every check shares read (the org's clock, the media type, a scope refusal, the rate limits). A list's
/// pages are one answer, so `Link` is not among them.
pub const HEADERS: &[&str] = &[
    "date",
    "content-type",
    "www-authenticate",
    "x-rate-limit-limit",
    "x-rate-limit-remaining",
    "x-rate-limit-reset",
];

const NEWER: &str = "is of snapshot format";

/// Why JSON that does not read as a snapshot is not one: cut short, not a snapshot at all, of a newer format, or a
/// snapshot kb cannot read.
fn not_a_snapshot(json: &[u8], e: &serde_json::Error) -> String {
    const NOT: &str = "is not a kb snapshot";
    #[derive(Deserialize)]
    struct Head {
        kb_snapshot: Option<Value>,
        #[serde(default)]
        kb_version: Option<String>,
    }
    if e.is_eof() {
        return format!("is cut short: its JSON ends early ({e})");
    }
    let head: Head = match serde_json::from_slice(json) {
        Ok(h) => h,
        Err(e) => return format!("{NOT}: its content is not the JSON of one ({e})"),
    };
    match head.kb_snapshot {
        None => format!("{NOT}: it is gzip JSON without `kb_snapshot`"),
        Some(v) => match v.as_u64() {
            None => format!("{NOT}: `kb_snapshot` is {v}, not a version"),
            Some(n) if n > u64::from(VERSION) => newer(n, head.kb_version.as_deref()),
            Some(_) => format!("is not a snapshot kb can read: {e}"),
        },
    }
}

/// A snapshot of a format this kb does not read.
fn newer(version: u64, by: Option<&str>) -> String {
    format!(
        "{NEWER} {version} (taken by kb {}); this kb reads format {VERSION} only",
        by.unwrap_or("?")
    )
}

/// A snapshot file, as written.
#[derive(Debug, Serialize, Deserialize)]
pub struct Snapshot {
    /// The format's version ([`VERSION`]); its presence is what makes a JSON file a snapshot.
    pub kb_snapshot: u32,
    pub kb_version: String,
    /// When the snapshot was taken (RFC 3339, UTC).
    pub taken_at: String,
    /// The org profile's name, or the host for `--org-url`.
    pub org: String,
    /// The org's origin.
    pub org_url: String,
    /// The Admin Console's origin, for findings' links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_url: Option<String>,
    /// False for a snapshot taken with `--no-redact`.
    pub redacted: bool,
    pub articles: Vec<Recorded>,
    /// The vars the checks ran with (redacted like everything else).
    pub vars: Map<String, Value>,
    /// Scope sets the token endpoint refused, with the error each check holding them got.
    #[serde(default)]
    pub refused: Vec<Refusal>,
    pub answers: Vec<Entry>,
    /// Checks whose replay of this snapshot, when it was taken, gave another verdict than the org did (a redacted
    /// value changed what they compare): a replay never judges them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differs: Vec<Differs>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Differs {
    pub slug: String,
    pub check: String,
    /// The org's verdict and the replay's, in words (`fail (2 findings)`, `pass`).
    pub live: String,
    pub replay: String,
}

/// An article whose checks the snapshot recorded, with a hash of its check blocks and the definitions they use.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recorded {
    pub slug: String,
    pub checks: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Refusal {
    pub scopes: Vec<String>,
    pub error: Failure,
}

/// A request that could not be answered (a transport error, a cap passed, a list over `--max-pages`, ...).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Failure {
    pub reason: Reason,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_scopes: Vec<String>,
}

/// One request and what it got: an answer (status, headers, body) or a failure.
#[derive(Debug, Serialize, Deserialize)]
pub struct Entry {
    pub method: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// The JSON body, as the checks read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Box<RawValue>>,
    /// A body kb could not read as JSON, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Failure>,
}

impl From<&Error> for Failure {
    fn from(e: &Error) -> Failure {
        Failure {
            reason: e.reason,
            message: e.message.clone(),
            missing_scopes: e.missing_scopes.clone(),
        }
    }
}

impl From<&Failure> for Error {
    fn from(f: &Failure) -> Error {
        Error {
            reason: f.reason,
            message: f.message.clone(),
            missing_scopes: f.missing_scopes.clone(),
        }
    }
}

/// The hash of an article's checks as a snapshot records it: each block as written and the definition it uses.
pub fn checks_hash(checks: &[Check]) -> String {
    let mut h = Sha256::new();
    for c in checks {
        h.update(c.block.as_bytes());
        h.update([0]);
        h.update(c.definition.text.as_bytes());
        h.update([0]);
    }
    crate::text::hex(&h.finalize()[..12])
}

impl Snapshot {
    /// The file's bytes: compact JSON, gzip.
    pub fn to_bytes(&self) -> std::io::Result<Vec<u8>> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        serde_json::to_writer(&mut gz, self)?;
        gz.flush()?;
        gz.finish()
    }

    /// Reads a snapshot file, inflating at most `max_total` bytes. `Err` says in words what is wrong with it
    /// (after "the snapshot FILE"), and what to do.
    pub fn read(path: &Path, max_total: usize) -> Result<Snapshot, (String, String)> {
        let unreadable = |e: std::io::Error| {
            (
                format!("cannot be read: {e}"),
                "check the path: it is the file `kb snapshot --output FILE` wrote".to_string(),
            )
        };
        let mut raw = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(max_total as u64 + 1).read_to_end(&mut raw))
            .map_err(unreadable)?;
        if raw.len() > max_total {
            return Err((
                format!("is over {} (--max-total); kb did not read it", size(max_total as u64)),
                "a snapshot is small (kilobytes to a few megabytes); check that this is the file kb wrote".into(),
            ));
        }
        Snapshot::from_bytes(&raw, max_total).map_err(|e| {
            let hint = if e.starts_with(NEWER) {
                "install the kb that took it, or a newer one".to_string()
            } else if e.starts_with("is damaged") || e.starts_with("is cut short") {
                "the file is incomplete: copy it again, whole".to_string()
            } else {
                "a snapshot is the .json.gz file `kb snapshot --output FILE` writes; a `kb check` report or another \
                 tool's export cannot be replayed"
                    .to_string()
            };
            (e, hint)
        })
    }

    pub fn from_bytes(raw: &[u8], max_total: usize) -> Result<Snapshot, String> {
        const NOT: &str = "is not a kb snapshot";
        if !raw.starts_with(&[0x1f, 0x8b]) {
            let what = if raw.is_empty() {
                "an empty file".to_string()
            } else {
                format!("it does not start as gzip does ({})", crate::text::snippet(raw, 24))
            };
            return Err(format!("{NOT}: {what}"));
        }
        let mut json = Vec::new();
        let inflated = flate2::read::MultiGzDecoder::new(raw)
            .take(max_total as u64 + 1)
            .read_to_end(&mut json);
        if let Err(e) = inflated {
            return Err(format!("is damaged or cut short: its gzip does not inflate ({e})"));
        }
        if json.len() > max_total {
            return Err(format!(
                "inflates to more than {} (--max-total); kb stopped reading it",
                size(max_total as u64)
            ));
        }
        // One parse when the file is a snapshot; a second, of its head only, to say what it is when it is not.
        let snapshot: Snapshot = match serde_json::from_slice(&json) {
            Ok(s) => s,
            Err(e) => return Err(not_a_snapshot(&json, &e)),
        };
        if snapshot.kb_snapshot > VERSION {
            return Err(newer(snapshot.kb_snapshot.into(), Some(&snapshot.kb_version)));
        }
        snapshot.plausible()?;
        Ok(snapshot)
    }

    /// The manifest's values that reports print are what kb writes: a time, a version, URLs on http(s), a short
    /// name. A crafted file cannot put text of its own into a report's header, nor send findings' links anywhere
    /// but an https Admin Console (or one on the org's own host).
    fn plausible(&self) -> Result<(), String> {
        let bad = |what: &str, v: &str| {
            format!(
                "is not a snapshot kb wrote: its {what} is {}",
                crate::text::snippet(v.as_bytes(), 60)
            )
        };
        if chrono::DateTime::parse_from_rfc3339(&self.taken_at).is_err() {
            return Err(bad("time", &self.taken_at));
        }
        let version = |v: &str| {
            !v.is_empty() && v.len() <= 40 && v.chars().all(|c| c.is_ascii_alphanumeric() || ".+-".contains(c))
        };
        if !version(&self.kb_version) {
            return Err(bad("kb version", &self.kb_version));
        }
        if self.org.chars().count() > 200 || self.org.chars().any(char::is_control) {
            return Err(bad("org name", &self.org));
        }
        let org = url::Url::parse(&self.org_url).map_err(|_| bad("org URL", &self.org_url))?;
        if !matches!(org.scheme(), "https" | "http") {
            return Err(bad("org URL", &self.org_url));
        }
        if let Some(a) = &self.admin_url
            && !url::Url::parse(a).is_ok_and(|u| u.scheme() == "https" || u.host_str() == org.host_str())
        {
            return Err(bad("Admin Console URL", a));
        }
        Ok(())
    }

    /// The recorded article of this slug.
    pub fn article(&self, slug: &str) -> Option<&Recorded> {
        self.articles.iter().find(|a| a.slug == slug)
    }
}

/// A snapshot being replayed: its answers by request, read again within the run's caps.
pub struct Replay {
    answers: HashMap<(Method, String), Result<Arc<Response>, Error>>,
    refused: Vec<(Vec<String>, Error)>,
    /// Said when a request is missing: when and by which kb the snapshot was taken.
    taken: String,
}

impl Replay {
    /// The answers of `snapshot`, each body parsed within `max_body` (over it, the request is a `body` error as
    /// it would have been live), and all of them within `max_total` (past it, the answers that do not fit are).
    pub fn new(snapshot: &Snapshot, max_body: usize, max_total: usize) -> Replay {
        let mut answers = HashMap::new();
        let mut held = 0usize;
        for e in &snapshot.answers {
            let method = match e.method.as_str() {
                "GET" => Method::Get,
                "HEAD" => Method::Head,
                _ => continue,
            };
            let answer = replayed(e, max_body, &mut held, max_total).map(Arc::new);
            answers.insert((method, e.url.clone()), answer);
        }
        let refused = snapshot
            .refused
            .iter()
            .map(|r| (r.scopes.clone(), Error::from(&r.error)))
            .collect();
        Replay {
            answers,
            refused,
            taken: format!("taken {} by kb {}", snapshot.taken_at, snapshot.kb_version),
        }
    }

    /// The recorded answer to `request`, for a check holding `scopes`.
    pub fn fetch(&self, request: &Request, scopes: &[String]) -> Result<Arc<Response>, Error> {
        let mut wanted = scopes.to_vec();
        wanted.sort();
        if let Some((_, e)) = self.refused.iter().find(|(s, _)| *s == wanted) {
            return Err(e.clone());
        }
        match self.answers.get(&(request.method, request.url.as_str().to_string())) {
            Some(answer) => answer.clone(),
            None => Err(Error::new(
                Reason::NotRecorded,
                format!(
                    "the snapshot ({}) holds no answer to {} {}",
                    self.taken,
                    request.method.as_str(),
                    request.url
                ),
            )),
        }
    }
}

/// A recorded entry as the runner would have read it; `held` counts what the parsed answers take.
fn replayed(e: &Entry, max_body: usize, held: &mut usize, max_total: usize) -> Result<Response, Error> {
    if let Some(f) = &e.error {
        return Err(Error::from(f));
    }
    let what = format!("{} {}", e.method, e.url);
    let Some(status) = e.status else {
        return Err(Error::new(
            Reason::Body,
            format!("the snapshot's entry for {what} has neither an answer nor an error"),
        ));
    };
    let headers: Vec<(String, String)> = e
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    let body = match (&e.body, &e.unreadable) {
        (Some(raw), _) => {
            let bytes = raw.get().as_bytes();
            if bytes.len() > max_body {
                return Err(Error::new(
                    Reason::Body,
                    format!(
                        "the snapshot's answer to {what} is {}, over the cap of {} for one answer (--max-body)",
                        size(bytes.len() as u64),
                        size(max_body as u64)
                    ),
                ));
            }
            let (body, cost) = answer::parse(bytes, header(&headers, "content-type"), max_body);
            *held += cost;
            if *held > max_total {
                return Err(Error::new(
                    Reason::Body,
                    format!(
                        "the snapshot's answers would hold more than {} (--max-total); kb stopped reading {what}",
                        size(max_total as u64)
                    ),
                ));
            }
            body
        }
        (None, Some(words)) => Body::Unreadable(crate::text::snippet(words.as_bytes(), 400)),
        (None, None) => Body::Empty,
    };
    Ok(Response { status, headers, body })
}

/// The articles a snapshot lacks among `wanted` (by slug), and those whose checks changed since it was taken.
pub fn compare(snapshot: &Snapshot, wanted: &[(&str, String)]) -> (Vec<String>, Vec<String>) {
    let recorded: BTreeMap<&str, &str> = snapshot
        .articles
        .iter()
        .map(|a| (a.slug.as_str(), a.checks.as_str()))
        .collect();
    let mut missing = Vec::new();
    let mut changed = Vec::new();
    for (slug, hash) in wanted {
        match recorded.get(slug) {
            None => missing.push(slug.to_string()),
            Some(h) if *h != hash => changed.push(slug.to_string()),
            Some(_) => {}
        }
    }
    (missing, changed)
}
