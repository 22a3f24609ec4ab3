//! Blocks kb writes in its own markup around what pulldown-cmark gives: tables in a scrolling wrapper, and
//! GitHub-style callouts (`> [!NOTE]`, `[!TIP]`, `[!IMPORTANT]`, `[!WARNING]`, `[!CAUTION]`, as GitHub, Hugo and
//! mdBook render them) as a titled box.

use pulldown_cmark::{BlockQuoteKind, Event, Tag, TagEnd, html};

/// The event as kb writes it: a table's start and end wrapped, a callout's start and end made a titled box.
pub(crate) fn wrap(event: Event<'_>) -> Event<'_> {
    match event {
        Event::Start(Tag::Table(_)) => {
            let mut html = String::from("<div class=\"table-wrap\">");
            html::push_html(&mut html, std::iter::once(event));
            Event::Html(html.into())
        }
        Event::End(TagEnd::Table) => Event::Html("</table></div>\n".into()),
        Event::Start(Tag::BlockQuote(Some(kind))) => {
            let (class, title) = callout(kind);
            Event::Html(
                format!(
                    "<div class=\"callout callout-{class}\" role=\"note\"><p class=\"callout-title\">{title}</p>\n"
                )
                .into(),
            )
        }
        Event::End(TagEnd::BlockQuote(Some(_))) => Event::Html("</div>\n".into()),
        other => other,
    }
}

/// A callout's class and title.
fn callout(kind: BlockQuoteKind) -> (&'static str, &'static str) {
    match kind {
        BlockQuoteKind::Note => ("note", "Note"),
        BlockQuoteKind::Tip => ("tip", "Tip"),
        BlockQuoteKind::Important => ("important", "Important"),
        BlockQuoteKind::Warning => ("warning", "Warning"),
        BlockQuoteKind::Caution => ("caution", "Caution"),
    }
}

#[cfg(test)]
mod tests {
    use pulldown_cmark::Parser;

    use super::*;

    fn render(md: &str) -> String {
        let mut out = String::new();
        html::push_html(
            &mut out,
            Parser::new_ext(md, crate::content::blocks::markdown_options()).map(wrap),
        );
        out
    }

    #[test]
    fn callouts_are_titled_boxes_and_a_plain_quote_stays_a_quote() {
        assert_eq!(
            render("> [!WARNING]\n> Revoking the token stops **every** flow.\n"),
            "<div class=\"callout callout-warning\" role=\"note\"><p class=\"callout-title\">Warning</p>\n\
             <p>Revoking the token stops <strong>every</strong> flow.</p>\n</div>\n"
        );
        assert_eq!(render("> [!TIP]\n> x\n").matches("callout-tip").count(), 1);
        assert_eq!(
            render("> Just a quote.\n"),
            "<blockquote>\n<p>Just a quote.</p>\n</blockquote>\n"
        );
        assert!(render("| a |\n|---|\n| b |\n").starts_with("<div class=\"table-wrap\"><table>"));
    }
}
