//! Helpers shared by the integration tests: run the real `kb` binary on a site folder, copy fixtures, read trees.
#![allow(dead_code)]

pub mod axe;
pub mod browser;
pub mod corpus;
pub mod crawl;
pub mod live;
pub mod measure;
pub mod okta;
pub mod serve;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

/// The repository root (where `content/` and `tests/fixtures/` are).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What a run of `kb` did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts that stderr contains `needle`, showing the whole stderr when it does not.
    #[track_caller]
    pub fn assert_stderr_has(&self, needle: &str) {
        assert!(
            self.stderr.contains(needle),
            "`{needle}` missing from stderr:\n{}",
            self.stderr
        );
    }
}

/// Runs `kb ARGS` in `dir` with colour off.
pub fn kb(dir: &Path, args: &[&str]) -> Run {
    kb_env(dir, args, &[])
}

/// Runs `kb ARGS` in `dir` with colour off, these environment variables set, and no Okta credential inherited.
pub fn kb_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("kb");
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("KB_TIMINGS")
        .env_remove("OKTA_API_TOKEN")
        .env("KB_CACHE_DIR", std::env::temp_dir().join("kb-test-cache"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("kb runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A copy of `tests/fixtures/NAME` in a fresh temporary folder (so a build never writes into the repository).
pub fn fixture(name: &str) -> TempDir {
    let dir = TempDir::new().expect("temp dir");
    copy_tree(&repo().join("tests/fixtures").join(name), dir.path());
    dir
}

pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("fixture readable");
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

pub const KB_TOML: &str = "title = \"Test Help\"\nbase_url = \"https://help.test\"\n";

/// A site made of the given files (paths under the site root) plus a minimal kb.toml.
pub fn site(files: &[(&str, &[u8])]) -> TempDir {
    let dir = TempDir::new().expect("temp dir");
    std::fs::write(dir.path().join("kb.toml"), KB_TOML).unwrap();
    std::fs::create_dir_all(dir.path().join("content")).unwrap();
    for (path, bytes) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    dir
}

/// A valid article's text with the given title and body.
pub fn article(title: &str, body: &str) -> String {
    format!("+++\ntitle = \"{title}\"\ndate = 2026-11-21\n+++\n{body}")
}

/// Every file under `dir` with its bytes, for byte-for-byte comparisons.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.expect("readable"))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

pub fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

/// The repository's knowledge base, loaded once per test binary: its articles and their validated checks.
pub fn knowledge_base() -> &'static (kb::content::Content, kb::checks::Checks) {
    static KB: std::sync::OnceLock<(kb::content::Content, kb::checks::Checks)> = std::sync::OnceLock::new();
    KB.get_or_init(|| {
        let config = kb::config::Config::load(&repo(), None).expect("kb.toml loads");
        let mut diags = Vec::new();
        let content = kb::content::Content::load(&config, false, &mut diags);
        let checks = kb::checks::load(&config, &content, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        (content, checks)
    })
}

/// `kb build --report REPORT` of the knowledge base into `out`.
pub fn build_with(out: &Path, report: &Path) -> Run {
    let (out, report) = (out.to_str().unwrap(), report.to_str().unwrap());
    kb(&repo(), &["build", "--output", out, "--report", report])
}

/// `kb build --report` of the knowledge base with `report` written to a file: the folder holding both, the site,
/// and the run.
pub fn build_from(report: &serde_json::Value) -> (TempDir, PathBuf, Run) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("report.json");
    std::fs::write(&path, serde_json::to_string(report).unwrap()).unwrap();
    let out = dir.path().join("site");
    let run = build_with(&out, &path);
    (dir, out, run)
}

/// `kb check` of the knowledge base against a fake org, with the org's fixture vars and its SSWS token; the JSON
/// report when the run produced one.
pub fn check(org: &okta::FakeOrg, extra: &[&str]) -> (Run, Option<serde_json::Value>) {
    check_env(org, extra, &[])
}

/// The checks of one article in a report.
pub fn checks_of<'a>(report: &'a serde_json::Value, slug: &str) -> &'a Vec<serde_json::Value> {
    report["articles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["slug"] == slug)
        .unwrap_or_else(|| panic!("{slug} not in the report"))["checks"]
        .as_array()
        .unwrap()
}

/// The Admin Console origin the tests give `kb check` for the fake org (never contacted: findings link to it).
pub const ADMIN_URL: &str = "https://acme-admin.okta.test";

/// [`check`] with more environment variables.
pub fn check_env(org: &okta::FakeOrg, extra: &[&str], env: &[(&str, &str)]) -> (Run, Option<serde_json::Value>) {
    let vars = org.vars();
    let mut args = vec!["check", "--org-url", org.url.as_str(), "--admin-url", ADMIN_URL];
    if !extra.contains(&"--format") {
        args.extend(["--format", "json"]);
    }
    for v in &vars {
        args.extend(["--var", v.as_str()]);
    }
    args.extend(extra);
    let mut env = env.to_vec();
    env.push(("OKTA_API_TOKEN", okta::TOKEN));
    let run = kb_env(&repo(), &args, &env);
    let report = json_report(&run.stdout);
    (run, report)
}

/// A JSON report printed or written by `kb check`, validated against the published JSON Schema of its version
/// (`docs/report.v<N>.schema.json`); `None` when `text` is not JSON (a run that printed another format or none).
/// Panics, listing every violation, when it is JSON but breaks its schema.
pub fn json_report(text: &str) -> Option<serde_json::Value> {
    let report: serde_json::Value = serde_json::from_str(text).ok()?;
    assert_valid_report(&report);
    Some(report)
}

/// Asserts that `report` holds to the JSON Schema of its `schema_version`.
#[track_caller]
pub fn assert_valid_report(report: &serde_json::Value) {
    static SCHEMAS: std::sync::OnceLock<Vec<(u64, jsonschema::Validator)>> = std::sync::OnceLock::new();
    let schemas = SCHEMAS.get_or_init(|| {
        kb::report::READS
            .iter()
            .map(|&v| {
                let v = u64::from(v);
                let path = repo().join(format!("docs/report.v{v}.schema.json"));
                let schema: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
                let validator =
                    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                (v, validator)
            })
            .collect()
    });
    let version = report["schema_version"].as_u64().expect("a schema_version");
    let (_, validator) = schemas
        .iter()
        .find(|(v, _)| *v == version)
        .unwrap_or_else(|| panic!("no published schema for schema_version {version}"));
    let errors = violations(validator, report);
    assert!(
        errors.is_empty(),
        "the report breaks its schema:\n{}\n{report:#}",
        errors.join("\n")
    );
}

/// What in `value` breaks the JSON Schema of `validator`, a line each with where.
pub fn violations(validator: &jsonschema::Validator, value: &serde_json::Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Each article's status in a JSON report, by slug.
pub fn statuses(report: &serde_json::Value) -> BTreeMap<String, String> {
    report["articles"]
        .as_array()
        .expect("articles")
        .iter()
        .map(|a| {
            (
                a["slug"].as_str().unwrap().to_string(),
                a["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The search index's `meta.json.gz`, read.
pub fn search_meta(site: &Path) -> serde_json::Value {
    let bytes = std::fs::read(site.join("search-index/meta.json.gz")).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Validates one check block's TOML as the knowledge base's articles' blocks are (with kb.toml's vars), as if it
/// stood at the top of `content/a.md`: the checks made, and the problems found.
pub fn check_block_of(text: &str) -> (Vec<kb::checks::model::Check>, Vec<kb::diag::Diagnostic>) {
    let config = kb::config::Config::load(&repo(), None).expect("kb.toml loads");
    let vars = kb::checks::known_vars(&config);
    let file = kb::diag::SourceFile::new("content/a.md", text);
    let block = kb::content::blocks::CheckBlock {
        text: text.to_string(),
        pieces: vec![(0, 0)],
        fence: 0..text.len(),
    };
    let mut diags = Vec::new();
    let checks = kb::checks::Library::default().checks(&file, &[block], &vars, &mut diags);
    (checks, diags)
}

/// `kb snapshot` of the knowledge base's checks (`extra`: articles and flags) against a fake org, with its vars and
/// token, written to `out`.
pub fn snapshot(org: &okta::FakeOrg, out: &Path, extra: &[&str]) -> Run {
    let vars = org.vars();
    let out = out.to_str().unwrap();
    let mut args = vec![
        "snapshot",
        "--org-url",
        org.url.as_str(),
        "--admin-url",
        ADMIN_URL,
        "--output",
        out,
    ];
    for v in &vars {
        args.extend(["--var", v.as_str()]);
    }
    args.extend(extra);
    kb_env(&repo(), &args, &[("OKTA_API_TOKEN", okta::TOKEN)])
}

/// `kb check --snapshot FILE` of the knowledge base (`extra`: articles and flags), with no credential at all; the
/// JSON report when the run produced one.
pub fn replay(file: &Path, extra: &[&str]) -> (Run, Option<serde_json::Value>) {
    let mut args = vec!["check", "--snapshot", file.to_str().unwrap()];
    if !extra.contains(&"--format") {
        args.extend(["--format", "json"]);
    }
    args.extend(extra);
    let run = kb(&repo(), &args);
    let report = json_report(&run.stdout);
    (run, report)
}

/// A snapshot file's JSON, inflated.
pub fn snapshot_json(file: &Path) -> serde_json::Value {
    let bytes = std::fs::read(file).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Each check's status in a JSON report, by `slug#check`.
pub fn check_statuses(report: &serde_json::Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for a in report["articles"].as_array().expect("articles") {
        for c in a["checks"].as_array().expect("checks") {
            out.insert(
                format!("{}#{}", a["slug"].as_str().unwrap(), c["id"].as_str().unwrap()),
                c["status"].as_str().unwrap().to_string(),
            );
        }
    }
    out
}

/// A file's bytes, or a panic naming it.
pub fn read_bytes(path: impl AsRef<Path>) -> Vec<u8> {
    std::fs::read(path.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

/// The values among `people` that `text` holds as whole words, whatever their case.
pub fn people_in(text: &str, people: &[String]) -> Vec<String> {
    people
        .iter()
        .filter(|v| {
            let re = format!(r"(?i)(^|[^\w.@+-]){}($|[^\w@-])", regex::escape(v));
            regex::Regex::new(&re).unwrap().is_match(text)
        })
        .cloned()
        .collect()
}

/// The knowledge base built with a report of the fake org whose Workflows admin is not assigned (so that the report
/// page and the status on articles are there too): the folder holding it, and the site.
pub fn site_with_report() -> (TempDir, PathBuf) {
    let org = okta::FakeOrg::start("broken/workflows/403-not-assigned-app");
    let (run, report) = check(&org, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (dir, site, run) = build_from(&report.expect("a JSON report"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    (dir, site)
}

/// Every kind of page of such a site, as (what it is, its path, a CSS selector that shows it has loaded).
pub fn page_kinds(site: &Path) -> Vec<(&'static str, String, &'static str)> {
    let first_dir = |dir: &Path| -> String {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.path().join("index.html").is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names.into_iter().next().expect("a page folder")
    };
    let tag = first_dir(&site.join("tags"));
    let error = first_dir(&site.join("errors"));
    vec![
        ("home", "/".to_string(), "main h1"),
        (
            "article with check cards, code and a callout",
            "/workflows/403-not-assigned-app/".into(),
            ".check-card",
        ),
        ("section", "/workflows/".into(), "main h1"),
        ("tag", format!("/tags/{tag}/"), "main h1"),
        ("error page", format!("/errors/{error}/"), "main h1"),
        ("error index", "/errors/".into(), "main h1"),
        (
            "search with results and facets",
            "/search/?q=token".into(),
            "#search-results li .result-url",
        ),
        ("report", "/report/".into(), "main h1"),
        ("404", "/404.html".into(), "main h1"),
    ]
}
