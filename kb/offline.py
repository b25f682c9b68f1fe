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

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from kb.analysis import TOKEN_PATTERN, _stopwords, fold, stem_analyzer
from kb.indexing import WEIGHTS, article_document
from kb.model import Article, slugify

FORMAT = 1
K1 = 1.2
B = 0.75
MAX_BODY_TF = 15  # BM25 has saturated long before; four bits keep the postings short
MAX_META = 63
TEXT_CHARS = 1200  # snippet text per article: the opening of the body, where most matches are
_SPLIT = re.compile(r"[-'’]")
_LINE_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029"})


def surface_words(text: str) -> Iterator[str]:
    """The exact field's tokens: lowercased words, a hyphenated word joined and then its parts.

    The same tokens as ``RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | HyphenFilter()``.
    """
    for match in TOKEN_PATTERN.finditer(text):
        word = match.group().lower()
        if "-" in word or "'" in word or "’" in word:
            parts = [p for p in _SPLIT.split(word) if p]
            yield "".join(parts)
            yield from parts
        else:
            yield word


class Stemmer:
    """The server's stem of one surface word (None for a stop word), memoised per language."""

    def __init__(self, lang: str) -> None:
        self.analyzer = stem_analyzer(lang)
        self.cache: dict[str, str | None] = {}

    def __call__(self, word: str) -> str | None:
        try:
            return self.cache[word]
        except KeyError:
            stem = next((str(t.text) for t in self.analyzer(word, mode="query")), None)
            self.cache[word] = stem
            return stem

    def stems(self, text: str) -> Iterator[str]:
        for word in surface_words(text):
            stem = self(word)
            if stem is not None:
                yield stem


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
    literal = json.dumps(data, ensure_ascii=False).translate(_LINE_BREAKS)
    return f"window[{json.dumps(name)}]=JSON.parse({literal});\n"


def js_sort_key(text: str) -> bytes:
    """JavaScript compares strings by UTF-16 code units; sort the same way for its binary search."""
    return text.encode("utf-16-be")


def _postings(entries: list[tuple[int, int]], bits: int) -> list[int]:
    """Doc ids as gaps, each packed with a small value: ``gap << bits | value``."""
    packed, last = [], 0
    for doc, value in entries:
        packed.append((doc - last) << bits | value)
        last = doc
    return packed


def build_offline_index(lang: str, articles: Iterable[Article]) -> OfflineIndex:
    """The offline index of ``articles`` (all in ``lang``), ranked by the server's field weights."""
    stem = Stemmer(lang)
    docs: list[list[object]] = []
    texts: list[str] = []
    body: dict[str, list[tuple[int, int]]] = {}
    meta: dict[str, list[tuple[int, int]]] = {}
    surfaces: set[str] = set()
    lengths = 0
    for number, article in enumerate(sorted(articles, key=lambda a: a.slug)):
        fields = article_document(article)
        counts = Counter(stem.stems(str(fields["body"])))
        weighted: Counter[str] = Counter()
        for name in ("title", "keywords", "headings"):
            for term in stem.stems(str(fields[name])):
                weighted[term] += WEIGHTS[name]
        for term, tf in counts.items():
            body.setdefault(term, []).append((number, min(tf, MAX_BODY_TF)))
        for term, weight in weighted.items():
            meta.setdefault(term, []).append((number, min(round(2 * weight), MAX_META)))
        surfaces.update(surface_words(str(fields["exact"])))
        length = sum(counts.values())
        lengths += length
        changed = article.last_changed
        docs.append(
            [
                article.slug,
                article.title,
                article.category.name,
                article.category.slug,
                article.author,
                changed.year * 10000 + changed.month * 100 + changed.day,
                " ".join(slugify(t) for t in article.tags),
                length,
            ]
        )
        texts.append(" ".join(article.text.split())[:TEXT_CHARS])
    forms: dict[str, list[str]] = {}
    irregular: dict[str, str] = {}
    stop = set(_stopwords(lang))
    for word in surfaces:
        term = stem(word)
        if term is None:
            stop.add(word)
        elif term not in body and term not in meta:
            continue  # a part of a hyphenated word that only counts joined (a stop word elsewhere)
        elif word.startswith(term):
            forms.setdefault(term, []).append(word[len(term) :])
        else:
            irregular[word] = term
    terms = sorted(set(body) | set(meta), key=js_sort_key)
    folded: dict[str, set[str]] = {}
    for word in [*terms, *surfaces]:
        base = fold(word)
        term = word if word in body or word in meta else stem(word)
        if base != word and term is not None and (term in body or term in meta):
            folded.setdefault(base, set()).add(term)
    rows = [
        [
            term,
            " ".join(sorted(forms[term], key=js_sort_key)) if term in forms else None,
            _postings(body.get(term, []), 4),
            _postings(meta.get(term, []), 6),
        ]
        for term in terms
    ]
    index = {
        "format": FORMAT,
        "lang": lang,
        "k1": K1,
        "b": B,
        "avgdl": round(lengths / len(docs), 2) if docs else 1,
        "docs": docs,
        "terms": rows,
        "irregular": irregular,
        "folded": {k: " ".join(sorted(v)) for k, v in sorted(folded.items())},
        "stop": " ".join(sorted(stop)),
    }
    return OfflineIndex(
        lang=lang,
        index_js=js_global(f"KB_INDEX_{lang}", index),
        text_js=js_global(f"KB_TEXT_{lang}", texts),
        articles=len(docs),
    )
