//! `kb check` end to end: the real binary against the fake Okta org on loopback. Faults, paging, rate limits,
//! the run-wide cache, OAuth with DPoP, the report formats, and that no secret is ever printed.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::okta::{FakeOrg, Fault, TOKEN, fixture};
use crate::support::{self, Run, check, kb_env, statuses};

const NOT_ASSIGNED: &str = "workflows/403-not-assigned-app";

use crate::support::checks_of;

/// The statuses the fake answered to requests whose target starts with `prefix`, in order.
fn statuses_of(fake: &FakeOrg, prefix: &str) -> Vec<u16> {
    fake.seen()
        .iter()
        .filter(|s| s.target.starts_with(prefix))
        .map(|s| s.status)
        .collect()
}

#[test]
fn each_fault_ends_as_an_error_that_names_its_cause() {
    let cases: Vec<(Fault, &str, &str)> = vec![
        (
            Fault::ServerError {
                path: "/api/v1/apps".into(),
                status: 503,
                times: u32::MAX,
            },
            "http_status",
            "the org answered 503 E0000009",
        ),
        (
            Fault::Reset {
                path: "/api/v1/apps".into(),
            },
            "network",
            "(connection closed before message completed)",
        ),
        (
            Fault::Hang {
                path: "/api/v1/apps".into(),
                delay: Duration::from_secs(5),
            },
            "timeout",
            "timed out",
        ),
        (
            Fault::InvalidToken,
            "invalid_token",
            "401 E0000011: the token is invalid",
        ),
        (
            Fault::MissingScope {
                path: "/api/v1/apps".into(),
                scope: "okta.apps.read".into(),
            },
            "missing_scope",
            "scope okta.apps.read not granted",
        ),
        (
            Fault::Denied {
                path: "/api/v1/apps".into(),
            },
            "access_denied",
            "403 E0000006",
        ),
        (
            Fault::TooMany {
                path: "/api/v1/apps".into(),
                times: 100,
                reset_in: 1,
            },
            "rate_limited",
            "429 E0000047",
        ),
    ];
    for (fault, reason, cause) in cases {
        let what = format!("{fault:?}");
        let fake = FakeOrg::start("healthy");
        fake.inject(fault);
        let (run, report) = check(&fake, &[NOT_ASSIGNED, "--timeout", "1"]);
        assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
        assert_eq!(run.code, 3, "{what}: exit 3 (an error, no fail)\n{}", run.stderr);
        let report = report.unwrap_or_else(|| panic!("{what}: no report"));
        assert_eq!(report["summary"]["error"], 1, "{what}");
        for c in checks_of(&report, NOT_ASSIGNED) {
            assert_eq!(c["status"], "error", "{what}: {c}");
            assert_eq!(c["reason"], reason, "{what}: {c}");
            let message = c["message"].as_str().unwrap();
            assert!(message.contains(cause), "{what}: `{cause}` not in {message:?}");
            if reason == "missing_scope" {
                assert_eq!(c["missing_scopes"], serde_json::json!(["okta.apps.read"]), "{what}");
            }
        }
    }
}

