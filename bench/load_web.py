"""Web throughput benchmark: wrk (a C load generator) against ``kb serve --production`` and against nginx.

Everything runs on loopback, side by side in one run, each load bounded in time:

* **article pages**/s and latency percentiles at 1, 4 and 16 connections: wrk rotates over every
  article URL of the sample knowledge base in every language (the URLs come from ``kb build``'s
  output of the same site), with ``Accept-Encoding: gzip``;
* **search pages**/s and percentiles at the same levels: ~300 realistic reader queries
  (``bench/data/web_queries.txt``, ``lang<TAB>query``: 1–3 words, some unfinished, some
  misspelled; generated from the sample's own vocabulary by ``--write-queries``);
* **mixed**: one wrk reads articles on 8 connections while a second sends pathological searches
  (``*``, ``a*``, ``"unclosed``, 500-character and 32-word queries, ``AND OR NOT``, deep
  parentheses, ``e~2`` …) on 8 more: the article p99 under search abuse;
* **the ceiling**: nginx (Debian) serving ``kb build`` output of the same site (gzip on), article
  pages at the highest level.

Next to every figure: the client's CPU (wrk's own user+sys, from ``wait4``) and the server's CPU
(user+sys of the server's whole process tree, from ``/proc``). A response outside 2xx is an error;
503s (a search cap will answer so) are counted on their own, and so are socket errors and
timeouts. Prints one JSON object on stdout and a compact table on stderr; exits 1 on errors.

    .venv/bin/python bench/load_web.py                       # ~10 s per level, ~2 min in all
    .venv/bin/python bench/load_web.py --seconds 3 --levels 1,16 --workers 4
    .venv/bin/python bench/load_web.py --write-queries       # regenerate bench/data/web_queries.txt

Needs ``wrk`` and ``nginx`` on PATH (``make bench-web`` installs Debian's ``wrk`` and
``nginx-light``). kb is driven only through its command line (``kb build``, ``kb serve``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

REPO = Path(__file__).resolve().parent.parent
KB = str(Path(sys.executable).with_name("kb"))
HOST = "127.0.0.1"
QUERIES_FILE = REPO / "bench" / "data" / "web_queries.txt"
QUERIES_PER_LANGUAGE = 100
MIXED_CONNECTIONS = 8
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# What readers must never be able to do to the site: each one is sent in every language.
PATHOLOGICAL = [
    "*",
    "a*",
    "*ord",
    "p*",
    "e~2",
    "a~2",
    "passord~3",
    '"unclosed',
    '"a b c d e f g h i j k l m n o p"',
    "AND OR NOT",
    "NOT NOT NOT",
    "OR",
    "(" * 60 + "a" + ")" * 60,
    "(" * 400 + "a",
    "((a OR b) AND (c OR (d AND (e OR (f AND g)))))",
    "title:* OR body:*",
    "[a TO z]",
    "a" * 500,
    " ".join(["x"] * 250),
    " ".join(f"word{i}*" for i in range(32)),
    " ".join(["the", "and", "of", "to", "a", "in", "is", "for", "on", "with", "as", "by"] * 3)[:200],
    "e-post e-post e-post e-post e-post e-post e-post e-post",
    "%00%ff\x01\x7f",
    "\u200b\u00ad\ufeff",
]

# wrk's Lua side: rotate over the paths (each thread from its own offset), count every status
# code, and print one JSON line from the ``done`` hook (latencies in microseconds).
LUA = r"""
local paths = {%(paths)s}
local unique = %(unique)s  -- append a word never sent before, so no cache can answer
local threads = {}
wrk.headers["Accept-Encoding"] = "gzip"

