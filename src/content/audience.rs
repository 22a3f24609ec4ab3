//! Audiences: which folders and articles are internal (a section's `audience` is inherited by everything under it).

use std::collections::HashSet;

use super::{Article, Audience, FrontMatter};
use crate::diag::Diagnostic;

/// The folders whose `_index.md` says `audience = "internal"`; everything under them is internal too.
pub(super) fn internal_dirs<'a>(indexes: impl Iterator<Item = (&'a str, &'a FrontMatter)>) -> HashSet<String> {
    indexes
        .filter(|(_, meta)| meta.audience == Some(Audience::Internal))
        .map(|(dir, _)| dir.to_string())
        .collect()
}

/// Whether `dir` or a folder above it is internal.
pub(super) fn in_internal_dir(dir: &str, internal: &HashSet<String>) -> bool {
    if internal.is_empty() {
        return false;
    }
    let mut d = dir;
    loop {
        if internal.contains(d) {
            return true;
        }
        match d.rsplit_once('/') {
            Some((up, _)) => d = up,
            None => return internal.contains(""),
        }
    }
}

/// An article is internal when it or its section says so. It cannot be public inside an internal section: its
/// section's page, lists and breadcrumbs would not be published.
pub(super) fn article_is_internal(a: &Article, internal: &HashSet<String>, diags: &mut Vec<Diagnostic>) -> bool {
    let inherited = in_internal_dir(super::parent_dir(&a.source), internal);
    if inherited && a.meta.audience == Some(Audience::Public) {
        diags.push(
            Diagnostic::error("a public article inside an internal section")
                .at(&a.file, a.spans.value("audience"))
                .label("its section's _index.md says `audience = \"internal\"`")
                .hint("move the article to a public section, or remove its `audience`"),
        );
    }
    inherited || a.meta.audience == Some(Audience::Internal)
}

/// A section cannot be public inside an internal one: its parent's page, lists and breadcrumbs would not be
/// published.
pub(super) fn check_section(
    dir: &str,
    file: &crate::diag::SourceFile,
    meta: &FrontMatter,
    spans: &super::front_matter::Spans,
    internal: &HashSet<String>,
    diags: &mut Vec<Diagnostic>,
) {
    let parent = dir.rsplit_once('/').map(|(p, _)| p);
    let under_internal = match parent {
        Some(p) => in_internal_dir(p, internal),
        None => !dir.is_empty() && internal.contains(""),
    };
    if under_internal && meta.audience == Some(Audience::Public) {
        diags.push(
            Diagnostic::error("a public section inside an internal section")
                .at(file, spans.value("audience"))
                .label("a folder above says `audience = \"internal\"`")
                .hint("move the folder out of the internal section, or remove its `audience`"),
        );
    }
}

/// The files under `content/` an article's Markdown links or shows (relative links and images, by source path); its
/// text is read again if it was let go, and an error if that fails.
fn files_used(a: &Article) -> Result<HashSet<String>, Box<Diagnostic>> {
    use pulldown_cmark::{Event, Parser, Tag};
    let dir = super::parent_dir(&a.source);
    let file = a.source_file()?;
    Ok(Parser::new(file.text.get(a.body_offset..).unwrap_or_default())
        .filter_map(|e| match e {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => Some(dest_url),
            _ => None,
        })
        .filter(|d| !d.starts_with('#') && !d.starts_with('/') && !d.contains(':'))
        .filter_map(|d| {
            let path = d.split(['#', '?']).next().unwrap_or_default();
            let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
            super::join_relative(dir, &decoded).ok()
        })
        .collect())
}

/// In a public load, the files beside articles that only internal articles use: `internal` are the articles left
/// out, `public` those kept. Files of internal folders are left out anyway, so only articles outside them are read.
pub(super) fn files_only_internal(
    internal: &[Article],
    public: &[Article],
    dirs: &HashSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> HashSet<String> {
    let outside: Vec<&Article> = internal
        .iter()
        .filter(|a| !in_internal_dir(super::parent_dir(&a.source), dirs))
        .collect();
    if outside.is_empty() {
        return HashSet::new();
    }
    let mut used = |a: &Article| {
        files_used(a).unwrap_or_else(|d| {
            diags.push(*d);
            HashSet::new()
        })
    };
    let mut only: HashSet<String> = outside.iter().flat_map(|a| used(a)).collect();
    for a in public {
        if only.is_empty() {
            break;
        }
        for f in used(a) {
            only.remove(&f);
        }
    }
    only
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_internal_when_it_or_a_folder_above_it_is() {
        let internal: HashSet<String> = ["ops".to_string(), "a/b".to_string()].into();
        assert!(in_internal_dir("ops", &internal));
        assert!(in_internal_dir("ops/deep/er", &internal));
        assert!(in_internal_dir("a/b/c", &internal));
        assert!(!in_internal_dir("a", &internal));
        assert!(!in_internal_dir("opsx", &internal));
        assert!(!in_internal_dir("", &internal));
        let root: HashSet<String> = [String::new()].into();
        assert!(in_internal_dir("anything/at/all", &root));
        assert!(in_internal_dir("", &root));
    }
}
