//! `kb serve`: builds the site into memory, serves it on loopback, watches the sources and live-reloads open pages.
//!
//! A save of an article already on the site re-renders what it touches (`site::live`); anything else (a new,
//! moved or deleted file, a section's `_index.md`, `kb.toml`, `checks/`, `themes/`, `static/`) rebuilds the whole
//! site in memory. A save that does not build is shown in the terminal and over the open pages, which stay the last
//! good ones. The search index is rebuilt on a thread of its own, at most every 30 s while saves go on.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher};

use super::{SiteArgs, exit};
use crate::checks::{self, Library};
use crate::config::{CONFIG_FILE, Config};
use crate::content::{CONTENT_DIR, Reread, Target};
use crate::diag::{self, Diagnostic};
use crate::site::live::{Edit, Scope, SearchSnapshot, Site, Update};
use crate::site::serve::Store;
use crate::text::count;

#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub site: SiteArgs,
    /// Port to listen on (0: any free port)
    #[arg(long, short, default_value_t = 1111)]
    pub port: u16,
    /// Address to listen on. Anything but loopback lets other machines read the site, drafts included.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Open the site in the browser once it is built
    #[arg(long)]
    pub open: bool,
    /// Skip the search index (and the search box and page)
    #[arg(long)]
    pub no_search: bool,
}

/// Saves closer together than this are one update.
const QUIET: Duration = Duration::from_millis(10);
/// An update starts at most this long after the first save of a burst.
const DEBOUNCE_MAX: Duration = Duration::from_millis(50);
/// The search index is rebuilt at most this often.
const SEARCH_EVERY: Duration = Duration::from_secs(30);

/// Folders under the site's root whose files the site is made from; with [`CONFIG_FILE`], what is watched.
const WATCHED_DIRS: &[&str] = &[CONTENT_DIR, checks::CHECKS_DIR, "themes", "static"];

pub fn run(args: &ServeArgs) -> i32 {
    let root = match std::fs::canonicalize(&args.site.root) {
        Ok(r) => r,
        Err(e) => {
            let d = Diagnostic::error(format!("cannot open the site folder {}: {e}", args.site.root.display()))
                .hint("run kb serve in the folder that holds kb.toml, or pass --root DIR");
            super::report(&[d], "serve");
            return exit::INVALID;
        }
    };
    let listener = match std::net::TcpListener::bind((args.bind, args.port)) {
        Ok(l) => l,
        Err(e) => {
            let d = Diagnostic::error(format!(
                "cannot listen on {}: {e}",
                SocketAddr::new(args.bind, args.port)
            ))
            .hint("pass --port with another port, or --port 0 for any free one");
            super::report(&[d], "serve");
            return exit::INVALID;
        }
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            super::report(&[Diagnostic::error(format!("cannot listen: {e}"))], "serve");
            return exit::INVALID;
        }
    };
    // Pages link to the address they are served from, as `zola serve` and `hugo server` do.
    let host = if addr.ip().is_unspecified() {
        IpAddr::from([127, 0, 0, 1])
    } else {
        addr.ip()
    };
    let url = format!("http://{}/", SocketAddr::new(host, addr.port()));
    let store = Store::new("/");

    let (events_tx, events) = mpsc::channel();
    let mut watcher = match notify::recommended_watcher(events_tx) {
        Ok(w) => w,
        Err(e) => {
            super::report(&[Diagnostic::error(format!("cannot watch files: {e}"))], "serve");
            return exit::INVALID;
        }
    };
    let mut watching = BTreeSet::new();
    watch(&mut watcher, &root, &[], &mut watching);

    let mut builder = Builder::new(&root, args.site.drafts, !args.no_search, url.trim_end_matches('/'));
    // A preview shows the support team everything, unless asked to show what a public build publishes.
    builder.audience = args.site.audience.unwrap_or(crate::content::Audience::Internal);
    let started = Instant::now();
    let first = builder.full();
    let built = first.is_ok();
    builder.publish(&store, first, None, started);
    watch(&mut watcher, &root, &builder.catalogues(), &mut watching);

    if let Err(e) = spawn_server(listener, store.clone()) {
        super::report(&[Diagnostic::error(format!("cannot start the server: {e}"))], "serve");
        return exit::INVALID;
    }
    eprintln!(
        "Serving {} at {url}\nWatching content/, checks/, themes/, static/, kb.toml and its error catalogues; press Ctrl+C to stop.",
        if built {
            count(builder.site.as_ref().map_or(0, |s| s.content.articles.len()), "article")
        } else {
            "the site (not built yet)".to_string()
        }
    );
    match builder.audience {
        crate::content::Audience::Internal => eprintln!(
            "Previewing the internal site: internal articles are shown and marked (--audience public shows what a public build publishes)."
        ),
        crate::content::Audience::Public => eprintln!("Previewing the public site: internal articles are left out."),
    }
    if !addr.ip().is_loopback() {
        eprintln!(
            "warning: listening on {}: other machines can read this site, drafts included",
            addr.ip()
        );
    }
    if args.open
        && let Err(e) = opener::open_browser(&url)
    {
        eprintln!("warning: cannot open {url} in a browser ({e}); open it yourself");
    }

    let indexer = Indexer::start(store.clone());
    let mut schedule = SearchSchedule::default();
    if built && builder.search {
        schedule.changed(Instant::now());
    }
    loop {
        if let Some(site) = &builder.site
            && schedule.start(Instant::now(), indexer.busy())
            && let Some(snapshot) = site.search_snapshot()
        {
            indexer.send(snapshot);
        }
        let wait = schedule.wait(Instant::now());
        let first = match events.recv_timeout(wait) {
            Ok(e) => e,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return exit::OK,
        };
        let mut paths = BTreeSet::new();
        collect(first, &mut paths);
        let burst = Instant::now();
        while let Some(left) = DEBOUNCE_MAX.checked_sub(burst.elapsed()) {
            match events.recv_timeout(left.min(QUIET)) {
                Ok(e) => collect(e, &mut paths),
                Err(_) => break,
            }
        }
        if paths.is_empty() {
            continue;
        }
        let t = Instant::now();
        let Some((what, result)) = builder.update(paths) else {
            continue;
        };
        let ok = result.is_ok();
        builder.publish(&store, result, Some(&what), t);
        watch(&mut watcher, &root, &builder.catalogues(), &mut watching);
        if ok && builder.search {
            schedule.changed(Instant::now());
        }
    }
}

