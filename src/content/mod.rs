//! The article model: `content/**/*.md` loaded into articles and sections, with front matter checked and slugs made.
//!
//! This is where the site side and the check side meet: both read `Article`, nothing else of each other.

mod audience;
pub mod blocks;
pub mod front_matter;
pub mod git;
mod order;
mod reshape;
pub mod slug;
mod texts;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::config::Config;
use crate::diag::{Diagnostic, SourceFile, did_you_mean, line_col};
use front_matter::Spans;
pub use front_matter::{Audience, FrontMatter};

pub const CONTENT_DIR: &str = "content";

/// URL prefixes the site generates itself; no article or section may take them.
pub const RESERVED: &[&str] = &["products", "tags", "errors", "assets", "report"];

#[derive(Debug, Clone)]
pub struct Article {
    pub file: SourceFile,
    /// The path under `content/`, with `/` separators: `workflows/403-not-assigned-app.md`.
    pub source: String,
    pub slug: String,
    /// The page URL, starting with the site's base path: `/workflows/403-not-assigned-app/`.
    pub url: String,
    pub meta: FrontMatter,
    pub spans: Spans,
    pub body_offset: usize,
    /// Index of the section (folder) holding the article; 0 is the root.
    pub section: usize,
    /// The article's check blocks, in order.
    pub checks: Vec<blocks::CheckBlock>,
    /// For the support team only: its own `audience`, or its section's (only an internal build holds one).
    pub internal: bool,
    /// The date of the last commit that touched the file (`git log`), when the site is in a full git clone.
    pub committed: Option<chrono::NaiveDate>,
    /// What lists show of it when it has no `description`, worked out at load when a build lets go of its text
    /// ([`Content::load_released`]); `None` otherwise.
    pub summary: Option<String>,
}

impl Article {
    /// Its Markdown after the front matter; not to be asked once the text is let go ([`Article::source_file`]).
    pub fn body(&self) -> &str {
        debug_assert!(!self.file.is_released(), "the body of {} was let go", self.source);
        self.file.text.get(self.body_offset..).unwrap_or_default()
    }

    pub fn title(&self) -> &str {
        self.meta.title.as_deref().unwrap_or_default()
    }

    /// When it last changed: `updated`, else its last commit's date from git, else `date`.
    pub fn updated(&self) -> Option<chrono::NaiveDate> {
        self.meta.updated.or(self.committed).or(self.meta.date)
    }
}

#[derive(Debug, Clone)]
pub struct Section {
    /// The `_index.md` file, if the folder has one.
    pub file: Option<SourceFile>,
    /// The folder under `content/` (`""` for the root).
    pub dir: String,
    pub slug: String,
    pub url: String,
    pub meta: FrontMatter,
    pub body_offset: usize,
    pub parent: Option<usize>,
    pub articles: Vec<usize>,
    pub subsections: Vec<usize>,
    /// Its `_index.md`, or a parent's, says `audience = "internal"`.
    pub internal: bool,
}

impl Section {
    pub fn title(&self) -> String {
        match &self.meta.title {
            Some(t) => t.clone(),
            None => {
                let name = self.dir.rsplit('/').next().unwrap_or_default();
                let mut s = name.replace(['-', '_'], " ");
                if let Some(first) = s.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                s
            }
        }
    }

    pub fn body(&self) -> &str {
        self.file.as_ref().map_or("", |f| &f.text[self.body_offset..])
    }

    /// The path of the section's `_index.md` under `content/` (links are resolved from it).
    pub fn source(&self) -> String {
        index_source(&self.dir)
    }
}

/// What a source path (as written in a link) points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Target {
    Article(usize),
    Section(usize),
}

