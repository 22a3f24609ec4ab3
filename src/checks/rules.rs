//! The rules every check shares, before its own expectations: the answers no expectation may judge, because they
//! say nothing about the org's state (a 403, an invalid token, a 5xx, a redirect) or because kb could not read
//! them as the endpoint's JSON.

use serde_json::Value;

use super::answer::Observed;
use super::answer::{Body, media_type, preview};
use super::error::{Error, Reason};
use super::model::Step;
use super::path::Method;
use super::shape;
use crate::text::snippet;

/// The status and what came with it, for a message: `404 E0000007: Not found`, or `404 with text/html (…), not
/// JSON: …` when the body is not Okta's error JSON. The org's own words are quoted with control characters
/// escaped, so a message cannot act on a terminal.
fn status_words(obs: &Observed<'_>) -> String {
    let text = |k: &str| {
        let t = obs.body.get(k).and_then(Value::as_str).unwrap_or_default();
        snippet(t.as_bytes(), 300)
    };
    let status = obs.status;
    match (text("errorCode").as_str(), text("errorSummary").as_str(), obs.body) {
        ("", "", Body::Json(_) | Body::Empty) => status.to_string(),
        ("", "", other) => format!("{status} with {}", other.arrived()),
        (c, "", _) => format!("{status} {c}"),
        ("", s, _) => format!("{status}: {s}"),
        (c, s, _) => format!("{status} {c}: {s}"),
    }
}

/// `the org answered 404 E0000007: Not found`.
fn answered(obs: &Observed<'_>) -> String {
    format!("the org answered {}", status_words(obs))
}

/// The errors no expectation can turn into a verdict: any 403, 401 E0000011, 429, 5xx, a 401 from the OAuth layer
/// or a redirect (unless the step names that very code), and a non-2xx status the step does not name.
pub(super) fn forced(step: &Step, obs: &Observed<'_>) -> Option<Error> {
    let code = obs.body.get("errorCode").and_then(Value::as_str).unwrap_or_default();
    let status = obs.status;
    let auth = super::header(obs.headers, "www-authenticate").unwrap_or_default();
    if status == 403 {
        if auth.contains("insufficient_scope") {
            let scope = auth
                .split("scope=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or("(not named)");
            return Some(Error::missing_scope(scope));
        }
        let why = if code == "E0000006" {
            "403 E0000006: the credential's admin role cannot read this (a service app needs an admin role as well as scopes)".to_string()
        } else {
            status_words(obs)
        };
        return Some(Error::new(Reason::AccessDenied, why));
    }
    if status == 401 && code == "E0000011" {
        return Some(Error::new(
            Reason::InvalidToken,
            "401 E0000011: the token is invalid (expired, revoked, or for another org)",
        ));
    }
    if status == 429 {
        return Some(Error::new(
            Reason::RateLimited,
            format!(
                "{}: rate limited, and waiting for the reset did not recover",
                status_words(obs)
            ),
        ));
    }
    if status >= 500 {
        return Some(Error::new(Reason::HttpStatus, answered(obs)));
    }
    // A redirect, or a 401 from the OAuth layer (`www-authenticate: ... error="..."`, or an OAuth `error` in the
    // body, as for a refused DPoP proof), is about the transport or the credential, not the org's state, unless a
    // step names that very code.
    let oauth_error = obs.body.get("error").and_then(Value::as_str);
    let oauth_401 = status == 401 && (auth.contains("error=") || oauth_error.is_some());
    if (oauth_401 || (300..400).contains(&status)) && !step.names_code(status) {
        let detail = match oauth_error {
            Some(e) => format!(" {e}"),
            None if !auth.is_empty() => format!(" ({auth})"),
            None => String::new(),
        };
        return Some(Error::new(Reason::HttpStatus, format!("{}{detail}", answered(obs))));
    }
    if !(200..300).contains(&status) && !step.names_status() {
        return Some(Error::new(Reason::HttpStatus, answered(obs)));
    }
    None
}

/// An answer kb did not read as the endpoint's JSON, which no expectation may judge (reason `body`):
/// - a 2xx to a GET must be JSON of the shape the step reads ([`shape::check`]); no body at all (a 204, an empty
///   200) is not the JSON the endpoint answers;
/// - a 2xx to a HEAD has no body, so its `Content-Type` must say JSON (`application/json` or `…+json`): a proxy's
///   or a portal's page says `text/html`;
/// - any other status a step names (a 404 judged as "not assigned") counts only with Okta's error JSON, an object
///   with an `errorCode`: a proxy's 404 page is not a finding.
pub(super) fn unreadable(step: &Step, obs: &Observed<'_>) -> Option<Error> {
    let status = obs.status;
    let wrong = |what: String| {
        Some(Error::new(
            Reason::Body,
            format!("the org answered {status} with {what}"),
        ))
    };
    if !(200..300).contains(&status) {
        return match obs.body {
            Body::Json(Value::Object(o)) if o.get("errorCode").is_some_and(Value::is_string) => None,
            other => wrong(format!("{}, not Okta's error JSON (an `errorCode`)", other.arrived())),
        };
    }
    if obs.method == Method::Head {
        let content_type = super::header(obs.headers, "content-type");
        let media = media_type(content_type).to_ascii_lowercase();
        return if media == "application/json" || media.ends_with("+json") {
            None
        } else {
            wrong(format!("{media} to a HEAD request, not the JSON the endpoint answers"))
        };
    }
    match obs.body {
        Body::Json(v) => {
            let paths = step.captures.iter().map(|c| (c.source.as_str(), c.plain.as_slice()));
            shape::check(step.endpoint, paths, v).err().map(|e| {
                Error::new(
                    Reason::Body,
                    format!("the org answered {status} with {e}: `{}`", preview(v)),
                )
            })
        }
        Body::Empty => wrong("no body, where the endpoint answers JSON".into()),
        Body::Unreadable(what) => wrong(what.clone()),
    }
}
