//! Search, end to end: `kb build` writes the index, a real static server serves the site on loopback, and a real
//! headless Chromium types queries into the search page and reads what it shows.

use std::path::Path;
use std::time::Duration;

use fantoccini::Locator;
use fantoccini::key::Key;
use tempfile::TempDir;

use crate::support::browser::Browser;
use crate::support::serve::Server;
use crate::support::{article, copy_tree, corpus, fixture, kb, read, repo, site};

const API_AM: &str = "/api-access-management/401-e0000015-feature-not-enabled/";
const NOT_ASSIGNED: &str = "/workflows/403-not-assigned-app/";
const INSUFFICIENT_SCOPE: &str = "/workflows/403-insufficient-scope/";

/// Queries an admin brings, and the article that must come first. The pasted messages are the seed documents'
/// error messages in full, with the test's own app and org names where the message has a variable part: words the
/// index has never seen.
fn queries() -> Vec<(&'static str, String)> {
    vec![
        (API_AM, "E0000015".into()),
        (NOT_ASSIGNED, "403 Not Assigned App".into()),
        (INSUFFICIENT_SCOPE, "insufficient_scope".into()),
        (
            API_AM,
            "Okta HTTP 401 E0000015 You do not have permission to access the feature you are requesting.".into(),
        ),
        (
            NOT_ASSIGNED,
            "Sorry, you can't access Zorblax Payroll because you are not assigned to this app in Okta. If you're \
             wondering why this is happening, please contact your administrator."
                .into(),
        ),
        // The app's name is a word other articles hold, so no page holds every word: the closest match wins.
        (
            NOT_ASSIGNED,
            "Sorry, you can't access DPoP Console because you are not assigned to this app in Okta. If you're \
             wondering why this is happening, please contact your administrator."
                .into(),
        ),
        (
            NOT_ASSIGNED,
            "Sorry, you can't access Okta Workflows because you are not assigned this app in Okta. If you're \
             wondering why this is happening, please contact your administrator."
                .into(),
        ),
        (
            INSUFFICIENT_SCOPE,
            "www-authenticate: Bearer authorization_uri=\"http://zorblax-corp.okta.com/oauth2/v1/authorize\", \
             realm=\"http://zorblax-corp.okta.com\", scope=\"okta.logs.read\", error=\"insufficient_scope\", \
             error_description=\"The access token provided does not contain the required scopes.\", \
             resource=\"/api/v1/logs\""
                .into(),
        ),
    ]
}

fn key(k: Key) -> char {
    char::from(k)
}

fn enter() -> String {
    key(Key::Enter).to_string()
}

