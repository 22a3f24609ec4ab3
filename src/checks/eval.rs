//! What a check means once the org has answered: captures pulled from a response, and predicates judged. Pure
//! functions of the response and the bindings, so the runner only fetches.

use serde_json::{Map, Value};

use super::model::{Capture, Cmp, Expected, Predicate, Step, Subject, Test};
use super::template::{field, to_text};

/// The values a check's templates can see: `vars`, its parameters, and the captures made so far.
#[derive(Debug, Clone, Default)]
pub struct Bindings {
    pub vars: Map<String, Value>,
    pub params: Map<String, Value>,
    pub captures: Map<String, Value>,
}

impl Bindings {
    /// The value at a dotted path (`app.status`, `vars.admin`), copying only that value.
    pub fn get(&self, path: &[String]) -> Option<Value> {
        let (root, rest) = match path {
            [vars, name, rest @ ..] if vars == "vars" => (self.vars.get(name)?, rest),
            [name, rest @ ..] => (self.captures.get(name).or_else(|| self.params.get(name))?, rest),
            [] => return None,
        };
        rest.iter().try_fold(root, |v, k| field(v, k)).cloned()
    }
}

/// A response as the predicates see it.
#[derive(Debug, Clone)]
pub struct Observed<'a> {
    pub status: u16,
    /// Header names in lowercase.
    pub headers: &'a [(String, String)],
    pub body: &'a Value,
}

/// Applies a capture to a response body. `Ok(None)`: nothing matched. An ambiguous match is an error.
pub fn capture(c: &Capture, body: &Value, b: &Bindings) -> Result<Option<Value>, Error> {
    let lookup = |p: &[String]| b.get(p);
    let mut wanted = Vec::with_capacity(c.filter.len());
    for (field, t) in &c.filter {
        wanted.push((field, t.render(&lookup).map_err(|e| Error::new(Reason::Input, e))?));
    }
    let matches: Vec<&Value> = c
        .path
        .query(body)
        .all()
        .into_iter()
        .filter(|node| wanted.iter().all(|(field, value)| field_matches(node, field, value)))
        .collect();
    if c.all {
        return Ok(Some(Value::Array(matches.into_iter().cloned().collect())));
    }
    match matches.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some((*one).clone())),
        many => Err(Error::new(
            Reason::Ambiguous,
            format!(
                "ambiguous: the capture `{}` ({}) matched {} values where one was expected",
                c.name,
                c.source,
                many.len()
            ),
        )),
    }
}

/// A node's field equals the value; a list field matches when one of its items does.
fn field_matches(node: &Value, field: &[String], wanted: &str) -> bool {
    let mut v = node;
    for key in field {
        match v.get(key) {
            Some(next) => v = next,
            None => return false,
        }
    }
    let scalar = |v: &Value| match v {
        Value::String(s) => s == wanted,
        Value::Number(n) => n.to_string() == wanted,
        Value::Bool(b) => wanted == if *b { "true" } else { "false" },
        _ => false,
    };
    match v {
        Value::Array(items) => items.iter().any(scalar),
        other => scalar(other),
    }
}

