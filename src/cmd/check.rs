//! `kb check [ARTICLE|TAG...]`: runs the selected articles' checks against an org and reports per article.
//! `--plan` prints the requests instead, with no network; `--snapshot` replays a snapshot instead of asking an org.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;

use super::replay::Wanted;
use super::run::Selection;
use super::{SiteArgs, exit};
use crate::checks::model::Severity;
use crate::checks::{Checks, SkipReason, Skipped, Verdict, with_defaults};
use crate::content::Content;
use crate::diag::Diagnostic;
use crate::report::{self, FromSnapshot, Report};
use crate::runner::org::Org;
use crate::runner::{Finished, Job, Source};
use crate::text::count;
use crate::waivers::Waivers;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Junit,
    Markdown,
    Html,
    /// Short Markdown for a CI job's summary or a chat message (at most 60 KiB).
    Summary,
}

impl Format {
    /// The report in this format (`color`: the human report's, on a terminal).
    pub fn render(self, report: &Report, color: bool) -> String {
        match self {
            Format::Human => report::human::render(report, color),
            Format::Json => report.to_json(),
            Format::Junit => report::junit::render(report),
            Format::Markdown => report::markdown::render(report),
            Format::Html => report::html::render(report),
            Format::Summary => report::summary::render(report),
        }
    }
}

/// `--reporter FORMAT:FILE`: one more report of the run, in that format, written to that file.
fn reporter(s: &str) -> Result<(Format, PathBuf), String> {
    let (format, file) = s
        .split_once(':')
        .ok_or_else(|| format!("`{s}` is not FORMAT:FILE, e.g. junit:out/junit.xml"))?;
    let format = <Format as clap::ValueEnum>::from_str(format, true)
        .map_err(|_| format!("`{format}` is not a format: one of human, json, junit, markdown, html, summary"))?;
    if file.is_empty() {
        return Err(format!("`{s}` names no file: write FORMAT:FILE"));
    }
    Ok((format, PathBuf::from(file)))
}

#[derive(clap::Args, Debug, Clone)]
pub struct CheckArgs {
    #[command(flatten)]
    pub site: SiteArgs,
    /// Articles (slug, source path or section folder) or tags; all articles with checks when none is given
    #[arg(value_name = "ARTICLE|TAG")]
    pub articles: Vec<String>,
    #[command(flatten)]
    pub target: super::run::OrgFlags,
    /// The report's format
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Write the report to FILE instead of standard output
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The waivers: accepted failures with a reason and an expiry [default: waivers.toml beside kb.toml, if any]
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// A previous JSON report of the same org: every report then leads with what changed since (new failures,
    /// fixed, still failing, ...)
    #[arg(long, value_name = "PREVIOUS.json")]
    pub compare: Option<PathBuf>,
    /// One more report of the same run, e.g. --reporter junit:out/junit.xml --reporter summary:$GITHUB_STEP_SUMMARY
    /// (repeatable; the report of --format still goes to standard output or --output)
    #[arg(long, value_name = "FORMAT:FILE", value_parser = reporter)]
    pub reporter: Vec<(Format, PathBuf)>,
    #[command(flatten)]
    pub run: super::run::RunFlags,
    /// Replay a snapshot taken by `kb snapshot` instead of asking an org: no request is sent
    #[arg(long, value_name = "FILE", conflicts_with_all = ["org", "org_url", "plan", "log"])]
    pub snapshot: Option<PathBuf>,
    /// Print the requests the checks would make, and send none
    #[arg(long)]
    pub plan: bool,
    /// Run only the checks of this severity or higher; the others are `skip` (reason `filtered`)
    #[arg(long, value_name = "LEVEL", value_parser = severity)]
    pub min_severity: Option<Severity>,
    /// Exit 1 only when a check of this severity or higher fails (the other fails are still reported)
    #[arg(long, value_name = "LEVEL", value_parser = severity)]
    pub fail_on: Option<Severity>,
    /// Make a check that cannot run for want of a variable (`needs_var`) an error, for CI jobs that must run all
    #[arg(long)]
    pub strict: bool,
    /// Open the HTML report in a browser ($BROWSER, else the system's): the --output file with --format html,
    /// otherwise an HTML report written to the temporary folder besides the chosen format
    #[arg(long)]
    pub open: bool,
}

