//! `kb snapshot` and `kb check --snapshot` against the fake org: what a snapshot holds (only what the checks read,
//! no secret, no person's value), how a replay judges (the recorded clock, `not_recorded`), and bad snapshots.
//! That a replay gives every fixture org's live verdicts with the org stopped is proved in `tests/orgs`.

use std::io::Write;
use std::path::Path;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::okta::{FakeOrg, TOKEN, fixture};
use crate::support::{self, Run, check_statuses, kb, replay, snapshot, snapshot_json};

/// A snapshot of the org (`extra`: articles and flags) in a fresh folder: the folder and the file.
fn took(fake: &FakeOrg, extra: &[&str]) -> (TempDir, std::path::PathBuf) {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("org.json.gz");
    let run = snapshot(fake, &file, extra);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (dir, file)
}

/// Every person's value the healthy fixture serves (its users, its log event's actor and IP), those written into
/// an app's label, and a login only a var and a URL carry.
fn people() -> Vec<String> {
    let mut out = fixture::load("healthy").people();
    out.extend(
        [
            "203.0.113.7",
            "+1 415 555 0100",
            "555-0199",
            "dana.smith@acme.test",
            "dana.smith",
        ]
        .map(String::from),
    );
    out
}

/// The people's values found in `text`, as whole words, whatever their case.
fn found_in(text: &str) -> Vec<String> {
    support::people_in(text, &people())
}

#[test]
fn no_secret_and_no_persons_value_survives_in_a_snapshot_its_replay_or_a_diagnosis() {
    let fake = FakeOrg::start("healthy");
    // `dana.smith` is no user of the org: her login reaches the org only in a URL, and comes back in E0000007's
    // errorSummary.
    let (dir, file) = took(&fake, &["--var", "user=dana.smith@acme.test"]);
    let raw = support::read_bytes(&file);
    let json = snapshot_json(&file);
    let text = json.to_string();
    assert!(
        text.contains("user-") && text.contains("Name-") && text.contains("198.18.0."),
        "pseudonyms in place: {text}"
    );
    assert!(
        text.contains("Resource not found: user-"),
        "the error summary kept, redacted: {text}"
    );
    assert_eq!(found_in(&text), Vec::<String>::new(), "{text}");
    assert!(!text.contains(TOKEN) && !String::from_utf8_lossy(&raw).contains(TOKEN));
    for secret in fake.seen().iter().flat_map(|s| s.secrets.clone()) {
        assert!(!text.contains(&secret), "a credential in the snapshot: {secret}");
    }
    for a in json["answers"].as_array().unwrap() {
        for h in a["headers"].as_array().into_iter().flatten() {
            let name = h[0].as_str().unwrap();
            assert!(
                !["authorization", "dpop", "cookie", "set-cookie"].contains(&name),
                "{a}"
            );
        }
    }
    drop(fake);
    for format in ["json", "human", "markdown", "html", "junit"] {
        let (run, _) = replay(&file, &["--format", format]);
        assert!([0, 1, 3].contains(&run.code), "{}", run.stderr);
        assert_eq!(found_in(&run.stdout), Vec::<String>::new(), "{format}:\n{}", run.stdout);
        assert_eq!(found_in(&run.stderr), Vec::<String>::new(), "{format}:\n{}", run.stderr);
    }
    let pasted = "Sorry, you can't access Dana Smith's Payroll because you are not assigned to this app in Okta.";
    let diagnosis = kb(
        &support::repo(),
        &["diagnose", pasted, "--snapshot", file.to_str().unwrap()],
    );
    assert!([0, 1, 3].contains(&diagnosis.code), "{}", diagnosis.stderr);
    assert_eq!(
        found_in(&diagnosis.stdout),
        Vec::<String>::new(),
        "{}",
        diagnosis.stdout
    );
    drop(dir);
}

