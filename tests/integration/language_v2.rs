//! The check language's version 2 against the fake org: facts about time on the org's clock, a request per item,
//! findings with Admin Console links, severity, and the typed skips.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::okta::{FakeOrg, Fault, TOKEN, fixture};
use crate::support::{self, ADMIN_URL, Run, check, kb_env, repo};

const SAML: &str = "saml/saml-signing-certificate-expiring";
const LOCKED: &str = "users/user-locked-out";
const TOKENS: &str = "api/api-token-expiring-or-owner-inactive";

/// The check `id` of article `slug` in a report.
fn check_in<'r>(report: &'r Value, slug: &str, id: &str) -> &'r Value {
    support::checks_of(report, slug)
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {slug}"))
}

/// `kb check --format json` of a site holding one article, `slug`, whose body is `block`, against `fake`: the site,
/// the run and its report.
fn check_block(slug: &str, block: &str, fake: &FakeOrg) -> (tempfile::TempDir, Run, Value) {
    let text = support::article(slug, &format!("## Check your org\n\n{block}"));
    let site = support::site(&[(format!("content/{slug}.md").as_str(), text.as_bytes())]);
    let run = kb_env(
        site.path(),
        &["check", "--org-url", fake.url.as_str(), "--format", "json"],
        &[("OKTA_API_TOKEN", TOKEN)],
    );
    let report = support::json_report(&run.stdout).unwrap_or_else(|| panic!("{}\n{}", run.stderr, run.stdout));
    (site, run, report)
}

