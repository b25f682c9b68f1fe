"""Readers' input: the "Was this article helpful?" vote and the result-click beacon."""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, g, jsonify, render_template, request
from werkzeug.wrappers import Response

from kb.i18n import published_language
from kb.model import Article
from kb.store import ClickRecord, SearchRecord, VoteRecord
from kb.web.readers import client_key, readers, recording, same_origin
from kb.web.state import state

feedback = Blueprint("feedback", __name__)

MAX_VOTE_BODY = 4096  # bytes: a token, an answer, a preset and a reason of 500 characters fit well
MAX_BEACON_BODY = 1024
MAX_RANK = 10_000
MAX_SUGGESTIONS = 50
MAX_REASON_TEXT = 500
# The short list of reasons offered after "No", stored by these stable codes (reports group by them).
REASON_PRESETS = ("unclear", "incomplete", "outdated", "not-what-i-needed")
SLUG = re.compile(r"[\w-]{1,200}")
NO_STORE = "no-store"


def _article(lang: str, slug: str) -> Article:
    if published_language(lang, state().settings.languages) != lang:
        abort(404)
    g.lang = lang
    found = state().library.get(lang, slug)
    if found is None:
        abort(404)
    return found


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _refuse(status: int, message: str) -> Response:
    """A refused vote or beacon: JSON for scripts, the error page for forms; nothing was counted."""
    response: Response
    if _wants_json() or request.path.startswith("/api/"):
        response = jsonify({"error": {"status": status, "message": message}})
        response.status_code = status
    else:
        response = Response(render_template("error.html", status=status), status=status, mimetype="text/html")
    response.headers["Cache-Control"] = NO_STORE
    return response


def vote_reason(preset: str, text: str) -> str | None:
    """The reason as stored: a preset code, the reader's words, or ``code: words``; ``None`` if neither."""
    chosen = preset if preset in REASON_PRESETS else ""
    words = " ".join(text.split())[:MAX_REASON_TEXT]
    if chosen and words:
        return f"{chosen}: {words}"
    return chosen or words or None


@feedback.route("/<lang>/articles/<slug>/feedback", methods=["POST"])
def vote(lang: str, slug: str) -> Response | tuple[str, int]:
    """One reader's answer (and optional reason) for an article: counted once per reader and day."""
    article = _article(lang, slug)
    if not recording_live():
        abort(404)
    request.max_content_length = MAX_VOTE_BODY  # a bigger body is refused (413) before it is parsed
    if (request.content_length or 0) > MAX_VOTE_BODY:
        return _refuse(413, "the request is too large")
    if not readers().votes.allow(client_key()):
        return _refuse(429, "too many votes; try again in a minute")
    token = request.form.get("csrf_token", "")
    if not token:
        return _refuse(400, "the form's token is missing")
    if not same_origin() or not readers().csrf_valid(lang, slug, token):
        return _refuse(403, "the form's token is not valid; reload the page and try again")
    answer = request.form.get("helpful", "")
    if answer not in ("yes", "no"):
        return _refuse(400, "'helpful' must be yes or no")
    helpful = answer == "yes"
    form = request.form
    reason = None if helpful else vote_reason(form.get("reason_preset", ""), form.get("reason", ""))
    voter = readers().voter()
    response: Response
    readers().record(VoteRecord(lang=lang, slug=slug, helpful=helpful, voter=voter, reason=reason))
    if _wants_json():
        response = jsonify({"ok": True, "helpful": answer, "reason": reason is not None})
    else:
        page = render_template(
            "feedback.html", article=article, helpful=helpful, reason_given=reason is not None,
            presets=REASON_PRESETS,
        )  # fmt: skip
        response = Response(page, mimetype="text/html")
    response.headers["Cache-Control"] = NO_STORE
    return response


def recording_live() -> bool:
    return recording(current_app)


def _bounded_int(value: str, low: int, high: int) -> int | None:
    return int(value) if value.isdigit() and len(value) < 8 and low <= int(value) <= high else None


@feedback.route("/api/analytics/click", methods=["POST"])
def click() -> Response:
    """A reader opened result ``rank`` of ``q`` (from a results page, or a suggestion when ``suggestions``
    says how many were offered: that query is then recorded as the final one of the as-you-type box)."""
    if not recording_live():
        abort(404)
    request.max_content_length = MAX_BEACON_BODY
    if (request.content_length or 0) > MAX_BEACON_BODY:
        return _refuse(413, "the request is too large")
    if not same_origin():
        return _refuse(403, "beacons are taken from this site's pages only")
    if not readers().beacons.allow(client_key()):
        return _refuse(429, "too many requests")
    form = request.form
    lang = published_language(form.get("lang", ""), state().settings.languages)
    slug, query = form.get("slug", ""), form.get("q", "")[:500]
    rank = _bounded_int(form.get("rank", ""), 1, MAX_RANK)
    if lang is None or not SLUG.fullmatch(slug) or state().library.get(lang, slug) is None:
        return _refuse(400, "unknown article")
    if rank is None or not query.strip():
        return _refuse(400, "'q' and 'rank' are required")
    offered = form.get("suggestions")
    if offered is not None:
        count = _bounded_int(offered, rank, MAX_SUGGESTIONS)
        if count is None:
            return _refuse(400, "'suggestions' must count the suggestions offered")
        readers().record(SearchRecord(query=query, lang=lang, results=count, source="suggest-final"))
    readers().record(ClickRecord(query=query, lang=lang, slug=slug, rank=rank))
    response = Response(status=204)
    response.headers["Cache-Control"] = NO_STORE
    return response
