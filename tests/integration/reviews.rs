//! Reviews: overdue articles warn at every build with file and owner (an error with `--deny-overdue`), intervals
//! come from the article, its section or kb.toml, and `kb review` lists what each owner has to look at.

use crate::support::{fixture, kb_env, read};

const TODAY: (&str, &str) = ("KB_TODAY", "2026-12-01");

#[test]
fn overdue_reviews_warn_with_file_and_owner_and_never_fail_the_build() {
    let dir = fixture("reviews");
    let run = kb_env(dir.path(), &["build", "--audience", "internal"], &[TODAY]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(
        run.stderr
            .replace(&dir.path().display().to_string(), "DIR")
            .split("Built")
            .next()
            .unwrap()
    );
    // A public build says nothing of the internal section's articles.
    let public = kb_env(dir.path(), &["validate"], &[TODAY]);
    assert_eq!(public.code, 0, "{}", public.stderr);
    assert!(
        public.stderr.contains("stale.md") && !public.stderr.contains("runbook.md"),
        "{}",
        public.stderr
    );
}

#[test]
fn deny_overdue_fails_build_validate_and_review_each_with_its_code() {
    let dir = fixture("reviews");
    std::fs::create_dir_all(dir.path().join("site")).unwrap();
    std::fs::write(dir.path().join("site/keep.txt"), "last good").unwrap();
    let build = kb_env(dir.path(), &["build", "--deny-overdue"], &[TODAY]);
    assert_eq!(build.code, 2, "{}", build.stderr);
    build.assert_stderr_has("error: review overdue by 145 days (owner: alice)");
    assert_eq!(read(dir.path().join("site/keep.txt")), "last good");
    assert_eq!(kb_env(dir.path(), &["validate", "--deny-overdue"], &[TODAY]).code, 2);
    assert_eq!(kb_env(dir.path(), &["review", "--deny-overdue"], &[TODAY]).code, 1);
    // Nothing overdue: every command passes, --deny-overdue or not.
    let early = ("KB_TODAY", "2026-07-01");
    assert_eq!(
        kb_env(dir.path(), &["review", "--deny-overdue", "--owner", "alice"], &[early]).code,
        0
    );
    assert_eq!(
        kb_env(dir.path(), &["review", "--deny-overdue", "--owner", "alice"], &[TODAY]).code,
        1
    );
}

#[test]
fn kb_review_lists_an_owners_articles_as_json() {
    let dir = fixture("reviews");
    let run = kb_env(dir.path(), &["review", "--owner", "BOB", "--format", "json"], &[TODAY]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(&read(crate::support::repo().join("docs/review.v1.schema.json"))).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert_eq!(crate::support::violations(&validator, &json), Vec::<String>::new());
    insta::assert_snapshot!(serde_json::to_string_pretty(&json).unwrap());
}

#[test]
fn kb_review_in_words_groups_overdue_soon_and_undated() {
    let dir = fixture("reviews");
    let run = kb_env(dir.path(), &["review"], &[TODAY]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn a_bad_interval_is_an_error_at_its_place() {
    let dir = fixture("reviews");
    let path = dir.path().join("content/guides/weekly.md");
    std::fs::write(
        &path,
        read(&path).replace("review_interval_days = 7", "review_interval_days = 0"),
    )
    .unwrap();
    let run = kb_env(dir.path(), &["validate"], &[TODAY]);
    assert_eq!(run.code, 2);
    run.assert_stderr_has("--> content/guides/weekly.md:5:24");
    run.assert_stderr_has("`review_interval_days` is 0, not a number of days from 1 to 3650");
    let toml = dir.path().join("kb.toml");
    std::fs::write(&toml, read(&toml).replace("interval_days = 180", "interval_days = 0")).unwrap();
    let run = kb_env(dir.path(), &["validate"], &[TODAY]);
    assert_eq!(run.code, 2);
    run.assert_stderr_has("`[reviews] interval_days` is 0");
}

#[test]
fn the_article_page_shows_when_it_was_last_reviewed_and_by_whom() {
    let dir = fixture("reviews");
    let run = kb_env(dir.path(), &["build", "--audience", "internal"], &[TODAY]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = read(dir.path().join("site/guides/fresh/index.html"));
    assert!(
        page.contains("<dt>Last reviewed</dt><dd><time datetime=\"2026-11-01\">2026-11-01</time> by alice</dd>"),
        "{page}"
    );
    // An owner is often a person's address: a public page shows the date only.
    assert_eq!(kb_env(dir.path(), &["build"], &[TODAY]).code, 0);
    let page = read(dir.path().join("site/guides/fresh/index.html"));
    assert!(
        page.contains("<dt>Last reviewed</dt><dd><time datetime=\"2026-11-01\">2026-11-01</time></dd>"),
        "{page}"
    );
    assert!(!page.contains("alice"));
    assert!(!read(dir.path().join("site/guides/soon/index.html")).contains("Last reviewed"));
}
