"""The public site as a member of the public meets it (issue 14): the real ``gongkai serve``
driven by Debian's Chromium at a desktop (1366×900) and a phone (390×844) width, with
axe-core (tests/package.json, ``npm ci --prefix tests``) checking accessibility in the page.
Screenshots go to tests/artifacts/ as ``public-<what>-<width>.png``.

Skipped with a reason when Chromium, Playwright or axe-core is missing, unless
GONGKAI_REQUIRE_BROWSER=1 (CI), which makes that a failure.
"""

from __future__ import annotations

import os
import re
import urllib.request
from collections.abc import Iterator

import pytest
from helpers import (
    FIXTURES,
    WEB,
    axe_violations,
    box,
    import_docs,
    no_horizontal_scroll,
    serving,
    shot,
)

from indexer.service import Gongkai
from search_app.auth import add_user

pytestmark = pytest.mark.browser

PUBLIC = FIXTURES / "public"
PASSWORD = "public pass 1"
#: Words of the staff's reasoning that the public never reads.
JARGON = ("〔auto〕", "以关系为准", "依据说明", "与已确认的关系不一致")
HEX_ID = re.compile(r"\b[0-9a-f]{10}\b")
MAX_PAGE_BYTES = 40 * 1024


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """``gongkai serve`` over the web fixtures and this file's own (an interpretation of a
    repealed document, a Markdown file); stopped afterwards."""
    home = tmp_path_factory.mktemp("xdg-public")
    xdg = {"XDG_CONFIG_HOME": str(home / "config"), "XDG_CACHE_HOME": str(home / "cache")}
    os.environ.update(xdg)
    data = tmp_path_factory.mktemp("public-data")
    ids = import_docs(data, WEB, PUBLIC)
    with Gongkai(data) as gk:
        add_user(gk.archive, "editor", PASSWORD)
    with serving(data, xdg) as base:
        yield {"base": base, "ids": ids}


def doc_url(site: dict, name: str) -> str:
    return f"{site['base']}/doc/{site['ids'][name]}"


# -- 1. phones: filters at the top, the check table as cards ----------------------------------


def test_filters_are_one_tap_away(page, site, width) -> None:  # type: ignore[no-untyped-def]
    page.goto(site["base"] + "/search?q=公园")
    panel = page.locator("details#filters")
    first_facet = page.locator('[data-facet="kind"] a').first
    assert panel.get_attribute("open") is None
    if width == "phone":
        assert box(page, "details#filters > summary")["y"] < box(page, "li.hit")["y"]
        assert box(page, "details#filters > summary")["y"] < 844  # on the first screen
        assert not first_facet.is_visible()
        page.locator("details#filters > summary").click()
        assert first_facet.is_visible()
    else:
        assert first_facet.is_visible()  # always open beside the results
        assert box(page, "details#filters")["x"] < box(page, "li.hit")["x"]
    assert no_horizontal_scroll(page)
    shot(page, "filters", width)
    first_facet.click()
    page.wait_for_url("**kind=**")


def test_check_results_read_as_cards_on_a_phone(page, site, width) -> None:  # type: ignore[no-untyped-def]
    page.goto(site["base"] + "/check")
    page.fill("#refs", "青园发(2016)2号\n青交规〔2022〕3号\n不存在的文件名称示例")
    page.locator('button[value="html"]').click()
    page.wait_for_selector(".check-table")
    first = page.locator(".check-table tbody tr").first
    assert "已废止" in first.inner_text()
    assert no_horizontal_scroll(page)
    name_cell = first.locator('td[data-label="名称"]')
    if width == "phone":
        assert (
            not page.locator(".check-table thead").is_visible()
            or box(page, ".check-table thead")["height"] <= 1
        )
        # one card per row: cells stacked, each as wide as the card
        assert name_cell.bounding_box()["width"] > 300
        assert "名称" in page.evaluate(
            "c => getComputedStyle(c, '::before').content", name_cell.element_handle()
        )
    else:
        assert page.locator(".check-table thead").is_visible()
    shot(page, "check", width)


# -- 2. interpretations and answers where people look -----------------------------------------


def test_hits_link_to_interpretations_and_answers(page, site, width) -> None:  # type: ignore[no-untyped-def]
    page.goto(site["base"] + "/search?q=公园管理办法")
    hit = page.locator("li.hit", has_text="青川市城市公园管理办法").first
    assert hit.locator('a[data-link="answers"]').count() == 1
    shot(page, "hit-links", width)
    hit.locator('a[data-link="interpretations"]').click()
    page.wait_for_url(f"**/doc/{site['ids']['yuanlin-jiedu.txt']}")
    assert "政策解读" in page.locator("h1.doc-title").inner_text()


def test_related_box_beside_or_above_the_text(page, site, width) -> None:  # type: ignore[no-untyped-def]
    page.goto(doc_url(site, "yuanlin-2020-5.txt"))
    related = page.locator("#related")
    assert "相关解读与答复" in related.inner_text()
    assert related.locator('[data-section="interpretations"] .badge').count() >= 1
    text, aside = box(page, ".doc-text"), box(page, "#related")
    if width == "phone":
        assert aside["y"] < text["y"]
    else:
        assert aside["x"] > text["x"] + text["width"] - 1
        assert aside["y"] < text["y"] + text["height"]
    assert no_horizontal_scroll(page)
    shot(page, "related", width)


