"""The site in a real browser: browsing, language switching, search-as-you-type and axe-core checks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def test_browse_home_category_article_and_switch_language(page: Any, base_url: str) -> None:
    page.goto(base_url + "/", wait_until="domcontentloaded")
    assert re.search(r"/(nb|sv|en)/$", page.url)
    page.goto(base_url + "/en/")
    assert page.locator("h1").inner_text() == "How can we help?"
    page.get_by_role("link", name="Account and security").first.click()
    page.wait_for_url("**/en/categories/account-and-security/")
    page.get_by_role("link", name="Reset your password").click()
    page.wait_for_url("**/en/articles/reset-password/")
    assert page.locator("#article-title").is_visible()
    assert page.locator(".toc a").count() > 1
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Svenska").click()
    page.wait_for_url("**/sv/articles/reset-password/")
    assert page.locator("html").get_attribute("lang") == "sv"


def test_search_as_you_type_and_follow_a_suggestion(page: Any, base_url: str) -> None:
    page.goto(base_url + "/en/")
    box = page.get_by_role("combobox", name="Search the help center")
    box.press_sequentially("passw", delay=40)
    listbox = page.get_by_role("listbox")
    listbox.wait_for(state="visible")
    assert box.get_attribute("aria-expanded") == "true"
    options = listbox.get_by_role("option")
    assert options.count() >= 2
    box.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    assert active and page.locator(f"#{active}").get_attribute("aria-selected") == "true"
    box.press("Enter")
    page.wait_for_url("**/en/articles/**")
    assert page.locator("#article-title").is_visible()


def test_search_by_pressing_enter_and_follow_a_result(page: Any, base_url: str) -> None:
    page.goto(base_url + "/en/articles/single-sign-on/")
    box = page.locator("#header-q")
    box.fill("two-step verification")
    box.press("Enter")
    page.wait_for_url(re.compile(r".*/en/search\?q=two-step.*"))
    assert page.locator(".result").count() >= 1
    assert page.locator(".snippet mark").count() >= 1
    page.locator(".result h2 a").first.click()
    page.wait_for_url("**/en/articles/**")


def test_search_works_without_javascript(browser: Any, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + "/nb/")
    page.locator("#home-q").fill("passord")
    page.locator("#home-q").press("Enter")
    page.wait_for_url(re.compile(r".*/nb/search\?q=passord"))
    assert page.locator(".result").count() >= 1
    context.close()


@pytest.mark.parametrize(
    "path",
    [
        "/en/",
        "/nb/articles/reset-password/",
        "/en/articles/add-video-to-a-course/",
        "/sv/categories/konto-och-sakerhet/",
        "/en/search?q=password",
        "/en/search?q=qqqzzz",
        "/en/missing/",
    ],
)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations(
    browser: Any, base_url: str, axe_script: Path, path: str, scheme: str
) -> None:
    context = browser.new_context(color_scheme=scheme, bypass_csp=True)  # only so axe can be injected
    page = context.new_page()
    page.goto(base_url + path)
    page.add_script_tag(path=str(axe_script))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(r => r.violations)", AXE_TAGS
    )
    context.close()
    summary = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result]
    assert summary == []


def test_axe_with_suggestions_open(browser: Any, base_url: str, axe_script: Path) -> None:
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(base_url + "/en/")
    page.get_by_role("combobox", name="Search the help center").press_sequentially("video", delay=30)
    page.get_by_role("listbox").wait_for(state="visible")
    page.add_script_tag(path=str(axe_script))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(r => r.violations)", AXE_TAGS
    )
    context.close()
    assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result] == []