#[derive(Debug, Default)]
pub struct Content {
    pub articles: Vec<Article>,
    /// Index 0 is the root (the home page's own section).
    pub sections: Vec<Section>,
    pub by_source: HashMap<String, Target>,
    pub by_slug: HashMap<String, usize>,
    section_by_dir: HashMap<String, usize>,
    /// Files other than Markdown under `content/` (images, downloads), by source path; published beside their pages.
    pub assets: HashMap<String, Asset>,
    /// Source paths of files that exist but did not become pages: drafts, and files with errors of their own.
    pub unpublished: HashMap<String, Unpublished>,
    /// The cards of each article's check blocks (by article index), once the check side has validated them.
    pub cards: Vec<Vec<blocks::CheckCard>>,
    /// What becomes of raw HTML in the Markdown (`[markdown] html` in kb.toml).
    pub raw_html: crate::config::RawHtml,
    /// Who the content was loaded for. A public load holds no internal article, section or file: they are in
    /// `unpublished` (by source path), and the URL paths of internal articles, sections and aliases in
    /// `internal_paths` (without slashes), so that what points at them is an error.
    pub audience: Audience,
    pub internal_paths: HashSet<String>,
}

/// A file published as it is: from `path` to `out` (relative to the site root), linked as `url`.
#[derive(Debug, Clone)]
pub struct Asset {
    pub path: PathBuf,
    pub out: String,
    pub url: String,
}

/// Characters a URL path keeps as they are (`/` separates segments); everything else is percent-encoded.
const URL_PATH: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// An article's file read again.
pub enum Reread {
    /// The article, ready to take its old place: same slug, still published.
    Article(Box<Article>),
    /// The edit changes the site's structure (a new slug, now a draft): everything is to be loaded again.
    Structural,
    /// The file has errors.
    Invalid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unpublished {
    Draft,
    Invalid,
    /// Internal, left out of a public build.
    Internal,
}

/// A file read from `content/`, before it becomes an article or a section.
enum Loaded {
    Article(Box<Article>),
    SectionIndex(Box<SectionIndex>),
}

struct SectionIndex {
    dir: String,
    file: SourceFile,
    meta: FrontMatter,
    spans: Spans,
    body_offset: usize,
}

impl Content {
    /// Loads `content/` under the config's root. Problems go to `diags`; what loaded cleanly is returned.
    pub fn load(config: &Config, drafts: bool, diags: &mut Vec<Diagnostic>) -> Content {
        Content::load_texts(config, drafts, None, diags)
    }

    /// Loads `content/` as [`Content::load`] does, letting go of each article's text as soon as it is read, its
    /// summary found with `summary` (for an article without a description): a build's memory then never holds
    /// every article's source. [`Article::source_file`] reads a text again.
    pub fn load_released(
        config: &Config,
        drafts: bool,
        summary: fn(&str) -> String,
        diags: &mut Vec<Diagnostic>,
    ) -> Content {
        Content::load_texts(config, drafts, Some(summary), diags)
    }

