//! Unit tests of `eval`: captures, predicates, and the rules every answer is judged by.

use super::*;
use crate::checks::answer::Body;
use crate::checks::model::Capture;
use crate::checks::path::Method;
use crate::checks::template::Template;
use serde_json::json;
use serde_json_path::JsonPath;

fn app_capture(all: bool) -> Capture {
    Capture {
        name: "app".into(),
        source: "$[*]".into(),
        path: JsonPath::parse("$[*]").unwrap(),
        plain: shape::plain("$[*]"),
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
        plain: shape::plain("$[*]"),
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
    let body = Body::Json(json!({ "errorCode": "E0000015" }));
    let headers = vec![(
        "www-authenticate".to_string(),
        "Bearer error=\"insufficient_scope\"".to_string(),
    )];
    let obs = Observed {
        method: Method::Get,
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
        each: None,
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
    on("/api/v1/authorizationServers", expect)
}

fn on(path: &str, expect: Vec<Predicate>) -> Step {
    let path = crate::checks::path::PathTemplate::parse(path).unwrap();
    Step {
        method: crate::checks::path::Method::Get,
        endpoint: shape::endpoint(&path.segments),
        path,
        query: Vec::new(),
        for_each: None,
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
        each: None,
    }
}

fn answer(step: &Step, status: u16, headers: &[(&str, &str)], body: Body) -> Outcome {
    let headers: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let obs = Observed {
        method: step.method,
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
    let e = |code: &str| Body::Json(json!({ "errorCode": code, "errorSummary": "summary" }));
    let scope = answer(
        &named,
        403,
        &[(
            "www-authenticate",
            "Bearer realm=\"x\", error=\"insufficient_scope\", scope=\"okta.logs.read\"",
        )],
        Body::Empty,
    );
    assert_eq!(scope, Outcome::Error(Error::missing_scope("okta.logs.read")));
    assert!(error_text(answer(&named, 403, &[], e("E0000006"))).contains("admin role"));
    assert!(error_text(answer(&named, 403, &[], Body::Empty)).starts_with("403"));
    assert!(error_text(answer(&named, 401, &[], e("E0000011"))).contains("token is invalid"));
    assert!(error_text(answer(&named, 429, &[], e("E0000047"))).contains("rate limited"));
    assert!(error_text(answer(&named, 503, &[], Body::Empty)).contains("503"));
}

#[test]
fn an_unnamed_status_must_be_2xx_and_a_named_one_is_judged() {
    let unnamed = step(Vec::new());
    assert_eq!(answer(&unnamed, 200, &[], Body::Json(json!([]))), Outcome::Continue);
    let e = error_text(answer(
        &unnamed,
        404,
        &[],
        Body::Json(json!({ "errorCode": "E0000007", "errorSummary": "Not found" })),
    ));
    assert_eq!(e, "the org answered 404 E0000007: Not found");
    let named = step(vec![status_is(200)]);
    assert_eq!(
        answer(
            &named,
            401,
            &[],
            Body::Json(json!({ "errorCode": "E0000015", "errorSummary": "feature" }))
        ),
        Outcome::Fail(Failure {
            detail: "the status is 401".into(),
            ..Failure::default()
        })
    );
    assert_eq!(answer(&named, 200, &[], Body::Json(json!([]))), Outcome::Continue);
}

#[test]
fn a_credential_401_or_a_redirect_is_an_error_even_where_a_status_is_named() {
    let named = step(vec![status_is(200)]);
    let proof = json!({ "error": "invalid_dpop_proof", "error_description": "bad proof" });
    let e = error_text(answer(&named, 401, &[], Body::Json(proof)));
    assert_eq!(e, "the org answered 401 invalid_dpop_proof");
    let nonce = answer(
        &named,
        401,
        &[("www-authenticate", "DPoP error=\"use_dpop_nonce\"")],
        Body::Empty,
    );
    assert!(error_text(nonce).contains("use_dpop_nonce"));
    assert!(error_text(answer(&named, 302, &[("location", "https://elsewhere/")], Body::Empty)).contains("302"));
    // Named, the very code is judged, but only on Okta's error JSON: a redirect carries none.
    let redirect = step(vec![status_is(302)]);
    let Outcome::Error(e) = answer(&redirect, 302, &[], Body::Empty) else {
        panic!("a bare redirect is not a verdict")
    };
    assert_eq!(
        (e.reason, e.message.as_str()),
        (
            Reason::Body,
            "the org answered 302 with no body, not Okta's error JSON (an `errorCode`)"
        )
    );
}

fn body_error(o: Outcome) -> String {
    match o {
        Outcome::Error(e) if e.reason == Reason::Body => e.message,
        other => panic!("expected a body error, got {other:?}"),
    }
}

#[test]
fn a_2xx_is_judged_only_as_the_endpoints_json() {
    // A status-only step still needs the endpoint's JSON: a proxy's page, an empty body, the wrong shape.
    let status_only = on("/api/v1/apps/{{ app }}/users/{{ user }}", vec![status_is(200)]);
    let page = Body::Unreadable("text/html (12 bytes), not JSON (expected value at line 1 column 1): `<html>`".into());
    assert_eq!(
        body_error(answer(&status_only, 200, &[], page)),
        "the org answered 200 with text/html (12 bytes), not JSON (expected value at line 1 column 1): `<html>`"
    );
    assert_eq!(
        body_error(answer(&status_only, 200, &[], Body::Empty)),
        "the org answered 200 with no body, where the endpoint answers JSON"
    );
    assert_eq!(
        body_error(answer(&status_only, 200, &[], Body::Json(json!({ "ok": true })))),
        "the org answered 200 with an object without `id`, which GET /api/v1/apps/{appId}/users/{userId} always \
         carries: `{\"ok\":true}`"
    );
    let app_user = json!({ "id": "00u1", "status": "ACTIVE", "scope": "USER" });
    assert_eq!(answer(&status_only, 200, &[], Body::Json(app_user)), Outcome::Continue);
    let list = on("/api/v1/apps", Vec::new());
    let e = body_error(answer(&list, 200, &[], Body::Json(json!("apps"))));
    assert_eq!(
        e,
        "the org answered 200 with a JSON string, not the list GET /api/v1/apps gives: `\"apps\"`"
    );
    let e = body_error(answer(&list, 200, &[], Body::Json(json!([[]]))));
    assert!(e.contains("a list whose item 1 is a list, not an object"), "{e}");
    assert_eq!(answer(&list, 200, &[], Body::Json(json!([]))), Outcome::Continue);
}

#[test]
fn a_named_error_status_counts_only_with_oktas_error_json() {
    let assigned = on("/api/v1/apps/{{ app }}/users/{{ user }}", vec![status_is(200)]);
    let not_found = Body::Json(json!({ "errorCode": "E0000007", "errorSummary": "Not found: Resource not found" }));
    assert!(matches!(
        answer(&assigned, 404, &[], not_found),
        Outcome::Fail(Failure { message: None, .. })
    ));
    let page =
        Body::Unreadable("text/html (9 bytes), not JSON (expected value at line 1 column 1): `Not Found`".into());
    let e = body_error(answer(&assigned, 404, &[], page));
    assert!(
        e.starts_with("the org answered 404 with text/html (9 bytes), not JSON"),
        "{e}"
    );
    assert!(e.ends_with("not Okta's error JSON (an `errorCode`)"), "{e}");
    assert!(
        body_error(answer(&assigned, 404, &[], Body::Json(json!({ "message": "nope" }))))
            .contains("not Okta's error JSON")
    );
    // Unnamed, an unreadable error body still names its status.
    let unnamed = on("/api/v1/apps", Vec::new());
    let page = Body::Unreadable("text/html (3 bytes), not JSON (expected value at line 1 column 1): `Bad`".into());
    let Outcome::Error(e) = answer(&unnamed, 502, &[], page) else {
        panic!()
    };
    assert_eq!(e.reason, Reason::HttpStatus);
    assert!(
        e.message.starts_with("the org answered 502 with text/html"),
        "{}",
        e.message
    );
}

#[test]
fn the_orgs_words_are_quoted_without_control_characters() {
    let unnamed = on("/api/v1/apps", Vec::new());
    let body = Body::Json(json!({ "errorCode": "E0000001", "errorSummary": "bad\u{1b}[2J\nthing" }));
    let Outcome::Error(e) = answer(&unnamed, 400, &[], body) else {
        panic!()
    };
    assert_eq!(e.message, "the org answered 400 E0000001: bad\\u{1b}[2J\\nthing");
}

#[test]
fn a_head_answer_counts_only_when_it_says_json() {
    let head = Step {
        method: Method::Head,
        ..on("/api/v1/apps", vec![status_is(200)])
    };
    assert_eq!(
        answer(
            &head,
            200,
            &[("content-type", "application/json;charset=UTF-8")],
            Body::Empty
        ),
        Outcome::Continue
    );
    let e = body_error(answer(&head, 200, &[("content-type", "text/html")], Body::Empty));
    assert_eq!(
        e,
        "the org answered 200 with text/html to a HEAD request, not the JSON the endpoint answers"
    );
    assert!(body_error(answer(&head, 200, &[], Body::Empty)).contains("no content type"));
}

#[test]
fn where_fields_of_the_wrong_type_are_a_wrong_shape_not_no_match() {
    let apps = json!([{ "id": "1", "name": { "first": "okta_flow_sso" }, "status": "ACTIVE" }]);
    let e = capture(&app_capture(false), &apps, &bindings("okta_flow_sso")).unwrap_err();
    assert_eq!(e.reason, Reason::Body);
    assert!(
        e.message.contains("`name` is an object, which `where` cannot compare"),
        "{}",
        e.message
    );
}
