//! What the knowledge base's checks conclude about an org: each seed article's checks against canned responses
//! shaped like Okta's (a healthy org, and an org with each article's problem). The runner only adds the network.

use kb::checks::eval::{Error, Reason};
use kb::checks::path::Request;
use kb::checks::{Body, Check, Response, SkipReason, Skipped, Verdict};
use serde_json::{Map, Value, json};
use url::Url;

use crate::support;

/// An org's state, as far as the seed articles' checks can see it.
#[derive(Clone)]
struct Org {
    workflows: bool,
    assigned: bool,
    grants: Vec<&'static str>,
    super_admin: bool,
    api_access_management: bool,
    /// Two apps named `flow` (an ambiguous lookup).
    duplicate_flow: bool,
    /// Every call answers 403 insufficient_scope naming this scope.
    missing_scope: Option<&'static str>,
    /// The grant types of an OIDC web app that lists the Workflows callback (the org is a connector target).
    connector_app: Option<Vec<&'static str>>,
}

impl Org {
    fn healthy() -> Org {
        Org {
            workflows: true,
            assigned: true,
            grants: vec!["okta.logs.read", "okta.users.read", "okta.groups.read"],
            super_admin: true,
            api_access_management: true,
            duplicate_flow: false,
            missing_scope: None,
            connector_app: None,
        }
    }

    fn apps(&self) -> Vec<Value> {
        let mut apps = vec![
            json!({ "id": "0oaSAMPLE", "name": "flow_sample", "label": "Flow Sample", "status": "ACTIVE", "signOnMode": "AUTO_LOGIN" }),
        ];
        if self.workflows {
            apps.push(json!({ "id": "0oaWF", "name": "okta_flow_sso", "label": "Okta Workflows", "status": "ACTIVE", "signOnMode": "SAML_2_0" }));
            apps.push(json!({ "id": "0oaFLOW", "name": "flow", "label": "Okta Workflows OAuth", "status": "ACTIVE", "signOnMode": "OPENID_CONNECT" }));
        }
        if self.duplicate_flow {
            apps.push(json!({ "id": "0oaFLOW2", "name": "flow", "label": "Okta Workflows OAuth", "status": "ACTIVE", "signOnMode": "OPENID_CONNECT" }));
        }
        apps
    }

    fn respond(&self, req: &Request) -> Response {
        let ok = |body: Value| Response {
            status: 200,
            headers: Vec::new(),
            body: Body::Json(body),
        };
        let error = |status: u16, code: &str, summary: &str| Response {
            status,
            headers: Vec::new(),
            body: Body::Json(
                json!({ "errorCode": code, "errorSummary": summary, "errorLink": code, "errorId": "oae1", "errorCauses": [] }),
            ),
        };
        if let Some(scope) = self.missing_scope {
            return Response {
                status: 403,
                headers: vec![(
                    "www-authenticate".into(),
                    format!("Bearer realm=\"IdpMyAccountAPI\", error=\"insufficient_scope\", scope=\"{scope}\""),
                )],
                body: Body::Empty,
            };
        }
        let query: Map<String, Value> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), Value::from(v.into_owned())))
            .collect();
        let segments: Vec<&str> = req.url.path_segments().unwrap().collect();
        match segments.as_slice() {
            ["api", "v1", "apps"] => {
                let q = query.get("q").and_then(Value::as_str).unwrap_or_default().to_lowercase();
                // `q` is a case-insensitive prefix search on name and label; `filter` is not used by these checks' org.
                if let Some(filter) = query.get("filter") {
                    assert_eq!(filter, "name eq \"oidc_client\"");
                    let apps = self.connector_app.iter().map(|grants| {
                        json!({ "id": "0oaOIDC", "name": "oidc_client", "label": "Workflows connector", "status": "ACTIVE", "signOnMode": "OPENID_CONNECT",
                                "settings": { "oauthClient": { "application_type": "web", "grant_types": grants,
                                    "redirect_uris": ["https://example.com/cb", "https://oauth.workflows.okta.com/oauth/okta/cb"] } } })
                    });
                    return ok(Value::Array(apps.collect()));
                }
                let found: Vec<Value> = self
                    .apps()
                    .into_iter()
                    .filter(|a| {
                        a["name"].as_str().unwrap().to_lowercase().starts_with(&q)
                            || a["label"].as_str().unwrap().to_lowercase().starts_with(&q)
                    })
                    .collect();
                ok(Value::Array(found))
            }
            ["api", "v1", "users", "me" | "alice%40example.com"] => {
                ok(json!({ "id": "00uALICE", "status": "ACTIVE", "profile": { "login": "alice@example.com" } }))
            }
            ["api", "v1", "users", _] => error(404, "E0000007", "Not found: Resource not found: bob (User)"),
            ["api", "v1", "apps", app, "users", "00uALICE"] if self.apps().iter().any(|a| a["id"] == *app) => {
                if self.assigned {
                    ok(json!({ "id": "00uALICE", "scope": "USER", "status": "ACTIVE" }))
                } else {
                    error(404, "E0000007", "Not found: Resource not found: 00uALICE (AppUser)")
                }
            }
            ["api", "v1", "apps", _, "grants"] => ok(Value::Array(
                self.grants
                    .iter()
                    .map(|s| json!({ "id": "oag1", "scopeId": s, "status": "ACTIVE", "issuer": "https://acme.okta.com" }))
                    .chain([json!({ "id": "oag2", "scopeId": "okta.apps.read", "status": "REVOKED", "issuer": "https://acme.okta.com" })])
                    .collect(),
            )),
            ["api", "v1", "users", "00uALICE", "roles"] => {
                let role = if self.super_admin { "SUPER_ADMIN" } else { "ORG_ADMIN" };
                ok(json!([{ "id": "ra1", "type": role, "status": "ACTIVE", "assignmentType": "USER" }]))
            }
            ["api", "v1", "authorizationServers"] if self.api_access_management => ok(json!([])),
            ["api", "v1", "authorizationServers"] => error(
                401,
                "E0000015",
                "You do not have permission to access the feature you are requesting",
            ),
            _ => error(404, "E0000007", "Not found: Resource not found"),
        }
    }
}

