//! The check language end to end: invalid blocks and definitions rejected at their place in the file, the
//! knowledge base's checks shown as cards on its articles, and `kb scopes`.

use crate::support::{self, kb, read};

/// `(file:line:column, part of the message)` for every problem of `tests/fixtures/invalid-checks`.
const EXPECTED: &[(&str, &str)] = &[
    ("checks/Bad_Name.toml", "a definition's name is lowercase letters"),
    (
        "content/_index.md:5:1",
        "a check block in a section's `_index.md` is never run",
    ),
    ("checks/bad-syntax.toml:2:27", "invalid TOML"),
    ("checks/default-not-vars.toml:6:58", "unknown variable `login`"),
    ("checks/missing-scope.toml:8:7", "needs the scope `okta.users.read`"),
    (
        "checks/shadow.toml:9:13",
        "the capture `user` has the name of a parameter",
    ),
    ("checks/writes.toml:5:1", "unknown key `delete` in a step"),
    ("content/jsonpath-template.md:11:34", "a JSONPath is written literally"),
    ("content/language.md:8:7", "unknown definition `app-user-asigned`"),
    (
        "content/language.md:15:29",
        "unknown parameter `usr` for `app-user-assigned`",
    ),
    ("content/language.md:22:1", "missing parameter `app_name`"),
    ("content/language.md:29:40", "unknown variable `vars.admn`"),
    ("content/language.md:36:40", "unknown function `get_env`"),
    ("content/language.md:43:53", "unknown filter `lowr`"),
    ("content/language.md:50:40", "`{% include %}` is not available"),
    (
        "content/language.md:58:25",
        "the capture `user_id` is used before it is made",
    ),
    ("content/language.md:70:33", "invalid JSONPath"),
    ("content/language.md:79:1", "step 1 makes two requests"),
    ("content/language.md:89:42", "invalid regex"),
    ("content/language.md:93:6", "duplicate check id `bad-regex`"),
    ("content/language.md:106:33", "unknown predicate `greater_than`"),
    ("content/language.md:115:22", "a status is an HTTP status code"),
    ("content/language.md:120:1", "unknown key `titel` in a check block"),
    ("content/language.md:121:1", "`with` gives parameters to a definition"),
    ("content/language.md:127:28", "invalid TOML"),
    ("content/language.md:135:9", "unknown definition `app-users-assigned`"),
    ("content/origin.md:12:8", "`https:` is an absolute URL"),
    ("content/origin.md:20:8", "a path starting with `//` names another host"),
    ("content/origin.md:28:24", "backslashes are not allowed"),
    ("content/origin.md:36:16", "`..` segments are not allowed"),
    ("content/origin.md:44:16", "percent-encoded characters are not allowed"),
    ("content/origin.md:52:21", "percent-encoded characters are not allowed"),
    ("content/origin.md:60:8", "is outside /api/v1/ and /.well-known/"),
    ("content/origin.md:68:8", "`javascript:` is an absolute URL"),
    ("content/origin.md:76:16", "`@` is not allowed in a path"),
    ("content/origin.md:84:22", "a value must fill a whole path segment"),
    ("content/origin.md:92:20", "`?` is not allowed in a path"),
    ("content/origin.md:98:11", "`okta.users.manage` is a write scope"),
    ("content/origin.md:100:1", "unknown key `post` in a step"),
    (
        "content/scopes.md:10:7",
        "the resource after /api/v1/ must be written literally",
    ),
    (
        "content/scopes.md:18:7",
        "kb does not know which scope /api/v1/features needs",
    ),
    (
        "content/scopes.md:24:30",
        "`okta.logs.read` is declared but no request needs it",
    ),
    ("content/scopes.md:36:57", "a precondition has no failure message"),
    ("content/scopes.md:43:8", "`step` is empty"),
    (
        "content/scopes.md:51:7",
        "a sub-resource's name must be written literally",
    ),
];

/// Each expected problem is reported at its position, with its message on the line above.
#[track_caller]
fn assert_reported(run: &support::Run, expected: &[(&str, &str)]) {
    let lines: Vec<&str> = run.stderr.lines().collect();
    for (position, message) in expected {
        let at = lines
            .iter()
            .position(|l| l.trim_start().strip_prefix("--> ") == Some(*position))
            .unwrap_or_else(|| panic!("no problem reported at {position}:\n{}", run.stderr));
        assert!(
            lines[at - 1].contains(message),
            "{position}: expected `{message}`, got `{}`",
            lines[at - 1]
        );
    }
}

