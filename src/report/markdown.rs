//! Markdown, to paste into a pull request or a ticket: the tally, then a table of the articles that need
//! attention, then those that passed.

use std::fmt::Write as _;

use super::{Report, Status, shown_findings};

/// A URL safe as a Markdown link target: spaces, parentheses and angle brackets encoded.
pub(super) fn link(u: &str) -> String {
    u.replace(' ', "%20")
        .replace('(', "%28")
        .replace(')', "%29")
        .replace('<', "%3C")
        .replace('>', "%3E")
        .replace('|', "%7C")
}

/// Text safe inside a Markdown table cell.
pub(super) fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            // Nothing that could act on a terminal, or reorder the text, when the report is printed.
            c if c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push('\u{fffd}')
            }
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

/// The changes since the previous run (`--compare`): the line, then each notable change, `max` at most.
pub(super) fn changes(out: &mut String, report: &Report, max: usize) {
    let Some(c) = &report.changes else { return };
    let _ = writeln!(out, "**{}**\n", cell(&c.line()));
    let notable: Vec<_> = c.notable().collect();
    for ch in notable.iter().take(max) {
        let _ = writeln!(out, "- {}: {} ({})", cell(&ch.label()), cell(&ch.title), cell(&ch.slug));
    }
    if notable.len() > max {
        let _ = writeln!(
            out,
            "- and {} more changes (the full report lists them)",
            notable.len() - max
        );
    }
    if !notable.is_empty() {
        out.push('\n');
    }
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
    if let Some(s) = &report.snapshot {
        let _ = writeln!(out, "{}\n", cell(&s.line()));
    }
    changes(&mut out, report, usize::MAX);
    let (attention, rest): (Vec<_>, Vec<_>) = report
        .articles
        .iter()
        .partition(|a| matches!(a.status, Status::Fail | Status::Error));
    if !attention.is_empty() {
        out.push_str("| Status | Severity | Article | Check | Message |\n|---|---|---|---|---|\n");
        for a in &attention {
            for c in a
                .checks
                .iter()
                .filter(|c| matches!(c.status, Status::Fail | Status::Error))
            {
                let mut message = cell(c.message.as_deref().unwrap_or(""));
                for f in shown_findings(c) {
                    message.push_str("<br>• ");
                    message.push_str(&match &f.url {
                        Some(u) => format!("[{}]({})", cell(&f.label), link(u)),
                        None => cell(&f.label),
                    });
                    if let Some(d) = &f.detail {
                        message.push_str(&format!(": {}", cell(d)));
                    }
                }
                if c.unlisted() > 0 {
                    message.push_str(&format!("<br>• and {} more", c.unlisted()));
                }
                if let Some(w) = &c.waiver {
                    message.push_str(&format!("<br>*{}*", cell(&w.line())));
                }
                let severity = if c.status == Status::Fail {
                    c.severity.as_str()
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "| {} | {severity} | [{}]({}){} | {} | {message} |",
                    c.status.as_str(),
                    cell(&a.title),
                    link(&a.permalink),
                    super::human::internal_note(a),
                    cell(&c.title),
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
