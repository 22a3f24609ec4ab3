//! The search index: kb's own, chunked, written under `site/search-index/` with the small browser runtime that
//! reads it (`search.js`, beside it).
//!
//! One document per article, made from the article model, so ranking does not depend on the theme: the title
//! weighs most, then the error signatures, the description and the headings; headings with ids give sub-results;
//! `products` and `applies_to` are filters (the search page's facets). Lists, taxonomy pages and the error index are
//! navigation and stay out of the index, as do check definitions (`data-search-ignore`).
//!
//! Files (all gzip):
//! - `meta.json.gz`: the language, each page's fragment (its hash), each filter value's pages, and the chunk file of
//!   each word prefix.
//! - `w/<prefix>-<hash>.json.gz`, one chunk per first two characters of a word: `words` maps each word the pages
//!   hold to its stem (when they differ) and `stems` maps each stem to its postings, `[page, score, page, score,
//!   …]`, the score (in thousandths) being the stem's BM25F score in the page, rarity included, worked out here so
//!   that the browser only adds the scores of a query's words. `phrases` maps the error signatures' phrases
//!   starting with the chunk's words to the pages listing them: a query holding one of them word for word ranks
//!   those pages first (a pasted message or status line is most often exactly an article's signature).
//! - `f/<hash>.json.gz`, one fragment per page: its URL, title and text by section, for results' titles, excerpts
//!   and sub-results.
//!
//! Files other than `meta.json.gz` are named by their content's hash, so they can be cached for ever. A query
//! fetches `meta.json.gz`, one chunk per word, and one fragment per result shown.
//!
//! Words are cut as the search page cuts queries (`kb.js`): a token of letters and digits joined by `_`, `'` or `-`
//! is held whole, and its parts (cut at punctuation and between letters and digits, two characters or more) too.
//! Alphabetic words are stemmed (Snowball, the site's language); the browser needs no stemmer, as each chunk maps
//! the words it holds to their stems.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::io::Write as _;

use flate2::Compression;
use flate2::write::GzEncoder;
use rayon::prelude::*;
use rust_stemmers::{Algorithm, Stemmer};
use serde::Serialize;

use super::Model;
pub use super::search_entries::{Entries, Ranking};
use crate::content::FrontMatter;
use crate::diag::Diagnostic;

/// Where the index goes, under the site's root.
pub const DIR: &str = "search-index";

/// The browser runtime, written beside the index.
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

/// Indexes every article of the model, then every error catalogue entry's page.
pub fn index(model: &Model<'_>) -> Vec<File> {
    let entries = Entries::new(model.config, &model.errors);
    entries.index(&model.config.language, model.content.articles.len(), |i| {
        let a = &model.content.articles[i];
        Doc {
            url: &a.url,
            meta: &a.meta,
            body: model.articles[i].own_html(),
        }
    })
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
struct Page {
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
    postings: Vec<Vec<(u32, Counts)>>,
}

impl Postings {
    fn add(&mut self, stemmer: Option<&Stemmer>, page: u32, word: String, counts: Counts) {
        let id = match self.words.get(&word) {
            Some(&id) => id,
            None => {
                let stem = stem_of(stemmer, &word);
                let next = self.stems.len() as u32;
                let id = *self.stem_ids.entry(stem.clone()).or_insert(next);
                if id == next {
                    self.stems.push(stem);
                    self.postings.push(Vec::new());
                }
                self.words.insert(word, id);
                id
            }
        };
        let list = &mut self.postings[id as usize];
        // A word and another of the same stem in one page: one posting, their counts summed.
        match list.last_mut() {
            Some((p, c)) if *p == page => c.merge(counts),
            _ => list.push((page, counts)),
        }
    }

    /// Each stem's postings as `[page, score, …]`.
    fn scored(&self, lengths: &[Lengths]) -> Vec<Vec<u32>> {
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
        self.postings
            .par_iter()
            .map(|list| {
                let df = list.len() as f64;
                let rarity = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                list.iter()
                    .flat_map(|&(page, counts)| {
                        let saturated = counts.saturated(&lengths[page as usize], &average);
                        let score = (rarity * saturated * SCALE).round().max(1.0);
                        [page, score as u32]
                    })
                    .collect()
            })
            .collect()
    }
}

#[derive(Serialize, Default)]
struct Chunk<'a> {
    words: BTreeMap<&'a str, &'a str>,
    stems: BTreeMap<&'a str, &'a [u32]>,
    /// Error signatures' phrases starting with a word of the chunk, and the pages listing them.
    phrases: BTreeMap<&'a str, &'a [u32]>,
}