    fn load_texts(
        config: &Config,
        drafts: bool,
        release: Option<fn(&str) -> String>,
        diags: &mut Vec<Diagnostic>,
    ) -> Content {
        let root = config.root.join(CONTENT_DIR);
        if !root.is_dir() {
            diags.push(
                Diagnostic::error(format!("no `{CONTENT_DIR}/` folder in {}", config.root.display()))
                    .at_path(CONTENT_DIR)
                    .hint("put the articles in content/, or pass --root with the folder that holds it"),
            );
            return Content::default();
        }
        // git's history is read while the files are parsed.
        let git = config.git_dates.then(|| {
            let dir = root.clone();
            std::thread::spawn(move || git::dates(&dir))
        });
        let (files, assets) = walk(&config.root, &root, diags);
        let loaded: Vec<(Result<Loaded, ()>, Vec<Diagnostic>)> = files
            .par_iter()
            .map(|(path, rel)| {
                let mut d = Vec::new();
                let mut loaded = load_file(&config.root, path, rel, &mut d);
                if let (Some(summary), Ok(Loaded::Article(a))) = (release, &mut loaded) {
                    a.release(&config.root, summary);
                }
                (loaded, d)
            })
            .collect();
        let mut content = Content {
            raw_html: config.raw_html,
            audience: config.audience,
            ..Content::default()
        };
        content.sections.push(Section {
            file: None,
            dir: String::new(),
            slug: String::new(),
            url: config.url(""),
            meta: FrontMatter::default(),
            body_offset: 0,
            parent: None,
            articles: Vec::new(),
            subsections: Vec::new(),
            internal: false,
        });
        let mut indexes = Vec::new();
        let mut articles = Vec::new();
        for ((_, rel), (item, d)) in files.iter().zip(loaded) {
            diags.extend(d);
            match item {
                Ok(Loaded::Article(a)) if a.meta.draft && !drafts => {
                    content.unpublished.insert(rel.clone(), Unpublished::Draft);
                }
                Ok(Loaded::Article(a)) => articles.push(*a),
                Ok(Loaded::SectionIndex(index)) => indexes.push(*index),
                Err(()) => {
                    content.unpublished.insert(rel.clone(), Unpublished::Invalid);
                }
            }
        }
        let internal_dirs = content.keep_for_audience(&mut indexes, diags);
        let (committed, shallow) = git.and_then(|g| g.join().ok()).unwrap_or_default();
        diags.extend(shallow);
        let left_out = content.add_articles(config, articles, &internal_dirs, &committed, diags);
        let only_internal = audience::files_only_internal(&left_out, &content.articles, &internal_dirs, diags);
        content.add_assets(config, assets, &internal_dirs, &only_internal);
        content.build_sections(config, indexes, &internal_dirs, diags);
        content.check_slugs(diags);
        content
    }

    /// The internal folders; in a public load, the sections at or under them are left out (and noted, so that what
    /// points at them is an error).
    fn keep_for_audience(&mut self, indexes: &mut Vec<SectionIndex>, diags: &mut Vec<Diagnostic>) -> HashSet<String> {
        let internal_dirs = audience::internal_dirs(indexes.iter().map(|i| (i.dir.as_str(), &i.meta)));
        for i in indexes.iter() {
            audience::check_section(&i.dir, &i.file, &i.meta, &i.spans, &internal_dirs, diags);
        }
        if self.audience == Audience::Public {
            indexes.retain(|index| {
                let out = audience::in_internal_dir(&index.dir, &internal_dirs);
                if out {
                    self.unpublished.insert(index_source(&index.dir), Unpublished::Internal);
                    self.internal_paths.insert(slug::slugify_path(&index.dir));
                }
                !out
            });
        }
        internal_dirs
    }

    /// The loaded articles, marked internal or not and dated from git; a public load notes the internal ones (their
    /// source, slug and aliases) instead of keeping them, and returns them.
    fn add_articles(
        &mut self,
        config: &Config,
        articles: Vec<Article>,
        internal_dirs: &HashSet<String>,
        committed: &HashMap<String, chrono::NaiveDate>,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<Article> {
        let mut left_out = Vec::new();
        for mut a in articles {
            a.internal = audience::article_is_internal(&a, internal_dirs, diags);
            a.committed = committed.get(&a.source).copied();
            if a.internal && self.audience == Audience::Public {
                self.unpublished.insert(a.source.clone(), Unpublished::Internal);
                self.internal_paths.insert(a.slug.clone());
                let aliases = a.meta.aliases.iter().map(|x| x.trim().trim_matches('/').to_string());
                self.internal_paths.extend(aliases);
                left_out.push(a);
                continue;
            }
            a.url = config.url(&format!("{}/", a.slug));
            self.articles.push(a);
        }
        left_out
    }

    /// Files beside the articles, published under their folder's slug; in a public load, none of an internal
    /// folder's and none that only internal articles use (`only_internal`).
    fn add_assets(
        &mut self,
        config: &Config,
        assets: Vec<(PathBuf, String)>,
        internal_dirs: &HashSet<String>,
        only_internal: &HashSet<String>,
    ) {
        for (path, rel) in assets {
            let public = self.audience == Audience::Public;
            if public && (audience::in_internal_dir(parent_dir(&rel), internal_dirs) || only_internal.contains(&rel)) {
                self.unpublished.insert(rel, Unpublished::Internal);
                continue;
            }
            let dir = parent_dir(&rel);
            let name = rel.rsplit('/').next().unwrap_or(&rel);
            let out = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{}/{name}", slug::slugify_path(dir))
            };
            let url = config.url(&percent_encoding::utf8_percent_encode(&out, URL_PATH).to_string());
            self.assets.insert(rel, Asset { path, out, url });
        }
    }

