"""The one home of word rules: what a word is, how hyphenated words split, invisible characters and folding.

The index (through the analyzers), the query parser, snippets and the offline index all split text
here, so a word the server indexes is the same word a reader types and the browser looks up
(``kb/static/offline.js`` mirrors ``TOKEN_PATTERN`` and ``pieces``; the export's tests check that
both agree). Standard library only: the query language imports it without Whoosh.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator

# Words, with inner hyphens and apostrophes kept so ``e-post`` is seen whole; never ``*``.
TOKEN_PATTERN = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)
WORD_JOINERS = re.compile(r"[-'’]")
# Soft hyphens and zero-width characters, pasted from word processors, sit inside words: removed,
# not turned into spaces, so "pass\u00adord" is "passord" in queries and in the index alike.
INVISIBLE_CHARACTERS = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
INVISIBLE = str.maketrans(dict.fromkeys(map(ord, INVISIBLE_CHARACTERS)))
_INVISIBLE_FOUND = re.compile(f"[{INVISIBLE_CHARACTERS}]")
MIN_WORD_PART = 2  # the shortest part of a hyphenated word that is a word of its own (e-post: none)
# Languages that write compounds closed, so a hyphen joins a name or an abbreviation to a word
# (mva-rapport, CVR-nummer): its parts are words readers type alone. English hyphenates modifiers
# (built-in, follow-up), and indexing their parts measured worse on Cranfield (nDCG@10 0.3806 to 0.3772).
COMPOUNDING = ("nb", "nn", "no", "sv", "da")
FOLDING = str.maketrans({"æ": "ae", "ø": "o", "œ": "oe", "ß": "ss", "þ": "th", "ð": "d"})


def strip_invisible(text: str) -> str:
    """``text`` without soft hyphens and zero-width characters (looked for first: a search is 15x
    faster than ``str.translate``, and most texts have none)."""
    return text.translate(INVISIBLE) if _INVISIBLE_FOUND.search(text) else text


def has_joiner(word: str) -> bool:
    """Whether a token holds a hyphen or an apostrophe (a fast check before ``pieces``)."""
    return "-" in word or "'" in word or "’" in word


def pieces(word: str) -> tuple[str, ...]:
    """A token as the exact field holds it: a hyphenated word joined, then its parts (``e-post``
    gives ``epost``, ``e``, ``post``); any other word alone."""
    if not has_joiner(word):
        return (word,)
    parts = [p for p in WORD_JOINERS.split(word) if p]
    return ("".join(parts), *parts)


def stemmed_pieces(word: str, parts: bool) -> tuple[str, ...]:
    """A token as the stemmed fields hold it: a hyphenated word joined, and with ``parts`` (the
    Nordic languages, ``COMPOUNDING``) its parts too when each is a word of its own: ``mva-rapporter``
    gives ``mvarapporter``, ``mva`` and ``rapporter``, ``CVR-nr`` also ``cvr``. A part of one letter
    keeps the word whole: ``e-post`` is never ``post``, ``Nordea's`` never ``s``."""
    found = pieces(word)
    if parts and len(found) > 1 and all(len(part) >= MIN_WORD_PART for part in found[1:]):
        return found
    return found[:1]


def words(text: str) -> list[str]:
    """The lowercased tokens of ``text``, hyphenated words whole."""
    return [match.lower() for match in TOKEN_PATTERN.findall(text)]


def word_counts(text: str) -> Counter[str]:
    """Each lowercased token of ``text``, counted."""
    return Counter(words(text))


def surface_words(text: str) -> Iterator[str]:
    """The exact field's tokens: lowercased words, a hyphenated word joined and then its parts."""
    for match in TOKEN_PATTERN.finditer(text):
        yield from pieces(match.group().lower())


def _fold_slowly(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(FOLDING))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class _Folded(dict[int, str]):
    """Each character's folded form, computed on first sight: folding is one C-level translate."""

    def __missing__(self, code: int) -> str:
        folded = _fold_slowly(chr(code))
        self[code] = folded
        return folded


FOLDED = _Folded()


def fold(text: str) -> str:
    """Accent-folded text: ``søppelpost`` becomes ``soppelpost``, ``æ`` becomes ``ae``."""
    return text if text.isascii() else text.translate(FOLDED)
