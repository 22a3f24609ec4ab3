//! `kb review`: the articles whose review is overdue or due within 30 days, with their owners: what each owner
//! has to look at next. Internal articles are listed too (they rot like the rest).

use serde::Serialize;

use super::{SiteArgs, exit};
use crate::content::Audience;
use crate::reviews::{self, Review};

#[derive(clap::Args, Debug)]
pub struct ReviewArgs {
    #[command(flatten)]
    pub site: SiteArgs,
    /// Only the articles this owner keeps (as `owner` writes it, any case)
    #[arg(long)]
    pub owner: Option<String>,
    /// `human` (the default) or `json` (fields in README, "Reviews")
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
    /// Exit 1 when any listed article is overdue
    #[arg(long)]
    pub deny_overdue: bool,
}

/// `kb review --format json`.
#[derive(Serialize)]
struct Listing<'a> {
    schema_version: u32,
    today: chrono::NaiveDate,
    soon_days: i64,
    overdue: Vec<&'a Review>,
    due_soon: Vec<&'a Review>,
    never_reviewed: Vec<&'a Review>,
}

pub fn run(args: &ReviewArgs) -> i32 {
    let config = match args.site.config(None, Some(Audience::Internal)) {
        Ok(c) => c,
        Err(d) => {
            super::report(&d, "kb review");
            return exit::INVALID;
        }
    };
    let today = match super::today() {
        Ok(t) => t,
        Err(d) => {
            super::report(&d, "kb review");
            return exit::INVALID;
        }
    };
    let mut diags = Vec::new();
    let content = crate::content::Content::load(&config, args.site.drafts, &mut diags);
    if diags.iter().any(|d| d.is_error()) {
        super::report(&diags, "kb review");
        return exit::INVALID;
    }
    let mut all = reviews::all(&config, &content, today);
    if let Some(owner) = &args.owner {
        all.retain(|r| {
            r.owner
                .as_deref()
                .is_some_and(|o| o.trim().eq_ignore_ascii_case(owner.trim()))
        });
    }
    // Most overdue first; then by file, so that the order is stable.
    all.sort_by(|a, b| (b.due.is_none(), b.days_overdue, &a.file).cmp(&(a.due.is_none(), a.days_overdue, &b.file)));
    let listing = Listing {
        schema_version: 1,
        today,
        soon_days: reviews::SOON_DAYS,
        overdue: all.iter().filter(|r| r.overdue()).collect(),
        due_soon: all.iter().filter(|r| r.due_soon()).collect(),
        never_reviewed: all.iter().filter(|r| r.never_reviewed()).collect(),
    };
    let text = if args.format == "json" {
        serde_json::to_string_pretty(&listing).expect("JSON") + "\n"
    } else {
        human(&listing, all.len())
    };
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
    if args.deny_overdue && !listing.overdue.is_empty() {
        exit::FAIL
    } else {
        exit::OK
    }
}

fn human(l: &Listing<'_>, total: usize) -> String {
    let mut s = format!(
        "{} of {} overdue, {} due within {} days, {} never reviewed (as of {})\n",
        l.overdue.len(),
        crate::text::count(total, "article"),
        l.due_soon.len(),
        l.soon_days,
        l.never_reviewed.len(),
        l.today
    );
    for (title, list) in [
        ("Overdue", &l.overdue),
        ("Due soon", &l.due_soon),
        ("Never reviewed (no `reviewed`, `updated` or `date`)", &l.never_reviewed),
    ] {
        if list.is_empty() {
            continue;
        }
        s.push_str(&format!("\n{title}:\n"));
        for r in list.iter() {
            let when = match r.due {
                None => "no date".to_string(),
                Some(d) if r.days_overdue > 0 => format!(
                    "due {d}, {} overdue",
                    crate::text::count(r.days_overdue as usize, "day")
                ),
                Some(d) if r.days_overdue == 0 => format!("due {d}, today"),
                Some(d) => format!("due {d}, in {}", crate::text::count((-r.days_overdue) as usize, "day")),
            };
            let internal = if r.audience == Audience::Internal {
                "  [internal]"
            } else {
                ""
            };
            s.push_str(&format!(
                "  {}  {}  {when}{internal}\n",
                r.file,
                r.owner.as_deref().unwrap_or("(no owner)")
            ));
        }
    }
    s
}
