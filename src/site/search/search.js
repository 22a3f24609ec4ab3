// kb's search runtime, written by `kb build` beside the index it reads (see src/site/search/mod.rs for the format):
// `meta.json.gz` first, then one gzip chunk per word of the query, then one gzip fragment per result shown; a
// misspelt word also fetches two vocabulary files, a synonym the chunks of its group's other members. It runs in the
// page, fetches only from its own folder, and gives back results as escaped text (excerpts mark matches with
// <mark>); the page builds its DOM from text. README's "How queries are ranked" describes what this file does.
//
// API: options({excerptLength}), init(), filters(),
// query(text, {filters: {name: {any: [values]}}}) → {results, counts, missing, partial, corrections, marks},
// search(text | null, {filters}) (as query, but keeping function words and without the closest-matches fallback;
// null lists every page),
// matcher(words) → function(token) telling whether a token of text holds one of `words` (for marking a page).

const base = new URL(".", import.meta.url);
const settings = { excerptLength: 30 };
// A word the query only starts counts for less than the word itself.
const PREFIX = 0.5;
// The bonus per word of an error signature the query holds word for word.
const PHRASE = 8;
// The bonus of a page one of whose error signatures is the whole query, word for word.
const EXACT = 1e4;
// What a page loses per query word it holds only as a correction: exact matches always rank first.
const CORRECTED = 1e6;
// A query of more words than this is a pasted message: its function words ("you", "because", "this") are in
// nearly every article, so they are left out; they cost time and bytes and do not change the ranking.
const SHORT = 4;
const STOP = new Set(("a an and are as at be because but by can can't cannot could do does for from has have how if " +
  "in into is it its it's not of on or please so that the their then there these this to was were what when " +
  "where which while who why will with would you you're your").split(" "));
// Words shorter than this are not corrected; a word on at most FEW pages is also corrected when a correction is on
// MORE times as many.
const TYPO_MIN = 4;
const FEW = 2;
const MORE = 10;

let metaLoad = null;
const chunks = new Map();
const fragments = new Map();
const vocabularies = new Map();

export async function options(o) {
  Object.assign(settings, o || {});
}

export async function init() {
  await meta();
}

function meta() {
  if (!metaLoad) {
    metaLoad = gunzip("meta.json.gz").then(function (m) {
      Object.keys(m.filters).forEach(function (name) {
        Object.keys(m.filters[name]).forEach(function (v) { m.filters[name][v] = ungap(m.filters[name][v]); });
      });
      return m;
    });
    metaLoad.catch(function () { metaLoad = null; });
  }
  return metaLoad;
}

async function gunzip(path) {
  const r = await fetch(new URL(path, base));
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  const text = await new Response(r.body.pipeThrough(new DecompressionStream("gzip"))).text();
  return JSON.parse(text);
}

function cached(map, key, load) {
  let p = map.get(key);
  if (!p) {
    p = load();
    map.set(key, p);
    p.catch(function () { map.delete(key); });
  }
  return p;
}

// The index stores sorted page lists as gaps: the first page, then each one's distance from the one before.
function ungap(list) {
  const out = new Array(list.length);
  let p = 0;
  for (let i = 0; i < list.length; i++) out[i] = p += list[i];
  return out;
}

// Postings `[gap, score, …]` as `[page, score, …]`, decoded once per stem.
function postingsOf(chunk, stem) {
  if (!chunk.decoded) chunk.decoded = new Map();
  let out = chunk.decoded.get(stem);
  if (!out) {
    const raw = chunk.stems[stem];
    out = new Array(raw.length);
    let p = 0;
    for (let i = 0; i < raw.length; i += 2) {
      out[i] = p += raw[i];
      out[i + 1] = raw[i + 1];
    }
    chunk.decoded.set(stem, out);
  }
  return out;
}

