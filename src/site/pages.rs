//! Every page of the site: what it shows (its Tera context), which template renders it and where it is written.
//! Pages render in parallel and are written as they are rendered; no page's context holds the whole site.

use std::collections::{HashMap, HashSet};
use std::ops::RangeInclusive;
use std::sync::Mutex;

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Serialize;
use tera::Context;

use super::sitemap::{SITEMAP_MAX, SitemapEntry, sitemap_part};
use super::status::ORDER;
use super::taxonomy::{Kind, Taxonomy};
use super::theme::Theme;
use super::{Model, Sink, alias_file};

mod write;
use crate::catalogue::entry_at;
use crate::diag::Diagnostic;
use write::write_page;
pub use write::{Site, write_article, write_statics};

#[derive(Serialize, Clone)]
pub struct NamedLink {
    pub name: String,
    pub url: String,
}

/// An article as lists show it.
#[derive(Serialize, Clone, PartialEq, Debug)]
pub struct Item {
    pub title: String,
    pub url: String,
    pub description: String,
    pub products: Vec<String>,
    pub updated: Option<String>,
    /// Only in an internal build: the article is for the support team.
    pub internal: bool,
}

#[derive(Serialize)]
struct Pager {
    current: usize,
    total: usize,
    prev: Option<String>,
    next: Option<String>,
    /// A window of page links (first, last, and two either side of the current one); `None` urls are gaps.
    pages: Vec<PagerLink>,
}

#[derive(Serialize)]
struct PagerLink {
    number: usize,
    url: Option<String>,
    current: bool,
}

/// Page numbers a pager shows: 1, the last, and the current one ±2, with 0 standing for a gap. Constant size, so
/// that a list of 1,000 pages does not put 1,000 links on each of them.
fn pager_window(current: usize, total: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for p in 1..=total {
        if p == 1 || p == total || p.abs_diff(current) <= 2 {
            if out.last().is_some_and(|&last| last + 1 < p) {
                out.push(0);
            }
            out.push(p);
        }
    }
    out
}

/// What a build will write: its pages and the sitemap's entries.
pub struct Plan {
    jobs: Vec<Job>,
    sitemap: Vec<SitemapEntry>,
}

impl Plan {
    /// Whether the sitemap of `other` differs from this one's.
    pub fn sitemap_differs(&self, other: &Plan) -> bool {
        self.sitemap != other.sitemap
    }

    /// Puts the model's sitemap in place of this plan's (an article's date changed), the page count unchanged;
    /// the old one if they differ.
    pub fn refresh_sitemap(&mut self, model: &Model<'_>) -> Option<Vec<SitemapEntry>> {
        let now = model.plan_sitemap();
        (now != self.sitemap).then(|| std::mem::replace(&mut self.sitemap, now))
    }

    /// Puts back the sitemap [`Plan::refresh_sitemap`] replaced.
    pub fn restore_sitemap(&mut self, old: Vec<SitemapEntry>) {
        self.sitemap = old;
    }
}

enum Job {
    Home,
    Article(usize),
    Section {
        index: usize,
        page: usize,
    },
    TaxonomyIndex(Kind),
    Term {
        kind: Kind,
        term: usize,
        page: usize,
    },
    ErrorsIndex {
        page: usize,
    },
    Alias {
        file: String,
        to: String,
    },
    NotFound,
    /// The search page, `/search/`.
    Search,
    /// An org's check results, `/report/` (`kb build --report`).
    Report,
    /// The sitemap, or with more URLs than one sitemap may hold, its `n`-th part (from 1) and an index.
    Sitemap(usize),
    SitemapIndex(usize),
    Atom,
    Robots,
}

/// The file a page URL (relative to the base path) is written to: `a/b/` → `a/b/index.html`.
pub fn file_for_slug(slug: &str) -> String {
    if slug.is_empty() {
        "index.html".into()
    } else {
        format!("{slug}/index.html")
    }
}

fn pages_needed(items: usize, per: usize) -> usize {
    items.div_ceil(per).max(1)
}

