//! Text helpers both sides use.

/// Escapes what HTML and XML need escaped in text and in double- or single-quoted attributes, and nothing more
/// (Tera's default also escapes `/`, which bloats every URL).
pub fn escape(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + 8);
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
