//! `kb build`

use std::path::PathBuf;

use crate::cli::{SiteArgs, exit};
use crate::config::Config;
use crate::site::{self, BuildOptions};

pub fn run(args: &SiteArgs, output: Option<PathBuf>, base_url: Option<&str>, search: bool) -> i32 {
    let started = std::time::Instant::now();
    let config = match Config::load(&args.root, base_url) {
        Ok(c) => c,
        Err(d) => {
            super::report(&d, "build");
            return exit::INVALID;
        }
    };
    let output = output.unwrap_or_else(|| args.root.join("site"));
    let opts = BuildOptions {
        output: Some(output.clone()),
        search,
    };
    let loaded = super::load(&config, args.drafts).with_cards();
    match site::build(&config, &loaded.content, loaded.diags, &opts) {
        Ok(summary) => {
            super::report(&summary.warnings, "build");
            eprintln!(
                "Built {} articles into {} pages in {} in {:.2?}",
                summary.articles,
                summary.pages,
                output.display(),
                started.elapsed()
            );
            if std::env::var_os("KB_TIMINGS").is_some() {
                for (phase, t) in loaded.phases.iter().chain(&summary.phases) {
                    eprintln!("  {phase:<16} {t:.2?}");
                }
            }
            exit::OK
        }
        Err(failure) => {
            super::report(&failure.diagnostics, "build");
            eprintln!("The previous site in {} was left as it was.", output.display());
            exit::INVALID
        }
    }
}
