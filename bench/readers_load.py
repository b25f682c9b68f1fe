"""Load check of reader-data recording: p99 with recording on vs off, drops under overload, kill -9.

Starts ``kb serve --production`` (gunicorn) on a copy of the sample knowledge base and drives it with
wrk (Debian's C load generator: a Python client would measure itself on this 2-core machine):

1. search pages and article pages, recording off (``KB_READER_DATA=off``) and on, in alternating
   rounds; p50/p99 per kind and mode, and every search recorded (the server is stopped with SIGTERM,
   which flushes the queue). Each kind runs twice: saturating (wrk as fast as it can: the p99 then
   follows throughput, and recording costs ~5 % of the CPU) and paced (``--paced-rate``, about half
   of what two workers take, as a site runs);
2. overload: the database stalls (its write lock held elsewhere) under a search load, with a queue of
   5 and of 10,000 records per worker: the records dropped (from the workers' stop logs) and p99;
   and the cost of one ``Recorder.record()`` call;
3. kill -9 of the whole server (master and workers) in the middle of a search load: the records lost
   (answered searches minus rows) and ``PRAGMA integrity_check`` of the SQLite file.

Prints one JSON object. ``.venv/bin/python bench/readers_load.py [--seconds 10] [--rounds 8]`` (~14 min)
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from statistics import median
from typing import Any
from urllib.parse import quote

from kb.store import Recorder, SearchRecord, Store
from kb.store.store import sqlite_integrity

REPO = Path(__file__).resolve().parent.parent
KB = str(Path(sys.executable).with_name("kb"))
HOST = "127.0.0.1"
QUERIES = {
    "nb": ["passord", "deltaker e-post", "eksporter resultater", "kursbevis", "totrinnsbekreftelse", "zzqx"],
    "sv": ["lösenord", "bjud in deltagare", "kursintyg", "exportera", "video spelas inte", "qqxz"],
    "en": ["password", "invite participants", "certificate", "export results", "video", "xyzzy"],
}
UNIT = {"us": 1e-3, "ms": 1.0, "s": 1000.0}
STARTED: list[Server] = []  # stopped at the end whatever happens


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def lua_script(folder: Path, name: str, paths: list[str], delay_ms: float = 0.0) -> Path:
    """A wrk script that cycles through ``paths``; with ``delay_ms``, each connection waits that long
    before each request (a paced load: the rate a site runs at, below what the server can take)."""
    listed = ",\n".join(json.dumps(p) for p in paths)
    script = folder / f"{name}.lua"
    paced = f"delay = function()\n  return {delay_ms:.3f}\nend\n" if delay_ms else ""
    script.write_text(
        f"local paths = {{\n{listed}\n}}\nlocal i = 0\n"
        "request = function()\n  i = i + 1\n  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n"
        + paced,
        encoding="utf-8",
    )
    return script


def targets(root: Path, folder: Path, connections: int, paced_rate: int) -> dict[str, Path]:
    """The saturating scripts ("search", "article") and, with ``paced_rate``, the same paced to about
    that many requests per second in all ("search paced", "article paced")."""
    searches = [f"/{lang}/search?q={quote(q)}" for lang, qs in QUERIES.items() for q in qs]
    articles = [
        f"/{lang}/articles/{p.stem}/"
        for lang in QUERIES
        for p in sorted((root / "articles" / lang).glob("*.md"))
    ]
    scripts = {
        "search": lua_script(folder, "search", searches),
        "article": lua_script(folder, "article", articles),
    }
    if paced_rate:
        delay = 1000.0 * connections / paced_rate
        scripts["search paced"] = lua_script(folder, "search-paced", searches, delay)
        scripts["article paced"] = lua_script(folder, "article-paced", articles, delay)
    return scripts


class Server:
    """``kb serve --production`` in its own process group, so a kill -9 can take master and workers."""

    def __init__(self, root: Path, env: dict[str, str], workers: int) -> None:
        self.port = free_port()
        self.log = root.parent / f"server-{self.port}.log"
        command = [KB, "--root", str(root), "serve", "--production", "--workers", str(workers)]
        command += ["--port", str(self.port)]
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=self.log.open("wb"), start_new_session=True
        )
        STARTED.append(self)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/nb/")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("the server did not start")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)

    def dropped(self) -> int:
        """Records the workers dropped, from the totals each logs when it stops gracefully."""
        found = re.findall(r"(\d+) dropped \(queue full\)", self.log.read_text(errors="replace"))
        return sum(int(n) for n in found)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)


def wrk(port: int, script: Path, seconds: int, connections: int) -> dict[str, Any]:
    """One wrk run: requests, requests/s, p50/p99 in ms, non-2xx, and wrk's own CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script)]
    out = subprocess.run(
        [*command, f"http://{HOST}:{port}"], capture_output=True, text=True, check=True
    ).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)

    def latency(label: str) -> float:
        found = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return round(float(found.group(1)) * UNIT[found.group(2)], 2) if found else float("nan")

    requests = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return {
        "requests": int(requests.group(1)) if requests else 0,
        "rps": float(rate.group(1)) if rate else 0.0,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "client_cpu_s": round((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), 2),
    }


def rows(url: str) -> dict[str, int]:
    with Store.open(url) as store:
        return store.count_records()


