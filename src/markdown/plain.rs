//! An article's section as plain text, for a terminal: `kb diagnose` prints the Solution steps this way.

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

/// The text of the section under the first `##` heading named `heading` (any case), up to the next heading of
/// its level or higher: numbered and bulleted lists as such, code blocks indented by four spaces, links as their
/// text, each block on its own line. `None` when the article has no such section.
pub fn section(markdown: &str, heading: &str) -> Option<String> {
    let mut out = String::new();
    let (mut inside, mut in_heading, mut title) = (false, false, String::new());
    // Per open list: the next item's number, or `None` for bullets.
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut code = false;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Heading { level, .. }) if level <= HeadingLevel::H2 => {
                if inside {
                    break;
                }
                in_heading = true;
                title.clear();
            }
            Event::End(TagEnd::Heading(level)) if level <= HeadingLevel::H2 => {
                in_heading = false;
                inside = title.trim().eq_ignore_ascii_case(heading);
            }
            Event::Text(t) | Event::Code(t) if in_heading => title.push_str(&t),
            _ if !inside => {}
            Event::Start(Tag::List(start)) => lists.push(start),
            Event::End(TagEnd::List(_)) => {
                lists.pop();
            }
            Event::Start(Tag::Item) => {
                line_break(&mut out);
                out.push_str(&"   ".repeat(lists.len().saturating_sub(1)));
                match lists.last_mut() {
                    Some(Some(n)) => {
                        out.push_str(&format!("{n}. "));
                        *n += 1;
                    }
                    _ => out.push_str("- "),
                }
            }
            Event::Start(Tag::CodeBlock(_)) => {
                line_break(&mut out);
                code = true;
            }
            Event::End(TagEnd::CodeBlock) => code = false,
            Event::Text(t) if code => {
                for l in t.lines() {
                    out.push_str("    ");
                    out.push_str(l);
                    out.push('\n');
                }
            }
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push('\n'),
            Event::Start(Tag::Paragraph) if lists.is_empty() => line_break(&mut out),
            Event::End(TagEnd::Paragraph) => {}
            Event::End(TagEnd::Item) => line_break(&mut out),
            _ => {}
        }
    }
    let text = out.trim_end().to_string();
    (!text.is_empty() || inside).then_some(text).filter(|t| !t.is_empty())
}

/// Ends the line being written, if any.
fn line_break(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_reads_as_plain_text() {
        let md = "## Cause\n\nWhy.\n\n## Solution\n\n1. Open **Applications**.\n2. Assign the `admin`:\n   - directly\n\n```sh\ncurl x\n```\n\n## Verify\n\nDone.\n";
        assert_eq!(
            section(md, "solution").unwrap(),
            "1. Open Applications.\n2. Assign the admin:\n   - directly\n    curl x"
        );
        assert_eq!(section(md, "Nope"), None);
    }
}
