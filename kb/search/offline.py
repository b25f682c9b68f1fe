"""The offline search index: the server's own stems and field weights, shipped as classic scripts.

A browser cannot run the server's Snowball stemmers, so each language's index carries the whole
vocabulary of surface forms (every lowercased word of the articles, hyphenated words joined too)
grouped under the stem the server's analyzer gives it. The browser stems a word by looking it up,
which is exactly the server's stem for every word the articles contain, and falls back to prefix,
suffix (compound) and accent-folded matching for words they do not contain. Postings carry the
body term frequency and the weighted title, keyword and heading frequency, so the browser ranks
with BM25 and the server's field weights. Snippet text ships in a second file that only the search
page loads. Both files set a global from ``JSON.parse("…")`` (faster to load than a literal).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kb.content.files import atomic_write_bytes, checked_pickle, unpickle_checked, write_new_file
from kb.model import Article, slugify
from kb.search.analysis import (
    ANALYSIS_VERSION,
    MAX_SUFFIX_WORD,
    MIN_SUFFIX,
    MIN_SUFFIX_WORD,
    stem_analyzer,
    stopwords,
)
from kb.search.indexing import WEIGHTS, article_document
from kb.search.query import ALL_REQUIRED_UP_TO, MAX_QUERY_CHARS, MAX_WORDS
from kb.search.ranking import (
    CLOSE_LONGER,
    COMPOUND_INFLECTION,
    COORDINATION_FLOOR,
    COORDINATION_POWER,
    DECOMPOUND_LANGUAGES,
    DECOMPOUND_SCALE,
    GUESS_TRIM,
    LONG_FLOOR,
    LONG_POWER,
    LONG_QUERY,
    LONG_TYPO,
    MIN_CORRECTABLE,
    MIN_COVERAGE,
    MIN_GUESS,
    MIN_HEAD,
    MIN_PART,
    RARE_COMPOUND,
    SYNONYM_SCALE,
    TITLE_FACTOR,
    TITLE_SHAPE,
    TYPO_CANDIDATES,
)
from kb.search.scoring import K1, B
from kb.search.service import MAX_EXPANSION
from kb.search.variants import variant_table
from kb.search.words import COMPOUNDING, pieces, stemmed_pieces, word_counts

FORMAT = 6  # 3: named keys (doc_fields, suffix, query limits by name); 4: soft coordination, synonyms;
# 5: the limits of unknown-word guesses and Nordic compound splitting; meta postings hold field scores;
# 6: English spelling variants (colour: color)
# The positions of a doc's values: offline.js reads them by these names (index.D.slug, …).
DOC_FIELDS = ("slug", "title", "category", "category_slug", "author", "day", "tags", "length")
_LINE_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029"})
MAX_BODY_TF = 15  # BM25 has saturated long before; four bits keep the postings short
MAX_META = 63
META_SCALE = 3  # a meta posting holds its field score times this (six bits: scores up to 21)
TEXT_CHARS = 1200  # snippet text per article: the opening of the body, where most matches are


class Stemmer:
    """The server's stem of one surface word (None for a stop word), memoised per language."""

    def __init__(self, lang: str, known: dict[str, str | None] | None = None) -> None:
        self.analyzer = stem_analyzer(lang)
        self.parts = lang in COMPOUNDING
        self.cache: dict[str, str | None] = dict(known or {})
        self.token_cache: dict[str, tuple[str, ...]] = {}

    def __call__(self, word: str) -> str | None:
        try:
            return self.cache[word]
        except KeyError:
            stem = next((str(t.text) for t in self.analyzer(word, mode="query")), None)
            self.cache[word] = stem
            return stem

    def terms(self, token: str) -> tuple[str, ...]:
        """What the stemmed fields index for one lowercased token: its stem, a hyphenated word
        joined (``e-post`` is ``epost``, never ``post``) and with its parts when they are words
        (``kb.search.words.stemmed_pieces``), nothing for a stop word."""
        try:
            return self.token_cache[token]
        except KeyError:
            found = tuple(stem for stem in map(self, stemmed_pieces(token, self.parts)) if stem is not None)
            self.token_cache[token] = found
            return found


@dataclass(frozen=True)
class IndexSize:
    """Bytes of one language's offline search index (and its snippet text), raw and gzipped."""

    lang: str
    articles: int
    raw: int
    gzipped: int
    text_raw: int
    text_gzipped: int


@dataclass(frozen=True)
class OfflineIndex:
    """One language's offline index as the two scripts the pages load."""

    lang: str
    index_js: str
    text_js: str
    articles: int