#[test]
fn every_invalid_check_is_reported_at_its_place_in_the_file() {
    let dir = support::fixture("invalid-checks");
    let run = kb(dir.path(), &["validate"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    // Each expected problem is reported once, at its position, with its message on the line above.
    assert_reported(&run, EXPECTED);
    let errors = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: ") && !l.contains("failed"))
        .count();
    assert!(errors >= EXPECTED.len(), "{errors} errors");
    insta::assert_snapshot!("invalid_checks_errors", run.stderr);
}

#[test]
fn a_build_with_invalid_checks_fails_like_validate_and_keeps_the_old_site() {
    let dir = support::fixture("invalid-checks");
    let site = dir.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("index.html"), "last good").unwrap();
    let build = kb(dir.path(), &["build"]);
    assert_eq!(build.code, 2);
    assert_eq!(read(site.join("index.html")), "last good");
    let validate = kb(dir.path(), &["validate"]);
    let problems = |s: &str| {
        s.lines()
            .filter(|l| l.starts_with("  --> ") || l.starts_with(" --> "))
            .count()
    };
    assert_eq!(problems(&build.stderr), problems(&validate.stderr));
}

/// Builds the repository's knowledge base into a temporary folder.
fn build_knowledge_base() -> (tempfile::TempDir, std::path::PathBuf) {
    let out = tempfile::tempdir().unwrap();
    let site = out.path().join("site");
    let root = support::repo();
    let run = kb(
        out.path(),
        &[
            "build",
            "--root",
            root.to_str().unwrap(),
            "--output",
            site.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    (out, site)
}

/// The titles of the check cards on a page, in order.
fn card_titles(html: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"<p class="check-title" id="check-[a-z0-9-]+-title">([^<]*)</p>"#).unwrap();
    re.captures_iter(html).map(|c| c[1].to_string()).collect()
}

#[test]
fn seed_articles_show_their_checks_as_cards() {
    let (_out, site) = build_knowledge_base();
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "workflows/403-not-assigned-app",
            &[
                "The admin is assigned to the Okta Workflows app",
                "The admin is assigned to the Okta Workflows OAuth app",
            ],
            "GET /api/v1/apps?q=okta_flow_sso&amp;limit=200",
        ),
        (
            "workflows/403-insufficient-scope",
            &[
                "Okta Workflows OAuth holds an ACTIVE grant for okta.logs.read",
                "Okta Workflows OAuth holds an ACTIVE grant for okta.users.read",
                "Okta Workflows OAuth holds an ACTIVE grant for okta.groups.read",
            ],
            "GET /api/v1/apps/{app.id}/grants",
        ),
        (
            "workflows/okta-connector-authorization",
            &[
                "The authorizing admin is a super admin",
                "The authorizing admin is assigned to the Okta Workflows OAuth app",
                "Okta Workflows OAuth holds an ACTIVE grant for okta.users.read",
                "Okta Workflows OAuth holds an ACTIVE grant for okta.groups.read",
                "A cross-org connection&#39;s OIDC app is an active web app with the refresh-token grant",
            ],
            "GET /api/v1/users/{user_id}/roles",
        ),
        (
            "api-access-management/401-e0000015-feature-not-enabled",
            &["The org has API Access Management"],
            "GET /api/v1/authorizationServers",
        ),
    ];
    for (slug, titles, request) in cases {
        let html = read(site.join(slug).join("index.html"));
        let got = card_titles(&html);
        assert_eq!(&got, titles, "{slug}");
        assert!(html.contains(&format!("<code>{request}</code>")), "{slug}: {request}");
        assert!(
            html.contains(&format!("<code class=\"check-command\">kb check {slug}</code>")),
            "{slug}"
        );
        assert_eq!(
            html.matches("<details class=\"check-source\" data-search-ignore><summary>Definition</summary>")
                .count(),
            titles.len(),
            "{slug}: every card has its definition behind a disclosure"
        );
        assert!(!html.contains("```check"), "{slug}: no raw block");
    }
}

#[test]
fn kb_scopes_names_what_the_seed_articles_checks_need() {
    let root = support::repo();
    let run = kb(
        &root,
        &[
            "scopes",
            "workflows/403-not-assigned-app",
            "workflows/403-insufficient-scope",
            "workflows/okta-connector-authorization",
            "api-access-management/401-e0000015-feature-not-enabled",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("scopes_seed_articles", run.stdout);
    // Each article's own list, and the union.
    assert!(
        run.stdout
            .contains("workflows/403-not-assigned-app\n  okta.apps.read\n  okta.users.read\n\n")
    );
    assert!(
        run.stdout
            .contains("api-access-management/401-e0000015-feature-not-enabled\n  okta.authorizationServers.read\n\n")
    );
    assert!(run.stdout.contains(
        "All together (4 articles, 11 checks):\n  okta.appGrants.read\n  okta.apps.read\n  okta.authorizationServers.read\n  okta.roles.read\n  okta.users.read\n"
    ));
    assert!(run.stdout.contains("403 E0000006"), "the admin-role reminder");
}

#[test]
fn kb_scopes_rejects_an_unknown_article_with_a_suggestion() {
    let root = support::repo();
    let run = kb(&root, &["scopes", "workflows/403-not-asigned-app"]);
    assert_eq!(run.code, 2);
    run.assert_stderr_has("no article or tag `workflows/403-not-asigned-app`");
    run.assert_stderr_has("did you mean `workflows/403-not-assigned-app`?");
}

#[test]
fn kb_scopes_selects_by_section_and_tag() {
    let root = support::repo();
    let run = kb(&root, &["scopes", "workflows"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("All together (3 articles, "), "{}", run.stdout);
    assert!(!run.stdout.contains("api-access-management"));
}

/// `(file:line:column, part of the message)` for the mistakes of the language's version 2 in
/// `tests/fixtures/invalid-checks-v2`: durations, severities, items, findings and their links, `for_each`.
const EXPECTED_V2: &[(&str, &str)] = &[
    (
        "checks/bad-default.toml:5:48",
        "the default of `days` makes a duration read `a weekd`",
    ),
    ("checks/expiry.toml:4:12", "unknown severity `urgent`"),
    ("checks/expiry.toml:5:28", "the capture `key` is made once per item"),
    (
        "checks/expiry.toml:11:13",
        "`item.lable`: the items of `apps` (GET /api/v1/apps) have no field",
    ),
    ("checks/expiry.toml:12:9", "could leave the Admin Console"),
    ("checks/expiry.toml:17:20", "`each` names `nothing`"),
    (
        "checks/expiry.toml:20:12",
        "`for_each` names `apss`, which no earlier step captures",
    ),
    (
        "checks/expiry.toml:25:13",
        "`max_items` must be a whole number from 1 to 10000",
    ),
    ("checks/expiry.toml:28:1", "judged per item already"),
    ("checks/expiry.toml:28:48", "`30 days` is not a duration"),
    (
        "content/mistakes.md:12:17",
        "the parameter `days` makes a duration read `soond`",
    ),
    ("content/mistakes.md:13:12", "unknown severity `hgih`"),
    (
        "content/mistakes.md:21:2",
        "`[finding]` names failing items, but no expectation is judged per item",
    ),
    ("content/mistakes.md:27:1", "`max_items` bounds a `for_each` step"),
    (
        "content/mistakes.md:28:21",
        "a time relative to now needs the org's clock",
    ),
    ("content/mistakes.md:28:53", "`yesterday` is not a duration"),
    ("content/mistakes.md:31:5", "`each` judges the items of a list"),
    ("content/mistakes.md:32:17", "`item` is not known here"),
    ("content/mistakes.md:44:38", "`-1x` is not a duration"),
    ("content/mistakes.md:49:1", "no `[finding]` to name them"),
    ("content/mistakes.md:66:9", "could leave the Admin Console"),
    ("content/mistakes.md:81:9", "is not a page of the Admin Console"),
    ("content/mistakes.md:99:29", "`item` cannot be a capture name"),
    (
        "content/mistakes.md:100:18",
        "a precondition is about the answer, not about each item",
    ),
    (
        "content/mistakes.md:101:20",
        "`each` reads a list, and the capture `first` names one value",
    ),
    (
        "content/mistakes.md:104:12",
        "`for_each` reads a list, and the capture `first` names one value",
    ),
    (
        "content/mistakes.md:128:23",
        "the capture `roles` is made once per item",
    ),
];

#[test]
fn every_mistake_of_the_language_v2_is_reported_at_its_place() {
    let dir = support::fixture("invalid-checks-v2");
    let run = kb(dir.path(), &["validate"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_reported(&run, EXPECTED_V2);
    // The definition without mistakes is not reported; the block using it is, for its own.
    assert!(!run.stderr.contains("--> checks/good-expiry.toml"), "{}", run.stderr);
    insta::assert_snapshot!("invalid_checks_v2_errors", run.stderr);
}