fn paged_rel(base_rel: &str, page: usize) -> String {
    let base = if base_rel.is_empty() {
        String::new()
    } else {
        format!("{base_rel}/")
    };
    if page <= 1 { base } else { format!("{base}page/{page}/") }
}

pub(super) fn date_str(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

impl Model<'_> {
    pub(super) fn url(&self, rel: &str) -> String {
        self.config.url(rel)
    }

    /// An article as lists, feeds and other articles' related links show it.
    pub fn item(&self, i: usize) -> Item {
        let a = &self.content.articles[i];
        Item {
            title: a.title().to_string(),
            url: a.url.clone(),
            description: a
                .meta
                .description
                .clone()
                .unwrap_or_else(|| self.articles[i].summary.trim().to_string()),
            products: a.meta.products.clone(),
            updated: date_str(a.updated()),
            internal: a.internal,
        }
    }

    pub fn taxonomy(&self, kind: Kind) -> &Taxonomy {
        match kind {
            Kind::Products => &self.products,
            Kind::Tags => &self.tags,
            Kind::Errors => &self.errors,
        }
    }

    pub(super) fn term_link(&self, kind: Kind, value: &str) -> Option<NamedLink> {
        let t = self.taxonomy(kind).term(value)?;
        Some(NamedLink {
            name: value.to_string(),
            url: self.url(&format!("{}/{}/", kind.dir(), t.slug)),
        })
    }

    fn pager(&self, base_rel: &str, current: usize, total: usize) -> Pager {
        let url = |p: usize| self.url(&paged_rel(base_rel, p));
        Pager {
            current,
            total,
            prev: (current > 1).then(|| url(current - 1)),
            next: (current < total).then(|| url(current + 1)),
            pages: pager_window(current, total)
                .into_iter()
                .map(|p| PagerLink {
                    number: p,
                    url: (p > 0).then(|| url(p)),
                    current: p == current,
                })
                .collect(),
        }
    }

    fn page_items(&self, list: &[usize], page: usize) -> Vec<Item> {
        let per = self.config.paginate_by;
        list.iter()
            .skip((page - 1) * per)
            .take(per)
            .map(|&i| self.item(i))
            .collect()
    }

    pub(super) fn breadcrumbs(&self, mut section: usize) -> Vec<NamedLink> {
        let mut out = Vec::new();
        while section != 0 {
            let s = &self.content.sections[section];
            out.push(NamedLink {
                name: s.title(),
                url: s.url.clone(),
            });
            section = s.parent.unwrap_or(0);
        }
        out.push(NamedLink {
            name: "Home".into(),
            url: self.url(""),
        });
        out.reverse();
        out
    }

    fn section_links(&self, list: &[usize]) -> Vec<serde_json::Value> {
        list.iter()
            .map(|&i| {
                let s = &self.content.sections[i];
                serde_json::json!({
                    "name": s.title(),
                    "url": s.url,
                    "description": s.meta.description.clone().unwrap_or_default(),
                    "count": s.articles.len(),
                    "internal": s.internal,
                })
            })
            .collect()
    }

    /// Per error catalogue: its name, release and source, how many entries it has and how many an article covers.
    fn coverage(&self) -> Vec<serde_json::Value> {
        let coverage = self.errors.coverage(self.config.catalogues.len());
        self.config
            .catalogues
            .iter()
            .zip(coverage)
            .map(|(cat, c)| {
                serde_json::json!({
                    "id": cat.id, "name": cat.name, "release": cat.release, "source": cat.source,
                    "total": c.total(), "covered": c.covered,
                    "percent": (c.covered * 100).checked_div(c.total()).unwrap_or(0),
                })
            })
            .collect()
    }

    /// What every page sees as `site`.
    pub fn site_value(&self) -> serde_json::Value {
        let c = self.config;
        let products: Vec<_> = self
            .products
            .terms
            .iter()
            .map(|t| serde_json::json!({"name": t.name, "url": self.url(&format!("products/{}/", t.slug)), "count": t.articles.len()}))
            .collect();
        serde_json::json!({
            "title": c.title,
            "description": c.description,
            "language": c.language,
            "base_url": c.base_url,
            "base_path": c.base_path,
            "home": self.url(""),
            "errors_url": self.url("errors/"),
            "products_url": self.url("products/"),
            "tags_url": self.url("tags/"),
            "feed_url": self.url("atom.xml"),
            "search": self.search,
            "org_status": self.status,
            "report_url": self.url("report/"),
            "search_url": self.url("search/"),
            "search_index_url": self.url(&format!("{}/", super::search::DIR)),
            "assets": self.url("assets/"),
            "sections": self.section_links(&self.content.sections[0].subsections),
            "products": products,
            "generator": format!("kb {}", env!("CARGO_PKG_VERSION")),
            "csp": c.csp,
            "internal": self.internal(),
            "extra": c.extra,
        })
    }

    /// Every page of the site, and the sitemap's entries, worked out once per build.
    pub fn plan(&self) -> Plan {
        let sitemap = self.plan_sitemap();
        Plan {
            jobs: self.jobs(sitemap.len()),
            sitemap,
        }
    }

    /// The sitemap's entries: none for an internal site.
    fn plan_sitemap(&self) -> Vec<SitemapEntry> {
        if self.internal() { Vec::new() } else { self.sitemap() }
    }

    fn jobs(&self, sitemap_len: usize) -> Vec<Job> {
        let per = self.config.paginate_by;
        let mut jobs = vec![Job::Home, Job::NotFound, Job::Atom, Job::Robots];
        if self.search {
            jobs.push(Job::Search);
        }
        if self.status.is_some() {
            jobs.push(Job::Report);
        }
        let parts = sitemap_len.div_ceil(SITEMAP_MAX);
        // An internal site is for the team: nothing tells a search engine what it holds.
        if !self.internal() {
            if parts <= 1 {
                jobs.push(Job::Sitemap(0));
            } else {
                jobs.push(Job::SitemapIndex(parts));
                jobs.extend((1..=parts).map(Job::Sitemap));
            }
        }
        jobs.extend((0..self.content.articles.len()).map(Job::Article));
        for (index, s) in self.content.sections.iter().enumerate() {
            // The root's first page is the home page; its further pages are /page/N/.
            let first = if index == 0 { 2 } else { 1 };
            jobs.extend((first..=pages_needed(s.articles.len(), per)).map(|page| Job::Section { index, page }));
        }
        for kind in [Kind::Products, Kind::Tags, Kind::Errors] {
            let tax = self.taxonomy(kind);
            if kind == Kind::Errors {
                jobs.extend((1..=pages_needed(tax.terms.len(), per * 5)).map(|page| Job::ErrorsIndex { page }));
            } else {
                jobs.push(Job::TaxonomyIndex(kind));
            }
            for (term, t) in tax.terms.iter().enumerate() {
                jobs.extend((1..=pages_needed(t.articles.len(), per)).map(|page| Job::Term { kind, term, page }));
            }
        }
        for a in &self.content.articles {
            for alias in &a.meta.aliases {
                if let Ok(file) = alias_file(alias) {
                    jobs.push(Job::Alias {
                        file,
                        to: a.url.clone(),
                    });
                }
            }
        }
        jobs
    }

    /// Where a page is written, relative to the site root.
    fn job_file(&self, job: &Job) -> String {
        match job {
            Job::Home => "index.html".into(),
            Job::Article(i) => file_for_slug(&self.content.articles[*i].slug),
            Job::Section { index, page } => {
                file_for_slug(paged_rel(&self.content.sections[*index].slug, *page).trim_end_matches('/'))
            }
            Job::TaxonomyIndex(kind) => format!("{}/index.html", kind.dir()),
            Job::ErrorsIndex { page } => file_for_slug(paged_rel("errors", *page).trim_end_matches('/')),
            Job::Term { kind, term, page } => {
                let t = &self.taxonomy(*kind).terms[*term];
                file_for_slug(paged_rel(&format!("{}/{}", kind.dir(), t.slug), *page).trim_end_matches('/'))
            }
            Job::Alias { file, .. } => file.clone(),
            Job::NotFound => "404.html".into(),
            Job::Search => "search/index.html".into(),
            Job::Report => "report/index.html".into(),
            Job::Sitemap(0) | Job::SitemapIndex(_) => "sitemap.xml".into(),
            Job::Sitemap(n) => format!("sitemap-{n}.xml"),
            Job::Atom => "atom.xml".into(),
            Job::Robots => "robots.txt".into(),
        }
    }

    /// What a page is, in words, for collision errors.
    fn job_owner(&self, job: &Job) -> String {
        match job {
            Job::Article(i) => self.content.articles[*i].file.path.clone(),
            Job::Section { index, .. } => format!("the section content/{}/", self.content.sections[*index].dir),
            Job::Term { kind, term, .. } => {
                format!(
                    "the {} page of {:?}",
                    kind.dir(),
                    self.taxonomy(*kind).terms[*term].name
                )
            }
            Job::Alias { to, .. } => format!("an alias of {to}"),
            Job::Search => "the search page".into(),
            Job::Report => "the report page".into(),
            _ => "a page kb generates".into(),
        }
    }

    /// Two pages that would be written to the same file: one would silently replace the other. Returns the files
    /// the plan's pages go to, and the collisions.
    pub fn collisions(&self, plan: &Plan) -> (HashSet<String>, Vec<Diagnostic>) {
        // Each file's first job, and whether that job is content's own page.
        let mut seen: HashMap<String, (usize, bool)> = HashMap::with_capacity(plan.jobs.len());
        let mut out = Vec::new();
        for (n, job) in plan.jobs.iter().enumerate() {
            let file = self.job_file(job);
            // Two articles, or an article and a section, are reported as duplicate slugs where they are loaded.
            let is_content = matches!(job, Job::Article(_) | Job::Section { page: 1, .. });
            if self.search && super::search::inside_index(&file) {
                out.push(super::search::inside_index_error(&self.job_owner(job), &file));
                continue;
            }
            if let Some(&(first, first_is_content)) = seen.get(&file) {
                if is_content && first_is_content {
                    continue;
                }
                let (first, owner) = (self.job_owner(&plan.jobs[first]), self.job_owner(job));
                out.push(
                    Diagnostic::error(format!("{first} and {owner} would both be written to {file}"))
                        .hint("rename the file or folder, or change its `slug` or `aliases`, so that each page has its own URL"),
                );
            } else {
                seen.insert(file, (n, is_content));
            }
        }
        (seen.into_keys().collect(), out)
    }

    /// The template and context of a job's page (`site` is added by [`write_page`]).
    fn render_job(&self, job: &Job, plan: &Plan) -> (&'static str, Context) {
        let mut ctx = Context::new();
        let per = self.config.paginate_by;
        match *job {
            Job::Home => {
                let root = &self.content.sections[0];
                let mut recent: Vec<usize> = (0..self.content.articles.len()).collect();
                // Newest first, then by title; a title is lowercased only to break a tie of dates.
                let newest = |x: &usize, y: &usize| {
                    let (a, b) = (&self.content.articles[*x], &self.content.articles[*y]);
                    b.updated()
                        .cmp(&a.updated())
                        .then_with(|| a.title().to_lowercase().cmp(&b.title().to_lowercase()))
                };
                let n = recent.len().min(10);
                if n > 0 {
                    recent.select_nth_unstable_by(n - 1, newest);
                    recent.truncate(n);
                    recent.sort_by(newest);
                }
                ctx.insert("content", &self.sections[0].html);
                ctx.insert("recent", &recent.iter().map(|&i| self.item(i)).collect::<Vec<_>>());
                ctx.insert("root_articles", &self.page_items(&root.articles, 1));
                ctx.insert("pager", &self.pager("", 1, pages_needed(root.articles.len(), per)));
                ctx.insert("article_count", &self.content.articles.len());
                ctx.insert(
                    "error_count",
                    &self.errors.terms.iter().filter(|t| !t.articles.is_empty()).count(),
                );
                ("index.html", ctx)
            }
            Job::Article(i) => {
                ctx.insert("article", &self.article_page(i, &self.articles[i]));
                ("article.html", ctx)
            }
            Job::Section { index, page } => {
                let s = &self.content.sections[index];
                let total = pages_needed(s.articles.len(), per);
                ctx.insert(
                    "section",
                    &serde_json::json!({
                        "title": if index == 0 { self.config.title.clone() } else { s.title() },
                        "description": s.meta.description.clone().unwrap_or_default(),
                        "url": s.url,
                        "internal": s.internal,
                        "content": if page == 1 { self.sections[index].html.as_str() } else { "" },
                        "subsections": self.section_links(&s.subsections),
                        "breadcrumbs": self.breadcrumbs(s.parent.unwrap_or(0)),
                        "extra": s.meta.extra,
                    }),
                );
                ctx.insert("items", &self.page_items(&s.articles, page));
                ctx.insert("pager", &self.pager(&s.slug, page, total));
                ("section.html", ctx)
            }
            Job::TaxonomyIndex(kind) => {
                let tax = self.taxonomy(kind);
                let terms: Vec<_> = tax
                    .terms
                    .iter()
                    .map(|t| serde_json::json!({"name": t.name, "url": self.url(&format!("{}/{}/", kind.dir(), t.slug)), "count": t.articles.len()}))
                    .collect();
                ctx.insert("taxonomy", &serde_json::json!({"kind": kind.dir(), "title": kind.title(), "url": self.url(&format!("{}/", kind.dir()))}));
                ctx.insert("terms", &terms);
                ("taxonomy.html", ctx)
            }
            Job::ErrorsIndex { page } => {
                let per = per * 5;
                let tax = &self.errors;
                let total = pages_needed(tax.terms.len(), per);
                let terms: Vec<_> = tax
                    .terms
                    .iter()
                    .skip((page - 1) * per)
                    .take(per)
                    .map(|t| {
                        let articles: Vec<_> = t.articles.iter().take(3).map(|&i| self.item(i)).collect();
                        let found = t.entry.map(|at| entry_at(&self.config.catalogues, at));
                        let (catalogue, entry) = (found.map(|f| &f.0.name), found.map(|f| f.1));
                        serde_json::json!({"name": t.name, "url": self.url(&format!("errors/{}/", t.slug)), "count": t.articles.len(), "articles": articles, "entry": entry, "catalogue": catalogue})
                    })
                    .collect();
                ctx.insert("catalogues", &self.coverage());
                ctx.insert(
                    "taxonomy",
                    &serde_json::json!({"kind": "errors", "title": Kind::Errors.title(), "url": self.url("errors/")}),
                );
                ctx.insert("terms", &terms);
                ctx.insert("pager", &self.pager("errors", page, total));
                ("errors.html", ctx)
            }
            Job::Term { kind, term, page } => {
                let t = &self.taxonomy(kind).terms[term];
                let base = format!("{}/{}", kind.dir(), t.slug);
                let total = pages_needed(t.articles.len(), per);
                ctx.insert(
                    "term",
                    &serde_json::json!({
                        "kind": kind.dir(),
                        "kind_title": kind.title(),
                        "kind_url": self.url(&format!("{}/", kind.dir())),
                        "name": t.name,
                        "url": self.url(&format!("{base}/")),
                        "count": t.articles.len(),
                        "entry": t.entry.map(|at| {
                            let (cat, entry) = entry_at(&self.config.catalogues, at);
                            serde_json::json!({"catalogue": {"id": cat.id, "name": cat.name, "source": cat.source, "release": cat.release}, "error": entry})
                        }),
                    }),
                );
                ctx.insert("items", &self.page_items(&t.articles, page));
                ctx.insert("pager", &self.pager(&base, page, total));
                ("term.html", ctx)
            }
            Job::Alias { ref to, .. } => {
                ctx.insert("to", to);
                ctx.insert("permalink", &self.config.permalink(to));
                ("redirect.html", ctx)
            }
            Job::NotFound => ("404.html", ctx),
            Job::Search => ("search.html", ctx),
            Job::Report => {
                ctx.insert("groups", &self.report_groups());
                ("report.html", ctx)
            }
            Job::Sitemap(part) => {
                let entries = &plan.sitemap;
                ctx.insert("entries", &entries[sitemap_part(entries.len(), part, SITEMAP_MAX)]);
                ("sitemap.xml", ctx)
            }
            Job::SitemapIndex(parts) => {
                let urls: Vec<String> = (1..=parts)
                    .map(|n| self.config.permalink(&self.url(&format!("sitemap-{n}.xml"))))
                    .collect();
                ctx.insert("sitemaps", &urls);
                ("sitemap_index.xml", ctx)
            }
            Job::Atom => {
                let mut dated: Vec<usize> = (0..self.content.articles.len()).collect();
                let key = |i: &usize| {
                    let a = &self.content.articles[*i];
                    (std::cmp::Reverse(a.updated()), a.slug.clone())
                };
                dated.sort_by_cached_key(key);
                // Undated articles take the newest date of the site (the feed's own), not 1970.
                let updated = self.content.articles.iter().filter_map(|a| a.updated()).max();
                dated.truncate(50);
                let entries: Vec<_> = dated
                    .iter()
                    .map(|&i| {
                        let a = &self.content.articles[i];
                        let item = self.item(i);
                        serde_json::json!({
                            "title": item.title,
                            "permalink": self.config.permalink(&a.url),
                            "updated": rfc3339(a.updated().or(updated)),
                            "published": a.meta.date.map(|d| rfc3339(Some(d))),
                            "summary": item.description,
                            "categories": a.meta.products,
                        })
                    })
                    .collect();
                ctx.insert("entries", &entries);
                ctx.insert("updated", &rfc3339(updated));
                ctx.insert("feed_permalink", &self.config.permalink(&self.url("atom.xml")));
                ctx.insert("home_permalink", &self.config.permalink(&self.url("")));
                ("atom.xml", ctx)
            }
            Job::Robots => {
                ctx.insert("sitemap_permalink", &self.config.permalink(&self.url("sitemap.xml")));
                ("robots.txt", ctx)
            }
        }
    }

    /// The report page's lists: the checked articles by status, in [`ORDER`].
    fn report_groups(&self) -> Vec<serde_json::Value> {
        let Some(st) = self.status else { return Vec::new() };
        ORDER
            .iter()
            .map(|(status, label)| {
                let items: Vec<serde_json::Value> = self
                    .content
                    .articles
                    .iter()
                    .filter_map(|a| {
                        let s = st.articles.get(&a.slug).filter(|s| s.status == *status)?;
                        Some(serde_json::json!({ "title": a.title(), "url": a.url, "checks": s.checks }))
                    })
                    .collect();
                serde_json::json!({ "status": status, "label": label, "items": items })
            })
            .collect()
    }
}