/// `critical`, `high`, `medium`, `low` or `info`.
pub fn severity(s: &str) -> Result<Severity, String> {
    Severity::parse(&s.to_ascii_lowercase()).ok_or_else(|| "one of critical, high, medium, low, info".to_string())
}

pub fn fail(diags: &[Diagnostic]) -> i32 {
    super::report(diags, "kb check");
    exit::INVALID
}

pub fn run(args: &CheckArgs) -> i32 {
    let articles = match &args.snapshot {
        Some(_) => Vec::new(),
        None => args.articles.clone(),
    };
    let sel = match Selection::load(&args.site, &articles, args.min_severity) {
        Ok(s) => s,
        Err(d) => return fail(&d),
    };
    // The previous report is read before anything is sent: a bad one stops the run at once.
    let previous = match args.compare.as_deref().map(report::read::file).transpose() {
        Ok(p) => p,
        Err(d) => return fail(&d),
    };
    let waivers = match load_waivers(args, &sel) {
        Ok(w) => w,
        Err(d) => return fail(&d),
    };
    let extra = Extra { previous, waivers };
    if let Some(path) = &args.snapshot {
        let request = super::replay::Request {
            path,
            vars: &args.target.vars,
            admin_url: args.target.admin_url.as_deref(),
            min_severity: args.min_severity,
            max_total: args.run.max_total,
            max_body: args.run.max_body,
        };
        return match super::replay::prepare(sel, Wanted::Named(&args.articles), &request) {
            Ok(r) => match same_org(extra.previous.as_ref(), &r.org) {
                Ok(()) => finish(args, r.sel, &r.org, r.source, Some((r.info, r.withheld)), extra),
                Err(d) => fail(&d),
            },
            Err(d) => fail(&d),
        };
    }
    let org = match args.target.resolve(&sel.config, !args.plan) {
        Ok(o) => o,
        Err(d) => return fail(&d),
    };
    if let Err(d) = same_org(extra.previous.as_ref(), &org) {
        return fail(&d);
    }
    let scopes = sel.scopes(&org);
    if args.plan {
        print!(
            "{}",
            plan(&sel.content, &sel.checks, &sel.jobs, &org, &scopes, args.strict)
        );
        for j in &sel.filtered {
            let c = &sel.checks.by_article[j.article][j.index];
            println!(
                "not run: {} {} (severity {}, below --min-severity)",
                sel.content.articles[j.article].slug, c.id, c.severity
            );
        }
        return exit::OK;
    }
    match super::run::client(&args.run, &org, &scopes) {
        Ok(c) => finish(args, sel, &org, Source::Org(c), None, extra),
        Err(d) => fail(&d),
    }
}

/// Runs the selection against `source`, then writes the report as the flags ask: its exit status. A replay gives
/// the snapshot it read and the checks it does not judge.
fn finish(
    args: &CheckArgs,
    sel: Selection,
    org: &Org,
    source: Source,
    replay: Option<(FromSnapshot, Vec<Finished>)>,
    extra: Extra,
) -> i32 {
    let mut sel = sel;
    let mut skipped = sel.filtered_out(args.min_severity);
    skipped.extend(not_run(&mut sel, &extra.waivers));
    let (snapshot, withheld) = replay.map_or((None, Vec::new()), |(s, w)| (Some(s), w));
    skipped.extend(withheld);
    let log = args.run.log.as_deref();
    let mut report = match super::run::report(sel, org, source, skipped, args.strict, log) {
        Ok(r) => r,
        Err(d) => return fail(&[*d]),
    };
    report.fail_on = args.fail_on;
    report.snapshot = snapshot;
    report.apply(&extra.waivers);
    report.changes = extra.previous.map(|p| report::compare::compare(&p, &report));
    emit(args, &report)
}

