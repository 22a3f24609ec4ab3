//! Audiences: a public build holds nothing of an internal article, in any file, the search index decompressed
//! included; an internal build holds everything, marked, and tells search engines to stay away; what a public
//! article says of an internal one is an error at its place.

use std::io::Read;
use std::path::Path;

use crate::support::{fixture, kb, read};

/// The marker every field of the fixture's internal articles and section holds.
const MARKER: &str = "zqxmarker";

/// Every file of a built site as text, gzip files decompressed, by path.
fn texts(site: &Path) -> Vec<(String, String)> {
    walkdir::WalkDir::new(site)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let bytes = std::fs::read(e.path()).unwrap();
            let rel = e.path().strip_prefix(site).unwrap().to_string_lossy().into_owned();
            let text = if rel.ends_with(".gz") {
                let mut out = String::new();
                flate2::read::GzDecoder::new(&bytes[..])
                    .read_to_string(&mut out)
                    .unwrap();
                out
            } else {
                String::from_utf8_lossy(&bytes).into_owned()
            };
            (rel, text)
        })
        .collect()
}

fn holding(site: &Path, needle: &str) -> Vec<String> {
    texts(site)
        .into_iter()
        .filter(|(rel, text)| rel.to_lowercase().contains(needle) || text.to_lowercase().contains(needle))
        .map(|(rel, _)| rel)
        .collect()
}

#[test]
fn a_public_build_holds_nothing_of_an_internal_article() {
    let dir = fixture("audiences");
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("Built 2 articles"), "{}", run.stderr);
    let site = dir.path().join("site");
    assert_eq!(holding(&site, MARKER), Vec::<String>::new());
    // Nor a path to them, a count of them or a redirect for them.
    assert!(holding(&site, "handover").is_empty());
    assert!(!site.join("old").exists());
    // A file beside the articles that only an internal one uses is left out; one a public article uses too is not.
    assert!(site.join("public/shared-shot.png").is_file());
    let home = read(site.join("index.html"));
    assert!(!home.contains("badge-internal") && !home.contains("Internal site"));
    let section = read(site.join("public/index.html"));
    assert!(section.contains("locked-out") && section.contains("reset-password"));
    assert_eq!(section.matches("class=\"article-link\"").count(), 2, "{section}");
    assert!(read(site.join("robots.txt")).contains("Allow: /"));
    assert!(read(site.join("sitemap.xml")).contains("/public/locked-out/"));
    // The public site is indexed as before.
    assert!(!read(site.join("public/locked-out/index.html")).contains("noindex"));
}

