//! The search page's ranking, in Rust: what `search.js`'s `query()` does, step for step, on the same index files
//! (README's "How queries are ranked"), so that a command can rank articles for a pasted message as the site does.
//! A browser test requires both to give the same first results.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use serde::Deserialize;

use super::words::{STOP, correctable, is_code, query_words};
use super::{File, gunzip};

// The constants of `search.js`.
const PREFIX: f64 = 0.5;
const PHRASE: f64 = 8.0;
/// What each word a page holds only through a correction costs it.
pub const CORRECTED: f64 = 1e6;
/// What a page gains when the whole query is one of its error signatures, word for word.
pub const EXACT: f64 = 1e4;
const SHORT: usize = 4;
const FEW: usize = 2;
const MORE: usize = 10;

#[derive(Deserialize)]
struct Meta {
    pages: Vec<String>,
    chunks: HashMap<String, String>,
    vocabulary: Option<HashMap<String, HashMap<String, String>>>,
    #[serde(default)]
    synonyms: Vec<Vec<Member>>,
    #[serde(default)]
    below: HashMap<String, Vec<u32>>,
    secondary: Option<Secondary>,
}

#[derive(Deserialize)]
struct Member {
    words: Vec<String>,
    stems: Vec<String>,
}

#[derive(Deserialize)]
struct Secondary {
    from: u32,
    factor: f64,
}

#[derive(Deserialize)]
struct Chunk {
    words: HashMap<String, String>,
    stems: HashMap<String, Vec<u32>>,
    #[serde(default)]
    phrases: HashMap<String, Vec<u32>>,
}

#[derive(Deserialize)]
struct Vocabulary {
    words: Vec<String>,
    pages: Vec<usize>,
    signed: Vec<usize>,
}

/// A result: the page's number and its score ([`Index::page`] gives its URL and title).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub page: u32,
    pub score: f64,
}

/// A page of the index: its URL and title, from its fragment.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Page {
    pub url: String,
    pub title: String,
}

/// A word searched as another: `from` as typed, `to` as searched; `also` when both were.
#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    pub from: String,
    pub to: String,
    pub also: bool,
}

/// What a query found, as the search page shows it.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub hits: Vec<Hit>,
    /// Words no page holds, left out.
    pub missing: Vec<String>,
    pub corrections: Vec<Correction>,
    /// No page holds every word: the closest matches.
    pub partial: bool,
}

/// An index read back from its files, its chunks parsed as a query needs them.
pub struct Index {
    meta: Meta,
    files: HashMap<String, Vec<u8>>,
    chunks: RefCell<HashMap<String, Rc<Chunk>>>,
}

/// One word's matches: its entries (stem, the chunk holding its decoded postings, factor), its exact stem and how
/// many pages hold it.
#[derive(Clone)]
struct Lookup {
    word: String,
    entries: Vec<(String, Rc<Chunk>, f64)>,
    exact: Option<String>,
    pages: usize,
    chunk: Option<Rc<Chunk>>,
}

#[derive(Clone)]
struct Alt {
    found: Vec<Lookup>,
    corrected: bool,
}

struct Slot {
    text: String,
    typed: Vec<Lookup>,
    alts: Vec<Alt>,
    typed_alts: Option<Vec<Alt>>,
    correction: Option<Correction>,
}

fn ungap(list: &[u32]) -> Vec<u32> {
    let mut p = 0;
    list.iter()
        .map(|g| {
            p += g;
            p
        })
        .collect()
}

fn chars(w: &str) -> usize {
    w.chars().count()
}

impl Index {
    /// Reads the index from its files (as [`super::index`] gives them); `None` if `meta.json.gz` is not there or
    /// not an index.
    pub fn from_files(files: Vec<File>) -> Option<Index> {
        let files: HashMap<String, Vec<u8>> = files.into_iter().map(|f| (f.path, f.bytes)).collect();
        let meta = gunzip(files.get(super::META)?)?;
        Some(Index {
            meta,
            files,
            chunks: RefCell::default(),
        })
    }

    fn chunk_named(&self, name: &str) -> Option<Rc<Chunk>> {
        let path = format!("w/{name}.json.gz");
        if let Some(c) = self.chunks.borrow().get(&path) {
            return Some(c.clone());
        }
        let mut chunk: Chunk = gunzip(self.files.get(&path)?)?;
        for list in chunk.stems.values_mut() {
            let mut p = 0;
            for pair in list.chunks_mut(2) {
                p += pair[0];
                pair[0] = p;
            }
        }
        let chunk = Rc::new(chunk);
        self.chunks.borrow_mut().insert(path, chunk.clone());
        Some(chunk)
    }

