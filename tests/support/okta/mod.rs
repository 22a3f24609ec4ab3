//! A fake Okta org: a real HTTP server on loopback serving, from an org fixture, the endpoints the checks read,
//! as strictly as the real API (shapes from Okta's Management API spec): `q` is a case-insensitive prefix search on
//! name or label, lists come in small pages with an opaque `after` cursor and `Link` headers, a user ID is required
//! where Okta requires one (a login there is 404 E0000007), scopes are enforced per endpoint, rate-limit headers
//! are sent and enforced. It authenticates SSWS tokens and OAuth 2.0 service apps (client assertions verified
//! with the app's registered key; DPoP with the nonce round-trip), and can inject faults.

pub mod fixture;
pub mod hostile;
mod oauth;
mod resources;
mod routes;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::State as AxState;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use serde_json::{Value, json};

use super::serve::Background;
use oauth::{Issued, authenticate, token};

pub use fixture::Fixture;

/// The SSWS token the fake accepts; it belongs to the fixture's `owner`.
pub const TOKEN: &str = "00TEST-ssws-token-not-a-real-one-7f3a9c";

/// A fault the fake injects for requests whose path starts with `path` (`""` for all).
#[derive(Debug, Clone)]
pub enum Fault {
    /// Every response is delayed.
    Latency(Duration),
    /// Answers this 5xx status, `times` times.
    ServerError { path: String, status: u16, times: u32 },
    /// Answers 429 E0000047 `times` times, with a reset `reset_in` seconds ahead.
    TooMany { path: String, times: u32, reset_in: u64 },
    /// Sends the status line, then drops the connection in the middle of the body.
    Reset { path: String },
    /// Answers after `delay` (longer than the client waits).
    Hang { path: String, delay: Duration },
    /// Every token is refused: 401 E0000011.
    InvalidToken,
    /// 403 with `www-authenticate: ... error="insufficient_scope", scope="..."`.
    MissingScope { path: String, scope: String },
    /// 403 E0000006: the credential's role cannot read this.
    Denied { path: String },
    /// Answers this instead, as a proxy, a portal or a hostile server in front of the org might.
    Answer { path: String, answer: hostile::Answer },
    /// Compresses every answer with gzip for clients that ask for it, as Okta does.
    Gzip,
    /// The list's `next` link goes back to a page already sent: the page itself, or (`pair`) from the second page
    /// to the first.
    Loop { path: String, pair: bool },
    /// Sets these headers on every answer, over the usual ones.
    Headers(Vec<(String, String)>),
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// The scheme of the `Authorization` header (`SSWS`, `Bearer`, `DPoP`), if any.
    pub scheme: Option<String>,
    pub user_agent: String,
    pub status: u16,
    /// The answer's `Content-Encoding`, if any.
    pub encoding: Option<String>,
    /// The raw `Authorization`, `DPoP` headers and form body: what a test greps for secrets leaking *to* the org is
    /// kept apart from what kb prints.
    pub secrets: Vec<String>,
}

struct State {
    origin: String,
    org: Fixture,
    faults: Mutex<Vec<(Fault, u32)>>,
    seen: Mutex<Vec<Seen>>,
    tokens: Mutex<HashMap<String, Issued>>,
    jtis: Mutex<HashSet<String>>,
    keys: Mutex<HashMap<String, DecodingKey>>,
    nonce: String,
    /// Whether DPoP proofs to the API must carry the current API nonce (Okta may ask for one).
    api_nonce: Mutex<Option<String>>,
    windows: Mutex<HashMap<(String, u64), u64>>,
}

/// The fake org, serving until dropped.
pub struct FakeOrg {
    pub url: String,
    state: Arc<State>,
    _server: Background,
}

impl FakeOrg {
    /// Serves the fixture `name` (see [`fixture::load`]) on a free loopback port.
    pub fn start(name: &str) -> FakeOrg {
        FakeOrg::serve(fixture::load(name))
    }

    pub fn serve(org: Fixture) -> FakeOrg {
        FakeOrg::serve_on(org, "127.0.0.1:0")
    }

