"""Soak: the production server under rising load, a re-index under load, pathological queries against
page latency, then the long fuzz run and the fault runs; one summary table. Loopback only, bounded time.

Phases (defaults take about 8 minutes on 2 cores):

1. ``kb serve --production`` (gunicorn, several workers) on a copy of the sample knowledge base plus
   generated articles; client threads with keep-alive connections send a mixed workload (article and
   category pages, searches, API searches, pathological searches: ``*``, ``*ord``, ``a~2``, fuzzy
   words, long phrases, 5,000-character queries) at each concurrency level for a fixed time.
2. The same mix while ``kb index --rebuild`` runs: no request may fail.
3. Threads sending only pathological queries next to threads reading article pages: the article
   pages' p99 shows whether slow queries can starve the workers.
4. ``tests/robustness/test_fuzz.py`` with ``KB_FUZZ_EXAMPLES`` (many more inputs than ``make test``).
5. ``tests/robustness/test_faults.py`` with ``KB_FAULT_ROUNDS`` kill -9 rounds over
   ``KB_FAULT_ARTICLES`` articles.

    .venv/bin/python bench/soak.py                  # the full soak (make soak)
    .venv/bin/python bench/soak.py --quick          # a shorter run of every phase
    .venv/bin/python bench/soak.py --json out.json  # also write every figure as JSON

Exit status 1 when any of crashes, failed requests or data lost is not zero.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from load_web import percentile

REPO = Path(__file__).resolve().parent.parent
KB = str(Path(sys.executable).with_name("kb"))
HOST = "127.0.0.1"
WORDS = ["passord", "konto", "innlogging", "deltaker", "kurs", "video", "eksport", "resultat", "sertifikat"]
WORDS += ["modul", "prosjekt", "rapport", "gruppe", "invitasjon", "påminnelse", "e-post", "fremdrift"]
SEARCHES = {
    "nb": ["passord", "deltaker e-post", "eksporter resultater", "kursbevis", "totrinnsbekreftelse", "video"],
    "sv": ["lösenord", "bjud in deltagare", "kursintyg", "exportera", "video spelas inte", "inloggning"],
    "en": ["password", "invite participants", "certificate", "export results", "video", "single sign-on"],
}
PATHOLOGICAL = [
    "*",
    "*ord",
    "a~2",
    "p*",
    "pa*",
    "e~2 a~2 i~2 o~2 u~2",
    "passordet~2 deltakerne~2 sertifikatet~2 invitasjonen~2",
    "pa* ko* de* ku* vi* ek* re* se* mo* pr* in* ra*",
    '"passord konto innlogging deltaker kurs video eksport resultat sertifikat modul prosjekt rapport"',
    "(" * 300 + "passord",
    '"' * 301,
    "kurs " * 400,  # 2,000 characters: reaches the app, which reads the first 500
    "x" * 5_000,  # longer than gunicorn's request line: refused before the app
    "passord OR konto OR kurs OR video OR eksport OR rapport -deltaker -modul",
]
SKIPPED: dict[str, Any] = {"failures": 0, "errors": 0, "report": {}, "tail": ["skipped"]}
LONG_LINE = 4_094  # gunicorn's limit_request_line: a longer request line is answered 414 by gunicorn


# --- the knowledge base and the server ------------------------------------------------------------


def make_kb(target: Path, extra: int) -> Path:
    """The sample knowledge base plus ``extra`` generated Norwegian articles in its categories."""
    shutil.copytree(REPO / "articles", target / "articles")
    shutil.copy(REPO / "kb.yml", target / "kb.yml")
    categories = yaml.safe_load((REPO / "articles" / "categories.yml").read_text(encoding="utf-8"))
    names = [entry["nb"]["name"] for entry in categories.values()]
    rnd = random.Random(7)
    for number in range(extra):
        paragraphs = "\n\n".join(" ".join(rnd.choices(WORDS, k=60)) + "." for _ in range(4))
        text = (
            f"---\ntitle: Hjelpeartikkel {number} om {rnd.choice(WORDS)}\nauthor: Kari Nordmann\n"
            f"date: 2024-0{1 + number % 9}-1{number % 10}\ncategory: {names[number % len(names)]}\n---\n\n"
            f"## Slik gjør du det\n\n{paragraphs}\n"
        )
        (target / "articles" / "nb" / f"generert-{number:05d}.md").write_text(text, encoding="utf-8")
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        except ProcessLookupError:
            pass

    def logged_problems(self) -> list[str]:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        signs = ("Traceback", "WORKER TIMEOUT", "Worker exiting", "Exception", "ERROR")
        return [line for line in text.splitlines() if any(sign in line for sign in signs)]


def server_env(log: Path) -> dict[str, str]:
    """The production server's environment: its host trusted, the access log beside the error log
    (so a request line never looks like a logged problem)."""
    access = log.with_name(log.name + ".access")
    return {**os.environ, "KB_TRUSTED_HOSTS": HOST, "GUNICORN_CMD_ARGS": f"--access-logfile {access}"}


def start_server(root: Path, workers: int, threads: int, log: Path) -> Server:
    port = free_port()
    command = [KB, "--root", str(root), "serve", "--production", "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers), "--threads", str(threads)]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True, env=server_env(log)
        )
    server = Server(process, port, log)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/nb/")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.stop()
    raise SystemExit("the server did not start in 300 s")


# --- the workload ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    kind: str
    path: str
    accept: frozenset[int] = frozenset({200})
    too_long: bool = False  # a request line gunicorn refuses (414) before the app sees it


def targets(root: Path) -> dict[str, list[Target]]:
    """The request mix by kind."""
    pages: list[Target] = []
    categories: list[Target] = []
    for lang in ("nb", "sv", "en"):
        slugs = sorted(p.stem for p in (root / "articles" / lang).glob("*.md"))
        pages += [Target("article", f"/{lang}/articles/{slug}/") for slug in slugs]
    for entry in yaml.safe_load((root / "articles" / "categories.yml").read_text(encoding="utf-8")).values():
        for lang in ("nb", "sv", "en"):
            slug = entry[lang]["name"]
            categories.append(Target("category", f"/{lang}/categories/{slugify(slug)}/"))
    searches = [Target("search", f"/{lang}/search?q={quote(q)}") for lang, qs in SEARCHES.items() for q in qs]
    searches += [
        Target("search", f"/api/search?q={quote(q)}&lang={lang}") for lang, qs in SEARCHES.items() for q in qs
    ]
    slow = []
    for query in PATHOLOGICAL:
        for path in (f"/nb/search?q={quote(query)}", f"/api/search?q={quote(query)}&lang=nb"):
            too_long = len(f"GET {path} HTTP/1.1") > LONG_LINE
            accept = {200, 400} if path.startswith("/api/") else {200}  # the API refuses q over 500 chars
            slow.append(Target("pathological", path, frozenset({400, 414} if too_long else accept), too_long))
    return {"article": pages, "category": categories, "search": searches, "pathological": slow}


def slugify(text: str) -> str:
    from kb.model import slugify as kb_slugify

    return kb_slugify(text)


MIX = {"article": 0.50, "category": 0.15, "search": 0.25, "pathological": 0.10}


@dataclass
class Sample:
    kind: str
    seconds: float
    ok: bool
    refused: bool = False  # an over-long request line refused by gunicorn, as expected


class Client(threading.Thread):
    """One client: keep-alive requests of the chosen kinds until the deadline."""

    def __init__(
        self, port: int, pool: dict[str, list[Target]], weights: dict[str, float], deadline: float, seed: int
    ) -> None:
        super().__init__(daemon=True)
        self.port, self.pool, self.weights, self.deadline, self.seed = port, pool, weights, deadline, seed
        self.samples: list[Sample] = []
        self.failures: dict[str, int] = {}

    def run(self) -> None:
        rnd = random.Random(self.seed)
        kinds, weights = list(self.weights), list(self.weights.values())
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        while time.monotonic() < self.deadline:
            target = rnd.choice(self.pool[rnd.choices(kinds, weights)[0]])
            started = time.perf_counter()
            status = 0
            try:
                conn.request("GET", target.path, headers={"Accept-Encoding": "gzip"})
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                name = type(exc).__name__
                self.failures[name] = self.failures.get(name, 0) + 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
            ok = status in target.accept
            if status and not ok:
                key = f"HTTP {status} {target.kind}"
                self.failures[key] = self.failures.get(key, 0) + 1
            sample = Sample(target.kind, time.perf_counter() - started, ok, refused=target.too_long and ok)
            self.samples.append(sample)
        conn.close()


def figures(samples: list[Sample], seconds: float) -> dict[str, Any]:
    times = [s.seconds for s in samples]
    return {
        "requests": len(samples),
        "requests_per_s": round(len(samples) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(percentile(times, 0.50) * 1000, 1),
        "p99_ms": round(percentile(times, 0.99) * 1000, 1),
        "max_ms": round(max(times, default=0.0) * 1000, 1),
        "errors": sum(1 for s in samples if not s.ok),
        "refused_long_lines": sum(1 for s in samples if s.refused),
    }


def load(
    port: int, pool: dict[str, list[Target]], clients: list[dict[str, float]], seconds: float
) -> dict[str, Any]:
    """Run one client per weights dict for ``seconds``; figures overall and per kind."""
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    threads = [Client(port, pool, weights, deadline, seed) for seed, weights in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.monotonic() - started
    samples = [s for t in threads for s in t.samples]
    failures: dict[str, int] = {}
    for thread in threads:
        for name, count in thread.failures.items():
            failures[name] = failures.get(name, 0) + count
    result = {"clients": len(clients), "seconds": round(elapsed, 1), **figures(samples, elapsed)}
    result["by_kind"] = {k: figures([s for s in samples if s.kind == k], elapsed) for k in pool}
    result["failures"] = failures
    return result


# --- the phases -------------------------------------------------------------------------------------


def rising_load(
    server: Server, pool: dict[str, list[Target]], levels: list[int], seconds: float
) -> list[dict[str, Any]]:
    results = []
    for level in levels:
        result = load(server.port, pool, [MIX] * level, seconds)
        results.append(result)
        print(
            f"  {level:>3} clients: {result['requests_per_s']:>7} req/s, p50 {result['p50_ms']} ms,"
            f" p99 {result['p99_ms']} ms, errors {result['errors']}",
            flush=True,
        )
    return results


def reindex_under_load(
    server: Server, root: Path, pool: dict[str, list[Target]], clients: int, seconds: float
) -> dict[str, Any]:
    box: dict[str, Any] = {}

    def reindex() -> None:
        time.sleep(seconds * 0.2)
        started = time.monotonic()
        done = subprocess.run(
            [KB, "--root", str(root), "index", "--rebuild"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        box.update(
            code=done.returncode, seconds=round(time.monotonic() - started, 1), out=done.stdout.strip()
        )

    worker = threading.Thread(target=reindex, daemon=True)
    worker.start()
    result = load(server.port, pool, [MIX] * clients, seconds)
    worker.join(600)
    result["reindex"] = box
    return result


def starvation(
    server: Server, pool: dict[str, list[Target]], attackers: int, readers: int, seconds: float
) -> dict[str, Any]:
    clients = [{"pathological": 1.0}] * attackers + [{"article": 1.0}] * readers
    return load(server.port, pool, clients, seconds)


def pytest_run(
    test_file: str, env: dict[str, str], report: Path, junit: Path, timeout: float
) -> dict[str, Any]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file, f"--junitxml={junit}"],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    suite = ET.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")  # type: ignore[assignment]
    counts = {k: int(suite.get(k, "0")) for k in ("tests", "failures", "errors", "skipped")}
    return {
        "exit_code": done.returncode,
        "seconds": round(time.monotonic() - started, 1),
        **counts,
        "report": json.loads(report.read_text(encoding="utf-8")) if report.is_file() else {},
        "tail": done.stdout.strip().splitlines()[-15:],
    }


# --- the summary ------------------------------------------------------------------------------------


def summary(result: dict[str, Any]) -> tuple[str, bool]:
    """The table quoted in the issue note, and whether every must-be-zero figure is zero."""
    levels, reindex, starve = result["levels"], result["reindex"], result["starvation"]
    fuzz, faults = result["fuzz"], result["faults"]
    counts = faults["report"]
    first_error = next((r["clients"] for r in levels if r["errors"]), None)
    failed_requests = sum(r["errors"] for r in levels) + reindex["errors"] + starve["errors"]
    inputs = sum(fuzz["report"].values())
    crashes = fuzz["failures"] + fuzz["errors"] + faults["failures"] + faults["errors"]
    crashes += len(result["server_problems"]) + (1 if reindex["reindex"].get("code") else 0)
    lost = int(counts.get("articles_lost", 0)) + int(counts.get("build_files_changed_by_kill", 0))
    baseline = next((r["by_kind"]["article"]["p99_ms"] for r in levels if r["clients"] >= 4), 0.0)
    article, slow = starve["by_kind"]["article"], starve["by_kind"]["pathological"]
    kills = f"{counts.get('index_kills', 0)} / {counts.get('build_kills', 0)}"
    rebuild, top, refused_writes = reindex["reindex"], levels[-1]["clients"], counts.get("refused_writes", 0)
    reindexed = f"{rebuild.get('seconds')} s, exit {rebuild.get('code')}, "
    reindexed += f"{reindex['errors']} of {reindex['requests']} requests failed"
    rows = [
        ("inputs tried (fuzz: loader, renderer, query parser, search, pages)", f"{inputs:,}"),
        ("crashes (fuzz and fault failures, server tracebacks, failed re-index)", str(crashes)),
        ("failed requests (all load phases)", str(failed_requests)),
        ("data lost (articles gone after kill -9, old build files changed)", str(lost)),
        ("kill -9 of kb index / kb build", f"{kills}, then {counts.get('recoveries', 0)} recoveries"),
        ("searches right after a kill, answered by the old index", str(counts.get("searches_after_kill", 0))),
        ("refused writes (read-only, full disk): clear error, old index served", str(refused_writes)),
        ("kb index runs started at the same moment, all finished", str(counts.get("concurrent_runs", 0))),
        ("kb index --rebuild under load (16 clients)", reindexed),
        ("errors start at", f"{first_error} clients" if first_error else f"none up to {top} clients"),
        ("article p99 with 8 clients sending only pathological queries",
         f"{article['p99_ms']} ms ({baseline} ms without them; pathological p99 {slow['p99_ms']} ms)"),
    ]  # fmt: skip
    width = max(len(label) for label, _value in rows)
    lines = [f"kb soak, {result['started']}, {result['cpus']} CPUs, {result['server']}", ""]
    lines += [f"{label:<{width}}  {value}" for label, value in rows]
    header = ("clients", "requests", "req/s", "p50 ms", "p99 ms", "article p99", "search p99", "errors")
    lines += ["", "  ".join(f"{h:>8}" for h in header)]
    for r in levels:
        kinds = r["by_kind"]
        cells = (r["clients"], r["requests"], r["requests_per_s"], r["p50_ms"], r["p99_ms"])
        cells += (kinds["article"]["p99_ms"], kinds["search"]["p99_ms"], r["errors"])
        lines.append("  ".join(f"{c:>8}" for c in cells))
    refused = sum(r["refused_long_lines"] for r in levels)
    lines.append(
        f"({refused} requests with a query over 4 KB were refused by gunicorn with 414, as intended)"
    )
    ok = crashes == 0 and failed_requests == 0 and lost == 0
    lines += ["", "PASS: crashes, failed requests and data lost are all zero" if ok else "FAIL: see above"]
    return "\n".join(lines), ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Shorter phases (a check of the soak itself).")
    parser.add_argument("--levels", default="1,4,16,32")
    parser.add_argument("--level-seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--extra-articles", type=int, default=2000)
    parser.add_argument("--fuzz-examples", type=int, default=1500)
    parser.add_argument("--fault-rounds", type=int, default=10)
    parser.add_argument("--fault-articles", type=int, default=2000)
    parser.add_argument("--json", type=Path, default=None, help="Also write every figure here.")
    parser.add_argument(
        "--skip", default="", help="Phases to leave out, e.g. 'fuzz,faults' (for a quick look)."
    )
    options = parser.parse_args()
    if options.quick:
        options.level_seconds, options.extra_articles = 4.0, 300
        options.fuzz_examples, options.fault_rounds, options.fault_articles = 200, 2, 1000
    levels = [int(x) for x in options.levels.split(",")]
    started = time.monotonic()
    result: dict[str, Any] = {
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "server": f"kb serve --production: {options.workers} workers × {options.threads} threads",
    }
    with tempfile.TemporaryDirectory(prefix="kb-soak-") as tmp:
        folder = Path(tmp)
        root = make_kb(folder / "kb", options.extra_articles)
        print(
            f"load: {options.extra_articles} generated articles + the sample; starting the server", flush=True
        )
        server = start_server(root, options.workers, options.threads, folder / "server.log")
        try:
            pool = targets(root)
            result["levels"] = rising_load(server, pool, levels, options.level_seconds)
            print("re-index under load", flush=True)
            result["reindex"] = reindex_under_load(
                server, root, pool, 16, max(20.0, 2 * options.level_seconds)
            )
            print("pathological queries next to article pages", flush=True)
            result["starvation"] = starvation(server, pool, 8, 4, max(10.0, options.level_seconds))
        finally:
            server.stop()
            result["server_problems"] = server.logged_problems()
        print(f"fuzz: {options.fuzz_examples} examples per test", flush=True)
        result["fuzz"] = (
            SKIPPED
            if "fuzz" in options.skip
            else pytest_run(
                "tests/robustness/test_fuzz.py",
                {"KB_FUZZ_EXAMPLES": str(options.fuzz_examples), "KB_FUZZ_REPORT": str(folder / "fuzz.json")},
                folder / "fuzz.json",
                folder / "fuzz.xml",
                timeout=900,
            )
        )
        print(f"faults: {options.fault_rounds} rounds over {options.fault_articles} articles", flush=True)
        result["faults"] = (
            SKIPPED
            if "faults" in options.skip
            else pytest_run(
                "tests/robustness/test_faults.py",
                {
                    "KB_FAULT_ROUNDS": str(options.fault_rounds),
                    "KB_FAULT_ARTICLES": str(options.fault_articles),
                    "KB_FAULT_REPORT": str(folder / "faults.json"),
                },
                folder / "faults.json",
                folder / "faults.xml",
                timeout=900,
            )
        )
    result["seconds"] = round(time.monotonic() - started, 1)
    table, ok = summary(result)
    print()
    print(table)
    print(f"\n(total {result['seconds']} s)")
    if options.json:
        options.json.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    for name in ("fuzz", "faults"):
        if result[name]["failures"] or result[name]["errors"]:
            print(f"\n{name}:\n" + "\n".join(result[name]["tail"]))
    if result["server_problems"]:
        print("\nserver log:\n" + "\n".join(result["server_problems"][:20]))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
