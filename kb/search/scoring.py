"""One index generation opened for scoring: Whoosh's postings read once into numpy arrays, BM25 per field.

Whoosh stays the index on disk; this module reads its postings, field lengths and columns and keeps
them per generation (a new reader after every commit), so a query is a few numpy operations over
cached per-term contribution arrays instead of a Whoosh collector walking every match.
"""

from __future__ import annotations

import bisect
import itertools
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.index import Index
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from kb.search.analysis import compound_analyzer, exact_analyzer, folded_analyzer, stem_analyzer, stopwords
from kb.search.words import accent_forms, fold

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int32]
K1 = 1.6
B = 0.9
TERM_CACHE = 20_000  # (field, term) contribution arrays kept per generation
MAX_DISTANCE = 2
LENGTH_TABLE = np.array([byte_to_length(i) or 0 for i in range(256)], dtype=np.float32)
LENGTH_FIELDS = ("title", "keywords", "headings", "body", "exact", "folded", "compound")


@dataclass(frozen=True)
class Postings:
    """One term of one field: the documents that hold it and each one's BM25 contribution (unboosted)."""

    docs: Ints
    scores: Floats

    @property
    def df(self) -> int:
        return len(self.docs)


EMPTY = Postings(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))


def levenshtein(a: str, b: str, limit: int) -> int:
    """Edit distance of ``a`` and ``b`` (a transposition counts one), or ``limit + 1`` beyond ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current.append(value)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


class Spelling:
    """The exact field's words, for prefixes and corrections: sorted by their accent-folded, joined
    form (``søppel`` under ``soppel``), and deletion neighbourhoods (one letter left out) for
    corrections within two edits, built once per generation rather than scanning per query."""

    def __init__(self, words: dict[str, int], ignored: frozenset[str]) -> None:
        self.df = words
        self.ignored = ignored
        keyed = sorted((fold(w), w) for w in words)
        self.keys = [k for k, _w in keyed]
        self.words = [w for _k, w in keyed]
        self._deletes: tuple[npt.NDArray[np.int64], Ints] | None = None
        self._accents: dict[str, str] | None = None
        self._lock = threading.Lock()

    def prefixed(self, prefix: str, limit: int) -> list[str]:
        """The most frequent words whose folded form starts with ``prefix`` folded."""
        key = fold(prefix)
        starting = itertools.takewhile(lambda kw: kw[0].startswith(key), self._folded_from(key))
        found = [w for _k, w in starting]
        found.sort(key=lambda w: (-self.df[w], w))
        return found[:limit]

    def accented(self, word: str) -> list[str]:
        """The words written as ``word`` is typed but for its accents (``bokföra`` for ``bokfora``)."""
        key = fold(word)
        same = itertools.takewhile(lambda kw: kw[0] == key, self._folded_from(key))
        return [w for _k, w in same if w != word]

    def _folded_from(self, key: str) -> Iterator[tuple[str, str]]:
        """(folded form, word) pairs in folded order, from where ``key`` is or would be."""
        for at in range(bisect.bisect_left(self.keys, key), len(self.keys)):
            yield self.keys[at], self.words[at]

    def accents(self) -> dict[str, str]:
        """Each folded letter with its accented forms these words use (``kb.search.words.accent_forms``
        kept to them): a letter without one stays a literal in ``kb.search.ranking.loose``'s
        patterns, which ``re`` scans for 5-10x faster than a class (measured on a 54 KB article)."""
        with self._lock:
            if self._accents is None:
                used = set("".join(self.words))
                found = {
                    base: "".join(f for f in forms[1:] if f in used) for base, forms in accent_forms().items()
                }
                self._accents = {base: base + forms for base, forms in found.items() if forms}
            return self._accents

    def deletes(self) -> tuple[npt.NDArray[np.int64], Ints]:
        """The vocabulary's one-deletion neighbourhoods (symmetric delete), compact: the hash of
        each folded variant, sorted, beside the index of its word (``self.words``). A dict of lists
        held the same in 57 MB for Business Central's Norwegian words, per worker and language;
        these two arrays take 4 MB. A hash collision only adds a candidate the edit distance drops."""
        with self._lock:
            if self._deletes is None:
                hashes: list[int] = []
                owners: list[int] = []
                for at, (key, word) in enumerate(zip(self.keys, self.words, strict=True)):
                    if not 3 <= len(word) <= 30 or not word.isalpha() or word in self.ignored:
                        continue
                    variants = {key, *(key[:i] + key[i + 1 :] for i in range(len(key)))}
                    hashes += map(hash, variants)
                    owners += [at] * len(variants)
                keys = np.array(hashes, dtype=np.int64)
                order = np.argsort(keys, kind="stable")
                self._deletes = (keys[order], np.array(owners, dtype=np.int32)[order])
            return self._deletes

    def corrections(self, word: str) -> list[tuple[int, str]]:
        """Words within two edits of ``word`` (compared folded), closest first, then most frequent;
        never an ignored (stop) word, never ``word`` itself."""
        key = fold(word)
        keys, owners = self.deletes()
        wanted = np.array([hash(v) for v in {key, *(key[:i] + key[i + 1 :] for i in range(len(key)))}])
        starts = np.searchsorted(keys, wanted, side="left")
        ends = np.searchsorted(keys, wanted, side="right")
        found = {int(at) for start, end in zip(starts, ends, strict=True) for at in owners[start:end]}
        scored = []
        for at in found:
            candidate = self.words[at]
            if candidate == word:
                continue
            distance = levenshtein(key, self.keys[at], MAX_DISTANCE)
            if distance <= MAX_DISTANCE:
                scored.append((distance, candidate))
        scored.sort(key=lambda item: (item[0], -self.df[item[1]], item[1]))
        return scored


class Generation:
    """One generation of one language's index: the searcher, the statistics and the arrays a query
    needs, each read once (the schema too: ``Index.schema`` unpickles the table of contents)."""

    def __init__(self, ix: Index, searcher: Searcher, lang: str) -> None:
        self.ix = ix
        self.searcher = searcher
        self.reader = searcher.reader()
        self.lang = lang
        self.schema = ix.schema
        self.size = self.reader.doc_count_all()
        self.live = np.ones(self.size, dtype=bool)
        self.lengths: dict[str, Floats] = {}
        self.averages: dict[str, float] = {}
        self.live_count = max(1, self.reader.doc_count())
        self._terms: OrderedDict[tuple[str, str], Postings] = OrderedDict()
        self._lock = threading.Lock()
        self._analysed: dict[tuple[str, str], str | None] = {}
        self._spelling: Spelling | None = None
        self.lock = threading.RLock()  # one query at a time reads this generation's files
        self.results: OrderedDict[Any, Any] = OrderedDict()  # the service's bounded result cache
        self.masks: dict[Any, Any] = {}  # filter and phrase masks by query
        self._stored: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._category_names: dict[int, str] = {}
        self.leaves: list[tuple[Any, int]] = list(self.reader.leaf_readers())
        for segment, offset in self.leaves:
            if segment.has_deletions():
                for docnum in range(segment.doc_count_all()):
                    if segment.is_deleted(docnum):
                        self.live[offset + docnum] = False
        for name in LENGTH_FIELDS:
            self.lengths[name] = self._lengths(name)
            total = float(self.reader.field_length(name))
            self.averages[name] = max(1.0, total / self.live_count)
        self.category, self.category_keys = self._column("category")
        self.dates = self._dates()
        self.analyzers = {
            "body": stem_analyzer(lang),
            "exact": exact_analyzer(lang),
            "folded": folded_analyzer(lang),
            "compound": compound_analyzer(lang),
        }
        self.stop = stopwords(lang)

    def _lengths(self, name: str) -> Floats:
        out = np.zeros(self.size, dtype=np.float32)
        for segment, offset in self.leaves:
            count = segment.doc_count_all()
            column = None
            perdoc = getattr(segment, "_perdoc", None)
            if perdoc is not None and hasattr(perdoc, "_cached_reader"):
                from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

                column = perdoc._cached_reader(_lenfield(name), LENGTHS_COLUMN)
            if column is not None:
                raw = np.array([column[d] for d in range(count)], dtype=np.uint8)
                out[offset : offset + count] = LENGTH_TABLE[raw]
            else:
                for docnum in range(count):
                    out[offset + docnum] = segment.doc_field_length(docnum, name, 0) or 0
        return out

    def _column(self, name: str) -> tuple[Ints, list[str]]:
        codes = np.zeros(self.size, dtype=np.int32)
        keys: dict[str, int] = {}
        for segment, offset in self.leaves:
            count = segment.doc_count_all()
            if segment.has_column(name):
                column = segment.column_reader(name)
                values = [str(column[d]) for d in range(count)]
            else:
                values = [str(segment.stored_fields(d).get(name, "")) for d in range(count)]
            for docnum, value in enumerate(values):
                codes[offset + docnum] = keys.setdefault(value, len(keys))
        return codes, list(keys)

    def _dates(self) -> npt.NDArray[np.int64]:
        out = np.zeros(self.size, dtype=np.int64)
        for segment, offset in self.leaves:
            if not segment.has_column("date"):
                continue
            column = segment.column_reader("date")
            for docnum in range(segment.doc_count_all()):
                value = column[docnum]
                out[offset + docnum] = value.toordinal() if hasattr(value, "toordinal") else int(value or 0)
        return out

    def analyse(self, field: str, word: str) -> str | None:
        """The indexed form of ``word`` in ``field`` (``body``, ``exact``, ``folded``, ``compound``),
        None for a word the analyzer drops."""
        key = (field, word)
        if key not in self._analysed:
            form = next((str(t.text) for t in self.analyzers[field](word, mode="query")), None)
            if len(self._analysed) > 50_000:
                self._analysed.clear()
            self._analysed[key] = form
        return self._analysed[key]

    def postings(self, field: str, term: str) -> Postings:
        """Documents holding ``term`` in ``field`` with their BM25 contribution, cached (LRU)."""
        key = (field, term)
        with self._lock:
            found = self._terms.get(key)
            if found is not None:
                self._terms.move_to_end(key)
                return found
        found = self._read(field, term)
        with self._lock:
            self._terms[key] = found
            if len(self._terms) > TERM_CACHE:
                self._terms.popitem(last=False)
        return found

    def _read(self, field: str, term: str) -> Postings:
        ids: list[Iterable[int]] = []
        weights: list[Iterable[float]] = []
        for segment, offset in self.leaves:
            try:
                matcher = segment.postings(field, term)
            except (TermNotFound, KeyError):
                continue
            matcher = getattr(matcher, "child", matcher)  # deletions: excluded by the live mask
            docs, tfs = _read_matcher(matcher)
            ids.append([offset + d for d in docs])
            weights.append(tfs)
        if not ids:
            return EMPTY
        found = np.fromiter((d for part in ids for d in part), dtype=np.int32)
        tf = np.fromiter((w for part in weights for w in part), dtype=np.float32)
        if not len(found):
            return EMPTY
        df = int(self.live[found].sum())
        idf = math.log(1.0 + (self.live_count - df + 0.5) / (df + 0.5))
        norm = 1.0 - B + B * self.lengths[field][found] / self.averages[field]
        scores = (idf * tf * (K1 + 1.0) / (tf + K1 * norm)).astype(np.float32)
        return Postings(found, scores)

    def stored(self, doc: int) -> dict[str, Any]:
        """A document's stored fields (a small LRU: result pages repeat)."""
        found = self._stored.get(doc)
        if found is None:
            found = dict(self.searcher.stored_fields(doc))
            self._stored[doc] = found
            if len(self._stored) > 512:
                self._stored.popitem(last=False)
        return found

    def category_name(self, code: int, doc: int) -> str:
        """The display name of a category code (read from one of its documents, once)."""
        if code not in self._category_names:
            self._category_names[code] = str(self.stored(doc).get("category_name", ""))
        return self._category_names[code]

    def doc_frequency(self, field: str, term: str) -> int:
        return int(self.reader.doc_frequency(field, term))

    def accents(self) -> dict[str, str]:
        """The accented letters the articles use, by folded letter (``Spelling.accents``)."""
        return self.spelling().accents()

    def spelling(self) -> Spelling:
        """The exact field's vocabulary as a spelling dictionary (built on first use per generation)."""
        with self._lock:
            if self._spelling is None:
                words = {}
                for raw, info in self.reader.iter_field("exact"):
                    word = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
                    words[word] = int(info.doc_frequency())
                self._spelling = Spelling(words, self.stop)
            return self._spelling


def _read_matcher(matcher: Any) -> tuple[list[int], list[float]]:
    """All (doc, term frequency) of a leaf matcher, block by block where Whoosh's codec allows."""
    docs: list[int] = []
    tfs: list[float] = []
    if isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            docs.extend(matcher._ids)
            tfs.extend(matcher._weights)
            matcher._next_block()
        return docs, tfs
    while matcher.is_active():
        docs.append(matcher.id())
        tfs.append(matcher.weight())
        matcher.next()
    return docs, tfs
