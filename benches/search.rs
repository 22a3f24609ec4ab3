//! Search benchmark: builds a generated corpus with and without the search index, then measures queries in a real
//! headless Chromium against the site served on loopback.
//!
//! ```sh
//! cargo bench --bench search                      # 10,000 articles of ~1,000 words
//! cargo bench --bench search -- --articles 1000   # any size; --words N sets the prose per article
//! cargo bench --bench search -- --against OLD_KB  # and another kb binary: interleaved, medians of --runs (5)
//! ```
//!
//! Reports: the index phase's time and the build's peak memory with and without search, the index size on disk,
//! and per query, in a fresh browser (cold cache): the bytes fetched (all of them, and the index's share) and the
//! time from navigation start to the first result on screen. With `--against BIN` (e.g. the previous commit's
//! release build, see `bench/search-previous.sh`), `BIN` builds the same corpus into a site of its own; each measure
//! (a build's index phase, a query's first result) is taken `--runs` times, the two binaries in turn, and the
//! medians are printed side by side.

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

use std::path::{Path, PathBuf};
use std::time::Instant;

use measure::{dir_size, mb};

const QUERIES: &[&str] = &[
    "E0000015",
    "403 Not Assigned App",
    "insufficient_scope",
    "Sorry, you can't access Zorblax Payroll because you are not assigned to this app in Okta. If you're wondering \
     why this is happening, please contact your administrator.",
    "insuficient_scope",
];

/// `kb build` of `root` into `out` with `extra` arguments, by `kb`, under GNU time.
fn build(kb: &Path, root: &Path, out: &Path, extra: &[&str]) -> measure::Measured {
    let mut args = vec!["build", "--output", out.to_str().unwrap()];
    args.extend(extra);
    measure::run(root, kb, &args, &[("KB_TIMINGS", "1")], 0)
}

/// A duration as KB_TIMINGS prints it (`7.21s`, `812.3ms`), in milliseconds.
fn millis(text: &str) -> f64 {
    let at = text.find(|c: char| c.is_alphabetic() || c == 'µ').unwrap_or(text.len());
    let n: f64 = text[..at].parse().unwrap_or(f64::NAN);
    match &text[at..] {
        "s" => n * 1000.0,
        "ms" => n,
        "µs" | "us" => n / 1000.0,
        "ns" => n / 1e6,
        _ => f64::NAN,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// One binary being measured and the site it built.
struct Side {
    name: &'static str,
    kb: PathBuf,
    site: PathBuf,
    index_ms: Vec<f64>,
}

/// What one query cost in a fresh browser.
struct Query {
    results: u64,
    all: u64,
    index: u64,
    requests: usize,
    first_ms: f64,
}

async fn query(server: &serve::Server, q: &str) -> Query {
    let b = browser::Browser::start().await;
    server.take();
    let q = percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC);
    let url = format!("{}/search/?q={q}", server.url);
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
    b.close().await;
    Query {
        results: results.as_u64().unwrap_or(0),
        all: served.iter().map(|s| s.bytes).sum(),
        index: served
            .iter()
            .filter(|s| s.path.starts_with("/search-index/"))
            .map(|s| s.bytes)
            .sum(),
        requests: served.len(),
        first_ms: ms.as_str().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN),
    }
}

/// The value after `name` on the command line.
fn flag(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

#[tokio::main]
async fn main() {
    let opts = corpus::Options::from_args();
    let against = flag("--against").map(PathBuf::from);
    let runs = corpus::arg("--runs", if against.is_some() { 5 } else { 1 }).max(1);
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

    let mut sides = vec![Side {
        name: "kb",
        kb: PathBuf::from(env!("CARGO_BIN_EXE_kb")),
        site: root.path().join("site"),
        index_ms: Vec::new(),
    }];
    if let Some(old) = &against {
        assert!(old.is_file(), "--against {}: no such file", old.display());
        sides.push(Side {
            name: "against",
            kb: old.clone(),
            site: root.path().join("site-against"),
            index_ms: Vec::new(),
        });
    }

    let without = build(&sides[0].kb, root.path(), &sides[0].site, &["--no-search"]);
    let mut with = None;
    for _ in 0..runs {
        for side in &mut sides {
            let run = build(&side.kb, root.path(), &side.site, &[]);
            let phases = measure::phases(&run.stderr);
            // The index's own phase, plus the time its pages' words took while the articles were rendered (kb
            // reads each page's words as it renders it: summed over threads, so an upper bound on the wall time;
            // absent for a kb from before that, whose `search` phase read the pages itself).
            let phase = |name: &str| phases.iter().find(|(n, _)| n == name).map(|(_, t)| millis(t));
            let index = phase("search").unwrap_or(f64::NAN) + phase("  search-words").unwrap_or(0.0);
            side.index_ms.push(index);
            if side.name == "kb" {
                with = Some(run);
            }
        }
    }
    let with = with.expect("at least one run");
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
    for side in &sides {
        let (bytes, files) = dir_size(&side.site.join("search-index"));
        println!(
            "search index ({}): {:.2} s to build (median of {runs}: {:?} ms); {:.1} MB on disk in {files} files",
            side.name,
            median(side.index_ms.clone()) / 1000.0,
            side.index_ms.iter().map(|m| m.round()).collect::<Vec<_>>(),
            bytes as f64 / 1e6
        );
    }
    println!(
        "phases with search: {}",
        measure::phases(&with.stderr)
            .iter()
            .map(|(n, t)| format!("{} {t}", n.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    );

    let servers: Vec<serve::Server> = sides.iter().map(|s| serve::Server::start(&s.site)).collect();
    println!();
    let compare = against.is_some();
    println!(
        "| query | results | fetched (all / index) | requests | first result |{}",
        if compare {
            " against: results | fetched (all / index) | first result |"
        } else {
            ""
        }
    );
    println!("|---|---|---|---|---|{}", if compare { "---|---|---|" } else { "" });
    for q in QUERIES {
        let mut measured: Vec<Vec<Query>> = sides.iter().map(|_| Vec::new()).collect();
        for _ in 0..runs {
            for (i, server) in servers.iter().enumerate() {
                measured[i].push(query(server, q).await);
            }
        }
        let shown: String = q.chars().take(40).collect();
        let mut row = format!("| `{shown}{}` |", if q.len() > 40 { "…" } else { "" });
        for (i, m) in measured.iter().enumerate() {
            let first = median(m.iter().map(|q| q.first_ms).collect());
            let last = m.last().expect("at least one run");
            let requests = if i == 0 {
                format!(" {} |", last.requests)
            } else {
                String::new()
            };
            row.push_str(&format!(
                " {} | {:.0} KB / {:.0} KB |{requests} {first:.0} ms |",
                last.results,
                last.all as f64 / 1024.0,
                last.index as f64 / 1024.0
            ));
        }
        println!("{row}");
    }
}
