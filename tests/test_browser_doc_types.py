"""Document types in a real browser (issue 14 item 4): the real ``gongkai serve`` over the
river-bank fixtures (tests/fixtures/doctypes/), in Debian's Chromium at a desktop and a phone
width, shows a 文件类型 facet that filters, each hit's type, and the type on the document page.
Screenshots go to tests/artifacts/ as ``public-doctype-<what>-<width>.png``.

Skipped with a reason when Chromium or Playwright is missing, unless GONGKAI_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers import FIXTURES, axe_violations, box, no_horizontal_scroll, served_fixtures, shot

pytestmark = pytest.mark.browser

# The ``chromium``, ``width`` and ``page`` fixtures (a desktop and a phone width) are in
# conftest.py, over this module's ``site``.


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """``gongkai serve`` over the document-type fixtures; stopped afterwards."""
    yield from served_fixtures(tmp_path_factory, "doctypes", FIXTURES / "doctypes")


def test_type_facet_filters_and_hits_show_their_type(page, site, width) -> None:  # type: ignore[no-untyped-def]
    page.goto(site["base"] + "/search?q=岸线")
    facet = page.locator('[data-facet="doc_type"]')
    if width == "phone":  # the filters panel opens with one tap
        page.locator("details#filters > summary").click()
    assert facet.locator("h2").inner_text() == "文件类型"
    rule = facet.get_by_role("link", name="规章")
    assert rule.is_visible()
    labels = page.locator("li.hit .doc-type").all_inner_texts()
    assert {"法律", "行政法规", "地方性法规", "规章", "规范性文件"} <= set(labels)
    assert no_horizontal_scroll(page)
    shot(page, "doctype-facet", width)
    rule.click()
    page.wait_for_url("**doc_type=rule**")
    assert set(page.locator("li.hit .doc-type").all_inner_texts()) == {"规章"}
    assert page.locator("li.hit").count() == 3
    assert "文件类型：规章" in page.locator(".active-filters").inner_text()
    serious = axe_violations(page)
    assert serious == [], [(v["id"], v["help"]) for v in serious]


def test_document_page_shows_its_type(page, site, width) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site['base']}/doc/{site['ids']['local-anxian.txt']}")
    cell = page.locator("td.doc-type")
    assert cell.inner_text().strip() == "地方性法规"
    assert cell.is_visible()
    assert box(page, "td.doc-type")["y"] < box(page, ".doc-body")["y"]  # above the text
    shot(page, "doctype-document", width)
