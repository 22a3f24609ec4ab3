//! A real headless Chromium driven over WebDriver (Debian's `chromium` and `chromium-driver`, through fantoccini).
//!
//! One browser runs at a time in a test process: [`Browser::start`] takes a process-wide lock that its drop
//! releases. Chromium gets a fresh profile, the flags that keep it from reaching out to the network, and a proxy
//! that forwards nothing and records what reached it, so a test can assert that a page fetched nothing from another
//! host ([`Browser::offsite`]).

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tempfile::TempDir;

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub const FLAGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pings",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,AutofillServerCommunication",
    "--window-size=1280,1000",
];

fn program(var: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from);
    assert!(
        path.exists(),
        "{} not found: the browser tests need Debian's chromium and chromium-driver \
         (sudo apt-get install chromium chromium-driver), or {var} pointing at the program",
        path.display()
    );
    path
}

/// Installed before a page's own scripts by [`Browser::watch_csp`].
const WATCH_CSP: &str = "window.kbCspViolations = []; document.addEventListener('securitypolicyviolation', \
    function (e) { window.kbCspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || '-') + ' ' + \
    (e.sample || '')); }, true);";

/// A DevTools command sent through chromedriver (`POST /session/{id}/goog/cdp/execute`).
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Runs `test` with a fresh browser on a runtime of its own, then closes the browser (a failing test's browser is
/// ended by dropping it).
pub fn with_browser(test: impl AsyncFnOnce(&Browser)) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let b = Browser::start().await;
        test(&b).await;
        b.close().await;
    });
}

pub struct Browser {
    pub client: Client,
    offsite: Arc<Mutex<Vec<String>>>,
    _driver: Driver,
    _profile: TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// chromedriver, in a process group of its own with the Chromium it starts: dropping it ends them all, even when a
/// test panics.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the process group this struct owns; it cannot touch any other process.
        unsafe { libc::kill(-(self.0.id() as libc::pid_t), libc::SIGKILL) };
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A proxy that forwards nothing: Chromium sends it every request for another host, and it records their first
/// line. Loopback is not proxied, so the site under test is reached directly.
fn offsite_trap() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            // Chromium opens spare connections to its proxy ahead of need and may send a request on one much later:
            // each connection is read on its own until its first line or its end, and only a request counts.
            let log = log.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 512];
                let n = conn.read(&mut buf).unwrap_or(0);
                let text = String::from_utf8_lossy(&buf[..n]);
                if let Some(line) = text.lines().next().filter(|l| !l.is_empty()) {
                    log.lock().unwrap().push(line.to_string());
                }
            });
        }
    });
    (port, seen)
}

