//! Golden files for rendered HTML: a representative article (every Markdown feature, every highlighted language,
//! escaping of titles), a section page with pagination, an error page, a redirect, the feeds.

use crate::support::{self, kb, read};

fn built() -> tempfile::TempDir {
    let dir = support::fixture("basic");
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    dir
}

#[test]
fn rendered_pages_match_their_golden_files() {
    let dir = built();
    let site = dir.path().join("site");
    for (name, file) in [
        ("article_token_expired", "guides/token-expired/index.html"),
        ("article_yaml_front_matter", "guides/rate-limit/index.html"),
        ("section_guides_page_1", "guides/index.html"),
        ("section_guides_page_2", "guides/page/2/index.html"),
        ("error_e0000011", "errors/e0000011/index.html"),
        ("alias_redirect", "kb/old-token-article/index.html"),
        ("home", "index.html"),
        ("sitemap", "sitemap.xml"),
        ("atom", "atom.xml"),
        ("robots", "robots.txt"),
    ] {
        insta::assert_snapshot!(name, read(site.join(file)));
    }
}

#[test]
fn drafts_are_left_out_unless_asked_for() {
    let dir = built();
    assert!(!dir.path().join("site/guides/unfinished").exists());
    let run = kb(dir.path(), &["build", "--drafts"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(dir.path().join("site/guides/unfinished/index.html").is_file());
}

#[test]
fn titles_and_front_matter_are_escaped() {
    let dir = built();
    let html = read(dir.path().join("site/guides/token-expired/index.html"));
    assert!(html.contains("<h1>401 E0000011 &quot;Invalid token provided&quot; &lt;after&gt; rotation</h1>"));
    assert!(!html.contains("<after>"));
    let section = read(dir.path().join("site/guides/page/2/index.html"));
    assert!(section.contains("A rotated API token is still used by a script &amp; fails."));
}

#[test]
fn site_static_files_are_copied() {
    let dir = built();
    assert_eq!(read(dir.path().join("site/humans.txt")), "fixture static file\n");
}

#[test]
fn crawling_the_fixture_finds_nothing_broken() {
    let dir = built();
    let problems = support::crawl::crawl(&dir.path().join("site"), "https://help.fixture.test", "/");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
