//! Raw HTML in articles, under `[markdown] html = "safe"` (the default): what an author clearly meant that a page
//! must not do (run script, embed or load from another host) is an error at its line and column; the rest is
//! sanitized to an allowlist by ammonia.
//!
//! Where the sanitizer runs: not over the whole page, which would also filter kb's own markup (highlighted code,
//! heading anchors, check cards), and not over each raw piece alone, since pulldown-cmark hands `<details>`, the
//! Markdown inside it and `</details>` over apart. A page is cut into top-level blocks; a *segment* starts at a
//! block holding raw HTML and runs on, block by block, until the elements that raw HTML opened are closed (or the
//! page ends). Each segment is rendered with kb's own markup replaced by placeholders, sanitized as one fragment
//! (which also closes what an author left open, so an unclosed `<div>` cannot swallow the page's layout), and its
//! placeholders put back, only where they stand as text. Blocks without raw HTML are pulldown-cmark's output,
//! unchanged.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::sync::LazyLock;

use super::tags::{self, Item, Pieces};
use crate::diag::{Diagnostic, SourceFile};

/// Elements an article's raw HTML may use. Those pulldown-cmark writes are here too, since Markdown inside raw HTML
/// is sanitized with it.
const TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "bdi",
    "bdo",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "input",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
    "var",
    "wbr",
];

/// Attributes by element; `title`, `lang` and `dir` on any.
const ATTRIBUTES: &[(&str, &[&str])] = &[
    ("a", &["href"]),
    ("img", &["src", "srcset", "alt", "width", "height"]),
    ("ol", &["start", "reversed", "type"]),
    ("li", &["value"]),
    ("td", &["colspan", "rowspan", "headers"]),
    ("th", &["colspan", "rowspan", "headers", "scope", "abbr"]),
    ("col", &["span"]),
    ("colgroup", &["span"]),
    ("details", &["open"]),
    ("time", &["datetime"]),
    ("input", &["type", "checked", "disabled"]),
    ("h1", &["id"]),
    ("h2", &["id"]),
    ("h3", &["id"]),
    ("h4", &["id"]),
    ("h5", &["id"]),
    ("h6", &["id"]),
    ("div", &["id"]),
];

/// Classes kept: the ones pulldown-cmark writes (footnotes) and kb's table wrapper.
const CLASSES: &[(&str, &[&str])] = &[
    ("div", &["footnote-definition", "table-wrap"]),
    ("sup", &["footnote-reference", "footnote-definition-label"]),
];

/// Elements that embed another document or send the reader's input somewhere: errors, like `<script>`.
const EMBEDS: &[&str] = &["iframe", "frame", "frameset", "object", "embed", "applet", "form"];

/// Attributes whose URL the page loads (or, for `ping`, sends a request to) without the reader asking.
const LOADS: &[&str] = &[
    "src",
    "srcset",
    "poster",
    "data",
    "background",
    "ping",
    "lowsrc",
    "dynsrc",
];

/// Attributes that are followed when the reader clicks.
const FOLLOWS: &[&str] = &["href", "xlink:href", "action", "formaction", "cite"];

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    let attributes: HashMap<&str, HashSet<&str>> = ATTRIBUTES
        .iter()
        .map(|(t, a)| (*t, a.iter().copied().collect()))
        .collect();
    let classes: HashMap<&str, HashSet<&str>> =
        CLASSES.iter().map(|(t, c)| (*t, c.iter().copied().collect())).collect();
    b.tags(TAGS.iter().copied().collect())
        .clean_content_tags(HashSet::from(["script", "style", "template"]))
        .generic_attributes(HashSet::from(["title", "lang", "dir"]))
        .tag_attributes(attributes)
        .allowed_classes(classes)
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(None)
        .strip_comments(true)
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            (_, "src" | "srcset") if srcset_urls(value).any(|u| from_elsewhere(u).is_some()) => None,
            (_, "id") if super::RESERVED_IDS.contains(&value) => None,
            // A task list's box; no other kind of input.
            ("input", "type") if value != "checkbox" => None,
            _ => Some(Cow::Borrowed(value)),
        });
    b
});