#[test]
fn the_redacted_values_are_the_fixtures_own() {
    // The test above can fail: each value it looks for is in what the org serves and in a snapshot kept whole.
    let fake = FakeOrg::start("healthy");
    let (_dir, file) = took(&fake, &["--var", "user=dana.smith@acme.test", "--no-redact"]);
    let text = snapshot_json(&file).to_string();
    let found = found_in(&text);
    for v in [
        "alice@acme.test",
        "Bob Builder",
        "203.0.113.7",
        "+1 415 555 0100",
        "dana.smith@acme.test",
    ] {
        assert!(
            found.iter().any(|f| f == v),
            "{v} is not in what the org serves: {text}"
        );
    }
    assert!(text.contains("Resource not found: dana.smith@acme.test"), "{text}");
}

#[test]
fn a_snapshot_holds_only_the_fields_its_checks_read() {
    let fake = FakeOrg::start("broken/users/user-locked-out");
    let (_dir, file) = took(&fake, &["users/user-locked-out"]);
    let json = snapshot_json(&file);
    let answers = json["answers"].as_array().unwrap();
    let users = answers
        .iter()
        .find(|a| a["url"].as_str().unwrap().contains("/api/v1/users?filter="))
        .expect("the locked-out users' list");
    let items = users["body"].as_array().expect("a list");
    assert!(!items.is_empty());
    for item in items {
        let keys: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
        // The check reads status, statusChanged, profile.login and id; Okta's spec says every user has id and
        // status. The fake serves created, activated, lastLogin, type, credentials, _links and more: all gone.
        assert_eq!(keys, ["id", "profile", "status", "statusChanged"], "{item}");
        let profile: Vec<&str> = item["profile"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(profile, ["login"], "{item}");
    }
    let kept: Vec<&str> = users["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h[0].as_str().unwrap())
        .collect();
    assert!(kept.contains(&"date") && kept.contains(&"content-type"), "{kept:?}");
    assert!(
        !kept.iter().any(|h| h.contains("authorization") || *h == "set-cookie"),
        "{kept:?}"
    );
    drop(fake);
    let (run, report) = replay(&file, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let checks = support::checks_of(report.as_ref().unwrap(), "users/user-locked-out");
    let org_wide = checks.iter().find(|c| c["id"] == "no-user-locked-out").unwrap();
    assert_eq!(org_wide["status"], "fail", "{org_wide}");
    assert_eq!(org_wide["findings"][0]["label"], "user-1@acme.test", "{org_wide}");
}

#[test]
fn a_replay_judges_time_by_the_recorded_date_even_a_year_later() {
    // The org's clock is a year behind the local one: replaying now is replaying its snapshot a year after it was
    // taken. Its certificates and tokens are good for months on its own clock and long expired on the local one.
    let mut org = fixture::load("healthy");
    org.org.clock_offset_days = -365;
    let fake = FakeOrg::serve(org);
    let articles = [
        "saml/saml-signing-certificate-expiring",
        "idps/idp-signing-certificate-expiring",
        "domains/custom-domain-certificate-expiring",
        "api/api-token-expiring-or-owner-inactive",
    ];
    let (run, live) = support::check(&fake, &articles);
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let (_dir, file) = took(&fake, &articles);
    drop(fake);
    let json = snapshot_json(&file);
    let date = json["answers"][0]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == "date")
        .map(|h| h[1].as_str().unwrap().to_string())
        .expect("a recorded Date");
    let year = chrono::Utc::now().format("%Y").to_string().parse::<i32>().unwrap() - 1;
    assert!(
        date.contains(&year.to_string()),
        "the org's Date is a year back: {date}"
    );
    let (run, replayed) = replay(&file, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let (live, replayed) = (live.unwrap(), replayed.unwrap());
    assert_eq!(check_statuses(&live), check_statuses(&replayed));
    assert!(check_statuses(&replayed).values().all(|s| s == "pass"));
    assert_eq!(replayed["snapshot"]["redacted"], true);
}

/// The snapshot file with its answers passed through `edit`.
fn edited(file: &Path, edit: impl FnOnce(&mut Value)) {
    let mut json = snapshot_json(file);
    edit(&mut json);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(json.to_string().as_bytes()).unwrap();
    std::fs::write(file, gz.finish().unwrap()).unwrap();
}

#[test]
fn a_request_the_snapshot_lacks_is_an_error_not_recorded() {
    let fake = FakeOrg::start("healthy");
    let (_dir, file) = took(&fake, &["workflows/403-not-assigned-app"]);
    drop(fake);
    edited(&file, |j| {
        j["answers"]
            .as_array_mut()
            .unwrap()
            .retain(|a| !a["url"].as_str().unwrap().contains("/users/"))
    });
    let (run, report) = replay(&file, &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let checks = support::checks_of(report.as_ref().unwrap(), "workflows/403-not-assigned-app");
    for c in checks {
        assert_eq!(c["status"], "error", "{c}");
        assert_eq!(c["reason"], "not_recorded", "{c}");
        assert!(c["message"].as_str().unwrap().contains("holds no answer to GET"), "{c}");
    }
}

#[test]
fn a_hostile_answer_in_a_snapshot_is_read_within_the_caps() {
    let fake = FakeOrg::start("healthy");
    let (_dir, file) = took(&fake, &["users/user-locked-out"]);
    drop(fake);
    // A customer's file could say anything: a label with markup, and an answer over --max-body.
    edited(&file, |j| {
        for a in j["answers"].as_array_mut().unwrap() {
            a["body"] = serde_json::json!([{"id": "<script>x</script>", "status": "LOCKED_OUT",
                "statusChanged": "2026-01-01T00:00:00.000Z", "profile": {"login": "<img src=x onerror=alert(1)>"}}]);
        }
    });
    let out = TempDir::new().unwrap();
    let html = out.path().join("r.html");
    let (run, _) = replay(&file, &["--format", "html", "--output", html.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let page = support::read(&html);
    assert!(!page.contains("<img src=x") && page.contains("&lt;img src=x"), "{page}");
    let (run, report) = replay(&file, &["--max-body", "64"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    for c in support::checks_of(report.as_ref().unwrap(), "users/user-locked-out") {
        assert_eq!(c["reason"], "body", "{c}");
    }
}

/// `kb check --snapshot` of a file, its stderr with the folder's path replaced.
fn refused(file: &Path, extra: &[&str]) -> String {
    let (run, report): (Run, _) = replay(file, extra);
    assert_eq!(run.code, 2, "{}\n{}", run.stderr, run.stdout);
    assert!(report.is_none());
    let dir = file.parent().unwrap().to_str().unwrap();
    run.stderr.replace(dir, "DIR")
}

#[test]
fn bad_snapshots_are_refused_with_a_clear_error() {
    let fake = FakeOrg::start("healthy");
    let (dir, good) = took(&fake, &["workflows/403-not-assigned-app"]);
    drop(fake);
    let bytes = support::read_bytes(&good);
    let put = |name: &str, b: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, b).unwrap();
        p
    };
    let gz = |text: &str| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let mut newer = snapshot_json(&good);
    newer["kb_snapshot"] = 99.into();
    // A crafted manifest: text of its own for a report's header, findings' links sent elsewhere.
    let mut crafted_time = snapshot_json(&good);
    crafted_time["taken_at"] = "\u{1b}[32mverified by Okta\u{1b}[0m".into();
    let mut crafted_admin = snapshot_json(&good);
    crafted_admin["admin_url"] = "http://evil.example".into();
    let cases = [
        ("missing", dir.path().join("none.json.gz"), vec![]),
        ("empty", put("empty.json.gz", b""), vec![]),
        ("not_gzip", put("report.json", b"{\"schema_version\": 4}"), vec![]),
        ("truncated", put("cut.json.gz", &bytes[..bytes.len() / 2]), vec![]),
        (
            "foreign",
            put("foreign.json.gz", &gz("{\"kind\": \"something else\"}")),
            vec![],
        ),
        ("newer", put("newer.json.gz", &gz(&newer.to_string())), vec![]),
        (
            "crafted_time",
            put("time.json.gz", &gz(&crafted_time.to_string())),
            vec![],
        ),
        (
            "crafted_admin",
            put("admin.json.gz", &gz(&crafted_admin.to_string())),
            vec![],
        ),
        ("other_articles", good.clone(), vec!["users/user-locked-out"]),
        ("var_on_redacted", good.clone(), vec!["--var", "admin=x@acme.test"]),
    ];
    let mut all = String::new();
    for (name, path, extra) in cases {
        all.push_str(&format!("--- {name}\n{}", refused(&path, &extra)));
    }
    insta::assert_snapshot!("bad_snapshots", all);
    let both = kb(
        &support::repo(),
        &["check", "--snapshot", "x.json.gz", "--org-url", "https://acme.okta.com"],
    );
    assert_eq!(both.code, 2);
    both.assert_stderr_has("cannot be used with");
}

#[test]
fn bad_input_to_kb_snapshot_is_a_clear_error_and_writes_nothing() {
    let fake = FakeOrg::start("healthy");
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("org.json.gz");
    let no_checks = snapshot(&fake, &file, &["api/401-e0000011-invalid-token"]);
    assert_eq!(no_checks.code, 2, "{}", no_checks.stderr);
    no_checks.assert_stderr_has("the selected articles have no checks: there is nothing to record");
    let unknown = snapshot(&fake, &file, &["no/such-article"]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    let out = file.to_str().unwrap();
    let no_token = kb(&support::repo(), &["snapshot", "--org-url", &fake.url, "--output", out]);
    assert_eq!(no_token.code, 2, "{}", no_token.stderr);
    no_token.assert_stderr_has("OKTA_API_TOKEN");
    let nowhere = snapshot(
        &fake,
        &dir.path().join("missing/dir/org.json.gz"),
        &["users/user-locked-out"],
    );
    assert_eq!(nowhere.code, 2, "{}", nowhere.stderr);
    nowhere.assert_stderr_has("cannot write");
    assert!(!file.exists(), "nothing written");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no partial file left"
    );
}

#[test]
fn checks_changed_since_the_snapshot_are_not_judged() {
    let fake = FakeOrg::start("broken/users/user-locked-out");
    let (_dir, file) = took(&fake, &["users/user-locked-out"]);
    drop(fake);
    // As if the knowledge base had changed the article's checks since: a new check may read a field the snapshot
    // left out, and a field's absence is no verdict.
    edited(&file, |j| {
        j["articles"][0]["checks"] = "000000000000000000000000".into()
    });
    let (run, report) = replay(&file, &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    run.assert_stderr_has("warning: the checks of users/user-locked-out changed since the snapshot was taken");
    for c in support::checks_of(report.as_ref().unwrap(), "users/user-locked-out") {
        assert_eq!(
            (c["status"].as_str(), c["reason"].as_str()),
            (Some("error"), Some("not_recorded")),
            "{c}"
        );
        assert!(c["message"].as_str().unwrap().contains("take a new snapshot"), "{c}");
    }
}

#[test]
fn a_check_whose_replay_differs_from_the_org_is_not_judged_from_the_snapshot() {
    let fake = FakeOrg::start("healthy");
    // A check that compares the admin's login with a pattern: redacted, the login no longer matches it.
    let block = "```check\nid = \"admin-login-pattern\"\ntitle = \"The admin's login starts as Alice's\"\n\
                 scopes = [\"okta.users.read\"]\n\n[[step]]\nget = \"/api/v1/users/me\"\n\
                 capture = { login = \"$.profile.login\" }\nexpect = [{ capture = \"login\", matches = \"^a.i.e@\" }]\n```\n";
    let site = support::site(&[("content/admin.md", support::article("Admin", block).as_bytes())]);
    let file = site.path().join("org.json.gz");
    let out = file.to_str().unwrap();
    let env = [("OKTA_API_TOKEN", TOKEN)];
    let took = support::kb_env(
        site.path(),
        &["snapshot", "--org-url", &fake.url, "--output", out],
        &env,
    );
    assert_eq!(took.code, 0, "{}", took.stderr);
    took.assert_stderr_has("warning: the replay of admin#admin-login-pattern gives fail where the org gave pass");
    drop(fake);
    let run = kb(site.path(), &["check", "--snapshot", out, "--format", "json"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = support::json_report(&run.stdout).unwrap();
    let c = &support::checks_of(&report, "admin")[0];
    assert_eq!(
        (c["status"].as_str(), c["reason"].as_str()),
        (Some("error"), Some("not_recorded")),
        "{c}"
    );
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("gave fail where the org gave pass"),
        "{c}"
    );
}
