//! The articles' pages, a batch at a time: each article's Markdown is rendered, its page written and its words read
//! into the search index, and then only what the cross-checks need of it is kept. A build holds one batch of pages,
//! never the whole site's HTML, so its memory grows with the articles' sources and the index, not their pages.

use rayon::prelude::*;

use super::theme::Theme;
use super::{Model, Sink, pages, render_article, search};
use crate::diag::Diagnostic;
use crate::markdown::{self, Rendered};

/// Articles rendered at a time.
const BATCH: usize = 512;

/// Summed over threads: rendering articles' Markdown while their pages are written.
pub static MARKDOWN: crate::timing::Counter = crate::timing::Counter::new();
/// Summed over threads: reading articles' pages into the search index (and writing their fragments).
pub static INDEXING: crate::timing::Counter = crate::timing::Counter::new();

/// What lists show of each article before its Markdown is rendered: its summary, when it has no `description`
/// (the only one lists and pages show), as found at load if its text was let go then.
pub fn summaries(content: &crate::content::Content) -> Vec<Rendered> {
    content
        .articles
        .par_iter()
        .map(|a| Rendered {
            summary: match (&a.meta.description, &a.summary) {
                (Some(_), _) => String::new(),
                (None, Some(found)) => found.clone(),
                (None, None) => markdown::summary::of(a.body()),
            },
            ..Rendered::default()
        })
        .collect()
}

/// Renders every article's Markdown and, with a theme, its page, written to `out` (nowhere for `None`), adding it
/// to `index` if given. Without a theme only the Markdown is rendered: a build that has already failed still
/// reports every problem of its articles. Returns each article's anchors and the anchors it links to (for
/// [`super::check_anchors`]); problems go to `diags`.
pub fn articles(
    model: &Model<'_>,
    theme: Option<&Theme>,
    out: Option<&dyn Sink>,
    mut index: Option<&mut search::Indexer<'_>>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Rendered> {
    let site = pages::Site::of(model, out);
    let cache = out.and_then(|o| o.cached()).map(|c| c.cache);
    let n = model.content.articles.len();
    let indexing = index.is_some();
    let written = index.as_ref().and_then(|i| i.written());
    let mut outlines = Vec::with_capacity(n);
    for start in (0..n).step_by(BATCH) {
        let batch: Vec<(Rendered, Vec<Diagnostic>, Option<search::Page>)> = (start..(start + BATCH).min(n))
            .into_par_iter()
            .map(|i| {
                let mut d = Vec::new();
                let r = MARKDOWN.time(|| match cache {
                    Some(cache) => cache.article(model.content, i, &mut d),
                    None => render_article(model.content, i, &mut d),
                });
                if let Some(theme) = theme
                    && let Err(e) = pages::write_article(model, i, &r, theme, &site, out)
                {
                    d.push(*e);
                }
                let page = indexing.then(|| {
                    INDEXING.time(|| {
                        let doc = search::article_doc(model, i, &r);
                        let mut page = match cache {
                            Some(cache) => cache.search_page(&doc),
                            None => search::Page::read(&doc),
                        };
                        if let Some(written) = written {
                            page.write_fragment(written);
                        }
                        page
                    })
                });
                (outline(r), d, page)
            })
            .collect();
        for (r, d, page) in batch {
            diags.extend(d);
            outlines.push(r);
            if let (Some(index), Some(page)) = (index.as_deref_mut(), page) {
                index.add(page, true);
            }
        }
    }
    outlines
}

/// What the cross-checks need of a rendered article: its anchors and the anchors it links to.
fn outline(r: Rendered) -> Rendered {
    Rendered {
        anchors: r.anchors,
        anchor_refs: r.anchor_refs,
        ..Rendered::default()
    }
}
