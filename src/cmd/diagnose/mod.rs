//! `kb diagnose "PASTED TEXT"`: the articles for a pasted error message, ranked as the site's search page ranks
//! them (the same index, built in memory, and the Rust port of `search.js`'s ranking), why each matched, and,
//! against an org or a snapshot, which of their problems the org has, with the fix.
//!
//! Without `--org`, `--org-url` or `--snapshot` nothing is sent: the matches are shown with the command that would
//! check them.

mod checked;

pub use checked::Checked;

use std::path::PathBuf;
use std::time::Instant;

use regex::Regex;
use serde::Serialize;

use super::exit;
use super::run::{RunFlags, Selection};
use crate::content::{Article, Content};
use crate::diag::Diagnostic;
use crate::site::search::query::{Answer, CORRECTED, Correction, Index};
use crate::site::search::words;

/// The JSON output's version; its JSON Schema is `docs/diagnose.v<N>.schema.json`.
pub const SCHEMA_VERSION: u32 = 2;

/// A match is shown when it needs no more corrected words than the best article, and its score is at least this
/// share of the best's (three at most); a text of function words only (`you are`) matches nothing.
pub const MATCH_SHARE: f64 = 0.25;

/// Matches shown at most.
pub const MATCHES: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(clap::Args, Debug, Clone)]
pub struct DiagnoseArgs {
    #[command(flatten)]
    pub site: super::SiteArgs,
    /// The error message or symptom, as pasted (quote it)
    #[arg(value_name = "PASTED TEXT")]
    pub text: String,
    /// The org to check the matches against (nothing is sent without `--org`, `--org-url` or `--snapshot`)
    #[command(flatten)]
    pub target: super::run::OrgFlags,
    /// Check the matches against a snapshot taken by `kb snapshot`, with no network
    #[arg(long, value_name = "FILE", conflicts_with_all = ["org", "org_url", "log"])]
    pub snapshot: Option<PathBuf>,
    /// The output's format: `json` is versioned (docs/diagnose.v2.schema.json)
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    #[command(flatten)]
    pub run: RunFlags,
}

/// The JSON output.
#[derive(Debug, Serialize)]
pub struct Diagnosis {
    pub schema_version: u32,
    pub kb_version: String,
    pub query: String,
    /// The search page's first results for the text, every kind of page (articles and error pages).
    pub ranking: Vec<Ranked>,
    /// The articles shown: up to three above the threshold.
    pub matches: Vec<Match>,
    /// What checking the matches found; `null` without an org or a snapshot.
    pub checked: Option<Checked>,
    /// The command that checks the matches, when they were not checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Ranked {
    /// The page's URL, as the search page links it.
    pub url: String,
    pub title: String,
    pub score: f64,
}

#[derive(Debug, Serialize)]
pub struct Match {
    pub slug: String,
    pub title: String,
    pub url: String,
    pub permalink: String,
    /// `internal` for an article only an internal build publishes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<crate::content::Audience>,
    pub score: f64,
    /// Why it matched: `signature` (one of its error messages is in the text), `code` (an error code it lists),
    /// `correction` (a word it holds that the text had a typo in), or else `words` (the text's words it holds).
    pub why: Vec<Why>,
    pub has_checks: bool,
}

#[derive(Debug, Serialize)]
pub struct Why {
    pub kind: &'static str,
    pub text: String,
}

fn fail(diags: &[Diagnostic]) -> i32 {
    super::report(diags, "kb diagnose");
    exit::INVALID
}

pub fn run(args: &DiagnoseArgs) -> i32 {
    let text = args.text.trim();
    if text.is_empty() {
        return fail(&[
            Diagnostic::error("there is nothing to diagnose: the pasted text is empty")
                .hint("paste the error message in quotes: kb diagnose \"Sorry, you can't access …\""),
        ]);
    }
    let mut sel = match Selection::load(&args.site, &[], None) {
        Ok(s) => s,
        Err(d) => return fail(&d),
    };
    sel.content.cards = sel.checks.cards(&sel.content);
    let t = Instant::now();
    let build = || crate::site::search_files(&sel.config, &sel.content);
    let (index, cached) = match crate::site::search::cache::files(&sel.config, args.site.drafts, build) {
        Ok((files, cached)) => match Index::from_files(files) {
            Some(i) => (i, cached),
            None => {
                return fail(&[Diagnostic::error(
                    "the search index built from content/ cannot be read back",
                )]);
            }
        },
        Err(d) => return fail(&d),
    };
    if std::env::var_os("KB_TIMINGS").is_some() {
        let how = if cached { "read from the cache" } else { "built" };
        eprintln!("search index {how} in {} ms", t.elapsed().as_millis());
    }
    let answer = index.query(text);
    let (ranking, mut found) = rank(&index, &sel.content, &answer);
    // Only function words ("you are"): every article holds them, none is a match.
    let words = words::query_words(text);
    if words.iter().all(|w| words::STOP.contains(&w.as_str())) {
        found.clear();
    }
    let matches: Vec<Match> = found
        .iter()
        .map(|&(i, score)| {
            let a = &sel.content.articles[i];
            Match {
                slug: a.slug.clone(),
                title: a.title().to_string(),
                url: a.url.clone(),
                permalink: sel.config.permalink(&a.url),
                audience: a.internal.then_some(crate::content::Audience::Internal),
                score,
                why: why(a, text, &answer.corrections),
                has_checks: !sel.checks.by_article[i].is_empty(),
            }
        })
        .collect();
    let asked = args.target.named() || args.snapshot.is_some();
    let matched: Vec<usize> = found.iter().map(|&(i, _)| i).collect();
    let with_checks: Vec<usize> = matched
        .iter()
        .copied()
        .filter(|&i| !sel.checks.by_article[i].is_empty())
        .collect();
    let command = (!asked && !with_checks.is_empty()).then(|| {
        let slugs: Vec<&str> = with_checks
            .iter()
            .map(|&i| sel.content.articles[i].slug.as_str())
            .collect();
        format!("kb check {} --org NAME", slugs.join(" "))
    });
    let checked = if asked {
        match checked::check(args, sel, &matched) {
            Ok(c) => Some(c),
            Err(d) => return fail(&d),
        }
    } else {
        None
    };
    let code = checked.as_ref().map_or(exit::OK, |c| c.exit);
    let diagnosis = Diagnosis {
        schema_version: SCHEMA_VERSION,
        kb_version: env!("CARGO_PKG_VERSION").to_string(),
        query: text.to_string(),
        ranking,
        matches,
        checked,
        command,
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&diagnosis).unwrap_or_default()),
        Format::Human => print!("{}", checked::human(&diagnosis)),
    }
    code
}

