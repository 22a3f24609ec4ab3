//! Odd input, each case pinned: the build either succeeds with the right page or fails with a clear error.

use crate::support::{self, article, kb, read};

#[test]
fn a_non_utf8_file_is_an_error_at_the_bad_byte() {
    let mut bytes = b"+++\ntitle = \"Latin-1\"\n+++\nCaf".to_vec();
    bytes.push(0xe9); // 'é' in Latin-1
    bytes.extend(b" au lait\n");
    let dir = support::site(&[("content/latin1.md", &bytes)]);
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2);
    run.assert_stderr_has("error: not valid UTF-8 (byte 0xe9 at offset 29)");
    run.assert_stderr_has("--> content/latin1.md:4:4");
    run.assert_stderr_has("= hint: save the file as UTF-8");
}

#[test]
fn an_empty_file_is_an_error() {
    let dir = support::site(&[("content/empty.md", b"")]);
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2);
    run.assert_stderr_has("error: empty file");
    run.assert_stderr_has("--> content/empty.md:1:1");
}

#[test]
fn front_matter_with_no_body_builds() {
    let dir = support::site(&[("content/stub.md", b"+++\ntitle = \"Only a title\"\n+++\n")]);
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(read(dir.path().join("site/stub/index.html")).contains("<h1>Only a title</h1>"));
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_skipped_with_a_warning() {
    let dir = support::site(&[("content/docs/a.md", article("A", "text").as_bytes())]);
    std::os::unix::fs::symlink("..", dir.path().join("content/docs/loop")).unwrap();
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.assert_stderr_has("warning: symbolic link loop skipped: it points back to content");
    run.assert_stderr_has("--> content/docs/loop");
    assert!(dir.path().join("site/docs/a/index.html").is_file());
}

#[test]
fn an_article_ten_folders_deep_builds_with_its_sections() {
    let path = "content/a/b/c/d/e/f/g/h/i/j/deep.md";
    let dir = support::site(&[
        (
            path,
            article("Deep", "[up](../../../../../../../../../../top.md)").as_bytes(),
        ),
        ("content/top.md", article("Top", "").as_bytes()),
    ]);
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = read(dir.path().join("site/a/b/c/d/e/f/g/h/i/j/deep/index.html"));
    assert!(html.contains("href=\"/top/\""), "the relative link climbs ten folders");
    assert!(
        html.contains("href=\"/a/b/c/d/e/f/g/h/i/j/\""),
        "the breadcrumbs reach the deepest section"
    );
    assert!(dir.path().join("site/a/b/c/d/e/index.html").is_file());
}

#[test]
fn a_5_mb_article_builds() {
    let paragraph = "Okta returned 429 E0000047 again, so the script waited for X-Rate-Limit-Reset. ".repeat(12);
    let mut body = String::new();
    let mut n = 0;
    while body.len() < 5 * 1024 * 1024 {
        n += 1;
        body.push_str(&format!(
            "## Part {n}\n\n{paragraph}\n\n```json\n{{\"n\": {n}}}\n```\n\n"
        ));
    }
    let dir = support::site(&[("content/huge.md", article("Huge", &body).as_bytes())]);
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = read(dir.path().join("site/huge/index.html"));
    assert!(html.len() > 5 * 1024 * 1024);
    assert!(html.contains(&format!("id=\"part-{n}\"")));
}

#[test]
fn windows_line_endings_parse_and_report_the_right_column() {
    let text =
        "+++\r\ntitle = \"CRLF\"\r\ntags = [\"windows\"]\r\n+++\r\n## Cause\r\n\r\nSee [x](#cause) and [y](#nope).\r\n";
    let dir = support::site(&[("content/crlf.md", text.as_bytes())]);
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2);
    run.assert_stderr_has("--> content/crlf.md:7:25");
    std::fs::write(dir.path().join("content/crlf.md"), text.replace("[y](#nope)", "y")).unwrap();
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = read(dir.path().join("site/crlf/index.html"));
    assert!(html.contains("<h1>CRLF</h1>"));
    assert!(dir.path().join("site/tags/windows/index.html").is_file());
}

#[test]
fn file_names_with_spaces_and_non_ascii_are_slugified() {
    let dir = support::site(&[("content/Guías/My Café Article.md", article("Café", "x").as_bytes())]);
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(dir.path().join("site/gu-as/my-caf-article/index.html").is_file());
}

#[test]
fn two_files_that_slugify_alike_are_an_error_naming_both() {
    let dir = support::site(&[
        ("content/Token Expired.md", article("One", "x").as_bytes()),
        ("content/token-expired.md", article("Two", "y").as_bytes()),
    ]);
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2);
    run.assert_stderr_has("error: duplicate slug `token-expired`: content/Token Expired.md and content/token-expired.md would both be /token-expired/");
}

#[test]
fn a_file_name_without_ascii_letters_needs_a_slug() {
    let dir = support::site(&[("content/日本語.md", article("Japanese", "x").as_bytes())]);
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2);
    run.assert_stderr_has("gives an empty URL");
    std::fs::write(
        dir.path().join("content/日本語.md"),
        "+++\ntitle = \"Japanese\"\nslug = \"japanese\"\n+++\nx",
    )
    .unwrap();
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(dir.path().join("site/japanese/index.html").is_file());
}

#[test]
fn yaml_front_matter_unknown_key_is_reported() {
    let dir = support::site(&[("content/y.md", b"---\ntitle: Y\ntgas: [a]\n---\nbody\n")]);
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2);
    run.assert_stderr_has("--> content/y.md:3:1");
    run.assert_stderr_has("did you mean `tags`?");
}
