"""Running the app: the authors' development server that reloads on content changes, and gunicorn."""

from __future__ import annotations

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
    app.run(host=host, port=port, debug=debug, use_reloader=debug)


def run_production(settings: Settings, host: str, port: int, workers: int, threads: int = 4) -> None:
    """Gunicorn with ``workers`` processes of ``threads`` threads; the app (and index check) loads once."""
    try:
        from gunicorn.app.base import (  # type: ignore[import-untyped, import-not-found, unused-ignore]
            BaseApplication,
        )
    except ImportError as exc:
        raise ConfigError(_("the production server needs gunicorn: pip install gunicorn")) from exc
    from kb.web.app import create_app

    app = create_app(settings)
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "preload_app": True,
        "timeout": 30,
        "graceful_timeout": 10,
        "keepalive": 5,
        "errorlog": "-",
        "loglevel": "warning",
    }

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app

    Server().run()