def js_global(name: str, value: object) -> str:
    """A classic script that sets ``window[name]`` to ``value`` through ``JSON.parse`` of a string."""
    data = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    literal = json.dumps(data, ensure_ascii=False)
    if "\u2028" in literal or "\u2029" in literal:  # str.translate takes 20 ms a megabyte
        literal = literal.translate(_LINE_BREAKS)
    return f"window[{json.dumps(name)}]=JSON.parse({literal});\n"


def js_sort_key(text: str) -> bytes:
    """JavaScript compares strings by UTF-16 code units; sort the same way for its binary search."""
    return text.encode("utf-16-be")


TERMINAL = "0123456789abcdefghijklmnopqrstuv"  # a number's last base-32 digit
CONTINUED = "ABCDEFGHIJKLMNOPQRSTUVWXYZwxyz-_"  # its other digits, most significant first
NO_FORMS = "~"  # a stem none of whose words starts with it (all in "irregular")


def _varint(number: int) -> str:
    digits = [TERMINAL[number & 31]]
    number >>= 5
    while number:
        digits.append(CONTINUED[number & 31])
        number >>= 5
    return "".join(reversed(digits))


_SMALL_VARINTS = [_varint(number) for number in range(4096)]  # most gaps are small: looked up


def varints(numbers: Iterable[int]) -> str:
    """Numbers as base-32 digits in JSON-safe letters; the last digit of each is from another set."""
    small = _SMALL_VARINTS
    return "".join(small[n] if n < 4096 else _varint(n) for n in numbers)


def _postings(entries: list[tuple[int, int]], bits: int) -> str:
    """Doc ids as gaps, each packed with a small value (``gap << bits | value``), as varints: a
    string parses far faster in the browser than an array of numbers, and is decoded only when
    a query needs that term."""
    packed, last = [], 0
    for doc, value in entries:
        packed.append((doc - last) << bits | value)
        last = doc
    return varints(packed)


# One article's words, body term counts and weighted title/keyword/heading terms.
META_FIELDS = ("title", "keywords", "headings")
# An article's surface words, body term counts, per-term counts in each META_FIELDS field, and the
# length of each of those fields (in terms).
ArticleTerms = tuple[frozenset[str], dict[str, int], dict[str, tuple[int, int, int]], tuple[int, int, int]]
TERMS_VERSION = 2  # change with article_terms or the stemming (ANALYSIS_VERSION is part of the key)


@dataclass
class TermCache:
    """What an export keeps of one language's analysis for the next (``offline-<lang>.pickle``):
    each article's terms by ``terms_key``, and the stem of each word they use."""

    articles: dict[str, ArticleTerms] = field(default_factory=dict)
    stems: dict[str, str | None] = field(default_factory=dict)
    version: tuple[int, int] = (ANALYSIS_VERSION, TERMS_VERSION)  # what the stems were made with


def article_terms(article: Article, stem: Stemmer) -> ArticleTerms:
    """What the offline index takes from one article (the server's fields, analysed as the server does)."""
    fields = article_document(article)
    words: set[str] = set()
    counts: dict[str, int] = {}
    for token, n in word_counts(str(fields["body"])).items():
        words.add(token)
        for term in stem.terms(token):
            counts[term] = counts.get(term, 0) + n
    meta: dict[str, list[int]] = {}
    lengths = [0, 0, 0]
    for position, name in enumerate(META_FIELDS):
        for token, n in word_counts(str(fields[name])).items():
            words.add(token)
            for term in stem.terms(token):
                meta.setdefault(term, [0, 0, 0])[position] += n
                lengths[position] += n
    per_field = {term: (tf[0], tf[1], tf[2]) for term, tf in meta.items()}
    return frozenset(words), counts, per_field, (lengths[0], lengths[1], lengths[2])


def terms_key(article: Article) -> str:
    """Everything ``article_terms`` reads, hashed: the language, the texts and the analysis versions."""
    parts = [
        str(ANALYSIS_VERSION), str(TERMS_VERSION), article.lang, article.title, article.headings_text,
        article.text, "\x1f".join(article.keywords), "\x1f".join(article.tags), article.summary,
        "\x1f".join(segment.text for segment in article.segments),
    ]  # fmt: skip
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


TERMS_FORMAT = b"KBT2"


def read_term_cache(path: Path) -> TermCache:
    """The cache of article terms at ``path``: empty when missing, damaged or foreign."""
    try:
        found = unpickle_checked(path.read_bytes(), TERMS_FORMAT)
    except OSError:
        return TermCache()
    if not isinstance(found, TermCache) or found.version != TermCache().version:
        return TermCache()
    return found


