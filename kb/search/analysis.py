"""Per-language Whoosh analyzers; Whoosh pickles them into each index, so their import path is stable.

Renaming or changing a class here means rebuilding the indexes (``kb index --rebuild``); the
index records ``ANALYSIS_VERSION`` and is rebuilt automatically when it differs.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import suppress
from functools import cache
from typing import Any, cast

import Stemmer
from whoosh.analysis import (
    Analyzer,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
    Token,
)
from whoosh.lang import has_stopwords, stopwords_for_language

from kb.i18n import stemmer_language
from kb.search.words import (
    COMPOUNDING,
    PLAIN_TOKEN_PATTERN,
    TOKEN_PATTERN,
    fold,
    has_joiner,
    has_single,
    is_pair,
    is_single,
    pieces,
    stemmed_pieces,
    token_matches,
    token_pattern,
)

log = logging.getLogger(__name__)

# 6: the analyzers moved from kb.analysis to kb.search.analysis (Whoosh pickles them by import path).
# 7: kb.model.slugify keeps letters of every script (category, author and tag terms change).
# 8: hyphenated words joined only in the main fields (parts in the compound field), the folded field
#    holds only words folding changes, link text to other articles left out, columns for the scorer.
# 9: positions kept only in title and body; the folded field analyses only non-ASCII words.
# 10: the parts of a hyphenated word of words (mva-rapporter) in the main fields too, not e-post's.
# 11: the summary indexed with the keywords.
# 12: a Chinese, Japanese or Korean character is a word of its own, and two side by side one more;
# words go on through combining marks (Hindi); a hyphenated word's parts keep its position.
# 13: Snowball's own stemmers (PyStemmer) instead of Whoosh's copies.
ANALYSIS_VERSION = 13
AGENT_NOUN = re.compile(r"^(?P<base>\w{5,}er)(?:e|en|ne|nes)$")
MIN_SUFFIX = 4
MIN_SUFFIX_WORD = 7
MAX_SUFFIX_WORD = 40  # no tails for longer "words" (hashes, base64): a word of n letters has n tails


def stemmer_code(lang: str) -> str | None:
    """The Snowball stemmer for ``lang`` (``nb``, ``nn`` and ``no`` are Norwegian), or None."""
    code = stemmer_language(lang)
    try:
        Stemmer.Stemmer(code)
    except KeyError:
        return None
    return code


class SnowballFilter(Filter):  # type: ignore[misc]
    """The language's Snowball stemmer, from Snowball's own C library (PyStemmer).

    Whoosh's ``StemFilter`` runs Python copies of older Snowball stemmers, for 16 languages. Measured
    on the Business Central help (``bench/real_questions.py``): its Swedish never strips the
    definite ``-et`` (``alternativet``, ``ansvaret``: 458 words of the corpus stayed as typed), its
    English stems ``added`` as ``ad`` and ``organization`` as ``organ``; and it has no Greek,
    Indonesian, Catalan, Basque, Lithuanian, Estonian, Czech, Polish, Persian, Hindi, Tamil, Nepali,
    Irish, Armenian, Serbian or Yiddish, whose search matched exact word forms only. PyStemmer is
    also 3-5x faster per word. A stemmer "must not be called concurrently" (PyStemmer's docs), and
    the analyzers are shared by the threads that search: each thread has its own.
    """

    def __init__(self, code: str) -> None:
        self.code = code
        self._local = threading.local()
        self.stemmer()  # an unknown language fails here, not at the first word

    def stemmer(self) -> Callable[[str], str]:
        """This thread's stemmer (with a cache of words already stemmed)."""
        stem: Callable[[str], str] | None = getattr(self._local, "stem", None)
        if stem is None:
            stem = self._local.stem = Stemmer.Stemmer(self.code, 50_000).stemWord
        return stem

    def __getstate__(self) -> dict[str, str]:  # Whoosh pickles analyzers into the index
        return {"code": self.code}

    def __setstate__(self, state: dict[str, str]) -> None:
        self.code = state["code"]
        self._local = threading.local()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SnowballFilter) and other.code == self.code

    def __hash__(self) -> int:
        return hash(self.code)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        stem = self.stemmer()
        for token in tokens:
            if not token.stopped:
                with suppress(UnicodeEncodeError):  # a lone surrogate (never in a tokenized word): kept
                    token.text = stem(token.text)
            yield token


class HyphenFilter(Filter):  # type: ignore[misc]
    """``e-post`` yields ``epost`` then ``e`` and ``post``, all at one position."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            if not has_joiner(token.text):
                yield token
                continue
            for piece in pieces(token.text):
                token.text = piece
                yield token


class JoinFilter(Filter):  # type: ignore[misc]
    """``e-post`` yields ``epost`` only: one word, distinct from ``post`` (the parts go to the
    compound field, weighted far down)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            if has_joiner(token.text):
                token.text = pieces(token.text)[0]
            yield token


class PartsFilter(Filter):  # type: ignore[misc]
    """``e-post`` yields ``epost`` only; in a Nordic language ``mva-rapporter`` yields
    ``mvarapporter``, ``mva`` and ``rapporter`` at one position (``kb.search.words.stemmed_pieces``)."""

    def __init__(self, parts: bool) -> None:
        self.parts = parts

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            if not has_joiner(token.text):
                yield token
                continue
            for piece in stemmed_pieces(token.text, self.parts):
                token.text = piece
                yield token


class AgentNounFilter(Filter):  # type: ignore[misc]
    """Norwegian agent nouns to one form before stemming: ``deltakere``/``deltakerne`` -> ``deltaker``."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            match = AGENT_NOUN.match(token.text)
            if match is not None:
                token.text = match["base"]
            yield token


class FoldFilter(Filter):  # type: ignore[misc]
    """Accent folding, applied after stemming in the secondary field only; the index keeps only the
    words folding changes (the others are in the main fields already), a query keeps every word."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            folded = fold(token.text)
            if folded == token.text and token.mode != "query":
                continue
            token.text = folded
            yield token


