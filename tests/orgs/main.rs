//! Every article with checks against the fake org: its checks pass on the healthy org and fail on the org that has
//! its problem, while every other article still passes there. One test per article, generated from the content
//! and the fixtures (a custom harness), so an article added with checks but without a broken org fails here. A
//! broken org that lacks a feature names the articles that then do not apply (`skips`): those must skip.

#[path = "../support/mod.rs"]
mod support;

use std::collections::BTreeMap;

use libtest_mimic::{Arguments, Failed, Trial};
use support::okta::{FakeOrg, fixture};

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
    Ok(support::statuses(&report))
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
