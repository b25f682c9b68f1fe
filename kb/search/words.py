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
from functools import cache

# Chinese, Japanese and Korean characters are words of one character each, as Lucene's CJK
# analysis reads them (its bigrams are ``token_matches``' pairs): Chinese and Japanese leave no
# spaces between words, and Korean joins particles to them (지도를: the map, as object), so a run
# would otherwise be one "word" no reader ever types (地图编辑 finds 编辑, 지도를 finds 지도).
SINGLE_RANGES = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u31f0-\u31ff"  # katakana extensions
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uff66-\uff9f"  # half-width katakana
    "\U00020000-\U000323af"  # Han ideographs beyond the Basic Multilingual Plane
)
SINGLE_CHAR = f"(?=\\w)[{SINGLE_RANGES}]"  # a word of one character (its blocks' punctuation is none)


def _char_class(codes: list[int]) -> str:
    """A regex character class body for sorted code points, as ranges."""
    parts: list[str] = []
    start = previous = -2
    for code in [*codes, -2]:
        if code == previous + 1:
            previous = code
            continue
        if start >= 0:
            parts.append(re.escape(chr(start)) + ("-" + re.escape(chr(previous)) if previous > start else ""))
        start = previous = code
    return "".join(parts)


def _marks() -> tuple[str, str]:
    """The combining marks of the Basic Multilingual Plane that ``\\w`` leaves out (vowel signs,
    viramas, accents), and those of them accent folding drops (canonical combining class above 0)."""
    marks = [c for c in range(0x10000) if unicodedata.category(chr(c))[0] == "M" and not chr(c).isalnum()]
    return _char_class(marks), _char_class([c for c in marks if unicodedata.combining(chr(c))])


_MARKS, _COMBINING = _marks()
# A character of a word: ``\\w`` without the one-character words. Python's ``\\w`` leaves out
# combining marks, which cut Hindi, Marathi, Telugu and Malayalam words at every vowel sign and
# virama (हिन्दी was ह, न, द), so a word goes on through marks. Only the marks of the Basic
# Multilingual Plane: a class with code points beyond it made ``re`` tokenise 7x slower, and the
# marks beyond it are those of historic and a few minority scripts (Brahmi, Chakma, Adlam).
# ``kb/static/offline.js`` writes the same as ``\\p{M}`` short of U+10000.
WORD_CHAR = f"[^\\W{SINGLE_RANGES}]"
MARK = f"[{_MARKS}]"
COMBINING_MARK = f"[{_COMBINING}]"  # a mark accent folding drops (an accent, a virama)
_WORD = f"{WORD_CHAR}+(?:{MARK}+{WORD_CHAR}*)*"  # unrolled: as fast as \\w+ where there are no marks
# Words, with inner hyphens and apostrophes kept so ``e-post`` is seen whole; never ``*``.
TOKEN_PATTERN = re.compile(f"{_WORD}(?:[-'’]{_WORD})*|{SINGLE_CHAR}")
_SINGLE_FOUND = re.compile(SINGLE_CHAR)
_SINGLE_BLOCK_FOUND = re.compile(f"[{SINGLE_RANGES}]")
# Where a text has no combining mark and no Chinese, Japanese or Korean character (most texts),
# plain ``\\w`` finds the same words as TOKEN_PATTERN, 30 % faster; looking for one costs a tenth.
PLAIN_TOKEN_PATTERN = re.compile(r"\w+(?:[-'’]\w+)*")
_SPECIAL_FOUND = re.compile(f"[{_MARKS}{SINGLE_RANGES}]")


def token_pattern(text: str) -> re.Pattern[str]:
    """``TOKEN_PATTERN``, or the plain pattern that finds the same words in ``text`` faster."""
    return TOKEN_PATTERN if _SPECIAL_FOUND.search(text) else PLAIN_TOKEN_PATTERN


def is_single(word: str) -> bool:
    """Whether ``word`` is a one-character word (a Chinese, Japanese or Korean character)."""
    return len(word) == 1 and _SINGLE_FOUND.match(word) is not None


def is_pair(word: str) -> bool:
    """Whether ``word`` is two one-character words written side by side (地图), as ``token_matches``
    adds them."""
    return len(word) == 2 and is_single(word[0]) and is_single(word[1])