    fn section_for_dir(&mut self, config: &Config, dir: &str) -> usize {
        if dir.is_empty() {
            return 0;
        }
        if let Some(&i) = self.section_by_dir.get(dir) {
            return i;
        }
        let parent_dir = dir.rsplit_once('/').map_or("", |(p, _)| p).to_string();
        let parent = self.section_for_dir(config, &parent_dir);
        let slug = slug::slugify_path(dir);
        let i = self.sections.len();
        self.sections.push(Section {
            file: None,
            dir: dir.to_string(),
            url: config.url(&format!("{slug}/")),
            slug,
            meta: FrontMatter::default(),
            body_offset: 0,
            parent: Some(parent),
            articles: Vec::new(),
            subsections: Vec::new(),
            internal: false,
        });
        self.sections[parent].subsections.push(i);
        self.section_by_dir.insert(dir.to_string(), i);
        i
    }

    fn build_sections(
        &mut self,
        config: &Config,
        indexes: Vec<SectionIndex>,
        internal_dirs: &HashSet<String>,
        diags: &mut Vec<Diagnostic>,
    ) {
        for SectionIndex {
            dir,
            file,
            meta,
            body_offset,
            ..
        } in indexes
        {
            let i = self.section_for_dir(config, &dir);
            if i != 0 && self.sections[i].slug.is_empty() {
                diags.push(
                    Diagnostic::error(format!("the folder name `{dir}` gives an empty URL"))
                        .at_path(format!("{CONTENT_DIR}/{dir}"))
                        .hint("rename the folder with at least one ASCII letter or digit"),
                );
            }
            let s = &mut self.sections[i];
            s.file = Some(file);
            s.meta = meta;
            s.body_offset = body_offset;
            self.by_source.insert(index_source(&dir), Target::Section(i));
        }
        for a in 0..self.articles.len() {
            let dir = parent_dir(&self.articles[a].source).to_string();
            let s = self.section_for_dir(config, &dir);
            self.articles[a].section = s;
            self.sections[s].articles.push(a);
            self.by_source
                .insert(self.articles[a].source.clone(), Target::Article(a));
        }
        for s in 0..self.sections.len() {
            self.sort_section(s);
            self.sections[s].internal = audience::in_internal_dir(&self.sections[s].dir, internal_dirs);
        }
        let sections = self.sections.clone();
        for s in &mut self.sections {
            s.subsections
                .sort_by_cached_key(|&i| (sections[i].meta.weight, sections[i].title().to_lowercase()));
        }
    }