/// Watches what exists of [`WATCHED_DIRS`] (again after each update, for folders created since), the root itself,
/// for `kb.toml` and new folders, and the folders of the error catalogues kb.toml names.
fn watch(watcher: &mut impl Watcher, root: &Path, catalogues: &[String], watching: &mut BTreeSet<PathBuf>) {
    if watching.insert(root.to_path_buf()) && watcher.watch(root, RecursiveMode::NonRecursive).is_err() {
        watching.remove(root);
    }
    for file in catalogues {
        if let Some(dir) = root.join(file).parent().filter(|d| d.is_dir())
            && watching.insert(dir.to_path_buf())
            && watcher.watch(dir, RecursiveMode::NonRecursive).is_err()
        {
            watching.remove(dir);
        }
    }
    for name in WATCHED_DIRS {
        let dir = root.join(name);
        if dir.is_dir() && watching.insert(dir.clone()) && watcher.watch(&dir, RecursiveMode::Recursive).is_err() {
            watching.remove(&dir);
        }
    }
}

fn collect(event: notify::Result<notify::Event>, paths: &mut BTreeSet<PathBuf>) {
    let Ok(event) = event else { return };
    // Reading a file changes nothing; closing one written to does.
    if let EventKind::Access(kind) = event.kind
        && kind != AccessKind::Close(AccessMode::Write)
    {
        return;
    }
    paths.extend(event.paths);
}

fn spawn_server(listener: std::net::TcpListener, store: Arc<Store>) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("kb-serve-http".into())
        .spawn(move || {
            runtime.block_on(async move {
                match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => {
                        if let Err(e) = crate::site::serve::serve(l, store).await {
                            eprintln!("error: the server stopped: {e}");
                        }
                    }
                    Err(e) => eprintln!("error: the server stopped: {e}"),
                }
            });
        })?;
    Ok(())
}

