//! `kb build --cache DIR`: what a build made, kept under a hash of what it was made from, so that the next build
//! renders again only what changed and takes the rest from here.
//!
//! Three kinds of entry, each a file named by its key (a SHA-256):
//! - `m/`: an article's rendered Markdown. Its key covers kb itself (version and binary), kb.toml, everything links
//!   resolve against (every article's and section's path, slug, URL and audience, aliases, files, drafts: see
//!   [`world`]), the article's path and whole text, and its check cards.
//! - `s/`: what the search index takes of an article (words, lengths, filters, its fragment). Its key covers kb, the
//!   article's URL and front matter and its rendered body.
//! - `p/`: a page as written. Its key covers kb, the theme's templates, the template and the file, and the whole
//!   context the template is given. The file in the site is a hard link to the entry (a copy across file systems).
//!
//! Only renderings that had no problem are kept: a rendering with a warning or an error is made again every time, so
//! its problems are reported every time. `manifest` lists the entries the last build used with their length (and
//! for pages the modification time, which changes if the linked file in `site/` is edited in place); an entry that is
//! not listed, or no longer matches, is not used. A build deletes the entries the build before it used and it did
//! not. Deleting the folder is always safe. One build uses a cache at a time (`lock`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest as _, Sha256};

use super::search;
use crate::config::Config;
use crate::content::Content;
use crate::diag::Diagnostic;
use crate::markdown::Rendered;

/// A SHA-256 of what an entry is made from.
pub type Key = [u8; 32];

/// The manifest's first line: a manifest of another format is not read.
const MAGIC: &str = "kb build cache 1";

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Kind {
    Markdown,
    Search,
    Page,
}

impl Kind {
    /// Its folder in the cache, and its letter in the manifest.
    fn letter(self) -> &'static str {
        match self {
            Kind::Markdown => "m",
            Kind::Search => "s",
            Kind::Page => "p",
        }
    }

    fn of(letter: &str) -> Option<Kind> {
        match letter {
            "m" => Some(Kind::Markdown),
            "s" => Some(Kind::Search),
            "p" => Some(Kind::Page),
            _ => None,
        }
    }
}

/// What the manifest says of an entry: its length and, for a page, its modification time (nanoseconds).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Stamp {
    len: u64,
    modified: u128,
}

impl Stamp {
    fn of(kind: Kind, meta: &std::fs::Metadata) -> Stamp {
        Stamp {
            len: meta.len(),
            modified: if kind == Kind::Page { modified(meta) } else { 0 },
        }
    }
}

pub struct Cache {
    dir: PathBuf,
    /// kb itself and the cache's format.
    base: Key,
    /// `base`, kb.toml and what links resolve against: the start of every Markdown key.
    markdown: Key,
    /// The entries the last build used.
    old: HashMap<(Kind, Key), Stamp>,
    /// The entries this build used or made.
    used: Mutex<HashMap<(Kind, Key), Stamp>>,
    pub hits: AtomicUsize,
    pub misses: AtomicUsize,
    finished: bool,
    /// Held for the build: another build waits for none, it builds without the cache.
    _lock: std::fs::File,
}

/// A hasher for keys: each part is written with its length, so that no two lists of parts hash alike.
pub struct Hasher(Sha256);

impl Hasher {
    pub fn new(what: &str) -> Hasher {
        let mut h = Hasher(Sha256::new());
        h.part(what.as_bytes());
        h
    }

    pub fn part(&mut self, bytes: &[u8]) -> &mut Hasher {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    pub fn str(&mut self, s: &str) -> &mut Hasher {
        self.part(s.as_bytes())
    }

    pub fn finish(self) -> Key {
        self.0.finalize().into()
    }
}

/// Writes serialised JSON straight into the hash (a page's context is not made into bytes first).
impl std::io::Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn hex(key: &Key) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Key> {
    if s.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(key)
}

/// kb itself: its version and its binary (length and modification time), so that another build of kb never uses
/// what this one made.
fn kb_itself() -> Result<Key, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find kb's own binary: {e}"))?;
    let meta = std::fs::metadata(&exe).map_err(|e| format!("cannot read {}: {e}", exe.display()))?;
    let mut h = Hasher::new(MAGIC);
    h.str(env!("CARGO_PKG_VERSION"))
        .part(&meta.len().to_le_bytes())
        .part(&modified(&meta).to_le_bytes());
    Ok(h.finish())
}

