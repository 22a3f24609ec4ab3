//! Markdown, to paste into a pull request or a ticket: the tally, then a table of the articles that need
//! attention, then those that passed.

use std::fmt::Write as _;

use super::{Report, Status};

/// Text safe inside a Markdown table cell.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '[' | ']' | '*' | '_' | '`' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## kb check: {}\n", cell(&report.org));
    let _ = writeln!(
        out,
        "**{}** · {} · {} · {} checks run in {} ms\n",
        cell(&report.tally()),
        cell(&report.org_url),
        cell(&report.started_at),
        report.summary.checks,
        report.duration_ms
    );
    let (attention, rest): (Vec<_>, Vec<_>) = report
        .articles
        .iter()
        .partition(|a| matches!(a.status, Status::Fail | Status::Error));
    if !attention.is_empty() {
        out.push_str("| Status | Article | Check | Message |\n|---|---|---|---|\n");
        for a in &attention {
            for c in a
                .checks
                .iter()
                .filter(|c| matches!(c.status, Status::Fail | Status::Error))
            {
                let _ = writeln!(
                    out,
                    "| {} | [{}]({}) | {} | {} |",
                    c.status.as_str(),
                    cell(&a.title),
                    a.permalink.replace(' ', "%20").replace(')', "%29"),
                    cell(&c.title),
                    cell(c.message.as_deref().unwrap_or(""))
                );
            }
        }
        out.push('\n');
    }
    if !rest.is_empty() {
        out.push_str("<details><summary>Passed and skipped</summary>\n\n");
        for a in rest {
            let _ = writeln!(out, "- {} {}", a.status.as_str(), cell(&a.title));
        }
        out.push_str("\n</details>\n");
    }
    out
}
