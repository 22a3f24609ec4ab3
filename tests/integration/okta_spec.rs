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
///
/// One pattern of the spec is mended: the ISO 8601 duration of `TimeDuration` (an API token's `tokenWindow`) is
/// written `^P(?:$)(\d+Y)?...(T(?:\d)...)?$`, which only `P` matches, not even the spec's own example `P30D`; its
/// `(?:$)` and `(?:\d)` are lookaheads (`(?!$)`, `(?=\d)`) written as groups.
fn openapi_to_json_schema(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(p)) = o.get_mut("pattern")
                && p.starts_with("^P(?:$)")
            {
                *p = p.replace("^P(?:$)", "^P(?!$)").replace("(T(?:\\d)", "(T(?=\\d)");
            }
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

/// The answers of the healthy fake org validated against the spec: `(endpoint, path, status)`.
fn cases() -> Vec<(&'static str, &'static str, u16)> {
    vec![
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
        (
            "GET /api/v1/apps/{appId}/credentials/keys",
            "/api/v1/apps/0oa1flowsso00000001/credentials/keys",
            200,
        ),
        ("GET /api/v1/users", "/api/v1/users?limit=200", 200),
        (
            "GET /api/v1/users",
            "/api/v1/users?filter=status%20eq%20%22SUSPENDED%22",
            200,
        ),
        ("GET /api/v1/api-tokens", "/api/v1/api-tokens", 200),
        ("GET /api/v1/eventHooks", "/api/v1/eventHooks", 200),
        ("GET /api/v1/groups/rules", "/api/v1/groups/rules?limit=200", 200),
        ("GET /api/v1/domains", "/api/v1/domains", 200),
        ("GET /api/v1/logStreams", "/api/v1/logStreams", 200),
        ("GET /api/v1/authenticators", "/api/v1/authenticators", 200),
        (
            "GET /api/v1/idps/credentials/keys",
            "/api/v1/idps/credentials/keys",
            200,
        ),
    ]
}

