//! The search index: kb's own, chunked, written under `site/search-index/` with the small browser runtime that
//! reads it (`search.js`, beside it).
//!
//! One document per article, made from the article model, so ranking does not depend on the theme: the title
//! weighs most, then the error signatures, the description and the headings; headings with ids give sub-results;
//! `products` and `applies_to` are filters (the search page's facets). Lists, taxonomy pages and the error index are
//! navigation and stay out of the index, as do check definitions (`data-search-ignore`).
//!
//! Files (all gzip JSON; README's "Index files" and "How queries are ranked" describe them for readers):
//! - `meta.json.gz` (version 2): the language, each page's fragment name, each filter value's pages, the chunk
//!   file (its hash) of each word prefix, the vocabulary files ([`vocabulary`]), the synonym groups, and how entries rank.
//! - `w/<hash>.json.gz`, one chunk per word prefix (two characters, more where many words share them:
//!   [`chunk_keys`]): `words` maps each word the pages hold to its stem (when they differ) and `stems` maps each
//!   stem to its postings, `[page, score, page, score, …]`, the score (in thousandths) being the stem's BM25F score
//!   in the page, rarity included, worked out here so that the browser only adds the scores of a query's words.
//!   `phrases` maps the error signatures' phrases filed under the chunk's words ([`phrase_key`]) to the pages
//!   listing them: a query holding one of them word for word ranks those pages first (a pasted message or status
//!   line is most often exactly an article's signature).
//! - `v/<hash>.json.gz`: the words typos are corrected to, by first and by last character.
//! - `f/<hash>.json.gz`, one fragment per page: its URL, title and text by section, for results' titles, excerpts
//!   and sub-results.
//!
//! Page lists (postings, filters, phrases) hold each page as its distance from the one before ([`gaps`]). Files
//! other than `meta.json.gz` are named by their content's hash, so they can be cached for ever. A query fetches
//! `meta.json.gz`, one chunk per word, and one fragment per result shown; a misspelt word two vocabulary files.
//!
//! Words are cut as `search.js` cuts queries ([`words`]): a token of letters and digits joined by `_`, `'` or `-`
//! is held whole, and its parts (cut at punctuation and between letters and digits, two characters or more) too.
//! Alphabetic words are stemmed (Snowball, the site's language); the browser needs no stemmer, as each chunk maps
//! the words it holds to their stems.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::io::Write as _;

use flate2::Compression;
use flate2::write::GzEncoder;
use rayon::prelude::*;
use rust_stemmers::Stemmer;
use serde::Serialize;

use super::Model;
use crate::content::FrontMatter;
use crate::diag::Diagnostic;
use chunks::{CHUNK_LIMIT, chunk_keys, gaps, json_len, phrase_key};
pub use entries::{Entries, Ranking};
pub use finish::Written;
use words::{for_each_word, phrases, stem_of, stemmer};

pub mod cache;
mod chunks;
mod entries;
mod finish;
pub mod query;
mod stored;
mod text;
mod vocabulary;
pub mod words;

/// Where the index goes, under the site's root.
pub const DIR: &str = "search-index";

/// The browser runtime, written beside the index (see [`runtime`]).
const RUNTIME: &str = include_str!("search.js");

/// The file that names the others.
pub const META: &str = "meta.json.gz";
/// Fragments are `f/<hash>.json.gz`; `meta.json.gz` lists their hashes.
const FRAGMENT_EXT: &str = ".json.gz";

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

/// Weights of where a word is (body text is 1). Each weight is a field of its own in the ranking (BM25F-like): a
/// word's count saturates within a field, so many mentions in the text never outweigh one in the title or the
/// error signatures, which is what a pasted error code or message needs.
const TITLE_WEIGHT: u32 = 10;
const ERRORS_WEIGHT: u32 = 8;
const DESCRIPTION_WEIGHT: u32 = 3;
/// `<h1>` to `<h6>` in the body.
const HEADING_WEIGHTS: [u32; 6] = [7, 6, 5, 4, 3, 2];
/// Every weight there is: the fields.
const WEIGHTS: [u32; FIELDS] = [10, 8, 7, 6, 5, 4, 3, 2, 1];
const FIELDS: usize = 9;

