"""Running the app: the authors' development server that reloads on content changes, and gunicorn."""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from kb.errors import ConfigError
from kb.i18n import _
from kb.settings import Settings

log = logging.getLogger(__name__)
RELOAD_EXIT_CODE = 3  # what werkzeug's reloader takes as "restart me"
GUNICORN_CONFIG_FILE = "gunicorn.conf.py"


def content_fingerprint(settings: Settings) -> frozenset[tuple[str, int, int]]:
    """Every file under articles/ and locales/ with its modification time and size."""
    found: set[tuple[str, int, int]] = set()
    for folder in (
        settings.articles_dir,
        settings.locales_dir,
        settings.root / "assets",
        settings.root / "snippets",
    ):
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            try:
                info = path.stat()
            except OSError:  # removed while we looked: the next scan sees it gone
                continue
            if path.is_file():
                found.add((str(path), info.st_mtime_ns, info.st_size))
    return frozenset(found)


def watch_content(settings: Settings, interval: float = 1.0) -> threading.Thread:
    """Restart the development server (through werkzeug's reloader) when content is added, changed or removed;
    the restarted app re-indexes just the changed articles."""
    start = content_fingerprint(settings)

    def loop() -> None:
        while True:
            time.sleep(interval)
            now = content_fingerprint(settings)
            if now != start:
                changed = sorted({Path(p).name for p, *_rest in now ^ start})
                log.warning(" * content changed (%s), reloading", ", ".join(changed[:5]))
                os._exit(RELOAD_EXIT_CODE)

    thread = threading.Thread(target=loop, name="kb-content-watcher", daemon=True)
    thread.start()
    return thread


def public_url(host: str, port: int) -> str:
    """The address to open in a browser for a server bound to ``host``:``port``."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def run_development(settings: Settings, host: str, port: int, debug: bool) -> None:
    """Flask's server; with ``debug``, reload on changes to code, articles and catalogs."""
    from kb.web import debug as extras
    from kb.web.app import create_app

    in_reloaded_child = os.environ.get("WERKZEUG_RUN_MAIN") == "true"
    app = create_app(settings, index=not debug or in_reloaded_child)
    if debug:
        extras.install(app)
        for problem in app.extensions["kb"].loaded.problems:
            log.warning("%s", problem)
    if debug and in_reloaded_child:
        watch_content(settings)
    if not debug or in_reloaded_child:
        log.info("serving on %s (press Ctrl+C to stop)", public_url(host, port))
    app.run(host=host, port=port, debug=debug, use_reloader=debug)


def require_host_settings(settings: Settings) -> None:
    """Refuse to serve production without ``base_url`` or ``trusted_hosts``: without either, the
    Host header a client sends would decide the absolute URLs of pages, feeds and the sitemap."""
    if settings.base_url or settings.trusted_hosts:
        return
    raise ConfigError(
        _(
            "kb serve --production needs the site's public address or the host names it answers to: "
            "set base_url (e.g. base_url: https://help.example.com) or trusted_hosts "
            "(e.g. trusted_hosts: [help.example.com]) in kb.yml, or the environment variable "
            "KB_TRUSTED_HOSTS=help.example.com"
        )
    )


def gunicorn_config_file(settings: Settings) -> Path | None:
    """The ``gunicorn.conf.py`` of the knowledge base's root, else of the current folder, if any."""
    for folder in (settings.root, Path.cwd()):
        candidate = folder / GUNICORN_CONFIG_FILE
        if candidate.is_file():
            return candidate
    return None


