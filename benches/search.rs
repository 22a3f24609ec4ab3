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
#[path = "../tests/support/measure.rs"]
mod measure;
#[allow(dead_code)]
#[path = "../tests/support/serve.rs"]
mod serve;

use std::path::Path;
use std::time::Instant;

use measure::{dir_size, mb};

const QUERIES: &[&str] = &[
    "E0000015",
    "403 Not Assigned App",
    "insufficient_scope",
    "Sorry, you can't access Zorblax Payroll because you are not assigned to this app in Okta. If you're wondering \
     why this is happening, please contact your administrator.",
];

/// `kb build` of `root` with `extra` arguments, under GNU time.
fn build(kb: &Path, root: &Path, extra: &[&str]) -> measure::Measured {
    let mut args = vec!["build"];
    args.extend(extra);
    measure::run(root, kb, &args, &[("KB_TIMINGS", "1")], 0)
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
    let with_phases = measure::phases(&with.stderr);
    let index_time = with_phases
        .iter()
        .find(|(n, _)| n == "search")
        .map_or("?", |(_, t)| t.as_str());
    let (index_bytes, index_files) = dir_size(&root.path().join("site/search-index"));
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
        with_phases
            .iter()
            .map(|(n, t)| format!("{} {t}", n.trim()))
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
            .filter(|s| s.path.starts_with("/search-index/"))
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
