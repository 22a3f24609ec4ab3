//! The sitemap's entries: every page a search engine may list (not those showing an org's results), with dates.

use serde::Serialize;

use super::Model;
use super::pages::date_str;
use super::taxonomy::Kind;

/// The sitemap protocol's limit of URLs per file.
pub const SITEMAP_MAX: usize = 50_000;

#[derive(Serialize, PartialEq)]
pub struct SitemapEntry {
    pub loc: String,
    pub lastmod: Option<String>,
}

/// The entries of sitemap part `part` (0: the only one) of `len` entries, at most `max` per part.
pub fn sitemap_part(len: usize, part: usize, max: usize) -> std::ops::Range<usize> {
    let start = part.saturating_sub(1) * max;
    start.min(len)..(start + max).min(len)
}

impl Model<'_> {
    pub(super) fn sitemap(&self) -> Vec<SitemapEntry> {
        let c = self.config;
        let mut out = Vec::new();
        // Pages that show an org's results stay out of the sitemap: the home page and every checked article.
        let shows_status = |slug: &str| self.status.is_some_and(|st| st.articles.contains_key(slug));
        if self.status.is_none() {
            out.push(SitemapEntry {
                loc: c.permalink(&self.url("")),
                lastmod: None,
            });
        }
        for a in self.content.articles.iter().filter(|a| !shows_status(&a.slug)) {
            out.push(SitemapEntry {
                loc: c.permalink(&a.url),
                lastmod: date_str(a.updated()),
            });
        }
        for s in self.content.sections.iter().skip(1) {
            out.push(SitemapEntry {
                loc: c.permalink(&s.url),
                lastmod: None,
            });
        }
        for kind in [Kind::Products, Kind::Tags, Kind::Errors] {
            out.push(SitemapEntry {
                loc: c.permalink(&self.url(&format!("{}/", kind.dir()))),
                lastmod: None,
            });
            for t in &self.taxonomy(kind).terms {
                let url = self.url(&format!("{}/{}/", kind.dir(), t.slug));
                out.push(SitemapEntry {
                    loc: c.permalink(&url),
                    lastmod: None,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_holds_its_share_of_the_entries() {
        assert_eq!(sitemap_part(10, 0, 50), 0..10);
        assert_eq!(sitemap_part(120, 1, 50), 0..50);
        assert_eq!(sitemap_part(120, 3, 50), 100..120);
    }
}
