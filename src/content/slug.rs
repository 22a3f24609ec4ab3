//! Deterministic slugs: lowercase ASCII; anything other than `a-z`, `0-9` and `/` becomes `-`; runs collapse; dashes
//! are trimmed at both ends of each path segment.

/// Slugifies a path-like string (segments separated by `/`). Empty segments are dropped.
pub fn slugify_path(path: &str) -> String {
    path.split('/')
        .map(slugify)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

/// Slugifies one segment (no `/` survives).
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut dash = false;
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    out
}

/// Error messages can be long: their page slugs are cut at a dash under this many bytes.
pub const ERROR_SLUG_MAX: usize = 80;

/// The page slug of an error signature or an error catalogue entry's key (`/errors/<slug>/`).
pub fn error_slug(value: &str) -> String {
    slugify_bounded(value, ERROR_SLUG_MAX)
}

/// A slug for a long free-text value (an error message): at most `max` bytes, cut at a dash. A cut slug ends with
/// a short hash of the whole text, so that two long messages that start alike keep pages of their own.
pub fn slugify_bounded(text: &str, max: usize) -> String {
    let full = slugify(text);
    if full.len() <= max {
        return full;
    }
    let room = max.saturating_sub(7);
    let cut = full[..room].rfind('-').unwrap_or(room);
    format!("{}-{:06x}", &full[..cut], fnv1a(full.as_bytes()) & 0xff_ffff)
}

/// FNV-1a: a small, stable hash (the same on every machine and every run).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_slugs_follow_the_design() {
        assert_eq!(
            slugify_path("workflows/403-not-assigned-app"),
            "workflows/403-not-assigned-app"
        );
        assert_eq!(
            slugify_path("Workflows/403 Not  Assigned_App"),
            "workflows/403-not-assigned-app"
        );
        assert_eq!(slugify_path("guides/My File (v2)"), "guides/my-file-v2");
        assert_eq!(slugify_path("Café/Résumé"), "caf/r-sum");
        assert_eq!(slugify_path("--a--/--b--"), "a/b");
        assert_eq!(slugify_path("日本"), "");
    }

    #[test]
    fn bounded_slugs_cut_at_a_dash() {
        let a = slugify_bounded(
            "Sorry, you can't access Okta Workflows because you are not assigned",
            30,
        );
        let b = slugify_bounded("Sorry, you can't access Okta Workflows because you are not allowed", 30);
        assert!(a.starts_with("sorry-you-can-t-access-"), "{a}");
        assert!(a.len() <= 30 && b.len() <= 30);
        assert_ne!(a, b, "messages that start alike keep their own pages");
        let again = slugify_bounded(
            "Sorry, you can't access Okta Workflows because you are not assigned",
            30,
        );
        assert_eq!(a, again, "deterministic");
        assert_eq!(slugify_bounded("E0000011", 30), "e0000011");
    }
}
