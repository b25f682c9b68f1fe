"""Article content through gettext catalogs: extract, update, translate, fall back, reject."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from kb.content.config import load_settings
from kb.content.loader import load_library
from kb.i18n import format_date
from tests.helpers import REPO, catalog_kb, kb_cli, kb_ok, translate

ARTICLE = """---
title: Endre passord
author: Sara Holm
date: 2024-07-24
category: Konto
summary: Slik bytter du passord.
---

Gå til `Settings` og velg Password.

Skriv det nye passordet to ganger.

Les mer i [hjelpen](../reset-password/).
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return catalog_kb(tmp_path, ARTICLE)


def test_extract_writes_one_message_per_segment_with_its_location(root: Path) -> None:
    with (root / "locales" / "articles.pot").open("rb") as handle:
        catalog = read_po(handle)
    ids = {m.id: m.locations for m in catalog if m.id}
    assert ids["Endre passord"] == [("articles/nb/endre-passord.md", 2)]
    assert ids["Skriv det nye passordet to ganger."] == [("articles/nb/endre-passord.md", 11)]
    assert "Slik bytter du passord." in ids and "Gå til `Settings` og velg Password." in ids


def test_one_translated_paragraph_shows_translated_and_the_rest_is_marked(root: Path) -> None:
    translate(
        root,
        "en",
        {"Endre passord": "Change password", "Skriv det nye passordet to ganger.": "Type it twice."},
    )
    kb_ok(root, "i18n", "compile")
    article = load_library(load_settings(root)).library.get("en", "endre-passord")
    assert article is not None and article.title == "Change password"
    assert "<p>Type it twice.</p>" in article.html
    assert '<p lang="nb">Gå til <code>Settings</code> og velg Password.</p>' in article.html
    assert article.translation == "partial" and article.source_lang == "nb"
    stats = kb_ok(root, "i18n", "stats").output
    assert "endre-passord: 2 translated, 0 fuzzy, 3 missing" in stats


def test_a_written_file_wins_over_the_catalog(root: Path) -> None:
    translate(root, "en", {"Endre passord": "Change password"})
    folder = root / "articles" / "en"
    folder.mkdir()
    (folder / "endre-passord.md").write_text(
        ARTICLE.replace("Endre passord", "Hand written"), encoding="utf-8"
    )
    article = load_library(load_settings(root)).library.get("en", "endre-passord")
    assert article is not None and article.title == "Hand written" and article.translation == ""


def test_a_source_edit_makes_the_entry_fuzzy_and_the_page_falls_back(root: Path) -> None:
    translate(root, "en", {"Skriv det nye passordet to ganger.": "Type it twice."})
    source = root / "articles" / "nb" / "endre-passord.md"
    source.write_text(ARTICLE.replace("to ganger.", "to ganger, og lagre."), encoding="utf-8")
    kb_ok(root, "i18n", "extract")
    assert "1 fuzzy" in kb_ok(root, "i18n", "update", "--lang", "en").output
    result = load_library(load_settings(root))
    assert result.library.get("en", "endre-passord") is None  # nothing translated any more
    warning = [str(p) for p in result.warnings]
    assert any("locales/en/LC_MESSAGES/articles.po:" in w and "outdated translation" in w for w in warning)
    check = kb_cli(root, "check")
    assert "warning: outdated translation" in check.output and check.exit_code == 0


def test_a_translation_that_changes_code_or_links_is_rejected(root: Path) -> None:
    translate(
        root,
        "en",
        {
            "Gå til `Settings` og velg Password.": "Go to `Innstillinger` and choose Password.",
            "Les mer i [hjelpen](../reset-password/).": "Read [more](https://evil.example/).",
            "Endre passord": "Change password",
        },
    )
    result = load_library(load_settings(root))
    errors = [str(p) for p in result.errors]
    assert len(errors) == 2
    assert all(e.startswith("locales/en/LC_MESSAGES/articles.po:") for e in errors)
    assert all("changes a code span or link target" in e for e in errors)
    article = result.library.get("en", "endre-passord")
    assert article is not None and "Innstillinger" not in article.html and "evil.example" not in article.html


def test_catalog_translations_are_indexed_in_their_language(root: Path) -> None:
    translate(
        root,
        "en",
        {"Endre passord": "Change password", "Skriv det nye passordet to ganger.": "Type it twice."},
    )
    data = kb_ok(root, "search", "twice", "--lang", "en", "--json").output
    assert '"slug": "endre-passord"' in data and '"title": "Change password"' in data


@pytest.mark.parametrize(
    ("lang", "expected"), [("nb", "24. juli 2024"), ("sv", "24 juli 2024"), ("en", "July 24, 2024")]
)
def test_dates_are_written_the_readers_way(lang: str, expected: str) -> None:
    import datetime as dt

    assert format_date(dt.date(2024, 7, 24), lang).replace("\xa0", " ") == expected


def test_the_sample_ships_an_article_translated_only_by_catalog() -> None:
    repo = REPO
    library = load_library(load_settings(repo)).library
    catalog_only = [a for a in library if a.translation]
    assert catalog_only, "the sample must show the catalog translation feature"
    assert not (repo / "articles" / catalog_only[0].lang / f"{catalog_only[0].slug}.md").exists()
