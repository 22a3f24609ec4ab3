//! A self-contained HTML report: one file, its style inline, no script and no request to anywhere; every value
//! is escaped.

use std::fmt::Write as _;

use super::{CheckReport, Report, Status, shown_findings};
use crate::checks::model::Severity;
use crate::text::escape;

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}\
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4rem .5rem;\
border-bottom:1px solid #d8dee4;vertical-align:top}.s{font-weight:600;text-transform:uppercase;font-size:.8rem}\
.pass{color:#1a7f37}.fail{color:#cf222e}.error{color:#9a6700}.skip{color:#57606a}ul{margin:.2rem 0;padding-left:1.2rem}\
.m{color:#57606a}.sum{border-collapse:collapse;width:auto;margin:.5rem 0 1.5rem}.sum td,.sum th{padding:.2rem .8rem .2rem 0}details summary{cursor:pointer}.sev{font-size:.75rem;font-weight:600;text-transform:uppercase}@media(prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}td,th{border-color:#30363d}\
.m{color:#9198a1}.pass{color:#3fb950}.fail{color:#f85149}.error{color:#d29922}}";

/// The report's own content security policy: its inline style, nothing else (no script, no request anywhere).
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let title = format!("kb check: {}", report.org);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\"><meta name=\"viewport\" \
         content=\"width=device-width,initial-scale=1\"><meta name=\"robots\" content=\"noindex\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n<p><strong>{}</strong></p>\n\
         <p class=\"m\">{} · started {} · {} checks run in {} ms</p>\n",
        escape(&title),
        escape(&title),
        escape(&report.tally()),
        escape(&report.org_url),
        escape(&report.started_at),
        report.summary.checks,
        report.duration_ms
    );
    if let Some(s) = &report.snapshot {
        let _ = writeln!(out, "<p class=\"m\">{}</p>", escape(&s.line()));
    }
    if let Some(c) = &report.changes {
        let _ = writeln!(out, "<h2>Changes</h2>\n<p><strong>{}</strong></p>", escape(&c.line()));
        let notable: Vec<_> = c.notable().collect();
        if !notable.is_empty() {
            out.push_str("<ul>\n");
            for ch in notable {
                let _ = writeln!(
                    out,
                    "<li>{}: {} <span class=\"m\">{} · {}</span></li>",
                    escape(&ch.label()),
                    escape(&ch.title),
                    escape(&ch.slug),
                    escape(&ch.check)
                );
            }
            out.push_str("</ul>\n");
        }
    }
    summary(&mut out, report);
    out.push_str("<table><thead><tr><th>Status</th><th>Article</th><th>Checks</th></tr></thead><tbody>\n");
    let mut order: Vec<_> = report.articles.iter().collect();
    order.sort_by_key(|a| match a.status {
        Status::Fail => 0,
        Status::Error => 1,
        Status::Pass => 2,
        Status::Skip => 3,
    });
    for a in order {
        let s = a.status.as_str();
        let _ = write!(
            out,
            "<tr><td class=\"s {s}\">{s}</td><td><a href=\"{}\">{}</a><div class=\"m\">{}{}</div></td><td><ul>",
            escape(&a.permalink),
            escape(&a.title),
            escape(&a.slug),
            super::human::internal_note(a)
        );
        for c in &a.checks {
            let cs = c.status.as_str();
            let _ = write!(out, "<li><span class=\"s {cs}\">{cs}</span> {}", escape(&c.title));
            if c.status == Status::Fail {
                let _ = write!(out, " <span class=\"sev\">{}</span>", c.severity);
            }
            if let Some(m) = &c.message {
                let _ = write!(out, "<div class=\"m\">{}</div>", escape(m));
            }
            if let Some(w) = &c.waiver {
                let _ = write!(out, "<div class=\"m\"><em>{}</em></div>", escape(&w.line()));
            }
            findings(&mut out, c);
            out.push_str("</li>");
        }
        out.push_str("</ul></td></tr>\n");
    }
    out.push_str("</tbody></table>\n</body></html>\n");
    out
}

/// Counts first: articles by status, then failing checks by severity.
fn summary(out: &mut String, report: &Report) {
    let s = &report.summary;
    out.push_str("<table class=\"sum\"><tr><th>Articles</th>");
    for (label, n, class) in [
        ("failing", s.fail, "fail"),
        ("not checked", s.error, "error"),
        ("passing", s.pass, "pass"),
        ("not applicable", s.skip, "skip"),
    ] {
        let _ = write!(out, "<td class=\"{class}\">{n} {label}</td>");
    }
    out.push_str("</tr><tr><th>Failing checks</th>");
    for level in Severity::ALL {
        let n = s.failed_by_severity.get(&level).copied().unwrap_or(0);
        let _ = write!(out, "<td>{n} {level}</td>");
    }
    out.push_str("</tr></table>\n");
}

/// A failing check's items: open when a few, folded when more.
fn findings(out: &mut String, c: &CheckReport) {
    let shown = shown_findings(c);
    if shown.is_empty() {
        return;
    }
    let total = c.findings_total.max(shown.len());
    let open = if total <= 5 { " open" } else { "" };
    let _ = write!(
        out,
        "<details{open}><summary>{}</summary><ul>",
        crate::text::count(total, "failing item")
    );
    for f in &shown {
        let label = escape(&f.label);
        match &f.url {
            Some(u) => {
                let _ = write!(
                    out,
                    "<li><a href=\"{}\" rel=\"noopener noreferrer\">{label}</a>",
                    escape(u)
                );
            }
            None => {
                let _ = write!(out, "<li>{label}");
            }
        }
        if let Some(d) = &f.detail {
            let _ = write!(out, ": <span class=\"m\">{}</span>", escape(d));
        }
        out.push_str("</li>");
    }
    if c.unlisted() > 0 {
        let _ = write!(out, "<li class=\"m\">and {} more</li>", c.unlisted());
    }
    out.push_str("</ul></details>");
}