/// A score as the words matched only through a correction (each costs [`CORRECTED`]) and the rest.
fn split(score: f64) -> (i64, f64) {
    if score >= 0.0 {
        return (0, score);
    }
    let corrected = (-score / CORRECTED).ceil();
    (corrected as i64, score + corrected * CORRECTED)
}

/// The search page's first ten results, and the articles among them above the threshold (index, score).
pub fn rank(index: &Index, content: &Content, answer: &Answer) -> (Vec<Ranked>, Vec<(usize, f64)>) {
    let mut ranking = Vec::new();
    let mut articles = Vec::new();
    for hit in &answer.hits {
        let Some(page) = index.page(hit.page) else { continue };
        if let Some(i) = content.articles.iter().position(|a| a.url == page.url) {
            articles.push((i, hit.score));
        }
        if ranking.len() < 10 {
            ranking.push(Ranked {
                url: page.url,
                title: page.title,
                score: hit.score,
            });
        }
    }
    let best = articles.first().map(|a| split(a.1));
    let found = articles
        .into_iter()
        .filter(|&(_, s)| {
            let (corrected, rest) = split(s);
            best.is_some_and(|(c, b)| corrected == c && rest > 0.0 && rest >= b * MATCH_SHARE)
        })
        .take(MATCHES)
        .collect();
    (ranking, found)
}

/// Why an article matched the text: its error messages found in it (placeholders such as `{0}` match anything),
/// the error codes both name, and the corrections it was found through; else the words of the text it holds.
fn why(a: &Article, text: &str, corrections: &[Correction]) -> Vec<Why> {
    let fold = |s: &str| s.replace(['’', '‘'], "'").replace(['“', '”'], "\"");
    let pasted = fold(text);
    let placeholder = Regex::new(r"\{[^{}]*\}").unwrap();
    let mut out = Vec::new();
    for sig in &a.meta.errors {
        let parts: Vec<String> = placeholder
            .split(&fold(sig))
            .map(|p| p.split_whitespace().map(regex::escape).collect::<Vec<_>>().join(r"\s+"))
            .collect();
        let code = words::is_code(&sig.trim().to_lowercase());
        let pattern = format!(
            "(?i){}{}{}",
            if code { r"\b" } else { "" },
            parts.join(".+?"),
            if code { r"\b" } else { "" }
        );
        if (sig.split_whitespace().count() >= 2 || code)
            && let Ok(re) = Regex::new(&pattern)
            && re.is_match(&pasted)
        {
            out.push(Why {
                kind: if code { "code" } else { "signature" },
                text: sig.clone(),
            });
        }
    }
    // A longer message found makes its parts redundant: "Not Assigned App" inside "403 Not Assigned App".
    let all: Vec<String> = out.iter().map(|w| w.text.to_lowercase()).collect();
    out.retain(|w| {
        let t = w.text.to_lowercase();
        !all.iter().any(|o| o.len() > t.len() && o.contains(&t))
    });
    let body = format!(
        "{} {} {}",
        a.title(),
        a.meta.description.as_deref().unwrap_or(""),
        a.body()
    )
    .to_lowercase();
    for c in corrections {
        if body.contains(&c.to) {
            out.push(Why {
                kind: "correction",
                text: format!("{} (typed {})", shown(&c.to), shown(&c.from)),
            });
        }
    }
    if out.is_empty() {
        let mut words: Vec<String> = words::query_words(text)
            .into_iter()
            .filter(|w| w.chars().count() >= 3 && !words::STOP.contains(&w.as_str()))
            .filter(|w| body.contains(w.as_str()))
            .collect();
        words.dedup();
        words.truncate(8);
        if !words.is_empty() {
            out.push(Why {
                kind: "words",
                text: words.join(", "),
            });
        }
    }
    out
}

/// A word as people write it: an error code in capitals (`E0000007`), other words as they are.
fn shown(word: &str) -> String {
    if words::is_code(word) {
        word.to_uppercase()
    } else {
        word.to_string()
    }
}
