//! Waivers against the fake org: an accepted failure leaves the run at exit 0 and shows in every format; an expired
//! one counts again with a warning; `run = false` skips; a waiver of three findings does not accept a fourth; a bad
//! waivers file is reported at its places (golden). "Today" is fixed through `KB_TODAY`.

use std::path::Path;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::okta::{FakeOrg, TOKEN, fixture};
use crate::support::{self, Run, copy_tree, kb_env, repo};

const TODAY: &str = "2026-12-01";

/// A copy of the knowledge base with this `waivers.toml`.
fn site(waivers: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    for sub in ["content", "checks", "catalogues"] {
        copy_tree(&repo().join(sub), &dir.path().join(sub));
    }
    std::fs::copy(repo().join("kb.toml"), dir.path().join("kb.toml")).unwrap();
    std::fs::write(dir.path().join("waivers.toml"), waivers).unwrap();
    dir
}

/// `kb check users/user-locked-out` of the site against the org, on `today`, in `format`.
fn check(site: &Path, fake: &FakeOrg, today: &str, format: &str) -> Run {
    let mut args = vec![
        "check",
        "users/user-locked-out",
        "--org-url",
        fake.url.as_str(),
        "--format",
        format,
    ];
    let vars = fake.vars();
    for v in &vars {
        args.extend(["--var", v.as_str()]);
    }
    kb_env(site, &args, &[("OKTA_API_TOKEN", TOKEN), ("KB_TODAY", today)])
}

const LOCKED: &str = "[[waiver]]\ncheck = \"users/user-locked-out#no-user-locked-out\"\n\
                      reason = \"Bob's account is locked on purpose while he is on leave\"\nexpires = 2027-01-15\n\
                      owner = \"iam-team@acme.test\"\n";

#[test]
fn a_waived_failure_leaves_the_run_at_zero_and_every_format_shows_the_waiver() {
    let fake = FakeOrg::start("broken/users/user-locked-out");
    let site = site(LOCKED);
    for format in ["human", "json", "junit", "markdown", "html", "summary"] {
        let run = check(site.path(), &fake, TODAY, format);
        assert_eq!(run.code, 0, "{format}: {}\n{}", run.stderr, run.stdout);
        let shown = if format == "json" {
            "\"expires\": \"2027-01-15\""
        } else {
            "waived until 2027-01-15"
        };
        assert!(run.stdout.contains(shown), "{format}:\n{}", run.stdout);
        assert!(run.stdout.contains("on leave"), "{format}:\n{}", run.stdout);
    }
    let json = support::json_report(&check(site.path(), &fake, TODAY, "json").stdout).unwrap();
    let c = support::checks_of(&json, "users/user-locked-out")
        .iter()
        .find(|c| c["id"] == "no-user-locked-out")
        .unwrap();
    assert_eq!(c["status"], "fail", "a waived check keeps its real status: {c}");
    assert_eq!(c["waiver"]["accepted"], true, "{c}");
    assert_eq!(c["waiver"]["owner"], "iam-team@acme.test");
    assert_eq!(json["summary"]["waived"], 1);
    let junit = check(site.path(), &fake, TODAY, "junit").stdout;
    assert!(
        !junit.contains("<failure") && junit.contains("<skipped message="),
        "{junit}"
    );
    assert!(junit.contains("failures=\"0\""), "{junit}");
}

#[test]
fn an_expired_waiver_counts_again_with_a_warning() {
    let fake = FakeOrg::start("broken/users/user-locked-out");
    let site = site(LOCKED);
    let run = check(site.path(), &fake, "2027-01-16", "human");
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.assert_stderr_has("the waiver of the check users/user-locked-out#no-user-locked-out expired on 2027-01-15");
    assert!(!run.stdout.contains("waived"), "{}", run.stdout);
    let soon = check(site.path(), &fake, "2027-01-05", "human");
    assert_eq!(soon.code, 0, "{}", soon.stderr);
    soon.assert_stderr_has("expires on 2027-01-15 (in 10 days)");
}

#[test]
fn a_waiver_that_says_not_to_run_skips_the_check() {
    let fake = FakeOrg::start("broken/users/user-locked-out");
    let site = site(&format!("{LOCKED}run = false\n"));
    let json = support::json_report(&check(site.path(), &fake, TODAY, "json").stdout).unwrap();
    let c = support::checks_of(&json, "users/user-locked-out")
        .iter()
        .find(|c| c["id"] == "no-user-locked-out")
        .unwrap();
    assert_eq!(
        (c["status"].as_str(), c["reason"].as_str()),
        (Some("skip"), Some("waived")),
        "{c}"
    );
    assert!(
        !fake.seen().iter().any(|s| s.target.contains("LOCKED_OUT")),
        "not run: nothing asked"
    );
}

