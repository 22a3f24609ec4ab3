//! An article put into or taken out of loaded content (`kb serve`, for a new or a deleted file), leaving it as a
//! fresh load of the same files would: articles in the order their files are walked, and everything that refers to
//! them by number worked out again.

use std::path::Path;

use super::{Article, Audience, CONTENT_DIR, Config, Content, Loaded, RESERVED, Reread, Target, load_file, parent_dir};
use crate::content::blocks::CheckCard;
use crate::diag::Diagnostic;

impl Content {
    /// Reads article `i`'s file again (`kb serve`), leaving the content as it is. The file's problems go to
    /// `diags`.
    pub fn reread_article(&self, config: &Config, i: usize, drafts: bool, diags: &mut Vec<Diagnostic>) -> Reread {
        let old = &self.articles[i];
        let path = config.root.join(CONTENT_DIR).join(&old.source);
        let mut new = match load_file(&config.root, &path, &old.source, diags) {
            Ok(Loaded::Article(a)) => *a,
            Ok(Loaded::SectionIndex(_)) => return Reread::Structural,
            Err(()) => return Reread::Invalid,
        };
        if new.slug != old.slug || (new.meta.draft && !drafts) || new.meta.audience != old.meta.audience {
            return Reread::Structural;
        }
        new.internal = old.internal;
        new.committed = old.committed;
        new.url.clone_from(&old.url);
        new.section = old.section;
        Reread::Article(Box::new(new))
    }

    /// Reads a file that is not part of the content yet, as a load would: an article, or what keeps it from being
    /// one more (`Structural`: a section's `_index.md`, a draft a load leaves out; `Invalid`: its problems are in
    /// `diags`).
    pub fn read_new(&self, config: &Config, source: &str, drafts: bool, diags: &mut Vec<Diagnostic>) -> Reread {
        let path = config.root.join(CONTENT_DIR).join(source);
        match load_file(&config.root, &path, source, diags) {
            Ok(Loaded::Article(a)) if a.meta.draft && !drafts => Reread::Structural,
            Ok(Loaded::Article(a)) => Reread::Article(a),
            Ok(Loaded::SectionIndex(_)) => Reread::Structural,
            Err(()) => Reread::Invalid,
        }
    }

    /// Puts a new article in its place (its file's place in the walk of `content/`), with its check cards, and
    /// returns its number. `None`, and nothing changed, where a fresh load would make more of it than one more
    /// article: a new folder, a slug already taken or reserved, an article a public load leaves out, one whose
    /// file is already known.
    pub fn insert_article(&mut self, config: &Config, mut a: Article, cards: Vec<CheckCard>) -> Option<usize> {
        let dir = parent_dir(&a.source);
        // The root is section 0, the one folder `section_by_dir` does not list.
        let section = if dir.is_empty() {
            0
        } else {
            *self.section_by_dir.get(dir)?
        };
        let top = a.slug.split('/').next().unwrap_or_default();
        let taken = self.by_slug.contains_key(&a.slug) || self.sections.iter().any(|s| s.slug == a.slug);
        let inherited = self.sections[section].internal;
        let internal = inherited || a.meta.audience == Some(Audience::Internal);
        let public_inside_internal = inherited && a.meta.audience == Some(Audience::Public);
        if taken
            || RESERVED.contains(&top)
            || self.by_source.contains_key(&a.source)
            || self.unpublished.contains_key(&a.source)
            || (internal && self.audience == Audience::Public)
            || public_inside_internal
        {
            return None;
        }
        a.section = section;
        a.internal = internal;
        a.url = config.url(&format!("{}/", a.slug));
        let at = self
            .articles
            .partition_point(|b| Path::new(&b.source) < Path::new(&a.source));
        self.articles.insert(at, a);
        self.cards.insert(at, cards);
        self.reindex();
        Some(at)
    }

    /// Takes article `i` out, with its check cards. `None`, and nothing changed, if it is the last article of a
    /// folder without an `_index.md` (a fresh load would not make that section at all).
    pub fn remove_article(&mut self, i: usize) -> Option<(Article, Vec<CheckCard>)> {
        let s = self.articles[i].section;
        let section = &self.sections[s];
        if s != 0 && section.file.is_none() && section.articles.len() == 1 && section.subsections.is_empty() {
            return None;
        }
        Some(self.take_article(i))
    }

    /// Takes article `i` out, whatever is left of its folder: to put back an article just added.
    pub fn take_article(&mut self, i: usize) -> (Article, Vec<CheckCard>) {
        let a = self.articles.remove(i);
        let cards = self.cards.remove(i);
        self.reindex();
        (a, cards)
    }

    /// Puts back an article [`Content::remove_article`] took out of place `i`.
    pub fn restore_article(&mut self, i: usize, a: Article, cards: Vec<CheckCard>) {
        self.articles.insert(i, a);
        self.cards.insert(i, cards);
        self.reindex();
    }

    /// What refers to articles by number, worked out again: source paths, slugs, each section's sorted list.
    fn reindex(&mut self) {
        self.by_source.retain(|_, t| matches!(t, Target::Section(_)));
        self.by_slug.clear();
        for s in &mut self.sections {
            s.articles.clear();
        }
        for (i, a) in self.articles.iter().enumerate() {
            self.sections[a.section].articles.push(i);
            self.by_source.insert(a.source.clone(), Target::Article(i));
            self.by_slug.insert(a.slug.clone(), i);
        }
        for s in 0..self.sections.len() {
            self.sort_section(s);
        }
    }

    /// Whether the articles are in the order a load gives them (their files' walk order); `kb serve` relies on it.
    pub fn in_walk_order(&self) -> bool {
        self.articles
            .windows(2)
            .all(|w| Path::new(&w[0].source) < Path::new(&w[1].source))
    }
}
