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
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
            committed: false,
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

    /// Swaps the staging folder in: the old output is renamed aside, the new one renamed into place, then the old
    /// one deleted. If the second rename fails the old output is put back.
    pub fn commit(mut self) -> io::Result<()> {
        if self.target.exists() {
            let parent = self.dir.parent().unwrap_or(Path::new("."));
            let name = self
                .target
                .file_name()
                .map_or("site".into(), |n| n.to_string_lossy().into_owned());
            let old = parent.join(format!(".{name}-old-{}", std::process::id()));
            if old.exists() {
                std::fs::remove_dir_all(&old)?;
            }
            std::fs::rename(&self.target, &old)?;
            if let Err(e) = std::fs::rename(&self.dir, &self.target) {
                let _ = std::fs::rename(&old, &self.target);
                return Err(e);
            }
            self.committed = true;
            // The new site is in place; a leftover old copy is only clutter.
            if let Err(e) = std::fs::remove_dir_all(&old) {
                eprintln!("warning: could not delete the previous site at {}: {e}", old.display());
            }
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
    }
}

/// Folders of a site that hold sources; the output may not be one of them or inside one.
const SOURCE_DIRS: &[&str] = &["content", "static", "themes", "checks", "src", "tests", ".git"];

/// Refuses output folders whose replacement would destroy the sources: the site root or a folder above it, a folder
/// of sources (`content/`, `static/`, `themes/`, …) or one inside it, or a folder that holds `kb.toml` or `content/`.
pub fn check_target(root: &Path, target: &Path) -> Result<(), String> {
    // The path made absolute, with its longest existing ancestor canonicalized (the rest may not exist yet).
    let absolute = |p: &Path| -> PathBuf {
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
    };
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
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "staging and old folders are gone");
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
