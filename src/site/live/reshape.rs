//! A new or a deleted article in `kb serve`. The article is put into the content or taken out of it; renderings
//! that refer to articles by number move along; the lists are worked out again; and only the pages that change are
//! rendered: the new article's, those that link to a deleted one, those whose related links change, its section's
//! and its terms' list pages from its place to the end, its section's parents', the error index when a signature
//! comes or goes, and the sitemap. Anything more than one more or one fewer article (a new folder, a slug already
//! taken…) is left to a whole build.

use std::ops::RangeInclusive;

use super::{Lists, Memory, Scope, Site, Update, failed, relist};
use crate::config::Level;
use crate::content::blocks::CheckCard;
use crate::content::{Article, Content, Target};
use crate::diag::Diagnostic;
use crate::markdown::Rendered;
use crate::site::pages::{self, Pick, Touched};
use crate::site::taxonomy::{Kind, Taxonomy, term_slug};
use crate::site::{Model, Parts, check_anchors, link_levels, render_article, render_section};

pub enum Reshape {
    /// A new file's article, with its check cards.
    Add {
        article: Box<Article>,
        cards: Vec<CheckCard>,
    },
    /// Article `i`, whose file is gone.
    Remove(usize),
}

/// What a reshape changed, to be put back if the update fails.
enum Undo {
    Added(usize),
    Removed {
        at: usize,
        article: Box<Article>,
        cards: Vec<CheckCard>,
        rendered: Box<Rendered>,
        /// Renderings replaced (articles and sections that linked to it), by their number before.
        articles: Vec<(usize, Rendered)>,
        sections: Vec<(usize, Rendered)>,
    },
}

/// Where an article is in the lists that show it: its section's (and the first page it is on), its terms'.
struct Places {
    section: usize,
    page: usize,
    terms: Vec<(Kind, String, usize)>,
}

impl Site {
    /// Puts a new article in, or takes a deleted one out, and renders the pages that change. `None`, with nothing
    /// changed, when the change is more than that: the caller builds everything again. On any error the site is
    /// left exactly as it was.
    pub fn reshape(&mut self, change: Reshape) -> Option<Result<Update, Vec<Diagnostic>>> {
        // A broken link that is only a warning may come to point at a new article: the linking pages would change.
        if self.config.links.broken == Level::Warn || !self.content.in_walk_order() {
            return None;
        }
        let clock = std::time::Instant::now();
        let mut diags = Vec::new();
        let mut parts = self.parts.take().expect("a site between updates has its parts");
        let per = self.config.paginate_by.max(1);
        let (undo, before) = match change {
            Reshape::Add { article, cards } => {
                let Some(k) = self.content.insert_article(&self.config, *article, cards) else {
                    self.parts = Some(parts);
                    return None;
                };
                shift(&mut parts, |j| if j >= k { j + 1 } else { j });
                parts.articles.insert(k, render_article(&self.content, k, &mut diags));
                (Undo::Added(k), None)
            }
            Reshape::Remove(i) => {
                let Some((undo, before)) = self.take_out(&mut parts, i, per, &mut diags) else {
                    self.parts = Some(parts);
                    return None;
                };
                (undo, Some(before))
            }
        };
        check_anchors(&self.content, &parts.articles, &parts.sections, &mut diags);
        let old = relist(&self.config, &self.content, &mut parts, &mut diags);
        let mut phases = vec![("lists", clock.elapsed())];
        let model = Model::from_parts(&self.config, &self.content, parts, self.search, None);
        let plan = model.plan();
        let (page_files, collisions) = model.collisions(&plan);
        diags.extend(collisions);
        link_levels(&self.config, &mut diags);
        phases.push(("plan", clock.elapsed()));
        let mut outcome = None;
        if !diags.iter().any(Diagnostic::is_error) {
            // A removal's places are those it had; an addition's, those it has now.
            let places = before.unwrap_or_else(|| {
                let k = match &undo {
                    Undo::Added(k) => *k,
                    Undo::Removed { at, .. } => *at,
                };
                places(&self.content, [&model.products, &model.tags, &model.errors], k, per)
            });
            let mut t = touched(&model, &undo, &old, places);
            t.sitemap = plan.sitemap_differs(&self.plan);
            let site_value = model.site_value();
            // The counts change with one more or one fewer article, but only the home page (always rendered) and
            // the section pages (touched above) show them, unless the theme shows them elsewhere.
            let same = if self.theme.counts_everywhere {
                site_value == self.site_value
            } else {
                without_counts(&site_value) == without_counts(&self.site_value)
            };
            let scope = if same { Scope::Lists } else { Scope::Everything };
            let pick = match scope {
                Scope::Everything => Pick::All,
                _ => Pick::Touched(&t),
            };
            let out = Memory::default();
            match pages::render(&model, &plan, &self.theme, pick, Some(&out)) {
                Ok(n) => outcome = Some((n, out.into_files(), scope, site_value)),
                Err(d) => diags.extend(d),
            }
        }
        phases.push(("render", clock.elapsed()));
        let mut parts = model.into_parts();
        let Some((rendered, files, scope, site_value)) = outcome else {
            self.undo(&mut parts, undo, old);
            self.parts = Some(parts);
            return Some(Err(failed(diags)));
        };
        self.parts = Some(parts);
        self.plan = plan;
        let mut removed: Vec<String> = self.page_files.difference(&page_files).cloned().collect();
        removed.sort();
        self.page_files = page_files;
        self.site_value = site_value;
        self.content.release_texts(&self.config.root);
        Some(Ok(Update {
            files,
            removed,
            rendered,
            scope,
            complete: false,
            warnings: failed(diags),
            phases,
        }))
    }

