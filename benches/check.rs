//! Check benchmark: `kb check` over generated articles against the fake Okta org with latency on every request.
//!
//! ```sh
//! cargo bench --bench check                                   # 1,000 articles, 3 checks each, 50 apps, 20 ms
//! cargo bench --bench check -- --articles 5000 --apps 200 --latency-ms 50 --concurrency 16
//! cargo bench --bench check -- --v2                          # and two checks of the language's version 2 each
//! ```
//!
//! The fake org (`tests/support/okta`, a real HTTP server on loopback) serves one app per `--apps`, each with its
//! users and scope grants (every tenth app lacks its assignment and grant, so that some checks fail), and sleeps
//! `--latency-ms` before each answer. Reported: the requests the org saw against the distinct URLs among them (kb
//! fetches each URL once per run), 429 answers, and the wall time against the bound
//! `1.5 × (distinct URLs × latency / concurrency) + 0.5 s`. Under `cargo test --benches` it is a smoke run of 300
//! articles, with `--v2`, that still asserts one request per distinct URL and no 429.

#[allow(dead_code)]
#[path = "../tests/support/corpus.rs"]
mod corpus;
#[allow(dead_code)]
#[path = "../tests/support/measure.rs"]
mod measure;
#[allow(dead_code)]
#[path = "../tests/support/okta/mod.rs"]
mod okta;
#[allow(dead_code)]
#[path = "../tests/support/serve.rs"]
mod serve;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Duration;

use okta::fixture::{App, Fixture, OrgSettings, User};
use okta::{FakeOrg, Fault, TOKEN};

/// The org the generated articles ask about: app `k` of `apps`, users `user0`…`user4` and an owner.
fn org(apps: usize) -> Fixture {
    let mut users = BTreeMap::new();
    users.insert(
        "owner".to_string(),
        User {
            id: "00u0owner0000000000".into(),
            login: "owner@acme.test".into(),
            first_name: "Org".into(),
            last_name: "Owner".into(),
            mobile_phone: None,
            status: "ACTIVE".into(),
            roles: vec!["SUPER_ADMIN".into()],
            status_changed_days_ago: 1,
            provider: "OKTA".into(),
            provider_name: None,
        },
    );
    for u in 0..5 {
        users.insert(
            format!("user{u}"),
            User {
                id: format!("00u1user{u:011}"),
                login: corpus::user_login(u),
                first_name: "User".into(),
                last_name: format!("{u}"),
                mobile_phone: None,
                status: "ACTIVE".into(),
                roles: vec![],
                status_changed_days_ago: 1,
                provider: "OKTA".into(),
                provider_name: None,
            },
        );
    }
    let apps = (0..apps)
        .map(|k| {
            // Every tenth app has the problems the articles describe: the user unassigned, the scope not granted.
            let broken = k % 10 == 9;
            let app = App {
                id: format!("0oa1bench{k:011}"),
                name: corpus::app_name(k),
                label: format!("Bench App {k}"),
                status: "ACTIVE".into(),
                sign_on_mode: "SAML_2_0".into(),
                users: if broken { vec![] } else { vec![format!("user{}", k % 5)] },
                groups: vec![],
                grants: if broken {
                    BTreeMap::new()
                } else {
                    BTreeMap::from([(corpus::scope_of(k).to_string(), "ACTIVE".to_string())])
                },
                application_type: None,
                grant_types: vec![],
                redirect_uris: vec![],
                admin_roles: vec![],
                dpop: false,
                // Every seventh app's certificate expires within the month (the `--v2` check fails there).
                cert_expires_in_days: if k % 7 == 6 { 12 } else { 700 },
            };
            (format!("app{k}"), app)
        })
        .collect();
    Fixture {
        org: OrgSettings {
            owner: "owner".into(),
            page_size: 200,
            ..OrgSettings::default()
        },
        vars: BTreeMap::new(),
        users,
        groups: BTreeMap::new(),
        apps,
        api_tokens: BTreeMap::new(),
        event_hooks: BTreeMap::new(),
        group_rules: BTreeMap::new(),
        domains: BTreeMap::new(),
        log_streams: BTreeMap::new(),
        authenticators: BTreeMap::new(),
        idp_keys: BTreeMap::new(),
        skips: Vec::new(),
        resources: BTreeMap::new(),
    }
}

fn main() {
    let opts = corpus::Options {
        articles: corpus::arg("--articles", if corpus::benchmarking() { 1000 } else { 300 }),
        ..corpus::Options::from_args()
    };
    // The smoke run covers the language's version 2 too; a benchmark adds it only when asked (`--v2`).
    let opts = corpus::Options {
        v2: opts.v2 || !corpus::benchmarking(),
        ..opts
    };
    let latency = Duration::from_millis(corpus::arg("--latency-ms", 20) as u64);
    let concurrency = corpus::arg("--concurrency", 8);
    let site = tempfile::tempdir().unwrap();
    corpus::write_site(site.path(), &opts).unwrap();
    let fake = FakeOrg::serve(org(opts.apps));
    fake.inject(Fault::Latency(latency));

    let kb = Path::new(env!("CARGO_BIN_EXE_kb"));
    let report = site.path().join("report.json");
    let report_arg = report.to_string_lossy().into_owned();
    let concurrency_arg = concurrency.to_string();
    let args = [
        "check",
        "--org-url",
        &fake.url,
        "--concurrency",
        &concurrency_arg,
        "--format",
        "json",
        "--output",
        &report_arg,
    ];
    // Exit code 1: the broken apps' checks fail, as they should.
    let run = measure::run(site.path(), kb, &args, &[("OKTA_API_TOKEN", TOKEN)], 1);

    let seen = fake.seen();
    let api: Vec<_> = seen.iter().filter(|s| s.target.starts_with("/api/")).collect();
    let distinct: HashSet<&str> = api.iter().map(|s| s.target.as_str()).collect();
    let too_many = seen.iter().filter(|s| s.status == 429).count();
    let ideal = latency * distinct.len() as u32 / concurrency as u32;
    let bound = ideal.mul_f64(1.5) + Duration::from_millis(500);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let summary = &json["summary"];

    println!(
        "kb check: {} articles, {} checks each{}, {} apps; fake org with {} ms latency per request; concurrency {concurrency}",
        opts.articles,
        opts.checks_per_article(),
        if opts.v2 {
            " (with --v2: a keys request per SAML app, users judged item by item)"
        } else {
            ""
        },
        opts.apps,
        latency.as_millis()
    );
    println!(
        "| requests | distinct URLs | 429s | wall | bound 1.5 × (URLs × latency / concurrency) + 0.5 s | peak RSS |"
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {too_many} | {:.2} s | {:.2} s | {} |",
        api.len(),
        distinct.len(),
        run.wall.as_secs_f64(),
        bound.as_secs_f64(),
        measure::mb(run.peak_rss_kb)
    );
    println!(
        "report summary: {} checks run, {} articles pass, {} fail, {} error, {} skip",
        summary["checks"], summary["pass"], summary["fail"], summary["error"], summary["skip"]
    );
    println!(
        "wall time {} the bound",
        if run.wall <= bound { "is within" } else { "EXCEEDS" }
    );
    // What the run must do whatever the machine's speed.
    assert_eq!(api.len(), distinct.len(), "every distinct URL is fetched once");
    assert_eq!(
        too_many, 0,
        "no 429: the org's rate-limit headers allowed every request"
    );
    assert_eq!(
        summary["checks"].as_u64(),
        Some((opts.checks_per_article() * opts.articles) as u64),
        "every check ran"
    );
    assert_eq!(summary["error"].as_u64(), Some(0), "no check could not observe");
}
