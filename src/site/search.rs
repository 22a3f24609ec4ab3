//! The search index: one document per article, fed to the Pagefind library in-process, whose chunked index and
//! browser runtime are written under `site/pagefind/`.
//!
//! kb writes each article's search document itself, from the article model, so ranking does not depend on the theme:
//! the title weighs most, then the error signatures, then the description; headings with ids give sub-results;
//! `products` and `applies_to` are filters (the search page's facets). Lists, taxonomy pages and the error index are
//! navigation and stay out of the index.

use std::fmt::Write as _;

use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;
use rayon::prelude::*;

use super::Model;
use crate::content::FrontMatter;
use crate::diag::Diagnostic;
use crate::text::escape;

/// Where the index goes, under the site's root.
pub const DIR: &str = "pagefind";

/// Whether a file of the site (its path under the site's root) falls inside the index's folder.
pub fn inside_index(rel: &str) -> bool {
    rel.strip_prefix(DIR).is_some_and(|rest| rest.starts_with('/'))
}

/// The error for a page or file that would be written inside the index's folder.
pub fn inside_index_error(what: &str, rel: &str) -> Diagnostic {
    Diagnostic::error(format!(
        "{what} would be written to {rel}, inside {DIR}/, where the search index goes"
    ))
    .hint("rename it or move it out of that folder (for an article, change its `slug`), or build with --no-search")
}

/// Pagefind weights (0 to 10; body text is 1).
const TITLE_WEIGHT: u8 = 10;
const ERRORS_WEIGHT: u8 = 8;
const DESCRIPTION_WEIGHT: u8 = 3;

/// Articles handed to the indexer at a time: documents are made in parallel a batch ahead, so that the whole site's
/// search HTML is never in memory at once.
const BATCH: usize = 256;

/// Pagefind's own front ends, which kb's search page does not load.
const UNUSED: &[&str] = &[
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
    "pagefind-highlight.js",
];

/// One file of the index: its path under [`DIR`] and its bytes.
pub struct File {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// The HTML Pagefind reads for an article: its front matter's searchable parts and its rendered body.
pub fn document(language: &str, meta: &FrontMatter, body: &str) -> String {
    let mut html = String::with_capacity(body.len() + 1024);
    let title = escape(meta.title.as_deref().unwrap_or_default());
    let _ = write!(
        html,
        "<!doctype html><html lang=\"{}\"><head><title>{title}</title></head><body data-pagefind-body>\
         <h1 data-pagefind-weight=\"{TITLE_WEIGHT}\" data-pagefind-meta=\"title\">{title}</h1>",
        escape(language),
    );
    for (name, values) in [("products", &meta.products), ("applies_to", &meta.applies_to)] {
        for v in values {
            let _ = write!(
                html,
                "<meta data-pagefind-filter=\"{name}[content]\" content=\"{}\">",
                escape(v)
            );
        }
    }
    if !meta.errors.is_empty() {
        let _ = write!(html, "<ul data-pagefind-weight=\"{ERRORS_WEIGHT}\">");
        for e in &meta.errors {
            let _ = write!(html, "<li>{}</li>", escape(e));
        }
        html.push_str("</ul>");
    }
    if let Some(d) = &meta.description {
        let _ = write!(
            html,
            "<p data-pagefind-weight=\"{DESCRIPTION_WEIGHT}\">{}</p>",
            escape(d)
        );
    }
    html.push_str("<div>");
    html.push_str(body);
    html.push_str("</div></body></html>");
    html
}

/// One article's search document, and where it is.
pub struct Entry {
    pub url: String,
    /// The article's source path under `content/`, for errors.
    pub source: String,
    /// Its [`document`].
    pub html: String,
}

/// Indexes every article of the model. Errors are Pagefind's, as text.
pub fn index(model: &Model<'_>) -> Result<Vec<File>, String> {
    index_entries(&model.config.language, model.content.articles.len(), |i| {
        let a = &model.content.articles[i];
        Entry {
            url: a.url.clone(),
            source: a.source.clone(),
            html: document(&model.config.language, &a.meta, &model.articles[i].own_html()),
        }
    })
}

/// Indexes `n` articles, the `i`-th made by `entry(i)` (in parallel, a batch at a time).
pub fn index_entries(language: &str, n: usize, entry: impl Fn(usize) -> Entry + Sync) -> Result<Vec<File>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the search indexer: {e}"))?;
    runtime.block_on(async {
        let options = PagefindServiceConfig::builder()
            .force_language(language.to_string())
            .build();
        let mut index = PagefindIndex::new(Some(options)).map_err(|e| format!("{e:#}"))?;
        for start in (0..n).step_by(BATCH) {
            let entries: Vec<Entry> = (start..(start + BATCH).min(n)).into_par_iter().map(&entry).collect();
            for e in entries {
                index
                    .add_html_file(None, Some(e.url), e.html)
                    .await
                    .map_err(|err| format!("{}: {err:#}", e.source))?;
            }
        }
        let files = index.get_files().await.map_err(|e| format!("{e:#}"))?;
        let files = files
            .into_iter()
            .filter_map(|f| {
                let path = f.filename.to_string_lossy().replace('\\', "/");
                (!UNUSED.contains(&path.as_str())).then_some(File {
                    path,
                    bytes: f.contents,
                })
            })
            .collect();
        Ok(files)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_weighs_title_and_errors_and_escapes_what_it_holds() {
        let meta = FrontMatter {
            title: Some("<b>403</b> & more".into()),
            description: Some("One \"line\".".into()),
            products: vec!["Workflows".into()],
            applies_to: vec!["Okta \"Identity\" Engine".into()],
            errors: vec!["403 Not Assigned App".into(), "<script>x</script>".into()],
            ..FrontMatter::default()
        };
        let html = document("en", &meta, "<h2 id=\"cause\">Cause</h2><p>Body.</p>");
        assert!(html.starts_with("<!doctype html><html lang=\"en\">"));
        assert!(html.contains(
            "<h1 data-pagefind-weight=\"10\" data-pagefind-meta=\"title\">&lt;b&gt;403&lt;/b&gt; &amp; more</h1>"
        ));
        assert!(html.contains("<meta data-pagefind-filter=\"products[content]\" content=\"Workflows\">"));
        assert!(html.contains(
            "<meta data-pagefind-filter=\"applies_to[content]\" content=\"Okta &quot;Identity&quot; Engine\">"
        ));
        assert!(html.contains(
            "<ul data-pagefind-weight=\"8\"><li>403 Not Assigned App</li><li>&lt;script&gt;x&lt;/script&gt;</li></ul>"
        ));
        assert!(html.contains("<p data-pagefind-weight=\"3\">One &quot;line&quot;.</p>"));
        assert!(html.ends_with("<div><h2 id=\"cause\">Cause</h2><p>Body.</p></div></body></html>"));
    }
}
