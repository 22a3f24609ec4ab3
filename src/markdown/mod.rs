//! Markdown to HTML: pulldown-cmark with GitHub-style extensions, unique heading anchors and a table of contents,
//! fenced code highlighted at build time, and links written as source paths (`../x.md#y`) rewritten to page URLs.

mod card;
pub mod highlight;
mod links;
pub mod plain;
pub mod raw;
pub mod sanitize;
pub mod summary;
pub mod tags;
mod wrap;

use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Range;
use std::sync::Arc;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Parser, Tag, TagEnd, html};

use crate::config::RawHtml;
use crate::content::blocks::{CHECK_FENCE, CheckCard};
use crate::content::{Content, Target};
use crate::diag::{Diagnostic, SourceFile};
use card::check_card;
pub use highlight::Highlighter;
pub use links::missing_anchor;
use links::{rewrite_image, rewrite_link};

/// Element ids of the default theme's page chrome and scripts (`kb.js` finds the search page by `#search`), and of
/// `kb serve`'s error overlay: no heading or raw HTML of an article may take them.
pub const RESERVED_IDS: &[&str] = &[
    "main",
    "related-h",
    "sections-h",
    "products-h",
    "root-h",
    "recent-h",
    "org-status-h",
    "org-summary-h",
    "search",
    "search-q",
    "search-results",
    "search-more",
    "search-status",
    "search-facets",
    "search-help",
    "site-search-q",
    "kb-live-error",
];

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub title: String,
    pub children: Vec<TocEntry>,
}

/// An anchor in another page that a link needs; checked once every page has been rendered.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AnchorRef {
    pub target: Target,
    pub anchor: String,
    pub span: Range<usize>,
}

/// Serialisable for `kb build --cache` (`site::cache`), which keeps renderings between builds.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Rendered {
    /// The HTML, with [`SHARED`] where each of `shared` goes (see [`Rendered::full_html`]).
    pub html: String,
    /// Blocks many documents show alike (check definitions), held once for all of them.
    pub shared: Vec<Arc<str>>,
    pub toc: Vec<TocEntry>,
    pub anchors: HashSet<String>,
    pub anchor_refs: Vec<AnchorRef>,
    /// Fence languages that were highlighted.
    pub languages: Vec<String>,
    /// The first paragraph as plain text, for lists when there is no `description`.
    pub summary: String,
}

/// Where a shared block goes in [`Rendered::html`]. An article cannot produce it: [`render`] turns its NULs into
/// spaces before parsing.
pub const SHARED: char = '\0';

impl Rendered {
    /// The whole HTML, shared blocks in place.
    pub fn full_html(&self) -> Cow<'_, str> {
        if self.shared.is_empty() {
            return Cow::Borrowed(&self.html);
        }
        let extra: usize = self.shared.iter().map(|b| b.len()).sum();
        let mut out = String::with_capacity(self.html.len() + extra);
        let mut blocks = self.shared.iter();
        for (i, part) in self.html.split(SHARED).enumerate() {
            if i > 0 {
                out.push_str(blocks.next().map_or("", |b| b));
            }
            out.push_str(part);
        }
        Cow::Owned(out)
    }

    /// The HTML without the shared blocks (for the search index, which leaves check definitions out).
    pub fn own_html(&self) -> Cow<'_, str> {
        if self.shared.is_empty() {
            Cow::Borrowed(&self.html)
        } else {
            Cow::Owned(self.html.replace(SHARED, ""))
        }
    }
}

/// What a document needs to be rendered: where it is and what its links may point at.
pub struct Doc<'a> {
    pub file: &'a SourceFile,
    /// The path under `content/` (for resolving relative links).
    pub source: &'a str,
    pub body: &'a str,
    pub body_offset: usize,
    /// The cards of the document's check blocks, in order (articles only).
    pub cards: &'a [CheckCard],
}

/// Heading ids: lowercase ASCII, other runs become `-`, trimmed; `section` if nothing is left.
pub fn heading_id(text: &str) -> String {
    let id = crate::content::slug::slugify(text);
    if id.is_empty() { "section".into() } else { id }
}