/// A page's length in words, per field.
type Lengths = [u32; FIELDS];
/// BM25's term saturation and length normalisation.
const K1: f64 = 1.2;
const B: f64 = 0.75;
/// Scores are stored as integers, in thousandths.
const SCALE: f64 = 1000.0;

/// A word's counts in one page, per field: 7 bits each (saturating at 127), field `i` at bits `7i`.
#[derive(Clone, Copy, Default)]
struct Counts(u64);

impl Counts {
    const MAX: u64 = 127;

    fn field(weight: u32) -> usize {
        WEIGHTS.iter().position(|&w| w == weight).expect("a known weight")
    }

    fn get(self, field: usize) -> u64 {
        (self.0 >> (7 * field)) & Self::MAX
    }

    fn add(&mut self, field: usize, n: u64) {
        let sum = (self.get(field) + n).min(Self::MAX);
        self.0 = (self.0 & !(Self::MAX << (7 * field))) | (sum << (7 * field));
    }

    fn merge(&mut self, other: Counts) {
        for f in 0..WEIGHTS.len() {
            self.add(f, other.get(f));
        }
    }

    /// The word's score in a page whose fields have `lengths`, fields being `average` long on average, before
    /// its rarity: per field, BM25's saturation with the field's length normalised.
    fn saturated(self, lengths: &Lengths, average: &[f64; FIELDS]) -> f64 {
        WEIGHTS
            .iter()
            .enumerate()
            .map(|(f, &w)| {
                let tf = self.get(f) as f64;
                if tf == 0.0 {
                    return 0.0;
                }
                let norm = 1.0 - B + B * f64::from(lengths[f]) / average[f];
                f64::from(w) * tf * (K1 + 1.0) / (tf + K1 * norm)
            })
            .sum()
    }
}

/// One file of the index: its path under [`DIR`] and its bytes.
pub struct File {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// What the index needs of one article.
pub struct Doc<'a> {
    pub url: &'a str,
    pub meta: &'a FrontMatter,
    /// The rendered body.
    pub body: Cow<'a, str>,
}

/// What shapes the index besides its pages: kb.toml's `language` and `[search]`.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub language: String,
    pub search: crate::config::SearchSettings,
}

impl Settings {
    pub fn of(config: &crate::config::Config) -> Settings {
        Settings {
            language: config.language.clone(),
            search: config.search.clone(),
        }
    }
}

/// Indexes every article of the model, then every error catalogue entry's page.
pub fn index(model: &Model<'_>) -> Vec<File> {
    let entries = Entries::new(model.config, &model.errors);
    entries.index(&Settings::of(model.config), model.content.articles.len(), |i| {
        article_doc(model, i, &model.articles[i])
    })
}

/// Article `i` as the index reads it, its Markdown rendered as `r`.
pub fn article_doc<'a>(model: &'a Model<'_>, i: usize, r: &'a crate::markdown::Rendered) -> Doc<'a> {
    let a = &model.content.articles[i];
    Doc {
        url: &a.url,
        meta: &a.meta,
        body: r.own_html(),
    }
}

/// A section of a page's text: the part before the first heading with an id (`id` empty), then one per such
/// heading.
#[derive(Serialize, Default)]
struct Section {
    id: String,
    title: String,
    text: String,
}

#[derive(Serialize)]
struct Fragment<'a> {
    url: &'a str,
    title: &'a str,
    sections: Vec<Section>,
}

/// A page, read: its fragment and its words with their weights.
pub struct Page {
    fragment: File,
    words: Vec<(String, Counts)>,
    lengths: Lengths,
    filters: Vec<(&'static str, String)>,
    /// Its error signatures' [`phrases`].
    phrases: Vec<String>,
}

/// Pages read at a time: their words are merged into the index before the next batch is read, so that memory holds
/// one batch of pages' words, not the whole site's.
const BATCH: usize = 512;

/// The index being made: words, their stems, and each stem's postings.
#[derive(Default)]
struct Postings {
    /// Word → its stem's number.
    words: HashMap<String, u32>,
    stem_ids: HashMap<String, u32>,
    stems: Vec<String>,
    /// Per stem: the pages holding it, in order, with its counts there.
    postings: Vec<List>,
    /// Per stem: whether an article (not an error catalogue entry's page) lists it in its error signatures.
    signed: Vec<bool>,
}

impl Postings {
    /// Adds `word`'s `counts` in `page`; `article` says whether the page is an article's.
    fn add(&mut self, stemmer: Option<&Stemmer>, page: u32, article: bool, word: String, counts: Counts) {
        let id = match self.words.get(&word) {
            Some(&id) => id,
            None => {
                let stem = stem_of(stemmer, &word);
                let next = self.stems.len() as u32;
                let id = *self.stem_ids.entry(stem.clone()).or_insert(next);
                if id == next {
                    self.stems.push(stem);
                    self.postings.push(List::default());
                    self.signed.push(false);
                }
                self.words.insert(word, id);
                id
            }
        };
        if article && counts.get(Counts::field(ERRORS_WEIGHT)) > 0 {
            self.signed[id as usize] = true;
        }
        self.postings[id as usize].add(page, counts);
    }

