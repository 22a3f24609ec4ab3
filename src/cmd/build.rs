//! `kb build`

use std::collections::HashMap;
use std::path::PathBuf;

use super::{SiteArgs, exit};
use crate::diag::Diagnostic;
use crate::report::Report;
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
    /// Fail when an article's review is overdue (otherwise a warning each)
    #[arg(long)]
    pub deny_overdue: bool,
    /// Keep renderings in DIR between builds, and take from it what has not changed: a build after a small edit
    /// renders only what the edit changes. The output is the same as without it; deleting DIR is always safe
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
}

pub fn run(args: &BuildArgs) -> i32 {
    let started = std::time::Instant::now();
    let (config, today) = match args.site.publishing(args.base_url.as_deref()) {
        Ok(c) => c,
        Err(d) => {
            super::report(&d, "build");
            return exit::INVALID;
        }
    };
    let super::Publishable {
        mut content,
        mut diags,
        phases: load_phases,
    } = super::load_publishable(&config, args.site.drafts);
    diags.extend(crate::reviews::diagnostics(&config, &content, today, args.deny_overdue));
    let status = match args.report.as_deref().map(|p| load_report(p, &content)).transpose() {
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
        cache: args.cache.clone(),
    };
    match site::build(&config, &mut content, diags, &opts) {
        Ok(summary) => {
            super::report(&summary.warnings, "build");
            let cached = summary.cached.map_or(String::new(), |(hits, misses)| {
                format!(" ({hits} renderings from the cache, {misses} made)")
            });
            eprintln!(
                "Built {} articles into {} pages in {} in {:.2?}{cached}",
                summary.articles,
                summary.pages,
                output.display(),
                started.elapsed()
            );
            if std::env::var_os("KB_TIMINGS").is_some() {
                for (phase, t) in load_phases.iter().chain(&summary.phases) {
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

/// Reads a `kb check` JSON report into what the site shows. A public build shows nothing of an internal
/// article's results, not even in the counts.
fn load_report(path: &std::path::Path, content: &crate::content::Content) -> Result<OrgStatus, Vec<Diagnostic>> {
    let mut report = crate::report::read::file(path)?;
    let before = report.articles.len();
    let public = content.audience == crate::content::Audience::Public;
    report.articles.retain(|a| {
        let internal =
            a.audience == Some(crate::content::Audience::Internal) || content.internal_paths.contains(&a.slug);
        !(public && internal)
    });
    if report.articles.len() != before {
        report.finish();
    }
    Ok(org_status(&report))
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
