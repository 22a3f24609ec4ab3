//! A self-contained HTML report: one file, its style inline, no script and no request to anywhere; every value
//! is escaped.

use std::fmt::Write as _;

use super::{Report, Status};
use crate::text::escape;

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}\
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4rem .5rem;\
border-bottom:1px solid #d8dee4;vertical-align:top}.s{font-weight:600;text-transform:uppercase;font-size:.8rem}\
.pass{color:#1a7f37}.fail{color:#cf222e}.error{color:#9a6700}.skip{color:#57606a}ul{margin:.2rem 0;padding-left:1.2rem}\
.m{color:#57606a}@media(prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}td,th{border-color:#30363d}\
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
            "<tr><td class=\"s {s}\">{s}</td><td><a href=\"{}\">{}</a><div class=\"m\">{}</div></td><td><ul>",
            escape(&a.permalink),
            escape(&a.title),
            escape(&a.slug)
        );
        for c in &a.checks {
            let cs = c.status.as_str();
            let _ = write!(out, "<li><span class=\"s {cs}\">{cs}</span> {}", escape(&c.title));
            if let Some(m) = &c.message {
                let _ = write!(out, "<div class=\"m\">{}</div>", escape(m));
            }
            out.push_str("</li>");
        }
        out.push_str("</ul></td></tr>\n");
    }
    out.push_str("</tbody></table>\n</body></html>\n");
    out
}
