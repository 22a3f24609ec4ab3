//! The summary: short Markdown for a CI job's summary page (`$GITHUB_STEP_SUMMARY`) or a chat message: the closing
//! line, then each failing and erring article with its first failing check, first finding and URL. Never more than
//! [`LIMIT`] bytes, however many articles fail: what does not fit is counted, not cut mid-line.

use std::fmt::Write as _;

use super::markdown::{cell, link};
use super::{Report, Status};

/// The most a summary holds: GitHub's job summaries take 1 MiB, a chat message far less.
pub const LIMIT: usize = 60 * 1024;

/// Changes listed at most (`--compare`); the rest are counted.
const CHANGES: usize = 50;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### kb check: {}\n", cell(&report.org));
    let _ = writeln!(out, "**{}** · {}\n", cell(&report.tally()), cell(&report.org_url));
    if let Some(s) = &report.snapshot {
        let _ = writeln!(out, "{}\n", cell(&s.line()));
    }
    super::markdown::changes(&mut out, report, CHANGES);
    let attention: Vec<_> = report
        .articles
        .iter()
        .filter(|a| matches!(a.status, Status::Fail | Status::Error))
        .collect();
    // Room kept for the line that counts what was left out.
    let room = LIMIT - 200;
    for (i, a) in attention.iter().enumerate() {
        // The check that makes the article's status: one that counts first.
        let makes = |c: &&super::CheckReport| c.status == a.status;
        let Some(c) = a
            .checks
            .iter()
            .filter(makes)
            .find(|c| !c.waived())
            .or_else(|| a.checks.iter().find(makes))
        else {
            continue;
        };
        let mut line = format!(
            "- **{}** [{}]({}): {}",
            a.status.as_str(),
            cell(&a.title),
            link(&a.permalink),
            cell(c.message.as_deref().unwrap_or(&c.title))
        );
        if let Some(f) = c.findings.first() {
            let more = c.findings_total.saturating_sub(1);
            let _ = write!(line, " (first: {}", cell(&f.label));
            if more > 0 {
                let _ = write!(line, ", and {more} more");
            }
            line.push(')');
        }
        if let Some(w) = &c.waiver {
            let _ = write!(line, "; {}", cell(&w.line()));
        }
        line.push('\n');
        if out.len() + line.len() > room {
            let left = attention.len() - i;
            let _ = writeln!(
                out,
                "\n…and {left} more failing or erring article{} left out to keep this summary under 60 KiB; the full \
                 report has them.",
                if left == 1 { "" } else { "s" }
            );
            return out;
        }
        out.push_str(&line);
    }
    if attention.is_empty() {
        out.push_str("No article's problem was found.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::model::Severity;
    use crate::checks::{Failed, Finding, Verdict};
    use crate::report::{ArticleReport, CheckReport};

    fn failing(n: usize) -> Report {
        let verdict = Verdict::Fail(Failed {
            message: "SAML apps sign with a certificate that expires within 30 days".into(),
            findings: (0..3)
                .map(|i| Finding {
                    label: format!("Payroll SAML {i}"),
                    detail: Some("in 8 days".into()),
                    url: None,
                })
                .collect(),
        });
        let articles = (0..n)
            .map(|i| ArticleReport {
                slug: format!("saml/problem-{i:05}"),
                title: format!("SAML app signing certificate expired or about to expire, number {i}"),
                url: format!("/saml/problem-{i:05}/"),
                permalink: format!("https://help.acme.test/saml/problem-{i:05}/"),
                audience: None,
                status: Status::Skip,
                severity: None,
                checks: vec![CheckReport::new("certs", "Certificates", Severity::High, &verdict, 3)],
            })
            .collect();
        Report::of("acme", "https://acme.okta.com", articles)
    }

    #[test]
    fn a_summary_of_a_thousand_failures_stays_under_its_limit_and_counts_the_rest() {
        let text = render(&failing(1000));
        assert!(text.len() <= LIMIT, "{} bytes", text.len());
        let shown = text.lines().filter(|l| l.starts_with("- **fail**")).count();
        assert!(shown > 100, "{shown} shown");
        let left = format!("…and {} more failing or erring articles left out", 1000 - shown);
        assert!(text.contains(&left), "{}", &text[text.len() - 300..]);
        assert!(text.contains("(first: Payroll SAML 0, and 2 more)"));
    }

    #[test]
    fn a_short_summary_holds_every_failure() {
        let text = render(&failing(3));
        assert_eq!(text.lines().filter(|l| l.starts_with("- **fail**")).count(), 3);
        assert!(!text.contains("left out"));
        assert!(text.starts_with("### kb check: acme\n\n**0 passed, 3 failed"), "{text}");
    }
}
