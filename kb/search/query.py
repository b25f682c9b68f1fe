"""The reader's query language: words, "phrases", prefix*, -exclusions and field filters, parsed safely.

Parsing never fails: whatever a reader types becomes a ParsedQuery, with notices saying what was
ignored or bounded (a leading wildcard, an over-long query, an unknown filter value).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from kb.search.words import TOKEN_PATTERN, strip_invisible

MAX_QUERY_CHARS = 500
MAX_WORDS = 32  # long natural-language questions keep their meaning; each word is bounded work
MIN_PREFIX = 2
FILTER_FIELDS = ("category", "author", "tag", "after", "before", "date")
CHUNK = re.compile(r'(?P<neg>-)?(?:(?P<field>[A-Za-z]+):)?(?:"(?P<quoted>[^"]*)"?|(?P<bare>[^\s"]+))')
# A word of the index (``kb.search.words``), with the query syntax around it: ``*`` and ``~``.
WORD = re.compile(r"\*?(?:" + TOKEN_PATTERN.pattern + r")\*?(?:~\d?)?", re.UNICODE)
CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")


ALL_REQUIRED_UP_TO = 2  # one or two words: every word must match
ONE_MAY_MISS_UP_TO = ALL_REQUIRED_UP_TO  # (format 3 of the offline index reads this name)


def required_matches(words: int) -> int:
    """How many of a query's ``words`` an article must match; the server and offline search agree.

    Up to two words, all; from three words on, the rule is soft (``kb.search.ranking``): an article
    matching any word may be a result, ranked by the share of the query's weight it matches (each
    word weighted by its rarity), so articles matching most of the words come first.
    """
    if words <= ALL_REQUIRED_UP_TO:
        return words
    return 1


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown, in the reader's language."""
    return message


@dataclass(frozen=True)
class Notice:
    """Something the reader should know about how their query was read; ``message`` is a msgid."""

    message: str
    value: str = ""


@dataclass(frozen=True)
class ParsedQuery:
    """A reader's query, taken apart: what to match, what to exclude and how to filter."""

    raw: str
    words: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    fuzzy: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    any_term: bool = False
    notices: tuple[Notice, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.prefixes or self.fuzzy or self.phrases)

    @property
    def all_words(self) -> tuple[str, ...]:
        """The words a reader searched for, prefixes, fuzzy and phrase words included (for snippets)."""
        return self.words + self.prefixes + self.fuzzy + tuple(w for p in self.phrases for w in p)

    @property
    def has_filters(self) -> bool:
        return bool(self.categories or self.authors or self.tags or self.date_from or self.date_to)

    def text(self) -> str:
        """The matching part as plain words (for suggestions and display)."""
        parts = list(self.words) + [p + "*" for p in self.prefixes] + list(self.fuzzy)
        parts += ['"' + " ".join(p) + '"' for p in self.phrases]
        return " ".join(parts)


def parse_date(text: str, end: bool) -> dt.date | None:
    """``2024``, ``2024-05`` or ``2024-05-03`` as the first (or, with ``end``, last) day it covers."""
    match = DATE.match(text)
    if match is None:
        return None
    year, month, day = int(match[1]), int(match[2] or 0), int(match[3] or 0)
    try:
        if day:
            return dt.date(year, month, day)
        if month:
            first = dt.date(year, month, 1)
            if not end:
                return first
            following = dt.date(year + (month == 12), month % 12 + 1, 1)
            return following - dt.timedelta(days=1)
        return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
    except ValueError:
        return None


@dataclass
class _Builder:
    raw: str
    words: list[str] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    phrases: list[tuple[str, ...]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    dates: dict[str, dt.date] = field(default_factory=dict)
    any_term: bool = False
    notices: list[Notice] = field(default_factory=list)

    def count(self) -> int:
        return len(self.words) + len(self.prefixes) + len(self.fuzzy) + len(self.phrases)

    def add_word(self, token: str, negated: bool) -> None:
        if token.startswith("*"):
            self.notices.append(Notice(N_("Wildcards at the start of a word are not supported."), token))
            token = token.lstrip("*")
        fuzzy = "~" in token
        token = token.split("~")[0]
        prefix = token.endswith("*")
        token = token.rstrip("*").lower()
        if not token:
            return
        if negated:
            self.excluded.append(token)
        elif self.count() >= MAX_WORDS:
            self.notices.append(Notice(N_("Only the first words of a long query were used."), ""))
        elif prefix and len(token) >= MIN_PREFIX:
            self.prefixes.append(token)
        elif fuzzy:
            self.fuzzy.append(token)
        else:
            self.words.append(token)

    def add_filter(self, name: str, value: str) -> None:
        value = value.strip()
        if not value:
            return
        if name in ("after", "before"):
            parsed = parse_date(value, end=name == "before")
            if parsed is None:
                self.notices.append(Notice(N_("This date was not understood:"), value))
            else:
                self.dates["from" if name == "after" else "to"] = parsed
        elif name == "date":
            start, _sep, stop = value.partition("..")
            self.add_filter("after", start)
            self.add_filter("before", stop or start)
        else:
            self.filters.setdefault(name, []).append(value)

    def build(self) -> ParsedQuery:
        return ParsedQuery(
            raw=self.raw,
            words=tuple(dict.fromkeys(self.words)),
            prefixes=tuple(dict.fromkeys(self.prefixes)),
            fuzzy=tuple(dict.fromkeys(self.fuzzy)),
            phrases=tuple(dict.fromkeys(self.phrases)),
            excluded=tuple(dict.fromkeys(self.excluded)),
            categories=tuple(self.filters.get("category", ())),
            authors=tuple(self.filters.get("author", ())),
            tags=tuple(self.filters.get("tag", ())),
            date_from=self.dates.get("from"),
            date_to=self.dates.get("to"),
            any_term=self.any_term,
            notices=tuple(dict.fromkeys(self.notices)),
        )


def parse_query(raw: str) -> ParsedQuery:
    """Read a reader's query; never raises, whatever ``raw`` holds."""
    text = CONTROL.sub(" ", strip_invisible(raw))
    builder = _Builder(raw=raw)
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        builder.notices.append(Notice(N_("Only the first words of a long query were used."), ""))
    negate_next = False
    for match in CHUNK.finditer(text):
        name = (match["field"] or "").lower()
        negated = bool(match["neg"]) or negate_next
        negate_next = False
        if match["quoted"] is not None and name not in FILTER_FIELDS:
            words = tuple(w.lower() for w in WORD.findall(match["quoted"]))
            words = tuple(w.strip("*").split("~")[0] for w in words if w.strip("*"))
            if negated:
                builder.excluded.extend(words)
            elif len(words) > 1 and builder.count() < MAX_WORDS:
                builder.phrases.append(words)
            for word in words if len(words) == 1 and not negated else ():
                builder.add_word(word, negated=False)
            continue
        value = match["quoted"] if match["quoted"] is not None else match["bare"] or ""
        if name in FILTER_FIELDS:
            builder.add_filter(name, value)
            continue
        if not name and value in ("AND", "&&"):
            continue
        if not name and value in ("OR", "||"):
            builder.any_term = True
            continue
        if not name and value == "NOT":
            negate_next = True
            continue
        chunk = f"{name} {value}" if name else value
        for word in WORD.findall(chunk):
            builder.add_word(word, negated)
        if "*" in chunk and not WORD.search(chunk):
            builder.notices.append(Notice(N_("Wildcards at the start of a word are not supported."), chunk))
    return builder.build()
