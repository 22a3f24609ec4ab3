//! The knowledge base in `content/` builds into a complete site: a page for everything, highlighted code, and no
//! broken link, anchor or off-site load anywhere.

use std::path::Path;

use kb::config::Config;
use kb::content::Content;
use kb::site::taxonomy::{Kind, term_slug};

use crate::support::{self, crawl, kb, read};

/// Builds `content/` (from the repository) into a temporary output folder.
fn build(extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let out = tempfile::tempdir().unwrap();
    let site = out.path().join("site");
    let root = support::repo();
    let mut args = vec![
        "build",
        "--root",
        root.to_str().unwrap(),
        "--output",
        site.to_str().unwrap(),
    ];
    args.extend(extra);
    let run = kb(out.path(), &args);
    assert_eq!(run.code, 0, "build failed:\n{}", run.stderr);
    run.assert_stderr_has("Built ");
    // A shallow clone of this repository (CI checkouts often are) is said once; nothing else may warn.
    let warnings = run.stderr.matches("warning: ").count().saturating_sub(
        run.stderr
            .matches("warning: the site is in a shallow git clone")
            .count(),
    );
    assert_eq!(
        warnings, 0,
        "the knowledge base builds without warnings:\n{}",
        run.stderr
    );
    (out, site)
}

fn page(site: &Path, url_path: &str) -> std::path::PathBuf {
    site.join(url_path.trim_start_matches('/')).join("index.html")
}

#[test]
fn every_article_section_product_tag_and_error_has_a_page() {
    let (_tmp, site) = build(&[]);
    let config = Config::load(&support::repo(), None).unwrap();
    let mut diags = Vec::new();
    let content = Content::load(&config, false, &mut diags);
    assert!(diags.is_empty(), "{diags:?}");
    assert!(
        content.articles.len() >= 12,
        "the knowledge base has at least 12 articles"
    );
    for slug in [
        "workflows/403-not-assigned-app",
        "workflows/403-insufficient-scope",
        "workflows/okta-connector-authorization",
        "api-access-management/401-e0000015-feature-not-enabled",
    ] {
        assert!(content.by_slug.contains_key(slug), "seed article {slug} is missing");
    }
    for a in &content.articles {
        let html = read(page(&site, &a.slug));
        assert!(
            html.contains(&format!("<h1>{}</h1>", kb::markdown::html_escape(a.title()))),
            "{}",
            a.slug
        );
        assert!(
            !a.meta.products.is_empty() && !a.meta.applies_to.is_empty() && !a.meta.errors.is_empty(),
            "{}",
            a.slug
        );
        for p in &a.meta.products {
            assert!(
                page(&site, &format!("products/{}", term_slug(Kind::Products, p))).is_file(),
                "product {p}"
            );
        }
        for t in &a.meta.tags {
            assert!(
                page(&site, &format!("tags/{}", term_slug(Kind::Tags, t))).is_file(),
                "tag {t}"
            );
        }
        for e in &a.meta.errors {
            let p = page(&site, &format!("errors/{}", term_slug(Kind::Errors, e)));
            assert!(read(&p).contains(&a.url), "error page for {e:?} lists {}", a.slug);
        }
    }
    for s in content.sections.iter().skip(1) {
        assert!(page(&site, &s.slug).is_file(), "section {}", s.slug);
    }
    // Every entry of the error catalogues has its page, with its official message.
    let errors = kb::site::taxonomy::Taxonomy::build(Kind::Errors, &content, &config.catalogues);
    let entries: usize = config.catalogues.iter().map(|c| c.entries.len()).sum();
    let mut pages = 0;
    for t in &errors.terms {
        let Some(at) = t.entry else { continue };
        let html = read(page(&site, &format!("errors/{}", t.slug)));
        let message = kb::markdown::html_escape(&kb::catalogue::entry_at(&config.catalogues, at).1.message);
        assert!(html.contains(&message), "errors/{} shows {message}", t.slug);
        assert_eq!(
            t.articles.is_empty(),
            html.contains("No article yet"),
            "errors/{}",
            t.slug
        );
        pages += 1;
    }
    assert_eq!(pages, entries, "a page per catalogue entry");
    for f in [
        "index.html",
        "404.html",
        "sitemap.xml",
        "atom.xml",
        "robots.txt",
        "assets/style.css",
        "assets/syntax.css",
    ] {
        assert!(site.join(f).is_file(), "{f}");
    }
    let sitemap = read(site.join("sitemap.xml"));
    for a in &content.articles {
        assert!(
            sitemap.contains(&format!("<loc>https://help.example.com/{}/</loc>", a.slug)),
            "{} in sitemap",
            a.slug
        );
    }
    let atom = read(site.join("atom.xml"));
    assert_eq!(atom.matches("<entry>").count(), content.articles.len().min(50));
}

