//! Credentials on the wire: an SSWS token, or an OAuth 2.0 service app's access token obtained with
//! `private_key_jwt` at the org's `/oauth2/v1/token`, DPoP-bound when the org asks for it.
//!
//! Nothing here prints a secret: errors quote the token endpoint's `error` and `error_description` only.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;
use url::Url;

use super::http::{self, Caps};
use super::org::{Credential, Dpop, Secret};
use crate::checks::Body;
use crate::checks::eval::{Error, Reason};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// An access token and how to present it.
#[derive(Debug)]
pub struct Token {
    value: Secret,
    dpop: bool,
}

/// Why a token request failed.
#[derive(Debug, Clone)]
enum TokenError {
    /// `invalid_scope`: at least one scope asked for is not granted.
    InvalidScope,
    Other(Error),
}

/// A token requested once, shared by every check that needs the same scopes.
type TokenCell = Arc<OnceCell<Result<Arc<Token>, TokenError>>>;

/// The headers that authorise one request, and the DPoP nonce its proof carries.
#[derive(Default)]
pub struct AuthHeaders {
    pub list: Vec<(&'static str, String)>,
    pub nonce: Option<String>,
}

/// The run's credential, able to authorise requests to the org's origin.
pub struct Auth {
    org: Url,
    http: reqwest::Client,
    kind: Kind,
    /// The token endpoint's answers are small: a megabyte each at most.
    caps: Caps,
}

enum Kind {
    Ssws(Secret),
    OAuth(Box<OAuth>),
}

struct OAuth {
    client_id: String,
    key: EncodingKey,
    alg: Algorithm,
    key_id: Option<String>,
    mode: Dpop,
    /// The scopes asked for first: the profile's, or the union of the selected checks'.
    union: Vec<String>,
    /// Whether the profile fixed the scopes (then there is no per-check fallback).
    fixed: bool,
    dpop_key: DpopKey,
    /// Whether the token endpoint wants DPoP, once known; and its latest nonce.
    state: Mutex<DpopState>,
    /// Tokens by scope set, each requested once.
    tokens: Mutex<HashMap<Vec<String>, TokenCell>>,
}

#[derive(Default)]
struct DpopState {
    required: Option<bool>,
    token_nonce: Option<String>,
    api_nonce: Option<String>,
}

/// The run's own DPoP key: a P-256 key made for this run and dropped after it.
struct DpopKey {
    key: EncodingKey,
    jwk: Jwk,
}

impl DpopKey {
    fn generate() -> Result<DpopKey, String> {
        use p256::pkcs8::EncodePrivateKey;
        let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let der = secret
            .to_pkcs8_der()
            .map_err(|e| format!("cannot make a DPoP key: {e}"))?;
        let key = EncodingKey::from_ec_der(der.as_bytes());
        let jwk = Jwk::from_encoding_key(&key, Algorithm::ES256).map_err(|e| format!("cannot make a DPoP key: {e}"))?;
        Ok(DpopKey { key, jwk })
    }