    /// Each field's average length over `lengths`, the pages' (at least 1).
    fn average(lengths: &[Lengths]) -> [f64; FIELDS] {
        let n = lengths.len() as f64;
        let mut average = [0.0; FIELDS];
        for page in lengths {
            for (a, &l) in average.iter_mut().zip(page) {
                *a += f64::from(l);
            }
        }
        for a in &mut average {
            *a = (*a / n.max(1.0)).max(1.0);
        }
        average
    }

    /// Stem `id`'s postings as `[page, score, …]`, each page but the first given as its distance from the one
    /// before (small numbers, which compress well); `average` is [`Postings::average`] of `lengths`.
    fn scored(&self, id: usize, lengths: &[Lengths], average: &[f64; FIELDS]) -> Vec<u32> {
        let n = lengths.len() as f64;
        let list = &self.postings[id];
        let df = list.len() as f64;
        let rarity = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        let mut last = 0;
        list.iter()
            .flat_map(|(page, counts)| {
                let saturated = counts.saturated(&lengths[page as usize], average);
                let score = (rarity * saturated * SCALE).round().max(1.0);
                let gap = page - last;
                last = page;
                [gap, score as u32]
            })
            .collect()
    }
}

/// One stem's postings, compact: each page as its distance from the one before (a varint), then which fields hold
/// the stem (a varint of bits, the body's first) and its count in each of them (a byte each, counts being at most
/// 127). Mostly three bytes a posting, where a `(u32, Counts)` is sixteen: at 100,000 articles that is hundreds of
/// megabytes. The last page stays open, so that words of one stem in one page add up to one posting.
#[derive(Default)]
struct List {
    bytes: Vec<u8>,
    /// The last page written to `bytes`.
    last: u32,
    len: u32,
    open: Option<(u32, Counts)>,
}

impl List {
    fn add(&mut self, page: u32, counts: Counts) {
        match &mut self.open {
            Some((p, c)) if *p == page => c.merge(counts),
            _ => {
                self.close();
                self.open = Some((page, counts));
                self.len += 1;
            }
        }
    }

    fn len(&self) -> usize {
        self.len as usize
    }

    fn close(&mut self) {
        let Some((page, counts)) = self.open.take() else { return };
        push_varint(&mut self.bytes, u64::from(page - self.last));
        self.last = page;
        let mut mask = 0u64;
        for f in 0..FIELDS {
            if counts.get(f) > 0 {
                mask |= 1 << (FIELDS - 1 - f);
            }
        }
        push_varint(&mut self.bytes, mask);
        for f in 0..FIELDS {
            let n = counts.get(f);
            if n > 0 {
                self.bytes.push(n as u8);
            }
        }
    }

    /// Its postings in order: (page, counts).
    fn iter(&self) -> impl Iterator<Item = (u32, Counts)> + '_ {
        let mut at = 0;
        let mut page = 0u32;
        let bytes = &self.bytes;
        std::iter::from_fn(move || {
            if at >= bytes.len() {
                return None;
            }
            page += read_varint(bytes, &mut at) as u32;
            let mask = read_varint(bytes, &mut at);
            let mut counts = Counts::default();
            for f in 0..FIELDS {
                if mask & (1 << (FIELDS - 1 - f)) != 0 {
                    counts.add(f, u64::from(bytes[at]));
                    at += 1;
                }
            }
            Some((page, counts))
        })
        .chain(self.open)
    }
}

fn push_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn read_varint(bytes: &[u8], at: &mut usize) -> u64 {
    let mut n = 0u64;
    let mut shift = 0;
    loop {
        let b = bytes[*at];
        *at += 1;
        n |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return n;
        }
        shift += 7;
    }
}

