"""The article cache on disk: an unchanged knowledge base loads without rendering again, a changed file
costs only itself, and a damaged, foreign or unwritable cache never changes what readers get."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import stat
from pathlib import Path

from kb.content.config import load_settings
from kb.content.loader import LoadResult, load_library
from kb.settings import Settings
from tests.helpers import copy_sample

CACHE = Path("instance") / "cache" / "articles"


def entries(settings: Settings) -> list[Path]:
    return sorted((settings.root / CACHE).glob("*/*.pickle"))


def shown(result: LoadResult) -> list[tuple[str, str, str, str]]:
    """What readers get from a load: each article's address, title and page, and every problem."""
    return [(a.lang, a.slug, a.title, a.html) for a in result.library] + [
        (p.path, str(p.line), p.severity, p.message) for p in result.problems
    ]


def test_an_unchanged_knowledge_base_is_loaded_from_the_cache(tmp_path: Path) -> None:
    settings = copy_sample(tmp_path / "kb")
    first = load_library(settings)
    files = len(list(settings.articles_dir.rglob("*.md")))
    assert first.from_cache == 0 and len(entries(settings)) == files
    second = load_library(settings)
    assert second.from_cache == files
    assert shown(second) == shown(first)


def test_a_changed_file_costs_only_itself_and_a_removed_one_leaves_the_cache(tmp_path: Path) -> None:
    settings = copy_sample(tmp_path / "kb")
    load_library(settings)
    files = len(list(settings.articles_dir.rglob("*.md")))
    changed = settings.articles_dir / "nb" / "reset-password.md"
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\nEn helt ny setning om passord.\n", encoding="utf-8"
    )
    (settings.articles_dir / "sv" / "reset-password.md").unlink()
    again = load_library(settings)
    assert again.from_cache == files - 2
    article = again.library.get("nb", "reset-password")
    assert article is not None and "helt ny setning" in article.text
    assert again.library.get("sv", "reset-password") is None
    assert len(entries(settings)) == files - 1  # the removed file's entry is gone


def test_new_categories_or_another_message_language_make_every_entry_stale(
    tmp_path: Path, monkeypatch: object
) -> None:
    settings = copy_sample(tmp_path / "kb")
    load_library(settings)
    categories = settings.articles_dir / "categories.yml"
    categories.write_text(
        categories.read_text(encoding="utf-8").replace("Feilsøking", "Feilretting"), "utf-8"
    )
    assert load_library(settings).from_cache == 0
    os.environ["KB_LANG"] = "nb"
    try:
        assert load_library(settings).from_cache == 0
    finally:
        del os.environ["KB_LANG"]


def test_a_damaged_or_foreign_entry_is_rebuilt_never_trusted(tmp_path: Path) -> None:
    settings = copy_sample(tmp_path / "kb")
    good = shown(load_library(settings))
    damaged = entries(settings)[:3]
    damaged[0].write_bytes(damaged[0].read_bytes()[:-40])  # cut short, as by a full disk
    damaged[1].write_bytes(b"KBC1" + bytes(32) + b"not a pickle")  # wrong digest
    data = bytearray(damaged[2].read_bytes())
    data[-5] ^= 0xFF  # one flipped bit
    damaged[2].write_bytes(bytes(data))
    again = load_library(settings)
    assert shown(again) == good
    assert again.from_cache == len(entries(settings)) - 3
    assert load_library(settings).from_cache == len(entries(settings))  # rebuilt


def test_an_unwritable_instance_folder_only_costs_the_time(tmp_path: Path) -> None:
    settings = copy_sample(tmp_path / "kb")
    expected = shown(load_library(load_settings(settings.root)))
    shutil.rmtree(settings.root / "instance")
    (settings.root / "instance").mkdir()
    (settings.root / "instance").chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(settings.root / "instance", os.W_OK):  # root ignores the mode: use a file instead
            (settings.root / "instance").chmod(0o755)
            shutil.rmtree(settings.root / "instance")
            (settings.root / "instance").write_text("not a folder", encoding="utf-8")
        result = load_library(settings)
        assert shown(result) == expected and result.from_cache == 0
    finally:
        if (settings.root / "instance").is_dir():
            (settings.root / "instance").chmod(0o755)


def load_in_child(root: str) -> list[tuple[str, str, str, str]]:
    return shown(load_library(load_settings(root)))


def test_concurrent_loads_agree_and_leave_a_usable_cache(tmp_path: Path) -> None:
    settings = copy_sample(tmp_path / "kb")
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        results = pool.map(load_in_child, [str(settings.root)] * 3)
    assert results[0] == results[1] == results[2]
    again = load_library(settings)
    assert shown(again) == results[0] and again.from_cache == len(entries(settings))
    assert not list((settings.root / CACHE).glob("*/.*.tmp"))  # no temporary files left


def test_a_loaded_library_leaves_the_collector_and_a_reload_frees_what_was_garbage(tmp_path: Path) -> None:
    """The loaded library is frozen out of the cyclic collector (it holds no cycles and lives until
    the next reload); a reload in a long-running server first frees the garbage of the requests
    before it, which would otherwise be frozen with the new library and never freed."""
    import gc
    import weakref

    settings = copy_sample(tmp_path / "kb")
    first = load_library(settings)
    assert gc.get_freeze_count() > 0

    class Node:
        other: object = None

    garbage = Node()
    garbage.other = garbage  # a reference cycle only the collector frees
    gone = weakref.ref(garbage)
    del garbage
    second = load_library(settings)
    assert gone() is None
    assert len(second.library) == len(first.library)