    /// A proof for one request: fresh `jti` and `iat`, `htu` without query or fragment, `ath` with a token.
    fn proof(&self, method: &str, url: &Url, nonce: Option<&str>, token: Option<&Secret>) -> String {
        let mut htu = url.clone();
        htu.set_query(None);
        htu.set_fragment(None);
        let mut claims = json!({ "htm": method, "htu": htu.as_str(), "iat": now(), "jti": jti() });
        if let Some(n) = nonce {
            claims["nonce"] = Value::from(n);
        }
        if let Some(t) = token {
            claims["ath"] = Value::from(URL_SAFE_NO_PAD.encode(Sha256::digest(t.expose().as_bytes())));
        }
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(self.jwk.clone());
        // Signing with a key made above cannot fail; an empty proof would be refused by the org, not sent blind.
        jsonwebtoken::encode(&header, &claims, &self.key).unwrap_or_default()
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A random identifier for `jti`.
pub fn jti() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Auth {
    /// Prepares the credential. `scopes` is the union the selected checks declare. A key that cannot be parsed is
    /// an error here, before anything is sent.
    pub fn new(org: &Url, credential: &Credential, scopes: &[String], http: reqwest::Client) -> Result<Auth, String> {
        let kind = match credential {
            Credential::Ssws(token) => Kind::Ssws(token.clone()),
            Credential::OAuth {
                client_id,
                key,
                key_id,
                dpop,
                scopes: fixed,
            } => {
                let pem = key.expose().as_bytes();
                let (key, alg) = match EncodingKey::from_rsa_pem(pem) {
                    Ok(k) => (k, Algorithm::RS256),
                    Err(_) => match EncodingKey::from_ec_pem(pem) {
                        Ok(k) => (k, Algorithm::ES256),
                        Err(_) => {
                            return Err("the service app's private key is not an RSA or EC private key in PEM".into());
                        }
                    },
                };
                let union = match fixed {
                    Some(s) => s.clone(),
                    None => scopes.to_vec(),
                };
                Kind::OAuth(Box::new(OAuth {
                    client_id: client_id.clone(),
                    key,
                    alg,
                    key_id: key_id.clone(),
                    mode: *dpop,
                    union: sorted(&union),
                    fixed: fixed.is_some(),
                    dpop_key: DpopKey::generate()?,
                    state: Mutex::new(DpopState {
                        required: match dpop {
                            Dpop::Always => Some(true),
                            Dpop::Never => Some(false),
                            Dpop::Auto => None,
                        },
                        ..DpopState::default()
                    }),
                    tokens: Mutex::new(HashMap::new()),
                }))
            }
        };
        Ok(Auth {
            org: org.clone(),
            http,
            kind,
            caps: Caps::new(1 << 20, 64 << 20),
        })
    }

    /// The headers for a request needing `scopes`, to `url` on the org's origin. A check whose scopes are not
    /// granted gets an error naming them.
    pub async fn headers(&self, method: &str, url: &Url, scopes: &[String]) -> Result<AuthHeaders, Error> {
        if url.origin() != self.org.origin() {
            return Err(Error::new(
                Reason::Redirect,
                format!(
                    "refusing to send the credential to {}, which is not the org",
                    url.origin().ascii_serialization()
                ),
            ));
        }
        match &self.kind {
            Kind::Ssws(t) => Ok(AuthHeaders {
                list: vec![("authorization", format!("SSWS {}", t.expose()))],
                nonce: None,
            }),
            Kind::OAuth(o) => {
                if scopes.is_empty() {
                    // Public metadata (`/.well-known/`): no token needed.
                    return Ok(AuthHeaders::default());
                }
                let token = self.token(o, scopes).await?;
                Ok(if token.dpop {
                    let nonce = o.state.lock().unwrap().api_nonce.clone();
                    AuthHeaders {
                        list: vec![
                            ("authorization", format!("DPoP {}", token.value.expose())),
                            (
                                "dpop",
                                o.dpop_key.proof(method, url, nonce.as_deref(), Some(&token.value)),
                            ),
                        ],
                        nonce,
                    }
                } else {
                    AuthHeaders {
                        list: vec![("authorization", format!("Bearer {}", token.value.expose()))],
                        nonce: None,
                    }
                })
            }
        }
    }

    /// Makes sure a token for `scopes` can be had (requesting it once), without building any header: a check whose
    /// scopes are not granted gets its error here, before it touches the run's shared cache.
    pub async fn authorize(&self, scopes: &[String]) -> Result<(), Error> {
        match &self.kind {
            Kind::OAuth(o) if !scopes.is_empty() => self.token(o, scopes).await.map(drop),
            _ => Ok(()),
        }
    }

    /// Records a DPoP nonce the API asked for (`401` with `DPoP-Nonce`) of a request whose proof carried `used`;
    /// true when the request should be retried with the new one.
    pub fn api_nonce(&self, nonce: &str, used: Option<&str>) -> bool {
        match &self.kind {
            Kind::OAuth(o) => {
                o.state.lock().unwrap().api_nonce = Some(nonce.to_string());
                used != Some(nonce)
            }
            Kind::Ssws(_) => false,
        }
    }

    /// A token covering `scopes`: the union token when it was granted, else one for this scope set; when that is
    /// refused too, each scope is tried alone to name the missing ones.
    async fn token(&self, o: &OAuth, scopes: &[String]) -> Result<Arc<Token>, Error> {
        match self.cached(o, &o.union).await {
            Ok(t) => return Ok(t),
            Err(TokenError::Other(e)) => return Err(e),
            Err(TokenError::InvalidScope) if o.fixed => {
                return Err(Error::new(
                    Reason::MissingScope,
                    format!(
                        "the token endpoint refused the scopes of kb.toml ({}): invalid_scope; grant them to the \
                         app or drop `scopes` to ask for what the checks need",
                        o.union.join(" ")
                    ),
                ));
            }
            Err(TokenError::InvalidScope) => {}
        }
        let set = sorted(scopes);
        match self.cached(o, &set).await {
            Ok(t) => Ok(t),
            Err(TokenError::Other(e)) => Err(e),
            Err(TokenError::InvalidScope) => {
                let mut missing = Vec::new();
                for s in &set {
                    if let Err(TokenError::InvalidScope) = self.cached(o, std::slice::from_ref(s)).await {
                        missing.push(s.clone());
                    }
                }
                if missing.is_empty() {
                    missing = set.clone();
                }
                let mut e = Error::new(
                    Reason::MissingScope,
                    format!(
                        "{} {} not granted to the service app",
                        if missing.len() == 1 { "scope" } else { "scopes" },
                        missing.join(", ")
                    ),
                );
                e.missing_scopes = missing;
                Err(e)
            }
        }
    }

    async fn cached(&self, o: &OAuth, scopes: &[String]) -> Result<Arc<Token>, TokenError> {
        let cell = o.tokens.lock().unwrap().entry(scopes.to_vec()).or_default().clone();
        cell.get_or_init(|| self.request_token(o, scopes)).await.clone()
    }

    /// `POST /oauth2/v1/token` with a fresh client assertion (and DPoP proof) on every attempt.
    async fn request_token(&self, o: &OAuth, scopes: &[String]) -> Result<Arc<Token>, TokenError> {
        let url = self.org.join("/oauth2/v1/token").expect("a fixed path joins");
        let mut last = String::new();
        // Up to 3 retries for the DPoP round-trip and for transient failures (connect errors, 5xx, 429), each
        // with a fresh assertion and proof.
        let mut transient = 0u32;
        for _ in 0..8 {
            let (use_dpop, nonce) = {
                let s = o.state.lock().unwrap();
                (s.required == Some(true), s.token_nonce.clone())
            };
            let assertion = self
                .assertion(o, &url)
                .map_err(|e| TokenError::Other(Error::new(Reason::Credentials, e)))?;
            let scope = scopes.join(" ");
            let form = [
                ("grant_type", "client_credentials"),
                ("scope", scope.as_str()),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", assertion.as_str()),
            ];
            let mut req = self
                .http
                .post(url.clone())
                .header("accept", "application/json")
                .form(&form);
            if use_dpop {
                req = req.header("dpop", o.dpop_key.proof("POST", &url, nonce.as_deref(), None));
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    let e = http::transport_error(&e);
                    if e.reason == Reason::Network && transient < 3 {
                        transient += 1;
                        backoff(transient).await;
                        continue;
                    }
                    return Err(TokenError::Other(e));
                }
            };
            let status = resp.status().as_u16();
            if (status >= 500 || status == 429) && transient < 3 {
                transient += 1;
                backoff(transient).await;
                continue;
            }
            if status >= 500 || status == 429 {
                return Err(TokenError::Other(Error::new(
                    if status == 429 {
                        Reason::RateLimited
                    } else {
                        Reason::HttpStatus
                    },
                    format!("the token endpoint answered {status} and kept failing after retries"),
                )));
            }
            let answer = http::read(resp, &self.caps, "the token endpoint's answer")
                .await
                .map_err(TokenError::Other)?;
            let dpop_nonce = crate::checks::header(&answer.headers, "dpop-nonce").map(str::to_string);
            // Whatever its status, the token endpoint answers JSON (a token, or an OAuth error): anything else, such
            // as a proxy's sign-in page, says nothing about the credentials.
            let body = match answer.body {
                Body::Json(v @ Value::Object(_)) => v,
                other => {
                    return Err(TokenError::Other(Error::new(
                        Reason::Body,
                        format!(
                            "the token endpoint answered {status} with {}, not the OAuth JSON it answers",
                            other.described()
                        ),
                    )));
                }
            };
            // The endpoint's own words, with control characters escaped (they reach a terminal).
            let quoted = |k: &str| {
                let t = body.get(k).and_then(Value::as_str).unwrap_or_default();
                crate::text::snippet(t.as_bytes(), 300)
            };
            let (error, description) = (quoted("error"), quoted("error_description"));
            let error = error.as_str();
            if status == 200 {
                let Some(token) = body.get("access_token").and_then(Value::as_str) else {
                    return Err(TokenError::Other(Error::new(
                        Reason::Body,
                        "the token endpoint answered 200 with JSON that holds no access_token",
                    )));
                };
                let dpop = body.get("token_type").and_then(Value::as_str) == Some("DPoP");
                return Ok(Arc::new(Token {
                    value: Secret::new(token),
                    dpop,
                }));
            }
            match error {
                "use_dpop_nonce" if o.mode != Dpop::Never => {
                    let mut s = o.state.lock().unwrap();
                    s.required = Some(true);
                    s.token_nonce = dpop_nonce;
                }
                "invalid_dpop_proof" if o.mode == Dpop::Auto && !use_dpop => {
                    o.state.lock().unwrap().required = Some(true);
                }
                "invalid_scope" => return Err(TokenError::InvalidScope),
                _ => {
                    return Err(TokenError::Other(Error::new(
                        Reason::Credentials,
                        format!(
                            "the token endpoint rejected the credentials: {status} {error}{}{}",
                            if description.is_empty() { "" } else { ": " },
                            description
                        ),
                    )));
                }
            }
            last = format!("{status} {error}: {description}");
        }
        Err(TokenError::Other(Error::new(
            Reason::Credentials,
            format!("the token endpoint kept refusing the DPoP proof: {last}"),
        )))
    }

    /// The client assertion: `iss` = `sub` = client ID, `aud` = the token endpoint, a 5-minute `exp`, a fresh `jti`.
    fn assertion(&self, o: &OAuth, token_url: &Url) -> Result<String, String> {
        let iat = now();
        let claims = json!({
            "iss": o.client_id, "sub": o.client_id, "aud": token_url.as_str(),
            "iat": iat, "exp": iat + 300, "jti": jti(),
        });
        let mut header = Header::new(o.alg);
        header.kid = o.key_id.clone();
        jsonwebtoken::encode(&header, &claims, &o.key).map_err(|e| format!("cannot sign the client assertion: {e}"))
    }
}

/// The token endpoint's retries start at 200 ms.
async fn backoff(attempt: u32) {
    http::backoff(std::time::Duration::from_millis(200), attempt).await;
}

fn sorted(scopes: &[String]) -> Vec<String> {
    scopes.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect()
}
