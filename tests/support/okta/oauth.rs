//! The fake org's credentials: SSWS tokens, and OAuth 2.0 service apps at `POST /oauth2/v1/token` (client
//! assertions verified with the app's registered key, DPoP proofs with the nonce round-trip).

use std::collections::HashMap;

use axum::http::{HeaderValue, Method};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Fault, Req, State, TOKEN, fault, json_response, now, okta_error, random_id};

pub(super) struct Issued {
    pub(super) scopes: Vec<String>,
    pub(super) client_id: String,
    /// The DPoP key's thumbprint the token is bound to.
    pub(super) jkt: Option<String>,
}

/// Who is calling: the SSWS token's owner (all scopes), or a service app's token (its scopes).
pub(super) enum Who {
    Owner,
    App { scopes: Vec<String>, client_id: String },
}

pub(super) fn invalid_token() -> Response {
    okta_error(401, "E0000011", "Invalid token provided")
}

#[allow(clippy::result_large_err)] // the error is the response itself, built once per request
pub(super) fn authenticate(state: &State, req: &Req) -> Result<Who, Response> {
    if fault(state, |f, _| matches!(f, Fault::InvalidToken).then_some(())).is_some() {
        return Err(invalid_token());
    }
    let auth = req.header("authorization").unwrap_or_default();
    let (scheme, value) = auth.split_once(' ').unwrap_or((auth, ""));
    match scheme {
        "SSWS" if value == TOKEN => Ok(Who::Owner),
        "Bearer" | "DPoP" => {
            let tokens = state.tokens.lock().unwrap();
            let Some(t) = tokens.get(value) else {
                return Err(invalid_token());
            };
            match (&t.jkt, scheme) {
                (None, "Bearer") => {}
                (Some(jkt), "DPoP") => {
                    let url = format!("{}{}", state.origin, req.path);
                    let api_nonce = state.api_nonce.lock().unwrap().clone();
                    match verify_proof(state, req, &url, Some(value), api_nonce.as_deref()) {
                        Ok(thumb) if &thumb == jkt => {}
                        Err(why) if why == "nonce" => {
                            let mut r =
                                dpop_error(401, "use_dpop_nonce", "Resource server requires nonce in DPoP proof.");
                            let h = r.headers_mut();
                            h.insert("www-authenticate", HeaderValue::from_static("DPoP error=\"use_dpop_nonce\", error_description=\"Resource server requires nonce in DPoP proof\""));
                            h.insert(
                                "dpop-nonce",
                                HeaderValue::from_str(api_nonce.as_deref().unwrap_or_default()).unwrap(),
                            );
                            return Err(r);
                        }
                        Ok(_) => {
                            return Err(dpop_error(
                                401,
                                "invalid_dpop_proof",
                                "The DPoP proof key does not match the token.",
                            ));
                        }
                        Err(why) => return Err(dpop_error(401, "invalid_dpop_proof", &why)),
                    }
                }
                _ => return Err(invalid_token()),
            }
            Ok(Who::App {
                scopes: t.scopes.clone(),
                client_id: t.client_id.clone(),
            })
        }
        _ => Err(invalid_token()),
    }
}

fn dpop_error(status: u16, error: &str, description: &str) -> Response {
    json_response(status, &json!({ "error": error, "error_description": description }))
}

/// `POST /oauth2/v1/token`: client credentials with `private_key_jwt`, DPoP when the app requires it.
pub(super) fn token(state: &State, req: &Req) -> Response {
    if req.method != Method::POST {
        return okta_error(
            405,
            "E0000022",
            "The endpoint does not support the provided HTTP method",
        );
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&req.body).into_owned().collect();
    let bad = |e: &str, d: &str| json_response(400, &json!({ "error": e, "error_description": d }));
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return bad("unsupported_grant_type", "The grant_type is not supported.");
    }
    if form.get("client_assertion_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    {
        return json_response(
            401,
            &json!({ "error": "invalid_client", "error_description": "Client authentication failed." }),
        );
    }
    let Some(assertion) = form.get("client_assertion") else {
        return json_response(
            401,
            &json!({ "error": "invalid_client", "error_description": "Client authentication failed." }),
        );
    };
    let token_url = format!("{}/oauth2/v1/token", state.origin);
    let client_id = match verify_assertion(state, assertion, &token_url) {
        Ok(c) => c,
        Err(why) => return json_response(401, &json!({ "error": "invalid_client", "error_description": why })),
    };
    let Some(app) = state.org.apps.values().find(|a| a.id == client_id) else {
        return json_response(
            401,
            &json!({ "error": "invalid_client", "error_description": "The client is unknown." }),
        );
    };
    let mut jkt = None;
    if app.dpop {
        if req.header("dpop").is_none() {
            return bad("invalid_dpop_proof", "The DPoP proof JWT header is missing.");
        }
        match verify_proof(state, req, &token_url, None, Some(&state.nonce)) {
            Ok(thumb) => jkt = Some(thumb),
            Err(why) if why == "nonce" => {
                let mut r = bad("use_dpop_nonce", "Authorization server requires nonce in DPoP proof.");
                r.headers_mut()
                    .insert("dpop-nonce", HeaderValue::from_str(&state.nonce).unwrap());
                return r;
            }
            Err(why) => return bad("invalid_dpop_proof", &why),
        }
    }
    let scopes: Vec<String> = form
        .get("scope")
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    if scopes.is_empty()
        || scopes
            .iter()
            .any(|s| app.grants.get(s).map(String::as_str) != Some("ACTIVE"))
    {
        return bad(
            "invalid_scope",
            "One or more scopes are not configured for the authorization server resource.",
        );
    }
    let access = format!("eyFAKE.{}", random_id());
    state.tokens.lock().unwrap().insert(
        access.clone(),
        Issued {
            scopes: scopes.clone(),
            client_id,
            jkt: jkt.clone(),
        },
    );
    json_response(
        200,
        &json!({
            "token_type": if jkt.is_some() { "DPoP" } else { "Bearer" }, "expires_in": 3600,
            "access_token": access, "scope": scopes.join(" ")
        }),
    )
}

