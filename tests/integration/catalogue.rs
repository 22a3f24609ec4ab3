//! Error catalogues: every entry has a page (merged with an article's signature page, two catalogues' same codes
//! kept apart), the error index shows coverage, `kb gaps` lists the entries no article covers, bad catalogues are
//! errors at their place; and with Okta's two catalogues, sampled codes and messages land first on the article
//! that covers them, else on the entry's page, in a real Chromium.

use std::collections::BTreeMap;

use crate::support::browser::Browser;
use crate::support::serve::Server;
use crate::support::{fixture, kb, read, repo};

#[test]
fn every_entry_has_a_page_and_same_codes_of_two_catalogues_are_kept_apart() {
    let dir = fixture("catalogues");
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let site = dir.path().join("site");
    let page = |slug: &str| read(site.join(format!("errors/{slug}/index.html")));
    // The article lists A0001: its signature page is the API catalogue's entry page, with the official message.
    let a1 = page("a0001");
    assert!(
        a1.contains("The API key provided is not valid.") && a1.contains("HTTP status</dt><dd>401"),
        "{a1}"
    );
    assert!(
        a1.contains("/api/invalid-key/") && !a1.contains("No article yet"),
        "{a1}"
    );
    // The OAuth catalogue's A0001 is another page, with no article.
    let o1 = page("acme-oauth-a0001");
    assert!(
        o1.contains("The grant is not valid.") && o1.contains("No article yet"),
        "{o1}"
    );
    assert!(!o1.contains("/api/invalid-key/"), "{o1}");
    // An article listing an entry's message word for word covers it.
    let a3 = page("a0003");
    assert!(a3.contains("/api/invalid-key/"), "{a3}");
    assert!(page("a0002").contains("No article yet"));
    assert!(page("expired-code").contains("The authorization code has expired."));
    // The index's coverage per catalogue.
    let index = read(site.join("errors/index.html"));
    let compact: String = index.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        compact.contains("Acme API</a> <span class=\"release\">2026.1</span></th><td>3</td><td>2 (66%)</td>"),
        "{compact}"
    );
    assert!(
        compact.contains("Acme OAuth</th><td>2</td><td>0 (0%)</td>"),
        "{compact}"
    );
}