// The words the index holds for one token of text (mirrors `token_words` in words.rs): a query (`whole`) keeps a
// simple compound (`insufficient_scope`, `can't`) whole and cuts another token (`scope="okta.logs.read",`) into
// its parts, at punctuation and between letters and digits, two characters or more; the index holds both.
const ALNUM = /[\p{Alphabetic}\p{N}]/u;
function tokenWords(token, whole) {
  const core = token.replace(/^[^\p{Alphabetic}\p{N}]+|[^\p{Alphabetic}\p{N}]+$/gu, "");
  if (!core) return [];
  const lower = core.toLowerCase().replace(/\u2019/g, "'");
  const simple = lower.split(/[_'-]/).every(function (p) { return p && /^[\p{Alphabetic}\p{N}]+$/u.test(p); });
  const parts = [];
  lower.split(/[^\p{Alphabetic}\p{N}]+/u).forEach(function (piece) {
    // Cut between letters and digits (no lookbehind: older Safari lacks it).
    piece.replace(/(\p{Alphabetic})(\p{N})/gu, "$1 $2").replace(/(\p{N})(\p{Alphabetic})/gu, "$1 $2").split(" ").forEach(function (p) {
      if ([...p].length > 1) parts.push(p);
    });
  });
  if (simple && whole) return [lower];
  const out = simple && parts.indexOf(lower) < 0 ? [lower] : [];
  return out.concat(parts);
}

// A query's words, in order.
function sequence(q) {
  const out = [];
  q.split(/\s+/).forEach(function (token) {
    tokenWords(token, true).forEach(function (w) { out.push(w); });
  });
  return out;
}

// The words a query looks up: each once, without function words when it is a pasted message.
function terms(seq) {
  const all = Array.from(new Set(seq));
  if (all.length <= SHORT) return all;
  const kept = all.filter(function (w) { return !STOP.has(w); });
  return kept.length ? kept : all;
}

// A chunk by its name (the hash `meta.json.gz` gives for its key).
function chunkAt(name) {
  const path = "w/" + name + ".json.gz";
  return cached(chunks, path, function () { return gunzip(path); });
}

// The chunk holding `word`: the one of the longest key the word starts with (keys are a word's first two
// characters, or more where many words share them).
function chunkOf(m, word) {
  const chars = [...word];
  for (let n = Math.min(chars.length, 8); n > 0; n--) {
    const name = m.chunks[chars.slice(0, n).join("")];
    if (name) return chunkAt(name);
  }
  return Promise.resolve(null);
}

// The chunks of the words `word` starts, besides its own: those whose key is longer and starts with it.
function chunksUnder(m, word) {
  const n = [...word].length;
  return Promise.all(Object.keys(m.chunks).filter(function (k) {
    return [...k].length > n && k.startsWith(word);
  }).map(function (k) { return chunkAt(m.chunks[k]); }));
}

// What one word matches: its stem (`exact`) or, when the index does not hold it, the words it starts (for less);
// `pages` is how many pages hold the exact stem, `words` the words to mark in excerpts.
async function lookup(m, word) {
  const found = { word: word, entries: [], words: new Set(), exact: null, pages: 0, chunk: null };
  const chunk = await chunkOf(m, word);
  found.chunk = chunk;
  const stemOf = function (c, w) {
    if (Object.prototype.hasOwnProperty.call(c.words, w)) return c.words[w];
    return Object.prototype.hasOwnProperty.call(c.stems, w) ? w : null;
  };
  const add = function (c, stem, factor) {
    const known = found.entries.find(function (e) { return e.stem === stem; });
    if (known) {
      known.factor = Math.max(known.factor, factor);
      return;
    }
    found.entries.push({ stem: stem, postings: postingsOf(c, stem), factor: factor });
    found.words.add(stem);
    for (const w in c.words) if (c.words[w] === stem) found.words.add(w);
  };
  const exact = chunk && stemOf(chunk, word);
  if (exact) {
    add(chunk, exact, 1);
    found.exact = exact;
    found.pages = found.entries[0].postings.length / 2;
    return found;
  }
  const length = [...word].length;
  if (length > 1) {
    const all = (chunk ? [chunk] : []).concat(await chunksUnder(m, word));
    all.forEach(function (c) {
      Object.keys(c.words).concat(Object.keys(c.stems)).forEach(function (w) {
        if (w.startsWith(word)) add(c, stemOf(c, w), PREFIX * length / [...w].length);
      });
    });
  }
  return found;
}

// Whether query word `f` (its lookup) is word `j` of synonym `member`: the same stem or the same word; a word the
// index does not hold, which the browser cannot stem, also when it starts with the member's stem of four letters or
// more and adds at most four (`throttling`: `throttl`).
function sameWord(f, member, j) {
  const stem = member.stems[j];
  if (f.exact === stem || f.word === member.words[j]) return true;
  const n = [...stem].length;
  return !f.exact && n >= 4 && f.word.startsWith(stem) && [...f.word].length - n <= 4;
}

// The synonym member starting at word `i` of the query's sequence, the longest if several. The query's words are
// compared by `sameWord`; a function word a pasted message left out is compared as typed.
function synonymAt(m, seq, looked, i) {
  let best = null;
  (m.synonyms || []).forEach(function (group) {
    group.forEach(function (member, k) {
      const n = member.stems.length;
      if (!n || i + n > seq.length || (best && best.length >= n)) return;
      for (let j = 0; j < n; j++) {
        const f = looked.get(seq[i + j]);
        if (f ? !sameWord(f, member, j) : seq[i + j] !== member.words[j]) return;
      }
      best = { length: n, group: group, member: k };
    });
  });
  return best;
}

// The query's slots, in the order of its words: one per word looked up, or per run of its words a synonym group
// names. A slot holds alternatives, each a list of words (lookups) a page must all hold; a page holds the slot if it
// holds one alternative. In a pasted message, function words are no alternative's required words.
async function slotsOf(m, seq, words) {
  const found = await Promise.all(words.map(function (w) { return lookup(m, w); }));
  const looked = new Map(words.map(function (w, i) { return [w, found[i]]; }));
  const pasted = new Set(seq).size > SHORT;
  const slots = [];
  const done = new Set();
  for (let i = 0; i < seq.length;) {
    const syn = synonymAt(m, seq, looked, i);
    const span = syn ? seq.slice(i, i + syn.length) : [seq[i]];
    const typed = [];
    span.forEach(function (w) {
      if (looked.has(w) && !done.has(w)) {
        done.add(w);
        typed.push(looked.get(w));
      }
    });
    i += span.length;
    if (!typed.length) continue;
    const slot = { text: span.join(" "), typed: typed, alts: [{ found: typed, corrected: false }] };
    if (syn) {
      const others = syn.group.filter(function (_, k) { return k !== syn.member; });
      const alts = await Promise.all(others.map(async function (member) {
        let need = member.words;
        if (pasted && need.some(function (w) { return !STOP.has(w); })) {
          need = need.filter(function (w) { return !STOP.has(w); });
        }
        return { found: await Promise.all(need.map(function (w) { return lookup(m, w); })), corrected: false };
      }));
      slot.alts = slot.alts.concat(alts);
    }
    slot.alts = slot.alts.filter(function (a) { return a.found.every(function (f) { return f.entries.length; }); });
    slots.push(slot);
  }
  if (m.vocabulary) await correct(m, slots);
  return slots;
}

function isCode(w) {
  return /^\p{Alphabetic}{1,6}\p{N}{3,}$/u.test(w);
}

// How many typos a word may hold: error codes one; words with other digits none; words of four to seven letters
// one, longer ones two.
function typos(w) {
  if (isCode(w)) return 1;
  const n = [...w].length;
  if (n < TYPO_MIN || !/^[\p{Alphabetic}_'-]+$/u.test(w)) return 0;
  return n <= 7 ? 1 : 2;
}

// Optimal string alignment distance (a swap of two neighbours is one typo), or max + 1 once it exceeds max.
function distance(a, b, max) {
  a = [...a];
  b = [...b];
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2 = null;
  let prev = [];
  for (let j = 0; j <= b.length; j++) prev.push(j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let least = i;
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      row.push(d);
      least = Math.min(least, d);
    }
    if (least > max) return max + 1;
    prev2 = prev;
    prev = row;
  }
  return prev[b.length];
}

function vocabulary(m, end, key) {
  const name = m.vocabulary[end][key];
  if (!name) return Promise.resolve(null);
  const path = "v/" + name + ".json.gz";
  return cached(vocabularies, path, function () { return gunzip(path); });
}

// The words of the index within `w`'s typos, best first: fewest typos, then those starting as `w` does (readers
// seldom miss a word's first letter), then those an article lists in its error signatures, then those on most
// pages. They are in the vocabulary file of `w`'s first character or in the one of
// its last: a typo changes at most one of the two.
async function candidates(m, w) {
  const max = typos(w);
  if (!max) return [];
  const chars = [...w];
  const files = await Promise.all([vocabulary(m, "first", chars[0]), vocabulary(m, "last", chars[chars.length - 1])]);
  const seen = new Map();
  files.forEach(function (v) {
    if (!v) return;
    const signed = new Set(v.signed);
    v.words.forEach(function (c, i) {
      if (c === w || seen.has(c)) return;
      const d = distance(w, c, max);
      if (d <= max) seen.set(c, { word: c, distance: d, signed: signed.has(i), pages: v.pages[i] });
    });
  });
  return Array.from(seen.values()).sort(function (a, b) {
    return a.distance - b.distance || (b.word[0] === w[0]) - (a.word[0] === w[0]) || b.signed - a.signed ||
      b.pages - a.pages || (a.word < b.word ? -1 : 1);
  });
}

// Corrects each one-word slot whose word no page holds (and that no page starts with), or that few pages hold
// when a correction is on many more: the best candidate becomes an alternative, marked as corrected.
async function correct(m, slots) {
  await Promise.all(slots.map(async function (slot) {
    if (slot.typed.length !== 1) return;
    const f = slot.typed[0];
    // An error code the index does not hold is corrected even when it starts codes of the index: E000015 starts
    // E0000150 to E0000159, but E0000015 is as close and more likely meant.
    const code = !f.exact && isCode(f.word) && slot.alts.length <= 1;
    const none = (!slot.alts.length && !f.entries.length) || code;
    const few = f.exact && slot.alts.length === 1 && f.pages <= FEW;
    if (!none && !few) return;
    const found = await candidates(m, f.word);
    if (!found.length || (few && found[0].pages < MORE * f.pages)) return;
    const to = await lookup(m, found[0].word);
    if (!to.entries.length) return;
    if (code) {
      // Kept for when the correction leaves no page: then the code is searched as typed again.
      slot.typedAlts = slot.alts;
      slot.alts = [];
    }
    slot.alts.push({ found: [to], corrected: true });
    // An error code has many neighbours (E0000015 is a typo away from E0000150 to E0000159): the next ones are
    // offered too.
    const others = isCode(f.word)
      ? found.slice(1).filter(function (c) { return c.distance === found[0].distance; }).slice(0, 5)
      : [];
    slot.correction = { from: f.word, to: to.word, also: few, others: others.map(function (c) { return c.word; }) };
  }));
}

// Per page, the best score of one word's entries.
function wordScores(m, f, allowed) {
  const secondary = m.secondary;
  const scores = new Map();
  f.entries.forEach(function (e) {
    for (let i = 0; i < e.postings.length; i += 2) {
      const p = e.postings[i];
      if (allowed && !allowed.has(p)) continue;
      const s = e.factor * e.postings[i + 1] / 1000 * (secondary && p >= secondary.from ? secondary.factor : 1);
      if (!(scores.get(p) >= s)) scores.set(p, s);
    }
  });
  return scores;
}

// Per page holding every word of `found`: the mean of their scores (an alternative of several words counts as
// one word).
function allOf(maps) {
  maps = maps.slice().sort(function (a, b) { return a.size - b.size; });
  const out = new Map();
  maps[0].forEach(function (s, p) {
    let total = s;
    for (let i = 1; i < maps.length; i++) {
      const t = maps[i].get(p);
      if (t === undefined) return;
      total += t;
    }
    out.set(p, total / maps.length);
  });
  return out;
}

// Per page holding the slot: [score, 1 if only through a correction]. A page's score is the sum of the
// alternatives it holds (a page saying "MFA" and "multifactor" answers "2FA" better than one saying either), a
// correction counting only where the page holds no alternative as typed.
function slotScores(m, slot, allowed) {
  const out = new Map();
  slot.alts.forEach(function (alt) {
    const c = alt.corrected ? 1 : 0;
    allOf(alt.found.map(function (f) { return wordScores(m, f, allowed); })).forEach(function (s, p) {
      const had = out.get(p);
      if (!had || c < had[1]) out.set(p, [s, c]);
      else if (c === had[1]) had[0] += s;
    });
  });
  return out;
}

// Pages → bonus, for the error signatures `seq` holds word for word: EXACT for one that is the whole query,
// PHRASE per word for one of several words within it. Each phrase is filed in the chunk of one of its words that a
// query holding it looks up, so only the query's own chunks are read.
function phraseBonus(slots, seq) {
  const bonus = new Map();
  const read = new Set();
  const whole = seq.join(" ");
  const text = " " + whole + " ";
  slots.forEach(function (slot) {
    slot.typed.forEach(function (f) {
      const chunk = f.chunk;
      if (!chunk || !chunk.phrases || read.has(chunk)) return;
      read.add(chunk);
      Object.keys(chunk.phrases).forEach(function (phrase) {
        const words = phrase.split(" ").length;
        let b;
        if (phrase === whole) b = EXACT;
        else if (words > 1 && text.indexOf(" " + phrase + " ") >= 0) b = PHRASE * words;
        else return;
        ungap(chunk.phrases[phrase]).forEach(function (p) { bonus.set(p, Math.max(bonus.get(p) || 0, b)); });
      });
    });
  });
  return bonus;
}

// The pages holding every slot that some page holds (the others are left out), best first.
function rank(m, slots, allowed, bonus) {
  const used = slots.filter(function (s) { return s.alts.length; });
  if (!used.length) return [];
  const per = used.map(function (s) { return slotScores(m, s, allowed); });
  per.sort(function (a, b) { return a.size - b.size; });
  const ranked = [];
  per[0].forEach(function (first, p) {
    let total = first[0] - CORRECTED * first[1];
    for (let i = 1; i < per.length; i++) {
      const t = per[i].get(p);
      if (t === undefined) return;
      total += t[0] - CORRECTED * t[1];
    }
    ranked.push([p, total + (bonus.get(p) || 0)]);
  });
  rankBelow(m, ranked, allowed);
  ranked.sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
  return ranked;
}

// A page that `m.below` ranks below others (an error catalogue entry's page, below the articles that list it):
// those pages are shown, just above it, whenever it is, and it never outranks them.
function rankBelow(m, ranked, allowed) {
  const below = m.below || {};
  const at = new Map();
  ranked.forEach(function (r, i) { at.set(r[0], i); });
  ranked.slice().forEach(function (r) {
    const over = below[r[0]];
    if (!over) return;
    let least = Infinity;
    over.forEach(function (p) {
      if (allowed && !allowed.has(p)) return;
      if (!at.has(p)) {
        at.set(p, ranked.length);
        ranked.push([p, r[1]]);
      }
      least = Math.min(least, ranked[at.get(p)][1]);
    });
    if (least !== Infinity && r[1] >= least) r[1] = least - 0.001;
  });
}

function marksOf(slots) {
  const marks = new Set();
  slots.forEach(function (s) {
    s.alts.forEach(function (a) {
      a.found.forEach(function (f) { f.words.forEach(function (w) { marks.add(w); }); });
    });
  });
  return marks;
}

function allowedPages(m, filters) {
  let allowed = null;
  Object.keys(filters || {}).forEach(function (name) {
    const any = (filters[name] && filters[name].any) || [];
    if (!any.length) return;
    const here = new Set();
    const values = m.filters[name] || {};
    any.forEach(function (v) {
      if (Object.prototype.hasOwnProperty.call(values, v)) values[v].forEach(function (p) { here.add(p); });
    });
    allowed = allowed ? new Set([...allowed].filter(function (p) { return here.has(p); })) : here;
  });
  return allowed;
}

function counts(m, pages) {
  const out = {};
  const holds = pages ? new Set(pages) : null;
  Object.keys(m.filters).forEach(function (name) {
    out[name] = {};
    Object.keys(m.filters[name]).forEach(function (v) {
      const list = m.filters[name][v];
      out[name][v] = holds ? list.filter(function (p) { return holds.has(p); }).length : list.length;
    });
  });
  return out;
}

export async function filters() {
  return counts(await meta(), null);
}

function everything(m, allowed) {
  const all = [];
  for (let p = 0; p < m.pages.length; p++) if (!allowed || allowed.has(p)) all.push(p);
  return all;
}

// Ranks the query's `words` (`seq` is the whole query, for synonyms and signatures); when a correction leaves no
// page at all holding every word (filters aside), the word is searched as typed instead, which for a word no page
// holds means it is left out.
async function ranked(m, seq, words, allowed) {
  const slots = await slotsOf(m, seq, words);
  const bonus = phraseBonus(slots, seq);
  let list = rank(m, slots, allowed, bonus);
  const replaced = slots.filter(function (s) { return s.correction && !s.correction.also; });
  if (!list.length && replaced.length && !(allowed && rank(m, slots, null, bonus).length)) {
    replaced.forEach(function (s) {
      s.alts = s.typedAlts || [];
      s.correction = null;
    });
    list = rank(m, slots, allowed, bonus);
  }
  return { slots: slots, list: list };
}

function answer(m, list, marks) {
  return list.map(function (r) { return result(m, r[0], r[1], marks); });
}

export async function search(query, opts) {
  const m = await meta();
  const allowed = allowedPages(m, opts && opts.filters);
  if (query === null || query === undefined) {
    const all = everything(m, allowed);
    return { results: all.map(function (p) { return result(m, p, 0, new Set()); }), filters: counts(m, all) };
  }
  const seq = sequence(String(query));
  const found = await ranked(m, seq, Array.from(new Set(seq)), allowed);
  const marks = marksOf(found.slots);
  return {
    results: answer(m, found.list, marks),
    filters: counts(m, found.list.map(function (r) { return r[0]; }))
  };
}

// A query as the search page runs it: its words (function words left out of a pasted message) must all be held,
// those no page holds being left out; when no page holds every remaining word (the variable part of a pasted
// message is a word some other article has), each word is ranked alone and pages are ranked by how much of the
// query they hold, each word counting by its rarity (BM25's inverse document frequency), then by their scores.
export async function query(text, opts) {
  const m = await meta();
  const allowed = allowedPages(m, opts && opts.filters);
  const seq = sequence(String(text));
  const words = terms(seq);
  const found = await ranked(m, seq, words, allowed);
  const slots = found.slots;
  const marks = marksOf(slots);
  const missing = slots.filter(function (s) { return !s.alts.length; }).map(function (s) { return s.text; });
  const corrections = slots.filter(function (s) { return s.correction; }).map(function (s) { return s.correction; });
  const out = { missing: missing, corrections: corrections, marks: Array.from(marks), partial: false };
  const known = slots.filter(function (s) { return s.alts.length; });
  if (found.list.length || known.length < 2) {
    out.results = answer(m, found.list, marks);
    out.counts = counts(m, found.list.map(function (r) { return r[0]; }));
    return out;
  }
  // The pages searched (a word's pages are among them).
  const total = Math.max(everything(m, allowed).length, 1);
  const pages = new Map();
  known.forEach(function (slot) {
    const alone = rank(m, [slot], allowed, new Map());
    const df = alone.length;
    const rarity = Math.log(1 + (total - df + 0.5) / (df + 0.5));
    alone.forEach(function (r) {
      const p = pages.get(r[0]) || { page: r[0], score: 0, held: 0, words: 0 };
      p.held += rarity;
      p.score += r[1];
      p.words += 1;
      pages.set(r[0], p);
    });
  });
  const list = Array.from(pages.values()).sort(function (a, b) { return b.held - a.held || b.score - a.score; });
  // Pages holding less than half of what the best page holds only share common words with the query.
  const close = list.filter(function (p) { return p.held >= list[0].held / 2; });
  out.results = close.map(function (p) { return result(m, p.page, p.score, marks); });
  out.counts = null;
  out.partial = close.length > 0 && close[0].words < known.length;
  return out;
}

// Whether a token of a page's text holds one of `words` (as the index cuts it), for marking the searched words on
// the page a result opens.
export function matcher(words) {
  const set = new Set(words);
  return function (token) {
    return ALNUM.test(token) && tokenWords(token, false).some(function (w) { return set.has(w); });
  };
}

function result(m, page, score, marks) {
  return {
    id: String(page),
    score: score,
    data: async function () {
      const f = await cached(fragments, page, function () { return gunzip("f/" + m.pages[page] + ".json.gz"); });
      return shape(f, marks);
    }
  };
}

function escapeHtml(s) {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

// The window of `length` words of `text` holding the most marked words, as escaped HTML with <mark>s; and how
// many marked words it holds.
function excerpt(text, marks, length) {
  const tokens = text.split(/\s+/).filter(Boolean);
  const hit = tokens.map(function (t) {
    return ALNUM.test(t) && tokenWords(t, false).some(function (w) { return marks.has(w); });
  });
  let best = 0;
  let bestCount = -1;
  let count = 0;
  for (let i = 0; i < tokens.length; i++) {
    if (hit[i]) count++;
    if (i >= length && hit[i - length]) count--;
    const start = Math.max(0, i - length + 1);
    if (count > bestCount) {
      bestCount = count;
      best = start;
    }
  }
  const shown = tokens.slice(best, best + length).map(function (t, i) {
    return hit[best + i] ? "<mark>" + escapeHtml(t) + "</mark>" : escapeHtml(t);
  });
  return { html: shown.join(" "), count: Math.max(bestCount, 0) };
}

function shape(f, marks) {
  const length = settings.excerptLength || 30;
  const whole = f.sections.map(function (s) { return (s.id ? s.title + " " : "") + s.text; }).join(" ");
  const subs = [];
  f.sections.forEach(function (s, i) {
    if (!s.id) return;
    const e = excerpt(s.title + " " + s.text, marks, length);
    if (e.count > 0) subs.push({ url: f.url + "#" + s.id, title: s.title, excerpt: e.html, count: e.count, order: i });
  });
  subs.sort(function (a, b) { return b.count - a.count || a.order - b.order; });
  return {
    url: f.url,
    meta: { title: f.title },
    excerpt: excerpt(whole, marks, length).html,
    sub_results: subs.map(function (s) { return { url: s.url, title: s.title, excerpt: s.excerpt }; })
  };
}
