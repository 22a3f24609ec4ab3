//! The terminal report: one line per article, the messages of checks that did not pass under it with the
//! article's URL, and a closing line counting articles.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Report, Status, shown_findings};
use crate::text::{count, printable, printable_line};

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn label(status: Status, color: bool) -> String {
    let (text, code) = match status {
        Status::Pass => ("PASS ", "32"),
        Status::Fail => ("FAIL ", "1;31"),
        Status::Error => ("ERROR", "33"),
        Status::Skip => ("SKIP ", "2"),
    };
    paint(color, code, text)
}

pub fn render(report: &Report, color: bool) -> String {
    let mut out = String::new();
    let checks: usize = report.articles.iter().map(|a| a.checks.len()).sum();
    let _ = writeln!(
        out,
        "kb check: {} ({}), {}, {}\n",
        report.org,
        report.org_url,
        count(report.articles.len(), "article"),
        count(checks, "check"),
    );
    if let Some(s) = &report.snapshot {
        let _ = writeln!(out, "{}\n", s.line());
    }
    if let Some(c) = &report.changes {
        let _ = writeln!(out, "{}", c.line());
        for ch in c.notable() {
            let _ = writeln!(
                out,
                "  {:<16} {}  {} ({})",
                ch.label(),
                printable_line(&ch.slug),
                printable_line(&ch.title),
                printable_line(&ch.check)
            );
        }
        out.push('\n');
    }
    for a in &report.articles {
        let _ = writeln!(
            out,
            "{}  {}  {}",
            label(a.status, color),
            a.title,
            paint(color, "2", &a.slug)
        );
        let mut noted = false;
        for c in &a.checks {
            let mark = match c.status {
                Status::Pass => continue,
                Status::Fail => paint(color, "31", "✗"),
                Status::Error => paint(color, "33", "!"),
                Status::Skip => paint(color, "2", "-"),
            };
            noted = true;
            let rated = if c.status == Status::Fail {
                format!("[{}] ", c.severity)
            } else {
                String::new()
            };
            let _ = writeln!(out, "       {mark} {rated}{} ({})", printable(&c.title), c.id);
            if let Some(m) = &c.message {
                let _ = writeln!(out, "         {}", printable_line(m));
            }
            if let Some(w) = &c.waiver {
                let _ = writeln!(out, "         {}", paint(color, "36", &printable_line(&w.line())));
            }
            for f in shown_findings(c) {
                let detail = f
                    .detail
                    .map(|d| format!(": {}", printable_line(&d)))
                    .unwrap_or_default();
                let _ = writeln!(out, "           · {}{detail}", printable_line(&f.label));
                if let Some(u) = f.url {
                    let _ = writeln!(out, "             {}", printable_line(&u));
                }
            }
            if c.unlisted() > 0 {
                let _ = writeln!(out, "           · and {} more", c.unlisted());
            }
        }
        if noted && a.status != Status::Skip {
            let _ = writeln!(out, "       → {}{}", a.permalink, internal_note(a));
        }
    }
    if report.articles.is_empty() {
        let _ = writeln!(out, "No selected article has checks.");
    }
    needs_vars(&mut out, report);
    let _ = writeln!(out, "\n{}", report.tally());
    out
}

/// The checks that did not run for want of a variable, grouped by the flags that would run them.
fn needs_vars(out: &mut String, report: &Report) {
    let mut by_flags: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for a in &report.articles {
        for c in a.checks.iter().filter(|c| c.reason.as_deref() == Some("needs_var")) {
            by_flags
                .entry(crate::checks::var_flags(&c.missing_vars))
                .or_default()
                .push(format!("{} ({})", a.slug, c.id));
        }
    }
    if by_flags.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nNot run for want of a variable (skip, needs_var); to run them, pass:"
    );
    for (flags, checks) in by_flags {
        let _ = writeln!(out, "  {}: {}", printable(&flags), printable(&checks.join(", ")));
    }
}

/// What follows an internal article's link: the public site does not have its page.
pub fn internal_note(a: &super::ArticleReport) -> &'static str {
    if a.audience == Some(crate::content::Audience::Internal) {
        " (internal article: on the internal site only)"
    } else {
        ""
    }
}