def reset(database: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


def main() -> None:
    try:
        run()
    finally:
        for server in STARTED:
            if server.process.poll() is None:
                server.kill()


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    # A saturated server's p99 moves ±20 % from one 10-second run to the next (article pages, which
    # record nothing, included): the median of 8 alternating rounds resolves a 10 % difference.
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--paced-rate", type=int, default=2000,
        help="requests/s of the paced runs, about half of what 2 workers take (0: saturating runs only)",
    )  # fmt: skip
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    folder = Path(tempfile.mkdtemp(prefix="kb-readers-bench-"))
    root = folder / "kb"
    shutil.copytree(REPO / "articles", root / "articles")
    shutil.copy(REPO / "kb.yml", root / "kb.yml")
    subprocess.run([KB, "--root", str(root), "index", "--rebuild"], check=True, capture_output=True)
    scripts = targets(root, folder, args.connections, args.paced_rate)
    database = root / "instance" / "kb.sqlite3"
    url = f"sqlite:///{database}"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    base_env["KB_SECRET_KEY"] = "bench"
    base_env["KB_TRUSTED_HOSTS"] = HOST  # production refuses to start without a host setting
    result: dict[str, Any] = {
        "seconds": args.seconds,
        "connections": args.connections,
        "workers": args.workers,
    }

    # 1. recording on vs off, alternating rounds
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {m: {k: [] for k in scripts} for m in ("off", "on")}
    lost_on = []
    for _round in range(args.rounds):
        for mode in ("off", "on"):
            reset(database)
            server = Server(root, {**base_env, "KB_READER_DATA": mode}, args.workers)
            # Warm-up: article pages, then searches (each worker opens its index generation, fills
            # its caches and, recording, opens the store) — none of it in the measured runs.
            wrk(server.port, scripts["article"], 2, args.connections)
            warm = wrk(server.port, scripts["search"], 2, args.connections)
            measured = {
                kind: wrk(server.port, scripts[kind], args.seconds, args.connections) for kind in scripts
            }
            server.stop()  # SIGTERM: workers flush their queues
            for kind, found in measured.items():
                runs[mode][kind].append(found)
            if mode == "on":
                # wrk counts the requests answered within its time; a few more may be in flight then.
                stored = rows(url)["searches"]
                answered = warm["requests"]
                answered += sum(found["requests"] for k, found in measured.items() if k.startswith("search"))
                lost_on.append(max(0, answered - stored))
    result["paced_rate"] = args.paced_rate
    for kind in scripts:
        p99_off = median(r["p99_ms"] for r in runs["off"][kind])
        p99_on = median(r["p99_ms"] for r in runs["on"][kind])
        result[kind] = {
            "off": runs["off"][kind],
            "on": runs["on"][kind],
            "p99_off_ms": p99_off,
            "p99_on_ms": p99_on,
            "p99_change": round(p99_on / p99_off - 1, 3) if p99_off else None,
        }
    result["searches_lost_after_sigterm"] = lost_on

    # 2. overload: the database stalls (another connection holds SQLite's write lock for most of the
    #    run) while searches go on; a small queue (KB_RECORDER_QUEUE) then fills and drops.
    for queue in ("5", "10000"):
        reset(database)
        server = Server(root, {**base_env, "KB_RECORDER_QUEUE": queue}, args.workers)
        wrk(server.port, scripts["article"], 2, args.connections)
        conn = http.client.HTTPConnection(HOST, server.port, timeout=10)
        conn.request("GET", "/en/search?q=warm")  # opens the store before the stall
        conn.getresponse().read()
        time.sleep(1.0)
        before = rows(url)["searches"]
        with sqlite3.connect(database, timeout=30, check_same_thread=False) as blocker:
            blocker.execute("BEGIN IMMEDIATE")
            stall = threading.Timer(args.seconds * 0.8, blocker.rollback)
            stall.start()
            load = wrk(server.port, scripts["search"], args.seconds, args.connections)
            stall.join()
        server.stop()
        result[f"overload_queue_{queue}"] = {
            "database_stalled_s": args.seconds * 0.8, "searches_answered": load["requests"],
            "p99_ms": load["p99_ms"], "non_2xx": load["non_2xx"], "stored": rows(url)["searches"] - before,
            "dropped": server.dropped(),
        }  # fmt: skip

    # record() itself, on the request path: the cost of one call
    reset(database)
    with Store.open(url) as store:
        recorder = Recorder(store, maxsize=1_000_000)
        item = SearchRecord(query="password", lang="en", results=3)
        started = time.perf_counter()
        for _n in range(100_000):
            recorder.record(item)
        per_call = (time.perf_counter() - started) / 100_000
        recorder.close(timeout=120)
    result["record_call_us"] = round(per_call * 1e6, 2)

    # 3. kill -9 in the middle of a search load
    reset(database)
    server = Server(root, base_env, args.workers)
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "-s", str(scripts["search"])]
    client = subprocess.Popen([*command, f"http://{HOST}:{server.port}"], stdout=subprocess.PIPE, text=True)
    time.sleep(args.seconds / 2)
    server.kill()
    out, _err = client.communicate(timeout=args.seconds * 3)
    done = re.search(r"(\d+) requests in", out)
    answered = int(done.group(1)) if done else 0
    stored = rows(url)["searches"]
    result["kill_9"] = {
        "searches_answered_at_most": answered,
        "stored": stored,
        "lost_at_most": answered - stored,
        "integrity_check": sqlite_integrity(database),
    }
    shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