#[test]
fn a_waiver_of_three_findings_does_not_accept_a_fourth() {
    let mut org = fixture::load("broken/users/user-locked-out");
    let mut logins = vec![org.users["bob"].login.clone()];
    for n in 1..=3 {
        let mut u = org.users["bob"].clone();
        u.id = format!("00u1locked000000000{n}");
        u.login = format!("locked{n}@acme.test");
        logins.push(u.login.clone());
        org.users.insert(format!("locked{n}"), u);
    }
    let fake = FakeOrg::serve(org);
    let waiver = |accepted: &[String]| {
        let list: Vec<String> = accepted.iter().map(|l| format!("{l:?}")).collect();
        format!("{LOCKED}findings = [{}]\n", list.join(", "))
    };
    let three = site(&waiver(&logins[..3]));
    let run = check(three.path(), &fake, TODAY, "json");
    assert_eq!(run.code, 1, "the fourth locked-out user counts: {}", run.stderr);
    let json: Value = support::json_report(&run.stdout).unwrap();
    let c = support::checks_of(&json, "users/user-locked-out")
        .iter()
        .find(|c| c["id"] == "no-user-locked-out")
        .unwrap();
    assert_eq!(c["waiver"]["accepted"], false, "{c}");
    let four = site(&waiver(&logins));
    assert_eq!(check(four.path(), &fake, TODAY, "json").code, 0);
}

#[test]
fn a_bad_waivers_file_is_reported_at_its_places() {
    let bad = "\
[[waiver]]
check = \"users/user-locked-out#no-such-check\"
reason = \"r\"
expires = 2027-01-15

[[waiver]]
article = \"users/user-lockd-out\"
reason = \"r\"
expires = 2027-01-15

[[waiver]]
check = \"users/user-locked-out#no-user-locked-out\"
expires = 2027-01-15

[[waiver]]
check = \"users/user-suspended#no-user-suspended\"
reason = \"r\"
expires = 2027-01-15T10:00:00

[[waiver]]
check = \"users/user-password-expired#no-user-password-expired\"
reason = \"r\"
expires = 2029-01-01

[[waiver]]
check = \"users/user-locked-out#admin-not-locked-out\"
reason = \"r\"
expires = 2027-01-15

[[waiver]]
check = \"users/user-locked-out#admin-not-locked-out\"
reason = \"again\"
expires = 2027-02-15

[[waiver]]
article = \"users/user-locked-out\"
reason = \"the whole article too\"
expires = 2027-02-15

[[waiver]]
article = \"users/user-suspended\"
reason = \"r\"
expires = 2027-01-15
run = false
findings = [\"x\"]
";
    let site = site(bad);
    let env = [("KB_TODAY", TODAY)];
    let check = kb_env(site.path(), &["check", "--org-url", "https://acme.okta.com"], &env);
    assert_eq!(check.code, 2, "{}", check.stderr);
    let validate = kb_env(site.path(), &["validate"], &env);
    assert_eq!(validate.code, 2, "{}", validate.stderr);
    insta::assert_snapshot!("bad_waivers", check.stderr);
}

#[test]
fn a_replay_of_another_orgs_snapshot_ignores_the_knowledge_bases_waivers() {
    let fake = FakeOrg::start("broken/users/user-locked-out");
    let site = site(LOCKED);
    let file = site.path().join("org.json.gz");
    let mut args = vec![
        "snapshot",
        "users/user-locked-out",
        "--org-url",
        fake.url.as_str(),
        "--output",
    ];
    args.push(file.to_str().unwrap());
    let vars = fake.vars();
    for v in &vars {
        args.extend(["--var", v.as_str()]);
    }
    let took = kb_env(site.path(), &args, &[("OKTA_API_TOKEN", TOKEN)]);
    assert_eq!(took.code, 0, "{}", took.stderr);
    drop(fake);
    let env = [("KB_TODAY", TODAY)];
    let replay = kb_env(site.path(), &["check", "--snapshot", file.to_str().unwrap()], &env);
    assert_eq!(replay.code, 1, "waivers.toml is not the customer's: {}", replay.stdout);
    let waivers = site.path().join("waivers.toml");
    let given = [
        "check",
        "--snapshot",
        file.to_str().unwrap(),
        "--waivers",
        waivers.to_str().unwrap(),
    ];
    assert_eq!(
        kb_env(site.path(), &given, &env).code,
        0,
        "a --waivers given for the replay applies"
    );
}