#[test]
fn kb_gaps_lists_the_entries_no_article_covers() {
    let dir = fixture("catalogues");
    let run = kb(dir.path(), &["gaps"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("gaps_human", run.stdout);
    let run = kb(dir.path(), &["gaps", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let cats = v["catalogues"].as_array().unwrap();
    assert_eq!(
        (cats[0]["total"].as_u64(), cats[0]["covered"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(cats[0]["gaps"][0]["code"], "A0002");
    assert_eq!(cats[0]["gaps"][0]["page"], "https://help.example.com/errors/a0002/");
    assert_eq!(cats[1]["gaps"].as_array().unwrap().len(), 2);
    assert_eq!(
        cats[1]["gaps"][0]["page"],
        "https://help.example.com/errors/acme-oauth-a0001/"
    );
    let run = kb(dir.path(), &["gaps", "--deny-gaps"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // Without catalogues, the command says what to configure.
    let run = kb(&repo().join("tests/fixtures/basic"), &["gaps"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("kb.toml names no error catalogues"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_catalogues_are_errors_at_their_place() {
    let dir = fixture("invalid-catalogues");
    let run = kb(dir.path(), &["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!dir.path().join("site").exists());
    insta::assert_snapshot!("invalid_catalogues", run.stderr);
}

#[test]
fn okta_s_catalogues_are_imported_as_published() {
    let config = kb::config::Config::load(&repo(), None).unwrap();
    let by_id: BTreeMap<&str, &kb::catalogue::Catalogue> =
        config.catalogues.iter().map(|c| (c.id.as_str(), c)).collect();
    let m = by_id["okta-management"];
    let o = by_id["okta-oauth"];
    assert_eq!((m.entries.len(), o.entries.len()), (251, 476));
    assert_eq!(m.release.as_deref(), Some("2026.08.1"));
    let e15 = m.entries.iter().find(|e| e.code == "E0000015").unwrap();
    assert_eq!(
        (e15.status, e15.message.as_str()),
        (
            401,
            "You do not have permission to access the feature you are requesting"
        )
    );
    // OAuth entries: the `error` as the code, the internal code as the sub-code, the description as the message,
    // Okta's `en` placeholder written `{0}`.
    let grant = o
        .entries
        .iter()
        .find(|e| e.sub_code.as_deref() == Some("unauthorized_client"))
        .unwrap();
    assert_eq!(grant.code, "unauthorized_client");
    assert_eq!(
        grant.message,
        "The client is not authorized to use the provided grant type. Configured grant types: [{0}]."
    );
    let word_en = regex::Regex::new(r"\ben\b").unwrap();
    assert!(o.entries.iter().all(|e| !word_en.is_match(&e.message)));
    assert_eq!(
        o.entries
            .iter()
            .map(|e| &e.code)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        56
    );
}

/// A small deterministic generator (a fixed seed gives the same sample on every machine).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// What a search for an entry must show first: one of the articles that cover it, else its own page.
struct Sample {
    query: String,
    first: Vec<String>,
}

/// 20 codes and 20 messages of Okta's catalogues (fixed seed), messages that are only a placeholder or shared
/// by several entries left out, placeholders filled with a made-up value.
fn samples() -> Vec<Sample> {
    let config = kb::config::Config::load(&repo(), None).unwrap();
    let mut diags = Vec::new();
    let content = kb::content::Content::load(&config, false, &mut diags);
    let errors = kb::site::taxonomy::Taxonomy::build(kb::site::taxonomy::Kind::Errors, &content, &config.catalogues);
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &config.catalogues {
        for e in &c.entries {
            *count.entry(e.message.trim()).or_default() += 1;
        }
    }
    let placeholder = regex::Regex::new(r"\{\d\}").unwrap();
    let mut entries = Vec::new();
    for t in &errors.terms {
        let Some((c, e)) = t.entry else { continue };
        let entry = &config.catalogues[c].entries[e];
        let first: Vec<String> = if t.articles.is_empty() {
            vec![config.url(&format!("errors/{}/", t.slug))]
        } else {
            t.articles.iter().map(|&i| content.articles[i].url.clone()).collect()
        };
        entries.push((entry.clone(), first));
    }
    let mut rng = Lcg(18);
    let mut out = Vec::new();
    let mut used = std::collections::BTreeSet::new();
    while out.len() < 20 {
        let (e, first) = &entries[rng.below(entries.len())];
        if used.insert(("code", e.key().to_string())) {
            out.push(Sample {
                query: e.key().to_string(),
                first: first.clone(),
            });
        }
    }
    while out.len() < 40 {
        let (e, first) = &entries[rng.below(entries.len())];
        let message = e.message.trim();
        let bare = placeholder
            .replace_all(message, "")
            .trim()
            .trim_matches(|c: char| !c.is_alphanumeric())
            .is_empty();
        if bare || count[message] > 1 || !used.insert(("message", message.to_string())) {
            continue;
        }
        out.push(Sample {
            query: placeholder.replace_all(message, "Zorblax42").into_owned(),
            first: first.clone(),
        });
    }
    out
}

#[tokio::test]
async fn sampled_codes_and_messages_land_on_their_article_else_their_page_in_chromium() {
    let out = tempfile::TempDir::new().unwrap();
    let site = out.path().join("site");
    let run = kb(&repo(), &["build", "--output", site.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let server = Server::start(&site);
    let b = Browser::start().await;
    let samples = samples();
    assert!(
        samples.iter().any(|s| s.first[0].contains("/errors/")),
        "the sample holds uncovered entries"
    );
    assert!(
        samples.iter().any(|s| !s.first[0].contains("/errors/")),
        "the sample holds covered entries"
    );
    let mut missed = Vec::new();
    for s in &samples {
        crate::search::search(&b, &server.url, &s.query).await;
        let got = crate::search::result_urls(&b).await;
        if !got.first().is_some_and(|u| s.first.contains(u)) {
            missed.push(format!(
                "{:?}: wanted one of {:?} first, got {:?}",
                s.query,
                s.first,
                &got[..got.len().min(4)]
            ));
        }
    }
    assert!(
        missed.is_empty(),
        "{} of {} not first:\n{}",
        missed.len(),
        samples.len(),
        missed.join("\n")
    );
    b.close().await;
}
