//! `kb check --snapshot FILE` and `kb diagnose --snapshot FILE`: the selection, org and source of a replay.
//!
//! The org is the snapshot's (its origin, Admin Console and vars); nothing is resolved from kb.toml and no
//! credential is read. A `--var` is refused unless the snapshot kept people's values (`--no-redact`): a value
//! given now would not be redacted as the recorded answers were, so it could not join them.
//!
//! Some checks are not judged from a snapshot at all, and are `error` with the reason `not_recorded`: those of an
//! article whose checks changed since the snapshot was taken (a new check may read a field the snapshot left out,
//! and absence is not a verdict), and those whose replay differed from the live run when it was taken (a redacted
//! value changed what they compare).

use std::path::Path;
use std::time::Duration;

use super::run::Selection;
use crate::checks::Verdict;
use crate::checks::eval::{Error, Reason};
use crate::checks::model::Severity;
use crate::diag::Diagnostic;
use crate::report::FromSnapshot;
use crate::runner::org::Org;
use crate::runner::{Finished, Source};
use crate::snapshot::{Replay, Snapshot};

/// What a replay is given besides the selection.
pub struct Request<'a> {
    pub path: &'a Path,
    pub vars: &'a [String],
    /// `--admin-url`: findings' links on this origin rather than the snapshot's.
    pub admin_url: Option<&'a str>,
    pub min_severity: Option<Severity>,
    pub max_total: usize,
    pub max_body: usize,
}

/// What a replay runs with.
pub struct Replayed {
    pub sel: Selection,
    pub org: Org,
    pub source: Source,
    pub info: FromSnapshot,
    /// The checks not judged from this snapshot, already `error` (`not_recorded`), and why.
    pub withheld: Vec<Finished>,
}

/// Which articles a replay runs.
pub enum Wanted<'a> {
    /// Those named (slugs, paths, sections or tags), or when none is, every article the snapshot recorded.
    Named(&'a [String]),
    /// Those of these (article indexes) that the snapshot recorded: `kb diagnose`'s matches.
    Among(Vec<usize>),
}

/// Reads the snapshot and narrows `sel` to the `wanted` articles. Exit 2 material: an unreadable snapshot, `--var`
/// on a redacted one, a named article the snapshot lacks, or no article of the snapshot left in this knowledge base.
pub fn prepare(sel: Selection, wanted: Wanted<'_>, r: &Request<'_>) -> Result<Replayed, Vec<Diagnostic>> {
    let shown = r.path.display().to_string();
    let snapshot = Snapshot::read(r.path, r.max_total)
        .map_err(|(e, hint)| vec![Diagnostic::error(format!("the snapshot {shown} {e}")).hint(hint)])?;
    if !r.vars.is_empty() && snapshot.redacted {
        return Err(vec![
            Diagnostic::error(format!(
                "--var cannot be given with {shown}: it was taken with people's values redacted, so a value given \
                 now would not match the recorded answers"
            ))
            .hint("the snapshot's own vars are used; take a new snapshot with the values you want"),
        ]);
    }
    let content = &sel.content;
    let selected = match wanted {
        Wanted::Among(among) => among
            .into_iter()
            .filter(|&i| snapshot.article(&content.articles[i].slug).is_some())
            .collect(),
        Wanted::Named(articles) if !articles.is_empty() => content.select(articles)?,
        Wanted::Named(_) => recorded(&snapshot, content, &shown)?,
    };
    let mut sel = sel.narrow(selected, r.min_severity);
    let (missing, changed) = crate::snapshot::compare(&snapshot, &sel.recorded());
    if !missing.is_empty() {
        let taken: Vec<&str> = snapshot.articles.iter().map(|a| a.slug.as_str()).collect();
        return Err(vec![
            Diagnostic::error(format!(
                "the snapshot {shown} holds nothing for {}: it was taken for {}",
                missing.join(", "),
                taken.join(", ")
            ))
            .hint("ask for a snapshot of these articles (`kb snapshot ARTICLE... --output FILE`)"),
        ]);
    }
    let withheld = withhold(&mut sel, &snapshot, &changed);
    let mut org = org_of(&snapshot, r.vars)?;
    if let Some(a) = r.admin_url {
        org.admin_url = Some(url::Url::parse(a).map_err(|e| vec![Diagnostic::error(format!("--admin-url {a}: {e}"))])?);
    }
    let info = FromSnapshot {
        taken_at: snapshot.taken_at.clone(),
        kb_version: snapshot.kb_version.clone(),
        redacted: snapshot.redacted,
    };
    let source = Source::Snapshot(Replay::new(&snapshot, r.max_body, r.max_total));
    Ok(Replayed {
        sel,
        org,
        source,
        info,
        withheld,
    })
}

