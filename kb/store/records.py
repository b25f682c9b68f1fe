"""The reader-data records (searches, result clicks, article votes) and the rules that clean them."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

MAX_QUERY_LENGTH = 200
MAX_REASON_LENGTH = 500
MAX_SLUG_LENGTH = 200
MAX_LANG_LENGTH = 16

FALLBACKS: frozenset[str | None] = frozenset({None, "any-term", "fuzzy"})
SOURCES: frozenset[str] = frozenset({"page", "api", "suggest-final"})

# Controls, format characters (soft hyphen, zero-width space) and lone surrogates carry no meaning in a
# query, and NUL or a surrogate cannot even be stored in PostgreSQL text or encoded as UTF-8.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # ASCII's Cc, less the whitespace ones


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _clean_text(text: str, limit: int, *, fold_case: bool) -> str:
    """One pass of cleaning: NFC, drop invisible characters, optionally lower-case, collapse, cap."""
    if text.isascii() and not _ASCII_CONTROL.search(text):
        # The usual query: NFC and the invisible characters do not apply (same result, ~10x faster).
        return " ".join((text.lower() if fold_case else text).split())[:limit].strip()
    text = unicodedata.normalize("NFC", text)
    text = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch) not in _DROPPED_CATEGORIES
    )
    if fold_case:
        text = unicodedata.normalize("NFC", text.lower())
    text = " ".join(text.split())
    return unicodedata.normalize("NFC", text[:limit]).strip()


def _fixed_point(text: str, limit: int, *, fold_case: bool) -> str:
    # Lower-casing and NFC can each undo the other's work on rare characters (and NFC can lengthen a
    # capped string), so repeat until nothing changes: normalising a normalised text changes nothing.
    for _ in range(8):
        cleaned = _clean_text(text, limit, fold_case=fold_case)
        if cleaned == text:
            break
        text = cleaned
    return text


@functools.lru_cache(maxsize=4096)  # readers' queries repeat; the writer cleans each one once
def normalize_query(query: str, limit: int = MAX_QUERY_LENGTH) -> str:
    """A query as reports count it: NFC, lower-case, whitespace collapsed, at most ``limit`` characters."""
    return _fixed_point(query, limit, fold_case=True)


def normalize_reason(reason: str | None, limit: int = MAX_REASON_LENGTH) -> str | None:
    """A reader's reason as stored: NFC, whitespace collapsed, capped; ``None`` when nothing is left."""
    if reason is None:
        return None
    return _fixed_point(reason, limit, fold_case=False) or None


def voter_hash(secret: str | bytes, day: date, client_id: str) -> str:
    """A salted daily pseudonym for a reader (HMAC-SHA256 of day and client): unlinkable across days.

    ``client_id`` is whatever identifies the client for one request (for example its IP address and
    user agent); only this hash is stored, never the client id itself.
    """
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    message = f"{day.isoformat()}\x00{client_id}".encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _check_choice(name: str, value: object, allowed: frozenset[object]) -> None:
    if value not in allowed:
        shown = ", ".join(sorted(repr(a) for a in allowed))
        raise ValueError(f"{name} must be one of {shown}, not {value!r}")


@dataclass(frozen=True)
class SearchRecord:
    """One search the server answered; ``results`` counts what the reader got after every fallback."""

    query: str
    lang: str
    results: int
    fallback: str | None = None
    ms: float = 0.0
    source: str = "page"
    at: datetime = field(default_factory=utc_now)

    def __post_init__(self) -> None:
        _check_choice("fallback", self.fallback, FALLBACKS)
        _check_choice("source", self.source, SOURCES)
        if self.results < 0:
            raise ValueError(f"results must not be negative, not {self.results}")

    @property
    def day(self) -> date:
        return as_utc(self.at).date()


@dataclass(frozen=True)
class ClickRecord:
    """A reader opened the result at ``rank`` (1 = first) of the search ``query``."""

    query: str
    lang: str
    slug: str
    rank: int
    at: datetime = field(default_factory=utc_now)

    @property
    def day(self) -> date:
        return as_utc(self.at).date()


@dataclass(frozen=True)
class VoteRecord:
    """A reader's answer to "Was this article helpful?"; ``voter`` comes from ``voter_hash``."""

    lang: str
    slug: str
    helpful: bool
    voter: str
    reason: str | None = None
    at: datetime = field(default_factory=utc_now)

    @property
    def day(self) -> date:
        return as_utc(self.at).date()


Record = SearchRecord | ClickRecord | VoteRecord
