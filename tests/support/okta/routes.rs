//! The fake org's endpoints: what each answers, in the shapes of Okta's Management API spec, with lists in pages.

use axum::http::HeaderValue;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::oauth::Who;
use super::{Req, STAMP, State, fixture, insufficient_scope, json_response, not_found, okta_error};

/// The scope an endpoint requires, as Okta's docs list them.
fn required_scope(segments: &[&str]) -> &'static str {
    match segments {
        ["apps", _, "grants", ..] => "okta.appGrants.read",
        ["apps", ..] => "okta.apps.read",
        ["users", _, "roles", ..] => "okta.roles.read",
        ["users", ..] => "okta.users.read",
        ["authorizationServers", ..] => "okta.authorizationServers.read",
        ["api-tokens", ..] => "okta.apiTokens.read",
        ["eventHooks", ..] => "okta.eventHooks.read",
        ["groups", ..] => "okta.groups.read",
        ["domains", ..] => "okta.domains.read",
        ["logStreams", ..] => "okta.logStreams.read",
        ["authenticators", ..] => "okta.authenticators.read",
        ["idps", ..] => "okta.idps.read",
        ["logs", ..] => "okta.logs.read",
        ["policies", ..] => "okta.policies.read",
        ["trustedOrigins", ..] => "okta.trustedOrigins.read",
        ["email-domains", ..] => "okta.emailDomains.read",
        ["agentPools", ..] => "okta.agentPools.read",
        ["inlineHooks", ..] => "okta.inlineHooks.read",
        ["zones", ..] => "okta.networkZones.read",
        ["threats", ..] => "okta.threatInsights.read",
        _ => "okta.apps.read",
    }
}

pub(super) fn route(state: &State, req: &Req, who: &Who) -> Response {
    let org = &state.org;
    let Some(rest) = req.path.strip_prefix("/api/v1/") else {
        return not_found(&req.path);
    };
    let raw: Vec<&str> = rest.split('/').collect();
    let decoded: Vec<String> = raw
        .iter()
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let seg: Vec<&str> = decoded.iter().map(String::as_str).collect();
    if let Who::App { scopes, client_id } = who {
        let needed = required_scope(&seg);
        if !scopes.iter().any(|s| s == needed) {
            return insufficient_scope(needed);
        }
        let app = org.apps.values().find(|a| &a.id == client_id);
        if app.is_none_or(|a| a.admin_roles.is_empty()) {
            return okta_error(
                403,
                "E0000006",
                "You do not have permission to perform the requested action",
            );
        }
    }
    if seg.first() == Some(&"authorizationServers") && !org.org.api_access_management {
        return okta_error(
            401,
            "E0000015",
            "You do not have permission to access the feature you are requesting",
        );
    }
    if seg == ["logs"]
        && req
            .q("since")
            .map(chrono::DateTime::parse_from_rfc3339)
            .is_some_and(|r| r.is_err())
    {
        return okta_error(400, "E0000001", "Api validation failed: since");
    }
    if let Some(answer) = super::resources::answer(state, req) {
        return answer;
    }
    match seg.as_slice() {
        ["apps", rest @ ..] => apps(state, req, rest),
        ["users", rest @ ..] => users(state, req, who, rest),
        // The System Log: the events of the org's resources, else none.
        ["logs"] => json_response(200, &Value::Array(Vec::new())),
        ["api-tokens"] => list_tokens(state, req),
        ["eventHooks"] => json_response(
            200,
            &Value::Array(org.event_hooks.values().map(|h| event_hook_json(state, h)).collect()),
        ),
        ["groups", "rules"] => json_response(
            200,
            &Value::Array(org.group_rules.values().map(|r| group_rule_json(state, r)).collect()),
        ),
        ["domains"] => json_response(
            200,
            &json!({ "domains": org.domains.values().map(|d| domain_json(state, d)).collect::<Vec<_>>() }),
        ),
        ["logStreams"] => json_response(
            200,
            &Value::Array(org.log_streams.values().map(|l| log_stream_json(state, l)).collect()),
        ),
        ["idps", "credentials", "keys"] => json_response(
            200,
            &Value::Array(org.idp_keys.values().map(|k| idp_key_json(state, k)).collect()),
        ),
        ["authenticators"] => json_response(
            200,
            &Value::Array(
                org.authenticators
                    .values()
                    .map(|a| authenticator_json(state, a))
                    .collect(),
            ),
        ),
        ["authorizationServers"] => json_response(
            200,
            &json!([{
                "id": "aus1default000000001", "name": "default", "description": "Default Authorization Server",
                "audiences": ["api://default"], "issuer": format!("{}/oauth2/default", state.origin),
                "issuerMode": "ORG_URL", "status": "ACTIVE", "created": STAMP, "lastUpdated": STAMP,
                "credentials": { "signing": { "rotationMode": "AUTO", "lastRotated": STAMP, "nextRotation": STAMP, "kid": "kid1", "use": "sig" } },
                "_links": { "self": { "href": format!("{}/api/v1/authorizationServers/aus1default000000001", state.origin) } }
            }]),
        ),
        _ => not_found(&req.path),
    }
}

