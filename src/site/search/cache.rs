//! The search index `kb diagnose` ranks with, kept between runs: building it renders every article (seconds at
//! 10,000), so it is built once per state of the sources and read back after.
//!
//! One file per knowledge base (named by a hash of its folder's path) in the cache folder: `$KB_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/kb`, else `~/.cache/kb`. It holds a key, a hash of everything the index is made from (kb's
//! version, kb.toml, every file under `content/` and `checks/`, the error catalogues, whether drafts are in), and
//! the index's files. A file whose key differs, or that cannot be read whole, is ignored and replaced: the cache is
//! never trusted over the sources, and deleting it is always safe.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::File;
use crate::config::Config;

const MAGIC: &[u8] = b"kb search index cache 1\n";

/// The cache folder, when there is a place for one.
pub fn dir() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    var("KB_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("kb")))
        .or_else(|| var("HOME").map(|h| h.join(".cache").join("kb")))
}

/// The index's files for this knowledge base: from the cache when its key matches, else from `build` (then
/// stored). `Ok(true)` with the files when they came from the cache.
pub fn files<E>(
    config: &Config,
    drafts: bool,
    build: impl FnOnce() -> Result<Vec<File>, E>,
) -> Result<(Vec<File>, bool), E> {
    let Some(dir) = dir() else {
        return build().map(|f| (f, false));
    };
    let key = key(config, drafts);
    let path = dir.join(format!(
        "index-{}.bin",
        crate::text::hex(&Sha256::digest(config.root.to_string_lossy().as_bytes()))
    ));
    if let Some(files) = read(&path, &key) {
        return Ok((files, true));
    }
    let files = build()?;
    // A cache that cannot be written is no cache: the run goes on.
    let _ = write(&dir, &path, &key, &files);
    Ok((files, false))
}

/// What the index is made from, hashed.
fn key(config: &Config, drafts: bool) -> String {
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION"));
    h.update([u8::from(drafts)]);
    let root = &config.root;
    let mut files = vec![root.join(crate::config::CONFIG_FILE)];
    for sub in [crate::content::CONTENT_DIR, crate::checks::CHECKS_DIR] {
        let walk = walkdir::WalkDir::new(root.join(sub)).sort_by_file_name();
        files.extend(
            walk.into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .map(|e| e.into_path()),
        );
    }
    files.extend(config.catalogues.iter().map(|c| root.join(&c.path)));
    for f in files {
        h.update(f.strip_prefix(root).unwrap_or(&f).to_string_lossy().as_bytes());
        h.update([0]);
        h.update(std::fs::read(&f).unwrap_or_default());
        h.update([0]);
    }
    crate::text::hex(&h.finalize())
}

/// The files of a cache file whose key is `key`; `None` for any other file or one cut short.
fn read(path: &Path, key: &str) -> Option<Vec<File>> {
    let mut raw = Vec::new();
    std::fs::File::open(path).ok()?.read_to_end(&mut raw).ok()?;
    let rest = raw.strip_prefix(MAGIC)?;
    let rest = rest.strip_prefix(key.as_bytes())?.strip_prefix(b"\n")?;
    let mut at: usize = 0;
    let mut take = |n: usize| -> Option<&[u8]> {
        let s = rest.get(at..at.checked_add(n)?)?;
        at += n;
        Some(s)
    };
    let count = u64::from_le_bytes(take(8)?.try_into().ok()?);
    let mut files = Vec::new();
    for _ in 0..count {
        let n = u64::from_le_bytes(take(8)?.try_into().ok()?) as usize;
        let path = String::from_utf8(take(n)?.to_vec()).ok()?;
        let n = u64::from_le_bytes(take(8)?.try_into().ok()?) as usize;
        let bytes = take(n)?.to_vec();
        files.push(File { path, bytes });
    }
    (at == rest.len()).then_some(files)
}

/// Writes the cache file, atomically: a reader never sees half of one.
fn write(dir: &Path, path: &Path, key: &str, files: &[File]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut out = Vec::from(MAGIC);
    out.extend_from_slice(key.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(&(files.len() as u64).to_le_bytes());
    for f in files {
        out.extend_from_slice(&(f.path.len() as u64).to_le_bytes());
        out.extend_from_slice(f.path.as_bytes());
        out.extend_from_slice(&(f.bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(&f.bytes);
    }
    crate::site::output::write_file(path, &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_file_reads_back_only_whole_and_under_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.bin");
        let files = vec![
            File {
                path: "meta.json.gz".into(),
                bytes: vec![1, 2, 3],
            },
            File {
                path: "w/ab.json.gz".into(),
                bytes: vec![],
            },
        ];
        write(dir.path(), &path, "k1", &files).unwrap();
        let back = read(&path, "k1").unwrap();
        assert_eq!(
            back.iter().map(|f| (&f.path, &f.bytes)).collect::<Vec<_>>(),
            files.iter().map(|f| (&f.path, &f.bytes)).collect::<Vec<_>>()
        );
        assert!(read(&path, "k2").is_none(), "another key");
        let raw = std::fs::read(&path).unwrap();
        std::fs::write(&path, &raw[..raw.len() - 1]).unwrap();
        assert!(read(&path, "k1").is_none(), "cut short");
    }
}
