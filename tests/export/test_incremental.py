"""Incremental export: a build reuses what is unchanged from the previous one, and is byte for byte the
build a clean export of the same content gives, whatever changed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from kb.content.config import load_settings
from kb.errors import ExportError
from kb.export import MANIFEST, Exporter
from tests.helpers import copy_sample


def snapshot(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def build(root: Path, out: Path, reuse: bool = True) -> int:
    """Build ``root`` into ``out``; how many files were taken from the previous build."""
    return Exporter(load_settings(root), reuse=reuse).build(out).reused


def edit_body(root: Path) -> None:
    path = root / "articles" / "nb" / "reset-password.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nEn ny setning helt nederst.\n", encoding="utf-8")


def edit_title(root: Path) -> None:
    path = root / "articles" / "sv" / "reset-password.md"
    text = path.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    path.write_text(text.replace(title, "title: Ett helt nytt namn", 1), encoding="utf-8")


def add_article(root: Path) -> None:
    source = (root / "articles" / "en" / "reset-password.md").read_text(encoding="utf-8")
    (root / "articles" / "en" / "brand-new.md").write_text(source.replace("Reset", "Brand new"), "utf-8")


def remove_article(root: Path) -> None:
    (root / "articles" / "en" / "reset-password.md").unlink()


@pytest.mark.parametrize("change", [edit_body, edit_title, add_article, remove_article])
def test_an_incremental_build_equals_a_clean_build(tmp_path: Path, change: Callable[[Path], None]) -> None:
    settings = copy_sample(tmp_path / "kb")
    site = tmp_path / "site"
    build(settings.root, site)
    change(settings.root)
    build(settings.root, site)
    clean = tmp_path / "clean"
    assert build(settings.root, clean, reuse=False) == 0
    assert snapshot(site) == snapshot(clean)


def test_an_unchanged_site_is_taken_whole_and_a_body_edit_renders_little(tmp_path: Path) -> None:
    settings = copy_sample(tmp_path / "kb")
    site = tmp_path / "site"
    build(settings.root, site)
    files = len(snapshot(site))
    static = len(list((site / "static").iterdir()))
    media = sum(1 for p in (site / "media").rglob("*") if p.is_file())
    redirects = sum(1 for p in site.rglob("index.html") if 'http-equiv="refresh"' in p.read_text("utf-8"))
    # static files, feeds, the build's marker, images (copied) and old slugs' redirect pages: anew
    written = static + len(settings.languages) + 1 + media + redirects
    assert build(settings.root, site) == files - written
    edit_body(settings.root)
    # the article's page and its language's search index (two files) are made again too
    assert build(settings.root, site) == files - written - 1 - 2


def test_a_damaged_manifest_means_a_full_build_never_a_wrong_one(tmp_path: Path) -> None:
    settings = copy_sample(tmp_path / "kb")
    site = tmp_path / "site"
    build(settings.root, site)
    (site / MANIFEST).write_text("{not json", encoding="utf-8")
    edit_body(settings.root)
    assert build(settings.root, site) == 0
    clean = tmp_path / "clean"
    build(settings.root, clean, reuse=False)
    assert snapshot(site) == snapshot(clean)


def test_builds_over_the_spare_equal_clean_builds_and_never_touch_the_live_one(tmp_path: Path) -> None:
    """From the third build on, a build writes over the one before the last (kept beside the site as
    ``.site.spare``): after each change it equals a clean build, and the build in place while it
    ran (which shares unchanged files with it through hard links) keeps every byte it had."""
    settings = copy_sample(tmp_path / "kb")
    site = tmp_path / "site"
    build(settings.root, site)
    for change in (edit_body, edit_title, add_article, remove_article, edit_body):
        live = snapshot(site)
        change(settings.root)
        build(settings.root, site)
        assert snapshot(tmp_path / ".site.spare") == live  # the replaced build, untouched
        clean = tmp_path / f"clean-{change.__name__}"
        build(settings.root, clean, reuse=False)
        assert snapshot(site) == snapshot(clean), change.__name__


def test_a_failed_build_over_the_spare_leaves_the_site_and_a_whole_next_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = copy_sample(tmp_path / "kb")
    site = tmp_path / "site"
    for _build in range(2):
        build(settings.root, site)
    live = snapshot(site)
    edit_body(settings.root)
    exporter = Exporter(load_settings(settings.root))

    def fail(*args: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exporter, "run_job", fail)
    with pytest.raises(ExportError, match="No space left on device"):
        exporter.build(site)
    assert snapshot(site) == live
    monkeypatch.undo()
    build(settings.root, site)
    clean = tmp_path / "clean"
    build(settings.root, clean, reuse=False)
    assert snapshot(site) == snapshot(clean)


def test_builds_started_together_take_turns_and_leave_a_whole_site(tmp_path: Path) -> None:
    """Two ``kb build`` runs into the same folder at once: one waits for the other (neither links
    files from a build being swapped under it), both succeed, and the site is a clean build."""
    import subprocess
    import sys

    settings = copy_sample(tmp_path / "kb")
    site = tmp_path / "site"
    build(settings.root, site)
    edit_body(settings.root)
    command = [sys.executable, "-m", "kb", "--root", str(settings.root), "build", "--out", str(site)]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    for run in runs:
        _out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err.decode()
    clean = tmp_path / "clean"
    build(settings.root, clean, reuse=False)
    assert snapshot(site) == snapshot(clean)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.spare", "clean", "kb", "site"]


def test_the_first_build_leaves_a_spare_so_the_second_writes_only_what_changed(tmp_path: Path) -> None:
    """The first build into a folder also leaves its spare (the same files, hard-linked): the build
    after one edit then writes over it instead of linking every unchanged page into a new folder,
    and the live site it replaces keeps every byte."""
    settings = copy_sample(tmp_path / "kb")
    site = tmp_path / "site"
    build(settings.root, site)
    spare = tmp_path / ".site.spare"
    first = snapshot(site)
    assert snapshot(spare) == first
    page = Path("nb/articles/reset-password/index.html")
    assert (spare / page).stat().st_ino == (site / page).stat().st_ino
    edit_body(settings.root)
    build(settings.root, site)
    assert snapshot(spare) == first  # the first build, swapped out whole
    assert (site / page).read_bytes() != (spare / page).read_bytes()
    clean = tmp_path / "clean"
    build(settings.root, clean, reuse=False)
    assert snapshot(site) == snapshot(clean)