impl Browser {
    pub async fn start() -> Browser {
        let turn = ONE_AT_A_TIME.lock().await;
        let chromium = program("KB_CHROMIUM", "/usr/bin/chromium");
        let chromedriver = program("KB_CHROMEDRIVER", "/usr/bin/chromedriver");
        let profile = tempfile::tempdir().unwrap();
        let port = free_port();
        let driver = Driver(
            Command::new(chromedriver)
                .arg(format!("--port={port}"))
                .process_group(0)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver starts"),
        );
        let (trap, offsite) = offsite_trap();
        let mut args: Vec<String> = FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push(format!("--proxy-server=http://127.0.0.1:{trap}"));
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        });
        let Value::Object(caps) = caps else { unreachable!() };
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
            builder.capabilities(caps.clone());
            match builder.connect(&url).await {
                Ok(c) => break c,
                Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(e) => panic!("cannot start a Chromium session through chromedriver: {e}"),
            }
        };
        Browser {
            client,
            offsite,
            _driver: driver,
            _profile: profile,
            _turn: turn,
        }
    }

    /// The requests sent to another host since the browser started, but for Chromium's own background traffic to
    /// its vendor's and its default search engine's hosts (clock, updates, sign-in, preconnect), which no page
    /// causes and the flags do not all stop. A font or script from `fonts.googleapis.com` or a CDN still counts.
    pub fn offsite(&self) -> Vec<String> {
        const BROWSER_OWN: &[&str] = &[
            "clients2.google.com",
            "update.googleapis.com",
            "accounts.google.com",
            "start.duckduckgo.com",
            "duckduckgo.com",
            "www.google.com",
            "redirector.gvt1.com",
            "safebrowsing.googleapis.com",
            "optimizationguide-pa.googleapis.com",
            "content-autofill.googleapis.com",
        ];
        let host = |line: &str| -> String {
            let target = line.split(' ').nth(1).unwrap_or("");
            let target = target.split("://").nth(1).unwrap_or(target);
            let authority = target.split('/').next().unwrap_or("");
            authority.rsplit_once(':').map_or(authority, |(h, _)| h).to_string()
        };
        let seen = self.offsite.lock().unwrap();
        seen.iter()
            .filter(|line| !BROWSER_OWN.contains(&host(line).as_str()))
            .cloned()
            .collect()
    }

    /// Waits for a CSS selector to match, for at most 15 s.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("`{css}` did not appear: {e}"))
    }

    /// Clicks the element `css` matches.
    pub async fn click(&self, css: &str) {
        let el = self.client.find(Locator::Css(css)).await;
        let el = el.unwrap_or_else(|e| panic!("nothing matches `{css}`: {e}"));
        el.click().await.unwrap_or_else(|e| panic!("cannot click `{css}`: {e}"));
    }

    /// The text of the element `css` matches.
    pub async fn text(&self, css: &str) -> String {
        let el = self.client.find(Locator::Css(css)).await;
        let el = el.unwrap_or_else(|e| panic!("nothing matches `{css}`: {e}"));
        el.text().await.expect("its text")
    }

    /// Polls `ready` every 25 ms until it holds; panics naming `what` after `secs` seconds.
    pub async fn until<F, Fut>(&self, what: &str, secs: u64, mut ready: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !ready().await {
            assert!(Instant::now() < deadline, "timed out after {secs} s waiting for {what}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Whether a script returns `true`; `false` also when it cannot run, as while a page is being replaced by the
    /// next one. For polling with [`Browser::until`].
    pub async fn holds(&self, script: &str) -> bool {
        self.client.execute(script, vec![]).await.ok() == Some(Value::Bool(true))
    }

    /// Runs a script and returns its value.
    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.expect("the script runs")
    }

    /// Saves a screenshot under `target/` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("a screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join("screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Records every `securitypolicyviolation` of the pages opened from now on: a listener that Chromium runs in
    /// each new document before the page's own scripts (DevTools' `Page.addScriptToEvaluateOnNewDocument`, through
    /// chromedriver), so that a violation while the page loads is seen too. Read with [`Browser::csp_violations`].
    pub async fn watch_csp(&self) {
        let cmd = Cdp {
            cmd: "Page.addScriptToEvaluateOnNewDocument",
            params: json!({ "source": WATCH_CSP }),
        };
        self.client
            .issue_cmd(cmd)
            .await
            .expect("chromedriver runs a DevTools command");
    }

    /// Lets pages of `origin` write to the clipboard (the copy buttons), as a reader's click would in a browser
    /// with a window.
    pub async fn grant_clipboard(&self, origin: &str) {
        let cmd = Cdp {
            cmd: "Browser.grantPermissions",
            params: json!({ "origin": origin, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"] }),
        };
        self.client
            .issue_cmd(cmd)
            .await
            .expect("chromedriver runs a DevTools command");
    }

    /// Emulates a CSS media type (`"print"`, or `""` for the screen) and a colour scheme (`"light"` or `"dark"`)
    /// for the pages from now on (DevTools' `Emulation.setEmulatedMedia`).
    pub async fn emulate(&self, media: &str, scheme: &str) {
        let cmd = Cdp {
            cmd: "Emulation.setEmulatedMedia",
            params: json!({ "media": media, "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
        };
        self.client
            .issue_cmd(cmd)
            .await
            .expect("chromedriver runs a DevTools command");
    }

    /// The violations the current page reported (directive, blocked URL, sample); panics if the listener of
    /// [`Browser::watch_csp`] is not on the page, so that an empty list always means it listened.
    pub async fn csp_violations(&self) -> Vec<String> {
        match self.js("return window.kbCspViolations || null").await {
            Value::Array(v) => v.iter().map(|v| v.as_str().unwrap_or_default().to_string()).collect(),
            other => panic!("the violation listener is not on this page: {other}"),
        }
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}
