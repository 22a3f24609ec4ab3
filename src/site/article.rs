//! An article's page: what `article.html` sees as `article`.

use serde::Serialize;

use super::Model;
use super::pages::{Item, NamedLink, date_str};
use super::status::ArticleStatus;
use super::taxonomy::Kind;
use crate::markdown::{Rendered, TocEntry};

#[derive(Serialize)]
pub(super) struct ArticlePage<'a> {
    title: &'a str,
    description: String,
    url: &'a str,
    permalink: String,
    source: String,
    date: Option<String>,
    /// `updated`, else the last commit's date from git, else `date`.
    updated: Option<String>,
    /// When someone last checked it was still right (`reviewed`), and who keeps it (`owner`, in an internal build
    /// only).
    reviewed: Option<String>,
    owner: Option<&'a str>,
    /// Where its source can be edited (`edit_url` in kb.toml).
    edit_url: Option<String>,
    /// Only in an internal build: the article is for the support team.
    internal: bool,
    products: Vec<NamedLink>,
    applies_to: &'a [String],
    errors: Vec<NamedLink>,
    tags: Vec<NamedLink>,
    content: std::borrow::Cow<'a, str>,
    toc: &'a [TocEntry],
    /// Empty when the body has a "Related articles" heading of its own.
    related: Vec<Item>,
    breadcrumbs: Vec<NamedLink>,
    extra: &'a serde_json::Value,
    /// The org's result for this article (`kb build --report`); the page then carries `noindex`.
    status: Option<&'a ArticleStatus>,
}

impl Model<'_> {
    /// Article `i`'s page, its Markdown rendered as `r`.
    pub(super) fn article_page<'m>(&'m self, i: usize, r: &'m Rendered) -> ArticlePage<'m> {
        let a = &self.content.articles[i];
        let links = |kind: Kind, values: &[String]| -> Vec<NamedLink> {
            values.iter().filter_map(|v| self.term_link(kind, v)).collect()
        };
        let related = if has_related_heading(&r.toc) {
            Vec::new()
        } else {
            self.related[i].iter().map(|&j| self.item(j)).collect()
        };
        ArticlePage {
            title: a.title(),
            description: a
                .meta
                .description
                .clone()
                .unwrap_or_else(|| r.summary.trim().to_string()),
            url: &a.url,
            permalink: self.config.permalink(&a.url),
            source: a.file.path.clone(),
            date: date_str(a.meta.date),
            updated: date_str(a.updated()),
            reviewed: date_str(a.meta.reviewed),
            // Often a person's address: shown to the team only.
            owner: a.meta.owner.as_deref().filter(|_| self.internal()),
            edit_url: self.config.edit_url.as_ref().map(|base| edit_link(base, &a.source)),
            internal: a.internal,
            products: links(Kind::Products, &a.meta.products),
            applies_to: &a.meta.applies_to,
            errors: links(Kind::Errors, &a.meta.errors),
            tags: links(Kind::Tags, &a.meta.tags),
            content: r.full_html(),
            toc: &r.toc,
            related,
            breadcrumbs: self.breadcrumbs(a.section),
            extra: &a.meta.extra,
            status: self.status.and_then(|st| st.articles.get(&a.slug)),
        }
    }
}

/// The article's own list of related articles, under a heading of its own ("Related articles", "Related"):
/// the theme's list would repeat it.
fn has_related_heading(toc: &[TocEntry]) -> bool {
    toc.iter().any(|e| {
        let t = e.title.trim().trim_end_matches(':').to_ascii_lowercase();
        matches!(
            t.as_str(),
            "related" | "related articles" | "related topics" | "see also"
        ) || has_related_heading(&e.children)
    })
}

/// `edit_url` with the source path appended, each segment percent-encoded.
fn edit_link(base: &str, source: &str) -> String {
    let path: Vec<String> = source
        .split('/')
        .map(|seg| percent_encoding::utf8_percent_encode(seg, crate::text::URL_SEGMENT).to_string())
        .collect();
    let sep = if base.ends_with('/') { "" } else { "/" };
    format!("{base}{sep}{}", path.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(title: &str, children: Vec<TocEntry>) -> TocEntry {
        TocEntry {
            level: 2,
            id: String::new(),
            title: title.into(),
            children,
        }
    }

    #[test]
    fn a_heading_of_related_articles_anywhere_in_the_toc_is_found() {
        assert!(has_related_heading(&[
            entry("Fix", vec![]),
            entry("Related articles", vec![])
        ]));
        assert!(has_related_heading(&[entry("Fix", vec![entry("See also:", vec![])])]));
        assert!(!has_related_heading(&[entry("Related errors in the log", vec![])]));
    }

    #[test]
    fn the_edit_link_appends_the_source_path_encoded() {
        assert_eq!(
            edit_link("https://github.com/acme/help/edit/main/content", "sso/a b.md"),
            "https://github.com/acme/help/edit/main/content/sso/a%20b.md"
        );
    }
}