/// The scheme a browser sees in `url`, lowercased: it ignores spaces and control characters around a URL and tabs
/// and newlines inside it (`java\tscript:` is `javascript:`).
pub fn scheme(url: &str) -> Option<String> {
    let url = url.trim_matches(|c: char| c <= ' ');
    let colon = url.find(':')?;
    let scheme: String = url[..colon]
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    valid.then(|| scheme.to_ascii_lowercase())
}

/// Why following `url` from a link would be wrong: it runs script, or it is a `data:` URL (which browsers refuse to
/// open from a page, and which as `data:text/html` is a page of its own).
pub fn unsafe_link(url: &str) -> Option<String> {
    match scheme(url)?.as_str() {
        s @ ("javascript" | "vbscript") => Some(format!("a `{s}:` URL runs script when it is followed")),
        "data" => Some("a `data:` URL is a document of its own: browsers refuse to open it from a page".into()),
        _ => None,
    }
}

/// Where `url` would be loaded from if it is not a file of this site: "from another host" (`https://…`,
/// `//host/…`) or, for a URL with no host (`data:`, `javascript:`), "from a `data:` URL".
pub fn from_elsewhere(url: &str) -> Option<String> {
    let trimmed = url.trim_matches(|c: char| c <= ' ');
    let b = trimmed.as_bytes();
    if b.len() >= 2 && matches!(b[0], b'/' | b'\\') && matches!(b[1], b'/' | b'\\') {
        return Some("from another host".into());
    }
    match scheme(trimmed)?.as_str() {
        "http" | "https" => Some("from another host".into()),
        s => Some(format!("from a `{s}:` URL")),
    }
}

/// The URLs of a `srcset` (candidates are separated by commas, each a URL and an optional width or density).
fn srcset_urls(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').filter_map(|c| c.split_whitespace().next())
}

const HINT_TRUSTED: &str =
    "if every author of this site is trusted, `[markdown] html = \"trusted\"` in kb.toml publishes raw HTML as written";

/// What the scan of some raw HTML found: the element moves (`true` opens one, `false` closes one) that tell how far
/// it stays open, and whether it is already clean (see [`allowed`]).
pub struct Scanned {
    pub moves: Vec<bool>,
    pub clean: bool,
}

/// Reports what the raw HTML of `pieces` clearly means to do that a page must not, and what else the scan found.
pub fn check(pieces: &Pieces, file: &SourceFile, diags: &mut Vec<Diagnostic>) -> Scanned {
    let mut moves = Vec::new();
    let mut clean = true;
    let at = |r: Range<usize>| pieces.source(r);
    for item in tags::scan(&pieces.text) {
        clean = clean && allowed(&item);
        match item {
            Item::Other => {}
            Item::Style { text, span } => {
                for (url, r) in tags::css_urls(&text) {
                    if let Some(what) = from_elsewhere(&url) {
                        let r = (span.start + r.start)..(span.start + r.end);
                        diags.push(loads(file, at(r), "CSS `url()`", &url, &what));
                    }
                }
            }
            Item::Tag {
                name,
                span,
                end,
                self_closing,
                attrs,
                ..
            } => {
                if !tags::VOID.contains(&name.as_str()) && !self_closing {
                    moves.push(!end);
                }
                if end {
                    continue;
                }
                let name_span = at((span.start + 1)..(span.start + 1 + name.len()));
                if name == "script" {
                    diags.push(
                        Diagnostic::error("raw HTML: `<script>` would run on the page")
                            .at(file, name_span.clone())
                            .label("articles cannot run script")
                            .hint("describe the steps in text; a site's scripts belong in its theme (`static/`)"),
                    );
                } else if EMBEDS.contains(&name.as_str()) {
                    let what = if name == "form" {
                        "would send the reader's input to another page"
                    } else {
                        "would embed another document in the page"
                    };
                    diags.push(
                        Diagnostic::error(format!("raw HTML: `<{name}>` {what}"))
                            .at(file, name_span.clone())
                            .label("not allowed in articles")
                            .hint(format!("link to it instead: `[title](https://…)`; {HINT_TRUSTED}")),
                    );
                }
                for a in &attrs {
                    attribute(&name, a, file, &at, diags);
                }
            }
        }
    }
    Scanned { moves, clean }
}