function setup(thread)
  table.insert(threads, thread)
  thread:set("offset", (#threads - 1) * 7919)
  thread:set("tag", #threads)
end

function init(args)
  position = offset or 0
  sent = 0
  statuses = {}
end

function request()
  position = position %% #paths + 1
  if unique then
    sent = sent + 1
    return wrk.format("GET", paths[position] .. "%%20zq" .. (tag or 0) .. "x" .. sent)
  end
  return wrk.format("GET", paths[position])
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    if counts then
      for key, count in pairs(counts) do merged[key] = (merged[key] or 0) + count end
    end
  end
  local parts = {}
  for key, count in pairs(merged) do table.insert(parts, string.format('"%%s": %%d', key, count)) end
  local e = summary.errors
  io.write(string.format(
    'KBWRK {"requests": %%d, "duration_us": %%d, "bytes": %%d, "errors": {"connect": %%d, "read": %%d, ' ..
    '"write": %%d, "status": %%d, "timeout": %%d}, "latency_us": {"min": %%d, "mean": %%.1f, ' ..
    '"p50": %%d, "p90": %%d, "p99": %%d, "p999": %%d, "max": %%d}, "statuses": {%%s}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max, table.concat(parts, ", ")))
end
"""

NGINX_CONF = """{user}worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    gzip on;
    gzip_types text/css application/javascript application/json text/xml application/xml;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen {host}:{port};
        root {site};
        index index.html;
    }}
}}
"""


# ---------------------------------------------------------------------------------------------
# Small helpers (``percentile`` is shared with soak.py).


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def wait_ready(url: str, timeout: float = 90.0) -> float:
    """Seconds until ``url`` answers 200."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return time.monotonic() - started
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    raise SystemExit(f"no answer from {url} within {timeout:.0f} s")


def tree_cpu_seconds(session: int) -> float:
    """User+system CPU seconds of every live process in session ``session`` (a server and its workers)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        # after the command: state ppid pgrp session … utime(14th field overall) stime(15th)
        if int(fields[3]) == session:
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores, from /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def stop_session(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """SIGTERM the process group ``process`` leads (started with ``start_new_session``), then SIGKILL."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


# ---------------------------------------------------------------------------------------------
# The realistic queries: drawn from the sample's own vocabulary, deterministic, one file.

WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
MARKUP = re.compile(r"`[^`]*`|\]\([^)]*\)|[#*_>|\[\]]")


def read_article(path: Path) -> tuple[dict[str, Any], str]:
    text = path.read_text(encoding="utf-8")
    if text.startswith("---"):
        _, front, body = text.split("---", 2)
        return yaml.safe_load(front) or {}, body
    return {}, text


def misspell(word: str, rng: random.Random) -> str:
    """One typing slip: a dropped, doubled, swapped or neighbouring letter."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "drop", "swap", "double", "vowel"))
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    vowels = "aeiou"
    spots = [j for j, ch in enumerate(word) if ch in vowels and j > 0]
    if not spots:
        return word[:i] + word[i + 1 :]
    j = rng.choice(spots)
    return word[:j] + rng.choice(vowels.replace(word[j], "")) + word[j + 1 :]


def generate_queries(root: Path, per_language: int = QUERIES_PER_LANGUAGE) -> list[tuple[str, str]]:
    """``per_language`` reader queries per language: keywords and tags as readers type them, title and
    body words, two- and three-word combinations, unfinished words (``passo``) and slips (``pasord``)."""
    rng = random.Random(15)
    queries: list[tuple[str, str]] = []
    for folder in sorted(p for p in (root / "articles").iterdir() if p.is_dir()):
        lang = folder.name
        files = sorted(folder.glob("*.md"))
        document_frequency: Counter[str] = Counter()
        frequency: Counter[str] = Counter()
        phrases: list[str] = []
        titles: list[list[str]] = []
        for path in files:
            front, body = read_article(path)
            title = str(front.get("title", ""))
            text = " ".join([title, str(front.get("summary", "")), MARKUP.sub(" ", body)]).lower()
            words = [w for w in WORD.findall(text) if len(w) >= 4]
            frequency.update(words)
            document_frequency.update(set(words))
            for item in [*(front.get("keywords") or []), *(front.get("tags") or [])]:
                phrase = str(item).lower().strip()
                if 1 <= len(phrase.split()) <= 3 and WORD.search(phrase):
                    phrases.append(phrase)
            titles.append([w for w in WORD.findall(title.lower()) if len(w) >= 4])
        # Content words: in at least 2 articles, in at most 40 % of them (no stop words).
        limit = max(2, int(0.4 * len(files)))
        vocabulary = sorted(w for w, n in document_frequency.items() if 2 <= n <= limit)
        weights = [frequency[w] for w in vocabulary]
        long_words = [w for w in vocabulary if len(w) >= 6 and "-" not in w]
        long_weights = [frequency[w] for w in long_words]
        phrases = sorted(set(phrases))
        chosen: list[str] = []
        seen: set[str] = set()

        def add(query: str, chosen: list[str] = chosen, seen: set[str] = seen) -> None:
            query = " ".join(query.split())
            if query and query not in seen:
                seen.add(query)
                chosen.append(query)

        plan = [("phrase", 30), ("word", 20), ("title", 20), ("prefix", 15), ("slip", 15)]
        for kind, share in plan:
            target = len(chosen) + per_language * share // 100
            attempts = 0
            while len(chosen) < target and attempts < 10_000:
                attempts += 1
                if kind == "phrase":
                    add(rng.choice(phrases))
                elif kind == "word":
                    add(rng.choices(vocabulary, weights)[0])
                elif kind == "title":
                    title_words = rng.choice(titles)
                    if len(title_words) >= 2:
                        size = rng.choice((2, 2, 3))
                        start = rng.randrange(max(1, len(title_words) - size + 1))
                        add(" ".join(title_words[start : start + size]))
                elif kind == "prefix":
                    word = rng.choices(long_words, long_weights)[0]
                    cut = word[: rng.randrange(4, len(word) - 1)]
                    lead = rng.choice(titles) if rng.random() < 0.3 else []
                    add(" ".join([*lead[:1], cut]) if lead and lead[0] != word else cut)
                else:
                    word = rng.choices(long_words, long_weights)[0]
                    add(misspell(word, rng))
        while len(chosen) < per_language:
            add(" ".join(rng.sample(vocabulary, rng.choice((1, 2, 3)))))
        queries += [(lang, q) for q in chosen[:per_language]]
    return queries


def write_queries(root: Path, target: Path = QUERIES_FILE) -> int:
    queries = generate_queries(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(f"{lang}\t{query}\n" for lang, query in queries), encoding="utf-8")
    return len(queries)


def read_queries(source: Path = QUERIES_FILE) -> list[tuple[str, str]]:
    pairs = []
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.strip():
            lang, query = line.split("\t", 1)
            pairs.append((lang, query))
    return pairs


# ---------------------------------------------------------------------------------------------
# wrk runs.


def lua_script(folder: Path, name: str, paths: list[str], unique: bool = False) -> Path:
    """A wrk script rotating over ``paths``; with ``unique``, each request's query gets a word of its
    own (the paths must end in a query) so that neither result nor page caches can answer it."""
    script = folder / f"{name}.lua"
    # Paths are percent-encoded ASCII, so a JSON string is a valid Lua string.
    assert all(p.isascii() for p in paths), "paths must be percent-encoded"
    listed = ",\n".join(json.dumps(p) for p in paths)
    script.write_text(LUA % {"paths": listed, "unique": "true" if unique else "false"}, encoding="utf-8")
    return script


class Wrk:
    """One wrk process: started, then waited for with its own rusage (the client's CPU)."""

    def __init__(self, url: str, script: Path, connections: int, seconds: float, threads: int) -> None:
        self.output = script.with_name(f"{script.stem}-{connections}-{time.monotonic_ns()}.out")
        self.seconds = seconds
        command = [
            "wrk",
            f"--threads={min(threads, connections)}",
            f"--connections={connections}",
            f"--duration={max(1, round(seconds))}s",
            "--timeout=10s",
            "--latency",
            f"--script={script}",
            url,
        ]
        with self.output.open("wb") as sink:
            self.process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)

    def wait(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.seconds + 60
        while True:
            pid, status, usage = os.wait4(self.process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                self.process.kill()
                pid, status, usage = os.wait4(self.process.pid, 0)
                break
            time.sleep(0.05)
        self.process.returncode = os.waitstatus_to_exitcode(status)
        text = self.output.read_text(encoding="utf-8", errors="replace")
        found = re.search(r"^KBWRK (.*)$", text, re.MULTILINE)
        if found is None:
            raise SystemExit(f"wrk gave no result (exit {self.process.returncode}):\n{text}")
        raw = json.loads(found.group(1))
        return figures(raw, usage.ru_utime, usage.ru_stime)


def figures(raw: dict[str, Any], user: float, system: float) -> dict[str, Any]:
    seconds = raw["duration_us"] / 1e6
    statuses = {int(k): v for k, v in raw["statuses"].items()}
    non_2xx = sum(n for code, n in statuses.items() if not 200 <= code < 300)
    status_503 = statuses.get(503, 0)
    socket_errors = {k: v for k, v in raw["errors"].items() if k != "status"}
    latency = raw["latency_us"]
    return {
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / seconds, 1),
        "p50_ms": round(latency["p50"] / 1000, 2),
        "p90_ms": round(latency["p90"] / 1000, 2),
        "p99_ms": round(latency["p99"] / 1000, 2),
        "max_ms": round(latency["max"] / 1000, 2),
        "kb_per_response": round(raw["bytes"] / max(1, raw["requests"]) / 1024, 2),
        "errors": non_2xx - status_503 + sum(socket_errors.values()),
        "status_503": status_503,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "socket_errors": socket_errors,
        "seconds": round(seconds, 2),
        "client_cpu_s": round(user + system, 2),
        "client_cpu_share": round((user + system) / seconds, 2),
    }


def measure(
    url: str,
    scripts: list[tuple[Path, int]],
    seconds: float,
    threads: int,
    server_session: int | None,
) -> list[dict[str, Any]]:
    """Run one wrk per (script, connections) at the same time; add the server's CPU to each result."""
    cpu_before = tree_cpu_seconds(server_session) if server_session else 0.0
    busy_before = machine_busy_seconds()
    started = time.monotonic()
    runs = [Wrk(url, script, connections, seconds, threads) for script, connections in scripts]
    results = [run.wait() for run in runs]
    wall = time.monotonic() - started
    busy = machine_busy_seconds() - busy_before
    if server_session:
        cpu = tree_cpu_seconds(server_session) - cpu_before
        total_requests = sum(r["requests"] for r in results)
        clients = sum(r["client_cpu_s"] for r in results)
        for result in results:
            result["server_cpu_s"] = round(cpu, 2)
            result["server_cpu_share"] = round(cpu / wall, 2)
            result["server_cpu_ms_per_request"] = round(1000 * cpu / max(1, total_requests), 2)
            # Everything else on the machine in the meantime (other jobs, this script): a shared box.
            result["other_cpu_share"] = round(max(0.0, busy - cpu - clients) / wall, 2)
    return results


# ---------------------------------------------------------------------------------------------
# The servers.


def start_kb(root: Path, port: int, workers: int) -> tuple[subprocess.Popen[bytes], float]:
    command = [KB, "--root", str(root), "serve", "--production"]
    command += ["--workers", str(workers), "--host", HOST, "--port", str(port)]
    log = (root / "serve.log").open("wb")
    env = {**os.environ, "KB_TRUSTED_HOSTS": HOST}  # production refuses to start without it
    server = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True, env=env)
    try:
        ready = wait_ready(f"http://{HOST}:{port}/")
    except SystemExit:
        stop_session(server)
        raise
    return server, ready


def start_nginx(site: Path, prefix: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    prefix.mkdir(parents=True, exist_ok=True)
    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers must read the 0700 temp folder
    conf = prefix / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(user=user, workers=workers, prefix=prefix, host=HOST, port=port, site=site),
        encoding="utf-8",
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    command = [nginx, "-p", str(prefix), "-c", str(conf), "-g", "daemon off; master_process on;"]
    server = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        wait_ready(f"http://{HOST}:{port}/", timeout=20)
    except SystemExit:
        stop_session(server)
        raise
    return server


# ---------------------------------------------------------------------------------------------


def article_paths(site: Path) -> list[str]:
    """Every article page of the built site, every language: ``/<lang>/articles/<slug>/``; not the
    redirect pages the export writes at an article's old addresses (aliases: the server's 301s)."""
    pages = sorted(
        p for p in site.glob("*/articles/*/index.html") if 'http-equiv="refresh"' not in p.read_text()
    )
    return [f"/{quote(p.parent.parent.parent.name)}/articles/{quote(p.parent.name)}/" for p in pages]


def search_path(lang: str, query: str) -> str:
    return f"/{lang}/search?q={quote(query, safe='')}"


def table(report: dict[str, Any]) -> str:
    lines = [f"{'run':<34}{'conn':>5}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'err':>6}{'503':>6}"]
    lines[0] += f"{'wrk cpu':>9}{'srv cpu':>9}{'other':>7}"

    def row(name: str, conn: int | str, r: dict[str, Any]) -> None:
        server = f"{r['server_cpu_share']:.2f}" if "server_cpu_share" in r else "-"
        other = f"{r['other_cpu_share']:.2f}" if "other_cpu_share" in r else "-"
        lines.append(
            f"{name:<34}{conn!s:>5}{r['requests_per_s']:>10.1f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
            f"{r['errors']:>6}{r['status_503']:>6}{r['client_cpu_share']:>9.2f}{server:>9}{other:>7}"
        )

    for kind in ("article", "search"):
        for level, result in report[kind].items():
            row(f"kb {kind} pages", level, result)
    mixed = report["mixed"]
    row("mixed: kb article pages", MIXED_CONNECTIONS, mixed["article"])
    row("mixed: kb pathological searches", MIXED_CONNECTIONS, mixed["pathological"])
    unique = report["mixed_uncached"]
    row("mixed, uncached: kb article pages", MIXED_CONNECTIONS, unique["article"])
    row("mixed, uncached: new pathological", MIXED_CONNECTIONS, unique["pathological"])
    for level, result in report["nginx"].items():
        row("nginx: exported article pages", level, result)
    lines.append(
        "(cpu: CPU seconds per wall second, 2.00 = both cores; other = the rest of the machine meanwhile)"
    )
    return "\n".join(lines)


def run(options: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    root = tmp / "kb"
    root.mkdir()
    for name in ("articles", "locales"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "kb.yml", root / "kb.yml")
    site = tmp / "site"
    say("kb build …")
    subprocess.run(
        [KB, "--root", str(root), "build", "--out", str(site)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=600,
    )
    articles = article_paths(site)
    queries = read_queries(options.queries)
    searches = [search_path(lang, q) for lang, q in queries]
    langs = sorted({lang for lang, _ in queries})
    pathological = [search_path(lang, q) for q in PATHOLOGICAL for lang in langs]
    scripts = tmp / "lua"
    scripts.mkdir()
    article_lua = lua_script(scripts, "articles", articles)
    search_lua = lua_script(scripts, "searches", searches)
    pathological_lua = lua_script(scripts, "pathological", pathological)
    unique_lua = lua_script(scripts, "pathological-unique", pathological, unique=True)
    levels, seconds, threads = options.levels, options.seconds, options.wrk_threads

    report: dict[str, Any] = {
        "server": f"kb serve --production --workers {options.workers} (gunicorn)",
        "client": subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0],
        "wrk_threads": threads,
        "seconds_per_run": seconds,
        "cpus": len(os.sched_getaffinity(0)),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "targets": {
            "article_urls": len(articles),
            "search_queries": len(searches),
            "pathological_queries": len(pathological),
            "queries_file": str(options.queries.relative_to(REPO))
            if options.queries.is_relative_to(REPO)
            else str(options.queries),
            "result_cache": "whatever the server has; queries rotate, each repeats many times per run",
        },
    }
    port = free_port()
    url = f"http://{HOST}:{port}"
    server, ready = start_kb(root, port, options.workers)
    report["server_ready_s"] = round(ready, 2)
    try:
        for kind, script in (("article", article_lua), ("search", search_lua)):
            say(f"warm-up: {kind} pages …")
            measure(url, [(script, 4)], options.warmup, threads, None)
            report[kind] = {}
            for level in levels:
                say(f"kb {kind} pages, {level} connection(s), {seconds:g} s …")
                (report[kind][str(level)],) = measure(url, [(script, level)], seconds, threads, server.pid)
        for name, abuse, what in (
            ("mixed", pathological_lua, "pathological searches"),
            ("mixed_uncached", unique_lua, "pathological searches never sent before"),
        ):
            say(f"{name}: articles on {MIXED_CONNECTIONS} + {what} on {MIXED_CONNECTIONS} …")
            loads = [(article_lua, MIXED_CONNECTIONS), (abuse, MIXED_CONNECTIONS)]
            article_run, abuse_run = measure(url, loads, seconds, threads, server.pid)
            report[name] = {"article": article_run, "pathological": abuse_run}
    finally:
        stop_session(server)

    nginx_port = free_port()
    nginx = start_nginx(site, tmp / "nginx", nginx_port, options.workers)
    nginx_url = f"http://{HOST}:{nginx_port}"
    try:
        say("warm-up: nginx …")
        measure(nginx_url, [(article_lua, 4)], options.warmup, threads, None)
        level = max(levels)
        say(f"nginx article pages, {level} connections, {seconds:g} s …")
        (ceiling,) = measure(nginx_url, [(article_lua, level)], seconds, threads, nginx.pid)
        report["nginx"] = {str(level): ceiling}
        report["nginx_version"] = subprocess.run(
            ["nginx", "-v"], capture_output=True, text=True
        ).stderr.strip()
    finally:
        stop_session(nginx)

    top = str(max(levels))
    article_rate = report["article"][top]["requests_per_s"]
    report["ratios"] = {
        f"search_over_article_at_{top}": round(report["search"][top]["requests_per_s"] / article_rate, 3),
        f"kb_article_over_nginx_at_{top}": round(article_rate / report["nginx"][top]["requests_per_s"], 3),
        "mixed_article_p99_over_quiet_p99": round(
            report["mixed"]["article"]["p99_ms"] / max(0.01, report["article"][top]["p99_ms"]), 1
        ),
    }
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="per run, whole seconds (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="server processes, kb and nginx (default 2)")
    parser.add_argument(
        "--levels",
        type=lambda text: sorted({int(x) for x in text.split(",") if x.strip()}),
        default=[1, 4, 16],
        help="connections, comma-separated (default 1,4,16)",
    )
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads per process (default 1)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per server and kind")
    parser.add_argument("--queries", type=Path, default=QUERIES_FILE, help="lang<TAB>query lines")
    parser.add_argument(
        "--write-queries", action="store_true", help=f"write {QUERIES_FILE.name} from the sample and exit"
    )
    parser.add_argument("--keep", type=Path, help="work in this (new) folder and keep it: logs, Lua, site")
    options = parser.parse_args()
    if options.write_queries:
        count = write_queries(REPO)
        say(f"{count} queries written to {QUERIES_FILE}")
        return
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            raise SystemExit(f"{tool} is missing: `make bench-web` installs Debian's wrk and nginx-light")
    options.queries = options.queries.resolve()
    if options.keep is not None:
        options.keep.mkdir(parents=True)
        report = run(options, options.keep.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="kb-load-web-") as tmp:
            report = run(options, Path(tmp))
    print(json.dumps(report, indent=2, ensure_ascii=False))
    say(table(report))
    quiet = [r for kind in ("article", "search") for r in report[kind].values()]
    if any(r["errors"] for r in [*quiet, report["mixed"]["article"], report["mixed_uncached"]["article"]]):
        sys.exit(1)


if __name__ == "__main__":
    main()
