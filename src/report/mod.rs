//! The results of a `kb check` run, per article, and their formats: human (the terminal), JSON (a public,
//! versioned interface), JUnit XML, Markdown and a self-contained HTML page. One file per format.

pub mod html;
pub mod human;
pub mod junit;
pub mod markdown;

use serde::{Deserialize, Serialize};

use crate::checks::Verdict;

/// The JSON report's version: bumped on any change that could break a reader, a new value of an enumeration
/// included. Each version's JSON Schema is `docs/report.v<N>.schema.json`. Version 2 added the reason `body`.
pub const SCHEMA_VERSION: u32 = 2;

/// The versions kb's own readers (`kb build --report`) accept.
pub const READS: &[u32] = &[1, 2];

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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArticleReport {
    pub slug: String,
    pub title: String,
    pub url: String,
    pub permalink: String,
    pub status: Status,
    pub checks: Vec<CheckReport>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckReport {
    pub id: String,
    pub title: String,
    pub status: Status,
    /// Why it failed, erred or was skipped; `null` for a pass.
    pub message: Option<String>,
    /// `assertion` for a fail, `precondition` for a skip, the kind of error for an error (`missing_scope`,
    /// `access_denied`, `invalid_token`, `credentials`, `rate_limited`, `http_status`, `ambiguous`, `truncated`,
    /// `network`, `timeout`, `redirect`, `input`, `body`); `null` for a pass.
    pub reason: Option<String>,
    pub missing_scopes: Vec<String>,
    pub duration_ms: u64,
}

impl CheckReport {
    pub fn new(id: &str, title: &str, verdict: &Verdict, duration_ms: u64) -> CheckReport {
        let (status, message, reason, missing_scopes) = match verdict {
            Verdict::Pass => (Status::Pass, None, None, Vec::new()),
            Verdict::Fail(m) => (Status::Fail, Some(m.clone()), Some("assertion".to_string()), Vec::new()),
            Verdict::Skip(m) => (
                Status::Skip,
                Some(m.clone()),
                Some("precondition".to_string()),
                Vec::new(),
            ),
            Verdict::Error(e) => {
                let reason = serde_json::to_value(e.reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string));
                (Status::Error, Some(e.message.clone()), reason, e.missing_scopes.clone())
            }
        };
        CheckReport {
            id: id.to_string(),
            title: title.to_string(),
            status,
            message,
            reason,
            missing_scopes,
            duration_ms,
        }
    }
}

impl Report {
    /// Fills in each article's status and the summary from the checks.
    pub fn finish(&mut self) {
        let mut s = Summary::default();
        for a in &mut self.articles {
            a.status = Status::of(a.checks.iter().map(|c| c.status));
            s.articles += 1;
            s.checks += a.checks.iter().filter(|c| c.status != Status::Skip).count();
            match a.status {
                Status::Pass => s.pass += 1,
                Status::Fail => s.fail += 1,
                Status::Error => s.error += 1,
                Status::Skip => s.skip += 1,
            }
        }
        self.summary = s;
    }

    /// `kb check`'s exit status for this report: 130 interrupted, 1 a fail, 3 an error, else 0.
    pub fn exit_code(&self) -> i32 {
        use crate::cli::exit;
        if self.interrupted {
            exit::INTERRUPTED
        } else if self.summary.fail > 0 {
            exit::FAIL
        } else if self.summary.error > 0 {
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
