//! Finishing an index: each stem's postings scored, cut into chunks and compressed a few chunks at a time, each file
//! handed on as it is made, so that the whole index's scored postings are never held at once; and the fragments,
//! written as their pages come when the index goes to a site on disk ([`Written`]).

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::sync::Mutex;

use rayon::prelude::*;
use serde::Serialize;

use super::{
    CHUNK_LIMIT, DIR, FRAGMENT_EXT, File, Indexer, META, Postings, Ranking, SHORT_NAME, chunk_keys, entries, gaps,
    gzip, hash, json_len, phrase_key, runtime, short_names, synonyms, vocabulary,
};
use crate::site::Sink;

/// Chunks scored, serialised and compressed at a time.
const CHUNKS_AT_ONCE: usize = 64;

/// A chunk before its postings are scored: its words with their stems (where they differ), its stems by number,
/// and its phrases with their pages.
#[derive(Default)]
struct Plan<'a> {
    words: BTreeMap<&'a str, &'a str>,
    stems: BTreeMap<&'a str, u32>,
    phrases: BTreeMap<&'a str, Vec<u32>>,
}

/// A chunk file's content.
#[derive(Serialize)]
struct Chunk<'a> {
    words: &'a BTreeMap<&'a str, &'a str>,
    stems: BTreeMap<&'a str, &'a [u32]>,
    /// Error signatures' phrases filed under a word of the chunk (see [`phrase_key`]), and the pages listing them.
    phrases: &'a BTreeMap<&'a str, Vec<u32>>,
}

impl Indexer<'_> {
    /// The index's files: fragments included, unless they were written as they came ([`Indexer::writing`]).
    pub fn finish(self, ranking: &Ranking) -> Vec<File> {
        let mut files = Vec::new();
        let collect = &mut |f| {
            files.push(f);
            Ok(())
        };
        self.finish_into(ranking, collect)
            .expect("collecting files in memory does not fail");
        files
    }

    /// Hands each of the index's files to `out` as it is made; fails on the first error of `out` or of writing the
    /// fragments.
    pub fn finish_into(self, ranking: &Ranking, out: &mut dyn FnMut(File) -> io::Result<()>) -> io::Result<()> {
        let Indexer {
            settings,
            stemmer,
            index,
            mut fragments,
            lengths,
            filters,
            phrase_pages,
            written,
        } = self;
        match written {
            Some(w) => w.finish(&mut fragments)?,
            None => short_names(&mut fragments),
        }
        let average = Postings::average(&lengths);
        let scored = |id: u32| index.scored(id as usize, &lengths, &average);
        // Each stem is scored twice, once for its size here and once for its chunk: cheaper than holding them all.
        let sizes: Vec<usize> = (0..index.stems.len() as u32)
            .into_par_iter()
            .map(|id| json_len(&scored(id)))
            .collect();
        let keys = chunk_keys(
            index
                .words
                .iter()
                .map(|(word, &id)| (word.as_str(), word.len() + sizes[id as usize])),
            CHUNK_LIMIT,
        );
        let mut plans: BTreeMap<&str, Plan> = BTreeMap::new();
        for (word, &id) in &index.words {
            let stem = index.stems[id as usize].as_str();
            let plan = plans.entry(keys[word.as_str()].as_str()).or_default();
            if word != stem {
                plan.words.insert(word.as_str(), stem);
            }
            plan.stems.entry(stem).or_insert(id);
        }
        let pages_of = |word: &str| index.words.get(word).map_or(0, |&id| index.postings[id as usize].len());
        for (phrase, pages) in &phrase_pages {
            // A phrase's words are words of the index: its signature was indexed.
            if let Some(key) = keys.get(phrase_key(phrase, pages_of)) {
                plans
                    .entry(key.as_str())
                    .or_default()
                    .phrases
                    .insert(phrase, gaps(pages));
            }
        }
        let plans: Vec<(&str, Plan)> = plans.into_iter().collect();
        let mut chunk_names: BTreeMap<&str, String> = BTreeMap::new();
        for batch in plans.chunks(CHUNKS_AT_ONCE) {
            let files: Vec<(&str, String, File)> = batch
                .par_iter()
                .map(|(prefix, plan)| {
                    let postings: Vec<(&str, Vec<u32>)> =
                        plan.stems.iter().map(|(&stem, &id)| (stem, scored(id))).collect();
                    let chunk = Chunk {
                        words: &plan.words,
                        stems: postings.iter().map(|(stem, p)| (*stem, p.as_slice())).collect(),
                        phrases: &plan.phrases,
                    };
                    let bytes = gzip(&serde_json::to_vec(&chunk).expect("serialisable"));
                    let name = hash(&bytes);
                    let path = format!("w/{name}.json.gz");
                    (*prefix, name, File { path, bytes })
                })
                .collect();
            for (prefix, name, file) in files {
                chunk_names.insert(prefix, name);
                out(file)?;
            }
        }
        let vocabulary = settings.search.typos.then(|| {
            vocabulary::files(index.words.iter().map(|(word, &id)| vocabulary::Word {
                word,
                pages: index.postings[id as usize].len(),
                signed: index.signed[id as usize],
            }))
        });
        let filters: BTreeMap<&str, BTreeMap<String, Vec<u32>>> = filters
            .into_iter()
            .map(|(name, values)| (name, values.into_iter().map(|(v, pages)| (v, gaps(&pages))).collect()))
            .collect();
        let meta = serde_json::json!({
            "version": 2,
            "language": settings.language,
            "pages": fragments.iter().map(|f| &f.path[2..f.path.len() - FRAGMENT_EXT.len()]).collect::<Vec<_>>(),
            "filters": filters,
            "chunks": chunk_names,
            "vocabulary": vocabulary.as_ref().map(|v| &v.names),
            "synonyms": synonyms(stemmer.as_ref(), &settings.search.synonyms),
            "below": ranking.below,
            "secondary": ranking.secondary_from.map(|from| serde_json::json!({ "from": from, "factor": entries::SECONDARY })),
        });
        out(File {
            path: META.into(),
            bytes: gzip(&serde_json::to_vec(&meta).expect("serialisable")),
        })?;
        out(File {
            path: "search.js".into(),
            bytes: runtime().into_bytes(),
        })?;
        for f in vocabulary.into_iter().flat_map(|v| v.files) {
            out(f)?;
        }
        if written.is_none() {
            for f in fragments {
                out(f)?;
            }
        }
        Ok(())
    }
}