fn rfc3339(d: Option<NaiveDate>) -> String {
    d.unwrap_or_default().format("%Y-%m-%dT00:00:00Z").to_string()
}

/// Which pages of the plan to render.
#[derive(Clone, Copy)]
pub enum Pick<'p> {
    All,
    /// Every page but the articles' (which a build renders as it renders their Markdown).
    Lists,
    /// These articles' pages only.
    Articles(&'p HashSet<usize>),
    /// The pages that show what changed of some articles.
    Touched(&'p Touched),
}

/// What an edit of some articles touched, beyond their own pages.
#[derive(Debug, Default)]
pub struct Touched {
    /// Articles whose pages are rendered: the edited ones and those whose related links changed.
    pub articles: HashSet<usize>,
    /// Sections whose list pages are rendered, with the range of pages (from 1) whose articles moved.
    pub sections: HashMap<usize, RangeInclusive<usize>>,
    /// Products, tags and error signatures (by slug) an edited article has or had, with the range of their pages
    /// whose articles moved.
    pub terms: HashMap<Kind, HashMap<String, RangeInclusive<usize>>>,
    /// The list of error signatures itself changed (one added or gone): every page of the error index moves.
    pub errors_moved: bool,
    /// The sitemap's entries changed (a date, a page added or gone).
    pub sitemap: bool,
}

impl Touched {
    /// The touched pages of a term's list, if any.
    fn term(&self, kind: Kind, slug: &str) -> Option<&RangeInclusive<usize>> {
        self.terms.get(&kind)?.get(slug)
    }
}

impl Pick<'_> {
    fn wants(&self, job: &Job, model: &Model<'_>) -> bool {
        let touched = match self {
            Pick::All => return true,
            Pick::Lists => return !matches!(job, Job::Article(_)),
            Pick::Articles(set) => return matches!(job, Job::Article(i) if set.contains(i)),
            Pick::Touched(t) => t,
        };
        match job {
            Job::Article(i) => touched.articles.contains(i),
            Job::Section { index, page } => touched.sections.get(index).is_some_and(|r| r.contains(page)),
            Job::Term { kind, term, page } => {
                let slug = &model.taxonomy(*kind).terms[*term].slug;
                touched.term(*kind, slug).is_some_and(|r| r.contains(page))
            }
            Job::ErrorsIndex { page } => {
                let per = model.config.paginate_by * 5;
                touched.errors_moved
                    || model.errors.terms[((page - 1) * per).min(model.errors.terms.len())..]
                        .iter()
                        .take(per)
                        .any(|t| touched.term(Kind::Errors, &t.slug).is_some())
            }
            Job::Alias { to, .. } => touched.articles.iter().any(|&i| model.content.articles[i].url == *to),
            Job::Sitemap(_) | Job::SitemapIndex(_) => touched.sitemap,
            Job::Home | Job::TaxonomyIndex(_) | Job::Atom => true,
            Job::NotFound | Job::Search | Job::Report | Job::Robots => false,
        }
    }
}