/// Takes out of `sel.jobs` the checks not judged from this snapshot: those of the `changed` articles, and those
/// the snapshot says replayed otherwise than live. Each is an `error` (`not_recorded`) saying why.
fn withhold(sel: &mut Selection, snapshot: &Snapshot, changed: &[String]) -> Vec<Finished> {
    let taken = format!("taken {} by kb {}", snapshot.taken_at, snapshot.kb_version);
    for slug in changed {
        eprintln!("warning: the checks of {slug} changed since the snapshot was taken ({taken}): they are not judged");
    }
    let mut withheld = Vec::new();
    let (checks, content) = (&sel.checks, &sel.content);
    sel.jobs.retain(|job| {
        let slug = &content.articles[job.article].slug;
        let id = &checks.by_article[job.article][job.index].id;
        let why = if changed.contains(slug) {
            format!(
                "this article's checks changed since the snapshot was taken ({taken}); a check may now read what the \
                 snapshot left out, so kb does not judge it: take a new snapshot"
            )
        } else if let Some(d) = snapshot.differs.iter().find(|d| &d.slug == slug && &d.check == id) {
            format!(
                "when the snapshot was taken, its replay gave {} where the org gave {}: a redacted value changed \
                 what this check compares, so kb does not judge it from this snapshot; take one with --no-redact",
                d.replay, d.live
            )
        } else {
            return true;
        };
        withheld.push(Finished {
            job: *job,
            verdict: Verdict::Error(Error::new(Reason::NotRecorded, why)),
            duration: Duration::ZERO,
        });
        false
    });
    withheld
}

/// The org a snapshot recorded, with its vars (and `--var` values, for a snapshot that is not redacted).
pub(super) fn org_of(snapshot: &Snapshot, vars: &[String]) -> Result<Org, Vec<Diagnostic>> {
    let url = url::Url::parse(&snapshot.org_url).map_err(|e| vec![Diagnostic::error(e.to_string())])?;
    let admin_url = snapshot.admin_url.as_deref().and_then(|u| url::Url::parse(u).ok());
    let mut all = snapshot.vars.clone();
    for v in vars {
        let Some((k, value)) = v.split_once('=') else {
            return Err(vec![Diagnostic::error(format!("--var {v}: expected NAME=VALUE"))]);
        };
        all.insert(k.to_string(), serde_json::Value::String(value.to_string()));
    }
    Ok(Org {
        name: snapshot.org.clone(),
        url,
        credential: None,
        vars: all,
        admin_url,
        warnings: Vec::new(),
        credential_kind: "a snapshot".into(),
    })
}

/// The articles of this knowledge base that the snapshot recorded, in the knowledge base's order.
fn recorded(
    snapshot: &Snapshot,
    content: &crate::content::Content,
    shown: &str,
) -> Result<Vec<usize>, Vec<Diagnostic>> {
    let mut present = Vec::new();
    let mut gone = Vec::new();
    for r in &snapshot.articles {
        match content.articles.iter().position(|a| a.slug == r.slug) {
            Some(i) => present.push(i),
            None => gone.push(r.slug.clone()),
        }
    }
    if !gone.is_empty() {
        eprintln!(
            "warning: the snapshot recorded {}, which this knowledge base no longer has",
            gone.join(", ")
        );
    }
    if present.is_empty() {
        return Err(vec![
            Diagnostic::error(format!(
                "the snapshot {shown} was taken for articles this knowledge base does not have ({})",
                snapshot
                    .articles
                    .iter()
                    .map(|a| a.slug.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .hint("replay it with the knowledge base it was taken with, or take a new snapshot"),
        ]);
    }
    present.sort_unstable();
    Ok(present)
}
