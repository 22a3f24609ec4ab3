//! An org's check results as the site shows them (`kb build --report report.json`): on each article that was
//! checked, on `/report/`, and as a summary on the home page.
//!
//! The site reads the report through this plain view, which `kb build` fills from `kb check`'s JSON report (its
//! public schema), so the site depends on no part of the check side. Pages that show it describe an org's
//! weaknesses: they carry `noindex`, stay out of the sitemap, and nothing of it reaches the search index.

use std::collections::HashMap;

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct OrgStatus {
    pub org: String,
    pub org_url: String,
    /// When the run started, for people: `2026-11-21 14:02 UTC`.
    pub checked_at: String,
    /// The same instant, RFC 3339, for `<time datetime>`.
    pub checked_at_iso: String,
    pub interrupted: bool,
    pub counts: Counts,
    /// By article slug.
    #[serde(skip)]
    pub articles: HashMap<String, ArticleStatus>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub skip: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArticleStatus {
    /// `pass`, `fail`, `error` or `skip`.
    pub status: &'static str,
    pub checks: Vec<CheckStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckStatus {
    pub title: String,
    pub status: &'static str,
    pub severity: &'static str,
    pub message: Option<String>,
    /// The first failing items; their links only when they are http(s) URLs.
    pub findings: Vec<crate::checks::Finding>,
    /// Failing items not listed, and all of them.
    pub more: usize,
    pub total: usize,
}

/// How each status reads, in the order the report page lists them.
pub const ORDER: &[(&str, &str)] = &[
    ("fail", "Failing: the org has the problem"),
    ("error", "Could not be checked"),
    ("pass", "Passing"),
    ("skip", "Not applicable to this org"),
];