    /// Takes article `i` out and renders again what links to it; returns what to put back, and where it was in
    /// the lists. `None`, with nothing changed, if a fresh load would make more of it (see
    /// [`Content::remove_article`]).
    fn take_out(
        &mut self,
        parts: &mut Parts,
        i: usize,
        per: usize,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<(Undo, Places)> {
        let before = places(&self.content, [&parts.products, &parts.tags, &parts.errors], i, per);
        let (linking, linking_sections) = linkers(&self.content, parts, i);
        let (article, cards) = self.content.remove_article(i)?;
        let rendered = Box::new(parts.articles.remove(i));
        shift(parts, |j| if j > i { j - 1 } else { j });
        let now = |j: usize| if j > i { j - 1 } else { j };
        let articles = linking
            .into_iter()
            .map(|j| {
                let r = render_article(&self.content, now(j), diags);
                (j, std::mem::replace(&mut parts.articles[now(j)], r))
            })
            .collect();
        let sections = linking_sections
            .into_iter()
            .map(|s| {
                (
                    s,
                    std::mem::replace(&mut parts.sections[s], render_section(&self.content, s, diags)),
                )
            })
            .collect();
        let undo = Undo::Removed {
            at: i,
            article: Box::new(article),
            cards,
            rendered,
            articles,
            sections,
        };
        Some((undo, before))
    }

    /// Puts the content and the renderings back as they were before a reshape.
    fn undo(&mut self, parts: &mut Parts, undo: Undo, old: Lists) {
        (parts.products, parts.tags, parts.errors, parts.related) = old;
        match undo {
            Undo::Added(k) => {
                self.content.take_article(k);
                parts.articles.remove(k);
                shift(parts, |j| if j > k { j - 1 } else { j });
            }
            Undo::Removed {
                at,
                article,
                cards,
                rendered,
                articles,
                sections,
            } => {
                self.content.restore_article(at, *article, cards);
                parts.articles.insert(at, *rendered);
                shift(parts, |j| if j >= at { j + 1 } else { j });
                for (j, r) in articles {
                    parts.articles[j] = r;
                }
                for (s, r) in sections {
                    parts.sections[s] = r;
                }
            }
        }
    }
}

/// Renumbers the articles the renderings' anchor links point at.
fn shift(parts: &mut Parts, to: impl Fn(usize) -> usize) {
    for r in parts.articles.iter_mut().chain(parts.sections.iter_mut()) {
        for a in &mut r.anchor_refs {
            if let Target::Article(j) = &mut a.target {
                *j = to(*j);
            }
        }
    }
}

/// The articles and sections whose Markdown links to article `i`: a link kb resolved (Markdown's or raw HTML's)
/// is rendered as the article's URL, and an anchor link is also noted with its target.
fn linkers(content: &Content, parts: &Parts, i: usize) -> (Vec<usize>, Vec<usize>) {
    use rayon::prelude::*;
    let url = content.articles[i].url.as_str();
    let links = |r: &Rendered| r.html.contains(url) || r.anchor_refs.iter().any(|x| x.target == Target::Article(i));
    let articles = (0..content.articles.len())
        .into_par_iter()
        .filter(|&j| j != i && links(&parts.articles[j]))
        .collect();
    let sections = (0..content.sections.len())
        .filter(|&s| links(&parts.sections[s]))
        .collect();
    (articles, sections)
}

/// Where article `i` is in its section's list and in its terms' (`taxonomies`: products, tags, errors).
fn places(content: &Content, taxonomies: [&Taxonomy; 3], i: usize, per: usize) -> Places {
    let a = &content.articles[i];
    let section = a.section;
    let at = |list: &[usize]| list.iter().position(|&j| j == i).unwrap_or(0);
    let page = at(&content.sections[section].articles) / per + 1;
    let mut terms = Vec::new();
    for (kind, taxonomy) in [Kind::Products, Kind::Tags, Kind::Errors].into_iter().zip(taxonomies) {
        for v in kind.values(&a.meta) {
            let page = taxonomy.term(v).map_or(1, |t| at(&t.articles) / per + 1);
            terms.push((kind, term_slug(kind, v), page));
        }
    }
    Places { section, page, terms }
}

/// The pages a new or a deleted article changes (see the module's comment).
fn touched(model: &Model<'_>, undo: &Undo, old: &Lists, places: Places) -> Touched {
    let content = model.content;
    let mut t = Touched::default();
    // Related links, the old ones renumbered: a deleted article's number becomes one no article has.
    let (old_related, new) = match undo {
        Undo::Added(k) => {
            let mut rows: Vec<Vec<usize>> = old
                .3
                .iter()
                .map(|row| renumber(row, |j| j + usize::from(j >= *k)))
                .collect();
            rows.insert(*k, Vec::new());
            t.articles.insert(*k);
            (rows, Some(*k))
        }
        Undo::Removed { at, articles, .. } => {
            let now = |j: usize| {
                if j > *at {
                    j - 1
                } else if j == *at {
                    usize::MAX
                } else {
                    j
                }
            };
            let mut rows: Vec<Vec<usize>> = old.3.iter().map(|row| renumber(row, now)).collect();
            rows.remove(*at);
            t.articles.extend(articles.iter().map(|(j, _)| now(*j)));
            (rows, None)
        }
    };
    t.articles.extend((0..model.related.len()).filter(|&j| {
        old_related.get(j) != Some(&model.related[j]) || new.is_some_and(|k| model.related[j].contains(&k))
    }));
    let to_end = |page: usize| -> RangeInclusive<usize> { page..=usize::MAX };
    // Its own section's pages from its place; its parents' (which may count it) all.
    t.sections.insert(places.section, to_end(places.page));
    let mut parent = content.sections[places.section].parent;
    while let Some(s) = parent {
        t.sections.insert(s, to_end(1));
        parent = content.sections[s].parent;
    }
    for (kind, slug, page) in places.terms {
        t.terms.entry(kind).or_default().insert(slug, to_end(page));
    }
    let slugs = |x: &Taxonomy| x.terms.iter().map(|t| t.slug.clone()).collect::<Vec<_>>();
    t.errors_moved = slugs(&old.2) != slugs(&model.errors);
    t
}

/// What every page shows of the site, without the article counts of its sections and products.
fn without_counts(site: &serde_json::Value) -> serde_json::Value {
    let mut site = site.clone();
    for list in ["sections", "products"] {
        if let Some(items) = site.get_mut(list).and_then(|v| v.as_array_mut()) {
            for item in items {
                if let Some(item) = item.as_object_mut() {
                    item.remove("count");
                }
            }
        }
    }
    site
}

fn renumber(row: &[usize], to: impl Fn(usize) -> usize) -> Vec<usize> {
    row.iter().map(|&j| to(j)).collect()
}