def production_options(host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """kb's gunicorn settings; a ``gunicorn.conf.py`` and ``GUNICORN_CMD_ARGS`` override them.

    The worker model is gevent, chosen by measurement (``bench/idle_connections.py``, 2 cores, 2
    workers): with gthread (2 x 4 threads) 100 connections that send nothing, or half a request,
    made ``GET /nb/`` time out (30 s); with 2 x 64 threads 200 silent ones cost up to 4 s a request
    and 200 half-sent ones still timed it out, because a thread stays with a connection that has
    sent part of a request. With gevent an idle or half-sent connection is a parked greenlet: 200 of
    each kind, and 200 trickling a header every 2 s, left ``GET /nb/`` at a few milliseconds.
    CPU-bound work (a search, at most 1 s by its time limit) would hold its worker's event loop, so
    searches run in gevent's thread pool, at most a few at once per worker (kb.web.gate: 503 over
    the cap). The worker is gevent's with one change (kb.web.worker.FairGeventWorker): it yields
    after every request, so a busy keep-alive connection cannot keep the others waiting (article
    p99 at 16 connections: 110 ms -> 6 ms).
    """
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "kb.web.worker.FairGeventWorker",  # gevent, fair between connections
        "worker_connections": 1000,  # per worker: idle and half-sent connections each hold one
        "threads": threads,  # used only if a gunicorn.conf.py or GUNICORN_CMD_ARGS picks gthread
        "preload_app": True,
        "timeout": 30,
        "graceful_timeout": 10,
        "keepalive": 5,
        "errorlog": "-",
        "accesslog": "-",
        "loglevel": "info",
    }


def run_production(
    settings: Settings,
    host: str,
    port: int,
    workers: int,
    threads: int = 4,
    explicit: frozenset[str] = frozenset(),
) -> None:
    """Gunicorn with ``workers`` gevent worker processes; the app (and index check) loads once, before fork.

    Settings are applied in gunicorn's order: kb's defaults, then ``gunicorn.conf.py`` (in the
    knowledge base's root or the current folder, or the one ``GUNICORN_CMD_ARGS`` names with
    ``-c``), then ``GUNICORN_CMD_ARGS``, then the options given on kb's command line (``explicit``
    names them: ``host``, ``port``, ``workers``, ``threads``).
    """
    try:
        from gunicorn.app.base import (  # type: ignore[import-untyped, import-not-found, unused-ignore]
            Application,
        )
    except ImportError as exc:
        raise ConfigError(_("the production server needs gunicorn: pip install gunicorn")) from exc
    from kb.web.app import create_app

    require_host_settings(settings)
    defaults = production_options(host, port, workers, threads)
    given = {name: value for name, value in defaults.items() if name in explicit_options(explicit)}
    app = create_app(settings)
    # Everything loaded so far (articles, indexes, templates) lives as long as the server: out of the
    # cyclic collector's way, so its full passes stay short under load, and pages shared with the
    # forked workers are not copied when the collector would touch them.
    gc.collect()
    gc.freeze()
    config_file = gunicorn_config_file(settings)

    def warm_worker(worker: Any) -> None:
        """In each worker, after the fork: open the search indexes and their spelling tables before
        the first reader waits for them (never before the fork: open index files are per process)."""
        for lang in settings.languages:
            app.extensions["kb"].search.warm(lang)

    class Server(Application):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in defaults.items():
                self.cfg.set(key, value)
            self.cfg.set("post_worker_init", warm_worker)
            parser = self.cfg.parser()
            env_args = parser.parse_args(self.cfg.get_cmd_args_from_env())
            chosen = env_args.config or (str(config_file) if config_file else None)
            if chosen:
                log.info("gunicorn settings from %s", chosen)
                self.load_config_from_file(chosen)
            for key, value in vars(env_args).items():
                if value is not None and key != "args":
                    self.cfg.set(key.lower(), value)
            for key, value in given.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app

    server = Server()
    log.info("gunicorn workers: %s, worker class: %s", server.cfg.workers, server.cfg.worker_class_str)
    for address in server.cfg.bind:
        bound_host, _sep, bound_port = str(address).rpartition(":")
        shown = public_url(bound_host.strip("[]"), int(bound_port)) if bound_port.isdigit() else address
        log.info("serving on %s (press Ctrl+C to stop)", shown)
    server.run()


def explicit_options(names: frozenset[str]) -> set[str]:
    """The gunicorn settings that the kb options given on the command line decide."""
    found = set()
    if names & {"host", "port"}:
        found.add("bind")
    found.update(names & {"workers", "threads"})
    return found
