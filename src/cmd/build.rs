//! `kb build`

use std::collections::HashMap;
use std::path::PathBuf;

use super::{SiteArgs, exit};
use crate::config::Config;
use crate::diag::{Diagnostic, SourceFile};
use crate::report::{READS, Report};
use crate::site::status::{ArticleStatus, CheckStatus, Counts, OrgStatus};
use crate::site::{self, BuildOptions};

#[derive(clap::Args, Debug, Clone)]
pub struct BuildArgs {
    #[command(flatten)]
    pub site: SiteArgs,
    /// Output folder [default: ROOT/site]
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Override kb.toml's base_url (e.g. for a preview deployment)
    #[arg(long)]
    pub base_url: Option<String>,
    /// Skip the search index (and the search box and page)
    #[arg(long)]
    pub no_search: bool,
    /// Show an org's check results (a JSON report from `kb check --format json`) on the articles, on /report/ and
    /// on the home page; those pages get noindex and stay out of the sitemap and the search index
    #[arg(long, value_name = "REPORT.json")]
    pub report: Option<PathBuf>,
}

pub fn run(args: &BuildArgs) -> i32 {
    let started = std::time::Instant::now();
    let config = match Config::load(&args.site.root, args.base_url.as_deref()) {
        Ok(c) => c,
        Err(d) => {
            super::report(&d, "build");
            return exit::INVALID;
        }
    };
    let status = match args.report.as_ref().map(load_report).transpose() {
        Ok(s) => s,
        Err(d) => {
            super::report(&d, "build");
            return exit::INVALID;
        }
    };
    let output = args.output.clone().unwrap_or_else(|| args.site.root.join("site"));
    let opts = BuildOptions {
        output: Some(output.clone()),
        search: !args.no_search,
        status,
    };
    let loaded = super::load(&config, args.site.drafts).with_cards();
    match site::build(&config, &loaded.content, loaded.diags, &opts) {
        Ok(summary) => {
            super::report(&summary.warnings, "build");
            eprintln!(
                "Built {} articles into {} pages in {} in {:.2?}",
                summary.articles,
                summary.pages,
                output.display(),
                started.elapsed()
            );
            if std::env::var_os("KB_TIMINGS").is_some() {
                for (phase, t) in loaded.phases.iter().chain(&summary.phases) {
                    eprintln!("  {phase:<16} {t:.2?}");
                }
            }
            exit::OK
        }
        Err(failure) => {
            super::report(&failure.diagnostics, "build");
            eprintln!("The previous site in {} was left as it was.", output.display());
            exit::INVALID
        }
    }
}

/// Reads a `kb check` JSON report into what the site shows.
fn load_report(path: &PathBuf) -> Result<OrgStatus, Vec<Diagnostic>> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostic::error(format!("cannot read the report: {e}"))
            .at_path(shown.clone())
            .hint("pass the file `kb check --format json --output FILE` wrote")
    });
    let text = text.map_err(|d| vec![d])?;
    let not_a_report = |e: serde_json::Error| {
        let file = SourceFile::new(shown.clone(), text.as_str());
        let at = offset(&text, e.line(), e.column());
        vec![
            Diagnostic::error(format!("not a kb check JSON report: {e}"))
                .at(&file, at..at)
                .hint("write it with `kb check --format json --output FILE`"),
        ]
    };
    // The version first: a report of a version this kb does not know is refused as such, whatever else it holds.
    #[derive(serde::Deserialize)]
    struct Versioned {
        schema_version: u32,
    }
    let version = serde_json::from_str::<Versioned>(&text)
        .map_err(not_a_report)?
        .schema_version;
    if !READS.contains(&version) {
        let known: Vec<String> = READS.iter().map(u32::to_string).collect();
        return Err(vec![
            Diagnostic::error(format!(
                "the report has schema_version {version}; this kb reads versions {}",
                known.join(" and ")
            ))
            .at_path(shown)
            .hint("run kb check again with this version of kb"),
        ]);
    }
    // Version 2 added a value (`body`) to `reason`, a string either way: one reader takes both.
    let mut report = serde_json::from_str::<Report>(&text).map_err(not_a_report)?;
    // Statuses and counts are derived from the checks, as `kb check` derives them.
    report.finish();
    Ok(org_status(&report))
}

/// The byte offset of serde_json's 1-based line and column (0 for errors without a position).
fn offset(text: &str, line: usize, column: usize) -> usize {
    if line == 0 {
        return 0;
    }
    let start: usize = text.split_inclusive('\n').take(line - 1).map(str::len).sum();
    (start + column.saturating_sub(1)).min(text.len())
}

fn org_status(report: &Report) -> OrgStatus {
    let s = &report.summary;
    let counts = Counts {
        pass: s.pass,
        fail: s.fail,
        error: s.error,
        skip: s.skip,
    };
    let mut articles = HashMap::new();
    for a in &report.articles {
        let checks = a
            .checks
            .iter()
            .map(|c| CheckStatus {
                title: c.title.clone(),
                status: c.status.as_str(),
                severity: c.severity.as_str(),
                message: c.message.clone(),
                findings: crate::report::shown_findings(c),
                more: c.unlisted(),
                total: c.findings_total.max(c.findings.len()),
            })
            .collect();
        articles.insert(
            a.slug.clone(),
            ArticleStatus {
                status: a.status.as_str(),
                checks,
            },
        );
    }
    let checked_at = chrono::DateTime::parse_from_rfc3339(&report.started_at)
        .map(|t| t.to_utc().format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| report.started_at.clone());
    OrgStatus {
        org: report.org.clone(),
        org_url: report.org_url.clone(),
        checked_at,
        checked_at_iso: report.started_at.clone(),
        interrupted: report.interrupted,
        counts,
        articles,
    }
}
