//! The site: renders the article model into `site/` (pages, lists, feeds, redirects, assets), atomically.

mod article;
pub mod cache;
pub mod live;
pub mod output;
pub mod pages;
pub mod search;
pub mod serve;
mod sitemap;
pub mod status;
pub mod stream;
pub mod taxonomy;
pub mod theme;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::config::Config;
use crate::content::{Article, Content, Target};
use crate::diag::{Diagnostic, SourceFile};
use crate::markdown::{self, Doc, Rendered};
use taxonomy::Taxonomy;

pub struct BuildOptions {
    /// Where the site goes; `None` renders everything but writes nothing (`kb validate`).
    pub output: Option<PathBuf>,
    /// Write the search index and the search page (`--no-search` turns it off).
    pub search: bool,
    /// An org's check results to show (`--report`).
    pub status: Option<status::OrgStatus>,
    /// Where renderings are kept between builds (`--cache`): see [`cache`].
    pub cache: Option<PathBuf>,
}

#[derive(Debug)]
pub struct Summary {
    pub articles: usize,
    pub pages: usize,
    pub warnings: Vec<Diagnostic>,
    /// With `--cache`: how many renderings were taken from it and how many were made.
    pub cached: Option<(usize, usize)>,
    /// Each phase's wall time; `  ` before a name marks a part of the phase before it, summed over threads.
    pub phases: Vec<(&'static str, Duration)>,
}

/// A failed build: every problem found (errors and warnings), sorted.
#[derive(Debug)]
pub struct Failure {
    pub diagnostics: Vec<Diagnostic>,
}

/// Everything the page renderers need, computed once per build. Its [`Parts`] are reached through it
/// (`model.articles`).
pub struct Model<'a> {
    pub config: &'a Config,
    pub content: &'a Content,
    pub parts: Parts,
    /// Whether the site has search (its index, its page and the box in every header).
    pub search: bool,
    /// An org's check results, shown on the checked articles, `/report/` and the home page.
    pub status: Option<&'a status::OrgStatus>,
}

impl std::ops::Deref for Model<'_> {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.parts
    }
}

/// Where rendered files go: a build's staging folder, or `kb serve`'s pages in memory.
pub trait Sink: Sync {
    fn write(&self, rel: &str, bytes: &[u8]) -> std::io::Result<()>;
    /// Moves a file written before to another path.
    fn rename(&self, from: &str, to: &str) -> std::io::Result<()>;
    /// The build's staging folder with its cache (`kb build --cache`), if this sink is one: renderings are then
    /// taken from the cache when their key matches, and pages linked from it.
    fn cached(&self) -> Option<&cache::Cached<'_>> {
        None
    }
}

impl Sink for output::Staging {
    fn write(&self, rel: &str, bytes: &[u8]) -> std::io::Result<()> {
        output::Staging::write(self, rel, bytes)
    }

    fn rename(&self, from: &str, to: &str) -> std::io::Result<()> {
        output::Staging::rename(self, from, to)
    }
}

/// The parts of a [`Model`] computed from the content, owned, so that `kb serve` can keep them between updates.
pub struct Parts {
    pub articles: Vec<Rendered>,
    pub sections: Vec<Rendered>,
    pub products: Taxonomy,
    pub tags: Taxonomy,
    pub errors: Taxonomy,
    /// Related articles per article (explicit `related` first, then neighbours in the same section).
    pub related: Vec<Vec<usize>>,
}

