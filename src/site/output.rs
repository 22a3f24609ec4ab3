//! Atomic output: a build writes into a fresh folder beside the output and swaps it in at the end, so a failed or
//! interrupted build leaves the last good site untouched.

use std::io;
use std::path::{Path, PathBuf};

/// Writes one file atomically: its bytes beside it (a name of this process's), then a rename over it, so a reader
/// never sees half of it and a failed write leaves nothing behind.
pub fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.partial", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    committed: bool,
    /// Deleting the outputs earlier swaps set aside, while this build renders.
    cleaner: Option<Cleaner>,
}

impl Staging {
    /// Creates an empty staging folder beside `target`.
    pub fn new(target: &Path) -> io::Result<Staging> {
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)?;
        let name = target
            .file_name()
            .map_or("site".into(), |n| n.to_string_lossy().into_owned());
        let dir = parent.join(format!(".{name}-new-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir(&dir)?;
        let cleaner = Some(clean_leftovers(parent, &name));
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
            committed: false,
            cleaner,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a file under the staging folder, creating its parent folders.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)
    }

    /// Puts the file at `from` at `rel` under the staging folder: a hard link, or a copy where links cannot go (another
    /// file system).
    pub fn link(&self, rel: &str, from: &Path) -> io::Result<()> {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::hard_link(from, &path).or_else(|_| std::fs::copy(from, &path).map(drop))
    }

    pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        std::fs::rename(self.dir.join(from), self.dir.join(to))
    }

    /// Swaps the staging folder in: the old output is renamed aside, the new one renamed into place. If the second
    /// rename fails the old output is put back. The old output is not deleted here, where deleting tens of thousands
    /// of files would delay the command's exit: the next build deletes it while it renders ([`clean_leftovers`]).
    pub fn commit(mut self) -> io::Result<()> {
        let result = self.swap();
        if let Some(cleaner) = self.cleaner.take() {
            // What an earlier run left aside has been going while this one rendered.
            cleaner.finish_or_hand_over();
        }
        result
    }

    fn swap(&mut self) -> io::Result<()> {
        if self.target.exists() {
            let parent = self.dir.parent().unwrap_or(Path::new("."));
            let name = self
                .target
                .file_name()
                .map_or("site".into(), |n| n.to_string_lossy().into_owned());
            let old = parent.join(format!("{}{}", old_prefix(&name), unique()));
            std::fs::rename(&self.target, &old)?;
            if let Err(e) = std::fs::rename(&self.dir, &self.target) {
                let _ = std::fs::rename(&old, &self.target);
                return Err(e);
            }
            self.committed = true;
        } else {
            std::fs::rename(&self.dir, &self.target)?;
            self.committed = true;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        if let Some(cleaner) = self.cleaner.take() {
            cleaner.finish_or_hand_over();
        }
    }
}

/// The name prefix of a previous output set aside by a swap: `.site-old-`.
fn old_prefix(name: &str) -> String {
    format!(".{name}-old-")
}

/// This process's id and the time, so that two swaps never pick the same name.
fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// Deleting the previous outputs earlier swaps set aside.
struct Cleaner {
    thread: std::thread::JoinHandle<()>,
    leftovers: Vec<PathBuf>,
}

impl Cleaner {
    /// Waits a moment for the deletion to end. One that is still going (tens of thousands of files, after a build
    /// that took seconds, as a build with `--cache` does) is handed to a process of its own (`rm -rf`) that outlives
    /// this one, so that the command's exit does not wait for it; where there is no `rm`, it is waited for.
    fn finish_or_hand_over(self) {
        let waited = std::time::Instant::now();
        while !self.thread.is_finished() && waited.elapsed() < std::time::Duration::from_millis(200) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        if self.thread.is_finished() {
            let _ = self.thread.join();
            return;
        }
        let handed = std::process::Command::new("rm")
            .arg("-rf")
            .arg("--")
            .args(&self.leftovers)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        if handed.is_err() {
            let _ = self.thread.join();
        }
    }
}

/// Deletes, on a thread of its own, the previous outputs that earlier swaps set aside beside `name` (`.site-old-*`),
/// as they are now: the one this build's swap sets aside is left for the next. A failure is said and left for the
/// next run.
fn clean_leftovers(parent: &Path, name: &str) -> Cleaner {
    let prefix = old_prefix(name);
    let leftovers: Vec<PathBuf> = std::fs::read_dir(parent)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect();
    let paths = leftovers.clone();
    let thread = std::thread::spawn(move || {
        for old in paths {
            match std::fs::remove_dir_all(&old) {
                Ok(()) => {}
                // Deleted by another run's hand-over meanwhile.
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => eprintln!("warning: could not delete a previous site at {}: {err}", old.display()),
            }
        }
    });
    Cleaner { thread, leftovers }
}