    fn chunk_of(&self, word: &str) -> Option<Rc<Chunk>> {
        let n = chars(word).min(8);
        (1..=n).rev().find_map(|n| {
            let key: String = word.chars().take(n).collect();
            self.meta.chunks.get(&key).and_then(|name| self.chunk_named(name))
        })
    }

    fn lookup(&self, word: &str) -> Lookup {
        let mut found = Lookup {
            word: word.to_string(),
            entries: Vec::new(),
            exact: None,
            pages: 0,
            chunk: self.chunk_of(word),
        };
        let stem_of = |c: &Chunk, w: &str| {
            c.words
                .get(w)
                .cloned()
                .or_else(|| c.stems.contains_key(w).then(|| w.to_string()))
        };
        let add = |c: &Rc<Chunk>, stem: String, factor: f64, found: &mut Lookup| {
            if let Some(e) = found.entries.iter_mut().find(|e| e.0 == stem) {
                e.2 = e.2.max(factor);
                return;
            }
            found.entries.push((stem, c.clone(), factor));
        };
        if let Some(chunk) = found.chunk.clone()
            && let Some(exact) = stem_of(&chunk, word)
        {
            add(&chunk, exact.clone(), 1.0, &mut found);
            found.pages = chunk.stems[&exact].len() / 2;
            found.exact = Some(exact);
            return found;
        }
        let length = chars(word);
        if length > 1 {
            let mut all: Vec<Rc<Chunk>> = found.chunk.iter().cloned().collect();
            for (key, name) in &self.meta.chunks {
                if chars(key) > length && key.starts_with(word) {
                    all.extend(self.chunk_named(name));
                }
            }
            for c in &all {
                for w in c.words.keys().chain(c.stems.keys()) {
                    if w.starts_with(word)
                        && let Some(stem) = stem_of(c, w)
                    {
                        add(c, stem, PREFIX * length as f64 / chars(w) as f64, &mut found);
                    }
                }
            }
        }
        found
    }

    /// Ranks `text` as the search page does, with no facet selected.
    pub fn query(&self, text: &str) -> Answer {
        let seq = query_words(text);
        let words = terms(&seq);
        let (mut slots, list) = self.ranked(&seq, &words);
        let mut answer = Answer {
            missing: slots
                .iter()
                .filter(|s| s.alts.is_empty())
                .map(|s| s.text.clone())
                .collect(),
            corrections: slots.iter_mut().filter_map(|s| s.correction.take()).collect(),
            ..Answer::default()
        };
        let known: Vec<&Slot> = slots.iter().filter(|s| !s.alts.is_empty()).collect();
        if !list.is_empty() || known.len() < 2 {
            answer.hits = list.into_iter().map(|(page, score)| Hit { page, score }).collect();
            return answer;
        }
        let total = self.meta.pages.len().max(1) as f64;
        // Pages in the order first found, with what they hold of the query.
        let mut order: Vec<u32> = Vec::new();
        let mut pages: HashMap<u32, (f64, f64, usize)> = HashMap::new();
        for slot in &known {
            let alone = self.rank(std::slice::from_ref(*slot), &HashMap::new());
            let df = alone.len() as f64;
            let rarity = (1.0 + (total - df + 0.5) / (df + 0.5)).ln();
            for (p, s) in alone {
                let e = pages.entry(p).or_insert_with(|| {
                    order.push(p);
                    (0.0, 0.0, 0)
                });
                e.0 += s;
                e.1 += rarity;
                e.2 += 1;
            }
        }
        let mut list: Vec<(u32, (f64, f64, usize))> = order.iter().map(|p| (*p, pages[p])).collect();
        list.sort_by(|a, b| (b.1.1).total_cmp(&a.1.1).then((b.1.0).total_cmp(&a.1.0)));
        let best = list.first().map_or(0.0, |(_, v)| v.1);
        list.retain(|(_, v)| v.1 >= best / 2.0);
        answer.partial = list.first().is_some_and(|(_, v)| v.2 < known.len());
        answer.hits = list.into_iter().map(|(page, v)| Hit { page, score: v.0 }).collect();
        answer
    }

    /// A result's page, read from its fragment (as the search page does, for the results it shows).
    pub fn page(&self, page: u32) -> Option<Page> {
        let name = self.meta.pages.get(page as usize)?;
        gunzip(self.files.get(&format!("f/{name}.json.gz"))?)
    }

