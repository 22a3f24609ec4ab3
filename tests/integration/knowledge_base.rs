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
    assert!(
        !run.stderr.contains("warning"),
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

#[test]
fn every_article_is_a_complete_troubleshooting_article() {
    let config = Config::load(&support::repo(), None).unwrap();
    let mut diags = Vec::new();
    let content = Content::load(&config, false, &mut diags);
    for a in &content.articles {
        let body = a.body();
        let words = body.split_whitespace().count();
        assert!(
            words >= 300,
            "{} has {words} words; an article has at least 300",
            a.source
        );
        let mut last = 0;
        for heading in ["## Symptom", "## Error", "## Applies to", "## Cause", "## Solution"] {
            let at = body
                .find(&format!("\n{heading}\n"))
                .map(|i| i + 1)
                .or_else(|| body.starts_with(&format!("{heading}\n")).then_some(0));
            let at = at.unwrap_or_else(|| panic!("{} has no `{heading}` section", a.source));
            assert!(at >= last, "{}: `{heading}` is out of order", a.source);
            last = at;
        }
        let solution = &body[body.find("## Solution").unwrap()..];
        assert!(
            solution.contains("\n1. "),
            "{}: the solution has numbered steps",
            a.source
        );
        assert!(a.meta.description.is_some(), "{} has a description", a.source);
    }
}
