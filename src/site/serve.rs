//! `kb serve`'s HTTP side: the site's files served from memory by axum, and a live-reload channel (server-sent
//! events at `/__kb/live`) that tells open pages to reload when they change, and shows a build's errors over the
//! page until a good save clears them. Pages are stored as a build makes them; the script that listens is added to
//! HTML pages as they are served.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::broadcast;

use super::live::Files;

/// Where the live-reload channel and its script are served, under the base path.
pub const LIVE: &str = "__kb/live";
const SCRIPT: &str = "__kb/live.js";

/// What the live-reload channel tells open pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// These page URLs changed; `all`: a file every page may use did (a style sheet, a script, an image).
    Reload { pages: Vec<String>, all: bool },
    /// The last save did not build: the errors, as the terminal shows them.
    Failed(String),
    /// A good save after a failed one.
    Fixed,
}

impl Notice {
    fn event(&self) -> Event {
        match self {
            Notice::Reload { pages, all } => Event::default()
                .event("reload")
                .data(serde_json::json!({ "pages": pages, "all": all }).to_string()),
            Notice::Failed(text) => Event::default()
                .event("failed")
                .data(serde_json::Value::from(text.as_str()).to_string()),
            Notice::Fixed => Event::default().event("fixed").data("{}"),
        }
    }
}

/// The files being served, and the channel to open pages.
pub struct Store {
    base_path: String,
    pages: RwLock<HashMap<String, Bytes>>,
    /// The search index, kept apart: it is rebuilt in the background, on its own schedule.
    search: RwLock<HashMap<String, Bytes>>,
    error: RwLock<Option<String>>,
    notices: broadcast::Sender<Notice>,
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The URL of a file of the site: `a/b/index.html` → `/a/b/`.
fn url_of(base_path: &str, rel: &str) -> String {
    match rel.strip_suffix("index.html") {
        Some(dir) if dir.is_empty() || dir.ends_with('/') => format!("{base_path}{dir}"),
        _ => format!("{base_path}{rel}"),
    }
}

impl Store {
    pub fn new(base_path: &str) -> Arc<Store> {
        Arc::new(Store {
            base_path: base_path.to_string(),
            pages: RwLock::default(),
            search: RwLock::default(),
            error: RwLock::default(),
            notices: broadcast::channel(64).0,
        })
    }

    /// Serves `files` from now on, with `removed` gone (`everything`: `files` is the whole site, so anything not in
    /// it is gone), and tells open pages which of them changed. Returns how many files changed.
    pub fn publish(&self, files: Files, removed: &[String], everything: bool) -> usize {
        let mut changed = Vec::new();
        {
            let mut pages = write(&self.pages);
            let mut gone: Vec<String> = removed.to_vec();
            if everything {
                gone.extend(pages.keys().filter(|k| !files.contains_key(*k)).cloned());
            }
            for rel in gone {
                if pages.remove(&rel).is_some() {
                    changed.push(rel);
                }
            }
            for (rel, bytes) in files {
                if pages.get(&rel).is_none_or(|old| old[..] != bytes[..]) {
                    pages.insert(rel.clone(), Bytes::from(bytes));
                    changed.push(rel);
                }
            }
        }
        let fixed = write(&self.error).take().is_some();
        if fixed {
            let _ = self.notices.send(Notice::Fixed);
        }
        if !changed.is_empty() || fixed {
            changed.sort();
            let all = fixed || changed.iter().any(|rel| !rel.ends_with(".html"));
            let pages = changed
                .iter()
                .filter(|rel| rel.ends_with(".html"))
                .map(|rel| url_of(&self.base_path, rel))
                .collect();
            let _ = self.notices.send(Notice::Reload { pages, all });
        }
        changed.len()
    }

    /// The last save failed: open pages show `text` over the page, which stays the last good one.
    pub fn fail(&self, text: String) {
        *write(&self.error) = Some(text.clone());
        let _ = self.notices.send(Notice::Failed(text));
    }

    /// Replaces the search index. Open pages are not reloaded: the search page loads the index as it searches.
    pub fn set_search(&self, files: Files) {
        *write(&self.search) = files.into_iter().map(|(k, v)| (k, Bytes::from(v))).collect();
    }

    /// Listens to what open pages are told (tests, and the channel itself).
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }

    fn file(&self, rel: &str) -> Option<Bytes> {
        if let Some(b) = read(&self.pages).get(rel) {
            return Some(b.clone());
        }
        read(&self.search).get(rel).cloned()
    }

    fn has(&self, rel: &str) -> bool {
        read(&self.pages).contains_key(rel)
    }
}

/// The server's routes: the live-reload channel and script, and every file of the site.
pub fn router(store: Arc<Store>) -> Router {
    let base = store.base_path.clone();
    Router::new()
        .route(&format!("{base}{LIVE}"), get(live))
        .route(&format!("{base}{SCRIPT}"), get(script))
        .fallback(get(file))
        .with_state(store)
}

/// Serves the site until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, store: Arc<Store>) -> std::io::Result<()> {
    axum::serve(listener, router(store)).await
}

