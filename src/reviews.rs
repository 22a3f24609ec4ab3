//! Reviews: who keeps each article true (`owner`) and when someone last checked it (`reviewed`). An article is due
//! `interval` days after its last review (the article's `review_interval_days`, else its nearest section's, else
//! kb.toml's `[reviews] interval_days`, 365 when unset); without `reviewed` it counts from `updated`, then `date`.
//! A date from git is not a review: a commit may only fix a typo.

use chrono::NaiveDate;
use serde::Serialize;

use crate::config::Config;
use crate::content::{Article, Content};
use crate::diag::Diagnostic;

/// Articles due within this many days are listed as due soon by `kb review`.
pub const SOON_DAYS: i64 = 30;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Review {
    /// The file under the site's root: `content/sso/x.md`.
    pub file: String,
    pub slug: String,
    pub title: String,
    pub owner: Option<String>,
    pub audience: crate::content::Audience,
    /// The date the interval counts from, and which key gave it: `reviewed`, `updated`, `date`, or `none`.
    pub last_reviewed: Option<NaiveDate>,
    pub basis: &'static str,
    pub interval_days: u32,
    /// `None` when the article has no date at all: kb cannot tell when it was last looked at ("never reviewed",
    /// listed by `kb review`, not warned about at every build).
    pub due: Option<NaiveDate>,
    /// Days past `due` (negative: days left).
    pub days_overdue: i64,
}

impl Review {
    pub fn overdue(&self) -> bool {
        self.due.is_some() && self.days_overdue > 0
    }

    pub fn due_soon(&self) -> bool {
        self.due.is_some() && !self.overdue() && -self.days_overdue <= SOON_DAYS
    }

    pub fn never_reviewed(&self) -> bool {
        self.due.is_none()
    }
}

/// Every article's review, in the content's order.
pub fn all(config: &Config, content: &Content, today: NaiveDate) -> Vec<Review> {
    content
        .articles
        .iter()
        .map(|a| review(config, content, a, today))
        .collect()
}

fn review(config: &Config, content: &Content, a: &Article, today: NaiveDate) -> Review {
    let mut interval = a.meta.review_interval_days;
    let mut owner = a.meta.owner.clone();
    let mut s = Some(a.section);
    while let Some(i) = s {
        let section = &content.sections[i];
        interval = interval.or(section.meta.review_interval_days);
        owner = owner.or_else(|| section.meta.owner.clone());
        s = section.parent;
    }
    let interval_days = interval.unwrap_or(config.reviews.interval_days);
    let (last_reviewed, basis) = match (a.meta.reviewed, a.meta.updated, a.meta.date) {
        (Some(d), _, _) => (Some(d), "reviewed"),
        (None, Some(d), _) => (Some(d), "updated"),
        (None, None, Some(d)) => (Some(d), "date"),
        (None, None, None) => (None, "none"),
    };
    // A date near the end of chrono's range has no due date rather than a panic.
    let due = last_reviewed.and_then(|d| d.checked_add_days(chrono::Days::new(u64::from(interval_days))));
    Review {
        file: a.file.path.clone(),
        slug: a.slug.clone(),
        title: a.title().to_string(),
        owner,
        audience: if a.internal {
            crate::content::Audience::Internal
        } else {
            crate::content::Audience::Public
        },
        last_reviewed,
        basis,
        interval_days,
        due,
        days_overdue: due.map_or(0, |d| today.signed_duration_since(d).num_days()),
    }
}

/// A warning per overdue article (an error with `deny`), at its `reviewed` key or its front matter.
pub fn diagnostics(config: &Config, content: &Content, today: NaiveDate, deny: bool) -> Vec<Diagnostic> {
    all(config, content, today)
        .into_iter()
        .zip(&content.articles)
        .filter(|(r, _)| r.overdue())
        .map(|(r, a)| {
            let owner = r.owner.as_deref().unwrap_or("no owner");
            let what = format!(
                "review overdue by {} (owner: {owner})",
                crate::text::count(r.days_overdue as usize, "day")
            );
            let last = r.last_reviewed.map(|d| d.to_string()).unwrap_or_default();
            let label = format!(
                "{} {last}, to be reviewed every {} days",
                label_of(r.basis),
                r.interval_days
            );
            let d = if deny {
                Diagnostic::error(what)
            } else {
                Diagnostic::warning(what)
            };
            // The key the interval counts from (`reviewed`, `updated` or `date`).
            d.at(&a.file, a.spans.value(r.basis)).label(label).hint(format!(
                "check the article is still right, then set `reviewed = {today}`"
            ))
        })
        .collect()
}

fn label_of(basis: &str) -> &'static str {
    match basis {
        "reviewed" => "last reviewed",
        "updated" => "never reviewed; updated",
        _ => "never reviewed; written",
    }
}
