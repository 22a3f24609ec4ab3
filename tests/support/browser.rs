//! A real headless Chromium driven over WebDriver (Debian's `chromium` and `chromium-driver`, through fantoccini).
//!
//! One browser runs at a time in a test process: [`Browser::start`] takes a process-wide lock that its drop
//! releases. Chromium gets a fresh profile and the flags that keep it from reaching out to the network.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
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

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl Browser {
    pub async fn start() -> Browser {
        let turn = ONE_AT_A_TIME.lock().await;
        let chromium = program("KB_CHROMIUM", "/usr/bin/chromium");
        let chromedriver = program("KB_CHROMEDRIVER", "/usr/bin/chromedriver");
        let profile = tempfile::tempdir().unwrap();
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut args: Vec<String> = FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
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
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot start a Chromium session through chromedriver: {e}"),
            }
        };
        Browser {
            client,
            driver,
            _profile: profile,
            _turn: turn,
        }
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

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
