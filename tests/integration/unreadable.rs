//! Answers kb cannot read, one test per row of README's table: the real `kb check` binary, under GNU time, against
//! the fake org on loopback answering one path with what a proxy, a portal or a hostile server might send (or a raw
//! server, where even the fake's HTTP server would refuse to send it). None ends as `pass` or `skip`: every check
//! is an `error` whose reason and message say what arrived, `kb check` exits 3 within `--timeout` plus a few
//! seconds, and its peak memory stays under 200 MB.
//!
//! `cargo test --test integration unreadable -- --nocapture --test-threads 1` prints each row's figures.

use std::time::Duration;

use serde_json::Value;

use kb::checks::answer::size;

use crate::support::measure::{self, Measured};
use crate::support::okta::hostile::{Answer, Payload, RawServer};
use crate::support::okta::{FakeOrg, Fault, TOKEN, fixture};
use crate::support::{self, json_report};

const ARTICLE: &str = "workflows/403-not-assigned-app";
/// The first step of the article's two checks: `GET /api/v1/apps?q=...`, one URL each.
const LIST: &str = "/api/v1/apps";
/// Their last step, which names only a status: `GET /api/v1/apps/{appId}/users/{userId}`.
const STATUS_ONLY: &str = "/api/v1/apps/";
/// Seconds each request may take.
const TIMEOUT: u64 = 3;
const PEAK_MB: u64 = 200;

/// Where the run goes, and how many requests the faulty server got.
enum Server {
    Fake(FakeOrg, &'static str),
    Raw(RawServer),
}

impl Server {
    fn url(&self) -> &str {
        match self {
            Server::Fake(f, _) => &f.url,
            Server::Raw(r) => &r.url,
        }
    }

