"""Files kb writes for authors and translators: whole or not at all, and one kb run at a time per folder."""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kb.errors import KBError
from kb.i18n import _

LOCK_WAIT = 10.0  # seconds to wait for another kb run to finish writing the same folder
NEW_FILE_MODE = 0o644


class BusyError(KBError):
    """Another kb run holds the lock on the folder this run would write."""


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a folder's entries are flushed by fsync on the folder)."""
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def atomic_write_bytes(path: Path, data: bytes, exclusive: bool = False) -> None:
    """Write ``data`` to ``path`` through a fsynced temporary file in the same folder, then rename it.

    A kill or a full disk at any moment leaves ``path`` as it was (or absent); never half written.
    With ``exclusive``, an existing ``path`` is never replaced (``FileExistsError``), even in a race.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.exists() and not exclusive else NEW_FILE_MODE
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        if exclusive:
            os.link(temporary, path)  # fails with EEXIST rather than replace what another wrote
            temporary.unlink()
        else:
            os.replace(temporary, path)
        _sync_folder(path.parent)
    finally:
        if temporary.exists():
            temporary.unlink()


def write_new_file(path: Path, data: bytes) -> None:
    """``data`` as a new file at ``path``: an existing file is unlinked first, never written into,
    since a build folder's files may be hard links another build shares."""
    try:
        path.unlink()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def atomic_write_text(path: Path, text: str, exclusive: bool = False) -> None:
    """``text`` as UTF-8 through :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"), exclusive=exclusive)


def _try_lock(handle: int) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def locked(folder: Path, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (flock on the folder itself: no lock file is left behind;
    a folder not made yet is locked through its nearest existing parent, and not created).

    Another kb run writing the same folder waits up to ``wait`` seconds, then gets a ``BusyError``.
    """
    existing = folder.absolute()
    while not existing.is_dir() and existing.parent != existing:
        existing = existing.parent
    handle = os.open(existing, os.O_RDONLY | os.O_DIRECTORY)
    try:
        deadline = time.monotonic() + wait
        while not _try_lock(handle):
            if time.monotonic() >= deadline:
                message = _("another kb run is writing {path}: try again when it has finished")
                raise BusyError(message.format(path=folder))
            time.sleep(0.1)
        yield
    finally:
        os.close(handle)  # closing the descriptor releases the lock


def checked_pickle(value: object, header: bytes) -> bytes:
    """``value`` pickled behind ``header`` and the payload's SHA-256, for caches kb keeps for itself:
    read back with ``unpickle_checked``, a torn, damaged or foreign file is never trusted."""
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return header + hashlib.sha256(payload).digest() + payload


def unpickle_checked(data: bytes, header: bytes) -> object | None:
    """What ``checked_pickle`` made of ``data``; None when the header or digest do not match or the
    payload was pickled by a version of kb whose classes differ."""
    start = len(header) + hashlib.sha256().digest_size
    payload = memoryview(data)[start:]  # not a copy: a warm load reads 100 MB of these
    if not data.startswith(header) or data[len(header) : start] != hashlib.sha256(payload).digest():
        return None
    try:
        value: object = pickle.loads(payload)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    return value
