"""Faults with real processes: kill -9 during indexing and building, a read-only or full index folder,
and two index runs at once. After each fault the previous index (or build) keeps serving, and the
next run recovers.

``make test`` runs one or two rounds of each over ~1,000 generated articles; the soak sets
``KB_FAULT_ROUNDS`` and ``KB_FAULT_ARTICLES`` for many more, and ``KB_FAULT_REPORT=path`` to get the
counts (kills, searches after a kill, failures, articles lost) as JSON. ``KB_FAULT_SEED`` replays
the random kill moments of a failed run (the seed is printed in every assertion message).

How the failing disk is made real while the tests run as root (for whom ``chmod`` stops nothing):
a *read-only folder* is ``chattr -R +i`` (the immutable attribute, which root cannot write through
either); a *full disk* is ``RLIMIT_FSIZE`` in the ``kb`` process, so the kernel refuses every write
past 64 KB with EFBIG, as it refuses writes on a full disk with ENOSPC.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kb.content.config import load_settings
from kb.search.indexing import META_FILE
from kb.search.service import SearchRequest, SearchService

KB = str(Path(sys.executable).with_name("kb"))
ENV = {**os.environ, "KB_LANG": "en"}
ARTICLES = int(os.environ.get("KB_FAULT_ARTICLES", "1000"))
ROUNDS = int(os.environ.get("KB_FAULT_ROUNDS", "2"))
SMALL = min(300, ARTICLES)
SEED = int(os.environ.get("KB_FAULT_SEED") or random.SystemRandom().randrange(1_000_000))
COMMON = "grunnlinje"  # a word in every generated article
FILE_LIMIT = 64 * 1024
COUNTS: Counter[str] = Counter()
WORDS = ["passord", "konto", "innlogging", "deltaker", "kurs", "video", "eksport", "resultat"]
WORDS += ["sertifikat", "modul", "prosjekt", "rapport"]


def seeded(note: str) -> str:
    return f"{note} (replay with KB_FAULT_SEED={SEED})"


@pytest.fixture(scope="module", autouse=True)
def report_counts() -> Iterator[None]:
    yield
    target = os.environ.get("KB_FAULT_REPORT")
    if target:
        Path(target).write_text(json.dumps({"seed": SEED, **COUNTS}, indent=2), encoding="utf-8")


# --- knowledge bases and processes ------------------------------------------------------------------


def article_text(number: int, extra: str = "") -> str:
    rnd = random.Random(number)
    paragraphs = "\n\n".join(" ".join(rnd.choices(WORDS, k=40)) for _ in range(3))
    return (
        f"---\ntitle: Artikkel {number}\nauthor: Kari Nordmann\ndate: 2024-01-01\n"
        f"category: Kategori {number % 12}\n---\n\n{COMMON} nummer{number} {extra}\n\n{paragraphs}\n"
    )


def write_corpus(root: Path, count: int) -> None:
    folder = root / "articles" / "nb"
    folder.mkdir(parents=True)
    (root / "kb.yml").write_text("site_name: Faults\nlanguages: [nb]\n", encoding="utf-8")
    for number in range(count):
        (folder / f"artikkel-{number:05d}.md").write_text(article_text(number), encoding="utf-8")


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str
    seconds: float


def kb(root: Path, *args: str, timeout: float = 180, limit_file_size: int | None = None) -> Run:
    """``kb --root ROOT ARGS`` to completion (a hang fails the test)."""

    def limit() -> None:
        if limit_file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))

    started = time.monotonic()
    done = subprocess.run(
        [KB, "--root", str(root), *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=timeout,
        check=False,
        preexec_fn=limit if limit_file_size is not None else None,
    )
    return Run(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def start(root: Path, *args: str) -> subprocess.Popen[bytes]:
    """``kb`` in its own process group, so kill -9 reaches its worker processes too."""
    return subprocess.Popen(
        [KB, "--root", str(root), *args],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def kill_at(process: subprocess.Popen[bytes], seconds: float) -> bool:
    """SIGKILL the process group ``seconds`` after the start; False when it had finished already."""
    try:
        process.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        return True


def copy_kb(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


def hits(root: Path, word: str, service: SearchService | None = None) -> int:
    """How many articles a search for ``word`` finds, through a new (or the given) SearchService."""
    searcher = service or SearchService(load_settings(root))
    return searcher.search(SearchRequest(word, "nb")).total


def index_leftovers(root: Path) -> list[str]:
    """What a tidy index folder does not hold: half-built folders, stray links, more than two indexes."""
    folder = root / "instance" / "index"
    found = [p for p in folder.iterdir() if p.name not in ("nb", ".lock")]
    problems = [p.name for p in found if p.is_dir() and not (p / META_FILE).is_file()]
    problems += [p.name for p in found if p.is_symlink() or not p.is_dir()]
    if len([p for p in found if p.is_dir()]) > 2:
        problems.append(f"{len(found)} index folders")
    return problems


def one_clear_line(run: Run) -> str:
    """The single ``error: …`` line a failed command prints (no traceback, nothing else)."""
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert "Traceback" not in run.err, run.err
    assert len(lines) == 1 and lines[0].startswith("error: "), run.err
    return lines[0]


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """``ARTICLES`` articles indexed once; the seconds a full ``kb index --rebuild`` takes once the
    articles are in the article cache (as they are for the runs the test kills)."""
    root = tmp_path_factory.mktemp("faults-big") / "kb"
    write_corpus(root, ARTICLES)
    assert kb(root, "index", "--rebuild").code == 0
    run = kb(root, "index", "--rebuild")
    assert run.code == 0, run.err
    return root, run.seconds


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("faults-small") / "kb"
    write_corpus(root, SMALL)
    assert kb(root, "index").code == 0
    return root


# --- kill -9 ----------------------------------------------------------------------------------------


def test_kill_9_during_rebuild_keeps_the_old_index_and_the_next_run_recovers(
    big: tuple[Path, float], tmp_path: Path
) -> None:
    root = copy_kb(big[0], tmp_path / "kb")
    full_run = big[1]
    rnd = random.Random(SEED)
    (root / "articles" / "nb" / "etter-krasj.md").write_text(article_text(ARTICLES, "gjenopprettingsord"))
    already_open = SearchService(load_settings(root))
    assert hits(root, COMMON, already_open) == ARTICLES
    killed = 0
    for _round in range(ROUNDS):
        moment = rnd.uniform(0.05, 0.95 * full_run)
        killed += kill_at(start(root, "index", "--rebuild"), moment)
        for service in (None, already_open):
            COUNTS["searches_after_kill"] += 1
            try:
                found = hits(root, COMMON, service)
            except Exception as exc:  # a crash is what this test looks for: count it, then fail
                COUNTS["failed_searches"] += 1
                raise AssertionError(seeded(f"search after a kill at {moment:.2f} s raised {exc!r}")) from exc
            COUNTS["articles_lost"] += max(0, ARTICLES - found)
            assert found in (ARTICLES, ARTICLES + 1), seeded(f"{found} found after a kill at {moment:.2f} s")
    COUNTS["index_kills"] += killed
    assert killed, seeded("every run finished before its kill")
    recovery = kb(root, "index")
    assert recovery.code == 0 and "Traceback" not in recovery.err, recovery.err
    COUNTS["recoveries"] += 1
    assert hits(root, COMMON) == ARTICLES + 1
    assert hits(root, "gjenopprettingsord") == 1
    assert hits(root, COMMON, already_open) == ARTICLES + 1  # an open service picks up the new index
    assert index_leftovers(root) == [], seeded("leftovers")


def test_kill_9_during_an_incremental_update_is_all_or_nothing(
    big: tuple[Path, float], tmp_path: Path
) -> None:
    root = copy_kb(big[0], tmp_path / "kb")
    rnd = random.Random(SEED + 1)
    changed = range(0, ARTICLES, 3)
    for number in changed:
        path = root / "articles" / "nb" / f"artikkel-{number:05d}.md"
        path.write_text(article_text(number, "endretord"), encoding="utf-8")
    for _round in range(max(1, ROUNDS // 2)):
        moment = rnd.uniform(0.05, 0.6 * big[1])
        COUNTS["index_kills"] += kill_at(start(root, "index"), moment)
        COUNTS["searches_after_kill"] += 1
        assert hits(root, COMMON) == ARTICLES, seeded(f"kill at {moment:.2f} s")
        assert hits(root, "endretord") in (0, len(changed)), seeded(f"half an update after {moment:.2f} s")
    recovery = kb(root, "index")
    assert recovery.code == 0, recovery.err
    COUNTS["recoveries"] += 1
    assert hits(root, "endretord") == len(changed)
    assert hits(root, COMMON) == ARTICLES


# --- two runs at once --------------------------------------------------------------------------------


def test_two_index_runs_at_once_both_finish_and_the_index_is_whole(small: Path, tmp_path: Path) -> None:
    root = copy_kb(small, tmp_path / "kb")
    (root / "articles" / "nb" / "samtidig.md").write_text(article_text(SMALL, "samtidigord"))
    first, second = start(root, "index", "--rebuild"), start(root, "index", "--rebuild")
    assert first.wait(timeout=120) == 0 and second.wait(timeout=120) == 0
    COUNTS["concurrent_runs"] += 2
    assert hits(root, COMMON) == SMALL + 1 and hits(root, "samtidigord") == 1
    assert index_leftovers(root) == []


@contextlib.contextmanager
def held_lock(root: Path) -> Iterator[None]:
    """Hold the index writer lock as a running ``kb index`` would."""
    with open(root / "instance" / "index" / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def test_a_second_run_says_clearly_that_an_index_run_is_in_progress(small: Path, tmp_path: Path) -> None:
    root = copy_kb(small, tmp_path / "kb")
    (root / "articles" / "nb" / "venter.md").write_text(article_text(SMALL, "venteord"))
    with held_lock(root):
        run = kb(root, "index", "--wait", "0.5")
        assert run.code != 0
        assert "another index run is in progress" in one_clear_line(run)
        assert hits(root, COMMON) == SMALL  # the index in place keeps answering meanwhile
    assert kb(root, "index").code == 0
    assert hits(root, "venteord") == 1


# --- a disk that refuses writes ----------------------------------------------------------------------


def chattr_works(folder: Path) -> bool:
    probe = folder / "chattr-probe"
    probe.write_text("x")
    try:
        if subprocess.run(["chattr", "+i", str(probe)], capture_output=True, check=False).returncode:
            return False
        subprocess.run(["chattr", "-i", str(probe)], capture_output=True, check=False)
        return True
    except OSError:
        return False
    finally:
        probe.unlink(missing_ok=True)


@contextlib.contextmanager
def immutable(folder: Path) -> Iterator[None]:
    """The folder and everything in it read-only, for root too (ext4's immutable attribute; symlinks
    take no attributes, but an immutable folder cannot have its links replaced)."""
    paths = [str(folder)] + [str(p) for p in folder.rglob("*") if not p.is_symlink()]
    subprocess.run(["chattr", "+i", *paths], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *paths], check=True, capture_output=True)


SITE_PROBE = """
import json, sys
from kb.web.app import create_app
from kb.content.config import load_settings
client = create_app(load_settings(sys.argv[1])).test_client()
answers = {url: client.get(url) for url in ("/nb/", "/nb/search?q=" + sys.argv[2])}
totals = {word: client.get(f"/api/search?q={word}&lang=nb").get_json()["total"] for word in sys.argv[2:]}
print(json.dumps({"status": {u: r.status_code for u, r in answers.items()}, "totals": totals}))
"""


def assert_old_index_serves(
    root: Path, new_word: str, expected: int, limit_file_size: int | None = None
) -> None:
    """The site, started in its own process on the same disk, fails to update the index (it tries:
    an article was added) yet starts, serves pages and answers searches from the old index."""

    def limit() -> None:
        if limit_file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))

    done = subprocess.run(
        [sys.executable, "-c", SITE_PROBE, str(root), COMMON, new_word],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
        check=False,
        preexec_fn=limit,
    )
    assert done.returncode == 0, done.stderr
    assert "search index not updated" in done.stderr  # the server logs why it serves the old index
    answers = json.loads(done.stdout)
    assert set(answers["status"].values()) == {200}
    assert answers["totals"] == {COMMON: expected, new_word: 0}


def test_read_only_index_folder_gives_a_clear_error_and_the_site_serves_the_old_index(
    small: Path, tmp_path: Path
) -> None:
    root = copy_kb(small, tmp_path / "kb")
    if not chattr_works(tmp_path):
        pytest.skip("chattr +i is not supported here (needs ext4-like storage and CAP_LINUX_IMMUTABLE)")
    (root / "articles" / "nb" / "skrivebeskyttet.md").write_text(article_text(SMALL, "nyord"))
    with immutable(root / "instance" / "index"):
        for args in (("index",), ("index", "--rebuild")):
            run = kb(root, *args)
            assert run.code != 0, args
            line = one_clear_line(run)
            assert "cannot write the search index" in line or "cannot write the nb search index" in line, line
            assert "Operation not permitted" in line, line
        assert_old_index_serves(root, "nyord", SMALL)
    COUNTS["refused_writes"] += 2
    assert kb(root, "index").code == 0 and hits(root, "nyord") == 1


def test_full_disk_gives_a_clear_error_and_leaves_no_half_built_index(small: Path, tmp_path: Path) -> None:
    root = copy_kb(small, tmp_path / "kb")
    (root / "articles" / "nb" / "full-disk.md").write_text(article_text(SMALL, "diskord"))
    run = kb(root, "index", "--rebuild", limit_file_size=FILE_LIMIT)
    assert run.code != 0
    line = one_clear_line(run)
    assert "cannot write the nb search index: File too large" in line, line
    assert "the previous index keeps serving" in line, line
    assert index_leftovers(root) == []
    assert hits(root, COMMON) == SMALL and hits(root, "diskord") == 0
    assert_old_index_serves(root, "diskord", SMALL, limit_file_size=0)  # the disk filled up completely
    COUNTS["refused_writes"] += 1
    assert kb(root, "index", "--rebuild").code == 0 and hits(root, "diskord") == 1


# --- kb build killed half way ----------------------------------------------------------------------------


def build_available() -> bool:
    try:
        done = subprocess.run([KB, "build", "--help"], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def snapshot(folder: Path) -> dict[str, str]:
    """Every file of a folder with a hash of its content."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.skipif(not build_available(), reason="kb build not available yet")
