"""The search gate: at most a few searches at once per worker process, so slow searches cannot starve pages.

A search past the cap waits a moment for a slot, then is refused (HTTP 503 with ``Retry-After``)
rather than queued behind slow ones: the threads (or event loop) that serve article pages stay
free whatever readers type.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

DEFAULT_LIMIT = 2  # searches at once per process; the rest of its threads keep serving pages
DEFAULT_WAIT = 0.25  # seconds a search may wait for a slot before it is refused
RETRY_AFTER = 2  # seconds, in the 503's Retry-After header


class SearchGate:
    """Counts the searches under way in this process and refuses those past ``limit``."""

    def __init__(self, limit: int = DEFAULT_LIMIT, wait: float = DEFAULT_WAIT) -> None:
        self.limit = max(1, limit)
        self.wait = wait
        self.refused = 0
        self._slots = threading.BoundedSemaphore(self.limit)

    @contextlib.contextmanager
    def slot(self) -> Iterator[bool]:
        """Yields True with a slot held for the search, or False when none came free in time."""
        if not self._slots.acquire(timeout=self.wait):
            self.refused += 1
            yield False
            return
        try:
            yield True
        finally:
            self._slots.release()
