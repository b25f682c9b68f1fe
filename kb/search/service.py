"""The search service: one SearchRequest in, one SearchResult out — ranking, filters, facets, snippets,
suggestions, and one named function per fallback."""

from __future__ import annotations

import datetime as dt
import html
import itertools
import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from whoosh import query as wq
from whoosh.collectors import TimeLimit, TimeLimitCollector
from whoosh.highlight import ContextFragmenter, HtmlFormatter
from whoosh.index import Index
from whoosh.searching import Searcher

from kb.content.markup import make_excerpt
from kb.model import slugify
from kb.search.indexing import current_dir, open_index
from kb.search.query import N_, Notice, ParsedQuery, parse_query, required_matches
from kb.search.words import TOKEN_PATTERN, fold
from kb.settings import Settings

PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
MAX_EXPANSION = 40
TIME_LIMIT = 1.0
SNIPPET_CHARS = 220
STEM_FIELDS = ("title", "keywords", "headings", "body")
EXACT_BOOST = 1.5
FOLDED_BOOST = 0.5
COMPOUND_BOOST = 0.5
PHRASE_BOOST = 2.0
MIN_CORRECTABLE = 4
COORDINATION = 0.5  # how much the share of query words matched scales an article's score
MIN_PREFIX_SNIPPET = 3
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


def word_query(ix: Index, word: str) -> wq.Query | None:
    """Every field a word can match in, exact forms weighted above stems and folded forms."""
    stem = analyze(ix, "body", word)
    exact = analyze(ix, "exact", word)
    if stem is None or exact is None:
        return None  # a stop word: it neither helps nor hinders
    parts: list[wq.Query] = [wq.Term(name, stem) for name in STEM_FIELDS]
    parts.append(wq.Term("exact", exact, boost=EXACT_BOOST))
    folded = analyze(ix, "folded", word)
    if folded:
        parts.append(wq.Term("folded", folded, boost=FOLDED_BOOST))
    parts.append(wq.Term("compound", stem, boost=COMPOUND_BOOST))
    return wq.Or(parts)


def prefix_query(searcher: Searcher, prefix: str) -> wq.Query | None:
    """Words starting with ``prefix``, bounded to the ``MAX_EXPANSION`` most frequent."""
    reader = searcher.reader()
    terms = [t.decode("utf-8") if isinstance(t, bytes) else t for t in reader.expand_prefix("exact", prefix)]
    if not terms:
        return None
    if len(terms) > MAX_EXPANSION:
        terms = sorted(terms, key=lambda t: -reader.doc_frequency("exact", t))[:MAX_EXPANSION]
    return wq.Or([wq.Term("exact", t) for t in terms])


def phrase_query(ix: Index, words: tuple[str, ...], boost: float = 1.0) -> wq.Query | None:
    stems = [s for s in (analyze(ix, "body", w) for w in words) if s]
    if len(stems) < 2:
        return word_query(ix, stems[0]) if stems else None
    return wq.Or([wq.Phrase("title", stems, boost=boost * 2), wq.Phrase("body", stems, boost=boost)])


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


@dataclass(frozen=True)
class Built:
    """A ranking query, and the word queries of which an article must match ``need``."""

    query: wq.Query
    words: tuple[wq.Query, ...] = ()
    need: int = 0

    def allowed(self, searcher: Searcher) -> set[int] | None:
        """The documents matching at least ``need`` words, when that is neither all nor any."""
        if not 1 < self.need < len(self.words):
            return None
        counts: Counter[int] = Counter()
        for word in self.words:
            counts.update(set(searcher.docs_for_query(word)))
        return {doc for doc, count in counts.items() if count >= self.need}


