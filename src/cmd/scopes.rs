//! `kb scopes [ARTICLE|TAG...]`: the OAuth scopes the selected articles' checks need, so that an admin can grant a
//! service app exactly those.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{SiteArgs, exit};
use crate::checks::Checks;
use crate::checks::model::Severity;
use crate::content::Content;
use crate::text;

pub fn run(args: &SiteArgs, selection: &[String], min_severity: Option<Severity>) -> i32 {
    let config = match args.config(None, Some(crate::content::Audience::Internal)) {
        Ok(c) => c,
        Err(d) => {
            super::report(&d, "kb scopes");
            return exit::INVALID;
        }
    };
    let super::Loaded {
        content,
        checks,
        mut diags,
        ..
    } = super::load(&config, args.drafts);
    if diags.iter().any(|d| d.is_error()) {
        crate::diag::sort(&mut diags);
        super::report(&diags, "kb scopes");
        return exit::INVALID;
    }
    let selected = match content.select(selection) {
        Ok(s) => s,
        Err(d) => {
            super::report(&d, "kb scopes");
            return exit::INVALID;
        }
    };
    let mut checks = checks;
    if let Some(min) = min_severity {
        for list in &mut checks.by_article {
            list.retain(|c| c.severity >= min);
        }
    }
    print!("{}", render(&content, &checks, &selected, !selection.is_empty()));
    exit::OK
}

/// The report: scopes per article, then their union and the admin-role reminder.
pub fn render(content: &Content, checks: &Checks, selected: &[usize], explicit: bool) -> String {
    let mut out = String::new();
    let mut union = BTreeSet::new();
    let mut articles = 0;
    let mut count = 0;
    for &i in selected {
        let list = &checks.by_article[i];
        if list.is_empty() {
            if explicit {
                let _ = writeln!(out, "{}\n  (no checks)\n", content.articles[i].slug);
            }
            continue;
        }
        articles += 1;
        count += list.len();
        let scopes: BTreeSet<&str> = list.iter().flat_map(|c| c.scopes()).map(String::as_str).collect();
        let _ = writeln!(out, "{}", content.articles[i].slug);
        if scopes.is_empty() {
            let _ = writeln!(out, "  (none: public metadata only)");
        }
        for s in &scopes {
            let _ = writeln!(out, "  {s}");
        }
        out.push('\n');
        union.extend(scopes);
    }
    if articles == 0 {
        out.push_str("No selected article has checks, so no scope is needed.\n");
        return out;
    }
    let _ = writeln!(
        out,
        "All together ({}, {}):",
        text::count(articles, "article"),
        text::count(count, "check")
    );
    for s in &union {
        let _ = writeln!(out, "  {s}");
    }
    out.push_str(
        "\nFor an OAuth service app, grant these scopes on its Okta API Scopes tab and assign it an admin role too,\n\
         such as Read-Only Administrator: a service app without an admin role gets 403 E0000006 on every call,\n\
         whatever its scopes. An SSWS API token needs no scopes: it acts with its owner's admin role.\n",
    );
    out
}
