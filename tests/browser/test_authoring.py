"""Authoring features in a real browser, on the server and in the export opened from disk: images
load, .md links reach their article, callouts are typed boxes, code copies, images zoom by keyboard."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kb.export import Exporter
from tests.helpers import make_web_kb

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WITH_IMAGES = ("reset-password", "single-sign-on", "create-your-first-project")
Address = Callable[[str], str]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("authoring") / "kb"
    exporter = Exporter(make_web_kb(root, hostile=False), workers=1)
    return exporter.build(root / "build").out


@pytest.fixture(params=["server", "file"])
def address(request: pytest.FixtureRequest, base_url: str, site: Path) -> Address:
    """A site path (``/en/articles/x/``) on the server, or as the exported file opened from disk."""
    if request.param == "server":
        return lambda path: base_url + path
    return lambda path: (site / path.strip("/") / "index.html").as_uri()


def load_all_images(page: Any) -> None:
    page.eval_on_selector_all(  # no wait_for_function: it evaluates strings, which the site's CSP forbids
        ".article-body img",
        """images => Promise.all(images.map(i => {
            i.loading = 'eager';
            return i.complete ? null : new Promise(done => { i.onload = i.onerror = done; });
        }))""",
    )


@pytest.mark.parametrize("lang", ["nb", "sv", "en"])
def test_every_sample_image_loads(page: Any, address: Address, lang: str) -> None:
    seen = 0
    for slug in WITH_IMAGES:
        page.goto(address(f"/{lang}/articles/{slug}/"))
        load_all_images(page)
        widths = page.eval_on_selector_all(".article-body img", "images => images.map(i => i.naturalWidth)")
        assert widths and all(width > 0 for width in widths), (slug, widths)
        seen += len(widths)
    assert seen >= 3


def test_an_md_link_reaches_its_article(page: Any, address: Address) -> None:
    page.goto(address("/en/articles/reset-password/"))
    page.locator(".article-body").get_by_role("link", name="Single sign-on (SSO)").click()
    page.wait_for_url("**/en/articles/single-sign-on/**")
    assert page.locator("#article-title").inner_text() == "Single sign-on (SSO)"


def test_callouts_are_typed_boxes_with_a_visible_label(page: Any, address: Address) -> None:
    page.goto(address("/sv/articles/single-sign-on/"))
    important = page.locator(".callout.callout-important")
    assert important.get_attribute("role") == "note"
    assert important.locator(".callout-title").inner_text().strip() == "Viktigt"  # not colour alone
    assert important.locator(".callout-title svg[aria-hidden='true']").count() == 1
    note = page.locator(".callout.callout-note")  # from the shared snippet
    assert note.locator(".callout-title").inner_text().strip() == "Obs"
    assert note.locator("a").get_attribute("href").rstrip("/").endswith(("reset-password", "index.html"))


def test_the_copy_button_copies_the_code_by_keyboard(browser: Any, address: Address) -> None:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.add_init_script(
        "window.__copied = [];"
        "Object.defineProperty(navigator, 'clipboard', {value: {writeText: t => (window.__copied.push(t),"
        " Promise.resolve())}});"
        "Object.defineProperty(window, 'isSecureContext', {value: true});"
    )
    page.goto(address("/en/articles/single-sign-on/"))
    button = page.get_by_role("button", name="Copy")
    button.focus()
    page.keyboard.press("Enter")
    page.evaluate(
        "() => new Promise(done => { const t = setInterval(() => "
        "window.__copied.length && done(clearInterval(t)), 20); })"
    )
    copied = page.evaluate("window.__copied[0]")
    assert copied.startswith("Entity ID: https://yourorg.learnifier.com/saml/metadata\nReply URL:")
    assert not copied.endswith("\n")
    assert page.get_by_role("button", name="Copied").is_visible()
    page.set_viewport_size({"width": 360, "height": 700})
    scrolls = page.eval_on_selector(".article-body pre", "pre => pre.scrollWidth > pre.clientWidth")
    assert scrolls  # a long line scrolls inside the block, the page does not
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()


def test_the_zoom_view_opens_and_closes_with_the_keyboard(page: Any, address: Address) -> None:
    page.goto(address("/en/articles/create-your-first-project/"))
    zoom = page.get_by_role("button", name="Enlarge image: The help center's home page", exact=False)
    zoom.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog.zoom-view")
    dialog.wait_for(state="visible")
    assert dialog.locator("img").get_attribute("alt").startswith("The help center's home page")
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.className") == "zoom-button"  # focus back where it was


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations_on_authored_articles(
    browser: Any, address: Address, axe_script: Path, scheme: str
) -> None:
    context = browser.new_context(color_scheme=scheme, bypass_csp=True)  # only so axe can be injected
    page = context.new_page()
    for path in ("/nb/articles/single-sign-on/", "/en/articles/reset-password/"):
        page.goto(address(path))
        load_all_images(page)
        page.add_script_tag(path=str(axe_script))
        violations = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(r => r.violations)",
            AXE_TAGS,
        )
        assert violations == [], (path, [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations])
    context.close()