    /// Slugs and URLs must be unique: two articles, or an article and a section, may not share one.
    fn check_slugs(&mut self, diags: &mut Vec<Diagnostic>) {
        let mut owners: HashMap<&str, Vec<String>> = HashMap::new();
        for s in self.sections.iter().skip(1) {
            if s.slug.is_empty() {
                continue;
            }
            let entry = owners.entry(&s.slug).or_default();
            let here = format!("{CONTENT_DIR}/{}/", s.dir);
            if let Some(first) = entry.first() {
                diags.push(
                    Diagnostic::error(format!("duplicate section URL `/{}/`: {first} and {here}", s.slug))
                        .at_path(here.clone())
                        .hint("rename one of the folders so that their names differ in letters or digits"),
                );
            }
            entry.push(here);
        }
        let mut dups = Vec::new();
        for (i, a) in self.articles.iter().enumerate() {
            let top = a.slug.split('/').next().unwrap_or_default();
            if RESERVED.contains(&top) {
                diags.push(
                    Diagnostic::error(format!(
                        "the slug `{}` is under `/{top}/`, which kb generates itself",
                        a.slug
                    ))
                    .at(&a.file, a.spans.value("slug"))
                    .hint(format!(
                        "move the file out of a folder named `{top}`, or set another `slug`"
                    )),
                );
            }
            let entry = owners.entry(&a.slug).or_default();
            if !entry.is_empty() {
                dups.push((i, entry.clone()));
            }
            entry.push(a.file.path.clone());
        }
        for (i, others) in dups {
            let a = &self.articles[i];
            let how = if a.meta.slug.is_some() {
                "its `slug`"
            } else {
                "its file name"
            };
            diags.push(
                Diagnostic::error(format!(
                    "duplicate slug `{}`: {} and {} would both be /{}/",
                    a.slug,
                    others.join(", "),
                    a.file.path,
                    a.slug
                ))
                .at(&a.file, a.spans.value("slug"))
                .label(format!("{how} slugifies to `{}`", a.slug))
                .hint("rename one of the files, or give one a different `slug` in its front matter"),
            );
        }
        for (i, a) in self.articles.iter().enumerate() {
            self.by_slug.insert(a.slug.clone(), i);
        }
    }

    /// The articles a command-line selection names: each item a slug, a source path, a section's folder, or a tag
    /// (`kb check`, `kb scopes`). No items selects every article. Items that name nothing are returned as errors with a hint.
    pub fn select(&self, items: &[String]) -> Result<Vec<usize>, Vec<Diagnostic>> {
        if items.is_empty() {
            return Ok((0..self.articles.len()).collect());
        }
        let mut chosen = Vec::new();
        let mut errors = Vec::new();
        for item in items {
            let key = item
                .trim_start_matches("./")
                .trim_start_matches("content/")
                .trim_matches('/');
            let by_path = match self
                .by_source
                .get(key)
                .or_else(|| self.by_source.get(&format!("{key}.md")))
            {
                Some(Target::Article(i)) => Some(*i),
                _ => None,
            };
            if let Some(i) = by_path.or_else(|| self.by_slug.get(key).copied()) {
                chosen.push(i);
                continue;
            }
            if let Some(&s) = self.section_by_dir.get(key) {
                let mut stack = vec![s];
                while let Some(s) = stack.pop() {
                    chosen.extend(&self.sections[s].articles);
                    stack.extend(&self.sections[s].subsections);
                }
                continue;
            }
            let tagged: Vec<usize> = (0..self.articles.len())
                .filter(|&i| self.articles[i].meta.tags.iter().any(|t| t.eq_ignore_ascii_case(key)))
                .collect();
            if !tagged.is_empty() {
                chosen.extend(tagged);
                continue;
            }
            let hint = match self.suggest_slug(key) {
                Some(s) => format!("did you mean `{s}`?"),
                None => {
                    "name an article by its slug (workflows/403-not-assigned-app) or path, a section folder, or a tag"
                        .into()
                }
            };
            errors.push(Diagnostic::error(format!("no article or tag `{item}`")).hint(hint));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut seen = std::collections::HashSet::new();
        chosen.retain(|i| seen.insert(*i));
        Ok(chosen)
    }

    /// Resolves a source path written relative to `from` (a path under `content/`): `../x/y.md` → its target.
    pub fn resolve_source(&self, from: &str, link: &str) -> Result<Target, String> {
        let joined = join_relative(parent_dir(from), link)?;
        self.by_source.get(&joined).copied().ok_or(joined)
    }

    /// The asset a relative link (written in the file `from`) points to, or the path it resolved to.
    pub fn resolve_asset(&self, from: &str, link: &str) -> Result<&Asset, String> {
        let joined = join_relative(parent_dir(from), link)?;
        self.assets.get(&joined).ok_or(joined)
    }

    /// The path every URL of the site starts with (`/`, or `/help/` under `base_url = "https://acme.com/help"`).
    pub fn base_path(&self) -> &str {
        self.sections.first().map_or("/", |root| root.url.as_str())
    }

    /// The closest existing source path to a missing one, for a "did you mean" hint.
    pub fn suggest_source(&self, missing: &str) -> Option<&str> {
        did_you_mean(missing, self.by_source.keys().map(String::as_str))
    }

    pub fn suggest_slug(&self, missing: &str) -> Option<&str> {
        did_you_mean(missing, self.by_slug.keys().map(String::as_str))
    }
}

fn index_source(dir: &str) -> String {
    if dir.is_empty() {
        "_index.md".into()
    } else {
        format!("{dir}/_index.md")
    }
}

fn parent_dir(source: &str) -> &str {
    source.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Joins a relative link to a folder under `content/`, resolving `.` and `..`. Fails when it leaves `content/`.
pub fn join_relative(dir: &str, link: &str) -> Result<String, String> {
    let mut parts: Vec<&str> = if link.starts_with('/') || dir.is_empty() {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    for seg in link.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!("{link} (outside {CONTENT_DIR}/)"));
                }
            }
            s => parts.push(s),
        }
    }
    Ok(parts.join("/"))
}