/// `/api/v1/apps...`: the list, an app, its users, keys and grants.
fn apps(state: &State, req: &Req, seg: &[&str]) -> Response {
    let org = &state.org;
    match seg {
        [] => list_apps(state, req),
        [id] => match org.apps.values().find(|a| a.id == *id) {
            Some(a) => json_response(200, &app_json(state, a)),
            None => not_found(&format!("{id} (AppInstance)")),
        },
        [id, "users", uid] => {
            let Some(app) = org.apps.values().find(|a| a.id == *id) else {
                return not_found(&format!("{id} (AppInstance)"));
            };
            // A user ID is required: a login is not found.
            let Some((key, user)) = org.users.iter().find(|(_, u)| u.id == *uid) else {
                return not_found(&format!("{uid} (User)"));
            };
            let direct = app.users.contains(key);
            let via_group = app
                .groups
                .iter()
                .any(|g| org.groups.get(g).is_some_and(|g| g.members.contains(key)));
            if !direct && !via_group {
                return not_found(&format!("{uid} (AppUser)"));
            }
            json_response(
                200,
                &json!({
                    "id": user.id, "created": STAMP, "lastUpdated": STAMP,
                    "scope": if direct { "USER" } else { "GROUP" }, "status": "ACTIVE", "statusChanged": STAMP,
                    "passwordChanged": null, "syncState": "DISABLED",
                    "credentials": { "userName": user.login }, "profile": {},
                    "_links": {
                        "app": { "href": format!("{}/api/v1/apps/{}", state.origin, app.id) },
                        "user": { "href": format!("{}/api/v1/users/{}", state.origin, user.id) }
                    }
                }),
            )
        }
        [id, "credentials", "keys"] => match org.apps.values().find(|a| a.id == *id) {
            Some(a) => json_response(200, &Value::Array(keys_json(state, a))),
            None => not_found(&format!("{id} (AppInstance)")),
        },
        [id, "grants"] => {
            let Some(app) = org.apps.values().find(|a| a.id == *id) else {
                return not_found(&format!("{id} (AppInstance)"));
            };
            let grants: Vec<Value> = app
                .grants
                .iter()
                .enumerate()
                .map(|(i, (scope, status))| {
                    json!({
                        "id": format!("oag{}{:04}", &app.id[3..app.id.len().min(10)], i),
                        "status": status, "created": STAMP, "lastUpdated": STAMP,
                        "issuer": state.origin, "clientId": app.id, "scopeId": scope, "source": "ADMIN",
                        "createdBy": { "id": "00uadmin", "type": "User" },
                        "_links": {
                            "app": { "href": format!("{}/api/v1/apps/{}", state.origin, app.id) },
                            "self": { "href": format!("{}/api/v1/apps/{}/grants/oag{i}", state.origin, app.id) }
                        }
                    })
                })
                .collect();
            json_response(200, &Value::Array(grants))
        }
        _ => not_found(&req.path),
    }
}