impl<'a> Model<'a> {
    /// The model of rendered Markdown: taxonomies and related articles worked out, and cross-references checked
    /// (anchors, `related`, aliases, the report's slugs); problems go to `diags`.
    pub fn assemble(
        config: &'a Config,
        content: &'a Content,
        (articles, sections): (Vec<Rendered>, Vec<Rendered>),
        search: bool,
        status: Option<&'a status::OrgStatus>,
        diags: &mut Vec<Diagnostic>,
    ) -> Model<'a> {
        check_anchors(content, &articles, &sections, diags);
        Model::lists(config, content, (articles, sections), search, status, diags)
    }

    /// The model as [`Model::assemble`] makes it, without checking links to anchors: for a build, whose articles
    /// hold only their summaries until [`stream::articles`] renders them (and returns what that check needs).
    pub fn lists(
        config: &'a Config,
        content: &'a Content,
        (articles, sections): (Vec<Rendered>, Vec<Rendered>),
        search: bool,
        status: Option<&'a status::OrgStatus>,
        diags: &mut Vec<Diagnostic>,
    ) -> Model<'a> {
        diags.extend(config.trusted_warning.clone());
        check_aliases(content, diags);
        let [products, tags, errors] = Taxonomy::all(content, &config.catalogues);
        let parts = Parts {
            products,
            tags,
            errors,
            related: related_articles(content, diags),
            articles,
            sections,
        };
        let model = Model::from_parts(config, content, parts, search, status);
        link_levels(config, diags);
        if let Some(st) = model.status {
            let mut unknown: Vec<&str> = st
                .articles
                .keys()
                .filter(|slug| !content.by_slug.contains_key(slug.as_str()))
                .map(String::as_str)
                .collect();
            if !unknown.is_empty() {
                unknown.sort_unstable();
                diags.push(
                    Diagnostic::warning(format!(
                        "the report has results for articles this site does not have: {}",
                        unknown.join(", ")
                    ))
                    .hint("run kb check again on this content/, or build the content the report was made from"),
                );
            }
        }
        model
    }

    /// An internal build: every article, internal ones marked, on a site search engines are told to skip.
    pub fn internal(&self) -> bool {
        self.content.audience == crate::content::Audience::Internal
    }

    pub fn from_parts(
        config: &'a Config,
        content: &'a Content,
        parts: Parts,
        search: bool,
        status: Option<&'a status::OrgStatus>,
    ) -> Model<'a> {
        Model {
            config,
            content,
            parts,
            search,
            status,
        }
    }

    pub fn into_parts(self) -> Parts {
        self.parts
    }
}

/// Renders loaded content into the site. `diags` holds the problems found while loading it: the build fails on any
/// error among them too, after every problem of its own has been found.
///
/// The lists come first (from each article's summary), then the articles a batch at a time ([`stream::articles`]:
/// Markdown, page and search words), then the list pages, the index and the swap. Nothing is swapped in unless
/// every step succeeded.
pub fn build(
    config: &Config,
    content: &mut Content,
    mut diags: Vec<Diagnostic>,
    opts: &BuildOptions,
) -> Result<Summary, Failure> {
    let fail = |mut diags: Vec<Diagnostic>| {
        crate::diag::sort(&mut diags);
        Err(Failure { diagnostics: diags })
    };
    let mut phases = Vec::new();
    let t = Instant::now();
    let lists = (stream::summaries(content), render_sections(content, &mut diags));
    // From here on each article's text is read again when its page is rendered: the build never holds them all.
    content.release_texts(&config.root);
    let content = &*content;
    let model = Model::lists(config, content, lists, opts.search, opts.status.as_ref(), &mut diags);
    let plan = model.plan();
    diags.extend(model.collisions(&plan).1);
    phases.push(("lists", t.elapsed()));
    // Nothing will be written after an error, but the articles' own problems are reported with it.
    let failed = |mut diags: Vec<Diagnostic>| {
        let outlines = stream::articles(&model, None, None, None, &mut diags);
        check_anchors(content, &outlines, &model.sections, &mut diags);
        link_levels(config, &mut diags);
        fail(diags)
    };
    if diags.iter().any(Diagnostic::is_error) {
        return failed(diags);
    }
    let theme = match theme::Theme::load(&config.root, &config.theme) {
        Ok(t) => t,
        Err(d) => {
            diags.extend(d);
            return failed(diags);
        }
    };
    let staging = match staging(config, opts) {
        Ok(s) => s,
        Err(d) => {
            diags.push(*d);
            return failed(diags);
        }
    };
    let mut cache = match open_cache(config, content, opts, &mut diags) {
        Ok(c) => c,
        Err(d) => {
            diags.push(*d);
            return failed(diags);
        }
    };
    let cached = staging
        .as_ref()
        .zip(cache.as_ref())
        .map(|(staging, cache)| cache::Cached { staging, cache });
    let sink = match (&cached, &staging) {
        (Some(c), _) => Some(c as &dyn Sink),
        (None, s) => s.as_ref().map(|s| s as &dyn Sink),
    };

    let t = Instant::now();
    for counter in [
        &crate::timing::HIGHLIGHTING,
        &crate::timing::TEMPLATES,
        &crate::timing::WRITING,
    ] {
        counter.take();
    }
    let settings = search::Settings::of(config);
    // The fragments are written as the pages are read, not held until the index is finished.
    let written = sink.map(search::Written::new);
    let mut index = written
        .as_ref()
        .filter(|_| model.search)
        .map(|w| search::Indexer::new(&settings).writing(w));
    let outlines = stream::articles(&model, Some(&theme), sink, index.as_mut(), &mut diags);
    check_anchors(content, &outlines, &model.sections, &mut diags);
    link_levels(config, &mut diags);
    phases.push(("articles", t.elapsed()));
    phases.push(("  markdown", stream::MARKDOWN.take()));
    phases.push(("  highlighting", crate::timing::HIGHLIGHTING.take()));
    phases.push(("  templates", crate::timing::TEMPLATES.take()));
    phases.push(("  write", crate::timing::WRITING.take()));
    phases.push(("  search-words", stream::INDEXING.take()));
    if diags.iter().any(Diagnostic::is_error) {
        return fail(diags);
    }

    let t = Instant::now();
    let result = pages::render(&model, &plan, &theme, pages::Pick::Lists, sink).and_then(|n| {
        sink.map_or(Ok(()), |s| pages::write_statics(&model, &theme, s))
            .map(|()| n)
    });
    phases.push(("list-pages", t.elapsed()));
    let pages = match result {
        Ok(n) => n + content.articles.len(),
        Err(d) => {
            diags.extend(d);
            return fail(diags);
        }
    };
    if let (Some(staging), Some(index)) = (&staging, index) {
        let t = Instant::now();
        let entries = search::Entries::new(config, &model.errors);
        let mut write = |f: search::File| {
            let path = format!("{}/{}", search::DIR, f.path);
            crate::timing::WRITING
                .time(|| staging.write(&path, &f.bytes))
                .map_err(|e| std::io::Error::new(e.kind(), format!("cannot write {path}: {e}")))
        };
        if let Err(e) = entries.finish_into(index, content.articles.len(), &mut write) {
            diags.push(Diagnostic::error(e.to_string()));
            return fail(diags);
        }
        phases.push(("search", t.elapsed()));
    }
    if let Some(staging) = staging {
        let t = Instant::now();
        if let Err(e) = staging.commit() {
            diags.push(Diagnostic::error(format!("cannot swap the new site into place: {e}")));
            return fail(diags);
        }
        phases.push(("swap", t.elapsed()));
    }
    let cached = cache.as_mut().map(|c| {
        if let Err(e) = c.finish(true) {
            diags.push(Diagnostic::warning(format!("cannot write the cache's manifest: {e}")));
        }
        (c.hits.load(Ordering::Relaxed), c.misses.load(Ordering::Relaxed))
    });
    crate::diag::sort(&mut diags);
    Ok(Summary {
        articles: content.articles.len(),
        pages,
        warnings: diags,
        cached,
        phases,
    })
}

