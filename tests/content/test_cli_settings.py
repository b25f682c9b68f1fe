"""The command line's footing: a missing --root, kb.yml or kb.yaml, exit codes, -v/-q and --version."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kb.content.config import load_settings
from kb.errors import ConfigError
from tests.helpers import KnowledgeBase, article

KB = str(Path(sys.executable).with_name("kb"))


def run_kb(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KB_LANG": "en"}
    env.pop("KB_ROOT", None)
    return subprocess.run(
        [KB, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False
    )


@pytest.mark.parametrize("command", [["search", "x"], ["index"], ["check"], ["build"]])
def test_a_missing_root_is_an_error_and_creates_nothing(tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "missing"
    done = run_kb("--root", str(missing), *command)
    assert done.returncode == 1
    assert done.stderr == f"{missing}: error: no such knowledge-base folder (is --root or KB_ROOT right?)\n"
    assert not missing.exists()


def test_kb_yaml_is_read_when_there_is_no_kb_yml(kb_root: KnowledgeBase) -> None:
    root = kb_root({"kb.yml": "site_name: Ignored\n"})
    (root / "kb.yml").rename(root / "kb.yaml")
    (root / "kb.yaml").write_text("site_name: Hjelp\nlanguages: [nb]\n", encoding="utf-8")
    settings = load_settings(root)
    assert (settings.site_name, settings.languages) == ("Hjelp", ("nb",))


def test_kb_yml_and_kb_yaml_together_are_an_error(kb_root: KnowledgeBase) -> None:
    root = kb_root({"kb.yaml": "site_name: Other\n", "articles/nb/a.md": article()})
    with pytest.raises(ConfigError, match=r"both kb\.yml and kb\.yaml exist: keep one"):
        load_settings(root)
    done = run_kb("--root", str(root), "check")
    assert done.returncode == 1
    assert done.stderr.startswith("kb.yaml:1: error: both kb.yml and kb.yaml exist")


def test_runtime_errors_exit_1_and_usage_errors_exit_2(kb_root: KnowledgeBase) -> None:
    root = kb_root({"articles/nb/a.md": article()})
    out = root / "out"
    out.mkdir()
    (out / "mine.txt").write_text("not a build\n", encoding="utf-8")
    refused = run_kb("--root", str(root), "build", "--out", str(out))  # an ExportError
    assert refused.returncode == 1, refused.stderr
    assert "is not a kb build" in refused.stderr and "Traceback" not in refused.stderr
    assert run_kb("--root", str(root), "search").returncode == 2  # missing argument
    assert run_kb("--root", str(root), "no-such-command").returncode == 2


def test_quiet_silences_what_verbose_shows(kb_root: KnowledgeBase) -> None:
    root = kb_root({"articles/nb/a.md": article()})
    normal = run_kb("--root", str(root), "search", "text", "--lang", "nb")
    quiet = run_kb("-q", "--root", str(root), "search", "text", "--lang", "nb")
    verbose = run_kb("-v", "--root", str(root), "index")
    assert normal.returncode == quiet.returncode == verbose.returncode == 0
    assert quiet.stdout == normal.stdout  # results are output, not log lines
    assert quiet.stderr == ""
    assert f"DEBUG kb.cli: {root}: 1 articles loaded in " in verbose.stderr


def test_version_names_the_installed_version() -> None:
    import kb

    done = run_kb("--version")
    assert done.returncode == 0
    assert done.stdout == f"kb, version {kb.__version__}\n"


def test_import_and_new_may_start_a_knowledge_base_in_a_new_folder(tmp_path: Path) -> None:
    root = tmp_path / "new-kb"
    done = run_kb("--root", str(root), "new", "Første artikkel", "--category", "Generelt", "--lang", "nb")
    assert done.returncode == 0, done.stderr
    assert (root / done.stdout.strip()).is_file()
