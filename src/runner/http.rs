//! The HTTP layer every part of a run shares (the API client and the token endpoint): the `reqwest` client, retry
//! backoff, transport errors in words, and reading an answer within its caps.
//!
//! Reading is where "no answer can exhaust memory" holds: a body is read in chunks and counted against
//! `--max-body` as it arrives (a `Content-Length` over it is refused before reading), a gzip body is inflated by kb
//! itself with the same cap on what it inflates to, its JSON is parsed within a budget ([`answer::parse`]), and
//! everything the run holds (bodies being read, parsed answers in the cache) is counted against `--max-total`.

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rand::Rng;

use crate::checks::answer::{self, Body, Response, size};
use crate::checks::eval::{Error, Reason};

/// The caps of a run, and what it holds against them.
#[derive(Debug)]
pub struct Caps {
    /// One answer: the bytes received, the bytes they inflate to, and the memory its parsed JSON takes (estimated).
    pub max_body: usize,
    /// Everything the run's answers hold at once (bodies being read, and the parsed answers its cache keeps).
    pub max_total: usize,
    held: AtomicUsize,
}

impl Caps {
    pub fn new(max_body: usize, max_total: usize) -> Caps {
        Caps {
            max_body,
            max_total,
            held: AtomicUsize::new(0),
        }
    }

    /// Counts `n` more bytes as held; false (and nothing counted) when that would pass `max_total`.
    fn take(&self, n: usize) -> bool {
        self.held
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |held| {
                held.checked_add(n).filter(|&t| t <= self.max_total)
            })
            .is_ok()
    }

    fn give(&self, n: usize) {
        self.held.fetch_sub(n, Ordering::SeqCst);
    }

    /// What the run holds now.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }

    fn over_total(&self, what: &str) -> Error {
        Error::new(
            Reason::Body,
            format!(
                "the answers of this run would hold more than {} (--max-total); kb stopped reading {what}",
                size(self.max_total as u64)
            ),
        )
    }
}

/// The HTTP client every part of a run shares: no redirects (the client follows them, on the org only), no
/// decompression of its own (kb inflates gzip itself, within its caps), the run's `User-Agent`, and `timeout` on
/// each whole exchange, from connecting to the last byte of the body.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    // Installing the provider twice (a second run in one process) is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("kb/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| format!("cannot start the HTTP client: {e}"))
}

/// Waits before retry `attempt` (from 1): `base` doubled per attempt, with ±50% jitter.
pub async fn backoff(base: Duration, attempt: u32) {
    let secs = base.as_secs_f64() * 2f64.powi(attempt as i32 - 1);
    let jitter = rand::thread_rng().gen_range(0.5..1.5);
    tokio::time::sleep(Duration::from_secs_f64(secs * jitter)).await;
}

/// A transport failure in words, naming the cause, never the request's headers. An answer whose header section
/// the HTTP client refuses (over its size or count limits, or malformed) is a `body` error: the org answered, and
/// kb could not read the answer. Only `network` errors are worth retrying.
pub fn transport_error(e: &reqwest::Error) -> Error {
    let url = e.url().map(|u| u.as_str().to_string()).unwrap_or_default();
    if e.is_timeout() {
        return Error::new(Reason::Timeout, format!("timed out waiting for {url}"));
    }
    let mut cause = String::new();
    let mut unreadable = false;
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            unreadable |= h.is_parse() || h.is_parse_too_large() || h.is_parse_status();
        }
        cause = s.to_string();
        source = s.source();
    }
    if unreadable {
        return Error::new(
            Reason::Body,
            format!(
                "the org's answer to {url} could not be read: its status line or headers are malformed or over the \
                 HTTP client's limits ({cause})"
            ),
        );
    }
    let what = if e.is_connect() {
        "cannot connect to"
    } else {
        "the connection failed while reading"
    };
    let cause = if cause.is_empty() {
        String::new()
    } else {
        format!(" ({cause})")
    };
    Error::new(Reason::Network, format!("{what} {url}{cause}"))
}

/// How the body is encoded.
enum Encoding {
    Identity,
    Gzip,
}