/// Indexes `n` pages, the `i`-th being `doc(i)`; pages are read in parallel, a batch at a time.
///
/// `ranking` says which pages rank below others and which are secondary (see [`Entries`]).
pub fn index_docs<'a>(
    settings: &Settings,
    n: usize,
    ranking: &Ranking,
    doc: impl Fn(usize) -> Doc<'a> + Sync,
) -> Vec<File> {
    let articles = ranking.secondary_from.map_or(n, |from| from as usize);
    let mut index = Indexer::new(settings);
    index.read(articles, &doc, true);
    index.read(n - articles, |i| doc(articles + i), false);
    index.finish(ranking)
}

/// An index being made, page after page: each page's words are merged in as it comes, so that memory holds the
/// index, not the pages.
pub struct Indexer<'s> {
    settings: &'s Settings,
    stemmer: Option<Stemmer>,
    index: Postings,
    fragments: Vec<File>,
    lengths: Vec<Lengths>,
    filters: BTreeMap<&'static str, BTreeMap<String, Vec<u32>>>,
    phrase_pages: HashMap<String, Vec<u32>>,
    /// Where fragments go as they come, if they are not held until the end.
    written: Option<&'s Written<'s>>,
}

impl<'s> Indexer<'s> {
    pub fn new(settings: &'s Settings) -> Indexer<'s> {
        Indexer {
            settings,
            stemmer: stemmer(&settings.language),
            index: Postings::default(),
            fragments: Vec::new(),
            lengths: Vec::new(),
            filters: BTreeMap::new(),
            phrase_pages: HashMap::new(),
            written: None,
        }
    }

    /// The same index, its pages' fragments written to `written` as they come instead of held until the end.
    pub fn writing(self, written: &'s Written<'s>) -> Indexer<'s> {
        Indexer {
            written: Some(written),
            ..self
        }
    }

    /// Where fragments are written, if they are: a page read on another thread is best written there at once.
    pub fn written(&self) -> Option<&'s Written<'s>> {
        self.written
    }

    /// Reads `n` documents (`doc(i)`) in parallel, a batch at a time, and adds them; `article` says whether they are
    /// articles (not error catalogue entries' pages).
    pub fn read<'a>(&mut self, n: usize, doc: impl Fn(usize) -> Doc<'a> + Sync, article: bool) {
        for start in (0..n).step_by(BATCH) {
            let pages: Vec<Page> = (start..(start + BATCH).min(n))
                .into_par_iter()
                .map(|i| Page::read(&doc(i)))
                .collect();
            for page in pages {
                self.add(page, article);
            }
        }
    }

    /// Adds a page read with [`Page::read`], numbered after the pages added before it.
    pub fn add(&mut self, page: Page, article: bool) {
        let p = self.fragments.len() as u32;
        for (word, counts) in page.words {
            self.index.add(self.stemmer.as_ref(), p, article, word, counts);
        }
        for (name, value) in page.filters {
            self.filters.entry(name).or_default().entry(value).or_default().push(p);
        }
        self.lengths.push(page.lengths);
        for phrase in page.phrases {
            let pages = self.phrase_pages.entry(phrase).or_default();
            if pages.last() != Some(&p) {
                pages.push(p);
            }
        }
        let mut fragment = page.fragment;
        if let Some(written) = self.written {
            written.write(&mut fragment);
        }
        self.fragments.push(fragment);
    }
}