/// Each check of the article, with its verdict against `org`.
fn run(slug: &str, org: &Org) -> Vec<(String, Verdict)> {
    let (content, checks) = support::knowledge_base();
    let i = content.by_slug[slug];
    let mut vars = Map::new();
    vars.insert("admin".into(), Value::from("alice@example.com"));
    vars.insert("org_url".into(), Value::from("https://acme.okta.com"));
    let url = Url::parse("https://acme.okta.com").unwrap();
    checks.by_article[i]
        .iter()
        .map(|c: &Check| (c.id.clone(), c.evaluate(&vars, &url, &mut |r| org.respond(r))))
        .collect()
}

fn verdict<'a>(results: &'a [(String, Verdict)], id: &str) -> &'a Verdict {
    &results
        .iter()
        .find(|(i, _)| i == id)
        .unwrap_or_else(|| panic!("no check {id}"))
        .1
}

const NOT_ASSIGNED: &str = "workflows/403-not-assigned-app";
const SCOPE: &str = "workflows/403-insufficient-scope";
const CONNECTOR: &str = "workflows/okta-connector-authorization";
const AAM: &str = "api-access-management/401-e0000015-feature-not-enabled";

#[test]
fn a_healthy_org_passes_every_seed_check() {
    for slug in [NOT_ASSIGNED, SCOPE, CONNECTOR, AAM] {
        for (id, v) in run(slug, &Org::healthy()) {
            // The cross-org connector check applies only where an app lists the Workflows callback.
            let expected = if id == "connector-target-app" {
                Verdict::Skip(Skipped {
                    reason: SkipReason::Precondition,
                    message: "precondition not met: `targets`".into(),
                })
            } else {
                Verdict::Pass
            };
            assert_eq!(v, expected, "{slug} {id}");
        }
    }
}

#[test]
fn an_admin_not_assigned_to_workflows_fails_with_the_articles_message() {
    let org = Org {
        assigned: false,
        ..Org::healthy()
    };
    let results = run(NOT_ASSIGNED, &org);
    assert_eq!(
        verdict(&results, "admin-assigned-to-workflows"),
        &Verdict::fail(
            "alice@example.com is not assigned to the app Okta Workflows (okta_flow_sso), directly or through a group"
        )
    );
    assert!(
        matches!(verdict(&results, "admin-assigned-to-workflows-oauth"), Verdict::Fail(m) if m.message.contains("Okta Workflows OAuth (flow)"))
    );
}

