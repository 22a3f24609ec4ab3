//! The terminal report: one line per article, the messages of checks that did not pass under it with the
//! article's URL, and a closing line counting articles.

use std::fmt::Write as _;

use super::{Report, Status};
use crate::text::{count, printable};

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
            let _ = writeln!(out, "       {mark} {} ({})", printable(&c.title), c.id);
            if let Some(m) = &c.message {
                let _ = writeln!(out, "         {}", printable(m));
            }
        }
        if noted && a.status != Status::Skip {
            let _ = writeln!(out, "       → {}", a.permalink);
        }
    }
    if report.articles.is_empty() {
        let _ = writeln!(out, "No selected article has checks.");
    }
    let _ = writeln!(out, "\n{}", report.tally());
    out
}