/// `/api/v1/users...`: the list, a user (by ID, login or `me`), their roles.
fn users(state: &State, req: &Req, who: &Who, seg: &[&str]) -> Response {
    let org = &state.org;
    match seg {
        [] => list_users(state, req),
        // The System Log: no events (a check's `since`, computed from the org's clock, is what tests look at).
        [id] => {
            let user = match (*id, who) {
                ("me", Who::Owner) => org.users.get(&org.org.owner),
                ("me", Who::App { .. }) => None,
                (id, _) => org
                    .users
                    .values()
                    .find(|u| u.id == id || u.login.eq_ignore_ascii_case(id)),
            };
            match user {
                Some(u) => json_response(200, &user_json(state, u)),
                None => not_found(&format!("{id} (User)")),
            }
        }
        [id, "roles"] => {
            // The user's ID only.
            let Some(user) = org.users.values().find(|u| u.id == *id) else {
                return not_found(&format!("{id} (User)"));
            };
            let roles: Vec<Value> = user
                .roles
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    json!({
                        "id": format!("ra1{i:04}{}", &user.id[3..]), "label": role_label(t), "type": t,
                        "status": "ACTIVE", "created": STAMP, "lastUpdated": STAMP, "assignmentType": "USER",
                        "_links": { "assignee": { "href": format!("{}/api/v1/users/{}", state.origin, user.id) } }
                    })
                })
                .collect();
            json_response(200, &Value::Array(roles))
        }
        _ => not_found(&req.path),
    }
}

fn role_label(t: &str) -> &'static str {
    match t {
        "SUPER_ADMIN" => "Super Administrator",
        "ORG_ADMIN" => "Organizational Administrator",
        "APP_ADMIN" => "Application Administrator",
        "READ_ONLY_ADMIN" => "Read Only Administrator",
        "WORKFLOWS_ADMIN" => "Workflows Administrator",
        _ => "Administrator",
    }
}

/// `GET /api/v1/apps`: `q` (prefix of name or label, any case) or `filter=name eq "..."`, in pages.
fn list_apps(state: &State, req: &Req) -> Response {
    let org = &state.org;
    let limit = match limit(req) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    let filter = match req.q("filter") {
        None => None,
        Some(f) => {
            let parsed = f
                .strip_prefix("name eq \"")
                .and_then(|r| r.strip_suffix('"'))
                .map(|n| ("name", n.to_string()))
                .or_else(|| {
                    f.strip_prefix("status eq \"")
                        .and_then(|r| r.strip_suffix('"'))
                        .map(|s| ("status", s.to_string()))
                });
            match parsed {
                Some(p) => Some(p),
                None => return okta_error(400, "E0000031", &format!("Invalid search criteria: {f}")),
            }
        }
    };
    let q = req.q("q").map(str::to_lowercase);
    let mut apps: Vec<&fixture::App> = org
        .apps
        .values()
        .filter(|a| {
            q.as_ref()
                .is_none_or(|q| a.name.to_lowercase().starts_with(q) || a.label.to_lowercase().starts_with(q))
        })
        .filter(|a| match &filter {
            None => true,
            Some(("name", n)) => &a.name == n,
            Some((_, s)) => &a.status == s,
        })
        .collect();
    apps.sort_by(|a, b| a.id.cmp(&b.id));
    let items: Vec<(String, Value)> = apps.iter().map(|a| (a.id.clone(), app_json(state, a))).collect();
    paged(state, req, "/api/v1/apps", limit, items)
}

