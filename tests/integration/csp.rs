//! The content security policy in a real Chromium: every kind of page the knowledge base has loads under it without
//! a single violation, the theme's scripts (search, copy buttons) still work, and the listener that would see a
//! violation is proved to hear one.

use crate::support::browser::with_browser;
use crate::support::serve::Server;
use crate::support::{page_kinds, site_with_report};

#[test]
fn every_page_kind_loads_under_the_policy_without_a_violation_in_a_real_browser() {
    let (_dir, site) = site_with_report();
    let pages = page_kinds(&site);
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
