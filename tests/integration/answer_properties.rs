//! Property tests of the rule that matters most: a check says `pass`, `fail` or "does not apply" only on an answer
//! kb read as the endpoint's JSON. Every check of the knowledge base is run once against the healthy fake org
//! through kb's own client, recording each step's answer; then, in process, each step in turn gets a hostile
//! answer (arbitrary bytes, arbitrary JSON, a mutation of the real answer, an error status without Okta's error
//! JSON) while the other steps get the recorded ones, and the verdict is checked against this file's own account of
//! what each endpoint answers (Okta's Management API spec).

use std::sync::OnceLock;

use kb::checks::answer::{self, Body, Response};
use kb::checks::eval::Reason;
use kb::checks::{Check, Evaluation, Next, Verdict};
use kb::runner::auth::Auth;
use kb::runner::client::{Client, Options};
use kb::runner::http::http_client;
use kb::runner::org::{Credential, Secret};
use proptest::prelude::*;
use serde_json::{Map, Value};
use url::Url;

use crate::support;
use crate::support::okta::{FakeOrg, TOKEN, fixture};

/// What an endpoint answers, as the spec gives it: a list of objects or an object, and the fields every object of
/// it carries (the schema's `required` fields, and `id` and `status`, which every example has).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Form {
    List,
    Object,
}

fn expected(path: &str) -> (Form, &'static [&'static str]) {
    const APP: &[&str] = &["id", "label", "signOnMode", "status"];
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api", "v1", "apps"] => (Form::List, APP),
        ["api", "v1", "apps", _] => (Form::Object, APP),
        ["api", "v1", "apps", _, "users", _] => (Form::Object, &["id", "status"]),
        ["api", "v1", "apps", _, "grants"] => (Form::List, &["id", "issuer", "scopeId", "status"]),
        ["api", "v1", "users", _] => (Form::Object, &["id", "status"]),
        ["api", "v1", "users", _, "roles"] => (Form::List, &["id", "status", "type"]),
        ["api", "v1", "authorizationServers"] => (Form::List, &["id", "status"]),
        ["api", "v1", "apps", _, "credentials", "keys"] => (Form::List, &[]),
        ["api", "v1", "users"] => (Form::List, &["id", "status"]),
        ["api", "v1", "api-tokens"] => (Form::List, &["id", "name"]),
        ["api", "v1", "eventHooks"] => (Form::List, &["channel", "events", "id", "name", "status"]),
        ["api", "v1", "groups", "rules"] => (Form::List, &["id", "status"]),
        ["api", "v1", "logStreams"] => (
            Form::List,
            &["_links", "created", "id", "lastUpdated", "name", "status", "type"],
        ),
        ["api", "v1", "authenticators"] => (Form::List, &["id", "status"]),
        ["api", "v1", "idps", "credentials", "keys"] => (Form::List, &[]),
        ["api", "v1", "domains"] => (Form::Object, &[]),
        ["api", "v1", "email-domains"] => (Form::List, &["displayName", "id", "userName"]),
        ["api", "v1", "agentPools"] => (Form::List, &["id"]),
        ["api", "v1", "apps", _, "users"] => (Form::List, &["id", "status"]),
        ["api", "v1", "apps", _, "connections", "default"] => (Form::Object, &["profile", "status"]),
        ["api", "v1", "authorizationServers", _, "claims" | "policies"] => (Form::List, &["id", "status"]),
        ["api", "v1", "inlineHooks"] => (Form::List, &["id", "status"]),
        ["api", "v1", "logs"] => (Form::List, &[]),
        ["api", "v1", "policies"] => (Form::List, &["id", "name", "status", "type"]),
        ["api", "v1", "policies", _, "rules"] => (Form::List, &["id", "status"]),
        ["api", "v1", "trustedOrigins"] => (Form::List, &["id", "status"]),
        ["api", "v1", "trustedOrigins", _] => (Form::Object, &["id", "status"]),
        [".well-known", "openid-configuration"] => (Form::Object, &[]),
        _ => panic!("a check reads {path}: say here what it answers"),
    }
}

