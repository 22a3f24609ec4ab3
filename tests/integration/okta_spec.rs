//! The fake org answers in the real API's shapes: its response bodies are validated against the response schemas
//! of Okta's OpenAPI specs (extracted into `tests/fixtures/okta-spec/responses.json` by `extract.py` there).

use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::okta::{FakeOrg, Fault, TOKEN};
use crate::support::repo;

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = std::fs::read_to_string(repo().join("tests/fixtures/okta-spec/responses.json")).unwrap();
        let mut v: Value = serde_json::from_str(&text).unwrap();
        openapi_to_json_schema(&mut v);
        v
    })
}

/// OpenAPI 3.0 in JSON Schema (draft 4) terms: `nullable: true` adds the `null` type; a `oneOf` with a
/// `discriminator` (which picks one schema by a property's value) becomes `anyOf`, since the schemas it chooses
/// between need not exclude each other.
fn openapi_to_json_schema(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if o.contains_key("discriminator")
                && let Some(one) = o.remove("oneOf")
            {
                o.insert("anyOf".into(), one);
            }
            if o.get("nullable") == Some(&Value::Bool(true)) {
                o.remove("nullable");
                if let Some(Value::String(t)) = o.get("type").cloned() {
                    o.insert("type".into(), json!([t, "null"]));
                }
                if let Some(Value::Array(e)) = o.get_mut("enum") {
                    e.push(Value::Null);
                }
                if let Some(r) = o.remove("$ref") {
                    o.insert("anyOf".into(), json!([{ "$ref": r }, { "type": "null" }]));
                }
            }
            o.values_mut().for_each(openapi_to_json_schema);
        }
        Value::Array(a) => a.iter_mut().for_each(openapi_to_json_schema),
        _ => {}
    }
}

/// Validates `body` against the spec's schema for `endpoint` (e.g. `GET /api/v1/apps`) answering `status`.
fn validate(endpoint: &str, status: u16, body: &Value) {
    let schema = spec()["endpoints"][endpoint][status.to_string()].clone();
    assert!(schema.is_object(), "the spec has no {status} schema for {endpoint}");
    let mut root = schema;
    root["components"] = spec()["components"].clone();
    let validator = jsonschema::draft4::new(&root).unwrap_or_else(|e| panic!("{endpoint} {status}: {e}"));
    let errors = crate::support::violations(&validator, body);
    assert!(
        errors.is_empty(),
        "{endpoint} {status}: the fake's body does not match the spec:\n{}\n{body:#}",
        errors.join("\n")
    );
}

async fn get(client: &reqwest::Client, base: &str, path: &str) -> (u16, Value) {
    let r = client
        .get(format!("{base}{path}"))
        .header("authorization", format!("SSWS {TOKEN}"))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, json_of(r).await)
}

async fn json_of(r: reqwest::Response) -> Value {
    serde_json::from_slice(&r.bytes().await.unwrap()).unwrap_or(Value::Null)
}

#[test]
fn the_fake_orgs_bodies_match_the_spec() {
    let fake = FakeOrg::start("healthy");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = kb::runner::http::http_client(Duration::from_secs(10)).unwrap();
    let base = fake.url.clone();
    let cases: Vec<(&str, &str, u16)> = vec![
        ("GET /api/v1/apps", "/api/v1/apps?q=flow&limit=200", 200),
        (
            "GET /api/v1/apps",
            "/api/v1/apps?filter=name%20eq%20%22oidc_client%22&limit=200",
            200,
        ),
        ("GET /api/v1/apps/{appId}", "/api/v1/apps/0oa1portal0000000001", 200),
        ("GET /api/v1/apps/{appId}", "/api/v1/apps/0oa1flowsso00000001", 200),
        ("GET /api/v1/apps/{appId}", "/api/v1/apps/0oa1nosuchapp", 404),
        (
            "GET /api/v1/apps/{appId}/users/{userId}",
            "/api/v1/apps/0oa1portal0000000001/users/00u1alice0000000001",
            200,
        ),
        (
            "GET /api/v1/apps/{appId}/users/{userId}",
            "/api/v1/apps/0oa1flowsso00000001/users/00u1alice0000000001",
            200,
        ),
        // A login where the ID is required: not found, as in Okta.
        (
            "GET /api/v1/apps/{appId}/users/{userId}",
            "/api/v1/apps/0oa1portal0000000001/users/alice%40acme.test",
            404,
        ),
        (
            "GET /api/v1/apps/{appId}/grants",
            "/api/v1/apps/0oa1flow00000000002/grants",
            200,
        ),
        ("GET /api/v1/users/{id}", "/api/v1/users/me", 200),
        ("GET /api/v1/users/{id}", "/api/v1/users/bob%40acme.test", 200),
        ("GET /api/v1/users/{id}", "/api/v1/users/nobody%40acme.test", 404),
        (
            "GET /api/v1/users/{userId}/roles",
            "/api/v1/users/00u1alice0000000001/roles",
            200,
        ),
        (
            "GET /api/v1/users/{userId}/roles",
            "/api/v1/users/alice%40acme.test/roles",
            404,
        ),
        ("GET /api/v1/authorizationServers", "/api/v1/authorizationServers", 200),
        (
            "GET /.well-known/openid-configuration",
            "/.well-known/openid-configuration",
            200,
        ),
    ];
    rt.block_on(async {
        for (endpoint, path, want) in cases {
            let (status, body) = get(&client, &base, path).await;
            assert_eq!(status, want, "{path}: {body}");
            validate(endpoint, status, &body);
            if want == 200 && endpoint.ends_with("/apps") {
                assert!(body.as_array().is_some_and(|a| !a.is_empty()), "{path}");
            }
        }
        // Errors the faults produce.
        fake.inject(Fault::Denied {
            path: "/api/v1/apps/".into(),
        });
        let (status, body) = get(&client, &base, "/api/v1/apps/0oa1portal0000000001").await;
        assert_eq!((status, body["errorCode"].as_str()), (403, Some("E0000006")));
        validate("GET /api/v1/apps/{appId}", 403, &body);
        fake.inject(Fault::TooMany {
            path: "/api/v1/users/".into(),
            times: 1,
            reset_in: 1,
        });
        let (status, body) = get(&client, &base, "/api/v1/users/me").await;
        assert_eq!((status, body["errorCode"].as_str()), (429, Some("E0000047")));
        validate("GET /api/v1/users/{id}", 429, &body);
        // The token endpoint's refusals.
        for (form, want) in [
            ([("grant_type", "password")], 400),
            ([("grant_type", "client_credentials")], 401),
        ] {
            let r = client
                .post(format!("{base}/oauth2/v1/token"))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), want);
            validate("POST /oauth2/v1/token", want, &json_of(r).await);
        }
    });
}

#[test]
fn the_validation_catches_a_wrong_shape() {
    // The check above can fail: a user whose `status` is not one of Okta's is refused.
    let bad = json!({ "id": "00u1", "status": "HAPPY", "profile": { "login": "a@b.c" } });
    let schema = spec()["endpoints"]["GET /api/v1/users/{id}"]["200"].clone();
    let mut root = schema;
    root["components"] = spec()["components"].clone();
    let validator = jsonschema::draft4::new(&root).unwrap();
    assert!(!validator.is_valid(&bad));
}