class SuffixFilter(Filter):  # type: ignore[misc]
    """Each long stem plus its tails of four letters or more, so ``passord`` finds ``engangspassord``."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            text = token.text
            yield token
            if not MIN_SUFFIX_WORD <= len(text) <= MAX_SUFFIX_WORD or token.mode == "query":
                continue
            for start in range(1, len(text) - MIN_SUFFIX + 1):
                token.text = text[start:]
                yield token


class WordTokenizer(RegexTokenizer):  # type: ignore[misc]
    """Whoosh's ``RegexTokenizer`` over ``TOKEN_PATTERN`` (over the plain pattern where a text has
    the same words by it: ``kb.search.words.token_pattern``), with the pairs of Chinese, Japanese or
    Korean characters written side by side as words too (``kb.search.words.token_matches``)."""

    def __init__(self) -> None:
        super().__init__(TOKEN_PATTERN)
        self.plain = RegexTokenizer(PLAIN_TOKEN_PATTERN)

    def __call__(self, value: str, **kwargs: Any) -> Iterator[Token]:
        if not kwargs.get("tokenize", True) or (kwargs.get("mode") == "query" and is_pair(value)):
            # a query's pair of characters (written_terms, the offline stems) is one word: itself
            return cast(Iterator[Token], super().__call__(value, **{**kwargs, "tokenize": False}))
        if token_pattern(value) is PLAIN_TOKEN_PATTERN:  # one scan: most texts go no further
            return cast(Iterator[Token], self.plain(value, **kwargs))
        if not has_single(value):
            return cast(Iterator[Token], super().__call__(value, **kwargs))
        return self._with_pairs(value, **kwargs)

    def _with_pairs(self, value: str, **kwargs: Any) -> Iterator[Token]:
        positions, chars = kwargs.get("positions", False), kwargs.get("chars", False)
        start_pos, start_char = kwargs.get("start_pos", 0), kwargs.get("start_char", 0)
        token = Token(
            positions, chars, removestops=kwargs.get("removestops", True), mode=kwargs.get("mode", "")
        )
        position = start_pos - 1
        for text, start, end in token_matches(value):
            paired = is_pair(text)
            position += 0 if paired else 1
            token.text, token.boost, token.stopped = text, 1.0, False
            if kwargs.get("keeporiginal"):
                token.original = text
            if positions:
                token.pos = position - 1 if paired else position  # a pair where its first character is
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


class StopWordFilter(StopFilter):  # type: ignore[misc]
    """Whoosh's ``StopFilter`` (stop words and one-letter words dropped, the others numbered on
    without gaps), keeping the words of one character Chinese and Japanese are written in
    (``kb.search.words.is_single``), and a word at the position of an earlier one there: a
    hyphenated word's parts (``mva-rapporter``: ``mvarapport``, ``mva``, ``rapport``) and a pair of
    characters (地图, at 地's). Whoosh numbered each on, so a quoted phrase with a word after them
    never matched."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        stops, shortest, renumber = self.stops, self.min, self.renumber
        position = -1
        last = last_given = before = before_given = -1  # the last two positions given, and whence
        for token in tokens:
            text = token.text
            if (len(text) < shortest and not is_single(text)) or text in stops:
                if not token.removestops:
                    token.stopped = True
                    yield token
                continue
            token.stopped = False
            if not (renumber and token.positions):
                yield token
                continue
            original = token.pos
            if original == last:  # a hyphenated word's next part
                token.pos = last_given
            elif original == before:  # a pair of characters, after its second one
                token.pos = before_given
            else:
                position += 1
                before, before_given, last, last_given = last, last_given, original, position
                token.pos = position
            yield token
            token.pos = original  # the filters before yield one token object again (a word's parts)


def stopwords(lang: str) -> frozenset[str]:
    """The words the language's analyzer drops (none where Whoosh has no list)."""
    code = stemmer_language(lang)
    return frozenset(stopwords_for_language(code)) if has_stopwords(code) else frozenset()


def _base(lang: str, hyphens: Filter) -> Any:
    chain = WordTokenizer() | LowercaseFilter() | hyphens
    return chain | StopWordFilter(stoplist=stopwords(lang), minsize=2)


@cache
def exact_analyzer(lang: str) -> Analyzer:
    """Lowercased words, no stemming, hyphenated words joined: exact forms, spelling and prefixes."""
    return WordTokenizer() | LowercaseFilter() | JoinFilter()


def _stemmed(lang: str, hyphens: Filter) -> Analyzer:
    code = stemmer_code(lang)
    chain = _base(lang, hyphens)
    if code is None:
        log.warning("no stemmer for language %r: its search matches exact word forms only", lang)
        return chain
    if code == "no":
        chain = chain | AgentNounFilter()
    return chain | SnowballFilter(code)


@cache
def stem_analyzer(lang: str) -> Analyzer:
    """The language's stop words and Snowball stemmer (a plain analyzer, with a warning, if none)."""
    return _stemmed(lang, PartsFilter(lang in COMPOUNDING))


@cache
def folded_analyzer(lang: str) -> Analyzer:
    """The stemmed words with accents folded: ``soppelpost`` finds ``søppelpost``."""
    return stem_analyzer(lang) | FoldFilter()


@cache
def compound_analyzer(lang: str) -> Analyzer:
    """The stemmed words, the parts of hyphenated words and their tails, for compound heads
    (``engangspassord`` by ``passord``, ``scorm-pakke`` by ``scorm``)."""
    return _stemmed(lang, HyphenFilter()) | SuffixFilter()