def test_kb_build_killed_half_way_leaves_the_old_build_intact(small: Path, tmp_path: Path) -> None:
    root = copy_kb(small, tmp_path / "kb")
    site = tmp_path / "site"
    first = kb(root, "build", "--out", str(site))
    assert first.code == 0, first.err
    before = snapshot(site)
    assert "nb/articles/artikkel-00000/index.html" in before
    (root / "articles" / "nb" / "ny-side.md").write_text(article_text(SMALL, "byggord"))
    reference = tmp_path / "reference"
    assert kb(root, "build", "--out", str(reference)).code == 0
    after = snapshot(reference)  # what a finished build of the new content holds
    rnd = random.Random(SEED + 2)
    killed = 0
    for _round in range(max(1, ROUNDS // 2)):
        moment = rnd.uniform(0.05, 0.9 * first.seconds)
        killed += kill_at(start(root, "build", "--out", str(site)), moment)
        now = snapshot(site)
        if now != after:  # unless the kill came after the swap, the old build is there, whole
            changed = {name for name in set(before) | set(now) if before.get(name) != now.get(name)}
            COUNTS["build_files_changed_by_kill"] += len(changed)
            assert not changed, seeded(f"a kill at {moment:.2f} s changed {sorted(changed)[:5]}")
        else:
            COUNTS["builds_finished_before_kill"] += 1
    COUNTS["build_kills"] += killed
    final = kb(root, "build", "--out", str(site))
    assert final.code == 0, final.err
    assert (site / "nb" / "articles" / "ny-side" / "index.html").is_file()
    # no half-built ones; the build the last one replaced is kept whole, for the next one to write over
    expected = [".reference.spare", ".site.spare", "kb", "reference", "site"]  # a spare beside each
    assert sorted(p.name for p in tmp_path.iterdir()) == expected
    assert (tmp_path / ".site.spare" / ".kb-build").is_file()
