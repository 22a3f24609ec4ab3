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

mod builder;

use super::{SiteArgs, exit};
use crate::checks;
use crate::content::CONTENT_DIR;
use crate::diag::Diagnostic;
use crate::site::live::SearchSnapshot;
use crate::site::serve::Store;
use crate::text::count;
pub use builder::Builder;

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
pub(super) const WATCHED_DIRS: &[&str] = &[CONTENT_DIR, checks::CHECKS_DIR, "themes", "static"];

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

pub(super) fn clock() -> String {
    chrono::Local::now().format("%H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
