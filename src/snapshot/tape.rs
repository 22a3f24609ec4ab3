//! The recorder of `kb snapshot`: every answer the run's checks read, as the runner read it, then cut to what the
//! checks read and redacted into a [`Snapshot`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use percent_encoding::percent_decode_str;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use url::Url;

use super::keep::Plan;
use super::redact::{Redactor, without_secrets};
use super::{Entry, Failure, HEADERS, Recorded, Refusal, Snapshot, VERSION};
use crate::checks::eval::Error;
use crate::checks::path::{Method, Request};
use crate::checks::{Body, Response};

type Answer = Result<Arc<Response>, Error>;

/// What a run read, by request; and the scope sets the token endpoint refused.
#[derive(Default)]
pub struct Tape {
    answers: Mutex<BTreeMap<(&'static str, String), Answer>>,
    refused: Mutex<BTreeMap<Vec<String>, Error>>,
}

/// What a snapshot says about itself.
pub struct Manifest {
    pub taken_at: String,
    pub org: String,
    pub org_url: Url,
    pub admin_url: Option<Url>,
    pub articles: Vec<Recorded>,
    pub vars: Map<String, Value>,
}

impl Tape {
    /// Records the answer to `request` (the first one: the run's cache gives every check the same).
    pub fn answer(&self, request: &Request, answer: &Answer) {
        let key = (request.method.as_str(), request.url.as_str().to_string());
        self.answers
            .lock()
            .unwrap()
            .entry(key)
            .or_insert_with(|| answer.clone());
    }

    /// Records that a credential for `scopes` was refused.
    pub fn refuse(&self, scopes: &[String], e: &Error) {
        let mut scopes = scopes.to_vec();
        scopes.sort();
        self.refused.lock().unwrap().entry(scopes).or_insert_with(|| e.clone());
    }

    /// What was recorded so far, taken out (a prefetch the run cancelled may still hold the source: the tape is
    /// taken, not the source unwrapped; every answer a finished check read was recorded before it finished).
    pub fn take(&self) -> Tape {
        Tape {
            answers: Mutex::new(std::mem::take(&mut *self.answers.lock().unwrap())),
            refused: Mutex::new(std::mem::take(&mut *self.refused.lock().unwrap())),
        }
    }

    /// The snapshot of what was recorded: each answer cut to what `plan` keeps, then, with a `redactor`, every
    /// person's value replaced, in the URLs, headers, bodies, error messages and vars alike.
    pub fn into_snapshot(self, plan: &Plan, mut redactor: Option<Redactor>, m: Manifest) -> Snapshot {
        let answers = self.answers.into_inner().unwrap();
        let refused = self.refused.into_inner().unwrap();
        if let Some(r) = &mut redactor {
            for (name, v) in &m.vars {
                r.learn_var(name, v);
            }
            for a in answers.values().flatten() {
                if let Body::Json(v) = &a.body {
                    r.learn(v);
                }
            }
        }
        let r = &mut redactor;
        let entries = answers
            .iter()
            .map(|((method, url), answer)| entry(method, url, answer, plan, r))
            .collect();
        let refused = refused
            .iter()
            .map(|(scopes, e)| Refusal {
                scopes: scopes.clone(),
                error: Failure {
                    message: text(r, &e.message),
                    ..Failure::from(e)
                },
            })
            .collect();
        let vars = m
            .vars
            .iter()
            .map(|(k, v)| {
                let v = match r {
                    Some(red) => red.value(v),
                    None => v.clone(),
                };
                (k.clone(), v)
            })
            .collect();
        Snapshot {
            kb_snapshot: VERSION,
            kb_version: env!("CARGO_PKG_VERSION").to_string(),
            taken_at: m.taken_at,
            org: m.org,
            org_url: m.org_url.origin().ascii_serialization(),
            admin_url: m.admin_url.map(|u| u.origin().ascii_serialization()),
            redacted: redactor.is_some(),
            articles: m.articles,
            vars,
            refused,
            answers: entries,
            differs: Vec::new(),
        }
    }
}

/// One recorded answer as the snapshot holds it: its URL, headers, body and messages redacted (with `r`), its body
/// cut to what `plan` keeps, its secrets removed.
fn entry(method: &str, url: &str, answer: &Answer, plan: &Plan, r: &mut Option<Redactor>) -> Entry {
    let parsed = Url::parse(url).ok();
    let mut entry = Entry {
        method: method.to_string(),
        url: text(r, parsed.as_ref().map_or(url, Url::as_str)),
        status: None,
        headers: Vec::new(),
        body: None,
        unreadable: None,
        error: None,
    };
    let resp = match answer {
        Err(e) => {
            entry.error = Some(Failure {
                message: text(r, &e.message),
                ..Failure::from(e)
            });
            return entry;
        }
        Ok(resp) => resp,
    };
    entry.status = Some(resp.status);
    for (k, v) in &resp.headers {
        if HEADERS.contains(&k.as_str()) || plan.headers.contains(k) {
            let clock = k == "date" || k.starts_with("x-rate-limit-");
            entry
                .headers
                .push((k.clone(), if clock { v.clone() } else { text(r, v) }));
        }
    }
    match &resp.body {
        Body::Json(v) => {
            let method = if method == "HEAD" { Method::Head } else { Method::Get };
            let segments = parsed.as_ref().map(decoded).unwrap_or_default();
            let kept = without_secrets(&plan.keep(method, &segments, resp.status, v));
            let kept = match r {
                Some(red) => red.value(&kept),
                None => kept,
            };
            entry.body = RawValue::from_string(kept.to_string()).ok();
        }
        Body::Unreadable(words) => entry.unreadable = Some(text(r, words)),
        Body::Empty => {}
    }
    entry
}

/// A text redacted, when redacting.
fn text(r: &mut Option<Redactor>, s: &str) -> String {
    r.as_mut().map_or_else(|| s.to_string(), |r| r.string(s))
}

/// A URL's path segments, percent-decoded.
fn decoded(u: &Url) -> Vec<String> {
    u.path_segments()
        .map(|s| {
            s.map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}
