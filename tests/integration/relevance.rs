//! The relevance table (`tests/fixtures/relevance.toml`) in a real Chromium: every query finds its article first
//! on the knowledge base; every misspelling and synonym row misses it when the index is built without typo
//! tolerance and synonyms (so those rows test the features, not luck). The same table also runs among 3,000
//! generated distractors (`search::the_same_queries_win_among_thousands_of_distractors`).

use std::path::Path;

use serde::Deserialize;
use tempfile::TempDir;

use crate::search::{build, result_urls, search};
use crate::support::browser::Browser;
use crate::support::serve::Server;
use crate::support::{copy_tree, repo};

#[derive(Deserialize)]
struct Table {
    query: Vec<Row>,
}

#[derive(Deserialize, Clone)]
pub(crate) struct Row {
    pub kind: String,
    pub q: String,
    pub first: String,
}

/// The table's rows.
pub(crate) fn table() -> Vec<Row> {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/relevance.toml")).unwrap();
    toml::from_str::<Table>(&text).unwrap().query
}

/// Runs each row and gives, per row, the first results the page showed.
pub(crate) async fn run(b: &Browser, base: &str, rows: &[Row]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for row in rows {
        search(b, base, &row.q).await;
        let mut got = result_urls(b).await;
        got.truncate(5);
        out.push(got);
    }
    out
}

/// A copy of the knowledge base at `root` whose kb.toml's `[search]` is `search`.
pub(crate) fn knowledge_base_with(root: &Path, search: &str) {
    for part in ["content", "checks", "catalogues"] {
        copy_tree(&repo().join(part), &root.join(part));
    }
    let config = std::fs::read_to_string(repo().join("kb.toml")).unwrap();
    let at = config.find("\n[search]").expect("kb.toml has a [search] table");
    let rest = &config[at + 1..];
    let end = rest[1..].find("\n[").map_or(rest.len(), |e| e + 2);
    let config = format!("{}{search}\n{}", &config[..at + 1], &rest[end..]);
    std::fs::write(root.join("kb.toml"), config).unwrap();
}

#[test]
fn the_table_covers_every_kind_of_query() {
    let rows = table();
    assert!(rows.len() >= 40, "{} rows", rows.len());
    for (kind, least) in [("code", 8), ("pasted", 8), ("symptom", 8), ("typo", 8), ("synonym", 6)] {
        let n = rows.iter().filter(|r| r.kind == kind).count();
        assert!(n >= least, "{n} rows of kind {kind}");
    }
    let known = ["code", "pasted", "symptom", "typo", "synonym"];
    assert!(rows.iter().all(|r| known.contains(&r.kind.as_str())));
    for row in &rows {
        let path = repo()
            .join("content")
            .join(format!("{}.md", row.first.trim_matches('/')));
        assert!(path.is_file(), "{}: no article {}", row.q, path.display());
    }
}

/// Every query finds its article first, and the ranking in Rust, on the built index and in `kb diagnose` (its
/// index built in memory from content/), gives the page's first three results (among 3,000 distractors too: `search::the_same_queries_win_among_thousands_of_distractors`).
#[tokio::test]
async fn every_query_of_the_table_finds_its_article_first_and_rust_agrees() {
    let rows = table();
    let out = build(&repo());
    let site = out.path().join("site");
    let server = Server::start(&site);
    let b = Browser::start().await;
    let page = run(&b, &server.url, &rows).await;
    let missed: Vec<String> = rows
        .iter()
        .zip(&page)
        .filter(|(row, got)| got.first() != Some(&row.first))
        .map(|(row, got)| format!("[{}] {:?}: wanted {} first, got {got:?}", row.kind, row.q, row.first))
        .collect();
    assert!(missed.is_empty(), "articles not first:\n{}", missed.join("\n"));
    let differ = disagreements(&index_of(&site), &rows, &page);
    assert!(differ.is_empty(), "the rankings differ:\n{}", differ.join("\n"));
    let differ = diagnose_disagreements(&rows, &page);
    assert!(differ.is_empty(), "kb diagnose ranks otherwise:\n{}", differ.join("\n"));
    assert_eq!(b.offsite(), Vec::<String>::new());
    b.close().await;
}

/// The rows whose first three results differ between the page and `kb diagnose` (its index built in memory).
fn diagnose_disagreements(rows: &[Row], page: &[Vec<String>]) -> Vec<String> {
    let mut differ = Vec::new();
    for (row, page) in rows.iter().zip(page) {
        let run = crate::support::kb(&repo(), &["diagnose", &row.q, "--format", "json"]);
        let json: serde_json::Value =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stderr));
        let ranked: Vec<String> = json["ranking"]
            .as_array()
            .unwrap()
            .iter()
            .take(3)
            .map(|r| r["url"].as_str().unwrap().to_string())
            .collect();
        let page: Vec<String> = page.iter().take(3).cloned().collect();
        if ranked != page {
            differ.push(format!("{:?}: page {page:?}, kb diagnose {ranked:?}", row.q));
        }
    }
    differ
}

/// Each typo row misses without typo tolerance (synonyms on), and each synonym row without synonyms (typos on), so
/// that no row passes thanks to the other feature.
#[tokio::test]
async fn each_typo_and_synonym_row_misses_without_its_feature() {
    let b = Browser::start().await;
    let mut still = Vec::new();
    for (kind, search) in [
        ("typo", "[search]\ntypos = false\n"),
        ("synonym", "[search]\nsynonyms = []\n"),
    ] {
        let root = TempDir::new().unwrap();
        knowledge_base_with(root.path(), search);
        let out = build(root.path());
        let server = Server::start(&out.path().join("site"));
        let rows: Vec<Row> = table().into_iter().filter(|r| r.kind == kind).collect();
        let got = run(&b, &server.url, &rows).await;
        still.extend(
            rows.iter()
                .zip(got)
                .filter(|(row, got)| got.first() == Some(&row.first))
                .map(|(row, _)| format!("[{}] {:?} still finds {} first", row.kind, row.q, row.first)),
        );
    }
    assert!(
        still.is_empty(),
        "rows that do not depend on their feature:\n{}",
        still.join("\n")
    );
    b.close().await;
}

/// The index files under a built site's `search-index/`, as the build made them.
pub(crate) fn index_of(site: &Path) -> kb::site::search::query::Index {
    let dir = site.join("search-index");
    let files = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| kb::site::search::File {
            path: e
                .path()
                .strip_prefix(&dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/"),
            bytes: std::fs::read(e.path()).unwrap(),
        })
        .collect();
    kb::site::search::query::Index::from_files(files).expect("an index")
}

/// The rows whose first three results differ between the page (`page`, per row) and the Rust ranking.
pub(crate) fn disagreements(index: &kb::site::search::query::Index, rows: &[Row], page: &[Vec<String>]) -> Vec<String> {
    let mut differ = Vec::new();
    for (row, page) in rows.iter().zip(page) {
        let answer = index.query(&row.q);
        let rust: Vec<String> = answer
            .hits
            .iter()
            .take(3)
            .map(|h| index.page(h.page).unwrap().url)
            .collect();
        let page: Vec<String> = page.iter().take(3).cloned().collect();
        if rust != page {
            differ.push(format!("{:?}: page {page:?}, Rust {rust:?}", row.q));
        }
    }
    differ
}