fn modified(meta: &std::fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

/// Everything an article's links resolve against, and how its Markdown is rendered: the raw-HTML policy, the
/// audience, the base path, every article's and section's path, slug, URL, audience and aliases (in order, which
/// numbers them), the files beside them, and the paths that are drafts, invalid or internal.
pub fn world(content: &Content) -> Key {
    let mut h = Hasher::new("world");
    h.str(&format!("{:?} {:?}", content.raw_html, content.audience))
        .str(content.base_path());
    for a in &content.articles {
        h.str(&a.source).str(&a.slug).str(&a.url).part(&[u8::from(a.internal)]);
        for alias in &a.meta.aliases {
            h.str(alias);
        }
        h.str("");
    }
    for s in &content.sections {
        h.str(&s.dir)
            .str(&s.slug)
            .str(&s.url)
            .part(&[u8::from(s.internal), u8::from(s.file.is_some())]);
    }
    let mut assets: Vec<_> = content.assets.iter().collect();
    assets.sort_unstable_by(|a, b| a.0.cmp(b.0));
    for (source, asset) in assets {
        h.str(source).str(&asset.url).str(&asset.out);
    }
    let mut unpublished: Vec<_> = content.unpublished.iter().collect();
    unpublished.sort_unstable_by(|a, b| a.0.cmp(b.0));
    for (source, why) in unpublished {
        h.str(source).str(&format!("{why:?}"));
    }
    let mut internal: Vec<_> = content.internal_paths.iter().collect();
    internal.sort_unstable();
    for p in internal {
        h.str(p);
    }
    h.finish()
}

impl Cache {
    /// Opens (creating it) the cache in `dir` for a build of this content. `Err` says why it cannot be used; the
    /// build then goes on without it.
    pub fn open(dir: &Path, config: &Config, content: &Content) -> Result<Cache, String> {
        for kind in [Kind::Markdown, Kind::Search, Kind::Page] {
            let sub = dir.join(kind.letter());
            std::fs::create_dir_all(&sub).map_err(|e| format!("cannot create {}: {e}", sub.display()))?;
        }
        let lock = std::fs::File::create(dir.join("lock")).map_err(|e| format!("cannot create its lock: {e}"))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err("another kb build is using it".into()),
            Err(std::fs::TryLockError::Error(e)) => return Err(format!("cannot lock it: {e}")),
        }
        let base = kb_itself()?;
        let toml = std::fs::read(config.root.join("kb.toml")).unwrap_or_default();
        let mut h = Hasher::new("markdown");
        h.part(&base).part(&toml).part(&world(content));
        Ok(Cache {
            dir: dir.to_path_buf(),
            base,
            markdown: h.finish(),
            old: read_manifest(&dir.join("manifest")),
            used: Mutex::new(HashMap::new()),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
            finished: false,
            _lock: lock,
        })
    }

    /// A hasher for a key of `kind`, started with what every key of that kind covers.
    pub fn hasher(&self, kind: Kind) -> Hasher {
        let mut h = Hasher::new(kind.letter());
        match kind {
            Kind::Markdown => h.part(&self.markdown),
            Kind::Search | Kind::Page => h.part(&self.base),
        };
        h
    }

    fn path(&self, kind: Kind, key: &Key) -> PathBuf {
        let name = hex(key);
        self.dir.join(kind.letter()).join(&name[..2]).join(name)
    }

    /// The entry's path if the last build used it and it is as that build left it.
    pub fn find(&self, kind: Kind, key: &Key) -> Option<PathBuf> {
        let stamp = *self.old.get(&(kind, *key))?;
        let path = self.path(kind, key);
        let meta = std::fs::metadata(&path).ok()?;
        (Stamp::of(kind, &meta) == stamp).then_some(path)
    }

    /// Reads an entry that [`Cache::find`] finds, noting it used; `None` (a miss) if it cannot be read.
    pub fn read(&self, kind: Kind, key: &Key) -> Option<Vec<u8>> {
        let bytes = std::fs::read(self.find(kind, key)?).ok()?;
        self.found(kind, key);
        Some(bytes)
    }

    /// Notes an entry found with [`Cache::find`] and then used.
    pub fn found(&self, kind: Kind, key: &Key) {
        if let Some(&stamp) = self.old.get(&(kind, *key)) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            self.note(kind, key, stamp);
        }
    }

    fn note(&self, kind: Kind, key: &Key, stamp: Stamp) {
        self.used
            .lock()
            .expect("no panics while holding the lock")
            .insert((kind, *key), stamp);
    }

    /// Keeps `bytes` as an entry. A failure only means a miss next time.
    pub fn write(&self, kind: Kind, key: &Key, bytes: &[u8]) {
        self.misses.fetch_add(1, Ordering::Relaxed);
        let path = self.path(kind, key);
        let stored = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| super::output::write_file(&path, bytes));
        if stored.is_ok() {
            self.made(kind, key, &path);
        }
    }

    /// Keeps the page just written at `written` as an entry: a hard link to it, or a copy.
    pub fn keep_page(&self, key: &Key, written: &Path) {
        self.misses.fetch_add(1, Ordering::Relaxed);
        let path = self.path(Kind::Page, key);
        let _ = std::fs::remove_file(&path);
        let kept = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::hard_link(written, &path).or_else(|_| std::fs::copy(written, &path).map(drop)));
        if kept.is_ok() {
            self.made(Kind::Page, key, &path);
        }
    }

    /// Notes an entry just made at `path`, as it is now.
    fn made(&self, kind: Kind, key: &Key, path: &Path) {
        if let Ok(meta) = std::fs::metadata(path) {
            self.note(kind, key, Stamp::of(kind, &meta));
        }
    }

    /// Writes the manifest of what this build used. After a build that succeeded, the entries only the build before
    /// used are deleted; after one that failed, they are kept listed (its site is still the one in place). A cache
    /// dropped unfinished is finished as after a failed build.
    pub fn finish(&mut self, succeeded: bool) -> std::io::Result<()> {
        self.finished = true;
        let mut used = std::mem::take(&mut *self.used.lock().expect("no panics while holding the lock"));
        let old = std::mem::take(&mut self.old);
        if succeeded {
            for (kind, key) in old.keys().filter(|k| !used.contains_key(k)) {
                let _ = std::fs::remove_file(self.path(*kind, key));
            }
        } else {
            for (k, stamp) in old {
                used.entry(k).or_insert(stamp);
            }
        }
        let mut text = String::with_capacity(used.len() * 100);
        text.push_str(MAGIC);
        text.push('\n');
        for ((kind, key), stamp) in &used {
            text.push_str(&format!(
                "{} {} {} {}\n",
                kind.letter(),
                hex(key),
                stamp.len,
                stamp.modified
            ));
        }
        super::output::write_file(&self.dir.join("manifest"), text.as_bytes())
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.finish(false);
        }
    }
}