/// Whether a predicate holds for a response (or, for captures and values, for the bindings alone).
pub fn holds(p: &Predicate, obs: Option<&Observed<'_>>, b: &Bindings) -> Result<bool, String> {
    let subject: Option<Value> = match &p.subject {
        Subject::Status => obs.map(|o| Value::from(o.status)),
        Subject::ErrorCode => obs.and_then(|o| o.body.get("errorCode").cloned()),
        Subject::Header(h) => obs.and_then(|o| {
            let values: Vec<&str> = o
                .headers
                .iter()
                .filter(|(k, _)| k == h)
                .map(|(_, v)| v.as_str())
                .collect();
            (!values.is_empty()).then(|| Value::from(values.join(", ")))
        }),
        Subject::Capture(path) => b.get(path),
        Subject::Value(t) => t.render(&|p| b.get(p)).ok().map(Value::from),
    };
    let subject = subject.filter(|v| !v.is_null());
    let expect = |e: &Expected| -> Result<Value, String> {
        Ok(match e {
            Expected::Str(t) => Value::from(t.render(&|p| b.get(p))?),
            Expected::Int(i) => Value::from(*i),
            Expected::Bool(v) => Value::from(*v),
        })
    };
    Ok(match &p.test {
        Test::Equals(e) => {
            let e = expect(e)?;
            subject.is_some_and(|s| same(&s, &e))
        }
        Test::NotEquals(e) => {
            let e = expect(e)?;
            !subject.is_some_and(|s| same(&s, &e))
        }
        Test::Contains(e) => contains(subject.as_ref(), &expect(e)?),
        Test::NotContains(e) => !contains(subject.as_ref(), &expect(e)?),
        Test::Exists(want) => {
            let exists = match &subject {
                None => false,
                Some(Value::Array(a)) => !a.is_empty(),
                Some(_) => true,
            };
            exists == *want
        }
        Test::Matches(re) => subject.is_some_and(|s| re.is_match(&to_text(&s))),
        Test::OneOf(list) => {
            let mut any = false;
            for e in list {
                if subject
                    .as_ref()
                    .is_some_and(|s| same(s, &expect(e).unwrap_or_default()))
                {
                    any = true;
                }
            }
            any
        }
        Test::Count(cmp, n) => {
            let count = match &subject {
                None => 0,
                Some(Value::Array(a)) => a.len(),
                Some(Value::Object(o)) => o.len(),
                Some(_) => 1,
            };
            match cmp {
                Cmp::Eq => count == *n,
                Cmp::AtLeast => count >= *n,
                Cmp::AtMost => count <= *n,
            }
        }
    })
}

/// Values compare as JSON when both are numbers or booleans, else as text (so `200` equals `"200"`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => to_text(a) == to_text(b),
    }
}

fn contains(subject: Option<&Value>, item: &Value) -> bool {
    match subject {
        Some(Value::Array(a)) => a.iter().any(|v| same(v, item)),
        Some(Value::Object(o)) => o.contains_key(&to_text(item)),
        Some(Value::String(s)) => s.contains(&to_text(item)),
        Some(other) => same(other, item),
        None => false,
    }
}

/// What one step's response means for its check.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Everything held: go on to the next step (or `pass` after the last).
    Continue,
    /// A precondition does not hold: the article does not apply to this org.
    Skip(String),
    /// Observed, and an expectation does not hold: the org has the problem. The expectation's own message, if any.
    Fail(Option<String>),
    /// Could not observe.
    Error(Error),
}

/// Why a check could not observe: a reason a report can group by, and the message in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub reason: Reason,
    pub message: String,
    /// With [`Reason::MissingScope`]: the scopes the credential lacks.
    pub missing_scopes: Vec<String>,
}

/// The kinds of `error`, as the JSON report names them (`reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A scope the check needs is not granted (403 `insufficient_scope`, or the token endpoint's `invalid_scope`).
    MissingScope,
    /// Any other 403: the credential's admin role is too weak (E0000006) or access is denied.
    AccessDenied,
    /// 401 E0000011.
    InvalidToken,
    /// The token endpoint rejected the credentials.
    Credentials,
    /// 429 not recovered by waiting for the reset.
    RateLimited,
    /// A 5xx, or a status no expectation names.
    HttpStatus,
    /// A capture that must name one thing matched several.
    Ambiguous,
    /// A list longer than the page cap.
    Truncated,
    /// Connection refused or reset, DNS, TLS.
    Network,
    Timeout,
    /// A redirect off the org's origin, which is not followed.
    Redirect,
    /// A value the check needs is missing or cannot be used (an unset var, a bad template value).
    Input,
}

impl Error {
    pub fn new(reason: Reason, message: impl Into<String>) -> Error {
        Error {
            reason,
            message: message.into(),
            missing_scopes: Vec::new(),
        }
    }

