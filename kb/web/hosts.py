"""The Host header's limits: which hosts the app answers; redirects never point at a client's host."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import Flask, request
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.wrappers import Response

from kb.settings import Settings
from kb.web.state import state


def configure_hosts(app: Flask, settings: Settings) -> None:
    """Refuse (400) requests for hosts outside ``trusted_hosts`` when the site names them, and keep
    every redirect's ``Location`` relative or on ``base_url``."""
    if settings.trusted_hosts:
        app.config["TRUSTED_HOSTS"] = list(settings.trusted_hosts)
    app.after_request(anchor_redirect)


def is_untrusted_host(error: HTTPException) -> bool:
    """Whether ``error`` is Werkzeug's refusal of a Host header outside the trusted hosts."""
    return isinstance(error, SecurityError)


def untrusted_host_response() -> Response:
    """A plain 400: no page, no links, nothing that names the host that was asked for."""
    return Response("Bad Request: unknown host\n", status=400, mimetype="text/plain")


def anchor_redirect(response: Response) -> Response:
    """A redirect to this site (Flask's own, the trailing-slash 308 included) goes to ``base_url``
    when it is set, else to a path on whatever host the client asked: never to a URL built from the
    Host header that a shared cache would keep for everyone."""
    location = response.headers.get("Location")
    if not location or not 300 <= response.status_code < 400:
        return response
    parts = urlsplit(location)
    if not parts.netloc or parts.netloc.lower() != request.host.lower():
        return response  # already relative, or another site on purpose
    path = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
    response.headers["Location"] = state().settings.base_url + path
    return response
