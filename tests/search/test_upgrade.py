"""A knowledge base indexed by an older kb (analyzers pickled under a module path that no longer
exists, an older analysis version) starts ``kb serve`` cleanly: the index rebuilds itself."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.fields import ID, TEXT, Schema

from kb.search.indexing import META_FILE, current_dir
from tests.helpers import copy_sample

LEGACY = """
from whoosh.analysis import RegexTokenizer, LowercaseFilter

def legacy_analyzer():
    return RegexTokenizer() | LowercaseFilter()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_legacy_index(root: Path, lang: str, tmp: Path) -> None:
    """An index as the old layout left it: its schema pickles a class of a module that is gone."""
    (tmp / "kb_gone_analysis.py").write_text(LEGACY, encoding="utf-8")
    sys.path.insert(0, str(tmp))
    try:
        import kb_gone_analysis  # type: ignore[import-not-found]

        folder = root / "instance" / "index" / f"{lang}.1"
        folder.mkdir(parents=True)
        schema = Schema(
            slug=ID(stored=True, unique=True), body=TEXT(analyzer=kb_gone_analysis.legacy_analyzer())
        )
        ix = whoosh_index.create_in(str(folder), schema)
        with ix.writer() as writer:
            writer.add_document(slug="old", body="an article the old index knew")
        (folder / META_FILE).write_text(
            json.dumps({"version": 5, "lang": lang, "articles": 1}), encoding="utf-8"
        )
        (root / "instance" / "index" / lang).symlink_to(folder.name)
    finally:
        sys.path.remove(str(tmp))
        sys.modules.pop("kb_gone_analysis", None)


def test_an_index_from_the_old_layout_rebuilds_itself_when_kb_serve_starts(tmp_path: Path) -> None:
    settings = copy_sample(tmp_path / "kb")
    make_legacy_index(settings.root, "nb", tmp_path)
    assert current_dir(settings, "nb") is None  # an older analysis version is never opened
    port = free_port()
    kb = Path(sys.executable).with_name("kb")
    server = subprocess.Popen(
        [str(kb), "--root", str(settings.root), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline, answer = time.monotonic() + 60, None
        while time.monotonic() < deadline and answer is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/search?q=passord&lang=nb", timeout=5
                ) as r:
                    answer = json.loads(r.read())
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.3)
        assert answer is not None, "kb serve did not answer within 60 s"
        assert answer["total"] > 0
        assert "reset-password" in {hit["slug"] for hit in answer["results"]}
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "Traceback" not in output, output
    assert current_dir(settings, "nb") is not None  # rebuilt at the current analysis version
