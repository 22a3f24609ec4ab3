//! Products, tags and error signatures: each value gets a page listing its articles. Built in one pass over the
//! articles (linear in their number), keyed by slug so that spelling variants of one value share a page.

use std::collections::BTreeMap;

use crate::content::slug::{slugify, slugify_bounded};
use crate::content::{Content, FrontMatter};

/// Error messages can be long: their page slugs are cut at a dash under this many bytes.
const ERROR_SLUG_MAX: usize = 80;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Products,
    Tags,
    Errors,
}

impl Kind {
    pub fn dir(self) -> &'static str {
        match self {
            Kind::Products => "products",
            Kind::Tags => "tags",
            Kind::Errors => "errors",
        }
    }

    /// The values an article's front matter gives this kind.
    pub fn values(self, meta: &FrontMatter) -> &[String] {
        match self {
            Kind::Products => &meta.products,
            Kind::Tags => &meta.tags,
            Kind::Errors => &meta.errors,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Kind::Products => "Products",
            Kind::Tags => "Tags",
            Kind::Errors => "Error index",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Term {
    pub name: String,
    pub slug: String,
    pub articles: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Taxonomy {
    pub kind: Kind,
    /// Sorted by slug.
    pub terms: Vec<Term>,
    index: BTreeMap<String, usize>,
}

impl Taxonomy {
    pub fn build(kind: Kind, content: &Content) -> Taxonomy {
        let mut by_slug: BTreeMap<String, Term> = BTreeMap::new();
        for (i, a) in content.articles.iter().enumerate() {
            for v in kind.values(&a.meta) {
                let slug = term_slug(kind, v);
                if slug.is_empty() {
                    continue;
                }
                let term = by_slug.entry(slug.clone()).or_insert_with(|| Term {
                    name: v.trim().to_string(),
                    slug,
                    articles: vec![],
                });
                if term.articles.last() != Some(&i) {
                    term.articles.push(i);
                }
            }
        }
        let terms: Vec<Term> = by_slug.into_values().collect();
        let index = terms.iter().enumerate().map(|(i, t)| (t.slug.clone(), i)).collect();
        let mut tax = Taxonomy { kind, terms, index };
        // Within a term, articles follow the site's usual order.
        for t in &mut tax.terms {
            t.articles.sort_by_cached_key(|&i| {
                let a = &content.articles[i];
                (a.meta.weight, a.title().to_lowercase(), a.source.clone())
            });
        }
        tax
    }

    /// The term for a value as written in front matter.
    pub fn term(&self, value: &str) -> Option<&Term> {
        self.index.get(&term_slug(self.kind, value)).map(|&i| &self.terms[i])
    }
}

pub fn term_slug(kind: Kind, value: &str) -> String {
    match kind {
        Kind::Errors => slugify_bounded(value, ERROR_SLUG_MAX),
        _ => slugify(value),
    }
}