/// Whether `v` is what the endpoint at `path` answers.
fn conforms(path: &str, v: &Value) -> bool {
    let (form, fields) = expected(path);
    let object = |v: &Value| v.as_object().is_some_and(|o| fields.iter().all(|f| o.contains_key(*f)));
    match (form, v) {
        (Form::List, Value::Array(items)) => items.iter().all(object),
        (Form::Object, v) => object(v),
        _ => false,
    }
}

/// One check of the knowledge base and the healthy org's answers to the steps it reached.
struct Recorded {
    article: usize,
    index: usize,
    /// The request path and the answer, per request (a `for_each` step makes several).
    answers: Vec<(String, Response)>,
    /// The step of each answer.
    steps: Vec<usize>,
}

fn vars() -> Map<String, Value> {
    fixture::load("healthy")
        .vars
        .into_iter()
        .map(|(k, v)| (k, Value::from(v)))
        .collect()
}

fn check_of(r: &Recorded) -> &'static Check {
    &support::knowledge_base().1.by_article[r.article][r.index]
}

/// The URL the answers were recorded from: checks compare values with it (`vars.org_url`).
fn org_url() -> &'static Url {
    &record().0
}

fn recorded() -> &'static [Recorded] {
    &record().1
}

/// Every check of the knowledge base, run once against the healthy fake org through kb's client.
fn record() -> &'static (Url, Vec<Recorded>) {
    static RECORDED: OnceLock<(Url, Vec<Recorded>)> = OnceLock::new();
    RECORDED.get_or_init(|| {
        let fake = FakeOrg::start("healthy");
        let url = Url::parse(&fake.url).unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (_, checks) = support::knowledge_base();
        let mut out = Vec::new();
        runtime.block_on(async {
            let http = http_client(std::time::Duration::from_secs(10)).unwrap();
            let auth = Auth::new(&url, &Credential::Ssws(Secret::new(TOKEN)), &[], http.clone()).unwrap();
            let client = Client::new(&url, http, auth, Options::default());
            for (article, list) in checks.by_article.iter().enumerate() {
                for (index, check) in list.iter().enumerate() {
                    let mut answers = Vec::new();
                    let mut steps = Vec::new();
                    let mut run = Evaluation::new(check, &vars(), &url);
                    while let Next::Fetch(request) = run.step() {
                        steps.push(run.current_step());
                        let response = client
                            .fetch(&request, check.scopes())
                            .await
                            .expect("the healthy org answers");
                        answers.push((request.url.path().to_string(), (*response).clone()));
                        run.answer(&response);
                    }
                    out.push(Recorded {
                        article,
                        index,
                        answers,
                        steps,
                    });
                }
            }
        });
        assert!(
            out.iter().map(|r| r.answers.len()).sum::<usize>() >= 20,
            "the checks' steps were reached"
        );
        (url, out)
    })
}

/// Every (check, step) a hostile answer can be put at.
fn positions() -> Vec<(&'static Recorded, usize)> {
    recorded()
        .iter()
        .flat_map(|r| (0..r.answers.len()).map(move |i| (r, i)))
        .collect()
}

/// The verdict of `r`'s check when step `at` is answered `hostile` and the others as the healthy org did.
fn verdict_with(r: &Recorded, at: usize, hostile: &Response) -> Verdict {
    let mut run = Evaluation::new(check_of(r), &vars(), org_url());
    let mut step = 0;
    loop {
        match run.step() {
            Next::Fetch(_) => {
                let fallback = Response {
                    status: 500,
                    headers: Vec::new(),
                    body: Body::Empty,
                };
                let answer = if step == at {
                    hostile
                } else {
                    r.answers.get(step).map_or(&fallback, |(_, a)| a)
                };
                run.answer(answer);
                step += 1;
            }
            Next::Done(v) => return v,
        }
    }
}

fn ok(body: Body) -> Response {
    Response {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body,
    }
}

