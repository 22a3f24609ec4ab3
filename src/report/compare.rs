//! `kb check --compare PREVIOUS.json`: what changed since an earlier run of the same org, check by check and
//! article by article. The human, Markdown, HTML and summary reports lead with it; the JSON carries it as
//! `changes`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{CheckReport, FromSnapshot, Report, Status};

/// How a check (or an article) changed since the previous run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Failing now; passing or skipped before.
    NewFailure,
    /// Passing now; failing or erring before.
    Fixed,
    /// Failing before and now, with the same findings.
    StillFailing,
    /// Failing before and now, with findings added or removed.
    FindingsChanged,
    FailToError,
    ErrorToFail,
    /// Erring now; passing or skipped before.
    NewError,
    StillErring,
    /// Skipped now; run before.
    NewlySkipped,
    /// Not in the previous report.
    NewCheck,
    /// In the previous report, not in this one.
    RemovedCheck,
    Unchanged,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::NewFailure => "new failure",
            Change::Fixed => "fixed",
            Change::StillFailing => "still failing",
            Change::FindingsChanged => "findings changed",
            Change::FailToError => "fail to error",
            Change::ErrorToFail => "error to fail",
            Change::NewError => "new error",
            Change::StillErring => "still erring",
            Change::NewlySkipped => "newly skipped",
            Change::NewCheck => "new check",
            Change::RemovedCheck => "removed check",
            Change::Unchanged => "unchanged",
        }
    }

    /// The change between two statuses (`None`: absent from that report); `findings_differ` for two failures.
    pub fn of(was: Option<Status>, now: Option<Status>, findings_differ: bool) -> Change {
        use Status::*;
        match (was, now) {
            (None, None) => Change::Unchanged,
            (None, Some(_)) => Change::NewCheck,
            (Some(_), None) => Change::RemovedCheck,
            (Some(Fail), Some(Fail)) if findings_differ => Change::FindingsChanged,
            (Some(Fail), Some(Fail)) => Change::StillFailing,
            (Some(Error), Some(Error)) => Change::StillErring,
            (Some(Fail), Some(Error)) => Change::FailToError,
            (Some(Error), Some(Fail)) => Change::ErrorToFail,
            (Some(_), Some(Fail)) => Change::NewFailure,
            (Some(_), Some(Error)) => Change::NewError,
            (Some(Fail | Error), Some(Pass)) => Change::Fixed,
            (Some(Pass | Fail | Error), Some(Skip)) => Change::NewlySkipped,
            (Some(_), Some(_)) => Change::Unchanged,
        }
    }
}

/// The run compared with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Previous {
    pub started_at: String,
    pub schema_version: u32,
    /// It was interrupted: what it lacks counts as new.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// It replayed a snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<FromSnapshot>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckChange {
    pub slug: String,
    pub check: String,
    pub title: String,
    pub change: Change,
    pub was: Option<Status>,
    pub now: Option<Status>,
    /// For two failures: the findings' labels added and removed (of those the reports list).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings_added: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings_removed: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArticleChange {
    pub slug: String,
    pub title: String,
    pub permalink: String,
    pub change: Change,
    pub was: Option<Status>,
    pub now: Option<Status>,
}

/// What changed since the previous run: counts of every class of change (of checks), and every check and article
/// that did not stay unchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Changes {
    pub previous: Previous,
    pub counts: BTreeMap<Change, usize>,
    pub checks: Vec<CheckChange>,
    pub articles: Vec<ArticleChange>,
}

impl Changes {
    /// The changes in one line: `1 new failure, 2 fixed, 3 still failing` (nothing for unchanged checks).
    pub fn line(&self) -> String {
        let parts: Vec<String> = self
            .counts
            .iter()
            .filter(|(c, n)| **c != Change::Unchanged && **n > 0)
            .map(|(c, n)| format!("{n} {}", c.as_str()))
            .collect();
        let what = if parts.is_empty() {
            "no change".to_string()
        } else {
            parts.join(", ")
        };
        let mut line = format!("Since the run of {}: {what}", self.previous.started_at);
        if self.previous.interrupted {
            line.push_str(" (that run was interrupted: what it lacks counts as new)");
        }
        if self.previous.snapshot.is_some() {
            line.push_str(" (that run replayed a snapshot)");
        }
        line
    }
}

