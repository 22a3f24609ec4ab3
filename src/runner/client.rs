//! The Okta client: every request of a run goes through [`Client::fetch`], which
//! - fetches each distinct URL once per run (a single-flight cache shared by all checks),
//! - bounds the requests in flight, and keeps each endpoint group within its share of the rate limit,
//! - retries connect errors and 5xx with jittered backoff, and waits for the reset after a 429,
//! - follows `Link: rel="next"` on lists and merges the pages, up to a cap,
//! - follows redirects only on the org's origin, and sends the credential to the org's origin only,
//! - reads every answer within the run's caps ([`http::read`]), and refuses a list whose `next` link goes back to a
//!   page already read.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{OnceCell, Semaphore};
use url::Url;

use super::auth::Auth;
use super::http::{self, Caps};
use super::ratelimit::{Clock, RateLimits};
use crate::checks::eval::{Error, Reason};
use crate::checks::path::{Method, PREFIXES, Request};
use crate::checks::{Body, Response, header};

/// How a run talks to the org.
#[derive(Debug, Clone)]
pub struct Options {
    /// Requests in flight at most.
    pub concurrency: usize,
    /// Per request.
    pub timeout: Duration,
    /// The share of each endpoint group's rate limit a run may use.
    pub rate_share: f64,
    /// Pages of one list followed at most.
    pub max_pages: usize,
    /// Retries after a connect error or a 5xx.
    pub retries: u32,
    /// The first retry's delay, doubled each time, with jitter.
    pub backoff: Duration,
    /// One answer's cap: bytes received, bytes inflated, memory parsed (`--max-body`).
    pub max_body: usize,
    /// What the run's answers may hold at once (`--max-total`).
    pub max_total: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            concurrency: 8,
            timeout: Duration::from_secs(30),
            rate_share: 0.5,
            max_pages: 100,
            retries: 3,
            backoff: Duration::from_millis(200),
            max_body: 32 << 20,
            max_total: 512 << 20,
        }
    }
}

/// One request as sent, for the log: never a header.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Sent {
    pub method: &'static str,
    pub url: String,
    /// The status, or `None` when no response came.
    pub status: Option<u16>,
    pub error: Option<String>,
    pub attempt: u32,
    pub ms: u64,
    /// `missing` or `unreadable` when the answer's `Date` header was: rate-limit waits then use the local clock,
    /// and a judgement of time would have no "now".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<&'static str>,
}

type Shared = Arc<OnceCell<Result<Arc<Response>, Error>>>;

pub struct Client {
    org: Url,
    http: reqwest::Client,
    auth: Auth,
    opts: Options,
    caps: Caps,
    permits: Semaphore,
    limits: RateLimits,
    cache: Mutex<HashMap<(Method, String), Shared>>,
    log: Mutex<Vec<Sent>>,
}

impl Client {
    pub fn new(org: &Url, http: reqwest::Client, auth: Auth, opts: Options) -> Client {
        Client {
            org: org.clone(),
            http,
            auth,
            permits: Semaphore::new(opts.concurrency.max(1)),
            limits: RateLimits::new(opts.rate_share),
            caps: Caps::new(opts.max_body, opts.max_total),
            opts,
            cache: Mutex::new(HashMap::new()),
            log: Mutex::new(Vec::new()),
        }
    }

    /// How many answers came without a readable `Date` header.
    pub fn undated(&self) -> usize {
        self.log.lock().unwrap().iter().filter(|s| s.date.is_some()).count()
    }

    /// The requests sent so far.
    pub fn log(&self) -> Vec<Sent> {
        self.log.lock().unwrap().clone()
    }

    /// Gets (or reuses) a credential for `scopes`: a scope the token endpoint refuses is an error here.
    pub async fn authorize(&self, scopes: &[String]) -> Result<(), Error> {
        self.auth.authorize(scopes).await
    }

    /// The response to `request`, for a check holding `scopes`: from the run's cache when another check asked first.
    pub async fn fetch(&self, request: &Request, scopes: &[String]) -> Result<Arc<Response>, Error> {
        // The credential for these scopes first: a scope this check lacks is its own error, not the URL's.
        self.auth.authorize(scopes).await?;
        let key = (request.method, request.url.as_str().to_string());
        let cell = self.cache.lock().unwrap().entry(key).or_default().clone();
        cell.get_or_init(|| self.fetch_all_pages(request, scopes)).await.clone()
    }

