// kb default theme: progressive enhancement only. Every page works without this file.
(function () {
  "use strict";
  function setUpCopyButtons() {
    if (!navigator.clipboard) return;
    // One polite live region announces "Copied" to screen readers.
    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    document.body.appendChild(status);
    document.querySelectorAll(".code").forEach(function (block) {
      var button = block.querySelector("button.copy");
      var code = block.querySelector("pre code");
      if (!button || !code) return;
      button.hidden = false;
      button.setAttribute("aria-label", "Copy code to clipboard");
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(code.innerText.replace(/\n$/, "")).then(function () {
          button.textContent = "Copied";
          status.textContent = "Code copied to clipboard";
          button.setAttribute("data-copied", "");
          setTimeout(function () {
            button.textContent = "Copy";
            button.removeAttribute("data-copied");
            status.textContent = "";
          }, 1500);
        });
      });
    });
  }

  // "/" focuses the search box from anywhere on the site, unless the reader is typing somewhere.
  function setUpSearchKey() {
    document.addEventListener("keydown", function (e) {
      if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      var t = e.target;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      var box = document.getElementById("search-q") || document.getElementById("site-search-q");
      if (!box) return;
      e.preventDefault();
      box.focus();
      box.select();
    });
  }

  // The search page: kb's chunked search index, loaded from this site only, with facets, highlighted snippets and
  // keyboard navigation. Its state lives in the URL (?q=...&products=...), so a search can be linked and reloaded.
  var FACETS = [["products", "Product"], ["applies_to", "Applies to"]];

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c) node.appendChild(c);
    });
    return node;
  }

  // An excerpt from the index is escaped text with <mark> around matches. It is rebuilt here from text nodes and <mark>
  // elements only, so nothing else from the index can reach the page as markup.
  function excerpt(html) {
    var out = el("p", { class: "result-excerpt" });
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    tpl.content.childNodes.forEach(function (n) {
      if (n.nodeType === 1 && n.tagName === "MARK") out.appendChild(el("mark", { text: n.textContent }));
      else out.appendChild(document.createTextNode(n.textContent));
    });
    return out;
  }

  // A pasted message glues words together with punctuation: `scope="okta.logs.read",`. The index holds the parts of
  // such a token (cut at punctuation and between letters and digits, two characters or more), so the query is cut
  // the same way. A plain word or a simple compound (`E0000015`, `insufficient_scope`, `www-authenticate:`,
  // `can't`) stays whole, as the index holds those whole too.
  function prepare(q) {
    var out = [];
    q.split(/\s+/).forEach(function (token) {
      if (!token) return;
      if (/^[\p{L}\p{N}]+([_'\u2019-][\p{L}\p{N}]+)*[.,:;!?]*$/u.test(token)) {
        out.push(token.replace(/[.,:;!?]+$/, ""));
        return;
      }
      token.split(/[^\p{L}\p{N}]+/u).forEach(function (part) {
        part.replace(/(\p{L})(\p{N})/gu, "$1 $2").replace(/(\p{N})(\p{L})/gu, "$1 $2").split(" ").forEach(function (p) {
          if (p.length > 1) out.push(p);
        });
      });
    });
    return out.join(" ");
  }

  function words(q) {
    var seen = {};
    return q.split(" ").filter(function (w) {
      var key = w.toLowerCase();
      if (!w || seen[key]) return false;
      seen[key] = true;
      return true;
    });
  }

  // A query of more words than this is a pasted message: its function words ("you", "because", "this") are in
  // nearly every article, so they are left out; they cost time and bytes and do not change the ranking.
  var SHORT = 4;
  var STOP = new Set(("a an and are as at be because but by can can't cannot could do does for from has have how if " +
    "in into is it its it's not of on or please so that the their then there these this to was were what when " +
    "where which while who why will with would you you're your").split(" "));

  function terms(q) {
    var all = words(q);
    if (all.length <= SHORT) return all;
    var kept = all.filter(function (w) { return !STOP.has(w.toLowerCase().replace("\u2019", "'")); });
    return kept.length ? kept : all;
  }

  // The index ranks the pages that hold every word of the query, leaving out the words no page holds (the reader's
  // own app or user name in a pasted message). When no page holds every remaining word (the variable part is a word
  // some other article has), each word is searched alone and pages are ranked by how much of the query they hold,
  // each word counting by its rarity (BM25's inverse document frequency), then by the index's scores.
  async function find(pf, q, filters) {
    var all = terms(q);
    var first = await pf.search(all.join(" "), { filters: filters, phrase: q });
    if (first.results.length || all.length < 2) return { counts: first.filters, results: first.results };
    var each = await Promise.all(all.map(function (w) { return pf.search(w, { filters: filters }); }));
    var missing = all.filter(function (w, i) { return each[i].results.length === 0; });
    // The number of articles the search runs over (with the facets applied, as the words' counts are).
    var total = (await pf.search(null, { filters: filters })).results.length;
    total = each.reduce(function (m, r) { return Math.max(m, r.results.length); }, Math.max(total, 1));
    var pages = new Map();
    each.forEach(function (r) {
      var df = r.results.length;
      if (!df) return;
      var rarity = Math.log(1 + (total - df + 0.5) / (df + 0.5));
      r.results.forEach(function (hit) {
        var p = pages.get(hit.id) || { hit: hit, held: 0, score: 0, words: 0 };
        p.held += rarity;
        p.score += hit.score;
        p.words += 1;
        pages.set(hit.id, p);
      });
    });
    var known = each.filter(function (r) { return r.results.length; }).length;
    var ranked = Array.from(pages.values()).sort(function (a, b) {
      return b.held - a.held || b.score - a.score;
    });
    // Pages holding less than half of what the best page holds only share common words with the query.
    var close = ranked.filter(function (p) { return p.held >= ranked[0].held / 2; });
    return {
      counts: null,
      results: close.map(function (p) { return p.hit; }),
      missing: missing,
      partial: close.length > 0 && close[0].words < known
    };
  }

  // The words of a query that no article holds, to show the reader what the search left out.
  async function unknownWords(pf, q) {
    var all = terms(q);
    if (all.length < 2) return [];
    var each = await Promise.all(all.map(function (w) { return pf.search(w); }));
    return all.filter(function (w, i) { return each[i].results.length === 0; });
  }

  function setUpSearchPage() {
    var root = document.getElementById("search");
    if (!root) return;
    var input = document.getElementById("search-q");
    var status = document.getElementById("search-status");
    var list = document.getElementById("search-results");
    var facetsBox = document.getElementById("search-facets");
    var header = document.getElementById("site-search-q");
    var params = new URLSearchParams(location.search);
    var selected = {};
    FACETS.forEach(function (f) { selected[f[0]] = params.getAll(f[0]); });
    input.value = params.get("q") || "";
    if (header) header.value = input.value;
    var loading = null;
    var run = 0;
    var timer = null;
    var more = document.getElementById("search-more");
    // Results are shown ten at a time: each one shown costs a fetch of its fragment.
    var PAGE = 10;
    var shown = [];
    var adding = false;
    // On this page, the page's own box is the search box.
    if (header) header.form.hidden = true;

    function index() {
      if (!loading) {
        loading = import(root.getAttribute("data-index") + "search.js").then(async function (pf) {
          await pf.options({ baseUrl: "/", excerptLength: 24 });
          await pf.init();
          await pf.filters(); // resolves once the index's metadata has loaded, and throws if it cannot
          return pf;
        });
        loading.catch(function () { loading = null; });
      }
      return loading;
    }

    function filters() {
      var f = {};
      FACETS.forEach(function (facet) {
        if (selected[facet[0]].length) f[facet[0]] = { any: selected[facet[0]] };
      });
      return f;
    }

    function remember() {
      var p = new URLSearchParams();
      if (input.value.trim()) p.set("q", input.value.trim());
      FACETS.forEach(function (facet) {
        selected[facet[0]].forEach(function (v) { p.append(facet[0], v); });
      });
      var qs = p.toString();
      history.replaceState(null, "", location.pathname + (qs ? "?" + qs : ""));
    }

    // Facet values with their counts in the current results; without counts when the results are closest matches,
    // for which the index gives no counts. A checkbox that had focus has it again after the facets are redrawn.
    function renderFacets(counts, all) {
      var active = document.activeElement;
      var refocus = active && facetsBox.contains(active) ? [active.name, active.value] : null;
      facetsBox.textContent = "";
      var any = false;
      FACETS.forEach(function (facet) {
        var name = facet[0];
        var values = Object.assign({}, (counts || all)[name] || {});
        selected[name].forEach(function (v) { if (!(v in values)) values[v] = 0; });
        var keys = Object.keys(values).sort();
        if (!keys.length) return;
        any = true;
        var set = el("fieldset", {}, [el("legend", { text: facet[1] })]);
        keys.forEach(function (v) {
          var box = el("input", { type: "checkbox", name: name, value: v });
          box.checked = selected[name].indexOf(v) >= 0;
          box.addEventListener("change", function () {
            selected[name] = box.checked
              ? selected[name].concat([v])
              : selected[name].filter(function (x) { return x !== v; });
            search();
          });
          var count = counts ? el("span", { class: "count", text: String(values[v]) }) : null;
          set.appendChild(el("label", {}, [box, el("span", { text: v }), count]));
          if (refocus && refocus[0] === name && refocus[1] === v) refocus = box;
        });
        facetsBox.appendChild(set);
      });
      facetsBox.hidden = !any;
      if (refocus && refocus.focus) refocus.focus();
    }

    // Shows the next ten of `results`, unless a newer search has replaced them meanwhile.
    async function showMore(results) {
      var from = list.children.length;
      var data = await Promise.all(results.slice(from, from + PAGE).map(function (h) { return h.data(); }));
      if (results !== shown || list.children.length !== from) return;
      data.forEach(function (d) {
        var subs = (d.sub_results || []).filter(function (s) { return s.url !== d.url && s.url.indexOf("#") > 0; }).slice(0, 3);
        list.appendChild(el("li", { class: "result" }, [
          el("a", { class: "result-title", href: d.url, text: (d.meta && d.meta.title) || d.url }),
          el("p", { class: "result-url", text: d.url }),
          excerpt(d.excerpt || ""),
          subs.length
            ? el("ul", { class: "result-subs" }, subs.map(function (s) {
                return el("li", {}, [el("a", { href: s.url, text: s.title })]);
              }))
            : null
        ]));
      });
      more.hidden = list.children.length >= results.length;
    }

    function leftOut(words) {
      if (!words.length) return;
      status.appendChild(document.createTextNode(" Left out, as no article has them: "));
      words.forEach(function (w, i) {
        if (i) status.appendChild(document.createTextNode(", "));
        status.appendChild(el("span", { class: "dropped", text: w }));
      });
      status.appendChild(document.createTextNode("."));
    }

    function finish(state, q) {
      list.dataset.query = q;
      list.removeAttribute("aria-busy");
      list.setAttribute("data-state", state);
    }

    async function search() {
      var mine = ++run;
      var q = input.value.trim();
      remember();
      list.setAttribute("data-state", "searching");
      list.setAttribute("aria-busy", "true");
      try {
        var pf = await index();
        if (mine !== run) return;
        var all = await pf.filters();
        if (!q) {
          var everything = await pf.search(null, { filters: filters() });
          if (mine !== run) return;
          shown = [];
          list.textContent = "";
          more.hidden = true;
          renderFacets(everything.filters || {}, all);
          status.textContent = "Type an error message, an error code or a symptom.";
          finish("idle", q);
          return;
        }
        var found = await find(pf, prepare(q), filters());
        if (mine !== run) return;
        shown = found.results;
        list.textContent = "";
        await showMore(shown);
        if (mine !== run) return;
        renderFacets(found.counts, all);
        var n = found.results.length;
        status.textContent = n === 0 ? "No articles found." : n === 1 ? "1 article." : n + " articles.";
        if (found.partial) {
          status.appendChild(document.createTextNode(" No article has every word; the closest matches come first."));
        }
        if (!list.dataset.firstResultMs && n) list.dataset.firstResultMs = String(Math.round(performance.now()));
        finish("done", q);
        if (!n) {
          list.dataset.settled = q;
          return;
        }
        var missing = found.missing || (await unknownWords(pf, prepare(q)));
        if (mine !== run) return;
        leftOut(missing);
        list.dataset.settled = q;
      } catch (e) {
        if (mine !== run) return;
        status.textContent = "Search could not load its index (" + (e && e.message ? e.message : e) + "). " +
          "Try again, or look the error up in the error index.";
        finish("failed", q);
        list.dataset.settled = q;
      }
    }

    more.addEventListener("click", function () {
      if (adding) return;
      adding = true;
      more.disabled = true;
      var first = list.children.length;
      showMore(shown).then(function () {
        var link = list.children[first] && list.children[first].querySelector("a.result-title");
        if (link) link.focus();
      }).finally(function () {
        adding = false;
        more.disabled = false;
      });
    });
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 120);
    });
    root.querySelector("form").addEventListener("submit", function (e) {
      e.preventDefault();
      clearTimeout(timer);
      search();
    });

    // Arrow keys move between the box and the results' titles; Escape goes back to the box.
    root.addEventListener("keydown", function (e) {
      if (e.isComposing) return;
      var links = Array.prototype.slice.call(list.querySelectorAll("a.result-title"));
      var at = links.indexOf(document.activeElement);
      if (e.key === "ArrowDown" && (document.activeElement === input || at >= 0)) {
        if (at + 1 < links.length) links[at + 1].focus();
        e.preventDefault();
      } else if (e.key === "ArrowUp" && at >= 0) {
        if (at === 0) input.focus();
        else links[at - 1].focus();
        e.preventDefault();
      } else if (e.key === "Escape" && document.activeElement !== input) {
        input.focus();
        e.preventDefault();
      }
    });
    search();
    if (!input.value) input.focus();
  }

  function start() {
    setUpCopyButtons();
    setUpSearchKey();
    setUpSearchPage();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
