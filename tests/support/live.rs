//! A real `kb serve` process on a free loopback port, and plain HTTP clients for it: a GET, and a listener on its
//! live-reload channel (server-sent events).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `kb serve` running on a site folder until dropped; what it prints (stderr) is kept.
pub struct KbServe {
    pub url: String,
    child: Child,
    log: Arc<Mutex<String>>,
}

impl KbServe {
    /// Starts `kb` (the binary at `program`) with `serve --port 0 ARGS` in `root` and waits until it serves.
    pub fn start_with(program: &Path, root: &Path, args: &[&str]) -> KbServe {
        let mut child = Command::new(program)
            .args(["serve", "--port", "0"])
            .args(args)
            .current_dir(root)
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kb serve starts");
        let stderr = child.stderr.take().expect("piped");
        let log = Arc::new(Mutex::new(String::new()));
        let (url_tx, url_rx) = mpsc::channel();
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find(" at http://") {
                    let _ = url_tx.send(line[at + 4..].trim().to_string());
                }
                let mut log = kept.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let url = match url_rx.recv_timeout(Duration::from_secs(120)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("kb serve did not start:\n{}", log.lock().unwrap());
            }
        };
        KbServe { url, child, log }
    }

    /// Starts the `kb` this test suite built.
    pub fn start(root: &Path, args: &[&str]) -> KbServe {
        KbServe::start_with(Path::new(env!("CARGO_BIN_EXE_kb")), root, args)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What it has printed so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until what it printed contains `needle`.
    pub fn wait_for_log(&self, needle: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !self.log().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "kb serve did not print `{needle}` within {secs} s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The host and port it serves on.
    pub fn authority(&self) -> &str {
        authority(&self.url)
    }

    pub fn get(&self, path: &str) -> Response {
        get(self.authority(), path)
    }
}

impl Drop for KbServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn authority(url: &str) -> &str {
    url.trim_start_matches("http://").trim_end_matches('/')
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then_some(v.trim())
        })
    }
}

/// `GET path` over HTTP/1.0 (one connection, the body up to its end).
pub fn get(authority: &str, path: &str) -> Response {
    let mut stream = TcpStream::connect(authority).expect("the server accepts");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("a response");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Response {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

/// One server-sent event: its name and data.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    pub data: String,
    pub at: Instant,
}

/// A client of the live-reload channel, as an open page's script is.
pub struct Listener {
    events: Receiver<Event>,
    _stream: TcpStream,
}

impl Listener {
    pub fn connect(server: &KbServe) -> Listener {
        let authority = server.authority().to_string();
        let mut stream = TcpStream::connect(&authority).expect("the server accepts");
        // HTTP/1.0: the stream is the body up to the connection's end, without chunking.
        write!(
            stream,
            "GET /__kb/live HTTP/1.0\r\nHost: {authority}\r\nAccept: text/event-stream\r\n\r\n"
        )
        .unwrap();
        let reader = stream.try_clone().unwrap();
        let (tx, events) = mpsc::channel();
        std::thread::spawn(move || {
            let mut name = String::new();
            let mut data = String::new();
            for line in BufReader::new(reader).lines().map_while(Result::ok) {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.strip_prefix(' ').unwrap_or(v));
                } else if line.is_empty() && !name.is_empty() {
                    let event = Event {
                        name: std::mem::take(&mut name),
                        data: std::mem::take(&mut data),
                        at: Instant::now(),
                    };
                    if tx.send(event).is_err() {
                        return;
                    }
                }
            }
        });
        Listener {
            events,
            _stream: stream,
        }
    }

    /// The next event named `name` within `secs` seconds (others before it are skipped).
    pub fn next(&self, name: &str, secs: u64) -> Event {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(e) if e.name == name => return e,
                Ok(_) => {}
                Err(_) => panic!("no `{name}` event within {secs} s"),
            }
        }
    }
}

/// Polls `path` until its body contains `needle`; returns when it first did, measured from `since`.
pub fn served_within(authority: &str, path: &str, needle: &str, since: Instant, limit: Duration) -> Duration {
    loop {
        let r = get(authority, path);
        if r.status == 200 && r.body.contains(needle) {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < limit,
            "{path} did not show `{needle}` within {limit:?} (status {})",
            r.status
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}