/// Builds the search index on a thread of its own, one snapshot at a time.
struct Indexer {
    jobs: mpsc::Sender<SearchSnapshot>,
    busy: Arc<AtomicBool>,
}

impl Indexer {
    fn start(store: Arc<Store>) -> Indexer {
        let (jobs, rx) = mpsc::channel::<SearchSnapshot>();
        let busy = Arc::new(AtomicBool::new(false));
        let flag = busy.clone();
        std::thread::spawn(move || {
            for snapshot in rx {
                let t = Instant::now();
                store.set_search(snapshot.index());
                eprintln!(
                    "{} search index: {} in {:.1?}",
                    clock(),
                    count(snapshot.len(), "article"),
                    t.elapsed()
                );
                flag.store(false, Ordering::SeqCst);
            }
        });
        Indexer { jobs, busy }
    }

    fn busy(&self) -> bool {
        self.busy.load(Ordering::SeqCst)
    }

    fn send(&self, snapshot: SearchSnapshot) {
        self.busy.store(true, Ordering::SeqCst);
        if self.jobs.send(snapshot).is_err() {
            self.busy.store(false, Ordering::SeqCst);
        }
    }
}

/// When the search index is rebuilt: once the site is built, then after saves, at most every [`SEARCH_EVERY`]
/// (a rebuild starts no sooner than that after the previous one started), and never two at once.
#[derive(Default)]
struct SearchSchedule {
    due: Option<Instant>,
    last_start: Option<Instant>,
}

impl SearchSchedule {
    /// The site changed at `now`.
    fn changed(&mut self, now: Instant) {
        let earliest = self.last_start.map_or(now, |s| (s + SEARCH_EVERY).max(now));
        self.due.get_or_insert(earliest);
    }

    /// Whether to start a rebuild at `now`; if so, it counts as started.
    fn start(&mut self, now: Instant, busy: bool) -> bool {
        if busy || self.due.is_none_or(|due| now < due) {
            return false;
        }
        self.due = None;
        self.last_start = Some(now);
        true
    }

    /// How long the watch loop may wait for saves before it looks at the schedule again.
    fn wait(&self, now: Instant) -> Duration {
        match self.due {
            Some(due) => due.saturating_duration_since(now).max(Duration::from_millis(100)),
            None => Duration::from_secs(3600),
        }
    }
}

fn clock() -> String {
    chrono::Local::now().format("%H:%M:%S").to_string()
}

/// The site, and what is needed to update it.
pub struct Builder {
    root: PathBuf,
    drafts: bool,
    search: bool,
    base_url: String,
    /// The last good site; `None` until a build succeeds.
    site: Option<Site>,
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
    fn catalogues(&self) -> Vec<String> {
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
        let loaded = super::load(&config, self.drafts).with_cards();
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
            return Plan::Full(rel);
        }
        if edits.is_empty() {
            Plan::Nothing
        } else {
            Plan::Edit(edits)
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

    /// Serves an update's files, or shows why there are none, and says so in the terminal.
    /// `what` names the saved files; `None` for the first build.
    fn publish(&self, store: &Store, result: Result<Update, Vec<Diagnostic>>, what: Option<&str>, started: Instant) {
        match result {
            Ok(update) => {
                super::report(&update.warnings, "build");
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
                super::report(&diags, "build");
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
    fn the_search_index_is_rebuilt_at_most_every_30_seconds_while_saves_go_on() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut s = SearchSchedule::default();
        assert!(!s.start(at(0), false), "nothing changed yet");
        s.changed(at(0));
        assert!(s.start(at(0), false), "the first index starts at once");
        assert!(!s.start(at(1), false), "and only once");
        // Saves every few seconds: the next rebuild waits until 30 s after the last one started.
        for t in [2, 5, 9, 20, 29] {
            s.changed(at(t));
            assert!(!s.start(at(t), false), "a save at {t} s");
        }
        assert_eq!(s.wait(at(29)), Duration::from_secs(1));
        assert!(!s.start(at(30), true), "not while the indexer is still busy");
        assert!(s.start(at(31), false));
        // A save long after: at once.
        s.changed(at(100));
        assert!(s.start(at(100), false));
        assert_eq!(s.wait(at(100)), Duration::from_secs(3600), "nothing due");
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
        assert!(update.complete);
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