async fn live(State(store): State<Arc<Store>>) -> impl IntoResponse {
    let rx = store.subscribe();
    // A page that connects while the site is broken shows the errors at once.
    let first: Vec<Notice> = read(&store.error).clone().map(Notice::Failed).into_iter().collect();
    let stream = futures_util::stream::unfold((first, rx), |(mut first, mut rx)| async move {
        if let Some(n) = first.pop() {
            return Some((Ok::<_, Infallible>(n.event()), (first, rx)));
        }
        let notice = match rx.recv().await {
            Ok(n) => n,
            // Too far behind to know what changed: reload whatever it is.
            Err(broadcast::error::RecvError::Lagged(_)) => Notice::Reload {
                pages: Vec::new(),
                all: true,
            },
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok(notice.event()), (first, rx)))
    });
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    no_store(&mut response);
    response
}

async fn script(State(store): State<Arc<Store>>) -> Response {
    let js = include_str!("live.js").replace("__LIVE__", &format!("{}{LIVE}", store.base_path));
    let mut response = ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], js).into_response();
    no_store(&mut response);
    response
}

fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

async fn file(State(store): State<Arc<Store>>, uri: Uri) -> Response {
    let path = percent_encoding::percent_decode_str(uri.path()).decode_utf8_lossy();
    let Some(rel) = path.strip_prefix(store.base_path.as_str()) else {
        return not_found(&store);
    };
    let rel = if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.to_string()
    };
    match store.file(&rel) {
        Some(bytes) => respond(&store, &rel, bytes, StatusCode::OK),
        // `/a/b` for the page `/a/b/`.
        None if store.has(&format!("{rel}/index.html")) => {
            let mut to = format!("{path}/");
            if let Some(q) = uri.query() {
                to.push('?');
                to.push_str(q);
            }
            let mut response = StatusCode::PERMANENT_REDIRECT.into_response();
            if let Ok(v) = HeaderValue::from_str(&to) {
                response.headers_mut().insert(header::LOCATION, v);
            }
            response
        }
        None => not_found(&store),
    }
}

fn not_found(store: &Store) -> Response {
    match store.file("404.html") {
        Some(bytes) => respond(store, "404.html", bytes, StatusCode::NOT_FOUND),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn respond(store: &Store, rel: &str, bytes: Bytes, status: StatusCode) -> Response {
    let mime = mime_guess::from_path(rel).first_or_octet_stream();
    let body = if mime.subtype() == mime_guess::mime::HTML {
        Bytes::from(with_script(&bytes, &store.base_path))
    } else {
        bytes
    };
    let mut response = (status, body).into_response();
    let content_type = if mime.type_() == mime_guess::mime::TEXT || mime.subtype() == mime_guess::mime::JAVASCRIPT {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    no_store(&mut response);
    response
}

/// The page with the live-reload script added before `</body>` (or at the end).
fn with_script(html: &[u8], base_path: &str) -> Vec<u8> {
    let tag = format!("<script src=\"{base_path}{SCRIPT}\" defer></script>");
    let at = html
        .windows(7)
        .rposition(|w| w.eq_ignore_ascii_case(b"</body>"))
        .unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + tag.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_files() {
        assert_eq!(url_of("/", "index.html"), "/");
        assert_eq!(url_of("/", "a/b/index.html"), "/a/b/");
        assert_eq!(url_of("/help/", "a/index.html"), "/help/a/");
        assert_eq!(url_of("/", "404.html"), "/404.html");
        assert_eq!(url_of("/", "assets/xindex.html"), "/assets/xindex.html");
    }

    #[test]
    fn the_script_goes_before_the_last_body_end() {
        let out = with_script(b"<body><p>&lt;/body&gt;</p></BODY></html>", "/");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<body><p>&lt;/body&gt;</p><script src=\"/__kb/live.js\" defer></script></BODY></html>"
        );
        assert!(with_script(b"<p>x", "/h/").ends_with(b"<p>x<script src=\"/h/__kb/live.js\" defer></script>"));
    }

    #[test]
    fn publishing_reports_what_changed_once() {
        let store = Store::new("/");
        let mut rx = store.subscribe();
        let files: Files = [("a/index.html".to_string(), b"1".to_vec())].into();
        assert_eq!(store.publish(files.clone(), &[], true), 1);
        assert_eq!(
            rx.try_recv().unwrap(),
            Notice::Reload {
                pages: vec!["/a/".into()],
                all: false
            }
        );
        assert_eq!(store.publish(files, &[], false), 0, "same bytes: nothing to reload");
        assert!(rx.try_recv().is_err());
        store.fail("content/a.md:1:1 error".into());
        assert_eq!(rx.try_recv().unwrap(), Notice::Failed("content/a.md:1:1 error".into()));
        let files: Files = [("assets/kb.css".to_string(), b"x".to_vec())].into();
        assert_eq!(
            store.publish(files, &[], true),
            2,
            "the css is new and the page is gone"
        );
        assert_eq!(rx.try_recv().unwrap(), Notice::Fixed);
        assert_eq!(
            rx.try_recv().unwrap(),
            Notice::Reload {
                pages: vec!["/a/".into()],
                all: true
            }
        );
    }
}
