"""`kb serve --production` as deployed: it refuses to start without host settings, logs what it does,
honours gunicorn.conf.py and GUNICORN_CMD_ARGS, and answers while hundreds of connections idle."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import copy_sample

KB = str(Path(sys.executable).with_name("kb"))
IDLE = 100  # of each kind


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(port: int, path: str, timeout: float) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except OSError:
        return 0
    finally:
        connection.close()


def test_production_refuses_to_start_without_base_url_or_trusted_hosts(tmp_path: Path) -> None:
    copy_sample(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "KB_TRUSTED_HOSTS"} | {"KB_LANG": "en"}
    port = free_port()
    command = [KB, "--root", str(tmp_path), "serve", "--production", "--port", str(port)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 1
    assert "base_url" in done.stderr and "trusted_hosts" in done.stderr and "KB_TRUSTED_HOSTS" in done.stderr
    assert "Traceback" not in done.stderr
    assert get(port, "/nb/", timeout=2) == 0  # nothing listens


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path, Path, Path]]:
    """A real production server on the sample, with a gunicorn.conf.py and GUNICORN_CMD_ARGS."""
    root = tmp_path_factory.mktemp("production") / "kb"
    copy_sample(root)
    # The file sets two things; the environment overrides one of them (gunicorn's own order).
    (root / "gunicorn.conf.py").write_text(
        "workers = 1\naccess_log_format = 'from-conf-file %(r)s %(s)s'\n", encoding="utf-8"
    )
    out, err = root.parent / "stdout.log", root.parent / "stderr.log"
    port = free_port()
    env = {
        **os.environ,
        "KB_LANG": "en",
        "KB_TRUSTED_HOSTS": "127.0.0.1",
        "GUNICORN_CMD_ARGS": "--access-logformat 'from-env %(r)s %(s)s'",
    }
    command = [KB, "--root", str(root), "serve", "--production", "--port", str(port)]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env, cwd=root.parent)
    try:
        deadline = time.monotonic() + 120
        while get(port, "/nb/", timeout=5) != 200:
            assert process.poll() is None, err.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the server did not answer within 120 s"
            time.sleep(0.3)
        yield port, root, out, err
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_server_answers_while_hundreds_of_connections_idle(server: tuple[int, Path, Path, Path]) -> None:
    port = server[0]
    idle: list[socket.socket] = []
    try:
        for _ in range(IDLE):  # connect and send nothing
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        for _ in range(IDLE):  # half a request, then silence (slowloris)
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(b"GET /nb/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1")
            idle.append(sock)
        time.sleep(1)
        # A liveness check, not a speed test: gthread (2 x 4 threads) timed out here.
        assert [get(port, "/nb/", timeout=60) for _ in range(3)] == [200, 200, 200]
    finally:
        for sock in idle:
            sock.close()


def test_the_server_logs_its_start_and_every_request(server: tuple[int, Path, Path, Path]) -> None:
    port, root, out, err = server
    assert get(port, "/sv/", timeout=60) == 200
    time.sleep(0.5)  # the access log is written after the answer
    log = err.read_text(encoding="utf-8")
    assert "articles in 3 languages" in log
    assert f"gunicorn settings from {root / 'gunicorn.conf.py'}" in log
    assert "workers: 1, worker class: kb.web.worker.FairGeventWorker" in log
    assert f"http://127.0.0.1:{port}/" in log
    access = out.read_text(encoding="utf-8")
    assert "from-env GET /sv/ HTTP/1.1 200" in access
    assert "from-conf-file" not in access