fn labels(c: &Value) -> BTreeSet<String> {
    c["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["label"].as_str().unwrap().to_string())
        .collect()
}

/// The SAML article's check on an org whose clock is `offset` days from the local one: the check's report.
fn saml_run(offset: i64) -> (Value, FakeOrg) {
    let mut org = fixture::load(&format!("broken/{SAML}"));
    org.org.clock_offset_days = offset;
    let fake = FakeOrg::serve(org);
    let (run, report) = check(&fake, &[SAML]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let c = check_in(report.as_ref().unwrap(), SAML, "saml-signing-certificates-valid").clone();
    (c, fake)
}

#[test]
fn expiring_saml_certificates_are_named_with_days_left_and_admin_console_links() {
    let (c, fake) = saml_run(0);
    assert_eq!(c["status"], "fail");
    assert_eq!(c["severity"], "high");
    assert_eq!(c["findings_total"], 3, "{c:#}");
    let want: BTreeSet<String> = ["07", "23", "41"]
        .iter()
        .map(|k| format!("Payroll SAML {k} (saml_app_{k})"))
        .collect();
    assert_eq!(
        labels(&c),
        want,
        "the 45-day one (30) and the apps signing with a valid key are not findings"
    );
    let by_label = |k: &str| {
        c["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["label"] == format!("Payroll SAML {k} (saml_app_{k})"))
            .unwrap()
            .clone()
    };
    for (k, when) in [("07", "in 8 days"), ("23", "in 20 days"), ("41", "3 days ago")] {
        let f = by_label(k);
        let detail = f["detail"].as_str().unwrap();
        assert!(detail.contains(when), "{k}: {detail}");
        assert!(detail.contains("expected after 30 days from now"), "{detail}");
        assert_eq!(
            f["url"],
            format!("{ADMIN_URL}/admin/app/saml_app_{k}/instance/0oa1saml0000000000{k}"),
            "{f}"
        );
    }
    // Every active SAML app of the org (the 50 and the Workflows app) was judged, one keys request each.
    let org = fixture::load(&format!("broken/{SAML}"));
    let saml: Vec<_> = org
        .apps
        .values()
        .filter(|a| a.sign_on_mode == "SAML_2_0" && a.status == "ACTIVE")
        .collect();
    assert!(saml.len() > 50);
    let message = c["message"].as_str().unwrap();
    assert!(message.ends_with(&format!("(3 of {} items)", saml.len())), "{message}");
    let seen = fake.seen();
    let keys: BTreeSet<&str> = seen
        .iter()
        .filter(|s| s.target.ends_with("/credentials/keys"))
        .map(|s| s.target.as_str())
        .collect();
    assert_eq!(keys.len(), saml.len());
    assert_eq!(
        seen.iter().filter(|s| s.target.ends_with("/credentials/keys")).count(),
        saml.len()
    );
    let pages = seen.iter().filter(|s| s.target.starts_with("/api/v1/apps?")).count();
    assert!(pages > 20, "the apps list came in many pages: {pages}");
}

#[test]
fn the_orgs_clock_is_the_only_clock() {
    let (now, _) = saml_run(0);
    // Five years ahead and behind. Had kb used its own clock, none of the certificates would expire soon on an org
    // five years ahead, and every one would have expired on an org five years behind.
    // The findings' dates move with the org's clock; what is said of them does not.
    let said = |c: &Value| -> Vec<(String, String, String)> {
        c["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let detail = f["detail"].as_str().unwrap();
                let relative = detail.split_once(", ").map_or("", |(_, r)| r).to_string();
                (f["label"].to_string(), f["url"].to_string(), relative)
            })
            .collect()
    };
    assert!(said(&now).iter().any(|(_, _, r)| r.starts_with("in 8 days")), "{now:#}");
    for offset in [1826, -1826] {
        let (c, _) = saml_run(offset);
        assert_eq!(said(&c), said(&now), "offset {offset} days");
        assert_eq!(c["message"], now["message"]);
    }
    let mut healthy = fixture::load("healthy");
    healthy.org.clock_offset_days = -1826;
    let fake = FakeOrg::serve(healthy);
    let (run, report) = check(&fake, &[SAML, TOKENS]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(support::statuses(&report.unwrap()).values().all(|s| s == "pass"));
}

#[test]
fn an_unreadable_date_makes_every_time_check_an_error_never_a_pass() {
    let fake = FakeOrg::start("healthy");
    fake.inject(Fault::Headers(vec![("date".into(), "the day after tomorrow".into())]));
    let (run, report) = check(&fake, &[SAML, TOKENS, LOCKED]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let report = report.unwrap();
    for (slug, id) in [
        (SAML, "saml-signing-certificates-valid"),
        (TOKENS, "api-tokens-not-expiring"),
    ] {
        let c = check_in(&report, slug, id);
        assert_eq!(c["status"], "error", "{c}");
        assert_eq!(c["reason"], "body", "{c}");
        let m = c["message"].as_str().unwrap();
        assert!(m.contains("`Date` header is not a date"), "{m}");
        assert!(m.contains("the org's clock is the only one kb uses"), "{m}");
    }
    // Checks that compare no time are judged as before.
    assert_eq!(check_in(&report, TOKENS, "api-token-owners-active")["status"], "pass");
    assert_eq!(check_in(&report, LOCKED, "no-user-locked-out")["status"], "pass");
}

/// A `kb check` of the knowledge base against `fake` with exactly these arguments (no `--var`).
fn bare(fake: &FakeOrg, args: &[&str]) -> Run {
    let mut all = vec!["check", "--org-url", fake.url.as_str(), "--admin-url", ADMIN_URL];
    all.extend(args);
    kb_env(&repo(), &all, &[("OKTA_API_TOKEN", TOKEN)])
}

#[test]
fn locked_out_users_are_findings_and_severity_selects_and_counts() {
    let fake = FakeOrg::start(&format!("broken/{LOCKED}"));
    let (run, report) = check(&fake, &[LOCKED]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = report.unwrap();
    let c = check_in(&report, LOCKED, "no-user-locked-out");
    assert_eq!((&c["status"], &c["severity"]), (&"fail".into(), &"low".into()));
    assert_eq!(labels(c), BTreeSet::from(["bob@acme.test".to_string()]));
    let bob = &c["findings"][0];
    assert_eq!(
        bob["url"],
        format!("{ADMIN_URL}/admin/user/profile/view/00u1bob000000000002")
    );
    assert!(
        bob["detail"].as_str().unwrap().starts_with("locked out since "),
        "{bob}"
    );
    assert_eq!(check_in(&report, LOCKED, "admin-not-locked-out")["status"], "pass");
    assert_eq!(report["articles"][0]["severity"], "low");
    assert_eq!(report["summary"]["failed_by_severity"]["low"], 1);
    assert_eq!(report["summary"]["failed_by_severity"]["high"], 0);

    // --fail-on: the low failure is still reported, and no longer fails the run.
    let (run, report) = check(&fake, &[LOCKED, "--fail-on", "medium"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = report.unwrap();
    assert_eq!(check_in(&report, LOCKED, "no-user-locked-out")["status"], "fail");
    assert_eq!(report["fail_on"], "medium");
    let (run, _) = check(&fake, &[LOCKED, "--fail-on", "low"]);
    assert_eq!(run.code, 1);

    // --min-severity: the low check does not run (skip, filtered), and its requests are not made.
    let before = fake.seen().len();
    let (run, report) = check(&fake, &[LOCKED, "--min-severity", "high"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = report.unwrap();
    let c = check_in(&report, LOCKED, "no-user-locked-out");
    assert_eq!(
        (&c["status"], &c["reason"]),
        (&"skip".into(), &"filtered".into()),
        "{c}"
    );
    assert_eq!(check_in(&report, LOCKED, "admin-not-locked-out")["status"], "pass");
    assert!(
        fake.seen()[before..]
            .iter()
            .all(|s| !s.target.starts_with("/api/v1/users?"))
    );
    let bad = bare(&fake, &[LOCKED, "--min-severity", "severe"]);
    assert_eq!(bad.code, 2);
    bad.assert_stderr_has("one of critical, high, medium, low, info");

    // The human report rates failures and lists the findings under them.
    let (run, _) = check(&fake, &[LOCKED, "--format", "human"]);
    assert!(
        run.stdout.contains("✗ [low] No user of the org is locked out"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("· bob@acme.test: locked out since"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_check_without_its_variable_is_skipped_with_needs_var_and_strict_makes_it_an_error() {
    let fake = FakeOrg::start("healthy");
    let run = bare(&fake, &["--format", "json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let report = support::json_report(&run.stdout).unwrap();
    let skipped: Vec<&Value> = report["articles"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["checks"].as_array().unwrap())
        .filter(|c| c["reason"] == "needs_var")
        .collect();
    assert!(skipped.len() >= 2, "{report:#}");
    for c in &skipped {
        assert_eq!(c["status"], "skip");
        let missing = c["missing_vars"].as_array().unwrap();
        assert!(!missing.is_empty(), "{c}");
        for v in missing {
            let flag = format!("--var {}=...", v.as_str().unwrap());
            assert!(c["message"].as_str().unwrap().contains(&flag), "{c}");
        }
    }
    let client_id = |c: &&&Value| c["missing_vars"].as_array().unwrap().contains(&"client_id".into());
    assert!(skipped.iter().filter(client_id).count() >= 2, "{report:#}");
    // Nothing was asked of the org for them.
    assert!(fake.seen().iter().all(|s| !s.target.contains("0oa1portal")));
    let human = bare(&fake, &[]);
    assert_eq!(human.code, 0);
    assert!(
        human
            .stdout
            .contains("Not run for want of a variable (skip, needs_var); to run them, pass:"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("  --var client_id=...: "), "{}", human.stdout);
    assert!(
        human
            .stdout
            .contains("oidc/user-not-assigned-to-client-app (user-assigned-to-client-app)"),
        "{}",
        human.stdout
    );

    let strict = bare(&fake, &["--format", "json", "--strict"]);
    assert_eq!(strict.code, 3, "{}", strict.stderr);
    let report = support::json_report(&strict.stdout).unwrap();
    let errors: Vec<&Value> = report["articles"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["checks"].as_array().unwrap())
        .filter(|c| c["status"] == "error")
        .collect();
    assert_eq!(errors.len(), skipped.len());
    assert!(
        errors
            .iter()
            .all(|c| c["reason"] == "input" && c["message"].as_str().unwrap().contains("--strict"))
    );
}

#[test]
fn api_tokens_expiring_or_whose_owner_is_not_active_are_findings() {
    let fake = FakeOrg::start(&format!("broken/{TOKENS}"));
    let (run, report) = check(&fake, &[TOKENS]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = report.unwrap();
    let expiring = check_in(&report, TOKENS, "api-tokens-not-expiring");
    assert_eq!(labels(expiring), BTreeSet::from(["CI checks".to_string()]));
    assert!(
        expiring["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("in 3 days")
    );
    let owners = check_in(&report, TOKENS, "api-token-owners-active");
    assert_eq!(labels(owners), BTreeSet::from(["HR provisioning".to_string()]));
    let f = &owners["findings"][0];
    assert!(f["detail"].as_str().unwrap().contains("SUSPENDED"), "{f}");
    assert_eq!(
        f["url"],
        format!("{ADMIN_URL}/admin/user/profile/view/00u1carol0000000003")
    );
    // One user request per token, each sent once.
    let users: Vec<_> = fake
        .seen()
        .into_iter()
        .filter(|s| s.target.starts_with("/api/v1/users/00u"))
        .collect();
    assert_eq!(users.len(), 2, "{users:?}");
}

#[test]
fn the_plan_shows_the_requests_made_per_item() {
    let fake = FakeOrg::start("healthy");
    let run = bare(&fake, &[SAML, TOKENS, "--plan"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let origin = &fake.url;
    for line in [
        format!(
            "GET {origin}/api/v1/apps/{{item.id}}/credentials/keys  (one request per item of `saml`, at most 500"
        ),
        format!("GET {origin}/api/v1/users/{{item.userId}}  (one request per item of `tokens`, at most 500"),
        "saml-signing-certificates-valid: No active SAML app signs with a certificate that expires within 30 days [high]"
            .to_string(),
        "and one request per item for 2 steps".to_string(),
    ] {
        assert!(run.stdout.contains(&line), "`{line}` missing:\n{}", run.stdout);
    }
    assert!(fake.seen().is_empty(), "a plan sends nothing");
}

#[test]
fn a_list_longer_than_the_cap_of_a_for_each_step_is_an_error_not_a_partial_verdict() {
    let block = "```check\nid = \"capped\"\ntitle = \"Capped\"\nscopes = [\"okta.apps.read\"]\n\
                 [finding]\nlabel = \"{{ item.label }}\"\n\
                 [[step]]\nget = \"/api/v1/apps\"\ncapture = { apps = { path = \"$[*]\", all = true } }\n\
                 [[step]]\nfor_each = \"apps\"\nmax_items = 10\nget = \"/api/v1/apps/{{ item.id }}\"\n\
                 capture = { app = \"$\" }\nexpect = [{ capture = \"app.status\", equals = \"ACTIVE\" }]\n```\n";
    let fake = FakeOrg::start(&format!("broken/{SAML}"));
    let (_site, run, report) = check_block("capped", block, &fake);
    assert_eq!(run.code, 3, "{}\n{}", run.stderr, run.stdout);
    let c = check_in(&report, "capped", "capped");
    assert_eq!(c["reason"], "truncated", "{c}");
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("more than the 10 this check reads one by one"),
        "{c}"
    );
    assert!(
        fake.seen().iter().all(|s| !s.target.starts_with("/api/v1/apps/")),
        "no item was asked for"
    );
}

/// The knowledge base's SAML check, answered in memory: the apps list (one SAML app signing with `kid`) and its
/// keys, both with `date` as their `Date` header (none when `None`).
fn saml_verdict(date: Option<&str>, expires: &str) -> kb::checks::Verdict {
    use kb::checks::{Body, Response};
    let (content, checks) = support::knowledge_base();
    let i = content.articles.iter().position(|a| a.slug == SAML).unwrap();
    let check = &checks.by_article[i][0];
    let headers: Vec<(String, String)> = date.map(|d| ("date".to_string(), d.to_string())).into_iter().collect();
    let apps = serde_json::json!([{
        "id": "0oa1", "name": "payroll", "label": "Payroll", "status": "ACTIVE", "signOnMode": "SAML_2_0",
        "credentials": { "signing": { "kid": "k2" } }
    }]);
    let keys = serde_json::json!([
        { "kid": "k1", "expiresAt": "2020-01-01T00:00:00.000Z" },
        { "kid": "k2", "expiresAt": expires }
    ]);
    let org = url::Url::parse("https://acme.okta.com").unwrap();
    check.evaluate(&serde_json::Map::new(), &org, &mut |r| {
        let body = if r.url.path().ends_with("/keys") {
            keys.clone()
        } else {
            apps.clone()
        };
        Response {
            status: 200,
            headers: headers.clone(),
            body: Body::Json(body),
        }
    })
}

#[test]
fn now_is_the_date_header_of_the_answer_and_without_one_a_time_fact_is_an_error() {
    use kb::checks::Verdict;
    use kb::checks::eval::Reason;
    let expires = "2030-01-01T00:00:00.000Z";
    // Only the answer's `Date` moves the verdict: a year before the expiry it holds, a week before it does not.
    assert_eq!(
        saml_verdict(Some("Mon, 01 Jan 2029 00:00:00 GMT"), expires),
        Verdict::Pass
    );
    match saml_verdict(Some("Tue, 25 Dec 2029 00:00:00 GMT"), expires) {
        Verdict::Fail(f) => {
            assert_eq!(f.findings.len(), 1);
            assert_eq!(f.findings[0].label, "Payroll (payroll)");
            let detail = f.findings[0].detail.as_deref().unwrap();
            assert!(detail.contains("is 2030-01-01T00:00:00.000Z, in 7 days"), "{detail}");
            // No Admin Console given: no link.
            assert_eq!(f.findings[0].url, None);
        }
        other => panic!("{other:?}"),
    }
    for date in [None, Some("soon"), Some("")] {
        match saml_verdict(date, expires) {
            Verdict::Error(e) => {
                assert_eq!(e.reason, Reason::Body, "{date:?}: {e:?}");
                assert!(e.message.contains("`Date` header"), "{}", e.message);
            }
            other => panic!("{date:?}: {other:?}"),
        }
    }
    // A value that is not a date is the answer's fault: `body`, naming the field.
    match saml_verdict(Some("Mon, 01 Jan 2029 00:00:00 GMT"), "next year") {
        Verdict::Error(e) => {
            assert_eq!(e.reason, Reason::Body);
            assert_eq!(e.message, "`key.expiresAt` is `next year`, not a date (RFC 3339)");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_time_relative_to_now_in_a_request_is_computed_from_the_orgs_clock() {
    let block = "```check\nid = \"recent\"\ntitle = \"No event of the kind in the last day\"\n\
                 scopes = [\"okta.logs.read\"]\n\
                 [[step]]\nget = \"/.well-known/openid-configuration\"\n\
                 [[step]]\nget = \"/api/v1/logs\"\n\
                 query = { since = { now = \"-24h\" }, until = { now = \"0m\" }, \
                 filter = \"eventType eq \\\"user.account.lock\\\"\" }\n\
                 capture = { events = { path = \"$[*]\", all = true } }\n\
                 expect = [{ capture = \"events\", count = 0 }]\n```\n";
    let mut org = fixture::load("healthy");
    org.org.clock_offset_days = 100;
    let fake = FakeOrg::serve(org);
    let started = chrono::Utc::now();
    let (site, run, _) = check_block("recent", block, &fake);
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let logs = fake
        .seen()
        .into_iter()
        .find(|s| s.target.starts_with("/api/v1/logs?"))
        .expect("the logs were read");
    let url = url::Url::parse(&format!("http://x{}", logs.target)).unwrap();
    let since: String = url.query_pairs().find(|(k, _)| k == "since").unwrap().1.into_owned();
    let since = chrono::DateTime::parse_from_rfc3339(&since).unwrap();
    // A day before the org's now, which is 100 days ahead of the local clock.
    let expected = started + chrono::Duration::days(100) - chrono::Duration::hours(24);
    let off = (since.timestamp() - expected.timestamp()).abs();
    assert!(off <= 5, "since={since}, expected about {expected}");
    // The plan cannot know the org's clock: it says what the value will be.
    let plan = kb_env(site.path(), &["check", "--org-url", fake.url.as_str(), "--plan"], &[]);
    assert!(plan.stdout.contains("since={now -24h}"), "{}", plan.stdout);
}

/// A System Log query without `until` is a polling query, whose pages never end: an error when the check is
/// validated, not a run that ends at the page cap.
#[test]
fn a_system_log_query_without_an_end_is_an_error() {
    let text = "id = \"x\"\ntitle = \"t\"\nscopes = [\"okta.logs.read\"]\n\
                [[step]]\nget = \"/.well-known/openid-configuration\"\n\
                [[step]]\nget = \"/api/v1/logs\"\nquery = { since = { now = \"-24h\" } }\n";
    let (_, diags) = crate::support::check_block_of(text);
    // Ascending (the default) is a stream too; newest first is not.
    let ascending = text.replace("now = \"-24h\" }", "now = \"-24h\" }, sortOrder = \"ASCENDING\"");
    assert_eq!(crate::support::check_block_of(&ascending).1.len(), 1);
    let newest_first = text.replace("now = \"-24h\" }", "now = \"-24h\" }, sortOrder = \"DESCENDING\"");
    assert!(crate::support::check_block_of(&newest_first).1.is_empty());
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(
        diags[0]
            .message
            .contains("a System Log query without `until` never ends"),
        "{}",
        diags[0].message
    );
    assert_eq!(diags[0].position().as_deref(), Some("content/a.md:8:9"));
}

#[test]
fn kb_scopes_asks_only_for_what_the_checks_at_or_above_a_severity_read() {
    let all = support::kb(&repo(), &["scopes", TOKENS, LOCKED]);
    assert!(all.stdout.contains("okta.apiTokens.read"), "{}", all.stdout);
    let high = support::kb(&repo(), &["scopes", TOKENS, LOCKED, "--min-severity", "high"]);
    assert_eq!(high.code, 0, "{}", high.stderr);
    assert!(high.stdout.contains("okta.apiTokens.read") && high.stdout.contains("okta.users.read"));
    let critical = support::kb(&repo(), &["scopes", TOKENS, LOCKED, "--min-severity", "critical"]);
    assert!(!critical.stdout.contains("okta."), "{}", critical.stdout);
}

#[test]
fn a_for_each_step_whose_precondition_holds_for_no_item_does_not_apply_rather_than_pass() {
    let block = "```check\nid = \"nobody\"\ntitle = \"Nobody is assigned\"\nscopes = [\"okta.apps.read\"]\n\
                 [finding]\nlabel = \"{{ item.label }}\"\n\
                 [[step]]\nget = \"/api/v1/apps\"\ncapture = { apps = { path = \"$[*]\", all = true } }\n\
                 [[step]]\nfor_each = \"apps\"\nget = \"/api/v1/apps/{{ item.id }}/users/00u1nobody000000000\"\n\
                 skip_unless = [{ status = 200 }]\ncapture = { assigned = \"$\" }\n\
                 expect = [{ capture = \"assigned.status\", equals = \"ACTIVE\" }]\n```\n";
    let fake = FakeOrg::start("healthy");
    let (_site, run, report) = check_block("nobody", block, &fake);
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let c = check_in(&report, "nobody", "nobody");
    assert_eq!(
        (&c["status"], &c["reason"]),
        (&"skip".into(), &"precondition".into()),
        "{c}"
    );
    let apps = fixture::load("healthy").apps.len();
    assert_eq!(
        c["message"],
        format!("precondition not met for any of the {apps} items of `apps`"),
        "every app was asked for, and none answered 200"
    );
}

#[test]
fn checks_that_are_the_same_evaluation_run_once_and_keep_their_own_message_and_severity() {
    let definition = support::read(repo().join("checks/users-locked-out.toml"));
    let block = |id: &str, extra: &str| {
        format!("```check\nid = \"{id}\"\ntitle = \"Nobody locked out\"\nuse = \"users-locked-out\"\n{extra}```\n")
    };
    let article = |title: &str, body: String| support::article(title, &format!("## Check your org\n\n{body}"));
    let (a, b, c) = (
        article("A", block("locked", "fail = \"A: someone is locked out\"\n")),
        article("B", block("locked", "severity = \"high\"\n")),
        article("C", block("also-locked", "")),
    );
    let site = support::site(&[
        ("checks/users-locked-out.toml", definition.as_bytes()),
        ("content/a.md", a.as_bytes()),
        ("content/b.md", b.as_bytes()),
        ("content/c.md", c.as_bytes()),
    ]);
    let fake = FakeOrg::start(&format!("broken/{LOCKED}"));
    let run = kb_env(
        site.path(),
        &["check", "--org-url", fake.url.as_str(), "--format", "json"],
        &[("OKTA_API_TOKEN", TOKEN)],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = support::json_report(&run.stdout).unwrap();
    let (a, b, c) = (
        check_in(&report, "a", "locked"),
        check_in(&report, "b", "locked"),
        check_in(&report, "c", "also-locked"),
    );
    assert_eq!(a["message"], "A: someone is locked out (1 of 1 item)");
    assert_eq!(b["message"], "Users are locked out (1 of 1 item)");
    assert_eq!(
        (&a["severity"], &b["severity"], &c["severity"]),
        (&"low".into(), &"high".into(), &"low".into())
    );
    assert_eq!(b["findings"], c["findings"]);
    let lists = fake
        .seen()
        .into_iter()
        .filter(|s| s.target.starts_with("/api/v1/users?"))
        .count();
    assert_eq!(lists, 1, "one request for the three checks");
}