/// The manifest's entries; an unreadable manifest, or one of another format, lists nothing.
fn read_manifest(path: &Path) -> HashMap<(Kind, Key), Stamp> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return HashMap::new();
    };
    let mut lines = text.lines();
    if lines.next() != Some(MAGIC) {
        return HashMap::new();
    }
    let mut out = HashMap::new();
    for line in lines {
        let mut parts = line.split(' ');
        let entry = (|| {
            let kind = Kind::of(parts.next()?)?;
            let key = unhex(parts.next()?)?;
            let len = parts.next()?.parse().ok()?;
            let modified = parts.next()?.parse().ok()?;
            Some(((kind, key), Stamp { len, modified }))
        })();
        match entry {
            Some((k, s)) => {
                out.insert(k, s);
            }
            None => return HashMap::new(),
        }
    }
    out
}

/// A build's staging folder with its cache: what [`super::pages`] and [`super::stream`] write to under `--cache`.
pub struct Cached<'a> {
    pub staging: &'a super::output::Staging,
    pub cache: &'a Cache,
}

impl super::Sink for Cached<'_> {
    fn write(&self, rel: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.staging.write(rel, bytes)
    }

    fn rename(&self, from: &str, to: &str) -> std::io::Result<()> {
        self.staging.rename(from, to)
    }

    fn cached(&self) -> Option<&Cached<'_>> {
        Some(self)
    }
}

/// The key of a JSON value (the site's header and footer, the same on every page: hashed once per build).
pub fn json_key(value: &serde_json::Value) -> Key {
    let mut h = Hasher::new("json");
    serde_json::to_writer(&mut h, value).expect("a JSON value serialises");
    h.finish()
}