def is_run(word: str) -> bool:
    """Whether ``word`` is two or more Chinese, Japanese or Korean characters (a synonym's word)."""
    return len(word) > 1 and all(is_single(c) for c in word)


def has_single(text: str) -> bool:
    """Whether ``text`` may hold a one-character word (a fast check before ``token_matches``' pairs:
    a character of their blocks, punctuation included; the lookahead made it 5x slower)."""
    return _SINGLE_BLOCK_FOUND.search(text) is not None


_WORD_CHAR_FOUND = re.compile(WORD_CHAR)


def word_matches(
    pattern: re.Pattern[str], text: str, pos: int = 0, end: int | None = None
) -> Iterator[re.Match[str]]:
    """The matches of ``pattern`` in ``text[pos:end]`` that start a word: not right after a letter
    of the same script (``GPX`` in ``使用GPX`` does; a Chinese, Japanese or Korean character starts
    one anywhere). Checked here rather than by a lookbehind or ``\\b`` in the pattern: ``re`` scans
    3-20x faster without one (the phrase bonus spent 2 ms of a query there)."""
    end = len(text) if end is None else end
    while pos <= end:
        found = pattern.search(text, pos, end)
        if found is None:
            return
        start = found.start()
        if start == 0 or is_single(text[start]) or not _WORD_CHAR_FOUND.match(text, start - 1):
            yield found
            pos = max(found.end(), start + 1)
        else:
            pos = start + 1


def spaced(text: str) -> str:
    """The words of ``text`` with a space where it has anything between two and none where it has
    nothing: 编辑地图 stays one run, 지도 편집 keeps its space, ``**bold** text`` is ``bold text``."""
    out: list[str] = []
    end = -1
    for match in TOKEN_PATTERN.finditer(text):
        if out and match.start() != end:
            out.append(" ")
        out.append(match.group())
        end = match.end()
    return "".join(out)


def token_matches(text: str) -> Iterator[tuple[str, int, int]]:
    """Each token of ``text`` with where it starts and ends: ``TOKEN_PATTERN``'s words, and after two
    one-character words written side by side, the two as one (地图: 地, 图, 地图), as Lucene's CJK
    analysis adds its bigrams to the characters; a query's characters typed together match the
    articles that write them together first (``kb.search.ranking.join_apart``)."""
    before, end = "", -1
    for match in TOKEN_PATTERN.finditer(text):
        word = match.group()
        yield word, match.start(), match.end()
        if before and match.start() == end and is_single(word):
            yield before + word, match.start() - 1, match.end()
        before = word if is_single(word) else ""
        end = match.end()


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
    """The lowercased tokens of ``text``, hyphenated words whole, and the pairs of characters
    written side by side where the text has Chinese, Japanese or Korean (``token_matches``)."""
    pattern = token_pattern(text)
    if pattern is not PLAIN_TOKEN_PATTERN and has_single(text):
        return [word.lower() for word, _start, _end in token_matches(text)]
    return [match.lower() for match in pattern.findall(text)]


def word_counts(text: str) -> Counter[str]:
    """Each lowercased token of ``text``, counted."""
    return Counter(words(text))


def surface_words(text: str) -> Iterator[str]:
    """The exact field's tokens: lowercased words, a hyphenated word joined and then its parts."""
    for match in TOKEN_PATTERN.finditer(text):
        yield from pieces(match.group().lower())


def _fold_slowly(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(FOLDING))
    # composed again: a Hangul syllable decomposes into letters that are no accents (지 is 지)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


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


@cache
def accent_forms() -> dict[str, str]:
    """Each folded letter with the lower-case letters of the Basic Multilingual Plane that ``fold``
    makes into it (``a``: ``aàáâãäå…``, ``α``: ``αάἀ…``, ``r``: ``rŕřŗ…``), for patterns that find a
    folded word in text as written (``kb.search.ranking.loose``). 40 ms, once."""
    found: dict[str, list[str]] = {}
    for code in range(0x80, 0x10000):
        letter = chr(code)
        if letter.isalpha() and letter == letter.lower():
            folded = fold(letter)
            if len(folded) == 1 and folded != letter and folded.isalpha():
                found.setdefault(folded, [folded]).append(letter)
    return {base: "".join(letters) for base, letters in found.items()}
