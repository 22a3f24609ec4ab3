//! Waivers: a known failure accepted with a justification and an expiry (InSpec's waivers, ScubaGear's
//! `OmitPolicy`). `waivers.toml` beside kb.toml (or `--waivers FILE`):
//!
//! ```toml
//! [[waiver]]
//! check = "workflows/403-not-assigned-app#admin-assigned-to-workflows"   # or: article = "workflows/403-not-assigned-app"
//! reason = "The break-glass admin is kept out of Workflows on purpose"
//! expires = 2027-03-01
//! owner = "iam-team@acme.com"   # optional
//! run = true                     # default; false: not even run (skip, reason `waived`)
//! errors = false                 # default; true also accepts errors, except those about the run itself
//! findings = ["alice@acme.com"]  # optional: accepts these findings (by label) only
//! ```
//!
//! A waived check still runs and keeps its real status; its result is not counted for the exit status, and every
//! report shows the waiver. A waiver past its expiry is ignored, with a warning; one expiring within
//! [`NOTICE_DAYS`] gets a notice. "Today" is the local date, or `KB_TODAY` (`2026-12-01`) when set.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::checks::Checks;
use crate::checks::eval::Reason;
use crate::content::Content;
use crate::diag::{Diagnostic, SourceFile, did_you_mean};

/// The default file, beside kb.toml.
pub const FILE: &str = "waivers.toml";

/// A waiver expiring within this many days gets a notice.
pub const NOTICE_DAYS: i64 = 14;

/// The furthest a waiver may expire, in days from today: a waiver is reviewed at least once a year.
pub const MAX_DAYS: i64 = 366;

/// The variable that fixes "today" (for tests, and for a run that must judge as of a date).
pub const TODAY_VAR: &str = "KB_TODAY";

/// Errors about the run itself: kb saw nothing, so there is nothing a waiver could accept.
pub const NEVER_WAIVED: &[Reason] = &[Reason::Body, Reason::InvalidToken, Reason::Credentials];

/// What a waiver applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Article(String),
    Check(String, String),
}

#[derive(Debug, Clone)]
pub struct Waiver {
    pub target: Target,
    pub reason: String,
    pub expires: NaiveDate,
    pub owner: Option<String>,
    pub run: bool,
    pub errors: bool,
    pub findings: Vec<String>,
}

/// A waiver as a report shows it next to the result it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shown {
    pub reason: String,
    /// `YYYY-MM-DD`.
    pub expires: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The findings it accepts (all of them when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
    /// Whether it accepts this result: a failure (every finding, with `findings`), or with `errors = true` an error
    /// not about the run itself. A result it does not accept still counts.
    pub accepted: bool,
}

impl Shown {
    /// The waiver next to a result, in words.
    pub fn line(&self) -> String {
        let owner = self.owner.as_ref().map(|o| format!(", owner {o}")).unwrap_or_default();
        if self.accepted {
            format!("waived until {}: {}{owner}", self.expires, self.reason)
        } else {
            format!(
                "a waiver until {} ({}{owner}) is in force but does not accept this result",
                self.expires, self.reason
            )
        }
    }
}

/// The waivers in force today.
#[derive(Debug, Default)]
pub struct Waivers {
    pub list: Vec<Waiver>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    waiver: Vec<toml::Spanned<RawWaiver>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    check: Option<toml::Spanned<String>>,
    article: Option<toml::Spanned<String>>,
    reason: Option<String>,
    expires: Option<toml::Spanned<toml::value::Datetime>>,
    owner: Option<String>,
    #[serde(default = "yes")]
    run: bool,
    #[serde(default)]
    errors: bool,
    #[serde(default)]
    findings: Vec<String>,
}

fn yes() -> bool {
    true
}

/// Today: `KB_TODAY` when set (`YYYY-MM-DD`; said on stderr, since it decides which waivers are in force), else
/// the local date.
pub fn today(var: Option<String>) -> Result<NaiveDate, Vec<Diagnostic>> {
    match var.filter(|v| !v.is_empty()) {
        None => Ok(chrono::Local::now().date_naive()),
        Some(v) => NaiveDate::parse_from_str(&v, "%Y-%m-%d")
            .inspect(|d| eprintln!("note: {TODAY_VAR}={d}: waivers and reviews are judged as of that date"))
            .map_err(|_| {
                vec![
                    Diagnostic::error(format!("{TODAY_VAR}={v} is not a date"))
                        .hint(format!("write it as {TODAY_VAR}=2026-12-01")),
                ]
            }),
    }
}