    /// Requests that reached the faulty path, and how many distinct URLs they were for.
    fn requests(&self) -> (usize, usize) {
        match self {
            Server::Fake(f, path) => {
                let seen: Vec<String> = f
                    .seen()
                    .into_iter()
                    .filter(|s| s.target.starts_with(path))
                    .map(|s| s.target)
                    .collect();
                let mut distinct = seen.clone();
                distinct.sort();
                distinct.dedup();
                (seen.len(), distinct.len())
            }
            // The raw server answers each check's first request: one URL per check.
            Server::Raw(r) => (r.answered(), 2),
        }
    }
}

fn fake(org: &str, path: &'static str, faults: Vec<Fault>) -> Server {
    let f = FakeOrg::start(org);
    for fault in faults {
        f.inject(fault);
    }
    Server::Fake(f, path)
}

fn answer(org: &str, path: &'static str, answer: Answer) -> Server {
    fake(
        org,
        path,
        vec![Fault::Answer {
            path: path.into(),
            answer,
        }],
    )
}

/// `kb check ARTICLE` against `url` under GNU time, expecting exit 3: what it measured, and the JSON report.
fn measured(url: &str, extra: &[&str]) -> (Measured, Value) {
    let vars: Vec<String> = fixture::load("healthy")
        .vars
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let timeout = TIMEOUT.to_string();
    let mut args = vec!["check", "--org-url", url, "--format", "json", "--timeout", &timeout];
    for v in &vars {
        args.extend(["--var", v.as_str()]);
    }
    args.extend(extra);
    args.push(ARTICLE);
    let kb = std::path::Path::new(env!("CARGO_BIN_EXE_kb"));
    let env = [("OKTA_API_TOKEN", TOKEN), ("NO_COLOR", "1")];
    let m = measure::run(&support::repo(), kb, &args, &env, 3);
    let report = json_report(&m.stdout).unwrap_or_else(|| panic!("no JSON report:\n{}", m.stderr));
    (m, report)
}

/// A row whose answer is not retried, with `kb check`'s default flags.
fn row(name: &str, server: Server, reason: &str, says: &str) {
    row_with(name, server, &[], reason, says, false);
}

/// Runs one row: every check of the article is an `error` with `reason` whose message holds `says`; retried or
/// not as `retried` says; within the time and memory bounds.
fn row_with(name: &str, server: Server, extra: &[&str], reason: &str, says: &str, retried: bool) {
    let (m, report) = measured(server.url(), extra);
    assert!(!m.stderr.contains("panicked"), "{name}: {}", m.stderr);
    let checks: Vec<&Value> = report["articles"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["checks"].as_array().unwrap())
        .collect();
    assert_eq!(checks.len(), 2, "{name}: {report:#}");
    for c in &checks {
        assert_eq!(c["status"], "error", "{name}: {c}");
        assert_eq!(c["reason"], reason, "{name}: {c}");
        let message = c["message"].as_str().unwrap();
        assert!(message.contains(says), "{name}: `{says}` not in {message:?}");
    }
    assert_eq!(report["summary"]["error"], 1, "{name}");
    let (requests, urls) = server.requests();
    assert!(
        requests >= urls && urls > 0,
        "{name}: {requests} requests for {urls} URLs"
    );
    assert_eq!(requests > urls, retried, "{name}: {requests} requests for {urls} URLs");
    let bound = Duration::from_secs(TIMEOUT + 5);
    assert!(m.wall < bound, "{name}: {:?}", m.wall);
    let peak_mb = m.peak_rss_kb / 1024;
    assert!(peak_mb < PEAK_MB, "{name}: peak {peak_mb} MB");
    println!(
        "| {name} | `{reason}` | {} | {peak_mb} MB | {:.1} s |",
        if retried { "yes" } else { "no" },
        m.wall.as_secs_f64()
    );
}

const HEALTHY: &str = "healthy";
const NOT_ASSIGNED: &str = "broken/workflows/403-not-assigned-app";

#[test]
fn html_200_on_a_list_step() {
    let server = answer(HEALTHY, LIST, Answer::sign_in_page(200));
    let says = "the org answered 200 with text/html (102 bytes), not JSON (expected value at line 1 column 1): \
                `<html><head><title>Sign in to continue</title></head><body><…`";
    row("HTML 200 on a list step", server, "body", says);
}

#[test]
fn html_200_on_a_status_only_step_of_an_org_that_fails() {
    // Without the proxy this org fails (the admin is not assigned); a 200 page must not turn that into a pass.
    let server = answer(NOT_ASSIGNED, STATUS_ONLY, Answer::sign_in_page(200));
    let says = "the org answered 200 with text/html (102 bytes), not JSON";
    row("HTML 200 on a status-only step", server, "body", says);
}

#[test]
fn a_proxys_404_page_on_a_status_only_step() {
    // A 404 counts as "not assigned" only with Okta's E0000007 JSON.
    let server = answer(HEALTHY, STATUS_ONLY, Answer::sign_in_page(404));
    let says = "the org answered 404 with text/html (102 bytes), not JSON";
    row("a proxy's 404 HTML on a status-only step", server, "body", says);
}

#[test]
fn nul_bytes() {
    let server = answer(HEALTHY, LIST, Answer::json(200, vec![0u8; 1 << 20]));
    let says = "the org answered 200 with application/json (1.0 MiB), not JSON (expected value at line 1 column 1): \
                `\\0\\0\\0";
    row("1 MiB of NUL bytes", server, "body", says);
}

#[test]
fn truncated_json() {
    let server = answer(
        HEALTHY,
        LIST,
        Answer::json(200, r#"[{"id":"0oa1flowsso00000001","name":"okta_fl"#),
    );
    let says = "JSON that ends early, at line 1 column 44";
    row("truncated JSON", server, "body", says);
}

#[test]
fn a_json_string_where_a_list_belongs() {
    let server = answer(HEALTHY, LIST, Answer::json(200, r#""okta_flow_sso""#));
    let says = "the org answered 200 with a JSON string, not the list GET /api/v1/apps gives: `\"okta_flow_sso\"`";
    row("a JSON string where a list belongs", server, "body", says);
}

#[test]
fn json_nested_a_million_levels_deep() {
    let deep = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
    let server = answer(HEALTHY, LIST, Answer::json(200, deep));
    row(
        "JSON nested a million levels deep",
        server,
        "body",
        "JSON nested deeper than 128 levels",
    );
}

/// 3 GiB of `0,0,0,…` in 64 KiB chunks.
fn three_gib(advertise: bool) -> Answer {
    Answer::repeated(",0".repeat(32 << 10), 3 << 14, advertise)
}

#[test]
fn a_body_over_the_cap_with_its_length_advertised() {
    let server = answer(HEALTHY, LIST, three_gib(true));
    let says = "the org answered 200 with a body of 3.0 GiB (its Content-Length), over the cap of 32.0 MiB for one \
                answer (--max-body); kb did not read GET";
    row("a 3 GiB body, its length advertised", server, "body", says);
}

#[test]
fn a_body_over_the_cap_streamed_without_a_length() {
    let server = answer(HEALTHY, LIST, three_gib(false));
    let says = "was still coming after 32.0 MiB, the cap for one answer (--max-body); kb stopped reading it";
    row("a 3 GiB body streamed without a length", server, "body", says);
}

/// Tens of millions of values in a body under the byte cap: refused while parsing, by the memory they would take.
/// The cap is raised to 50 MiB so that 25 million fit under it (at the default 32 MiB, 16 million would).
#[test]
fn twenty_five_million_small_numbers_under_the_byte_cap() {
    let mut list = String::with_capacity(50 << 20);
    list.push_str("[0");
    for _ in 0..25_000_000 {
        list.push_str(",0");
    }
    list.push(']');
    assert!(list.len() < 50 << 20);
    let server = answer(HEALTHY, LIST, Answer::json(200, list));
    let says = "JSON that would take more than 50.0 MiB of memory once parsed";
    let name = "25 million small numbers (48 MiB, under a `--max-body` of 50 MiB)";
    row_with(name, server, &["--max-body", "50MiB"], "body", says, false);
}

#[test]
fn a_gzip_bomb() {
    let bomb = Answer::gzip_bomb(8);
    let (compressed, inflated) = bomb.gzip_bomb_sizes();
    assert!(compressed < 4 << 20 && inflated >= 2 << 30, "{compressed} → {inflated}");
    let server = answer(HEALTHY, LIST, bomb);
    let says = "inflates to more than 32.0 MiB, the cap for one answer (--max-body); kb stopped inflating it";
    let name = format!("a gzip bomb ({} inflating to {})", size(compressed), size(inflated));
    row(&name, server, "body", says);
}

#[test]
fn an_encoding_kb_did_not_ask_for() {
    let server = answer(
        HEALTHY,
        LIST,
        Answer::json(200, vec![0x1b, 0x03, 0x00]).with("content-encoding", "br"),
    );
    let says = "the org answered 200 with `Content-Encoding: br`, which kb did not ask for (it asks for gzip)";
    row("an unrequested encoding (br)", server, "body", says);
}

/// The apps list's `next` link goes back to a page already read: from page `page`.
fn looping(name: &str, pair: bool, page: usize) {
    let loops = Fault::Loop {
        path: LIST.into(),
        pair,
    };
    let says = format!("page {page} of the list http://");
    let server = fake(HEALTHY, LIST, vec![loops]);
    row(name, server, "body", &says);
}

#[test]
fn a_next_link_to_the_page_itself() {
    looping("a next link to the page itself", false, 1);
}

#[test]
fn two_pages_linking_to_each_other() {
    looping("two pages linking to each other", true, 2);
}

#[test]
fn one_byte_per_second() {
    let trickle = Answer {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: Payload::Trickle {
            bytes: br#"[{"id":"0oa1","name":"okta_flow_sso"}]"#.to_vec(),
            every: Duration::from_secs(1),
        },
    };
    let server = answer(HEALTHY, LIST, trickle);
    row("one byte per second", server, "timeout", "timed out waiting for");
}

#[test]
fn a_1_mb_header() {
    let server = answer(
        HEALTHY,
        LIST,
        Answer::json(200, "[]").with("x-padding", &"a".repeat(1 << 20)),
    );
    let says = "could not be read: its status line or headers are malformed or over the HTTP client's limits \
                (message head is too large)";
    row("a 1 MB header", server, "body", says);
}

#[test]
fn a_hundred_thousand_headers() {
    let server = Server::Raw(RawServer::with_headers((0..100_000).map(|i| format!("x-h{i}: v"))));
    let says = "could not be read: its status line or headers are malformed or over the HTTP client's limits \
                (message head is too large)";
    row("100,000 headers", server, "body", says);
}

#[test]
fn a_429_with_garbage_rate_limit_reset_and_date() {
    let faults = vec![
        Fault::TooMany {
            path: LIST.into(),
            times: u32::MAX,
            reset_in: 1,
        },
        Fault::Headers(vec![
            ("x-rate-limit-reset".into(), "soon".into()),
            ("date".into(), "the day after tomorrow".into()),
        ]),
    ];
    // The reset cannot be read: kb waits by its own backoff (0.4 s, 0.8 s, 1.6 s), then gives up.
    let server = fake(HEALTHY, LIST, faults);
    let says = "429 E0000047: API call exceeded rate limit due to too many requests.: rate limited";
    row_with(
        "a 429 with a garbage X-Rate-Limit-Reset and Date",
        server,
        &[],
        "rate_limited",
        says,
        true,
    );
}

#[test]
fn the_token_endpoints_page_is_not_a_verdict_on_the_credentials() {
    // With the service app's credential (see check_run.rs) the token endpoint is read through the same reader.
    let org = FakeOrg::start(HEALTHY);
    org.inject(Fault::Answer {
        path: "/oauth2/v1/token".into(),
        answer: Answer::sign_in_page(200),
    });
    let dir = tempfile::tempdir().unwrap();
    let key = rsa::pkcs8::EncodePrivateKey::to_pkcs8_pem(
        &rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap(),
        rsa::pkcs8::LineEnding::LF,
    )
    .unwrap();
    std::fs::write(dir.path().join("key.pem"), key.as_bytes()).unwrap();
    for sub in ["content", "checks", "catalogues"] {
        support::copy_tree(&support::repo().join(sub), &dir.path().join(sub));
    }
    let mut toml = support::read(support::repo().join("kb.toml"));
    toml.push_str(&format!(
        "\n[orgs.test]\nurl = \"{}\"\nclient_id = \"0oa1kbservice000008\"\nprivate_key_file = \"key.pem\"\n",
        org.url
    ));
    std::fs::write(dir.path().join("kb.toml"), toml).unwrap();
    let run = support::kb_env(
        dir.path(),
        &["check", "--format", "json", "--var", "admin=alice@acme.test", ARTICLE],
        &[],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = json_report(&run.stdout).unwrap();
    for c in report["articles"][0]["checks"].as_array().unwrap() {
        assert_eq!(c["reason"], "body", "{c}");
        assert!(
            c["message"].as_str().unwrap().starts_with(
                "the token endpoint answered 200 with text/html (102 bytes), not JSON (expected value at line 1 \
                 column 1): `<html>"
            ),
            "{c}"
        );
    }
}

/// A run-wide budget smaller than what the checks read: the answers that do not fit are errors, never verdicts.
#[test]
fn answers_past_the_runs_budget_are_errors() {
    let org = FakeOrg::start(HEALTHY);
    let (run, report) = support::check(&org, &["--max-total", "4KiB"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let report = report.unwrap();
    let mut over = 0;
    for a in report["articles"].as_array().unwrap() {
        for c in a["checks"].as_array().unwrap() {
            if c["reason"] == "body" {
                assert!(
                    c["message"]
                        .as_str()
                        .unwrap()
                        .starts_with("the answers of this run would hold more than 4.0 KiB (--max-total)"),
                    "{c}"
                );
                over += 1;
            } else {
                assert_ne!(c["status"], "skip", "{c}");
            }
        }
    }
    assert!(over > 0, "{report:#}");
}

/// gzip is asked for and read, as Okta sends it.
#[test]
fn gzip_answers_are_read() {
    let org = FakeOrg::start(HEALTHY);
    org.inject(Fault::Gzip);
    let (run, report) = support::check(&org, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(support::statuses(&report.unwrap()).values().all(|s| s == "pass"));
    let seen = org.seen();
    let api: Vec<_> = seen.iter().filter(|s| s.target.starts_with("/api/")).collect();
    assert!(
        !api.is_empty() && api.iter().all(|s| s.encoding.as_deref() == Some("gzip")),
        "{api:#?}"
    );
}

/// A `Date` kb cannot read on an answer it can: the verdict stands, and the run says so (and its log, per request).
#[test]
fn an_unreadable_date_is_noted() {
    let org = FakeOrg::start(HEALTHY);
    org.inject(Fault::Headers(vec![("date".into(), "Tuesday-ish".into())]));
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.log");
    let (run, report) = support::check(&org, &["--log", log.to_str().unwrap(), ARTICLE]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(support::statuses(&report.unwrap())[ARTICLE], "pass");
    run.assert_stderr_has("answers had no readable `Date` header; kb waited for rate-limit resets by its own clock");
    let log = support::read(&log);
    assert!(log.lines().all(|l| l.contains(r#""date":"unreadable""#)), "{log}");
}
