"""Reader data in the web layer: per-process recorder, site secret, tokens, pseudonyms, rate limits."""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import hmac
import logging
import os
import secrets
import signal
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Flask, current_app, request

from kb.search.service import SearchResult
from kb.settings import Settings
from kb.store import Record, Recorder, SearchRecord, database_url, voter_hash
from kb.store.recorder import DEFAULT_QUEUE_SIZE
from kb.web.gate import off_the_loop

if TYPE_CHECKING:  # loaded (with SQLAlchemy) only when the store first opens: see Readers._open
    from kb.store import Store

log = logging.getLogger(__name__)

EXTENSION = "kb_readers"
SECRET_ENV = "KB_SECRET_KEY"
SECRET_FILE = "secret_key"
ADMIN_TOKEN_ENV = "KB_ADMIN_TOKEN"
SWITCH_ENV = "KB_READER_DATA"  # "off" records nothing (benchmarks, sites that want no analytics)
QUEUE_ENV = "KB_RECORDER_QUEUE"  # the recorder's queue size (default: the store's)
OFF = frozenset({"off", "0", "false", "no"})
RETRY_AFTER = 30.0  # seconds before opening a store that failed to open is tried again
TOKEN_DAYS = 2  # a page's token is good today and yesterday (pages are cached across midnight)


def site_secret(settings: Settings, environ: Mapping[str, str] | None = None) -> bytes:
    """``KB_SECRET_KEY``, else a random key kept in ``instance/secret_key`` (made once, mode 0600).

    Several servers behind one load balancer must share the key: set ``KB_SECRET_KEY`` on each.
    """
    environ = os.environ if environ is None else environ
    given = environ.get(SECRET_ENV, "")
    if given:
        return given.encode("utf-8")
    path = settings.instance_dir / SECRET_FILE
    try:
        return _read_or_make_secret(path)
    except OSError as exc:  # a read-only instance folder: tokens then hold for this process only
        log.warning("no %s and %s cannot be written (%s): a key for this process", SECRET_ENV, path, exc)
        return secrets.token_bytes(32)


