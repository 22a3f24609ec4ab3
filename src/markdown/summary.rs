//! A document's summary: the plain text of its first paragraph, which lists and the page's description show when
//! front matter has no `description`. One tracker serves the renderer and [`of`], which finds a summary without
//! rendering (so that a build can list articles before it renders them).

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

/// Longest summary, in bytes; a longer first paragraph is cut at a space and ends in `…`.
const MAX: usize = 240;

/// Follows a document's events and keeps the text of its first paragraph.
#[derive(Default)]
pub struct Summary {
    text: String,
    heading: bool,
    code: bool,
    in_first: bool,
    seen: bool,
}

impl Summary {
    pub fn event(&mut self, event: &Event<'_>) {
        match event {
            Event::Start(Tag::Heading { .. }) => self.heading = true,
            Event::End(TagEnd::Heading(_)) => self.heading = false,
            Event::Start(Tag::CodeBlock(_)) => self.code = true,
            Event::End(TagEnd::CodeBlock) => self.code = false,
            Event::Start(Tag::Paragraph) if !self.seen && !self.heading => {
                self.seen = true;
                self.in_first = true;
            }
            Event::End(TagEnd::Paragraph) => self.in_first = false,
            Event::Text(t) | Event::Code(t) if !self.code && self.in_first => self.push(t),
            Event::SoftBreak if self.in_first => self.text.push(' '),
            _ => {}
        }
    }

    /// The first paragraph has ended: no later event changes the summary.
    pub fn done(&self) -> bool {
        self.seen && !self.in_first
    }

    pub fn finish(self) -> String {
        self.text
    }

    fn push(&mut self, text: &str) {
        let summary = &mut self.text;
        if summary.len() >= MAX {
            return;
        }
        summary.push_str(text);
        if summary.len() > MAX {
            let mut cut = MAX;
            while !summary.is_char_boundary(cut) {
                cut -= 1;
            }
            let cut = summary[..cut].rfind(' ').unwrap_or(cut);
            summary.truncate(cut);
            summary.push('…');
        }
    }
}

/// The summary of a Markdown body, as [`super::render`] finds it, without rendering the body.
pub fn of(body: &str) -> String {
    let body = body.replace(super::SHARED, " ");
    let mut s = Summary::default();
    for event in Parser::new_ext(&body, crate::content::blocks::markdown_options()) {
        s.event(&event);
        if s.done() {
            break;
        }
    }
    s.finish()
}