/// The `--cache` folder, opened; a folder kb cannot use (locked by another build, not writable) is a warning and the
/// build goes on without it, a folder in the wrong place an error.
fn open_cache(
    config: &Config,
    content: &Content,
    opts: &BuildOptions,
    diags: &mut Vec<Diagnostic>,
) -> Result<Option<cache::Cache>, Box<Diagnostic>> {
    let (Some(dir), Some(target)) = (&opts.cache, &opts.output) else {
        return Ok(None);
    };
    if let Err(why) = output::check_cache(&config.root, target, dir) {
        return Err(Box::new(Diagnostic::error(why).hint(
            "pass --cache a folder of its own outside the sources and the output, such as .kb-cache/",
        )));
    }
    match cache::Cache::open(dir, config, content) {
        Ok(c) => Ok(Some(c)),
        Err(why) => {
            diags.push(
                Diagnostic::warning(format!("building without the cache in {}: {why}", dir.display()))
                    .hint("the site is built as it would be without --cache"),
            );
            Ok(None)
        }
    }
}

/// The staging folder beside the output, if the build writes one.
fn staging(config: &Config, opts: &BuildOptions) -> Result<Option<output::Staging>, Box<Diagnostic>> {
    let Some(target) = &opts.output else { return Ok(None) };
    if let Err(why) = output::check_target(&config.root, target) {
        return Err(Box::new(
            Diagnostic::error(why).hint("pass --output with a folder of its own, such as site/"),
        ));
    }
    output::Staging::new(target).map(Some).map_err(|e| {
        Box::new(Diagnostic::error(format!(
            "cannot create the output folder beside {}: {e}",
            target.display()
        )))
    })
}

/// The search index's files, built in memory from loaded content (its checks' cards in the model) as `kb build`
/// writes them: what `kb diagnose` ranks articles with. Errors among the problems found are returned.
pub fn search_files(config: &Config, content: &Content) -> Result<Vec<search::File>, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let rendered = render_markdown(content, &mut diags);
    let model = Model::assemble(config, content, rendered, true, None, &mut diags);
    if diags.iter().any(Diagnostic::is_error) {
        crate::diag::sort(&mut diags);
        return Err(diags);
    }
    Ok(search::index(&model))
}

