//! `kb init`: a new knowledge base that validates, builds and plans a check at once, in an empty folder only.

use crate::support::{kb, read};

#[test]
fn a_new_knowledge_base_validates_builds_and_plans_a_check_cleanly() {
    let parent = tempfile::tempdir().unwrap();
    let run = kb(parent.path(), &["init", "help", "--title", "Acme \"Help\" Center"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("Created a knowledge base in help"),
        "{}",
        run.stdout
    );
    let dir = parent.path().join("help");
    for file in [
        "kb.toml",
        "content/sign-in/user-locked-out.md",
        "checks/user-not-locked-out.toml",
        "checks/README.md",
        ".gitignore",
        ".github/workflows/kb.yml",
        "ci/install-kb.sh",
    ] {
        assert!(dir.join(file).is_file(), "{file} is missing");
    }
    for args in [
        &["validate"][..],
        &["build"],
        &["check", "--plan", "--org-url", "https://x.okta.com"],
        &["review", "--deny-overdue"],
    ] {
        let run = kb(&dir, args);
        assert_eq!(run.code, 0, "kb {args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("warning"), "kb {args:?}: {}", run.stderr);
    }
    let page = read(dir.join("site/sign-in/user-locked-out/index.html"));
    assert!(
        page.contains("Acme &quot;Help&quot; Center"),
        "the title is escaped on the page"
    );
    assert!(
        page.contains("class=\"check-card"),
        "the sample's check block is a card"
    );
    assert!(page.contains("callout-tip"), "the sample's callout renders");
    let plan = kb(&dir, &["check", "--plan", "--org-url", "https://x.okta.com"]);
    assert!(plan.stdout.contains("admin-not-locked-out"), "{}", plan.stdout);
}

#[test]
fn a_folder_holding_anything_but_git_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let run = kb(dir.path(), &["init"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.assert_stderr_has("is not empty (it holds notes.txt)");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    assert_eq!(read(dir.path().join("notes.txt")), "mine");
    // Only `.git`: a fresh clone of an empty repository is fine.
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    assert_eq!(kb(repo.path(), &["init"]).code, 0);
    assert!(repo.path().join("kb.toml").is_file());
}

#[test]
fn the_ci_workflow_installs_kb_as_the_scheduled_recipes_do_then_validates_and_builds() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(kb(dir.path(), &["init"]).code, 0);
    let workflow: serde_norway::Value =
        serde_norway::from_str(&read(dir.path().join(".github/workflows/kb.yml"))).unwrap();
    let on = workflow["on"].as_mapping().expect("triggers");
    assert!(on.contains_key("push") && on.contains_key("pull_request"), "{on:?}");
    let runs: Vec<&str> = workflow["jobs"]["build"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    assert_eq!(
        runs,
        [
            "bash ci/install-kb.sh ~/.cargo >> \"$GITHUB_PATH\"",
            "kb validate",
            "kb build"
        ]
    );
    // The same script as the scheduled recipes': without kb's sources here and without KB_GIT, it says what to set.
    assert_eq!(
        read(dir.path().join("ci/install-kb.sh")),
        read(crate::support::repo().join("examples/ci/install-kb.sh"))
    );
    let out = std::process::Command::new("bash")
        .arg("ci/install-kb.sh")
        .current_dir(dir.path())
        .env_remove("KB_GIT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("set KB_GIT to kb's git URL"));
}
