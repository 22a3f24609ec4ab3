//! The vocabulary the browser corrects misspelt query words against, without loading every word of the index.
//!
//! Only words that can be a correction are in it ([`words::correctable`]: error codes, and words of four letters or
//! more without digits), each with the number of pages holding its stem and whether an article lists it in its error
//! signatures (the tie-break between candidates). It is cut twice: by each word's first character and by its last,
//! one file per character (`v/<hash>.json.gz`, which `meta.json.gz` names by end and character). A correction fetches the file
//! of the query word's first character and the one of its last: one typo changes at most one end of a word of
//! four characters or more, so the right word is in one of the two; two typos, one at each end, are not corrected.
//! (The word chunks are keyed by the first two characters, which a typo there would change: they cannot serve.)

use std::collections::BTreeMap;

use serde::Serialize;

use super::{File, gzip, hash, words};

/// A word of the index, as the vocabulary needs it.
pub struct Word<'a> {
    pub word: &'a str,
    /// Pages holding its stem.
    pub pages: usize,
    /// Whether an article lists it in its error signatures.
    pub signed: bool,
}

/// The vocabulary's files and their names (hashes) by key, for `meta.json.gz`: `{"first": {"e": name}, "last": …}`.
pub struct Vocabulary {
    pub names: BTreeMap<&'static str, BTreeMap<String, String>>,
    pub files: Vec<File>,
}

#[derive(Serialize, Default)]
struct Part<'a> {
    /// Sorted.
    words: Vec<&'a str>,
    pages: Vec<usize>,
    /// Indexes into `words` of those an article lists in its error signatures.
    signed: Vec<usize>,
}

pub fn files<'a>(all: impl Iterator<Item = Word<'a>>) -> Vocabulary {
    let mut kept: Vec<Word> = all.filter(|w| words::correctable(w.word)).collect();
    kept.sort_by(|a, b| a.word.cmp(b.word));
    let mut out = Vocabulary {
        names: BTreeMap::new(),
        files: Vec::new(),
    };
    for (end, tag) in [("first", 'f'), ("last", 'l')] {
        let mut parts: BTreeMap<String, Part> = BTreeMap::new();
        for w in &kept {
            let key = if tag == 'f' {
                w.word.chars().next()
            } else {
                w.word.chars().last()
            };
            let part = parts
                .entry(key.expect("a word has characters").to_string())
                .or_default();
            if w.signed {
                part.signed.push(part.words.len());
            }
            part.words.push(w.word);
            part.pages.push(w.pages);
        }
        let names = out.names.entry(end).or_default();
        for (key, part) in parts {
            let bytes = gzip(&serde_json::to_vec(&part).expect("serialisable"));
            let name = hash(&bytes);
            out.files.push(File {
                path: format!("v/{name}.json.gz"),
                bytes,
            });
            names.insert(key, name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(f: &File) -> serde_json::Value {
        super::super::gunzip(&f.bytes).expect("gzip JSON")
    }

    #[test]
    fn each_word_is_filed_under_its_first_and_its_last_character() {
        let words = [
            ("insufficient", 12, false),
            ("e0000015", 3, true),
            ("e0000016", 1, false),
            ("403", 9, true),
            ("0oa1b2c3", 1, false),
            ("ice", 4, false),
        ];
        let v = files(words.iter().map(|&(word, pages, signed)| Word { word, pages, signed }));
        let file = |end: &str, key: &str| {
            let path = format!("v/{}.json.gz", v.names[end][key]);
            read(v.files.iter().find(|f| f.path == path).unwrap())
        };
        assert_eq!(
            file("first", "e"),
            serde_json::json!({"words": ["e0000015", "e0000016"], "pages": [3, 1], "signed": [0]})
        );
        assert_eq!(file("last", "t")["words"], serde_json::json!(["insufficient"]));
        assert_eq!(file("last", "5")["words"], serde_json::json!(["e0000015"]));
        // Numbers, identifiers and short words are never corrections.
        let keys: Vec<&String> = v.names.values().flat_map(|m| m.keys()).collect();
        assert_eq!(keys, ["e", "i", "5", "6", "t"]);
    }
}