def _read_or_make_secret(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _attempt in range(50):  # another process made it a moment ago and may still be writing
            found = path.read_bytes().strip()
            if found:
                return found
            time.sleep(0.01)
        raise OSError(f"{path} is empty") from None
    key = secrets.token_hex(32).encode("ascii")
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    return key


def derived_key(secret: bytes, purpose: str) -> bytes:
    """A key for one purpose (CSRF tokens, voter pseudonyms, admin cookies) from the site secret."""
    return hmac.new(secret, purpose.encode("ascii"), hashlib.sha256).digest()


class RateLimiter:
    """Token buckets per client, in memory and per process: ``rate`` actions a minute, bursts of ``burst``.

    Clients are kept by a hash of their address only while they are active; at most ``max_clients``.
    """

    def __init__(self, rate: float, burst: int, max_clients: int = 10_000) -> None:
        self.per_second = rate / 60.0
        self.burst = float(burst)
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, client: str, now: float | None = None) -> bool:
        """Take one token from ``client``'s bucket; ``False`` when it is empty."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.per_second)
            allowed = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)  # the least recently seen client
            return allowed


class Readers:
    """What the app needs to take in reader data: the secret, the store (per process) and rate limits."""

    def __init__(self, settings: Settings, environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        self.settings = settings
        self.enabled = environ.get(SWITCH_ENV, "on").strip().lower() not in OFF
        self.url = database_url(settings, environ)
        self.secret = site_secret(settings, environ)
        self.csrf_key = derived_key(self.secret, "kb feedback csrf")
        self.voter_key = derived_key(self.secret, "kb voter")
        self.admin_key = derived_key(self.secret, "kb admin cookie")
        queue = environ.get(QUEUE_ENV, "")
        self.queue_size = int(queue) if queue.isdigit() and int(queue) > 0 else None
        self.votes = RateLimiter(rate=20, burst=10)
        self.beacons = RateLimiter(rate=120, burst=60)
        self._lock = threading.Lock()
        self._pid = -1  # the process the fields below belong to (they are reset after a fork)
        self._store: Store | None = None
        self._recorder: Recorder | None = None
        self._opening: threading.Thread | None = None
        self._opened = threading.Event()
        self._pending: list[Record] = []  # records made while the store was still being opened
        self._failed_at = 0.0
        self._dropped_early = 0  # records refused while the store was opening (the list was full)

    # -- the store and recorder of this process -----------------------------------------------------
    # The store is opened (connected, migrated, purged) by a thread of its own, started on first use in
    # each process (after gunicorn's fork): a slow or unreachable database never holds up a request.

    def _start_opening(self) -> None:
        # Nothing may wait while holding self._lock: it is a plain lock, made before gunicorn forks
        # (so before gevent patches threading), and starting a thread waits (under gevent it yields
        # to the loop). A greenlet that then wanted the lock blocked its worker for good: one worker
        # in three froze at its first search (bench/readers_load.py, half the throughput).
        with self._lock:
            if self._pid != os.getpid():  # first use in this process (or a forked child)
                self._pid, self._store, self._recorder, self._opening = os.getpid(), None, None, None
                self._opened, self._pending, self._failed_at = threading.Event(), [], 0.0
                self._dropped_early = 0
            if self._recorder is not None or (self._opening is not None and not self._opened.is_set()):
                return  # open, or being opened
            if self._failed_at and time.monotonic() - self._failed_at < RETRY_AFTER:
                return
            self._opened.clear()
            opening = self._opening = threading.Thread(target=self._open, name="kb-store-open", daemon=True)
        opening.start()

    def _open(self) -> None:
        # Connecting, migrating and purging wait for the database (SQLite's write lock, a remote
        # server): under gevent workers in a real thread, or the worker's requests would wait too.
        try:
            from kb.store import Store  # SQLAlchemy is loaded here, when the store first opens

            store = off_the_loop(lambda: Store.open(self.url))
        except Exception:  # any driver error: reader data waits, pages and searches go on
            log.exception("kb: the reader-data store cannot be opened; nothing is recorded for now")
            with self._lock:
                if self._pending:
                    log.warning(
                        "kb: %d records made while the store was opening are lost", len(self._pending)
                    )
                self._pending, self._failed_at = [], time.monotonic()
            self._opened.set()
            return
        off_the_loop(lambda: self._purge(store))
        # Under gevent workers the writer is a greenlet: its batches are written in gevent's thread
        # pool (off_the_loop), or every commit, and every wait for SQLite's write lock, would stop
        # the worker's requests (bench/readers_load.py: with the database locked, searches fell
        # from 4,200/s to 850/s and some timed out).
        recorder = Recorder(store, maxsize=self.queue_size or DEFAULT_QUEUE_SIZE, offload=off_the_loop)
        atexit.register(self._close, recorder)  # a graceful stop (SIGTERM, worker exit) writes the queue
        with self._lock:
            self._store, self._recorder, self._failed_at = store, recorder, 0.0
            pending, self._pending = self._pending, []
        for item in pending:
            recorder.record(item)
        self._opened.set()

    def recorder(self, wait: float = 10.0) -> Recorder | None:
        """This process's recorder, waiting up to ``wait`` seconds for the store to open (reports, tests);
        ``None`` when switched off or while the store cannot be opened."""
        if not self.enabled:
            return None
        if self._pid == os.getpid() and self._recorder is not None:
            return self._recorder
        self._start_opening()
        self._opened.wait(wait)
        return self._recorder if self._pid == os.getpid() else None

    def store(self) -> Store | None:
        """This process's store (opened with the recorder), for reports; ``None`` when unavailable."""
        return self._store if self.recorder() is not None else None

    def _purge(self, store: Store) -> None:
        try:
            deleted = store.purge(self.settings.retention_days)
        except Exception:  # a failed purge is retried at the next start; recording goes on
            log.exception("kb: purging reader data older than %d days failed", self.settings.retention_days)
            return
        if any(deleted.values()):
            log.info("kb: purged reader data older than %d days: %s", self.settings.retention_days, deleted)

    def record(self, item: Record) -> None:
        """Queue ``item``; never blocks and never raises (a full queue drops and counts it)."""
        if not self.enabled:
            return
        found = self._recorder if self._pid == os.getpid() else None
        if found is not None:
            found.record(item)
            return
        self._start_opening()
        with self._lock:
            if self._recorder is not None:
                self._recorder.record(item)
            elif self._failed_at == 0.0 and len(self._pending) < (self.queue_size or DEFAULT_QUEUE_SIZE):
                self._pending.append(item)
            else:
                self._dropped_early += 1

    def _close(self, recorder: Recorder) -> None:
        """Write what is queued, stop, and log the process's totals (drops and failures as warnings)."""
        flushed = recorder.close()
        stats = recorder.stats()
        dropped = stats["dropped"] + self._dropped_early
        level = logging.WARNING if dropped or stats["failed"] or not flushed else logging.DEBUG
        log.log(
            level, "kb: reader data of process %d: %d written, %d dropped (queue full), %d failed, %d left",
            os.getpid(), stats["written"], dropped, stats["failed"], stats["queued"],
        )  # fmt: skip

    # -- tokens and pseudonyms -------------------------------------------------------------------

    def csrf_token(self, lang: str, slug: str, day: dt.date | None = None) -> str:
        """The vote form's token: the same for every reader of an article on a day (pages stay cacheable)."""
        day = day or utc_today()
        message = f"{lang}\x00{slug}\x00{day.isoformat()}".encode()
        return hmac.new(self.csrf_key, message, hashlib.sha256).hexdigest()[:40]

    def csrf_valid(self, lang: str, slug: str, token: str) -> bool:
        """Whether ``token`` is the article's token of today or yesterday (constant-time comparison)."""
        today = utc_today()
        good = False
        for back in range(TOKEN_DAYS):
            expected = self.csrf_token(lang, slug, today - dt.timedelta(days=back))
            good |= hmac.compare_digest(expected.encode(), token.encode("utf-8", "replace"))
        return good

    def voter(self) -> str:
        """The reader's pseudonym for today: a salted daily hash of address and user agent, made in memory."""
        return voter_hash(self.voter_key, utc_today(), client_id())

    def admin_cookie(self, token: str) -> str:
        """What the admin cookie holds: a keyed hash of the admin token, never the token itself."""
        return hmac.new(self.admin_key, token.encode("utf-8"), hashlib.sha256).hexdigest()


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def client_id() -> str:
    """Address and user agent of this request: used in memory for pseudonyms and limits, never stored."""
    return f"{request.remote_addr or ''}\x00{request.user_agent.string[:300]}"


