//! Findings carry what the org says about its items (labels, names, IDs): whatever those hold, every report format
//! escapes them, the terminal gets no control or bidi character, JUnit stays well-formed XML, and a finding's link
//! stays on the Admin Console.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use url::Url;

use kb::checks::model::Severity;
use kb::checks::{Body, Evaluation, Next, Response, Verdict};
use kb::report::{self, ArticleReport, CheckReport, Report, Status, Summary};

use crate::support;

const ADMIN: &str = "https://acme-admin.okta.com";

/// Text an org could hold in a label: markup, quotes, newlines, bidi marks, C0 and C1 controls, ANSI escapes,
/// characters XML forbids, Markdown link syntax, path tricks.
fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(vec![
            "<script>alert(1)</script>",
            "\"",
            "'",
            "&",
            "&amp;",
            "\n",
            "\r\n",
            "\u{202e}",
            "\u{2066}",
            "\u{200f}",
            "\u{1b}[31m",
            "\u{1b}]8;;https://evil.test\u{7}",
            "\u{0}",
            "\u{7}",
            "\u{7f}",
            "\u{85}",
            "\u{9b}",
            "\u{fffe}",
            "\u{ffff}",
            "]]>",
            "|",
            "[x](javascript:alert(1))",
            "../../",
            "/",
            "?",
            "#",
            "%2F",
            "@evil.test",
            "`",
            "Payroll",
        ])
        .prop_map(str::to_string),
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(piece, 1..8).prop_map(|p| p.concat())
}

/// The knowledge base's SAML certificate check on one SAML app with these values, expiring in five days.
fn verdict(label: &str, name: &str, id: &str) -> Verdict {
    let (content, checks) = support::knowledge_base();
    let i = content
        .articles
        .iter()
        .position(|a| a.slug == "saml/saml-signing-certificate-expiring")
        .unwrap();
    let check = &checks.by_article[i][0];
    let org = Url::parse("https://acme.okta.com").unwrap();
    let date = vec![("date".to_string(), "Wed, 02 Dec 2026 08:00:00 GMT".to_string())];
    let apps = json!([{ "id": id, "name": name, "label": label, "status": "ACTIVE", "signOnMode": "SAML_2_0",
                        "credentials": { "signing": { "kid": "k" } } }]);
    let keys = json!([{ "kid": "k", "expiresAt": "2026-12-07T08:00:00.000Z" }]);
    let mut run = Evaluation::new(check, &Map::new(), &org).admin(Some(Url::parse(ADMIN).unwrap()));
    loop {
        match run.step() {
            Next::Fetch(r) => {
                let body = if r.url.path().ends_with("/keys") {
                    keys.clone()
                } else {
                    apps.clone()
                };
                run.answer(&Response {
                    status: 200,
                    headers: date.clone(),
                    body: Body::Json(body),
                });
            }
            Next::Done(v) => return v,
        }
    }
}

fn report_of(verdict: &Verdict) -> Report {
    let check = CheckReport::new("saml", "Certificates", Severity::High, verdict, 3);
    let mut r = Report {
        schema_version: report::SCHEMA_VERSION,
        kb_version: "0.1.0".into(),
        org: "acme".into(),
        org_url: "https://acme.okta.com".into(),
        started_at: "2026-12-02T08:00:00Z".into(),
        duration_ms: 3,
        summary: Summary::default(),
        articles: vec![ArticleReport {
            slug: "saml/x".into(),
            title: "SAML".into(),
            url: "/saml/x/".into(),
            permalink: "https://help.acme.test/saml/x/".into(),
            audience: None,
            status: Status::Skip,
            severity: None,
            checks: vec![check],
        }],
        interrupted: false,
        fail_on: None,
        snapshot: None,
        changes: None,
    };
    r.finish();
    r
}

