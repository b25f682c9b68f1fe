"""`kb check` and `kb new`: exit codes, `path:line: error:` lines, and never a traceback."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kb.cli import cli
from kb.content.config import load_settings
from kb.content.loader import load_library
from tests.helpers import BROKEN, REPO, KnowledgeBase, article

pytestmark = pytest.mark.usefixtures("english_messages")

LOCATED = re.compile(r"^[^:\n]+:\d+: (error|warning): \S.*$")


def kb(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def kb_process(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed ``kb`` console script, as a user runs it (errors must not be tracebacks)."""
    script = Path(sys.executable).with_name("kb")
    env = {**os.environ, "KB_LANG": "en"}
    return subprocess.run(
        [str(script), "--root", str(root), *args], capture_output=True, text=True, env=env, check=False
    )


def test_check_passes_a_clean_knowledge_base(kb_root: KnowledgeBase) -> None:
    root = kb_root({"articles/nb/a.md": article(), "articles/en/a.md": article()})
    result = kb(root, "check")
    assert result.exit_code == 0
    assert (result.stdout, result.stderr) == ("2 articles, 2 languages, 0 errors, 0 warnings\n", "")


def test_check_fails_on_any_error_and_reports_it_as_path_line(kb_root: KnowledgeBase) -> None:
    root = kb_root({"articles/nb/a.md": article(), "articles/nb/b.md": article(tittle="x")})
    result = kb(root, "check")
    assert result.exit_code == 1
    assert result.stderr == "articles/nb/b.md:6: error: unknown key 'tittle' (did you mean 'title'?)\n"
    assert result.stdout == "1 article, 1 language, 1 error, 0 warnings\n"


def test_warnings_alone_do_not_fail_check(kb_root: KnowledgeBase) -> None:
    root = kb_root({"articles/nb/a.md": article(updated="2020-01-01")})
    result = kb(root, "check")
    assert result.exit_code == 0
    assert result.stderr == "articles/nb/a.md:6: warning: 'updated' is earlier than 'date'\n"
    assert result.stdout == "1 article, 1 language, 0 errors, 1 warning\n"


def test_check_over_the_broken_tree_prints_only_located_lines() -> None:
    result = kb(BROKEN, "check")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 17
    assert all(LOCATED.match(line) for line in lines), lines
    assert result.stdout == "6 articles, 3 languages, 17 errors, 0 warnings\n"


def test_no_traceback_for_a_non_utf8_article(kb_root: KnowledgeBase) -> None:
    root = kb_root({"articles/nb/a.md": article("Skrevet i Windows-1252: ").encode() + b"\xe6\xf8\xe5\n"})
    done = kb_process(root, "check")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr == (
        "articles/nb/a.md:9: error: not valid UTF-8: byte 0xe6 at offset 108; save the file as UTF-8\n"
    )


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (b"languages: [nb\n", "kb.yml:2: error: bad YAML: did not find expected ',' or ']'"
                              " (while parsing a flow sequence that starts on line 1)\n"),
        (b"site_name: \xff\n", "kb.yml:1: error: not valid UTF-8: byte 0xff at offset 11;"
                               " save the file as UTF-8\n"),
        (b"languages: nb, sv\nsite: x\n", "kb.yml:2: error: unknown key 'site'"
                                           " (did you mean 'site_name'?)\n"),
    ],
)  # fmt: skip
def test_no_traceback_for_a_bad_kb_yml(kb_root: KnowledgeBase, config: bytes, expected: str) -> None:
    root = kb_root({"kb.yml": config, "articles/nb/a.md": article()})
    done = kb_process(root, "check")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr == expected


def test_check_on_a_folder_without_articles_fails(tmp_path: Path) -> None:
    result = kb(tmp_path, "check")
    assert result.exit_code == 1
    assert result.stderr == f"{tmp_path}: error: no articles/ folder here (is --root or KB_ROOT right?)\n"


def test_the_sample_knowledge_base_passes_check() -> None:
    result = kb(REPO, "check")
    assert result.exit_code == 0, result.output
    assert ", 0 errors, " in result.stdout
    assert result.stderr == ""