/// The runtime as the browser gets it: without its whole-line comments (the source, `search.js` in this folder, is
/// the documented one), which every first query would otherwise download.
fn runtime() -> String {
    let mut out = String::from("// kb's search runtime; its documented source is src/site/search/search.js in kb.\n");
    for line in RUNTIME.lines() {
        if !line.trim_start().starts_with("//") && !line.trim().is_empty() {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Fragment names as the first [`SHORT_NAME`] characters of their hash, which `meta.json.gz` lists for every page,
/// unless two different fragments would then share a name: then every name keeps its whole hash.
fn short_names(fragments: &mut [File]) {
    let short = |f: &File| finish::short_path(&f.path);
    let mut seen: HashMap<String, &[u8]> = HashMap::with_capacity(fragments.len());
    for f in fragments.iter() {
        if let Some(other) = seen.insert(short(f), &f.bytes)
            && other != &f.bytes[..]
        {
            return;
        }
    }
    for f in fragments.iter_mut() {
        f.path = short(f);
    }
}

/// Hex characters of a fragment's name: 48 bits, so that two of 100,000 fragments share one with a chance of about
/// 1 in 50,000 (and then [`short_names`] keeps whole hashes).
const SHORT_NAME: usize = 12;

/// The synonym groups as the browser matches them: each member's words as a query cuts them, and their stems.
fn synonyms(stemmer: Option<&Stemmer>, groups: &[Vec<String>]) -> serde_json::Value {
    groups
        .iter()
        .map(|group| {
            group
                .iter()
                .map(|member| {
                    let words = words::query_words(member);
                    let stems: Vec<String> = words.iter().map(|w| stem_of(stemmer, w)).collect();
                    serde_json::json!({ "words": words, "stems": stems })
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A short content hash for file names (FNV-1a, 64 bits).
fn hash(bytes: &[u8]) -> String {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    bytes.hash(&mut h);
    format!("{:016x}", h.finish())
}

struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::with_capacity(bytes.len() / 3), Compression::new(6));
    enc.write_all(bytes).expect("writing to memory");
    enc.finish().expect("writing to memory")
}

/// A file of the index read back: its gzip JSON as `T`, or `None` if it is not that.
fn gunzip<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let mut text = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes), &mut text).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Counts the words of `text` in `words` and `lengths`, in the field of `weight`.
fn add_words(text: &str, weight: u32, words: &mut HashMap<String, Counts>, lengths: &mut Lengths) {
    let field = Counts::field(weight);
    let mut count = 0;
    for_each_word(text, |w| {
        count += 1;
        match words.get_mut(w) {
            Some(c) => c.add(field, 1),
            None => {
                let mut c = Counts::default();
                c.add(field, 1);
                words.insert(w.to_string(), c);
            }
        }
    });
    lengths[field] += count;
}

impl Page {
    /// Writes the page's fragment now, where the index's fragments go (see [`Written`]); only its name is kept.
    pub fn write_fragment(&mut self, written: &Written<'_>) {
        written.write(&mut self.fragment);
    }

    /// What the index takes of a document.
    pub fn read(doc: &Doc<'_>) -> Page {
        let meta = doc.meta;
        let title = meta.title.as_deref().unwrap_or_default();
        let mut words = HashMap::new();
        let mut lengths = Lengths::default();
        add_words(title, TITLE_WEIGHT, &mut words, &mut lengths);
        for e in &meta.errors {
            add_words(e, ERRORS_WEIGHT, &mut words, &mut lengths);
        }
        if let Some(d) = &meta.description {
            add_words(d, DESCRIPTION_WEIGHT, &mut words, &mut lengths);
        }
        let mut intro = Section::default();
        let mut lead = meta.errors.join(" · ");
        if let Some(d) = &meta.description {
            if !lead.is_empty() {
                lead.push_str(" · ");
            }
            lead.push_str(d);
        }
        intro.text = lead;
        let mut sections = vec![intro];
        for piece in text::pieces(&doc.body) {
            match piece {
                text::Piece::Heading { level, id, text } => {
                    let weight = HEADING_WEIGHTS[usize::from(level.clamp(1, 6)) - 1];
                    add_words(&text, weight, &mut words, &mut lengths);
                    match id {
                        Some(id) => sections.push(Section {
                            id,
                            title: text,
                            text: String::new(),
                        }),
                        None => push_text(&mut sections, &text),
                    }
                }
                text::Piece::Text(t) => {
                    add_words(&t, 1, &mut words, &mut lengths);
                    push_text(&mut sections, &t);
                }
            }
        }
        let fragment = Fragment {
            url: doc.url,
            title,
            sections,
        };
        let bytes = gzip(&serde_json::to_vec(&fragment).expect("serialisable"));
        let fragment = File {
            path: format!("f/{}{FRAGMENT_EXT}", hash(&bytes)),
            bytes,
        };
        let mut filters = Vec::new();
        for v in &meta.products {
            filters.push(("products", v.clone()));
        }
        for v in &meta.applies_to {
            filters.push(("applies_to", v.clone()));
        }
        Page {
            fragment,
            words: words.into_iter().collect(),
            lengths,
            filters,
            phrases: meta.errors.iter().flat_map(|e| phrases(e)).collect(),
        }
    }
}

fn push_text(sections: &mut [Section], t: &str) {
    let last = sections.last_mut().expect("the intro is always there");
    if !last.text.is_empty() {
        last.text.push(' ');
    }
    last.text.push_str(t);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_of_a_body_leaves_out_what_is_ignored_and_keeps_headings_apart() {
        let html = "<p>Intro &amp; <code>E0000015</code>text</p><h2 id=\"cause\">The <em>cause</em></h2>\
                    <p>Why<br>it&#39;s so</p><details class=\"check-source\" data-search-ignore><summary>Definition\
                    </summary><details><p>nested</p></details><pre>secret = 1</pre></details><script>var x = \"<p>\";\
                    </script><h3>No id</h3><p>a < b</p><!-- note -->";
        let pieces = text::pieces(html);
        let shown: Vec<String> = pieces
            .iter()
            .map(|p| match p {
                text::Piece::Heading { level, id, text } => format!("h{level}#{}:{text}", id.as_deref().unwrap_or("")),
                text::Piece::Text(t) => format!("t:{t}"),
            })
            .collect();
        assert_eq!(
            shown,
            [
                "t:Intro & E0000015text",
                "h2#cause:The cause",
                "t:Why it's so",
                "h3#:No id",
                "t:a < b",
            ]
        );
    }

    fn meta(title: &str) -> FrontMatter {
        FrontMatter {
            title: Some(title.into()),
            description: Some("Assigned users only.".into()),
            products: vec!["Workflows".into()],
            errors: vec!["403 Not Assigned App".into()],
            ..FrontMatter::default()
        }
    }

    fn settings() -> Settings {
        Settings {
            language: "en".into(),
            search: crate::config::SearchSettings {
                typos: true,
                synonyms: vec![vec!["sso".into(), "Single sign-on".into()]],
            },
        }
    }

    fn json(bytes: &[u8]) -> serde_json::Value {
        gunzip(bytes).expect("gzip JSON")
    }

    #[test]
    fn a_compact_posting_list_gives_back_what_was_added_same_page_counts_summed() {
        let counts = |pairs: &[(usize, u64)]| {
            let mut c = Counts::default();
            for &(f, n) in pairs {
                c.add(f, n);
            }
            c
        };
        let mut list = List::default();
        list.add(0, counts(&[(8, 3)]));
        list.add(0, counts(&[(0, 1), (8, 2)]));
        list.add(7, counts(&[(1, 127), (4, 9)]));
        list.add(300_000, counts(&[(8, 1)]));
        list.add(300_001, Counts::default());
        let got: Vec<(u32, u64)> = list.iter().map(|(p, c)| (p, c.0)).collect();
        let want = vec![
            (0, counts(&[(0, 1), (8, 5)]).0),
            (7, counts(&[(1, 127), (4, 9)]).0),
            (300_000, counts(&[(8, 1)]).0),
            (300_001, 0),
        ];
        assert_eq!(got, want);
        assert_eq!(list.len(), 4);
        assert!(list.bytes.len() <= 16, "{} bytes", list.bytes.len());
    }

    #[test]
    fn the_index_maps_words_to_stems_and_stems_to_weighted_postings() {
        let metas = [meta("Users are not assigned"), meta("Other <b>thing</b>")];
        let bodies = [
            "<h2 id=\"cause\">Cause</h2><p>The user was assigning apps.</p>",
            "<p>Nothing.</p>",
        ];
        let files = index_docs(&settings(), 2, &Ranking::default(), |i| Doc {
            url: ["/a/", "/b/"][i],
            meta: &metas[i],
            body: Cow::Borrowed(bodies[i]),
        });
        let get = |path: &str| files.iter().find(|f| f.path == path).unwrap();
        let meta = json(&get(META).bytes);
        assert_eq!(meta["filters"]["products"]["Workflows"], serde_json::json!([0, 1]));
        assert_eq!(meta["pages"].as_array().unwrap().len(), 2);
        let chunk = json(&get(&format!("w/{}.json.gz", meta["chunks"]["as"].as_str().unwrap())).bytes);
        assert_eq!(chunk["words"]["assigned"], "assign");
        assert_eq!(chunk["words"]["assigning"], "assign");
        // Page 0: "assigned" in its title and errors, "assigning" in its body; page 1: in its errors only. Both
        // hold it, so it is not rare, but page 0 scores higher: more fields.
        let postings: Vec<u64> = serde_json::from_value(chunk["stems"]["assign"].clone()).unwrap();
        assert_eq!((postings[0], postings[2]), (0, 1), "{postings:?}");
        assert!(postings[1] > postings[3], "{postings:?}");
        let fragment = json(&get(&format!("f/{}.json.gz", meta["pages"][0].as_str().unwrap())).bytes);
        assert_eq!(fragment["url"], "/a/");
        assert_eq!(
            fragment["sections"][0]["text"],
            "403 Not Assigned App · Assigned users only."
        );
        assert_eq!(fragment["sections"][1]["id"], "cause");
        assert_eq!(fragment["sections"][1]["text"], "The user was assigning apps.");
        let numbers = json(&get(&format!("w/{}.json.gz", meta["chunks"]["40"].as_str().unwrap())).bytes);
        assert_eq!(numbers["phrases"]["403 not assigned app"], serde_json::json!([0, 1]));
        assert!(files.iter().any(|f| f.path == "search.js"));
        assert_eq!(
            meta["synonyms"],
            serde_json::json!([[
                {"words": ["sso"], "stems": ["sso"]},
                {"words": ["single", "sign-on"], "stems": ["singl", "sign-on"]}
            ]])
        );
        let vocabulary = json(
            &get(&format!(
                "v/{}.json.gz",
                meta["vocabulary"]["first"]["a"].as_str().unwrap()
            ))
            .bytes,
        );
        assert_eq!(vocabulary["words"][0], "apps", "`app` is too short to be a correction");
        assert!(vocabulary["words"].as_array().unwrap().contains(&"assigned".into()));
        // Names follow content: the same input gives the same files.
        let again = index_docs(&settings(), 2, &Ranking::default(), |i| Doc {
            url: ["/a/", "/b/"][i],
            meta: &metas[i],
            body: Cow::Borrowed(bodies[i]),
        });
        let names = |f: &[File]| f.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
        assert_eq!(names(&files), names(&again));

        // Without typo tolerance there is no vocabulary.
        let mut off = settings();
        off.search.typos = false;
        let files = index_docs(&off, 2, &Ranking::default(), |i| Doc {
            url: ["/a/", "/b/"][i],
            meta: &metas[i],
            body: Cow::Borrowed(bodies[i]),
        });
        let meta = json(&files.iter().find(|f| f.path == META).unwrap().bytes);
        assert!(meta["vocabulary"].is_null(), "{meta}");
        assert!(!files.iter().any(|f| f.path.starts_with("v/")));
    }

    #[test]
    fn fragments_have_short_names_unless_two_would_share_one() {
        let file = |path: &str, bytes: &[u8]| File {
            path: format!("f/{path}{FRAGMENT_EXT}"),
            bytes: bytes.to_vec(),
        };
        let mut distinct = vec![file("0123456789abcdef", b"a"), file("fedcba9876543210", b"b")];
        short_names(&mut distinct);
        assert_eq!(distinct[0].path, "f/0123456789ab.json.gz");
        let mut clash = vec![file("0123456789abcdef", b"a"), file("0123456789abcdee", b"b")];
        short_names(&mut clash);
        assert_eq!(clash[0].path, "f/0123456789abcdef.json.gz");
        assert_eq!(clash[1].path, "f/0123456789abcdee.json.gz");
        // The same fragment twice is one file, under one name.
        let mut same = vec![file("0123456789abcdef", b"a"), file("0123456789abcdef", b"a")];
        short_names(&mut same);
        assert_eq!(same[1].path, "f/0123456789ab.json.gz");
    }

    #[test]
    fn the_runtime_loses_its_comment_lines_only() {
        let r = runtime();
        assert!(r.len() < RUNTIME.len() * 4 / 5, "{} of {}", r.len(), RUNTIME.len());
        assert_eq!(r.lines().filter(|l| l.trim_start().starts_with("//")).count(), 1);
        let code = |t: &str| {
            t.lines()
                .filter(|l| !l.trim_start().starts_with("//") && !l.trim().is_empty())
                .count()
        };
        assert_eq!(code(&r), code(RUNTIME));
        assert!(r.contains("export async function query(text, opts)"));
    }
}