/// Asserts that the verdict is an error with reason `body`.
fn assert_body_error(v: &Verdict, what: &str) -> Result<(), TestCaseError> {
    match v {
        Verdict::Error(e) if e.reason == Reason::Body => Ok(()),
        other => Err(TestCaseError::fail(format!("{what}: {other:?}"))),
    }
}

/// Field names the knowledge base's checks read, and others.
const KEYS: &[&str] = &[
    "id",
    "name",
    "label",
    "status",
    "signOnMode",
    "type",
    "scopeId",
    "issuer",
    "profile",
    "login",
    "settings",
    "oauthClient",
    "redirect_uris",
    "grant_types",
    "errorCode",
    "x",
];
const WORDS: &[&str] = &[
    "ACTIVE",
    "okta_flow_sso",
    "flow",
    "SUPER_ADMIN",
    "okta.logs.read",
    "oidc_client",
    "00u1alice0000000001",
];

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z0-9_ ]{0,8}".prop_map(Value::from),
        prop::sample::select(WORDS).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(prop::sample::select(KEYS), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

/// A change to a real answer: a field dropped, an item or a field's value replaced by another kind, the answer
/// unwrapped from its list or wrapped in one.
#[derive(Debug, Clone)]
enum Mutation {
    Drop(usize, usize),
    Replace(usize, usize, Value),
    Item(usize, Value),
    Unwrap,
    Wrap,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(o, f)| Mutation::Drop(o, f)),
        (any::<usize>(), any::<usize>(), json()).prop_map(|(o, f, v)| Mutation::Replace(o, f, v)),
        (any::<usize>(), json()).prop_map(|(i, v)| Mutation::Item(i, v)),
        Just(Mutation::Unwrap),
        Just(Mutation::Wrap),
    ]
}

/// The `n`th object of an answer (modulo their number): the answer itself, or one of its items.
fn object_at(v: &mut Value, n: usize) -> Option<&mut Map<String, Value>> {
    match v {
        Value::Object(o) => Some(o),
        Value::Array(items) => {
            let objects: Vec<&mut Map<String, Value>> = items.iter_mut().filter_map(Value::as_object_mut).collect();
            let count = objects.len();
            objects.into_iter().nth(n % count.max(1))
        }
        _ => None,
    }
}

fn mutate(good: &Value, m: &Mutation) -> Value {
    let mut v = good.clone();
    match m {
        Mutation::Drop(o, f) | Mutation::Replace(o, f, _) => {
            if let Some(obj) = object_at(&mut v, *o) {
                let keys: Vec<String> = obj.keys().cloned().collect();
                if let Some(k) = keys.get(f % keys.len().max(1)) {
                    match m {
                        Mutation::Replace(_, _, new) => {
                            obj.insert(k.clone(), new.clone());
                        }
                        _ => {
                            obj.remove(k);
                        }
                    }
                }
            }
        }
        Mutation::Item(i, new) => match &mut v {
            Value::Array(items) if !items.is_empty() => {
                let n = items.len();
                items[i % n] = new.clone();
            }
            other => *other = new.clone(),
        },
        Mutation::Unwrap => {
            if let Value::Array(items) = &v {
                v = items.first().cloned().unwrap_or(Value::Null);
            }
        }
        Mutation::Wrap => v = Value::Array(vec![v]),
    }
    v
}

/// A position, and text that is not JSON or not all of it for it: what proxies and broken servers send, and the
/// position's real answer cut short.
fn position_and_garbage() -> impl Strategy<Value = (usize, Vec<u8>)> {
    (0..positions().len()).prop_flat_map(|i| {
        let (r, at) = positions()[i];
        let good = r.answers[at].1.body.json().map(|v| v.to_string()).unwrap_or_default();
        (Just(i), garbage(good.into_bytes()))
    })
}