/// Every endpoint a check of the knowledge base reads has its answers validated above.
#[test]
fn the_fake_answers_of_every_endpoint_a_check_reads_are_validated() {
    let (_, checks) = crate::support::knowledge_base();
    let mut validated: Vec<String> = cases().into_iter().map(|(e, _, _)| e.to_string()).collect();
    // The healthy org's generic resources are validated by `every_resource_of_every_org_matches_the_spec`.
    let healthy = crate::support::okta::fixture::load("healthy");
    for r in healthy.resources.values() {
        let one = r
            .body
            .get("id")
            .and_then(|v| v.as_str())
            .map(|id| format!("{}/{id}", r.list));
        validated.extend(
            [Some(r.list.clone()), one]
                .into_iter()
                .flatten()
                .filter_map(|p| template_of(&p)),
        );
    }
    let defs = checks.library.definitions.values().map(|d| &**d);
    let own = checks
        .by_article
        .iter()
        .flatten()
        .filter(|c| c.uses.is_none())
        .map(|c| &*c.definition);
    for def in defs.chain(own) {
        for step in &def.steps {
            let e = step.endpoint.map(|e| format!("GET {}", e.path)).unwrap_or_default();
            assert!(
                validated.contains(&e),
                "{}: {e} is read but its fake answer is not validated",
                def.path
            );
        }
    }
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
    rt.block_on(async {
        for (endpoint, path, want) in cases() {
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

/// The spec's GET endpoint a concrete path is an instance of (`/api/v1/policies/00p1/rules` →
/// `GET /api/v1/policies/{policyId}/rules`), among those `responses.json` holds.
fn template_of(path: &str) -> Option<String> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let endpoints = spec()["endpoints"].as_object().unwrap();
    endpoints.keys().find_map(|e| {
        let p = e.strip_prefix("GET ")?;
        let parts: Vec<&str> = p.trim_matches('/').split('/').collect();
        let fits = parts.len() == segs.len()
            && parts
                .iter()
                .zip(&segs)
                .all(|(a, b)| a == b || (a.starts_with('{') && a.ends_with('}')));
        fits.then(|| e.clone())
    })
}

/// Every generic resource of every org fixture (healthy and broken) is answered, listed and alone, in the shape
/// the spec gives its endpoint.
#[test]
fn every_resource_of_every_org_matches_the_spec() {
    use crate::support::okta::fixture;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = kb::runner::http::http_client(Duration::from_secs(10)).unwrap();
    let mut names = vec!["healthy".to_string()];
    names.extend(fixture::broken().into_iter().map(|s| format!("broken/{s}")));
    let mut seen = 0;
    for name in names {
        let org = fixture::load(&name);
        let fake = FakeOrg::serve(org.clone());
        rt.block_on(async {
            for (key, r) in &org.resources {
                // An org without API Access Management answers E0000015 for every authorization server.
                if !org.org.api_access_management && r.list.starts_with("/api/v1/authorizationServers/") {
                    continue;
                }
                let id = r.body.get("id").and_then(|v| v.as_str());
                let one = id.map(|id| format!("{}/{id}", r.list));
                // A list the spec has (else an object the spec serves alone only, like an app's default
                // provisioning connection).
                match template_of(&r.list) {
                    Some(list) => {
                        let query: String = url::form_urlencoded::Serializer::new(String::new())
                            .extend_pairs(r.query.iter())
                            .finish();
                        let (status, body) = get(&client, &fake.url, &format!("{}?{query}", r.list)).await;
                        assert_eq!(status, 200, "{name}: resources.{key}: {body}");
                        // The resource itself is in the list (the pages hold two each: follow none, look at all).
                        let (_, all) = get(&client, &fake.url, &format!("{}?{query}&limit=200", r.list)).await;
                        let listed = match &id {
                            Some(id) => all.as_array().is_some_and(|items| items.iter().any(|i| i["id"] == *id)),
                            None => all.as_array().is_some_and(|items| !items.is_empty()),
                        };
                        assert!(listed, "{name}: resources.{key} is not listed: {body}");
                        validate(&list, 200, &body);
                    }
                    None => assert!(
                        one.as_deref().and_then(template_of).is_some(),
                        "{name}: resources.{key}: neither {} nor its items are GETs of responses.json (add them to \
                         extract.py)",
                        r.list
                    ),
                }
                if let Some((one, endpoint)) = one.as_ref().and_then(|o| Some((o, template_of(o)?))) {
                    let (status, body) = get(&client, &fake.url, one).await;
                    assert_eq!(status, 200, "{name}: {one}: {body}");
                    validate(&endpoint, 200, &body);
                }
                seen += 1;
            }
        });
    }
    assert!(seen > 0, "no resources");
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
    // The mended duration pattern still refuses what is not an ISO 8601 duration.
    let mut root = spec()["endpoints"]["GET /api/v1/api-tokens"]["200"].clone();
    root["components"] = spec()["components"].clone();
    let validator = jsonschema::draft4::new(&root).unwrap();
    let token = |window: &str| json!([{ "name": "CI", "tokenWindow": window }]);
    assert!(validator.is_valid(&token("P30D")) && validator.is_valid(&token("PT5M")));
    assert!(!validator.is_valid(&token("thirty days")) && !validator.is_valid(&token("P")));
}

// --- kb's requests ------------------------------------------------------------------------------------------------

/// What each GET of Okta's specs takes as query parameters (`tests/fixtures/okta-spec/queries.json`, from
/// `extract.py`).
fn queries() -> &'static std::collections::BTreeMap<String, Vec<String>> {
    static QUERIES: OnceLock<std::collections::BTreeMap<String, Vec<String>>> = OnceLock::new();
    QUERIES.get_or_init(|| {
        let text = std::fs::read_to_string(repo().join("tests/fixtures/okta-spec/queries.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    })
}

/// What is wrong with a definition's requests against the spec: a path that is no GET endpoint of it, a query
/// parameter the endpoint does not declare.
fn request_violations(name: &str, def: &kb::checks::model::Definition) -> Vec<String> {
    let mut out = Vec::new();
    for (i, step) in def.steps.iter().enumerate() {
        let Some(endpoint) = step.endpoint else {
            out.push(format!(
                "{name} step {}: {} is no GET endpoint of Okta's spec",
                i + 1,
                shown(step)
            ));
            continue;
        };
        let declared = &queries()[&format!("GET {}", endpoint.path)];
        for (k, _) in &step.query {
            if !declared.contains(k) {
                out.push(format!(
                    "{name} step {}: GET {} takes no query parameter `{k}` (it takes: {})",
                    i + 1,
                    endpoint.path,
                    declared.join(", ")
                ));
            }
        }
    }
    out
}

fn shown(step: &kb::checks::model::Step) -> String {
    use kb::checks::path::Segment;
    let segments: Vec<String> = step
        .path
        .segments
        .iter()
        .map(|s| match s {
            Segment::Literal(l) => l.clone(),
            Segment::Value(_) => "{value}".into(),
        })
        .collect();
    format!("/{}", segments.join("/"))
}

#[test]
fn every_request_a_check_can_make_is_one_okta_s_spec_describes() {
    let (_, checks) = crate::support::knowledge_base();
    let mut wrong = Vec::new();
    let mut steps = 0;
    for (name, def) in &checks.library.definitions {
        steps += def.steps.len();
        wrong.extend(request_violations(name, def));
    }
    for c in checks.by_article.iter().flatten().filter(|c| c.uses.is_none()) {
        steps += c.steps().len();
        wrong.extend(request_violations(&c.id, &c.definition));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(steps >= 25, "only {steps} steps");
}

#[test]
fn a_request_the_spec_does_not_describe_is_caught() {
    let text = "id = \"x\"\ntitle = \"t\"\nscopes = [\"okta.apps.read\"]\n\
                [[step]]\nget = \"/api/v1/apps\"\nquery = { serach = \"x\" }\n\
                [[step]]\nget = \"/api/v1/apps/{{ vars.admin }}/users/{{ vars.admin }}/roles\"\n";
    let (checks, diags) = crate::support::check_block_of(text);
    assert!(diags.is_empty(), "kb's own validation accepts it: {diags:?}");
    let wrong = request_violations("x", &checks[0].definition);
    assert_eq!(wrong.len(), 2, "{wrong:?}");
    assert!(
        wrong[0].contains("GET /api/v1/apps takes no query parameter `serach`"),
        "{}",
        wrong[0]
    );
    assert!(
        wrong[1].contains("/api/v1/apps/{value}/users/{value}/roles is no GET endpoint"),
        "{}",
        wrong[1]
    );
}
