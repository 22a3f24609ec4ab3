//! A built site served over HTTP on loopback by a real static file server (tower-http's `ServeDir`), in its own
//! thread and runtime, recording what it served so that tests and benchmarks can count the bytes a page fetched.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// One response: the request path and the body's length (from `Content-Length`).
#[derive(Debug, Clone)]
pub struct Served {
    pub path: String,
    pub status: u16,
    pub bytes: u64,
}

/// An axum app served on a free loopback port from a thread and runtime of its own, until dropped.
pub struct Background {
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    /// Binds a port, then serves the app `make` builds for the server's URL (`http://127.0.0.1:PORT`).
    pub fn start(make: impl FnOnce(&str) -> axum::Router) -> Background {
        Background::start_on("127.0.0.1:0", make)
    }

    /// [`Background::start`] on this address (`127.0.0.1:PORT`): a server that takes over from one just stopped.
    pub fn start_on(addr: &str, make: impl FnOnce(&str) -> axum::Router) -> Background {
        let listener = std::net::TcpListener::bind(addr).expect("a loopback port");
        listener.set_nonblocking(true).unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let url = format!("http://{addr}");
        let app = make(&url);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
            rt.shutdown_timeout(Duration::from_millis(100));
        });
        Background {
            url,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A folder served as a static site.
pub struct Server {
    pub url: String,
    log: Arc<Mutex<Vec<Served>>>,
    _server: Background,
}

async fn record(State(log): State<Arc<Mutex<Vec<Served>>>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    let bytes = res
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    log.lock().unwrap().push(Served {
        path,
        status: res.status().as_u16(),
        bytes,
    });
    res
}

impl Server {
    /// Serves `dir` at `http://127.0.0.1:<free port>/`.
    pub fn start(dir: &Path) -> Server {
        Server::start_at(dir, "")
    }

    /// Serves `dir` under the path `prefix` (`/help`), as a host publishing a site below its root does.
    pub fn start_at(dir: &Path, prefix: &str) -> Server {
        let log = Arc::new(Mutex::new(Vec::new()));
        let files = tower_http::services::ServeDir::new(dir);
        let app = if prefix.is_empty() {
            axum::Router::new().fallback_service(files)
        } else {
            axum::Router::new().nest_service(prefix, files)
        };
        let app = app.layer(axum::middleware::from_fn_with_state(log.clone(), record));
        let server = Background::start(|_| app);
        Server {
            url: server.url.clone(),
            log,
            _server: server,
        }
    }

    /// Everything served since the start or the last `take`, and forgets it.
    pub fn take(&self) -> Vec<Served> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}
