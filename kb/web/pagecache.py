"""Rendered pages kept in memory for one content generation: rendered once, gzipped once, with their ETag.

Home, category and article pages depend only on the content, the language in their URL, the host
that absolute links are built on and the day; a cache belongs to one ``State``, so loading new
content (a new State) is an atomic swap to an empty cache. Entries are evicted least recently used
first once the cache holds more than its byte budget.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from flask import request

MIN_GZIP_BYTES = 512  # smaller bodies gain nothing from gzip (kb.web.headers uses it too)
DEFAULT_BUDGET = 64 * 1024 * 1024  # bytes of page bodies (plain and gzipped) per process
# Search pages have a cache of their own, so that readers typing endless new queries can never
# push the article pages out.
SEARCH_BUDGET = 16 * 1024 * 1024
PageKey = tuple[str, str, str]


@dataclass(frozen=True)
class CachedPage:
    """One rendered page: its HTML, the same gzipped (None when too small to gain), and its ETag."""

    body: bytes
    gzipped: bytes | None
    etag: str
    # What the page was rendered from besides its key, when that can change within a content
    # generation (a search page's result: the page is reused only for that very result object).
    source: object = field(default=None, compare=False)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")

    @classmethod
    def of(cls, html: str, source: object = None) -> CachedPage:
        body = html.encode("utf-8")
        gzipped = gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= MIN_GZIP_BYTES else None
        return cls(body, gzipped, hashlib.sha256(body).hexdigest()[:32], source)


class PageCache:
    """A thread-safe LRU of rendered pages bounded by the bytes it holds."""

    def __init__(self, budget: int = DEFAULT_BUDGET) -> None:
        self.budget = budget
        self.used = 0
        self.hits = 0
        self.misses = 0
        self._pages: OrderedDict[PageKey, CachedPage] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._pages)

    def get(self, key: PageKey) -> CachedPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
            return page

    def put(self, key: PageKey, page: CachedPage) -> None:
        if page.size > self.budget:
            return
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self.used -= old.size
            self._pages[key] = page
            self.used += page.size
            while self.used > self.budget:
                _key, evicted = self._pages.popitem(last=False)
                self.used -= evicted.size


def page_key() -> PageKey:
    """What a cached page depends on besides the content: its URL, the host absolute links use, the day."""
    return (request.full_path, request.host, dt.datetime.now(dt.UTC).date().isoformat())