fn garbage(good: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let cut = good.len().max(1);
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..96),
        Just(b"<html><head><title>Sign in</title></head></html>".to_vec()),
        Just(vec![0u8; 64]),
        (0..cut).prop_map(move |n| good[..n].to_vec()),
        "[\\[{\"a-z:,0-9 \\]}]{0,40}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Bytes that are not JSON, at any step of any check: always an error (reason `body`), never a verdict.
    #[test]
    fn bytes_that_are_not_json_are_never_judged((i, bytes) in position_and_garbage()) {
        let (r, at) = positions()[i];
        let (body, _) = answer::parse(&bytes, Some("application/json"), 1 << 20);
        let verdict = verdict_with(r, at, &ok(body));
        let path = &r.answers[at].0;
        match serde_json::from_slice::<Value>(&bytes) {
            Err(_) => assert_body_error(&verdict, &format!("{path} answered {:?}", String::from_utf8_lossy(&bytes)))?,
            Ok(v) if !conforms(path, &v) => assert_body_error(&verdict, &format!("{path} answered {v}"))?,
            Ok(_) => {}
        }
    }

    /// Arbitrary JSON at every step of every check: what is not the endpoint's shape is an error, never a `pass`,
    /// a `fail` or a `skip`.
    #[test]
    fn json_of_the_wrong_shape_is_never_judged(v in json()) {
        for (r, at) in positions() {
            let path = &r.answers[at].0;
            if !conforms(path, &v) {
                let verdict = verdict_with(r, at, &ok(Body::Json(v.clone())));
                assert_body_error(&verdict, &format!("{} step {at} ({path}) answered {v}", check_of(r).id))?;
            }
        }
    }

    /// The real answer changed a little (a field gone, a value of another kind, unwrapped, wrapped): judged only
    /// while it is still the endpoint's shape.
    #[test]
    fn a_real_answer_changed_is_judged_only_while_it_keeps_its_shape(pick in any::<prop::sample::Index>(), m in mutation()) {
        let all = positions();
        let (r, at) = all[pick.index(all.len())];
        let (path, good) = &r.answers[at];
        let Some(good) = good.body.json() else { return Ok(()) };
        let v = mutate(good, &m);
        let verdict = verdict_with(r, at, &ok(Body::Json(v.clone())));
        if !conforms(path, &v) {
            assert_body_error(&verdict, &format!("{} step {at} ({path}) answered {v} ({m:?})", check_of(r).id))?;
        }
    }

    /// An error status a step names (404 "not assigned", 401 E0000015) counts only with Okta's error JSON: a page,
    /// bytes or JSON without an `errorCode` is an error, never a finding.
    #[test]
    fn a_named_error_status_without_oktas_error_json_is_never_judged(
        pick in any::<prop::sample::Index>(),
        status in prop::sample::select(vec![401u16, 404]),
        v in json(),
        bytes in prop::collection::vec(any::<u8>(), 0..64),
        as_bytes in any::<bool>(),
    ) {
        let named: Vec<_> = positions()
            .into_iter()
            .filter(|(r, at)| check_of(r).steps()[r.steps[*at]].names_status())
            .collect();
        prop_assume!(!named.is_empty());
        let (r, at) = named[pick.index(named.len())];
        let body = if as_bytes { answer::parse(&bytes, Some("text/html"), 1 << 20).0 } else { Body::Json(v) };
        let okta_error = body.json().and_then(|j| j.get("errorCode")).is_some_and(Value::is_string);
        prop_assume!(!okta_error);
        let verdict = verdict_with(r, at, &Response { status, headers: Vec::new(), body: body.clone() });
        prop_assert!(matches!(verdict, Verdict::Error(_)), "{status} {body:?}: {verdict:?}");
    }
}

/// The recorded answers are the healthy org's, and with them every check passes or does not apply: the baseline
/// the properties change one answer of.
#[test]
fn the_recorded_answers_give_the_healthy_verdicts() {
    for r in recorded() {
        let check = check_of(r);
        let mut at = 0;
        let v = check.evaluate(&vars(), org_url(), &mut |_| {
            at += 1;
            r.answers[at - 1].1.clone()
        });
        assert!(matches!(v, Verdict::Pass | Verdict::Skip(_)), "{}: {v:?}", check.id);
        for (path, answer) in &r.answers {
            let json = answer.body.json().expect("JSON");
            if (200..300).contains(&answer.status) {
                assert!(conforms(path, json), "{path}: {json}");
            }
        }
    }
}
