//! The content security policy in a real Chromium: every kind of page the knowledge base has loads under it without
//! a single violation, the theme's scripts (search, copy buttons) still work, and the listener that would see a
//! violation is proved to hear one.

use std::path::Path;

use crate::support::browser::with_browser;
use crate::support::okta::FakeOrg;
use crate::support::serve::Server;
use crate::support::{build_from, check};

/// The first folder under `dir` (a tag, an error page): its name.
fn first_dir(dir: &Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().join("index.html").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.into_iter().next().expect("a page folder")
}

#[test]
fn every_page_kind_loads_under_the_policy_without_a_violation_in_a_real_browser() {
    // The knowledge base with an org's report, so that the report page and the status on articles are there too.
    let org = FakeOrg::start("broken/workflows/403-not-assigned-app");
    let (run, report) = check(&org, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (_dir, site, run) = build_from(&report.unwrap());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let tag = first_dir(&site.join("tags"));
    let error = first_dir(&site.join("errors"));
    let pages = [
        ("home", "/".to_string(), "main h1"),
        (
            "article with check cards and code",
            "/workflows/403-not-assigned-app/".into(),
            ".check-card",
        ),
        ("section", "/workflows/".into(), "main h1"),
        ("tag", format!("/tags/{tag}/"), "main h1"),
        ("error page", format!("/errors/{error}/"), "main h1"),
        ("error index", "/errors/".into(), "main h1"),
        (
            "search with results",
            "/search/?q=E0000011".into(),
            "#search-results li",
        ),
        ("report", "/report/".into(), "main h1"),
        ("404", "/404.html".into(), "main h1"),
    ];
    let server = Server::start(&site);
    with_browser(async |b| {
        b.watch_csp().await;
        for (kind, path, ready) in &pages {
            b.client.goto(&format!("{}{path}", server.url)).await.unwrap();
            b.wait_for(ready).await;
            let policy = b
                .js(
                    "const m = document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]'); \
                     return m && m.content",
                )
                .await;
            assert!(
                policy.as_str().is_some_and(|p| p.contains("script-src 'self'")),
                "{kind}: no policy on the page: {policy}"
            );
            assert_eq!(b.csp_violations().await, Vec::<String>::new(), "{kind} ({path})");
        }

        // The theme's scripts run under the policy: the search page found results above, and a code block's copy
        // button copies.
        b.client
            .goto(&format!("{}/workflows/403-not-assigned-app/", server.url))
            .await
            .unwrap();
        b.grant_clipboard(&server.url).await;
        b.click(".code button.copy").await;
        b.wait_for(".code button.copy[data-copied]").await;
        assert_eq!(b.text(".code button.copy[data-copied]").await, "Copied");
        assert_eq!(b.csp_violations().await, Vec::<String>::new());

        // The listener hears a violation: an inline script and an inline handler, injected after the load.
        b.js("const s = document.createElement('script'); s.textContent = 'window.ran = true'; \
              document.body.appendChild(s); \
              const d = document.createElement('div'); d.innerHTML = '<img src=\"/assets/favicon.svg\" onload=\"window.ran = 2\">'; \
              document.body.appendChild(d); return true")
            .await;
        b.until("the injected script's violation", 5, || async {
            b.csp_violations().await.len() >= 2
        })
        .await;
        let seen = b.csp_violations().await;
        assert!(seen.iter().all(|v| v.starts_with("script-src")), "{seen:?}");
        assert!(
            b.holds("return window.ran === undefined").await,
            "the injected script did not run"
        );
        assert!(b.offsite().is_empty(), "requests left the site: {:?}", b.offsite());
    });
}