# --- kb new ---------------------------------------------------------------------------------------


def test_new_creates_a_valid_article_and_prints_its_path(kb_root: KnowledgeBase) -> None:
    root = kb_root({"articles/categories.yml": "troubleshooting:\n  nb: {name: Feilsøking}\n"})
    result = kb(root, "new", "Tittel med æøå", "--category", "Feilsøking", "--lang", "nb", "--author", "Ola")
    assert (result.exit_code, result.stdout) == (0, "articles/nb/tittel-med-aeoa.md\n")
    text = (root / "articles/nb/tittel-med-aeoa.md").read_text(encoding="utf-8")
    assert text == (
        "---\n"
        "title: Tittel med æøå\n"
        "author: Ola\n"
        f"date: {dt.date.today().isoformat()}\n"
        "category: Feilsøking\n"
        "tags: []\n"
        "summary: ''\n"
        "---\n"
        "\n"
        "Skriv artikkelen her.\n"  # the scaffold in the article's language, from the catalogs
    )
    check = kb(root, "check")
    assert (check.exit_code, check.stdout) == (0, "1 article, 1 language, 0 errors, 1 warning\n")
    assert check.stderr == (
        "articles/nb/tittel-med-aeoa.md:10: warning: the placeholder text of `kb new` is still here: "
        "write the article\n"
    )
    found = load_library(load_settings(root)).library.get("nb", "tittel-med-aeoa")
    assert found is not None and found.category.key == "troubleshooting"


def test_new_refuses_to_overwrite(kb_root: KnowledgeBase) -> None:
    root = kb_root()
    assert kb(root, "new", "Tittel med æøå", "--category", "Feilsøking", "--lang", "nb").exit_code == 0
    path = root / "articles/nb/tittel-med-aeoa.md"
    path.write_text("my own words\n", encoding="utf-8")
    again = kb(root, "new", "Tittel med æøå", "--category", "Feilsøking", "--lang", "nb")
    assert again.exit_code == 1
    assert again.stderr == "Error: articles/nb/tittel-med-aeoa.md exists already\n"
    assert path.read_text(encoding="utf-8") == "my own words\n"


def test_new_quotes_values_that_yaml_would_misread(kb_root: KnowledgeBase) -> None:
    root = kb_root()
    result = kb(root, "new", "No", "--category", "Spørsmål: svar", "--lang", "no", "--author", "yes")
    assert (result.exit_code, result.stdout) == (0, "articles/nb/no.md\n")
    found = load_library(load_settings(root)).library.get("nb", "no")
    assert found is not None
    assert (found.title, found.author, found.category.name) == ("No", "yes", "Spørsmål: svar")


def test_new_uses_the_category_name_for_a_key(kb_root: KnowledgeBase) -> None:
    root = kb_root({"articles/categories.yml": "troubleshooting:\n  sv: {name: Felsökning}\n"})
    assert kb(root, "new", "Hej", "--category", "troubleshooting", "--lang", "sv").exit_code == 0
    assert "category: Felsökning\n" in (root / "articles/sv/hej.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--category", "Feilsoking", "--lang", "nb"],
         "Invalid value for '--category': unknown category 'Feilsoking' in 'nb' (categories: Feilsøking)"),
        (["--category", "Feilsøking", "--lang", "de"],
         "Invalid value for '--lang': unknown language 'de' (languages: nb, sv, en)"),
        (["--category", " ", "--lang", "nb"],
         "Invalid value for '--category': give a category name: Feilsøking"),
        (["--lang", "nb"], "Invalid value for '--category': give a category name: Feilsøking"),
    ],
)  # fmt: skip
def test_new_refuses_bad_options(kb_root: KnowledgeBase, args: list[str], message: str) -> None:
    root = kb_root({"articles/categories.yml": "troubleshooting:\n  nb: {name: Feilsøking}\n"})
    result = kb(root, "new", "Tittel", *args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"Error: {message}"
    assert not list((root / "articles").rglob("*.md"))


def test_new_refuses_a_title_without_letters(kb_root: KnowledgeBase) -> None:
    result = kb(kb_root(), "new", "???", "--category", "X")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == "Error: the title gives no usable slug"
