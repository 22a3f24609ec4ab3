//! How text is cut into the words the index holds and a query looks up, and how words are stemmed.

use rust_stemmers::{Algorithm, Stemmer};

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
pub fn token_words(token: &str, query: bool, f: &mut impl FnMut(&str)) {
    {
        let core = token.trim_matches(|c: char| !c.is_alphanumeric());
        if core.is_empty() {
            return;
        }
        let lower = core.to_lowercase();
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
/// order, joined by spaces; a placeholder (`{0}`, `{app}`) ends a phrase. A piece of one word is left out (the
/// word's own score covers it), unless it is the whole signature (`invalid_grant`): a query that is exactly a
/// signature ranks the pages listing it first.
pub fn phrases(signature: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut pieces = 0;
    let mut end = |current: &mut Vec<String>, out: &mut Vec<String>| {
        if current.len() > 1 {
            out.push(current.join(" "));
        }
        pieces += usize::from(!current.is_empty());
        current.clear();
    };
    let mut placeholder = false;
    let mut one = None;
    for token in signature.split_whitespace() {
        if token.contains('{') && token.contains('}') {
            placeholder = true;
            end(&mut current, &mut out);
            continue;
        }
        token_words(token, true, &mut |w| current.push(w.to_string()));
    }
    if current.len() == 1 {
        one = current.first().cloned();
    }
    end(&mut current, &mut out);
    if let Some(word) = one.filter(|_| !placeholder && pieces == 1) {
        out.push(word);
    }
    out
}

/// A query's words, in order, cut as the search page cuts them (a simple compound whole, another token in parts).
pub fn query_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for token in text.split_whitespace() {
        token_words(token, true, &mut |w| out.push(w.to_string()));
    }
    out
}

/// A synonym's words as the index holds them: cut as a query is, each stemmed.
pub fn member_stems(stemmer: Option<&Stemmer>, member: &str) -> Vec<String> {
    query_words(member).iter().map(|w| stem_of(stemmer, w)).collect()
}

/// Function words: a query of more than four words is taken for a pasted message and these are left out of it
/// (`search.js` holds the same list), and an error signature's phrase is filed under a word not in it.
pub const STOP: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "because", "but", "by", "can", "can't", "cannot", "could", "do", "does",
    "for", "from", "has", "have", "how", "if", "in", "into", "is", "it", "its", "it's", "not", "of", "on", "or",
    "please", "so", "that", "the", "their", "then", "there", "these", "this", "to", "was", "were", "what", "when",
    "where", "which", "while", "who", "why", "will", "with", "would", "you", "you're", "your",
];

/// Words shorter than this are never corrected: too many words are a typo away from them.
pub const TYPO_MIN: usize = 4;

/// An error code: one to six letters, then three digits or more (`e0000015`, `aadsts50011`).
pub fn is_code(word: &str) -> bool {
    let letters = word.chars().take_while(|c| c.is_alphabetic()).count();
    let digits = word.chars().skip(letters).take_while(|c| c.is_numeric()).count();
    (1..=6).contains(&letters) && digits >= 3 && letters + digits == word.chars().count()
}

/// Whether a word can be the correction of a misspelt query word: an error code, or a word (or a compound of
/// words joined by `_`, `'` or `-`) of [`TYPO_MIN`] letters or more with no digit. Numbers and identifiers mixing
/// letters and digits (`0oa1b2c3`) are not: a typo away from one is another one.
pub fn correctable(word: &str) -> bool {
    if is_code(word) {
        return true;
    }
    word.chars().count() >= TYPO_MIN && word.chars().all(|c| c.is_alphabetic() || matches!(c, '_' | '\'' | '-'))
}

pub fn stemmer(language: &str) -> Option<Stemmer> {
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
pub fn stem_of(stemmer: Option<&Stemmer>, word: &str) -> String {
    match stemmer {
        Some(s) if word.chars().all(char::is_alphabetic) => s.stem(word).into_owned(),
        _ => word.to_string(),
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
        assert_eq!(
            words("ΟΔΟΣ हिंदी"),
            ["οδος", "हिंदी"],
            "final sigma, and marks are letters"
        );
    }

    #[test]
    fn the_runtime_leaves_out_the_same_function_words() {
        let js = include_str!("search.js");
        let start = js.find("const STOP = new Set((").expect("search.js has STOP");
        let end = start + js[start..].find(").split(").expect("STOP's end");
        let list: String = js[start..end].split('"').skip(1).step_by(2).collect();
        assert_eq!(list.split_whitespace().collect::<Vec<_>>(), STOP);
        assert!(js.contains("const TYPO_MIN = 4;") && TYPO_MIN == 4);
    }

    #[test]
    fn codes_and_words_can_be_corrected_numbers_and_identifiers_cannot() {
        for w in [
            "e0000015",
            "aadsts50011",
            "insufficient",
            "insufficient_scope",
            "can't",
            "sign-on",
        ] {
            assert!(correctable(w), "{w}");
        }
        for w in [
            "403",
            "2026",
            "0oa1b2c3",
            "e00",
            "ssl",
            "case-9269",
            "c8c330f2ae614f5b",
            "abcdefg123",
        ] {
            assert!(!correctable(w), "{w}");
        }
        assert!(is_code("e0000015") && !is_code("e0000015x") && !is_code("0000015"));
    }

    #[test]
    fn synonyms_are_cut_and_stemmed_as_the_index_is() {
        let en = stemmer("en");
        assert_eq!(member_stems(en.as_ref(), "Locked out"), ["lock", "out"]);
        assert_eq!(member_stems(en.as_ref(), "single sign-on"), ["singl", "sign-on"]);
        assert_eq!(member_stems(en.as_ref(), "2FA"), ["2fa"]);
        assert!(member_stems(en.as_ref(), "a.b ?").is_empty());
    }

    #[test]
    fn signatures_give_phrases_cut_as_queries_are_and_split_at_placeholders() {
        assert_eq!(phrases("403 Not Assigned App"), ["403 not assigned app"]);
        assert_eq!(
            phrases("Sorry, you can't access {0} because you are not assigned."),
            ["sorry you can't access", "because you are not assigned"]
        );
        assert_eq!(phrases(r#"error="insufficient_scope""#), ["error insufficient scope"]);
        assert_eq!(phrases("E0000015"), ["e0000015"], "a signature of one word is one");
        assert_eq!(phrases("invalid_grant"), ["invalid_grant"]);
        assert!(phrases("{0} failed").is_empty(), "a piece of one word is not");
    }
}