    /// Serves `org` on this address: the same org's URL with other data (stop the one there first).
    pub fn serve_on(org: Fixture, addr: &str) -> FakeOrg {
        let mut state = None;
        let server = Background::start_on(addr, |origin| {
            let s = Arc::new(State {
                origin: origin.to_string(),
                org,
                faults: Mutex::new(Vec::new()),
                seen: Mutex::new(Vec::new()),
                tokens: Mutex::new(HashMap::new()),
                jtis: Mutex::new(HashSet::new()),
                keys: Mutex::new(HashMap::new()),
                nonce: random_id(),
                api_nonce: Mutex::new(None),
                windows: Mutex::new(HashMap::new()),
            });
            state = Some(s.clone());
            axum::Router::new().fallback(handle).with_state(s)
        });
        FakeOrg {
            url: server.url.clone(),
            state: state.expect("the app was made"),
            _server: server,
        }
    }

    /// Makes the API ask DPoP clients for a nonce (401 `use_dpop_nonce` with a `DPoP-Nonce` header).
    pub fn require_api_nonce(&self) {
        *self.state.api_nonce.lock().unwrap() = Some(random_id());
    }

    pub fn inject(&self, fault: Fault) {
        self.state.faults.lock().unwrap().push((fault, 0));
    }

    /// Registers a service app's public key (PEM) for its client assertions.
    pub fn register_key(&self, client_id: &str, public_pem: &str) {
        let key = DecodingKey::from_rsa_pem(public_pem.as_bytes()).expect("an RSA public key");
        self.state.keys.lock().unwrap().insert(client_id.to_string(), key);
    }

    /// The most requests any endpoint group got in one rate-limit window.
    pub fn busiest_window(&self) -> u64 {
        self.state.windows.lock().unwrap().values().copied().max().unwrap_or(0)
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    pub fn vars(&self) -> Vec<String> {
        self.state.org.vars.iter().map(|(k, v)| format!("{k}={v}")).collect()
    }
}

fn random_id() -> String {
    use rand::RngCore;
    let mut b = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// The local clock, in epoch seconds: what the token endpoint checks client assertions against.
fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

impl State {
    /// The org's clock: the local one moved by the fixture's `clock_offset_days`, in epoch seconds. Every `Date`
    /// header, rate-limit reset and date in an answer is on it.
    fn now(&self) -> u64 {
        let local = now() as i64;
        (local + self.org.org.clock_offset_days * 86_400).max(0) as u64
    }

    /// A moment `days` from the org's now, as Okta writes dates.
    fn days_from_now(&self, days: i64) -> String {
        self.seconds_from_now(days * 86_400)
    }

    /// A moment `secs` from the org's now, as Okta writes dates.
    fn seconds_from_now(&self, secs: i64) -> String {
        let t = self.now() as i64 + secs;
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%S.000Z")
            .to_string()
    }
}

const STAMP: &str = "2025-03-04T10:20:30.000Z";

fn json_response(status: u16, body: &Value) -> Response {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap();
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r
}

fn okta_error(status: u16, code: &str, summary: &str) -> Response {
    json_response(
        status,
        &json!({
            "errorCode": code, "errorSummary": summary, "errorLink": code,
            "errorId": format!("oae{}", random_id()), "errorCauses": []
        }),
    )
}

fn not_found(what: &str) -> Response {
    okta_error(404, "E0000007", &format!("Not found: Resource not found: {what}"))
}

/// The part of a request a handler needs.
struct Req {
    method: Method,
    /// Path and query, as sent.
    target: String,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
}

impl Req {
    fn q(&self, k: &str) -> Option<&str> {
        self.query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }
    fn header(&self, k: &str) -> Option<&str> {
        self.headers.get(k).and_then(|v| v.to_str().ok())
    }
}

async fn handle(
    AxState(state): AxState<Arc<State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    let path = uri.path().to_string();
    let query: Vec<(String, String)> = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let req = Req {
        method,
        target: target.clone(),
        path,
        query,
        headers,
        body,
    };
    let mut secrets: Vec<String> = ["authorization", "dpop"]
        .iter()
        .filter_map(|h| req.header(h).map(str::to_string))
        .collect();
    if !req.body.is_empty() {
        secrets.push(String::from_utf8_lossy(&req.body).into_owned());
    }
    let response = respond(&state, &req).await;
    state.seen.lock().unwrap().push(Seen {
        method: req.method.to_string(),
        target,
        scheme: req
            .header("authorization")
            .and_then(|a| a.split(' ').next())
            .map(str::to_string),
        user_agent: req.header("user-agent").unwrap_or_default().to_string(),
        status: response.status().as_u16(),
        encoding: response
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        secrets,
    });
    response
}

/// Takes the first matching fault of a kind, counting its uses.
fn fault<T>(state: &State, pick: impl Fn(&Fault, u32) -> Option<T>) -> Option<T> {
    let mut faults = state.faults.lock().unwrap();
    for (f, uses) in faults.iter_mut() {
        if let Some(t) = pick(f, *uses) {
            *uses += 1;
            return Some(t);
        }
    }
    None
}

/// The answer, with the faults that change any answer applied: headers set over it, a `next` link going back,
/// gzip.
async fn respond(state: &State, req: &Req) -> Response {
    let mut r = answer(state, req).await;
    // Every answer is dated on the org's clock (the server would add the local one).
    if !r.headers().contains_key("date") {
        r.headers_mut().insert("date", http_date(state.now()));
    }
    if let Some(headers) = fault(state, |f, _| match f {
        Fault::Headers(h) => Some(h.clone()),
        _ => None,
    }) {
        for (k, v) in headers {
            r.headers_mut().insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(&v).unwrap(),
            );
        }
    }
    if let Some(pair) = fault(state, |f, _| match f {
        Fault::Loop { path, pair } if req.path == *path && req.method == Method::GET => Some(*pair),
        _ => None,
    }) {
        let back = match (pair, req.q("after")) {
            (false, _) => req.target.clone(),
            // The second page (an `after` cursor before every app ID) links back to the first.
            (true, Some(_)) => req.target.split("&after=").next().unwrap_or_default().to_string(),
            (true, None) => format!("{}&after={}", req.target, URL_SAFE_NO_PAD.encode("0")),
        };
        let link = format!("<{}{back}>; rel=\"next\"", state.origin);
        r.headers_mut().remove("link");
        r.headers_mut().insert("link", HeaderValue::from_str(&link).unwrap());
    }
    let gzip = req.header("accept-encoding").is_some_and(|a| a.contains("gzip"))
        && fault(state, |f, _| matches!(f, Fault::Gzip).then_some(())).is_some();
    if gzip {
        use std::io::Write;
        let (mut parts, body) = r.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&bytes).unwrap();
        parts
            .headers
            .insert("content-encoding", HeaderValue::from_static("gzip"));
        parts.headers.remove("content-length");
        r = Response::from_parts(parts, Body::from(gz.finish().unwrap()));
    }
    r
}

