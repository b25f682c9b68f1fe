"""Files kb writes for translators survive kill -9 and a full disk, and two runs never write at once.

A full disk is ``RLIMIT_FSIZE`` in the ``kb`` process (the kernel refuses writes past the limit with
EFBIG, as a full disk refuses them with ENOSPC), as in test_faults.py.
"""

from __future__ import annotations

import fcntl
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from kb.content.files import BusyError, atomic_write_text, locked

KB = str(Path(sys.executable).with_name("kb"))
ENV = {**os.environ, "KB_LANG": "en"}
ARTICLE = "---\ntitle: Passord\nauthor: Sara Holm\ndate: 2024-07-24\ncategory: Konto\n---\n\nTekst.\n"


def write_catalog(path: Path, messages: list[str], translated: bool, locale: str | None = None) -> None:
    catalog = Catalog(locale=locale, project="kb articles", charset="utf-8")
    for number, text in enumerate(messages):
        catalog.add(
            text, string=f"EN {number} {text}" if translated else "", locations=[("articles/nb/a.md", 8)]
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0)


def site(root: Path, messages: list[str]) -> Path:
    """A knowledge base whose template and English catalog hold ``messages`` (translated); returns the .po."""
    (root / "articles" / "nb").mkdir(parents=True)
    (root / "kb.yml").write_text("languages: [nb, en]\ndefault_language: nb\n", encoding="utf-8")
    (root / "articles" / "nb" / "a.md").write_text(ARTICLE, encoding="utf-8")
    write_catalog(root / "locales" / "articles.pot", messages, translated=False)
    po = root / "locales" / "en" / "LC_MESSAGES" / "articles.po"
    write_catalog(po, messages, translated=True, locale="en")
    return po


def big_messages(count: int, size: int) -> list[str]:
    return [f"Avsnitt {n}: " + ("ord " * (size // 4)) for n in range(count)]


def test_kill_9_while_update_writes_the_catalog_leaves_the_previous_one(tmp_path: Path) -> None:
    landed = 0
    for attempt in range(3):  # the kill must land while the catalog is being written
        root = tmp_path / f"try{attempt}"
        po = site(root, big_messages(1500, 12_000))  # ~36 MB of catalog to write
        before = po.read_bytes()
        folder = po.parent
        process = subprocess.Popen(
            [KB, "--root", str(root), "i18n", "update", "--lang", "en"],
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        writing = False
        while process.poll() is None:
            temporary = any(name.endswith(".tmp") for name in os.listdir(folder))
            if temporary or po.stat().st_size != len(before):  # the write has begun (or truncated it)
                os.killpg(process.pid, signal.SIGKILL)
                writing = True
                break
        process.wait()
        assert po.read_bytes() == before, "the catalog was damaged by a kill during its write"
        landed += writing
        if writing:
            break
    assert landed, "no kill landed during the write in 3 tries"
    done = subprocess.run(
        [KB, "--root", str(root), "i18n", "update", "--lang", "en"], env=ENV, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    with po.open("rb") as handle:
        assert sum(1 for m in read_po(handle) if m.id and m.string) == 1500


def test_a_full_disk_during_update_is_a_clear_message_and_the_old_catalog_stays(tmp_path: Path) -> None:
    po = site(tmp_path, big_messages(400, 200))
    before = po.read_bytes()
    limit = 64 * 1024  # reading the catalog is fine; writing it anew goes past the limit
    assert len(before) > limit

    def full_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(
        [KB, "--root", str(tmp_path), "i18n", "update", "--lang", "en"],
        env=ENV,
        capture_output=True,
        text=True,
        preexec_fn=full_disk,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: cannot write locales/en/LC_MESSAGES/articles.po: File too large")
    assert "(the file is unchanged)" in done.stderr
    assert po.read_bytes() == before
    assert [p.name for p in po.parent.iterdir()] == ["articles.po"]  # no temporary file left behind


def test_a_second_run_waits_for_the_first_and_a_held_lock_is_a_clear_message(tmp_path: Path) -> None:
    po = site(tmp_path, big_messages(10, 50))
    folder = tmp_path / "locales"
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(handle, fcntl.LOCK_EX)  # another run, writing
    released = threading.Timer(1.5, os.close, [handle])
    started = time.monotonic()
    released.start()
    done = subprocess.run(
        [KB, "--root", str(tmp_path), "i18n", "update", "--lang", "en"],
        env=ENV,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started >= 1.4  # it waited for the lock instead of writing alongside
    assert po.is_file()
    message = r"another kb run is writing .*locales"
    with locked(folder), pytest.raises(BusyError, match=message), locked(folder, wait=0.2):
        pass


def test_a_new_file_is_never_written_over_an_existing_one(tmp_path: Path) -> None:
    target = tmp_path / "a.md"
    atomic_write_text(target, "first\n", exclusive=True)
    with pytest.raises(FileExistsError):
        atomic_write_text(target, "second\n", exclusive=True)
    assert target.read_text(encoding="utf-8") == "first\n"
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]
