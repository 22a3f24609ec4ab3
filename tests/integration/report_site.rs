//! `kb build --report`: an org's check results on the articles, on /report/ and on the home page, kept out of the
//! sitemap and the search index.

use std::io::Read;
use std::path::Path;

use tempfile::TempDir;

use crate::support::okta::FakeOrg;
use crate::support::{build_from, build_with, check, kb, read, repo, statuses};

fn fragments_text(site: &Path) -> String {
    let mut all = String::new();
    for entry in std::fs::read_dir(site.join("search-index/f")).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
        all.push_str(&text);
    }
    all
}

#[test]
fn a_site_built_with_a_report_shows_each_articles_status_and_keeps_it_out_of_sitemap_and_search() {
    let org = FakeOrg::start("broken/workflows/403-not-assigned-app");
    let (run, report) = check(&org, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = report.expect("a JSON report");
    let (dir, out, run) = build_from(&report);
    assert_eq!(run.code, 0, "{}", run.stderr);

    let statuses = statuses(&report);
    assert_eq!(statuses["workflows/403-not-assigned-app"], "fail");
    assert_eq!(statuses.values().filter(|s| *s == "fail").count(), 1, "{statuses:?}");
    let org_name = report["org"].as_str().unwrap();
    for (slug, status) in &statuses {
        let page = read(out.join(slug).join("index.html"));
        assert!(
            page.contains(&format!("class=\"org-status status-{status}\"")),
            "{slug}: no {status} status"
        );
        assert!(
            page.contains(r#"<meta name="robots" content="noindex">"#),
            "{slug}: not noindex"
        );
        assert!(
            page.contains(&format!("Checked against {org_name} on <time")),
            "{slug}: no org and time"
        );
    }
    // The failing article names its failing check and the org's own message for it.
    let failing = report["articles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["status"] == "fail")
        .unwrap();
    let check = failing["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "fail")
        .unwrap();
    let message = check["message"].as_str().unwrap();
    let page = read(out.join("workflows/403-not-assigned-app/index.html"));
    assert!(page.contains(&format!("{org_name} has this problem")));
    assert!(page.contains(&kb::text::escape(check["title"].as_str().unwrap())));
    assert!(
        page.contains(&kb::text::escape(message)),
        "the message is missing: {message}"
    );

    // An article without checks shows no status and stays indexable.
    let plain = read(out.join("api/404-e0000007-resource-not-found/index.html"));
    assert!(!statuses.contains_key("api/404-e0000007-resource-not-found"));
    assert!(!plain.contains("org-status") && !plain.contains("noindex"));

    // /report/ lists every checked article under its status; the home page sums up; both noindex.
    let page = read(out.join("report/index.html"));
    assert!(page.contains(r#"<meta name="robots" content="noindex">"#));
    assert!(
        page.contains("<h2 id=\"report-fail\">Failing: the org has the problem <span class=\"count\">1</span></h2>")
    );
    for slug in statuses.keys() {
        assert!(
            page.contains(&format!("href=\"/{slug}/\"")),
            "{slug} missing from /report/"
        );
    }
    assert!(page.contains(&kb::text::escape(message)));
    let home = read(out.join("index.html"));
    assert!(
        home.contains(&format!("{org_name}: 1 problem found")),
        "no summary on the home page"
    );
    assert!(home.contains(r#"<meta name="robots" content="noindex">"#));

    // Out of the sitemap: the home page, /report/ and every checked article; the rest stay.
    let sitemap = read(out.join("sitemap.xml"));
    assert!(!sitemap.contains("/report/"));
    assert!(!sitemap.contains("<loc>https://help.example.com/</loc>"));
    for slug in statuses.keys() {
        assert!(
            !sitemap.contains(&format!("/{slug}/</loc>")),
            "{slug} is in the sitemap"
        );
    }
    assert!(sitemap.contains("/api/404-e0000007-resource-not-found/</loc>"));

    // Out of the search index: one document per article and per error catalogue entry, none holding a result.
    let meta = crate::support::search_meta(&out);
    let built: usize = run.stderr.split_whitespace().nth(1).unwrap().parse().unwrap();
    let config = kb::config::Config::load(&crate::support::repo(), None).unwrap();
    let entries: usize = config.catalogues.iter().map(|c| c.entries.len()).sum();
    assert_eq!(meta["pages"].as_array().map(Vec::len), Some(built + entries), "{meta}");
    let indexed = fragments_text(&out);
    assert!(
        indexed.contains("Not Assigned App"),
        "the fragments should hold the articles"
    );
    assert!(
        !indexed.contains(message) && !indexed.contains(org_name),
        "a result reached the search index"
    );

    // Built without --report, the same site shows no status at all.
    let plain_out = dir.path().join("plain");
    let run = kb(&repo(), &["build", "--output", plain_out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!plain_out.join("report").exists());
    for slug in statuses.keys() {
        assert!(!read(plain_out.join(slug).join("index.html")).contains("org-status"));
    }
    assert!(!read(plain_out.join("index.html")).contains("org-summary"));
}

/// A report written by a kb of an earlier schema version (1, before the reason `body`; 2, before severities and
/// findings) still builds.
#[test]
fn a_report_of_an_earlier_schema_version_is_still_read() {
    let org = FakeOrg::start("broken/workflows/403-not-assigned-app");
    let (_, report) = check(&org, &[]);
    let mut report = report.expect("a JSON report");
    assert_eq!(report["schema_version"], 6);
    // What versions 3 and 5 added, taken out again.
    report["summary"].as_object_mut().unwrap().remove("failed_by_severity");
    report["summary"].as_object_mut().unwrap().remove("waived");
    for a in report["articles"].as_array_mut().unwrap() {
        a.as_object_mut().unwrap().remove("severity");
        for c in a["checks"].as_array_mut().unwrap() {
            let c = c.as_object_mut().unwrap();
            for k in ["severity", "missing_vars", "findings", "findings_total"] {
                c.remove(k);
            }
        }
    }
    report["schema_version"] = 1.into();
    crate::support::assert_valid_report(&report);
    let (_dir, out, run) = build_from(&report);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = read(out.join("workflows/403-not-assigned-app/index.html"));
    assert!(
        page.contains("class=\"org-status status-fail\""),
        "the v1 report's fail is shown"
    );
}

#[test]
fn a_bad_report_is_an_error_that_points_at_it() {
    let dir = TempDir::new().unwrap();
    let bad = dir.path().join("report.json");
    std::fs::write(&bad, "{\n  \"schema_version\": 1,\n  \"org\": 3\n}\n").unwrap();
    let out = dir.path().join("site");
    let run = build_with(&out, &bad);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let shown = run.stderr.replace(dir.path().to_str().unwrap(), "[TMP]");
    insta::assert_snapshot!("bad_report", shown);
    assert!(!out.exists(), "nothing is written");

    std::fs::write(&bad, "{\"schema_version\": 9}").unwrap();
    let run = build_with(&out, &bad);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.assert_stderr_has("the report has schema_version 9; this kb reads versions 1 and 2");

    let missing = dir.path().join("nope.json");
    let run = build_with(&out, &missing);
    assert_eq!(run.code, 2);
    run.assert_stderr_has("cannot read the report");
}

/// An article built with a report shows its failing items: labels, details, links to the Admin Console; and a
/// link in a report file that is not an http(s) URL is shown as text, never as a link.
#[test]
fn an_article_built_with_a_report_lists_its_findings_with_their_links() {
    let org = FakeOrg::start("broken/saml/saml-signing-certificate-expiring");
    let (_, report) = check(&org, &["saml/saml-signing-certificate-expiring"]);
    let mut report = report.expect("a JSON report");
    let (_dir, out, run) = build_from(&report);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = read(out.join("saml/saml-signing-certificate-expiring/index.html"));
    assert!(
        page.contains("<details class=\"findings\" open><summary>3 failing items</summary>"),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<a href=\"{}/admin/app/saml_app_07/instance/0oa1saml000000000007\" rel=\"noopener noreferrer\">Payroll SAML 07 (saml_app_07)</a>",
            crate::support::ADMIN_URL
        )),
        "{page}"
    );
    assert!(page.contains("in 8 days (expected after 30 days from now)"), "{page}");
    assert!(page.contains("<span class=\"severity severity-high\">high</span>"));
    let report_page = read(out.join("report/index.html"));
    assert!(report_page.contains("Payroll SAML 41 (saml_app_41)"), "{report_page}");

    // A report file from elsewhere: a script URL and markup in a label.
    let f = &mut report["articles"][0]["checks"][0]["findings"][0];
    f["url"] = "javascript:alert(1)".into();
    f["label"] = "<img src=x onerror=alert(1)>".into();
    let (_dir, out, run) = build_from(&report);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = read(out.join("saml/saml-signing-certificate-expiring/index.html"));
    assert!(!page.contains("javascript:"), "{page}");
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"), "{page}");
}