/// `p` made absolute, with its longest existing ancestor canonicalized (the rest may not exist yet).
fn absolute(p: &Path) -> PathBuf {
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    let mut existing = p.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = std::fs::canonicalize(existing).unwrap_or_else(|_| existing.to_path_buf());
    out.extend(rest.iter().rev());
    out
}

/// A `--cache` folder may not be the output or inside it (the swap would take it away), nor hold the output, nor be
/// in the site's sources (its files would be published).
pub fn check_cache(root: &Path, target: &Path, cache: &Path) -> Result<(), String> {
    let (c, t, r) = (absolute(cache), absolute(target), absolute(root));
    if c.starts_with(&t) || t.starts_with(&c) {
        return Err(format!(
            "the cache folder {} and the output folder {} overlap",
            cache.display(),
            target.display()
        ));
    }
    if r.starts_with(&c) {
        return Err(format!("the cache folder {} holds the site's sources", cache.display()));
    }
    if let Ok(rel) = c.strip_prefix(&r)
        && let Some(first) = rel.components().next()
        && SOURCE_DIRS.iter().any(|d| first.as_os_str() == *d)
    {
        return Err(format!(
            "the cache folder {} is inside the site's sources",
            cache.display()
        ));
    }
    Ok(())
}

/// Folders of a site that hold sources; the output may not be one of them or inside one.
const SOURCE_DIRS: &[&str] = &["content", "static", "themes", "checks", "src", "tests", ".git"];

/// Refuses output folders whose replacement would destroy the sources: the site root or a folder above it, a folder
/// of sources (`content/`, `static/`, `themes/`, …) or one inside it, or a folder that holds `kb.toml` or `content/`.
pub fn check_target(root: &Path, target: &Path) -> Result<(), String> {
    let t = absolute(target);
    let r = absolute(root);
    if r.starts_with(&t) {
        return Err(format!(
            "the output folder {} holds the site's sources",
            target.display()
        ));
    }
    if let Ok(rel) = t.strip_prefix(&r)
        && let Some(first) = rel.components().next()
        && SOURCE_DIRS.iter().any(|d| first.as_os_str() == *d)
    {
        return Err(format!(
            "the output folder {} is inside the site's sources",
            target.display()
        ));
    }
    if target.exists() {
        if !target.is_dir() {
            return Err(format!("the output path {} is a file", target.display()));
        }
        if target.join("kb.toml").exists() || target.join("content").is_dir() {
            return Err(format!(
                "the output folder {} looks like a kb site, not a build output",
                target.display()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_a_non_empty_folder() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("site");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("old.html"), "old").unwrap();
        let s = Staging::new(&target).unwrap();
        s.write("a/index.html", b"new").unwrap();
        s.commit().unwrap();
        assert!(!target.join("old.html").exists());
        assert_eq!(std::fs::read_to_string(target.join("a/index.html")).unwrap(), "new");
        // The old site is set aside, not deleted on the way out; the next build deletes it while it renders.
        let names = |dir: &Path| -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        let after_first = names(dir.path());
        assert_eq!(after_first.len(), 2, "{after_first:?}");
        assert!(after_first[0].starts_with(".site-old-"), "{after_first:?}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join(&after_first[0]).join("old.html")).unwrap(),
            "old"
        );
        let s = Staging::new(&target).unwrap();
        s.write("b.html", b"newer").unwrap();
        s.commit().unwrap();
        let after_second = names(dir.path());
        assert_eq!(
            after_second.len(),
            2,
            "only the latest old site is left: {after_second:?}"
        );
        assert_ne!(after_second[0], after_first[0]);
        assert!(target.join("b.html").exists() && !target.join("a/index.html").exists());
    }

    #[test]
    fn dropping_without_commit_leaves_the_old_site() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("site");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("old.html"), "old").unwrap();
        {
            let s = Staging::new(&target).unwrap();
            s.write("x.html", b"new").unwrap();
        }
        assert_eq!(std::fs::read_to_string(target.join("old.html")).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn refuses_to_replace_sources() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kb.toml"), "").unwrap();
        assert!(check_target(dir.path(), dir.path()).is_err());
        assert!(check_target(dir.path(), &dir.path().join("site")).is_ok());
        std::fs::create_dir_all(dir.path().join("content/workflows")).unwrap();
        assert!(check_target(dir.path(), &dir.path().join("content")).is_err());
        assert!(check_target(dir.path(), &dir.path().join("content/workflows")).is_err());
        assert!(check_target(dir.path(), &dir.path().join("themes/default/out")).is_err());
        assert!(
            check_target(&dir.path().join("content"), dir.path()).is_err(),
            "a folder above the root"
        );
    }
}