/// Whether the sanitizer would leave `item` exactly as written: a complete tag of the allowlist whose attributes
/// are all allowed, with their values as the sanitizer keeps them, and URLs that are plainly safe (no character
/// reference, no control character, a scheme of the allowlist or none). A region whose raw HTML is all such tags,
/// and closes every element it opens, is published without going through the sanitizer: that is most raw HTML
/// (`<kbd>`, `<details>`, tables), and it keeps a build with raw HTML in every article as fast as one without.
/// Anything else (a comment, an unknown element or attribute, an unclosed tag or quote) is sanitized.
fn allowed(item: &Item) -> bool {
    let Item::Tag {
        name,
        terminated: true,
        attrs,
        ..
    } = item
    else {
        return false;
    };
    if !TAGS.contains(&name.as_str()) {
        return false;
    }
    let own = ATTRIBUTES.iter().find(|(t, _)| t == name).map_or(&[][..], |(_, a)| a);
    let classes = CLASSES.iter().find(|(t, _)| t == name).map_or(&[][..], |(_, c)| c);
    attrs.iter().all(|a| {
        let v = a.value.as_str();
        match a.name.as_str() {
            "class" => v.split_ascii_whitespace().all(|c| classes.contains(&c)),
            "title" | "lang" | "dir" => true,
            n if !own.contains(&n) => false,
            "id" => !super::RESERVED_IDS.contains(&v),
            "type" if name == "input" => v == "checkbox",
            "href" | "src" | "srcset" => {
                let plain = !v.contains('&') && !v.chars().any(|c| c.is_control());
                let scheme = scheme(v);
                let scheme_ok = match a.name.as_str() {
                    "href" => scheme
                        .as_deref()
                        .is_none_or(|s| matches!(s, "http" | "https" | "mailto" | "tel")),
                    _ => srcset_urls(v).all(|u| from_elsewhere(u).is_none()),
                };
                plain && scheme_ok
            }
            _ => true,
        }
    })
}

fn attribute(
    tag: &str,
    a: &tags::Attr,
    file: &SourceFile,
    at: &dyn Fn(Range<usize>) -> Range<usize>,
    diags: &mut Vec<Diagnostic>,
) {
    if a.name.starts_with("on") {
        diags.push(
            Diagnostic::error(format!("raw HTML: the event handler `{}` would run script", a.name))
                .at(file, at(a.name_span.clone()))
                .label("articles cannot run script")
                .hint("remove the attribute"),
        );
    } else if LOADS.contains(&a.name.as_str()) || (tag == "link" && a.name == "href") {
        let urls: Vec<&str> = if a.name == "srcset" {
            srcset_urls(&a.value).collect()
        } else {
            vec![a.value.as_str()]
        };
        for url in urls {
            if let Some(what) = from_elsewhere(url) {
                diags.push(loads(
                    file,
                    at(a.value_span.clone()),
                    &format!("`{}`", a.name),
                    url,
                    &what,
                ));
                break;
            }
        }
    } else if FOLLOWS.contains(&a.name.as_str())
        && let Some(why) = unsafe_link(&a.value)
    {
        diags.push(unsafe_link_error(file, at(a.value_span.clone()), &a.value, &why));
    } else if a.name == "style" {
        // The value is decoded, so the caret goes under the whole value as written.
        for (url, _) in tags::css_urls(&a.value) {
            if let Some(what) = from_elsewhere(&url) {
                diags.push(loads(file, at(a.value_span.clone()), "CSS `url()`", &url, &what));
            }
        }
    }
}

