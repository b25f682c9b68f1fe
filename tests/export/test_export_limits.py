"""Exports that used to abort or lie: categories in any script, over-long slugs, a zip inside the build
folder, and the exported feed's links."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urljoin

from click.testing import CliRunner

from kb.cli import cli
from kb.content.config import load_settings
from kb.export import Exporter
from tests.helpers import KnowledgeBase, article

ATOM = "{http://www.w3.org/2005/Atom}"
CATEGORIES = "konto:\n  nb: {name: Konto}\n  uk: {name: Обліковий запис}\n"


def kb(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner(env={"KB_LANG": "en"}).invoke(cli, ["--root", str(root), *args])
    return result.exit_code, result.output


def test_a_cyrillic_category_is_exported_at_its_own_address(kb_root: KnowledgeBase, tmp_path: Path) -> None:
    root = kb_root(
        {
            "kb.yml": "languages: [nb, uk]\n",
            "articles/categories.yml": CATEGORIES,
            "articles/nb/a.md": article("Tekst.", category="konto"),
            "articles/uk/a.md": article("Текст.", category="konto"),
        },
        languages=("nb", "uk"),
    )
    code, output = kb(root, "build", "--out", str(tmp_path / "site"))
    assert code == 0, output
    page = tmp_path / "site" / "uk" / "categories" / "обліковий-запис" / "index.html"
    assert page.is_file() and "A title" in page.read_text(encoding="utf-8")
    assert not (tmp_path / "site" / "uk" / "categories" / "index.html").exists()


def test_an_over_long_slug_is_a_check_error_and_the_export_goes_on(
    kb_root: KnowledgeBase, tmp_path: Path
) -> None:
    long_slug = "å" * 60  # 120 bytes of UTF-8, 360 percent-encoded: too long for a file name
    root = kb_root(
        {
            "articles/en/long.md": article("Long.", slug=long_slug),
            "articles/en/fine.md": article("Fine.", title="Fine"),
        },
        languages=("en",),
    )
    code, output = kb(root, "check")
    assert code == 1
    assert "articles/en/long.md:6: error: the slug is too long: 360 bytes as a file name" in output
    code, output = kb(root, "build", "--out", str(tmp_path / "site"))
    assert code == 0, output
    assert (tmp_path / "site" / "en" / "articles" / "fine" / "index.html").is_file()


def test_a_zip_inside_the_build_folder_is_refused_up_front_with_a_true_message(
    kb_root: KnowledgeBase, tmp_path: Path
) -> None:
    root = kb_root({"articles/en/a.md": article("Body.")}, languages=("en",))
    site = tmp_path / "site"
    code, output = kb(root, "build", "--out", str(site))
    assert code == 0, output
    before = sorted(p.relative_to(site).as_posix() for p in site.rglob("*"))
    code, output = kb(root, "build", "--out", str(site), "--zip", str(site / "site.zip"))
    assert code == 1
    assert "a zip inside the build folder" in output and "write it elsewhere" in output
    assert "the previous build is unchanged" not in output and "Traceback" not in output
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*")) == before
    code, output = kb(root, "build", "--out", str(site), "--zip", str(tmp_path / "site.zip"))
    assert code == 0 and (tmp_path / "site.zip").is_file()


def test_the_exported_feed_links_resolve_against_the_feed_file(
    kb_root: KnowledgeBase, tmp_path: Path
) -> None:
    body = "See [the other](../b/) and [a part](#part).\n\n## Part\n\nA bell \x07.\n"
    root = kb_root(
        {"articles/en/a.md": article(body), "articles/en/b.md": article("Other.", title="B")},
        languages=("en",),
    )
    out = Exporter(load_settings(root)).build(tmp_path / "site").out
    feed_file = out / "en" / "feed.xml"
    feed = ET.fromstring(feed_file.read_text(encoding="utf-8"))  # well-formed despite the bell
    content = next(
        e.findtext(f"{ATOM}content") or ""
        for e in feed.iter(f"{ATOM}entry")
        if "the other" in (e.findtext(f"{ATOM}content") or "")
    )
    targets = re.findall(r'href="([^"]*)"', content)
    assert targets and "kb-export.invalid" not in content
    for target in targets:  # what a feed reader does: resolve against the feed's own address
        resolved = unquote(urljoin(feed_file.as_uri(), target).removeprefix("file://").split("#")[0])
        assert Path(resolved).is_file(), (target, resolved)
