"""The wheel as a user installs it: built from the tracked files, installed in a fresh venv, run there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.helpers import REPO, copy_shared_files

PROBE = """
import sys
from pathlib import Path
import kb
from kb.content.config import load_settings
from kb.web.app import create_app

print(kb.__file__)
client = create_app(load_settings(sys.argv[1])).test_client()
for path in ("/nb/", "/sitemap.xml", "/nb/feed.xml", "/nb/opensearch.xml"):
    response = client.get(path, headers={"Accept-Language": "nb"})
    print(path, response.status_code, len(response.data))
Path(sys.argv[2]).write_bytes(client.get("/nb/").data)
"""


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, cwd=cwd, env=env, timeout=300, check=False
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def tracked_copy(target: Path) -> None:
    """The files git tracks, as they are in the work tree (uncommitted edits included, nothing else:
    no .venv, no stale setuptools build/, no instance/)."""
    listing = subprocess.run(
        ["git", "ls-files", "-z"], capture_output=True, cwd=REPO, check=True, timeout=60
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel, with the project's dependencies but not its editable kb."""
    if not (REPO / ".git").exists() or shutil.which("git") is None:
        pytest.skip("needs the git work tree")
    work = tmp_path_factory.mktemp("wheel")
    source, dist, venv = work / "source", work / "dist", work / "venv"
    tracked_copy(source)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    run(*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", dist, source, cwd=work)
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=work)
    python = venv / "bin" / "python"
    (wheel,) = dist.glob("kb_helpcenter-*.whl")
    run(*pip, "--python", python, "install", "--no-deps", "--no-index", wheel, cwd=work)
    # The project venv's packages as a plain path entry: .pth files in it (the editable kb's finder)
    # are not processed from there, so only the wheel's kb can be imported.
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=work).strip()
    (Path(site) / "kb-test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KB_ROOT", "VIRTUAL_ENV")}
    return env | {"KB_LANG": "nb"}


def sample_site(target: Path) -> Path:
    shutil.copytree(REPO / "articles", target / "articles")
    copy_shared_files(target)  # assets/ and snippets/ of the sample
    shutil.copy(REPO / "kb.yml", target / "kb.yml")
    for po in (REPO / "locales").glob("*/LC_MESSAGES/articles.po"):
        (target / po.relative_to(REPO)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(po, target / po.relative_to(REPO))
    return target


def test_the_wheel_holds_the_package_and_nothing_else(installed: Path) -> None:
    (wheel,) = (installed.parent / "dist").glob("kb_helpcenter-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(
        ["git", "ls-files", "kb"], capture_output=True, text=True, cwd=REPO, check=True, timeout=60
    ).stdout.split()
    assert {n for n in names if not n.startswith("kb_helpcenter-")} == set(tracked)
    for needed in ("kb/templates/feed.xml", "kb/templates/sitemap.xml", "kb/static/offline.js"):
        assert needed in names
    assert "kb/locales/nb/LC_MESSAGES/messages.po" in names


def test_the_installed_wheel_serves_checks_and_builds(installed: Path, tmp_path: Path) -> None:
    site = sample_site(tmp_path / "site")
    env = clean_env()
    python, kb = installed / "bin" / "python", installed / "bin" / "kb"
    assert run(kb, "--version", cwd=tmp_path, env=env) == "kb, version 0.1.0\n"

    checked = run(kb, "--root", site, "check", cwd=tmp_path, env=env)
    assert "artikler" in checked and "0 feil" in checked  # the interface catalogs shipped (nb)

    home = tmp_path / "home.html"
    lines = run(python, "-c", PROBE, site, home, cwd=tmp_path, env=env).splitlines()
    assert Path(lines[0]).is_relative_to(installed)  # the wheel's kb, not the checkout's
    statuses = {line.split()[0]: line.split()[1] for line in lines[1:]}
    assert statuses == dict.fromkeys(("/nb/", "/sitemap.xml", "/nb/feed.xml", "/nb/opensearch.xml"), "200")
    assert 'placeholder="Søk' in home.read_text(encoding="utf-8") or ">Søk<" in home.read_text(
        encoding="utf-8"
    )

    built = run(kb, "--root", site, "build", cwd=tmp_path, env=env)
    assert (site / "build" / "nb" / "index.html").is_file()
    assert (site / "build" / "nb" / "feed.xml").is_file()
    assert "build" in built


def test_a_stale_setuptools_build_folder_is_never_replaced_by_kb_build(
    installed: Path, tmp_path: Path
) -> None:
    site = sample_site(tmp_path / "site")
    stale = site / "build" / "lib" / "kb" / "__init__.py"  # what `setup.py build` leaves
    stale.parent.mkdir(parents=True)
    stale.write_text("# stale\n", encoding="utf-8")
    command = [installed / "bin" / "kb", "--root", site, "build"]
    done = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, env=clean_env(), timeout=300, check=False
    )
    assert done.returncode == 1
    assert "build" in done.stderr and ".kb-build" in done.stderr and "Traceback" not in done.stderr
    assert stale.read_text(encoding="utf-8") == "# stale\n"
    run(
        installed / "bin" / "kb",
        "--root",
        site,
        "build",
        "--out",
        site / "public",
        cwd=tmp_path,
        env=clean_env(),
    )
    assert (site / "public" / "nb" / "index.html").is_file()


def test_a_missing_template_is_reported_as_such_not_as_a_write_failure(tmp_path: Path) -> None:
    from jinja2 import FileSystemLoader

    from kb.errors import ExportError
    from kb.export import Exporter
    from kb.web.state import TEMPLATES_DIR
    from tests.helpers import copy_sample

    settings = copy_sample(tmp_path / "site")
    partial = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, partial)
    (partial / "feed.xml").unlink()  # what an installation without the .xml package data had
    exporter = Exporter(settings, workers=1)
    exporter.app.jinja_env.loader = FileSystemLoader(partial)
    exporter.app.jinja_env.cache = None
    with pytest.raises(ExportError) as caught:
        exporter.build(tmp_path / "out")
    assert "the template feed.xml is missing from the installed kb package" in str(caught.value)
    assert "cannot write" not in str(caught.value)
    assert not (tmp_path / "out").exists()
