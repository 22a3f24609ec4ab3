//! Accessibility: axe-core's WCAG 2.0, 2.1 and 2.2 A and AA rules over every kind of page, in the light and the dark
//! scheme, in a real Chromium; and the print stylesheet, in Chromium's print emulation.

use std::path::Path;

use crate::support::axe;
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
fn every_page_kind_passes_axe_in_light_and_dark() {
    let axe_js = axe::source();
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
            "article with check cards and a callout",
            "/workflows/403-not-assigned-app/".into(),
            ".check-card ~ * , .callout",
        ),
        ("section", "/workflows/".into(), "main h1"),
        ("tag", format!("/tags/{tag}/"), "main h1"),
        ("error page", format!("/errors/{error}/"), "main h1"),
        ("error index", "/errors/".into(), "main h1"),
        (
            "search with results and facets",
            "/search/?q=token".into(),
            "#search-results li .result-url",
        ),
        ("report", "/report/".into(), "main h1"),
        ("404", "/404.html".into(), "main h1"),
    ];
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
    let org = FakeOrg::start("broken/workflows/403-not-assigned-app");
    let (_, report) = check(&org, &[]);
    let (_dir, site, run) = build_from(&report.unwrap());
    assert_eq!(run.code, 0, "{}", run.stderr);
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
    });
}
