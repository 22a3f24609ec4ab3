//! The site `kb serve` shows: rendered into memory once, kept between edits, and updated by re-rendering only what
//! an edit touches. An article edited in place re-renders its own page; if what lists show of it changes (its
//! front matter, or its summary), the lists, feeds and indexes too, and the pages whose related links change. A new
//! or a deleted article is put in or taken out ([`reshape`]). An update that fails leaves the site as it was: the
//! last good pages keep being served.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::ops::RangeInclusive;
use std::sync::Mutex;

use rayon::prelude::*;

use super::pages::{self, Pick, Plan, Touched};
use super::taxonomy::{Kind, Taxonomy, term_slug};
use super::theme::Theme;
use super::{
    Model, Parts, Sink, check_aliases, check_anchors, related_articles, render_article, render_markdown, search,
};
use crate::config::Config;
use crate::content::blocks::CheckCard;
use crate::content::{Article, Content, FrontMatter};
use crate::diag::Diagnostic;

mod reorder;
mod reshape;
use reorder::Reorder;
pub use reshape::Reshape;

/// Files by path under the site's root.
pub type Files = HashMap<String, Vec<u8>>;

/// A sink that keeps what is written in memory.
#[derive(Default)]
pub struct Memory(Mutex<Files>);

impl Sink for Memory {
    fn write(&self, rel: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.0
            .lock()
            .expect("no panics while holding the lock")
            .insert(rel.to_string(), bytes.to_vec());
        Ok(())
    }

    fn rename(&self, from: &str, to: &str) -> std::io::Result<()> {
        let mut files = self.0.lock().expect("no panics while holding the lock");
        let bytes = files.remove(from).ok_or(std::io::ErrorKind::NotFound)?;
        files.insert(to.to_string(), bytes);
        Ok(())
    }
}

impl Memory {
    pub fn into_files(self) -> Files {
        self.0.into_inner().expect("no panics while holding the lock")
    }
}

/// How much an update re-rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The edited articles' pages.
    Articles,
    /// The edited articles' pages, every list, feed and index, and the pages whose related links changed.
    Lists,
    /// Every page.
    Everything,
}

/// What an update rendered: the files it wrote (each page it rendered, changed or not) and those no page makes any
/// more.
pub struct Update {
    pub files: Files,
    pub removed: Vec<String>,
    pub rendered: usize,
    pub scope: Scope,
    /// `files` is the whole site: whatever it lacks is gone.
    pub complete: bool,
    /// When each step of an update ended, from its start (`KB_TIMINGS=1` prints them).
    pub phases: Vec<(&'static str, std::time::Duration)>,
    pub warnings: Vec<Diagnostic>,
}

/// An article re-read from its file, to take the place of article `index` (same slug, same section).
pub struct Edit {
    pub index: usize,
    pub article: Article,
    pub cards: Vec<CheckCard>,
}

/// The last good state of the site, with everything an update reuses.
pub struct Site {
    pub config: Config,
    pub content: Content,
    search: bool,
    theme: Theme,
    /// Always `Some` between updates; taken while a model borrows the content.
    parts: Option<Parts>,
    plan: Plan,
    /// The files the plan's pages go to.
    page_files: HashSet<String>,
    /// What every page shows of the site (its header and footer): when it changes, every page is rendered.
    site_value: serde_json::Value,
}

/// The products, tags, error signatures and related articles.
type Lists = (Taxonomy, Taxonomy, Taxonomy, Vec<Vec<usize>>);

/// How an edit brought the lists up to date, with what puts them back.
enum Relisted {
    /// Only places in the lists holding an edited article changed.
    Reordered(Reorder),
    /// Every list was worked out again: the old ones, and the edited articles' sections' old orders.
    Rebuilt(Lists, HashMap<usize, Vec<usize>>),
}

/// Works out the lists again from the content, the aliases checked too, and returns the old ones.
fn relist(config: &Config, content: &Content, parts: &mut Parts, diags: &mut Vec<Diagnostic>) -> Lists {
    check_aliases(content, diags);
    let related = related_articles(content, diags);
    let [products, tags, errors] = Taxonomy::all(content, &config.catalogues);
    (
        std::mem::replace(&mut parts.products, products),
        std::mem::replace(&mut parts.tags, tags),
        std::mem::replace(&mut parts.errors, errors),
        std::mem::replace(&mut parts.related, related),
    )
}

fn failed(mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    crate::diag::sort(&mut diags);
    diags
}

impl Site {
    /// Renders the whole site: the first build, and the one after a change to the site's structure, config,
    /// checks or theme. `diags` holds the problems found while loading.
    pub fn build(
        config: Config,
        content: Content,
        mut diags: Vec<Diagnostic>,
        search: bool,
    ) -> Result<(Site, Update), Vec<Diagnostic>> {
        let rendered = render_markdown(&content, &mut diags);
        let (parts, plan, page_files, site_value, theme, files, rendered) = {
            let model = Model::assemble(&config, &content, rendered, search, None, &mut diags);
            let plan = model.plan();
            let (page_files, collisions) = model.collisions(&plan);
            diags.extend(collisions);
            if diags.iter().any(Diagnostic::is_error) {
                return Err(failed(diags));
            }
            let theme = match Theme::load(&config.root, &config.theme) {
                Ok(t) => t,
                Err(d) => {
                    diags.extend(d);
                    return Err(failed(diags));
                }
            };
            let out = Memory::default();
            let result = pages::render(&model, &plan, &theme, Pick::All, Some(&out))
                .and_then(|n| pages::write_statics(&model, &theme, &out).map(|()| n));
            let rendered = match result {
                Ok(n) => n,
                Err(d) => {
                    diags.extend(d);
                    return Err(failed(diags));
                }
            };
            let site_value = model.site_value();
            (
                model.into_parts(),
                plan,
                page_files,
                site_value,
                theme,
                out.into_files(),
                rendered,
            )
        };
        let site = Site {
            config,
            content,
            search,
            theme,
            parts: Some(parts),
            plan,
            page_files,
            site_value,
        };
        let update = Update {
            files,
            removed: Vec::new(),
            rendered,
            scope: Scope::Everything,
            complete: true,
            warnings: failed(diags),
            phases: Vec::new(),
        };
        Ok((site, update))
    }

