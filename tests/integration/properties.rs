//! Property tests: the parsers take any text without panicking, and no accepted check ever builds a request off
//! the org's origin, outside /api/v1/ and /.well-known/, or with a method other than GET or HEAD, whatever values
//! its parameters, vars and captures hold.

use kb::checks::path::{Method, PREFIXES, PathTemplate, Request, Segment, build_url};
use kb::checks::{self, Bindings, Library};
use kb::config::Config;
use kb::content::blocks::CheckBlock;
use kb::content::front_matter::{self, ARTICLE_KEYS};
use kb::diag::SourceFile;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use url::Url;

use crate::support;

const ORG: &str = "https://acme.okta.com";

/// Strings an org, a user or a careless writer could hand to a check.
fn hostile() -> impl Strategy<Value = String> {
    let fragments = prop::sample::select(vec![
        "../x",
        "..",
        ".",
        "",
        "%2F",
        "%2f..%2f",
        "%2e%2e",
        "%252e%252e",
        ".%2e",
        "https://evil.example",
        "//evil.example",
        "\\\\evil.example\\x",
        "a/b",
        "?limit=1",
        "#frag",
        "@evil.example",
        "user:pass@evil.example",
        "'",
        "\"",
        "\n",
        "\r\n",
        " ",
        "%00",
        "\u{202e}",
        "ｅｖｉｌ",
        "。",
        "{{ vars.admin }}",
        "okta_flow_sso",
        "alice@example.com",
    ]);
    prop_oneof![
        prop::collection::vec(fragments, 1..4).prop_map(|v| v.concat()),
        any::<String>(),
    ]
}

fn org() -> Url {
    Url::parse(ORG).unwrap()
}

/// The invariants every request a check makes must hold.
fn assert_on_the_org(req: &Request, template: &PathTemplate) {
    let url = &req.url;
    assert_eq!(url.origin(), org().origin(), "{url}");
    assert!(PREFIXES.iter().any(|p| url.path().starts_with(p)), "{url}");
    assert!(matches!(req.method, Method::Get | Method::Head));
    assert!(url.username().is_empty() && url.password().is_none(), "{url}");
    assert!(url.fragment().is_none(), "{url}");
    let segments: Vec<&str> = url.path_segments().unwrap().collect();
    assert_eq!(
        segments.len(),
        template.segments.len(),
        "the path keeps its shape: {url}"
    );
    for (seg, t) in segments.iter().zip(&template.segments) {
        match t {
            Segment::Literal(l) => assert_eq!(seg, l, "{url}"),
            Segment::Value(_) => {
                let lower = seg.to_ascii_lowercase();
                assert!(
                    !seg.is_empty() && ![".", "..", "%2e", "%2e%2e", ".%2e", "%2e."].contains(&lower.as_str()),
                    "{url}"
                );
            }
        }
    }
}

fn block(text: &str) -> CheckBlock {
    CheckBlock {
        text: text.to_string(),
        pieces: vec![(0, 0)],
        fence: 0..text.len(),
    }
}

fn library() -> (Library, Vec<String>) {
    let config = Config::load(&support::repo(), None).unwrap();
    let vars = checks::known_vars(&config);
    let mut diags = Vec::new();
    let lib = Library::load(&config.root, &vars, &mut diags);
    assert!(diags.is_empty(), "{diags:?}");
    (lib, vars)
}

/// Lines that look like check blocks, to reach past the TOML parser into validation.
fn blockish() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "id",
        "title",
        "use",
        "with",
        "scopes",
        "get",
        "head",
        "query",
        "capture",
        "expect",
        "skip_unless",
        "fail",
        "description",
        "post",
    ]);
    let value = prop_oneof![
        hostile().prop_map(|s| format!("{s:?}")),
        hostile().prop_map(|s| format!("\"/api/v1/users/{}\"", s.replace(['"', '\\'], ""))),
        Just("\"app-user-assigned\"".to_string()),
        Just("{ app_name = \"flow\", user = \"{{ vars.admin }}\" }".to_string()),
        Just("[\"okta.users.read\", \"okta.apps.read\"]".to_string()),
        Just("{ x = \"$.id\", y = { path = \"$[*]\", where = { name = \"{{ x }}\" }, all = true } }".to_string()),
        Just("[{ status = 200 }, { capture = \"x\", matches = \"(\" }]".to_string()),
        Just("\"{{ get_env(name='HOME') }}\"".to_string()),
    ];
    let line = prop_oneof![
        (key, value).prop_map(|(k, v)| format!("{k} = {v}")),
        Just("[[step]]".to_string()),
        any::<String>(),
    ];
    prop::collection::vec(line, 0..14).prop_map(|lines| lines.join("\n"))
}

