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
use crate::runner::org::{Org, OrgArgs};
use crate::runner::{Finished, Job, Source};
use crate::snapshot::keep::Plan;
use crate::snapshot::redact::{Redactor, literals};
use crate::snapshot::tape::Manifest;
use crate::snapshot::{Recorded, Replay, Snapshot, Tape};
use crate::text::count;

#[derive(clap::Args, Debug, Clone)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub site: super::SiteArgs,
    /// Articles (slug, source path or section folder) or tags; all articles with checks when none is given
    #[arg(value_name = "ARTICLE|TAG")]
    pub articles: Vec<String>,
    /// The org profile of kb.toml ([orgs.NAME]); the default when only one is defined
    #[arg(long, value_name = "NAME")]
    pub org: Option<String>,
    /// The org's URL, without a profile (the token then comes from OKTA_API_TOKEN)
    #[arg(long, value_name = "URL")]
    pub org_url: Option<String>,
    /// The Admin Console's origin for findings' links (by default derived from the org's URL)
    #[arg(long, value_name = "URL")]
    pub admin_url: Option<String>,
    /// A value for the checks' `vars`, e.g. --var admin=alice@acme.com (repeatable)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
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
    let org_args = OrgArgs {
        org: args.org.clone(),
        org_url: args.org_url.clone(),
        vars: args.vars.clone(),
        admin_url: args.admin_url.clone(),
        need_secret: true,
    };
    let org = match Org::resolve(&sel.config, &org_args, &|k| std::env::var(k).ok()) {
        Ok(o) => o,
        Err(d) => return fail(&d),
    };
    for w in &org.warnings {
        eprintln!("warning: {w}");
    }
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
    let recorded: Vec<Recorded> = sel
        .recorded()
        .into_iter()
        .map(|(slug, checks)| Recorded {
            slug: slug.to_string(),
            checks,
        })
        .collect();
    let Selection { checks, jobs, .. } = sel;
    let checks = Arc::new(checks);
    let source = Arc::new(Source::Recording(client, Tape::default()));
    let taken_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let live = match super::run::execute(source.clone(), checks.clone(), &jobs, &org) {
        Ok(r) if r.interrupted => {
            eprintln!("kb snapshot: interrupted; nothing was written");
            return exit::INTERRUPTED;
        }
        Ok(r) => r.finished,
        Err(d) => return fail(&[*d]),
    };
    let Ok(Source::Recording(_, tape)) = Arc::try_unwrap(source) else {
        return fail(&[Diagnostic::error("the run still held its answers; nothing was written")]);
    };
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
    let snapshot = tape.into_snapshot(&plan, redactor, manifest);
    let differ = verify(&snapshot, &checks, &jobs, &live, args.run.max_body);
    let bytes = match snapshot.to_bytes() {
        Ok(b) => b,
        Err(e) => return fail(&[Diagnostic::error(format!("cannot write the snapshot: {e}"))]),
    };
    if let Err(e) = write_atomically(&args.output, &bytes) {
        return fail(&[Diagnostic::error(format!(
            "cannot write {}: {e}",
            args.output.display()
        ))]);
    }
    for d in &differ {
        eprintln!("warning: {d}");
    }
    eprintln!(
        "Snapshot of {} ({}, {}) written to {} ({}){}",
        count(snapshot.articles.len(), "article"),
        count(jobs.len(), "check"),
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

/// Replays `snapshot` in memory: a line for each check whose verdict differs from the live run's.
fn verify(snapshot: &Snapshot, checks: &Arc<Checks>, jobs: &[Job], live: &[Finished], max_body: usize) -> Vec<String> {
    let org = match super::replay::org_of(snapshot, &[]) {
        Ok(o) => o,
        Err(_) => return vec!["the snapshot could not be replayed to verify it".into()],
    };
    let source = Arc::new(Source::Snapshot(Replay::new(snapshot, max_body)));
    let Ok(replayed) = super::run::execute(source, checks.clone(), jobs, &org) else {
        return vec!["the snapshot could not be replayed to verify it".into()];
    };
    let mut differ = Vec::new();
    for f in live {
        let Some(r) = replayed.finished.iter().find(|r| r.job == f.job) else {
            continue;
        };
        let (a, b) = (outline(&f.verdict), outline(&r.verdict));
        if a != b {
            let check = &checks.by_article[f.job.article][f.job.index];
            differ.push(format!(
                "the snapshot's replay of check {} gives {b} where the org gave {a}: a redacted value changed what it \
                 compares; replay it with care, or take the snapshot with --no-redact",
                check.id
            ));
        }
    }
    differ
}

/// A verdict's status, and for a failure how many findings.
fn outline(v: &Verdict) -> String {
    match v {
        Verdict::Pass => "pass".into(),
        Verdict::Fail(f) => format!("fail ({})", count(f.findings.len(), "finding")),
        Verdict::Error(e) => format!("error ({:?})", e.reason),
        Verdict::Skip(s) => format!("skip ({})", s.reason.as_str()),
    }
}

/// Writes `bytes` beside `path`, then renames: a failed write leaves no half snapshot.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.partial"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