fn verify_assertion(state: &State, assertion: &str, token_url: &str) -> Result<String, String> {
    let claims: Value =
        jsonwebtoken::dangerous::insecure_decode_claims(assertion).map_err(|_| "The client_assertion is not a JWT.")?;
    let iss = claims["iss"].as_str().unwrap_or_default().to_string();
    let keys = state.keys.lock().unwrap();
    let key = keys
        .get(&iss)
        .ok_or("The client_assertion's issuer is not a known client.")?;
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[token_url]);
    v.set_issuer(&[iss.as_str()]);
    v.sub = Some(iss.clone());
    v.set_required_spec_claims(&["exp", "iat", "jti", "iss", "sub", "aud"]);
    let data = jsonwebtoken::decode::<Value>(assertion, key, &v)
        .map_err(|e| format!("The client_assertion is invalid: {e}"))?;
    let (iat, exp) = (
        data.claims["iat"].as_u64().unwrap_or(0),
        data.claims["exp"].as_u64().unwrap_or(0),
    );
    if exp > iat + 3600 {
        return Err("The client_assertion's exp is more than an hour after its iat.".into());
    }
    let jti = data.claims["jti"].as_str().unwrap_or_default().to_string();
    if !state.jtis.lock().unwrap().insert(format!("assertion:{jti}")) {
        return Err("The client_assertion's jti has been used before.".into());
    }
    Ok(iss)
}

/// Verifies a DPoP proof; returns its key's thumbprint. `Err("nonce")` when the nonce is missing or stale.
fn verify_proof(
    state: &State,
    req: &Req,
    htu: &str,
    token: Option<&str>,
    nonce: Option<&str>,
) -> Result<String, String> {
    let proof = req.header("dpop").ok_or("The DPoP proof JWT header is missing.")?;
    let header = jsonwebtoken::decode_header(proof).map_err(|e| format!("The DPoP proof is not a JWT: {e}"))?;
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Err("The DPoP proof's typ is not dpop+jwt.".into());
    }
    let jwk = header.jwk.ok_or("The DPoP proof has no jwk.")?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| format!("The DPoP proof's jwk is unusable: {e}"))?;
    let mut v = Validation::new(header.alg);
    v.validate_exp = false;
    v.set_required_spec_claims::<&str>(&[]);
    let claims = jsonwebtoken::decode::<Value>(proof, &key, &v)
        .map_err(|e| format!("The DPoP proof's signature is invalid: {e}"))?
        .claims;
    if claims["htm"].as_str() != Some(req.method.as_str()) {
        return Err("The DPoP proof's htm does not match the request.".into());
    }
    if claims["htu"].as_str() != Some(htu) {
        return Err(format!("The DPoP proof's htu {:?} is not {htu}.", claims["htu"]));
    }
    let iat = claims["iat"].as_u64().ok_or("The DPoP proof has no iat.")?;
    if iat + 300 < now() || iat > now() + 60 {
        return Err("The DPoP proof's iat is out of range.".into());
    }
    if let Some(t) = token {
        let ath = URL_SAFE_NO_PAD.encode(Sha256::digest(t.as_bytes()));
        if claims["ath"].as_str() != Some(ath.as_str()) {
            return Err("The DPoP proof's ath does not match the access token.".into());
        }
    }
    if let Some(n) = nonce
        && claims["nonce"].as_str() != Some(n)
    {
        return Err("nonce".into());
    }
    let jti = claims["jti"].as_str().ok_or("The DPoP proof has no jti.")?;
    if !state.jtis.lock().unwrap().insert(format!("dpop:{jti}")) {
        return Err("The DPoP proof's jti has been used before.".into());
    }
    jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
        .map_err(|e| format!("cannot take the jwk's thumbprint: {e}"))
}