fn unique_id(base: String, used: &mut HashSet<String>) -> String {
    if used.insert(base.clone()) {
        return base;
    }
    (1..)
        .map(|n| format!("{base}-{n}"))
        .find(|c| used.insert(c.clone()))
        .expect("some suffix is free")
}

/// Renders one document. Problems (broken links, missing local anchors) go to `diags`.
pub fn render(doc: &Doc<'_>, content: &Content, diags: &mut Vec<Diagnostic>) -> Rendered {
    // kb marks where shared blocks go with NUL ([`SHARED`]), and pulldown-cmark passes NUL through in places (a link's
    // title, raw HTML): an article's NUL becomes a space, which keeps every offset (CommonMark would have U+FFFD).
    let body: Cow<'_, str> = if doc.body.contains(SHARED) {
        Cow::Owned(doc.body.replace(SHARED, " "))
    } else {
        Cow::Borrowed(doc.body)
    };
    let mut r = Renderer {
        doc,
        content,
        diags,
        policy: content.raw_html,
        out: Rendered::default(),
        events: Vec::new(),
        // Ids the theme uses on every page are taken, so that no heading shadows them.
        used_ids: RESERVED_IDS.iter().map(|s| s.to_string()).collect(),
        local_refs: Vec::new(),
        toc_flat: Vec::new(),
        kb_markup: Vec::new(),
        raw_html: sanitize::RawPieces::default(),
        html_block: None,
        heading: None,
        heading_span: 0..0,
        code: None,
        code_start: 0,
        summary: summary::Summary::default(),
    };
    for (event, range) in Parser::new_ext(&body, crate::content::blocks::markdown_options()).into_offset_iter() {
        let span = (doc.body_offset + range.start)..(doc.body_offset + range.end);
        r.event(event, span);
    }
    r.finish()
}

/// One document's rendering under way: the events it will write, and what it has learnt so far.
struct Renderer<'d, 'a> {
    doc: &'d Doc<'d>,
    content: &'d Content,
    diags: &'d mut Vec<Diagnostic>,
    policy: RawHtml,
    out: Rendered,
    events: Vec<Event<'a>>,
    used_ids: HashSet<String>,
    /// `#anchor` links within the page, checked at the end.
    local_refs: Vec<(String, Range<usize>)>,
    toc_flat: Vec<(u8, String, String)>,
    /// Events that are kb's own markup, and the author's raw HTML: where each piece is, and the elements it opens.
    kb_markup: Vec<usize>,
    raw_html: sanitize::RawPieces,
    html_block: Option<tags::Pieces>,
    /// The heading being read: its start event and its text so far.
    heading: Option<(usize, String)>,
    heading_span: Range<usize>,
    /// The code block being read: its language and text so far.
    code: Option<(String, String)>,
    code_start: usize,
    summary: summary::Summary,
}

