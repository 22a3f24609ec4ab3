//! `kb serve`, end to end: the real binary serving on loopback, real file edits, the live-reload channel read as an
//! open page reads it, and a real headless Chromium running the page's live-reload script.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::browser::with_browser;
use crate::support::live::{KbServe, Listener, served_within};
use crate::support::{fixture, kb};

const TOKEN: &str = "/guides/token-expired/";

fn edit(root: &Path, rel: &str, change: impl Fn(&str) -> String) -> Instant {
    let path = root.join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    let changed = change(&text);
    assert_ne!(text, changed, "the edit changes {rel}");
    std::fs::write(&path, changed).unwrap();
    Instant::now()
}

#[test]
fn a_saved_article_is_served_within_a_second_and_open_pages_are_told_to_reload() {
    let site = fixture("basic");
    let root = site.path();
    let server = KbServe::start(root, &["--no-search"]);
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "loopback by default: {}",
        server.url
    );
    let page = server.get(TOKEN);
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(
        page.body
            .contains("<script src=\"/__kb/live.js\" defer></script></body>")
    );
    assert!(!page.body.contains("every night"));
    let listener = Listener::connect(&server);

    // A body edit: the article's page, and only it.
    let saved = edit(root, "content/guides/token-expired.md", |t| {
        t.replace("fails with **401**", "fails with **401** every night")
    });
    let took = served_within(server.authority(), TOKEN, "every night", saved, Duration::from_secs(1));
    let reload = listener.next("reload", 2);
    assert_eq!(reload.data, format!(r#"{{"all":false,"pages":["{TOKEN}"]}}"#));
    assert!(reload.at.duration_since(saved) < Duration::from_secs(1));
    server.wait_for_log("content/guides/token-expired.md: 1 page rendered, 1 file changed", 5);
    eprintln!("body edit served after {took:?}");

    // A new title: the lists that show it change too.
    let saved = edit(root, "content/guides/rate-limit.md", |t| {
        t.replace("429 E0000047 rate limit exceeded", "429 E0000047 too many requests")
    });
    served_within(
        server.authority(),
        "/guides/",
        "429 E0000047 too many requests",
        saved,
        Duration::from_secs(1),
    );
    let reload = listener.next("reload", 2);
    for page in ["/guides/rate-limit/", "/guides/", "/errors/e0000047/", TOKEN] {
        assert!(
            reload.data.contains(&format!("\"{page}\"")),
            "{page} in {}",
            reload.data
        );
    }

    // A new article, then its deletion.
    let new = root.join("content/guides/new-guide.md");
    std::fs::write(&new, "+++\ntitle = \"A brand new guide\"\n+++\nJust written.\n").unwrap();
    served_within(
        server.authority(),
        "/guides/new-guide/",
        "Just written.",
        Instant::now(),
        Duration::from_secs(2),
    );
    assert!(server.get("/guides/").body.contains("A brand new guide"));
    std::fs::remove_file(&new).unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    while server.get("/guides/new-guide/").status != 404 {
        assert!(Instant::now() < deadline, "the deleted article is still served");
        std::thread::sleep(Duration::from_millis(10));
    }

    // Served as a static server would: a folder without its slash redirects, other files get their type.
    let folder = server.get("/guides");
    assert_eq!((folder.status, folder.header("location")), (308, Some("/guides/")));
    let css = server.get("/assets/style.css");
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(!css.body.contains("live.js"), "only HTML pages get the script");
}

#[test]
fn an_invalid_save_keeps_the_last_good_page_and_shows_the_error_until_a_fix() {
    let site = fixture("basic");
    let root = site.path();
    let server = KbServe::start(root, &["--no-search"]);
    let listener = Listener::connect(&server);
    let before = server.get("/guides/third/").body;

    edit(root, "content/guides/third.md", |t| {
        format!("{t}\nSee [the old page](gone.md).\n")
    });
    let failed = listener.next("failed", 2);
    let text: String = serde_json::from_str(&failed.data).expect("the errors, as a JSON string");
    assert!(text.contains("error: broken link: `gone.md`"), "{text}");
    assert!(text.contains("--> content/guides/third.md:7:20"), "{text}");
    assert!(text.contains("= hint:"), "{text}");
    // The terminal says the same, and the last good page is still served.
    server.wait_for_log("--> content/guides/third.md:7:20", 2);
    server.wait_for_log("The last good pages are still served", 2);
    let still = server.get("/guides/third/");
    assert_eq!((still.status, still.body), (200, before.clone()));
    // A page opened now is shown the errors at once.
    let late = Listener::connect(&server);
    assert_eq!(late.next("failed", 2).data, failed.data);

    // A broken kb.toml too: the whole site is kept.
    let config = edit(root, "kb.toml", |t| {
        t.replace("paginate_by = 2", "paginate_by = \"two\"")
    });
    let failed = listener.next("failed", 2);
    assert!(failed.data.contains("kb.toml"), "{}", failed.data);
    assert!(config.elapsed() < Duration::from_secs(2));
    assert_eq!(server.get("/guides/third/").body, before);
    edit(root, "kb.toml", |t| {
        t.replace("paginate_by = \"two\"", "paginate_by = 2")
    });
    // Still failing: the broken link was not fixed.
    listener.next("failed", 2);

    let fixed = edit(root, "content/guides/third.md", |t| {
        t.replace("See [the old page](gone.md).", "See the new page.")
    });
    listener.next("fixed", 2);
    let reload = listener.next("reload", 2);
    assert!(reload.data.contains("\"all\":true"), "{}", reload.data);
    served_within(
        server.authority(),
        "/guides/third/",
        "See the new page.",
        fixed,
        Duration::from_secs(1),
    );
}

#[test]
fn the_live_reload_script_reloads_the_page_and_shows_errors_over_it_in_a_real_browser() {
    let site = fixture("basic");
    let root = site.path();
    let server = KbServe::start(root, &["--no-search"]);
    with_browser(async |b| {
        // The pages' content security policy holds the live-reload script and the overlay too.
        b.watch_csp().await;
        b.client
            .goto(&format!("{}{}", server.url.trim_end_matches('/'), TOKEN))
            .await
            .unwrap();
        b.wait_for("main h1").await;
        // Set on this page only: a reload clears it.
        b.js("window.kbBeforeReload = true; return true").await;
        let connected = "return document.documentElement.dataset.kbLive === 'connected'";
        b.until("the page to connect to the live-reload channel", 5, || {
            b.holds(connected)
        })
        .await;

        edit(root, "content/guides/token-expired.md", |t| {
            t.replace("fails with **401**", "fails with **401** after the rotation")
        });
        b.until("the page to reload with the edit", 5, || {
            b.holds("return !window.kbBeforeReload && document.body.innerText.includes('after the rotation')")
        })
        .await;

        b.until("the reloaded page to connect", 5, || b.holds(connected)).await;
        b.js("window.kbBeforeReload = true; return true").await;
        edit(root, "content/guides/token-expired.md", |t| {
            t.replace("## Symptom", "## Symptom\n\nSee [the old page](gone.md).")
        });
        b.until("the error overlay", 5, || {
            b.holds(
                "const o = document.getElementById('kb-live-error'); return !!o && o.innerText.includes('broken link')",
            )
        })
        .await;
        let overlay = b.text("#kb-live-error").await;
        assert_eq!(
            b.csp_violations().await,
            Vec::<String>::new(),
            "the overlay is shown under the policy"
        );
        assert!(overlay.contains("--> content/guides/token-expired.md:"), "{overlay}");
        assert!(overlay.contains("The last save did not build"), "{overlay}");
        assert!(
            b.holds("return window.kbBeforeReload === true").await,
            "the page stays the last good one"
        );
        b.screenshot("serve-error-overlay").await;

        edit(root, "content/guides/token-expired.md", |t| {
            t.replace("## Symptom\n\nSee [the old page](gone.md).", "## Symptom")
        });
        b.until("the overlay to go and the page to reload", 5, || {
            b.holds("return !window.kbBeforeReload && !document.getElementById('kb-live-error')")
        })
        .await;
        assert!(b.offsite().is_empty(), "requests left the site: {:?}", b.offsite());
    });
}

#[test]
fn the_search_index_is_built_in_the_background_and_served() {
    let site = fixture("basic");
    let server = KbServe::start(site.path(), &[]);
    server.wait_for_log("search index: 4 articles", 30);
    let meta = server.get("/search-index/meta.json.gz");
    assert_eq!(meta.status, 200, "{}", server.log());
    let index = server.get("/search-index/search.js");
    assert!(index.body.contains("export async function search"), "{}", server.log());
    assert!(server.get("/search/").body.contains("data-index=\"/search-index/\""));
}

#[test]
fn a_port_in_use_is_refused_with_a_hint() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let site = fixture("basic");
    let run = kb(site.path(), &["serve", "--port", &port]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.assert_stderr_has(&format!("cannot listen on 127.0.0.1:{port}"));
    run.assert_stderr_has("hint: pass --port with another port, or --port 0 for any free one");
}

#[test]
fn an_edited_error_catalogue_is_served_again() {
    let site = fixture("catalogues");
    let root = site.path();
    let server = KbServe::start(root, &["--no-search"]);
    assert!(server.get("/errors/a0002/").body.contains("You may not read {0} here."));
    let saved = edit(root, "catalogues/acme-api.toml", |t| {
        t.replace("You may not read {0} here.", "You may not read {0} from here.")
    });
    served_within(
        server.authority(),
        "/errors/a0002/",
        "You may not read {0} from here.",
        saved,
        Duration::from_secs(5),
    );
}

#[test]
fn a_catalogue_that_kept_the_first_build_from_succeeding_is_watched_and_its_fix_served() {
    let site = fixture("catalogues");
    let root = site.path();
    edit(root, "catalogues/acme-api.toml", |t| {
        t.replace("status = 403", "status = 4030")
    });
    let server = KbServe::start(root, &["--no-search"]);
    server.wait_for_log("HTTP status 4030", 10);
    let saved = edit(root, "catalogues/acme-api.toml", |t| {
        t.replace("status = 4030", "status = 403")
    });
    served_within(
        server.authority(),
        "/errors/a0002/",
        "You may not read {0} here.",
        saved,
        Duration::from_secs(5),
    );
}
