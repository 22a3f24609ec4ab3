//! JUnit XML, for CI dashboards: an article is a testcase; a fail is `<failure>`, an error `<error>`, a skip
//! `<skipped/>`. A failure or error a waiver accepts is `<skipped>` with the waiver, so a CI test tab stays green on
//! accepted results and still shows them.

use std::fmt::Write as _;

use super::{ArticleReport, Report, Status, shown_findings};
use crate::text::escape;

/// The status an article has in JUnit: its failures and errors that no waiver accepts count; one whose only
/// failures and errors are accepted is skipped.
fn counted(a: &ArticleReport) -> Status {
    let counts = |st: Status| a.checks.iter().any(|c| c.status == st && !c.waived());
    if counts(Status::Fail) {
        Status::Fail
    } else if counts(Status::Error) {
        Status::Error
    } else if a.checks.iter().any(|c| c.waived()) {
        Status::Skip
    } else {
        a.status
    }
}

pub fn render(report: &Report) -> String {
    let mut s = super::Summary::default();
    for a in &report.articles {
        s.articles += 1;
        match counted(a) {
            Status::Pass => s.pass += 1,
            Status::Fail => s.fail += 1,
            Status::Error => s.error += 1,
            Status::Skip => s.skip += 1,
        }
    }
    let s = &s;
    let secs = |ms: u64| format!("{:.3}", ms as f64 / 1000.0);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let name = escape(&format!("kb check {}", report.org));
    let _ = writeln!(
        out,
        "<testsuites name=\"{name}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
        s.articles,
        s.fail,
        s.error,
        s.skip,
        secs(report.duration_ms)
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\">",
        s.articles,
        s.fail,
        s.error,
        s.skip,
        secs(report.duration_ms),
        escape(&report.started_at)
    );
    let _ = writeln!(
        out,
        "    <properties><property name=\"org_url\" value=\"{}\"/></properties>",
        escape(&report.org_url)
    );
    for a in &report.articles {
        let classname = a.slug.rsplit_once('/').map_or("", |(section, _)| section);
        let ms: u64 = a.checks.iter().map(|c| c.duration_ms).sum();
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"",
            escape(classname),
            escape(&a.slug),
            secs(ms)
        );
        let lines = |wanted: Status| -> String {
            a.checks
                .iter()
                .filter(|c| match wanted {
                    // A skipped testcase lists its skips and its accepted results.
                    Status::Skip => c.status == Status::Skip || c.waived(),
                    _ => c.status == wanted,
                })
                .map(|c| {
                    let mut line = format!("{} ({}): {}", c.title, c.id, c.message.as_deref().unwrap_or(""));
                    if c.status == Status::Fail {
                        line = format!("[{}] {line}", c.severity);
                    }
                    for f in shown_findings(c) {
                        // One line per finding: an org's newline cannot make another.
                        line.push_str(&format!("\n  - {}", one_line(&f.label)));
                        if let Some(d) = &f.detail {
                            line.push_str(&format!(": {}", one_line(d)));
                        }
                        if let Some(u) = &f.url {
                            line.push_str(&format!(" <{u}>"));
                        }
                    }
                    if c.unlisted() > 0 {
                        line.push_str(&format!("\n  - and {} more", c.unlisted()));
                    }
                    if let Some(w) = &c.waiver {
                        line.push_str(&format!("\n  {}", one_line(&w.line())));
                    }
                    line
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let element = match counted(a) {
            Status::Pass => None,
            Status::Fail => Some(("failure", lines(Status::Fail))),
            Status::Error => Some(("error", lines(Status::Error))),
            Status::Skip => Some(("skipped", lines(Status::Skip))),
        };
        match element {
            None => out.push_str("/>\n"),
            Some((tag, text)) => {
                let first = text.lines().next().unwrap_or_default();
                let _ = writeln!(
                    out,
                    ">\n      <{tag} message=\"{}\">{}\n{}</{tag}>\n    </testcase>",
                    escape(first),
                    escape(&text),
                    escape(&a.permalink)
                );
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}
