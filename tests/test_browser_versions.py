"""新旧对照 in a real browser (issue 16 item 2): the real ``gongkai serve`` over the three
versions of tests/fixtures/versions/, in Debian's Chromium at a desktop and a phone width:
the two versions side by side on a desktop, one above the other on a phone, no sideways
scrolling, no serious axe-core violations, and a print layout without the site's navigation.
Screenshots go to tests/artifacts/ as ``public-compare-<width>.png``.

Skipped with a reason when Chromium, Playwright or axe-core is missing, unless
GONGKAI_REQUIRE_BROWSER=1.
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
    """``gongkai serve`` over the three versions; stopped afterwards."""
    yield from served_fixtures(tmp_path_factory, "versions", FIXTURES / "versions")


def test_comparison_side_by_side_or_stacked(page, site, width) -> None:  # type: ignore[no-untyped-def]
    old, new = site["ids"]["tushushi-2015.txt"], site["ids"]["tushushi-2019.txt"]
    page.goto(f"{site['base']}/doc/{old}/compare/{new}")
    summary = page.locator("#compare-summary").inner_text()
    assert "2 条修改" in summary and "1 条新增" in summary and "1 条删除" in summary
    row = ".compare-row.change-modified"
    old_cell, new_cell = box(page, f"{row} .old"), box(page, f"{row} .new")
    if width == "desktop":
        assert abs(old_cell["y"] - new_cell["y"]) < 2  # one line: side by side
        assert old_cell["x"] + old_cell["width"] <= new_cell["x"]
    else:
        assert new_cell["y"] >= old_cell["y"] + old_cell["height"] - 1  # stacked
        assert abs(old_cell["x"] - new_cell["x"]) < 2
        assert page.locator(".compare-columns").is_hidden()
    assert page.locator(f"{row} ins").first.is_visible()
    assert no_horizontal_scroll(page)
    shot(page, "compare", width)
    serious = axe_violations(page)
    assert serious == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in serious]


def test_comparison_prints_without_navigation(page, site, width) -> None:  # type: ignore[no-untyped-def]
    if width == "phone":
        pytest.skip("print layout does not depend on the screen width")
    old, new = site["ids"]["tushushi-2019.txt"], site["ids"]["tushushi-2023.txt"]
    page.goto(f"{site['base']}/doc/{old}/compare/{new}")
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden()
    assert page.locator(".print-refs").is_visible()
    assert page.locator(".compare-row.moved").count() == 1
    assert (
        page.locator(".compare del").first.evaluate("e => getComputedStyle(e).textDecorationLine")
        == "line-through"
    )