/// Reads an answer whole, within `caps`: its status, headers (lowercase names) and body as kb read it. `what` names
/// the request for messages (`GET https://…`). A cap passed is a `body` error; a transport failure while reading is
/// a `network` or `timeout` error.
pub async fn read(mut resp: reqwest::Response, caps: &Caps, what: &str) -> Result<Response, Error> {
    let status = resp.status().as_u16();
    let headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let header = |name: &str| crate::checks::header(&headers, name);
    let encoding = match header("content-encoding").map(|e| e.trim().to_ascii_lowercase()) {
        None => Encoding::Identity,
        Some(e) if e.is_empty() || e == "identity" => Encoding::Identity,
        Some(e) if e == "gzip" || e == "x-gzip" => Encoding::Gzip,
        Some(e) => {
            return Err(Error::new(
                Reason::Body,
                format!(
                    "the org answered {status} with `Content-Encoding: {}`, which kb did not ask for (it asks for \
                     gzip): kb cannot read it",
                    crate::text::snippet(e.as_bytes(), 40)
                ),
            ));
        }
    };
    let cap = caps.max_body;
    if let Some(n) = resp.content_length().filter(|&n| n > cap as u64) {
        return Err(Error::new(
            Reason::Body,
            format!(
                "the org answered {status} with a body of {} (its Content-Length), over the cap of {} for one \
                 answer (--max-body); kb did not read {what}",
                size(n),
                size(cap as u64)
            ),
        ));
    }
    // The bytes being read count against --max-total until they are parsed (the guard gives them back).
    let mut held = Held { caps, n: 0 };
    let raw = chunks(&mut resp, &mut held, what).await?;
    let content_type = header("content-type");
    let bytes = match encoding {
        Encoding::Identity => raw,
        Encoding::Gzip => match inflate(&raw, cap) {
            Ok(Some(inflated)) => {
                held.take(inflated.len(), what)?;
                inflated
            }
            Ok(None) => {
                return Err(Error::new(
                    Reason::Body,
                    format!(
                        "the org's gzip answer to {what} inflates to more than {}, the cap for one answer \
                         (--max-body); kb stopped inflating it",
                        size(cap as u64)
                    ),
                ));
            }
            Err(e) => {
                let body = Body::Unreadable(format!(
                    "{} ({} of gzip), which does not inflate ({e})",
                    answer::media_type(content_type),
                    size(raw.len() as u64)
                ));
                return Ok(Response { status, headers, body });
            }
        },
    };
    let (body, cost) = answer::parse(&bytes, content_type, cap);
    drop((bytes, held));
    // The parsed answer stays held for the run: the cache keeps it.
    if !caps.take(cost) {
        return Err(caps.over_total(what));
    }
    Ok(Response { status, headers, body })
}

/// Bytes counted against `--max-total` while an answer is read; given back when dropped.
struct Held<'a> {
    caps: &'a Caps,
    n: usize,
}

impl Held<'_> {
    fn take(&mut self, n: usize, what: &str) -> Result<(), Error> {
        if !self.caps.take(n) {
            return Err(self.caps.over_total(what));
        }
        self.n += n;
        Ok(())
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.caps.give(self.n);
    }
}

/// The body's bytes as they arrive, within `--max-body` (and `--max-total`, through `held`).
async fn chunks(resp: &mut reqwest::Response, held: &mut Held<'_>, what: &str) -> Result<Vec<u8>, Error> {
    let cap = held.caps.max_body;
    // The whole body at once when its length is known (and within the cap): no doubling on the way.
    let mut raw: Vec<u8> = Vec::with_capacity(resp.content_length().unwrap_or(0) as usize);
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(&e))? {
        if raw.len() + chunk.len() > cap {
            return Err(Error::new(
                Reason::Body,
                format!(
                    "the org's answer to {what} was still coming after {}, the cap for one answer (--max-body); kb \
                     stopped reading it",
                    size(cap as u64)
                ),
            ));
        }
        held.take(chunk.len(), what)?;
        raw.extend_from_slice(&chunk);
    }
    Ok(raw)
}

/// Inflates a gzip body (one member or several): `Ok(None)` when it inflates to more than `cap` bytes.
fn inflate(raw: &[u8], cap: usize) -> std::io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(raw)
        .take(cap as u64 + 1)
        .read_to_end(&mut out)?;
    Ok((out.len() <= cap).then_some(out))
}

/// Parses a `--max-body` style size: `32MiB`, `512 KiB`, `1GB`, `1048576` (bytes).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, unit) = (&s[..split], s[split..].trim());
    let n: f64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a size; write it as 32MiB, 512KiB or a number of bytes"))?;
    let scale: f64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mib" => 1024.0 * 1024.0,
        "g" | "gb" => 1e9,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => {
            return Err(format!(
                "`{unit}` is not a unit of size; use B, KiB, MiB or GiB (or KB, MB, GB)"
            ));
        }
    };
    let bytes = n * scale;
    if !(1.0..=(usize::MAX as f64)).contains(&bytes) {
        return Err(format!("`{s}` is not a size kb can use"));
    }
    Ok(bytes as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_the_units_people_write() {
        assert_eq!(parse_size("32MiB"), Ok(32 << 20));
        assert_eq!(parse_size("512 KiB"), Ok(512 << 10));
        assert_eq!(parse_size("1GB"), Ok(1_000_000_000));
        assert_eq!(parse_size("1.5mib"), Ok(3 << 19));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").unwrap_err().contains("not a size"));
        assert!(parse_size("3 parsecs").unwrap_err().contains("not a unit of size"));
    }

    #[test]
    fn the_run_budget_refuses_what_would_pass_it_and_counts_nothing_then() {
        let caps = Caps::new(100, 250);
        assert!(caps.take(200));
        assert!(!caps.take(51));
        assert_eq!(caps.held(), 200);
        caps.give(200);
        assert!(caps.take(250));
    }

    #[test]
    fn gzip_inflates_up_to_the_cap_and_no_further() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&vec![b' '; 1 << 20]).unwrap();
        let member = gz.finish().unwrap();
        // Two members: what HTTP allows a gzip body to be.
        let two = [member.clone(), member.clone()].concat();
        assert_eq!(inflate(&two, 2 << 20).unwrap().map(|v| v.len()), Some(2 << 20));
        assert_eq!(inflate(&two, (2 << 20) - 1).unwrap(), None);
        assert!(
            inflate(&member[..member.len() - 4], 4 << 20).is_err(),
            "a cut stream does not inflate"
        );
        assert!(inflate(b"not gzip", 100).is_err());
    }
}
