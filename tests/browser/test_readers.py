"""Reader feedback in a real browser: a vote and a zero-result search reach kb report and /admin/insights."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from kb.cli import cli
from kb.content.config import load_settings
from kb.web.app import create_app
from kb.web.readers import readers
from tests.helpers import make_web_kb

TOKEN = "browser-admin-token"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask, Path]]:
    """A live server of its own (SQLite in its instance folder) with an admin token and a support link."""
    from werkzeug.serving import make_server

    saved = {name: os.environ.get(name) for name in ("KB_ADMIN_TOKEN", "KB_DATABASE_URL", "KB_READER_DATA")}
    os.environ["KB_ADMIN_TOKEN"] = TOKEN
    os.environ.pop("KB_DATABASE_URL", None)
    os.environ.pop("KB_READER_DATA", None)
    root = tmp_path_factory.mktemp("browser-readers") / "kb"
    make_web_kb(root, hostile=False)
    with (root / "kb.yml").open("a", encoding="utf-8") as config:
        config.write("support_url: https://support.example.com/contact\n")
    app = create_app(load_settings(root))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app, root
    server.shutdown()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def flushed(app: Flask) -> None:
    with app.app_context():
        recorder = readers().recorder()
        assert recorder is not None and recorder.flush()


def axe(page: Any, axe_script: Path) -> list[Any]:
    page.add_script_tag(path=str(axe_script))
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(r => r.violations)", AXE_TAGS
    )
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found]


def test_a_vote_and_a_zero_result_search_reach_the_report_and_insights(
    page: Any, served: tuple[str, Flask, Path]
) -> None:
    base, app, root = served
    # A "No" with a reason, without a page reload.
    page.goto(base + "/en/articles/reset-password/")
    page.get_by_role("button", name="No", exact=True).click()
    reason = page.get_by_role("group", name="What went wrong? (optional)")
    reason.wait_for(state="visible")
    assert (
        page.get_by_role("link", name="Contact us").get_attribute("href")
        == "https://support.example.com/contact"
    )
    page.get_by_label("It was hard to understand").check()
    page.get_by_label("Tell us more (optional)").fill("The <b>steps</b> skip the e-mail")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Thank you for your feedback.").wait_for(state="visible")
    page.get_by_role("button", name="Send").wait_for(state="hidden")
    assert page.url == base + "/en/articles/reset-password/"

    # A search typed in the box and sent with Enter that finds nothing, then one whose result is opened.
    page.goto(base + "/en/")
    box = page.get_by_role("combobox", name="Search the help center")
    box.fill("Qqqqzzzz Xyzzy")
    box.press("Enter")
    page.get_by_role("heading", name="No articles found").wait_for()
    assert page.get_by_role("link", name="Contact us").is_visible()
    page.goto(base + "/en/search?q=password")
    page.locator("ol.results a").first.click()
    page.wait_for_url("**/articles/**")

    flushed(app)
    result = CliRunner().invoke(cli, ["--root", str(root), "report", "--json"], env={"KB_LANG": "en"})
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {"query": "qqqqzzzz xyzzy", "lang": "en", "count": 1} in report["zero_result_queries"]
    voted = [a for a in report["articles"] if a["slug"] == "reset-password" and a["lang"] == "en"]
    assert [(a["yes"], a["no"]) for a in voted] == [(0, 1)]
    assert voted[0]["reasons"] == [{"reason": "unclear: The <b>steps</b> skip the e-mail", "count": 1}]
    assert {"query": "password", "lang": "en", "count": 1} not in report["unopened_queries"]

    # The insights page: a 404 without the token, the same data with it.
    assert page.request.get(base + "/admin/insights").status == 404
    assert page.request.get(base + "/admin/insights", headers={"Authorization": "Bearer nope"}).status == 404
    page.goto(base + "/admin/login")
    page.get_by_label("Admin token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/insights")
    page.get_by_role("heading", name="Queries with no results").wait_for()
    assert page.get_by_role("cell", name="qqqqzzzz xyzzy").first.is_visible()
    assert page.get_by_text("unclear: The <b>steps</b> skip the e-mail (1)").is_visible()
    assert page.locator("svg.chart").count() == 3


def test_feedback_and_insights_are_axe_clean(
    browser: Any, served: tuple[str, Flask, Path], axe_script: Path
) -> None:
    base, _app, _root = served
    context = browser.new_context(bypass_csp=True, extra_http_headers={"Authorization": f"Bearer {TOKEN}"})
    page = context.new_page()
    page.goto(base + "/en/articles/two-step-verification/")
    page.get_by_role("button", name="No", exact=True).click()
    page.get_by_role("group", name="What went wrong? (optional)").wait_for(state="visible")
    assert axe(page, axe_script) == []
    page.goto(base + "/en/search?q=qqqqzzzz")
    assert axe(page, axe_script) == []
    page.goto(base + "/admin/insights")
    assert axe(page, axe_script) == []
    context.close()
