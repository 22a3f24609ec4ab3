//! Raw HTML in articles under each `[markdown] html` policy: what would run script or load from another host is an
//! error at its place (golden), what the allowlist leaves out is removed (golden of the HTML), `none` shows it as
//! text, `trusted` publishes it as written with a warning; and every page carries the content security policy.

use std::path::Path;

use crate::support::{crawl, fixture, kb, read};

/// The article body (`<div class="prose">…</div>`) of a built page.
fn prose(page: &str) -> &str {
    let start = page.find("<div class=\"prose\">").expect("an article body");
    let end = page[start..]
        .find("\n  </div>\n  <footer")
        .map_or(page.len(), |e| start + e);
    &page[start..end]
}

fn with_policy(dir: &Path, lines: &str) {
    let path = dir.join("kb.toml");
    let mut toml = read(&path);
    toml.push_str(lines);
    std::fs::write(path, toml).unwrap();
}

#[test]
fn every_unsafe_construct_is_an_error_at_its_place() {
    let dir = fixture("raw-html-errors");
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!dir.path().join("site").exists());
    for (at, what) in [
        ("4:12", "`<script>` would run on the page"),
        (
            "6:11",
            "broken image: `screenshot.png` points to content/guides/screenshot.png",
        ),
        ("6:27", "the event handler `onerror` would run script"),
        ("8:42", "unsafe link `javascript:alert(3)`"),
        ("9:1", "unsafe link `JaVaScRiPt:alert(4)`"),
        ("9:56", "unsafe link `vbscript:msgbox(5)`"),
        ("10:8", "unsafe link `data:text/html,<b>6</b>`"),
        ("10:52", "unsafe link `javascript:alert(7)`"),
        ("12:10", "unsafe link `javascript:alert(8)`"),
        ("14:2", "`<iframe>` would embed another document"),
        ("14:14", "`src` loads `https://evil.example/` from another host"),
        ("16:2", "`<object>` would embed another document"),
        ("18:2", "`<embed>` would embed another document"),
        ("20:2", "`<form>` would send the reader's input"),
        ("22:11", "`src` loads `https://cdn.example/logo.png` from another host"),
        ("24:14", "`srcset` loads `//cdn.example/big.png` from another host"),
        ("26:31", "`poster` loads `https://cdn.example/poster.png`"),
        ("28:30", "`href` loads `https://cdn.example/style.css`"),
        ("30:11", "CSS `url()` loads `https://cdn.example/bg.png`"),
        ("33:22", "CSS `url()` loads `https://cdn.example/bg.png`"),
        ("36:30", "the event handler `onclick` in a heading's attributes"),
        ("38:17", "image from a `data:` URL"),
        ("40:13", "broken link: `missing.md` points to content/guides/missing.md"),
    ] {
        let position = format!("--> content/guides/unsafe.md:{at}");
        let block = run
            .stderr
            .split("\n\n")
            .find(|b| b.contains(&position))
            .unwrap_or_else(|| panic!("nothing reported at {at}:\n{}", run.stderr));
        assert!(block.contains(what), "at {at}, expected {what:?}:\n{block}");
    }
    run.assert_stderr_has("error: build failed: 23 errors");
    insta::assert_snapshot!("raw_html_errors", run.stderr);
}

#[test]
fn what_the_allowlist_leaves_out_is_removed_and_the_rest_kept() {
    let dir = fixture("raw-html");
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("warning"), "no warning under safe: {}", run.stderr);
    let page = read(dir.path().join("site/guides/allowed/index.html"));
    let body = prose(&page);
    for gone in [
        "style=",
        "class=\"warning\"",
        "id=\"main\"",
        "data-x",
        "<blink",
        "<!--",
        "class=\"fancy\"",
    ] {
        assert!(!body.contains(gone), "{gone} is still there:\n{body}");
    }
    for kept in [
        "<kbd>Ctrl</kbd>",
        "H<sub>2</sub>O",
        "<details>\n<summary>Why this happens</summary>",
        "<a href=\"/guides/other/#steps\">",
        "<span class=\"hl-",
        "An unknown element keeps its text.",
        "<img src=\"/guides/diagram.png\" alt=\"A diagram\" width=\"200\">",
        "<a href=\"/guides/other/#steps\">the steps</a>",
        "<h3 id=\"raw-anchor\">",
        "<a class=\"anchor\" data-search-ignore href=\"#a-heading-inside-raw-html\"",
        "<div class=\"table-wrap\"><table>",
        "<input disabled=\"\" type=\"checkbox\" checked=\"\">",
    ] {
        assert!(body.contains(kept), "{kept} is missing:\n{body}");
    }
    // The `<div>` the article leaves open is closed inside the article body, not around the page's footer.
    assert!(page.contains("<footer class=\"article-footer\">"));
    assert_eq!(body.matches("<div").count(), body.matches("</div>").count(), "{body}");
    insta::assert_snapshot!("raw_html_allowed", body);
}