/// Indexes `n` articles, the `i`-th being `doc(i)`; pages are read in parallel, a batch at a time.
///
/// `ranking` says which pages rank below others and which are secondary (see [`Entries`]).
pub fn index_docs<'a>(language: &str, n: usize, ranking: &Ranking, doc: impl Fn(usize) -> Doc<'a> + Sync) -> Vec<File> {
    let stemmer = stemmer(language);
    let mut index = Postings::default();
    let mut fragments = Vec::with_capacity(n);
    let mut lengths = Vec::with_capacity(n);
    let mut filters: BTreeMap<&str, BTreeMap<String, Vec<u32>>> = BTreeMap::new();
    let mut phrase_pages: HashMap<String, Vec<u32>> = HashMap::new();
    for start in (0..n).step_by(BATCH) {
        let pages: Vec<Page> = (start..(start + BATCH).min(n))
            .into_par_iter()
            .map(|i| read_page(&doc(i)))
            .collect();
        for (i, page) in pages.into_iter().enumerate() {
            let p = (start + i) as u32;
            for (word, counts) in page.words {
                index.add(stemmer.as_ref(), p, word, counts);
            }
            for (name, value) in page.filters {
                filters.entry(name).or_default().entry(value).or_default().push(p);
            }
            lengths.push(page.lengths);
            for phrase in page.phrases {
                let pages = phrase_pages.entry(phrase).or_default();
                if pages.last() != Some(&p) {
                    pages.push(p);
                }
            }
            fragments.push(page.fragment);
        }
    }

    let scored = index.scored(&lengths);
    let mut chunks: BTreeMap<String, Chunk> = BTreeMap::new();
    for (word, &id) in &index.words {
        let stem = index.stems[id as usize].as_str();
        let chunk = chunks.entry(prefix(word)).or_default();
        if word != stem {
            chunk.words.insert(word.as_str(), stem);
        }
        chunk.stems.entry(stem).or_insert(&scored[id as usize]);
    }
    for (phrase, pages) in &phrase_pages {
        chunks.entry(prefix(phrase)).or_default().phrases.insert(phrase, pages);
    }
    let chunk_files: Vec<(String, File)> = chunks
        .into_par_iter()
        .map(|(prefix, chunk)| {
            let bytes = gzip(&serde_json::to_vec(&chunk).expect("serialisable"));
            let path = format!("w/{}-{}.json.gz", hex(&prefix), hash(&bytes));
            (prefix, File { path, bytes })
        })
        .collect();
    let meta = serde_json::json!({
        "version": 1,
        "language": language,
        "pages": fragments.iter().map(|f| &f.path[2..f.path.len() - FRAGMENT_EXT.len()]).collect::<Vec<_>>(),
        "filters": filters,
        "chunks": chunk_files.iter().map(|(prefix, f)| (prefix.as_str(), f.path.as_str())).collect::<BTreeMap<_, _>>(),
        "below": ranking.below,
        "secondary": ranking.secondary_from.map(|from| serde_json::json!({ "from": from, "factor": super::search_entries::SECONDARY })),
    });
    let mut files = Vec::with_capacity(fragments.len() + chunk_files.len() + 2);
    files.push(File {
        path: META.into(),
        bytes: gzip(&serde_json::to_vec(&meta).expect("serialisable")),
    });
    files.push(File {
        path: "search.js".into(),
        bytes: RUNTIME.as_bytes().to_vec(),
    });
    files.extend(chunk_files.into_iter().map(|(_, f)| f));
    files.extend(fragments);
    files
}

fn stemmer(language: &str) -> Option<Stemmer> {
    let algorithm = match language
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "ar" => Algorithm::Arabic,
        "da" => Algorithm::Danish,
        "nl" => Algorithm::Dutch,
        "en" => Algorithm::English,
        "fi" => Algorithm::Finnish,
        "fr" => Algorithm::French,
        "de" => Algorithm::German,
        "el" => Algorithm::Greek,
        "hu" => Algorithm::Hungarian,
        "it" => Algorithm::Italian,
        "no" | "nb" | "nn" => Algorithm::Norwegian,
        "pt" => Algorithm::Portuguese,
        "ro" => Algorithm::Romanian,
        "ru" => Algorithm::Russian,
        "es" => Algorithm::Spanish,
        "sv" => Algorithm::Swedish,
        "ta" => Algorithm::Tamil,
        "tr" => Algorithm::Turkish,
        _ => return None,
    };
    Some(Stemmer::create(algorithm))
}

