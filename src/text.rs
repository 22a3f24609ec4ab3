//! Text helpers both sides use.

/// `1 check`, `2 checks`: a count and an English noun that takes `s` in the plural.
pub fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// Escapes what HTML and XML need escaped in text and in double- or single-quoted attributes, and nothing more
/// (Tera's default also escapes `/`, which bloats every URL). Control characters, which neither allows, are dropped.
pub fn escape(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + 8);
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

/// Text from the org (labels, error summaries) made safe for a terminal: control characters, which could carry
/// escape sequences, are replaced.
pub fn printable(input: &str) -> String {
    input
        .chars()
        .map(|c| if c.is_control() && c != '\n' { '\u{fffd}' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_get_through() {
        assert_eq!(escape("<a href='x'>&\u{1b}[31m"), "&lt;a href=&#39;x&#39;&gt;&amp;[31m");
        assert_eq!(printable("red\u{1b}[31m\tx"), "red\u{fffd}[31m\u{fffd}x");
    }
}
