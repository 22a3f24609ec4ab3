//! Where the sanitizer runs (the policy itself, and the scan that finds errors, are [`super::raw`]'s part).
//!
//! Not over the whole page, which would also filter kb's own markup (highlighted code,
//! heading anchors, check cards), and not over each raw piece alone, since pulldown-cmark hands `<details>`, the
//! Markdown inside it and `</details>` over apart. A page is cut into top-level blocks; a *segment* starts at a
//! block holding raw HTML and runs on, block by block, until the elements that raw HTML opened are closed (or the
//! page ends). Each segment is rendered with kb's own markup replaced by placeholders, sanitized as one fragment
//! (which also closes what an author left open, so an unclosed `<div>` cannot swallow the page's layout), and its
//! placeholders put back, only where they stand as text. Blocks without raw HTML are pulldown-cmark's output,
//! unchanged.

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;

use pulldown_cmark::{CowStr, Event, Tag, TagEnd, html};

use super::raw::{self, SANITIZER};
use super::wrap::wrap;
use super::{Doc, tags};
use crate::diag::{Diagnostic, SourceFile};

/// The author's raw HTML in a document's events.
#[derive(Default)]
pub struct RawPieces {
    /// Each raw piece: its event and its source span.
    pub at: Vec<(usize, Range<usize>)>,
    /// The elements raw HTML opens and closes, each with the event it belongs to.
    moves: Vec<(usize, raw::Move)>,
    /// Events whose raw HTML the sanitizer would change.
    unclean: Vec<usize>,
}

