"""The Recorder: takes records off the request path through a bounded queue and writes them in batches."""

from __future__ import annotations

import logging
import queue
import threading
import time

from kb.store.records import Record
from kb.store.store import Store

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 10_000
DEFAULT_BATCH_SIZE = 500
DEFAULT_INTERVAL = 0.5
_POLL = 0.05  # how often an idle writer looks for a flush or stop request


class Recorder:
    """A bounded queue in front of a Store and one daemon thread that writes what it holds.

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
    ) -> None:
        if maxsize < 1 or batch_size < 1 or interval <= 0:
            raise ValueError("maxsize and batch_size must be positive, interval greater than zero")
        self.store = store
        self.batch_size = batch_size
        self.interval = interval
        self._queue: queue.Queue[Record] = queue.Queue(maxsize=maxsize)
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
        if self._closed:
            with self._lock:
                self._dropped += 1
            return False
        with self._lock:
            self._accepted += 1  # counted first, so a flush() that starts now waits for it
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            with self._lock:
                self._accepted -= 1
                self._dropped += 1
            return False
        return True

    @property
    def dropped(self) -> int:
        """Records refused because the queue was full (or the recorder closed)."""
        return self._dropped

    def stats(self) -> dict[str, int]:
        """Counters for health pages and benchmarks: queued, written, dropped, failed."""
        with self._lock:
            return {
                "queued": self._queue.qsize(),
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
        self._closed = True
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._thread.is_alive():
            return False
        # A record that raced with closing (queued after the writer's last look) is written here.
        leftover: list[Record] = []
        while True:
            try:
                leftover.append(self._queue.get_nowait())
            except queue.Empty:
                break
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

    def _next_batch(self) -> list[Record]:
        """Up to ``batch_size`` records: wait for the first, then until the interval ends or it is urgent."""
        batch: list[Record] = []
        deadline: float | None = None
        while len(batch) < self.batch_size:
            if self._urgent():
                # Take everything already queued (up to a batch) without waiting.
                try:
                    batch.append(self._queue.get_nowait())
                    continue
                except queue.Empty:
                    if batch or self._stopping.is_set():
                        break
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            wait = _POLL if deadline is None else min(_POLL, deadline - now)
            try:
                batch.append(self._queue.get(timeout=wait))
            except queue.Empty:
                continue
            if deadline is None:
                deadline = time.monotonic() + self.interval
        return batch

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch:
                self._write(batch)
            elif self._stopping.is_set():
                return

    def _write(self, batch: list[Record]) -> None:
        try:
            self.store.record(batch)
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