/// Lists the Markdown files under `content/` (sorted, hidden entries skipped). A symlink loop is skipped with a
/// warning; a file that cannot be read is an error.
type Files = Vec<(PathBuf, String)>;

fn walk(site_root: &Path, root: &Path, diags: &mut Vec<Diagnostic>) -> (Files, Files) {
    let mut files = Vec::new();
    let mut assets = Vec::new();
    let walker = WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                let is_md = e.path().extension().is_some_and(|x| x.eq_ignore_ascii_case("md"));
                let rel = e.path().strip_prefix(root).unwrap_or(e.path());
                let rel = rel.to_string_lossy().replace('\\', "/");
                if is_md {
                    files.push((e.path().to_path_buf(), rel));
                } else {
                    assets.push((e.path().to_path_buf(), rel));
                }
            }
            Ok(_) => {}
            Err(err) => {
                let path = err
                    .path()
                    .map(|p| display_path(site_root, p))
                    .unwrap_or_else(|| CONTENT_DIR.into());
                if let Some(ancestor) = err.loop_ancestor() {
                    diags.push(
                        Diagnostic::warning(format!(
                            "symbolic link loop skipped: it points back to {}",
                            display_path(site_root, ancestor)
                        ))
                        .at_path(path)
                        .hint("remove the link, or point it outside its own folder"),
                    );
                } else if err.io_error().is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
                    diags.push(
                        Diagnostic::warning("broken symbolic link skipped")
                            .at_path(path)
                            .hint("remove the link or fix its target"),
                    );
                } else {
                    diags.push(Diagnostic::error(format!("cannot read: {err}")).at_path(path));
                }
            }
        }
    }
    (files, assets)
}

fn display_path(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).to_string_lossy().replace('\\', "/")
}

