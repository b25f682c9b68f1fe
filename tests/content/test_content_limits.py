"""Limits on content: slugs another article uses already, the size of an article, slugs in any script."""

from __future__ import annotations

import re
import time
from pathlib import Path

from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from kb.cli import cli
from kb.content.config import load_settings
from kb.content.loader import MAX_ARTICLE_BYTES, is_valid_slug, load_library
from kb.model import MAX_SLUG_BYTES, fit_slug, slug_file_bytes, slugify
from tests.helpers import SEED, KnowledgeBase, article

SEED_SLUG = "hva-kan-jeg-gjore-nar-en-deltaker-ikke-mottar-noen-e-poster"


def kb(root: Path, *args: str) -> Result:
    return CliRunner(env={"KB_LANG": "en"}).invoke(cli, ["--root", str(root), *args])


# --- item 15: a new or imported file never takes another article's slug -----------------------------


def test_import_refuses_a_slug_another_article_has_through_its_front_matter(kb_root: KnowledgeBase) -> None:
    other = article("The article readers know.", title="Elsewhere", slug=SEED_SLUG)
    root = kb_root({"articles/nb/elsewhere.md": other}, languages=("nb",))
    result = kb(root, "import", str(SEED), "--lang", "nb")
    assert result.exit_code == 1
    assert f"the slug '{SEED_SLUG}' is used already by articles/nb/elsewhere.md" in result.stderr
    assert sorted(p.name for p in (root / "articles" / "nb").iterdir()) == ["elsewhere.md"]
    library = load_library(load_settings(root)).library
    found = library.get("nb", SEED_SLUG)
    assert found is not None and found.title == "Elsewhere"


def test_new_refuses_a_slug_another_article_has_through_its_front_matter(kb_root: KnowledgeBase) -> None:
    other = article("Body.", title="Something else", slug="reset-password")
    root = kb_root({"articles/en/other.md": other}, languages=("en",))
    result = kb(root, "new", "Reset password", "--category", "General", "--lang", "en", "--author", "Me")
    assert result.exit_code == 1
    assert "the slug 'reset-password' is used already by articles/en/other.md" in result.output
    assert not (root / "articles" / "en" / "reset-password.md").exists()
    made = kb(root, "new", "Reset a password", "--category", "General", "--lang", "en", "--author", "Me")
    assert made.exit_code == 0 and made.output.strip() == "articles/en/reset-a-password.md"
    assert kb(root, "check").exit_code == 0


def test_new_makes_a_loadable_article_from_a_title_in_any_script(kb_root: KnowledgeBase) -> None:
    root = kb_root({}, languages=("uk",))
    made = kb(
        root, "new", "Скинути пароль", "--category", "Обліковий запис", "--lang", "uk", "--author", "Me"
    )
    assert made.exit_code == 0, made.output
    assert made.output.strip() == "articles/uk/скинути-пароль.md"
    result = load_library(load_settings(root))
    assert not result.errors and result.library.get("uk", "скинути-пароль") is not None


# --- item 18: an article has a size limit ----------------------------------------------------------------


def test_an_article_over_the_size_limit_is_an_error_and_the_others_load(kb_root: KnowledgeBase) -> None:
    dense = "*a* [b](c) `d` " * (MAX_ARTICLE_BYTES // 14)
    root = kb_root(
        {"articles/en/huge.md": article(dense), "articles/en/fine.md": article("Fine.")}, languages=("en",)
    )
    started = time.monotonic()
    result = kb(root, "check")
    assert time.monotonic() - started < 30
    assert result.exit_code == 1
    limit = f"{MAX_ARTICLE_BYTES}"
    assert (
        f"articles/en/huge.md:1: error: the file is larger than the limit of {limit} bytes" in result.output
    )
    library = load_library(load_settings(root)).library
    assert library.get("en", "fine") is not None and library.get("en", "huge") is None


# --- item 13: slugs for every script, today's Latin slugs unchanged ---------------------------------------


def test_slugs_keep_todays_latin_forms_and_give_every_script_a_slug() -> None:
    assert slugify("Blåbær på søndag") == "blabaer-pa-sondag"
    assert slugify("Feilsøking og Ærlighet") == "feilsoking-og-aerlighet"
    assert slugify("Crème brûlée, Straße") == "creme-brulee-strasse"
    assert slugify("Kunde’s «konto»") == "kundes-konto"
    assert slugify("Обліковий запис") == "обліковий-запис"
    assert slugify("ΟΔΟΣ Λογαριασμός") == "οδοσ-λογαριασμόσ"
    assert slugify("الحساب والأمان") == "الحساب-والأمان"
    assert slugify("アカウント設定") == "アカウント設定"
    assert slugify("हिंदी खाता") == "हिंदी-खाता"
    assert slugify("?!") == ""


@given(st.text(max_size=80))
def test_every_slug_is_valid_for_an_article_and_fits_a_file_name(text: str) -> None:
    slug = fit_slug(slugify(text))
    assert slug == "" or is_valid_slug(slug)
    assert slug_file_bytes(slug) <= MAX_SLUG_BYTES
    assert not re.search(r"--|^-|-$", slug)
    assert slugify(slug) == slug  # a slug is its own slug
