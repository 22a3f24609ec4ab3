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

/// A slug for a long free-text value (an error message): at most `max` bytes, cut at a dash.
pub fn slugify_bounded(text: &str, max: usize) -> String {
    let full = slugify(text);
    if full.len() <= max {
        return full;
    }
    let cut = full[..max].rfind('-').unwrap_or(max);
    full[..cut].to_string()
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
        let s = slugify_bounded(
            "Sorry, you can't access Okta Workflows because you are not assigned",
            30,
        );
        assert_eq!(s, "sorry-you-can-t-access-okta");
        assert!(s.len() <= 30);
    }
}
