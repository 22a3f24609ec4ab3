//! `kb diagnose`: the right article first for every article's own error messages and for messages with the
//! reader's own names in them; the fix when an org (or its snapshot) has the problem, and "none present" when it
//! has not; nothing sent without an org; bad input. Its agreement with the search page is in `relevance`.

use serde_json::Value;
use tempfile::TempDir;

use crate::support::okta::{FakeOrg, TOKEN};
use crate::support::{self, Run, kb, kb_env, repo, snapshot};

/// The knowledge base's index built in memory, as `kb diagnose` builds it (its check cards in the pages).
fn index() -> kb::site::search::query::Index {
    let config = kb::config::Config::load(&repo(), None).unwrap();
    let mut diags = Vec::new();
    let mut content = kb::content::Content::load(&config, false, &mut diags);
    let checks = kb::checks::load(&config, &content, &mut diags);
    content.cards = checks.cards(&content);
    let files = kb::site::search_files(&config, &content).unwrap();
    kb::site::search::query::Index::from_files(files).unwrap()
}

/// The slugs `kb diagnose` shows for `text`, best first.
fn matches(index: &kb::site::search::query::Index, text: &str) -> Vec<String> {
    let (content, _) = support::knowledge_base();
    let answer = index.query(text);
    let (_, found) = kb::cmd::diagnose::rank(index, content, &answer);
    found
        .into_iter()
        .map(|(i, _)| content.articles[i].slug.clone())
        .collect()
}

/// The messages of the error catalogues' entries with this code (`invalid_grant`): an article listing one of them
/// explains an error of that code.
fn messages_of(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for file in ["catalogues/okta-management.toml", "catalogues/okta-oauth.toml"] {
        let t: toml::Table = toml::from_str(&support::read(repo().join(file))).unwrap();
        for e in t["error"].as_array().unwrap() {
            if e.get("code")
                .and_then(|c| c.as_str())
                .is_some_and(|c| c.eq_ignore_ascii_case(code))
            {
                out.extend(e.get("message").and_then(|m| m.as_str()).map(str::to_lowercase));
            }
        }
    }
    out
}

