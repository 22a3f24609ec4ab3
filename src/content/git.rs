//! Last-updated dates from git: one `git log` for the whole of `content/`, newest commit first, so that each file's
//! first appearance is the last commit that touched it. No git, or not a repository: no dates. A shallow clone (CI
//! checkouts are, by default) would give every file the oldest fetched commit's date, so it gives none, with a
//! warning.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;

use crate::diag::Diagnostic;

/// Each committed file's last commit date, by path under `content/`; or a warning saying why there are none.
pub fn dates(content_dir: &Path) -> (HashMap<String, NaiveDate>, Option<Diagnostic>) {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(content_dir)
            .args(args)
            .env("GIT_OPTIONAL_LOCKS", "0")
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    let Some(shallow) = git(&["rev-parse", "--is-shallow-repository"]) else {
        return (HashMap::new(), None);
    };
    if String::from_utf8_lossy(&shallow.stdout).trim() == "true" {
        let d = Diagnostic::warning("the site is in a shallow git clone: no last-updated dates from git")
            .note("a shallow clone holds only the latest commits, so every file would get the same date")
            .hint("fetch the whole history (`git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout), or set `updated` in front matter");
        return (HashMap::new(), Some(d));
    }
    let Some(log) = git(&[
        "log",
        "-z",
        "--format=%x01%cs",
        "--name-only",
        "--no-renames",
        "--relative",
        "--",
        ".",
    ]) else {
        return (HashMap::new(), None);
    };
    (parse(&String::from_utf8_lossy(&log.stdout)), None)
}

/// `git log -z --format=%x01%cs --name-only` output, newest first: each commit's date after a `\x01`, then its
/// files, every field ended by a NUL (so that no file name is quoted). The first date seen for a file is its last.
fn parse(log: &str) -> HashMap<String, NaiveDate> {
    let mut out = HashMap::new();
    let mut date = None;
    for field in log.split('\0') {
        let field = field.strip_prefix('\n').unwrap_or(field);
        if let Some(d) = field.strip_prefix('\x01') {
            date = NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok();
        } else if !field.is_empty()
            && let Some(d) = date
        {
            out.entry(field.to_string()).or_insert(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_commit_that_names_a_file_gives_its_date() {
        let log = "\x012026-11-20\0\nsso/a.md\0\x012026-10-01\0\nsso/a.md\0sso/b \"b\"\n.md\0";
        let d = parse(log);
        assert_eq!(d["sso/a.md"], NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        assert_eq!(d["sso/b \"b\"\n.md"], NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
        assert_eq!(d.len(), 2);
    }
}
