//! The second half of `kb diagnose`: running the matches' checks against an org or a snapshot, the verdict in
//! words, and the diagnosis for a terminal. The checks' results are printed by `kb check`'s own human report.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::{DiagnoseArgs, Diagnosis};
use crate::cmd::replay::{self, Wanted};
use crate::cmd::run::Selection;
use crate::diag::Diagnostic;
use crate::report::{ArticleReport, FromSnapshot, Report, Status};
use crate::runner::Source;
use crate::runner::org::Org;

#[derive(Debug, Serialize)]
pub struct Checked {
    pub org: String,
    pub org_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<FromSnapshot>,
    /// `present` (a matched article's checks fail: the org has its problem), `absent` (every check of every checked
    /// match passed or does not apply), `unknown` (none failed, and one erred or could not run), `none` (no match
    /// has checks this org or snapshot can run).
    pub verdict: &'static str,
    /// The slugs of the matched articles whose problem the org has.
    pub present: Vec<String>,
    /// The matches that were not checked: they have no checks, or the snapshot did not record them.
    pub unchecked: Vec<String>,
    /// Each checked article, as `kb check`'s JSON report gives it.
    pub articles: Vec<ArticleReport>,
    /// The Solution section of each article present, as text, by slug.
    pub solutions: BTreeMap<String, String>,
    #[serde(skip)]
    pub(super) exit: i32,
    #[serde(skip)]
    report: Option<Report>,
}

/// Runs the checks of the matched articles (`matched`, best first) against the org or snapshot the flags name.
/// Nothing is resolved or sent when no match has checks.
pub(super) fn check(args: &DiagnoseArgs, sel: Selection, matched: &[usize]) -> Result<Checked, Vec<Diagnostic>> {
    let with_checks: Vec<usize> = matched
        .iter()
        .copied()
        .filter(|&i| !sel.checks.by_article[i].is_empty())
        .collect();
    let slugs = |sel: &Selection, of: &[usize]| -> Vec<String> {
        of.iter().map(|&i| sel.content.articles[i].slug.clone()).collect()
    };
    if with_checks.is_empty() {
        let target = args
            .target
            .org
            .clone()
            .or(args.target.org_url.clone())
            .unwrap_or_default();
        return Ok(Checked {
            org: target.clone(),
            org_url: target,
            snapshot: None,
            verdict: "none",
            present: Vec::new(),
            unchecked: slugs(&sel, matched),
            articles: Vec::new(),
            solutions: BTreeMap::new(),
            exit: crate::exit::OK,
            report: None,
        });
    }
    let (sel, org, source, snapshot, withheld) = source(args, sel, with_checks)?;
    let unchecked: Vec<usize> = matched.iter().copied().filter(|i| !sel.selected.contains(i)).collect();
    let unchecked = slugs(&sel, &unchecked);
    // The fix of each checked article, as text, for those whose problem the org turns out to have.
    let mut solutions: BTreeMap<String, String> = sel
        .selected
        .iter()
        .filter_map(|&i| {
            let a = &sel.content.articles[i];
            Some((a.slug.clone(), crate::markdown::plain::section(a.body(), "Solution")?))
        })
        .collect();
    let mut report =
        crate::cmd::run::report(sel, &org, source, withheld, false, args.run.log.as_deref()).map_err(|d| vec![*d])?;
    report.snapshot = snapshot.clone();
    let present: Vec<String> = report
        .articles
        .iter()
        .filter(|a| a.status == Status::Fail)
        .map(|a| a.slug.clone())
        .collect();
    solutions.retain(|slug, _| present.contains(slug));
    Ok(Checked {
        org: report.org.clone(),
        org_url: report.org_url.clone(),
        snapshot,
        verdict: verdict(&report),
        present,
        unchecked,
        solutions,
        exit: report.exit_code(),
        articles: report.articles.clone(),
        report: Some(report),
    })
}

type Prepared = (
    Selection,
    Org,
    Source,
    Option<FromSnapshot>,
    Vec<crate::runner::Finished>,
);

