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
    assert!(run.stderr.contains("1 articles are valid."), "{}", run.stderr);
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
    assert!(run.stderr.contains("cannot read"), "{}", run.stderr);
    assert!(run.stderr.contains("pass --root DIR"), "{}", run.stderr);
}

#[test]
fn the_output_folder_may_not_hold_the_sources() {
    let dir = support::fixture("basic");
    let run = kb(dir.path(), &["build", "--output", "."]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("holds the site's sources"), "{}", run.stderr);
    assert!(dir.path().join("content/guides/rate-limit.md").is_file());
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
