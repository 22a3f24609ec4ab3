//! `kb new` and `kb validate`, and the build's own guard rails.

use crate::support::{self, kb, read};

#[test]
fn new_writes_a_skeleton_that_validates() {
    let dir = support::site(&[]);
    let run = kb(dir.path(), &["new", "workflows/connector-timeout"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = read(dir.path().join("content/workflows/connector-timeout.md"));
    for section in [
        "## Symptom",
        "## Error",
        "## Applies to",
        "## Cause",
        "## Solution",
        "## Verify the fix",
    ] {
        assert!(text.contains(section), "{section}");
    }
    assert!(text.contains("title = \"Connector timeout\""));
    let run = kb(dir.path(), &["validate", "--drafts"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.assert_stderr_has("1 article is valid.");
    let run = kb(dir.path(), &["new", "workflows/connector-timeout"]);
    assert_eq!(run.code, 2, "never overwrites");
    assert!(run.stderr.contains("already exists"));
}

#[test]
fn new_refuses_reserved_and_empty_slugs() {
    let dir = support::site(&[]);
    assert_eq!(kb(dir.path(), &["new", "errors/x"]).code, 2);
    assert_eq!(kb(dir.path(), &["new", "日本"]).code, 2);
}

#[test]
fn validate_writes_nothing() {
    let dir = support::fixture("basic");
    let run = kb(dir.path(), &["validate"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!dir.path().join("site").exists());
}

#[test]
fn a_missing_kb_toml_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2);
    run.assert_stderr_has("cannot read");
    run.assert_stderr_has("pass --root DIR");
}

#[test]
fn the_output_folder_may_not_hold_the_sources() {
    let dir = support::fixture("basic");
    let run = kb(dir.path(), &["build", "--output", "."]);
    assert_eq!(run.code, 2);
    run.assert_stderr_has("holds the site's sources");
    assert!(dir.path().join("content/guides/rate-limit.md").is_file());
}

#[test]
fn the_output_folder_may_not_be_a_folder_of_sources() {
    let dir = support::fixture("basic");
    for target in ["content", "content/guides", "static", "themes/default"] {
        let run = kb(dir.path(), &["build", "--output", target]);
        assert_eq!(run.code, 2, "{target}: {}", run.stderr);
        run.assert_stderr_has("sources");
    }
    assert!(dir.path().join("content/guides/rate-limit.md").is_file());
    assert!(dir.path().join("static/humans.txt").is_file());
}

#[test]
fn two_pages_for_one_file_are_an_error() {
    let dir = support::site(&[
        (
            "content/a.md",
            b"+++\ntitle = \"A\"\naliases = [\"/b/\", \"/404.html\"]\n+++\nx" as &[u8],
        ),
        ("content/b.md", support::article("B", "y").as_bytes()),
        ("content/errors/_index.md", b"+++\ntitle = \"Errors\"\n+++\n"),
    ]);
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.assert_stderr_has("content/b.md and an alias of /a/ would both be written to b/index.html");
    run.assert_stderr_has("a page kb generates and an alias of /a/ would both be written to 404.html");
    run.assert_stderr_has("would both be written to errors/index.html");
}

#[test]
fn a_rebuild_replaces_the_old_site_whole() {
    let dir = support::fixture("basic");
    assert_eq!(kb(dir.path(), &["build"]).code, 0);
    std::fs::write(dir.path().join("site/stale.html"), "stale").unwrap();
    std::fs::remove_file(dir.path().join("content/guides/third.md")).unwrap();
    assert_eq!(kb(dir.path(), &["build"]).code, 0);
    assert!(!dir.path().join("site/stale.html").exists());
    assert!(!dir.path().join("site/guides/third").exists());
    assert!(dir.path().join("site/guides/token-expired/index.html").is_file());
}

#[test]
fn bad_flags_exit_2() {
    let dir = support::site(&[]);
    assert_eq!(kb(dir.path(), &["build", "--no-such-flag"]).code, 2);
}

#[test]
fn a_site_theme_overrides_the_embedded_one_file_by_file() {
    let dir = support::site(&[
        ("content/a.md", support::article("A", "text").as_bytes()),
        ("themes/default/templates/404.html", b"{% extends \"base.html\" %}{% block content %}<p>Custom 404 for {{ site.title }}</p>{% endblock content %}"),
        ("themes/default/static/assets/extra.css", b"p{}"),
    ]);
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(read(dir.path().join("site/404.html")).contains("<p>Custom 404 for Test Help</p>"));
    assert!(
        read(dir.path().join("site/a/index.html")).contains("<h1>A</h1>"),
        "other templates stay embedded"
    );
    assert_eq!(read(dir.path().join("site/assets/extra.css")), "p{}");
}

#[test]
fn a_broken_theme_template_is_an_error_and_keeps_the_old_site() {
    let dir = support::site(&[
        ("content/a.md", support::article("A", "text").as_bytes()),
        (
            "themes/default/templates/article.html",
            b"{% extends \"base.html\" %}{% block content %}{{ article.title | nosuchfilter }}{% endblock content %}",
        ),
    ]);
    std::fs::create_dir_all(dir.path().join("site")).unwrap();
    std::fs::write(dir.path().join("site/index.html"), "old").unwrap();
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.assert_stderr_has("nosuchfilter");
    assert_eq!(read(dir.path().join("site/index.html")), "old");
}

#[test]
fn two_folders_that_slugify_alike_are_an_error() {
    let dir = support::site(&[
        ("content/Token Errors/a.md", support::article("A", "x").as_bytes()),
        ("content/token-errors/b.md", support::article("B", "y").as_bytes()),
    ]);
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2);
    run.assert_stderr_has("duplicate section URL `/token-errors/`: content/Token Errors/ and content/token-errors/");
}

#[test]
fn images_beside_an_article_are_published_and_images_from_other_hosts_are_errors() {
    let dir = support::site(&[
        (
            "content/guide/a.md",
            support::article("A", "![shot](img/shot.png)\n\n[log](files/log.txt)\n").as_bytes(),
        ),
        ("content/guide/img/shot.png", b"png"),
        ("content/guide/files/log.txt", b"log"),
    ]);
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = read(dir.path().join("site/guide/a/index.html"));
    assert!(html.contains("<img src=\"/guide/img/shot.png\" alt=\"shot\""), "{html}");
    assert!(html.contains("href=\"/guide/files/log.txt\""), "{html}");
    assert_eq!(read(dir.path().join("site/guide/img/shot.png")), "png");

    std::fs::write(
        dir.path().join("content/guide/a.md"),
        support::article(
            "A",
            "![cdn](https://cdn.example.com/x.png)\n\n![gone](img/missing.png)\n",
        ),
    )
    .unwrap();
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2);
    run.assert_stderr_has("error: image from another host: `https://cdn.example.com/x.png`");
    run.assert_stderr_has("--> content/guide/a.md:5:8");
    run.assert_stderr_has("broken image: `img/missing.png` points to content/guide/img/missing.png");
}

#[test]
fn root_level_articles_are_paginated_from_the_home_page() {
    let dir = support::site(&[
        ("content/a.md", support::article("Alpha", "x").as_bytes()),
        ("content/b.md", support::article("Bravo", "x").as_bytes()),
        ("content/c.md", support::article("Charlie", "x").as_bytes()),
    ]);
    std::fs::write(
        dir.path().join("kb.toml"),
        format!("{}paginate_by = 2\n", support::KB_TOML),
    )
    .unwrap();
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let home = read(dir.path().join("site/index.html"));
    assert!(home.contains("href=\"/page/2/\""), "{home}");
    let page2 = read(dir.path().join("site/page/2/index.html"));
    assert!(
        page2.contains(">Charlie</a>") && !page2.contains(">Alpha</a>"),
        "{page2}"
    );
    let problems = support::crawl::crawl(&dir.path().join("site"), "https://help.test", "/");
    assert!(problems.is_empty(), "{problems:#?}");
}
