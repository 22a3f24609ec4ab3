//! What `kb check`, `kb snapshot` and `kb diagnose` share: the selection of checks to run, the run's flags, the
//! client they make, and running the checks against a [`Source`] until done or interrupted.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::checks::eval::{Error, Reason};
use crate::checks::model::Severity;
use crate::checks::{Checks, SkipReason, Skipped, Verdict};
use crate::config::Config;
use crate::content::Content;
use crate::diag::Diagnostic;
use crate::report::{ArticleReport, CheckReport, Report, Status};
use crate::runner::client::{Client, Options};
use crate::runner::org::{Org, OrgArgs};
use crate::runner::{self, Finished, Job, Source, auth::Auth, http};

/// Which org a run reads, and with which vars: `kb check`'s, `kb snapshot`'s and `kb diagnose`'s flags.
#[derive(clap::Args, Debug, Clone)]
pub struct OrgFlags {
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
}

impl OrgFlags {
    /// Whether an org was named (`--org` or `--org-url`).
    pub fn named(&self) -> bool {
        self.org.is_some() || self.org_url.is_some()
    }

    /// The org these flags name, from kb.toml's profiles and the environment (its secret only when
    /// `need_secret`); its warnings are printed.
    pub fn resolve(&self, config: &Config, need_secret: bool) -> Result<Org, Vec<Diagnostic>> {
        let args = OrgArgs {
            org: self.org.clone(),
            org_url: self.org_url.clone(),
            vars: self.vars.clone(),
            admin_url: self.admin_url.clone(),
            need_secret,
        };
        let org = Org::resolve(config, &args, &|k| std::env::var(k).ok())?;
        for w in &org.warnings {
            eprintln!("warning: {w}");
        }
        Ok(org)
    }
}

/// How a run talks to the org: `kb check`'s and `kb snapshot`'s flags.
#[derive(clap::Args, Debug, Clone)]
pub struct RunFlags {
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

/// The knowledge base loaded and the checks a run makes: those of the selected articles, less those below
/// `--min-severity` (`filtered`, reported as `skip`).
pub struct Selection {
    pub config: Config,
    pub content: Content,
    pub checks: Checks,
    pub selected: Vec<usize>,
    /// Every check of the selected articles, in order: the report's order.
    pub all_jobs: Vec<Job>,
    pub jobs: Vec<Job>,
    pub filtered: Vec<Job>,
}

impl Selection {
    pub fn load(
        site: &super::SiteArgs,
        articles: &[String],
        min: Option<Severity>,
    ) -> Result<Selection, Vec<Diagnostic>> {
        let config = site.config(None, Some(crate::content::Audience::Internal))?;
        let loaded = super::load(&config, site.drafts);
        let mut diags = loaded.diags;
        if diags.iter().any(|d| d.is_error()) {
            crate::diag::sort(&mut diags);
            return Err(diags);
        }
        let selected = loaded.content.select(articles)?;
        Ok(Selection::of(config, loaded.content, loaded.checks, selected, min))
    }

    pub fn of(
        config: Config,
        content: Content,
        checks: Checks,
        selected: Vec<usize>,
        min: Option<Severity>,
    ) -> Selection {
        let all_jobs: Vec<Job> = selected
            .iter()
            .flat_map(|&article| (0..checks.by_article[article].len()).map(move |index| Job { article, index }))
            .collect();
        let (jobs, filtered): (Vec<Job>, Vec<Job>) = all_jobs
            .iter()
            .partition(|j| min.is_none_or(|m| checks.by_article[j.article][j.index].severity >= m));
        Selection {
            config,
            content,
            checks,
            selected,
            all_jobs,
            jobs,
            filtered,
        }
    }

    /// The same knowledge base with other articles selected.
    pub fn narrow(self, selected: Vec<usize>, min: Option<Severity>) -> Selection {
        Selection::of(self.config, self.content, self.checks, selected, min)
    }

