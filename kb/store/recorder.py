"""The Recorder: takes records off the request path through a bounded queue and writes them in batches."""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from kb.store.records import Record

if TYPE_CHECKING:  # the recorder only calls a store's methods: SQLAlchemy loads when a store opens
    from kb.store.store import Store

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 10_000
DEFAULT_BATCH_SIZE = 100  # ~1.2 ms a transaction (500: 4.7 ms at 8.9 us a record; 50: 0.75 ms at 12.9 us)
DEFAULT_INTERVAL = 0.5
_POLL = 0.05  # how often an idle writer looks for a flush or stop request


class Recorder:
    """A bounded queue in front of a Store and one daemon thread that writes what it holds (through
    ``offload``, when given).

    ``record()`` never blocks and never raises on a full queue: the record is dropped and counted.
    The writer writes a batch every ``interval`` seconds or every ``batch_size`` records, each batch
    in one transaction. ``flush()`` waits until what was queued before it is written; ``close()``
    drains the queue, stops the thread and may be called any number of times.
    """

    def __init__(
        self,
        store: Store,
        *,
        maxsize: int = DEFAULT_QUEUE_SIZE,
        batch_size: int = DEFAULT_BATCH_SIZE,
        interval: float = DEFAULT_INTERVAL,
        start: bool = True,
        offload: Callable[[Callable[[], object]], object] | None = None,
    ) -> None:
        if maxsize < 1 or batch_size < 1 or interval <= 0:
            raise ValueError("maxsize and batch_size must be positive, interval greater than zero")
        self.store = store
        self.batch_size = batch_size
        self.interval = interval
        # How a batch is written while the site runs: by default right in the writer thread; a web
        # worker whose threads are greenlets passes a function that runs it in a real thread, so a
        # commit (or SQLite waiting for its write lock) never holds up the requests' event loop.
        self._offload = offload
        self.maxsize = maxsize
        # A plain deque, not queue.Queue: the writer looks at it every _POLL seconds instead of being
        # woken by every record (under gevent each wake-up with a timeout cost ~50 us per search,
        # 11 % of the search pages' throughput in bench/readers_load.py).
        self._queue: collections.deque[Record] = collections.deque()
        self._wake = threading.Event()  # set by flush() and close(): the writer looks at once
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._accepted = 0  # records put on the queue
        self._handled = 0  # records taken off it and written (or lost to a failed write)
        self._written = 0
        self._failed = 0
        self._dropped = 0
        self._flush_requests = 0
        self._stopping = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="kb-recorder", daemon=True)
        if start:
            self.start()

    def start(self) -> None:
        """Start the writer thread (done by the constructor unless ``start=False``)."""
        if not self._thread.is_alive() and not self._closed:
            self._thread.start()

    # -- the request path -----------------------------------------------------------------------

    def record(self, item: Record) -> bool:
        """Queue ``item`` for writing; ``False`` when it was dropped (queue full or recorder closed)."""
        with self._lock:
            if self._closed or len(self._queue) >= self.maxsize:
                self._dropped += 1
                return False
            self._accepted += 1  # counted with the append, so a flush() that starts now waits for it
            self._queue.append(item)
        return True

    @property
    def dropped(self) -> int:
        """Records refused because the queue was full (or the recorder closed)."""
        return self._dropped

    def stats(self) -> dict[str, int]:
        """Counters for health pages and benchmarks: queued, written, dropped, failed."""
        with self._lock:
            return {
                "queued": len(self._queue),
                "written": self._written,
                "dropped": self._dropped,
                "failed": self._failed,
            }

    # -- stopping -------------------------------------------------------------------------------

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every record queued before this call is written; ``False`` on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            target = self._accepted
            self._flush_requests += 1
            self._wake.set()
            try:
                while self._handled < target:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or not self._thread.is_alive():
                        return self._handled >= target
                    self._done.wait(remaining)
                return True
            finally:
                self._flush_requests -= 1

    def close(self, timeout: float = 10.0) -> bool:
        """Stop accepting records, write what is queued and stop the thread; ``False`` on timeout.

        Call it on a graceful stop (for example from a SIGTERM handler or gunicorn's ``worker_exit``).
        A second call does nothing more.
        """
        with self._lock:
            self._closed = True
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._thread.is_alive():
            return False
        # A record that raced with closing (queued after the writer's last look) is written here.
        leftover = self._take(len(self._queue))
        if leftover:
            self._write(leftover)
        return True

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the writer thread ----------------------------------------------------------------------

    def _urgent(self) -> bool:
        return self._stopping.is_set() or self._flush_requests > 0

    def _take(self, count: int) -> list[Record]:
        """Up to ``count`` records off the front of the queue."""
        batch: list[Record] = []
        while len(batch) < count:
            try:
                batch.append(self._queue.popleft())
            except IndexError:
                break
        return batch

    def _next_batch(self) -> list[Record]:
        """Up to ``batch_size`` records, once the oldest has waited ``interval`` (at once when a batch
        is full or it is urgent); empty when stopping with nothing left."""
        first_seen: float | None = None
        while True:
            queued = len(self._queue)
            now = time.monotonic()
            if queued:
                if first_seen is None:
                    first_seen = now
                if queued >= self.batch_size or self._urgent() or now - first_seen >= self.interval:
                    return self._take(self.batch_size)
            elif self._stopping.is_set():
                return []
            wait = _POLL if first_seen is None else min(_POLL, first_seen + self.interval - now)
            self._wake.wait(max(wait, 0.001))
            self._wake.clear()

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch:
                self._write(batch)
            elif self._stopping.is_set():
                return

    def _write(self, batch: list[Record]) -> None:
        try:
            if self._offload is None or self._stopping.is_set():
                self.store.record(batch)  # when stopping, the process has nothing else to serve
            else:
                self._offload(lambda: self.store.record(batch))
        except Exception:
            # The database is down or refused the batch: the records are lost, counted and logged, and
            # the writer carries on; recording must never take the site down with it.
            log.exception("kb.store: lost a batch of %d records", len(batch))
            with self._lock:
                self._failed += len(batch)
                self._handled += len(batch)
                self._done.notify_all()
            return
        with self._lock:
            self._written += len(batch)
            self._handled += len(batch)
            self._done.notify_all()
