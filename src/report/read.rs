//! Reading a `kb check` JSON report back: `kb build --report` and `kb check --compare` take every version kb
//! knows ([`super::READS`]), and refuse anything else at its place.

use std::path::Path;

use super::{READS, Report};
use crate::diag::{Diagnostic, SourceFile};

/// The report at `path`, of any version kb reads, its statuses and counts derived again from its checks.
pub fn file(path: &Path) -> Result<Report, Vec<Diagnostic>> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostic::error(format!("cannot read the report: {e}"))
            .at_path(shown.clone())
            .hint("pass the file `kb check --format json --output FILE` wrote")
    });
    let text = text.map_err(|d| vec![d])?;
    let not_a_report = |e: serde_json::Error| {
        let file = SourceFile::new(shown.clone(), text.as_str());
        let at = offset(&text, e.line(), e.column());
        vec![
            Diagnostic::error(format!("not a kb check JSON report: {e}"))
                .at(&file, at..at)
                .hint("write it with `kb check --format json --output FILE`"),
        ]
    };
    // The version first: a report of a version this kb does not know is refused as such, whatever else it holds.
    #[derive(serde::Deserialize)]
    struct Versioned {
        schema_version: u32,
    }
    let version = serde_json::from_str::<Versioned>(&text)
        .map_err(not_a_report)?
        .schema_version;
    if !READS.contains(&version) {
        let known: Vec<String> = READS.iter().map(u32::to_string).collect();
        return Err(vec![
            Diagnostic::error(format!(
                "the report has schema_version {version}; this kb reads versions {}",
                known.join(" and ")
            ))
            .at_path(shown)
            .hint("run kb check again with this version of kb"),
        ]);
    }
    // Version 2 added a value (`body`) to `reason`, a string either way: one reader takes both.
    let mut report = serde_json::from_str::<Report>(&text).map_err(not_a_report)?;
    // Statuses and counts are derived from the checks, as `kb check` derives them.
    report.finish();
    Ok(report)
}

/// The byte offset of serde_json's 1-based line and column (0 for errors without a position).
fn offset(text: &str, line: usize, column: usize) -> usize {
    if line == 0 {
        return 0;
    }
    let start: usize = text.split_inclusive('\n').take(line - 1).map(str::len).sum();
    (start + column.saturating_sub(1)).min(text.len())
}
