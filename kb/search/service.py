"""The search service: one SearchRequest in, one SearchResult out — ranking, filters, facets, snippets,
suggestions, and one named function per fallback."""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import itertools
import math
import re
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.index import Index
from whoosh.searching import Searcher

from kb.content.markup import make_excerpt
from kb.model import slugify
from kb.search import ranking
from kb.search.indexing import current_dir, open_index
from kb.search.query import N_, Notice, ParsedQuery, parse_query, required_matches
from kb.search.ranking import (
    MIN_CORRECTABLE,
    PHRASE_CANDIDATES,
    PHRASE_FACTOR,
    WordPlan,
    close_spellings,
    expansion_plan,
    known,
    loose,
    phrase_pattern,
    rank,
    word_plan,
)
from kb.search.scoring import Generation
from kb.search.synonyms import Synonyms
from kb.search.words import MARK, WORD_CHAR, fold, has_single, is_single, pieces, word_matches
from kb.settings import Settings

PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
MAX_EXPANSION = 40
TIME_LIMIT = 1.0
SNIPPET_CHARS = 220
MIN_PREFIX_SNIPPET = 3
RESULT_CACHE = 256  # results kept per index generation (uncached queries are the target)
FUZZY_CANDIDATES = 5
LATE = Notice(N_("The search took too long; these are the results found so far."))


SORTS = ("relevance", "date")


@dataclass(frozen=True)
class SearchRequest:
    """What a reader asked for: the query as typed, the language, an optional category (key, slug or
    name), a page of ``limit`` results and the order; out-of-range numbers are brought into range."""

    text: str
    lang: str
    category: str | None = None
    page: int = 1
    limit: int = PAGE_SIZE
    sort: str = "relevance"

    def __post_init__(self) -> None:
        object.__setattr__(self, "page", max(1, self.page))
        object.__setattr__(self, "limit", min(max(1, self.limit), MAX_PAGE_SIZE))
        if self.sort not in SORTS:
            object.__setattr__(self, "sort", "relevance")


@dataclass(frozen=True)
class Hit:
    """One search result, ready to show: its snippet is escaped HTML with ``<mark>`` highlights."""

    slug: str
    lang: str
    title: str
    category: str
    category_key: str
    author: str
    date: str
    url: str
    score: float
    snippet: str

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "lang": self.lang,
            "title": self.title,
            "category": self.category,
            "author": self.author,
            "date": self.date,
            "url": self.url,
            "score": round(self.score, 4),
            "snippet": self.snippet,
        }


@dataclass(frozen=True)
class SearchResult:
    """One page of results for a query, with facets, suggestion, fallback and notices."""

    query: str
    lang: str
    total: int = 0
    page: int = 1
    page_size: int = PAGE_SIZE
    hits: tuple[Hit, ...] = ()
    facets: dict[str, int] = field(default_factory=dict)
    suggestion: str | None = None
    fallback: str | None = None
    notices: tuple[Notice, ...] = ()

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "lang": self.lang,
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "results": [h.to_json() for h in self.hits],
            "facets": {"category": dict(self.facets)},
            "suggestion": self.suggestion,
            "fallback": self.fallback,
            "notices": [{"message": n.message, "value": n.value} for n in self.notices],
        }


def analyze(ix: Index, fieldname: str, word: str) -> str | None:
    """The indexed form of ``word`` in ``fieldname`` (for ``e-post``: the joined ``epost``)."""
    analyzer = ix.schema[fieldname].analyzer
    for token in analyzer(word, mode="query"):
        return str(token.text)
    return None


def category_query(parsed: ParsedQuery, category: str | None) -> wq.Query | None:
    """The category filter: the query's ``category:`` values and the page's category, any of them."""
    values = [*parsed.categories, *([category] if category else [])]
    if not values:
        return None
    return wq.Or([wq.Term("category_terms", slugify(v) or v.lower()) for v in values])


