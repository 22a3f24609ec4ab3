//! `kb validate`: everything `kb build` checks, with nothing written.

use super::{SiteArgs, exit};
use crate::site::{self, BuildOptions};

pub fn run(args: &SiteArgs, deny_overdue: bool) -> i32 {
    // What a build would publish, dates from git included (and a shallow clone's warning).
    let (config, today) = match args.publishing(None) {
        Ok(c) => c,
        Err(d) => {
            super::report(&d, "validation");
            return exit::INVALID;
        }
    };
    let mut loaded = super::load(&config, args.drafts).with_reviews(&config, today, deny_overdue);
    // waivers.toml, when there is one: its targets are checked against the checks just loaded.
    let waivers = crate::waivers::Waivers::load(&config.root, None, &loaded.content, &loaded.checks, today);
    match waivers {
        Err(d) => {
            super::report(&d, "validation");
            return exit::INVALID;
        }
        Ok((_, warnings)) => eprint!("{}", crate::diag::render(&warnings, super::color())),
    }
    match site::build(
        &config,
        &mut loaded.content,
        loaded.diags,
        &BuildOptions {
            output: None,
            search: true,
            status: None,
            cache: None,
        },
    ) {
        Ok(summary) => {
            super::report(&summary.warnings, "validation");
            match summary.articles {
                1 => eprintln!("1 article is valid."),
                n => eprintln!("{n} articles are valid."),
            }
            exit::OK
        }
        Err(failure) => {
            super::report(&failure.diagnostics, "validation");
            exit::INVALID
        }
    }
}