async fn answer(state: &State, req: &Req) -> Response {
    let path = req.path.as_str();
    // What stands in front of the org answers first, for the token endpoint too.
    if let Some(a) = fault(state, |f, _| match f {
        Fault::Answer { path: p, answer } if path.starts_with(p.as_str()) => Some(answer.clone()),
        _ => None,
    }) {
        return a.response();
    }
    if let Some(d) = fault(state, |f, _| match f {
        Fault::Latency(d) => Some(*d),
        _ => None,
    }) {
        tokio::time::sleep(d).await;
    }
    if req.path == "/oauth2/v1/token" {
        return token(state, req);
    }
    if req.method != Method::GET && req.method != Method::HEAD {
        return okta_error(
            405,
            "E0000022",
            "The endpoint does not support the provided HTTP method",
        );
    }
    if path == "/.well-known/openid-configuration" {
        let issuer = state.org.org.issuer.replace("{origin}", &state.origin);
        return json_response(
            200,
            &json!({
                "issuer": issuer,
                "authorization_endpoint": format!("{issuer}/oauth2/v1/authorize"),
                "token_endpoint": format!("{issuer}/oauth2/v1/token"),
                "jwks_uri": format!("{issuer}/oauth2/v1/keys"),
                "response_types_supported": ["code", "token", "id_token"],
                "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
                "dpop_signing_alg_values_supported": ["RS256", "ES256"],
            }),
        );
    }
    let on = |p: &String| path.starts_with(p.as_str());
    // Authentication first: a DPoP proof is spent even when a fault answers, so a retry must bring a new one.
    let who = match authenticate(state, req) {
        Ok(w) => w,
        Err(r) => return r,
    };
    if let Some(d) = fault(state, |f, _| match f {
        Fault::Hang { path: p, delay } if on(p) => Some(*delay),
        _ => None,
    }) {
        tokio::time::sleep(d).await;
    }
    if let Some(status) = fault(state, |f, uses| match f {
        Fault::ServerError { path: p, status, times } if on(p) && uses < *times => Some(*status),
        _ => None,
    }) {
        return okta_error(status, "E0000009", "Internal Server Error");
    }
    if fault(state, |f, _| {
        matches!(f, Fault::Reset { path: p } if on(p)).then_some(())
    })
    .is_some()
    {
        let stream = futures_stream_error();
        let mut r = Response::new(Body::from_stream(stream));
        r.headers_mut()
            .insert("content-type", HeaderValue::from_static("application/json"));
        return r;
    }
    if let Some(reset_in) = fault(state, |f, uses| match f {
        Fault::TooMany {
            path: p,
            times,
            reset_in,
        } if on(p) && uses < *times => Some(*reset_in),
        _ => None,
    }) {
        let mut r = okta_error(
            429,
            "E0000047",
            "API call exceeded rate limit due to too many requests.",
        );
        rate_headers(state, &mut r, state.org.org.rate_limit, 0, state.now() + reset_in);
        return r;
    }
    if let Some(scope) = fault(state, |f, _| match f {
        Fault::MissingScope { path: p, scope } if on(p) => Some(scope.clone()),
        _ => None,
    }) {
        return insufficient_scope(&scope);
    }
    if fault(state, |f, _| {
        matches!(f, Fault::Denied { path: p } if on(p)).then_some(())
    })
    .is_some()
    {
        return okta_error(
            403,
            "E0000006",
            "You do not have permission to perform the requested action",
        );
    }
    // Rate limits per endpoint group, per window (a minute, as Okta's, unless the fixture says otherwise).
    let group = endpoint_group(path);
    let len = state.org.org.rate_window;
    let window = state.now() / len;
    let reset = (window + 1) * len;
    let limit = state.org.org.rate_limit;
    let used = {
        let mut w = state.windows.lock().unwrap();
        let n = w.entry((group, window)).or_insert(0);
        *n += 1;
        *n
    };
    if used > limit {
        let mut r = okta_error(
            429,
            "E0000047",
            "API call exceeded rate limit due to too many requests.",
        );
        rate_headers(state, &mut r, limit, 0, reset);
        return r;
    }
    let mut r = routes::route(state, req, &who);
    rate_headers(state, &mut r, limit, limit - used, reset);
    if req.method == Method::HEAD {
        *r.body_mut() = Body::empty();
    }
    r
}