    fn ranked(&self, seq: &[String], words: &[String]) -> (Vec<Slot>, Vec<(u32, f64)>) {
        let mut slots = self.slots(seq, words);
        let bonus = phrase_bonus(&slots, seq);
        let mut list = self.rank(&slots, &bonus);
        let replaced = slots.iter().any(|s| s.correction.as_ref().is_some_and(|c| !c.also));
        if list.is_empty() && replaced {
            for s in &mut slots {
                if s.correction.as_ref().is_some_and(|c| !c.also) {
                    s.alts = s.typed_alts.take().unwrap_or_default();
                    s.correction = None;
                }
            }
            list = self.rank(&slots, &bonus);
        }
        (slots, list)
    }

    fn slots(&self, seq: &[String], words: &[String]) -> Vec<Slot> {
        let looked: HashMap<&str, Lookup> = words.iter().map(|w| (w.as_str(), self.lookup(w))).collect();
        let pasted = seq.iter().collect::<HashSet<_>>().len() > SHORT;
        let mut slots = Vec::new();
        let mut done: HashSet<&str> = HashSet::new();
        let mut i = 0;
        while i < seq.len() {
            let syn = self.synonym_at(seq, &looked, i);
            let n = syn.map_or(1, |(n, _, _)| n);
            let mut typed = Vec::new();
            for w in &seq[i..i + n] {
                if let Some(f) = looked.get(w.as_str())
                    && done.insert(w.as_str())
                {
                    typed.push(f.clone());
                }
            }
            let text = seq[i..i + n].join(" ");
            i += n;
            if typed.is_empty() {
                continue;
            }
            let mut alts = vec![Alt {
                found: typed.clone(),
                corrected: false,
            }];
            if let Some((_, group, member)) = syn {
                for (k, m) in self.meta.synonyms[group].iter().enumerate() {
                    if k == member {
                        continue;
                    }
                    let mut need: Vec<&String> = m.words.iter().collect();
                    if pasted && need.iter().any(|w| !STOP.contains(&w.as_str())) {
                        need.retain(|w| !STOP.contains(&w.as_str()));
                    }
                    alts.push(Alt {
                        found: need.iter().map(|w| self.lookup(w)).collect(),
                        corrected: false,
                    });
                }
            }
            alts.retain(|a| a.found.iter().all(|f| !f.entries.is_empty()));
            slots.push(Slot {
                text,
                typed,
                alts,
                typed_alts: None,
                correction: None,
            });
        }
        if self.meta.vocabulary.is_some() {
            for slot in &mut slots {
                self.correct(slot);
            }
        }
        slots
    }

    /// The synonym member starting at `seq[i]`, the longest: (its length, its group, its place in the group).
    fn synonym_at(&self, seq: &[String], looked: &HashMap<&str, Lookup>, i: usize) -> Option<(usize, usize, usize)> {
        let mut best: Option<(usize, usize, usize)> = None;
        for (g, group) in self.meta.synonyms.iter().enumerate() {
            for (k, member) in group.iter().enumerate() {
                let n = member.stems.len();
                if n == 0 || i + n > seq.len() || best.is_some_and(|b| b.0 >= n) {
                    continue;
                }
                let all = (0..n).all(|j| match looked.get(seq[i + j].as_str()) {
                    Some(f) => same_word(f, member, j),
                    None => seq[i + j] == member.words[j],
                });
                if all {
                    best = Some((n, g, k));
                }
            }
        }
        best
    }

    fn vocabulary(&self, end: &str, key: char) -> Option<Vocabulary> {
        let name = self.meta.vocabulary.as_ref()?.get(end)?.get(&key.to_string())?;
        gunzip(self.files.get(&format!("v/{name}.json.gz"))?)
    }

    /// The index's words within `w`'s typos, best first (as `candidates` in `search.js`).
    fn candidates(&self, w: &str) -> Vec<(String, usize, bool, usize)> {
        let max = typos(w);
        if max == 0 {
            return Vec::new();
        }
        let first = w.chars().next().expect("a word");
        let last = w.chars().last().expect("a word");
        let mut seen: Vec<(String, usize, bool, usize)> = Vec::new();
        for v in [self.vocabulary("first", first), self.vocabulary("last", last)]
            .into_iter()
            .flatten()
        {
            let signed: HashSet<usize> = v.signed.iter().copied().collect();
            for (i, c) in v.words.iter().enumerate() {
                if c == w || seen.iter().any(|s| &s.0 == c) {
                    continue;
                }
                let d = distance(w, c, max);
                if d <= max {
                    seen.push((c.clone(), d, signed.contains(&i), v.pages[i]));
                }
            }
        }
        let starts = |c: &str| c.starts_with(first);
        seen.sort_by(|a, b| {
            a.1.cmp(&b.1)
                .then(starts(&b.0).cmp(&starts(&a.0)))
                .then(b.2.cmp(&a.2))
                .then(b.3.cmp(&a.3))
                .then(a.0.cmp(&b.0))
        });
        seen
    }

