"""The search gate: at most a few searches at once per worker process, so slow searches cannot starve pages.

A search past the cap waits a moment for a slot, then is refused (HTTP 503 with ``Retry-After``)
rather than queued behind slow ones: the threads (or event loop) that serve article pages stay
free whatever readers type.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")
DEFAULT_LIMIT = 2  # searches at once per process; the rest of its threads keep serving pages
DEFAULT_WAIT = 0.25  # seconds a search may wait for a slot before it is refused
RETRY_AFTER = 2  # seconds, in the 503's Retry-After header


class SearchGate:
    """Counts the searches under way in this process and refuses those past ``limit``."""

    def __init__(self, limit: int = DEFAULT_LIMIT, wait: float = DEFAULT_WAIT) -> None:
        self.limit = max(1, limit)
        self.wait = wait
        self.refused = 0
        self._slots: threading.BoundedSemaphore | None = None
        self._owner = 0
        self._making = threading.Lock()

    def semaphore(self) -> threading.BoundedSemaphore:
        """This process's semaphore, made on first use after a fork: under gevent workers
        ``threading`` is patched by then, so waiting for a slot yields to other requests instead
        of holding the event loop, and waiters are served first come, first served."""
        if self._slots is None or self._owner != os.getpid():
            with self._making:
                if self._slots is None or self._owner != os.getpid():
                    self._slots, self._owner = threading.BoundedSemaphore(self.limit), os.getpid()
        return self._slots

    @contextlib.contextmanager
    def slot(self) -> Iterator[bool]:
        """Yields True with a slot held for the search, or False when none came free in time."""
        slots = self.semaphore()
        if not slots.acquire(timeout=self.wait):
            self.refused += 1
            yield False
            return
        try:
            yield True
        finally:
            slots.release()


def off_the_loop(call: Callable[[], T]) -> T:
    """Run a CPU-bound ``call`` (a search) where it does not hold up other requests.

    Under gunicorn's gevent workers (kb.web.server) every request of a worker shares one event
    loop, and a search would stop it for its whole time: it runs in gevent's pool of real threads
    instead, so the loop goes on serving pages while the search thread works (the interpreter
    switches between them every few milliseconds). Elsewhere (threads, the development server,
    tests) it runs right here.
    """
    try:
        from gevent import get_hub, monkey
    except ImportError:  # gevent is a dependency, but kb runs without it outside production
        return call()
    if not monkey.is_module_patched("threading"):
        return call()
    result: T = get_hub().threadpool.apply(call)
    return result
