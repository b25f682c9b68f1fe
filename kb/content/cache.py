"""The article cache on disk: each file's rendered Article and problems, keyed by everything they depend on.

Loading renders every article with markdown-it; on an unchanged knowledge base every command
(``kb serve``, ``kb build``, ``kb index``, ``kb check``) would do that work again. The cache keeps
the outcome of reading one file under ``instance/cache/articles/``, keyed by the file's bytes and
path, its language, the categories it resolves against, the language of the messages and kb's own
code; an entry also names the other files it was made from (a snippet an article includes, an
image it shows, found or missing) with their hashes, and is used only while they are unchanged.

Entries are written to a temporary file and renamed, so a concurrent writer or a kill -9 leaves
either the old entry, the new one or none; each carries a digest of its payload, so a damaged entry
is detected, deleted and rebuilt, never trusted. The cache is an optimisation only: when the
instance folder cannot be written, kb reads and renders as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from kb.content.files import checked_pickle, unpickle_checked
from kb.errors import ContentError
from kb.model import Article

log = logging.getLogger(__name__)

FORMAT = b"KBC1"  # the entry layout (kb.content.files.checked_pickle): magic, sha256, payload
Outcome = tuple[Article | None, list[ContentError]]


@cache
def code_fingerprint() -> str:
    """The source of kb's version and of the modules whose code shapes an Article: a change to any of
    them (an upgrade, or a developer's edit) makes every entry stale."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    shaping = [package / "__init__.py", package / "model.py", package / "errors.py", package / "i18n.py"]
    for path in sorted([*shaping, *(package / "content").glob("*.py")]):
        digest.update(path.name.encode())
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes())
    return digest.hexdigest()


def file_digest(path: Path) -> str | None:
    """The sha256 of a file's bytes, or None when it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@dataclass(frozen=True)
class Entry:
    """What one cache file holds: the outcome of reading an article, and the files it depends on."""

    outcome: Outcome
    depends: dict[str, str] = field(default_factory=dict)  # absolute path -> sha256 of its bytes


@dataclass
class ArticleCache:
    """Cached outcomes of reading article files, in ``folder``; ``context`` is what every entry
    depends on besides its own file (categories, languages, message language, kb's code)."""

    folder: Path
    context: str
    hits: int = 0
    misses: int = 0
    writable: bool = True
    # The digests of the snippets and files entries depend on, read once per load (one include is
    # named by hundreds of articles); a load is one pass, so a file changing during it is not missed
    # by more than a rerun would be.
    digests: dict[str, str] = field(default_factory=dict)

    def key(self, rel: str, lang: str, raw: bytes) -> str:
        digest = hashlib.sha256()
        for part in (code_fingerprint(), self.context, rel, lang):
            digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(raw)
        return digest.hexdigest()

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pickle"

    def get(self, key: str) -> Outcome | None:
        """The cached outcome for ``key``, if there is one, undamaged and still current."""
        entry = self._read(self.path(key))
        if entry is None or any(self.digest(p) != sha for p, sha in entry.depends.items()):
            self.misses += 1
            return None
        self.hits += 1
        return entry.outcome

    def digest(self, path: str) -> str:
        """The digest of a file an entry depends on ("" when it cannot be read), once per load."""
        found = self.digests.get(path)
        if found is None:
            found = self.digests[path] = file_digest(Path(path)) or ""
        return found

    def put(self, key: str, outcome: Outcome, depends: Iterable[Path] = ()) -> None:
        """Store ``outcome`` (atomically); a failure to write only costs the next run its time."""
        if not self.writable:
            return
        hashes = {str(p): file_digest(p) or "" for p in depends}  # "": missing, until it appears
        # Not kb.content.files.atomic_write_bytes: an entry needs no fsync or lock (a lost or torn
        # one is caught by its digest and rebuilt), and thousands of fsyncs would slow a cold load.
        target = self.path(key)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(checked_pickle(Entry(outcome, hashes), FORMAT))
            os.replace(temporary, target)
        except OSError as exc:
            self.writable = False  # say it once, then read and render as if there were no cache
            log.info("article cache not written in %s: %s", self.folder, exc.strerror or exc)
            with contextlib.suppress(OSError):
                temporary.unlink()

    def prune(self, keep: set[str]) -> int:
        """Delete the entries not in ``keep`` (files changed or removed since); returns how many."""
        removed = 0
        if not self.writable or not self.folder.is_dir():
            return removed
        for entry in self.folder.glob("*/*.pickle"):
            if entry.stem not in keep:
                with contextlib.suppress(OSError):
                    entry.unlink()
                    removed += 1
        return removed

    @staticmethod
    def _read(path: Path) -> Entry | None:
        try:
            data = path.read_bytes()
        except OSError:
            return None
        entry = unpickle_checked(data, FORMAT)
        if not isinstance(entry, Entry):
            log.info("article cache entry %s is damaged or foreign: rebuilt", path.name)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        return entry