    fn correct(&self, slot: &mut Slot) {
        if slot.typed.len() != 1 {
            return;
        }
        let f = &slot.typed[0];
        let code = f.exact.is_none() && is_code(&f.word) && slot.alts.len() <= 1;
        let none = (slot.alts.is_empty() && f.entries.is_empty()) || code;
        let few = f.exact.is_some() && slot.alts.len() == 1 && f.pages <= FEW;
        if !none && !few {
            return;
        }
        let found = self.candidates(&f.word);
        let Some(best) = found.first() else { return };
        if few && best.3 < MORE * f.pages {
            return;
        }
        let to = self.lookup(&best.0);
        if to.entries.is_empty() {
            return;
        }
        let from = f.word.clone();
        if code {
            slot.typed_alts = Some(std::mem::take(&mut slot.alts));
        }
        slot.alts.push(Alt {
            found: vec![to],
            corrected: true,
        });
        slot.correction = Some(Correction {
            from,
            to: best.0.clone(),
            also: few,
        });
    }

    fn word_scores(&self, f: &Lookup) -> HashMap<u32, f64> {
        let mut scores: HashMap<u32, f64> = HashMap::new();
        for (stem, chunk, factor) in &f.entries {
            for pair in chunk.stems[stem].chunks(2) {
                let p = pair[0];
                let secondary = match &self.meta.secondary {
                    Some(s) if p >= s.from => s.factor,
                    _ => 1.0,
                };
                let s = factor * f64::from(pair[1]) / 1000.0 * secondary;
                let e = scores.entry(p).or_insert(f64::NEG_INFINITY);
                if *e < s {
                    *e = s;
                }
            }
        }
        scores
    }

    fn slot_scores(&self, slot: &Slot) -> HashMap<u32, (f64, u8)> {
        let mut out: HashMap<u32, (f64, u8)> = HashMap::new();
        for alt in &slot.alts {
            let c = u8::from(alt.corrected);
            let mut maps: Vec<HashMap<u32, f64>> = alt.found.iter().map(|f| self.word_scores(f)).collect();
            maps.sort_by_key(HashMap::len);
            let n = maps.len() as f64;
            for (p, &s) in &maps[0] {
                let mut total = s;
                let mut all = true;
                for m in &maps[1..] {
                    match m.get(p) {
                        Some(t) => total += t,
                        None => {
                            all = false;
                            break;
                        }
                    }
                }
                if !all {
                    continue;
                }
                let s = total / n;
                match out.get_mut(p) {
                    None => {
                        out.insert(*p, (s, c));
                    }
                    Some(had) if c < had.1 => *had = (s, c),
                    Some(had) if c == had.1 => had.0 += s,
                    Some(_) => {}
                }
            }
        }
        out
    }

    fn rank(&self, slots: &[Slot], bonus: &HashMap<u32, f64>) -> Vec<(u32, f64)> {
        let used: Vec<&Slot> = slots.iter().filter(|s| !s.alts.is_empty()).collect();
        if used.is_empty() {
            return Vec::new();
        }
        let mut per: Vec<HashMap<u32, (f64, u8)>> = used.iter().map(|s| self.slot_scores(s)).collect();
        per.sort_by_key(HashMap::len);
        let mut ranked: Vec<(u32, f64)> = Vec::new();
        'pages: for (p, first) in &per[0] {
            let mut total = first.0 - CORRECTED * f64::from(first.1);
            for m in &per[1..] {
                let Some(t) = m.get(p) else { continue 'pages };
                total += t.0 - CORRECTED * f64::from(t.1);
            }
            ranked.push((*p, total + bonus.get(p).copied().unwrap_or(0.0)));
        }
        self.rank_below(&mut ranked);
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }

    fn rank_below(&self, ranked: &mut Vec<(u32, f64)>) {
        let mut at: HashMap<u32, usize> = ranked.iter().enumerate().map(|(i, r)| (r.0, i)).collect();
        for i in 0..ranked.len() {
            let (page, score) = ranked[i];
            let Some(over) = self.meta.below.get(&page.to_string()) else {
                continue;
            };
            let mut least = f64::INFINITY;
            for &p in over {
                let j = *at.entry(p).or_insert_with(|| {
                    ranked.push((p, score));
                    ranked.len() - 1
                });
                least = least.min(ranked[j].1);
            }
            if least.is_finite() && ranked[i].1 >= least {
                ranked[i].1 = least - 0.001;
            }
        }
    }
}