def build_query(ix: Index, searcher: Searcher, parsed: ParsedQuery, any_term: bool) -> Built | None:
    """The ranking query: words required as ``required_matches`` says (any, for the fallback)."""
    required: list[wq.Query] = []
    for word in parsed.words:
        built = word_query(ix, word)
        if built is not None:
            required.append(built)
    for prefix in parsed.prefixes:
        expanded = prefix_query(searcher, prefix)
        required.append(expanded if expanded is not None else wq.NullQuery)
    for word in parsed.fuzzy:
        if len(word) < MIN_CORRECTABLE:
            built = word_query(ix, word)
            required.append(built if built is not None else wq.NullQuery)
        else:
            required.append(wq.FuzzyTerm("exact", word, maxdist=1 if len(word) < 7 else 2, prefixlength=1))
    for words in parsed.phrases:
        built = phrase_query(ix, words, boost=PHRASE_BOOST)
        if built is not None:
            required.append(built)
    if not required:
        return None
    need = 1 if any_term or parsed.any_term else required_matches(len(required))
    main: wq.Query = wq.And(required) if need == len(required) else wq.Or(required, scale=COORDINATION)
    if len(parsed.words) > 1:
        bonus = phrase_query(ix, parsed.words, boost=PHRASE_BOOST)
        if bonus is not None:
            main = wq.AndMaybe(main, bonus)
    if parsed.excluded:
        excluded = [q for q in (word_query(ix, w) for w in parsed.excluded) if q is not None]
        if excluded:
            main = wq.AndNot(main, wq.Or(excluded))
    return Built(main, tuple(required), need)


def folded_snippet(body: str, words: tuple[str, ...]) -> str:
    """An escaped excerpt around the first word that starts like a query word once both are folded.

    Whoosh highlights only what the body field matched; a match through the accent-folded or
    compound fields (``soppelpost`` for ``søppelpost``) would otherwise show the article's opening.
    """
    wanted = [fold(w.lower()) for w in words if len(w) >= MIN_PREFIX_SNIPPET]
    matches = (
        m for m in TOKEN_PATTERN.finditer(body) if any(fold(m[0].lower()).startswith(w) for w in wanted)
    )  # lazily: a huge body is scanned only as far as the snippet's window, not to its end
    first = next(matches, None)
    if first is None:
        return html.escape(make_excerpt(body, SNIPPET_CHARS))
    start = max(0, first.start() - 60)
    start = body.rfind(" ", 0, start) + 1 if start else 0
    end = min(len(body), start + SNIPPET_CHARS)
    parts, position = [], start
    for match in itertools.chain((first,), matches):
        if match.start() >= end:
            break
        if match.end() > end:
            continue
        parts += [html.escape(body[position : match.start()]), f"<mark>{html.escape(match[0])}</mark>"]
        position = match.end()
    parts.append(html.escape(body[position:end]))
    text = " ".join("".join(parts).split())
    return ("… " if start else "") + text + (" …" if end < len(body) else "")


def correct_word(reader: Any, word: str) -> str | None:
    """The most frequent indexed word one edit from ``word``, else two edits; None if none or short."""
    if len(word) < MIN_CORRECTABLE or not word.isalpha():
        return None
    for distance in (1, 2):
        options = [t for t in reader.terms_within("exact", word, distance, prefix=1) if t != word]
        if options:
            return str(max(options, key=lambda t: (reader.doc_frequency("exact", t), t)))
    return None


def facet_counts(searcher: Searcher, groups: dict[str, list[int]]) -> dict[str, int]:
    """Articles per category name (for the query without its category filter)."""
    names: dict[str, int] = {}
    for docnums in groups.values():
        if docnums:
            name = searcher.stored_fields(docnums[0])["category_name"]
            names[name] = len(docnums)
    return dict(sorted(names.items(), key=lambda item: (-item[1], item[0])))


