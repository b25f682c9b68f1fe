"""`kb import`: plain-text help-center exports become valid, well-nested articles."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kb.cli import cli
from kb.content.config import load_settings
from kb.content.importer import parse_export, repair_list_indentation
from kb.content.loader import load_library
from kb.errors import ContentError
from kb.model import slugify
from tests.helpers import REPO, SEED

pytestmark = pytest.mark.usefixtures("english_messages")

SLUG = "hva-kan-jeg-gjore-nar-en-deltaker-ikke-mottar-noen-e-poster"
TARGET = f"articles/nb/{SLUG}.md"


def kb(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), *args])


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    copy = tmp_path / "export" / SEED.name
    copy.parent.mkdir()
    shutil.copy(SEED, copy)
    return copy


@pytest.fixture
def imported(tmp_path: Path, seed: Path) -> Path:
    """An empty knowledge base with the seed export imported into it."""
    root = tmp_path / "kb"
    root.mkdir()
    result = kb(root, "import", str(seed), "--lang", "nb")
    assert (result.exit_code, result.stdout, result.stderr) == (0, TARGET + "\n", "")
    return root


def test_import_writes_an_article_with_front_matter(imported: Path) -> None:
    text = (imported / TARGET).read_text(encoding="utf-8")
    assert text.startswith(
        "---\n"
        "title: Hva kan jeg gjøre når en deltaker ikke mottar noen e-poster?\n"
        "author: Ester Andersson\n"
        "date: 2024-07-24\n"
        "category: Feilsøking\n"
        "---\n"
        "\n"
        "Når du sender e-post fra Learnifier, bør det ikke ta mer enn ett minutt"
    )
    assert text.endswith("sørg for at domenet slutter med en punkt.\n")


def test_imported_article_passes_check_and_loads(imported: Path) -> None:
    result = kb(imported, "check")
    assert result.exit_code == 0, result.output
    assert result.stdout == "1 article, 1 language, 0 errors, 0 warnings\n"
    article = load_library(load_settings(imported)).library.get("nb", SLUG)
    assert article is not None
    assert article.title == "Hva kan jeg gjøre når en deltaker ikke mottar noen e-poster?"
    assert (article.author, article.date, article.category.name) == (
        "Ester Andersson",
        dt.date(2024, 7, 24),
        "Feilsøking",
    )
    assert [h.anchor for h in article.toc] == ["årsaker-til-hvorfor-e-post-kan-bli-merket-som-søppelpost"]


def test_the_three_steps_are_a_list_nested_in_item_two(imported: Path) -> None:
    article = load_library(load_settings(imported)).library.get("nb", SLUG)
    assert article is not None
    first_list = article.html[article.html.index("<ol>") :]
    first_list = first_list[: first_list.index("</ol>\n</li>\n</ol>") + len("</ol>\n</li>\n</ol>")]
    items = re.findall(r"<li>(.{0,30})", first_list)
    assert items == [
        "Be deltakeren om å sjekke søpp",
        "Hvis deltakeren ikke finner e-",
        "Gå til prosjektet du vil invit",
        "Finn deltakeren i listen og kl",
        "Kopier og lim inn lenken/URL-e",
    ]
    assert re.search(r"følg trinnene nedenfor:\n<ol>\n<li>Gå til prosjektet", first_list)
    assert first_list.count("<ol>") == 2
    assert first_list.endswith("send den til deltakeren.</li>\n</ol>\n</li>\n</ol>")


def test_reimport_refuses_to_overwrite(imported: Path, seed: Path) -> None:
    result = kb(imported, "import", str(seed), "--lang", "nb")
    assert result.exit_code == 1
    assert result.stderr == f"{seed}:1: error: {TARGET} exists already (use --force to overwrite)\n"
    assert result.stdout == ""


def test_reimport_with_force_overwrites(imported: Path, seed: Path) -> None:
    target = imported / TARGET
    original = target.read_text(encoding="utf-8")
    target.write_text("edited by hand\n", encoding="utf-8")
    result = kb(imported, "import", str(seed), "--lang", "nb", "--force")
    assert (result.exit_code, result.stdout) == (0, TARGET + "\n")
    assert target.read_text(encoding="utf-8") == original


def test_import_matches_the_sample_article(imported: Path) -> None:
    repo_copy = REPO / TARGET
    assert (imported / TARGET).read_text(encoding="utf-8") == repo_copy.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("export", "line", "message"),
    [
        ("", 1, "empty file: expected a '## Title' line"),
        ("\n\nJust text\n", 3, "expected a '## Title' line"),
        ("## Title\n", 1, "expected an 'Author - YYYY-MM-DD - Category' line"),
        ("## Title\n\nEster Andersson, 24 July 2024\n\nBody.\n", 3,
         "expected an 'Author - YYYY-MM-DD - Category' line"),
        ("## Title\nEster - 2024-02-30 - Feilsøking\n", 2,
         "bad date '2024-02-30': day is out of range for month"),
        ("## ???\nEster - 2024-02-03 - Feilsøking\n", 1, "the title gives no usable slug"),
    ],
)  # fmt: skip
def test_a_malformed_export_is_a_located_error(tmp_path: Path, export: str, line: int, message: str) -> None:
    source = tmp_path / "bad.txt"
    source.write_text(export, encoding="utf-8")
    result = kb(tmp_path / "kb", "import", str(source), "--lang", "nb")
    assert result.exit_code == 1
    assert result.stderr == f"{source}:{line}: error: {message}\n"
    assert "Traceback" not in result.output
    assert not (tmp_path / "kb" / "articles").exists()


def test_import_reports_bad_files_and_imports_the_good_ones(tmp_path: Path, seed: Path) -> None:
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("## Tittel\nEster - 2024-07-24 - Feilsøking\n".encode("latin-1"))
    missing = tmp_path / "missing.txt"
    result = kb(tmp_path / "kb", "import", str(latin1), str(missing), str(seed), "--lang", "no")
    assert result.exit_code == 1
    assert result.stdout == TARGET + "\n"
    assert result.stderr == (
        f"{latin1}:2: error: not valid UTF-8: byte 0xf8 at offset 36; save the file as UTF-8\n"
        f"{missing}:1: error: cannot be read: No such file or directory\n"
    )


def test_import_refuses_a_language_the_site_does_not_have(tmp_path: Path, seed: Path) -> None:
    result = kb(tmp_path, "import", str(seed), "--lang", "de")
    assert result.exit_code == 2
    assert "Invalid value for '--lang': unknown language 'de' (languages: nb, sv, en)" in result.stderr
    assert not (tmp_path / "articles").exists()


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Hva kan jeg gjøre når en deltaker ikke mottar noen e-poster?", SLUG),
        ("Bærekraft og æøå", "baerekraft-og-aeoa"),
        ("Så här ändrar du lösenord", "sa-har-andrar-du-losenord"),
        ("Über Café-Menü", "uber-cafe-menu"),
        ("Créer un compte", "creer-un-compte"),
        ("  --Spaces & symbols!!  ", "spaces-symbols"),
        ("Straße", "strasse"),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_title_keeps_a_trailing_hash_that_is_part_of_it() -> None:
    page = parse_export("## Learn C#\nEster - 2024-07-24 - Kurs\n\nBody\n", "x.txt")
    assert page.title == "Learn C#"
    assert parse_export("### Closed heading ###\nA – 2024-07-24 — B\n", "x.txt").title == "Closed heading"


def test_byline_accepts_en_and_em_dashes() -> None:
    page = parse_export("## T\nEster Andersson – 2024-07-24 — Feilsøking\n", "x.txt")
    assert (page.author, page.date, page.category) == ("Ester Andersson", dt.date(2024, 7, 24), "Feilsøking")


def test_parse_export_errors_carry_the_path() -> None:
    with pytest.raises(ContentError) as caught:
        parse_export("## T\nno byline\n", "exports/x.txt")
    assert str(caught.value) == "exports/x.txt:2: error: expected an 'Author - YYYY-MM-DD - Category' line"


def test_repair_list_indentation_nests_two_space_sub_items() -> None:
    body = "1. One\n2. Two:\n  1. a\n  2. b\n    - deep\n3. Three\n\n- x\n  - y\n"
    assert repair_list_indentation(body) == (
        "1. One\n2. Two:\n   1. a\n   2. b\n      - deep\n3. Three\n\n- x\n  - y\n"
    )


def test_repair_list_indentation_leaves_code_blocks_alone() -> None:
    body = "1. Run:\n\n   ```\n  1. not a list\n   ```\n\n~~~\n  - also not\n~~~\n"
    assert repair_list_indentation(body) == body