    /// Puts edited articles in place of the old ones and re-renders what they touch. On any error the site is left
    /// exactly as it was.
    pub fn edit(&mut self, edits: Vec<Edit>) -> Result<Update, Vec<Diagnostic>> {
        let mut parts = self.parts.take().expect("a site between updates has its parts");
        let mut undo: Vec<(usize, Article, Vec<CheckCard>)> = Vec::new();
        for e in edits {
            let article = std::mem::replace(&mut self.content.articles[e.index], e.article);
            let cards = std::mem::replace(&mut self.content.cards[e.index], e.cards);
            undo.push((e.index, article, cards));
        }
        let changed: HashSet<usize> = undo.iter().map(|(i, ..)| *i).collect();
        let mut diags = Vec::new();
        let content = &self.content;
        let clock = std::time::Instant::now();
        let mut phases = Vec::new();
        let rendered: Vec<_> = changed
            .par_iter()
            .map(|&i| {
                let mut d = Vec::new();
                (i, render_article(content, i, &mut d), d)
            })
            .collect();
        let mut old_rendered = Vec::new();
        for (i, r, d) in rendered {
            diags.extend(d);
            old_rendered.push((i, std::mem::replace(&mut parts.articles[i], r)));
        }
        // What lists show of an article comes from its front matter and, without a description, its summary.
        let lists = undo
            .iter()
            .any(|(i, old, _)| old.meta != self.content.articles[*i].meta)
            || old_rendered.iter().any(|(i, old)| {
                self.content.articles[*i].meta.description.is_none() && old.summary != parts.articles[*i].summary
            });
        phases.push(("markdown", clock.elapsed()));
        check_anchors(&self.content, &parts.articles, &parts.sections, &mut diags);
        phases.push(("anchors", clock.elapsed()));
        let mut relisted = lists.then(|| self.relist_edit(&undo, &mut parts, &mut diags));
        phases.push(("lists", clock.elapsed()));
        let model = Model::from_parts(&self.config, &self.content, parts, self.search, None);
        let mut plan = None;
        match &mut relisted {
            Some(Relisted::Rebuilt(..)) => {
                let new = model.plan();
                let (files, collisions) = model.collisions(&new);
                diags.extend(collisions);
                plan = Some((new, files));
            }
            Some(Relisted::Reordered(r)) => {
                let dated = undo
                    .iter()
                    .any(|(i, old, _)| old.updated() != model.content.articles[*i].updated());
                r.refresh_sitemap(&model, &mut self.plan, dated);
            }
            None => {}
        }
        phases.push(("plan", clock.elapsed()));
        super::link_levels(&self.config, &mut diags);
        let mut outcome = None;
        if !diags.iter().any(Diagnostic::is_error) {
            let site_value = matches!(relisted, Some(Relisted::Rebuilt(..))).then(|| model.site_value());
            let scope = match (&relisted, &site_value) {
                (None, _) => Scope::Articles,
                (_, Some(v)) if *v != self.site_value => Scope::Everything,
                _ => Scope::Lists,
            };
            let touched = match &relisted {
                Some(Relisted::Reordered(r)) => r.touched(&model),
                Some(Relisted::Rebuilt((products, tags, errors, related), orders)) => {
                    let mut t = touched(&model, &changed, &undo, orders, [products, tags, errors], related);
                    t.sitemap = plan.as_ref().is_some_and(|(p, _)| p.sitemap_differs(&self.plan));
                    t
                }
                None => Touched::default(),
            };
            let pick = match scope {
                Scope::Articles => Pick::Articles(&changed),
                Scope::Lists => Pick::Touched(&touched),
                Scope::Everything => Pick::All,
            };
            let out = Memory::default();
            let using = plan.as_ref().map_or(&self.plan, |(p, _)| p);
            match pages::render(&model, using, &self.theme, pick, Some(&out)) {
                Ok(n) => outcome = Some((n, out.into_files(), scope, site_value)),
                Err(d) => diags.extend(d),
            }
        }
        phases.push(("render", clock.elapsed()));
        let mut parts = model.into_parts();
        let Some((rendered, files, scope, site_value)) = outcome else {
            // Back to the last good state.
            for (i, old) in old_rendered {
                parts.articles[i] = old;
            }
            for (i, article, cards) in undo {
                self.content.articles[i] = article;
                self.content.cards[i] = cards;
            }
            match relisted {
                Some(Relisted::Reordered(r)) => r.undo(&mut self.content, &mut parts, &mut self.plan),
                Some(Relisted::Rebuilt(lists, orders)) => {
                    (parts.products, parts.tags, parts.errors, parts.related) = lists;
                    for (s, order) in orders {
                        self.content.sections[s].articles = order;
                    }
                }
                None => {}
            }
            self.parts = Some(parts);
            return Err(failed(diags));
        };
        self.parts = Some(parts);
        let mut removed = Vec::new();
        if let Some((plan, new)) = plan {
            self.plan = plan;
            removed = self.page_files.difference(&new).cloned().collect();
            removed.sort();
            self.page_files = new;
        }
        if let Some(v) = site_value {
            self.site_value = v;
        }
        // The edited articles' texts go too: the site keeps renderings, not sources.
        self.content.release_texts(&self.config.root);
        Ok(Update {
            files,
            removed,
            rendered,
            scope,
            complete: false,
            warnings: failed(diags),
            phases,
        })
    }

