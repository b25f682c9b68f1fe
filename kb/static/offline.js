/* kb offline search, for the static export (kb build) opened from disk or any static host.

   The search index of a language is a classic script (<lang>/search/index.js) that sets
   window.KB_INDEX_<lang>; this file loads it with a <script> element, because fetch, XHR, modules
   and workers all fail on file://. The index holds every word of the articles grouped under the
   server's own stem, so a word is stemmed by lookup exactly as the server stems it; words the
   articles do not contain fall back to prefix, compound-suffix, accent-folded and (when nothing
   matches) one- or two-letter-off matching. Ranking is BM25 with the server's field weights.

   It also runs the results page (?q= from location.search), search-as-you-type in the header
   (an ARIA 1.2 combobox like search.js) and the language choice of the root page. Every text a
   reader sees comes from the page (data- attributes rendered through gettext); data from the
   index is only ever set with textContent. A classic script: no inline code, no eval. */
(function () {
  "use strict";

  var TOKEN = /[\p{L}\p{N}_]+(?:[-'’][\p{L}\p{N}_]+)*/gu;
  var SPLIT = /[-'’]/;
  var FOLDING = { "æ": "ae", "ø": "o", "œ": "oe", "ß": "ss", "þ": "th", "ð": "d" };
  var STOP = -2;
  var MAX_EXPANSION = 40;
  var MIN_SUFFIX = 4;
  var MIN_SUFFIX_WORD = 7;
  var MIN_CORRECTABLE = 4;
  var SNIPPET_CHARS = 220;
  var SNIPPET_BEFORE = 60;
  var PAGE_SIZE = 10;
  var SUGGESTIONS = 8;
  var DELAY = 120;
  var MIN_CHARS = 2;
  var W_FOLDED = 0.3;
  var W_COMPOUND = 0.2;
  var W_GUESS = 0.8;
  var W_LOOSE = 0.4;

  /* ---- text analysis: the same tokens as kb.analysis (TOKEN_PATTERN, lowercase, hyphen join) ---- */

  function fold(text) {
    return text.replace(/[æøœßþð]/g, function (c) { return FOLDING[c]; })
      .normalize("NFKD").replace(/\p{M}/gu, "");
  }

  function joined(word) {
    return word.split(SPLIT).join("");
  }

  /* ---- the index ---- */

  function Index(data, url) {
    this.lang = data.lang;
    this.url = url;
    this.docs = data.docs;
    this.terms = data.terms;
    this.k1 = data.k1;
    this.b = data.b;
    this.avgdl = data.avgdl || 1;
    this.irregular = data.irregular;
    this.folded = data.folded;
    this.stop = Object.create(null);
    var stop = data.stop ? data.stop.split(" ") : [];
    for (var i = 0; i < stop.length; i++) this.stop[stop[i]] = true;
    this.scoredCache = Object.create(null);
    this.formsCache = Object.create(null);
    this.allSurfaces = null;
    this.foldedKeys = null;
  }

  /* Binary search over the stems, sorted by UTF-16 code units as JavaScript compares strings. */
  Index.prototype.lowerBound = function (text) {
    var lo = 0, hi = this.terms.length;
    while (lo < hi) {
      var mid = (lo + hi) >>> 1;
      if (this.terms[mid][0] < text) lo = mid + 1; else hi = mid;
    }
    return lo;
  };

  Index.prototype.find = function (stem) {
    var at = this.lowerBound(stem);
    return at < this.terms.length && this.terms[at][0] === stem ? at : -1;
  };

  Index.prototype.forms = function (term) {
    var found = this.formsCache[term];
    if (found === undefined) {
      var raw = this.terms[term][1];
      found = raw === null ? [] : raw.split(" ");
      this.formsCache[term] = found;
    }
    return found;
  };

  /* The term of a surface word (exactly the server's stem), STOP for a stop word, -1 if unknown. */
  Index.prototype.lookup = function (word) {
    if (this.stop[word]) return STOP;
    if (Object.prototype.hasOwnProperty.call(this.irregular, word)) return this.find(this.irregular[word]);
    for (var n = word.length; n >= 1; n--) {
      var term = this.find(word.slice(0, n));
      if (term >= 0 && this.forms(term).indexOf(word.slice(n)) >= 0) return term;
    }
    return -1;
  };

  Index.prototype.df = function (term) {
    return this.terms[term][2].length + this.terms[term][3].length;
  };

  /* The terms with a surface form starting with ``prefix``, the most frequent first. */
  Index.prototype.prefixed = function (prefix, limit) {
    var found = [];
    for (var at = this.lowerBound(prefix); at < this.terms.length; at++) {
      var stem = this.terms[at][0];
      if (stem.lastIndexOf(prefix, 0) !== 0) break;
      if (this.terms[at][1] !== null) found.push(at);
    }
    for (var n = 1; n < prefix.length; n++) {
      var term = this.find(prefix.slice(0, n));
      if (term < 0) continue;
      var forms = this.forms(term);
      for (var i = 0; i < forms.length; i++) {
        if ((this.terms[term][0] + forms[i]).lastIndexOf(prefix, 0) === 0) { found.push(term); break; }
      }
    }
    for (var word in this.irregular) {
      if (word.lastIndexOf(prefix, 0) === 0) {
        var irregular = this.find(this.irregular[word]);
        if (irregular >= 0) found.push(irregular);
      }
    }
    var self = this;
    found = unique(found).sort(function (a, b) { return self.df(b) - self.df(a); });
    return found.slice(0, limit);
  };

  /* Long stems ending with ``tail`` (the server's compound field: engangspassord by passord). */
  Index.prototype.suffixed = function (tail) {
    var found = [];
    if (tail.length < MIN_SUFFIX) return found;
    for (var i = 0; i < this.terms.length; i++) {
      var stem = this.terms[i][0];
      if (stem.length >= MIN_SUFFIX_WORD && stem.length > tail.length &&
          stem.indexOf(tail, stem.length - tail.length) !== -1) found.push(i);
    }
    return found;
  };

  Index.prototype.foldedTerms = function (key) {
    if (!Object.prototype.hasOwnProperty.call(this.folded, key)) return [];
    var self = this;
    return this.folded[key].split(" ").map(function (s) { return self.find(s); })
      .filter(function (t) { return t >= 0; });
  };

  Index.prototype.foldedPrefixed = function (prefix) {
    if (!this.foldedKeys) this.foldedKeys = Object.keys(this.folded);
    var found = [];
    for (var i = 0; i < this.foldedKeys.length; i++) {
      if (this.foldedKeys[i].lastIndexOf(prefix, 0) === 0) found = found.concat(this.foldedTerms(this.foldedKeys[i]));
    }
    return found;
  };

  Index.prototype.surfaces = function () {
    if (this.allSurfaces) return this.allSurfaces;
    var all = [];
    for (var i = 0; i < this.terms.length; i++) {
      var forms = this.forms(i);
      for (var j = 0; j < forms.length; j++) all.push([this.terms[i][0] + forms[j], i]);
    }
    for (var word in this.irregular) all.push([word, this.find(this.irregular[word])]);
    this.allSurfaces = all;
    return all;
  };

  /* BM25 of one term in every document that has it: body with length normalisation, plus title,
     keywords and headings (weighted 3, 2.8 and 1.5 by the index, as on the server). */
  Index.prototype.scored = function (term) {
    var cached = this.scoredCache[term];
    if (cached) return cached;
    var row = this.terms[term], body = row[2], meta = row[3];
    var n = this.docs.length, k1 = this.k1, b = this.b;
    var idfBody = Math.log(1 + (n - body.length + 0.5) / (body.length + 0.5));
    var idfMeta = Math.log(1 + (n - meta.length + 0.5) / (meta.length + 0.5));
    var scores = Object.create(null), docs = [];
    var doc = 0, i, value, tf;
    for (i = 0; i < body.length; i++) {
      value = body[i];
      doc += value >>> 4;
      tf = value & 15;
      var norm = 1 - b + b * this.docs[doc][7] / this.avgdl;
      scores[doc] = idfBody * tf * (k1 + 1) / (tf + k1 * norm);
      docs.push(doc);
    }
    doc = 0;
    for (i = 0; i < meta.length; i++) {
      value = meta[i];
      doc += value >>> 6;
      tf = (value & 63) / 2;
      if (scores[doc] === undefined) { scores[doc] = 0; docs.push(doc); }
      scores[doc] += idfMeta * tf * (k1 + 1) / (tf + k1);
    }
    cached = { docs: docs, scores: scores };
    this.scoredCache[term] = cached;
    return cached;
  };

  /* ---- queries ---- */

  function unique(values) {
    var seen = Object.create(null), out = [];
    for (var i = 0; i < values.length; i++) {
      if (!seen[values[i]]) { seen[values[i]] = true; out.push(values[i]); }
    }
    return out;
  }

  /* A reader's query: words (a trailing * makes a prefix), -exclusions, OR, tag: and category:. */
  function parseQuery(text, asYouType) {
    var parsed = { words: [], excluded: [], tags: [], categories: [], any: false };
    var negate = false;
    var chunks = text.slice(0, 300).split(/\s+/).filter(Boolean);
    chunks.forEach(function (chunk, at) {
      if (chunk === "OR" || chunk === "||") { parsed.any = true; return; }
      if (chunk === "AND" || chunk === "&&") return;
      if (chunk === "NOT") { negate = true; return; }
      var excluded = negate || chunk.charAt(0) === "-";
      negate = false;
      var filter = /^(tag|category|author|after|before|date):(.*)$/i.exec(chunk.replace(/^-/, ""));
      if (filter) {
        var value = filter[2].replace(/"/g, "").toLowerCase();
        if (filter[1].toLowerCase() === "tag" && value) parsed.tags.push(value);
        if (filter[1].toLowerCase() === "category" && value) parsed.categories.push(value);
        return;
      }
      var last = at === chunks.length - 1;
      var tokens = chunk.match(TOKEN) || [];
      tokens.forEach(function (token, i) {
        var word = joined(token.toLowerCase());
        var star = /\*$/.test(chunk) && i === tokens.length - 1;
        var prefix = star || (asYouType && last && i === tokens.length - 1);
        if (excluded) parsed.excluded.push(word);
        else if (parsed.words.length < 12) parsed.words.push({ text: word, prefix: prefix });
      });
    });
    return parsed;
  }

  function addAlternative(alternatives, term, weight) {
    if (term < 0) return;
    if (!(term in alternatives) || alternatives[term] < weight) alternatives[term] = weight;
  }

  /* The terms a query word matches, with weights; null for a stop word (it is ignored). */
  function expand(index, word) {
    var text = word.text;
    var term = index.lookup(text);
    var alternatives = Object.create(null);
    if (term === STOP && !word.prefix) return null;
    var i, found;
    if (term >= 0) {
      addAlternative(alternatives, term, 1);
      var stem = index.terms[term][0];
      found = index.foldedTerms(fold(text)).concat(index.foldedTerms(fold(stem)));
      for (i = 0; i < found.length; i++) addAlternative(alternatives, found[i], W_FOLDED);
      found = index.suffixed(stem);
      for (i = 0; i < found.length; i++) addAlternative(alternatives, found[i], W_COMPOUND);
    } else if (term === -1) {
      /* Not in the articles: accents left out, an inflection of a known stem, a longer compound. */
      var base = fold(text);
      found = index.foldedTerms(base);
      for (i = 0; i < found.length; i++) addAlternative(alternatives, found[i], W_GUESS);
      for (var n = text.length - 1; n >= Math.max(3, text.length - 4); n--) {
        var shorter = index.find(text.slice(0, n));
        if (shorter >= 0) { addAlternative(alternatives, shorter, W_GUESS); break; }
      }
      if (text.length >= 3) {
        found = index.prefixed(text, MAX_EXPANSION);
        for (i = 0; i < found.length; i++) {
          var close = index.terms[found[i]][0].length - text.length <= 3;
          addAlternative(alternatives, found[i], close ? W_GUESS : W_LOOSE);
        }
        found = index.foldedPrefixed(base);
        for (i = 0; i < found.length; i++) addAlternative(alternatives, found[i], W_LOOSE);
      }
      found = index.suffixed(text);
      for (i = 0; i < found.length; i++) addAlternative(alternatives, found[i], W_COMPOUND);
    }
    if (word.prefix && text.length >= MIN_CHARS) {
      found = index.prefixed(text, MAX_EXPANSION);
      for (i = 0; i < found.length; i++) addAlternative(alternatives, found[i], 1);
    }
    return alternatives;
  }

  /* Levenshtein distance, giving up beyond ``limit``. */
  function distance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) return limit + 1;
    var previous = [], current, i, j;
    for (j = 0; j <= b.length; j++) previous.push(j);
    for (i = 1; i <= a.length; i++) {
      current = [i];
      var best = i;
      for (j = 1; j <= b.length; j++) {
        var cost = a.charAt(i - 1) === b.charAt(j - 1) ? 0 : 1;
        current.push(Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost));
        if (current[j] < best) best = current[j];
      }
      if (best > limit) return limit + 1;
      previous = current;
    }
    return previous[b.length];
  }

  /* The most frequent word of the articles one letter off ``word``, else two (as the server). */
  function correct(index, word) {
    if (word.length < MIN_CORRECTABLE || !/^\p{L}+$/u.test(word)) return null;
    var surfaces = index.surfaces();
    for (var limit = 1; limit <= 2; limit++) {
      var best = null, bestDf = -1;
      for (var i = 0; i < surfaces.length; i++) {
        var candidate = surfaces[i][0];
        if (candidate === word || candidate.charAt(0) !== word.charAt(0)) continue;
        if (distance(word, candidate, limit) <= limit) {
          var df = index.df(surfaces[i][1]);
          if (df > bestDf) { best = candidate; bestDf = df; }
        }
      }
      if (best !== null) return best;
    }
    return null;
  }

  function matches(index, doc, parsed) {
    var info = index.docs[doc];
    if (parsed.categories.length && parsed.categories.indexOf(info[3]) < 0 &&
        parsed.categories.indexOf(info[2].toLowerCase()) < 0) return false;
    if (parsed.tags.length) {
      var tags = info[6] ? info[6].split(" ") : [];
      if (!parsed.tags.some(function (t) { return tags.indexOf(t) >= 0; })) return false;
    }
    return true;
  }

  function run(index, parsed, plans, anyTerm, strict) {
    var n = index.docs.length;
    var scores = new Float64Array(n), counts = new Uint16Array(n), terms = Object.create(null);
    plans.forEach(function (alternatives) {
      var seen = new Uint8Array(n);
      for (var term in alternatives) {
        terms[term] = true;
        var weight = alternatives[term], scored = index.scored(+term);
        for (var i = 0; i < scored.docs.length; i++) {
          var doc = scored.docs[i];
          scores[doc] += scored.scores[doc] * weight;
          if (!seen[doc]) { seen[doc] = 1; counts[doc] += 1; }
        }
      }
    });
    var excluded = new Uint8Array(n);
    parsed.excluded.forEach(function (word) {
      var term = index.lookup(word);
      if (term >= 0) index.scored(term).docs.forEach(function (doc) { excluded[doc] = 1; });
    });
    /* Every word required, except that of two or more words one may be missing (natural questions
       carry words no article uses: "videoen starter ikke"); a coordination factor (the share of
       words matched, as Lucene's classic scoring) keeps complete matches ahead of most partial ones. */
    var hits = [], complete = 0;
    var needed = anyTerm ? 1 : strict || plans.length < 2 ? plans.length : plans.length - 1;
    for (var doc = 0; doc < n; doc++) {
      if (excluded[doc] || (plans.length && counts[doc] < needed)) continue;
      if (counts[doc] === plans.length) complete++;
      hits.push({ doc: doc, score: plans.length ? scores[doc] * counts[doc] / plans.length : 0 });
    }
    hits.sort(function (a, b) {
      return b.score - a.score || index.docs[b.doc][5] - index.docs[a.doc][5] || a.doc - b.doc;
    });
    return { hits: hits, terms: terms, complete: complete };
  }

  /* Search one language's index: all words required, else any word, else similar spellings. */
  function search(index, text, options) {
    options = options || {};
    var parsed = parseQuery(text, options.asYouType);
    var filters = parsed.tags.length || parsed.categories.length;
    var plans = [];
    parsed.words.forEach(function (word) {
      var alternatives = expand(index, word);
      if (alternatives !== null) plans.push(alternatives);
    });
    var result = { hits: [], terms: {}, fallback: null, words: parsed.words };
    if (!plans.length && !filters) return result;
    var strict = Boolean(options.asYouType);
    var found = run(index, parsed, plans, parsed.any, strict);
    if (!found.hits.length && plans.length > 1 && !parsed.any) {
      found = run(index, parsed, plans, true, strict);
    }
    if (found.hits.length && !found.complete && plans.length > 1 && !parsed.any) result.fallback = "any-term";
    if (!found.hits.length && plans.length) {
      var corrected = [];
      parsed.words.forEach(function (word) {
        var term = index.lookup(word.text);
        var better = term === -1 ? correct(index, word.text) : null;
        var alternatives = expand(index, { text: better || word.text, prefix: word.prefix });
        if (alternatives !== null) corrected.push(alternatives);
      });
      found = run(index, parsed, corrected, true, false);
      if (found.hits.length) result.fallback = "fuzzy";
    }
    var all = found.hits;
    var facets = Object.create(null);
    all.forEach(function (hit) {
      var slug = index.docs[hit.doc][3];
      facets[slug] = facets[slug] || { name: index.docs[hit.doc][2], slug: slug, count: 0 };
      facets[slug].count += 1;
    });
    result.facets = Object.keys(facets).map(function (k) { return facets[k]; })
      .sort(function (a, b) { return b.count - a.count || (a.name < b.name ? -1 : 1); });
    result.hits = all.filter(function (hit) { return matches(index, hit.doc, parsed); });
    if (options.category) {
      result.hits = result.hits.filter(function (hit) { return index.docs[hit.doc][3] === options.category; });
    }
    result.terms = found.terms;
    return result;
  }

  /* ---- snippets: a short excerpt around the first match, as DOM nodes (never HTML) ---- */

  function isMatch(index, terms, token) {
    var lowered = token.toLowerCase();
    var forms = [joined(lowered)].concat(lowered.split(SPLIT));
    for (var i = 0; i < forms.length; i++) {
      var term = index.lookup(forms[i]);
      if (term >= 0 && terms[term]) return true;
    }
    return false;
  }

  function snippet(index, terms, text) {
    var spans = [], first = -1, match;
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(text)) !== null) {
      if (isMatch(index, terms, match[0])) {
        spans.push([match.index, match.index + match[0].length]);
        if (first < 0) first = match.index;
      }
    }
    var start = 0;
    if (first > SNIPPET_BEFORE) {
      start = text.indexOf(" ", first - SNIPPET_BEFORE) + 1;
      if (start <= 0 || start > first) start = first;
    }
    var end = Math.min(text.length, start + SNIPPET_CHARS);
    if (end < text.length) {
      var space = text.lastIndexOf(" ", end);
      if (space > Math.max(first, start)) end = space;
    }
    var fragment = document.createDocumentFragment();
    var at = start;
    if (start > 0) fragment.appendChild(document.createTextNode("… "));
    spans.forEach(function (span) {
      if (span[0] < at || span[1] > end) return;
      fragment.appendChild(document.createTextNode(text.slice(at, span[0])));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(span[0], span[1]);
      fragment.appendChild(mark);
      at = span[1];
    });
    fragment.appendChild(document.createTextNode(text.slice(at, end) + (end < text.length ? " …" : "")));
    return fragment;
  }

  /* ---- loading the index files with <script> elements (the only way that works on file://) ---- */

  var indexes = Object.create(null);
  var waiting = Object.create(null);
  var timings = { load: null, queries: [] };

  function loadScript(src, done) {
    var script = document.createElement("script");
    script.src = src;
    script.async = true;
    script.onload = function () { done(script.src, true); };
    script.onerror = function () { done(script.src, false); };
    document.head.appendChild(script);
  }

  function loadIndex(src, lang, done) {
    if (indexes[lang]) { done(indexes[lang]); return; }
    if (waiting[lang]) { waiting[lang].push(done); return; }
    waiting[lang] = [done];
    var started = performance.now();
    loadScript(src, function (url, ok) {
      var data = window["KB_INDEX_" + lang];
      var index = ok && data ? new Index(data, url) : null;
      if (index) {
        indexes[lang] = index;
        timings.load = performance.now() - started;
      }
      var callbacks = waiting[lang];
      delete waiting[lang];
      callbacks.forEach(function (callback) { callback(index); });
    });
  }

  function timed(index, text, options) {
    var started = performance.now();
    var result = search(index, text, options);
    timings.queries.push(performance.now() - started);
    return result;
  }

  function articleUrl(index, doc) {
    return new URL("../articles/" + encodeURIComponent(index.docs[doc][0]) + "/index.html", index.url).href;
  }

  /* ---- the results page ---- */

  function resultsPage(box) {
    var params = new URLSearchParams(window.location.search);
    var query = (params.get("q") || "").slice(0, 500);
    var category = params.get("category") || "";
    var page = Math.max(1, parseInt(params.get("page"), 10) || 1);
    var input = document.getElementById("search-q");
    if (input) input.value = query;
    if (input && category) {
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "category";
      hidden.value = category;
      input.form.appendChild(hidden);
    }
    document.querySelectorAll(".languages a[hreflang]").forEach(function (link) {
      if (query) link.href = link.href.split("?")[0] + "?q=" + encodeURIComponent(query);
    });
    if (!query.trim() && !category) return;
    var source = input && input.getAttribute("data-index");
    var lang = input && input.getAttribute("data-lang");
    if (!source || !lang) return;
    var pending = 2, index = null;
    function ready() {
      if (--pending === 0 && index) showResults(box, index, query, category, page);
    }
    loadIndex(source, lang, function (loaded) { index = loaded; ready(); });
    loadScript(box.getAttribute("data-text"), ready);
  }

  function searchHref(query, category, page) {
    var params = new URLSearchParams();
    params.set("q", query);
    if (category) params.set("category", category);
    if (page && page > 1) params.set("page", String(page));
    return "index.html?" + params.toString();
  }

  function showResults(box, index, query, category, page) {
    var result = timed(index, query, { category: category });
    var texts = window["KB_TEXT_" + index.lang] || [];
    var total = result.hits.length;
    var pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    page = Math.min(page, pages);
    document.title = box.getAttribute("data-title").split("{query}").join(query);
    var count = box.querySelector(".count-text");
    var message = box.getAttribute(total === 1 ? "data-one" : "data-many");
    var chosen = result.facets.filter(function (f) { return f.slug === category; })[0];
    count.textContent = message.split("{count}").join(String(total)).split("{query}").join(query) +
      (chosen ? " " + box.getAttribute("data-in-category").split("{category}").join(chosen.name) : "");
    var all = box.querySelector(".all-categories");
    all.hidden = !category;
    all.href = searchHref(query, "", 1);
    box.querySelectorAll("[data-fallback]").forEach(function (notice) {
      notice.hidden = notice.getAttribute("data-fallback") !== result.fallback;
    });
    var list = box.querySelector(".results");
    list.textContent = "";
    list.start = (page - 1) * PAGE_SIZE + 1;
    result.hits.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE).forEach(function (hit) {
      var info = index.docs[hit.doc];
      var item = document.createElement("li");
      item.className = "result";
      var heading = document.createElement("h2");
      var link = document.createElement("a");
      link.href = articleUrl(index, hit.doc);
      link.textContent = info[1];
      heading.appendChild(link);
      var text = document.createElement("p");
      text.className = "snippet";
      text.appendChild(snippet(index, result.terms, texts[hit.doc] || ""));
      var meta = document.createElement("p");
      meta.className = "meta";
      meta.textContent = info[2] + " · " + info[4];
      item.appendChild(heading);
      item.appendChild(text);
      item.appendChild(meta);
      list.appendChild(item);
    });
    box.querySelector(".no-results").hidden = total > 0;
    var browse = document.querySelector(".browse");
    if (browse) browse.hidden = total > 0;
    var pager = box.querySelector(".pagination");
    pager.hidden = pages < 2;
    var previous = box.querySelector(".page-prev"), following = box.querySelector(".page-next");
    previous.parentNode.hidden = page <= 1;
    previous.href = searchHref(query, category, page - 1);
    following.parentNode.hidden = page >= pages;
    following.href = searchHref(query, category, page + 1);
    var facets = box.querySelector(".facets");
    var facetList = facets.querySelector("ul");
    while (facetList.children.length > 1) facetList.removeChild(facetList.lastChild);
    var allLink = facets.querySelector(".facet-all");
    allLink.href = searchHref(query, "", 1);
    if (!category) allLink.setAttribute("aria-current", "true"); else allLink.removeAttribute("aria-current");
    result.facets.forEach(function (facet) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = searchHref(query, facet.slug, 1);
      link.textContent = facet.name + " ";
      if (facet.slug === category) link.setAttribute("aria-current", "true");
      var number = document.createElement("span");
      number.className = "facet-count";
      number.textContent = String(facet.count);
      link.appendChild(number);
      item.appendChild(link);
      facetList.appendChild(item);
    });
    facets.hidden = result.facets.length === 0;
    box.hidden = false;
  }

  /* ---- search-as-you-type: the same ARIA 1.2 combobox as search.js, fed by the offline index ---- */

  function messages() {
    var node = document.getElementById("suggest-messages");
    var get = function (name, fallback) {
      return (node && node.getAttribute("data-" + name)) || fallback;
    };
    return {
      none: get("none", "No suggestions"),
      one: get("one", "1 suggestion."),
      many: get("many", "{n} suggestions."),
      label: get("label", "Suggested articles"),
      all: get("all", "See all results for “{q}”")
    };
  }

  var counter = 0;

  function enhance(input) {
    var form = input.form;
    if (!form) return;
    var text = messages();
    var id = "suggestions-" + (++counter);
    var list = document.createElement("ul");
    list.id = id;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", text.label);
    list.hidden = true;
    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    form.appendChild(list);
    form.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);

    var source = input.getAttribute("data-index");
    var lang = input.getAttribute("data-lang");
    var timer = null, active = -1, items = [], lastQuery = "";

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function select(index) {
      var options = list.querySelectorAll("[role=option]");
      if (!options.length) return;
      if (index < 0) index = options.length - 1;
      if (index >= options.length) index = 0;
      for (var i = 0; i < options.length; i++) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      active = index;
      input.setAttribute("aria-activedescendant", options[index].id);
      if (options[index].scrollIntoView) options[index].scrollIntoView({ block: "nearest" });
    }

    function go(index) {
      var target = items[index];
      if (target) window.location.assign(target.url);
      else if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    }

    function option(index, title, meta, extraClass) {
      var li = document.createElement("li");
      li.id = id + "-" + index;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      var strong = document.createElement("span");
      strong.className = "suggestion-title" + (extraClass ? " " + extraClass : "");
      strong.textContent = title;
      li.appendChild(strong);
      if (meta) {
        var small = document.createElement("span");
        small.className = "suggestion-meta";
        small.textContent = meta;
        li.appendChild(small);
      }
      li.addEventListener("mousedown", function (event) {
        event.preventDefault();
        go(index);
      });
      return li;
    }

    function show(query, results) {
      list.textContent = "";
      items = results;
      items.forEach(function (hit, index) {
        list.appendChild(option(index, hit.title, hit.category, ""));
      });
      list.appendChild(option(items.length, text.all.replace("{q}", query), "", "suggestion-all"));
      active = -1;
      input.removeAttribute("aria-activedescendant");
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      var count = items.length;
      status.textContent = count === 0 ? text.none : count === 1 ? text.one : text.many.replace("{n}", count);
    }

    function suggest() {
      var query = input.value;
      if (query.trim().length < MIN_CHARS) {
        close();
        status.textContent = "";
        return;
      }
      if (query === lastQuery && !list.hidden) return;
      lastQuery = query;
      loadIndex(source, lang, function (index) {
        if (!index || input.value !== query || document.activeElement !== input) return;
        var found = timed(index, query, { asYouType: !/\s$/.test(query) });
        show(query, found.hits.slice(0, SUGGESTIONS).map(function (hit) {
          var info = index.docs[hit.doc];
          return { title: info[1], category: info[2], url: articleUrl(index, hit.doc) };
        }));
      });
    }

    input.addEventListener("focus", function () { loadIndex(source, lang, function () {}); });
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(suggest, DELAY);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { lastQuery = ""; suggest(); return; }
        select(active + 1);
      } else if (event.key === "ArrowUp") {
        if (!open) return;
        event.preventDefault();
        select(active - 1);
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          go(active);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        }
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
    form.addEventListener("submit", close);
  }

  /* ---- the root page: the reader's language, as the server's Accept-Language choice ---- */

  var NORWEGIAN = ["no", "nb", "nn"];
  var ALIASES = { no: "nb", nn: "nn", nb: "nb" };

  function chooseLanguage(picker) {
    var offered = Object.create(null);
    picker.querySelectorAll("a[hreflang]").forEach(function (link) {
      offered[link.getAttribute("hreflang")] = link.href;
    });
    var wanted = (navigator.languages && navigator.languages.length) ? navigator.languages : [navigator.language || ""];
    for (var i = 0; i < wanted.length; i++) {
      var base = String(wanted[i]).trim().replace("_", "-").split("-")[0].toLowerCase();
      var code = ALIASES[base] || base;
      if (offered[code]) return offered[code];
      if (NORWEGIAN.indexOf(code) >= 0) {
        for (var j = 0; j < NORWEGIAN.length; j++) if (offered[NORWEGIAN[j]]) return offered[NORWEGIAN[j]];
      }
    }
    return offered[picker.getAttribute("data-default")] || null;
  }

  function init() {
    var picker = document.querySelector(".language-picker[data-default]");
    if (picker) {
      var target = chooseLanguage(picker);
      if (target) window.location.replace(target);
      return;
    }
    var inputs = document.querySelectorAll("input[data-index]");
    for (var i = 0; i < inputs.length; i++) {
      enhance(inputs[i]);
    }
    var box = document.getElementById("offline-results");
    if (box) resultsPage(box);
  }

  window.KBOffline = {
    load: loadIndex,
    search: function (lang, text, options) {
      var index = indexes[lang];
      if (!index) return null;
      var result = timed(index, text, options);
      return result.hits.map(function (hit) { return index.docs[hit.doc][0]; });
    },
    lookup: function (lang, word) {
      var index = indexes[lang];
      var term = index ? index.lookup(word) : -1;
      return term >= 0 ? index.terms[term][0] : null;
    },
    timings: timings
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
