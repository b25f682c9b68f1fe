"""The site owner's insights page (/admin/insights): the report's tables and charts, behind KB_ADMIN_TOKEN."""

from __future__ import annotations

import datetime as dt
import hmac
import os
from typing import Any

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

import kb.store
from kb.i18n import closest_language, format_date, format_number, format_share, translations
from kb.web.charts import Series, share_line, stacked_bars
from kb.web.readers import ADMIN_TOKEN_ENV, RateLimiter, client_key, readers, same_origin
from kb.web.state import state

insights = Blueprint("insights", __name__, url_prefix="/admin")

COOKIE = "kb_admin"
COOKIE_SECONDS = 8 * 3600
ADMIN_CACHE = "private, no-store"
MAX_DAYS = 3650
MAX_LOGIN_BODY = 2048
logins = RateLimiter(rate=10, burst=5)


def admin_token() -> str:
    """The configured admin token (``KB_ADMIN_TOKEN``); empty means the admin pages do not exist."""
    return os.environ.get(ADMIN_TOKEN_ENV, "").strip()


def authorised(token: str) -> bool:
    """Whether the request carries the admin token (Bearer header) or the cookie made from it."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, given = header.partition(" ")
    if scheme.lower() == "bearer" and given:
        return hmac.compare_digest(given.strip().encode("utf-8", "replace"), token.encode("utf-8"))
    cookie = request.cookies.get(COOKIE, "")
    return bool(cookie) and hmac.compare_digest(
        cookie.encode("utf-8", "replace"), readers().admin_cookie(token).encode()
    )


def private(response: Response) -> Response:
    response.headers["Cache-Control"] = ADMIN_CACHE
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@insights.before_request
def only_with_token() -> None:
    """Every admin URL is a 404 unless a token is configured; the UI is in the site's default language."""
    if not admin_token():
        abort(404)
    settings = state().settings
    wanted = request.accept_languages.values()
    g.lang = closest_language(wanted, settings.languages) or settings.default_language


@insights.route("/login", methods=["GET", "POST"])
def login() -> Response:
    """A form for the token; a right one sets an HttpOnly, SameSite=Strict cookie (Secure over https)."""
    token = admin_token()
    if request.method == "POST":
        request.max_content_length = MAX_LOGIN_BODY
        if not logins.allow(client_key()):
            abort(429)
        given = request.form.get("token", "")
        if not same_origin() or not hmac.compare_digest(given.encode("utf-8", "replace"), token.encode()):
            abort(404)
        response = redirect(url_for("insights.page"), code=303)
        response.set_cookie(
            COOKIE, readers().admin_cookie(token), max_age=COOKIE_SECONDS, path="/admin",
            httponly=True, samesite="Strict", secure=request.is_secure,
        )  # fmt: skip
        return private(response)
    return private(Response(render_template("admin_login.html"), mimetype="text/html"))


@insights.route("/logout", methods=["POST"])
def logout() -> Response:
    response = redirect(url_for("insights.login"), code=303)
    response.delete_cookie(COOKIE, path="/admin", httponly=True, samesite="Strict", secure=request.is_secure)
    return private(response)


def _period() -> tuple[int, str | None]:
    days_arg = request.args.get("days", "30")
    days = int(days_arg) if days_arg.isdigit() and 1 <= int(days_arg) <= MAX_DAYS else 30
    asked = request.args.get("lang", "")
    lang = asked if asked in state().settings.languages else None
    return days, lang


def _report() -> dict[str, Any]:
    store = readers().store()
    if store is None:
        abort(503)
    days, lang = _period()
    library = state().library
    languages = state().settings.languages
    titles = {code: {a.slug: a.title for a in library.in_language(code)} for code in languages}
    return kb.store.build_report(store, since_days=days, lang=lang, titles=titles)


def _(message: str) -> str:
    """``message`` in the admin page's language."""
    return translations(g.lang).gettext(message)


def report_charts(report: dict[str, Any], lang: str) -> dict[str, Markup]:
    """The three charts of the page: searches per day, zero-result share, helpfulness over time."""
    days = [dt.date.fromisoformat(d["day"]) for d in report["searches_per_day"]]
    labels = [format_date(d, lang, "short") for d in days]
    per_day = report["searches_per_day"]
    votes = report["helpfulness_per_day"]
    shares = [(d["zero_results"] / d["searches"]) if d["searches"] else None for d in per_day]
    helpful = [(v["yes"] / (v["yes"] + v["no"])) if v["yes"] + v["no"] else None for v in votes]
    return {
        "searches": stacked_bars(
            "chart-searches", _("Searches per day"),
            _("Searches that found articles, with those that found nothing on top."),
            labels,
            [
                Series("chart-bar", [d["searches"] - d["zero_results"] for d in per_day]),
                Series("chart-bar-zero", [d["zero_results"] for d in per_day]),
            ],
        ),
        "zero_share": share_line(
            "chart-zero", _("Share of searches with no results"),
            _("The share of each day's searches that found no article."),
            labels, shares, lambda share: format_share(share, lang),
        ),
        "helpfulness": share_line(
            "chart-helpful", _("Helpfulness over time"),
            _("The share of each day's votes that said the article helped."),
            labels, helpful, lambda share: format_share(share, lang),
        ),
    }  # fmt: skip


@insights.route("/insights")
def page() -> Response:
    """The report as tables and charts (404 without the admin token)."""
    if not authorised(admin_token()):
        abort(404)
    report = _report()
    days, lang = _period()
    ui = g.lang
    recorder = readers().recorder()
    html = render_template(
        "admin_insights.html",
        report=report,
        charts=report_charts(report, ui),
        days=days,
        chosen_lang=lang,
        number=lambda value: format_number(value, ui),
        share=lambda value: format_share(value, ui),
        stats=recorder.stats() if recorder is not None else None,
    )
    return private(Response(html, mimetype="text/html"))


@insights.route("/insights.json")
def page_json() -> Response:
    """The same report as JSON (``<``, ``>``, ``&`` escaped: inert if pasted into a page)."""
    if not authorised(admin_token()):
        abort(404)
    return private(jsonify(_report()))