    /// The scopes of the checks that will run: not those below --min-severity, nor those missing a variable.
    pub fn scopes(&self, org: &Org) -> Vec<String> {
        self.jobs
            .iter()
            .map(|j| &self.checks.by_article[j.article][j.index])
            .filter(|c| c.missing_vars(&org.vars).is_empty())
            .flat_map(|c| c.scopes().iter().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// The articles with checks among the selected ones, with the hash of their checks (what a snapshot records).
    pub fn recorded(&self) -> Vec<(&str, String)> {
        self.selected
            .iter()
            .filter(|&&a| !self.checks.by_article[a].is_empty())
            .map(|&a| {
                (
                    self.content.articles[a].slug.as_str(),
                    crate::snapshot::checks_hash(&self.checks.by_article[a]),
                )
            })
            .collect()
    }

    /// The checks below `--min-severity`: not run, `skip` with the reason `filtered`.
    pub fn filtered_out(&self, min: Option<Severity>) -> Vec<Finished> {
        self.filtered
            .iter()
            .map(|&job| Finished {
                job,
                verdict: Verdict::Skip(Skipped {
                    reason: SkipReason::Filtered,
                    message: format!(
                        "severity {} is below --min-severity {}",
                        self.checks.by_article[job.article][job.index].severity,
                        min.unwrap_or_default()
                    ),
                }),
                duration: Duration::ZERO,
            })
            .collect()
    }
}

/// The client for the run: its options from the flags, its credential for these scopes.
pub fn client(flags: &RunFlags, org: &Org, scopes: &[String]) -> Result<Client, Vec<Diagnostic>> {
    let Some(credential) = org.credential.clone() else {
        return Err(vec![Diagnostic::error("no credential for the org")]);
    };
    let opts = Options {
        concurrency: flags.concurrency as usize,
        timeout: Duration::from_secs_f64(flags.timeout),
        rate_share: flags.rate_share,
        max_pages: flags.max_pages as usize,
        max_body: flags.max_body,
        max_total: flags.max_total,
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

/// What a run gave: the checks that finished, and whether it was interrupted (Ctrl+C) before the rest did.
pub struct Ran {
    pub finished: Vec<Finished>,
    pub interrupted: bool,
}

/// Runs `jobs` against `source` with a progress bar on a terminal, until done or interrupted.
pub fn execute(source: Arc<Source>, checks: Arc<Checks>, jobs: &[Job], org: &Org) -> Result<Ran, Box<Diagnostic>> {
    let sink: runner::Sink = Arc::new(Mutex::new(Vec::new()));
    let bar = progress(jobs.len());
    let on_done: Arc<dyn Fn(&Finished) + Send + Sync> = {
        let bar = bar.clone();
        Arc::new(move |_f: &Finished| bar.inc(1))
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Box::new(Diagnostic::error(format!("cannot start the runtime: {e}"))))?;
    let target = Arc::new(runner::Target {
        org: org.url.clone(),
        admin: org.admin_url.clone(),
        vars: org.vars.clone(),
    });
    let interrupted = runtime.block_on(async {
        let work = runner::run(source, checks, jobs, target, sink.clone(), on_done);
        tokio::select! {
            _ = work => false,
            _ = tokio::signal::ctrl_c() => true,
        }
    });
    bar.finish_and_clear();
    // What finished is all there is: in-flight requests are dropped with the runtime.
    runtime.shutdown_background();
    let finished = std::mem::take(&mut *sink.lock().unwrap());
    Ok(Ran { finished, interrupted })
}

/// Runs the selection's checks against `source` and reports them together with `more` (checks that did not run,
/// already judged): the report with its start time, duration and interruption. `strict` makes a `needs_var` skip an
/// error; the client's requests go to `log`, and answers without a readable `Date` are noted.
pub fn report(
    sel: Selection,
    org: &Org,
    source: Source,
    more: Vec<Finished>,
    strict: bool,
    log: Option<&std::path::Path>,
) -> Result<Report, Box<Diagnostic>> {
    let Selection {
        config,
        content,
        checks,
        all_jobs,
        jobs,
        ..
    } = sel;
    let (source, checks) = (Arc::new(source), Arc::new(checks));
    let started_at = chrono::Utc::now();
    let started = std::time::Instant::now();
    let ran = execute(source.clone(), checks.clone(), &jobs, org)?;
    let mut finished = ran.finished;
    finished.extend(more);
    if strict {
        strict_vars(&mut finished);
    }
    let mut report = build_report(&config, &content, &checks, org, &all_jobs, finished);
    report.started_at = started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    report.duration_ms = started.elapsed().as_millis() as u64;
    report.interrupted = ran.interrupted;
    if let Some(client) = source.client() {
        let undated = client.undated();
        if undated > 0 {
            eprintln!(
                "note: {} had no readable `Date` header; kb waited for rate-limit resets by its own clock",
                crate::text::count(undated, "answer")
            );
        }
        if let Some(path) = log {
            write_log(path, client);
        }
    }
    Ok(report)
}

/// `--strict`: a check that could not run for want of a variable is an error.
fn strict_vars(finished: &mut [Finished]) {
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
                audience: a.internal.then_some(crate::content::Audience::Internal),
                status: Status::Skip,
                severity: None,
                checks: vec![report],
            }),
        }
    }
    Report::of(&org.name, &org.url.origin().ascii_serialization(), articles)
}

/// `--log FILE`: one JSON line per request sent. Failing to write it is a warning.
pub fn write_log(path: &std::path::Path, client: &Client) {
    let mut lines = String::new();
    for sent in client.log() {
        let _ = writeln!(lines, "{}", serde_json::to_string(&sent).unwrap_or_default());
    }
    if let Err(e) = std::fs::write(path, lines) {
        eprintln!("warning: cannot write the log {}: {e}", path.display());
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