/// For each error signature of each article, the first match is an article that lists it, or that lists the
/// message of a catalogue entry of that code (the 429 article explains `invalid_grant`'s `user_rate_limited`).
#[test]
fn every_articles_own_error_messages_put_an_article_that_lists_them_first() {
    let (content, _) = support::knowledge_base();
    let index = index();
    let mut wrong = Vec::new();
    let mut tried = 0;
    for a in &content.articles {
        for sig in &a.meta.errors {
            tried += 1;
            let messages = messages_of(sig);
            let listers: Vec<&str> = content
                .articles
                .iter()
                .filter(|b| {
                    b.meta
                        .errors
                        .iter()
                        .any(|e| e.eq_ignore_ascii_case(sig) || messages.contains(&e.to_lowercase()))
                })
                .map(|b| b.slug.as_str())
                .collect();
            let got = matches(&index, sig);
            if !got.first().is_some_and(|f| listers.contains(&f.as_str())) {
                wrong.push(format!("{sig:?} (listed by {listers:?}): got {got:?}"));
            }
        }
    }
    assert!(tried > 100, "{tried} signatures");
    assert!(
        wrong.is_empty(),
        "{} of {tried} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn a_message_with_the_readers_own_names_finds_its_article() {
    let index = index();
    for (pasted, first) in [
        (
            "Sorry, you can't access Acme Payroll because you are not assigned to this app in Okta. If you're \
             wondering why this is happening, please contact your administrator.",
            "workflows/403-not-assigned-app",
        ),
        (
            "{\"errorCode\":\"E0000011\",\"errorSummary\":\"Invalid token provided\",\"errorLink\":\"E0000011\",\
             \"errorId\":\"oae3iIoTDxDTbmiaKDeOq4djw\",\"errorCauses\":[]}",
            "api/401-e0000011-invalid-token",
        ),
        ("E000015", "api-access-management/401-e0000015-feature-not-enabled"),
    ] {
        let got = matches(&index, pasted);
        assert_eq!(got.first().map(String::as_str), Some(first), "{pasted}: {got:?}");
    }
}

/// `kb diagnose TEXT ARGS` of the knowledge base, with the JSON output validated against its schema.
fn diagnose(text: &str, args: &[&str], env: &[(&str, &str)]) -> (Run, Value) {
    let mut all = vec!["diagnose", text, "--format", "json"];
    all.extend(args);
    let run = kb_env(&repo(), &all, env);
    let json: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    let schema: Value = serde_json::from_str(&support::read(repo().join("docs/diagnose.v2.schema.json"))).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors = support::violations(&validator, &json);
    assert!(errors.is_empty(), "{}\n{json:#}", errors.join("\n"));
    (run, json)
}

const NOT_ASSIGNED: &str = "Sorry, you can't access Okta Workflows because you are not assigned this app in Okta.";

#[test]
fn with_a_snapshot_of_a_broken_org_it_names_the_problem_and_gives_the_fix() {
    let fake = FakeOrg::start("broken/workflows/403-not-assigned-app");
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("org.json.gz");
    assert_eq!(snapshot(&fake, &file, &[]).code, 0);
    drop(fake);
    let f = file.to_str().unwrap();
    let (run, json) = diagnose(NOT_ASSIGNED, &["--snapshot", f], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(json["checked"]["verdict"], "present", "{json:#}");
    assert_eq!(json["checked"]["present"][0], "workflows/403-not-assigned-app");
    let fix = json["checked"]["solutions"]["workflows/403-not-assigned-app"]
        .as_str()
        .unwrap();
    assert!(
        fix.starts_with("1. Open the Admin Console") && fix.contains("Assign to People"),
        "{fix}"
    );
    let human = kb(&repo(), &["diagnose", NOT_ASSIGNED, "--snapshot", f]);
    assert_eq!(human.code, 1);
    assert!(
        human
            .stdout
            .contains("Your org has this problem: “403 Not Assigned App”"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("Replayed from a snapshot taken"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("Solution:\n  1. Open the Admin Console"),
        "{}",
        human.stdout
    );
}

#[test]
fn with_a_healthy_org_it_says_none_of_the_problems_is_present() {
    let fake = FakeOrg::start("healthy");
    let mut args = vec!["--org-url", fake.url.as_str()];
    let vars = fake.vars();
    for v in &vars {
        args.extend(["--var", v.as_str()]);
    }
    let (run, json) = diagnose(NOT_ASSIGNED, &args, &[("OKTA_API_TOKEN", TOKEN)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(json["checked"]["verdict"], "absent", "{json:#}");
    assert!(!fake.seen().is_empty(), "the org was asked");
    let human = kb_env(
        &repo(),
        &["diagnose", NOT_ASSIGNED, "--org-url", &fake.url],
        &[("OKTA_API_TOKEN", TOKEN)],
    );
    assert!(
        human
            .stdout
            .contains("None of the checked articles' problems is present in this org."),
        "{}",
        human.stdout
    );
}

#[test]
fn without_an_org_nothing_is_sent_even_with_a_single_profile() {
    let fake = FakeOrg::start("healthy");
    let dir = TempDir::new().unwrap();
    for sub in ["content", "checks", "catalogues"] {
        support::copy_tree(&repo().join(sub), &dir.path().join(sub));
    }
    let mut toml = support::read(repo().join("kb.toml"));
    toml.push_str(&format!("\n[orgs.only]\nurl = \"{}\"\n", fake.url));
    std::fs::write(dir.path().join("kb.toml"), toml).unwrap();
    let run = kb_env(dir.path(), &["diagnose", NOT_ASSIGNED], &[("OKTA_API_TOKEN", TOKEN)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Nothing was sent to an org."), "{}", run.stdout);
    assert!(
        run.stdout.contains("kb check workflows/403-not-assigned-app"),
        "{}",
        run.stdout
    );
    assert!(fake.seen().is_empty(), "{:?}", fake.seen());
}

#[test]
fn bad_input_to_diagnose_is_a_clear_error() {
    let empty = kb(&repo(), &["diagnose", "  \n "]);
    assert_eq!(empty.code, 2);
    empty.assert_stderr_has("there is nothing to diagnose: the pasted text is empty");
    let dir = TempDir::new().unwrap();
    let junk = dir.path().join("junk.json.gz");
    std::fs::write(&junk, b"junk").unwrap();
    let bad = kb(
        &repo(),
        &["diagnose", NOT_ASSIGNED, "--snapshot", junk.to_str().unwrap()],
    );
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    bad.assert_stderr_has("is not a kb snapshot");
    let both = kb(&repo(), &["diagnose", NOT_ASSIGNED, "--snapshot", "x", "--org", "y"]);
    assert_eq!(both.code, 2);
    both.assert_stderr_has("cannot be used with");
}

#[test]
fn the_index_is_kept_between_runs_and_never_served_stale() {
    let site = support::fixture("basic");
    let cache = TempDir::new().unwrap();
    let env = [("KB_CACHE_DIR", cache.path().to_str().unwrap()), ("KB_TIMINGS", "1")];
    let run = |text: &str| {
        let r = kb_env(site.path(), &["diagnose", text, "--format", "json"], &env);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let json: Value = serde_json::from_str(&r.stdout).unwrap();
        let first = json["matches"][0]["slug"].as_str().map(str::to_string);
        (r.stderr, first)
    };
    let (first, _) = run("token expired");
    assert!(first.contains("search index built in"), "{first}");
    let (second, _) = run("token expired");
    assert!(second.contains("search index read from the cache in"), "{second}");
    // An edit anywhere in content/ is a new index: a word only the edit brings is found at once.
    let article = site.path().join("content/guides/token-expired.md");
    let text = support::read(&article).replace("## ", "Zorblaxian flux.\n\n## ");
    std::fs::write(&article, text).unwrap();
    let (third, found) = run("zorblaxian");
    assert!(third.contains("search index built in"), "{third}");
    assert_eq!(found.as_deref(), Some("guides/token-expired"));
}