def filter_query(parsed: ParsedQuery) -> wq.Query | None:
    """The other filters as one query: every given kind must match, any value within a kind."""
    kinds: list[wq.Query] = []
    for fieldname, values in (("author_terms", parsed.authors), ("tags", parsed.tags)):
        if values:
            kinds.append(wq.Or([wq.Term(fieldname, slugify(v) or v.lower()) for v in values]))
    if parsed.date_from or parsed.date_to:
        kinds.append(wq.DateRange("date", _midnight(parsed.date_from), _midnight(parsed.date_to)))
    return wq.And(kinds) if kinds else None


def _midnight(value: dt.date | None) -> dt.datetime | None:
    return dt.datetime(value.year, value.month, value.day) if value else None


def snippet_pattern(words: tuple[str, ...], accents: dict[str, str]) -> re.Pattern[str] | None:
    """Words starting like a query word (or its stem), accents and hyphens ignored; a Chinese,
    Japanese or Korean character alone, as typed (が is no か). A word that starts like a shorter one
    adds nothing (a prefix's 40 expansions start like the prefix)."""
    kept: list[str] = []
    forms = set()
    for word in words:
        cjk = has_single(word)
        if cjk or len(word) >= MIN_PREFIX_SNIPPET:
            forms.add(word.lower() if cjk else fold(pieces(word.lower())[0]))
    for head in sorted(forms):
        if not kept or not head.startswith(kept[-1]):
            kept.append(head)
    if not kept:
        return None
    singles = [re.escape(h) for h in kept if has_single(h)]  # 编 or 编辑: as they are, anywhere
    heads = [loose(h, accents) for h in sorted((h for h in kept if not has_single(h)), key=len, reverse=True)]
    rest = rf"(?:{WORD_CHAR}|{MARK}|[-'’](?={WORD_CHAR}))*"
    found = [rf"(?:{'|'.join(heads)}){rest}"] if heads else []  # where a word starts: word_matches
    return re.compile("|".join(found + singles))


def folded_snippet(body: str, words: tuple[str, ...], accents: dict[str, str]) -> str:
    """An escaped excerpt around the first word that starts like a query word (or its stem), accents
    and hyphens ignored: a regex window over the stored text, never a re-analysis of the body."""
    pattern = snippet_pattern(words, accents)
    searched = body.lower()
    if pattern is None or len(searched) != len(body):
        return html.escape(make_excerpt(body, SNIPPET_CHARS))
    first = next(word_matches(pattern, searched), None)
    if first is None:
        return html.escape(make_excerpt(body, SNIPPET_CHARS))
    start = max(0, first.start() - 60)
    start = body.rfind(" ", 0, start) + 1 if start else 0
    end = min(len(body), start + SNIPPET_CHARS)
    spans: list[list[int]] = []
    for match in word_matches(pattern, searched, first.start(), end):
        if match.end() > end:
            continue
        if spans and spans[-1][1] == match.start():  # characters next to each other: one mark (编辑)
            spans[-1][1] = match.end()
        else:
            spans.append([match.start(), match.end()])
    parts, position = [], start
    for low, high in spans:
        text = html.escape(body[low:high])
        parts += [html.escape(body[position:low]), f'<mark class="match term0">{text}</mark>']
        position = high
    parts.append(html.escape(body[position:end]))
    text = " ".join("".join(parts).split())
    return ("… " if start else "") + text + (" …" if end < len(body) else "")


def late(result: SearchResult) -> SearchResult:
    """``result`` with the notice that the search ran out of time."""
    return replace(result, notices=tuple(dict.fromkeys((*result.notices, LATE))))


@dataclass(frozen=True)
class Plan:
    """A query ready to rank: its word plans, how many must match, the excluded and phrase masks."""

    words: tuple[WordPlan, ...]
    need: int
    excluded: np.ndarray | None = None
    adjacent: tuple[str, ...] = ()  # the plain words whose adjacency earns the phrase bonus
    any_term: bool = False


