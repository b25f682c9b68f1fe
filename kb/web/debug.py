"""The authors' development server extras: a page's problems shown in it, and a tab that reloads on change."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Flask, current_app, g, jsonify, request
from werkzeug.wrappers import Response

from kb.errors import ContentError
from kb.web.state import state

log = logging.getLogger(__name__)
RUN = uuid.uuid4().hex  # changes when the server restarts (the content watcher restarts it on change)


def page_problems() -> list[ContentError]:
    """The problems of the article a page shows, or of the file an article URL would come from."""
    parts = request.path.strip("/").split("/")
    if len(parts) != 3 or parts[1] != "articles":
        return []
    lang, slug = parts[0], parts[2]
    paths = {f"articles/{lang}/{slug}.md"}
    found = state().library.get(lang, slug)
    if found is not None:
        paths.add(found.path)
        paths.update(r.path for r in found.references)  # the snippets it includes
    return [p for p in state().loaded.problems if p.path in paths]


def install(app: Flask) -> None:
    """Turn on the development extras (never in production: ``kb serve --debug`` only)."""
    app.config["KB_DEBUG"] = True

    @app.context_processor
    def debug_context() -> dict[str, Any]:
        if not current_app.config.get("KB_DEBUG") or "lang" not in g:
            return {}
        problems = page_problems()
        for problem in problems:
            log.warning("%s", problem)
        return {"debug_problems": problems, "debug_reload": True}

    @app.route("/_kb/run")
    def run_id() -> Response:
        """Which server run answers: a new one means the content changed and the page should reload."""
        response = jsonify(run=RUN)
        response.headers["Cache-Control"] = "no-store"
        return response