fn loads(file: &SourceFile, span: Range<usize>, what: &str, url: &str, from: &str) -> Diagnostic {
    Diagnostic::error(format!("raw HTML: {what} loads `{}` {from}", short(url)))
        .at(file, span)
        .label("pages load nothing from other hosts")
        .hint("save the file next to the article and refer to it by its name, e.g. `screenshot.png`")
}

/// A link that would run script or cannot open (Markdown or raw HTML).
pub fn unsafe_link_error(file: &SourceFile, span: Range<usize>, url: &str, why: &str) -> Diagnostic {
    Diagnostic::error(format!("unsafe link `{}`: {why}", short(url)))
        .at(file, span)
        .label("not a page a reader can open")
        .hint("link to an article (`../section/article.md`), a path of this site or an `https://` address")
}

fn short(url: &str) -> Cow<'_, str> {
    const MAX: usize = 60;
    if url.chars().count() <= MAX {
        Cow::Borrowed(url)
    } else {
        Cow::Owned(format!("{}…", url.chars().take(MAX).collect::<String>()))
    }
}

/// The segments of `events` (see the module's comment): ranges of whole top-level blocks, from one holding a raw
/// piece (`raw`, event indices in order) to the one where the elements raw HTML opened (`moves`, in order) are
/// closed again; `false` beside the last one if the page ended first.
pub fn segments(
    events: &[pulldown_cmark::Event<'_>],
    raw: impl Iterator<Item = usize>,
    moves: &[(usize, bool)],
) -> Vec<(Range<usize>, bool)> {
    use pulldown_cmark::Event;
    let mut raw = raw.peekable();
    let mut moves = moves.iter().peekable();
    let mut segments = Vec::new();
    let (mut depth, mut block_start) = (0usize, 0);
    let mut open: Option<(usize, usize)> = None;
    for (i, e) in events.iter().enumerate() {
        match e {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > 0 {
            continue;
        }
        let mut has_raw = false;
        while raw.next_if(|&r| r <= i).is_some() {
            has_raw = true;
        }
        if open.is_none() && has_raw {
            open = Some((block_start, 0));
        }
        if let Some((start, elements)) = open.as_mut() {
            while let Some((_, opens)) = moves.next_if(|(m, _)| *m <= i) {
                *elements = if *opens {
                    *elements + 1
                } else {
                    elements.saturating_sub(1)
                };
            }
            if *elements == 0 {
                segments.push((*start..i + 1, true));
                open = None;
            }
        }
        block_start = i + 1;
    }
    if let Some((start, _)) = open {
        segments.push((start..events.len(), false));
    }
    segments
}

/// Where a segment starts and ends in the event stream, and where kb's own markup stands inside one: the writer
/// knows these markers by their address, so nothing an article holds can pass for one.
pub static SEGMENT_START: &str = "\u{FDD2}\n";
pub static SEGMENT_END: &str = "\u{FDD3}\n";
pub static KB_MARKUP: &str = "\u{FDD4}\n";

const SLOT_OPEN: char = '\u{FDD0}';
const SLOT_CLOSE: char = '\u{FDD1}';

fn same(a: &str, b: &'static str) -> bool {
    std::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len()
}

/// A `fmt::Write` for pulldown-cmark's HTML writer that sanitizes each segment as it ends: `out` gets the page,
/// `markup` is kb's own markup in the order its [`KB_MARKUP`] markers come.
pub struct Writer<'a> {
    out: &'a mut String,
    markup: Vec<String>,
    next: usize,
    /// The segment being written, and the index of its first piece of kb's markup.
    segment: Option<(String, usize)>,
    segments: usize,
    /// Segments (counted from 0) that lost some of kb's markup to raw HTML that hid it.
    pub lost: Vec<usize>,
}

impl<'a> Writer<'a> {
    pub fn new(out: &'a mut String, markup: Vec<String>) -> Self {
        Writer {
            out,
            markup,
            next: 0,
            segment: None,
            segments: 0,
            lost: Vec::new(),
        }
    }
}

impl fmt::Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if same(s, SEGMENT_START) {
            self.segment = Some((String::new(), self.next));
        } else if same(s, SEGMENT_END) {
            if let Some((html, first)) = self.segment.take() {
                let clean = SANITIZER.clean(&html).to_string();
                let restored = restore(&clean, &self.markup, first..self.next, self.out);
                if restored < self.next - first {
                    self.lost.push(self.segments);
                }
                self.segments += 1;
            }
        } else if let Some((html, _)) = self.segment.as_mut() {
            if same(s, KB_MARKUP) {
                html.push(SLOT_OPEN);
                html.push_str(&self.next.to_string());
                html.push(SLOT_CLOSE);
                self.next += 1;
            } else if s.contains([SLOT_OPEN, SLOT_CLOSE]) {
                // An article's own text cannot pass for a placeholder.
                html.push_str(&s.replace([SLOT_OPEN, SLOT_CLOSE], "\u{FFFD}"));
            } else {
                html.push_str(s);
            }
        } else {
            self.out.push_str(s);
        }
        Ok(())
    }
}

