//! `kb build --cache`: after every kind of edit, a build that takes from the cache writes the same bytes as a build
//! without one, and takes from it only what the edit left alone.

use std::path::Path;

use crate::support::{Run, fixture, kb, tree};

/// The renderings a build took from the cache and made, from its last line.
fn counts(run: &Run) -> (usize, usize) {
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("Built "))
        .unwrap_or_else(|| panic!("no summary line:\n{}", run.stderr));
    let numbers: Vec<usize> = line.split(['(', ' ', ',']).filter_map(|w| w.parse().ok()).collect();
    assert!(line.contains("from the cache"), "{line}");
    let n = numbers.len();
    (numbers[n - 2], numbers[n - 1])
}

/// Builds `dir` with the cache into `warm/` and without it into `cold/`, and asserts the two are byte for byte the
/// same; returns the cached build's counts.
#[track_caller]
fn warm_matches_cold(dir: &Path, flags: &[&str]) -> (usize, usize) {
    let mut args = vec!["build", "--cache", ".kb-cache", "--output", "warm"];
    args.extend(flags);
    let warm = kb(dir, &args);
    assert_eq!(warm.code, 0, "{}", warm.stderr);
    let mut args = vec!["build", "--output", "cold"];
    args.extend(flags);
    let cold = kb(dir, &args);
    assert_eq!(cold.code, 0, "{}", cold.stderr);
    let (w, c) = (tree(&dir.join("warm")), tree(&dir.join("cold")));
    assert_eq!(
        w.keys().collect::<Vec<_>>(),
        c.keys().collect::<Vec<_>>(),
        "the same files"
    );
    for (path, bytes) in &w {
        assert!(bytes == &c[path], "{path} differs from a build without the cache");
    }
    counts(&warm)
}

fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn a_cached_build_writes_what_a_build_without_the_cache_writes_after_every_kind_of_edit() {
    let site = fixture("basic");
    let dir = site.path();
    let (hits, made) = warm_matches_cold(dir, &[]);
    assert_eq!(hits, 0, "an empty cache has nothing to give");
    assert!(made > 10, "{made}");
    let total = made;

    let (hits, made) = warm_matches_cold(dir, &[]);
    assert_eq!((hits, made), (total, 0), "nothing changed: everything from the cache");

    // A body edit: that article's Markdown, words and page, and the pages that show its summary.
    edit(dir, "content/guides/third.md", "Paginated onto", "Paged onto");
    let (hits, made) = warm_matches_cold(dir, &[]);
    assert!(made >= 3 && made < total / 2, "{hits} from the cache, {made} made");

    // Front matter, a template, kb.toml, checks/: each changes what it shapes.
    edit(dir, "content/guides/rate-limit.md", "title: \"", "title: \"Renamed: ");
    let (_, made) = warm_matches_cold(dir, &[]);
    assert!(made > 0 && made < total, "{made}");
    let theme = dir.join("themes/default/templates");
    std::fs::create_dir_all(&theme).unwrap();
    let article =
        std::fs::read_to_string(crate::support::repo().join("themes/default/templates/article.html")).unwrap();
    std::fs::write(theme.join("article.html"), format!("{article}\n<!-- edited -->\n")).unwrap();
    let (_, made) = warm_matches_cold(dir, &[]);
    assert!(made > 0, "a template edit re-renders its pages");
    edit(
        dir,
        "kb.toml",
        "title = \"Fixture Help\"",
        "title = \"Fixture Help Centre\"",
    );
    warm_matches_cold(dir, &[]);
    edit(
        dir,
        "checks/user-active.toml",
        "reads their status",
        "reads their lifecycle status",
    );
    warm_matches_cold(dir, &[]);

    // Flags.
    warm_matches_cold(dir, &["--no-search"]);
    warm_matches_cold(dir, &["--drafts"]);
    warm_matches_cold(dir, &["--base-url", "https://help.example.test/kb"]);
    warm_matches_cold(dir, &[]);

    // A renamed and a deleted article.
    std::fs::rename(
        dir.join("content/guides/third.md"),
        dir.join("content/guides/fourth.md"),
    )
    .unwrap();
    warm_matches_cold(dir, &[]);
    std::fs::remove_file(dir.join("content/top-level.md")).unwrap();
    warm_matches_cold(dir, &[]);

    // A page of the site edited in place, which is the cache's entry too (a hard link): not used again.
    let page = dir.join("warm/guides/fourth/index.html");
    let mut text = std::fs::read_to_string(&page).unwrap();
    text.push_str("<!-- edited in the output -->");
    std::fs::write(&page, text).unwrap();
    let (_, made) = warm_matches_cold(dir, &[]);
    assert!(made >= 1, "the edited entry is made again");
}

#[test]
fn a_cache_in_the_sources_or_the_output_is_refused() {
    let site = fixture("basic");
    for cache in ["content/.cache", "site", "site/cache", "."] {
        let run = kb(site.path(), &["build", "--cache", cache]);
        assert_eq!(run.code, 2, "{cache}: {}", run.stderr);
        run.assert_stderr_has("--cache a folder of its own");
    }
    let run = kb(site.path(), &["build", "--cache", ".kb-cache"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_cache_another_build_holds_is_not_used() {
    let site = fixture("basic");
    let dir = site.path().join(".kb-cache");
    std::fs::create_dir_all(&dir).unwrap();
    let lock = std::fs::File::create(dir.join("lock")).unwrap();
    lock.lock().unwrap();
    let run = kb(site.path(), &["build", "--cache", ".kb-cache"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.assert_stderr_has("building without the cache in .kb-cache: another kb build is using it");
    assert!(!run.stderr.contains("from the cache"), "{}", run.stderr);
}