impl<'a> Renderer<'_, 'a> {
    fn event(&mut self, event: Event<'a>, span: Range<usize>) {
        self.summary.event(&event);
        match event {
            Event::Start(Tag::Heading { .. }) => {
                self.heading = Some((self.events.len(), String::new()));
                self.heading_span = span;
                self.events.push(event);
            }
            Event::End(TagEnd::Heading(level)) => self.end_heading(level),
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info.split([' ', ',', '{']).next().unwrap_or_default().to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new()));
                self.code_start = span.start;
            }
            Event::Text(text) if self.code.is_some() => {
                if let Some((_, buf)) = self.code.as_mut() {
                    buf.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => self.end_code_block(),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let (doc, content) = (self.doc, self.content);
                let to = &mut self.out;
                let dest = rewrite_link(
                    doc,
                    content,
                    link_type,
                    &dest_url,
                    span,
                    to,
                    &mut self.local_refs,
                    self.diags,
                );
                let dest_url = dest.map_or(dest_url, CowStr::from);
                self.events.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest = rewrite_image(self.doc, self.content, &dest_url, span, self.diags);
                let dest_url = dest.map_or(dest_url, CowStr::from);
                self.events.push(Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            Event::Text(ref text) | Event::Code(ref text) => {
                self.text(text);
                self.events.push(event);
            }
            Event::Start(Tag::FootnoteDefinition(ref label)) => {
                self.footnote(label, &span);
                self.events.push(event);
            }
            Event::Start(Tag::HtmlBlock) | Event::End(TagEnd::HtmlBlock) | Event::Html(_) | Event::InlineHtml(_) => {
                self.raw(event, span)
            }
            other => self.events.push(other),
        }
    }

    fn end_heading(&mut self, level: pulldown_cmark::HeadingLevel) {
        let (start, text) = self.heading.take().unwrap_or_default();
        let Event::Start(Tag::Heading { id, classes, attrs, .. }) =
            std::mem::replace(&mut self.events[start], Event::Text(CowStr::Borrowed("")))
        else {
            unreachable!("heading start recorded above")
        };
        let id = match id {
            Some(custom) => {
                if !self.used_ids.insert(custom.to_string()) {
                    self.diags.push(
                        Diagnostic::error(format!("duplicate heading id `#{custom}`"))
                            .at(self.doc.file, self.heading_span.clone())
                            .label("this id is already used on the page")
                            .hint("give this heading another `{#id}`, or remove it to get one from the text"),
                    );
                }
                custom.to_string()
            }
            None => unique_id(heading_id(&text), &mut self.used_ids),
        };
        let (classes, attrs) = if self.policy == RawHtml::Trusted {
            (classes, attrs)
        } else {
            raw::heading_attributes(self.doc.file, &self.heading_span, &attrs, self.diags);
            (Vec::new(), Vec::new())
        };
        self.events[start] = Event::Start(Tag::Heading {
            level,
            id: Some(id.clone().into()),
            classes,
            attrs,
        });
        let anchor = format!(
            "<a class=\"anchor\" data-search-ignore href=\"#{}\" aria-label=\"Link to this section\">#</a>",
            html_escape(&id)
        );
        self.markup(anchor);
        self.events.push(Event::End(TagEnd::Heading(level)));
        let level = level as u8;
        if (2..=3).contains(&level) {
            self.toc_flat.push((level, id.clone(), text.trim().to_string()));
        }
        self.out.anchors.insert(id);
    }

    fn end_code_block(&mut self) {
        let (lang, buf) = self.code.take().unwrap_or_default();
        // A check block becomes its card; outside an article (a section's intro) it stays TOML.
        if lang == CHECK_FENCE
            && let Some(card) = self.doc.cards.iter().find(|c| c.fence == self.code_start)
        {
            // The card's title has an id of its own (`{id}-title`): both must be free.
            let base = format!("check-{}", card.id);
            let free = |c: &String| !self.used_ids.contains(c) && !self.used_ids.contains(&format!("{c}-title"));
            let id = std::iter::once(base.clone())
                .chain((1..).map(|n| format!("{base}-{n}")))
                .find(free)
                .expect("some suffix is free");
            self.used_ids.insert(format!("{id}-title"));
            self.used_ids.insert(id.clone());
            let html = check_card(card, &id, &mut self.out.languages, &mut self.out.shared);
            self.markup(html);
            self.out.anchors.insert(id);
            return;
        }
        let lang = if lang == CHECK_FENCE { "toml".to_string() } else { lang };
        let html = code_block(&lang, &buf, &mut self.out.languages);
        self.markup(html);
    }

    /// kb's own markup, which a sanitizer must not touch.
    fn markup(&mut self, html: String) {
        self.kb_markup.push(self.events.len());
        self.events.push(Event::Html(html.into()));
    }

    /// A heading's text.
    fn text(&mut self, text: &str) {
        if let Some((_, h)) = self.heading.as_mut() {
            h.push_str(text);
        }
    }

    /// pulldown-cmark gives a footnote's definition its label as id.
    fn footnote(&mut self, label: &str, span: &Range<usize>) {
        if !self.used_ids.insert(label.to_string()) {
            self.diags.push(
                Diagnostic::error(format!(
                    "the footnote `[^{label}]` would take the id `#{label}`, which the page already uses"
                ))
                .at(self.doc.file, span.start..span.start + label.len() + 3)
                .label("an id already on the page")
                .hint("give the footnote another label"),
            );
        }
    }

    /// Raw HTML under the policy: as text (`none`), as written (`trusted`), or checked, its links resolved and its
    /// pieces recorded for the sanitizer (`safe`).
    fn raw(&mut self, event: Event<'a>, span: Range<usize>) {
        let piece = match (self.policy, event) {
            (RawHtml::None, Event::Start(_)) => return self.events.push(Event::Start(Tag::Paragraph)),
            (RawHtml::None, Event::End(_)) => return self.events.push(Event::End(TagEnd::Paragraph)),
            (RawHtml::None, Event::Html(text) | Event::InlineHtml(text)) => return self.events.push(Event::Text(text)),
            (RawHtml::Trusted, event) => return self.events.push(event),
            (_, event @ Event::Start(_)) => {
                self.html_block = Some(tags::Pieces::default());
                return self.events.push(event);
            }
            (_, event @ Event::End(_)) => {
                if let Some(pieces) = self.html_block.take() {
                    self.raw_checked(pieces, self.events.len());
                }
                return self.events.push(event);
            }
            (_, event) => event,
        };
        self.raw_html.at.push((self.events.len(), span.clone()));
        let inline = self.html_block.is_none();
        if let Event::Html(text) | Event::InlineHtml(text) = &piece {
            self.html_block
                .get_or_insert_default()
                .push(text, span.start, self.events.len());
        }
        self.events.push(piece);
        if inline && let Some(pieces) = self.html_block.take() {
            self.raw_checked(pieces, self.events.len() - 1);
        }
    }

    fn raw_checked(&mut self, pieces: tags::Pieces, event: usize) {
        let refs = self.raw_html.check(event, &pieces, self.doc.file, self.diags);
        let mut to = links::To {
            out: &mut self.out,
            local_refs: &mut self.local_refs,
            used_ids: &mut self.used_ids,
        };
        links::raw_refs(
            self.doc,
            self.content,
            &pieces,
            refs,
            &mut self.events,
            &mut to,
            self.diags,
        );
    }

    fn finish(mut self) -> Rendered {
        for (anchor, span) in std::mem::take(&mut self.local_refs) {
            if !self.out.anchors.contains(&anchor) {
                self.diags.push(missing_anchor(
                    self.doc.file,
                    span,
                    &anchor,
                    "this page",
                    &self.out.anchors,
                ));
            }
        }
        let mut out = self.out;
        out.summary = self.summary.finish();
        out.toc = nest_toc(self.toc_flat);
        out.html.reserve(self.doc.body.len() * 3 / 2);
        if self.policy == RawHtml::Safe && !self.raw_html.at.is_empty() {
            let (events, markup, raw) = (self.events, &self.kb_markup, &self.raw_html);
            sanitize::write_sanitized(self.doc, events, markup, raw, &mut out.html, self.diags);
        } else {
            html::push_html(&mut out.html, self.events.into_iter().map(wrap::wrap));
        }
        out
    }
}

