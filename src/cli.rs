//! Command-line interface (clap derive). Each command lives in `cmd/`, which knows nothing of this file.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use crate::cmd::{SiteArgs, exit};

#[derive(Parser, Debug)]
#[command(name = "kb", version, about = "Troubleshooting articles into a fast static help site", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Build the site into site/ (atomically: a failed build leaves the last good site untouched)
    Build(crate::cmd::build::BuildArgs),
    /// Build the site into memory, serve it on localhost and reload open pages as the sources change
    Serve(crate::cmd::serve::ServeArgs),
    /// Check everything a build checks, without writing anything
    Validate {
        #[command(flatten)]
        site: SiteArgs,
        /// Fail when an article's review is overdue (otherwise a warning each)
        #[arg(long)]
        deny_overdue: bool,
    },
    /// Print the OAuth scopes the selected articles' checks need (all articles when none is named)
    Scopes {
        #[command(flatten)]
        site: SiteArgs,
        /// Articles (slug, source path or section folder) or tags
        #[arg(value_name = "ARTICLE|TAG")]
        articles: Vec<String>,
        /// Only the checks of this severity or higher, as `kb check --min-severity` runs them
        #[arg(long, value_name = "LEVEL", value_parser = crate::cmd::check::severity)]
        min_severity: Option<crate::checks::model::Severity>,
    },
    /// Run the selected articles' checks against an Okta org, read-only, and report per article
    Check(Box<crate::cmd::check::CheckArgs>),
    /// Record what the selected checks read from an org into one file support can replay, people's values redacted
    Snapshot(Box<crate::cmd::snapshot::SnapshotArgs>),
    /// Find the articles for a pasted error message, as the site's search ranks them, and run their checks
    Diagnose(Box<crate::cmd::diagnose::DiagnoseArgs>),
    /// List the error catalogues' entries that no article covers
    Gaps(crate::cmd::gaps::GapsArgs),
    /// List the articles whose review is overdue or due within 30 days, with their owners
    Review(crate::cmd::review::ReviewArgs),
    /// Start a new knowledge base in DIR (empty, or holding only .git): kb.toml, sample articles, checks/, CI
    Init {
        /// The folder to create it in
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The site's title [default: Help Center]
        #[arg(long)]
        title: Option<String>,
    },
    /// Write a new article skeleton at content/SLUG.md
    New {
        /// The article's slug, e.g. workflows/connector-timeout
        slug: String,
        /// The site's folder (holding kb.toml and content/)
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// The article's title [default: from the slug]
        #[arg(long)]
        title: Option<String>,
    },
}

pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { exit::INVALID } else { exit::OK };
        }
    };
    match cli.command {
        Command::Build(args) => crate::cmd::build::run(&args),
        Command::Serve(args) => crate::cmd::serve::run(&args),
        Command::Validate { site, deny_overdue } => crate::cmd::validate::run(&site, deny_overdue),
        Command::Scopes {
            site,
            articles,
            min_severity,
        } => crate::cmd::scopes::run(&site, &articles, min_severity),
        Command::Check(args) => crate::cmd::check::run(&args),
        Command::Snapshot(args) => crate::cmd::snapshot::run(&args),
        Command::Diagnose(args) => crate::cmd::diagnose::run(&args),
        Command::Gaps(args) => crate::cmd::gaps::run(&args),
        Command::Review(args) => crate::cmd::review::run(&args),
        Command::Init { dir, title } => crate::cmd::init::run(&dir, title.as_deref()),
        Command::New { slug, root, title } => crate::cmd::new::run(&root, &slug, title.as_deref()),
    }
}