#[test]
fn code_in_every_listed_language_is_highlighted() {
    let (_tmp, site) = build(&[]);
    let all: String = support::tree(&site)
        .into_iter()
        .filter(|(f, _)| f.ends_with(".html"))
        .map(|(_, b)| String::from_utf8(b).unwrap())
        .collect();
    // Each language must come out with its own grammar's root scope, not merely as escaped text.
    let languages: &[(&[&str], &str)] = &[
        (&["json"], "hl-source hl-json"),
        (&["sh", "bash", "shell"], "hl-source hl-shell"),
        (&["yaml", "yml"], "hl-source hl-yaml"),
        (&["toml"], "hl-source hl-toml"),
        (&["http"], "hl-source hl-http"),
        (&["powershell", "ps1"], "hl-source hl-powershell"),
        (&["javascript", "js"], "hl-source hl-js"),
        (&["python", "py"], "hl-source hl-python"),
        (&["xml"], "hl-text hl-xml"),
    ];
    for (names, scope) in languages {
        let highlighted = names.iter().any(|n| {
            let marker = format!("<code class=\"language-{n}\"><span class=\"{scope}");
            all.contains(&marker)
        });
        assert!(highlighted, "no {names:?} block highlighted with `{scope}` in the site");
    }
}

#[test]
fn crawler_finds_no_broken_link_anchor_or_off_site_load() {
    let (_tmp, site) = build(&[]);
    let problems = crawl::crawl(&site, "https://help.example.com", "/");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn a_base_url_with_a_path_prefixes_every_link() {
    let (_tmp, site) = build(&["--base-url", "https://docs.example.org/help/"]);
    let problems = crawl::crawl(&site, "https://docs.example.org", "/help/");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    let html = read(site.join("workflows/403-not-assigned-app/index.html"));
    assert!(html.contains("href=\"/help/assets/style.css\""));
}

/// The knowledge base's size, and the rules every article follows: the sections `kb new` writes, in order, at
/// least 400 words, numbered steps, a description, products, applies_to, tags, error signatures and related
/// articles; and where an article lists a code of an error catalogue, it quotes that code's message as published.
#[test]
fn the_knowledge_base_is_big_enough_and_every_article_follows_the_rules() {
    let config = Config::load(&support::repo(), None).unwrap();
    let (content, checks) = support::knowledge_base();
    let checked = checks.by_article.iter().filter(|c| !c.is_empty()).count();
    let sections = content.sections.iter().filter(|s| s.parent == Some(0)).count();
    assert!(
        content.articles.len() >= 50,
        "{} articles, not 50",
        content.articles.len()
    );
    assert!(checked >= 35, "{checked} articles with checks, not 35");
    assert!(sections >= 12, "{sections} top-level sections, not 12");
    let placeholder = regex::Regex::new(r"\{\d\}").unwrap();
    // The codes that name one entry: a code of its own, or a sub-code; not an OAuth `error` shared by many
    // entries (`access_denied`), whose own entry's message is the generic one.
    let mut family: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for e in config.catalogues.iter().flat_map(|c| &c.entries) {
        *family.entry(e.code.as_str()).or_default() += 1;
    }
    let mut messages: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    for e in config.catalogues.iter().flat_map(|c| &c.entries) {
        if e.key() != e.code || family[e.code.as_str()] == 1 {
            messages.insert(e.key(), e.message.as_str());
        }
    }
    let mut wrong = Vec::new();
    for a in &content.articles {
        let body = a.body();
        let words = body.split_whitespace().count();
        if words < 400 {
            wrong.push(format!("{} has {words} words; an article has at least 400", a.source));
        }
        let mut last = 0;
        let mut headings = vec!["## Symptom", "## Error", "## Applies to", "## Cause", "## Solution"];
        if !checks.by_article[content.by_slug[a.slug.as_str()]].is_empty() {
            headings.push("## Check your org");
        }
        headings.push("## Verify the fix");
        for heading in headings {
            let at = body
                .find(&format!("\n{heading}\n"))
                .map(|i| i + 1)
                .or_else(|| body.starts_with(&format!("{heading}\n")).then_some(0));
            match at {
                None => wrong.push(format!("{} has no `{heading}` section", a.source)),
                Some(at) if at < last => wrong.push(format!("{}: `{heading}` is out of order", a.source)),
                Some(at) => last = at,
            }
        }
        let solution = body.find("## Solution").map_or("", |i| &body[i..]);
        if !solution.contains("\n1. ") {
            wrong.push(format!("{}: the solution has no numbered steps", a.source));
        }
        let m = &a.meta;
        let empty = [
            ("description", m.description.is_none()),
            ("products", m.products.is_empty()),
            ("applies_to", m.applies_to.is_empty()),
            ("tags", m.tags.is_empty()),
            ("errors", m.errors.is_empty()),
            ("related", m.related.is_empty()),
        ];
        for (field, _) in empty.iter().filter(|(_, e)| *e) {
            wrong.push(format!("{} has no `{field}`", a.source));
        }
        // Listed codes come with their message, word for word (the parts between placeholders).
        let text = format!("{}\n{}", m.errors.join("\n"), body);
        for code in &m.errors {
            let Some(message) = messages.get(code.trim()) else {
                continue;
            };
            for part in placeholder.split(message).map(str::trim).filter(|p| p.len() >= 8) {
                if !text.contains(part) {
                    wrong.push(format!(
                        "{} lists {code} but does not quote its message: {part:?}",
                        a.source
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} problems:\n{}", wrong.len(), wrong.join("\n"));
}

/// The header stays one line at 1280 px however many sections there are: the sections are in a menu.
#[tokio::test]
async fn the_header_fits_one_line_at_1280_px_in_chromium() {
    let (_tmp, site) = build(&[]);
    let server = crate::support::serve::Server::start(&site);
    let b = crate::support::browser::Browser::start().await;
    b.client.set_window_size(1280, 900).await.unwrap();
    let (content, _) = support::knowledge_base();
    let sections = content.sections.iter().filter(|s| s.parent == Some(0)).count();
    for path in ["/", "/errors/", "/users/user-locked-out/"] {
        b.client.goto(&format!("{}{path}", server.url)).await.unwrap();
        b.wait_for(".site-header").await;
        let tops = b
            .js(
                "return [...document.querySelectorAll('.header-row > *, .site-nav > ul > li')]
                   .map(e => Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2));",
            )
            .await;
        let tops: Vec<i64> = serde_json::from_value(tops).unwrap();
        let (lo, hi) = (tops.iter().min().unwrap(), tops.iter().max().unwrap());
        assert!(
            hi - lo <= 4,
            "{path}: the header's parts are on more than one line: {tops:?}"
        );
        let width = b.js("return document.documentElement.scrollWidth;").await;
        assert!(
            width.as_i64().unwrap() <= 1280,
            "{path}: the page scrolls sideways: {width}"
        );
    }
    // The menu opens and lists every top-level section.
    b.click(".nav-sections summary").await;
    let shown = b
        .js("return [...document.querySelectorAll('.nav-menu a')].filter(a => a.getBoundingClientRect().height > 0).length;")
        .await;
    assert_eq!(shown.as_u64(), Some(sections as u64));
    b.screenshot("header-sections-menu").await;
    b.close().await;
}
