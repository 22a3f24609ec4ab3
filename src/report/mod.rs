//! The results of a `kb check` run, per article, and their formats: human (the terminal), JSON (a public,
//! versioned interface), JUnit XML, Markdown, a short Markdown summary and a self-contained HTML page. One file per
//! format.

pub mod compare;
pub mod html;
pub mod human;
pub mod junit;
pub mod markdown;
pub mod read;
pub mod summary;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::checks::model::Severity;
use crate::checks::{Finding, SkipReason, Verdict};

/// The JSON report's version: bumped on any change that could break a reader, a new value of an enumeration
/// included. Each version's JSON Schema is `docs/report.v<N>.schema.json`. Version 2 added the reason `body`;
/// version 3 severities, findings, and the skip reasons `needs_var` and `filtered`; version 4 the reason
/// `not_recorded` and `snapshot` (a replay's source); version 5 `changes` (`--compare`), `waiver` on a check,
/// `summary.waived` and the skip reason `waived`.
pub const SCHEMA_VERSION: u32 = 6;

/// The versions kb's own readers (`kb build --report`, `kb check --compare`) accept.
pub const READS: &[u32] = &[1, 2, 3, 4, 5, 6];

/// Findings a report shows per check; `findings_total` counts them all.
pub const FINDINGS_SHOWN: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Error,
    Skip,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Skip => "skip",
        }
    }

    /// An article's status from its checks': `fail` if any fails, else `error` if any errs, else `pass` if any
    /// passes, else `skip`.
    pub fn of(checks: impl IntoIterator<Item = Status>) -> Status {
        let (mut fail, mut error, mut pass) = (false, false, false);
        for s in checks {
            match s {
                Status::Fail => fail = true,
                Status::Error => error = true,
                Status::Pass => pass = true,
                Status::Skip => {}
            }
        }
        if fail {
            Status::Fail
        } else if error {
            Status::Error
        } else if pass {
            Status::Pass
        } else {
            Status::Skip
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub kb_version: String,
    pub org: String,
    pub org_url: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub duration_ms: u64,
    pub summary: Summary,
    pub articles: Vec<ArticleReport>,
    /// True when the run was interrupted: the report holds what finished.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// `--fail-on`: fails of checks below this severity do not count for the exit status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_on: Option<Severity>,
    /// Set when the run replayed a snapshot (`kb check --snapshot`) instead of asking the org.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<FromSnapshot>,
    /// What changed since a previous run (`--compare PREVIOUS.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<compare::Changes>,
}

impl FromSnapshot {
    /// The line every report format says it in: `Replayed from a snapshot taken 2026-12-01T10:00:00Z (redacted)`.
    pub fn line(&self) -> String {
        let how = if self.redacted {
            "people's values redacted"
        } else {
            "not redacted"
        };
        format!(
            "Replayed from a snapshot taken {} by kb {} ({how}); no request was sent",
            self.taken_at, self.kb_version
        )
    }
}

/// The snapshot a replayed run read: when it was taken, by which kb, and whether people's values were redacted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FromSnapshot {
    /// RFC 3339, UTC.
    pub taken_at: String,
    pub kb_version: String,
    pub redacted: bool,
}

