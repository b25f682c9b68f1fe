"""Translators' work is never lost, and their input cannot add links: obsolete entries, refused
extraction, hostile link forms, merge conflicts, unknown languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.content.config import load_settings
from kb.content.loader import load_library
from kb.content.markup import protected_parts
from tests.helpers import article_catalog, catalog_kb, kb_cli, kb_ok, translate

ARTICLE = """---
title: Endre passord
author: Sara Holm
date: 2024-07-24
category: Konto
---

Kontakt [support](https://example.com/help) for hjelp.

Skriv det nye passordet to ganger.
"""
PO = article_catalog(Path(), "en")


def translations(root: Path) -> dict[str, str]:
    with (root / PO).open("rb") as handle:
        catalog = read_po(handle, locale="en")
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


@pytest.fixture
def root(tmp_path: Path, english_messages: None) -> Path:
    catalog_kb(tmp_path, ARTICLE)
    translate(
        tmp_path,
        "en",
        {"Endre passord": "Change password", "Skriv det nye passordet to ganger.": "Type it twice."},
    )
    return tmp_path


# --- item 7: a typo or a draft never deletes translations ----------------------------------------------


def test_a_front_matter_typo_refuses_extraction_and_keeps_every_translation(root: Path) -> None:
    source = root / "articles" / "nb" / "endre-passord.md"
    pot_before = (root / "locales" / "articles.pot").read_bytes()
    source.write_text(ARTICLE.replace("author:", "auhtor:"), encoding="utf-8")
    refused = kb_cli(root, "i18n", "extract")
    assert refused.exit_code == 1
    assert (
        "source article does not load" in refused.stderr and "articles/nb/endre-passord.md" in refused.stderr
    )
    assert "Traceback" not in refused.output
    assert (root / "locales" / "articles.pot").read_bytes() == pot_before
    kb_ok(root, "i18n", "update", "--lang", "en")
    kept = translations(root)
    assert kept["Endre passord"] == "Change password"
    assert kept["Skriv det nye passordet to ganger."] == "Type it twice."


def test_a_draft_keeps_its_translations_and_a_removed_text_comes_back_from_obsolete(root: Path) -> None:
    source = root / "articles" / "nb" / "endre-passord.md"
    source.write_text(ARTICLE.replace("category: Konto", "category: Konto\ndraft: true"), encoding="utf-8")
    kb_ok(root, "i18n", "extract")
    kb_ok(root, "i18n", "update", "--lang", "en")
    assert translations(root)["Skriv det nye passordet to ganger."] == "Type it twice."
    # the paragraph goes away: its translation is kept as obsolete (#~), and returns with it
    source.write_text(ARTICLE.replace("Skriv det nye passordet to ganger.\n", ""), encoding="utf-8")
    kb_ok(root, "i18n", "extract")
    kb_ok(root, "i18n", "update", "--lang", "en")
    text = (root / PO).read_text(encoding="utf-8")
    assert '#~ msgid "Skriv det nye passordet to ganger."' in text and '#~ msgstr "Type it twice."' in text
    source.write_text(ARTICLE, encoding="utf-8")
    kb_ok(root, "i18n", "extract")
    kb_ok(root, "i18n", "update", "--lang", "en")
    assert translations(root)["Skriv det nye passordet to ganger."] == "Type it twice."
    article = load_library(load_settings(root)).library.get("en", "endre-passord")
    assert article is not None and "<p>Type it twice.</p>" in article.html


# --- item 10: every link form a translator can write is compared ------------------------------------


@pytest.mark.parametrize(
    "hostile",
    [
        "Contact [support](https://example.com/help) or <https://evil.example/login> for help.",
        "Contact [support](https://example.com/help) or <mallory@evil.example> for help.",
        "Contact [support](https://example.com/help) ![x](https://evil.example/pixel.png) for help.",
        "Contact [support](https://example.com/help) for help.^[See <https://evil.example/>.]",
        "Contact [support](https://example.com/help) or [us][evil] for help.",
    ],
)
def test_a_translation_adding_or_changing_a_link_in_any_form_is_rejected(root: Path, hostile: str) -> None:
    translate(root, "en", {"Kontakt [support](https://example.com/help) for hjelp.": hostile})
    result = load_library(load_settings(root))
    article = result.library.get("en", "endre-passord")
    assert article is not None and "evil.example" not in article.html
    errors = [str(p) for p in result.errors]
    assert any(
        e.startswith(f"{PO.as_posix()}:") and "changes a code span or link target" in e for e in errors
    )
    check = kb_cli(root, "check")
    assert check.exit_code == 1 and "link target" in check.output


def test_a_faithful_translation_with_the_same_links_and_brackets_is_used(root: Path) -> None:
    translate(
        root,
        "en",
        {
            "Kontakt [support](https://example.com/help) for hjelp.": "Ask [Support] via [us](https://example.com/help)."
        },
    )
    article = load_library(load_settings(root)).library.get("en", "endre-passord")
    assert article is not None
    assert '<a href="https://example.com/help" rel="noopener noreferrer">us</a>' in article.html


@given(st.text(alphabet=st.sampled_from("ab [](<>)`!^:/.x\n*_\\"), max_size=60))
@settings(max_examples=300, deadline=None)
def test_protected_parts_never_fails_and_ignores_plain_text_changes(text: str) -> None:
    parts = protected_parts(text)
    assert isinstance(parts, tuple) and parts == tuple(sorted(parts))
    assert protected_parts(text + " more words") == parts or "[" in text or "`" in text or "<" in text


# --- item 11: languages and merge conflicts ----------------------------------------------------------


@pytest.mark.parametrize("lang", ["xx", "../x", "nb"])
def test_update_refuses_a_language_the_site_does_not_translate_to(root: Path, lang: str) -> None:
    result = kb_cli(root, "i18n", "update", "--lang", lang)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--lang" in result.output
    assert sorted(p.name for p in (root / "locales").iterdir()) == ["articles.pot", "en"]
    assert not (root / "x").exists()


def test_a_catalog_with_merge_conflict_markers_is_an_error_at_the_marker_line(root: Path) -> None:
    path = root / PO
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith('msgstr "Type it twice."'))
    lines[at : at + 1] = [
        "<<<<<<< HEAD",
        'msgstr "Type it twice."',
        "=======",
        'msgstr "Type it two times."',
        ">>>>>>> other",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    check = kb_cli(root, "check")
    assert check.exit_code == 1
    assert f"{PO.as_posix()}:{at + 1}: error: unresolved merge conflict (<<<<<<<)" in check.output
    assert "WARNING" not in check.output and "1 error" in check.output
    before = path.read_bytes()
    update = kb_cli(root, "i18n", "update", "--lang", "en")
    assert update.exit_code == 1 and f"{PO.as_posix()}:{at + 1}: error:" in update.stderr
    assert path.read_bytes() == before  # not "updated" into a mangled catalog