#[test]
fn under_none_raw_html_is_text() {
    let dir = fixture("raw-html");
    with_policy(dir.path(), "\n[markdown]\nhtml = \"none\"\n");
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = read(dir.path().join("site/guides/allowed/index.html"));
    let body = prose(&page);
    assert!(body.contains("Press &lt;kbd&gt;Ctrl&lt;/kbd&gt;"), "{body}");
    assert!(body.contains("&lt;details&gt;"), "{body}");
    for tag in ["<kbd", "<details", "<blink", "<span>", "<sub"] {
        assert!(!body.contains(tag), "{tag} is markup under none:\n{body}");
    }
    // Markdown stays Markdown.
    assert!(body.contains("<strong>expired</strong>"), "{body}");
}

#[test]
fn under_trusted_raw_html_is_published_as_written_with_a_warning() {
    let dir = fixture("raw-html-errors");
    with_policy(dir.path(), "\n[markdown]\nhtml = \"trusted\"\n");
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.assert_stderr_has("warning: raw HTML in articles is published as written, unsanitized");
    run.assert_stderr_has("--> kb.toml:5:8");
    let page = read(dir.path().join("site/guides/unsafe/index.html"));
    assert!(
        page.contains("<p>A script: <script>alert("),
        "the script is there as written"
    );
    assert!(page.contains("<iframe src=\"https://evil.example/\"></iframe>"));
    // Still under the policy: the browser runs none of it.
    assert!(page.contains("script-src &#39;self&#39;"));
    // Every build says it.
    let again = kb(dir.path(), &["build"]);
    again.assert_stderr_has("warning: raw HTML in articles is published as written");
}

#[test]
fn every_page_carries_the_content_security_policy() {
    let dir = fixture("basic");
    with_policy(
        dir.path(),
        "\n[csp]\nframe-src = [\"https://www.youtube-nocookie.com\"]\n",
    );
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let site = dir.path().join("site");
    let expected = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;self&#39;; \
                    script-src &#39;self&#39;; style-src &#39;self&#39;; img-src &#39;self&#39;; \
                    font-src &#39;self&#39;; connect-src &#39;self&#39;; media-src &#39;self&#39;; \
                    frame-src https://www.youtube-nocookie.com; worker-src &#39;self&#39;; \
                    object-src &#39;none&#39;; base-uri &#39;self&#39;; form-action &#39;self&#39;\">";
    let mut pages = 0;
    for e in walkdir::WalkDir::new(&site).into_iter().map(Result::unwrap) {
        if e.path().extension().is_some_and(|x| x == "html") {
            let html = read(e.path());
            let head = &html[..html.find("</head>").expect("a head")];
            assert!(
                head.starts_with("<!doctype html>") && head.contains(expected),
                "{}:\n{head}",
                e.path().display()
            );
            // Before anything the policy governs.
            let at = head.find(expected).unwrap();
            assert!(
                !head[..at].contains("<script") && !head[..at].contains("<link"),
                "{}",
                e.path().display()
            );
            pages += 1;
        }
    }
    assert!(pages > 10, "{pages} pages");
}

#[test]
fn bad_markdown_and_csp_settings_are_errors_at_their_place() {
    let dir = fixture("basic");
    with_policy(dir.path(), "\n[markdown]\nhtml = \"unsafe\"\n");
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.assert_stderr_has("--> kb.toml:7:8");
    run.assert_stderr_has("unknown variant `unsafe`, expected one of `safe`, `none`, `trusted`");

    let dir = fixture("basic");
    with_policy(
        dir.path(),
        "\n[csp]\nscrpt-src = [\"https://x.test\"]\nimg-src = \"https://x.test\"\n",
    );
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    insta::assert_snapshot!("bad_csp", run.stderr);
}

#[test]
fn the_crawler_catches_every_way_a_page_can_load_from_another_host() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        r#"<img src="https://cdn.test/a.png"><img srcset="a.png 1x, https://cdn.test/b.png 2x">
<video poster="//cdn.test/p.png"></video><link rel="stylesheet" href="https://cdn.test/s.css">
<p style="background: url('https://cdn.test/bg.png')">x</p><style>p { background: url(https://cdn.test/c.png) }</style>
<object data="https://cdn.test/o.swf"></object><a href="https://elsewhere.test/">a link is not a load</a>"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("a.png"), "").unwrap();
    std::fs::write(dir.path().join("style.css"), "@import \"https://cdn.test/x.css\";\n").unwrap();
    let problems = crawl::crawl(dir.path(), "https://help.test", "/");
    assert_eq!(problems.len(), 8, "{problems:#?}");
    assert!(problems.iter().all(|p| p.contains("another host")), "{problems:#?}");
    assert!(problems.iter().any(|p| p.starts_with("style.css:")), "{problems:#?}");
}

#[test]
fn the_fixtures_with_raw_html_load_nothing_from_another_host() {
    let dir = fixture("raw-html");
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let problems = crawl::crawl(&dir.path().join("site"), "https://help.fixture.test", "/");
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn a_callout_is_kept_beside_the_authors_raw_html() {
    let body = "Press <kbd>Ctrl</kbd>.\n\n> [!CAUTION]\n> Deleting the app removes its users' assignments.\n";
    let dir = crate::support::site(&[("content/a.md", crate::support::article("A", body).as_bytes())]);
    let run = crate::support::kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = crate::support::read(dir.path().join("site/a/index.html"));
    assert!(page.contains("<kbd>Ctrl</kbd>"), "{page}");
    assert!(
        page.contains("<div class=\"callout callout-caution\" role=\"note\"><p class=\"callout-title\">Caution</p>"),
        "{page}"
    );
}
