"""Images and attachments that articles reference, served from beside the articles and from assets/."""

from __future__ import annotations

from flask import Blueprint, abort, request, send_file
from werkzeug.wrappers import Response

from kb.content.media import IMAGE_TYPES, inspect_file, media_type
from kb.web.state import state

media = Blueprint("media", __name__)

VERSIONED_CACHE = "public, max-age=31536000, immutable"
UNVERSIONED_CACHE = "public, max-age=300"
# An SVG opened on its own is a document that could run script: this policy sandboxes it.
SVG_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"


@media.route("/media/<path:name>")
def media_file(name: str) -> Response:
    """A referenced file, never any other: paths come from the articles, not from the request."""
    if name not in state().media or media_type(name) is None:
        abort(404)
    found = inspect_file(state().settings.root, name)
    if found is None:
        abort(404)
    kind = media_type(name) or "application/octet-stream"
    attachment = kind not in IMAGE_TYPES.values()
    response = send_file(
        state().settings.root / name,
        mimetype=kind,
        as_attachment=attachment,
        download_name=found.name,
        conditional=True,
        etag=found.digest,
        max_age=0,
    )
    fresh = request.args.get("v") == found.digest
    response.headers["Cache-Control"] = VERSIONED_CACHE if fresh else UNVERSIONED_CACHE
    if kind == "image/svg+xml":
        response.headers["Content-Security-Policy"] = SVG_POLICY
    return response