def make_hit(hit: Any, lang: str, words: tuple[str, ...]) -> Hit:
    """One result as shown: stored fields, and a snippet highlighting ``words``."""
    hit.results.fragmenter = ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60)
    hit.results.formatter = HtmlFormatter(tagname="mark", between=" … ")
    snippet = hit.highlights("body", top=2) or folded_snippet(hit.get("body", ""), words)
    return Hit(
        slug=hit["slug"],
        lang=lang,
        title=hit["title"],
        category=hit["category_name"],
        category_key=hit["category"],
        author=hit["author"],
        date=hit["date"].date().isoformat(),
        url=hit["url"],
        score=float(hit.score or 0.0),
        snippet=snippet,
    )


def late(result: SearchResult) -> SearchResult:
    """``result`` with the notice that the search ran out of time."""
    return replace(result, notices=tuple(dict.fromkeys((*result.notices, LATE))))


@dataclass(frozen=True)
class Run:
    """One search under way: the request, its query parsed once, the open index and the time budget
    for the whole search (second passes included)."""

    request: SearchRequest
    parsed: ParsedQuery
    ix: Index
    searcher: Searcher
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

    def filters(self) -> tuple[wq.Query | None, wq.Query | None]:
        """The query's author, tag and date filters, and its category filter (the page's included)."""
        return filter_query(self.parsed), category_query(self.parsed, self.request.category)

    def browse(self) -> SearchResult:
        """No words, only filters: the matching articles, newest first (nothing without filters)."""
        if self.filters() == (None, None):
            return self.empty()
        return self.execute(Built(wq.Every()), sort="date")

    def complete(self, built: Built) -> bool:
        """Whether some article matches every word of ``built`` (else the result says so)."""
        if built.need >= len(built.words):
            return True
        return next(iter(self.searcher.docs_for_query(wq.And(list(built.words)))), None) is not None

    def execute(self, plan: Built | None, sort: str | None = None) -> SearchResult:
        """One page of results for ``plan``, with facets (ignoring the category filter) and snippets."""
        if plan is None:
            return self.empty()
        request, searcher = self.request, self.searcher
        built = plan.query
        allowed = plan.allowed(searcher)
        other_filters, category_filter = self.filters()
        full = wq.And([q for q in (built, other_filters, category_filter) if q is not None])
        wanted = request.page * request.limit
        by_date = (sort or request.sort) == "date"
        collector = searcher.collector(
            limit=wanted, sortedby="date" if by_date else None, reverse=by_date, groupedby="category",
            filter=allowed,
        )  # fmt: skip
        notices = list(self.parsed.notices)
        try:
            limited = TimeLimitCollector(collector, TIME_LIMIT, use_alarm=False)
            searcher.search_with_collector(full, limited)
        except TimeLimit:
            notices.append(LATE)
        results = collector.results()
        if category_filter is None:
            facets = facet_counts(searcher, results.groups("category"))
        else:
            unfiltered = wq.And([built, other_filters]) if other_filters is not None else built
            groups = searcher.search(unfiltered, limit=1, groupedby="category", filter=allowed)
            facets = facet_counts(searcher, groups.groups("category"))
        start = (request.page - 1) * request.limit
        words = self.parsed.all_words
        hits = tuple(make_hit(hit, request.lang, words) for hit in results[start:wanted])
        return replace(self.empty(), total=len(results), hits=hits, facets=facets, notices=tuple(notices))


def any_term_fallback(run: Run) -> SearchResult:
    """The first fallback: when the required words matched nothing, articles matching any of them."""
    return run.execute(build_query(run.ix, run.searcher, run.parsed, any_term=True))


def fuzzy_fallback(run: Run, suggestion: str | None) -> SearchResult:
    """The last fallback, when nothing matched at all: the suggested spelling ("did you mean"), else
    each word fuzzily."""
    parsed = run.parsed
    if suggestion:
        instead = replace(parse_query(suggestion), any_term=True)
    else:
        words = parsed.words + parsed.prefixes + tuple(w for p in parsed.phrases for w in p)
        instead = replace(parsed, words=(), prefixes=(), phrases=(), fuzzy=words)
    return run.execute(build_query(run.ix, run.searcher, instead, any_term=True))