/// Builds the site at `root` into a temporary folder.
fn build(root: &Path) -> TempDir {
    let out = TempDir::new().unwrap();
    let site = out.path().join("site");
    let run = kb(root, &["build", "--output", site.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    out
}

/// Types `query` into the search page's box and waits until the page shows the results of exactly that query.
pub(crate) async fn search(b: &Browser, base: &str, query: &str) {
    b.client.goto(&format!("{base}/search/")).await.unwrap();
    let input = b.wait_for("#search-q").await;
    input.send_keys(query).await.unwrap();
    wait_for_results(b, query).await;
}

async fn wait_for_results(b: &Browser, query: &str) {
    let expected = serde_json::to_string(query.trim()).unwrap();
    let script = format!(
        "const l = document.getElementById('search-results'); \
         return !!l && l.dataset.state === 'done' && l.dataset.query === {expected};"
    );
    b.until(&format!("the results of {expected}"), 20, || b.holds(&script))
        .await;
}

/// How many articles the status line says the search found.
async fn count(b: &Browser) -> usize {
    let status = b.text("#search-status").await;
    match status.split(' ').next() {
        Some("No") => 0,
        Some(n) => n.parse().unwrap_or_else(|_| panic!("no count in {status:?}")),
        None => panic!("empty status"),
    }
}

/// The result links the page shows, in order.
pub(crate) async fn result_urls(b: &Browser) -> Vec<String> {
    let v = b
        .js("return [...document.querySelectorAll('#search-results a.result-title')].map(a => new URL(a.href).pathname);")
        .await;
    serde_json::from_value(v).unwrap()
}

/// Runs every query and returns one line per query whose article did not come first.
async fn misses(b: &Browser, base: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (want, q) in queries() {
        search(b, base, &q).await;
        let got = result_urls(b).await;
        if got.first().map(String::as_str) != Some(want) {
            out.push(format!(
                "{q:?}: wanted {want} first, got {:?}",
                &got[..got.len().min(5)]
            ));
        }
    }
    out
}

#[tokio::test]
async fn the_knowledge_base_finds_each_symptom_first_in_a_real_browser() {
    let out = build(&repo());
    let server = Server::start(&out.path().join("site"));
    let b = Browser::start().await;
    let base = server.url.clone();

    let missed = misses(&b, &base).await;
    assert!(missed.is_empty(), "articles not first:\n{}", missed.join("\n"));

    // The words of a pasted message that no article holds are named as left out.
    let (_, pasted) = &queries()[4];
    search(&b, &base, pasted).await;
    b.until("the left-out words", 10, || async {
        b.text("#search-status")
            .await
            .contains("Left out, as no article has them: Zorblax, Payroll.")
    })
    .await;

    // When no article holds every word, the closest matches are ranked, and the page says so.
    let (_, known_name) = &queries()[5];
    search(&b, &base, known_name).await;
    assert!(
        b.text("#search-status")
            .await
            .contains("No article has every word; the closest matches come first."),
        "{}",
        b.text("#search-status").await
    );

    // The snippet highlights the terms; the result shows title and URL.
    search(&b, &base, "E0000015").await;
    let first = b.wait_for("#search-results > li").await;
    assert!(
        first.find(Locator::Css(".result-excerpt mark")).await.is_ok(),
        "no highlighted term"
    );
    assert_eq!(b.text("#search-results > li .result-url").await, API_AM);
    b.screenshot("search-e0000015").await;

    // A query several products answer; the Workflows facet narrows it to Workflows articles.
    search(&b, &base, "scope").await;
    let before = result_urls(&b).await;
    let count_before = count(&b).await;
    let other_article = |u: &&String| !u.starts_with("/workflows/") && !u.starts_with("/errors/");
    assert!(before.iter().any(|u| other_article(&u)), "{before:?}");
    assert!(before.iter().any(|u| u.starts_with("/workflows/")), "{before:?}");
    b.click("#search-facets input[name=products][value=Workflows]").await;
    b.until("the facet to narrow the list", 10, || async {
        b.holds("return document.getElementById('search-results').dataset.state === 'done';")
            .await
            && count(&b).await < count_before
    })
    .await;
    let after = result_urls(&b).await;
    assert_eq!(after.len(), count(&b).await);
    let focused = b.js("return document.activeElement.value;").await;
    assert_eq!(focused, "Workflows", "the ticked checkbox keeps the focus");
    assert!(after.iter().all(|u| u.starts_with("/workflows/")), "{after:?}");
    assert!(!after.iter().any(|u| u == API_AM));
    let here = b.client.current_url().await.unwrap();
    assert!(
        here.as_str().contains("products=Workflows"),
        "the facet is not in the URL: {here}"
    );
    b.screenshot("search-facet-workflows").await;

    // Keyboard: "/" on an article focuses the header's box; Enter searches; arrows walk the results; Enter opens.
    b.client.goto(&format!("{base}{NOT_ASSIGNED}")).await.unwrap();
    b.wait_for("#site-search-q").await;
    b.client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("/")
        .await
        .unwrap();
    let focused = b.js("return document.activeElement.id;").await;
    assert_eq!(focused, "site-search-q");
    b.client
        .active_element()
        .await
        .unwrap()
        .send_keys(&format!("insufficient_scope{}", enter()))
        .await
        .unwrap();
    wait_for_results(&b, "insufficient_scope").await;
    let urls = result_urls(&b).await;
    assert_eq!(urls.first().map(String::as_str), Some(INSUFFICIENT_SCOPE), "{urls:?}");
    assert!(urls.len() >= 2, "{urls:?}");
    let input = b.client.find(Locator::Css("#search-q")).await.unwrap();
    input.click().await.unwrap();
    let keys = format!("{}{}{}", key(Key::Down), key(Key::Down), key(Key::Up));
    input.send_keys(&keys).await.unwrap();
    let focused = b.js("return new URL(document.activeElement.href).pathname;").await;
    assert_eq!(focused.as_str(), Some(INSUFFICIENT_SCOPE));
    b.client
        .active_element()
        .await
        .unwrap()
        .send_keys(&enter())
        .await
        .unwrap();
    b.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_url(&url::Url::parse(&format!("{base}{INSUFFICIENT_SCOPE}")).unwrap())
        .await
        .expect("Enter opens the focused result");

    // Nothing was fetched from another host; the index came from the site.
    assert_eq!(b.offsite(), Vec::<String>::new());
    let served = server.take();
    assert!(
        served
            .iter()
            .any(|s| s.path.starts_with("/search-index/") && s.status == 200)
    );
    let failed: Vec<_> = served.iter().filter(|s| s.status != 200 && s.status != 304).collect();
    assert!(failed.is_empty(), "{failed:?}");
    b.close().await;
}

#[tokio::test]
async fn the_same_queries_win_among_thousands_of_distractors() {
    let root = TempDir::new().unwrap();
    for part in ["content", "checks", "catalogues"] {
        copy_tree(&repo().join(part), &root.path().join(part));
    }
    std::fs::copy(repo().join("kb.toml"), root.path().join("kb.toml")).unwrap();
    let opts = corpus::Options {
        articles: 3000,
        words: 240,
        apps: 50,
        seed: 7,
        v2: false,
    };
    corpus::write_articles(root.path(), "generated/", &opts).unwrap();
    let out = build(root.path());
    let server = Server::start(&out.path().join("site"));
    let b = Browser::start().await;

    // The distractors do mention the codes: a search for one finds many articles, the right one first.
    search(&b, &server.url, "E0000015").await;
    let total = count(&b).await;
    assert!(total > 100, "the distractors should match too: {total}");
    // Ten at a time, each costing a fragment fetch; "Show more results" adds ten and moves focus to the first new one.
    let first_ten = result_urls(&b).await;
    assert_eq!(first_ten.len(), 10);
    b.click("#search-more").await;
    b.until("ten more results", 10, || async { result_urls(&b).await.len() == 20 })
        .await;
    assert_eq!(result_urls(&b).await[..10], first_ten[..]);
    let focused = b.js("return new URL(document.activeElement.href).pathname;").await;
    assert_eq!(focused.as_str(), Some(result_urls(&b).await[10].as_str()));

    let missed = misses(&b, &server.url).await;
    assert!(
        missed.is_empty(),
        "articles not first among distractors:\n{}",
        missed.join("\n")
    );
    b.close().await;
}

#[test]
fn the_build_writes_the_index_and_the_search_page() {
    let dir = fixture("basic");
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = dir.path().join("site");
    let index = out.join("search-index");
    let meta = crate::support::search_meta(&out);
    let built: usize = run.stderr.split_whitespace().nth(1).unwrap().parse().unwrap();
    let pages = meta["pages"].as_array().unwrap();
    assert_eq!(pages.len(), built, "one search document per article: {meta}");
    assert!(
        index.join("search.js").is_file(),
        "the runtime is written beside the index"
    );
    // Every file meta.json.gz names is there, gzip, and named by its content: the names are all different.
    let chunks = meta["chunks"].as_object().unwrap();
    assert!(chunks.len() > 20, "{meta}");
    let fragments: Vec<String> = pages
        .iter()
        .map(|h| format!("f/{}.json.gz", h.as_str().unwrap()))
        .collect();
    let mut names: Vec<&str> = fragments
        .iter()
        .map(String::as_str)
        .chain(chunks.values().map(|v| v.as_str().unwrap()))
        .collect();
    for name in &names {
        let bytes = std::fs::read(index.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(bytes[..2], [0x1f, 0x8b], "{name} is not gzip");
    }
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count, "two files share a name");
    assert_eq!(
        meta["filters"]["products"]["Management API"].as_array().map(Vec::len),
        Some(2),
        "the articles of a product are its facet's pages: {meta}"
    );
    let page = read(out.join("search/index.html"));
    assert!(page.contains(r#"<meta name="robots" content="noindex">"#));
    assert!(page.contains(r#"data-index="/search-index/""#));
    assert!(read(out.join("index.html")).contains(r#"<form class="site-search" role="search" action="/search/""#));
    assert!(!read(out.join("sitemap.xml")).contains("/search/"));
}

#[test]
fn no_search_leaves_out_the_index_the_page_and_the_box() {
    let dir = fixture("basic");
    let run = kb(dir.path(), &["build", "--no-search"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = dir.path().join("site");
    assert!(!out.join("search-index").exists());
    assert!(!out.join("search").exists());
    assert!(!read(out.join("index.html")).contains("site-search"));
}

#[test]
fn an_article_where_the_index_goes_is_an_error() {
    let dir = site(&[("content/search-index/notes.md", article("Notes", "Text.").as_bytes())]);
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.assert_stderr_has(
        "would be written to search-index/notes/index.html, inside search-index/, where the search index goes",
    );
    assert_eq!(kb(dir.path(), &["build", "--no-search"]).code, 0);
}

#[tokio::test]
async fn search_works_on_a_site_served_under_a_path() {
    let dir = fixture("basic");
    let run = kb(dir.path(), &["build", "--base-url", "https://docs.example.com/help/"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let server = Server::start_at(&dir.path().join("site"), "/help");
    let b = Browser::start().await;
    b.client.goto(&format!("{}/help/", server.url)).await.unwrap();
    let form = b.wait_for("form.site-search").await;
    assert_eq!(form.attr("action").await.unwrap().as_deref(), Some("/help/search/"));
    b.wait_for("#site-search-q")
        .await
        .send_keys(&format!("token{}", enter()))
        .await
        .unwrap();
    wait_for_results(&b, "token").await;
    let urls = result_urls(&b).await;
    assert!(
        !urls.is_empty() && urls.iter().all(|u| u.starts_with("/help/")),
        "{urls:?}"
    );
    b.click("#search-results a.result-title").await;
    b.until("the article to open", 10, || async {
        b.client.current_url().await.unwrap().path() == urls[0]
    })
    .await;
    assert!(b.offsite().is_empty(), "{:?}", b.offsite());
    b.close().await;
}

/// The check that nothing leaves the site can fail: a page that loads an image from another host and a worker that
/// fetches from one are both caught.
#[tokio::test]
async fn the_offsite_trap_catches_a_page_and_a_worker_reaching_another_host() {
    let dir = TempDir::new().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><img src=\"http://images.example.net/a.png\"><script>new Worker('w.js')</script>",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("w.js"),
        "fetch('https://cdn.example.org/x.json').catch(() => {});",
    )
    .unwrap();
    let server = Server::start(dir.path());
    let b = Browser::start().await;
    b.client.goto(&format!("{}/", server.url)).await.unwrap();
    b.until("both requests at the trap", 10, || async { b.offsite().len() >= 2 })
        .await;
    let seen = b.offsite().join("\n");
    assert!(seen.contains("GET http://images.example.net/a.png"), "{seen}");
    assert!(seen.contains("CONNECT cdn.example.org:443"), "{seen}");
    b.close().await;
}