/// A fragment's path under its short name (see [`short_names`]).
pub(super) fn short_path(path: &str) -> String {
    path[..2 + SHORT_NAME].to_string() + FRAGMENT_EXT
}

/// Fragments written as their pages come instead of held until the index is finished, named as [`short_names`]
/// names them: the first fragment to take a short name is written under it; another, different one that would
/// share it is written under its whole name, and when the index is finished every fragment is renamed to its
/// whole name.
pub struct Written<'o> {
    out: &'o dyn Sink,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Short path → the whole path of the fragment written under it.
    short: HashMap<String, String>,
    clash: bool,
    /// The first write that failed.
    error: Option<String>,
}

impl<'o> Written<'o> {
    pub fn new(out: &'o dyn Sink) -> Written<'o> {
        Written {
            out,
            state: Mutex::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("no panics while holding the lock")
    }

    /// Writes fragment `f`, unless it has been, and lets go of its bytes: only its (whole) path is kept.
    pub(super) fn write(&self, f: &mut File) {
        if f.bytes.is_empty() {
            return;
        }
        let short = short_path(&f.path);
        let to = {
            let mut state = self.state();
            match state.short.get(&short) {
                Some(whole) if *whole == f.path => None,
                Some(_) => {
                    state.clash = true;
                    Some(f.path.clone())
                }
                None => {
                    state.short.insert(short.clone(), f.path.clone());
                    Some(short)
                }
            }
        };
        if let Some(to) = to {
            let path = format!("{DIR}/{to}");
            if let Err(e) = self.out.write(&path, &f.bytes) {
                self.state().error.get_or_insert(format!("cannot write {path}: {e}"));
            }
        }
        f.bytes = Vec::new();
    }

    /// Names `fragments` (all written here) as they now are on disk, after renaming every fragment to its whole
    /// name if two would share a short one.
    fn finish(&self, fragments: &mut [File]) -> io::Result<()> {
        let state = std::mem::take(&mut *self.state());
        if let Some(e) = state.error {
            return Err(io::Error::other(e));
        }
        if state.clash {
            for (short, whole) in &state.short {
                let (from, to) = (format!("{DIR}/{short}"), format!("{DIR}/{whole}"));
                self.out
                    .rename(&from, &to)
                    .map_err(|e| io::Error::new(e.kind(), format!("cannot rename {from} to {to}: {e}")))?;
            }
        } else {
            for f in fragments {
                f.path = short_path(&f.path);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::live::Memory;

    fn file(path: &str, bytes: &[u8]) -> File {
        File {
            path: format!("f/{path}{FRAGMENT_EXT}"),
            bytes: bytes.to_vec(),
        }
    }

    /// Writes `fragments` as a build does, and returns the names they get and the files on "disk".
    fn written(fragments: &[File]) -> (Vec<String>, Vec<(String, Vec<u8>)>) {
        let out = Memory::default();
        let w = Written::new(&out);
        let mut kept: Vec<File> = fragments
            .iter()
            .map(|f| {
                let mut f = File {
                    path: f.path.clone(),
                    bytes: f.bytes.clone(),
                };
                w.write(&mut f);
                assert!(f.bytes.is_empty(), "only the name is kept");
                f
            })
            .collect();
        w.finish(&mut kept).unwrap();
        let mut files: Vec<_> = out.into_files().into_iter().collect();
        files.sort();
        (kept.into_iter().map(|f| f.path).collect(), files)
    }

    /// What [`short_names`] makes of the same fragments held until the end.
    fn held(fragments: &[File]) -> (Vec<String>, Vec<(String, Vec<u8>)>) {
        let mut held: Vec<File> = fragments
            .iter()
            .map(|f| File {
                path: f.path.clone(),
                bytes: f.bytes.clone(),
            })
            .collect();
        short_names(&mut held);
        let names = held.iter().map(|f| f.path.clone()).collect();
        let mut files: Vec<_> = held
            .into_iter()
            .map(|f| (format!("{DIR}/{}", f.path), f.bytes))
            .collect();
        files.sort();
        files.dedup();
        (names, files)
    }

    #[test]
    fn fragments_written_as_they_come_are_named_as_held_ones_are() {
        let distinct = [file("0123456789abcdef", b"a"), file("fedcba9876543210", b"b")];
        let clash = [
            file("0123456789abcdef", b"a"),
            file("fedcba9876543210", b"c"),
            file("0123456789abcdee", b"b"),
        ];
        let same = [file("0123456789abcdef", b"a"), file("0123456789abcdef", b"a")];
        for fragments in [&distinct[..], &clash, &same] {
            assert_eq!(written(fragments), held(fragments));
        }
        let (names, files) = written(&clash);
        assert_eq!(
            names[2], "f/0123456789abcdee.json.gz",
            "a clash gives every fragment its whole name"
        );
        assert_eq!(files.len(), 3);
        assert_eq!(written(&same).1.len(), 1, "the same fragment twice is one file");
    }

    #[test]
    fn a_fragment_that_cannot_be_written_fails_the_index() {
        struct Full;
        impl Sink for Full {
            fn write(&self, _: &str, _: &[u8]) -> io::Result<()> {
                Err(io::Error::other("no space left on device"))
            }
            fn rename(&self, _: &str, _: &str) -> io::Result<()> {
                unreachable!("nothing was written")
            }
        }
        let w = Written::new(&Full);
        let mut f = file("0123456789abcdef", b"a");
        w.write(&mut f);
        let e = w.finish(&mut [f]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot write search-index/f/0123456789ab.json.gz: no space left on device"
        );
    }
}
