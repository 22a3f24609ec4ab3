//! One module per command.

pub mod build;
pub mod new;
pub mod scopes;
pub mod validate;

use std::io::IsTerminal;

use crate::diag::{self, Diagnostic};

/// Whether stderr gets colour: a terminal, and `NO_COLOR` unset.
pub fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Prints diagnostics to stderr, then a closing line counting errors and warnings.
pub fn report(diags: &[Diagnostic], what: &str) {
    eprint!("{}", diag::render(diags, color()));
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if errors > 0 {
        let plural = |n: usize, w: &str| {
            if n == 1 {
                format!("{n} {w}")
            } else {
                format!("{n} {w}s")
            }
        };
        let mut line = format!("error: {what} failed: {}", plural(errors, "error"));
        if warnings > 0 {
            line.push_str(&format!(", {}", plural(warnings, "warning")));
        }
        eprintln!("{line}");
    }
}
