//! One module per command.

pub mod build;
pub mod check;
pub mod diagnose;
pub mod gaps;
pub mod init;
pub mod new;
pub mod replay;
pub mod review;
pub mod run;
pub mod scopes;
pub mod serve;
pub mod snapshot;
pub mod validate;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::checks::{self, Checks};
use crate::config::Config;
use crate::content::Content;
use crate::diag::{self, Diagnostic};
use crate::text::count;

pub use crate::exit;

#[derive(clap::Args, Debug, Clone)]
pub struct SiteArgs {
    /// The site's folder (holding kb.toml and content/)
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// Include articles marked `draft = true`
    #[arg(long)]
    pub drafts: bool,
    /// Who the site is for: `public` leaves out every internal article; `internal` shows them, marked, on a site
    /// search engines are told to skip [default: kb.toml's `audience`, else public, for build and validate;
    /// internal for serve, and for the commands that check or list articles]
    #[arg(long, value_enum)]
    pub audience: Option<crate::content::Audience>,
}

impl SiteArgs {
    /// kb.toml loaded (with `base_url` overriding its own), its audience overridden by `--audience`, or else by
    /// `default` when the command has its own (`kb check` checks everything).
    pub fn config(
        &self,
        base_url: Option<&str>,
        default: Option<crate::content::Audience>,
    ) -> Result<Config, Vec<Diagnostic>> {
        let mut config = Config::load(&self.root, base_url)?;
        if let Some(a) = self.audience.or(default) {
            config.audience = a;
        }
        Ok(config)
    }

    /// What a command that publishes pages starts from (`kb build`, `kb validate`): kb.toml for the site's audience,
    /// with pages dated from git, and "today" for reviews and waivers.
    pub fn publishing(&self, base_url: Option<&str>) -> Result<(Config, chrono::NaiveDate), Vec<Diagnostic>> {
        let mut config = self.config(base_url, None)?;
        config.git_dates = true;
        Ok((config, today()?))
    }
}

/// What every command starts from: `content/` loaded and its check blocks validated against `checks/`. The site
/// side and the check side meet here, through the model, and nowhere else: `build` puts the checks' cards in the
/// model for the site ([`Loaded::with_cards`]).
pub struct Loaded {
    pub content: Content,
    pub checks: Checks,
    /// Every problem found while loading, errors and warnings.
    pub diags: Vec<Diagnostic>,
    pub phases: Vec<(&'static str, Duration)>,
}

pub fn load(config: &Config, drafts: bool) -> Loaded {
    load_texts(config, drafts, false)
}

/// As [`load`], each article's text let go once it is read (`kb serve`, which keeps the renderings and reads a
/// text again when it needs one).
pub fn load_released(config: &Config, drafts: bool) -> Loaded {
    load_texts(config, drafts, true)
}

fn load_texts(config: &Config, drafts: bool, release: bool) -> Loaded {
    let mut diags = Vec::new();
    let t = Instant::now();
    let content = match release {
        true => Content::load_released(config, drafts, crate::markdown::summary::of, &mut diags),
        false => Content::load(config, drafts, &mut diags),
    };
    let mut phases = vec![("load", t.elapsed())];
    let t = Instant::now();
    let checks = checks::load(config, &content, &mut diags);
    phases.push(("checks", t.elapsed()));
    Loaded {
        content,
        checks,
        diags,
        phases,
    }
}

/// What a build needs: the content, its checks' cards in the article model, and the problems found (the checks
/// themselves are dropped as soon as each article's cards are made).
pub struct Publishable {
    pub content: Content,
    pub diags: Vec<Diagnostic>,
    pub phases: Vec<(&'static str, Duration)>,
}

pub fn load_publishable(config: &Config, drafts: bool) -> Publishable {
    let mut diags = Vec::new();
    let t = Instant::now();
    // The build reads each article's text again when it renders it: memory holds no site's worth of sources.
    let mut content = Content::load_released(config, drafts, crate::markdown::summary::of, &mut diags);
    let mut phases = vec![("load", t.elapsed())];
    let t = Instant::now();
    content.cards = checks::cards(config, &content, &mut diags);
    phases.push(("checks+cards", t.elapsed()));
    Publishable { content, diags, phases }
}

impl Loaded {
    /// The checks' cards in the article model, where the site renders them. Only a build needs them.
    pub fn with_cards(mut self) -> Loaded {
        let t = Instant::now();
        self.content.cards = self.checks.cards(&self.content);
        self.phases.push(("cards", t.elapsed()));
        self
    }

    /// A warning per article whose review is overdue, or with `deny` (`--deny-overdue`) an error.
    pub fn with_reviews(mut self, config: &Config, today: chrono::NaiveDate, deny: bool) -> Loaded {
        self.diags
            .extend(crate::reviews::diagnostics(config, &self.content, today, deny));
        self
    }
}

/// "Today" for waivers and reviews: the local date, or `KB_TODAY` (said once on stderr when set).
pub fn today() -> Result<chrono::NaiveDate, Vec<Diagnostic>> {
    crate::waivers::today(std::env::var(crate::waivers::TODAY_VAR).ok())
}

/// Whether stderr gets colour: a terminal, and `NO_COLOR` unset.
pub fn color() -> bool {
    color_allowed() && std::io::stderr().is_terminal()
}

/// `NO_COLOR` is unset (or empty).
pub fn color_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Prints diagnostics to stderr, then a closing line counting errors and warnings.
pub fn report(diags: &[Diagnostic], what: &str) {
    eprint!("{}", diag::render(diags, color()));
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if errors > 0 {
        let mut line = format!("error: {what} failed: {}", count(errors, "error"));
        if warnings > 0 {
            line.push_str(&format!(", {}", count(warnings, "warning")));
        }
        eprintln!("{line}");
    }
}