/// Check blocks that validate: hostile text lands in a literal query value and in a path that may or may not pass.
fn accepted_block() -> impl Strategy<Value = String> {
    (hostile(), hostile()).prop_map(|(q, tail)| {
        let q = serde_json::to_string(&q).unwrap();
        let path = serde_json::to_string(&format!("/api/v1/users/{{{{ vars.admin }}}}/groups{tail}")).unwrap();
        format!(
            "id = \"x\"\ntitle = \"t\"\nscopes = [\"okta.users.read\"]\n\
             [[step]]\nget = \"/api/v1/users/{{{{ vars.admin }}}}\"\ncapture = {{ id = \"$.id\" }}\n\
             [[step]]\nget = \"/api/v1/users/{{{{ id }}}}/groups\"\nquery = {{ q = {q} }}\n\
             [[step]]\nget = {path}\n"
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn the_check_block_parser_takes_any_text(
        text in prop_oneof![any::<String>(), blockish(), accepted_block()],
        admin in hostile(),
        id in hostile(),
    ) {
        let (lib, vars) = library_once();
        let file = SourceFile::new("content/a.md", text.as_str());
        let mut diags = Vec::new();
        let checks = lib.checks(&file, &[block(&text)], vars, &mut diags);
        // Whatever was accepted keeps every request on the org.
        for check in &checks {
            let mut captures = Map::new();
            captures.insert("id".into(), Value::from(id.clone()));
            let b = Bindings { vars: vars_map(&admin), params: Map::new(), captures, ..Bindings::default() };
            for (i, step) in check.steps().iter().enumerate() {
                if let Ok(req) = check.request(i, &b, &org()) {
                    assert_on_the_org(&req, &step.path);
                    // A literal query value arrives as written, as one parameter.
                    for (k, v) in &step.query {
                        let got: Vec<_> = req.url.query_pairs().filter(|(name, _)| name == k).collect();
                        prop_assert_eq!(got.len(), 1);
                        if v.is_literal() {
                            prop_assert_eq!(got[0].1.as_ref(), v.source.as_str());
                        }
                    }
                }
            }
        }
        let rendered = kb::diag::render(&diags, false);
        prop_assert!(diags.iter().all(|d| d.position().is_some()), "{rendered}");
    }

    #[test]
    fn the_front_matter_parser_takes_any_text(front in any::<String>(), toml in any::<bool>()) {
        let delim = if toml { "+++" } else { "---" };
        let text = format!("{delim}\n{front}\n{delim}\nbody\n");
        let file = SourceFile::new("content/a.md", text.as_str());
        let mut diags = Vec::new();
        if let Ok(split) = front_matter::split(&file, &text) {
            let _ = front_matter::parse(&file, &split, ARTICLE_KEYS, &mut diags);
        }
    }

    #[test]
    fn an_accepted_path_stays_on_the_org_whatever_its_values(
        path in prop_oneof![
            any::<String>(),
            hostile().prop_map(|h| format!("/api/v1/{h}")),
            (hostile(), hostile()).prop_map(|(a, b)| format!("/api/v1/users/{{{{ user }}}}/{a}{b}")),
            Just("/api/v1/apps/{{ app.id }}/users/{{ user_id }}".to_string()),
            Just("/.well-known/{{ doc }}".to_string()),
            Just("/api/v1/users/{{ vars.admin }}/roles".to_string()),
        ],
        value in hostile(),
        query in hostile(),
    ) {
        let Ok(template) = PathTemplate::parse(&path) else { return Ok(()) };
        let (v, qv) = (Value::from(value), Value::from(query));
        // `app` is an object (for `app.id`), `x` the query value, anything else the hostile value itself.
        let lookup = |name: &str| match name {
            "app" => Some(json!({ "id": v.clone() })),
            "vars" => Some(json!({ "admin": v.clone(), "client_id": v.clone() })),
            "x" => Some(qv.clone()),
            _ => Some(v.clone()),
        };
        let q = vec![("q".to_string(), kb::checks::template::Template::parse("{{ x }}").unwrap())];
        if let Ok(url) = build_url(&org(), &template, &q, &kb::checks::template::by_name(lookup)) {
            assert_on_the_org(&Request { method: Method::Get, url: url.clone() }, &template);
            // The query holds exactly one parameter, whatever the value, and gives it back intact.
            let pairs: Vec<_> = url.query_pairs().collect();
            prop_assert_eq!(pairs.len(), 1);
            prop_assert_eq!(pairs[0].1.as_ref(), qv.as_str().unwrap());
        }
    }

    #[test]
    fn the_knowledge_base_checks_stay_on_the_org_with_hostile_values(
        admin in hostile(),
        client_id in hostile(),
        captured in hostile(),
        as_object in any::<bool>(),
    ) {
        let kb_checks = knowledge_base_checks();
        let mut vars = vars_map(&admin);
        vars.insert("client_id".into(), Value::from(client_id));
        vars.insert("redirect_uri".into(), Value::from(captured.clone()));
        for check in kb_checks.by_article.iter().flatten() {
            let Ok(mut b) = check.bind(vars.clone()) else { continue };
            let mut captures = Map::new();
            for step in check.steps() {
                for c in &step.captures {
                    let v = if as_object {
                        json!({ "id": captured, "label": captured, "status": "ACTIVE" })
                    } else {
                        Value::from(captured.clone())
                    };
                    captures.insert(c.name.clone(), v);
                }
            }
            b.captures = captures;
            for (i, step) in check.steps().iter().enumerate() {
                if let Ok(req) = check.request(i, &b, &org()) {
                    assert_on_the_org(&req, &step.path);
                }
            }
        }
    }
}

fn vars_map(admin: &str) -> Map<String, Value> {
    let mut vars = Map::new();
    vars.insert("admin".into(), Value::from(admin));
    vars.insert("org_url".into(), Value::from(ORG));
    vars
}

fn library_once() -> &'static (Library, Vec<String>) {
    static LIB: std::sync::OnceLock<(Library, Vec<String>)> = std::sync::OnceLock::new();
    LIB.get_or_init(library)
}

fn knowledge_base_checks() -> &'static checks::Checks {
    let (_, checks) = support::knowledge_base();
    assert!(checks.by_article.iter().flatten().count() >= 15);
    checks
}