    pub fn missing_scope(scope: &str) -> Error {
        Error {
            reason: Reason::MissingScope,
            message: format!("scope {scope} not granted"),
            missing_scopes: vec![scope.to_string()],
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Judges one step's response by the rules every check shares, then by the step's own captures, preconditions and
/// expectations. Captures are added to `b`.
///
/// Any 403, a 401 E0000011, a 429 and a 5xx are errors whatever the expectations say; another status counts only
/// against an expectation that names it; a step that names no status expects 2xx.
pub fn judge(step: &Step, obs: &Observed<'_>, b: &mut Bindings) -> Outcome {
    let code = obs.body.get("errorCode").and_then(Value::as_str).unwrap_or_default();
    let summary = obs.body.get("errorSummary").and_then(Value::as_str).unwrap_or_default();
    let quoted = || match (code, summary) {
        ("", "") => String::new(),
        (c, "") => format!(" {c}"),
        ("", s) => format!(": {s}"),
        (c, s) => format!(" {c}: {s}"),
    };
    let status = obs.status;
    let auth = super::header(obs.headers, "www-authenticate").unwrap_or_default();
    if status == 403 {
        if auth.contains("insufficient_scope") {
            let scope = auth
                .split("scope=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or("(not named)");
            return Outcome::Error(Error::missing_scope(scope));
        }
        let why = if code == "E0000006" {
            "403 E0000006: the credential's admin role cannot read this (a service app needs an admin role as well as scopes)".to_string()
        } else {
            format!("403{}", quoted())
        };
        return Outcome::Error(Error::new(Reason::AccessDenied, why));
    }
    if status == 401 && code == "E0000011" {
        return Outcome::Error(Error::new(
            Reason::InvalidToken,
            "401 E0000011: the token is invalid (expired, revoked, or for another org)",
        ));
    }
    if status == 429 {
        return Outcome::Error(Error::new(
            Reason::RateLimited,
            format!(
                "429{}: rate limited, and waiting for the reset did not recover",
                quoted()
            ),
        ));
    }
    if status >= 500 {
        return Outcome::Error(Error::new(
            Reason::HttpStatus,
            format!("the org answered {status}{}", quoted()),
        ));
    }
    // A redirect, or a 401 from the OAuth layer (`www-authenticate: ... error="..."`, or an OAuth `error` in the
    // body, as for a refused DPoP proof), is about the transport or the credential, not the org's state, unless a
    // step names that very code.
    let oauth_401 = status == 401 && (auth.contains("error=") || obs.body.get("error").is_some());
    if (oauth_401 || (300..400).contains(&status)) && !step.names_code(status) {
        let detail = match obs.body.get("error").and_then(Value::as_str) {
            Some(e) => format!(" {e}"),
            None if !auth.is_empty() => format!(" ({auth})"),
            None => String::new(),
        };
        return Outcome::Error(Error::new(
            Reason::HttpStatus,
            format!("the org answered {status}{}{detail}", quoted()),
        ));
    }
    if !(200..300).contains(&status) && !step.names_status() {
        return Outcome::Error(Error::new(
            Reason::HttpStatus,
            format!("the org answered {status}{}", quoted()),
        ));
    }
    for c in &step.captures {
        match capture(c, obs.body, b) {
            Ok(Some(v)) => {
                b.captures.insert(c.name.clone(), v);
            }
            Ok(None) => {}
            Err(e) => return Outcome::Error(e),
        }
    }
    for p in &step.skip_unless {
        match holds(p, Some(obs), b) {
            Ok(true) => {}
            Ok(false) => return Outcome::Skip(describe(p)),
            Err(e) => return Outcome::Error(Error::new(Reason::Input, e)),
        }
    }
    for p in &step.expect {
        match holds(p, Some(obs), b) {
            Ok(true) => {}
            Ok(false) => {
                let message = p.fail.as_ref().map(|t| t.render_lenient(&|p| b.get(p)));
                return Outcome::Fail(message);
            }
            Err(e) => return Outcome::Error(Error::new(Reason::Input, e)),
        }
    }
    Outcome::Continue
}

/// A precondition in words, for a skip's reason.
fn describe(p: &Predicate) -> String {
    match &p.subject {
        Subject::Capture(path) => format!("precondition not met: `{}`", path.join(".")),
        Subject::Status => "precondition not met: the status".into(),
        Subject::ErrorCode => "precondition not met: the error code".into(),
        Subject::Header(h) => format!("precondition not met: the header {h}"),
        Subject::Value(t) => format!("precondition not met: {}", t.source),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::model::Capture;
    use crate::checks::template::Template;
    use serde_json::json;
    use serde_json_path::JsonPath;

    fn app_capture(all: bool) -> Capture {
        Capture {
            name: "app".into(),
            source: "$[*]".into(),
            path: JsonPath::parse("$[*]").unwrap(),
            filter: vec![
                (vec!["name".into()], Template::parse("{{ app_name }}").unwrap()),
                (vec!["status".into()], Template::literal("ACTIVE")),
            ],
            all,
        }
    }

    fn bindings(app_name: &str) -> Bindings {
        let mut b = Bindings::default();
        b.params.insert("app_name".into(), Value::from(app_name));
        b
    }

    #[test]
    fn where_compares_values_and_never_widens_the_query() {
        let apps = json!([
            { "name": "okta_flow_sso", "label": "Okta Workflows", "status": "ACTIVE", "id": "1" },
            { "name": "flow", "label": "Okta Workflows OAuth", "status": "ACTIVE", "id": "2" },
            { "name": "bob's app", "label": "Bob's App", "status": "INACTIVE", "id": "3" },
        ]);
        let got = capture(&app_capture(false), &apps, &bindings("okta_flow_sso"))
            .unwrap()
            .unwrap();
        assert_eq!(got["id"], "1");
        // A quote or a JSONPath fragment in a value is only ever compared.
        for hostile in ["bob's app", "' || true || '", "*", "$[*]"] {
            assert_eq!(
                capture(&app_capture(false), &apps, &bindings(hostile)).unwrap(),
                None,
                "{hostile}"
            );
        }
    }

    #[test]
    fn several_matches_are_ambiguous_unless_all_is_asked_for() {
        let apps = json!([
            { "name": "flow", "status": "ACTIVE" },
            { "name": "flow", "status": "ACTIVE" },
        ]);
        let err = capture(&app_capture(false), &apps, &bindings("flow")).unwrap_err();
        assert_eq!(err.reason, Reason::Ambiguous);
        assert!(err.message.contains("ambiguous"), "{}", err.message);
        let all = capture(&app_capture(true), &apps, &bindings("flow")).unwrap().unwrap();
        assert_eq!(all.as_array().unwrap().len(), 2);
    }

    #[test]
    fn where_matches_one_item_of_a_list_field() {
        let apps = json!([
            { "id": "1", "settings": { "oauthClient": { "redirect_uris": ["https://a/cb", "https://b/cb"] } } },
            { "id": "2", "settings": { "oauthClient": { "redirect_uris": ["https://c/cb"] } } },
        ]);
        let c = Capture {
            name: "app".into(),
            source: "$[*]".into(),
            path: JsonPath::parse("$[*]").unwrap(),
            filter: vec![(
                vec!["settings".into(), "oauthClient".into(), "redirect_uris".into()],
                Template::literal("https://b/cb"),
            )],
            all: false,
        };
        let got = capture(&c, &apps, &Bindings::default()).unwrap().unwrap();
        assert_eq!(got["id"], "1");
    }

    #[test]
    fn predicates_judge_status_codes_headers_and_captures() {
        let body = json!({ "errorCode": "E0000015" });
        let headers = vec![(
            "www-authenticate".to_string(),
            "Bearer error=\"insufficient_scope\"".to_string(),
        )];
        let obs = Observed {
            status: 401,
            headers: &headers,
            body: &body,
        };
        let mut b = Bindings::default();
        b.captures
            .insert("grant_types".into(), json!(["authorization_code", "refresh_token"]));
        let p = |subject, test| Predicate {
            subject,
            test,
            fail: None,
        };
        let lit = |s: &str| Expected::Str(Template::literal(s));
        assert!(holds(&p(Subject::Status, Test::Equals(Expected::Int(401))), Some(&obs), &b).unwrap());
        assert!(
            !holds(
                &p(
                    Subject::Status,
                    Test::OneOf(vec![Expected::Int(200), Expected::Int(404)])
                ),
                Some(&obs),
                &b
            )
            .unwrap()
        );
        assert!(holds(&p(Subject::ErrorCode, Test::Equals(lit("E0000015"))), Some(&obs), &b).unwrap());
        assert!(
            holds(
                &p(
                    Subject::Header("www-authenticate".into()),
                    Test::Contains(lit("insufficient_scope"))
                ),
                Some(&obs),
                &b
            )
            .unwrap()
        );
        let gt = Subject::Capture(vec!["grant_types".into()]);
        assert!(holds(&p(gt.clone(), Test::Contains(lit("refresh_token"))), None, &b).unwrap());
        assert!(!holds(&p(gt.clone(), Test::Contains(lit("refresh"))), None, &b).unwrap());
        assert!(holds(&p(gt.clone(), Test::Count(Cmp::AtLeast, 2)), None, &b).unwrap());
        assert!(!holds(&p(gt, Test::Count(Cmp::Eq, 3)), None, &b).unwrap());
        let missing = Subject::Capture(vec!["nothing".into()]);
        assert!(holds(&p(missing.clone(), Test::Exists(false)), None, &b).unwrap());
        assert!(holds(&p(missing, Test::NotEquals(lit("x"))), None, &b).unwrap());
    }

    fn step(expect: Vec<Predicate>) -> Step {
        Step {
            method: crate::checks::path::Method::Get,
            path: crate::checks::path::PathTemplate::parse("/api/v1/authorizationServers").unwrap(),
            query: Vec::new(),
            captures: Vec::new(),
            skip_unless: Vec::new(),
            expect,
        }
    }

    fn status_is(code: i64) -> Predicate {
        Predicate {
            subject: Subject::Status,
            test: Test::Equals(Expected::Int(code)),
            fail: None,
        }
    }

    fn answer(step: &Step, status: u16, headers: &[(&str, &str)], body: Value) -> Outcome {
        let headers: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let obs = Observed {
            status,
            headers: &headers,
            body: &body,
        };
        judge(step, &obs, &mut Bindings::default())
    }

    fn error_text(o: Outcome) -> String {
        match o {
            Outcome::Error(e) => e.message,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn forced_errors_win_over_any_expectation() {
        // Even a step that names the status cannot turn these into pass or fail.
        let named = step(vec![status_is(200)]);
        let e = |code: &str| json!({ "errorCode": code, "errorSummary": "summary" });
        let scope = answer(
            &named,
            403,
            &[(
                "www-authenticate",
                "Bearer realm=\"x\", error=\"insufficient_scope\", scope=\"okta.logs.read\"",
            )],
            Value::Null,
        );
        assert_eq!(scope, Outcome::Error(Error::missing_scope("okta.logs.read")));
        assert!(error_text(answer(&named, 403, &[], e("E0000006"))).contains("admin role"));
        assert!(error_text(answer(&named, 403, &[], Value::Null)).starts_with("403"));
        assert!(error_text(answer(&named, 401, &[], e("E0000011"))).contains("token is invalid"));
        assert!(error_text(answer(&named, 429, &[], e("E0000047"))).contains("rate limited"));
        assert!(error_text(answer(&named, 503, &[], Value::Null)).contains("503"));
    }

    #[test]
    fn an_unnamed_status_must_be_2xx_and_a_named_one_is_judged() {
        let unnamed = step(Vec::new());
        assert_eq!(answer(&unnamed, 200, &[], json!([])), Outcome::Continue);
        let e = error_text(answer(
            &unnamed,
            404,
            &[],
            json!({ "errorCode": "E0000007", "errorSummary": "Not found" }),
        ));
        assert_eq!(e, "the org answered 404 E0000007: Not found");
        let named = step(vec![status_is(200)]);
        assert_eq!(
            answer(
                &named,
                401,
                &[],
                json!({ "errorCode": "E0000015", "errorSummary": "feature" })
            ),
            Outcome::Fail(None)
        );
        assert_eq!(answer(&named, 200, &[], json!([])), Outcome::Continue);
    }

    #[test]
    fn a_credential_401_or_a_redirect_is_an_error_even_where_a_status_is_named() {
        let named = step(vec![status_is(200)]);
        let proof = json!({ "error": "invalid_dpop_proof", "error_description": "bad proof" });
        let e = error_text(answer(&named, 401, &[], proof));
        assert_eq!(e, "the org answered 401 invalid_dpop_proof");
        let nonce = answer(
            &named,
            401,
            &[("www-authenticate", "DPoP error=\"use_dpop_nonce\"")],
            Value::Null,
        );
        assert!(error_text(nonce).contains("use_dpop_nonce"));
        assert!(error_text(answer(&named, 302, &[("location", "https://elsewhere/")], Value::Null)).contains("302"));
        // Named, the very code is judged.
        let redirect = step(vec![status_is(302)]);
        assert_eq!(answer(&redirect, 302, &[], Value::Null), Outcome::Continue);
    }
}
