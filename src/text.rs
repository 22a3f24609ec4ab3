//! Text helpers both sides use.

/// `1 check`, `2 checks`: a count and an English noun that takes `s` in the plural.
/// Everything but RFC 3986's unreserved characters is percent-encoded in a URL path segment.
pub const URL_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

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
            // Not characters at all in XML (JUnit would not parse).
            '\u{fffe}' | '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Decodes the character references of HTML text: the named ones kb and its Markdown renderer write (`&amp;`,
/// `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&nbsp;`) and numeric ones; anything else stays as written.
pub fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => name.strip_prefix('#').and_then(|n| {
                    let code = match n.strip_prefix(['x', 'X']) {
                        Some(h) => u32::from_str_radix(h, 16).ok(),
                        None => n.parse().ok(),
                    };
                    code.and_then(char::from_u32)
                }),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Text from the org (labels, error summaries) made safe for a terminal: control characters, which could carry
/// escape sequences, and the marks that reorder text right to left (which could make a line read as another) are
/// replaced.
pub fn printable(input: &str) -> String {
    input
        .chars()
        .map(|c| {
            if (c.is_control() && c != '\n') || is_bidi(c) {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// [`printable`] on one line: newlines replaced too, so an org's value cannot start a line of its own.
pub fn printable_line(input: &str) -> String {
    printable(input).replace('\n', "\u{fffd}")
}

/// The bidirectional formatting characters (embeddings, overrides, isolates and marks).
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The first `chars` characters of `bytes`, with control characters and invalid UTF-8 shown as escapes and
/// backquotes as `\``, so that what arrived or was written (an org's answer, a URL in an article) can be quoted in
/// a message (in a terminal, a report, a page) without acting on it; `…` when there is more.
pub fn snippet(bytes: &[u8], chars: usize) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(chars * 4)]);
    let mut out = String::new();
    for (taken, c) in text.chars().enumerate() {
        if taken == chars {
            out.push('…');
            return out;
        }
        match c {
            '`' => out.push_str("\\`"),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    if bytes.len() > chars * 4 || text.chars().count() > chars {
        out.push('…');
    }
    out
}

/// Bytes as lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_reverses_escape_and_reads_numeric_references() {
        let text = "a < b & \"c\" 'd' > e";
        assert_eq!(unescape(&escape(text)), text);
        assert_eq!(unescape("&#x2F;&#47;&nbsp;&bogus; & &#xZZ;"), "// &bogus; & &#xZZ;");
    }

    #[test]
    fn control_characters_never_get_through() {
        assert_eq!(escape("<a href='x'>&\u{1b}[31m"), "&lt;a href=&#39;x&#39;&gt;&amp;[31m");
        assert_eq!(printable("red\u{1b}[31m\tx"), "red\u{fffd}[31m\u{fffd}x");
    }

    #[test]
    fn snippets_show_control_characters_and_never_a_backquote() {
        assert_eq!(snippet(b"a\x1b[31mb`c\r\n\xff", 40), "a\\u{1b}[31mb\\`c\\r\\n\u{fffd}");
        assert_eq!(snippet(b"abcdef", 3), "abc…");
        assert_eq!(snippet("\u{202e}evil".as_bytes(), 10), "\\u{202e}evil");
    }
}