#[test]
fn an_org_without_workflows_skips_the_workflows_checks() {
    let org = Org {
        workflows: false,
        assigned: false,
        grants: vec![],
        ..Org::healthy()
    };
    for slug in [NOT_ASSIGNED, SCOPE, CONNECTOR] {
        for (id, v) in run(slug, &org) {
            assert!(matches!(v, Verdict::Skip(_)), "{slug} {id}: {v:?}");
        }
    }
}

#[test]
fn a_missing_grant_fails_only_the_check_for_that_scope() {
    let org = Org {
        grants: vec!["okta.users.read", "okta.groups.read"],
        ..Org::healthy()
    };
    let results = run(SCOPE, &org);
    assert_eq!(
        verdict(&results, "workflows-oauth-grants-logs-read"),
        &Verdict::fail(
            "The app Okta Workflows OAuth (flow) has no ACTIVE grant for okta.logs.read: grant it on the app's Okta API Scopes tab"
        )
    );
    assert_eq!(verdict(&results, "workflows-oauth-grants-users-read"), &Verdict::Pass);
}

#[test]
fn the_connector_checks_want_a_super_admin() {
    let org = Org {
        super_admin: false,
        ..Org::healthy()
    };
    let results = run(CONNECTOR, &org);
    assert_eq!(
        verdict(&results, "admin-is-super-admin"),
        &Verdict::fail("alice@example.com does not hold the SUPER_ADMIN role")
    );
}

#[test]
fn an_org_without_api_access_management_fails_on_e0000015() {
    let org = Org {
        api_access_management: false,
        ..Org::healthy()
    };
    let results = run(AAM, &org);
    assert!(
        matches!(verdict(&results, "org-has-api-access-management"), Verdict::Fail(m) if m.message.contains("401 E0000015"))
    );
}

#[test]
fn a_missing_scope_is_an_error_naming_it_not_a_failure() {
    let org = Org {
        missing_scope: Some("okta.apps.read"),
        ..Org::healthy()
    };
    for (id, v) in run(NOT_ASSIGNED, &org) {
        assert_eq!(v, Verdict::Error(Error::missing_scope("okta.apps.read")), "{id}");
    }
}

#[test]
fn two_apps_with_the_same_name_are_ambiguous_not_a_guess() {
    let org = Org {
        duplicate_flow: true,
        ..Org::healthy()
    };
    let results = run(NOT_ASSIGNED, &org);
    assert!(
        matches!(verdict(&results, "admin-assigned-to-workflows-oauth"), Verdict::Error(e) if e.reason == Reason::Ambiguous && e.message.contains("ambiguous"))
    );
    // The other app is found by its exact name, not by the prefix search that also returns `flow*` apps.
    assert_eq!(verdict(&results, "admin-assigned-to-workflows"), &Verdict::Pass);
}

#[test]
fn a_connector_target_org_needs_the_refresh_token_grant() {
    let org = Org {
        connector_app: Some(vec!["authorization_code"]),
        ..Org::healthy()
    };
    let results = run(CONNECTOR, &org);
    assert!(
        matches!(verdict(&results, "connector-target-app"), Verdict::Fail(m) if m.message.contains("refresh_token"))
    );
    let org = Org {
        connector_app: Some(vec!["authorization_code", "refresh_token"]),
        ..Org::healthy()
    };
    assert_eq!(verdict(&run(CONNECTOR, &org), "connector-target-app"), &Verdict::Pass);
}

#[test]
fn the_admin_defaults_to_the_tokens_owner() {
    let (content, checks) = support::knowledge_base();
    let check = &checks.by_article[content.by_slug[NOT_ASSIGNED]][0];
    let mut vars = Map::new();
    vars.insert("org_url".into(), Value::from("https://acme.okta.com"));
    let url = Url::parse("https://acme.okta.com").unwrap();
    let mut asked = Vec::new();
    let org = Org::healthy();
    let v = check.evaluate(&vars, &url, &mut |r| {
        asked.push(r.url.path().to_string());
        org.respond(r)
    });
    assert_eq!(v, Verdict::Pass);
    assert!(asked.contains(&"/api/v1/users/me".to_string()), "{asked:?}");
}