impl Waivers {
    /// The waivers of `path` (or of `waivers.toml` beside kb.toml, when it exists), checked against the knowledge
    /// base; those expired today are left out with a warning, those expiring soon kept with a notice (both in the
    /// `Ok` warnings). Every problem of the file at once, at its place.
    pub fn load(
        root: &Path,
        path: Option<&Path>,
        content: &Content,
        checks: &Checks,
        today: NaiveDate,
    ) -> Result<(Waivers, Vec<Diagnostic>), Vec<Diagnostic>> {
        let (path, named): (PathBuf, bool) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (root.join(FILE), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(_) if !named => return Ok((Waivers::default(), Vec::new())),
            Err(e) => {
                return Err(vec![
                    Diagnostic::error(format!("cannot read the waivers {}: {e}", path.display()))
                        .hint("--waivers names a TOML file of [[waiver]] entries"),
                ]);
            }
        };
        let shown = path.strip_prefix(root).unwrap_or(&path).display().to_string();
        let file = SourceFile::new(shown, text.as_str());
        let raw: RawFile = toml::from_str(&text).map_err(|e| {
            vec![
                Diagnostic::error(format!("invalid waivers file: {}", e.message().trim_end()))
                    .at(&file, e.span().unwrap_or(0..0))
                    .hint(HINT),
            ]
        })?;
        let mut diags = Vec::new();
        let mut warnings = Vec::new();
        let mut list: Vec<(Waiver, std::ops::Range<usize>)> = Vec::new();
        for w in raw.waiver {
            let span = w.span();
            let Some(waiver) = check_one(&file, w.into_inner(), span.clone(), content, checks, today, &mut diags)
            else {
                continue;
            };
            if let Some((other, first)) = list.iter().find(|(o, _)| overlap(&o.target, &waiver.target)) {
                let line = file.line_col(first.start).0;
                let message = if other.target == waiver.target {
                    format!("{} is waived twice", name(&waiver.target))
                } else {
                    format!(
                        "{} and {} are both waived: a check would be under two waivers",
                        name(&other.target),
                        name(&waiver.target)
                    )
                };
                diags.push(
                    Diagnostic::error(message)
                        .at(&file, span.clone())
                        .hint(format!("keep one waiver for it (the other is at line {line})")),
                );
                continue;
            }
            let left = (waiver.expires - today).num_days();
            if left < 0 {
                warnings.push(
                    Diagnostic::warning(format!(
                        "the waiver of {} expired on {}: it is ignored, and the result counts again",
                        name(&waiver.target),
                        waiver.expires
                    ))
                    .at(&file, span)
                    .hint("fix the problem, or renew the waiver with a new `expires` and the reason it still holds"),
                );
                continue;
            }
            if left <= NOTICE_DAYS {
                warnings.push(
                    Diagnostic::warning(format!(
                        "the waiver of {} expires on {} (in {left} days)",
                        name(&waiver.target),
                        waiver.expires
                    ))
                    .at(&file, span.clone()),
                );
            }
            list.push((waiver, span));
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        let list = list.into_iter().map(|(w, _)| w).collect();
        Ok((Waivers { list }, warnings))
    }

    /// The waiver of a check (its own, else its article's).
    pub fn of(&self, slug: &str, check: &str) -> Option<&Waiver> {
        let own = Target::Check(slug.to_string(), check.to_string());
        self.list
            .iter()
            .find(|w| w.target == own)
            .or_else(|| self.list.iter().find(|w| w.target == Target::Article(slug.to_string())))
    }
}

const HINT: &str = "each [[waiver]] has `check = \"ARTICLE#CHECK\"` (or `article = \"ARTICLE\"`), `reason` and `expires = \
                    YYYY-MM-DD`; optional: `owner`, `run`, `errors`, `findings`";

/// Whether two waivers would apply to one check: the same target, or an article and one of its checks (with one
/// expired, the other would stay in force unseen).
fn overlap(a: &Target, b: &Target) -> bool {
    let article = |t: &Target| match t {
        Target::Article(s) | Target::Check(s, _) => s.clone(),
    };
    a == b || (article(a) == article(b) && (matches!(a, Target::Article(_)) || matches!(b, Target::Article(_))))
}

/// How a waiver's target is named in messages.
pub fn name(t: &Target) -> String {
    match t {
        Target::Article(a) => format!("the article {a}"),
        Target::Check(a, c) => format!("the check {a}#{c}"),
    }
}

/// One waiver, checked: a target that exists, a reason, an expiry within a year.
fn check_one(
    file: &SourceFile,
    w: RawWaiver,
    span: std::ops::Range<usize>,
    content: &Content,
    checks: &Checks,
    today: NaiveDate,
    diags: &mut Vec<Diagnostic>,
) -> Option<Waiver> {
    let before = diags.len();
    let target = match (&w.check, &w.article) {
        (Some(_), Some(a)) => {
            diags.push(
                Diagnostic::error("a waiver names both a `check` and an `article`")
                    .at(file, a.span())
                    .hint("waive one check (`check = \"ARTICLE#CHECK\"`) or every check of an article"),
            );
            None
        }
        (None, None) => {
            diags.push(
                Diagnostic::error("a waiver names no `check` nor `article`")
                    .at(file, span.clone())
                    .hint(HINT),
            );
            None
        }
        (Some(c), None) => target_of(file, c, content, checks, diags),
        (None, Some(a)) => match content.by_slug.get(a.get_ref().as_str()) {
            Some(_) => Some(Target::Article(a.get_ref().clone())),
            None => {
                let hint = did_you_mean(a.get_ref(), content.articles.iter().map(|x| x.slug.as_str()));
                diags.push(
                    Diagnostic::error(format!("no article {} in content/", a.get_ref()))
                        .at(file, a.span())
                        .hint_opt(hint.map(|h| format!("did you mean `{h}`?"))),
                );
                None
            }
        },
    };
    if w.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        diags.push(
            Diagnostic::error("a waiver without a `reason`")
                .at(file, span.clone())
                .hint("say why the failure is accepted: the next reader decides whether it still holds"),
        );
    }
    let expires = match &w.expires {
        None => {
            diags.push(
                Diagnostic::error("a waiver without `expires`")
                    .at(file, span.clone())
                    .hint("give it an expiry within a year, e.g. expires = 2027-03-01"),
            );
            None
        }
        Some(d) => match (d.get_ref().date, d.get_ref().time) {
            (Some(date), None) => {
                NaiveDate::from_ymd_opt(i32::from(date.year), u32::from(date.month), u32::from(date.day))
            }
            _ => None,
        }
        .or_else(|| {
            diags.push(
                Diagnostic::error(format!("`expires = {}` is not a date", d.get_ref()))
                    .at(file, d.span())
                    .hint("write a date alone, e.g. expires = 2027-03-01"),
            );
            None
        }),
    };
    if let (Some(e), Some(d)) = (expires, &w.expires)
        && (e - today).num_days() > MAX_DAYS
    {
        diags.push(
            Diagnostic::error(format!(
                "the waiver expires on {e}, more than a year from today ({today})"
            ))
            .at(file, d.span())
            .hint("a waiver is looked at again within a year: give an earlier `expires`"),
        );
    }
    if !w.run && !w.findings.is_empty() {
        diags.push(
            Diagnostic::error(
                "a waiver with `run = false` cannot list `findings`: a check not run has none to compare",
            )
            .at(file, span.clone())
            .hint("drop `run = false` to accept only these findings, or `findings` to accept the check whole"),
        );
    }
    if diags.len() > before {
        return None;
    }
    Some(Waiver {
        target: target?,
        reason: w.reason.unwrap_or_default().trim().to_string(),
        expires: expires?,
        owner: w.owner,
        run: w.run,
        errors: w.errors,
        findings: w.findings,
    })
}