def client_key() -> str:
    """The rate limits' key for this client: a hash of its address."""
    return hashlib.sha256((request.remote_addr or "").encode()).hexdigest()[:24]


def same_origin() -> bool:
    """False when the request names another site in Origin (or, without Origin, in Referer).

    A browser always sends Origin with a cross-site POST; a request naming neither passes (the token
    is still checked).
    """
    origin = request.headers.get("Origin")
    claimed = origin if origin is not None else request.headers.get("Referer")
    if claimed is None:
        return True
    parts = urlsplit(claimed)
    if not parts.scheme or not parts.netloc:
        return False
    allowed = {request.host_url.rstrip("/")}
    base = readers().settings.base_url
    if base:
        base_parts = urlsplit(base)
        allowed.add(f"{base_parts.scheme}://{base_parts.netloc}")
    return f"{parts.scheme}://{parts.netloc}" in allowed


def readers() -> Readers:
    """The reader-data state of the current app."""
    found = current_app.extensions[EXTENSION]
    assert isinstance(found, Readers)
    return found


def recording(app: Flask) -> bool:
    """Whether this app takes reader data (not the static export, not when switched off)."""
    found = app.extensions.get(EXTENSION)
    return isinstance(found, Readers) and found.enabled and not app.config.get("KB_OFFLINE", False)


def record_search(text: str, lang: str, result: SearchResult, seconds: float, source: str) -> None:
    """Record a search the server answered (its first page only: later pages are the same search)."""
    if result.page != 1 or not text.strip() or not recording(current_app):
        return
    try:
        item = SearchRecord(
            query=text, lang=lang, results=result.total, fallback=result.fallback, ms=seconds * 1000.0,
            source=source,
        )  # fmt: skip
    except ValueError:  # a fallback this version does not know: recorded without it
        item = SearchRecord(query=text, lang=lang, results=result.total, ms=seconds * 1000.0, source=source)
    readers().record(item)


def stop_on_sigterm() -> None:
    """Make SIGTERM a normal exit (``SystemExit``) so atexit handlers flush the recorder's queue.

    Only when nobody else handles SIGTERM (gunicorn installs its own graceful handler in its workers).
    """
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:

        def leave(_signum: int, _frame: FrameType | None) -> None:
            sys.exit(0)

        signal.signal(signal.SIGTERM, leave)


def init_readers(app: Flask, settings: Settings) -> None:
    """Attach the reader-data state to ``app`` and what the templates need of it."""
    app.extensions[EXTENSION] = Readers(settings)

    @app.context_processor
    def reader_globals() -> dict[str, object]:
        live = recording(app)
        return {
            "feedback_on": live,
            "support_url": settings.support_url,
            "feedback_token": readers().csrf_token if live else None,
        }
