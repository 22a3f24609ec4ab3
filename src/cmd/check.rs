//! `kb check [ARTICLE|TAG...]`: runs the selected articles' checks against an org and reports per article.
//! `--plan` prints the requests instead, with no network.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{SiteArgs, exit};
use crate::checks::eval::{Error, Reason};
use crate::checks::model::Severity;
use crate::checks::{Checks, SkipReason, Skipped, Verdict, with_defaults};
use crate::config::Config;
use crate::content::Content;
use crate::diag::Diagnostic;
use crate::report::{self, ArticleReport, CheckReport, Report, Status, Summary};
use crate::runner::client::{Client, Options};
use crate::runner::http;
use crate::runner::org::{Org, OrgArgs};
use crate::runner::{self, Finished, Job, auth::Auth};
use crate::text::count;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Junit,
    Markdown,
    Html,
}

#[derive(clap::Args, Debug, Clone)]
pub struct CheckArgs {
    #[command(flatten)]
    pub site: SiteArgs,
    /// Articles (slug, source path or section folder) or tags; all articles with checks when none is given
    #[arg(value_name = "ARTICLE|TAG")]
    pub articles: Vec<String>,
    /// The org profile of kb.toml ([orgs.NAME]); the default when only one is defined
    #[arg(long, value_name = "NAME")]
    pub org: Option<String>,
    /// The org's URL, without a profile (the token then comes from OKTA_API_TOKEN)
    #[arg(long, value_name = "URL")]
    pub org_url: Option<String>,
    /// The Admin Console's origin for findings' links, e.g. https://acme-admin.okta.com (by default derived from
    /// the org's URL; needed for a custom domain)
    #[arg(long, value_name = "URL")]
    pub admin_url: Option<String>,
    /// A value for the checks' `vars`, e.g. --var admin=alice@acme.com (repeatable)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// The report's format
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Write the report to FILE instead of standard output
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Requests in flight at most (1-256)
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Seconds to wait for each request (at most 3600)
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = positive)]
    pub timeout: f64,
    /// The share of each endpoint group's rate limit the run may use (0 < F <= 1)
    #[arg(long, value_name = "F", default_value_t = 0.5, value_parser = share)]
    pub rate_share: f64,
    /// Pages of one list to follow at most; a longer list is an error, not a partial answer
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_pages: u32,
    /// One answer's cap: the bytes received, the bytes they inflate to, and the memory its JSON takes once parsed
    /// (estimated); an answer over it is an error (reason `body`)
    #[arg(long, value_name = "SIZE", default_value = "32MiB", value_parser = http::parse_size)]
    pub max_body: usize,
    /// What all the run's answers may hold in memory at once (bodies being read, and the answers kept for the
    /// checks that share them); past it, the answers that do not fit are errors (reason `body`)
    #[arg(long, value_name = "SIZE", default_value = "512MiB", value_parser = http::parse_size)]
    pub max_total: usize,
    /// Write one JSON line per API request sent (method, URL, status, timing; never a header) to FILE
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
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

fn positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 3600.0 => Ok(v),
        _ => Err("a number of seconds between 0 and 3600".into()),
    }
}

fn share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 1.0 => Ok(v),
        _ => Err("a fraction greater than 0 and at most 1, e.g. 0.5".into()),
    }
}

fn fail(diags: &[Diagnostic]) -> i32 {
    super::report(diags, "kb check");
    exit::INVALID
}

