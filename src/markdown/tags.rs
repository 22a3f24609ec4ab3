//! A small scanner over the raw HTML an article holds: its tags and their attributes, each with its place in the
//! source, and the text of `<style>` elements. It decides nothing about safety (the sanitizer does that); it finds
//! what an author clearly meant (a script, an event handler, a URL to another host) so that it can be reported at
//! its line and column, and it tells which elements stay open so that raw HTML and the Markdown it wraps can be
//! sanitized together.
//!
//! pulldown-cmark hands raw HTML over in pieces (a block line by line, inline HTML tag by tag), each with its
//! source range; a tag may run over several pieces of one block, so the pieces of a block are scanned as one text.

use std::ops::Range;

/// Raw HTML as one text, with where each of its pieces came from in the source.
#[derive(Debug, Default)]
pub struct Pieces {
    pub text: String,
    /// (offset in `text`, offset in the source, the piece's event), one per piece, in order.
    starts: Vec<(usize, usize, usize)>,
}

impl Pieces {
    pub fn push(&mut self, piece: &str, source_start: usize, event: usize) {
        self.starts.push((self.text.len(), source_start, event));
        self.text.push_str(piece);
    }

    /// The event `range` of [`Pieces::text`] lies in, and where in that piece, if it lies in one piece.
    pub fn locate(&self, range: &Range<usize>) -> Option<(usize, Range<usize>)> {
        let i = self
            .starts
            .partition_point(|&(at, ..)| at <= range.start)
            .checked_sub(1)?;
        let (at, _, event) = self.starts[i];
        let end = self.starts.get(i + 1).map_or(self.text.len(), |&(next, ..)| next);
        (range.end <= end).then(|| (event, (range.start - at)..(range.end - at)))
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The source range of `range` of [`Pieces::text`] (a range within one piece, as names and values are).
    pub fn source(&self, range: Range<usize>) -> Range<usize> {
        let i = self
            .starts
            .partition_point(|&(at, ..)| at <= range.start)
            .saturating_sub(1);
        let (at, src, _) = self.starts.get(i).copied().unwrap_or((0, 0, 0));
        (src + range.start - at)..(src + range.end - at)
    }
}

#[derive(Debug, PartialEq)]
pub struct Attr {
    /// Lowercased.
    pub name: String,
    pub name_span: Range<usize>,
    /// The value with character references decoded, and where it is written (the name's span if there is none).
    pub value: String,
    pub value_span: Range<usize>,
    /// The value as written holds a `&`.
    pub referenced: bool,
}

#[derive(Debug, PartialEq)]
pub enum Item {
    /// A start tag (`end` false) or an end tag; the name lowercased. `terminated`: its `>` was found.
    Tag {
        name: String,
        span: Range<usize>,
        end: bool,
        self_closing: bool,
        terminated: bool,
        attrs: Vec<Attr>,
    },
    /// A comment, a doctype, a processing instruction, or a `<` that starts no tag.
    Other,
    /// The text of a `<style>` element.
    Style { text: String, span: Range<usize> },
}

/// Elements that never have an end tag.
pub const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
];

/// Elements whose text is not markup: what follows their start tag up to their end tag is skipped (and, for
/// `<style>`, returned).
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes",
];

/// The tags and style texts of `text` (offsets into `text`). Comments, doctypes and processing instructions are
/// skipped; a `<` that starts no tag is text.
pub fn scan(text: &str) -> Vec<Item> {
    let bytes = text.as_bytes();
    let mut items = Vec::new();
    let mut i = 0;
    while let Some(off) = text[i..].find('<') {
        let lt = i + off;
        let rest = &text[lt..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            i = comment.find("-->").map_or(text.len(), |e| lt + 4 + e + 3);
            items.push(Item::Other);
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            i = rest.find('>').map_or(text.len(), |e| lt + e + 1);
            items.push(Item::Other);
            continue;
        }
        let end = rest.starts_with("</");
        let name_start = lt + if end { 2 } else { 1 };
        if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            // Text to this scanner, but not always to a browser (`</ x>` is a bogus comment up to the next `>`):
            // whatever it is, raw HTML holding it goes through the sanitizer.
            items.push(Item::Other);
            i = lt + 1;
            continue;
        }
        let (item, next) = tag(text, lt, name_start, end);
        i = next;
        if let Item::Tag {
            ref name, end: false, ..
        } = item
            && RAW_TEXT.contains(&name.as_str())
        {
            let close = format!("</{name}");
            let body_end = find_ascii_ci(&text[i..], &close).map_or(text.len(), |e| i + e);
            if name == "style" {
                let span = i..body_end;
                let style = text[span.clone()].to_string();
                items.push(item);
                items.push(Item::Style { text: style, span });
            } else {
                items.push(item);
            }
            i = body_end;
            continue;
        }
        items.push(item);
    }
    items
}

fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    hay.as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// One tag from `lt` (its `<`); returns it and where scanning goes on.
fn tag(text: &str, lt: usize, name_start: usize, end: bool) -> (Item, usize) {
    let bytes = text.as_bytes();
    let is_name = |b: u8| !b.is_ascii_whitespace() && b != b'/' && b != b'>';
    let mut i = name_start;
    while i < bytes.len() && is_name(bytes[i]) {
        i += 1;
    }
    let name = text[name_start..i].to_ascii_lowercase();
    let mut attrs = Vec::new();
    let mut self_closing = false;
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            self_closing = bytes[i] == b'/';
            i += 1;
        }
        if i >= bytes.len() || bytes[i] == b'>' {
            break;
        }
        self_closing = false;
        let start = i;
        // A name may start with `=` (HTML's rule); otherwise `=` ends it.
        i += 1;
        while i < bytes.len() && is_name(bytes[i]) && bytes[i] != b'=' {
            i += 1;
        }
        let name_span = start..i;
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        let value = if bytes.get(j) == Some(&b'=') {
            j += 1;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            Some(match bytes.get(j) {
                Some(&q @ (b'"' | b'\'')) => {
                    let close = text[j + 1..].find(q as char).map_or(text.len(), |e| j + 1 + e);
                    i = (close + 1).min(text.len());
                    (j + 1)..close
                }
                _ => {
                    let s = j;
                    while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>' {
                        j += 1;
                    }
                    i = j;
                    s..j
                }
            })
        } else {
            None
        };
        attrs.push(Attr {
            referenced: value.as_ref().is_some_and(|v| text[v.clone()].contains('&')),
            name: text[name_span.clone()].to_ascii_lowercase(),
            value: value
                .clone()
                .map_or_else(String::new, |v| crate::text::unescape(&text[v])),
            value_span: value.unwrap_or_else(|| name_span.clone()),
            name_span,
        });
    }
    let terminated = i < bytes.len();
    let next = (i + 1).min(text.len());
    let item = Item::Tag {
        name,
        span: lt..next,
        end,
        self_closing,
        terminated,
        attrs,
    };
    (item, next)
}

/// The URLs in CSS text (`url(…)` and `@import "…"`), each with its span in `css`.
pub fn css_urls(css: &str) -> Vec<(String, Range<usize>)> {
    let lower = css.to_ascii_lowercase();
    let mut urls = Vec::new();
    for (key, quoted_only) in [("url(", false), ("@import", true)] {
        let mut from = 0;
        while let Some(at) = lower[from..].find(key) {
            let mut i = from + at + key.len();
            from = i;
            let b = css.as_bytes();
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let (start, end) = match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let close = css[i + 1..].find(q as char).map_or(css.len(), |e| i + 1 + e);
                    (i + 1, close)
                }
                _ if quoted_only => continue,
                _ => {
                    let close = css[i..].find(')').map_or(css.len(), |e| i + e);
                    (i, close)
                }
            };
            urls.push((css[start..end].trim().to_string(), start..end));
        }
    }
    urls
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each tag: its name, whether it is an end tag, and its attributes' names and values.
    type Tag = (String, bool, Vec<(String, String)>);

    fn tags(html: &str) -> Vec<Tag> {
        scan(html)
            .into_iter()
            .filter_map(|i| match i {
                Item::Tag { name, end, attrs, .. } => {
                    Some((name, end, attrs.into_iter().map(|a| (a.name, a.value)).collect()))
                }
                Item::Style { .. } | Item::Other => None,
            })
            .collect()
    }

    #[test]
    fn tags_attributes_and_their_places() {
        let html = "<p>a <IMG SRC = \"x.png\" alt='a > b' hidden onError=go()>\n</p>";
        let t = tags(html);
        assert_eq!(t.len(), 3);
        assert_eq!(t[1].0, "img");
        assert_eq!(
            t[1].2,
            vec![
                ("src".into(), "x.png".into()),
                ("alt".into(), "a > b".into()),
                ("hidden".into(), "".into()),
                ("onerror".into(), "go()".into())
            ]
        );
        assert!(t[2].1, "an end tag");
        let Item::Tag { attrs, .. } = &scan(html)[1] else {
            panic!()
        };
        assert_eq!(&html[attrs[0].value_span.clone()], "x.png");
        assert_eq!(&html[attrs[3].name_span.clone()], "onError");
    }

    #[test]
    fn references_in_values_are_decoded() {
        let t = tags("<a href=\"&#106;ava&#x73;cript&#58;x\">");
        assert_eq!(t[0].2[0].1, "javascript:x");
    }

    #[test]
    fn comments_and_script_text_are_not_tags() {
        let t = tags("<!-- <script> --><script>if (a<b) x('<img src=y>')</script><b>");
        let names: Vec<&str> = t.iter().map(|t| t.0.as_str()).collect();
        assert_eq!(names, ["script", "script", "b"]);
    }

    #[test]
    fn style_text_and_its_urls() {
        let html = "<style>p{background:url( \"https://x.test/a.png\" )} @import 'b.css';</style>";
        let items = scan(html);
        let Item::Style { text, span } = &items[1] else {
            panic!("{items:?}")
        };
        assert_eq!(&html[span.clone()], text);
        let urls = css_urls(text);
        assert_eq!(urls[0].0, "https://x.test/a.png");
        assert_eq!(urls[1].0, "b.css");
        assert_eq!(&text[urls[0].1.clone()], "https://x.test/a.png");
    }

    #[test]
    fn a_less_than_that_starts_no_tag_is_not_a_tag() {
        assert!(tags("a < b and 3<4").is_empty());
        assert_eq!(
            scan("</ <b>").first(),
            Some(&Item::Other),
            "a browser reads `</ ` as a bogus comment"
        );
    }

    #[test]
    fn pieces_map_back_to_the_source() {
        let source = "> <div\n> class=\"x\">\n";
        let mut p = Pieces::default();
        p.push("<div\n", 2, 7);
        p.push("class=\"x\">\n", 9, 8);
        let Item::Tag { attrs, .. } = &scan(&p.text)[0] else {
            panic!()
        };
        assert_eq!(&source[p.source(attrs[0].value_span.clone())], "x");
        assert_eq!(p.locate(&attrs[0].value_span), Some((8, 7..8)));
        assert_eq!(p.locate(&(3..7)), None, "across two pieces");
    }
}
