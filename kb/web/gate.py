"""The search gate: at most a few searches at once per worker process, so slow searches cannot starve pages.

A search past the cap waits a moment for a slot, then is refused (HTTP 503 with ``Retry-After``)
rather than queued behind slow ones: the threads (or event loop) that serve article pages stay
free whatever readers type.
"""

from __future__ import annotations

import collections
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
    """Counts the searches under way in this process and refuses those past ``limit``.

    Waiting searches are served first come, first served: a freed slot goes to the longest waiter,
    never to a search that just arrived (with a plain semaphore, new arrivals kept taking the freed
    slots under load and waiters ran out of time though searches took milliseconds).
    """

    def __init__(self, limit: int = DEFAULT_LIMIT, wait: float = DEFAULT_WAIT) -> None:
        self.limit = max(1, limit)
        self.wait = wait
        self.refused = 0
        self._busy = 0
        self._waiting: collections.deque[threading.Event] = collections.deque()
        self._lock: threading.Lock | None = None
        self._owner = 0

    def lock(self) -> threading.Lock:
        """This process's lock, made on first use after a fork: under gevent workers ``threading``
        is patched by then, so a wait yields to other requests instead of holding the event loop."""
        if self._lock is None or self._owner != os.getpid():
            self._lock, self._owner = threading.Lock(), os.getpid()
            self._busy, self._waiting = 0, collections.deque()
        return self._lock

    def acquire(self) -> bool:
        with self.lock():
            if self._busy < self.limit and not self._waiting:
                self._busy += 1
                return True
            turn = threading.Event()
            self._waiting.append(turn)
        if turn.wait(self.wait):
            return True  # the slot was handed over by release()
        with self.lock():
            if turn.is_set():  # handed over just as the time ran out
                return True
            self._waiting.remove(turn)
        return False

    def release(self) -> None:
        with self.lock():
            if self._waiting:
                self._waiting.popleft().set()  # the slot passes on; busy stays the same
            else:
                self._busy -= 1

    @contextlib.contextmanager
    def slot(self) -> Iterator[bool]:
        """Yields True with a slot held for the search, or False when none came free in time."""
        if not self.acquire():
            self.refused += 1
            yield False
            return
        try:
            yield True
        finally:
            self.release()


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