pub fn run(args: &CheckArgs) -> i32 {
    let config = match Config::load(&args.site.root, None) {
        Ok(c) => c,
        Err(d) => return fail(&d),
    };
    let super::Loaded {
        content,
        checks,
        mut diags,
        ..
    } = super::load(&config, args.site.drafts);
    if diags.iter().any(|d| d.is_error()) {
        crate::diag::sort(&mut diags);
        return fail(&diags);
    }
    let selected = match content.select(&args.articles) {
        Ok(s) => s,
        Err(d) => return fail(&d),
    };
    let all_jobs: Vec<Job> = selected
        .iter()
        .flat_map(|&article| (0..checks.by_article[article].len()).map(move |index| Job { article, index }))
        .collect();
    // Checks below --min-severity are not run, and their scopes not asked for.
    let (jobs, filtered): (Vec<Job>, Vec<Job>) = all_jobs.iter().partition(|j| {
        args.min_severity
            .is_none_or(|m| checks.by_article[j.article][j.index].severity >= m)
    });
    let org_args = OrgArgs {
        org: args.org.clone(),
        org_url: args.org_url.clone(),
        vars: args.vars.clone(),
        admin_url: args.admin_url.clone(),
        need_secret: !args.plan,
    };
    let org = match Org::resolve(&config, &org_args, &|k| std::env::var(k).ok()) {
        Ok(o) => o,
        Err(d) => return fail(&d),
    };
    for w in &org.warnings {
        eprintln!("warning: {w}");
    }
    // The scopes of the checks that will run: not those below --min-severity, nor those missing a variable.
    let scopes: Vec<String> = jobs
        .iter()
        .map(|j| &checks.by_article[j.article][j.index])
        .filter(|c| c.missing_vars(&org.vars).is_empty())
        .flat_map(|c| c.scopes().iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if args.plan {
        print!("{}", plan(&content, &checks, &jobs, &org, &scopes, args.strict));
        for j in &filtered {
            let c = &checks.by_article[j.article][j.index];
            println!(
                "not run: {} {} (severity {}, below --min-severity)",
                content.articles[j.article].slug, c.id, c.severity
            );
        }
        return exit::OK;
    }
    let client = match client(args, &org, &scopes) {
        Ok(c) => Arc::new(c),
        Err(d) => return fail(&d),
    };
    let checks = Arc::new(checks);
    let sink: runner::Sink = Arc::new(Mutex::new(Vec::new()));
    let started_at = chrono::Utc::now();
    let started = Instant::now();

    let bar = progress(jobs.len());
    let on_done: Arc<dyn Fn(&Finished) + Send + Sync> = {
        let bar = bar.clone();
        Arc::new(move |_f: &Finished| bar.inc(1))
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(&[Diagnostic::error(format!("cannot start the runtime: {e}"))]),
    };
    let interrupted = runtime.block_on(async {
        let work = runner::run(
            client.clone(),
            checks.clone(),
            &jobs,
            Arc::new(runner::Target {
                org: org.url.clone(),
                admin: org.admin_url.clone(),
                vars: org.vars.clone(),
            }),
            sink.clone(),
            on_done,
        );
        tokio::select! {
            _ = work => false,
            _ = tokio::signal::ctrl_c() => true,
        }
    });
    bar.finish_and_clear();
    // What finished is all there is: in-flight requests are dropped with the runtime.
    runtime.shutdown_background();
    let mut finished = std::mem::take(&mut *sink.lock().unwrap());
    finished.extend(filtered_out(args, &checks, &filtered));
    if args.strict {
        strict(&mut finished);
    }
    let mut report = build_report(&config, &content, &checks, &org, &all_jobs, finished);
    report.fail_on = args.fail_on;
    report.started_at = started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    report.duration_ms = started.elapsed().as_millis() as u64;
    report.interrupted = interrupted;
    let undated = client.undated();
    if undated > 0 {
        eprintln!(
            "note: {} had no readable `Date` header; kb waited for rate-limit resets by its own clock",
            count(undated, "answer")
        );
    }
    if let Some(path) = &args.log {
        write_log(path, &client);
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let text = match args.format {
        Format::Human => report::human::render(&report, to_terminal && super::color_allowed()),
        Format::Json => report.to_json(),
        Format::Junit => report::junit::render(&report),
        Format::Markdown => report::markdown::render(&report),
        Format::Html => report::html::render(&report),
    };
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
        open_html(args, &report);
    }
    report.exit_code()
}

/// The client for the run: its options from the flags, its credential for these scopes.
fn client(args: &CheckArgs, org: &Org, scopes: &[String]) -> Result<Client, Vec<Diagnostic>> {
    let Some(credential) = org.credential.clone() else {
        return Err(vec![Diagnostic::error("no credential for the org")]);
    };
    let opts = Options {
        concurrency: args.concurrency as usize,
        timeout: Duration::from_secs_f64(args.timeout),
        rate_share: args.rate_share,
        max_pages: args.max_pages as usize,
        max_body: args.max_body,
        max_total: args.max_total,
        ..Options::default()
    };
    let http = http::http_client(opts.timeout).map_err(|e| vec![Diagnostic::error(e)])?;
    let auth = Auth::new(&org.url, &credential, scopes, http.clone()).map_err(|e| {
        vec![Diagnostic::error(e).hint(
            "private_key_file (or private_key_env) must hold the PEM of the key whose public half is registered on \
             the service app",
        )]
    })?;
    Ok(Client::new(&org.url, http, auth, opts))
}

/// The checks below `--min-severity`: not run, `skip` with the reason `filtered`.
fn filtered_out(args: &CheckArgs, checks: &Checks, filtered: &[Job]) -> Vec<Finished> {
    filtered
        .iter()
        .map(|&job| Finished {
            job,
            verdict: Verdict::Skip(Skipped {
                reason: SkipReason::Filtered,
                message: format!(
                    "severity {} is below --min-severity {}",
                    checks.by_article[job.article][job.index].severity,
                    args.min_severity.unwrap_or_default()
                ),
            }),
            duration: Duration::ZERO,
        })
        .collect()
}

/// `--strict`: a check that could not run for want of a variable is an error.
fn strict(finished: &mut [Finished]) {
    for f in finished {
        if let Verdict::Skip(Skipped {
            reason: SkipReason::NeedsVar(vars),
            ..
        }) = &f.verdict
        {
            let message = format!("no value for {} (--strict): pass --var NAME=VALUE", vars.join(", "));
            f.verdict = Verdict::Error(Error::new(Reason::Input, message));
        }
    }
}

/// `--log FILE`: one JSON line per request sent. Failing to write it is a warning.
fn write_log(path: &std::path::Path, client: &Client) {
    let mut lines = String::new();
    for sent in client.log() {
        let _ = writeln!(lines, "{}", serde_json::to_string(&sent).unwrap_or_default());
    }
    if let Err(e) = std::fs::write(path, lines) {
        eprintln!("warning: cannot write the log {}: {e}", path.display());
    }
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

/// A progress bar on a terminal, for runs long enough to want one; hidden otherwise.
fn progress(len: usize) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() || len < 10 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} checking {pos}/{len} {wide_bar} {elapsed}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// The report of the checks that finished, in the order of `jobs`, grouped by article. Start time, duration and
/// interruption are the caller's to fill in.
pub fn build_report(
    config: &Config,
    content: &Content,
    checks: &Checks,
    org: &Org,
    jobs: &[Job],
    finished: Vec<Finished>,
) -> Report {
    let mut by_job: std::collections::HashMap<Job, Finished> = finished.into_iter().map(|f| (f.job, f)).collect();
    let mut articles: Vec<ArticleReport> = Vec::new();
    for job in jobs {
        let Some(f) = by_job.remove(job) else { continue };
        let a = &content.articles[job.article];
        let check = &checks.by_article[job.article][job.index];
        let report = CheckReport::new(
            &check.id,
            &check.title,
            check.severity,
            &f.verdict,
            f.duration.as_millis() as u64,
        );
        match articles.last_mut() {
            Some(last) if last.slug == a.slug => last.checks.push(report),
            _ => articles.push(ArticleReport {
                slug: a.slug.clone(),
                title: a.title().to_string(),
                url: a.url.clone(),
                permalink: config.permalink(&a.url),
                status: Status::Skip,
                severity: None,
                checks: vec![report],
            }),
        }
    }
    let mut report = Report {
        schema_version: report::SCHEMA_VERSION,
        kb_version: env!("CARGO_PKG_VERSION").to_string(),
        org: org.name.clone(),
        org_url: org.url.origin().ascii_serialization(),
        started_at: String::new(),
        duration_ms: 0,
        summary: Summary::default(),
        articles,
        interrupted: false,
        fail_on: None,
    };
    report.finish();
    report
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
            let _ = writeln!(out, "{}", a.slug);
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