impl RawPieces {
    /// Checks the raw HTML of `pieces` (belonging to `event`) and records what the sanitizer needs of it; returns
    /// its links and ids, to be resolved.
    pub fn check(
        &mut self,
        event: usize,
        pieces: &tags::Pieces,
        file: &SourceFile,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<raw::Ref> {
        if pieces.is_empty() {
            return Vec::new();
        }
        let scanned = raw::check(pieces, file, diags);
        self.moves.extend(scanned.moves.into_iter().map(|m| (event, m)));
        if !scanned.clean {
            self.unclean.push(event);
        }
        scanned.refs
    }
}

/// Writes `events` with each segment of raw HTML that needs it sanitized (see the module's comment).
pub fn write_sanitized(
    doc: &Doc<'_>,
    mut events: Vec<Event<'_>>,
    kb_markup: &[usize],
    raw_html: &RawPieces,
    out: &mut String,
    diags: &mut Vec<Diagnostic>,
) {
    let segments = segments(&events, raw_html.at.iter().map(|(i, _)| *i), &raw_html.moves);
    // Regions whose raw HTML is already clean and closed are published as they are.
    let segments: Vec<Range<usize>> = segments
        .into_iter()
        .filter(|(s, closed)| !closed || raw_html.unclean.iter().any(|i| s.contains(i)))
        .map(|(s, _)| s)
        .collect();
    if segments.is_empty() {
        html::push_html(out, events.into_iter().map(wrap));
        return;
    }
    let mut markup = Vec::new();
    let mut inside = segments.iter().peekable();
    for &i in kb_markup {
        while inside.peek().is_some_and(|s| s.end <= i) {
            inside.next();
        }
        if inside.peek().is_some_and(|s| s.contains(&i)) {
            let html = std::mem::replace(&mut events[i], Event::Html(CowStr::Borrowed(KB_MARKUP)));
            if let Event::Html(h) = html {
                markup.push(h.into_string());
            }
        }
    }
    let len = events.len();
    let starts: HashSet<usize> = segments.iter().map(|s| s.start).collect();
    let ends: HashSet<usize> = segments.iter().map(|s| s.end).collect();
    let marker = |on: bool, m: &'static str| on.then_some(Event::Html(CowStr::Borrowed(m)));
    let marked = events
        .into_iter()
        .enumerate()
        .flat_map(|(i, e)| {
            [
                marker(ends.contains(&i), SEGMENT_END),
                marker(starts.contains(&i), SEGMENT_START),
                Some(e),
            ]
        })
        .flatten()
        .chain(marker(ends.contains(&len), SEGMENT_END));
    let mut writer = Writer::new(out, markup);
    html::write_html_fmt(&mut writer, marked.map(wrap)).expect("writing to a String cannot fail");
    for n in std::mem::take(&mut writer.lost) {
        let start = segments[n].start;
        let span = raw_html
            .at
            .iter()
            .find(|(i, _)| *i >= start)
            .map_or(0..0, |(_, s)| s.clone());
        diags.push(
            Diagnostic::error("raw HTML swallows what follows it: an element or a quote it opens is never closed")
                .at(doc.file, span)
                .label("the raw HTML that starts here")
                .hint("close every element and quote the raw HTML opens, or end the block with a blank line"),
        );
    }
}

/// The segments of `events` (see the module's comment): ranges of whole top-level blocks, from one holding a raw
/// piece (`raw`, event indices in order) to the one where the elements raw HTML opened (`moves`, in order) are
/// closed again; beside each, whether a browser builds the tree this count expects (see [`Balance`]): if not, or if
/// the page ended first, the segment goes to the sanitizer even when each of its tags is clean.
pub fn segments(
    events: &[Event<'_>],
    raw: impl Iterator<Item = usize>,
    moves: &[(usize, raw::Move)],
) -> Vec<(Range<usize>, bool)> {
    let mut raw = raw.peekable();
    let mut moves = moves.iter().peekable();
    let mut segments = Vec::new();
    let (mut depth, mut block_start) = (0usize, 0);
    let mut open: Option<(usize, Balance<'_>)> = None;
    for (i, e) in events.iter().enumerate() {
        match e {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > 0 {
            continue;
        }
        // A whole top-level block: `block_start..=i`.
        let mut has_raw = false;
        while raw.next_if(|&r| r <= i).is_some() {
            has_raw = true;
        }
        if open.is_none() && has_raw {
            open = Some((block_start, Balance::default()));
        }
        if let Some((start, balance)) = open.as_mut() {
            for (j, e) in events.iter().enumerate().take(i + 1).skip(block_start) {
                balance.markdown(e);
                while let Some((_, m)) = moves.next_if(|(at, _)| *at <= j) {
                    balance.raw(m);
                }
            }
            if balance.stack.is_empty() {
                segments.push((*start..i + 1, !balance.odd));
                open = None;
            }
        } else {
            while moves.next_if(|(at, _)| *at <= i).is_some() {}
        }
        block_start = i + 1;
    }
    if let Some((start, _)) = open {
        segments.push((start..events.len(), false));
    }
    segments
}

/// An element open in a region: one Markdown wrote (by the name its rules need: `h`, `a`, or `md`) or one of the
/// raw HTML.
#[derive(Debug, PartialEq)]
enum Open<'m> {
    Markdown(&'static str),
    Raw(&'m str),
}

/// The elements open in a region, and whether a browser may build another tree than this stack: an end tag that
/// does not close the last element open (`</div>` closing the page's own markup, `<b><i></b>`, a raw `</a>` in a
/// Markdown table cell, a Markdown list item ending over a raw `<div>`), or a start tag a browser reads as closing
/// others (`<li>` outside a list closes what is open up to the last `<li>`; the same for `<dd>`, `<dt>`; a heading
/// in a heading; a link in a link; a block in a paragraph) or drops or completes (a part of a table anywhere but in its place: `<td>` only
/// in a `<tr>`, `<tr>` only in a table or its sections), or an element in a raw table but outside its cells (a
/// browser moves it out in front of the table).
#[derive(Debug, Default)]
struct Balance<'m> {
    stack: Vec<Open<'m>>,
    odd: bool,
}

impl<'m> Balance<'m> {
    fn markdown(&mut self, event: &Event<'_>) {
        match event {
            Event::Start(Tag::HtmlBlock) | Event::End(TagEnd::HtmlBlock) => {}
            Event::Start(tag) => {
                let name = match tag {
                    Tag::Heading { .. } => "h",
                    Tag::Link { .. } => "a",
                    Tag::Paragraph => "p",
                    _ => "md",
                };
                let inline = matches!(
                    tag,
                    Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. } | Tag::Image { .. }
                );
                self.odd |= (name == "a" && self.has_link())
                    || (name == "h" && self.heading_on_top())
                    || (!inline && self.paragraph_open())
                    || self.in_table_outside_a_cell();
                self.stack.push(Open::Markdown(name));
            }
            Event::End(_) => {
                if matches!(self.stack.last(), Some(Open::Markdown(_))) {
                    self.stack.pop();
                } else {
                    // A raw element left open inside a Markdown container: recover at that container.
                    self.odd = true;
                    if let Some(at) = self.stack.iter().rposition(|o| matches!(o, Open::Markdown(_))) {
                        self.stack.truncate(at);
                    }
                }
            }
            _ => {}
        }
    }

    fn raw(&mut self, m: &'m raw::Move) {
        let name = m.name.as_str();
        if !m.open {
            if self.stack.last() == Some(&Open::Raw(name)) {
                self.stack.pop();
            } else {
                self.odd = true;
            }
            return;
        }
        let top = self.stack.last();
        self.odd |= match name {
            "li" => !matches!(top, Some(Open::Raw("ul" | "ol"))),
            "dd" | "dt" => top != Some(&Open::Raw("dl")),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => self.heading_on_top() || self.paragraph_open(),
            "a" => self.has_link() || self.in_table_outside_a_cell(),
            // Block elements close an open paragraph, with whatever is open inside it.
            "blockquote" | "details" | "div" | "dl" | "figure" | "figcaption" | "ol" | "p" | "pre" | "summary"
            | "table" | "ul" => self.paragraph_open() || self.in_table_outside_a_cell(),
            // A table's parts only where a table has them, or a browser inserts and closes elements of its own.
            "caption" | "colgroup" | "thead" | "tbody" | "tfoot" => top != Some(&Open::Raw("table")),
            "tr" => !matches!(top, Some(Open::Raw("table" | "thead" | "tbody" | "tfoot"))),
            "td" | "th" => top != Some(&Open::Raw("tr")),
            _ => self.in_table_outside_a_cell(),
        };
        self.stack.push(Open::Raw(name));
    }

    /// Whether what opens now would stand in a raw `<table>` but in none of its cells: a browser moves such content
    /// out in front of the table (and a `<table>` there closes the one open with all it holds), so the tree is not
    /// the stack's.
    fn in_table_outside_a_cell(&self) -> bool {
        for open in self.stack.iter().rev() {
            match open {
                Open::Raw("td" | "th" | "caption") => return false,
                Open::Raw("table") => return true,
                _ => {}
            }
        }
        false
    }

    /// Whether a paragraph (raw or Markdown's) is open where a block element would close it: a browser closes the
    /// paragraph, and all that is open inside it, at the block's start tag ("p in button scope").
    fn paragraph_open(&self) -> bool {
        for open in self.stack.iter().rev() {
            match open {
                Open::Raw("p") | Open::Markdown("p") => return true,
                Open::Raw("table" | "td" | "th" | "caption") => return false,
                _ => {}
            }
        }
        false
    }

    /// A heading's start tag closes a heading that is the current element (raw or Markdown's).
    fn heading_on_top(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Open::Markdown("h") | Open::Raw("h1" | "h2" | "h3" | "h4" | "h5" | "h6"))
        )
    }

    fn has_link(&self) -> bool {
        self.stack
            .iter()
            .any(|o| matches!(o, Open::Markdown("a") | Open::Raw("a")))
    }
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
    /// In every placeholder, so that text an article holds (`&#xFDD0;0&#xFDD1;`, which the sanitizer decodes) can
    /// never pass for one: it is random, and never written out.
    nonce: u64,
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
            nonce: rand::random(),
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
                let restored = restore(&clean, &self.markup, first..self.next, self.nonce, self.out);
                if restored < self.next - first {
                    self.lost.push(self.segments);
                }
                self.segments += 1;
            }
        } else if let Some((html, _)) = self.segment.as_mut() {
            if same(s, KB_MARKUP) {
                html.push(SLOT_OPEN);
                html.push_str(&format!("{:016x}-{}", self.nonce, self.next));
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

/// Appends sanitized `html` to `out` with the placeholders of `markup[range]` replaced by that markup, each once
/// and only where it stands as text; one inside a tag (raw HTML left an attribute's quote open over it) is dropped,
/// and so is anything shaped like a placeholder without `nonce`. Returns how many were put back.
fn restore(html: &str, markup: &[String], range: Range<usize>, nonce: u64, out: &mut String) -> usize {
    let mut used = vec![false; range.len()];
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
                let slot = rest[..close].split_once('-');
                let n = slot
                    .filter(|(key, _)| u64::from_str_radix(key, 16).ok() == Some(nonce))
                    .and_then(|(_, n)| n.parse::<usize>().ok())
                    .filter(|n| range.contains(n) && !used[n - range.start]);
                rest = &rest[close + SLOT_CLOSE.len_utf8()..];
                if let (Some(n), In::Text) = (n, &state) {
                    used[n - range.start] = true;
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
    fn placeholders_come_back_only_as_text() {
        let markup = vec!["<b>kb</b>".to_string(), "<i>kb</i>".to_string()];
        let mut out = String::new();
        let slot = |n: usize| format!("{SLOT_OPEN}{:016x}-{n}{SLOT_CLOSE}", 7u64);
        let html = format!("<p title=\"a{}\">{} x &gt; y</p>", slot(0), slot(1));
        assert_eq!(restore(&html, &markup, 0..2, 7, &mut out), 1);
        assert_eq!(out, "<p title=\"a\"><i>kb</i> x &gt; y</p>");
        // Forged: another nonce, no nonce, the same slot twice.
        let mut out = String::new();
        let html = format!(
            "{SLOT_OPEN}1{SLOT_CLOSE}{}{}{}",
            slot(0),
            slot(0),
            slot(0).replace("0000000000000007", "8")
        );
        assert_eq!(restore(&html, &markup, 0..2, 7, &mut out), 1);
        assert_eq!(out, "<b>kb</b>");
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
