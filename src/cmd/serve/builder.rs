//! The serve engine: the site in memory and what a batch of saved files does to it (an article re-rendered in
//! place through `site::live`, or the whole site built again), with the problems to show.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{WATCHED_DIRS, clock};
use crate::checks::{self, Library};
use crate::config::{CONFIG_FILE, Config};
use crate::content::{Reread, Target};
use crate::diag::{self, Diagnostic};
use crate::site::live::{Edit, Reshape, Scope, Site, Update};
use crate::site::serve::Store;
use crate::text::count;

/// The site, and what is needed to update it.
pub struct Builder {
    root: PathBuf,
    drafts: bool,
    pub(super) search: bool,
    base_url: String,
    /// The last good site; `None` until a build succeeds.
    pub(super) site: Option<Site>,
    library: Library,
    vars: Vec<String>,
    /// Paths of saves that failed: each update takes them again, so that a fix elsewhere does not hide them.
    pending: BTreeSet<PathBuf>,
    /// Who the preview is for (internal unless `--audience` says otherwise).
    pub audience: crate::content::Audience,
}

impl Builder {
    /// The error catalogues kb.toml names (paths relative to the root), read from kb.toml itself, so that a
    /// catalogue is watched even while it (or anything else) keeps the site from building.
    pub(super) fn catalogues(&self) -> Vec<String> {
        let text = std::fs::read_to_string(self.root.join(CONFIG_FILE)).unwrap_or_default();
        let table: toml::Table = text.parse().unwrap_or_default();
        let list = table
            .get("errors")
            .and_then(|e| e.get("catalogues"))
            .and_then(|c| c.as_array());
        list.into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }
}

/// What an update does.
enum Plan {
    Nothing,
    /// Articles edited in place (by index), and their source paths.
    Edit(Vec<(usize, String)>),
    /// One new article's file (its path under `content/`, then under the root), and nothing else.
    Add(String, String),
    /// One article whose file is gone (by index, then its path under the root), and nothing else.
    Remove(usize, String),
    /// Everything, because of this file.
    Full(String),
}

impl Builder {
    /// A builder for the site at `root` (canonical, as watched paths are), served from `base_url`.
    pub fn new(root: &Path, drafts: bool, search: bool, base_url: &str) -> Builder {
        Builder {
            root: root.to_path_buf(),
            drafts,
            search,
            base_url: base_url.to_string(),
            site: None,
            library: Library::default(),
            vars: Vec::new(),
            pending: BTreeSet::new(),
            audience: crate::content::Audience::Internal,
        }
    }

    /// Loads and renders everything.
    pub fn full(&mut self) -> Result<Update, Vec<Diagnostic>> {
        let mut config = Config::load(&self.root, Some(&self.base_url))?;
        config.audience = self.audience;
        config.git_dates = true;
        // The site keeps every article's rendering, not its text: a text is read again when it is needed.
        let loaded = crate::cmd::load_released(&config, self.drafts).with_cards();
        let vars = checks::known_vars(&config);
        let (site, update) = Site::build(config, loaded.content, loaded.diags, self.search)?;
        self.site = Some(site);
        self.library = loaded.checks.library;
        self.vars = vars;
        Ok(update)
    }

