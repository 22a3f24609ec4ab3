//! The CI recipes (`examples/ci/`): each is YAML with the expected job, and the script both call runs twice against
//! the same org, healthy then broken, the second run comparing with the first's report and reporting the change.

use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::okta::{FakeOrg, TOKEN, fixture};
use crate::support::{read, repo};

fn yaml(name: &str) -> serde_norway::Value {
    serde_norway::from_str(&read(repo().join("examples/ci").join(name))).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn the_ci_recipes_are_yaml_with_a_scheduled_job_that_runs_the_script() {
    let gh = yaml("github-actions.yml");
    assert!(gh["on"]["schedule"][0]["cron"].as_str().is_some(), "a daily schedule");
    let steps = gh["jobs"]["check"]["steps"]
        .as_sequence()
        .expect("the check job's steps");
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(runs.iter().any(|r| r.contains("examples/ci/install-kb.sh")), "{runs:?}");
    assert!(
        runs.iter().any(|r| r.contains("examples/ci/kb-scheduled-check.sh")),
        "{runs:?}"
    );
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    for action in [
        "actions/cache/restore@",
        "actions/cache/save@",
        "actions/upload-artifact@",
    ] {
        assert!(uses.iter().any(|u| u.starts_with(action)), "{action} in {uses:?}");
    }
    let lab = yaml("gitlab-ci.yml");
    let job = &lab["kb-check"];
    let script: Vec<&str> = job["script"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert!(
        script.iter().any(|s| s.contains("examples/ci/kb-scheduled-check.sh")),
        "{script:?}"
    );
    assert_eq!(job["artifacts"]["reports"]["junit"].as_str(), Some("out/junit.xml"));
    assert!(job["rules"][0]["if"].as_str().unwrap().contains("schedule"));
    for text in [
        read(repo().join("examples/ci/github-actions.yml")),
        read(repo().join("examples/ci/gitlab-ci.yml")),
    ] {
        assert!(
            !text.contains("BEGIN") && !text.contains("00T"),
            "nothing secret in a recipe"
        );
    }
}

/// The script, with this kb, against the org at `url`.
fn scheduled(state: &std::path::Path, out: &std::path::Path, fake: &FakeOrg) -> (i32, Value) {
    let mut cmd = Command::new("bash");
    cmd.arg(repo().join("examples/ci/kb-scheduled-check.sh"))
        .arg(state)
        .arg(out)
        .args(["users", "--org-url", &fake.url, "--root"])
        .arg(repo())
        .env("KB", assert_cmd::cargo::cargo_bin!("kb"))
        .env("OKTA_API_TOKEN", TOKEN)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_STEP_SUMMARY");
    for v in fake.vars() {
        cmd.args(["--var", &v]);
    }
    let done = cmd.output().unwrap();
    let report = serde_json::from_str(&read(out.join("report.json"))).unwrap();
    crate::support::assert_valid_report(&report);
    (done.status.code().unwrap_or(-1), report)
}

#[test]
fn the_scheduled_script_compares_each_run_with_the_last() {
    let (state, out) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let healthy = FakeOrg::start("healthy");
    let (code, first) = scheduled(state.path(), out.path(), &healthy);
    assert_eq!(code, 0);
    assert!(first.get("changes").is_none(), "nothing to compare with yet");
    assert!(state.path().join("previous.json").exists());
    // The next day: the same org (its address), one user locked out.
    let addr = healthy.url.trim_start_matches("http://").to_string();
    drop(healthy);
    let broken = FakeOrg::serve_on(fixture::load("broken/users/user-locked-out"), &addr);
    let (code, second) = scheduled(state.path(), out.path(), &broken);
    assert_eq!(code, 1);
    let changed: Vec<String> = second["changes"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {}#{}",
                c["change"].as_str().unwrap(),
                c["slug"].as_str().unwrap(),
                c["check"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(changed, ["new_failure users/user-locked-out#no-user-locked-out"]);
    for f in ["junit.xml", "report.html", "summary.md"] {
        assert!(out.path().join(f).exists(), "{f}");
    }
    assert!(read(out.path().join("summary.md")).contains("1 new failure"));
}

#[test]
fn a_previous_report_kb_refuses_is_set_aside_and_the_run_goes_on() {
    let (state, out) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    std::fs::write(state.path().join("previous.json"), "{\"schema_version\": 99}").unwrap();
    let healthy = FakeOrg::start("healthy");
    let (code, report) = scheduled(state.path(), out.path(), &healthy);
    assert_eq!(code, 0);
    assert!(report.get("changes").is_none());
    assert!(state.path().join("previous.json.refused").exists());
    assert!(
        state.path().join("previous.json").exists(),
        "this run is the next one's previous report"
    );
}
