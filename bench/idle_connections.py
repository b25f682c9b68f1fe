"""Idle and half-sent connections against ``kb serve --production``: does ``GET /nb/`` still answer?

Starts the production server on a copy of the sample knowledge base (the worker model comes from
``GUNICORN_CMD_ARGS`` when set, e.g. ``--worker-class gevent``), opens N connections of one kind,
then times a few normal requests. Kinds: ``silent`` (connect, send nothing), ``partial`` (half a
request line and headers, then stall), ``trickle`` (a header line every 2 s, never the end).
Prints one JSON object.

    .venv/bin/python bench/idle_connections.py --idle 200
    GUNICORN_CMD_ARGS="--threads 64" .venv/bin/python bench/idle_connections.py --idle 200
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
KINDS = ("silent", "partial", "trickle")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(port: int, path: str = "/nb/", timeout: float = 30.0) -> tuple[int, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        status = connection.getresponse().status
    except OSError:
        status = 0
    finally:
        connection.close()
    return status, time.perf_counter() - started


def wait_ready(port: int, server: subprocess.Popen[bytes], seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited with {server.returncode}")
        if get(port, timeout=2)[0] == 200:
            return
        time.sleep(0.3)
    raise SystemExit("server did not answer")


def open_idle(port: int, kind: str, count: int, stop: threading.Event) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        if kind in ("partial", "trickle"):
            sock.sendall(b"GET /nb/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1")
        sockets.append(sock)
    if kind == "trickle":

        def trickle() -> None:
            while not stop.wait(2.0):
                for sock in sockets:
                    try:
                        sock.sendall(b"\r\nX-Slow: 1")
                    except OSError:
                        continue

        threading.Thread(target=trickle, daemon=True).start()
    return sockets


def measure(kind: str, idle: int, probes: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        shutil.copytree(REPO / "articles", root / "articles")
        shutil.copy(REPO / "kb.yml", root / "kb.yml")
        port = free_port()
        env = {**os.environ, "KB_TRUSTED_HOSTS": "127.0.0.1", "KB_LANG": "en"}
        command = [str(REPO / ".venv/bin/kb"), "-q", "--root", str(root), "serve", "--production"]
        server = subprocess.Popen(
            [*command, "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        stop = threading.Event()
        try:
            wait_ready(port, server)
            sockets = open_idle(port, kind, idle, stop)
            time.sleep(1.0)
            answers = [get(port) for _ in range(probes)]
            stop.set()
            for sock in sockets:
                sock.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    times = sorted(t for _, t in answers)
    return {
        "kind": kind,
        "idle": idle,
        "ok": sum(1 for status, _ in answers if status == 200),
        "probes": probes,
        "median_s": round(times[len(times) // 2], 3),
        "max_s": round(times[-1], 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=100)
    parser.add_argument("--probes", type=int, default=5)
    parser.add_argument("--kind", choices=KINDS, action="append")
    args = parser.parse_args()
    results = [measure(kind, args.idle, args.probes) for kind in args.kind or KINDS]
    print(json.dumps({"gunicorn_cmd_args": os.environ.get("GUNICORN_CMD_ARGS", ""), "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
