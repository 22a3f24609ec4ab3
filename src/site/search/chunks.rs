//! How the index is cut into chunks: which chunk holds a word ([`chunk_keys`]) and an error signature's phrase
//! ([`phrase_key`]), and how page lists are stored ([`gaps`]).

use std::collections::{BTreeMap, HashMap};

use super::words;

/// A chunk's words (and their postings) may take this many bytes of JSON before the chunk is cut by one more
/// character (about a third of that once gzipped).
pub const CHUNK_LIMIT: usize = 96 * 1024;
/// The longest chunk key.
const KEY_MAX: usize = 8;

/// Each word's chunk: the first two characters of the word, or more where that many words share them that their
/// chunk would outgrow `limit` bytes (e.g. ten thousand error codes starting `e0`: `e00` and `e01` are cut apart,
/// so that a query for E0000015 does not fetch the postings of E0104242). A word no longer than a key stays in
/// the shorter key's chunk. `sizes` gives each word with its postings' size in bytes.
pub fn chunk_keys<'a>(sizes: impl Iterator<Item = (&'a str, usize)>, limit: usize) -> HashMap<&'a str, String> {
    fn cut<'a>(words: Vec<(&'a str, usize)>, at: usize, limit: usize, out: &mut HashMap<&'a str, String>) {
        let mut groups: BTreeMap<String, Vec<(&'a str, usize)>> = BTreeMap::new();
        for (w, size) in words {
            groups.entry(w.chars().take(at).collect()).or_default().push((w, size));
        }
        for (key, group) in groups {
            let total: usize = group.iter().map(|(_, s)| s).sum();
            if total <= limit || at >= KEY_MAX {
                out.extend(group.into_iter().map(|(w, _)| (w, key.clone())));
                continue;
            }
            let (short, long): (Vec<_>, Vec<_>) = group.into_iter().partition(|(w, _)| w.chars().count() <= at);
            out.extend(short.into_iter().map(|(w, _)| (w, key.clone())));
            cut(long, at + 1, limit, out);
        }
    }
    let mut out = HashMap::new();
    cut(sizes.collect(), 2, limit, &mut out);
    out
}

/// The length of a list of numbers as JSON.
pub fn json_len(numbers: &[u32]) -> usize {
    numbers
        .iter()
        .map(|&n| n.checked_ilog10().unwrap_or(0) as usize + 2)
        .sum::<usize>()
        + 1
}

/// A sorted list of pages as its first page, then each page's distance from the one before.
pub fn gaps(pages: &[u32]) -> Vec<u32> {
    let mut last = 0;
    pages
        .iter()
        .map(|&p| {
            let gap = p - last;
            last = p;
            gap
        })
        .collect()
}

/// The word an error signature's phrase is filed under: its word on the fewest pages that is not a function word
/// ([`words::STOP`]; any word if all are). A query holding the phrase holds that word, and a pasted message keeps
/// it, so the query finds the phrase in a chunk it fetches anyway for its own words.
pub fn phrase_key(phrase: &str, pages: impl Fn(&str) -> usize) -> &str {
    let all: Vec<&str> = phrase.split(' ').collect();
    let content: Vec<&str> = all.iter().copied().filter(|w| !words::STOP.contains(w)).collect();
    let from = if content.is_empty() { &all } else { &content };
    from.iter()
        .copied()
        .min_by_key(|w| (pages(w), *w))
        .expect("a phrase has words")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_too_big_is_cut_by_one_more_character_and_short_words_stay_in_it() {
        let words = [
            ("e0", 5),
            ("e0000015", 10),
            ("e0100001", 60),
            ("e0100002", 60),
            ("ok", 500),
            ("okta", 1),
        ];
        let keys = chunk_keys(words.into_iter(), 100);
        let key = |w: &str| keys[w].as_str();
        assert_eq!(key("e0"), "e0");
        assert_eq!(key("e0000015"), "e00");
        assert_eq!(
            key("e0100001"),
            "e0100001",
            "cut until each fits, up to the longest key"
        );
        assert_eq!(key("e0100002"), "e0100002");
        assert_eq!(key("okta"), "okt", "a word too big alone leaves the others the chunk");
        assert_eq!(key("ok"), "ok");
        assert_eq!(json_len(&[0, 9, 10, 12345]), "[0,9,10,12345]".len());
    }

    #[test]
    fn a_phrase_is_filed_under_its_rarest_word_that_is_not_a_function_word() {
        let pages = |w: &str| match w {
            "you" => 1,
            "assigned" => 5,
            _ => 40,
        };
        assert_eq!(phrase_key("because you are not assigned", pages), "assigned");
        assert_eq!(phrase_key("sorry you can't access", pages), "access");
        assert_eq!(phrase_key("if you", pages), "you", "all function words: the rarest");
    }
}