impl Cache {
    /// Article `i`'s rendered Markdown: from its entry, or rendered (and kept, if that found no problem).
    pub fn article(&self, content: &Content, i: usize, diags: &mut Vec<Diagnostic>) -> Rendered {
        let a = &content.articles[i];
        let file = match a.source_file() {
            Ok(f) => f,
            Err(e) => {
                diags.push(*e);
                return Rendered::default();
            }
        };
        let cards = content.cards.get(i).map_or(&[][..], Vec::as_slice);
        let mut h = self.hasher(Kind::Markdown);
        h.str(&a.source)
            .part(&(a.body_offset as u64).to_le_bytes())
            .str(&file.text)
            .str(&format!("{cards:?}"));
        let key = h.finish();
        if let Some(r) = self
            .read(Kind::Markdown, &key)
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        {
            return r;
        }
        let mut found = Vec::new();
        let r = super::render_article_in(content, i, &file, &mut found);
        if found.is_empty() {
            self.write(
                Kind::Markdown,
                &key,
                &serde_json::to_vec(&r).expect("a rendering serialises"),
            );
        }
        diags.extend(found);
        r
    }

    /// What the search index takes of an article: from its entry, or read (and kept).
    pub fn search_page(&self, doc: &search::Doc<'_>) -> search::Page {
        let mut h = self.hasher(Kind::Search);
        h.str(doc.url).str(&doc.body);
        serde_json::to_writer(&mut h, doc.meta).expect("front matter serialises");
        let key = h.finish();
        if let Some(page) = self
            .read(Kind::Search, &key)
            .and_then(|bytes| search::Page::from_bytes(&bytes))
        {
            return page;
        }
        let page = search::Page::read(doc);
        self.write(Kind::Search, &key, &page.to_bytes());
        page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty(dir: &Path) -> Cache {
        let lock = std::fs::File::create(dir.join("lock")).unwrap();
        Cache {
            dir: dir.to_path_buf(),
            base: [1; 32],
            markdown: [2; 32],
            old: read_manifest(&dir.join("manifest")),
            used: Mutex::new(HashMap::new()),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
            finished: false,
            _lock: lock,
        }
    }

    #[test]
    fn parts_are_framed() {
        let key = |parts: &[&str]| {
            let mut h = Hasher::new("t");
            for p in parts {
                h.str(p);
            }
            h.finish()
        };
        assert_ne!(key(&["ab", "c"]), key(&["a", "bc"]));
        assert_ne!(key(&["a"]), key(&["a", ""]));
        assert_eq!(unhex(&hex(&key(&["x"]))), Some(key(&["x"])));
        assert_eq!(unhex("zz"), None);
    }

    #[test]
    fn an_entry_is_used_only_as_the_last_build_left_it() {
        let dir = tempfile::tempdir().unwrap();
        for kind in ["m", "s", "p"] {
            std::fs::create_dir_all(dir.path().join(kind)).unwrap();
        }
        let (a, b) = ([7u8; 32], [8u8; 32]);
        let mut first = empty(dir.path());
        let (path_a, path_b) = (first.path(Kind::Markdown, &a), first.path(Kind::Search, &b));
        first.write(Kind::Markdown, &a, b"rendered");
        first.write(Kind::Search, &b, b"words");
        assert_eq!(
            first.read(Kind::Markdown, &a),
            None,
            "nothing is used in the build that made it"
        );
        first.finish(true).unwrap();
        drop(first);

        let mut second = empty(dir.path());
        assert_eq!(second.read(Kind::Markdown, &a).as_deref(), Some(&b"rendered"[..]));
        assert_eq!(
            second.read(Kind::Markdown, &b),
            None,
            "another kind's key is another entry"
        );
        second.finish(true).unwrap();
        drop(second);
        assert!(!path_b.exists(), "an entry no build used is deleted");

        std::fs::write(path_a, b"rendered, changed").unwrap();
        let third = empty(dir.path());
        assert_eq!(
            third.read(Kind::Markdown, &a),
            None,
            "an entry of another length is not used"
        );
        drop(third);

        std::fs::write(dir.path().join("manifest"), "kb build cache 0\n").unwrap();
        assert!(read_manifest(&dir.path().join("manifest")).is_empty());
        std::fs::write(dir.path().join("manifest"), format!("{MAGIC}\nm nothex 1 0\n")).unwrap();
        assert!(
            read_manifest(&dir.path().join("manifest")).is_empty(),
            "a damaged manifest lists nothing"
        );
    }
}