def _mask(gen: Generation, query: wq.Query) -> np.ndarray:
    """The documents matching a Whoosh query (filters, quoted phrases), as a boolean array."""
    key = ("mask", repr(query))
    cached: np.ndarray | None = gen.masks.get(key)
    if cached is not None:
        return cached
    mask = np.zeros(gen.size, dtype=bool)
    docs = list(gen.searcher.docs_for_query(query))
    if docs:
        mask[np.fromiter(docs, dtype=np.int64)] = True
    if len(gen.masks) > RESULT_CACHE:
        gen.masks.clear()
    gen.masks[key] = mask
    return mask


def rejoined(raw: str, typed: tuple[str, ...], words: list[str]) -> str:
    """``words`` (the ``typed`` words, some corrected) spaced as the reader spaced the typed words in
    ``raw``: none between two Chinese characters typed together (语音指示), one between Korean words."""
    lowered, at, end = raw.lower(), 0, -1
    out: list[str] = []
    for old, new in zip(typed, words, strict=True):
        found = lowered.find(old, at)
        if out and found != end:
            out.append(" ")
        out.append(new)
        at, end = (found + len(old), found + len(old)) if found >= 0 else (at, -2)
    return "".join(out)


def joined_words(gen: Generation, words: tuple[str, ...]) -> tuple[str, ...]:
    """``e post`` typed apart as the one word ``epost`` when the articles use it so (a Chinese or
    Japanese character is a word of its own: its pairs are ``ranking.join_apart``'s)."""
    out: list[str] = []
    skip = False
    for i, word in enumerate(words):
        if skip:
            skip = False
            continue
        joins = len(word) == 1 and i + 1 < len(words) and not is_single(word)
        if joins and gen.postings("exact", word + words[i + 1]).df:
            out.append(word + words[i + 1])
            skip = True
        else:
            out.append(word)
    return tuple(out)


def prefix_plan(gen: Generation, prefix: str) -> WordPlan:
    """An unfinished word: the most frequent words starting with it (through hyphens and accents),
    and compound tails starting with it (``passo`` finds ``engangspassord``)."""
    joined = pieces(prefix)[0]
    words = gen.spelling().prefixed(joined, MAX_EXPANSION)
    tails: list[str] = []
    if len(joined) >= MIN_PREFIX_SNIPPET:
        for raw in itertools.islice(gen.reader.expand_prefix("compound", joined), MAX_EXPANSION):
            tails.append(raw.decode("utf-8") if isinstance(raw, bytes) else str(raw))
    return expansion_plan(gen, prefix, words, tails)


def fuzzy_plan(gen: Generation, word: str) -> WordPlan | None:
    """A word with its spellings one edit (two for long words) away, each scored as any word."""
    if len(word) < MIN_CORRECTABLE:
        return word_plan(gen, word, {})
    close = [w for _distance, w in close_spellings(gen, word)][:FUZZY_CANDIDATES]
    if gen.postings("exact", word).df:
        close.insert(0, word)
    return expansion_plan(gen, word, close, [])


def build_plan(
    gen: Generation, parsed: ParsedQuery, synonyms: dict[str, tuple[str, ...]], any_term: bool
) -> Plan | None:
    """The word plans of a query: words (stop words left out), prefixes, fuzzy words, phrases."""
    plain = joined_words(gen, parsed.words)
    typed = [word_plan(gen, word, synonyms) for word in plain]
    ranking.join_apart(gen, list(plain), typed)
    ranking.run_synonyms(gen, list(plain), typed, synonyms)
    words: list[WordPlan] = [plan for plan in typed if plan is not None]
    for prefix in parsed.prefixes:
        words.append(prefix_plan(gen, prefix))
    for word in parsed.fuzzy:
        plan = fuzzy_plan(gen, word)
        if plan is not None:
            words.append(plan)
    for phrase in parsed.phrases:
        stems = [s for s in (gen.analyse("body", pieces(w)[0]) for w in phrase) if s]
        parts = [p for p in (word_plan(gen, w, {}) for w in phrase) if p is not None]
        if not parts:
            continue
        combined = WordPlan(" ".join(phrase), importance=sum(p.importance for p in parts))
        combined.primary = [a for p in parts for a in p.primary[:1]]
        if len(stems) > 1:
            combined.mask = _mask(gen, wq.Or([wq.Phrase("title", stems), wq.Phrase("body", stems)]))
        words.append(combined)
    if not words:
        return None
    need = 1 if any_term or parsed.any_term else required_matches(len(words))
    excluded = None
    if parsed.excluded:
        excluded = np.zeros(gen.size, dtype=bool)
        for word in parsed.excluded:
            plan = word_plan(gen, word, {})
            for alternative in plan.primary[:1] if plan is not None else ():  # the word itself, no guess
                for name, term, _boost in alternative.terms:
                    excluded[gen.postings(name, term).docs] = True
    return Plan(tuple(words), need, excluded, plain if len(plain) > 1 else (), any_term or parsed.any_term)