    /// What changed files call for.
    fn plan(&self, paths: &BTreeSet<PathBuf>) -> Plan {
        let Some(site) = &self.site else {
            return Plan::Full("the site".into());
        };
        let mut edits = Vec::new();
        let mut shapes = Vec::new();
        let catalogues = self.catalogues();
        for path in paths {
            let Ok(rel) = path.strip_prefix(&self.root) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            let top = rel.split('/').next().unwrap_or_default();
            let catalogue = catalogues.iter().any(|c| c.trim_start_matches("./") == rel);
            let watched = WATCHED_DIRS.contains(&top) || rel == CONFIG_FILE || catalogue;
            if !watched || rel.split('/').any(|part| part.starts_with('.')) {
                continue;
            }
            let Some(source) = rel.strip_prefix("content/") else {
                return Plan::Full(rel);
            };
            let known = site.content.by_source.get(source);
            if let Some(Target::Article(i)) = known
                && path.is_file()
            {
                edits.push((*i, rel));
                continue;
            }
            // A file written and removed again within the burst (an editor's temporary file) changes nothing.
            if known.is_none() && !site.content.assets.contains_key(source) && !path.exists() {
                continue;
            }
            if let Some(Target::Article(i)) = known
                && !path.exists()
            {
                shapes.push(Plan::Remove(*i, rel));
                continue;
            }
            let markdown = Path::new(source)
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("md"));
            let index = source.rsplit('/').next() == Some("_index.md");
            if known.is_none() && markdown && !index && path.is_file() && !site.content.unpublished.contains_key(source)
            {
                shapes.push(Plan::Add(source.to_string(), rel));
                continue;
            }
            return Plan::Full(rel);
        }
        // One more or one fewer article alone is put in or taken out; with anything else, everything is built.
        match (edits.is_empty(), shapes.len()) {
            (true, 0) => Plan::Nothing,
            (false, 0) => Plan::Edit(edits),
            (true, 1) => shapes.pop().expect("one"),
            _ => Plan::Full("several files".into()),
        }
    }

    /// Updates the site for changed files; `None` when none of them matters. The text says what changed.
    pub fn update(&mut self, paths: BTreeSet<PathBuf>) -> Option<(String, Result<Update, Vec<Diagnostic>>)> {
        let mut all = std::mem::take(&mut self.pending);
        all.extend(paths.iter().cloned());
        let result = match self.plan(&all) {
            Plan::Nothing => {
                self.pending = all;
                return None;
            }
            Plan::Full(why) => (why, self.full()),
            Plan::Add(source, rel) => (rel, self.add(&source)),
            Plan::Remove(i, rel) => {
                let reshaped = self.site.as_mut().and_then(|site| site.reshape(Reshape::Remove(i)));
                (rel, reshaped.unwrap_or_else(|| self.full()))
            }
            Plan::Edit(edits) => {
                let what = edits.iter().map(|(_, rel)| rel.as_str()).collect::<Vec<_>>().join(", ");
                (what, self.edit(edits.into_iter().map(|(i, _)| i).collect()))
            }
        };
        if result.1.is_err() {
            self.pending = all;
        }
        Some(result)
    }

    /// Re-reads edited articles and puts them in place.
    fn edit(&mut self, indices: Vec<usize>) -> Result<Update, Vec<Diagnostic>> {
        let Some(site) = &mut self.site else { return self.full() };
        let mut diags = Vec::new();
        let mut edits = Vec::new();
        for index in indices {
            match site
                .content
                .reread_article(&site.config, index, self.drafts, &mut diags)
            {
                Reread::Article(article) => {
                    let article = *article;
                    let checks = self
                        .library
                        .checks(&article.file, &article.checks, &self.vars, &mut diags);
                    let cards = checks.iter().map(|c| c.card(&article.slug)).collect();
                    edits.push(Edit { index, article, cards });
                }
                // A new slug, or now a draft: the site's structure changes.
                Reread::Structural => return self.full(),
                Reread::Invalid => {}
            }
        }
        if diags.iter().any(Diagnostic::is_error) {
            diag::sort(&mut diags);
            return Err(diags);
        }
        let mut update = site.edit(edits)?;
        diags.append(&mut update.warnings);
        update.warnings = diags;
        Ok(update)
    }

    /// Reads a new article's file and puts it in (everything is built again if it is more than one more article).
    fn add(&mut self, source: &str) -> Result<Update, Vec<Diagnostic>> {
        let Some(site) = &mut self.site else { return self.full() };
        let mut diags = Vec::new();
        let article = match site.content.read_new(&site.config, source, self.drafts, &mut diags) {
            Reread::Article(article) => article,
            Reread::Structural => return self.full(),
            Reread::Invalid => {
                diag::sort(&mut diags);
                return Err(diags);
            }
        };
        let checks = self
            .library
            .checks(&article.file, &article.checks, &self.vars, &mut diags);
        let cards = checks.iter().map(|c| c.card(&article.slug)).collect();
        if diags.iter().any(Diagnostic::is_error) {
            diag::sort(&mut diags);
            return Err(diags);
        }
        match site.reshape(Reshape::Add { article, cards }) {
            Some(Ok(mut update)) => {
                diags.append(&mut update.warnings);
                update.warnings = diags;
                Ok(update)
            }
            Some(Err(e)) => Err(e),
            None => self.full(),
        }
    }

    /// Serves an update's files, or shows why there are none, and says so in the terminal.
    /// `what` names the saved files; `None` for the first build.
    pub(super) fn publish(
        &self,
        store: &Store,
        result: Result<Update, Vec<Diagnostic>>,
        what: Option<&str>,
        started: Instant,
    ) {
        match result {
            Ok(update) => {
                crate::cmd::report(&update.warnings, "build");
                let (rendered, scope, update_phases) = (update.rendered, update.scope, update.phases);
                let changed = store.publish(update.files, &update.removed, update.complete);
                let how = match scope {
                    Scope::Articles => "",
                    Scope::Lists => " (with the lists that show it)",
                    Scope::Everything => " (every page)",
                };
                let took = started.elapsed();
                if std::env::var_os("KB_TIMINGS").is_some() {
                    for (phase, t) in &update_phases {
                        eprintln!("  {phase:<16} {t:.2?}");
                    }
                }
                match (what, &self.site) {
                    (None, Some(site)) => eprintln!(
                        "Built {} into {} in {took:.0?}",
                        count(site.content.articles.len(), "article"),
                        count(rendered, "page"),
                    ),
                    _ => eprintln!(
                        "{} {}: {} rendered{how}, {} changed, in {took:.0?}",
                        clock(),
                        what.unwrap_or("the site"),
                        count(rendered, "page"),
                        count(changed, "file"),
                    ),
                }
            }
            Err(diags) => {
                crate::cmd::report(&diags, "build");
                eprintln!("The last good pages are still served; the browser shows these errors until a good save.");
                store.fail(diag::render(&diags, false));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::live::Files;

    fn fixture() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic");
        for e in walkdir::WalkDir::new(&from) {
            let e = e.unwrap();
            let to = dir.path().join(e.path().strip_prefix(&from).unwrap());
            if e.file_type().is_dir() {
                std::fs::create_dir_all(&to).unwrap();
            } else {
                std::fs::copy(e.path(), &to).unwrap();
            }
        }
        let root = std::fs::canonicalize(dir.path()).unwrap();
        (dir, root)
    }

    const URL: &str = "http://127.0.0.1:1111";

    /// What a server holds after an update, as [`Store::publish`] applies it.
    fn apply(served: &mut Files, update: Update) {
        if update.complete {
            served.clear();
        }
        for rel in &update.removed {
            served.remove(rel);
        }
        served.extend(update.files);
    }

    fn edit(root: &Path, rel: &str, change: impl Fn(&str) -> String) -> BTreeSet<PathBuf> {
        let path = root.join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        let changed = change(&text);
        assert_ne!(text, changed, "the edit of {rel} changes it");
        std::fs::write(&path, changed).unwrap();
        [path].into()
    }

    fn assert_same(served: &Files, full: &Files, after: &str) {
        let mut differ: Vec<&String> = full
            .iter()
            .filter(|(k, v)| served.get(*k) != Some(*v))
            .map(|(k, _)| k)
            .chain(served.keys().filter(|k| !full.contains_key(*k)))
            .collect();
        differ.sort();
        assert!(
            differ.is_empty(),
            "after {after}, these files differ from a full build: {differ:?}"
        );
    }

    #[test]
    fn each_kind_of_edit_serves_what_a_full_build_makes() {
        let (_dir, root) = fixture();
        let mut builder = Builder::new(&root, false, false, URL);
        let mut served = Files::new();
        let first = builder.full().unwrap();
        let every_page = first.rendered;
        apply(&mut served, first);
        type Change = fn(&str) -> String;
        let steps: &[(&str, &str, Change, Scope, usize)] = &[
            (
                "a body edit",
                "content/guides/token-expired.md",
                |t| t.replace("fails with **401**", "fails with **401** every night"),
                Scope::Articles,
                1,
            ),
            (
                "a new title",
                "content/guides/rate-limit.md",
                |t| t.replace("429 E0000047 rate limit exceeded", "429 E0000047: too many requests"),
                Scope::Lists,
                0,
            ),
            (
                "a summary edit of an article without a description",
                "content/guides/third.md",
                |t| t.replace("Paginated onto", "Paged onto"),
                Scope::Lists,
                0,
            ),
            (
                "a new weight that reorders the section",
                "content/guides/third.md",
                |t| t.replace("tags = [\"tokens\"]", "tags = [\"tokens\"]\nweight = -5"),
                Scope::Lists,
                0,
            ),
            (
                "a new date",
                "content/guides/third.md",
                |t| t.replace("tags = [\"tokens\"]", "tags = [\"tokens\"]\nupdated = 2031-01-05"),
                Scope::Lists,
                0,
            ),
            (
                "an alias removed",
                "content/guides/token-expired.md",
                |t| t.replace("aliases = [\"/kb/old-token-article/\"]\n", ""),
                Scope::Lists,
                0,
            ),
            (
                "an error signature added, which moves the error index",
                "content/guides/third.md",
                |t| {
                    t.replace(
                        "tags = [\"tokens\"]",
                        "tags = [\"tokens\"]\nerrors = [\"E0000001 Api validation failed\"]",
                    )
                },
                Scope::Lists,
                0,
            ),
            (
                "a tag removed",
                "content/guides/token-expired.md",
                |t| t.replace("tags = [\"tokens\", \"API\"]", "tags = [\"tokens\"]"),
                Scope::Lists,
                0,
            ),
            (
                "a related article named",
                "content/guides/rate-limit.md",
                |t| t.replace("tags: [\"API\"]", "tags: [\"API\"]\nrelated: [\"top-level\"]"),
                Scope::Lists,
                0,
            ),
            (
                "a new product, which every page's header lists",
                "content/guides/third.md",
                |t| t.replace("tags = [\"tokens\"]", "tags = [\"tokens\"]\nproducts = [\"Workflows\"]"),
                Scope::Everything,
                0,
            ),
        ];
        for (what, rel, change, scope, rendered) in steps {
            let update = match builder.update(edit(&root, rel, change)) {
                Some((_, Ok(u))) => u,
                Some((_, Err(d))) => panic!("{what}: {}", diag::render(&d, false)),
                None => panic!("{what}: no update"),
            };
            assert_eq!(update.scope, *scope, "{what}");
            if *rendered > 0 {
                assert_eq!(update.rendered, *rendered, "{what}");
            }
            if *scope == Scope::Lists {
                assert!(
                    update.rendered < every_page,
                    "{what}: {} of {every_page} pages",
                    update.rendered
                );
            }
            if *what == "an alias removed" {
                assert_eq!(update.removed, ["kb/old-token-article/index.html"]);
            }
            apply(&mut served, update);
            let full = Builder::new(&root, false, false, URL).full().unwrap();
            assert_same(&served, &full.files, what);
        }
    }

    #[test]
    fn a_failed_reorder_puts_every_list_back() {
        let (_dir, root) = fixture();
        let mut builder = Builder::new(&root, false, false, URL);
        let mut served = Files::new();
        apply(&mut served, builder.full().unwrap());
        let third = root.join("content/guides/third.md");
        let original = std::fs::read_to_string(&third).unwrap();
        // A title that moves the article to the top of its section, before rate-limit, with a `related` entry
        // that fails the save.
        let broken = edit(&root, "content/guides/third.md", |t| {
            t.replace(
                "title = \"Third guide\"",
                "title = \"0 first guide\"\nrelated = [\"no-such-article\"]",
            )
        });
        let Some((_, Err(_))) = builder.update(broken) else {
            panic!("an unknown related article fails")
        };
        std::fs::write(&third, &original).unwrap();
        let back = BTreeSet::from([third.clone()]);
        let Some((_, Ok(update))) = builder.update(back) else {
            panic!("the original builds")
        };
        assert_eq!(update.scope, Scope::Articles, "the lists are as they were");
        apply(&mut served, update);
        // Another article of the same section moves to the top, so that the first section page is rendered again
        // from the order put back: token-expired ("401 …") before rate-limit ("429 …") before third.
        let moved = edit(&root, "content/guides/token-expired.md", |t| {
            t.replace("weight = 1\n", "")
        });
        let Some((_, Ok(update))) = builder.update(moved) else {
            panic!("the title edit builds")
        };
        assert_eq!(update.scope, Scope::Lists);
        apply(&mut served, update);
        let full = Builder::new(&root, false, false, URL).full().unwrap();
        assert_same(&served, &full.files, "a failed reorder");
    }

    #[test]
    fn a_new_date_in_a_public_preview_is_in_the_sitemap() {
        let (_dir, root) = fixture();
        let public = || {
            let mut b = Builder::new(&root, false, false, URL);
            b.audience = crate::content::Audience::Public;
            b
        };
        let mut builder = public();
        let mut served = Files::new();
        apply(&mut served, builder.full().unwrap());
        let dated = edit(&root, "content/guides/third.md", |t| {
            t.replace("tags = [\"tokens\"]", "tags = [\"tokens\"]\nupdated = 2031-01-05")
        });
        let Some((_, Ok(update))) = builder.update(dated) else {
            panic!("the new date builds")
        };
        assert_eq!(update.scope, Scope::Lists);
        let sitemap = String::from_utf8_lossy(&update.files["sitemap.xml"]).into_owned();
        assert!(sitemap.contains("<lastmod>2031-01-05</lastmod>"), "{sitemap}");
        apply(&mut served, update);
        assert_same(&served, &public().full().unwrap().files, "a new date");
    }

    #[test]
    fn a_failed_save_keeps_the_last_good_site_and_is_retried_until_fixed() {
        let (_dir, root) = fixture();
        let mut builder = Builder::new(&root, false, false, URL);
        let mut served = Files::new();
        apply(&mut served, builder.full().unwrap());
        let good = served.clone();

        let broken = edit(&root, "content/guides/third.md", |t| {
            format!("{t}\nSee [gone](gone.md).\n")
        });
        let Some((_, Err(diags))) = builder.update(broken) else {
            panic!("a broken link fails")
        };
        let text = diag::render(&diags, false);
        assert!(text.contains("--> content/guides/third.md:7:12"), "{text}");
        // Another article's save is taken with the broken one, which still fails.
        let other = edit(&root, "content/top-level.md", |t| {
            t.replace("No section", "No section at all")
        });
        let Some((_, Err(_))) = builder.update(other) else {
            panic!("still broken")
        };
        // Nothing of either save was published, and the site is still the last good one.
        let full_now = builder.site.as_mut().unwrap().edit(Vec::new()).unwrap();
        assert_eq!(full_now.rendered, 0);

        let fixed = edit(&root, "content/guides/third.md", |t| {
            t.replace("See [gone](gone.md).", "Fixed.")
        });
        let Some((what, Ok(update))) = builder.update(fixed) else {
            panic!("the fix builds")
        };
        assert!(
            what.contains("content/guides/third.md") && what.contains("content/top-level.md"),
            "{what}"
        );
        apply(&mut served, update);
        assert_ne!(served, good);
        let full = Builder::new(&root, false, false, URL).full().unwrap();
        assert_same(&served, &full.files, "the fix");
    }

    #[test]
    fn an_audience_change_rebuilds_and_a_public_preview_drops_the_article() {
        let (_dir, root) = fixture();
        let mut builder = Builder::new(&root, false, false, URL);
        builder.audience = crate::content::Audience::Public;
        let mut served = Files::new();
        apply(&mut served, builder.full().unwrap());
        assert!(served.contains_key("guides/third/index.html"));
        let changed = edit(&root, "content/guides/third.md", |t| {
            t.replacen("+++\n", "+++\naudience = \"internal\"\n", 1)
        });
        let Some((_, Ok(update))) = builder.update(changed.clone()) else {
            panic!("builds")
        };
        assert!(update.complete, "a new audience changes the site's structure");
        apply(&mut served, update);
        assert!(!served.contains_key("guides/third/index.html"));
        let mut full = Builder::new(&root, false, false, URL);
        full.audience = crate::content::Audience::Public;
        assert_same(&served, &full.full().unwrap().files, "an article made internal");
        // The internal preview (the default) keeps it, marked.
        let mut internal = Builder::new(&root, false, false, URL);
        let files = internal.full().unwrap().files;
        let page = String::from_utf8_lossy(&files["guides/third/index.html"]).into_owned();
        assert!(page.contains("badge-internal"), "{page}");
        // An article public ones link to cannot become internal in a public preview: the save is an error there,
        // and the last good site stays.
        let linked = edit(&root, "content/guides/rate-limit.md", |t| {
            t.replacen("---\n", "---\naudience: \"internal\"\n", 1)
        });
        let Some((_, Err(diags))) = builder.update(linked) else {
            panic!("a public page links to it")
        };
        assert!(
            diags.iter().any(|d| d.message.starts_with("link to internal content")),
            "{diags:?}"
        );
    }

    /// Saves `files` (path, text) and deletes `gone`, as one burst, and applies the update, which must succeed.
    fn save(builder: &mut Builder, served: &mut Files, files: &[(&Path, &str)], gone: &[&Path]) -> Update {
        for (path, text) in files {
            std::fs::write(path, text).unwrap();
        }
        for path in gone {
            std::fs::remove_file(path).unwrap();
        }
        let paths = files
            .iter()
            .map(|(p, _)| p.to_path_buf())
            .chain(gone.iter().map(|p| p.to_path_buf()));
        let Some((_, Ok(update))) = builder.update(paths.collect()) else {
            panic!("builds")
        };
        let (complete, removed, rendered, scope) =
            (update.complete, update.removed.clone(), update.rendered, update.scope);
        apply(served, update);
        Update {
            files: Files::new(),
            removed,
            rendered,
            scope,
            complete,
            phases: Vec::new(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn new_and_deleted_articles_are_put_in_and_taken_out() {
        let (_dir, root) = fixture();
        let mut builder = Builder::new(&root, false, false, URL);
        let mut served = Files::new();
        let every_page = {
            let first = builder.full().unwrap();
            let n = first.rendered;
            apply(&mut served, first);
            n
        };
        let same_as_full = |served: &Files, what: &str| {
            let full = Builder::new(&root, false, false, URL).full().unwrap();
            assert_same(served, &full.files, what);
        };
        // A new article with a tag, an error signature and a related article; another at the top, first in order.
        let new = root.join("content/guides/a-new-guide.md");
        let text = "+++\ntitle = \"A new guide\"\ntags = [\"tokens\"]\nerrors = [\"E0000099 Brand new\"]\n\
                    related = [\"guides/third\"]\n+++\nNew, see [the third](third.md).\n";
        let update = save(&mut builder, &mut served, &[(&new, text)], &[]);
        assert!(
            !update.complete && update.scope == Scope::Lists,
            "put in, not built again: {} {:?}",
            update.complete,
            update.scope
        );
        assert!(
            update.rendered < every_page,
            "{} of {every_page} pages",
            update.rendered
        );
        assert!(served.contains_key("guides/a-new-guide/index.html"));
        same_as_full(&served, "a new article");
        let first = root.join("content/aaa.md");
        let update = save(
            &mut builder,
            &mut served,
            &[(&first, "+++\ntitle = \"Zzz\"\n+++\nFirst file.\n")],
            &[],
        );
        assert!(!update.complete);
        same_as_full(&served, "a new article before every other");

        // Deleted: each is taken out, its pages and its error signature's page gone.
        let update = save(&mut builder, &mut served, &[], &[&new]);
        assert!(!update.complete);
        assert!(
            update.removed.contains(&"guides/a-new-guide/index.html".to_string()),
            "{:?}",
            update.removed
        );
        assert!(
            !served.keys().any(|k| k.contains("e0000099")),
            "the signature's page is gone"
        );
        same_as_full(&served, "a deletion");
        save(&mut builder, &mut served, &[], &[&first]);
        same_as_full(&served, "the first article's deletion");

        // An article another links to cannot go: the last good site stays, and comes back with the file.
        let linked = root.join("content/guides/rate-limit.md");
        let kept = std::fs::read_to_string(&linked).unwrap();
        std::fs::remove_file(&linked).unwrap();
        let Some((_, Err(diags))) = builder.update([linked.clone()].into()) else {
            panic!("a page links to it")
        };
        let text = diag::render(&diags, false);
        assert!(text.contains("content/guides/token-expired.md"), "{text}");
        save(&mut builder, &mut served, &[(&linked, &kept)], &[]);
        same_as_full(&served, "a deletion that failed, then undone");

        // A new folder, and two new files at once, are built whole.
        let folder = root.join("content/new-folder");
        std::fs::create_dir(&folder).unwrap();
        let update = save(
            &mut builder,
            &mut served,
            &[(&folder.join("x.md"), "+++\ntitle = \"X\"\n+++\nX.\n")],
            &[],
        );
        assert!(update.complete, "a new folder is a new section");
        let (one, two) = (root.join("content/one.md"), root.join("content/two.md"));
        let update = save(
            &mut builder,
            &mut served,
            &[
                (&one, "+++\ntitle = \"One\"\n+++\n1\n"),
                (&two, "+++\ntitle = \"Two\"\n+++\n2\n"),
            ],
            &[],
        );
        assert!(update.complete);
        same_as_full(&served, "two new articles");
    }

    #[test]
    fn structural_changes_rebuild_everything() {
        let (_dir, root) = fixture();
        let mut builder = Builder::new(&root, false, false, URL);
        let mut served = Files::new();
        apply(&mut served, builder.full().unwrap());
        let new = root.join("content/guides/new-guide.md");
        std::fs::write(&new, "+++\ntitle = \"A new guide\"\n+++\nNew.\n").unwrap();
        let Some((what, Ok(update))) = builder.update([new.clone()].into()) else {
            panic!("builds")
        };
        assert_eq!(what, "content/guides/new-guide.md");
        assert!(!update.complete, "one more article is put in");
        apply(&mut served, update);
        assert!(served.contains_key("guides/new-guide/index.html"));

        let slug = edit(&root, "content/guides/new-guide.md", |t| {
            t.replace("+++\nNew", "slug = \"moved\"\n+++\nNew")
        });
        let Some((_, Ok(update))) = builder.update(slug) else {
            panic!("builds")
        };
        assert!(update.complete, "a new slug moves the page");
        apply(&mut served, update);
        assert!(served.contains_key("moved/index.html") && !served.contains_key("guides/new-guide/index.html"));

        std::fs::remove_file(&new).unwrap();
        let Some((_, Ok(update))) = builder.update([new].into()) else {
            panic!("builds")
        };
        apply(&mut served, update);
        assert!(!served.contains_key("moved/index.html"));
        let full = Builder::new(&root, false, false, URL).full().unwrap();
        assert_same(&served, &full.files, "a deletion");

        // An editor's temporary file, gone by the time the burst is taken, changes nothing.
        assert!(
            builder
                .update(
                    [
                        root.join("content/guides/.token-expired.md.swp"),
                        root.join("content/x.tmp")
                    ]
                    .into()
                )
                .is_none()
        );
    }
}