/// What a run is judged against besides the org: a previous report (`--compare`) and the waivers.
struct Extra {
    previous: Option<Report>,
    waivers: Waivers,
}

/// The waivers (`--waivers FILE`, else `waivers.toml` beside kb.toml when there is one), checked against the
/// knowledge base; its warnings (expired, expiring soon) printed.
/// A replay (`--snapshot`) reads another org's answers: the knowledge base's own `waivers.toml` is for its own
/// org, so only a `--waivers` given for the replay applies.
fn load_waivers(args: &CheckArgs, sel: &Selection) -> Result<Waivers, Vec<Diagnostic>> {
    if args.snapshot.is_some() && args.waivers.is_none() {
        return Ok(Waivers::default());
    }
    let today = crate::waivers::today(std::env::var(crate::waivers::TODAY_VAR).ok())?;
    let (waivers, warnings) = Waivers::load(
        &sel.config.root,
        args.waivers.as_deref(),
        &sel.content,
        &sel.checks,
        today,
    )?;
    eprint!("{}", crate::diag::render(&warnings, super::color()));
    Ok(waivers)
}

/// The checks a waiver says not to run (`run = false`): taken out of the run, `skip` with the reason `waived`.
fn not_run(sel: &mut Selection, waivers: &Waivers) -> Vec<Finished> {
    let mut out = Vec::new();
    let (content, checks) = (&sel.content, &sel.checks);
    sel.jobs.retain(|job| {
        let (slug, id) = (
            &content.articles[job.article].slug,
            &checks.by_article[job.article][job.index].id,
        );
        match waivers.of(slug, id).filter(|w| !w.run) {
            Some(w) => {
                out.push(Finished {
                    job: *job,
                    verdict: Verdict::Skip(Skipped {
                        reason: SkipReason::Waived,
                        message: format!("not run: waived until {} ({})", w.expires, w.reason),
                    }),
                    duration: std::time::Duration::ZERO,
                });
                false
            }
            None => true,
        }
    });
    out
}

/// A previous report (`--compare`) must be of the org this run reads: compared by origin, not profile name.
fn same_org(previous: Option<&Report>, org: &Org) -> Result<(), Vec<Diagnostic>> {
    let origin = org.url.origin().ascii_serialization();
    match previous {
        Some(p) if p.org_url.trim_end_matches('/') != origin => {
            Err(vec![Diagnostic::error(format!(
            "the previous report (--compare) is of {}, and this run is of {origin}: there is nothing to compare",
            p.org_url
        ))
        .hint("compare with a report of the same org (its org_url)")])
        }
        _ => Ok(()),
    }
}

/// Writes the report in the chosen format, to `--output` or standard output, and opens it with `--open`.
fn emit(args: &CheckArgs, report: &Report) -> i32 {
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let text = args.format.render(report, to_terminal && super::color_allowed());
    for (format, path) in &args.reporter {
        let written = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| crate::site::output::write_file(path, format.render(report, false).as_bytes()));
        if let Err(e) = written {
            eprintln!("error: cannot write the report {}: {e}", path.display());
            return exit::INVALID;
        }
    }
    match &args.output {
        None => print!("{text}"),
        Some(path) => {
            if let Err(e) = std::fs::write(path, &text) {
                eprintln!("error: cannot write the report {}: {e}", path.display());
                return exit::INVALID;
            }
            eprintln!("{} (report written to {})", report.tally(), path.display());
        }
    }
    if args.open {
        open_html(args, report);
    }
    report.exit_code()
}