class SearchService:
    """Searches the indexes of one knowledge base; reopens an index when it was rebuilt or updated."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._indexes: dict[str, tuple[Path, Index]] = {}
        self._local = threading.local()

    def index(self, lang: str) -> Index | None:
        """The current index for ``lang``; a rebuilt one (a new link target) is picked up."""
        target = current_dir(self.settings, lang)
        if target is None:
            return None
        with self._lock:
            known = self._indexes.get(lang)
            if known is None or known[0] != target:
                ix = open_index(self.settings, lang)
                if ix is None:
                    return None
                self._indexes[lang] = (target, ix)
            return self._indexes[lang][1]

    def searcher(self, lang: str) -> tuple[Index, Searcher] | None:
        """A searcher for this thread, reopened when the index gained a new generation."""
        ix = self.index(lang)
        if ix is None:
            return None
        cache: dict[str, tuple[Index, Searcher]] = self._local.__dict__.setdefault("cache", {})
        known = cache.get(lang)
        if known is not None and known[0] is ix and known[1].up_to_date():
            return known
        if known is not None:
            known[1].close()
        # A new searcher, not Searcher.refresh(): refresh reuses segment readers and so misses
        # deletions committed to a segment it already had open.
        searcher = ix.searcher()
        cache[lang] = (ix, searcher)
        return ix, searcher

    def search(self, request: SearchRequest) -> SearchResult:
        """Answer ``request``; never raises on what a reader types.

        The query is parsed once; the ranking query runs, then, while time is left, each fallback
        that applies: ``any_term_fallback`` when the required words matched nothing, then
        ``fuzzy_fallback`` (through the "did you mean" spelling) when nothing matched at all.
        """
        parsed = parse_query(request.text)
        opened = self.searcher(request.lang)
        if opened is None:
            return SearchResult(request.text, request.lang, page=request.page, page_size=request.limit,
                                notices=parsed.notices)  # fmt: skip
        ix, searcher = opened
        run = Run(request, parsed, ix, searcher, time.monotonic() + TIME_LIMIT)
        if parsed.is_empty:
            return run.browse()
        built = build_query(ix, searcher, parsed, any_term=False)
        result = run.execute(built)
        fallback = "any-term" if built is not None and result.total and not run.complete(built) else None
        if run.late():  # no second pass once the time is spent (slow query, busy server)
            return late(replace(result, fallback=fallback if result.total else None))
        if built is not None and result.total == 0 and built.need > 1:
            result, fallback = any_term_fallback(run), "any-term"
        suggestion = None if run.late() else self._suggestion(ix, searcher, parsed)
        if result.total == 0 and (parsed.words or parsed.prefixes or parsed.phrases):
            if run.late():
                return late(replace(result, fallback=None, suggestion=suggestion))
            result, fallback = fuzzy_fallback(run, suggestion), "fuzzy"
        return replace(result, fallback=fallback if result.total else None, suggestion=suggestion)

    @staticmethod
    def _suggestion(ix: Index, searcher: Searcher, parsed: ParsedQuery) -> str | None:
        """A corrected query when a word is not in the index's vocabulary ("did you mean")."""
        reader = searcher.reader()
        changed = False
        words = []
        for word in parsed.words:
            form = analyze(ix, "exact", word) or word
            correction = None
            if reader.doc_frequency("exact", form) == 0:
                correction = correct_word(reader, form)
            words.append(correction or word)
            changed = changed or correction is not None
        return " ".join(words) if changed else None

    def suggest(self, text: str, lang: str, limit: int = 8) -> list[Hit]:
        """Search-as-you-type: the last word counts as a prefix."""
        stripped = text.rstrip()
        if not stripped:
            return []
        typed = stripped if text.endswith(" ") else stripped + "*"
        return list(self.search(SearchRequest(typed, lang, limit=limit)).hits)

    def close(self) -> None:
        with self._lock:
            for _target, ix in self._indexes.values():
                ix.close()
            self._indexes.clear()