/// Renders the picked pages and writes them to `out` (nowhere for `None`, as `kb validate` does); returns how many
/// were rendered, or every rendering problem.
pub fn render(
    model: &Model<'_>,
    plan: &Plan,
    theme: &Theme,
    pick: Pick<'_>,
    out: Option<&dyn Sink>,
) -> Result<usize, Vec<Diagnostic>> {
    let site = Site::of(model, out);
    let errors = Mutex::new(Vec::new());
    let fail = |d: Diagnostic| errors.lock().expect("no panics while holding the lock").push(d);
    let jobs: Vec<&Job> = plan.jobs.iter().filter(|j| pick.wants(j, model)).collect();
    jobs.par_iter().for_each(|job| {
        let file = model.job_file(job);
        let (template, ctx) = model.render_job(job, plan);
        if let Err(d) = write_page(theme, template, ctx, &file, out, &site) {
            fail(*d);
        }
    });
    let errors = errors.into_inner().expect("no panics while holding the lock");
    if errors.is_empty() { Ok(jobs.len()) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_urls() {
        assert_eq!(paged_rel("workflows", 1), "workflows/");
        assert_eq!(paged_rel("workflows", 3), "workflows/page/3/");
        assert_eq!(pages_needed(0, 20), 1);
        assert_eq!(pages_needed(41, 20), 3);
        assert_eq!(file_for_slug(""), "index.html");
        assert_eq!(pager_window(1, 1), vec![1]);
        assert_eq!(pager_window(1, 3), vec![1, 2, 3]);
        assert_eq!(pager_window(50, 100), vec![1, 0, 48, 49, 50, 51, 52, 0, 100]);
        assert_eq!(pager_window(100, 100), vec![1, 0, 98, 99, 100]);
    }
}
