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

  /* kb.search.words.TOKEN_PATTERN: a Chinese, Japanese or Korean character is a word of its own
     (no spaces in Chinese and Japanese, particles joined to Korean words); other words go on
     through combining marks (Hindi's vowel signs). */
  var SINGLE = "\\u3040-\\u30ff\\u31f0-\\u31ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\uac00-\\ud7af" +
    "\\uff66-\\uff9f\\u{20000}-\\u{323af}";
  var WORD_CHAR = "(?:[^\\P{L}" + SINGLE + "]|[\\p{N}_])";
  var BMP_MARK = "(?:(?![\\u{10000}-\\u{10ffff}])\\p{M})";  /* the server's: the Basic Multilingual Plane's */
  var WORD = WORD_CHAR + "+(?:" + BMP_MARK + "+" + WORD_CHAR + "*)*";
  var TOKEN = new RegExp(WORD + "(?:[-'’]" + WORD + ")*|(?=[\\p{L}\\p{N}_])[" + SINGLE + "]", "gu");
  var SINGLE_WORD = new RegExp("^(?=[\\p{L}\\p{N}_])[" + SINGLE + "]$", "u");

  function isSingle(word) {
    return SINGLE_WORD.test(word);
  }
  var SPLIT = /[-'’]/;
  var FOLDING = { "æ": "ae", "ø": "o", "œ": "oe", "ß": "ss", "þ": "th", "ð": "d" };
  var STOP = -2;
  var SNIPPET_CHARS = 220;
  var SNIPPET_BEFORE = 60;
  var PAGE_SIZE = 10;
  var SUGGESTIONS = 8;
  var MIN_CHARS = 2;
  var W_FOLDED = 0.3;
  var W_COMPOUND = 0.2;
  var W_GUESS = 0.8;
  var W_LOOSE = 0.4;
  var W_PRIMARY = 0.8;  /* alternatives weighing this much are the word itself (kb.search.ranking's primary) */
  var SECONDARY = 0.5;  /* a match only through folding or compound tails: half the score, half the coverage */

  /* ---- text analysis: the same tokens as kb.search.words (TOKEN_PATTERN, lowercase, pieces) ---- */

  /* The marks folding drops: those with a canonical combining class above 0 (accents, viramas,
     nuktas), as kb.search.words.fold (Python's unicodedata.combining; \p{M} took vowel signs too). */
  var COMBINING = new RegExp("[" +
    "\\u{300}-\\u{34e}\\u{350}-\\u{36f}\\u{483}-\\u{487}\\u{591}-\\u{5bd}\\u{5bf}" +
    "\\u{5c1}-\\u{5c2}\\u{5c4}-\\u{5c5}\\u{5c7}\\u{610}-\\u{61a}\\u{64b}-\\u{65f}\\u{670}" +
    "\\u{6d6}-\\u{6dc}\\u{6df}-\\u{6e4}\\u{6e7}-\\u{6e8}\\u{6ea}-\\u{6ed}\\u{711}" +
    "\\u{730}-\\u{74a}\\u{7eb}-\\u{7f3}\\u{7fd}\\u{816}-\\u{819}\\u{81b}-\\u{823}" +
    "\\u{825}-\\u{827}\\u{829}-\\u{82d}\\u{859}-\\u{85b}\\u{898}-\\u{89f}\\u{8ca}-\\u{8e1}" +
    "\\u{8e3}-\\u{8ff}\\u{93c}\\u{94d}\\u{951}-\\u{954}\\u{9bc}\\u{9cd}\\u{9fe}\\u{a3c}\\u{a4d}" +
    "\\u{abc}\\u{acd}\\u{b3c}\\u{b4d}\\u{bcd}\\u{c3c}\\u{c4d}\\u{c55}-\\u{c56}\\u{cbc}\\u{ccd}" +
    "\\u{d3b}-\\u{d3c}\\u{d4d}\\u{dca}\\u{e38}-\\u{e3a}\\u{e48}-\\u{e4b}\\u{eb8}-\\u{eba}" +
    "\\u{ec8}-\\u{ecb}\\u{f18}-\\u{f19}\\u{f35}\\u{f37}\\u{f39}\\u{f71}-\\u{f72}\\u{f74}" +
    "\\u{f7a}-\\u{f7d}\\u{f80}\\u{f82}-\\u{f84}\\u{f86}-\\u{f87}\\u{fc6}\\u{1037}" +
    "\\u{1039}-\\u{103a}\\u{108d}\\u{135d}-\\u{135f}\\u{1714}-\\u{1715}\\u{1734}\\u{17d2}" +
    "\\u{17dd}\\u{18a9}\\u{1939}-\\u{193b}\\u{1a17}-\\u{1a18}\\u{1a60}\\u{1a75}-\\u{1a7c}" +
    "\\u{1a7f}\\u{1ab0}-\\u{1abd}\\u{1abf}-\\u{1ace}\\u{1b34}\\u{1b44}\\u{1b6b}-\\u{1b73}" +
    "\\u{1baa}-\\u{1bab}\\u{1be6}\\u{1bf2}-\\u{1bf3}\\u{1c37}\\u{1cd0}-\\u{1cd2}" +
    "\\u{1cd4}-\\u{1ce0}\\u{1ce2}-\\u{1ce8}\\u{1ced}\\u{1cf4}\\u{1cf8}-\\u{1cf9}" +
    "\\u{1dc0}-\\u{1dff}\\u{20d0}-\\u{20dc}\\u{20e1}\\u{20e5}-\\u{20f0}\\u{2cef}-\\u{2cf1}" +
    "\\u{2d7f}\\u{2de0}-\\u{2dff}\\u{302a}-\\u{302f}\\u{3099}-\\u{309a}\\u{a66f}" +
    "\\u{a674}-\\u{a67d}\\u{a69e}-\\u{a69f}\\u{a6f0}-\\u{a6f1}\\u{a806}\\u{a82c}\\u{a8c4}" +
    "\\u{a8e0}-\\u{a8f1}\\u{a92b}-\\u{a92d}\\u{a953}\\u{a9b3}\\u{a9c0}\\u{aab0}" +
    "\\u{aab2}-\\u{aab4}\\u{aab7}-\\u{aab8}\\u{aabe}-\\u{aabf}\\u{aac1}\\u{aaf6}\\u{abed}" +
    "\\u{fb1e}\\u{fe20}-\\u{fe2f}\\u{101fd}\\u{102e0}\\u{10376}-\\u{1037a}\\u{10a0d}\\u{10a0f}" +
    "\\u{10a38}-\\u{10a3a}\\u{10a3f}\\u{10ae5}-\\u{10ae6}\\u{10d24}-\\u{10d27}" +
    "\\u{10eab}-\\u{10eac}\\u{10f46}-\\u{10f50}\\u{10f82}-\\u{10f85}\\u{11046}\\u{11070}" +
    "\\u{1107f}\\u{110b9}-\\u{110ba}\\u{11100}-\\u{11102}\\u{11133}-\\u{11134}\\u{11173}" +
    "\\u{111c0}\\u{111ca}\\u{11235}-\\u{11236}\\u{112e9}-\\u{112ea}\\u{1133b}-\\u{1133c}" +
    "\\u{1134d}\\u{11366}-\\u{1136c}\\u{11370}-\\u{11374}\\u{11442}\\u{11446}\\u{1145e}" +
    "\\u{114c2}-\\u{114c3}\\u{115bf}-\\u{115c0}\\u{1163f}\\u{116b6}-\\u{116b7}\\u{1172b}" +
    "\\u{11839}-\\u{1183a}\\u{1193d}-\\u{1193e}\\u{11943}\\u{119e0}\\u{11a34}\\u{11a47}\\u{11a99}" +
    "\\u{11c3f}\\u{11d42}\\u{11d44}-\\u{11d45}\\u{11d97}\\u{16af0}-\\u{16af4}" +
    "\\u{16b30}-\\u{16b36}\\u{16ff0}-\\u{16ff1}\\u{1bc9e}\\u{1d165}-\\u{1d169}" +
    "\\u{1d16d}-\\u{1d172}\\u{1d17b}-\\u{1d182}\\u{1d185}-\\u{1d18b}\\u{1d1aa}-\\u{1d1ad}" +
    "\\u{1d242}-\\u{1d244}\\u{1e000}-\\u{1e006}\\u{1e008}-\\u{1e018}\\u{1e01b}-\\u{1e021}" +
    "\\u{1e023}-\\u{1e024}\\u{1e026}-\\u{1e02a}\\u{1e130}-\\u{1e136}\\u{1e2ae}" +
    "\\u{1e2ec}-\\u{1e2ef}\\u{1e8d0}-\\u{1e8d6}\\u{1e944}-\\u{1e94a}" +
    "]", "gu");

  function fold(text) {
    return text.replace(/[æøœßþð]/g, function (c) { return FOLDING[c]; })
      .normalize("NFKD").replace(COMBINING, "").normalize("NFC");  /* 지 stays 지 (Hangul) */
  }

  function joined(word) {
    return word.split(SPLIT).join("");
  }

  /* ---- the index ---- */

  /* Postings are varints: base-32 digits, the last one of each number from "0"-"v", the others
     (most significant first) from "A"-"Z", "w"-"z", "-" and "_" (kb.search.offline.varints). */
  var DIGITS = (function () {
    var table = new Int8Array(128).fill(-1), terminal = "0123456789abcdefghijklmnopqrstuv";
    var continued = "ABCDEFGHIJKLMNOPQRSTUVWXYZwxyz-_";
    for (var i = 0; i < 32; i++) {
      table[terminal.charCodeAt(i)] = i;
      table[continued.charCodeAt(i)] = 32 + i;
    }
    return table;
  })();

  function decode(text) {
    var out = [], value = 0;
    for (var i = 0; i < text.length; i++) {
      var digit = DIGITS[text.charCodeAt(i)];
      if (digit >= 32) value = value * 32 + digit - 32;
      else { out.push(value * 32 + digit); value = 0; }
    }
    return out;
  }

  function countNumbers(text) {
    var n = 0;
    for (var i = 0; i < text.length; i++) if (DIGITS[text.charCodeAt(i)] < 32) n++;
    return n;
  }

  /* One language's index: columns with one entry per stem, stems sorted as JavaScript compares. */
  function Index(data, url) {
    this.lang = data.lang;
    this.url = url;
    this.docs = data.docs;
    this.stems = data.stems ? data.stems.split("\n") : [];
    this.formsText = data.forms ? data.forms.split("\n") : [];
    this.body = data.body ? data.body.split(",") : [];
    this.meta = data.meta ? data.meta.split(",") : [];
    this.k1 = data.k1;
    this.b = data.b;
    this.metaScale = data.meta_scale;  /* meta postings hold field scores times this */
    this.avgdl = data.avgdl || 1;
    this.suffix = data.suffix;  /* the compound field's tails: min_tail, min_word, max_word */
    this.limits = data.query;  /* the server's query limits, by name (kb.search.offline.query_limits) */
    /* A doc is an array (compact); data.doc_fields names its positions: D.slug, D.title, ... */
    var D = this.D = Object.create(null);
    data.doc_fields.forEach(function (name, position) { D[name] = position; });
    this.irregular = data.irregular;
    this.stop = Object.create(null);
    var stop = data.stop ? data.stop.split(" ") : [];
    for (var i = 0; i < stop.length; i++) this.stop[stop[i]] = true;
    this.scoredCache = Object.create(null);
    this.synonyms = data.synonyms || {};
    this.variants = data.variants || {};
    this.titleCache = Object.create(null);
    this.formsCache = Object.create(null);
    this.dfCache = Object.create(null);
    this.allSurfaces = null;
    this.foldedStems = null;
  }

  Index.prototype.lowerBound = function (text) {
    var lo = 0, hi = this.stems.length;
    while (lo < hi) {
      var mid = (lo + hi) >>> 1;
      if (this.stems[mid] < text) lo = mid + 1; else hi = mid;
    }
    return lo;
  };

  Index.prototype.find = function (stem) {
    var at = this.lowerBound(stem);
    return at < this.stems.length && this.stems[at] === stem ? at : -1;
  };

  /* The suffixes that make the stem's words ("" for the stem itself); none if all are irregular. */
  Index.prototype.forms = function (term) {
    var found = this.formsCache[term];
    if (found === undefined) {
      var raw = this.formsText[term];
      found = raw === "~" ? [] : raw.split(" ");
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

  /* Articles with the term (an upper bound when it is in both the body and the headings). */
  Index.prototype.df = function (term) {
    var found = this.dfCache[term];
    if (found === undefined) {
      found = countNumbers(this.body[term]) + countNumbers(this.meta[term]);
      this.dfCache[term] = found;
    }
    return found;
  };

  /* The terms with a surface form starting with ``prefix``, the most frequent first. */
  Index.prototype.prefixed = function (prefix, limit) {
    var found = [];
    for (var at = this.lowerBound(prefix); at < this.stems.length; at++) {
      if (this.stems[at].lastIndexOf(prefix, 0) !== 0) break;
      if (this.forms(at).length) found.push(at);
    }
    for (var n = 1; n < prefix.length; n++) {
      var term = this.find(prefix.slice(0, n));
      if (term < 0) continue;
      var forms = this.forms(term);
      for (var i = 0; i < forms.length; i++) {
        if ((this.stems[term] + forms[i]).lastIndexOf(prefix, 0) === 0) { found.push(term); break; }
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
    var found = [], shortest = this.suffix.min_word, longest = this.suffix.max_word;
    if (tail.length < this.suffix.min_tail) return found;
    for (var i = 0; i < this.stems.length; i++) {
      var stem = this.stems[i];
      if (stem.length >= shortest && stem.length <= longest && stem.length > tail.length &&
          stem.indexOf(tail, stem.length - tail.length) !== -1) found.push(i);
    }
    return found;
  };

  /* Stems with accents by their folded form (built on first use: kb.search.words.fold per stem). */
  Index.prototype.folded = function () {
    if (this.foldedStems) return this.foldedStems;
    var map = Object.create(null);
    for (var i = 0; i < this.stems.length; i++) {
      var stem = this.stems[i];
      if (!/[^\x00-\x7f]/.test(stem)) continue;
      var key = fold(stem);
      if (key !== stem) (map[key] = map[key] || []).push(i);
    }
    this.foldedStems = map;
    return map;
  };

  /* The terms whose stem folds to ``key`` (the server's folded field holds folded stems). */
  Index.prototype.foldedStem = function (key) {
    return this.folded()[key] || [];
  };

  /* The terms one of whose words folds to ``word`` (soppelpost: søppelpost). */
  Index.prototype.foldedTerms = function (word) {
    var map = this.folded(), found = [];
    for (var n = word.length; n >= 1; n--) {
      var terms = map[word.slice(0, n)];
      if (!terms) continue;
      var rest = word.slice(n);
      for (var i = 0; i < terms.length; i++) {
        var forms = this.forms(terms[i]);
        for (var j = 0; j < forms.length; j++) {
          if (fold(forms[j]) === rest) { found.push(terms[i]); break; }
        }
        if (!rest && !forms.length) found.push(terms[i]);
      }
    }
    return found;
  };

  Index.prototype.foldedPrefixed = function (prefix) {
    var map = this.folded(), found = [];
    for (var key in map) {
      if (key.lastIndexOf(prefix, 0) === 0 || prefix.lastIndexOf(key, 0) === 0 && key.length >= 3) {
        for (var i = 0; i < map[key].length; i++) {
          var term = map[key][i], forms = this.forms(term);
          for (var j = 0; j < forms.length; j++) {
            if (fold(this.stems[term] + forms[j]).lastIndexOf(prefix, 0) === 0) { found.push(term); break; }
          }
        }
      }
    }
    return found;
  };

  Index.prototype.surfaces = function () {
    if (this.allSurfaces) return this.allSurfaces;
    var all = [];
    for (var i = 0; i < this.stems.length; i++) {
      var forms = this.forms(i);
      for (var j = 0; j < forms.length; j++) all.push([this.stems[i] + forms[j], i]);
    }
    for (var word in this.irregular) all.push([word, this.find(this.irregular[word])]);
    this.allSurfaces = all;
    return all;
  };

  /* BM25 of one term in every document that has it: body with length normalisation, plus title,
     keywords and headings (each field saturated and weighted 3, 2.8 and 1.5 by the index, as the
     server scores them; one idf for the three). */
  Index.prototype.scored = function (term) {
    var cached = this.scoredCache[term];
    if (cached) return cached;
    var body = decode(this.body[term]), meta = decode(this.meta[term]);
    var n = this.docs.length, k1 = this.k1, b = this.b;
    var idfBody = Math.log(1 + (n - body.length + 0.5) / (body.length + 0.5));
    var idfMeta = Math.log(1 + (n - meta.length + 0.5) / (meta.length + 0.5));
    var scores = Object.create(null), docs = [];
    var doc = 0, i, value, tf;
    for (i = 0; i < body.length; i++) {
      value = body[i];
      doc += Math.floor(value / 16);
      tf = value % 16;
      var norm = 1 - b + b * this.docs[doc][this.D.length] / this.avgdl;
      scores[doc] = idfBody * tf * (k1 + 1) / (tf + k1 * norm);
      docs.push(doc);
    }
    doc = 0;
    for (i = 0; i < meta.length; i++) {
      value = meta[i];
      doc += Math.floor(value / 64);
      if (scores[doc] === undefined) { scores[doc] = 0; docs.push(doc); }
      scores[doc] += idfMeta * (value % 64) / this.metaScale;  /* title, keywords, headings: BM25F by field */
    }
    cached = { docs: docs, scores: scores };
    this.scoredCache[term] = cached;
    return cached;
  };

  /* The synonyms of a typed word: by the word itself, else by its stem (as the server). */
  Index.prototype.synonymsOf = function (word, term) {
    if (Object.prototype.hasOwnProperty.call(this.synonyms, word)) return this.synonyms[word];
    var found = [];
    if (term < 0) return found;
    for (var key in this.synonyms) {
      if (this.lookup(key) === term) found = found.concat(this.synonyms[key]);
    }
    return found;
  };

  /* The terms of the articles' words a typed word is in the other English (colour: color), as the
     server's ranking.written_variants (the table holds only words the articles write). */
  Index.prototype.variantsOf = function (word) {
    if (!Object.prototype.hasOwnProperty.call(this.variants, word)) return [];
    var index = this;
    return this.variants[word].map(function (w) { return index.lookup(w); })
      .filter(function (t) { return t >= 0; });
  };

  /* The terms of a document's title (the server's title field), looked up once. */
  Index.prototype.titleTerms = function (doc) {
    var found = this.titleCache[doc];
    if (found) return found;
    found = Object.create(null);
    var tokens = String(this.docs[doc][this.D.title]).toLowerCase().match(TOKEN) || [];
    for (var i = 0; i < tokens.length; i++) {
      var term = this.lookup(joined(tokens[i]));
      if (term >= 0) found[term] = true;
    }
    this.titleCache[doc] = found;
    return found;
  };

  /* ---- queries ---- */

  function unique(values) {
    var seen = Object.create(null), out = [];
    for (var i = 0; i < values.length; i++) {
      if (!seen[values[i]]) { seen[values[i]] = true; out.push(values[i]); }
    }
    return out;
  }

  var CHUNK = /(-)?(?:([A-Za-z]+):)?(?:"([^"]*)"?|([^\s"]+))/g;
  var FILTERS = ["category", "author", "tag", "after", "before", "date"];
  var TRANSLITERATION = { "æ": "ae", "ø": "o", "å": "a", "ä": "a", "ö": "o", "ü": "u", "é": "e", "ß": "ss",
    "œ": "oe", "đ": "d", "ð": "d", "þ": "th", "ł": "l", "ı": "i", "ς": "σ" };
  var LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
  var MARK = /\p{M}/u;
  var SPACE = /\p{Z}/u;

  /* kb.model.slugify: Latin letters to ASCII, letters and digits of other scripts kept, lowercase,
     words joined by "-", other symbols left out. Keep the two equal. */
  function slugify(text) {
    var lowered = text.toLowerCase().replace(/[æøåäöüéßœđðþłıς]/g, function (c) { return TRANSLITERATION[c]; });
    var chars = Array.from(lowered.normalize("NFKD").toLowerCase());
    var out = [];
    var latin = false;
    for (var i = 0; i < chars.length; i++) {
      var c = chars[i];
      if (c.charCodeAt(0) < 128) {
        latin = /[a-z0-9]/.test(c);
        out.push(latin ? c : "-");
      } else if (MARK.test(c)) {
        if (!latin && out.length && out[out.length - 1] !== "-") out.push(c);
      } else if (LETTER_OR_DIGIT.test(c)) {
        latin = false;
        out.push(c);
      } else if (SPACE.test(c)) {
        out.push("-");
      }
    }
    return out.join("").normalize("NFC").replace(/-+/g, "-").replace(/^-+|-+$/g, "");
  }

  /* A reader's query as kb.search.query reads it: words (a trailing * makes a prefix), "quoted words",
     -exclusions, OR, and the tag: and category: filters (the other filters are ignored offline). */
  function parseQuery(text, asYouType, limits) {
    var parsed = { words: [], excluded: [], tags: [], categories: [], any: false };
    var chunks = [], match, negate = false;
    /* soft hyphens and zero-width characters removed, as the server's strip_invisible() */
    text = text.replace(/[\u00ad\u200b\u200c\u200d\u2060\ufeff]/g, "").slice(0, limits.max_chars);
    CHUNK.lastIndex = 0;
    while ((match = CHUNK.exec(text)) !== null) chunks.push(match);
    chunks.forEach(function (chunk, at) {
      var field = (chunk[2] || "").toLowerCase();
      var quoted = chunk[3] !== undefined;
      var value = quoted ? chunk[3] : chunk[4] || "";
      var excluded = Boolean(chunk[1]) || negate;
      negate = false;
      if (FILTERS.indexOf(field) >= 0) {
        if (field === "tag" && slugify(value)) parsed.tags.push(slugify(value));
        if (field === "category" && slugify(value)) parsed.categories.push(slugify(value));
        return;
      }
      if (!field && !quoted) {
        if (value === "OR" || value === "||") { parsed.any = true; return; }
        if (value === "AND" || value === "&&") return;
        if (value === "NOT") { negate = true; return; }
      }
      var tokens = (field ? field + " " + value : value).match(TOKEN) || [];
      var last = at === chunks.length - 1 && !quoted;
      tokens.forEach(function (token, i) {
        var word = joined(token.toLowerCase());
        var final = i === tokens.length - 1;
        /* a prefix has two letters at least, else it is a word (query.MIN_PREFIX): 编辑地 is 编, 辑, 地 */
        var prefix = final && !quoted && (/\*$/.test(value) || (asYouType && last)) &&
          Array.from(word).length >= MIN_CHARS;
        if (excluded) parsed.excluded.push(word);
        else if (parsed.words.length < limits.max_words) parsed.words.push({ text: word, prefix: prefix });
      });
    });
    return parsed;
  }

  function addAlternative(alternatives, term, weight) {
    if (term < 0) return;
    if (!(term in alternatives) || alternatives[term] < weight) alternatives[term] = weight;
  }

  /* A word and the words one letter shorter it holds: two words are neighbours when these meet. */
  function deletions(word) {
    var found = [word];
    for (var i = 0; i < word.length; i++) found.push(word.slice(0, i) + word.slice(i + 1));
    return found;
  }

  /* Whether a word no article uses is one edit (two for long words) from one they use, accents
     aside, found as the server's spelling dictionary finds it (one deletion on either side): a typo
     is read as those words (misspelled), never guessed at as an inflection or a longer word. */
  function typo(index, word) {
    var limits = index.limits;
    if (word.length < limits.min_correctable) return false;
    var limit = word.length < limits.long_typo ? 1 : 2, key = fold(word), surfaces = index.surfaces();
    var near = Object.create(null);
    deletions(key).forEach(function (variant) { near[variant] = true; });
    for (var i = 0; i < surfaces.length; i++) {
      var candidate = fold(surfaces[i][0]);
      if (candidate === key || Math.abs(candidate.length - key.length) > 1 || candidate.length < 3 ||
          !/^\p{L}+$/u.test(surfaces[i][0])) continue;
      var meets = deletions(candidate).some(function (variant) { return near[variant]; });
      if (meets && distance(key, candidate, limit) <= limit) return true;
    }
    return false;
  }

  /* The terms of the words the articles write within one edit of ``word`` (two for long words),
     accents aside, closest first, then most frequent: at most limits.typo_candidates of them. */
  function misspelled(index, word) {
    var limits = index.limits;
    if (word.length < limits.min_correctable || !/^\p{L}+$/u.test(word)) return [];
    var limit = word.length < limits.long_typo ? 1 : 2, key = fold(word), surfaces = index.surfaces();
    var near = Object.create(null), close = [];
    deletions(key).forEach(function (variant) { near[variant] = true; });
    for (var i = 0; i < surfaces.length; i++) {
      var surface = surfaces[i][0], candidate = fold(surface);
      if (surface === word || Math.abs(candidate.length - key.length) > 1 || candidate.length < 3 ||
          !/^\p{L}+$/u.test(surface)) continue;
      if (!deletions(candidate).some(function (variant) { return near[variant]; })) continue;
      var d = distance(key, candidate, limit);
      if (d <= limit) close.push([d, -index.df(surfaces[i][1]), surface, surfaces[i][1]]);
    }
    close.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : 1); });
    return close.slice(0, limits.typo_candidates).map(function (c) { return c[3]; });
  }

  /* A Nordic compound as two words the articles use (varetelling: vare + telling; a linking s or e
     dropped), the split whose parts are most frequent: [left term, right term, smaller df]. */
  function splitCompound(index, word) {
    var min = index.limits.min_part, best = null, bestValue = -1;
    for (var at = min; at <= word.length - min; at++) {
      var right = index.lookup(word.slice(at));
      if (right < 0) continue;
      var lefts = [word.slice(0, at)];
      if ("se".indexOf(word.charAt(at - 1)) >= 0 && at - 1 >= min) lefts.push(word.slice(0, at - 1));
      for (var i = 0; i < lefts.length; i++) {
        var left = index.lookup(lefts[i]);
        if (left < 0) continue;
        var dfLeft = index.df(left), dfRight = index.df(right);
        var value = Math.sqrt(dfLeft * dfRight) * (lefts[i].length + word.length - at);
        if (value > bestValue) { bestValue = value; best = [left, right, Math.min(dfLeft, dfRight)]; }
      }
    }
    return best;
  }

  /* The longest word of the articles an unknown compound ends with, after a first part of at least
     min_part letters (sykefravær: fravær); -1 when there is none. */
  function compoundHead(index, word) {
    var limits = index.limits;
    for (var at = limits.min_part; at <= word.length - limits.min_head; at++) {
      var term = index.lookup(word.slice(at));
      if (term >= 0) return term;
    }
    return -1;
  }

  /* The terms a query word matches, with weights; null for a stop word (it is ignored). A Nordic
     compound's two parts, both required, hang on the result as ``parts`` (kb.search.ranking). */
  function expand(index, word) {
    var text = word.text, limits = index.limits;
    var term = index.lookup(text), written = term !== -1;
    /* a whole word no article writes, but whose stem they use, is known (as on the server) */
    if (term === -1 && !word.prefix) term = index.find(text);
    var alternatives = Object.create(null);
    if (term === STOP && !word.prefix) return null;
    var i, found, split = null;
    /* the same word in the other English (colour typed, color written): the word itself, no typo */
    var spelled = word.prefix ? [] : index.variantsOf(text);
    if (spelled.length) written = true;
    var unknown = term === -1 && !spelled.length && index.lookup(fold(text)) < 0 &&
      !index.foldedTerms(fold(text)).length;
    var rare = term >= 0 && index.df(term) <= limits.rare_compound;
    if (limits.decompound && !word.prefix && text.length >= 2 * limits.min_part && (unknown || rare)) {
      split = splitCompound(index, text);
      if (split) Object.defineProperty(alternatives, "parts", { value: split, enumerable: false });
    }
    if (term >= 0) {
      addAlternative(alternatives, term, 1);
      /* the word typed is also the stem of the articles' words that stem to it (bruker, user, stems
         as bruk, use; brukere and brukeren as bruker), as on the server (ranking.word_plan) */
      var own = index.find(text);
      if (own >= 0 && own !== term) addAlternative(alternatives, own, 1);
      var stem = index.stems[term];
      found = index.foldedTerms(fold(text)).concat(index.foldedStem(fold(stem)));
      for (i = 0; i < found.length; i++) addAlternative(alternatives, found[i], W_FOLDED);
      found = index.suffixed(stem);
      for (i = 0; i < found.length; i++) addAlternative(alternatives, found[i], W_COMPOUND);
    } else if (term === -1 && !spelled.length) {
      /* Not in the articles: accents left out, an inflection of a known stem, a longer compound. */
      var base = fold(text);
      if (base !== text) addAlternative(alternatives, index.lookup(base), 1);  /* café typed, cafe written */
      found = index.foldedTerms(base).concat(index.foldedStem(base));
      for (i = 0; i < found.length; i++) addAlternative(alternatives, found[i], W_GUESS);
      if (text.length >= limits.min_guess && (word.prefix || !typo(index, text))) {
        var shortest = Math.max(limits.min_guess, text.length - limits.guess_trim);
        if (split) shortest = Math.max(shortest, Math.ceil(limits.compound_inflection * text.length));
        for (var n = text.length - 1; n >= shortest; n--) {
          var head = text.slice(0, n), shorter = index.lookup(head);
          if (shorter < 0) shorter = index.find(head);
          if (shorter >= 0) { addAlternative(alternatives, shorter, W_GUESS); break; }
        }
        found = index.prefixed(text, index.limits.max_expansion);
        for (i = 0; i < found.length; i++) {
          var close = index.stems[found[i]].length - text.length <= limits.close_longer;
          addAlternative(alternatives, found[i], close ? W_GUESS : W_LOOSE);
        }
        found = index.foldedPrefixed(base);
        for (i = 0; i < found.length; i++) addAlternative(alternatives, found[i], W_LOOSE);
        /* an unknown compound whose first part no article uses, read as its last part (sykefravær:
           fravær), as the server's ranking.compound_head */
        if (limits.decompound && unknown && !split && !word.prefix) {
          var last = compoundHead(index, text);
          if (last >= 0) addAlternative(alternatives, last, W_GUESS);
        }
      }
      found = index.suffixed(text);
      for (i = 0; i < found.length; i++) addAlternative(alternatives, found[i], W_COMPOUND);
    }
    for (i = 0; i < spelled.length; i++) addAlternative(alternatives, spelled[i], 1);
    /* a word no article writes, also read as the words they write one edit away (two for long
       words), the closest and most frequent few, as the server's ranking.misspelled */
    if (!written && !word.prefix) {
      found = misspelled(index, text);
      for (i = 0; i < found.length; i++) addAlternative(alternatives, found[i], W_GUESS);
      /* no article has it in any form: the results match a similar spelling (fallback "fuzzy") */
      if (unknown && found.length) {
        Object.defineProperty(alternatives, "misspelled", { value: true, writable: true });
      }
    }
    if (word.prefix && text.length >= MIN_CHARS) {
      found = index.prefixed(text, index.limits.max_expansion);
      for (i = 0; i < found.length; i++) addAlternative(alternatives, found[i], 1);
    }
    /* the authors' synonyms (synonyms/<lang>.yml), a little below the word typed, as the server */
    var others = index.synonymsOf(text, term);
    for (i = 0; i < others.length; i++) {
      var synonym = index.lookup(others[i]);
      if (synonym >= 0) addAlternative(alternatives, synonym, index.limits.synonym_scale);
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
    if (word.length < index.limits.min_correctable || !/^\p{L}+$/u.test(word)) return null;
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

  function inCategory(index, doc, categories) {
    var info = index.docs[doc], D = index.D;
    return !categories.length || categories.indexOf(info[D.category_slug]) >= 0 ||
      categories.indexOf(slugify(info[D.category])) >= 0;
  }

  function tagged(index, doc, tags) {
    if (!tags.length) return true;
    var tagText = index.docs[doc][index.D.tags];
    var have = tagText ? tagText.split(" ") : [];
    return tags.some(function (t) { return have.indexOf(t) >= 0; });
  }

  /* How many words an article must match, as the server's required_matches(): all of one or two;
     from three words on the rule is soft (kb.search.ranking): any word may match, and the share of
     the query's weight an article matches (each word weighted by its rarity, an idf) scales its
     score, so articles matching most of the words come first. */
  function requiredMatches(words, limits) {
    return words <= limits.all_required_up_to ? words : 1;
  }

  function importance(index, alternatives) {
    var df = alternatives.parts && !Object.keys(alternatives).length ? alternatives.parts[2] : 0;
    for (var term in alternatives) {
      if (alternatives[term] >= W_PRIMARY) df = Math.max(df, index.scored(+term).docs.length);
    }
    var n = index.docs.length;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  function run(index, parsed, plans, anyTerm, strict) {
    var n = index.docs.length, limits = index.limits;
    var scores = new Float64Array(n), counts = new Uint16Array(n), terms = Object.create(null);
    var covered = new Float64Array(n), titled = new Float64Array(n), weight = 0;
    plans.forEach(function (alternatives) {
      var primary = new Float64Array(n), secondary = new Float64Array(n), seen = [];
      var inTitle = new Uint8Array(n), imp = importance(index, alternatives);
      weight += imp;
      for (var term in alternatives) {
        terms[term] = true;
        var w = alternatives[term], scored = index.scored(+term), isPrimary = w >= W_PRIMARY;
        for (var i = 0; i < scored.docs.length; i++) {
          var doc = scored.docs[i], value = scored.scores[doc] * w;
          if (isPrimary) {
            if (value > primary[doc]) primary[doc] = value;
            if (index.titleTerms(doc)[term]) inTitle[doc] = 1;
          } else if (value > secondary[doc]) secondary[doc] = value;
          seen.push(doc);
        }
      }
      /* words typed apart, written as one; a synonym of characters (every pair of them required) */
      (alternatives.apart || []).forEach(function (apart) {
        var all = apart[0].map(function (t) { return index.scored(t); }), first = all[0];
        for (var k = 0; k < first.docs.length; k++) {
          var one = first.docs[k], sum = 0, titled = true;
          for (var m = 0; m < all.length && sum >= 0; m++) {
            var value = all[m].scores[one];
            if (value === undefined) sum = -1;
            else sum += value;
            titled = titled && Boolean(index.titleTerms(one)[apart[0][m]]);
          }
          if (sum < 0) continue;
          if (sum * apart[1] > primary[one]) primary[one] = sum * apart[1];
          if (titled) inTitle[one] = 1;
          seen.push(one);
        }
        apart[0].forEach(function (t) { terms[t] = true; });
      });
      var parts = alternatives.parts;
      if (parts) {  /* a compound's two parts: both in the article, their scores summed, a little lower */
        var left = index.scored(parts[0]), right = index.scored(parts[1]);
        for (var j = 0; j < left.docs.length; j++) {
          var both = left.docs[j], other = right.scores[both];
          if (other === undefined) continue;
          var summed = (left.scores[both] + other) * limits.decompound_scale;
          if (summed > primary[both]) primary[both] = summed;
          if (index.titleTerms(both)[parts[0]] && index.titleTerms(both)[parts[1]]) inTitle[both] = 1;
          terms[parts[0]] = terms[parts[1]] = true;
          seen.push(both);
        }
      }
      seen.forEach(function (doc) {
        if (primary[doc] < 0) return;  /* counted already */
        var matched = primary[doc] > 0 ? 1 : secondary[doc] > 0 ? SECONDARY : 0;
        if (!matched) return;
        scores[doc] += primary[doc] > 0 ? primary[doc] : secondary[doc] * SECONDARY;
        counts[doc] += 1;
        covered[doc] += matched * imp;
        if (inTitle[doc]) titled[doc] += imp;
        primary[doc] = -1;
      });
    });
    var excluded = new Uint8Array(n);
    parsed.excluded.forEach(function (word) {
      var term = index.lookup(word);
      if (term >= 0) index.scored(term).docs.forEach(function (doc) { excluded[doc] = 1; });
    });
    var hits = [], complete = 0;
    var needed = anyTerm ? 1 : strict ? plans.length : requiredMatches(plans.length, limits);
    var soft = !anyTerm && !strict && plans.length > limits.all_required_up_to;
    weight = weight || 1;
    for (var doc = 0; doc < n; doc++) {
      if (excluded[doc] || (plans.length && (counts[doc] < needed || !counts[doc]))) continue;
      var coverage = covered[doc] / weight, title = titled[doc] / weight;
      if (soft && coverage < limits.min_coverage) continue;
      if (counts[doc] === plans.length) complete++;
      var long = plans.length > limits.long_query;  /* a whole question: coordinated more strictly */
      var floor = long ? limits.long_floor : limits.coordination_floor;
      var power = long ? limits.long_power : limits.coordination_power;
      var factor = Math.pow(floor + (1 - floor) * coverage, power) *
        (1 + limits.title_factor * Math.pow(title, limits.title_shape));
      hits.push({ doc: doc, score: plans.length ? scores[doc] * factor : 0 });
    }
    hits.sort(function (a, b) {
      return b.score - a.score || index.docs[b.doc][index.D.day] - index.docs[a.doc][index.D.day] || a.doc - b.doc;
    });
    return { hits: hits, terms: terms, complete: complete };
  }

  /* "e post" typed apart is the one word "epost" when the articles use it so (as the server). */
  function joinLetters(index, words) {
    var out = [];
    for (var i = 0; i < words.length; i++) {
      var next = words[i + 1];
      if (words[i].text.length === 1 && !isSingle(words[i].text) && next &&
          index.lookup(words[i].text + next.text) >= 0) {
        out.push({ text: words[i].text + next.text, prefix: next.prefix });
        i++;
      } else out.push(words[i]);
    }
    return out;
  }

  /* Two words typed apart that the articles write as one (user name: username; kunde faktura:
     kundefaktura; in nb/nn/sv/da with a linking s or e too: lønn slipp, lønnsslipp): its term, or
     -1, as the server's ranking.written_together. */
  function writtenTogether(index, first, second) {
    var a = joined(first.text), b = joined(second.text);
    if (first.prefix || second.prefix) return -1;
    if (isSingle(a) && isSingle(b)) return index.lookup(a + b);  /* 编, 辑: 编辑, written side by side */
    if (a.length < 2 || b.length < 2 || !/^\p{L}+$/u.test(a + b)) return -1;
    var links = index.limits.decompound ? ["", "s", "e"] : [""];
    for (var i = 0; i < links.length; i++) {
      var term = index.lookup(a + links[i] + b);
      if (term >= 0) return term;
    }
    return -1;
  }

  /* Each such pair also matches the one word, in both words' plans at half weight each (an
     ignored word has none: then at full weight), never a typo then; an ignored word only second,
     and in English only (log in; up date is no update, lønn som no lønnsom): ranking.join_apart.
     Two Chinese, Japanese or Korean characters are such a pair (their synonyms: runSynonyms). */
  function joinApart(index, words, typed) {
    for (var at = 0; at + 1 < words.length; at++) {
      if (typed[at] === null || (typed[at + 1] === null && index.limits.decompound)) continue;
      var term = writtenTogether(index, words[at], words[at + 1]);
      if (term < 0) continue;
      var pair = [typed[at], typed[at + 1]].filter(function (p) { return p !== null; });
      pair.forEach(function (alternatives) {
        if (!alternatives.apart) Object.defineProperty(alternatives, "apart", { value: [] });
        alternatives.apart.push([[term], 1 / pair.length]);
        if (alternatives.misspelled) alternatives.misspelled = false;
      });
    }
  }

  /* Two or more Chinese, Japanese or Korean characters (a synonym's word). */
  function isRun(word) {
    var chars = Array.from(word);
    return chars.length > 1 && chars.every(isSingle);
  }

  /* The terms of characters side by side (each two, all required), or null where one is unknown. */
  function runTerms(index, run) {
    var chars = Array.from(run), terms = [];
    for (var i = 0; i + 1 < chars.length; i++) {
      var term = index.lookup(chars[i] + chars[i + 1]);
      if (term < 0) return null;
      terms.push(term);
    }
    return terms;
  }

  /* The synonyms of a Chinese, Japanese or Korean word typed as its characters (编辑: 修改), split
     between those characters' plans, as the server's ranking.run_synonyms. */
  function runSynonyms(index, words, typed) {
    for (var at = 0; at < words.length; at++) {  /* each run of characters in the query, looked up */
      for (var end = at + 1; end < words.length && isSingle(words[at].text) && isSingle(words[end].text) &&
           !words[end].prefix && !words[at].prefix; end++) {
        var key = words.slice(at, end + 1).map(function (w) { return w.text; }).join("");
        var covered = typed.slice(at, end + 1).filter(function (p) { return p !== null; });
        if (!covered.length || !Object.prototype.hasOwnProperty.call(index.synonyms, key)) continue;
        index.synonyms[key].forEach(function (synonym) {
          var terms = isRun(synonym) ? runTerms(index, synonym) : [index.lookup(synonym)];
          if (!terms || terms[0] < 0) return;
          covered.forEach(function (alternatives) {
            if (!alternatives.apart) Object.defineProperty(alternatives, "apart", { value: [] });
            alternatives.apart.push([terms, index.limits.synonym_scale / covered.length]);
            if (alternatives.misspelled) alternatives.misspelled = false;
          });
        });
      }
    }
  }

  /* Search one language's index: words required as requiredMatches() says, else any word,
     else similar spellings; facets, the tag: and category: filters and the page's category. */
  function search(index, text, options) {
    options = options || {};
    var parsed = parseQuery(text, options.asYouType, index.limits);
    parsed.words = joinLetters(index, parsed.words);
    var filters = parsed.tags.length || parsed.categories.length;
    var typed = parsed.words.map(function (word) { return expand(index, word); });
    joinApart(index, parsed.words, typed);
    runSynonyms(index, parsed.words, typed);
    var plans = typed.filter(function (alternatives) { return alternatives !== null; });
    var result = { hits: [], terms: {}, fallback: null, words: parsed.words };
    if (!plans.length && !filters) return result;
    var strict = Boolean(options.asYouType);
    var found = run(index, parsed, plans, parsed.any, strict);
    if (!found.hits.length && plans.length > 1 && !parsed.any) {
      found = run(index, parsed, plans, true, strict);
    }
    if (found.hits.length && !found.complete && plans.length > 1 && !parsed.any) result.fallback = "any-term";
    if (found.hits.length && !result.fallback && plans.some(function (p) { return p.misspelled; })) {
      result.fallback = "fuzzy";
    }
    if (!found.hits.length && plans.length) {
      var fixed = parsed.words.map(function (word) {
        var term = index.lookup(word.text);
        var better = term === -1 && !index.variantsOf(word.text).length ? correct(index, word.text) : null;
        return { text: better || word.text, prefix: word.prefix };
      });
      var corrected = fixed.map(function (word) { return expand(index, word); });
      joinApart(index, fixed, corrected);
      runSynonyms(index, fixed, corrected);
      corrected = corrected.filter(function (alternatives) { return alternatives !== null; });
      found = run(index, parsed, corrected, true, false);
      if (found.hits.length) result.fallback = "fuzzy";
    }
    /* Facets count the results without their category filter, as on the server. */
    var all = found.hits.filter(function (hit) { return tagged(index, hit.doc, parsed.tags); });
    var facets = Object.create(null);
    all.forEach(function (hit) {
      var slug = index.docs[hit.doc][index.D.category_slug];
      facets[slug] = facets[slug] || { name: index.docs[hit.doc][index.D.category], slug: slug, count: 0 };
      facets[slug].count += 1;
    });
    result.facets = Object.keys(facets).map(function (k) { return facets[k]; })
      .sort(function (a, b) { return b.count - a.count || (a.name < b.name ? -1 : 1); });
    var categories = parsed.categories.concat(options.category ? [options.category] : []);
    result.hits = all.filter(function (hit) { return inCategory(index, hit.doc, categories); });
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
    var spans = [], first = -1, match, before = -1, beforeEnd = -1;
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(text)) !== null) {
      var from = match.index, to = from + match[0].length;
      /* two characters side by side matched as one word (编辑 through its synonym 修改) */
      var paired = before >= 0 && beforeEnd === from && isSingle(match[0]) &&
        isMatch(index, terms, text.slice(before, to));
      if (paired || isMatch(index, terms, match[0])) {
        if (paired) from = before;
        var last = spans[spans.length - 1];
        if (last && last[1] >= from) last[1] = to;  /* 编辑: one mark */
        else spans.push([from, to]);
        if (first < 0) first = from;
      }
      before = isSingle(match[0]) ? match.index : -1;
      beforeEnd = match.index + match[0].length;
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
    return new URL("../articles/" + encodeURIComponent(index.docs[doc][index.D.slug]) + "/index.html", index.url).href;
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
      link.textContent = info[index.D.title];
      heading.appendChild(link);
      var text = document.createElement("p");
      text.className = "snippet";
      text.appendChild(snippet(index, result.terms, texts[hit.doc] || ""));
      var meta = document.createElement("p");
      meta.className = "meta";
      meta.textContent = info[index.D.category] + " · " + info[index.D.author];
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

  /* ---- search-as-you-type: search.js's combobox (window.KBCombobox), fed by the offline index ---- */

  function offlineSource(input) {
    var source = input.getAttribute("data-index");
    var lang = input.getAttribute("data-lang");
    var suggest = function (query, done) {
      loadIndex(source, lang, function (index) {
        if (!index) return;
        var found = timed(index, query, { asYouType: !/\s$/.test(query) });
        done(found.hits.slice(0, SUGGESTIONS).map(function (hit) {
          var info = index.docs[hit.doc];
          return { title: info[index.D.title], category: info[index.D.category], url: articleUrl(index, hit.doc) };
        }));
      });
    };
    var warm = function () { loadIndex(source, lang, function () {}); };
    return { suggest: suggest, warm: warm };
  }

  /* ---- the root page: the reader's language, as the server's Accept-Language choice ---- */

  /* kb.i18n's table: any Norwegian reader gets the other standard before any other language. */
  var NORWEGIAN = ["nb", "nn", "no"];
  var ALIASES = { no: "nb" };

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
      var source = offlineSource(inputs[i]);
      if (window.KBCombobox) window.KBCombobox.enhance(inputs[i], source.suggest, source.warm);
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
      return result.hits.map(function (hit) { return index.docs[hit.doc][index.D.slug]; });
    },
    fold: fold,
    lookup: function (lang, word) {
      var index = indexes[lang];
      var term = index ? index.lookup(word) : -1;
      return term >= 0 ? index.stems[term] : null;
    },
    timings: timings
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