/// Writes the search index's files under [`search::DIR`].
pub fn write_index(files: &[search::File], out: &dyn Sink) -> Result<(), Box<Diagnostic>> {
    for f in files {
        let path = format!("{}/{}", search::DIR, f.path);
        crate::timing::WRITING
            .time(|| out.write(&path, &f.bytes))
            .map_err(|e| Box::new(Diagnostic::error(format!("cannot write {path}: {e}"))))?;
    }
    Ok(())
}

pub fn render_markdown(content: &Content, diags: &mut Vec<Diagnostic>) -> (Vec<Rendered>, Vec<Rendered>) {
    let articles: Vec<(Rendered, Vec<Diagnostic>)> = content
        .articles
        .par_iter()
        .enumerate()
        .map(|(i, _)| {
            let mut d = Vec::new();
            (render_article(content, i, &mut d), d)
        })
        .collect();
    let articles = articles
        .into_iter()
        .map(|(r, d)| {
            diags.extend(d);
            r
        })
        .collect();
    (articles, render_sections(content, diags))
}

/// Renders the sections' `_index.md` Markdown (an empty rendering for a folder without one).
pub fn render_sections(content: &Content, diags: &mut Vec<Diagnostic>) -> Vec<Rendered> {
    let sections: Vec<(Rendered, Vec<Diagnostic>)> = (0..content.sections.len())
        .into_par_iter()
        .map(|i| {
            let mut d = Vec::new();
            (render_section(content, i, &mut d), d)
        })
        .collect();
    sections
        .into_iter()
        .map(|(r, d)| {
            diags.extend(d);
            r
        })
        .collect()
}

/// Renders section `i`'s `_index.md` Markdown (an empty rendering for a folder without one).
pub fn render_section(content: &Content, i: usize, diags: &mut Vec<Diagnostic>) -> Rendered {
    let s = &content.sections[i];
    let Some(file) = &s.file else {
        return Rendered::default();
    };
    let source = s.source();
    let doc = Doc {
        file,
        source: &source,
        body: s.body(),
        body_offset: s.body_offset,
        cards: &[],
    };
    markdown::render(&doc, content, diags)
}

/// Renders article `i`'s Markdown, with its check cards.
pub fn render_article(content: &Content, i: usize, diags: &mut Vec<Diagnostic>) -> Rendered {
    match content.articles[i].source_file() {
        Ok(file) => render_article_in(content, i, &file, diags),
        Err(e) => {
            diags.push(*e);
            Rendered::default()
        }
    }
}

/// Renders article `i`'s Markdown from its file `file` (read again if its text was let go).
pub fn render_article_in(content: &Content, i: usize, file: &SourceFile, diags: &mut Vec<Diagnostic>) -> Rendered {
    let a = &content.articles[i];
    let doc = Doc {
        file,
        source: &a.source,
        body: file.text.get(a.body_offset..).unwrap_or_default(),
        body_offset: a.body_offset,
        cards: content.cards.get(i).map_or(&[], Vec::as_slice),
    };
    markdown::render(&doc, content, diags)
}

/// Links to `other.md#anchor`: the anchor must be a heading of that page.
pub fn check_anchors(content: &Content, articles: &[Rendered], sections: &[Rendered], diags: &mut Vec<Diagnostic>) {
    let article_files = articles.iter().zip(content.articles.iter().map(|a| Some(&a.file)));
    let section_files = sections.iter().zip(content.sections.iter().map(|s| s.file.as_ref()));
    for (rendered, file) in article_files.chain(section_files) {
        let Some(file) = file else { continue };
        for r in &rendered.anchor_refs {
            let (anchors, page) = match r.target {
                Target::Article(i) => (&articles[i].anchors, format!("content/{}", content.articles[i].source)),
                Target::Section(i) => (
                    &sections[i].anchors,
                    format!("the section page of content/{}/", content.sections[i].dir),
                ),
            };
            if !anchors.contains(&r.anchor) {
                diags.push(markdown::missing_anchor(
                    file,
                    r.span.clone(),
                    &r.anchor,
                    &page,
                    anchors,
                ));
            }
        }
    }
}

/// Broken links and missing anchors as warnings where kb.toml's `[links]` says `warn` (a migrated site building
/// while it is being fixed); everything else keeps its level.
pub fn link_levels(config: &Config, diags: &mut [Diagnostic]) {
    use crate::config::Level;
    use crate::diag::{Class, Severity};
    for d in diags.iter_mut().filter(|d| d.is_error()) {
        let (key, then) = match d.class {
            Some(Class::BrokenLink) if config.links.broken == Level::Warn => ("broken", "the link is left as written"),
            Some(Class::MissingAnchor) if config.links.anchors == Level::Warn => {
                ("anchors", "the link goes to the top of that page")
            }
            _ => continue,
        };
        d.severity = Severity::Warning;
        d.notes.push(format!(
            "a warning while kb.toml has `[links] {key} = \"warn\"`; {then}"
        ));
    }
}