/// The words looked up: each once, without function words in a pasted message.
fn terms(seq: &[String]) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for w in seq {
        if !all.contains(w) {
            all.push(w.clone());
        }
    }
    if all.len() <= SHORT {
        return all;
    }
    let kept: Vec<String> = all.iter().filter(|w| !STOP.contains(&w.as_str())).cloned().collect();
    if kept.is_empty() { all } else { kept }
}

fn same_word(f: &Lookup, member: &Member, j: usize) -> bool {
    let stem = &member.stems[j];
    if f.exact.as_ref() == Some(stem) || f.word == member.words[j] {
        return true;
    }
    let n = chars(stem);
    f.exact.is_none() && n >= 4 && f.word.starts_with(stem.as_str()) && chars(&f.word) - n <= 4
}

/// How many typos a word may hold (`typos` in `search.js`): an error code one, another correctable word one up to
/// seven letters and two beyond, any other word none.
fn typos(w: &str) -> usize {
    match (is_code(w), correctable(w), chars(w)) {
        (true, _, _) => 1,
        (false, false, _) => 0,
        (false, true, n) if n <= 7 => 1,
        _ => 2,
    }
}

/// Optimal string alignment distance, or `max + 1` once past `max`.
fn distance(a: &str, b: &str, max: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    let mut prev2: Vec<usize> = Vec::new();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut row = vec![i];
        let mut least = i;
        for j in 1..=b.len() {
            let mut d = (prev[j] + 1)
                .min(row[j - 1] + 1)
                .min(prev[j - 1] + usize::from(a[i - 1] != b[j - 1]));
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            row.push(d);
            least = least.min(d);
        }
        if least > max {
            return max + 1;
        }
        prev2 = std::mem::replace(&mut prev, row);
    }
    prev[b.len()]
}

/// Pages → bonus for the error signatures `seq` holds word for word, from the chunks of the slots' own words: [`EXACT`]
/// for a signature that is the whole query, [`PHRASE`] per word for one of several words within it.
fn phrase_bonus(slots: &[Slot], seq: &[String]) -> HashMap<u32, f64> {
    let mut bonus: HashMap<u32, f64> = HashMap::new();
    let mut read: Vec<*const Chunk> = Vec::new();
    let whole = seq.join(" ");
    let text = format!(" {whole} ");
    for slot in slots {
        for f in &slot.typed {
            let Some(chunk) = &f.chunk else { continue };
            if read.contains(&Rc::as_ptr(chunk)) {
                continue;
            }
            read.push(Rc::as_ptr(chunk));
            for (phrase, pages) in &chunk.phrases {
                let words = phrase.split(' ').count();
                let b = if *phrase == whole {
                    EXACT
                } else if words > 1 && text.contains(&format!(" {phrase} ")) {
                    PHRASE * words as f64
                } else {
                    continue;
                };
                for p in ungap(pages) {
                    let e = bonus.entry(p).or_insert(0.0);
                    *e = e.max(b);
                }
            }
        }
    }
    bonus
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_a_swap_as_one_typo_and_stops_past_the_limit() {
        assert_eq!(distance("lcoked", "locked", 1), 1);
        assert_eq!(distance("asigned", "assigned", 1), 1);
        assert_eq!(distance("e000015", "e0000015", 1), 1);
        assert_eq!(distance("insuficient", "insufficient", 2), 1);
        assert_eq!(distance("abc", "xyz", 1), 2, "past the limit: limit + 1");
        assert_eq!(typos("e000015"), 1);
        assert_eq!(typos("certficate"), 2);
        assert_eq!(typos("403"), 0);
    }

    #[test]
    fn the_constants_are_the_runtimes() {
        let js = include_str!("search.js");
        for (name, value) in [
            ("PREFIX", PREFIX),
            ("PHRASE", PHRASE),
            ("EXACT", EXACT),
            ("CORRECTED", CORRECTED),
            ("SHORT", SHORT as f64),
            ("FEW", FEW as f64),
            ("MORE", MORE as f64),
        ] {
            let line = js
                .lines()
                .find(|l| l.starts_with(&format!("const {name} = ")))
                .expect(name);
            let shown: f64 = line[name.len() + 9..].trim_end_matches(';').parse().expect(line);
            assert_eq!(shown, value, "{name}");
        }
    }

    #[test]
    fn a_pasted_message_loses_its_function_words() {
        let seq = query_words("Sorry, you can't access Zorblax because you are not assigned");
        assert_eq!(terms(&seq), ["sorry", "access", "zorblax", "assigned"]);
        assert_eq!(terms(&query_words("not assigned app")), ["not", "assigned", "app"]);
    }
}