    /// Brings the lists up to date with edited articles whose front matter or summary changed: only their places
    /// when each stays in the lists it was in ([`Reorder`]), else every list worked out again.
    fn relist_edit(
        &mut self,
        undo: &[(usize, Article, Vec<CheckCard>)],
        parts: &mut Parts,
        diags: &mut Vec<Diagnostic>,
    ) -> Relisted {
        let content = &mut self.content;
        if undo
            .iter()
            .all(|(i, old, _)| Reorder::applies(old, &content.articles[*i]))
        {
            let moved = undo.iter().map(|(i, ..)| *i).collect();
            return Relisted::Reordered(Reorder::apply(content, parts, moved, diags));
        }
        let mut orders = HashMap::new();
        for (i, ..) in undo {
            let s = content.articles[*i].section;
            if let Entry::Vacant(e) = orders.entry(s) {
                e.insert(content.sections[s].articles.clone());
                content.sort_section(s);
            }
        }
        Relisted::Rebuilt(relist(&self.config, content, parts, diags), orders)
    }

    /// What the search index needs, copied, so that it can be built on another thread while the site changes.
    pub fn search_snapshot(&self) -> Option<SearchSnapshot> {
        let parts = self.parts.as_ref()?;
        self.search.then(|| SearchSnapshot {
            settings: search::Settings::of(&self.config),
            articles: self
                .content
                .articles
                .iter()
                .zip(&parts.articles)
                .map(|(a, r)| (a.url.clone(), a.meta.clone(), r.own_html().into_owned()))
                .collect(),
            entries: search::Entries::new(&self.config, &parts.errors),
        })
    }
}

/// The pages an edit of front matter or summary touches: the edited articles' pages and those whose related links
/// changed or show an edited article; in each list that holds or held an edited article (its section, its terms
/// before and after), the pages from its old place to its new one (to the end of the list when it joined or left
/// it, as every later entry moves); and the error index's pages that hold those terms.
fn touched(
    model: &Model<'_>,
    changed: &HashSet<usize>,
    undo: &[(usize, Article, Vec<CheckCard>)],
    old_orders: &HashMap<usize, Vec<usize>>,
    old: [&Taxonomy; 3],
    old_related: &[Vec<usize>],
) -> Touched {
    let per = model.config.paginate_by.max(1);
    let moved = |i: usize, before: Option<&[usize]>, after: Option<&[usize]>| pages_between(i, before, after, per);
    let mut t = Touched {
        articles: changed.clone(),
        ..Touched::default()
    };
    t.articles.extend(
        (0..model.related.len())
            .filter(|&j| old_related[j] != model.related[j] || model.related[j].iter().any(|k| changed.contains(k))),
    );
    for (i, before, _) in undo {
        let now = &model.content.articles[*i];
        let s = now.section;
        let range = moved(
            *i,
            old_orders.get(&s).map(Vec::as_slice),
            Some(&model.content.sections[s].articles),
        );
        t.sections
            .entry(s)
            .and_modify(|r| widen(r, range.clone()))
            .or_insert(range);
        for (kind, old_tax) in [Kind::Products, Kind::Tags, Kind::Errors].into_iter().zip(old) {
            for v in kind.values(&before.meta).iter().chain(kind.values(&now.meta)) {
                let (before, after) = (old_tax.term(v), model.taxonomy(kind).term(v));
                let range = moved(
                    *i,
                    before.map(|t| t.articles.as_slice()),
                    after.map(|t| t.articles.as_slice()),
                );
                t.terms
                    .entry(kind)
                    .or_default()
                    .entry(term_slug(kind, v))
                    .and_modify(|r| widen(r, range.clone()))
                    .or_insert(range);
            }
        }
    }
    let [.., errors] = old;
    t.errors_moved = errors.terms.len() != model.errors.terms.len()
        || errors
            .terms
            .iter()
            .zip(&model.errors.terms)
            .any(|(a, b)| a.slug != b.slug);
    t
}

/// The pages (from 1, `per` articles a page) between article `i`'s place in a list before and after an edit: to
/// the end of the list when it joined or left it, as every later entry moves.
fn pages_between(i: usize, before: Option<&[usize]>, after: Option<&[usize]>, per: usize) -> RangeInclusive<usize> {
    let place = |list: Option<&[usize]>| list.and_then(|l| l.iter().position(|&a| a == i));
    match (place(before), place(after)) {
        (Some(a), Some(b)) => a.min(b) / per + 1..=a.max(b) / per + 1,
        (Some(p), None) | (None, Some(p)) => p / per + 1..=usize::MAX,
        (None, None) => 1..=usize::MAX,
    }
}

/// Widens `r` to hold `more` too.
fn widen(r: &mut RangeInclusive<usize>, more: RangeInclusive<usize>) {
    *r = (*r.start()).min(*more.start())..=(*r.end()).max(*more.end());
}

/// The articles as the search index sees them: URL, front matter and rendered body.
pub struct SearchSnapshot {
    settings: search::Settings,
    articles: Vec<(String, FrontMatter, String)>,
    /// The error catalogue entries' pages.
    entries: search::Entries,
}

impl SearchSnapshot {
    pub fn len(&self) -> usize {
        self.articles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.articles.is_empty()
    }

    /// Builds the index: its files under [`search::DIR`].
    pub fn index(&self) -> Files {
        let files = self.entries.index(&self.settings, self.articles.len(), |i| {
            let (url, meta, body) = &self.articles[i];
            search::Doc {
                url,
                meta,
                body: body.into(),
            }
        });
        files
            .into_iter()
            .map(|f| (format!("{}/{}", search::DIR, f.path), f.bytes))
            .collect()
    }
}