/// Appends sanitized `html` to `out` with the placeholders of `markup[range]` replaced by that markup, where they
/// stand as text; one inside a tag (raw HTML left an attribute's quote open over it) is dropped. Returns how many
/// were put back.
fn restore(html: &str, markup: &[String], range: Range<usize>, out: &mut String) -> usize {
    #[derive(PartialEq)]
    enum In {
        Text,
        Tag,
        Quoted,
    }
    let mut state = In::Text;
    let mut restored = 0;
    let mut rest = html;
    // The sanitizer's output writes `<` in text as `&lt;` and every attribute value in double quotes with `"`
    // escaped, so these three states follow it exactly.
    while let Some(i) = rest.find(['<', '>', '"', SLOT_OPEN]) {
        let c = rest[i..].chars().next().unwrap_or(SLOT_OPEN);
        out.push_str(&rest[..i]);
        rest = &rest[i + c.len_utf8()..];
        match (c, &state) {
            (SLOT_OPEN, _) => {
                let Some(close) = rest.find(SLOT_CLOSE) else { continue };
                let n = rest[..close].parse::<usize>().ok().filter(|n| range.contains(n));
                rest = &rest[close + SLOT_CLOSE.len_utf8()..];
                if let (Some(n), In::Text) = (n, &state) {
                    out.push_str(&markup[n]);
                    restored += 1;
                }
                continue;
            }
            ('<', In::Text) => state = In::Tag,
            ('>', In::Tag) => state = In::Text,
            ('"', In::Tag) => state = In::Quoted,
            ('"', In::Quoted) => state = In::Tag,
            _ => {}
        }
        out.push(c);
    }
    out.push_str(rest);
    restored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_as_a_browser_reads_them() {
        assert_eq!(scheme(" JaVa\tScRiPt:alert(1)").as_deref(), Some("javascript"));
        assert_eq!(scheme("https://x.test").as_deref(), Some("https"));
        assert_eq!(scheme("a/b:c"), None);
        assert_eq!(scheme("../x.md"), None);
        assert!(unsafe_link("vbscript:x").is_some());
        assert!(unsafe_link("data:text/html,<b>").is_some());
        assert!(unsafe_link("mailto:a@b.test").is_none());
    }

    #[test]
    fn what_comes_from_elsewhere() {
        for url in [
            "https://cdn.test/a.png",
            "//cdn.test/a.png",
            "/\\cdn.test/a.png",
            "data:image/png;base64,AA",
        ] {
            assert!(from_elsewhere(url).is_some(), "{url}");
        }
        for url in ["a.png", "/img/a.png", "../a.png", "#x"] {
            assert!(from_elsewhere(url).is_none(), "{url}");
        }
    }

    #[test]
    fn the_sanitizer_keeps_markdown_and_the_allowlist() {
        let html = "<h2 id=\"x\">T</h2><details open=\"\"><summary>S</summary><p><kbd>Ctrl</kbd> <sub>2</sub> \
                    <a href=\"/a/\" title=\"t\">a</a> <img src=\"a.png\" alt=\"A\"></p></details>\
                    <div class=\"footnote-definition\" id=\"n\"><sup class=\"footnote-definition-label\">1</sup></div>";
        assert_eq!(SANITIZER.clean(html).to_string(), html);
    }

    #[test]
    fn the_sanitizer_removes_what_is_not_allowed() {
        let html = "<p style=\"color:red\" class=\"x\" id=\"main\">a<blink>b</blink><style>p{}</style></p>\
                    <img src=\"https://cdn.test/x.png\"><a href=\"java&#9;script:x\">c</a><input type=\"text\">";
        assert_eq!(SANITIZER.clean(html).to_string(), "<p>ab</p><img><a>c</a><input>");
    }

    #[test]
    fn only_plainly_clean_raw_html_skips_the_sanitizer() {
        let clean = |html: &str| {
            let mut pieces = Pieces::default();
            pieces.push(html, 0);
            let file = SourceFile::new("a.md", html);
            check(&pieces, &file, &mut Vec::new()).clean
        };
        for ok in [
            "<kbd>",
            "<details open>",
            "<a href=\"/x/\" title='t'>",
            "<a href=\"https://x.test/\">",
            "<img src=\"a.png\" alt=\"a\">",
            "<ol start=\"3\">",
            "<div class=\"table-wrap\">",
        ] {
            assert!(clean(ok), "{ok}");
            // The sanitizer agrees: it keeps such a tag as written (up to how it spells a bare attribute).
            let kept = SANITIZER.clean(&format!("{ok}x")).to_string().replace("=\"\"", "");
            assert!(kept.starts_with(&ok.replace('\'', "\"")), "{ok} → {kept}");
        }
        for no in [
            "<!-- c -->",
            "<blink>",
            "<span style=\"x\">",
            "<span class=\"x\">",
            "<a href=\"javascript&colon;x\">",
            "<a href=\"ftp://x.test/\">",
            "<span title=\"never closed",
            "<h2 id=\"main\">",
            "<input type=\"text\">",
            "<img src=\"https://x.test/a.png\">",
            "<svg>",
            "<textarea>",
        ] {
            assert!(!clean(no), "{no}");
        }
    }

    #[test]
    fn placeholders_come_back_only_as_text() {
        let markup = vec!["<b>kb</b>".to_string(), "<i>kb</i>".to_string()];
        let mut out = String::new();
        let html = format!("<p title=\"a{SLOT_OPEN}0{SLOT_CLOSE}\">{SLOT_OPEN}1{SLOT_CLOSE} x &gt; y</p>");
        assert_eq!(restore(&html, &markup, 0..2, &mut out), 1);
        assert_eq!(out, "<p title=\"a\"><i>kb</i> x &gt; y</p>");
    }

    #[test]
    fn the_writer_sanitizes_segments_only() {
        use std::fmt::Write as _;
        let mut out = String::new();
        let mut w = Writer::new(&mut out, vec!["<pre>kb</pre>".into()]);
        for s in [
            "<p>a<script>x</script></p>",
            SEGMENT_START,
            "<div><script>x</script>",
            KB_MARKUP,
            SEGMENT_END,
        ] {
            w.write_str(s).unwrap();
        }
        assert!(w.lost.is_empty());
        assert_eq!(out, "<p>a<script>x</script></p><div><pre>kb</pre></div>");
    }
}