/// A body that fails after its first bytes: the connection is cut mid-response.
fn futures_stream_error() -> impl futures_core::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    struct Cut(u8);
    impl futures_core::Stream for Cut {
        type Item = Result<Bytes, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            self.0 += 1;
            std::task::Poll::Ready(Some(match self.0 {
                1 => Ok(Bytes::from_static(b"[{\"id\":")),
                _ => Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "connection reset by the fake org",
                )),
            }))
        }
    }
    Cut(0)
}

/// Okta counts rate limits per endpoint: the path with its IDs as parameters (`/api/v1/apps/{id}/users/{id}`).
fn endpoint_group(path: &str) -> String {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["api", "v1", rest @ ..] => {
            let named: Vec<&str> = rest
                .iter()
                .enumerate()
                .map(|(i, p)| if i % 2 == 1 { "{id}" } else { *p })
                .collect();
            format!("/api/v1/{}", named.join("/"))
        }
        _ => path.to_string(),
    }
}

fn rate_headers(state: &State, r: &mut Response, limit: u64, remaining: u64, reset: u64) {
    let h = r.headers_mut();
    h.insert("x-rate-limit-limit", limit.into());
    h.insert("x-rate-limit-remaining", remaining.into());
    h.insert("x-rate-limit-reset", reset.into());
    h.insert("date", http_date(state.now()));
}

/// An HTTP date (RFC 9110's IMF-fixdate) of epoch seconds.
fn http_date(secs: u64) -> HeaderValue {
    let t = chrono::DateTime::from_timestamp(secs as i64, 0).unwrap();
    HeaderValue::from_str(&t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()).unwrap()
}

fn insufficient_scope(scope: &str) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::FORBIDDEN;
    let v = format!(
        "Bearer realm=\"IdpMyAccountAPI\", error=\"insufficient_scope\", error_description=\"The access token \
         provided does not contain the required scopes.\", resource=\"/api/v1\", scope=\"{scope}\""
    );
    r.headers_mut()
        .insert("www-authenticate", HeaderValue::from_str(&v).unwrap());
    r
}
