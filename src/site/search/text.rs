//! The text of a rendered body, as headings and runs of text between them.

pub enum Piece {
    Heading {
        level: u8,
        id: Option<String>,
        text: String,
    },
    Text(String),
}

/// Elements whose content is not text a reader searches for.
const SKIPPED: &[&str] = &["script", "style", "template", "noscript", "svg", "button"];
/// Elements inside which words run on without a break.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "i", "ins", "kbd", "mark", "q", "s",
    "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var",
];

struct Tag<'a> {
    name: String,
    closing: bool,
    self_closing: bool,
    attrs: &'a str,
}

/// Reads a tag starting at `<` in `html[at..]`; returns it and where it ends, or `None` if this `<` is text.
fn tag(html: &str, at: usize) -> Option<(Tag<'_>, usize)> {
    let rest = &html[at + 1..];
    let (closing, rest) = match rest.strip_prefix('/') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let name_len = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
    if name_len == 0 || !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    // The end: the first `>` outside quotes.
    let mut quote = None;
    let base = html.len() - rest.len();
    for (i, c) in rest.char_indices().skip(name_len) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => {
                let attrs = &rest[name_len..i];
                return Some((
                    Tag {
                        name: rest[..name_len].to_ascii_lowercase(),
                        closing,
                        self_closing: attrs.trim_end().ends_with('/'),
                        attrs,
                    },
                    base + i + 1,
                ));
            }
            _ => {}
        }
    }
    None
}

/// The value of attribute `name` in a tag's attribute text (`Some("")` for a bare attribute).
fn attr<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = attrs;
    while let Some(i) = rest.find(name) {
        let before = rest[..i].chars().last();
        let after = &rest[i + name.len()..];
        if before.is_none_or(char::is_whitespace) {
            let after_trim = after.trim_start();
            if let Some(v) = after_trim.strip_prefix('=') {
                let v = v.trim_start();
                return match v.chars().next() {
                    Some(q @ ('"' | '\'')) => v[1..].split(q).next(),
                    _ => v.split(|c: char| c.is_whitespace() || c == '>').next(),
                };
            }
            if after.is_empty() || after.starts_with(|c: char| c.is_whitespace() || c == '/') {
                return Some("");
            }
        }
        rest = after;
    }
    None
}

/// Headings and text of `html`, leaving out skipped elements and those marked `data-search-ignore`.
pub fn pieces(html: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut text = String::new();
    // (element name, depth of that name) being skipped.
    let mut skipping: Option<(String, usize)> = None;
    let mut heading: Option<(u8, Option<String>, String)> = None;
    let mut at = 0;
    let mut plain = 0;
    let flush_text = |text: &mut String, out: &mut Vec<Piece>| {
        let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if !t.is_empty() {
            out.push(Piece::Text(t));
        }
        text.clear();
    };
    while let Some(i) = html[at..].find('<').map(|i| at + i) {
        let run = &html[plain..i];
        if let Some(rest) = html[i..].strip_prefix("<!--") {
            let end = rest.find("-->").map_or(html.len(), |e| i + 4 + e + 3);
            if skipping.is_none() {
                append(run, &mut heading, &mut text);
            }
            at = end;
            plain = end;
            continue;
        }
        let Some((t, end)) = tag(html, i) else {
            at = i + 1;
            continue;
        };
        if skipping.is_none() {
            append(run, &mut heading, &mut text);
        }
        at = end;
        plain = end;
        if let Some((name, depth)) = &mut skipping {
            if t.name == *name && !t.self_closing {
                if t.closing {
                    *depth -= 1;
                    if *depth == 0 {
                        skipping = None;
                    }
                } else {
                    *depth += 1;
                }
            }
            continue;
        }
        if t.closing {
            if let Some(level) = heading_level(&t.name)
                && let Some((l, id, h)) = heading.take()
            {
                if l == level {
                    let h = h.split_whitespace().collect::<Vec<_>>().join(" ");
                    out.push(Piece::Heading { level, id, text: h });
                } else {
                    heading = Some((l, id, h));
                }
            }
        } else if !t.self_closing
            && (SKIPPED.contains(&t.name.as_str()) || attr(t.attrs, "data-search-ignore").is_some())
        {
            skipping = Some((t.name.clone(), 1));
            continue;
        } else if let Some(level) = heading_level(&t.name) {
            flush_text(&mut text, &mut out);
            heading = Some((level, attr(t.attrs, "id").map(crate::text::unescape), String::new()));
            continue;
        }
        if !INLINE.contains(&t.name.as_str()) {
            match &mut heading {
                Some((_, _, h)) => h.push(' '),
                None => text.push(' '),
            }
        }
    }
    if skipping.is_none() {
        append(&html[plain..], &mut heading, &mut text);
    }
    if let Some((level, id, h)) = heading {
        out.push(Piece::Heading {
            level,
            id,
            text: h.split_whitespace().collect::<Vec<_>>().join(" "),
        });
    }
    flush_text(&mut text, &mut out);
    out
}

fn append(run: &str, heading: &mut Option<(u8, Option<String>, String)>, text: &mut String) {
    if run.is_empty() {
        return;
    }
    let decoded = crate::text::unescape(run);
    match heading {
        Some((_, _, h)) => h.push_str(&decoded),
        None => text.push_str(&decoded),
    }
}

fn heading_level(name: &str) -> Option<u8> {
    match name.as_bytes() {
        [b'h', d @ b'1'..=b'6'] => Some(d - b'0'),
        _ => None,
    }
}
