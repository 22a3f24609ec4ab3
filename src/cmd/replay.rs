//! `kb check --snapshot FILE` and `kb diagnose --snapshot FILE`: the selection, org and source of a replay.
//!
//! The org is the snapshot's (its origin, Admin Console and vars); nothing is resolved from kb.toml and no
//! credential is read. A `--var` is refused unless the snapshot kept people's values (`--no-redact`): a value
//! given now would not be redacted as the recorded answers were, so it could not join them.

use std::path::Path;

use super::run::Selection;
use crate::diag::Diagnostic;
use crate::report::FromSnapshot;
use crate::runner::Source;
use crate::runner::org::Org;
use crate::snapshot::{Replay, Snapshot};

/// What a replay runs with.
pub struct Replayed {
    pub sel: Selection,
    pub org: Org,
    pub source: Source,
    pub info: FromSnapshot,
}

/// Which articles a replay runs.
pub enum Wanted<'a> {
    /// Those named (slugs, paths, sections or tags), or when none is, every article the snapshot recorded.
    Named(&'a [String]),
    /// Those of these (article indexes) that the snapshot recorded: `kb diagnose`'s matches.
    Among(Vec<usize>),
}

/// Reads the snapshot at `path` and narrows `sel` to the `wanted` articles. Exit 2 material: an unreadable
/// snapshot, `--var` on a redacted one, a named article the snapshot lacks, or no article of the snapshot left in
/// this knowledge base.
pub fn prepare(
    sel: Selection,
    path: &Path,
    wanted: Wanted<'_>,
    vars: &[String],
    max_total: usize,
    max_body: usize,
) -> Result<Replayed, Vec<Diagnostic>> {
    let shown = path.display().to_string();
    let snapshot = Snapshot::read(path, max_total)
        .map_err(|(e, hint)| vec![Diagnostic::error(format!("the snapshot {shown} {e}")).hint(hint)])?;
    if !vars.is_empty() && snapshot.redacted {
        return Err(vec![
            Diagnostic::error(format!(
                "--var cannot be given with {shown}: it was taken with people's values redacted, so a value given now \
             would not match the recorded answers"
            ))
            .hint("the snapshot's own vars are used; take a new snapshot with the values you want"),
        ]);
    }
    let Selection {
        config,
        content,
        checks,
        ..
    } = sel;
    let selected = match wanted {
        Wanted::Among(among) => among
            .into_iter()
            .filter(|&i| snapshot.article(&content.articles[i].slug).is_some())
            .collect(),
        Wanted::Named(articles) if !articles.is_empty() => content.select(articles)?,
        Wanted::Named(_) => recorded(&snapshot, &content, &shown)?,
    };
    let sel = Selection::of(config, content, checks, selected, None);
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
    for slug in changed {
        eprintln!(
            "warning: the checks of {slug} changed since the snapshot was taken (kb {}, {}): a request they now make \
             is an error with reason `not_recorded`",
            snapshot.kb_version, snapshot.taken_at
        );
    }
    let org = org_of(&snapshot, vars)?;
    let info = FromSnapshot {
        taken_at: snapshot.taken_at.clone(),
        kb_version: snapshot.kb_version.clone(),
        redacted: snapshot.redacted,
    };
    let source = Source::Snapshot(Replay::new(&snapshot, max_body));
    Ok(Replayed { sel, org, source, info })
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