@dataclass
class Outcome:
    """The ranked documents of one plan: page order, total, facets and whether any matched all words."""

    order: list[int]
    scores: dict[int, float]
    total: int
    facets: dict[str, int]
    complete: bool
    matched: tuple[str, ...] = ()  # the articles' words the plan matched by (``WordPlan.written``)


@dataclass(frozen=True)
class Run:
    """One search under way: the request, its query parsed once, the generation and the time budget
    for the whole search (second passes included)."""

    request: SearchRequest
    parsed: ParsedQuery
    gen: Generation
    synonyms: dict[str, tuple[str, ...]]
    deadline: float

    def late(self) -> bool:
        return time.monotonic() > self.deadline

    def empty(self) -> SearchResult:
        request = self.request
        return SearchResult(
            request.text,
            request.lang,
            page=request.page,
            page_size=request.limit,
            notices=self.parsed.notices,
        )

    def filter_masks(self) -> tuple[np.ndarray, np.ndarray | None]:
        """Live documents passing the author, tag and date filters; the category filter apart."""
        gen = self.gen
        allowed = gen.live.copy()
        other = filter_query(self.parsed)
        if other is not None:
            allowed &= _mask(gen, other)
        category = category_query(self.parsed, self.request.category)
        return allowed, _mask(gen, category) if category is not None else None

    def browse(self) -> SearchResult:
        """No words, only filters: the matching articles, newest first (nothing without filters)."""
        if filter_query(self.parsed) is None and category_query(self.parsed, self.request.category) is None:
            return self.empty()
        allowed, category = self.filter_masks()
        return self.finish(
            self.outcome(np.zeros(self.gen.size, dtype=np.float32), allowed, category, True, True)
        )

    def outcome(
        self,
        scores: np.ndarray,
        matches: np.ndarray,
        category: np.ndarray | None,
        complete: bool,
        by_date: bool,
    ) -> Outcome:
        gen, request = self.gen, self.request
        facet_docs = np.flatnonzero(matches)
        selected = matches & category if category is not None else matches
        docs = np.flatnonzero(selected)
        wanted = request.page * request.limit
        if by_date:
            keys = np.lexsort((docs, -gen.dates[docs]))
            top = docs[keys[:wanted]]
        else:
            top = top_documents(gen, docs, scores, max(wanted, PHRASE_CANDIDATES))
        codes = np.bincount(gen.category[facet_docs], minlength=len(gen.category_keys))
        facets: dict[str, int] = {}
        for code in np.flatnonzero(codes):
            name = gen.category_name(int(code), int(facet_docs[gen.category[facet_docs] == code][0]))
            facets[name] = facets.get(name, 0) + int(codes[code])
        ordered = dict(sorted(facets.items(), key=lambda item: (-item[1], item[0])))
        found = {int(d): float(scores[d]) for d in top}
        return Outcome([int(d) for d in top], found, len(docs), ordered, complete)

    def rank_plan(self, plan: Plan | None) -> Outcome | None:
        """Score ``plan``, keep the documents matching enough words and passing the filters."""
        if plan is None:
            return None
        gen = self.gen
        scored = rank(gen, list(plan.words))
        allowed, category = self.filter_masks()
        matches = allowed & (scored.counts >= plan.need) & (scored.counts > 0)
        if plan.need == 1 and len(plan.words) > 2 and not plan.any_term and scored.coverage is not None:
            matches &= scored.coverage >= ranking.MIN_COVERAGE
        if plan.excluded is not None:
            matches &= ~plan.excluded
        complete = bool(np.any(matches & (scored.counts >= scored.words)))
        by_date = self.request.sort == "date"
        found = self.outcome(scored.scores, matches, category, complete, by_date)
        found.matched = tuple(dict.fromkeys(w for p in plan.words for w in p.written()))
        if not by_date and plan.adjacent:
            rescore_phrases(gen, found, plan.adjacent)
        return found

    def finish(self, found: Outcome | None) -> SearchResult:
        """The page of ``found`` as a result: hits with stored fields and snippets."""
        if found is None:
            return self.empty()
        request = self.request
        start = (request.page - 1) * request.limit
        page = found.order[start : request.page * request.limit]
        # The words typed, their stems and the words they matched by (a correction, a synonym, a
        # compound's parts), as the offline search marks the terms it matched; never the words
        # search ignores, which neither are marked nor start a snippet.
        stop = self.gen.stop
        stems = (self.gen.analyse("body", pieces(w)[0]) for w in self.parsed.words)
        shown = (*self.parsed.all_words, *(s for s in stems if s), *found.matched)
        words = tuple(w for w in dict.fromkeys(shown) if pieces(w.lower())[0] not in stop)
        hits = tuple(make_hit(self.gen, doc, found.scores.get(doc, 0.0), request.lang, words) for doc in page)
        return replace(self.empty(), total=found.total, hits=hits, facets=found.facets)


