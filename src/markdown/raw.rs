//! Raw HTML in articles, under `[markdown] html = "safe"` (the default): what an author clearly meant that a page
//! must not do (run script, embed or load from another host) is an error at its line and column; the rest is
//! sanitized to an allowlist by ammonia.
//!
//! Where the sanitizer runs is [`super::sanitize`]'s part.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
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

pub(super) static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
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
            (_, "src") if from_elsewhere(value).is_some() => None,
            (_, "srcset") if srcset_urls(value).any(|u| from_elsewhere(u).is_some()) => None,
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
    // A browser drops tabs and newlines anywhere in a URL: `/\t/host` is `//host`.
    let url: Cow<'_, str> = if url.contains(['\t', '\n', '\r']) {
        Cow::Owned(url.replace(['\t', '\n', '\r'], ""))
    } else {
        Cow::Borrowed(url)
    };
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

/// An element raw HTML opens (`open`) or closes, by name.
#[derive(Debug, Clone, PartialEq)]
pub struct Move {
    pub open: bool,
    pub name: String,
}

/// What the scan of some raw HTML found: the element moves that tell how far it stays open, and whether it is
/// already clean (see [`allowed`]).
pub struct Scanned {
    pub moves: Vec<Move>,
    pub clean: bool,
    /// The relative URLs (`<a href>`, `<img src>`) and the ids (on headings and `div`s) of the raw HTML, to be
    /// resolved and checked as Markdown's are.
    pub refs: Vec<Ref>,
}

#[derive(Debug, PartialEq)]
pub enum RefKind {
    Href,
    Src,
    Id,
}

/// A value of raw HTML that kb resolves: what it is, the value (decoded), and where it is written in the pieces.
#[derive(Debug)]
pub struct Ref {
    pub kind: RefKind,
    pub value: String,
    pub range: Range<usize>,
}

/// Reports what the raw HTML of `pieces` clearly means to do that a page must not, and what else the scan found.
pub fn check(pieces: &Pieces, file: &SourceFile, diags: &mut Vec<Diagnostic>) -> Scanned {
    let mut moves = Vec::new();
    let mut clean = true;
    let mut refs = Vec::new();
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
                // `<div/>` opens a div: HTML ignores the slash but on void elements.
                if !tags::VOID.contains(&name.as_str()) {
                    moves.push(Move {
                        open: !end,
                        name: name.clone(),
                    });
                    clean = clean && !self_closing;
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
                    let kind = match (name.as_str(), a.name.as_str()) {
                        ("a", "href") => RefKind::Href,
                        ("img", "src") => RefKind::Src,
                        ("h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "div", "id") => RefKind::Id,
                        _ => continue,
                    };
                    // `from_elsewhere` is `None` for a URL with no scheme and no host.
                    let relative = kind == RefKind::Id || from_elsewhere(&a.value).is_none();
                    if relative && !a.value.is_empty() && a.value_span != a.name_span {
                        refs.push(Ref {
                            kind,
                            value: a.value.clone(),
                            range: a.value_span.clone(),
                        });
                    }
                }
            }
        }
    }
    Scanned { moves, clean, refs }
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
    // Never as written: `col` (only in a table), `hr` (closes a paragraph though it has no end tag), and ruby's
    // parts (`<rt>` closes `<dd>`, `<li>`, `<p>` that are open).
    if !TAGS.contains(&name.as_str()) || matches!(name.as_str(), "col" | "hr" | "ruby" | "rt" | "rp") {
        return false;
    }
    let own = ATTRIBUTES.iter().find(|(t, _)| t == name).map_or(&[][..], |(_, a)| a);
    let classes = CLASSES.iter().find(|(t, _)| t == name).map_or(&[][..], |(_, c)| c);
    attrs.iter().all(|a| {
        let v = a.value.as_str();
        // A reference kb's decoder may read otherwise than a browser (`&#104` without its `;`).
        if a.referenced {
            return false;
        }
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

/// Heading attributes (`## Title {.class key=value}`) are dropped unless raw HTML is trusted; an event handler among
/// them is an error, as in raw HTML.
pub fn heading_attributes(
    file: &SourceFile,
    span: &Range<usize>,
    attrs: &[(pulldown_cmark::CowStr<'_>, Option<pulldown_cmark::CowStr<'_>>)],
    diags: &mut Vec<Diagnostic>,
) {
    for (name, _) in attrs.iter().filter(|(n, _)| n.to_ascii_lowercase().starts_with("on")) {
        let text = &file.text[span.clone()];
        let at = text
            .rfind(name.as_ref())
            .map_or(span.clone(), |i| (span.start + i)..(span.start + i + name.len()));
        diags.push(
            Diagnostic::error(format!(
                "the event handler `{name}` in a heading's attributes would run script"
            ))
            .at(file, at)
            .label("articles cannot run script")
            .hint("remove the attribute; a heading keeps only its `{#id}`"),
        );
    }
}

/// A link that would run script or cannot open (Markdown or raw HTML).
pub fn unsafe_link_error(file: &SourceFile, span: Range<usize>, url: &str, why: &str) -> Diagnostic {
    Diagnostic::error(format!("unsafe link `{}`: {why}", short(url)))
        .at(file, span)
        .label("not a page a reader can open")
        .hint("link to an article (`../section/article.md`), a path of this site or an `https://` address")
}

/// A URL quoted in a message: cut at 60 characters, control characters and backquotes escaped.
fn short(url: &str) -> String {
    crate::text::snippet(url.as_bytes(), 60)
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
            "/\t/cdn.test/a.png",
            "/\n/cdn.test/a.png",
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
            pieces.push(html, 0, 0);
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
}