#[test]
fn a_5xx_is_retried_and_a_run_that_recovers_passes() {
    let fake = FakeOrg::start("healthy");
    // Two 500s, then the real answer: within the retries.
    fake.inject(Fault::ServerError {
        path: "/api/v1/users".into(),
        status: 500,
        times: 2,
    });
    let (run, report) = check(&fake, &[NOT_ASSIGNED]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(statuses(&report.unwrap())[NOT_ASSIGNED], "pass");
    let users = statuses_of(&fake, "/api/v1/users/");
    assert_eq!(users, [500, 500, 200]);
}

#[test]
fn after_a_429_the_run_waits_for_the_reset_and_completes() {
    let fake = FakeOrg::start("healthy");
    // Both checks read the same user (one request): it is refused once, then answered.
    fake.inject(Fault::TooMany {
        path: "/api/v1/users/".into(),
        times: 1,
        reset_in: 2,
    });
    let t = Instant::now();
    let (run, report) = check(&fake, &[NOT_ASSIGNED]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(statuses(&report.unwrap())[NOT_ASSIGNED], "pass");
    let users = statuses_of(&fake, "/api/v1/users/");
    assert_eq!(users, [429, 200]);
    // The reset was 2 s ahead on the org's clock (whole seconds): the retry waited for it.
    assert!(t.elapsed() >= Duration::from_secs(1), "{:?}", t.elapsed());
}

/// The healthy org with `n` more apps whose name starts with `flow` and whose IDs sort first, so that with pages of
/// 2 the Workflows OAuth app (`flow`) is on page n/2 + 1.
fn crowded(n: usize) -> fixture::Fixture {
    let mut org = fixture::load("healthy");
    let template = org.apps["flowdock"].clone();
    for i in 0..n {
        let mut app = template.clone();
        app.id = format!("0oa0filler{i:010}");
        app.name = format!("flow_filler_{i}");
        app.label = format!("Flow filler {i}");
        org.apps.insert(format!("filler-{i}"), app);
    }
    org
}

#[test]
fn the_run_keeps_to_its_share_of_each_rate_limit_and_sees_no_429() {
    // 4 requests per endpoint group per 2-second window; a share of 0.5 allows 2. The apps list alone needs
    // more than that, so the run must wait for resets, never exceed 2 in a window, and never be refused.
    let mut org = fixture::load("healthy");
    org.org.rate_limit = 4;
    org.org.rate_window = 2;
    let fake = FakeOrg::serve(org);
    let (run, report) = check(&fake, &["--rate-share", "0.5"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(statuses(&report.unwrap()).values().all(|s| s == "pass"));
    let seen = fake.seen();
    assert!(seen.iter().all(|s| s.status != 429), "no 429: {seen:#?}");
    assert!(
        fake.busiest_window() <= 2,
        "at most half the limit in a window: {}",
        fake.busiest_window()
    );
    let apps = seen.iter().filter(|s| s.target.starts_with("/api/v1/apps?")).count();
    assert!(apps > 2, "the apps list needed more than one window: {apps}");
}

#[test]
fn paging_follows_next_links_and_finds_an_app_on_page_five() {
    // Pages of 2: 8 fillers fill pages 1-4, `flow` and the others come after.
    let fake = FakeOrg::serve(crowded(8));
    let (run, report) = check(&fake, &["workflows/403-insufficient-scope"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = report.unwrap();
    for c in checks_of(&report, "workflows/403-insufficient-scope") {
        assert_eq!(c["status"], "pass", "{c}");
    }
    let pages: Vec<String> = fake
        .seen()
        .into_iter()
        .filter(|s| s.target.starts_with("/api/v1/apps?q=flow"))
        .map(|s| s.target)
        .collect();
    assert!(pages.len() >= 5, "{pages:#?}");
    assert_eq!(
        pages.iter().filter(|p| p.contains("after=")).count(),
        pages.len() - 1,
        "{pages:#?}"
    );
}

#[test]
fn a_list_longer_than_the_page_cap_is_an_error_not_a_partial_answer() {
    let fake = FakeOrg::serve(crowded(8));
    let (run, report) = check(&fake, &["workflows/403-insufficient-scope", "--max-pages", "3"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    for c in checks_of(&report.unwrap(), "workflows/403-insufficient-scope") {
        assert_eq!(c["status"], "error", "{c}");
        assert_eq!(c["reason"], "truncated", "{c}");
        assert!(c["message"].as_str().unwrap().contains("more than 3 pages"), "{c}");
    }
}

#[test]
fn each_distinct_url_is_requested_once_and_only_get_is_sent() {
    let fake = FakeOrg::start("healthy");
    let (run, report) = check(&fake, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = report.unwrap();
    let checks: usize = report["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["checks"].as_array().unwrap().len())
        .sum();
    let seen = fake.seen();
    let mut count: BTreeMap<(String, String), usize> = BTreeMap::new();
    for s in &seen {
        *count.entry((s.method.clone(), s.target.clone())).or_default() += 1;
        assert_eq!(s.method, "GET", "{s:?}");
        assert_eq!(s.user_agent, concat!("kb/", env!("CARGO_PKG_VERSION")));
    }
    let repeated: Vec<_> = count.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "requested more than once: {repeated:#?}");
    // Six checks read the `flow` app list, yet it was fetched once (its two pages once each).
    let flow = count
        .keys()
        .filter(|(_, t)| t.starts_with("/api/v1/apps?q=flow&"))
        .count();
    assert_eq!(flow, 2, "{count:#?}");
    assert!(seen.len() < checks * 2, "{} requests for {checks} checks", seen.len());
}

#[test]
fn the_plan_prints_the_requests_and_sends_nothing() {
    let fake = FakeOrg::start("healthy");
    let run = kb_env(
        &support::repo(),
        &[
            "check",
            "--plan",
            "--org-url",
            &fake.url,
            "--var",
            "admin=alice@acme.test",
            NOT_ASSIGNED,
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(fake.seen().is_empty(), "{:?}", fake.seen());
    let plan = run.stdout.replace(&fake.url, "http://ORG");
    insta::assert_snapshot!(plan);
}

#[test]
fn a_run_that_cannot_start_exits_2_and_says_why() {
    let with_token: &[(&str, &str)] = &[("OKTA_API_TOKEN", TOKEN)];
    // Arguments, environment, exit status, what stderr says.
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], i32, &'a str);
    let cases: &[Case] = &[
        (&["check"], &[], 2, "no org to check"),
        (
            &["check", "--org-url", "https://acme.okta.com"],
            &[],
            2,
            "the environment variable OKTA_API_TOKEN is not set",
        ),
        (
            &["check", "--org-url", "http://acme.okta.com"],
            with_token,
            2,
            "http is accepted for loopback addresses only",
        ),
        (
            &[
                "check",
                "--org-url",
                "https://acme.okta.com",
                "workflows/403-not-asigned-app",
            ],
            with_token,
            2,
            "did you mean",
        ),
        // A warning, not a refusal: the plan goes on.
        (
            &[
                "check",
                "--plan",
                "--org-url",
                "https://acme-admin.okta.com",
                NOT_ASSIGNED,
            ],
            &[],
            0,
            "use https://acme.okta.com",
        ),
    ];
    for (args, env, code, says) in cases {
        let run = kb_env(&support::repo(), args, env);
        assert_eq!(run.code, *code, "{args:?}: {}", run.stderr);
        run.assert_stderr_has(says);
    }
}

/// A report with what varies between runs (the port, times) replaced.
fn stable(text: &str, fake: &FakeOrg) -> String {
    let text = text
        .replace(&fake.url, "http://ORG")
        .replace(fake.url.trim_start_matches("http://"), "ORG");
    let times = regex::Regex::new(
        r#"("duration_ms": )\d+|("started_at": )"[^"]+"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ|time="[0-9.]+"|\d+ ms"#,
    )
    .unwrap();
    times.replace_all(&text, "$1$2<time>").into_owned()
}

#[test]
fn every_format_reports_the_same_run() {
    let fake = FakeOrg::start(&format!("broken/{NOT_ASSIGNED}"));
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = BTreeMap::new();
    for format in ["human", "json", "junit", "markdown", "html"] {
        let out = dir.path().join(format!("report.{format}"));
        let (run, _) = check(&fake, &["--format", format, "--output", out.to_str().unwrap()]);
        assert_eq!(run.code, 1, "{format}: exit 1 for a fail\n{}", run.stderr);
        run.assert_stderr_has("34 passed, 1 failed");
        outputs.insert(format, support::read(&out));
    }
    support::json_report(&outputs["json"]).expect("the JSON report");
    insta::assert_snapshot!("human_report", stable(&outputs["human"], &fake));
    insta::assert_snapshot!("json_report", stable(&outputs["json"], &fake));
    insta::assert_snapshot!("markdown_report", stable(&outputs["markdown"], &fake));
    let junit = &outputs["junit"];
    assert!(
        junit.contains(r#"<testsuites name="kb check 127.0.0.1" tests="35" failures="1" errors="0" skipped="0""#),
        "{junit}"
    );
    assert_eq!(junit.matches("<failure ").count(), 1, "{junit}");
    assert!(
        junit.contains("alice@acme.test is not assigned to the app Okta Workflows (okta_flow_sso)"),
        "{junit}"
    );
    let html = &outputs["html"];
    assert!(
        html.starts_with("<!doctype html>") && html.contains("<style>") && !html.contains("<script"),
        "{html}"
    );
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http://ORG"),
        "self-contained"
    );
    assert!(
        html.contains(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; \
             base-uri 'none'; form-action 'none'\">"
        ),
        "its own policy, before the style: {html}"
    );
    assert!(html.find("Content-Security-Policy") < html.find("<style>"));
    assert!(
        html.contains("alice@acme.test is not assigned to the app Okta Workflows"),
        "{html}"
    );
    assert!(
        html.contains("href=\"https://help.example.com/workflows/403-not-assigned-app/\""),
        "{html}"
    );
}

#[test]
fn the_human_report_goes_to_stdout_by_default() {
    let fake = FakeOrg::start(&format!("broken/{NOT_ASSIGNED}"));
    let mut args = vec!["check".to_string(), "--org-url".into(), fake.url.clone()];
    for v in fake.vars() {
        args.extend(["--var".to_string(), v]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = kb_env(&support::repo(), &args, &[("OKTA_API_TOKEN", TOKEN)]);
    assert_eq!(run.code, 1);
    let fail = run
        .stdout
        .lines()
        .find(|l| l.starts_with("FAIL "))
        .expect("a FAIL line");
    assert!(fail.ends_with(NOT_ASSIGNED), "{fail}");
    assert!(
        run.stdout
            .contains("→ https://help.example.com/workflows/403-not-assigned-app/"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.ends_with("34 passed, 1 failed\n"), "{}", run.stdout);
    assert!(!run.stdout.contains("\x1b["), "no colour off a terminal");
}

// --- OAuth 2.0 service app -------------------------------------------------------------------------------------

struct Keys {
    private_pem: String,
    public_pem: String,
}

/// One RSA key pair for the whole test run (generating one takes a moment).
fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
        let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
        Keys {
            private_pem: key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
            public_pem: rsa::RsaPublicKey::from(&key).to_public_key_pem(LineEnding::LF).unwrap(),
        }
    })
}

const SERVICE_APP: &str = "0oa1kbservice000008";

/// A copy of the knowledge base whose kb.toml has an `[orgs.test]` profile for the service app.
fn oauth_site(fake: &FakeOrg, profile: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = support::repo();
    for sub in ["content", "checks", "catalogues"] {
        support::copy_tree(&root.join(sub), &dir.path().join(sub));
    }
    std::fs::write(dir.path().join("key.pem"), &keys().private_pem).unwrap();
    let mut toml = support::read(root.join("kb.toml"));
    toml.push_str(&format!(
        "\n[orgs.test]\nurl = \"{}\"\nclient_id = \"{SERVICE_APP}\"\nprivate_key_file = \"key.pem\"\nkey_id = \"kid-1\"\n{profile}\n[orgs.test.vars]\n",
        fake.url
    ));
    for v in fake.vars() {
        let (k, val) = v.split_once('=').unwrap();
        toml.push_str(&format!("{k} = \"{val}\"\n"));
    }
    std::fs::write(dir.path().join("kb.toml"), toml).unwrap();
    dir
}

fn oauth_check(site: &Path, extra: &[&str]) -> (Run, Option<Value>) {
    let mut args = vec!["check", "--var", "admin=alice@acme.test"];
    if !extra.contains(&"--format") {
        args.extend(["--format", "json"]);
    }
    args.extend(extra);
    let run = kb_env(site, &args, &[]);
    let report = support::json_report(&run.stdout);
    (run, report)
}

fn service_org(dpop: bool, revoke: &[&str]) -> FakeOrg {
    let mut org = fixture::load("healthy");
    let app = org.apps.get_mut("kb-service").unwrap();
    app.dpop = dpop;
    for s in revoke {
        app.grants.insert(s.to_string(), "REVOKED".into());
    }
    let fake = FakeOrg::serve(org);
    fake.register_key(SERVICE_APP, &keys().public_pem);
    fake
}

#[test]
fn a_service_app_with_dpop_gets_a_nonce_bound_token_and_every_check_passes() {
    let fake = service_org(true, &[]);
    let site = oauth_site(&fake, "");
    let (run, report) = oauth_check(site.path(), &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    assert!(statuses(&report.unwrap()).values().all(|s| s == "pass"));
    let seen = fake.seen();
    let token_calls: Vec<_> = seen.iter().filter(|s| s.target == "/oauth2/v1/token").collect();
    // Without a proof, with a proof but no nonce, then with the nonce: the round-trip DPoP asks for.
    let statuses: Vec<u16> = token_calls.iter().map(|s| s.status).collect();
    assert_eq!(statuses, [400, 400, 200], "{token_calls:#?}");
    for s in &seen {
        match s.target.as_str() {
            "/oauth2/v1/token" => assert_eq!(s.method, "POST"),
            t if t.starts_with("/.well-known/") => assert_eq!(s.scheme, None, "no credential for public metadata"),
            _ => {
                assert_eq!(s.method, "GET", "{s:?}");
                assert_eq!(s.scheme.as_deref(), Some("DPoP"), "{s:?}");
            }
        }
    }
}

#[test]
fn dpop_proofs_are_fresh_on_every_retry_and_the_apis_nonce_is_learned() {
    let fake = service_org(true, &[]);
    // The API asks for its own nonce, and answers two 500s: every retry needs a new proof (a reused `jti` is
    // refused), and concurrent requests all learn the nonce.
    fake.require_api_nonce();
    fake.inject(Fault::ServerError {
        path: "/api/v1/users/".into(),
        status: 500,
        times: 2,
    });
    let site = oauth_site(&fake, "dpop = true");
    let (run, report) = oauth_check(site.path(), &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    assert!(statuses(&report.unwrap()).values().all(|s| s == "pass"));
    let api: Vec<u16> = statuses_of(&fake, "/api/v1/");
    assert!(api.contains(&401), "the API asked for a nonce: {api:?}");
    assert_eq!(api.iter().filter(|s| **s == 500).count(), 2, "{api:?}");
}

#[test]
fn a_service_app_without_dpop_uses_bearer_tokens() {
    let fake = service_org(false, &[]);
    let site = oauth_site(&fake, "dpop = \"auto\"");
    let (run, _) = oauth_check(site.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let seen = fake.seen();
    assert_eq!(seen.iter().filter(|s| s.target == "/oauth2/v1/token").count(), 1);
    assert!(
        seen.iter()
            .filter(|s| s.target.starts_with("/api/"))
            .all(|s| s.scheme.as_deref() == Some("Bearer"))
    );
}

#[test]
fn an_ungranted_scope_errs_only_the_checks_that_need_it() {
    let fake = service_org(true, &["okta.roles.read"]);
    let site = oauth_site(&fake, "");
    let (run, report) = oauth_check(site.path(), &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = report.unwrap();
    for a in report["articles"].as_array().unwrap() {
        for c in a["checks"].as_array().unwrap() {
            if c["id"] == "admin-is-super-admin" {
                assert_eq!(c["status"], "error", "{c}");
                assert_eq!(c["reason"], "missing_scope");
                assert_eq!(c["missing_scopes"], serde_json::json!(["okta.roles.read"]));
                assert!(
                    c["message"]
                        .as_str()
                        .unwrap()
                        .contains("scope okta.roles.read not granted"),
                    "{c}"
                );
            } else {
                assert_eq!(c["status"], "pass", "{c}");
            }
        }
    }
}

#[test]
fn oauth_needs_vars_admin_and_a_readable_key() {
    let fake = service_org(false, &[]);
    let site = oauth_site(&fake, "");
    let no_admin = kb_env(site.path(), &["check", "--var", "client_id=x"], &[]);
    // The profile's vars have no admin: the plan is invalid.
    assert_eq!(no_admin.code, 2, "{}", no_admin.stderr);
    no_admin.assert_stderr_has("a service app has no user, so `vars.admin` must be set");
    std::fs::write(site.path().join("key.pem"), "not a key").unwrap();
    let bad_key = kb_env(site.path(), &["check", "--var", "admin=alice@acme.test"], &[]);
    assert_eq!(bad_key.code, 2, "{}", bad_key.stderr);
    bad_key.assert_stderr_has("not an RSA or EC private key in PEM");
    assert!(fake.seen().is_empty());
}

#[test]
fn rejected_credentials_are_an_error_for_every_check() {
    let fake = service_org(false, &[]);
    // Another key than the one registered.
    fake.register_key(SERVICE_APP, &{
        use rsa::pkcs8::{EncodePublicKey, LineEnding};
        let other = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
        rsa::RsaPublicKey::from(&other)
            .to_public_key_pem(LineEnding::LF)
            .unwrap()
    });
    let site = oauth_site(&fake, "");
    let (run, report) = oauth_check(site.path(), &[NOT_ASSIGNED]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    for c in checks_of(&report.unwrap(), NOT_ASSIGNED) {
        assert_eq!(c["reason"], "credentials", "{c}");
        assert!(
            c["message"]
                .as_str()
                .unwrap()
                .contains("the token endpoint rejected the credentials: 401 invalid_client"),
            "{c}"
        );
    }
}

// --- Secrets ---------------------------------------------------------------------------------------------------

/// Runs `kb check` once per format with `--output` and `--log` files in `dir`: what each run printed and wrote.
fn in_every_format(dir: &Path, name: &str, run: impl Fn(&[&str]) -> Run) -> Vec<String> {
    let mut printed = Vec::new();
    for format in ["human", "json", "junit", "markdown", "html"] {
        let out = dir.join(format!("{name}.{format}"));
        let log = dir.join(format!("{name}.{format}.log"));
        let args = [
            "--format",
            format,
            "--output",
            out.to_str().unwrap(),
            "--log",
            log.to_str().unwrap(),
        ];
        let run = run(&args);
        if format == "json" {
            support::json_report(&support::read(&out)).expect("a JSON report");
        }
        printed.extend([run.stdout, run.stderr, support::read(&out), support::read(&log)]);
    }
    printed
}

#[test]
fn no_secret_appears_in_any_output_stderr_or_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut printed = Vec::new();
    // SSWS, with a fault, in every format, with a log.
    let fake = FakeOrg::start(&format!("broken/{NOT_ASSIGNED}"));
    fake.inject(Fault::MissingScope {
        path: "/api/v1/authorizationServers".into(),
        scope: "okta.authorizationServers.read".into(),
    });
    printed.extend(in_every_format(dir.path(), "ssws", |args| check(&fake, args).0));
    let (run, _) = check(&fake, &[]);
    printed.extend([run.stdout, run.stderr]);
    let mut secrets: Vec<String> = vec![TOKEN.to_string()];
    secrets.extend(fake.seen().into_iter().flat_map(|s| s.secrets));

    // OAuth with DPoP, one scope refused, every format and a log.
    let fake = service_org(true, &["okta.roles.read"]);
    let site = oauth_site(&fake, "");
    printed.extend(in_every_format(dir.path(), "oauth", |args| {
        oauth_check(site.path(), args).0
    }));
    let mut secret_parts: Vec<String> = Vec::new();
    for s in fake.seen().into_iter().flat_map(|s| s.secrets) {
        // The form with the client assertion; `Authorization` values (`DPoP <token>`); DPoP proofs.
        if s.contains("client_assertion=") {
            let form: BTreeMap<String, String> = url::form_urlencoded::parse(s.as_bytes()).into_owned().collect();
            secret_parts.push(form["client_assertion"].clone());
        } else {
            secret_parts.push(s.split_once(' ').map_or(s.as_str(), |(_, v)| v).to_string());
        }
    }
    secret_parts.extend(
        keys()
            .private_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .map(str::to_string),
    );
    secrets.extend(secret_parts);
    assert!(
        secrets.iter().any(|s| s.starts_with("eyJ")),
        "the client assertions and proofs are among the secrets"
    );
    let all = printed.join("\n");
    assert!(
        all.contains("scope okta.roles.read not granted"),
        "the runs reported something"
    );
    for secret in secrets.iter().filter(|s| s.len() >= 20) {
        for part in [
            secret.as_str(),
            secret.split_once(' ').map_or(secret.as_str(), |(_, v)| v),
        ] {
            assert!(!all.contains(part), "a secret was printed: {}...", &part[..12]);
        }
    }
}

// --- Ctrl-C --------------------------------------------------------------------------------------------------

#[test]
fn an_interrupted_run_reports_what_finished_and_exits_130() {
    let fake = FakeOrg::start("healthy");
    fake.inject(Fault::Latency(Duration::from_millis(400)));
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_kb"));
    cmd.current_dir(support::repo())
        .args([
            "check",
            "--org-url",
            &fake.url,
            "--format",
            "json",
            "--concurrency",
            "1",
        ])
        .env("OKTA_API_TOKEN", TOKEN)
        .env_remove("NO_COLOR")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for v in fake.vars() {
        cmd.args(["--var", &v]);
    }
    let child = cmd.spawn().unwrap();
    // Interrupt once a few answers are in: the one-request checks first in line have finished by then.
    let t = Instant::now();
    while fake.seen().len() < 3 && t.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(200));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report of what finished");
    assert_eq!(report["interrupted"], true);
    let done = report["summary"]["articles"].as_u64().unwrap();
    assert!((1..8).contains(&done), "some articles finished, not all: {done}");
}

/// `--open` writes the HTML report (the terminal keeps its format) and hands it to $BROWSER; the report links each
/// article to its page on the site.
#[test]
fn open_hands_the_html_report_to_the_browser() {
    let org = FakeOrg::start("broken/workflows/403-not-assigned-app");
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("opened");
    let browser = dir.path().join("browser.sh");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\nprintf '%s' \"$1\" > '{}.tmp' && mv '{0}.tmp' '{0}'\n",
            seen.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&browser, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let (run, report) = support::check_env(&org, &["--open"], &[("BROWSER", browser.to_str().unwrap())]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(report.is_some(), "stdout keeps the chosen format (JSON)");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !seen.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the browser was not started: {}",
            run.stderr
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let path = std::fs::read_to_string(&seen).unwrap();
    run.assert_stderr_has(&format!("Opened the report {path}"));
    let html = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(html.starts_with("<!doctype html>"), "{}", &html[..80.min(html.len())]);
    assert!(
        html.contains("<a href=\"https://help.example.com/workflows/403-not-assigned-app/\">"),
        "the report links the article to its page"
    );
}

#[test]
fn a_snapshot_taken_as_a_service_app_holds_no_part_of_its_credential() {
    let fake = service_org(true, &[]);
    let site = oauth_site(&fake, "");
    let file = site.path().join("org.json.gz");
    let args = [
        "snapshot",
        "--var",
        "admin=alice@acme.test",
        "--output",
        file.to_str().unwrap(),
    ];
    let run = kb_env(site.path(), &args, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = support::snapshot_json(&file).to_string();
    assert!(text.contains("/api/v1/apps"), "the snapshot holds the answers: {text}");
    let mut parts: Vec<String> = keys()
        .private_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::to_string)
        .collect();
    // What the org saw of the credential: the DPoP-bound access tokens, the proofs, the client assertions.
    for secret in fake.seen().iter().flat_map(|s| s.secrets.clone()) {
        parts.extend(
            secret
                .split([' ', '&', '=', ','])
                .filter(|p| p.len() >= 32)
                .map(str::to_string),
        );
    }
    assert!(parts.len() > 20, "{parts:?}");
    for p in &parts {
        assert!(
            !text.contains(p.as_str()),
            "a part of the credential is in the snapshot: {p}"
        );
    }
    for word in ["client_assertion", "access_token", "PRIVATE KEY"] {
        assert!(!text.contains(word), "{word} in {text}");
    }
}

/// A report with what differs from one run to the next (times, durations) blanked.
fn timeless(text: &str) -> String {
    let stamps = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z").unwrap();
    let durations = regex::Regex::new(r#"("duration_ms": |time=")[\d.]+|\d+ ms"#).unwrap();
    durations.replace_all(&stamps.replace_all(text, "T"), "D").into_owned()
}

#[test]
fn one_run_writes_every_report_the_separate_runs_write() {
    let fake = FakeOrg::start("broken/users/user-locked-out");
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join("out").join(name);
    let reporters = [
        ("json", "report.json"),
        ("junit", "junit.xml"),
        ("html", "report.html"),
        ("summary", "summary.md"),
    ];
    let flags: Vec<String> = reporters
        .iter()
        .map(|(f, name)| format!("{f}:{}", out(name).display()))
        .collect();
    let mut extra = vec!["users", "--format", "human"];
    for f in &flags {
        extra.extend(["--reporter", f.as_str()]);
    }
    let (run, _) = check(&fake, &extra);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("FAIL"),
        "the terminal keeps the human report:\n{}",
        run.stdout
    );
    for (format, name) in reporters {
        let (alone, _) = check(&fake, &["users", "--format", format]);
        assert_eq!(timeless(&support::read(out(name))), timeless(&alone.stdout), "{format}");
    }
    assert!(support::read(out("summary.md")).contains("- **fail** [User locked out"));
    let bad = support::kb(&support::repo(), &["check", "--reporter", "pdf:x.pdf"]);
    assert_eq!(bad.code, 2);
    bad.assert_stderr_has("`pdf` is not a format");
}

/// `kb check --format json` of a fake org written to a file, its `org_url` made `as_org` (the same org, another
/// day).
fn saved_report(fake: &FakeOrg, as_org: &str, dir: &Path) -> std::path::PathBuf {
    let (run, report) = check(fake, &[]);
    let mut report = report.unwrap_or_else(|| panic!("{}", run.stderr));
    report["org_url"] = as_org.into();
    let path = dir.join("previous.json");
    std::fs::write(&path, report.to_string()).unwrap();
    path
}

#[test]
fn compare_lists_the_broken_articles_failures_as_new_and_the_reverse_as_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let (healthy, broken) = (
        FakeOrg::start("healthy"),
        FakeOrg::start("broken/users/user-locked-out"),
    );
    let previous = saved_report(&healthy, &broken.url, dir.path());
    let (run, report) = check(&broken, &["--compare", previous.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = report.unwrap();
    let changes = &report["changes"];
    let failing: Vec<String> = support::checks_of(&report, "users/user-locked-out")
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| format!("users/user-locked-out#{}", c["id"].as_str().unwrap()))
        .collect();
    assert!(!failing.is_empty());
    let listed: Vec<String> = changes["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["change"], "new_failure", "{c}");
            format!("{}#{}", c["slug"].as_str().unwrap(), c["check"].as_str().unwrap())
        })
        .collect();
    assert_eq!(listed, failing, "{changes:#}");
    assert_eq!(changes["articles"][0]["slug"], "users/user-locked-out");
    assert_eq!(changes["counts"]["new_failure"], failing.len());
    let human = check(&broken, &["--compare", previous.to_str().unwrap(), "--format", "human"]).0;
    assert!(human.stdout.contains("Since the run of "), "{}", human.stdout);
    assert!(
        human.stdout.contains("new failure      users/user-locked-out"),
        "{}",
        human.stdout
    );
    // The reverse: yesterday's broken org, healthy today.
    let previous = saved_report(&broken, &healthy.url, dir.path());
    let (run, report) = check(&healthy, &["--compare", previous.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let changes = &report.unwrap()["changes"];
    let fixed: Vec<&str> = changes["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["change"].as_str().unwrap())
        .collect();
    assert_eq!(fixed, vec!["fixed"; failing.len()], "{changes:#}");
    // Another org's report is refused before anything is sent.
    let (run, _) = check(&broken, &["--compare", previous.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.assert_stderr_has("the previous report (--compare) is of");
}