def test_interpretation_of_a_repealed_document_says_so(page, site, width) -> None:  # type: ignore[no-untyped-def]
    page.goto(doc_url(site, "zanxing-jiedu.txt"))
    notice = page.locator("#target-status")
    assert notice.is_visible()
    assert "所解读的文件" in notice.inner_text()
    assert "已于2020年3月10日废止" in notice.inner_text()
    assert page.locator('#related [data-section="interprets"] .badge-repealed').count() == 1
    shot(page, "interpretation-of-repealed", width)


# -- 3. plain words for the public, the reasoning for staff -----------------------------------


def test_public_reads_one_plain_sentence(page, site, width) -> None:  # type: ignore[no-untyped-def]
    page.goto(doc_url(site, "yuanlin-2016-2.txt"))
    banner = page.locator("#status-banner").inner_text()
    assert "本文件已于2020年3月10日被《青川市城市公园管理办法》（青园发〔2020〕5号）废止" in banner
    body = page.locator("body").inner_text()
    assert not [word for word in JARGON if word in body]
    assert not HEX_ID.findall(body)
    shot(page, "plain-status", width)
    page.goto(site["base"] + "/login")
    page.fill('input[name="name"]', "editor")
    page.fill('input[name="password"]', PASSWORD)
    page.locator(".login-form button").click()
    page.wait_for_url("**/staff/")
    page.goto(doc_url(site, "yuanlin-2016-2.txt"))
    assert "依据说明（仅工作人员可见）" in page.locator("#status-banner").inner_text()


# -- 5. Markdown ------------------------------------------------------------------------------


def test_markdown_headings_and_snippets(page, site, width) -> None:  # type: ignore[no-untyped-def]
    page.goto(site["base"] + "/search?q=浇水")
    snippet = page.locator("li.hit .snippet").first.inner_text()
    assert "浇水与除草" in snippet
    assert "#" not in snippet
    page.goto(doc_url(site, "huayuan-zhiyin.md"))
    headings = page.locator(".doc-text .md-heading")
    assert "第一章 总则" in headings.all_inner_texts()
    assert page.locator(".doc-text h4", has_text="浇水与除草").count() == 1
    assert "#" not in page.locator(".doc-text").inner_text()
    shot(page, "markdown", width)


# -- 6. accessibility -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "where",
    ["/", "/search?q=公园", "doc:yuanlin-2016-2.txt", "doc:yuanlin-2020-5.txt", "/check"],
)
def test_no_serious_accessibility_violations(page, site, width, where: str) -> None:  # type: ignore[no-untyped-def]
    url = doc_url(site, where[4:]) if where.startswith("doc:") else site["base"] + where
    page.goto(url)
    if where == "/check":
        page.fill("#refs", "青园发(2016)2号\n不存在的文件名称示例")
        page.locator('button[value="html"]').click()
        page.wait_for_selector(".check-table")
    serious = axe_violations(page)
    assert serious == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in serious]


def test_results_are_reached_before_the_facets(page, site, width) -> None:  # type: ignore[no-untyped-def]
    page.goto(site["base"] + "/search?q=公园")
    assert page.locator("h1").count() == 1
    page.keyboard.press("Tab")
    skip = page.evaluate("document.activeElement.textContent")
    assert "跳到检索结果" in skip
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('.results') !== null")
    assert focused  # the next stop is in the results, not in the facets


# -- 7. print ---------------------------------------------------------------------------------


def test_print_shows_addresses_once_and_the_plain_status(page, site, width) -> None:  # type: ignore[no-untyped-def]
    url = doc_url(site, "yuanlin-2016-2.txt")
    page.goto(url)
    assert not page.locator(".print-refs").is_visible()
    page.emulate_media(media="print")
    refs = page.locator(".print-refs")
    assert refs.is_visible()
    printed = refs.inner_text()
    assert f"本页地址：{url}" in printed
    assert f"原件地址：{url}/original" in printed
    assert "被《青川市城市公园管理办法》（青园发〔2020〕5号）废止" in printed
    after = page.evaluate(
        "() => [...document.querySelectorAll('main a[href]')]"
        ".map(a => getComputedStyle(a, '::after').content).filter(c => c.includes('/doc/'))"
    )
    assert after == []
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".staff-note").count()
    shot(page, "print", width)


# -- 8. empty results -------------------------------------------------------------------------


def test_empty_results_help(page, site, width) -> None:  # type: ignore[no-untyped-def]
    page.goto(site["base"] + "/search?q=宇宙飞船登月计划")
    empty = page.locator(".empty")
    assert "没有找到" in empty.inner_text()
    assert "国办发〔2019〕2号" in page.locator(".wenhao-forms").inner_text()
    shot(page, "empty", width)
    page.locator(".empty a.advanced-link").click()
    assert page.locator("details#advanced").get_attribute("open") is not None
    assert page.locator('#advanced input[name="wenhao"]').is_visible()


# -- weight -----------------------------------------------------------------------------------


def test_pages_are_light_and_carry_no_scripts(site) -> None:  # type: ignore[no-untyped-def]
    for path in ("/", "/search?q=公园", f"/doc/{site['ids']['yuanlin-2020-5.txt']}", "/check"):
        url = site["base"] + urllib.request.quote(path, safe="/?=&")
        with urllib.request.urlopen(url, timeout=10) as response:
            html = response.read()
        css = sum(
            len(urllib.request.urlopen(site["base"] + href, timeout=10).read())
            for href in re.findall(rb'<link rel="stylesheet" href="([^"]+)"', html)
            for href in [href.decode()]
        )
        assert len(html) + css < MAX_PAGE_BYTES, (path, len(html), css)
        # No script, only the document's JSON-LD data block (never executed).
        assert not re.findall(rb'<script(?! type="application/ld\+json">)', html), path