fn code_block(lang: &str, code: &str, languages: &mut Vec<String>) -> String {
    code_block_with(lang, code, true, languages)
}

/// A code block, highlighted if `highlight` and kb knows the language.
fn code_block_with(lang: &str, code: &str, highlight: bool, languages: &mut Vec<String>) -> String {
    let escaped_lang = html_escape(lang);
    let highlighted = if lang.is_empty() || !highlight {
        None
    } else {
        Highlighter::get().highlight(lang, code)
    };
    let body = match highlighted {
        Some(h) => {
            if !languages.iter().any(|l| l == lang) {
                languages.push(lang.to_string());
            }
            h
        }
        None => html_escape(code),
    };
    let label = if lang.is_empty() {
        String::new()
    } else {
        format!("<span class=\"code-lang\">{escaped_lang}</span>")
    };
    let class = if lang.is_empty() {
        String::new()
    } else {
        format!(" class=\"language-{escaped_lang}\"")
    };
    let region = if lang.is_empty() {
        "Code".to_string()
    } else {
        format!("{escaped_lang} code")
    };
    format!(
        "<div class=\"code\"><div class=\"code-head\">{label}<button type=\"button\" class=\"copy\" hidden>Copy</button></div>\
         <pre class=\"hl-code\" tabindex=\"0\" role=\"region\" aria-label=\"{region}\"><code{class}>{body}</code></pre></div>\n"
    )
}

pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    pulldown_cmark_escape::escape_html(&mut out, s).expect("writing to a String cannot fail");
    out
}

fn nest_toc(flat: Vec<(u8, String, String)>) -> Vec<TocEntry> {
    let mut toc: Vec<TocEntry> = Vec::new();
    for (level, id, title) in flat {
        let entry = TocEntry {
            level,
            id,
            title,
            children: Vec::new(),
        };
        match toc.last_mut() {
            Some(parent) if level > parent.level => parent.children.push(entry),
            _ => toc.push(entry),
        }
    }
    toc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_str(body: &str) -> (Rendered, Vec<Diagnostic>) {
        let file = SourceFile::new("content/a.md", body);
        let doc = Doc {
            file: &file,
            source: "a.md",
            body,
            body_offset: 0,
            cards: &[],
        };
        let mut diags = Vec::new();
        let content = Content::default();
        let r = render(&doc, &content, &mut diags);
        (r, diags)
    }

    #[test]
    fn the_summary_found_without_rendering_is_the_rendered_one() {
        let long = format!("{} end", "word ".repeat(80));
        let bodies = [
            "First *para* with `code` and [a link](https://example.com)\nover two lines.\n\nSecond.",
            "## A heading first\n\n```json\n{\"x\": 1}\n```\n\nThe paragraph after.",
            "> [!NOTE]\n> In a callout.\n\nAfter it.",
            "- a list item\n- another\n\nThen a paragraph.",
            "<div>raw</div>\n\nText [ref] here.\n\n[ref]: https://example.com",
            "",
            long.as_str(),
        ];
        for body in bodies {
            let (r, _) = render_str(body);
            assert_eq!(summary::of(body), r.summary, "{body:?}");
        }
        assert_eq!(
            render_str(bodies[0]).0.summary,
            "First para with code and a link over two lines."
        );
        assert!(render_str(&long).0.summary.ends_with('…'));
    }

    #[test]
    fn headings_get_unique_ids_and_a_toc() {
        let (r, d) = render_str("## Cause\n\n### Step one\n\n## Cause\n\n## Custom {#mine}\n");
        assert!(d.is_empty());
        assert!(r.html.contains("<h2 id=\"cause\">"), "{}", r.html);
        assert!(r.html.contains("<h2 id=\"cause-1\">"));
        assert!(r.html.contains("<h2 id=\"mine\">"));
        assert_eq!(r.toc.len(), 3);
        assert_eq!(r.toc[0].children[0].id, "step-one");
    }

    #[test]
    fn missing_local_anchor_is_reported_with_position() {
        let (_, d) = render_str("## Solution\n\nSee [the cause](#cause).\n");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].position().unwrap(), "content/a.md:3:17");
        assert_eq!(d[0].message, "missing anchor: this page has no heading `#cause`");
    }

    #[test]
    fn broken_source_link_is_reported() {
        let (_, d) = render_str("[x](../nowhere.md)\n");
        assert_eq!(d.len(), 1);
        assert!(d[0].message.starts_with("broken link"), "{}", d[0].message);
    }

    #[test]
    fn external_links_are_left_alone() {
        let (r, d) = render_str("[a](https://example.com/x.md) [b](/tags/) [c](mailto:a@b.c)\n");
        assert!(d.is_empty());
        assert!(r.html.contains("href=\"https://example.com/x.md\""));
    }

    #[test]
    fn code_is_highlighted_and_unknown_languages_escaped() {
        let (r, _) = render_str("```json\n{\"a\": 1}\n```\n\n```nolang\n<b>\n```\n");
        assert!(r.html.contains("hl-json"), "{}", r.html);
        assert!(r.html.contains("&lt;b&gt;"));
        assert_eq!(r.languages, vec!["json"]);
    }

    #[test]
    fn extensions_are_on() {
        let (r, _) = render_str("| a |\n|---|\n| b |\n\n- [x] done\n\n~~old~~ \"quoted\"[^1]\n\n[^1]: note\n");
        assert!(r.html.contains("<table>"));
        assert!(r.html.contains("type=\"checkbox\""));
        assert!(r.html.contains("<del>old</del>"));
        assert!(r.html.contains("“quoted”"));
        assert!(r.html.contains("footnote-definition"));
    }

    #[test]
    fn an_open_quote_in_raw_html_cannot_turn_markdown_text_into_attributes() {
        // The browser would read the paragraph's text as the div's attributes: the region goes to the sanitizer.
        let (r, _) = render_str("<div title=\"\n\nText \" onmouseover=\"alert(1)\" x=\"\n\n## After\n");
        assert!(!r.html.contains("onmouseover=\""), "{}", r.html);
        let (r, _) = render_str("<kbd>Ctrl</kbd> and <span title=\"a\">b</span>\n");
        assert_eq!(
            r.html, "<p><kbd>Ctrl</kbd> and <span title=\"a\">b</span></p>\n",
            "clean raw HTML as written"
        );
    }

    /// As many `open` as `close` in `html`.
    fn assert_balanced(html: &str, open: &str, close: &str) {
        assert_eq!(
            html.matches(open).count(),
            html.matches(close).count(),
            "{open} and {close} in {html}"
        );
    }

    /// Raw HTML a review found getting past the first version: each now sanitized or an error.
    #[test]
    fn raw_html_that_once_got_through() {
        // `</ ` is a bogus comment to a browser, up to the `>` inside the title: the script would be markup.
        let (r, d) = render_str(
            "<div></ <span title=\"><script src=/s/evil.js></script><img src=x onerror=alert(1)>\"></span></div>\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert!(
            !r.html.contains("<script") && !r.html.contains("onerror="),
            "{}",
            r.html
        );
        // A browser drops tabs and newlines in a URL: `/\t/host` is `//host`.
        for img in [
            "<img src=\"/&#9;/127.0.0.1:1/tab.png\" alt=\"a\">\n",
            "<p><img alt=\"b\" src=\"/\n/127.0.0.1:1/nl.png\"></p>\n",
        ] {
            let (_, d) = render_str(img);
            assert_eq!(d.len(), 1, "{img}: {d:?}");
            assert!(d[0].message.contains("from another host"), "{}", d[0].message);
        }
        // End tags the article did not open would close the page's own markup; `<div/>` opens a div.
        for html in [
            "Intro\n\n</div></div>\n\n<h2 id=\"x\">Outside</h2>\n",
            "<div/>\n\ntext\n",
        ] {
            assert_balanced(&render_str(html).0.html, "<div", "</div>");
        }
        // Placeholders the sanitizer decodes from references are not kb's markup.
        let (r, _) = render_str("<div>\n<!-- c -->\n&#xFDD0;0&#xFDD1; &#xFDD0;1&#xFDD1;\n\n## Heading\n\n</div>\n");
        assert_eq!(r.html.matches("class=\"anchor\"").count(), 1, "{}", r.html);
        // The theme's ids stay the theme's.
        let (r, _) = render_str("<div id=\"search-q\">x</div>\n");
        assert!(!r.html.contains("search-q"), "{}", r.html);
        let (_, d) = render_str("## S {#search}\n");
        assert_eq!(d[0].message, "duplicate heading id `#search`");
        let (_, d) = render_str("See[^search].\n\n[^search]: note\n");
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message
                .starts_with("the footnote `[^search]` would take the id `#search`"),
            "{}",
            d[0].message
        );
        assert_eq!(d[0].position().unwrap(), "content/a.md:3:1");
        // Neither the fast path nor the writer trusts a region whose end tags do not match, or a table part outside
        // a table: a browser ignores `<td>` there, and `</div>` would close the page's own markup.
        for html in [
            "Intro\n\n<td></div>\n\n## Outside\n",
            "<b><i></div></div>\n",
            "Hi <a href=\"/x\"></kbd> there\n",
        ] {
            let (r, _) = render_str(html);
            assert_balanced(&r.html, "<div", "</div>");
            assert_balanced(&r.html, "<a ", "</a>");
        }
        // A third review: elements a browser closes that a count of tags does not see. Each goes to the sanitizer,
        // which builds the tree as a browser does: the part a browser would read otherwise is not published as is.
        for (html, verbatim) in [
            ("<ul><li><div><li></li></div></li></ul>\n\nAfter.\n", "<li></li></div>"),
            ("<dl><dt><div><dd></dd></div></dt></dl>\n\nAfter.\n", "<dd></dd></div>"),
            ("- <div>\n- x</div>\n\nAfter md list.\n", "x</div>"),
            ("> <div>\n\n</div>\n\nAfter quote.\n", "</blockquote>\n</div>"),
            (
                "<a href=\"https://evil.test/\">\n\n| h |\n|---|\n| </a> |\n\nAfter table.\n",
                "</a></td>",
            ),
            // A fourth: in a raw table but outside its cells, a `<table>` closes the open one and all it holds.
            (
                "<table><div><table></table></div></table>\n\nAfter.\n",
                "<table><div><table>",
            ),
            (
                "<table><tr><div><table></table></div></tr></table>\n\nAfter.\n",
                "<tr><div>",
            ),
            (
                "<table>\n\n| h |\n|---|\n| c |\n\n</table>\n\nAfter.\n",
                "<table>\n<div class=\"table-wrap\">",
            ),
            // A table's parts out of their places: a browser inserts what is missing.
            ("<table><td>x</td></table>\n", "<table><td>"),
            // A fifth: a Markdown heading closes a raw heading that is the current element, and `</h3>` then closes
            // whatever heading is open, through the author's `<div>`.
            (
                "<h2><div><h3>\n\n# Md\n\n</h3></div></h2>\n\nAFTER\n",
                "</h3></div></h2>",
            ),
            // A sixth: `<rt>` closes an open `<dd>`, and `</dd>` then closes the outer one through the author's div.
            (
                "<dl><dd><div><ruby><dl><dd><rt></rt></dd></dl></ruby></div></dd></dl>\n\nAFTER\n",
                "<rt></rt></dd>",
            ),
            // A block in a paragraph closes it with what is open inside it.
            ("<p><span><div></div></span></p>\n\nAFTER\n", "<span><div>"),
            ("Text <span><div>x</div></span> more\n", "<span><div>"),
        ] {
            let (r, _) = render_str(html);
            assert!(!r.html.contains(verbatim), "{html}: {}", r.html);
            assert_balanced(&r.html, "<div", "</div>");
        }
        // References a browser decodes without their `;` go to the sanitizer too.
        let (r, _) = render_str("<div id=\"searc&#104\">x</div>\n");
        assert!(!r.html.contains("searc&#104"), "{}", r.html);
        // An article's NUL is not the mark of a shared block.
        let (r, _) = render_str("[hover](/x \"t\0y\")\n");
        assert!(!r.html.contains(SHARED), "{:?}", r.html);
    }

    #[test]
    fn a_check_cards_title_id_cannot_be_taken_first() {
        let body = "<div id=\"check-m-title\">x</div>\n\n```check\nid = \"m\"\n```\n";
        let file = SourceFile::new("content/a.md", body);
        let card = CheckCard {
            id: "m".into(),
            title: "T".into(),
            description: String::new(),
            requests: vec![],
            severity: "medium".into(),
            scopes: vec![],
            command: "kb check a".into(),
            block: String::new(),
            definition: None,
            fence: body.find("```").unwrap(),
        };
        let cards = [card];
        let doc = Doc {
            file: &file,
            source: "a.md",
            body,
            body_offset: 0,
            cards: &cards,
        };
        let r = render(&doc, &Content::default(), &mut Vec::new());
        assert_eq!(r.html.matches("id=\"check-m-title\"").count(), 1, "{}", r.html);
        assert!(r.html.contains("aria-labelledby=\"check-m-1-title\""), "{}", r.html);
    }

    #[test]
    fn relative_paths_for_hints() {
        assert_eq!(links::relative_to("workflows/a.md", "api/b.md"), "../api/b.md");
        assert_eq!(links::relative_to("workflows/a.md", "workflows/b.md"), "b.md");
        assert_eq!(links::relative_to("a.md", "x/b.md"), "x/b.md");
    }
}
