//! `kb snapshot [ARTICLE|TAG...] --output FILE`: runs the selected checks against an org, as `kb check` does, and
//! writes what they read to one file a support team can replay (`kb check --snapshot`), cut to the fields the
//! checks read and, by default, with people's values replaced by pseudonyms.
//!
//! Before writing, the snapshot is replayed in memory and each check's verdict compared with the live one: a check
//! whose replay differs (a redacted value it compares with a literal, say) is named, so that what support sees is
//! what the org said.

use std::path::PathBuf;
use std::sync::Arc;

use super::exit;
use super::run::{RunFlags, Selection};
use crate::checks::{Checks, Verdict};
use crate::diag::Diagnostic;
use crate::runner::client::Client;
use crate::runner::org::Org;
use crate::runner::{Finished, Job, Source};
use crate::snapshot::keep::Plan;
use crate::snapshot::redact::{Redactor, literals};
use crate::snapshot::tape::Manifest;
use crate::snapshot::{Differs, Recorded, Replay, Snapshot, Tape};
use crate::text::count;

#[derive(clap::Args, Debug, Clone)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub site: super::SiteArgs,
    /// Articles (slug, source path or section folder) or tags; all articles with checks when none is given
    #[arg(value_name = "ARTICLE|TAG")]
    pub articles: Vec<String>,
    #[command(flatten)]
    pub target: super::run::OrgFlags,
    /// The snapshot file to write (gzip JSON; `.json.gz` by convention)
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// Keep people's values (logins, emails, names, phone numbers, IP addresses) as the org gave them
    #[arg(long)]
    pub no_redact: bool,
    #[command(flatten)]
    pub run: RunFlags,
}

fn fail(diags: &[Diagnostic]) -> i32 {
    super::report(diags, "kb snapshot");
    exit::INVALID
}

pub fn run(args: &SnapshotArgs) -> i32 {
    let sel = match Selection::load(&args.site, &args.articles, None) {
        Ok(s) => s,
        Err(d) => return fail(&d),
    };
    let org = match args.target.resolve(&sel.config, true) {
        Ok(o) => o,
        Err(d) => return fail(&d),
    };
    if sel.jobs.is_empty() {
        return fail(&[
            Diagnostic::error("the selected articles have no checks: there is nothing to record")
                .hint("name articles with a `check` block, or none for all of them"),
        ]);
    }
    let client = match super::run::client(&args.run, &org, &sel.scopes(&org)) {
        Ok(c) => c,
        Err(d) => return fail(&d),
    };
    let checked = sel.jobs.len();
    let snapshot = match record(args, sel, &org, client) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let bytes = match snapshot.to_bytes() {
        Ok(b) => b,
        Err(e) => return fail(&[Diagnostic::error(format!("cannot write the snapshot: {e}"))]),
    };
    if let Err(e) = crate::site::output::write_file(&args.output, &bytes) {
        return fail(&[Diagnostic::error(format!(
            "cannot write {}: {e}",
            args.output.display()
        ))]);
    }
    for d in &snapshot.differs {
        eprintln!(
            "warning: the replay of {}#{} gives {} where the org gave {}: a redacted value changed what it compares; \
             a replay reports it as an error (take the snapshot with --no-redact to have it judged)",
            d.slug, d.check, d.replay, d.live
        );
    }
    eprintln!(
        "Snapshot of {} ({}, {}) written to {} ({}){}",
        count(snapshot.articles.len(), "article"),
        count(checked, "check"),
        count(snapshot.answers.len(), "answer"),
        args.output.display(),
        crate::checks::answer::size(bytes.len() as u64),
        if snapshot.redacted {
            "; people's values redacted"
        } else {
            ""
        }
    );
    exit::OK
}

