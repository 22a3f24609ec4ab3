//! A site with broken input: every problem is reported at once with file:line:column and a hint, the exit status
//! is 2, and the previous site is left byte-for-byte as it was.

use crate::support::{self, kb};

#[test]
fn every_problem_is_reported_and_the_last_good_site_survives() {
    let dir = support::fixture("invalid");
    // A previous good build's output.
    let site = dir.path().join("site");
    std::fs::create_dir_all(site.join("old")).unwrap();
    std::fs::write(site.join("index.html"), "<p>last good build</p>").unwrap();
    std::fs::write(site.join("old/index.html"), "<p>old page</p>").unwrap();
    let before = support::tree(&site);

    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(support::tree(&site), before, "the previous site is untouched");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "no staging folder is left behind: {leftovers:?}");
    for expected in [
        "content/good/bad-toml.md:2:25",
        "content/good/broken-link.md:6:18",
        "content/good/missing-anchor.md:4:18",
        "content/dups/same-name.md:1:1",
        "content/good/no-title.md:1:1",
        "content/good/unknown-key.md:3:1",
        "content/good/bad-date.md:3:8",
        "content/good/bad-date.md:4:12",
        "content/good/_index.md:6:19",
        "content/good/links-to-draft.md:4:17",
    ] {
        assert!(
            run.stderr.contains(&format!("--> {expected}")),
            "{expected} missing from:\n{}",
            run.stderr
        );
    }
    assert!(
        !run.stderr.contains("links-to-broken.md"),
        "a link to a file with errors of its own is not a second error:\n{}",
        run.stderr
    );
    insta::assert_snapshot!("invalid_site_errors", run.stderr);
}

#[test]
fn validate_reports_the_same_problems_and_writes_nothing() {
    let dir = support::fixture("invalid");
    let run = kb(dir.path(), &["validate"]);
    assert_eq!(run.code, 2);
    assert!(!dir.path().join("site").exists());
    let build = kb(dir.path(), &["build"]);
    // Everything but the closing lines ("error: build failed: …", "The previous site …") is the same.
    let problems = |s: &str| {
        s.lines()
            .filter(|l| !l.contains(" failed: ") && !l.starts_with("The previous"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    run.assert_stderr_has("error: validation failed: 10 errors");
    assert_eq!(problems(&run.stderr), problems(&build.stderr));
}

#[test]
fn bad_kb_toml_is_reported_with_position() {
    let dir = support::site(&[("content/a.md", support::article("A", "x").as_bytes())]);
    std::fs::write(
        dir.path().join("kb.toml"),
        "title = \"x\"\nbase_ulr = \"https://x.test\"\npaginate_by = \"ten\"\n",
    )
    .unwrap();
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("bad_kb_toml", run.stderr);
}

#[test]
fn bad_search_settings_are_errors_at_their_place_all_at_once() {
    let dir = support::site(&[("content/a.md", support::article("A", "x").as_bytes())]);
    std::fs::write(
        dir.path().join("kb.toml"),
        "title = \"x\"\n\n[search]\nsynonyms = [\n  [\"mfa\", \"2fa\"],\n  [\"sso\"],\n  [\"?!\", \"lockout\"],\n  \
         [\"locked out\", \"2FA\", \"Locking out\"],\n]\n",
    )
    .unwrap();
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    insta::assert_snapshot!("bad_search_settings", run.stderr);

    std::fs::write(dir.path().join("kb.toml"), "title = \"x\"\n[search]\ntypo = false\n").unwrap();
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.assert_stderr_has("--> kb.toml:3:1");
    run.assert_stderr_has("unknown field `typo`, expected `typos` or `synonyms`");
}