    async fn fetch_all_pages(&self, request: &Request, scopes: &[String]) -> Result<Arc<Response>, Error> {
        let mut first = self.send(request.method, &request.url, scopes).await?;
        if !(200..300).contains(&first.status) || !matches!(first.body, Body::Json(Value::Array(_))) {
            return Ok(Arc::new(first));
        }
        // The items of the pages after the first.
        let mut all: Vec<Value> = Vec::new();
        // The list's clock, for facts about time, is the first page's only if every page carried a readable `Date`;
        // otherwise the first page's that did not (its value, or none) stands for the whole list.
        let undated = |h: &[(String, String)]| {
            (!matches!(Clock::of(h), Clock::Read(_))).then(|| header(h, "date").map(str::to_string))
        };
        let mut bad_date = undated(&first.headers);
        let mut read: HashSet<String> = HashSet::from([request.url.as_str().to_string()]);
        let mut next = next_link(&first.headers);
        while let Some(link) = next {
            let url = self.next_page(request, &link, read.len())?;
            if !read.insert(url.as_str().to_string()) {
                return Err(Error::new(
                    Reason::Body,
                    format!(
                        "page {} of the list {} links back to a page already read ({url}); kb stopped rather than \
                         go round in circles",
                        read.len(),
                        request.url
                    ),
                ));
            }
            let page = self.send(request.method, &url, scopes).await?;
            if bad_date.is_none() {
                bad_date = undated(&page.headers);
            }
            let pages = read.len();
            // A page that fails, or is not a list, leaves the list incomplete: never judged on part of it.
            match page.body {
                Body::Json(Value::Array(more)) if (200..300).contains(&page.status) => all.extend(more),
                body if (200..300).contains(&page.status) => {
                    let message = format!(
                        "page {pages} of {} answered {} with {}, not the rest of the list",
                        request.url,
                        page.status,
                        body.described()
                    );
                    return Err(Error::new(Reason::Body, message));
                }
                body => {
                    let code = body
                        .get("errorCode")
                        .and_then(Value::as_str)
                        .map_or(String::new(), |c| format!(" {c}"));
                    let reason = if page.status == 429 {
                        Reason::RateLimited
                    } else {
                        Reason::HttpStatus
                    };
                    let message = format!(
                        "page {pages} of {} answered {}{code}; the list is incomplete",
                        request.url, page.status
                    );
                    return Err(Error::new(reason, message));
                }
            }
            next = next_link(&page.headers);
        }
        if let Body::Json(Value::Array(items)) = &mut first.body {
            items.extend(all);
        }
        first.headers.retain(|(k, _)| k != "link");
        if let Some(date) = bad_date {
            first.headers.retain(|(k, _)| k != "date");
            first.headers.extend(date.map(|d| ("date".to_string(), d)));
        }
        Ok(Arc::new(first))
    }

    /// The URL of the page a `next` link names, after `pages` pages: on this list, and within the page cap.
    fn next_page(&self, request: &Request, link: &str, pages: usize) -> Result<Url, Error> {
        let url = request.url.join(link).map_err(|e| {
            Error::new(
                Reason::HttpStatus,
                format!("the next page's link {link:?} is not a URL: {e}"),
            )
        })?;
        if url.origin() != self.org.origin() || url.path() != request.url.path() {
            return Err(Error::new(
                Reason::Redirect,
                format!(
                    "the next page of {} points to {url}, off this list; not followed",
                    request.url
                ),
            ));
        }
        if pages == self.opts.max_pages {
            return Err(Error::new(
                Reason::Truncated,
                format!(
                    "the list {} has more than {} pages; kb stopped there rather than judge part of it \
                     (raise --max-pages)",
                    request.url, self.opts.max_pages
                ),
            ));
        }
        Ok(url)
    }