def write_term_cache(path: Path, cache: TermCache) -> None:
    """Keep ``cache`` at ``path`` (temporary file and rename); a folder that refuses only costs time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, checked_pickle(cache, TERMS_FORMAT))
    except OSError:
        pass


def opening(text: str) -> str:
    """``" ".join(text.split())[:TEXT_CHARS]``: the snippet text, reading no more of ``text`` than
    that needs (splitting every whole article was a tenth of an export after one change)."""
    size = 2 * TEXT_CHARS
    while True:
        joined = " ".join(text[:size].split())
        if size >= len(text) or joined.rfind(" ") >= TEXT_CHARS:  # its last word, maybe cut, not used
            return joined[:TEXT_CHARS]
        size *= 2


@dataclass
class _Collected:
    """What one pass over a language's articles gathers."""

    docs: list[list[object]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    body: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    meta: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    words: set[str] = field(default_factory=set)
    lengths: int = 0
    fields: dict[str, list[tuple[int, tuple[int, int, int]]]] = field(default_factory=dict)
    field_lengths: list[tuple[int, int, int]] = field(default_factory=list)

    def add(self, article: Article, terms: ArticleTerms) -> None:
        number = len(self.docs)
        words, counts, per_field, field_lengths = terms
        self.words.update(words)
        body, fields = self.body, self.fields  # the hot loops of an export after one change
        for term, tf in counts.items():
            entry = (number, tf if tf < MAX_BODY_TF else MAX_BODY_TF)
            if term in body:
                body[term].append(entry)
            else:
                body[term] = [entry]
        for term, tfs in per_field.items():
            if term in fields:
                fields[term].append((number, tfs))
            else:
                fields[term] = [(number, tfs)]
        self.field_lengths.append(field_lengths)
        length = sum(counts.values())
        self.lengths += length
        changed = article.last_changed
        tags = " ".join(slugify(t) for t in article.tags)
        day = changed.year * 10000 + changed.month * 100 + changed.day
        category = article.category
        values = {"slug": article.slug, "title": article.title, "category": category.name,
                  "category_slug": category.slug, "author": article.author, "day": day, "tags": tags,
                  "length": length}  # fmt: skip
        self.docs.append([values[name] for name in DOC_FIELDS])
        self.texts.append(opening(article.text))

    def weigh_meta(self) -> None:
        """Each term's title, keyword and heading score, as the server's BM25F gives it per field
        (its weight, saturation and length normalisation; idf aside), summed and quantised."""
        count = len(self.field_lengths) or 1
        averages = [max(sum(lengths[i] for lengths in self.field_lengths) / count, 1.0) for i in range(3)]
        weights = [WEIGHTS[name] for name in META_FIELDS]
        norms = [[1.0 - B + B * lengths[i] / averages[i] for i in range(3)] for lengths in self.field_lengths]
        for term, postings in self.fields.items():
            scored = []
            for number, tfs in postings:
                norm = norms[number]
                value = sum(
                    weights[i] * tf * (K1 + 1.0) / (tf + K1 * norm[i]) for i, tf in enumerate(tfs) if tf
                )
                scored.append((number, min(round(META_SCALE * value), MAX_META)))
            self.meta[term] = scored

    def has(self, term: str) -> bool:
        return term in self.body or term in self.meta

    def surfaces(self) -> set[str]:
        """The exact field's vocabulary: every word, hyphenated ones joined and split."""
        return {piece for word in self.words for piece in pieces(word)}


def _vocabulary(
    surfaces: set[str], found: _Collected, stem: Stemmer, stop: set[str]
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Each stem's surface forms (of ``surfaces``) as suffixes, the forms that do not start with
    their stem, and (added to ``stop``) the words the server's analyzer drops."""
    forms: dict[str, list[str]] = {}
    irregular: dict[str, str] = {}
    for word in surfaces:
        term = stem(word)
        if term is None:
            stop.add(word)
        elif not found.has(term):
            continue  # cannot happen for text the stem fields index too; never point at nothing
        elif word.startswith(term):
            forms.setdefault(term, []).append(word[len(term) :])
        else:
            irregular[word] = term
    return forms, irregular


def query_limits(lang: str) -> dict[str, float]:
    """The server's query limits and ranking rule for ``lang``, by name: characters, words, prefix
    expansion, the shortest correctable word, ``required_matches`` (all words up to this many, then
    the soft rule), the soft rule's constants, unknown-word guesses and compound splitting
    (``kb.search.ranking``)."""
    return {
        "max_chars": MAX_QUERY_CHARS,
        "max_words": MAX_WORDS,
        "max_expansion": MAX_EXPANSION,
        "min_correctable": MIN_CORRECTABLE,
        "all_required_up_to": ALL_REQUIRED_UP_TO,
        "coordination_floor": COORDINATION_FLOOR,
        "coordination_power": COORDINATION_POWER,
        "long_query": LONG_QUERY,
        "long_floor": LONG_FLOOR,
        "long_power": LONG_POWER,
        "min_coverage": MIN_COVERAGE,
        "title_factor": TITLE_FACTOR,
        "title_shape": TITLE_SHAPE,
        "synonym_scale": SYNONYM_SCALE,
        # words no article writes: read as the words one edit away (ranking.misspelled); a typo
        # is not guessed at further, the rest is (ranking.guess)
        "long_typo": LONG_TYPO,
        "typo_candidates": TYPO_CANDIDATES,
        "min_guess": MIN_GUESS,
        "guess_trim": GUESS_TRIM,
        "close_longer": CLOSE_LONGER,
        # Nordic compounds split into two words the articles use (ranking.split_compound)
        "decompound": int(lang in DECOMPOUND_LANGUAGES),
        "rare_compound": RARE_COMPOUND,
        "min_part": MIN_PART,
        "decompound_scale": DECOMPOUND_SCALE,
        "compound_inflection": COMPOUND_INFLECTION,
        # ... or read as its last part when its first is unknown (ranking.compound_head)
        "min_head": MIN_HEAD,
    }


def build_offline_index(
    lang: str,
    articles: Iterable[Article],
    synonyms: Mapping[str, tuple[str, ...]] | None = None,
    known: TermCache | None = None,
) -> OfflineIndex:
    """The offline index of ``articles`` (all in ``lang``), ranked by the server's field weights,
    with the language's synonyms (``kb.search.synonyms``) applied as the server applies them.
    ``known`` holds articles' terms from earlier builds; the ones used now are put back in it."""
    # Stemming each word of the vocabulary again was a third of an export after one changed article.
    stem = Stemmer(lang, known.stems if known else None)
    found = _Collected()
    used: dict[str, ArticleTerms] = {}
    for article in sorted(articles, key=lambda a: a.slug):
        key = terms_key(article)
        used[key] = (known.articles.get(key) if known else None) or article_terms(article, stem)
        found.add(article, used[key])
    found.weigh_meta()
    stop = set(stopwords(lang))
    surfaces = found.surfaces()
    forms, irregular = _vocabulary(surfaces, found, stem, stop)
    if known is not None:  # what this build used, and only that, is kept for the next one
        known.articles = used
        known.stems = {word: stem.cache[word] for word in surfaces if word in stem.cache}
    terms = sorted(set(found.body) | set(found.meta), key=js_sort_key)
    index = {
        "format": FORMAT,
        "lang": lang,
        "k1": K1,
        "b": B,
        "meta_scale": META_SCALE,
        "suffix": {"min_tail": MIN_SUFFIX, "min_word": MIN_SUFFIX_WORD, "max_word": MAX_SUFFIX_WORD},
        "query": query_limits(lang),
        "doc_fields": DOC_FIELDS,
        "avgdl": round(found.lengths / len(found.docs), 2) if found.docs else 1,
        "docs": found.docs,
        # One entry per stem, in the same order in each column: a few long strings parse fast.
        "stems": "\n".join(terms),
        "forms": "\n".join(
            " ".join(sorted(forms[t], key=js_sort_key)) if t in forms else NO_FORMS for t in terms
        ),
        "body": ",".join(_postings(found.body.get(t, []), 4) for t in terms),
        "meta": ",".join(_postings(found.meta.get(t, []), 6) for t in terms),
        "irregular": dict(sorted(irregular.items())),
        "stop": " ".join(sorted(stop)),
        "synonyms": {word: list(others) for word, others in sorted((synonyms or {}).items())},
        # the articles' words in the other English, by the spelling typed (kb.search.variants)
        "variants": variant_table(lang, surfaces),
    }
    return OfflineIndex(
        lang=lang,
        index_js=js_global(f"KB_INDEX_{lang}", index),
        text_js=js_global(f"KB_TEXT_{lang}", found.texts),
        articles=len(found.docs),
    )


def write_offline_index(
    folder: Path,
    lang: str,
    articles: Iterable[Article],
    synonyms: Mapping[str, tuple[str, ...]] | None = None,
    cache: Path | None = None,
) -> IndexSize:
    """Write ``<lang>/search/index.js`` and ``text.js`` under ``folder``; say how big they are.

    With ``cache`` (a file in the instance folder), each article's terms are kept there, so an
    export after one changed article analyses that article only.
    """
    known = read_term_cache(cache) if cache is not None else None
    built = build_offline_index(lang, articles, synonyms, known)
    if cache is not None and known is not None:
        write_term_cache(cache, known)
    index, text = built.index_js.encode("utf-8"), built.text_js.encode("utf-8")
    target = folder / lang / "search"
    write_new_file(target / "index.js", index)
    write_new_file(target / "text.js", text)
    gzipped = len(gzip.compress(index, 6))
    return IndexSize(lang, built.articles, len(index), gzipped, len(text), len(gzip.compress(text, 6)))