/// Every `href` (HTML) or Markdown link target of a report: the article's page or the Admin Console.
fn assert_links_are_ours(targets: impl Iterator<Item = String>) -> Result<(), TestCaseError> {
    for t in targets {
        prop_assert!(
            t == "https://help.acme.test/saml/x/" || t.starts_with(&format!("{ADMIN}/admin/app/")),
            "a link to {t:?}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn hostile_items_are_escaped_in_every_format_and_their_links_stay_on_the_admin_console(
        label in hostile(),
        name in hostile(),
        id in hostile(),
    ) {
        let v = verdict(&label, &name, &id);
        // An ID that cannot be a path segment (empty, `.`) stops the check before its finding: an error, fine.
        let Verdict::Fail(failed) = &v else {
            prop_assert!(matches!(v, Verdict::Error(_)), "{v:?}");
            return Ok(());
        };
        prop_assert_eq!(failed.findings.len(), 1);
        let f = &failed.findings[0];
        if let Some(u) = &f.url {
            let u = Url::parse(u).unwrap();
            prop_assert_eq!(u.origin(), Url::parse(ADMIN).unwrap().origin());
            prop_assert!(u.path().starts_with("/admin/app/"), "{u}");
            prop_assert!(u.query().is_none() && u.fragment().is_none(), "{u}");
        }
        let r = report_of(&v);

        // JSON: the values as the org gave them.
        let json: Value = serde_json::from_str(&r.to_json()).unwrap();
        support::assert_valid_report(&json);
        prop_assert_eq!(&json["articles"][0]["checks"][0]["findings"][0]["label"], &Value::from(f.label.clone()));

        // The terminal: no control character but newlines, no bidi mark, and the finding on its own line.
        let human = report::human::render(&r, false);
        let bad = human.chars().find(|c| (c.is_control() && *c != '\n') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}'));
        prop_assert!(bad.is_none(), "{bad:?} in {human:?}");
        // Plain values give a finding's line and its link's: hostile ones add no line.
        let plain = report::human::render(&report_of(&verdict("a", "b", "c")), false);
        let expected = plain.lines().count() - 1 + usize::from(f.url.is_some());
        prop_assert_eq!(human.lines().count(), expected, "{}", human);

        // JUnit: well-formed XML, whatever the label.
        let junit = report::junit::render(&r);
        prop_assert!(roxmltree::Document::parse(&junit).is_ok(), "{junit}");

        // HTML: no markup from the org, and no link but ours.
        let html = report::html::render(&r);
        prop_assert!(!html.contains("<script>"), "{html}");
        let hrefs = html.split("href=\"").skip(1).map(|s| kb::text::unescape(s.split('"').next().unwrap()));
        assert_links_are_ours(hrefs)?;
        prop_assert_eq!(html.matches("<a ").count(), 1 + usize::from(f.url.is_some()));

        // Markdown: one table row per failing check, no raw markup, no link but ours.
        let md = report::markdown::render(&r);
        prop_assert!(!md.contains("<script>"), "{md}");
        let bad = md.chars().find(|c| (c.is_control() && *c != '\n') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'));
        prop_assert!(bad.is_none(), "{bad:?} in {md:?}");
        prop_assert_eq!(md.lines().filter(|l| l.starts_with("| fail |")).count(), 1, "{}", md);
        // Link targets: after a `](` whose `]` is not escaped (`\]` is text).
        let targets = md
            .match_indices("](")
            .filter(|(i, _)| !md[..*i].ends_with('\\'))
            .map(|(i, _)| md[i + 2..].split(')').next().unwrap().to_string());
        assert_links_are_ours(targets)?;
    }
}

/// A report of a check with `n` failing items (`item 1` ... `item n`), each with a link.
fn many(n: usize) -> Report {
    let findings = (1..=n)
        .map(|i| kb::checks::Finding {
            label: format!("item {i}"),
            detail: Some(format!("detail {i}")),
            url: Some(format!("{ADMIN}/admin/app/a/instance/{i}")),
        })
        .collect();
    report_of(&Verdict::Fail(kb::checks::Failed {
        message: format!("Certificates expire ({n} of 40 items)"),
        findings,
    }))
}

#[test]
fn reports_show_the_first_twenty_findings_and_the_total_folded_when_long() {
    let r = many(25);
    let c = &r.articles[0].checks[0];
    assert_eq!((c.findings.len(), c.findings_total), (20, 25));
    let html = report::html::render(&r);
    // The summary first: articles by status, failing checks by severity.
    let summary = html.find("<table class=\"sum\">").expect("a summary");
    assert!(summary < html.find("<thead>").unwrap());
    assert!(html.contains("<td>1 high</td>"), "{html}");
    assert!(html.contains("<details><summary>25 failing items</summary>"), "{html}");
    assert!(html.contains("item 20") && !html.contains("item 21<"), "{html}");
    assert!(html.contains("and 5 more"));
    assert!(report::html::render(&many(3)).contains("<details open><summary>3 failing items</summary>"));
    let junit = report::junit::render(&r);
    assert!(
        junit.contains(&format!("  - item 1: detail 1 &lt;{ADMIN}/admin/app/a/instance/1&gt;")),
        "{junit}"
    );
    assert!(junit.contains("  - and 5 more"), "{junit}");
    let md = report::markdown::render(&r);
    assert!(
        md.contains(&format!("<br>• [item 1]({ADMIN}/admin/app/a/instance/1): detail 1")),
        "{md}"
    );
    assert!(md.contains("| fail | high |"), "{md}");
    let human = report::human::render(&r, false);
    assert!(human.contains("           · item 20: detail 20\n"), "{human}");
    assert!(human.contains("           · and 5 more\n"), "{human}");
    let json: Value = serde_json::from_str(&r.to_json()).unwrap();
    support::assert_valid_report(&json);
    assert_eq!(json["articles"][0]["checks"][0]["findings_total"], 25);
}
