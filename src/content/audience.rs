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
