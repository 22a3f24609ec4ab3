//! A read page as bytes and back, for `kb build --cache` (`site::cache`): what [`Page::read`] takes of an article
//! is kept between builds and read back when the article's URL, front matter and rendered body are the same.

use serde::{Deserialize, Serialize};

use super::{Counts, File, Lengths, Page};

/// The filters a page can have ([`Page::read`] makes no other).
const FILTERS: [&str; 2] = ["products", "applies_to"];

#[derive(Serialize, Deserialize)]
struct Stored {
    fragment_path: String,
    fragment: Vec<u8>,
    words: Vec<(String, u64)>,
    lengths: Lengths,
    filters: Vec<(String, String)>,
    phrases: Vec<String>,
}

impl Page {
    /// The page as bytes: its fragment is in them, so this comes before [`Page::write_fragment`] lets go of it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let stored = Stored {
            fragment_path: self.fragment.path.clone(),
            fragment: self.fragment.bytes.clone(),
            words: self.words.iter().map(|(w, c)| (w.clone(), c.0)).collect(),
            lengths: self.lengths,
            filters: self.filters.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            phrases: self.phrases.clone(),
        };
        serde_json::to_vec(&stored).expect("serialisable")
    }

    /// A page from [`Page::to_bytes`]; `None` for bytes that are not one.
    pub fn from_bytes(bytes: &[u8]) -> Option<Page> {
        let s: Stored = serde_json::from_slice(bytes).ok()?;
        let filters = s
            .filters
            .into_iter()
            .map(|(k, v)| FILTERS.iter().find(|f| **f == k).map(|f| (*f, v)))
            .collect::<Option<Vec<_>>>()?;
        Some(Page {
            fragment: File {
                path: s.fragment_path,
                bytes: s.fragment,
            },
            words: s.words.into_iter().map(|(w, c)| (w, Counts(c))).collect(),
            lengths: s.lengths,
            filters,
            phrases: s.phrases,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_comes_back_as_it_was() {
        let meta = crate::content::front_matter::FrontMatter {
            title: Some("SAML assertion rejected".into()),
            products: vec!["Workflows".into()],
            applies_to: vec!["Okta Identity Engine".into()],
            errors: vec!["E0000015".into()],
            ..Default::default()
        };
        let doc = super::super::Doc {
            url: "/sso/saml/",
            meta: &meta,
            body: "<p>The clock is off</p><h2 id=\"fix\">Fix</h2><p>Sync it</p>".into(),
        };
        let page = Page::read(&doc);
        let back = Page::from_bytes(&page.to_bytes()).expect("read back");
        assert_eq!(back.to_bytes(), page.to_bytes());
        assert_eq!(back.filters, page.filters);
        assert!(!back.words.is_empty());
        assert!(Page::from_bytes(b"{}").is_none());
        let mut bytes = page.to_bytes();
        let at = bytes
            .windows(8)
            .position(|w| w == b"products")
            .expect("the filter is there");
        bytes[at..at + 8].copy_from_slice(b"produces");
        assert!(Page::from_bytes(&bytes).is_none(), "an unknown filter is not a page");
    }
}