/// Articles by status, and the checks that ran (not skipped).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Summary {
    pub articles: usize,
    pub checks: usize,
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub skip: usize,
    /// Failing checks by severity (every severity, 0 included).
    #[serde(default)]
    pub failed_by_severity: BTreeMap<Severity, usize>,
    /// Results a waiver accepts (not counted for the exit status), apart from the counts above.
    #[serde(default)]
    pub waived: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArticleReport {
    pub slug: String,
    pub title: String,
    pub url: String,
    pub permalink: String,
    /// `internal` for an article only an internal build publishes (its page is on the internal site); absent
    /// for a public one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<crate::content::Audience>,
    pub status: Status,
    /// The highest severity among its failing checks; `null` when none fails.
    #[serde(default)]
    pub severity: Option<Severity>,
    pub checks: Vec<CheckReport>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckReport {
    pub id: String,
    pub title: String,
    pub status: Status,
    /// How much a failure of this check matters (reports before version 3: `medium`).
    #[serde(default)]
    pub severity: Severity,
    /// Why it failed, erred or was skipped; `null` for a pass.
    pub message: Option<String>,
    /// `assertion` for a fail; for a skip `precondition`, `needs_var` or `filtered`; the kind of error for an error
    /// (`missing_scope`, `access_denied`, `invalid_token`, `credentials`, `rate_limited`, `http_status`,
    /// `ambiguous`, `truncated`, `network`, `timeout`, `redirect`, `input`, `body`); `null` for a pass.
    pub reason: Option<String>,
    pub missing_scopes: Vec<String>,
    /// With `needs_var`: the `vars` that have no value.
    #[serde(default)]
    pub missing_vars: Vec<String>,
    /// The first failing items, each with a label, what was read, and its Admin Console page.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// How many items fail in all.
    #[serde(default)]
    pub findings_total: usize,
    pub duration_ms: u64,
    /// The waiver that applies to this check, and whether it accepts this result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<crate::waivers::Shown>,
}

impl CheckReport {
    pub fn new(id: &str, title: &str, severity: Severity, verdict: &Verdict, duration_ms: u64) -> CheckReport {
        let mut r = CheckReport {
            id: id.to_string(),
            title: title.to_string(),
            status: Status::Pass,
            severity,
            message: None,
            reason: None,
            missing_scopes: Vec::new(),
            missing_vars: Vec::new(),
            findings: Vec::new(),
            findings_total: 0,
            duration_ms,
            waiver: None,
        };
        match verdict {
            Verdict::Pass => {}
            Verdict::Fail(f) => {
                r.status = Status::Fail;
                r.message = Some(f.message.clone());
                r.reason = Some("assertion".into());
                r.findings = f.findings.iter().take(FINDINGS_SHOWN).cloned().collect();
                r.findings_total = f.findings.len();
            }
            Verdict::Skip(s) => {
                r.status = Status::Skip;
                r.message = Some(s.message.clone());
                r.reason = Some(s.reason.as_str().into());
                if let SkipReason::NeedsVar(vars) = &s.reason {
                    r.missing_vars = vars.clone();
                }
            }
            Verdict::Error(e) => {
                r.status = Status::Error;
                r.message = Some(e.message.clone());
                r.reason = Some(e.reason.as_str().to_string());
                r.missing_scopes = e.missing_scopes.clone();
            }
        }
        r
    }
}

/// A finding's link, when it is one a report may print: an absolute http(s) URL (a report read from a file may
/// hold anything).
pub fn safe_url(url: Option<&str>) -> Option<&str> {
    let u = url.and_then(|u| url::Url::parse(u).ok())?;
    (matches!(u.scheme(), "https" | "http") && u.host().is_some()).then_some(url?)
}

/// A check's findings as reports show them: the first [`FINDINGS_SHOWN`], links only when [`safe_url`].
pub fn shown_findings(c: &CheckReport) -> Vec<Finding> {
    c.findings
        .iter()
        .take(FINDINGS_SHOWN)
        .map(|f| Finding {
            label: f.label.clone(),
            detail: f.detail.clone(),
            url: safe_url(f.url.as_deref()).map(str::to_string),
        })
        .collect()
}

impl CheckReport {
    /// Whether a waiver accepts this result: then it does not count for the exit status.
    pub fn waived(&self) -> bool {
        self.waiver.as_ref().is_some_and(|w| w.accepted)
    }

    /// How many failing items the report does not list.
    pub fn unlisted(&self) -> usize {
        self.findings_total
            .saturating_sub(self.findings.len().min(FINDINGS_SHOWN))
    }
}

impl Report {
    /// A report of these articles' results for this org, by this kb, its statuses and counts worked out; the start
    /// time, duration and the rest are the caller's to fill in.
    pub fn of(org: &str, org_url: &str, articles: Vec<ArticleReport>) -> Report {
        let mut report = Report {
            schema_version: SCHEMA_VERSION,
            kb_version: env!("CARGO_PKG_VERSION").to_string(),
            org: org.to_string(),
            org_url: org_url.to_string(),
            started_at: String::new(),
            duration_ms: 0,
            summary: Summary::default(),
            articles,
            interrupted: false,
            fail_on: None,
            snapshot: None,
            changes: None,
        };
        report.finish();
        report
    }

    /// Shows each check's waiver next to its result, and says whether it accepts it: a failure (with `findings`,
    /// only when the report lists every finding and each is one of them), or with `errors = true` an error that is
    /// not about the run itself. Then the summary is worked out again.
    pub fn apply(&mut self, waivers: &crate::waivers::Waivers) {
        for a in &mut self.articles {
            for c in &mut a.checks {
                let Some(w) = waivers.of(&a.slug, &c.id) else { continue };
                let accepted = match c.status {
                    Status::Fail if w.findings.is_empty() => true,
                    // A failure without findings failed otherwise than by its items: not what the waiver lists.
                    Status::Fail => {
                        !c.findings.is_empty()
                            && c.findings_total == c.findings.len()
                            && c.findings.iter().all(|f| w.findings.contains(&f.label))
                    }
                    Status::Error => {
                        w.errors
                            && !crate::waivers::NEVER_WAIVED
                                .iter()
                                .any(|r| c.reason.as_deref() == Some(r.as_str()))
                    }
                    // Not run because the waiver said so.
                    Status::Skip => c.reason.as_deref() == Some("waived"),
                    Status::Pass => false,
                };
                c.waiver = Some(crate::waivers::Shown {
                    reason: w.reason.clone(),
                    expires: w.expires.to_string(),
                    owner: w.owner.clone(),
                    findings: w.findings.clone(),
                    accepted,
                });
            }
        }
        self.finish();
    }

    /// Fills in each article's status and the summary from the checks.
    pub fn finish(&mut self) {
        let mut s = Summary {
            failed_by_severity: Severity::ALL.iter().map(|v| (*v, 0)).collect(),
            ..Summary::default()
        };
        for a in &mut self.articles {
            a.status = Status::of(a.checks.iter().map(|c| c.status));
            a.severity = a
                .checks
                .iter()
                .filter(|c| c.status == Status::Fail)
                .map(|c| c.severity)
                .max();
            for c in a.checks.iter().filter(|c| c.status == Status::Fail) {
                *s.failed_by_severity.entry(c.severity).or_default() += 1;
            }
            s.articles += 1;
            s.checks += a.checks.iter().filter(|c| c.status != Status::Skip).count();
            s.waived += a.checks.iter().filter(|c| c.waived()).count();
            match a.status {
                Status::Pass => s.pass += 1,
                Status::Fail => s.fail += 1,
                Status::Error => s.error += 1,
                Status::Skip => s.skip += 1,
            }
        }
        self.summary = s;
    }

    /// `kb check`'s exit status for this report: 130 interrupted, 1 a counted fail (at or above `--fail-on`), 3 an
    /// error, else 0.
    pub fn exit_code(&self) -> i32 {
        use crate::exit;
        let counted =
            |c: &&CheckReport| c.status == Status::Fail && !c.waived() && self.fail_on.is_none_or(|f| c.severity >= f);
        let fails = self.articles.iter().flat_map(|a| &a.checks).filter(counted).count();
        let errors = self
            .articles
            .iter()
            .flat_map(|a| &a.checks)
            .any(|c| c.status == Status::Error && !c.waived());
        if self.interrupted {
            exit::INTERRUPTED
        } else if fails > 0 {
            exit::FAIL
        } else if errors {
            exit::ERROR
        } else {
            exit::OK
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a report always serialises");
        s.push('\n');
        s
    }

    /// The closing line: `N passed, N failed`, then errors and skips (articles).
    pub fn tally(&self) -> String {
        let s = &self.summary;
        let mut line = format!("{} passed, {} failed", s.pass, s.fail);
        if s.error > 0 {
            line.push_str(&format!(", {}", crate::text::count(s.error, "error")));
        }
        if s.skip > 0 {
            line.push_str(&format!(", {} skipped", s.skip));
        }
        if s.waived > 0 {
            line.push_str(&format!(" ({} waived)", crate::text::count(s.waived, "result")));
        }
        if self.interrupted {
            line.push_str(" (interrupted: the other checks did not run)");
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_status_follows_its_checks() {
        use Status::*;
        assert_eq!(Status::of([Pass, Error, Fail]), Fail);
        assert_eq!(Status::of([Pass, Error, Skip]), Error);
        assert_eq!(Status::of([Skip, Pass]), Pass);
        assert_eq!(Status::of([Skip, Skip]), Skip);
        assert_eq!(Status::of([]), Skip);
    }
}