/// The selection narrowed to `articles`, the org and where its answers come from: the snapshot, or the org itself.
fn source(args: &DiagnoseArgs, sel: Selection, articles: Vec<usize>) -> Result<Prepared, Vec<Diagnostic>> {
    if let Some(path) = &args.snapshot {
        let request = replay::Request {
            path,
            vars: &args.target.vars,
            admin_url: args.target.admin_url.as_deref(),
            min_severity: None,
            max_total: args.run.max_total,
            max_body: args.run.max_body,
        };
        let r = replay::prepare(sel, Wanted::Among(articles), &request)?;
        return Ok((r.sel, r.org, r.source, Some(r.info), r.withheld));
    }
    let sel = sel.narrow(articles, None);
    let org = args.target.resolve(&sel.config, true)?;
    let client = crate::cmd::run::client(&args.run, &org, &sel.scopes(&org))?;
    Ok((sel, org, Source::Org(client), None, Vec::new()))
}

/// The verdict in one word: `present` on a failure; else `unknown` when a check erred, could not run (a var it
/// needs was not given) or the run was interrupted; else `absent` (every check passed or does not apply).
fn verdict(report: &Report) -> &'static str {
    let checks = || report.articles.iter().flat_map(|a| &a.checks);
    if report.articles.is_empty() {
        "none"
    } else if report.articles.iter().any(|a| a.status == Status::Fail) {
        "present"
    } else if report.interrupted
        || checks().any(|c| {
            c.status == Status::Error || (c.status == Status::Skip && c.reason.as_deref() != Some("precondition"))
        })
    {
        "unknown"
    } else {
        "absent"
    }
}

/// The diagnosis for a terminal.
pub(super) fn human(d: &Diagnosis) -> String {
    let mut out = String::new();
    if d.matches.is_empty() {
        let _ = writeln!(
            out,
            "No article matches this text. Paste the error message itself, or its code (E0000007, invalid_grant)."
        );
        return out;
    }
    let n = d.matches.len();
    let _ = writeln!(
        out,
        "{n} article{} for the pasted text:\n",
        if n == 1 { " matches" } else { "s match" }
    );
    for (i, m) in d.matches.iter().enumerate() {
        let note = if m.audience.is_some() {
            " (internal article: on the internal site only)"
        } else {
            ""
        };
        let _ = writeln!(out, "{}. {}\n   {}{note}", i + 1, m.title, m.permalink);
        for w in &m.why {
            let what = match w.kind {
                "signature" => "the error message",
                "code" => "the error code",
                "correction" => "a correction",
                _ => "the words",
            };
            let _ = writeln!(out, "   matched {what}: {}", w.text);
        }
        if !m.has_checks {
            let _ = writeln!(out, "   (no checks: read the article to tell whether it applies)");
        }
    }
    match (&d.checked, &d.command) {
        (None, Some(cmd)) => {
            let _ = writeln!(
                out,
                "\nNothing was sent to an org. To check whether your org has these problems:\n  {cmd}\n(or kb diagnose \
                 again with --org NAME, --org-url URL or --snapshot FILE)"
            );
        }
        (None, None) => {}
        (Some(c), _) => checked(&mut out, c),
    }
    out
}

/// What checking found: `kb check`'s human report of the matches, then the verdict and the fix.
fn checked(out: &mut String, c: &Checked) {
    if let Some(report) = &c.report {
        let _ = write!(out, "\n{}", crate::report::human::render(report, false));
    }
    match c.verdict {
        "present" => {
            for slug in &c.present {
                let Some(a) = c.articles.iter().find(|a| &a.slug == slug) else {
                    continue;
                };
                let _ = writeln!(out, "\nYour org has this problem: {}\n  {}", a.title, a.permalink);
                if let Some(s) = c.solutions.get(slug) {
                    let _ = writeln!(out, "\nSolution:");
                    for line in s.lines() {
                        let _ = writeln!(out, "  {line}");
                    }
                }
            }
        }
        "absent" => {
            let _ = writeln!(out, "\nNone of the checked articles' problems is present in this org.");
        }
        "unknown" => {
            let _ = writeln!(
                out,
                "\nkb could not tell: no check failed, but one erred or could not run (above). Fix what it says and \
                 run again."
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "\nNone of the matched articles has checks this org or snapshot can run."
            );
        }
    }
    if !c.unchecked.is_empty() {
        let _ = writeln!(
            out,
            "Not checked (no checks, or not in the snapshot): {}",
            c.unchecked.join(", ")
        );
    }
}
