//! Products, tags and error signatures: each value gets a page listing its articles. Built in one pass over the
//! articles (linear in their number), keyed by slug so that spelling variants of one value share a page.

use std::collections::{BTreeMap, HashMap};

use crate::catalogue::Catalogue;
use crate::content::slug::{error_slug, slugify};
use crate::content::{Content, FrontMatter};

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
    /// The error catalogue entry this page is (errors only): `(catalogue, entry)` in the config's catalogues.
    pub entry: Option<(usize, usize)>,
}

impl Term {
    fn new(name: &str, slug: String) -> Term {
        Term {
            name: name.to_string(),
            slug,
            articles: Vec::new(),
            entry: None,
        }
    }
}

/// One error catalogue's coverage (see [`Taxonomy::coverage`]).
#[derive(Default)]
pub struct Coverage<'t> {
    pub covered: usize,
    pub uncovered: Vec<&'t Term>,
}

impl Coverage<'_> {
    pub fn total(&self) -> usize {
        self.covered + self.uncovered.len()
    }
}

#[derive(Debug, Clone)]
pub struct Taxonomy {
    pub kind: Kind,
    /// Sorted by slug.
    pub terms: Vec<Term>,
    index: BTreeMap<String, usize>,
}

impl Taxonomy {
    /// The terms of `kind` the articles give, and for errors, one per entry of the catalogues: an entry whose key
    /// makes the same page as an article's signature shares it; the articles that list an entry's key or its message
    /// word for word are its articles. Two catalogues' entries with the same key are kept apart (the later one's page
    /// is prefixed with its catalogue's id).
    pub fn build(kind: Kind, content: &Content, catalogues: &[Catalogue]) -> Taxonomy {
        Taxonomy::build_in(kind, content, catalogues, &content.ranks())
    }

    /// The products', tags' and error signatures' taxonomies, the site's order ([`Content::ranks`]) worked out
    /// once for the three.
    pub fn all(content: &Content, catalogues: &[Catalogue]) -> [Taxonomy; 3] {
        let rank = content.ranks();
        [
            Taxonomy::build_in(Kind::Products, content, &[], &rank),
            Taxonomy::build_in(Kind::Tags, content, &[], &rank),
            Taxonomy::build_in(Kind::Errors, content, catalogues, &rank),
        ]
    }

    /// [`Taxonomy::build`], each term's articles sorted by `rank` (each article's place in the site's order).
    fn build_in(kind: Kind, content: &Content, catalogues: &[Catalogue], rank: &[u32]) -> Taxonomy {
        let mut by_slug: BTreeMap<String, Term> = BTreeMap::new();
        for (i, a) in content.articles.iter().enumerate() {
            for v in kind.values(&a.meta) {
                let slug = term_slug(kind, v);
                if slug.is_empty() {
                    continue;
                }
                let term = by_slug.entry(slug.clone()).or_insert_with(|| Term::new(v.trim(), slug));
                if term.articles.last() != Some(&i) {
                    term.articles.push(i);
                }
            }
        }
        if kind == Kind::Errors {
            add_entries(&mut by_slug, content, catalogues);
        }
        let terms: Vec<Term> = by_slug.into_values().collect();
        let index = terms.iter().enumerate().map(|(i, t)| (t.slug.clone(), i)).collect();
        let mut tax = Taxonomy { kind, terms, index };
        // Within a term, articles follow the site's usual order.
        for t in &mut tax.terms {
            t.articles.sort_unstable_by_key(|&i| rank[i]);
            t.articles.dedup();
        }
        tax
    }

    /// Per error catalogue (of `catalogues` loaded), how many of its entries an article covers, and the terms of
    /// those none covers, in the catalogue's order.
    pub fn coverage(&self, catalogues: usize) -> Vec<Coverage<'_>> {
        let mut out: Vec<Coverage> = (0..catalogues).map(|_| Coverage::default()).collect();
        for t in &self.terms {
            let Some((c, _)) = t.entry else { continue };
            if t.articles.is_empty() {
                out[c].uncovered.push(t);
            } else {
                out[c].covered += 1;
            }
        }
        for c in &mut out {
            c.uncovered.sort_by_key(|t| t.entry);
        }
        out
    }

    /// The term for a value as written in front matter.
    pub fn term(&self, value: &str) -> Option<&Term> {
        self.index.get(&term_slug(self.kind, value)).map(|&i| &self.terms[i])
    }
}

/// Gives every catalogue entry its term (see [`Taxonomy::build`]).
fn add_entries(by_slug: &mut BTreeMap<String, Term>, content: &Content, catalogues: &[Catalogue]) {
    // The articles listing each signature, word for word (trimmed).
    let mut listing: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, a) in content.articles.iter().enumerate() {
        for v in &a.meta.errors {
            listing.entry(v.trim()).or_default().push(i);
        }
    }
    for (c, cat) in catalogues.iter().enumerate() {
        for (e, entry) in cat.entries.iter().enumerate() {
            // Page slugs are unique within a catalogue (its loader sees to it); another catalogue's entry on the
            // same page is kept apart, under the catalogue's id (numbered, in the unlikely case that is taken too).
            let taken = |slug: &str| by_slug.get(slug).is_some_and(|t| t.entry.is_some());
            let mut slug = term_slug(Kind::Errors, entry.key());
            if taken(&slug) {
                let base = term_slug(Kind::Errors, &format!("{} {}", cat.id, entry.key()));
                let numbered = |n: usize| if n == 1 { base.clone() } else { format!("{base}-{n}") };
                slug = (1..).map(numbered).find(|s| !taken(s)).unwrap_or_default();
            }
            let term = by_slug
                .entry(slug.clone())
                .or_insert_with(|| Term::new(entry.key(), slug));
            term.entry.get_or_insert((c, e));
            let message = entry.message.trim();
            if let Some(list) = listing.get(message) {
                term.articles.extend(list);
            }
        }
    }
}

pub fn term_slug(kind: Kind, value: &str) -> String {
    match kind {
        Kind::Errors => error_slug(value),
        _ => slugify(value),
    }
}
