//! `kb gaps`: the error catalogues' entries that no article lists (by code, sub-code or message, word for word),
//! per catalogue: what a support team could write next.

use serde::Serialize;

use super::{SiteArgs, exit};
use crate::catalogue::{Entry, entry_at};
use crate::config::Config;
use crate::content::Content;
use crate::site::taxonomy::{Kind, Taxonomy};

#[derive(clap::Args, Debug)]
pub struct GapsArgs {
    #[command(flatten)]
    pub site: SiteArgs,
    /// `human` (the default) or `json`
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
    /// Exit 1 when any entry has no article
    #[arg(long)]
    pub deny_gaps: bool,
}

#[derive(Serialize)]
struct CatalogueGaps<'a> {
    id: &'a str,
    name: &'a str,
    release: Option<&'a str>,
    source: Option<&'a str>,
    total: usize,
    covered: usize,
    gaps: Vec<Gap<'a>>,
}

#[derive(Serialize)]
struct Gap<'a> {
    #[serde(flatten)]
    entry: &'a Entry,
    /// The entry's page on the site.
    page: String,
}

pub fn run(args: &GapsArgs) -> i32 {
    let config = match args.site.config(None, None) {
        Ok(c) => c,
        Err(d) => {
            super::report(&d, "kb gaps");
            return exit::INVALID;
        }
    };
    if config.catalogues.is_empty() {
        eprintln!(
            "error: kb.toml names no error catalogues\n  = hint: add [errors] catalogues = [\"catalogues/NAME.toml\"] \
             (README, \"Error catalogues\")"
        );
        return exit::INVALID;
    }
    let mut diags = Vec::new();
    let content = Content::load(&config, args.site.drafts, &mut diags);
    if diags.iter().any(|d| d.is_error()) {
        super::report(&diags, "kb gaps");
        return exit::INVALID;
    }
    let report = gaps(&config, &content);
    let text = if args.format == "json" {
        let json = serde_json::to_string_pretty(&serde_json::json!({ "catalogues": report })).expect("JSON");
        json + "\n"
    } else {
        human(&report)
    };
    // A reader that stops early (`kb gaps | head`) is not an error.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
    let any = report.iter().any(|c| !c.gaps.is_empty());
    if args.deny_gaps && any { exit::FAIL } else { exit::OK }
}

fn gaps<'a>(config: &'a Config, content: &Content) -> Vec<CatalogueGaps<'a>> {
    let errors = Taxonomy::build(Kind::Errors, content, &config.catalogues);
    let coverage = errors.coverage(config.catalogues.len());
    config
        .catalogues
        .iter()
        .zip(coverage)
        .map(|(c, cov)| CatalogueGaps {
            id: &c.id,
            name: &c.name,
            release: c.release.as_deref(),
            source: c.source.as_deref(),
            total: cov.total(),
            covered: cov.covered,
            gaps: cov
                .uncovered
                .iter()
                .filter_map(|t| {
                    let (_, entry) = entry_at(&config.catalogues, t.entry?);
                    let page = config.permalink(&config.url(&format!("errors/{}/", t.slug)));
                    Some(Gap { entry, page })
                })
                .collect(),
        })
        .collect()
}

fn human(report: &[CatalogueGaps]) -> String {
    let mut s = String::new();
    for c in report {
        let release = c.release.map(|r| format!(", release {r}")).unwrap_or_default();
        s.push_str(&format!(
            "{}{release}: {} of {} entries have no article ({} covered)\n",
            c.name,
            c.gaps.len(),
            c.total,
            c.covered
        ));
        for g in &c.gaps {
            let e = g.entry;
            let code = match &e.sub_code {
                Some(sub) if sub != &e.code => format!("{} {sub}", e.code),
                _ => e.code.clone(),
            };
            s.push_str(&format!("  {code}  {}  {}: {}\n", e.status, e.title, e.message));
        }
    }
    s
}