/// Reads one file into an article or a section index. Problems go to `diags`; `Err` means nothing usable loaded.
fn load_file(site_root: &Path, path: &Path, rel: &str, diags: &mut Vec<Diagnostic>) -> Result<Loaded, ()> {
    let display = format!("{CONTENT_DIR}/{rel}");
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return fail(
                diags,
                Diagnostic::error(format!("cannot read: {e}")).at_path(display_path(site_root, path)),
            );
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let prefix = std::str::from_utf8(&e.as_bytes()[..valid]).unwrap_or_default();
            let (line, col) = line_col(prefix, prefix.len());
            return fail(
                diags,
                Diagnostic::error(format!(
                    "not valid UTF-8 (byte 0x{:02x} at offset {valid})",
                    e.as_bytes()[valid]
                ))
                .at_position(display, line, col)
                .hint("save the file as UTF-8"),
            );
        }
    };
    // A byte-order mark is not part of the text.
    let text = text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text);
    let file = SourceFile::new(display, text);
    let text = file.text.clone();
    let is_index = rel.rsplit('/').next() == Some("_index.md");
    if text.trim().is_empty() && !is_index {
        return fail(
            diags,
            Diagnostic::error("empty file: an article needs front matter with at least a `title`")
                .at_position(file.path.clone(), 1, 1)
                .hint("delete the file, or start it with `kb new` to get a skeleton"),
        );
    }
    let split = match front_matter::split(&file, &text) {
        Ok(s) => s,
        Err(d) => return fail(diags, *d),
    };
    let keys = if is_index {
        front_matter::SECTION_KEYS
    } else {
        front_matter::ARTICLE_KEYS
    };
    let parsed = front_matter::parse(&file, &split, keys, diags);
    if is_index {
        let (meta, spans) = parsed.ok_or(())?;
        for block in blocks::extract(&file.text[split.body_offset..], split.body_offset) {
            diags.push(
                Diagnostic::error("a check block in a section's `_index.md` is never run")
                    .at(&file, block.fence.start..block.fence.start + 8)
                    .hint("check blocks belong in articles: move it into the article whose problem it detects"),
            );
        }
        let dir = parent_dir(rel).to_string();
        return Ok(Loaded::SectionIndex(Box::new(SectionIndex {
            dir,
            file,
            meta,
            spans,
            body_offset: split.body_offset,
        })));
    }
    if split.format.is_none() {
        return fail(
            diags,
            Diagnostic::error("no front matter: an article starts with a `+++` block holding at least a `title`")
                .at(&file, 0..0)
                .hint("add at the top:\n+++\ntitle = \"The symptom as a reader would search it\"\n+++"),
        );
    }
    let Some((meta, spans)) = parsed else {
        return Err(());
    };
    if meta.title.is_none() {
        return fail(
            diags,
            Diagnostic::error("missing `title` in front matter")
                .at(&file, 0..3)
                .label("this front matter has no `title`")
                .hint("add `title = \"...\"`: the symptom as a reader would search it"),
        );
    }
    let stem = rel
        .strip_suffix(".md")
        .or_else(|| rel.strip_suffix(".MD"))
        .unwrap_or(rel);
    let slug = slug::slugify_path(meta.slug.as_deref().unwrap_or(stem));
    if slug.is_empty() {
        let d = match &meta.slug {
            Some(_) => Diagnostic::error("`slug` has no letters or digits to make a URL from")
                .at(&file, spans.value("slug"))
                .hint("use ASCII letters, digits and dashes"),
            None => Diagnostic::error(format!("the file name `{rel}` gives an empty URL"))
                .at_position(file.path.clone(), 1, 1)
                .hint("rename the file with ASCII letters or digits, or set `slug` in its front matter"),
        };
        return fail(diags, d);
    }
    Ok(Loaded::Article(Box::new(Article {
        source: rel.to_string(),
        slug,
        url: String::new(),
        meta,
        spans,
        checks: blocks::extract(&file.text[split.body_offset..], split.body_offset),
        body_offset: split.body_offset,
        section: 0,
        internal: false,
        committed: None,
        summary: None,
        file,
    })))
}

fn fail(diags: &mut Vec<Diagnostic>, d: Diagnostic) -> Result<Loaded, ()> {
    diags.push(d);
    Err(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_joins() {
        assert_eq!(join_relative("workflows", "../api/x.md").unwrap(), "api/x.md");
        assert_eq!(join_relative("workflows", "x.md").unwrap(), "workflows/x.md");
        assert_eq!(join_relative("", "./a/b.md").unwrap(), "a/b.md");
        assert_eq!(join_relative("a/b", "/c.md").unwrap(), "c.md");
        assert!(join_relative("a", "../../x.md").is_err());
    }
}
