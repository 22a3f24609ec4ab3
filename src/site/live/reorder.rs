//! An edit that leaves each edited article in the lists it was in: the same products, tags, error signatures,
//! aliases and audience, but another title, weight, date, description or `related`. The lists that hold an edited
//! article are put in order again by a search per article, and the related links of its section are worked out
//! again; the taxonomies, the rest of the related links and the page plan (but for the sitemap, when a date
//! changed) stay as they are. The whole site's lists are not worked out again, which is what makes a front-matter
//! edit cheap at any size.

use std::collections::{BTreeSet, HashMap};

use super::{Touched, pages_between, widen};
use crate::content::{Article, Content};
use crate::diag::Diagnostic;
use crate::site::pages::Plan;
use crate::site::sitemap::SitemapEntry;
use crate::site::taxonomy::Kind;
use crate::site::{Model, Parts, related_of};

/// What [`Reorder::apply`] changed, to work out the pages it touched and to put it back.
pub(super) struct Reorder {
    /// The edited articles.
    moved: Vec<usize>,
    /// The edited articles' sections' lists before.
    sections: Vec<(usize, Vec<usize>)>,
    /// The lists before of the terms holding an edited article: (kind, term, articles).
    terms: Vec<(Kind, usize, Vec<usize>)>,
    /// The related links before of the articles whose links changed.
    related: Vec<(usize, Vec<usize>)>,
    /// The sitemap before, when an edited date changed it.
    sitemap: Option<Vec<SitemapEntry>>,
}

impl Reorder {
    /// Whether an edit of `before` into `now` keeps the article in the same lists and pages.
    pub fn applies(before: &Article, now: &Article) -> bool {
        let (b, n) = (&before.meta, &now.meta);
        b.products == n.products
            && b.tags == n.tags
            && b.errors == n.errors
            && b.aliases == n.aliases
            && before.internal == now.internal
            && before.section == now.section
            && before.url == now.url
    }

    /// Puts the edited articles (`moved`) in their places in their sections' and terms' lists, and works out
    /// their sections' related links again (problems in `related` go to `diags`).
    pub fn apply(content: &mut Content, parts: &mut Parts, moved: Vec<usize>, diags: &mut Vec<Diagnostic>) -> Reorder {
        let sections: BTreeSet<usize> = moved.iter().map(|&i| content.articles[i].section).collect();
        let mut reorder = Reorder {
            moved,
            sections: Vec::new(),
            terms: Vec::new(),
            related: Vec::new(),
            sitemap: None,
        };
        for &s in &sections {
            let mut list = std::mem::take(&mut content.sections[s].articles);
            let before = list.clone();
            content.reposition(&mut list, &reorder.moved);
            content.sections[s].articles = list;
            reorder.sections.push((s, before));
        }
        for tax in [&mut parts.products, &mut parts.tags, &mut parts.errors] {
            for (t, term) in tax.terms.iter_mut().enumerate() {
                if term.articles.iter().any(|i| reorder.moved.contains(i)) {
                    let before = term.articles.clone();
                    content.reposition(&mut term.articles, &reorder.moved);
                    reorder.terms.push((tax.kind, t, before));
                }
            }
        }
        for &s in &sections {
            for (p, &j) in content.sections[s].articles.iter().enumerate() {
                let now = related_of(content, j, p, diags);
                if now != parts.related[j] {
                    reorder.related.push((j, std::mem::replace(&mut parts.related[j], now)));
                }
            }
        }
        reorder
    }

    /// Works the plan's sitemap out again if an edit changed a date that it shows (`dated`).
    pub fn refresh_sitemap(&mut self, model: &Model<'_>, plan: &mut Plan, dated: bool) {
        if dated {
            self.sitemap = plan.refresh_sitemap(model);
        }
    }

    /// The pages to render: the edited articles' and those whose related links changed or show one; in each list
    /// holding an edited article, the pages from its old place to its new one; the sitemap if it changed.
    pub fn touched(&self, model: &Model<'_>) -> Touched {
        let per = model.config.paginate_by.max(1);
        let mut t = Touched {
            articles: self.moved.iter().copied().collect(),
            sitemap: self.sitemap.is_some(),
            ..Touched::default()
        };
        t.articles.extend(self.related.iter().map(|(j, _)| *j));
        t.articles
            .extend((0..model.related.len()).filter(|&j| model.related[j].iter().any(|k| self.moved.contains(k))));
        let places = |before: &[usize], after: &[usize]| {
            let mut range = None;
            for &i in self.moved.iter().filter(|i| before.contains(i)) {
                let r = pages_between(i, Some(before), Some(after), per);
                widen(range.get_or_insert(r.clone()), r);
            }
            range
        };
        for (s, before) in &self.sections {
            if let Some(r) = places(before, &model.content.sections[*s].articles) {
                t.sections.insert(*s, r);
            }
        }
        let mut terms: HashMap<Kind, HashMap<String, _>> = HashMap::new();
        for (kind, term, before) in &self.terms {
            let now = &model.taxonomy(*kind).terms[*term];
            if let Some(r) = places(before, &now.articles) {
                terms.entry(*kind).or_default().insert(now.slug.clone(), r);
            }
        }
        t.terms = terms;
        t
    }

    /// Puts back what [`Reorder::apply`] and [`Reorder::refresh_sitemap`] changed.
    pub fn undo(self, content: &mut Content, parts: &mut Parts, plan: &mut Plan) {
        for (s, before) in self.sections {
            content.sections[s].articles = before;
        }
        for (kind, term, before) in self.terms {
            let tax = match kind {
                Kind::Products => &mut parts.products,
                Kind::Tags => &mut parts.tags,
                Kind::Errors => &mut parts.errors,
            };
            tax.terms[term].articles = before;
        }
        for (j, before) in self.related {
            parts.related[j] = before;
        }
        if let Some(old) = self.sitemap {
            plan.restore_sitemap(old);
        }
    }
}