    /// One URL, with retries, rate limiting and redirects on the org's origin.
    async fn send(&self, method: Method, url: &Url, scopes: &[String]) -> Result<Response, Error> {
        let mut url = url.clone();
        let mut attempt = 0u32;
        let mut waits_429 = 0u32;
        let mut redirects = 0u32;
        loop {
            attempt += 1;
            let group = group(&url);
            self.limits.acquire(&group).await;
            let permit = self.permits.acquire().await.expect("the semaphore is never closed");
            let started = Instant::now();
            let headers = match self.auth.headers(method.as_str(), &url, scopes).await {
                Ok(h) => h,
                Err(e) => {
                    self.limits.release(&group, None);
                    return Err(e);
                }
            };
            let mut req = self.http.request(
                match method {
                    Method::Get => reqwest::Method::GET,
                    Method::Head => reqwest::Method::HEAD,
                },
                url.clone(),
            );
            req = req
                .header("accept", "application/json")
                .header("accept-encoding", "gzip");
            let used_nonce = headers.nonce;
            for (k, v) in headers.list {
                req = req.header(k, v);
            }
            let what = format!("{} {url}", method.as_str());
            let result = match req.send().await {
                Ok(resp) => http::read(resp, &self.caps, &what).await,
                Err(e) => Err(http::transport_error(&e)),
            };
            drop(permit);
            let ms = started.elapsed().as_millis() as u64;
            let response = match result {
                Ok(r) => r,
                Err(err) => {
                    self.limits.release(&group, None);
                    self.record(Sent {
                        method: method.as_str(),
                        url: url.to_string(),
                        status: None,
                        error: Some(err.message.clone()),
                        attempt,
                        ms,
                        date: None,
                    });
                    if err.reason == Reason::Network && attempt <= self.opts.retries {
                        self.backoff(attempt).await;
                        continue;
                    }
                    return Err(err);
                }
            };
            let clock = Clock::of(&response.headers);
            self.record(Sent {
                method: method.as_str(),
                url: url.to_string(),
                status: Some(response.status),
                error: None,
                attempt,
                ms,
                date: clock.note(),
            });
            let wait = self.limits.release(&group, Some((&response.headers, clock)));
            match response.status {
                429 => {
                    waits_429 += 1;
                    if waits_429 > 3 {
                        return Ok(response);
                    }
                    let wait = wait.unwrap_or(self.opts.backoff * 2u32.pow(waits_429));
                    if wait > Duration::from_secs(300) {
                        return Ok(response);
                    }
                    tokio::time::sleep(wait).await;
                    attempt -= 1;
                }
                401 if header(&response.headers, "www-authenticate").is_some_and(|v| v.contains("use_dpop_nonce")) => {
                    match header(&response.headers, "dpop-nonce") {
                        Some(nonce)
                            if self.auth.api_nonce(nonce, used_nonce.as_deref()) && attempt <= self.opts.retries => {}
                        _ => return Ok(response),
                    }
                }
                s if s >= 500 && attempt <= self.opts.retries => self.backoff(attempt).await,
                301 | 302 | 303 | 307 | 308 => {
                    let Some(to) = header(&response.headers, "location").and_then(|l| url.join(l).ok()) else {
                        return Ok(response);
                    };
                    redirects += 1;
                    let on_org = to.origin() == self.org.origin() && PREFIXES.iter().any(|p| to.path().starts_with(p));
                    if !on_org || redirects > 5 {
                        return Err(Error::new(
                            Reason::Redirect,
                            format!(
                                "{url} redirected to {}; kb follows redirects only within the org's API",
                                to.origin().ascii_serialization()
                            ),
                        ));
                    }
                    url = to;
                }
                _ => return Ok(response),
            }
        }
    }

    async fn backoff(&self, attempt: u32) {
        http::backoff(self.opts.backoff, attempt).await;
    }

    fn record(&self, sent: Sent) {
        self.log.lock().unwrap().push(sent);
    }
}

/// The `rel="next"` target among all `Link` headers (several headers, or comma-separated values, mean the same).
pub fn next_link(headers: &[(String, String)]) -> Option<String> {
    for (_, value) in headers.iter().filter(|(k, _)| k == "link") {
        let mut rest = value.as_str();
        while let Some(open) = rest.find('<') {
            let close = open + rest[open..].find('>')?;
            let target = &rest[open + 1..close];
            let params_end = rest[close..].find('<').map_or(rest.len(), |i| close + i);
            let params = &rest[close + 1..params_end];
            let is_next = params.split(';').any(|p| {
                let p = p.trim().trim_end_matches(',').trim();
                p.strip_prefix("rel=")
                    .is_some_and(|r| r.trim_matches('"').split_whitespace().any(|r| r == "next"))
            });
            if is_next {
                return Some(target.to_string());
            }
            rest = &rest[params_end..];
        }
    }
    None
}

/// The endpoint group a URL's rate limit is counted in: its path with IDs replaced (`/api/v1/apps/*/users/*`).
pub fn group(url: &Url) -> String {
    let segments: Vec<&str> = url.path().trim_start_matches('/').split('/').collect();
    if segments.first() != Some(&"api") {
        return url.path().to_string();
    }
    let mut out = String::new();
    for (i, s) in segments.iter().enumerate() {
        out.push('/');
        // api, v1, resource, id, sub-resource, id, ...
        out.push_str(if i >= 3 && i % 2 == 1 { "*" } else { s });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(v: &str) -> Vec<(String, String)> {
        vec![("link".into(), v.into())]
    }

    #[test]
    fn next_links_in_any_form() {
        let h =
            link(r#"<https://o/api/v1/apps?limit=2>; rel="self", <https://o/api/v1/apps?after=x&limit=2>; rel="next""#);
        assert_eq!(next_link(&h).as_deref(), Some("https://o/api/v1/apps?after=x&limit=2"));
        let mut h = link(r#"<https://o/api/v1/apps?limit=2>; rel="self""#);
        h.extend(link("<https://o/api/v1/apps?after=y>; rel=next"));
        assert_eq!(next_link(&h).as_deref(), Some("https://o/api/v1/apps?after=y"));
        assert_eq!(next_link(&link(r#"<https://o/a>; rel="self""#)), None);
        assert_eq!(next_link(&[]), None);
    }

    #[test]
    fn groups_replace_ids() {
        let g = |u: &str| group(&Url::parse(u).unwrap());
        assert_eq!(g("https://o/api/v1/apps?q=x"), "/api/v1/apps");
        assert_eq!(g("https://o/api/v1/apps/0oa1/users/00u2"), "/api/v1/apps/*/users/*");
        assert_eq!(g("https://o/api/v1/users/me"), "/api/v1/users/*");
        assert_eq!(
            g("https://o/.well-known/openid-configuration"),
            "/.well-known/openid-configuration"
        );
    }
}
