//! The error catalogues' entries in the search index: their pages as documents after the articles, and how they
//! rank (below the articles listing them, and at half weight).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

use super::{Doc, File, Settings, index_docs};
use crate::content::FrontMatter;

/// How much a secondary page's words count (an error catalogue entry's page; see [`Ranking`]).
pub const SECONDARY: f64 = 0.4;

/// The pages of the error catalogues' entries as search documents (after the articles): the entry's key and
/// title as the title, its key, code and message as its error signatures. Each ranks below the articles that list
/// it (`below` in `meta.json.gz`): a reader who pastes a code an article explains lands on the article, and on the
/// entry's page only when no article has it.
#[derive(Clone, Default)]
pub struct Entries {
    docs: Vec<(String, FrontMatter)>,
    /// Per entry, the articles listing it.
    articles: Vec<Vec<u32>>,
}

impl Entries {
    pub fn new(config: &crate::config::Config, errors: &crate::site::taxonomy::Taxonomy) -> Entries {
        let mut out = Entries::default();
        for t in &errors.terms {
            let Some(at) = t.entry else { continue };
            let (cat, entry) = crate::catalogue::entry_at(&config.catalogues, at);
            let mut errors = vec![entry.key().to_string()];
            if entry.code != entry.key() {
                errors.push(entry.code.clone());
            }
            errors.push(entry.message.clone());
            let meta = FrontMatter {
                title: Some(format!("{}: {}", t.name, entry.title)),
                description: Some(format!("HTTP {} · {}", entry.status, cat.name)),
                errors,
                ..FrontMatter::default()
            };
            out.docs.push((config.url(&format!("errors/{}/", t.slug)), meta));
            out.articles.push(t.articles.iter().map(|&i| i as u32).collect());
        }
        out
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    pub fn doc(&self, i: usize) -> Doc<'_> {
        let (url, meta) = &self.docs[i];
        Doc {
            url,
            meta,
            body: Cow::Borrowed(""),
        }
    }

    /// Indexes `n` articles (the `i`-th being `article(i)`), then these entries' pages, ranked as
    /// [`Entries::ranking`] says.
    pub fn index<'a>(&'a self, settings: &Settings, n: usize, article: impl Fn(usize) -> Doc<'a> + Sync) -> Vec<File> {
        let doc = |i: usize| if i < n { article(i) } else { self.doc(i - n) };
        index_docs(settings, n + self.len(), &self.ranking(n), doc)
    }

    /// Adds these entries' pages to an index holding `articles` articles' pages, and finishes it into `out`
    /// ([`super::Indexer::finish_into`]).
    pub fn finish_into(
        &self,
        mut index: super::Indexer<'_>,
        articles: usize,
        out: &mut dyn FnMut(File) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        index.read(self.len(), |i| self.doc(i), false);
        index.finish_into(&self.ranking(articles), out)
    }

    /// How the entries rank, their pages coming after the `articles` pages: below the articles listing them,
    /// and as secondary pages.
    pub fn ranking(&self, articles: usize) -> Ranking {
        Ranking {
            below: self
                .articles
                .iter()
                .enumerate()
                .filter(|(_, list)| !list.is_empty())
                .map(|(i, list)| ((articles + i) as u32, list.clone()))
                .collect(),
            secondary_from: (!self.is_empty()).then_some(articles as u32),
        }
    }
}

/// What ranks pages besides their words: written into `meta.json.gz` for the browser.
#[derive(Default, Serialize)]
pub struct Ranking {
    /// A page, and the pages that always rank above it when both could be shown.
    pub below: BTreeMap<u32, Vec<u32>>,
    /// Pages from this one on are secondary (error catalogue entries): their words count [`SECONDARY`] as much,
    /// so that a query of common words finds articles first, while an entry's own code or message, which no
    /// article holds, still finds the entry.
    pub secondary_from: Option<u32>,
}
