//! Links written as site URLs (`/guides/a/#steps`), as migrated docs write them: checked like `.md` links, given
//! the base path of a `base_url` with one; and `[links]` levels that let such a site build while it is fixed.

use crate::support::{fixture, kb, read};

/// The article body's links (`href`s inside `<div class="prose">`).
fn body_links(page: &str) -> Vec<String> {
    let start = page.find("<div class=\"prose\">").expect("an article body");
    let end = start + page[start..].find("</div>").unwrap();
    page[start..end]
        .split("href=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .filter(|h| !h.starts_with('#'))
        .collect()
}

#[test]
fn site_url_links_are_checked_and_carry_the_base_path() {
    let dir = fixture("site-urls");
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = read(dir.path().join("site/guides/b/index.html"));
    assert_eq!(
        body_links(&page),
        [
            "/help/guides/a/",
            "/help/guides/a/#steps",
            "/help/guides/a/",
            "/help/guides/",
            "/help/",
            "/help/tags/",
            "/help/humans.txt",
            "/help/guides/a/#steps",
            "/help/old/a/",
            "/help/search/?q=token",
        ]
    );
}

const BROKEN: &str = "\n## Broken\n\n- [gone](/guides/missing/)\n- [bad anchor](/guides/a/#nope)\n- [bad md anchor](a.md#nope)\n- [gone md](missing.md)\n";

#[test]
fn broken_site_url_links_and_anchors_fail_the_build_at_their_places() {
    let dir = fixture("site-urls");
    let b = dir.path().join("content/guides/b.md");
    std::fs::write(&b, read(&b) + BROKEN).unwrap();
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn with_warn_levels_the_same_site_builds_and_says_what_is_broken() {
    let dir = fixture("site-urls");
    let b = dir.path().join("content/guides/b.md");
    std::fs::write(&b, read(&b) + BROKEN).unwrap();
    let toml = dir.path().join("kb.toml");
    std::fs::write(
        &toml,
        read(&toml) + "\n[links]\nbroken = \"warn\"\nanchors = \"warn\"\n",
    )
    .unwrap();
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr.matches("warning: ").count(), 4, "{}", run.stderr);
    insta::assert_snapshot!(run.stderr.split("Built").next().unwrap());
    // One level at a time: anchors still fail when only broken links are warnings.
    std::fs::write(&toml, read(&toml).replace("anchors = \"warn\"", "anchors = \"error\"")).unwrap();
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stderr.matches("error: missing anchor").count(), 2, "{}", run.stderr);
    // A value kb does not know is an error at its place.
    std::fs::write(
        &toml,
        read(&toml).replace("anchors = \"error\"", "anchors = \"ignore\""),
    )
    .unwrap();
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2);
    run.assert_stderr_has("kb.toml:");
}
