//! Answers no Okta org sends but a proxy, a captive portal or a hostile server in front of one can: pages that are
//! not JSON, bodies of any size (streamed, never held), gzip bombs, unasked-for encodings, a body one byte a second,
//! header sections over any client's limits. The fake org sends them for chosen paths ([`super::Fault::Answer`]);
//! [`RawServer`] writes an answer byte for byte where even the fake's HTTP server would refuse to (100,000 headers).

use std::future::Future as _;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

/// An answer, as sent.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Payload,
}

#[derive(Debug, Clone)]
pub enum Payload {
    Bytes(Vec<u8>),
    /// `chunk`, `times` times: a body of any size from a small buffer.
    Repeat {
        chunk: Bytes,
        times: u64,
    },
    /// `bytes`, one byte every `every`.
    Trickle {
        bytes: Vec<u8>,
        every: Duration,
    },
}

impl Answer {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Answer {
        Answer {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: Payload::Bytes(body.into()),
        }
    }

    /// A sign-in page, as a corporate proxy or a captive portal answers any request.
    pub fn sign_in_page(status: u16) -> Answer {
        Answer::new(
            status,
            "text/html; charset=UTF-8",
            "<html><head><title>Sign in to continue</title></head><body><form action=\"/login\"></form></body></html>",
        )
    }

    pub fn json(status: u16, text: impl Into<Vec<u8>>) -> Answer {
        Answer::new(status, "application/json", text)
    }

    pub fn with(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The bytes of a body sent `times` times; with `advertise`, its whole length as `Content-Length`.
    pub fn repeated(chunk: impl Into<Bytes>, times: u64, advertise: bool) -> Answer {
        let chunk = chunk.into();
        let mut a = Answer {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Payload::Repeat {
                chunk: chunk.clone(),
                times,
            },
        };
        if advertise {
            a.headers
                .push(("content-length".into(), (chunk.len() as u64 * times).to_string()));
        }
        a
    }

    /// A gzip body a few MB long that inflates to `members` × 256 MiB of spaces (valid JSON whitespace, all of it).
    pub fn gzip_bomb(members: u64) -> Answer {
        static MEMBER: OnceLock<Bytes> = OnceLock::new();
        let member = MEMBER.get_or_init(|| {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            let spaces = vec![b' '; 1 << 20];
            for _ in 0..256 {
                gz.write_all(&spaces).unwrap();
            }
            Bytes::from(gz.finish().unwrap())
        });
        Answer::repeated(member.clone(), members, true).with("content-encoding", "gzip")
    }

    /// The compressed size of [`Answer::gzip_bomb`]'s body, and what it inflates to.
    pub fn gzip_bomb_sizes(&self) -> (u64, u64) {
        match &self.body {
            Payload::Repeat { chunk, times } => (chunk.len() as u64 * times, (256u64 << 20) * times),
            _ => (0, 0),
        }
    }

    pub(super) fn response(&self) -> Response {
        let body = match &self.body {
            Payload::Bytes(b) => Body::from(b.clone()),
            Payload::Repeat { chunk, times } => Body::from_stream(Chunks {
                chunk: chunk.clone(),
                left: *times,
            }),
            Payload::Trickle { bytes, every } => Body::from_stream(Trickle {
                bytes: bytes.clone(),
                at: 0,
                every: *every,
                sleep: None,
            }),
        };
        let mut r = Response::new(body);
        *r.status_mut() = StatusCode::from_u16(self.status).unwrap();
        for (k, v) in &self.headers {
            r.headers_mut().append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        r
    }
}

type Sleep = Pin<Box<tokio::time::Sleep>>;

/// A chunk, again and again.
struct Chunks {
    chunk: Bytes,
    left: u64,
}

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        self.left -= 1;
        Poll::Ready(Some(Ok(self.chunk.clone())))
    }
}

/// One byte at a time.
struct Trickle {
    bytes: Vec<u8>,
    at: usize,
    every: Duration,
    sleep: Option<Sleep>,
}

impl futures_core::Stream for Trickle {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.at == self.bytes.len() {
            return Poll::Ready(None);
        }
        let every = self.every;
        let sleep = self.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep(every)));
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.sleep = None;
        self.at += 1;
        let at = self.at;
        Poll::Ready(Some(Ok(Bytes::copy_from_slice(&self.bytes[at - 1..at]))))
    }
}

/// A server on loopback that answers every request with the same bytes, as written, and closes the connection.
pub struct RawServer {
    pub url: String,
    answered: Arc<AtomicUsize>,
}

impl RawServer {
    pub fn start(answer: Vec<u8>) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let answered = Arc::new(AtomicUsize::new(0));
        let count = answered.clone();
        let answer = Arc::new(answer);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (answer, count) = (answer.clone(), count.clone());
                std::thread::spawn(move || {
                    // The request's head, then the answer.
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                        head.push(byte[0]);
                    }
                    count.fetch_add(1, Ordering::SeqCst);
                    let _ = stream.write_all(&answer);
                    let _ = stream.flush();
                });
            }
        });
        RawServer { url, answered }
    }

    /// A status line, then `headers`, then a JSON list as body.
    pub fn with_headers(headers: impl Iterator<Item = String>) -> RawServer {
        let mut out = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n".to_vec();
        for h in headers {
            out.extend_from_slice(h.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n[]");
        RawServer::start(out)
    }

    /// Requests answered so far.
    pub fn answered(&self) -> usize {
        self.answered.load(Ordering::SeqCst)
    }
}
