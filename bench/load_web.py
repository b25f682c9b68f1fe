"""Load test of the production server: search and article pages for N seconds, with a full re-index midway.

Starts ``kb serve --production`` (gunicorn, several workers) on a copy of the sample knowledge base on
loopback, drives it with threads of keep-alive ``http.client`` connections for a bounded time, runs
``kb index --rebuild`` in a subprocess during the load, and prints one JSON object: requests/s,
latency percentiles, errors (any non-200 or failed request) and the re-index's time and exit code.

    .venv/bin/python bench/load_web.py                  # 30 s, 16 client threads, 2 workers
    .venv/bin/python bench/load_web.py --seconds 10 --threads 8 --workers 4
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
KB = str(Path(sys.executable).with_name("kb"))
HOST = "127.0.0.1"
QUERIES = {
    "nb": ["passord", "deltaker e-post", "eksporter resultater", "kursbevis", "totrinnsbekreftelse", "video"],
    "sv": ["lösenord", "bjud in deltagare", "kursintyg", "exportera", "video spelas inte", "inloggning"],
    "en": ["password", "invite participants", "certificate", "export results", "video", "single sign-on"],
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def paths(root: Path) -> list[tuple[str, str]]:
    """(kind, path) pairs: search pages and article pages, every language."""
    chosen: list[tuple[str, str]] = []
    for lang, queries in QUERIES.items():
        chosen += [("search", f"/{lang}/search?q={quote(q)}") for q in queries]
        slugs = sorted(p.stem for p in (root / "articles" / lang).glob("*.md"))
        chosen += [("article", f"/{lang}/articles/{slug}/") for slug in slugs[:12]]
    return chosen


def wait_ready(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/nb/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


class Worker(threading.Thread):
    """One client: keep-alive requests until the deadline, recording (kind, seconds, ok)."""

    def __init__(self, port: int, targets: list[tuple[str, str]], deadline: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.port, self.targets, self.deadline = port, targets, deadline
        self.random = random.Random(seed)
        self.samples: list[tuple[str, float, bool]] = []
        self.failures: dict[str, int] = {}

    def run(self) -> None:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
        while time.monotonic() < self.deadline:
            kind, path = self.random.choice(self.targets)
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                if not ok:
                    self.failures[f"HTTP {response.status}"] = (
                        self.failures.get(f"HTTP {response.status}", 0) + 1
                    )
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                ok = False
                name = type(exc).__name__
                self.failures[name] = self.failures.get(name, 0) + 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
            self.samples.append((kind, time.perf_counter() - started, ok))
        conn.close()


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summary(samples: list[tuple[str, float, bool]], seconds: float) -> dict[str, float | int]:
    times = [t for _kind, t, _ok in samples]
    return {
        "requests": len(samples),
        "requests_per_s": round(len(samples) / seconds, 1),
        "p50_ms": round(percentile(times, 0.50) * 1000, 2),
        "p90_ms": round(percentile(times, 0.90) * 1000, 2),
        "p99_ms": round(percentile(times, 0.99) * 1000, 2),
        "max_ms": round(max(times, default=0.0) * 1000, 2),
        "errors": sum(1 for *_rest, ok in samples if not ok),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reindex-at", type=float, default=8.0, help="Seconds into the load.")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kb-load-") as tmp:
        root = Path(tmp) / "kb"
        root.mkdir()
        shutil.copytree(REPO / "articles", root / "articles")
        shutil.copy(REPO / "kb.yml", root / "kb.yml")
        port = free_port()
        env = {**os.environ, "KB_ROOT": str(root), "KB_TRUSTED_HOSTS": HOST}
        server = subprocess.Popen(
            [
                KB,
                "--root",
                str(root),
                "serve",
                "--production",
                "--host",
                HOST,
                "--port",
                str(port),
                "--workers",
                str(options.workers),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            wait_ready(port)
            targets = paths(root)
            started = time.monotonic()
            deadline = started + options.seconds
            workers = [Worker(port, targets, deadline, seed) for seed in range(options.threads)]
            for worker in workers:
                worker.start()
            time.sleep(options.reindex_at)
            reindex_started = time.monotonic()
            reindex = subprocess.run(
                [KB, "--root", str(root), "index", "--rebuild"],
                env=env,
                capture_output=True,
                text=True,
                timeout=options.seconds * 4,
                check=False,
            )
            reindex_seconds = time.monotonic() - reindex_started
            for worker in workers:
                worker.join(options.seconds + 30)
            elapsed = time.monotonic() - started
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        samples = [s for w in workers for s in w.samples]
        failures: dict[str, int] = {}
        for worker in workers:
            for name, count in worker.failures.items():
                failures[name] = failures.get(name, 0) + count
        result = {
            "server": f"kb serve --production --workers {options.workers} (gunicorn, gevent workers)",
            "client_threads": options.threads,
            "seconds": round(elapsed, 1),
            "cpus": os.cpu_count(),
            "all": summary(samples, elapsed),
            "search": summary([s for s in samples if s[0] == "search"], elapsed),
            "article": summary([s for s in samples if s[0] == "article"], elapsed),
            "failures": failures,
            "reindex": {
                "command": "kb index --rebuild",
                "started_at_s": options.reindex_at,
                "seconds": round(reindex_seconds, 2),
                "exit_code": reindex.returncode,
                "output": reindex.stdout.strip().splitlines()[-3:],
            },
        }
        print(json.dumps(result, indent=2, ensure_ascii=False))
        if result["all"]["errors"] or reindex.returncode:  # type: ignore[index]
            sys.exit(1)


if __name__ == "__main__":
    main()
