//! Search benchmark: builds a generated corpus with and without the search index, then measures queries in a real
//! headless Chromium against the site served on loopback.
//!
//! ```sh
//! cargo bench --bench search                      # 10,000 articles of ~1,000 words
//! cargo bench --bench search -- --articles 1000   # any size; --words N sets the prose per article
//! ```
//!
//! Reports: the index phase's time and the build's peak memory with and without search, the index size on disk,
//! and per query, in a fresh browser (cold cache): the bytes fetched (all of them, and the index's share) and the
//! time from navigation start to the first result on screen.

// The tests' own helpers: the same browser, server and corpus as the browser tests.
#[allow(dead_code)]
#[path = "../tests/support/browser.rs"]
mod browser;
#[allow(dead_code)]
#[path = "../tests/support/corpus.rs"]
mod corpus;
#[allow(dead_code)]
#[path = "../tests/support/serve.rs"]
mod serve;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const QUERIES: &[&str] = &[
    "E0000015",
    "403 Not Assigned App",
    "insufficient_scope",
    "Sorry, you can't access Zorblax Payroll because you are not assigned to this app in Okta. If you're wondering \
     why this is happening, please contact your administrator.",
];

struct Build {
    wall: Duration,
    peak_rss_kb: i64,
    phases: Vec<(String, String)>,
}

/// Runs `kb build` on `root` and waits for it with `wait4`, which reports the child's own peak RSS.
fn build(kb: &Path, root: &Path, extra: &[&str]) -> Build {
    let started = Instant::now();
    // Waited for with wait4 below, which std's Child does not offer.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(kb)
        .arg("build")
        .args(extra)
        .current_dir(root)
        .env("KB_TIMINGS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kb runs");
    let pid = child.id() as libc::pid_t;
    let stderr = child.stderr.expect("piped");
    let reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value, and wait4 writes it for the child we spawned and own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child, not yet waited for; both pointers are valid for the call.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    let text = reader.join().unwrap();
    assert!(
        waited == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "kb build failed:\n{text}"
    );
    let phases = text
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            Some((parts.next()?.to_string(), parts.next()?.to_string()))
        })
        .filter(|(name, _)| !name.starts_with("Built"))
        .collect();
    Build {
        wall,
        peak_rss_kb: usage.ru_maxrss,
        phases,
    }
}

/// Bytes and files under `dir`.
fn dir_size(dir: &Path) -> (u64, usize) {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .fold((0, 0), |(bytes, files), e| {
            (bytes + e.metadata().map_or(0, |m| m.len()), files + 1)
        })
}

fn mb(kb: i64) -> String {
    format!("{:.0} MB", kb as f64 / 1024.0)
}

#[tokio::main]
async fn main() {
    let opts = corpus::Options::from_args();
    let kb = Path::new(env!("CARGO_BIN_EXE_kb"));
    let root = tempfile::tempdir().unwrap();
    let t = Instant::now();
    corpus::write_site(root.path(), &opts).unwrap();
    println!(
        "corpus: {} articles of ~{} words in {:.1?} (seed {})",
        opts.articles,
        opts.words,
        t.elapsed(),
        opts.seed
    );

    let without = build(kb, root.path(), &["--no-search"]);
    let with = build(kb, root.path(), &[]);
    let index_time = with
        .phases
        .iter()
        .find(|(n, _)| n == "search")
        .map_or("?", |(_, t)| t.as_str());
    let (index_bytes, index_files) = dir_size(&root.path().join("site/pagefind"));
    println!();
    println!("| build | wall | peak RSS |");
    println!("|---|---|---|");
    println!(
        "| kb build --no-search | {:.1?} | {} |",
        without.wall,
        mb(without.peak_rss_kb)
    );
    println!(
        "| kb build (with search) | {:.1?} | {} |",
        with.wall,
        mb(with.peak_rss_kb)
    );
    println!();
    println!(
        "search index: {index_time} to build; {:.1} MB on disk in {index_files} files",
        index_bytes as f64 / 1e6
    );
    println!(
        "phases with search: {}",
        with.phases
            .iter()
            .map(|(n, t)| format!("{n} {t}"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    let server = serve::Server::start(&root.path().join("site"));
    println!();
    println!("| query | results | fetched (all) | fetched (index) | requests | first result |");
    println!("|---|---|---|---|---|---|");
    for q in QUERIES {
        let b = browser::Browser::start().await;
        server.take();
        let url = format!("{}/search/?q={}", server.url, percent(q));
        b.client.goto(&url).await.unwrap();
        b.until("the first result", 60, || {
            b.holds("return document.getElementById('search-results')?.dataset.state === 'done';")
        })
        .await;
        let ms = b
            .js("return document.getElementById('search-results').dataset.firstResultMs || null;")
            .await;
        let results = b
            .js("return document.querySelectorAll('#search-results > li').length;")
            .await;
        // The page is settled once it has also worked out which words it left out.
        b.until("the search to settle", 60, || {
            b.holds("return document.getElementById('search-results').dataset.settled !== undefined;")
        })
        .await;
        let served = server.take();
        let all: u64 = served.iter().map(|s| s.bytes).sum();
        let index: u64 = served
            .iter()
            .filter(|s| s.path.starts_with("/pagefind/"))
            .map(|s| s.bytes)
            .sum();
        let shown: String = q.chars().take(40).collect();
        println!(
            "| `{shown}{}` | {results} | {:.0} KB | {:.0} KB | {} | {} ms |",
            if q.len() > 40 { "…" } else { "" },
            all as f64 / 1024.0,
            index as f64 / 1024.0,
            served.len(),
            ms.as_str().unwrap_or("?")
        );
        b.close().await;
    }
}

fn percent(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