/// Opens the run's HTML report, writing it first unless `--output` already holds it. Failing to open is a warning:
/// the run and its exit status stand.
fn open_html(args: &CheckArgs, report: &report::Report) {
    let path = match (&args.output, args.format) {
        (Some(path), Format::Html) => path.clone(),
        _ => {
            let stamp: String = report.started_at.chars().filter(char::is_ascii_alphanumeric).collect();
            let org: String = report
                .org
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let path = std::env::temp_dir().join(format!("kb-check-{org}-{stamp}.html"));
            if let Err(e) = std::fs::write(&path, report::html::render(report)) {
                eprintln!("warning: cannot write the HTML report {}: {e}", path.display());
                return;
            }
            path
        }
    };
    match opener::open_browser(&path) {
        Ok(()) => eprintln!("Opened the report {}", path.display()),
        Err(e) => eprintln!(
            "warning: cannot open {} in a browser ({e}); open it yourself",
            path.display()
        ),
    }
}

/// The plan: per article and check, each request with every value known before the run filled in; values that
/// come from the org's answers stay `{name}`.
fn plan(content: &Content, checks: &Checks, jobs: &[Job], org: &Org, scopes: &[String], strict: bool) -> String {
    let mut out = String::new();
    let credential = &org.credential_kind;
    let articles: BTreeSet<usize> = jobs.iter().map(|j| j.article).collect();
    let _ = writeln!(
        out,
        "kb check plan: {} ({}), {}, {}, with {credential}; nothing is sent\n",
        org.name,
        org.url.origin().ascii_serialization(),
        count(articles.len(), "article"),
        count(jobs.len(), "check")
    );
    let vars = with_defaults(&org.vars, &org.url);
    let origin = org.url.origin().ascii_serialization();
    let mut known = BTreeSet::new();
    let mut per_item: Vec<String> = Vec::new();
    let mut last = None;
    for job in jobs {
        let a = &content.articles[job.article];
        if last != Some(job.article) {
            let note = if a.internal { " (internal article)" } else { "" };
            let _ = writeln!(out, "{}{note}", a.slug);
            last = Some(job.article);
        }
        let check = &checks.by_article[job.article][job.index];
        let _ = writeln!(out, "  {}: {} [{}]", check.id, check.title, check.severity);
        let missing = check.missing_vars(&org.vars);
        if !missing.is_empty() {
            let what = if strict {
                "an error (--strict)"
            } else {
                "not run (needs_var)"
            };
            let _ = writeln!(out, "    {what}: needs {}", crate::checks::var_flags(&missing));
            continue;
        }
        let b = match check.bind(vars.clone()) {
            Ok(b) => b,
            Err(e) => {
                let _ = writeln!(out, "    cannot be planned: {e}");
                continue;
            }
        };
        let described = check.describe_requests();
        for (i, words) in described.iter().enumerate() {
            match check.request(i, &b, &org.url) {
                Ok(r) => {
                    known.insert(r.url.to_string());
                    let _ = writeln!(out, "    {} {}", r.method.as_str(), r.url);
                }
                Err(_) => {
                    // `GET /api/...` with the org's origin before the path.
                    let (method, path) = words.split_once(' ').unwrap_or(("", words));
                    if let Some(f) = &check.steps()[i].for_each {
                        let path = path.split(" (once per item").next().unwrap_or(path);
                        per_item.push(format!("{} of `{}` in {}", check.id, f.list, a.slug));
                        let _ = writeln!(
                            out,
                            "    {method} {origin}{path}  (one request per item of `{}`, at most {}; the count is known \
                             once the list is read)",
                            f.list, f.max
                        );
                    } else {
                        let _ = writeln!(out, "    {method} {origin}{path}  (values from the answers above)");
                    }
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{} distinct requests known before the run, each sent once; scopes: {}",
        known.len(),
        if scopes.is_empty() {
            "none".to_string()
        } else {
            scopes.join(", ")
        }
    );
    if !per_item.is_empty() {
        let _ = writeln!(
            out,
            "and one request per item for {}: {}",
            count(per_item.len(), "step"),
            per_item.join("; ")
        );
    }
    out
}
