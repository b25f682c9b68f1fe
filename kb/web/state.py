"""The app's state: what one app serves (settings, library, search), kept in ``app.extensions["kb"]``.

Views, the API and feeds import ``state()`` from here, never from the factory, so the web layer has
no import cycle: ``app`` imports the blueprints, the blueprints import ``state``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from flask import current_app

from kb.content.loader import LoadResult
from kb.model import Library
from kb.search.service import SearchRequest, SearchResult, SearchService
from kb.settings import Settings
from kb.web.gate import SearchGate, off_the_loop
from kb.web.pagecache import SEARCH_BUDGET, PageCache

PACKAGE_DIR = Path(__file__).resolve().parent.parent
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATES_DIR = PACKAGE_DIR / "templates"


@dataclass(frozen=True)
class State:
    """What the app serves: its settings, the Library loaded from them and the search service."""

    settings: Settings
    loaded: LoadResult
    search: SearchService
    loaded_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0))
    assets: dict[str, str] = field(default_factory=dict)
    pages: PageCache = field(default_factory=PageCache, init=False)  # this content generation's pages
    search_pages: PageCache = field(default_factory=lambda: PageCache(SEARCH_BUDGET), init=False)
    gate: SearchGate = field(default_factory=SearchGate)  # searches at once in this process

    @property
    def library(self) -> Library:
        return self.loaded.library

    def answer(self, request: SearchRequest) -> SearchResult | None:
        """The result of ``request``: from the result cache when readers asked it before (no slot,
        no thread), else searched in a gate slot off the event loop; None when the gate refused."""
        found = self.search.cached(request)
        if found is not None:
            return found
        with self.gate.slot() as admitted:
            return off_the_loop(lambda: self.search.search(request)) if admitted else None

    @cached_property
    def media(self) -> frozenset[str]:
        """The files the articles reference (paths from the root): the only ones /media/ serves."""
        return frozenset(r.resolved for a in self.library for r in a.references if r.kind == "file")


def state() -> State:
    """The kb state of the current app."""
    found = current_app.extensions["kb"]
    assert isinstance(found, State)
    return found


def asset_versions(folder: Path = STATIC_DIR) -> dict[str, str]:
    """A short content hash per static file, appended to its URL so it can be cached for a year."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:12]
        for p in sorted(folder.iterdir())
        if p.is_file()
    }
