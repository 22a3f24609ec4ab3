//! Accessibility: axe-core's WCAG 2.0, 2.1 and 2.2 A and AA rules over every kind of page, in the light and the dark
//! scheme, in a real Chromium; and the print stylesheet, in Chromium's print emulation.

use crate::support::axe;
use crate::support::browser::with_browser;
use crate::support::serve::Server;
use crate::support::{page_kinds, site_with_report};

#[test]
fn every_page_kind_passes_axe_in_light_and_dark() {
    let axe_js = axe::source();
    let (_dir, site) = site_with_report();
    let pages = page_kinds(&site);
    let server = Server::start(&site);
    with_browser(async |b| {
        let mut failures = Vec::new();
        for scheme in ["light", "dark"] {
            b.emulate("", scheme).await;
            for (kind, path, ready) in &pages {
                b.client.goto(&format!("{}{path}", server.url)).await.unwrap();
                b.wait_for(ready).await;
                if path.starts_with("/search/") {
                    b.wait_for(".facets input").await;
                }
                assert!(
                    b.holds(&format!(
                        "return matchMedia('(prefers-color-scheme: {scheme})').matches"
                    ))
                    .await,
                    "the {scheme} scheme is not in effect"
                );
                let audit = axe::audit(b, &axe_js).await;
                assert_eq!(audit.version, axe::AXE_VERSION, "{kind}: axe did not run");
                assert!(audit.passes > 10, "{kind}: axe passed only {} rules", audit.passes);
                if !audit.incomplete.is_empty() {
                    eprintln!(
                        "{kind} ({scheme}), for a person to check: {}",
                        audit.incomplete.join("; ")
                    );
                }
                for v in audit.violations {
                    failures.push(format!("{kind} ({path}, {scheme}): {v}"));
                }
            }
        }
        assert!(failures.is_empty(), "axe found violations:\n{}", failures.join("\n"));
    });
}

#[test]
fn the_print_stylesheet_hides_the_chrome_and_shows_link_addresses() {
    let (_dir, site) = site_with_report();
    let server = Server::start(&site);
    with_browser(async |b| {
        let page = format!("{}/workflows/403-not-assigned-app/", server.url);
        let hidden = "return ['.site-header', '.site-search', '.code button.copy', '.site-footer', '.toc']
            .map(s => [s, document.querySelector(s) ? getComputedStyle(document.querySelector(s)).display : 'absent'])";
        let link_after =
            "const a = [...document.querySelectorAll('.prose a[href^=\"/\"], .prose a[href^=\"http\"]')][0];
            return a ? getComputedStyle(a, '::after').content : 'no link'";
        b.client.goto(&page).await.unwrap();
        b.wait_for(".code button.copy").await;
        let screen = b.js(hidden).await;
        assert!(
            screen.as_array().unwrap().iter().all(|p| p[1] != "none"),
            "on screen everything shows: {screen}"
        );
        assert_eq!(b.js(link_after).await, "none");
        b.emulate("print", "light").await;
        b.client.goto(&page).await.unwrap();
        b.wait_for(".code button.copy").await;
        let print = b.js(hidden).await;
        for p in print.as_array().unwrap() {
            assert_eq!(p[1], "none", "{} still shows in print: {print}", p[0]);
        }
        let after = b.js(link_after).await;
        assert!(
            after.as_str().is_some_and(|s| s.contains('/') && s.contains('<')),
            "{after}"
        );
        // Paper is light whatever the screen's scheme: a dark reader's print has the light page's colours.
        let colours = "return [getComputedStyle(document.body).backgroundColor,
            getComputedStyle(document.querySelector('.code pre') || document.body).backgroundColor,
            ...[...document.querySelectorAll('.code [class*=hl-]')].slice(0, 40).map(e => getComputedStyle(e).color)]";
        let light = b.js(colours).await;
        b.emulate("print", "dark").await;
        b.client.goto(&page).await.unwrap();
        b.wait_for(".code button.copy").await;
        assert_eq!(b.js(colours).await, light, "printing from a dark screen");
        assert_eq!(light[0], "rgb(255, 255, 255)");
        b.emulate("", "dark").await;
        b.client.goto(&page).await.unwrap();
        b.wait_for(".code button.copy").await;
        assert_ne!(b.js(colours).await, light, "the screen's dark scheme is dark");
    });
}

#[test]
fn an_internal_sites_banner_and_badges_pass_axe_too() {
    let axe_js = axe::source();
    let dir = crate::support::fixture("audiences");
    let run = crate::support::kb(dir.path(), &["build", "--audience", "internal"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let server = Server::start(&dir.path().join("site"));
    with_browser(async |b| {
        let mut failures = Vec::new();
        for scheme in ["light", "dark"] {
            b.emulate("", scheme).await;
            for path in ["/", "/public/", "/public/zqxmarker-escalation/"] {
                b.client.goto(&format!("{}{path}", server.url)).await.unwrap();
                b.wait_for(".internal-banner").await;
                b.wait_for(".badge-internal").await;
                let audit = axe::audit(b, &axe_js).await;
                assert_eq!(audit.version, axe::AXE_VERSION, "{path}: axe did not run");
                assert!(audit.passes > 10, "{path}: axe passed only {} rules", audit.passes);
                failures.extend(audit.violations.into_iter().map(|v| format!("{path} ({scheme}): {v}")));
            }
        }
        assert!(failures.is_empty(), "axe found violations:\n{}", failures.join("\n"));
    });
}
