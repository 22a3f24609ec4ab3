//! Exit statuses shared by every command (DESIGN.md's table).

pub const OK: i32 = 0;
/// `kb check`: at least one check failed (the org has a problem an article describes); `kb gaps --deny-gaps`:
/// an error catalogue entry has no article.
pub const FAIL: i32 = 1;
/// Invalid input, bad configuration or bad flags: nothing was done.
pub const INVALID: i32 = 2;
/// `kb check`: at least one check could not observe, and none failed.
pub const ERROR: i32 = 3;
/// Interrupted (Ctrl-C); what finished was still reported.
pub const INTERRUPTED: i32 = 130;
