// kb's search runtime, written by `kb build` beside the index it reads (see src/site/search.rs for the format):
// `meta.json.gz` first, then one gzip chunk per word of the query, then one gzip fragment per result shown. It runs in
// the page, fetches only from its own folder, and gives back results as escaped text (excerpts mark matches with
// <mark>); the page builds its DOM from text.
//
// API: options({excerptLength}), init(), filters(),
// search(query | null, {filters: {name: {any: [values]}}, phrase: "the words as typed"}).
// A query's words are cut as the index cuts them; pages must hold every word some page holds (the others are left
// out), each word matching its stem (from the chunk's word → stem map), or, when the index does not hold the word,
// the words it starts. A page's score is the sum of its words' scores, which the index holds (BM25F, worked out
// by kb build). Pages whose error signature appears word for word in `phrase` (the query before the page left
// words out; the query itself by default) get a bonus per word of the signature.

const base = new URL(".", import.meta.url);
const settings = { excerptLength: 30 };
// A word the query only starts counts for less than the word itself.
const PREFIX = 0.5;
// The bonus per word of an error signature the query holds word for word.
const PHRASE = 5;

let metaLoad = null;
const chunks = new Map();
const fragments = new Map();

export async function options(o) {
  Object.assign(settings, o || {});
}

export async function init() {
  await meta();
}

function meta() {
  if (!metaLoad) {
    metaLoad = gunzip("meta.json.gz");
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

// The words the index holds for one token of text (mirrors `for_each_word` in search.rs).
const ALNUM = /[\p{L}\p{N}]/u;
function tokenWords(token, whole) {
  const core = token.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
  if (!core) return [];
  const lower = core.toLowerCase().replace(/\u2019/g, "'");
  const simple = lower.split(/[_'-]/).every(function (p) { return p && /^[\p{L}\p{N}]+$/u.test(p); });
  const parts = [];
  lower.split(/[^\p{L}\p{N}]+/u).forEach(function (piece) {
    // Cut between letters and digits (no lookbehind: older Safari lacks it), as kb.js cuts queries.
    piece.replace(/(\p{L})(\p{N})/gu, "$1 $2").replace(/(\p{N})(\p{L})/gu, "$1 $2").split(" ").forEach(function (p) {
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

function queryWords(q) {
  return Array.from(new Set(sequence(q)));
}

function chunkOf(m, word) {
  const path = m.chunks[[...word].slice(0, 2).join("")];
  return path ? cached(chunks, path, function () { return gunzip(path); }) : Promise.resolve(null);
}

// Pages → bonus, for the error signatures `q` holds word for word.
async function phraseBonus(m, q) {
  const words = sequence(q);
  const bonus = new Map();
  const loaded = await Promise.all(words.map(function (w) { return chunkOf(m, w); }));
  words.forEach(function (w, i) {
    const chunk = loaded[i];
    if (!chunk || !chunk.phrases) return;
    Object.keys(chunk.phrases).forEach(function (phrase) {
      const parts = phrase.split(" ");
      if (parts[0] !== w || i + parts.length > words.length) return;
      for (let j = 1; j < parts.length; j++) if (words[i + j] !== parts[j]) return;
      chunk.phrases[phrase].forEach(function (p) {
        bonus.set(p, Math.max(bonus.get(p) || 0, PHRASE * parts.length));
      });
    });
  });
  return bonus;
}

// What one query word matches: [{stem, postings, factor}] and the words to mark in excerpts.
async function lookup(m, word) {
  const found = { entries: [], words: new Set() };
  const chunk = await chunkOf(m, word);
  if (!chunk) return found;
  const stemOf = function (w) {
    if (Object.prototype.hasOwnProperty.call(chunk.words, w)) return chunk.words[w];
    return Object.prototype.hasOwnProperty.call(chunk.stems, w) ? w : null;
  };
  const add = function (stem, factor) {
    const known = found.entries.find(function (e) { return e.stem === stem; });
    if (known) {
      known.factor = Math.max(known.factor, factor);
      return;
    }
    found.entries.push({ stem: stem, postings: chunk.stems[stem], factor: factor });
    found.words.add(stem);
    for (const w in chunk.words) if (chunk.words[w] === stem) found.words.add(w);
  };
  const exact = stemOf(word);
  if (exact) {
    add(exact, 1);
    return found;
  }
  const length = [...word].length;
  if (length > 1) {
    const candidates = Object.keys(chunk.words).concat(Object.keys(chunk.stems));
    candidates.forEach(function (w) {
      if (w.startsWith(word)) add(stemOf(w), PREFIX * length / [...w].length);
    });
  }
  return found;
}

function allowedPages(m, filters) {
  let allowed = null;
  Object.keys(filters || {}).forEach(function (name) {
    const any = (filters[name] && filters[name].any) || [];
    if (!any.length) return;
    const here = new Set();
    any.forEach(function (v) {
      ((m.filters[name] || {})[v] || []).forEach(function (p) { here.add(p); });
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

export async function search(query, opts) {
  const m = await meta();
  const allowed = allowedPages(m, opts && opts.filters);
  const n = m.pages.length;
  if (query === null || query === undefined) {
    const all = [];
    for (let p = 0; p < n; p++) if (!allowed || allowed.has(p)) all.push(p);
    return { results: all.map(function (p) { return result(m, p, 0, new Set()); }), filters: counts(m, all) };
  }
  const words = queryWords(String(query));
  const found = (await Promise.all(words.map(function (w) { return lookup(m, w); }))).filter(function (f) {
    return f.entries.length > 0;
  });
  const bonus = await phraseBonus(m, String((opts && opts.phrase) || query));
  if (!found.length) return { results: [], filters: counts(m, []) };
  // Per word, each page's best score among the stems the word matches.
  const secondary = m.secondary;
  const perWord = found.map(function (f) {
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
  });
  perWord.sort(function (a, b) { return a.size - b.size; });
  const ranked = [];
  perWord[0].forEach(function (s, p) {
    let total = s;
    for (let i = 1; i < perWord.length; i++) {
      const t = perWord[i].get(p);
      if (t === undefined) return;
      total += t;
    }
    ranked.push([p, total + (bonus.get(p) || 0)]);
  });
  rankBelow(m, ranked, allowed);
  ranked.sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
  const marks = new Set();
  found.forEach(function (f) { f.words.forEach(function (w) { marks.add(w); }); });
  return {
    results: ranked.map(function (r) { return result(m, r[0], r[1], marks); }),
    filters: counts(m, ranked.map(function (r) { return r[0]; }))
  };
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