/// The stem of an alphabetic word; other words (codes, compounds, numbers) are their own stem.
fn stem_of(stemmer: Option<&Stemmer>, word: &str) -> String {
    match stemmer {
        Some(s) if word.chars().all(char::is_alphabetic) => s.stem(word).into_owned(),
        _ => word.to_string(),
    }
}

/// A word's chunk: its first two characters.
fn prefix(word: &str) -> String {
    word.chars().take(2).collect()
}

fn hex(s: &str) -> String {
    s.bytes().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
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

/// Calls `f` with each word of `text` the index holds, lowercased: whole tokens of letters and digits joined by
/// `_`, `'`, `’` or `-` and, for every token, its parts of two characters or more, cut at other characters and
/// between letters and digits.
pub fn for_each_word(text: &str, mut f: impl FnMut(&str)) {
    for token in text.split_whitespace() {
        token_words(token, false, &mut f);
    }
}

/// The words of one token: for the index (`query` false) as [`for_each_word`] says; for a query, a simple compound
/// whole only, another token in parts (as the search page looks them up).
fn token_words(token: &str, query: bool, f: &mut impl FnMut(&str)) {
    {
        let core = token.trim_matches(|c: char| !c.is_alphanumeric());
        if core.is_empty() {
            return;
        }
        let lower: String = core.chars().flat_map(char::to_lowercase).collect();
        let lower = lower.replace('\u{2019}', "'");
        let simple = lower
            .split(['_', '\'', '-'])
            .all(|part| !part.is_empty() && part.chars().all(char::is_alphanumeric));
        let mut parts = Vec::new();
        for piece in lower.split(|c: char| !c.is_alphanumeric()) {
            let mut start = 0;
            let mut last: Option<bool> = None;
            for (i, c) in piece.char_indices() {
                let digit = c.is_numeric();
                if last.is_some_and(|d| d != digit) {
                    parts.push(&piece[start..i]);
                    start = i;
                }
                last = Some(digit);
            }
            parts.push(&piece[start..]);
        }
        parts.retain(|p| p.chars().count() > 1);
        if simple && (query || !parts.contains(&lower.as_str())) {
            f(&lower);
            if query {
                return;
            }
        }
        for p in parts {
            f(p);
        }
    }
}

/// The phrases of an error signature a pasted query is matched against: its words as a query's are cut, in
/// order, joined by spaces; a placeholder (`{0}`, `{app}`) ends a phrase. Phrases of one word are left out (the
/// word's own score covers them).
fn phrases(signature: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut end = |current: &mut Vec<String>| {
        if current.len() > 1 {
            out.push(current.join(" "));
        }
        current.clear();
    };
    for token in signature.split_whitespace() {
        if token.contains('{') && token.contains('}') {
            end(&mut current);
            continue;
        }
        token_words(token, true, &mut |w| current.push(w.to_string()));
    }
    end(&mut current);
    out
}

fn read_page(doc: &Doc<'_>) -> Page {
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

fn push_text(sections: &mut [Section], t: &str) {
    let last = sections.last_mut().expect("the intro is always there");
    if !last.text.is_empty() {
        last.text.push(' ');
    }
    last.text.push_str(t);
}

/// The text of a rendered body, as headings and runs of text between them.
mod text {
    pub enum Piece {
        Heading {
            level: u8,
            id: Option<String>,
            text: String,
        },
        Text(String),
    }

    /// Elements whose content is not text a reader searches for.
    const SKIPPED: &[&str] = &["script", "style", "template", "noscript", "svg", "button"];
    /// Elements inside which words run on without a break.
    const INLINE: &[&str] = &[
        "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "i", "ins", "kbd", "mark", "q",
        "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var",
    ];

    struct Tag<'a> {
        name: String,
        closing: bool,
        self_closing: bool,
        attrs: &'a str,
    }

    /// Reads a tag starting at `<` in `html[at..]`; returns it and where it ends, or `None` if this `<` is text.
    fn tag(html: &str, at: usize) -> Option<(Tag<'_>, usize)> {
        let rest = &html[at + 1..];
        let (closing, rest) = match rest.strip_prefix('/') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let name_len = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
        if name_len == 0 || !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return None;
        }
        // The end: the first `>` outside quotes.
        let mut quote = None;
        let base = html.len() - rest.len();
        for (i, c) in rest.char_indices().skip(name_len) {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '>') => {
                    let attrs = &rest[name_len..i];
                    return Some((
                        Tag {
                            name: rest[..name_len].to_ascii_lowercase(),
                            closing,
                            self_closing: attrs.trim_end().ends_with('/'),
                            attrs,
                        },
                        base + i + 1,
                    ));
                }
                _ => {}
            }
        }
        None
    }

    /// The value of attribute `name` in a tag's attribute text (`Some("")` for a bare attribute).
    fn attr<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
        let mut rest = attrs;
        while let Some(i) = rest.find(name) {
            let before = rest[..i].chars().last();
            let after = &rest[i + name.len()..];
            if before.is_none_or(char::is_whitespace) {
                let after_trim = after.trim_start();
                if let Some(v) = after_trim.strip_prefix('=') {
                    let v = v.trim_start();
                    return match v.chars().next() {
                        Some(q @ ('"' | '\'')) => v[1..].split(q).next(),
                        _ => v.split(|c: char| c.is_whitespace() || c == '>').next(),
                    };
                }
                if after.is_empty() || after.starts_with(|c: char| c.is_whitespace() || c == '/') {
                    return Some("");
                }
            }
            rest = after;
        }
        None
    }

    /// Headings and text of `html`, leaving out skipped elements and those marked `data-search-ignore`.
    pub fn pieces(html: &str) -> Vec<Piece> {
        let mut out = Vec::new();
        let mut text = String::new();
        // (element name, depth of that name) being skipped.
        let mut skipping: Option<(String, usize)> = None;
        let mut heading: Option<(u8, Option<String>, String)> = None;
        let mut at = 0;
        let mut plain = 0;
        let flush_text = |text: &mut String, out: &mut Vec<Piece>| {
            let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if !t.is_empty() {
                out.push(Piece::Text(t));
            }
            text.clear();
        };
        while let Some(i) = html[at..].find('<').map(|i| at + i) {
            let run = &html[plain..i];
            if let Some(rest) = html[i..].strip_prefix("<!--") {
                let end = rest.find("-->").map_or(html.len(), |e| i + 4 + e + 3);
                if skipping.is_none() {
                    append(run, &mut heading, &mut text);
                }
                at = end;
                plain = end;
                continue;
            }
            let Some((t, end)) = tag(html, i) else {
                at = i + 1;
                continue;
            };
            if skipping.is_none() {
                append(run, &mut heading, &mut text);
            }
            at = end;
            plain = end;
            if let Some((name, depth)) = &mut skipping {
                if t.name == *name && !t.self_closing {
                    if t.closing {
                        *depth -= 1;
                        if *depth == 0 {
                            skipping = None;
                        }
                    } else {
                        *depth += 1;
                    }
                }
                continue;
            }
            if t.closing {
                if let Some(level) = heading_level(&t.name)
                    && let Some((l, id, h)) = heading.take()
                {
                    if l == level {
                        let h = h.split_whitespace().collect::<Vec<_>>().join(" ");
                        out.push(Piece::Heading { level, id, text: h });
                    } else {
                        heading = Some((l, id, h));
                    }
                }
            } else if !t.self_closing
                && (SKIPPED.contains(&t.name.as_str()) || attr(t.attrs, "data-search-ignore").is_some())
            {
                skipping = Some((t.name.clone(), 1));
                continue;
            } else if let Some(level) = heading_level(&t.name) {
                flush_text(&mut text, &mut out);
                heading = Some((level, attr(t.attrs, "id").map(crate::text::unescape), String::new()));
                continue;
            }
            if !INLINE.contains(&t.name.as_str()) {
                match &mut heading {
                    Some((_, _, h)) => h.push(' '),
                    None => text.push(' '),
                }
            }
        }
        if skipping.is_none() {
            append(&html[plain..], &mut heading, &mut text);
        }
        if let Some((level, id, h)) = heading {
            out.push(Piece::Heading {
                level,
                id,
                text: h.split_whitespace().collect::<Vec<_>>().join(" "),
            });
        }
        flush_text(&mut text, &mut out);
        out
    }

    fn append(run: &str, heading: &mut Option<(u8, Option<String>, String)>, text: &mut String) {
        if run.is_empty() {
            return;
        }
        let decoded = crate::text::unescape(run);
        match heading {
            Some((_, _, h)) => h.push_str(&decoded),
            None => text.push_str(&decoded),
        }
    }

    fn heading_level(name: &str) -> Option<u8> {
        match name.as_bytes() {
            [b'h', d @ b'1'..=b'6'] => Some(d - b'0'),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for_each_word(text, |w| out.push(w.to_string()));
        out
    }

    #[test]
    fn words_are_held_whole_and_in_parts_as_the_search_page_cuts_queries() {
        assert_eq!(words("E0000015"), ["e0000015", "0000015"]);
        assert_eq!(
            words("insufficient_scope,"),
            ["insufficient_scope", "insufficient", "scope"]
        );
        assert_eq!(words("Can’t"), ["can't", "can"]);
        assert_eq!(words("www-authenticate:"), ["www-authenticate", "www", "authenticate"]);
        assert_eq!(
            words(r#"scope="okta.logs.read","#),
            ["scope", "okta", "logs", "read"],
            "not a simple compound: only its parts"
        );
        assert_eq!(words("403 Not a App"), ["403", "not", "a", "app"]);
        assert_eq!(words("«Ünïcode» WORDS"), ["ünïcode", "words"]);
    }

    #[test]
    fn signatures_give_phrases_cut_as_queries_are_and_split_at_placeholders() {
        assert_eq!(phrases("403 Not Assigned App"), ["403 not assigned app"]);
        assert_eq!(
            phrases("Sorry, you can't access {0} because you are not assigned."),
            ["sorry you can't access", "because you are not assigned"]
        );
        assert_eq!(phrases(r#"error="insufficient_scope""#), ["error insufficient scope"]);
        assert!(phrases("E0000015").is_empty(), "one word is not a phrase");
    }

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

    fn gunzip(bytes: &[u8]) -> serde_json::Value {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes), &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn the_index_maps_words_to_stems_and_stems_to_weighted_postings() {
        let metas = [meta("Users are not assigned"), meta("Other <b>thing</b>")];
        let bodies = [
            "<h2 id=\"cause\">Cause</h2><p>The user was assigning apps.</p>",
            "<p>Nothing.</p>",
        ];
        let files = index_docs("en", 2, &Ranking::default(), |i| Doc {
            url: ["/a/", "/b/"][i],
            meta: &metas[i],
            body: Cow::Borrowed(bodies[i]),
        });
        let get = |path: &str| files.iter().find(|f| f.path == path).unwrap();
        let meta = gunzip(&get(META).bytes);
        assert_eq!(meta["filters"]["products"]["Workflows"], serde_json::json!([0, 1]));
        assert_eq!(meta["pages"].as_array().unwrap().len(), 2);
        let chunk = gunzip(&get(meta["chunks"]["as"].as_str().unwrap()).bytes);
        assert_eq!(chunk["words"]["assigned"], "assign");
        assert_eq!(chunk["words"]["assigning"], "assign");
        // Page 0: "assigned" in its title and errors, "assigning" in its body; page 1: in its errors only. Both
        // hold it, so it is not rare, but page 0 scores higher: more fields.
        let postings: Vec<u64> = serde_json::from_value(chunk["stems"]["assign"].clone()).unwrap();
        assert_eq!((postings[0], postings[2]), (0, 1), "{postings:?}");
        assert!(postings[1] > postings[3], "{postings:?}");
        let fragment = gunzip(&get(&format!("f/{}.json.gz", meta["pages"][0].as_str().unwrap())).bytes);
        assert_eq!(fragment["url"], "/a/");
        assert_eq!(
            fragment["sections"][0]["text"],
            "403 Not Assigned App · Assigned users only."
        );
        assert_eq!(fragment["sections"][1]["id"], "cause");
        assert_eq!(fragment["sections"][1]["text"], "The user was assigning apps.");
        let numbers = gunzip(&get(meta["chunks"]["40"].as_str().unwrap()).bytes);
        assert_eq!(numbers["phrases"]["403 not assigned app"], serde_json::json!([0, 1]));
        assert!(files.iter().any(|f| f.path == "search.js"));
        // Names follow content: the same input gives the same files.
        let again = index_docs("en", 2, &Ranking::default(), |i| Doc {
            url: ["/a/", "/b/"][i],
            meta: &metas[i],
            body: Cow::Borrowed(bodies[i]),
        });
        let names = |f: &[File]| f.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
        assert_eq!(names(&files), names(&again));
    }
}
