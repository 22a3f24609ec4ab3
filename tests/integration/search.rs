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

/// A pasted message with an app name of the test's own, which no article holds.
const PASTED: &str = "Sorry, you can't access Zorblax Payroll because you are not assigned to this app in Okta. If you're \
                      wondering why this is happening, please contact your administrator.";
/// The same with an app name other articles hold, so that no page holds every word.
const PASTED_KNOWN_NAME: &str = "Sorry, you can't access DPoP Console because you are not assigned to this app in \
                                 Okta. If you're wondering why this is happening, please contact your administrator.";

fn key(k: Key) -> char {
    char::from(k)
}

fn enter() -> String {
    key(Key::Enter).to_string()
}

/// Builds the site at `root` into a temporary folder.
pub(crate) fn build(root: &Path) -> TempDir {
    let out = TempDir::new().unwrap();
    let site = out.path().join("site");
    let run = kb(root, &["build", "--output", site.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    out
}

/// Puts `query` into the search page's box, as a paste does (one `input` event), and waits until the page shows
/// the results of exactly that query. (Typing is tested with the keyboard below.)
pub(crate) async fn search(b: &Browser, base: &str, query: &str) {
    b.client.goto(&format!("{base}/search/")).await.unwrap();
    b.wait_for("#search-q").await;
    let q = serde_json::to_string(query).unwrap();
    b.js(&format!(
        "const box = document.getElementById('search-q'); box.value = {q}; \
         box.dispatchEvent(new Event('input', {{ bubbles: true }})); return true;"
    ))
    .await;
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
    if status.contains("No articles found.") {
        return 0;
    }
    let words: Vec<&str> = status.split_whitespace().collect();
    let at = words
        .iter()
        .position(|w| *w == "article." || *w == "articles.")
        .unwrap_or_else(|| panic!("no count in {status:?}"));
    words[at - 1]
        .parse()
        .unwrap_or_else(|_| panic!("no count in {status:?}"))
}

/// The result links the page shows, in order.
pub(crate) async fn result_urls(b: &Browser) -> Vec<String> {
    let v = b
        .js("return [...document.querySelectorAll('#search-results a.result-title')].map(a => new URL(a.href).pathname);")
        .await;
    serde_json::from_value(v).unwrap()
}

#[tokio::test]
async fn the_search_page_explains_its_results_filters_them_and_works_from_the_keyboard() {
    let out = build(&repo());
    let server = Server::start(&out.path().join("site"));
    let b = Browser::start().await;
    let base = server.url.clone();

    // The words of a pasted message that no article holds are named as left out.
    search(&b, &base, PASTED).await;
    assert_eq!(result_urls(&b).await.first().map(String::as_str), Some(NOT_ASSIGNED));
    b.until("the left-out words", 10, || async {
        b.text("#search-status")
            .await
            .contains("Left out, as no article has them: Zorblax, Payroll.")
    })
    .await;

    // When no article holds every word, the closest matches are ranked, and the page says so.
    search(&b, &base, PASTED_KNOWN_NAME).await;
    assert_eq!(result_urls(&b).await.first().map(String::as_str), Some(NOT_ASSIGNED));
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
    slash(&b).await;
    let focused = b.js("return document.activeElement.id;").await;
    assert_eq!(focused, "site-search-q");
    // The single-key shortcut can be turned off (WCAG 2.1.4); the choice is remembered on the next page.
    b.js("document.activeElement.blur(); return true").await;
    b.click(".shortcut-toggle").await;
    b.client.goto(&format!("{base}{NOT_ASSIGNED}")).await.unwrap();
    b.wait_for("#site-search-q").await;
    assert_eq!(b.text(".shortcut-toggle").await, "Turn on the / search shortcut");
    slash(&b).await;
    assert_ne!(b.js("return document.activeElement.id;").await, "site-search-q");
    b.click(".shortcut-toggle").await;
    assert_eq!(b.text(".shortcut-toggle").await, "Turn off the / search shortcut");
    slash(&b).await;
    assert_eq!(b.js("return document.activeElement.id;").await, "site-search-q");
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

    // Every query of the relevance table still finds its article first, and the Rust ranking agrees with the page.
    let rows = crate::relevance::table();
    let page = crate::relevance::run(&b, &server.url, &rows).await;
    let missed: Vec<String> = rows
        .iter()
        .zip(&page)
        .filter(|(row, got)| got.first() != Some(&row.first))
        .map(|(row, got)| format!("{:?}: wanted {} first, got {got:?}", row.q, row.first))
        .collect();
    assert!(
        missed.is_empty(),
        "articles not first among distractors:\n{}",
        missed.join("\n")
    );
    let index = crate::relevance::index_of(&out.path().join("site"));
    let differ = crate::relevance::disagreements(&index, &rows, &page);
    assert!(
        differ.is_empty(),
        "the rankings differ among distractors:\n{}",
        differ.join("\n")
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
    let mut names: Vec<String> = fragments
        .iter()
        .cloned()
        .chain(chunks.values().map(|v| format!("w/{}.json.gz", v.as_str().unwrap())))
        .collect();
    let vocabulary = meta["vocabulary"].as_object().unwrap();
    assert!(vocabulary["first"].as_object().unwrap().contains_key("e"), "{meta}");
    for end in vocabulary.values() {
        names.extend(
            end.as_object()
                .unwrap()
                .values()
                .map(|v| format!("v/{}.json.gz", v.as_str().unwrap())),
        );
    }
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

/// A result leads to its article with the query's words (`?highlight=`): the article marks them, scrolls to the
/// first, and takes the parameter out of the address bar; the code's highlighting and copy buttons are unchanged.
#[tokio::test]
async fn the_article_found_marks_the_searched_words_and_keeps_a_clean_address() {
    let out = build(&repo());
    let server = Server::start(&out.path().join("site"));
    let b = Browser::start().await;
    let base = server.url.clone();
    b.grant_clipboard(&base).await;

    search(&b, &base, "E0000015").await;
    let href = b
        .js("return document.querySelector('#search-results a.result-title').getAttribute('href');")
        .await;
    assert_eq!(href.as_str(), Some(&*format!("{API_AM}?highlight=e0000015")));
    b.click("#search-results a.result-title").await;
    b.until("the words to be marked", 10, || {
        b.holds("return document.documentElement.hasAttribute('data-highlighted');")
    })
    .await;
    let here = b.client.current_url().await.unwrap();
    assert_eq!(here.as_str(), format!("{base}{API_AM}"), "the parameter is gone");
    let marked: Vec<String> = serde_json::from_value(
        b.js("return [...document.querySelectorAll('.article mark.search-hit')].map(m => m.textContent);")
            .await,
    )
    .unwrap();
    assert!(marked.len() >= 3, "{marked:?}");
    assert!(marked.iter().all(|m| m.contains("E0000015")), "{marked:?}");
    assert!(
        b.holds(
            "const r = document.querySelector('mark.search-hit').getBoundingClientRect(); \
             return r.top >= 0 && r.bottom <= innerHeight;"
        )
        .await,
        "the first mark is in view"
    );
    // A code block holding the word: marked, its highlighting spans all there, and Copy copies the code as written.
    let pristine = b
        .js("const html = await (await fetch(location.href)).text(); \
             const doc = new DOMParser().parseFromString(html, 'text/html'); \
             const code = [...doc.querySelectorAll('.code pre code')].find(c => c.textContent.includes('E0000015')); \
             return [code.textContent, code.querySelectorAll('span').length];")
        .await;
    let block = "[...document.querySelectorAll('.code')].find(b => b.querySelector('pre code mark'))";
    let live = b
        .js(&format!(
            "const code = {block}.querySelector('pre code'); \
             return [code.textContent, code.querySelectorAll('span').length];"
        ))
        .await;
    assert_eq!(live, pristine);
    b.js(&format!("{block}.querySelector('button.copy').click(); return true;"))
        .await;
    b.until("the copy", 10, || {
        b.holds("return !!document.querySelector('button.copy[data-copied]');")
    })
    .await;
    let copied = b.js("return await navigator.clipboard.readText();").await;
    assert_eq!(
        copied.as_str().map(str::trim_end),
        pristine[0].as_str().map(str::trim_end)
    );
    b.screenshot("search-highlight").await;

    // A section link scrolls to the first mark in that section, and keeps its #fragment.
    b.client
        .goto(&format!("{base}{NOT_ASSIGNED}?highlight=workflows#cause"))
        .await
        .unwrap();
    b.until("the words to be marked", 10, || {
        b.holds("return document.documentElement.hasAttribute('data-highlighted');")
    })
    .await;
    let here = b.client.current_url().await.unwrap();
    assert_eq!(here.as_str(), format!("{base}{NOT_ASSIGNED}#cause"));
    assert!(
        b.holds(
            "const cause = document.getElementById('cause'); \
             const m = [...document.querySelectorAll('mark.search-hit')] \
               .find(m => cause.compareDocumentPosition(m) & Node.DOCUMENT_POSITION_FOLLOWING); \
             const r = m.getBoundingClientRect(); \
             return document.querySelector('mark.search-hit') !== m && r.top >= 0 && r.bottom <= innerHeight;"
        )
        .await,
        "the first mark after the section's heading is in view, not the page's first"
    );
    assert_eq!(b.offsite(), Vec::<String>::new());
    b.close().await;
}

/// Corrections are said: the word searched instead, and for an error code the other codes as close.
#[tokio::test]
async fn the_search_page_says_which_words_it_corrected() {
    let out = build(&repo());
    let server = Server::start(&out.path().join("site"));
    let b = Browser::start().await;
    search(&b, &server.url, "insuficient_scope").await;
    let status = b.text("#search-status").await;
    assert!(
        status.starts_with("Showing results for insufficient_scope."),
        "{status}"
    );
    search(&b, &server.url, "E000015").await;
    let status = b.text("#search-status").await;
    // The other codes a typo away: those an article lists first (E0000135, the inline hook article's; E0000155), then
    // by pages.
    assert!(
        status.starts_with("Showing results for E0000015. Other close codes: E0000135, "),
        "{status}"
    );
    b.click("#search-status .corrected a").await;
    wait_for_results(&b, "e0000135").await;
    assert_eq!(
        result_urls(&b).await.first().map(String::as_str),
        Some("/hooks/inline-hook-not-responding/")
    );
    // Ctrl+K opens search from an article.
    b.client.goto(&format!("{}{NOT_ASSIGNED}", server.url)).await.unwrap();
    b.wait_for("#site-search-q").await;
    let body = b.client.find(Locator::Css("body")).await.unwrap();
    body.send_keys(&format!("{}k{}", key(Key::Control), key(Key::Null)))
        .await
        .unwrap();
    let focused = b.js("return document.activeElement.id;").await;
    assert_eq!(focused, "site-search-q");
    b.close().await;
}

/// A word one page holds (a typo in an article) is also searched as the word a typo away that many pages hold: the
/// page holding the word as typed comes first, the others after it, and the page says so.
#[tokio::test]
async fn a_rare_word_is_also_searched_as_its_common_neighbour_ranked_below() {
    let mut files = vec![(
        "content/typo.md".to_string(),
        article("Asigned by mistake", "The user was asigned twice."),
    )];
    for i in 0..12 {
        files.push((
            format!("content/a{i:02}.md"),
            article(&format!("Assigned article {i}"), "The user was assigned to the app."),
        ));
    }
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, t)| (p.as_str(), t.as_bytes())).collect();
    let dir = site(&refs);
    let out = build(dir.path());
    let server = Server::start(&out.path().join("site"));
    let b = Browser::start().await;
    search(&b, &server.url, "asigned").await;
    let urls = result_urls(&b).await;
    assert_eq!(urls.first().map(String::as_str), Some("/typo/"), "{urls:?}");
    assert_eq!(count(&b).await, 13, "{urls:?}");
    let status = b.text("#search-status").await;
    assert!(status.starts_with("Also showing results for assigned."), "{status}");
    b.close().await;
}

/// Presses `/` on the page's body.
async fn slash(b: &Browser) {
    let body = b.client.find(Locator::Css("body")).await.unwrap();
    body.send_keys("/").await.unwrap();
}