/// A page of a list sorted by ID, from the `after` cursor (an opaque encoding of the last ID sent), with `Link`
/// headers: `self`, and `next` while items remain.
pub(super) fn paged(state: &State, req: &Req, path: &str, limit: usize, items: Vec<(String, Value)>) -> Response {
    let start = match req.q("after") {
        None => 0,
        Some(cursor) => match URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
        {
            Some(id) => items.iter().position(|(i, _)| *i > id).unwrap_or(items.len()),
            None => return okta_error(400, "E0000001", "Api validation failed: after"),
        },
    };
    let size = limit.min(state.org.org.page_size);
    let page: Vec<Value> = items[start..].iter().take(size).map(|(_, v)| v.clone()).collect();
    let mut r = json_response(200, &Value::Array(page));
    let mut self_query: Vec<(String, String)> = req.query.clone();
    let encode = |q: &[(String, String)]| {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(q.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .finish()
    };
    let link_self = format!("<{}{path}?{}>; rel=\"self\"", state.origin, encode(&self_query));
    r.headers_mut()
        .append("link", HeaderValue::from_str(&link_self).unwrap());
    if start + size < items.len() {
        let last = &items[start + size - 1].0;
        self_query.retain(|(k, _)| k != "after");
        self_query.push(("after".into(), URL_SAFE_NO_PAD.encode(last)));
        let next = format!("<{}{path}?{}>; rel=\"next\"", state.origin, encode(&self_query));
        r.headers_mut().append("link", HeaderValue::from_str(&next).unwrap());
    }
    r
}

/// `limit`: 1 to 200, 20 by default (Okta's default varies by endpoint; the pages here are small anyway).
pub(super) fn limit(req: &Req) -> Result<usize, Box<Response>> {
    match req.q("limit").map(str::parse::<usize>) {
        None => Ok(20),
        Some(Ok(n)) if (1..=200).contains(&n) => Ok(n),
        Some(_) => Err(Box::new(okta_error(400, "E0000001", "Api validation failed: limit"))),
    }
}

/// `GET /api/v1/users`: every user not deprovisioned, or those `filter=status eq "..."` names, in pages.
fn list_users(state: &State, req: &Req) -> Response {
    let limit = match limit(req) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    let status = match req.q("filter") {
        None => None,
        Some(f) => match f.strip_prefix("status eq \"").and_then(|r| r.strip_suffix('"')) {
            Some(s) => Some(s.to_string()),
            None => return okta_error(400, "E0000031", &format!("Invalid search criteria: {f}")),
        },
    };
    let mut users: Vec<&fixture::User> = state
        .org
        .users
        .values()
        .filter(|u| match &status {
            Some(s) => &u.status == s,
            None => u.status != "DEPROVISIONED",
        })
        .collect();
    users.sort_by(|a, b| a.id.cmp(&b.id));
    let items = users.iter().map(|u| (u.id.clone(), user_json(state, u))).collect();
    paged(state, req, "/api/v1/users", limit, items)
}

/// `GET /api/v1/api-tokens`: the org's tokens' metadata, in pages.
fn list_tokens(state: &State, req: &Req) -> Response {
    let limit = match limit(req) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    let mut tokens: Vec<&fixture::ApiToken> = state.org.api_tokens.values().collect();
    tokens.sort_by(|a, b| a.id.cmp(&b.id));
    let items = tokens
        .iter()
        .map(|t| {
            let user_id = state.org.users.get(&t.user).map_or(t.user.clone(), |u| u.id.clone());
            let v = json!({
                "id": t.id, "name": t.name, "userId": user_id, "clientName": "Okta API",
                "created": STAMP, "lastUpdated": STAMP, "expiresAt": state.days_from_now(t.expires_in_days),
                "tokenWindow": "P30D", "network": { "connection": "ANYWHERE" },
                "_links": { "self": { "href": format!("{}/api/v1/api-tokens/{}", state.origin, t.id) } }
            });
            (t.id.clone(), v)
        })
        .collect();
    paged(state, req, "/api/v1/api-tokens", limit, items)
}

/// An app's key credentials: the key it signs with (`credentials.signing.kid`) and, for SAML apps, an older one,
/// long expired, that it no longer uses: a check must read the signing key, not any key.
fn keys_json(state: &State, a: &fixture::App) -> Vec<Value> {
    let key = |kid: String, days: i64| {
        json!({
            "created": STAMP, "lastUpdated": STAMP, "expiresAt": state.days_from_now(days), "kid": kid,
            "kty": "RSA", "use": "sig", "e": "AQAB", "n": "0vx7agoebGcQSuuPiLJXZptN",
            "x5c": ["MIIDqDCCApCgAwIBAgIGAV2"], "x5t#S256": "5GOpy9CQVtfvBmu2T8BHvpKE4OGtC3BuS046t7p9pps"
        })
    };
    let mut keys = vec![key(signing_kid(a), a.cert_expires_in_days)];
    if a.sign_on_mode == "SAML_2_0" {
        keys.insert(0, key(format!("old-{}", a.id), -400));
    }
    keys
}

fn signing_kid(a: &fixture::App) -> String {
    format!("kid-{}", a.id)
}

fn user_json(state: &State, u: &fixture::User) -> Value {
    json!({
        "id": u.id, "status": u.status, "created": STAMP, "activated": STAMP,
        "statusChanged": state.days_from_now(-u.status_changed_days_ago),
        "lastLogin": STAMP, "lastUpdated": STAMP, "passwordChanged": STAMP,
        "type": { "id": "oty1default000000001" },
        "profile": {
            "firstName": u.first_name, "lastName": u.last_name, "email": u.login, "login": u.login,
            "mobilePhone": u.mobile_phone, "secondEmail": null,
            "displayName": format!("{} {}", u.first_name, u.last_name)
        },
        "credentials": { "provider": { "type": u.provider, "name": u.provider_name.as_deref().unwrap_or(&u.provider) } },
        "_links": { "self": { "href": format!("{}/api/v1/users/{}", state.origin, u.id) } }
    })
}

fn app_json(state: &State, a: &fixture::App) -> Value {
    let mut app = json!({
        "id": a.id, "name": a.name, "label": a.label, "status": a.status, "created": STAMP, "lastUpdated": STAMP,
        "accessibility": { "selfService": false },
        "visibility": { "autoSubmitToolbar": false, "hide": { "iOS": false, "web": false }, "appLinks": {} },
        "features": [], "signOnMode": a.sign_on_mode,
        "credentials": { "userNameTemplate": { "template": "${source.login}", "type": "BUILT_IN" }, "signing": { "kid": signing_kid(a) } },
        "settings": { "app": {}, "notifications": { "vpn": { "network": { "connection": "DISABLED" } } } },
        "_links": {
            "self": { "href": format!("{}/api/v1/apps/{}", state.origin, a.id) },
            "users": { "href": format!("{}/api/v1/apps/{}/users", state.origin, a.id) },
            "groups": { "href": format!("{}/api/v1/apps/{}/groups", state.origin, a.id) }
        }
    });
    if a.sign_on_mode == "OPENID_CONNECT" {
        app["credentials"]["oauthClient"] = json!({
            "autoKeyRotation": true, "client_id": a.id,
            "token_endpoint_auth_method": if a.admin_roles.is_empty() { "client_secret_basic" } else { "private_key_jwt" }
        });
        app["settings"]["oauthClient"] = json!({
            "client_uri": null, "logo_uri": null, "redirect_uris": a.redirect_uris,
            "post_logout_redirect_uris": [], "response_types": ["code"], "grant_types": a.grant_types,
            "application_type": a.application_type.as_deref().unwrap_or("web"), "consent_method": "REQUIRED",
            "issuer_mode": "DYNAMIC", "dpop_bound_access_tokens": a.dpop
        });
    }
    app
}

fn event_hook_json(state: &State, h: &fixture::EventHook) -> Value {
    json!({
        "id": h.id, "name": h.name, "status": h.status, "verificationStatus": h.verification_status,
        "created": STAMP, "lastUpdated": STAMP, "createdBy": "00u1alice0000000001", "description": null,
        "events": { "type": "EVENT_TYPE", "items": ["user.lifecycle.create", "user.lifecycle.deactivate"] },
        "channel": {
            "type": "HTTP", "version": "1.0.0",
            "config": { "uri": h.uri, "headers": [], "method": "POST" }
        },
        "_links": { "self": { "href": format!("{}/api/v1/eventHooks/{}", state.origin, h.id) } }
    })
}

fn group_rule_json(state: &State, r: &fixture::GroupRule) -> Value {
    let ids: Vec<String> = r
        .groups
        .iter()
        .map(|g| state.org.groups.get(g).map_or(g.clone(), |g| g.id.clone()))
        .collect();
    json!({
        "id": r.id, "name": r.name, "status": r.status, "type": "group_rule",
        "created": STAMP, "lastUpdated": STAMP,
        "conditions": {
            "expression": { "type": "urn:okta:expression:1.0", "value": r.expression },
            "people": { "users": { "exclude": [] } }
        },
        "actions": { "assignUserToGroups": { "groupIds": ids } }
    })
}

fn domain_json(state: &State, d: &fixture::Domain) -> Value {
    json!({
        "id": d.id, "domain": d.domain, "validationStatus": d.validation_status, "brandId": "bnd1default000000001",
        "certificateSourceType": d.certificate_source_type,
        "publicCertificate": {
            "subject": format!("CN={}", d.domain), "fingerprint": "73:F9:4B:A2:B1:C8:5F:3E:9D:72:61:BA:27:11:92:0C",
            "expiration": state.days_from_now(d.cert_expires_in_days)
        },
        "dnsRecords": [
            { "fqdn": format!("_oktaverification.{}", d.domain), "recordType": "TXT",
              "values": ["79496f234c814638b1cc44f51a782781"], "expiration": STAMP },
            { "fqdn": d.domain, "recordType": "CNAME", "values": ["acme.customdomains.okta.com"] }
        ],
        "_links": { "self": { "href": format!("{}/api/v1/domains/{}", state.origin, d.id) } }
    })
}

fn log_stream_json(state: &State, l: &fixture::LogStream) -> Value {
    let href = |rel: &str| format!("{}/api/v1/logStreams/{}{rel}", state.origin, l.id);
    json!({
        "id": l.id, "name": l.name, "status": l.status, "type": "aws_eventbridge",
        "created": STAMP, "lastUpdated": STAMP,
        "settings": { "accountId": "123456789012", "eventSourceName": "okta-log-stream", "region": "eu-west-1" },
        "_links": {
            "self": { "href": href(""), "method": "GET" },
            "activate": { "href": href("/lifecycle/activate"), "method": "POST" },
            "deactivate": { "href": href("/lifecycle/deactivate"), "method": "POST" }
        }
    })
}

fn authenticator_json(state: &State, a: &fixture::Authenticator) -> Value {
    let mut v = json!({
        "id": a.id, "key": a.key, "name": a.name, "status": a.status, "type": "phone",
        "created": STAMP, "lastUpdated": STAMP,
        "_links": { "self": { "href": format!("{}/api/v1/authenticators/{}", state.origin, a.id) } }
    });
    match a.key.as_str() {
        "okta_verify" => v["type"] = "app".into(),
        "okta_email" => v["type"] = "email".into(),
        "okta_password" => v["type"] = "password".into(),
        _ => {}
    }
    v
}

fn idp_key_json(state: &State, k: &fixture::IdpKey) -> Value {
    json!({
        "kid": k.kid, "kty": "RSA", "use": "sig", "created": STAMP, "lastUpdated": STAMP,
        "expiresAt": state.days_from_now(k.expires_in_days), "e": "AQAB", "n": "101Kdwf5sN6yiZ",
        "x5c": ["MIIDnjCCAoagAwIBAgIGAVG3MN+PMA0GCSqGSIb3DQEBBQUAMIGPMQswCQYD"],
        "x5t#S256": "wzPVobIrveR1x-PCbjsFGNV-6zn7Rm9KuOWOG4Rk6jE"
    })
}
