//! `kb serve` benchmark: on a generated corpus, the time from saving one article to its updated page being served.
//!
//! ```sh
//! cargo bench --bench serve                      # 10,000 articles of ~1,000 words
//! cargo bench --bench serve -- --articles 1000   # any size; --saves N sets how many saves are timed
//! ```
//!
//! `kb serve` (the release build) runs on a free loopback port. Each timed save rewrites one article's file (a
//! different article each time), and the clock runs from the write's return until an HTTP GET of the article's page
//! returns the new text (polled every 2 ms over fresh connections), and until the live-reload channel says the page
//! changed. Body edits re-render the article's page; title edits (front matter) also re-render the lists, feeds and
//! indexes that show it. A new article is timed until its page is served, and its deletion until its page answers
//! 404. The server's resident memory is reported before and after. Measured without the search index, then with it,
//! while the index is being refreshed in the background.

#[allow(dead_code)]
#[path = "../tests/support/corpus.rs"]
mod corpus;
#[allow(dead_code)]
#[path = "../tests/support/live.rs"]
mod live;

use std::path::Path;
use std::time::{Duration, Instant};

use live::{KbServe, Listener, served_within};

/// Resident memory of a process now, and at its peak, in MB (from /proc).
fn rss_mb(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

struct Timing {
    served: Vec<Duration>,
    told: Vec<Duration>,
}

fn percentile(v: &[Duration], p: f64) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Saves `saves` articles one after another, each edited by `change`, and times each until served.
fn time_saves(
    server: &KbServe,
    root: &Path,
    articles: usize,
    saves: usize,
    round: usize,
    change: fn(&str, usize) -> (String, String),
) -> Timing {
    let listener = Listener::connect(server);
    let mut t = Timing {
        served: Vec::new(),
        told: Vec::new(),
    };
    for k in 0..saves {
        // Articles spread over the corpus and its sections, a different one each save.
        let i = (k * 7919 + round * 104_729) % articles;
        let slug = corpus::path_of("", i);
        let path = root.join("content").join(format!("{slug}.md"));
        let text = std::fs::read_to_string(&path).unwrap();
        let (changed, marker) = change(&text, round * 1000 + k);
        std::thread::sleep(Duration::from_millis(150));
        std::fs::write(&path, changed).unwrap();
        let saved = Instant::now();
        let url = format!("/{slug}/");
        t.served.push(served_within(
            server.authority(),
            &url,
            &marker,
            saved,
            Duration::from_secs(30),
        ));
        let told = listener.next("reload", 30);
        assert!(told.data.contains(&format!("\"{url}\"")), "{}", told.data);
        t.told.push(told.at.duration_since(saved));
    }
    t
}

/// Adds `saves` new articles one after another (each timed until its page is served), then deletes them (each timed
/// until its page answers 404).
fn time_new_and_deleted(server: &KbServe, root: &Path, saves: usize, round: usize) -> (Vec<Duration>, Vec<Duration>) {
    let (mut added, mut deleted) = (Vec::new(), Vec::new());
    let mut made = Vec::new();
    for k in 0..saves {
        let section = corpus::path_of("", k * 7 + round)
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let slug = format!("{section}/bench-new-{round}-{k}");
        let path = root.join("content").join(format!("{slug}.md"));
        let marker = format!("A new article, save {k}.");
        let text = format!("+++\ntitle = \"New article {round}-{k}\"\ndate = 2026-11-21\n+++\n\n{marker}\n");
        std::thread::sleep(Duration::from_millis(150));
        std::fs::write(&path, text).unwrap();
        let saved = Instant::now();
        let url = format!("/{slug}/");
        added.push(served_within(
            server.authority(),
            &url,
            &marker,
            saved,
            Duration::from_secs(60),
        ));
        made.push((path, url));
    }
    for (path, url) in made {
        std::thread::sleep(Duration::from_millis(150));
        std::fs::remove_file(&path).unwrap();
        let saved = Instant::now();
        deleted.push(gone_within(server.authority(), &url, saved, Duration::from_secs(60)));
    }
    (added, deleted)
}

/// Polls `path` every 2 ms until it answers 404; the time since `since`.
fn gone_within(authority: &str, path: &str, since: Instant, limit: Duration) -> Duration {
    loop {
        if live::get(authority, path).status == 404 {
            return since.elapsed();
        }
        assert!(since.elapsed() < limit, "{path} was still served after {limit:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn body_edit(text: &str, k: usize) -> (String, String) {
    let marker = format!("Edited in save {k}.");
    (format!("{text}\n{marker}\n"), marker)
}

fn title_edit(text: &str, k: usize) -> (String, String) {
    let marker = format!(", edited {k})");
    let at = text.find(")\"\n").expect("a generated title ends with (case N)");
    (format!("{}{marker}{}", &text[..at], &text[at + 1..]), marker)
}

fn row(what: &str, t: &[Duration]) {
    println!(
        "| {what} | {} | {} | {} | {} |",
        t.len(),
        ms(percentile(t, 0.5)),
        ms(percentile(t, 0.9)),
        ms(*t.iter().max().unwrap())
    );
}

fn main() {
    let opts = corpus::Options::from_args();
    let saves = corpus::arg("--saves", 20);
    let kb = Path::new(env!("CARGO_BIN_EXE_kb"));
    let root = tempfile::tempdir().unwrap();
    corpus::write_site(root.path(), &opts).unwrap();
    println!(
        "corpus: {} articles of ~{} words (seed {})",
        opts.articles, opts.words, opts.seed
    );

    for (round, (label, args)) in [("without search", &["--no-search"][..]), ("with search", &[][..])]
        .into_iter()
        .enumerate()
    {
        let started = Instant::now();
        let server = KbServe::start_with(kb, root.path(), args);
        let ready = started.elapsed();
        let (rss, _) = rss_mb(server.pid());
        println!();
        println!("## kb serve {label}: serving after {:.2?}, {rss} MB resident", ready);
        if args.is_empty() {
            server.wait_for_log("search index:", 600);
            let line = server
                .log()
                .lines()
                .find(|l| l.contains("search index:"))
                .unwrap_or_default()
                .to_string();
            println!("first index: {}", line.split("search index: ").nth(1).unwrap_or("?"));
        }
        let body = time_saves(&server, root.path(), opts.articles, saves, round * 2, body_edit);
        let title = time_saves(
            &server,
            root.path(),
            opts.articles,
            saves.div_ceil(4),
            round * 2 + 1,
            title_edit,
        );
        let edits_log = server.log();
        let (added, deleted) = time_new_and_deleted(&server, root.path(), saves.div_ceil(4), round);
        let (rss, peak) = rss_mb(server.pid());
        println!();
        println!("| save → | saves | median | p90 | max |");
        println!("|---|---|---|---|---|");
        row("body edit: page served", &body.served);
        row("body edit: reload sent", &body.told);
        row("title edit: page served", &title.served);
        row("title edit: reload sent", &title.told);
        row("new article: page served", &added);
        row("deleted article: page gone (404)", &deleted);
        println!();
        println!("memory after the saves: {rss} MB resident, {peak} MB at peak");
        let lines: Vec<&str> = edits_log.lines().filter(|l| l.contains(" rendered")).collect();
        if let (Some(first), Some(last)) = (lines.get(1), lines.last()) {
            println!("kb's own log, a body edit: {first}");
            println!("kb's own log, a title edit: {last}");
        }
        let log = server.log();
        if let Some(last) = log.lines().rfind(|l| l.contains(" rendered")) {
            println!("kb's own log, a deletion: {last}");
        }
    }
}