def top_documents(gen: Generation, docs: np.ndarray, scores: np.ndarray, wanted: int) -> np.ndarray:
    """The ``wanted`` best of ``docs`` by score, then newest, then index order (argpartition)."""
    if len(docs) > wanted:
        part = np.argpartition(-scores[docs], wanted - 1)[:wanted]
        docs = docs[part]
    order = np.lexsort((docs, -gen.dates[docs], -scores[docs]))
    return docs[order]


def rescore_phrases(gen: Generation, found: Outcome, words: tuple[str, ...]) -> None:
    """The phrase bonus, on the top candidates only: adjacent query words in the title or text."""
    pattern = phrase_pattern(list(words), gen.accents())
    if pattern is None:
        return
    for doc in found.order[:PHRASE_CANDIDATES]:
        stored = gen.stored(doc)
        text = (str(stored.get("title", "")) + "\n" + str(stored.get("body", ""))).lower()
        if next(word_matches(pattern, text), None) is not None:
            found.scores[doc] *= 1.0 + PHRASE_FACTOR
    head = sorted(found.order[:PHRASE_CANDIDATES], key=lambda d: (-found.scores[d], -gen.dates[d], d))
    found.order[:PHRASE_CANDIDATES] = head


def make_hit(gen: Generation, doc: int, score: float, lang: str, words: tuple[str, ...]) -> Hit:
    """One result as shown: stored fields, and a snippet highlighting ``words``."""
    stored = gen.stored(doc)
    return Hit(
        slug=stored["slug"],
        lang=lang,
        title=stored["title"],
        category=stored["category_name"],
        category_key=stored["category"],
        author=stored["author"],
        date=stored["date"].date().isoformat(),
        url=stored["url"],
        score=score,
        snippet=folded_snippet(str(stored.get("body", "")), words, gen.accents()),
    )


def any_term_fallback(run: Run) -> Outcome | None:
    """The first fallback: when too few words matched together, articles matching any of them."""
    return run.rank_plan(build_plan(run.gen, run.parsed, run.synonyms, any_term=True))


def fuzzy_fallback(run: Run, suggestion: str | None) -> Outcome | None:
    """The last fallback, when nothing matched at all: the suggested spelling ("did you mean"), else
    each word fuzzily."""
    parsed = run.parsed
    if suggestion:
        instead = replace(parse_query(suggestion), any_term=True)
    else:
        words = parsed.words + parsed.prefixes + tuple(w for p in parsed.phrases for w in p)
        instead = replace(parsed, words=(), prefixes=(), phrases=(), fuzzy=words)
    return run.rank_plan(build_plan(run.gen, instead, run.synonyms, any_term=True))