impl CheckChange {
    /// The change in words, with the status a new check has (`new check (fail)`) and how many findings were added
    /// and removed.
    pub fn label(&self) -> String {
        let mut label = self.change.as_str().to_string();
        if let (Change::NewCheck, Some(now)) = (self.change, self.now) {
            label.push_str(&format!(" ({})", now.as_str()));
        }
        if self.change == Change::FindingsChanged {
            label.push_str(&format!(
                " (+{} −{})",
                self.findings_added.len(),
                self.findings_removed.len()
            ));
        }
        label
    }
}

impl Changes {
    /// The changes worth a line of their own: every check that did not stay unchanged or still failing with the
    /// same findings, in order.
    pub fn notable(&self) -> impl Iterator<Item = &CheckChange> {
        self.checks.iter().filter(|c| c.change != Change::StillFailing)
    }
}

/// The changes from `previous` to `now`.
pub fn compare(previous: &Report, now: &Report) -> Changes {
    let index = |r: &Report| -> BTreeMap<(String, String), CheckReport> {
        r.articles
            .iter()
            .flat_map(|a| {
                a.checks
                    .iter()
                    .map(move |c| ((a.slug.clone(), c.id.clone()), c.clone()))
            })
            .collect()
    };
    let (was, is) = (index(previous), index(now));
    let keys: BTreeSet<&(String, String)> = was.keys().chain(is.keys()).collect();
    let mut counts = BTreeMap::new();
    let mut checks = Vec::new();
    for key in keys {
        let (w, n) = (was.get(key), is.get(key));
        let labels = |c: Option<&CheckReport>| -> BTreeSet<String> {
            c.map(|c| c.findings.iter().map(|f| f.label.clone()).collect())
                .unwrap_or_default()
        };
        let (lw, ln) = (labels(w), labels(n));
        let differ = lw != ln || w.map(|c| c.findings_total) != n.map(|c| c.findings_total);
        let mut change = Change::of(w.map(|c| c.status), n.map(|c| c.status), differ);
        // A failure a waiver accepted then that counts now (its waiver expired, or no longer covers it) is new to
        // the run's outcome.
        if matches!(change, Change::StillFailing | Change::FindingsChanged)
            && w.is_some_and(CheckReport::waived)
            && !n.is_some_and(CheckReport::waived)
        {
            change = Change::NewFailure;
        }
        *counts.entry(change).or_insert(0) += 1;
        if change == Change::Unchanged {
            continue;
        }
        let both_fail = change == Change::FindingsChanged;
        checks.push(CheckChange {
            slug: key.0.clone(),
            check: key.1.clone(),
            title: n.or(w).map(|c| c.title.clone()).unwrap_or_default(),
            change,
            was: w.map(|c| c.status),
            now: n.map(|c| c.status),
            findings_added: if both_fail {
                ln.difference(&lw).cloned().collect()
            } else {
                Vec::new()
            },
            findings_removed: if both_fail {
                lw.difference(&ln).cloned().collect()
            } else {
                Vec::new()
            },
        });
    }
    let mut articles = Vec::new();
    let slugs: BTreeSet<&str> = previous
        .articles
        .iter()
        .chain(&now.articles)
        .map(|a| a.slug.as_str())
        .collect();
    for slug in slugs {
        let (w, n) = (
            previous.articles.iter().find(|a| a.slug == slug),
            now.articles.iter().find(|a| a.slug == slug),
        );
        let differ = checks
            .iter()
            .any(|c| c.slug == slug && c.change == Change::FindingsChanged);
        let change = Change::of(w.map(|a| a.status), n.map(|a| a.status), differ);
        if change == Change::Unchanged {
            continue;
        }
        let a = n.or(w).expect("in one of them");
        articles.push(ArticleChange {
            slug: slug.to_string(),
            title: a.title.clone(),
            permalink: a.permalink.clone(),
            change,
            was: w.map(|a| a.status),
            now: n.map(|a| a.status),
        });
    }
    Changes {
        previous: Previous {
            started_at: previous.started_at.clone(),
            schema_version: previous.schema_version,
            interrupted: previous.interrupted,
            snapshot: previous.snapshot.clone(),
        },
        counts,
        checks,
        articles,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn each_pair_of_statuses_is_one_change() {
        assert_eq!(Change::of(Some(Pass), Some(Fail), false), Change::NewFailure);
        assert_eq!(Change::of(Some(Skip), Some(Fail), false), Change::NewFailure);
        assert_eq!(Change::of(Some(Fail), Some(Pass), false), Change::Fixed);
        assert_eq!(Change::of(Some(Error), Some(Pass), false), Change::Fixed);
        assert_eq!(Change::of(Some(Fail), Some(Fail), false), Change::StillFailing);
        assert_eq!(Change::of(Some(Fail), Some(Fail), true), Change::FindingsChanged);
        assert_eq!(Change::of(Some(Fail), Some(Error), false), Change::FailToError);
        assert_eq!(Change::of(Some(Error), Some(Fail), false), Change::ErrorToFail);
        assert_eq!(Change::of(Some(Pass), Some(Error), false), Change::NewError);
        assert_eq!(Change::of(Some(Error), Some(Error), false), Change::StillErring);
        assert_eq!(Change::of(Some(Pass), Some(Skip), false), Change::NewlySkipped);
        assert_eq!(Change::of(None, Some(Pass), false), Change::NewCheck);
        assert_eq!(Change::of(Some(Pass), None, false), Change::RemovedCheck);
        assert_eq!(Change::of(Some(Pass), Some(Pass), false), Change::Unchanged);
        assert_eq!(Change::of(Some(Skip), Some(Pass), false), Change::Unchanged);
    }
}

#[cfg(test)]
mod waived {
    use super::*;
    use crate::checks::model::Severity;
    use crate::checks::{Failed, Finding, Verdict};
    use crate::report::ArticleReport;
    use crate::waivers::{Target, Waiver, Waivers};

    fn report(findings: &[&str], waiver: Option<Vec<String>>) -> Report {
        let verdict = Verdict::Fail(Failed {
            message: "Users are locked out".into(),
            findings: findings
                .iter()
                .map(|l| Finding {
                    label: l.to_string(),
                    detail: None,
                    url: None,
                })
                .collect(),
        });
        let mut r = Report::of(
            "acme",
            "https://acme.okta.com",
            vec![ArticleReport {
                slug: "users/x".into(),
                title: "Locked".into(),
                url: "/users/x/".into(),
                permalink: "https://help.acme.test/users/x/".into(),
                audience: None,
                status: Status::Skip,
                severity: None,
                checks: vec![CheckReport::new("locked", "Locked", Severity::Low, &verdict, 1)],
            }],
        );
        let waivers = Waivers {
            list: waiver
                .map(|findings| Waiver {
                    target: Target::Check("users/x".into(), "locked".into()),
                    reason: "on leave".into(),
                    expires: chrono::NaiveDate::from_ymd_opt(2027, 1, 15).unwrap(),
                    owner: None,
                    run: true,
                    errors: false,
                    findings,
                })
                .into_iter()
                .collect(),
        };
        r.apply(&waivers);
        r
    }

    #[test]
    fn a_per_finding_waiver_accepts_only_failures_made_of_its_findings() {
        let listed = || Some(vec!["bob".to_string()]);
        assert!(report(&["bob"], listed()).articles[0].checks[0].waived());
        assert!(!report(&["bob", "carol"], listed()).articles[0].checks[0].waived());
        assert!(
            !report(&[], listed()).articles[0].checks[0].waived(),
            "a failure with no findings is another"
        );
        assert_eq!(report(&["bob"], listed()).exit_code(), crate::exit::OK);
        assert_eq!(report(&[], listed()).exit_code(), crate::exit::FAIL);
    }

    #[test]
    fn a_failure_that_counts_again_is_a_new_failure() {
        let before = report(&["bob"], Some(Vec::new()));
        let after = report(&["bob"], None);
        let changes = compare(&before, &after);
        assert_eq!(changes.checks[0].change, Change::NewFailure);
        assert_eq!(
            compare(&after, &after).notable().count(),
            0,
            "a failure still counting is still failing, not listed"
        );
    }
}
