//! Authoring comforts, pinned by goldens: callouts, the "Edit this page" link, last-updated dates from git (a
//! fixture repository with fixed commit dates; a shallow clone is warned about, not trusted), and a body's own
//! "Related articles" heading standing in for the theme's list.

use std::path::Path;
use std::process::Command;

use crate::support::{kb, read, site};

fn git(dir: &Path, args: &[&str], date: &str) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Author",
            "-c",
            "user.email=author@example.test",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const FROM_GIT: &str = r#"+++
title = "Dated by git"
date = 2026-01-01
+++

## Steps

> [!NOTE]
> Notes are for context.

> [!WARNING]
> Warnings are for what breaks.

## Related articles

- [Dated by hand](own-date.md)
"#;

const OWN_DATE: &str = "+++\ntitle = \"Dated by hand\"\ndate = 2026-01-01\nupdated = 2026-06-01\n+++\n\nText.\n";

/// The `<article>` element of a built page.
fn article(page: &str) -> &str {
    let start = page.find("<article").expect("an article");
    &page[start..page.find("</article>").unwrap() + "</article>".len()]
}

fn repository() -> tempfile::TempDir {
    let dir = site(&[
        ("content/guides/from-git.md", FROM_GIT.as_bytes()),
        ("content/guides/own-date.md", OWN_DATE.as_bytes()),
    ]);
    let toml = dir.path().join("kb.toml");
    std::fs::write(
        &toml,
        read(&toml) + "edit_url = \"https://github.com/acme/help/edit/main/content\"\n",
    )
    .unwrap();
    git(dir.path(), &["init", "-q"], "2026-03-04T10:00:00Z");
    git(dir.path(), &["add", "."], "2026-03-04T10:00:00Z");
    git(dir.path(), &["commit", "-q", "-m", "first"], "2026-03-04T10:00:00Z");
    let path = dir.path().join("content/guides/from-git.md");
    std::fs::write(&path, read(&path) + "\nMore.\n").unwrap();
    git(dir.path(), &["commit", "-q", "-am", "second"], "2026-05-06T10:00:00Z");
    dir
}

#[test]
fn an_article_page_with_callouts_an_edit_link_and_its_date_from_git() {
    let dir = repository();
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let page = read(dir.path().join("site/guides/from-git/index.html"));
    insta::assert_snapshot!(article(&page));
    // `updated` in front matter wins over git.
    let own = read(dir.path().join("site/guides/own-date/index.html"));
    assert!(
        own.contains("<dt>Last updated</dt><dd><time datetime=\"2026-06-01\">"),
        "{own}"
    );
    assert!(
        own.contains("id=\"related-h\""),
        "a page without its own list gets the theme's"
    );
}

#[test]
fn a_shallow_clone_gives_no_dates_and_says_why_and_no_git_gives_none() {
    let dir = repository();
    let parent = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    let clone = parent.path().join("clone");
    git(
        parent.path(),
        &["clone", "-q", "--depth", "1", &url, "clone"],
        "2026-07-01T00:00:00Z",
    );
    let run = kb(&clone, &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.assert_stderr_has("warning: the site is in a shallow git clone: no last-updated dates from git");
    let page = read(clone.join("site/guides/from-git/index.html"));
    assert!(
        page.contains("<dt>Last updated</dt><dd><time datetime=\"2026-01-01\">"),
        "the written date, not git's"
    );
    // Without git at all: the written date, and nothing said.
    std::fs::remove_dir_all(dir.path().join(".git")).unwrap();
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let page = read(dir.path().join("site/guides/from-git/index.html"));
    assert!(page.contains("<dt>Last updated</dt><dd><time datetime=\"2026-01-01\">"));
}