def correction(gen: Generation, word: str) -> str | None:
    """The spelling to suggest for an unknown ``word``: the same word with its accents, else the
    closest word it begins (``sopp``: ``søppel``), else the closest word within two edits, the most
    frequent among equals; never an ignored (stop) word."""
    if len(word) < MIN_CORRECTABLE or not word.isalpha() or word in gen.stop:
        return None
    spelling = gen.spelling()
    same = [w for w in spelling.prefixed(word, MAX_EXPANSION) if fold(w) == fold(word) and w != word]
    if same:
        return same[0]
    completions = [
        w for w in spelling.prefixed(word, MAX_EXPANSION) if w not in gen.stop and len(w) > len(word)
    ]
    if completions:
        return min(completions, key=lambda w: (len(w), -spelling.df[w], w))
    for _distance, candidate in spelling.corrections(word):
        return candidate
    return None


class SearchService:
    """Searches the indexes of one knowledge base; reopens an index when it was rebuilt or updated."""

    def __init__(self, settings: Settings, result_cache: int = RESULT_CACHE) -> None:
        self.settings = settings
        self.result_cache = result_cache  # results kept per generation (0: none, as benchmarks measure)
        self._lock = threading.Lock()
        self._indexes: dict[str, tuple[Path, Index]] = {}
        self._generations: dict[str, Generation] = {}
        self._retired: dict[str, Generation] = {}
        self.synonyms = Synonyms(settings)

    def index(self, lang: str) -> Index | None:
        """The current index for ``lang``; a rebuilt one (a new link target) is picked up."""
        try:
            linked = (self.settings.index_dir / lang).resolve(strict=True)
        except OSError:
            linked = None
        known_ix = self._indexes.get(lang)
        if known_ix is not None and known_ix[0] == linked:
            return known_ix[1]  # the same folder: its version was checked when it was opened
        target = current_dir(self.settings, lang)
        if target is None:
            return None
        with self._lock:
            known_ix = self._indexes.get(lang)
            if known_ix is None or known_ix[0] != target:
                ix = open_index(self.settings, lang)
                if ix is None:
                    return None
                if known_ix is not None:
                    known_ix[1].close()
                self._indexes[lang] = (target, ix)
            return self._indexes[lang][1]

    def generation(self, lang: str) -> Generation | None:
        """The language's current generation, opened once (a new one after every commit or rebuild)."""
        ix = self.index(lang)
        if ix is None:
            return None
        with self._lock:
            gen = self._generations.get(lang)
            if gen is not None and gen.ix is ix and gen.searcher.up_to_date():
                return gen
            # A new searcher, not Searcher.refresh(): refresh reuses segment readers and so misses
            # deletions committed to a segment it already had open.
            fresh = Generation(ix, ix.searcher(), lang)
            self._generations[lang] = fresh
            if gen is not None:  # a query may still read the previous one: close the one before it
                retired = self._retired.pop(lang, None)
                if retired is not None:
                    with retired.lock:
                        retired.searcher.close()
                self._retired[lang] = gen
            return fresh

    def warm(self, lang: str) -> None:
        """Open ``lang``'s current generation and build its spelling tables (and the accented letters
        its snippets look for) now, not in the first reader's search (a worker process calls this
        once before it takes requests)."""
        gen = self.generation(lang)
        if gen is not None:
            spelling = gen.spelling()
            spelling.deletes()
            spelling.accents()

    def searcher(self, lang: str) -> tuple[Index, Searcher] | None:
        """The current index and its searcher for ``lang``."""
        gen = self.generation(lang)
        return (gen.ix, gen.searcher) if gen is not None else None

    def cached(self, request: SearchRequest) -> SearchResult | None:
        """The result of ``request`` if it is in the current generation's result cache, else None.

        Cheap and never waits for a search under way (the cache is read without the generation's
        lock), so a web worker may answer repeated searches without handing them to a thread.
        """
        gen = self.generation(request.lang)
        if gen is None:
            return None
        key = (request, id(self.synonyms.table(request.lang)))
        found: SearchResult | None = gen.results.get(key)
        if found is not None:
            # KeyError: evicted just now by a search in another thread; still a good answer.
            with contextlib.suppress(KeyError):
                gen.results.move_to_end(key)
        return found

    def search(self, request: SearchRequest) -> SearchResult:
        """Answer ``request``; never raises on what a reader types.

        The query is parsed once; the ranking query runs, then, while time is left, each fallback
        that applies: ``any_term_fallback`` when too few words matched together, then
        ``fuzzy_fallback`` (through the "did you mean" spelling) when nothing matched at all.
        """
        parsed = parse_query(request.text)
        gen = self.generation(request.lang)
        if gen is None:
            return SearchResult(request.text, request.lang, page=request.page, page_size=request.limit,
                                notices=parsed.notices)  # fmt: skip
        synonyms = self.synonyms.table(request.lang)
        key = (request, id(synonyms))
        with gen.lock:
            cached: SearchResult | None = gen.results.get(key)
            if cached is not None:
                gen.results.move_to_end(key)
                return cached
            result = self._search(Run(request, parsed, gen, synonyms, time.monotonic() + TIME_LIMIT))
            gen.results[key] = result
            while len(gen.results) > self.result_cache:
                gen.results.popitem(last=False)
            return result

    def _search(self, run: Run) -> SearchResult:
        parsed, gen = run.parsed, run.gen
        if parsed.is_empty:
            return run.browse()
        plan = build_plan(gen, parsed, run.synonyms, any_term=False)
        found = run.rank_plan(plan)
        fallback = None
        if (
            plan is not None
            and found is not None
            and found.total
            and not found.complete
            and len(plan.words) > 1
        ):
            fallback = "any-term"
        if plan is not None and (found is None or found.total == 0) and plan.need > 1 and not run.late():
            found, fallback = any_term_fallback(run), "any-term"
        misspelled = plan is not None and any(word.misspelled for word in plan.words)
        if fallback is None and found is not None and found.total and misspelled:
            fallback = "fuzzy"  # a word matched only by its similar spellings
        suggestion = None if run.late() else self.suggestion(gen, parsed)
        total = found.total if found is not None else 0
        if total == 0 and (parsed.words or parsed.prefixes or parsed.phrases):
            if run.late():
                return late(replace(run.finish(found), fallback=None, suggestion=suggestion))
            found, fallback = fuzzy_fallback(run, suggestion), "fuzzy"
        result = run.finish(found)
        result = replace(result, fallback=fallback if result.total else None, suggestion=suggestion)
        return late(result) if run.late() else result

    def suggestion(self, gen: Generation, parsed: ParsedQuery) -> str | None:
        """A corrected query ("did you mean") when a word is unknown, only if it finds articles."""
        changed = False
        words = []
        for word in parsed.words:
            better = None if known(gen, pieces(word)[0]) else correction(gen, pieces(word)[0])
            words.append(better or word)
            changed = changed or better is not None
        if not changed:
            return None
        text = rejoined(parsed.raw, parsed.words, words)
        plan = build_plan(gen, replace(parse_query(text), any_term=True), {}, any_term=True)
        if plan is None or not np.any(rank(gen, list(plan.words)).counts > 0):
            return None
        return text

    def suggest(self, text: str, lang: str, limit: int = 8) -> list[Hit]:
        """Search-as-you-type: the last word counts as a prefix (through hyphens, accents, compounds)."""
        stripped = text.rstrip()
        if not stripped:
            return []
        typed = stripped if text.endswith(" ") else stripped + "*"
        return list(self.search(SearchRequest(typed, lang, limit=limit)).hits)

    def close(self) -> None:
        with self._lock:
            for gen in [*self._generations.values(), *self._retired.values()]:
                gen.searcher.close()
            self._generations.clear()
            self._retired.clear()
            for _target, ix in self._indexes.values():
                ix.close()
            self._indexes.clear()