/// Runs the selection against the org, recording, and makes the snapshot of what was read, verified by a replay.
/// `Err` is the exit status (interrupted, or the run could not start).
fn record(args: &SnapshotArgs, sel: Selection, org: &Org, client: Client) -> Result<Snapshot, i32> {
    let recorded: Vec<Recorded> = sel
        .recorded()
        .into_iter()
        .map(|(slug, checks)| Recorded {
            slug: slug.to_string(),
            checks,
        })
        .collect();
    let Selection {
        checks, content, jobs, ..
    } = sel;
    let checks = Arc::new(checks);
    let source = Arc::new(Source::Recording(client, Tape::default()));
    let taken_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let live = match super::run::execute(source.clone(), checks.clone(), &jobs, org) {
        Ok(r) if r.interrupted => {
            eprintln!("kb snapshot: interrupted; nothing was written");
            return Err(exit::INTERRUPTED);
        }
        Ok(r) => r.finished,
        Err(d) => return Err(fail(&[*d])),
    };
    if let (Some(path), Some(client)) = (&args.run.log, source.client()) {
        super::run::write_log(path, client);
    }
    let Source::Recording(_, tape) = &*source else {
        return Err(fail(&[Diagnostic::error(
            "the run recorded nothing; nothing was written",
        )]));
    };
    let tape = tape.take();
    let selected: Vec<&crate::checks::Check> = jobs.iter().map(|j| &checks.by_article[j.article][j.index]).collect();
    let plan = Plan::new(selected.iter().copied());
    let redactor = if args.no_redact {
        eprintln!(
            "warning: --no-redact: the snapshot keeps people's logins, emails, names, phone numbers and IP \
             addresses as the org gave them; share it only as you would share those"
        );
        None
    } else {
        Some(Redactor::new(literals(&selected)))
    };
    let manifest = Manifest {
        taken_at,
        org: org.name.clone(),
        org_url: org.url.clone(),
        admin_url: org.admin_url.clone(),
        articles: recorded,
        vars: org.vars.clone(),
    };
    let mut snapshot = tape.into_snapshot(&plan, redactor, manifest);
    snapshot.differs = verify(&snapshot, &checks, &content, &jobs, &live, &args.run);
    Ok(snapshot)
}

/// Replays `snapshot` in memory: the checks whose verdict differs from the live run's.
fn verify(
    snapshot: &Snapshot,
    checks: &Arc<Checks>,
    content: &crate::content::Content,
    jobs: &[Job],
    live: &[Finished],
    flags: &RunFlags,
) -> Vec<Differs> {
    let unverified = |why: &str| {
        eprintln!("warning: the snapshot could not be replayed to verify it ({why})");
        Vec::new()
    };
    let org = match super::replay::org_of(snapshot, &[]) {
        Ok(o) => o,
        Err(_) => return unverified("its org"),
    };
    let source = Arc::new(Source::Snapshot(Replay::new(snapshot, flags.max_body, flags.max_total)));
    let replayed = match super::run::execute(source, checks.clone(), jobs, &org) {
        Ok(r) => r.finished,
        Err(_) => return unverified("the runtime"),
    };
    let mut differ = Vec::new();
    for f in live {
        let Some(r) = replayed.iter().find(|r| r.job == f.job) else {
            continue;
        };
        let (a, b) = (outline(&f.verdict), outline(&r.verdict));
        if a != b {
            differ.push(Differs {
                slug: content.articles[f.job.article].slug.clone(),
                check: checks.by_article[f.job.article][f.job.index].id.clone(),
                live: a,
                replay: b,
            });
        }
    }
    differ
}

/// A verdict's status, and for a failure how many findings.
fn outline(v: &Verdict) -> String {
    match v {
        Verdict::Pass => "pass".into(),
        Verdict::Fail(f) if f.findings.is_empty() => "fail".into(),
        Verdict::Fail(f) => format!("fail ({})", count(f.findings.len(), "finding")),
        Verdict::Error(e) => format!("error ({})", e.reason.as_str()),
        Verdict::Skip(s) => format!("skip ({})", s.reason.as_str()),
    }
}
