//! Every article with checks against the fake org: its checks pass on the healthy org and fail on the org that has
//! its problem, while every other article still passes there. One test per article, generated from the content
//! and the fixtures (a custom harness), so an article added with checks but without a broken org fails here. A
//! broken org that lacks a feature names the articles that then do not apply (`skips`): those must skip.

#[path = "../support/mod.rs"]
mod support;

use std::collections::BTreeMap;

use libtest_mimic::{Arguments, Failed, Trial};
use support::okta::{FakeOrg, fixture};

/// The live run's article statuses, after proving that a snapshot of the same org, replayed once the org's
/// server has stopped, gives every check the same status without attempting a connection.
fn run(org: &str) -> Result<BTreeMap<String, String>, Failed> {
    let fake = FakeOrg::start(org);
    let (run, report) = support::check(&fake, &[]);
    let report = report.ok_or_else(|| format!("no JSON report (exit {}):\n{}", run.code, run.stderr))?;
    for a in report["articles"].as_array().unwrap() {
        for c in a["checks"].as_array().unwrap() {
            if c["status"] == "error" {
                return Err(format!("{} / {}: error: {}", a["slug"], c["id"], c["message"]).into());
            }
        }
    }
    replayed_alike(org, fake, &report)?;
    Ok(support::statuses(&report))
}

/// `kb snapshot` of the org, the org stopped and its address listened on, `kb check --snapshot`: the same status
/// for every check, no connection to the org's address, and none of the org's people in the snapshot or the replay.
fn replayed_alike(org: &str, fake: FakeOrg, live: &serde_json::Value) -> Result<(), Failed> {
    let dir = tempfile::TempDir::new().unwrap();
    let file = dir.path().join("org.json.gz");
    let took = support::snapshot(&fake, &file, &[]);
    if took.code != 0 {
        return Err(format!("kb snapshot exit {}:\n{}", took.code, took.stderr).into());
    }
    if took.stderr.contains("warning:") {
        return Err(format!("kb snapshot warned:\n{}", took.stderr).into());
    }
    let addr = fake.url.trim_start_matches("http://").to_string();
    drop(fake);
    // Listening where the org was: a connection attempt would be accepted here. (Should another test's server have
    // taken the port meanwhile, the stopped org still proves it: an attempt would fail and the statuses differ.)
    let listener = std::net::TcpListener::bind(&addr).ok();
    if let Some(l) = &listener {
        l.set_nonblocking(true).unwrap();
    }
    let (run, replay) = support::replay(&file, &[]);
    let replay =
        replay.ok_or_else(|| format!("no JSON report from the replay (exit {}):\n{}", run.code, run.stderr))?;
    if let Some(Ok((_, peer))) = listener.as_ref().map(|l| l.accept()) {
        return Err(format!("the replay connected to the org's address (from {peer})").into());
    }
    let (want, got) = (support::check_statuses(live), support::check_statuses(&replay));
    if want != got {
        let differ: Vec<String> = want
            .iter()
            .filter(|(k, v)| got.get(*k) != Some(v))
            .map(|(k, v)| format!("{k}: live {v}, replay {:?}", got.get(k)))
            .collect();
        return Err(format!("the replay differs from the live run:\n{}", differ.join("\n")).into());
    }
    let people = fixture::load(org).people();
    let text = support::snapshot_json(&file).to_string();
    for (what, shown) in [("snapshot", &text), ("replay", &run.stdout)] {
        let found = support::people_in(shown, &people);
        if !found.is_empty() {
            return Err(format!("the {what} holds {found:?}:\n{shown}").into());
        }
    }
    if replay["snapshot"]["taken_at"].as_str().is_none_or(str::is_empty) {
        return Err("the replay's report does not say it came from a snapshot".into());
    }
    Ok(())
}

/// The articles that have checks, and whether each is about Workflows.
fn articles() -> Vec<(String, bool)> {
    let (content, checks) = support::knowledge_base();
    content
        .articles
        .iter()
        .zip(&checks.by_article)
        .filter(|(_, c)| !c.is_empty())
        .map(|(a, _)| (a.slug.clone(), a.meta.products.iter().any(|p| p == "Workflows")))
        .collect()
}

fn expect(got: &BTreeMap<String, String>, want: impl Fn(&str) -> &'static str) -> Result<(), Failed> {
    let mut wrong = Vec::new();
    for (slug, _) in articles() {
        let w = want(&slug);
        match got.get(&slug) {
            Some(s) if s == w => {}
            other => wrong.push(format!("{slug}: expected {w}, got {other:?}")),
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("\n").into())
    }
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![
        Trial::test("healthy org: every article passes", || {
            expect(&run("healthy")?, |_| "pass")
        }),
        Trial::test(
            "org without Workflows: the Workflows articles skip, the others pass",
            || {
                let workflows: Vec<String> = articles().into_iter().filter(|a| a.1).map(|a| a.0).collect();
                if workflows.is_empty() {
                    return Err("no Workflows article has checks".into());
                }
                expect(&run("no-workflows")?, |slug| {
                    if workflows.iter().any(|w| w == slug) {
                        "skip"
                    } else {
                        "pass"
                    }
                })
            },
        ),
    ];
    let fixtures = fixture::broken();
    for (slug, _) in articles() {
        let name = format!("broken org for {slug}: it fails, every other article passes");
        let has = fixtures.contains(&slug);
        trials.push(Trial::test(name, move || {
            if !has {
                return Err(
                    format!("no org with this article's problem: add tests/fixtures/orgs/broken/{slug}.toml").into(),
                );
            }
            let org = format!("broken/{slug}");
            let skips = fixture::load(&org).skips;
            let got = run(&org)?;
            expect(&got, |s| match s {
                s if s == slug => "fail",
                s if skips.iter().any(|k| k == s) => "skip",
                _ => "pass",
            })
        }));
    }
    let with_checks: Vec<String> = articles().into_iter().map(|a| a.0).collect();
    for f in fixtures {
        if !with_checks.contains(&f) {
            trials.push(Trial::test(
                format!("broken org {f} belongs to an article with checks"),
                move || Err(format!("tests/fixtures/orgs/broken/{f}.toml names no article with checks").into()),
            ));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