#[test]
fn an_internal_build_holds_everything_marked_and_noindex() {
    let dir = fixture("audiences");
    let run = kb(dir.path(), &["build", "--audience", "internal"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("Built 5 articles"), "{}", run.stderr);
    let site = dir.path().join("site");
    let found = holding(&site, MARKER);
    for file in [
        "public/zqxmarker-escalation/index.html",
        "zqxmarker-team/index.html",
        "zqxmarker-team/handover/index.html",
        "zqxmarker-team/sub/index.html",
        "zqxmarker-team/sub/zqxmarker-deep/index.html",
        "zqxmarker-team/zqxmarker-notes.txt",
        "public/zqxmarker-diagram.txt",
        "old/zqxmarker-alias/index.html",
        "tags/zqxmarker-tag/index.html",
        "products/zqxmarker-console/index.html",
        "search-index/meta.json.gz",
    ] {
        assert!(found.iter().any(|f| f == file), "{file} not among {found:?}");
    }
    let page = read(site.join("public/zqxmarker-escalation/index.html"));
    assert!(
        page.contains("<span class=\"badge-internal\">Internal</span>"),
        "{page}"
    );
    assert!(
        page.contains("kb check public/zqxmarker-escalation"),
        "the check card is on the page"
    );
    assert!(read(site.join("public/index.html")).contains("badge-internal"));
    for (rel, text) in texts(&site).into_iter().filter(|(r, _)| r.ends_with(".html")) {
        assert!(text.contains("noindex"), "{rel} has no noindex");
    }
    assert_eq!(read(site.join("robots.txt")), "User-agent: *\nDisallow: /\n");
    assert!(!site.join("sitemap.xml").exists());
}

#[test]
fn a_public_article_pointing_at_an_internal_one_fails_a_public_build_at_its_place() {
    let dir = fixture("audiences");
    let path = dir.path().join("content/public/reset-password.md");
    let text = read(&path)
        .replace(
            "related = [\"public/locked-out\"]",
            "related = [\"public/locked-out\", \"zqxmarker-team/handover\"]",
        )
        .replace(
            "Check the address and the spam folder.",
            "Check the address. Support: [escalate](zqxmarker-escalation.md#zqxmarker-heading).\n\n\
             - [by URL](/public/zqxmarker-escalation/)\n\
             - [its alias](/old/zqxmarker-alias/)\n\
             - [the section](/zqxmarker-team/)\n\
             - [a subsection](/zqxmarker-team/sub/)\n\
             - [a file by URL](/zqxmarker-team/zqxmarker-notes.txt)\n\
             - [a file by path](../zqxmarker-team/zqxmarker-notes.txt)\n\
             - [the section's index](../zqxmarker-team/sub/_index.md)\n",
        );
    std::fs::write(&path, text).unwrap();
    std::fs::create_dir_all(dir.path().join("site")).unwrap();
    std::fs::write(dir.path().join("site/keep.txt"), "the last good site").unwrap();
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(read(dir.path().join("site/keep.txt")), "the last good site");
    insta::assert_snapshot!(run.stderr);
    // Even with broken links as warnings, a link to internal content stays an error.
    let toml = dir.path().join("kb.toml");
    std::fs::write(&toml, read(&toml) + "[links]\nbroken = \"warn\"\nanchors = \"warn\"\n").unwrap();
    let warned = kb(dir.path(), &["build"]);
    assert_eq!(warned.code, 2, "{}", warned.stderr);
    assert_eq!(
        warned.stderr.matches("error: link to internal content").count(),
        8,
        "{}",
        warned.stderr
    );
    // validate checks what a public build would publish; the internal build has every article, so it passes, and
    // says what a public build would fail on.
    assert_eq!(kb(dir.path(), &["validate"]).code, 2);
    let internal = kb(dir.path(), &["validate", "--audience", "internal"]);
    assert_eq!(internal.code, 0, "{}", internal.stderr);
    internal.assert_stderr_has("warning: a public page links to internal content: a public build fails on this link");
    internal.assert_stderr_has(
        "warning: `related` names `zqxmarker-team/handover`, an internal article: a public build fails on it",
    );
}

#[test]
fn a_public_article_in_an_internal_section_is_an_error() {
    let dir = fixture("audiences");
    let path = dir.path().join("content/zqxmarker-team/handover.md");
    std::fs::write(
        &path,
        read(&path).replace("date = 2026-10-04", "date = 2026-10-04\naudience = \"public\""),
    )
    .unwrap();
    let run = kb(dir.path(), &["validate", "--audience", "internal"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.assert_stderr_has("--> content/zqxmarker-team/handover.md:4:12");
    run.assert_stderr_has("a public article inside an internal section");
}

#[test]
fn a_public_section_in_an_internal_section_is_an_error() {
    let dir = fixture("audiences");
    let path = dir.path().join("content/zqxmarker-team/sub/_index.md");
    std::fs::write(
        &path,
        read(&path).replace("+++\ntitle", "+++\naudience = \"public\"\ntitle"),
    )
    .unwrap();
    let run = kb(dir.path(), &["validate"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.assert_stderr_has("--> content/zqxmarker-team/sub/_index.md:2:12");
    run.assert_stderr_has("a public section inside an internal section");
}

#[test]
fn kb_toml_sets_the_default_audience_and_the_flag_overrides_it() {
    let dir = fixture("audiences");
    let toml = dir.path().join("kb.toml");
    std::fs::write(&toml, format!("{}audience = \"internal\"\n", read(&toml))).unwrap();
    let run = kb(dir.path(), &["build"]);
    assert!(run.stderr.contains("Built 5 articles"), "{}", run.stderr);
    let run = kb(dir.path(), &["build", "--audience", "public"]);
    assert!(run.stderr.contains("Built 2 articles"), "{}", run.stderr);
    std::fs::write(
        &toml,
        format!(
            "{}audience = \"everyone\"\n",
            read(dir.path().join("kb.toml")).replace("audience = \"internal\"\n", "")
        ),
    )
    .unwrap();
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2);
    run.assert_stderr_has("kb.toml:4:");
}

/// A report with results for a public and an internal article, as `kb check` writes it.
fn report() -> serde_json::Value {
    let check = |id: &str, status: &str| {
        let (message, reason) = match status {
            "fail" => (
                serde_json::json!("the admin is SUSPENDED"),
                serde_json::json!("assertion"),
            ),
            _ => (serde_json::Value::Null, serde_json::Value::Null),
        };
        serde_json::json!({"id": id, "title": id, "status": status, "severity": "medium", "message": message,
            "reason": reason, "missing_scopes": [], "missing_vars": [], "findings": [], "findings_total": 0,
            "duration_ms": 1})
    };
    serde_json::json!({
        "schema_version": 6, "kb_version": "0.1.0", "org": "prod", "org_url": "https://acme.okta.com",
        "started_at": "2026-12-01T10:00:00Z", "duration_ms": 5,
        "summary": {"articles": 2, "checks": 2, "pass": 1, "fail": 1, "error": 0, "skip": 0,
            "failed_by_severity": {"critical": 0, "high": 0, "medium": 1, "low": 0, "info": 0}, "waived": 0},
        "articles": [
            {"slug": "public/locked-out", "title": "A user is locked out after too many attempts",
             "url": "/public/locked-out/", "permalink": "https://help.audience.test/public/locked-out/",
             "status": "pass", "severity": null, "checks": [check("admin-active", "pass")]},
            {"slug": "public/zqxmarker-escalation", "title": "Zqxmarker escalation runbook",
             "url": "/public/zqxmarker-escalation/", "permalink": "https://help.audience.test/public/zqxmarker-escalation/",
             "audience": "internal", "status": "fail", "severity": "medium", "checks": [check("zqxmarker-check", "fail")]}
        ]
    })
}

#[test]
fn a_public_build_with_a_report_shows_and_counts_only_public_results() {
    let dir = fixture("audiences");
    crate::support::assert_valid_report(&report());
    let path = dir.path().join("report.json");
    std::fs::write(&path, report().to_string()).unwrap();
    let run = kb(dir.path(), &["build", "--report", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let site = dir.path().join("site");
    assert_eq!(holding(&site, MARKER), Vec::<String>::new());
    let report_page = read(site.join("report/index.html"));
    assert!(
        report_page.contains(": 0 failing, 0 not checked, 1 passing"),
        "{report_page}"
    );
    assert!(read(site.join("index.html")).contains("prod: 0 problems found"));
    let internal = kb(
        dir.path(),
        &["build", "--audience", "internal", "--report", path.to_str().unwrap()],
    );
    assert_eq!(internal.code, 0, "{}", internal.stderr);
    assert!(read(site.join("report/index.html")).contains("Zqxmarker escalation runbook"));
}

#[test]
fn kb_check_runs_internal_articles_and_says_so() {
    let dir = fixture("audiences");
    let run = kb(dir.path(), &["check", "--plan", "--org-url", "https://x.okta.com"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("public/zqxmarker-escalation (internal article)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("public/locked-out\n"), "{}", run.stdout);
}
