//! Check blocks: the ```` ```check ```` fences of an article, kept with where each byte came from in the file, and
//! the cards the site shows for them once the check side has validated them.

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// The info string that makes a fenced code block a check.
pub const CHECK_FENCE: &str = "check";

/// A check block's TOML, and a map from its bytes to the Markdown file's (fences inside lists or quotes lose their
/// indentation, so the text is not one slice of the file).
#[derive(Debug, Clone)]
pub struct CheckBlock {
    pub text: String,
    /// `(offset in text, offset in file)` at the start of each piece, in order.
    pub pieces: Vec<(usize, usize)>,
    /// The whole fenced block in the file.
    pub fence: Range<usize>,
}

impl CheckBlock {
    /// The file offset of a byte of the block's text.
    pub fn file_offset(&self, offset: usize) -> usize {
        let i = self.pieces.partition_point(|&(t, _)| t <= offset).saturating_sub(1);
        match self.pieces.get(i) {
            Some(&(t, f)) => f + (offset - t),
            None => self.fence.start,
        }
    }
}

/// The Markdown extensions articles are read with (the site renders with the same).
pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_GFM
}

/// Whether a fence's info string marks a check block.
pub fn is_check_fence(info: &str) -> bool {
    info.split([' ', ',', '{']).next() == Some(CHECK_FENCE)
}

/// Whether a line may open a check fence (```` ```check ````, `~~~ check`): a cheap test that spares the articles
/// without one (most of them) a second Markdown parse. The word alone, as in "check the grants", does not count.
fn has_check_fence(body: &str) -> bool {
    body.lines().any(|line| {
        let line = line.trim_start();
        let rest = line.trim_start_matches(['`', '~']);
        line.len() - rest.len() >= 3 && is_check_fence(rest.trim_start())
    })
}

/// Finds the check blocks of a Markdown body that starts at `base` in its file.
pub fn extract(body: &str, base: usize) -> Vec<CheckBlock> {
    if !has_check_fence(body) {
        return Vec::new();
    }
    let mut blocks = Vec::new();
    let mut current: Option<CheckBlock> = None;
    for (event, range) in Parser::new_ext(body, markdown_options()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) if is_check_fence(&info) => {
                current = Some(CheckBlock {
                    text: String::new(),
                    pieces: Vec::new(),
                    fence: (base + range.start)..(base + range.end),
                });
            }
            Event::Text(text) => {
                if let Some(block) = current.as_mut() {
                    block.pieces.push((block.text.len(), base + range.start));
                    block.text.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => blocks.extend(current.take()),
            _ => {}
        }
    }
    blocks
}

/// What an article page shows for one check: filled in by the check side, rendered by the site.
#[derive(Debug, Clone, Default)]
pub struct CheckCard {
    pub id: String,
    pub title: String,
    /// What the check looks at, in words.
    pub description: String,
    /// The requests it makes, e.g. `GET /api/v1/apps?q=okta_flow_sso`, with values not known until run time
    /// shown as `{user}`.
    pub requests: Vec<String>,
    /// `critical` to `info`.
    pub severity: String,
    pub scopes: Vec<String>,
    /// The command that runs the article's checks.
    pub command: String,
    /// The block as written.
    pub block: String,
    /// The definition it uses: its path and its TOML.
    pub definition: Option<(std::sync::Arc<str>, std::sync::Arc<str>)>,
    /// Byte offset of the block's fence in the article: the page puts the card where the block was.
    pub fence: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_block_bytes_to_file_offsets() {
        let body = "Intro\n\n```check\nid = \"a\"\ntitle = \"t\"\n```\n\n- item\n\n  ```check\n  id = \"b\"\n  ```\n";
        let blocks = extract(body, 100);
        assert_eq!(blocks.len(), 2);
        let a = &blocks[0];
        assert_eq!(a.text, "id = \"a\"\ntitle = \"t\"\n");
        let t = a.text.find("title").unwrap();
        assert_eq!(a.file_offset(t) - 100, body.find("title").unwrap());
        let b = &blocks[1];
        assert_eq!(b.text, "id = \"b\"\n");
        assert_eq!(b.file_offset(0) - 100, body.find("id = \"b\"").unwrap());
    }

    #[test]
    fn prose_about_checks_is_not_a_fence() {
        assert!(!has_check_fence(
            "Check the grants, then check again.\n```toml\ncheck = 1\n```\n"
        ));
        assert!(has_check_fence("  ~~~ check\nid = \"a\"\n~~~\n"));
    }

    #[test]
    fn other_fences_are_not_checks() {
        assert!(extract("```toml\nid = 1\n```\n```checks\n```\n", 0).is_empty());
        assert!(is_check_fence("check"));
    }
}
