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

  // "/" focuses the search box from anywhere on the site, unless the reader is typing somewhere; Ctrl+K (Cmd+K on a
  // Mac) does too, even from a field (Ctrl+Shift+K is left to the browser). A single-key shortcut can be turned off
  // (WCAG 2.1.4, for readers of speech input): the footer's button, remembered in this browser.
  var SLASH_OFF = "kb-slash-shortcut-off";
  function slashOff() {
    try { return localStorage.getItem(SLASH_OFF) === "1"; } catch (e) { return false; }
  }
  function showSlash() {
    var off = slashOff();
    var toggle = document.querySelector(".shortcut-toggle");
    if (toggle) {
      toggle.hidden = false;
      toggle.textContent = off ? "Turn on the / search shortcut" : "Turn off the / search shortcut";
    }
    document.querySelectorAll(".search-key").forEach(function (k) { k.hidden = off; });
    var box = document.getElementById("site-search-q");
    if (box) box.setAttribute("aria-keyshortcuts", off ? "Control+K" : "/ Control+K");
  }
  function setUpSearchKey() {
    // On a Mac, Ctrl+K deletes to the end of the line in a text field: there the shortcut is Cmd+K only.
    var mac = /Mac|iPhone|iPad/.test(navigator.platform || "");
    var toggle = document.querySelector(".shortcut-toggle");
    if (toggle) {
      toggle.addEventListener("click", function () {
        try {
          if (slashOff()) localStorage.removeItem(SLASH_OFF); else localStorage.setItem(SLASH_OFF, "1");
        } catch (e) { /* storage refused: the setting lasts for this page only */ }
        showSlash();
      });
    }
    showSlash();
    document.addEventListener("keydown", function (e) {
      if (e.defaultPrevented || e.altKey || e.isComposing) return;
      var combo = (mac ? e.metaKey : e.ctrlKey) && !e.shiftKey && (e.key === "k" || e.key === "K");
      if (!combo) {
        if (e.key !== "/" || e.ctrlKey || e.metaKey || slashOff()) return;
        var t = e.target;
        if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      }
      var box = document.getElementById("search-q") || document.getElementById("site-search-q");
      if (!box) return;
      e.preventDefault();
      box.focus();
      box.select();
    });
  }

  // An article opened from a search result (`?highlight=words`): the words are marked where the article's text holds
  // them, the page scrolls to the first (in the section linked to, if any), and the parameter leaves the address
  // bar, so that a link copied from it is clean. Marks go around whole words of text nodes only, so the code's
  // highlighting and what the copy buttons copy are unchanged.
  function setUpHighlight() {
    var params = new URLSearchParams(location.search);
    var words = params.get("highlight");
    if (words === null) return;
    params.delete("highlight");
    var qs = params.toString();
    history.replaceState(history.state, "", location.pathname + (qs ? "?" + qs : "") + location.hash);
    var body = document.querySelector(".article");
    var form = document.querySelector("form.site-search");
    if (!body || !form || !words.trim()) return;
    import(new URL("../search-index/search.js", form.action).href).then(function (pf) {
      var holds = pf.matcher(words.split(/\s+/).filter(Boolean));
      var walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT, {
        acceptNode: function (n) {
          return n.parentElement.closest("script, style, button, mark, textarea, select, noscript, svg, " +
            ".visually-hidden, [data-search-ignore]")
            ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
        }
      });
      var nodes = [];
      while (walker.nextNode()) nodes.push(walker.currentNode);
      var marks = [];
      nodes.forEach(function (node) {
        var parts = node.data.split(/(\s+)/);
        if (!parts.some(holds)) return;
        var out = document.createDocumentFragment();
        parts.forEach(function (part) {
          if (part && holds(part)) {
            var m = el("mark", { class: "search-hit", text: part });
            marks.push(m);
            out.appendChild(m);
          } else if (part) {
            out.appendChild(document.createTextNode(part));
          }
        });
        node.parentNode.replaceChild(out, node);
      });
      document.documentElement.setAttribute("data-highlighted", String(marks.length));
      var target = null;
      try {
        target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
      } catch (err) {
        target = null; // a malformed #fragment: scroll to the first mark
      }
      var first = marks.find(function (m) {
        return !target || target.compareDocumentPosition(m) & Node.DOCUMENT_POSITION_FOLLOWING;
      }) || marks[0];
      if (first) first.scrollIntoView({ block: "center" });
    }).catch(function () {
      document.documentElement.setAttribute("data-highlighted", "0");
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

  // Where a result leads: the article, with the words the query matched, so that the article can mark them.
  function withHighlight(url, marks) {
    if (!marks.length) return url;
    var at = url.indexOf("#");
    var path = at < 0 ? url : url.slice(0, at);
    var hash = at < 0 ? "" : url.slice(at);
    var words = marks.slice(0, 30).join(" ");
    return path + (path.indexOf("?") < 0 ? "?" : "&") + "highlight=" + encodeURIComponent(words) + hash;
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
    var marks = [];
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
          el("a", { class: "result-title", href: withHighlight(d.url, marks), text: (d.meta && d.meta.title) || d.url }),
          el("p", { class: "result-url", text: d.url }),
          excerpt(d.excerpt || ""),
          subs.length
            ? el("ul", { class: "result-subs" }, subs.map(function (s) {
                return el("li", {}, [el("a", { href: withHighlight(s.url, marks), text: s.title })]);
              }))
            : null
        ]));
      });
      more.hidden = list.children.length >= results.length;
    }

    // The query's own spelling of a word of the index's (lowercase, cut at punctuation).
    function typed(q, word) {
      var found = null;
      q.split(/[^\p{Alphabetic}\p{N}_'\u2019-]+/u).some(function (t) {
        if (t.toLowerCase().replace(/\u2019/g, "'") === word) found = t;
        return found;
      });
      return found || word;
    }

    function leftOut(q, words) {
      if (!words.length) return;
      words = words.map(function (w) { return typed(q, w); });
      status.appendChild(document.createTextNode(" Left out, as no article has them: "));
      words.forEach(function (w, i) {
        if (i) status.appendChild(document.createTextNode(", "));
        status.appendChild(el("span", { class: "dropped", text: w }));
      });
      status.appendChild(document.createTextNode("."));
    }

    // "Showing results for insufficient scope": the query with its corrected words, each marked; for an error code,
    // the other codes as close, each a search of its own.
    function corrected(q, corrections) {
      if (!corrections.length) return;
      var replaced = corrections.filter(function (c) { return !c.also; });
      var also = corrections.filter(function (c) { return c.also; });
      var line = el("span", { class: "corrected" });
      if (replaced.length) {
        line.appendChild(document.createTextNode("Showing results for "));
        // Each corrected word is replaced where the query has it, in its case (E000015 shows as E0000015).
        q.split(/\s+/).forEach(function (token, i) {
          if (i) line.appendChild(document.createTextNode(" "));
          var lower = token.toLowerCase();
          var c = replaced.find(function (r) { return lower.indexOf(r.from) >= 0; });
          if (!c) {
            line.appendChild(document.createTextNode(token));
            return;
          }
          var at = lower.indexOf(c.from);
          var typed = token.slice(at, at + c.from.length);
          line.appendChild(document.createTextNode(token.slice(0, at)));
          line.appendChild(el("strong", { text: typed === typed.toUpperCase() ? c.to.toUpperCase() : c.to }));
          line.appendChild(document.createTextNode(token.slice(at + c.from.length)));
        });
        line.appendChild(document.createTextNode(". "));
      }
      also.forEach(function (c) {
        line.appendChild(document.createTextNode("Also showing results for "));
        line.appendChild(el("strong", { text: c.to }));
        line.appendChild(document.createTextNode(". "));
      });
      corrections.forEach(function (c) {
        if (!c.others.length) return;
        line.appendChild(document.createTextNode("Other close codes: "));
        c.others.forEach(function (o, i) {
          if (i) line.appendChild(document.createTextNode(", "));
          line.appendChild(el("a", { href: "?q=" + encodeURIComponent(o), text: o.toUpperCase() }));
        });
        line.appendChild(document.createTextNode(". "));
      });
      status.appendChild(line);
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
        var found = await pf.query(q, { filters: filters() });
        if (mine !== run) return;
        shown = found.results;
        marks = found.marks || [];
        list.textContent = "";
        await showMore(shown);
        if (mine !== run) return;
        renderFacets(found.counts, all);
        var n = found.results.length;
        status.textContent = "";
        corrected(q, found.corrections || []);
        status.appendChild(document.createTextNode(n === 0 ? "No articles found." : n === 1 ? "1 article." : n + " articles."));
        if (found.partial) {
          status.appendChild(document.createTextNode(" No article has every word; the closest matches come first."));
        }
        if (!list.dataset.firstResultMs && n) list.dataset.firstResultMs = String(Math.round(performance.now()));
        finish("done", q);
        if (n) leftOut(q, found.missing || []);
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
    setUpHighlight();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