/// `ARTICLE#CHECK`, checked against the knowledge base.
fn target_of(
    file: &SourceFile,
    c: &toml::Spanned<String>,
    content: &Content,
    checks: &Checks,
    diags: &mut Vec<Diagnostic>,
) -> Option<Target> {
    let Some((slug, id)) = c.get_ref().split_once('#') else {
        diags.push(
            Diagnostic::error(format!("`check = \"{}\"` names no check", c.get_ref()))
                .at(file, c.span())
                .hint(
                    "write the article's slug, `#`, and the check's id: \"users/user-locked-out#no-user-locked-out\"",
                ),
        );
        return None;
    };
    let Some(&i) = content.by_slug.get(slug) else {
        let hint = did_you_mean(slug, content.articles.iter().map(|a| a.slug.as_str()));
        diags.push(
            Diagnostic::error(format!("no article {slug} in content/"))
                .at(file, c.span())
                .hint_opt(hint.map(|h| format!("did you mean `{h}`?"))),
        );
        return None;
    };
    let ids: Vec<&str> = checks.by_article[i].iter().map(|c| c.id.as_str()).collect();
    if !ids.contains(&id) {
        let hint = match did_you_mean(id, ids.iter().copied()) {
            Some(h) => format!("did you mean `{slug}#{h}`?"),
            None if ids.is_empty() => format!("{slug} has no checks"),
            None => format!("its checks: {}", ids.join(", ")),
        };
        diags.push(
            Diagnostic::error(format!("{slug} has no check `{id}`"))
                .at(file, c.span())
                .hint(hint),
        );
        return None;
    }
    Some(Target::Check(slug.to_string(), id.to_string()))
}