const RELATED_MAX: usize = 5;

pub fn related_articles(content: &Content, diags: &mut Vec<Diagnostic>) -> Vec<Vec<usize>> {
    // Position of each article in its section's list, so that neighbours are found in constant time.
    let mut position = vec![0usize; content.articles.len()];
    for s in &content.sections {
        for (p, &a) in s.articles.iter().enumerate() {
            position[a] = p;
        }
    }
    (0..content.articles.len())
        .map(|i| related_of(content, i, position[i], diags))
        .collect()
}

/// Article `i`'s related articles, `p` being its place in its section's list.
pub fn related_of(content: &Content, i: usize, p: usize, diags: &mut Vec<Diagnostic>) -> Vec<usize> {
    let a = &content.articles[i];
    let mut out: Vec<usize> = Vec::new();
    for slug in &a.meta.related {
        let wanted = crate::content::slug::slugify_path(slug);
        match content.by_slug.get(&wanted) {
            Some(&j) if j != i => {
                if content.articles[j].internal && !a.internal {
                    diags.push(related_internal(a, slug, false));
                }
                if !out.contains(&j) {
                    out.push(j);
                }
            }
            Some(_) => {}
            None if content.internal_paths.contains(&wanted) => diags.push(related_internal(a, slug, true)),
            None => diags.push(unknown_related(a, content, slug)),
        }
    }
    let siblings = &content.sections[a.section].articles;
    let around = siblings[p.saturating_sub(3)..(p + 4).min(siblings.len())].iter();
    for &j in around {
        if out.len() >= RELATED_MAX {
            break;
        }
        if j != i && !out.contains(&j) {
            out.push(j);
        }
    }
    out
}

/// A public article's `related` entry naming an internal one: an error in a public build, which does not have it,
/// and a warning in an internal one, which does.
fn related_internal(a: &Article, slug: &str, public_build: bool) -> Diagnostic {
    let d = if public_build {
        Diagnostic::error(format!("`related` names `{slug}`, an internal article")).label("not in a public build")
    } else {
        Diagnostic::warning(format!(
            "`related` names `{slug}`, an internal article: a public build fails on it"
        ))
    };
    let file = a.diagnostic_file();
    d.at(&file, a.spans.element(&file, "related", &format!("\"{slug}\"")))
        .hint("name a public article, or make this article internal too")
}

fn unknown_related(a: &Article, content: &Content, slug: &str) -> Diagnostic {
    let hint = match content.suggest_slug(slug) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "`related` lists article slugs, e.g. \"workflows/403-not-assigned-app\"".into(),
    };
    let file = a.diagnostic_file();
    Diagnostic::error(format!("`related` names `{slug}`, which is not an article"))
        .at(&file, a.spans.element(&file, "related", &format!("\"{slug}\"")))
        .label("no article has this slug")
        .hint(hint)
}

/// Where an alias's redirect page goes, relative to the site root.
pub fn alias_file(alias: &str) -> Result<String, &'static str> {
    let a = alias.trim();
    if a.contains("://") || a.starts_with("//") {
        return Err("an alias is a path on this site, not a URL");
    }
    let a = a.trim_start_matches('/');
    if a.is_empty() {
        return Err("an alias cannot be the home page");
    }
    if a.split('/').any(|s| s == ".." || s == ".") || a.contains('\\') || a.contains('#') || a.contains('?') {
        return Err("an alias cannot contain `..`, `.`, `\\`, `#` or `?`");
    }
    if a.ends_with(".html") || a.ends_with(".htm") {
        Ok(a.to_string())
    } else {
        Ok(format!("{}/index.html", a.trim_end_matches('/')))
    }
}

/// Aliases are paths relative to the site root (like slugs); each becomes a redirect page there. An alias that
/// names an existing page is caught with every other output collision.
pub fn check_aliases(content: &Content, diags: &mut Vec<Diagnostic>) {
    for a in &content.articles {
        for alias in &a.meta.aliases {
            if let Err(why) = alias_file(alias) {
                let file = a.diagnostic_file();
                let span = a.spans.element(&file, "aliases", &format!("\"{alias}\""));
                diags.push(
                    Diagnostic::error(format!("invalid alias {alias:?}: {why}"))
                        .at(&file, span)
                        .hint("write the old page's path, e.g. \"/kb/old-article/\""),
                );
            }
        }
    }
}
