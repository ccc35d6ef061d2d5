"""End to end: the real ``gongkai serve`` (waitress) on a loopback port, driven by Debian's
Chromium headless through Playwright. Screenshots go to tests/artifacts/.

Skipped with a reason when /usr/bin/chromium (or Playwright) is missing, unless
GONGKAI_REQUIRE_BROWSER=1, which turns the skip into a failure (CI).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import ARTIFACTS, WEB, import_docs, launched_chromium, serving

from indexer.service import Gongkai
from search_app.auth import add_user

pytestmark = pytest.mark.browser

PASSWORD = "browser pass 1"


@pytest.fixture(scope="module")
def xdg(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("xdg")
    env = {"XDG_CONFIG_HOME": str(home / "config"), "XDG_CACHE_HOME": str(home / "cache")}
    os.environ.update(env)  # Chromium is started by this process
    return env


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, xdg: dict[str, str]) -> Iterator[dict]:
    """``gongkai serve`` in a subprocess, polled until it answers; stopped afterwards."""
    data = tmp_path_factory.mktemp("browser-data")
    ids = import_docs(data, WEB)
    with Gongkai(data) as gk:
        add_user(gk.archive, "editor", PASSWORD)
    with serving(data, xdg) as base:
        yield {"base": base, "ids": ids, "data": data}


@pytest.fixture(scope="module")
def browser(xdg: dict[str, str]) -> Iterator[object]:
    yield from launched_chromium()


@pytest.fixture
def page(browser, server):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_search_and_click_a_facet(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(server["base"] + "/")
    page.fill("#q", "公园")
    page.press("#q", "Enter")
    page.wait_for_url("**/search?q=*")
    hits = page.locator("li.hit")
    assert hits.count() >= 3
    assert page.locator("li.hit mark").count() > 0
    shot(page, "search")
    page.locator('[data-facet="kind"] a', has_text="政策解读").click()
    page.wait_for_url("**kind=interpretation**")
    assert page.locator("li.hit").count() == 1
    assert "政策解读" in page.locator("li.hit .hit-title").inner_text()
    assert page.locator('[data-facet="kind"] a.selected').count() == 1
    shot(page, "search-facet")


def test_repealed_document_shows_its_banner(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(server["base"] + "/search?q=暂行办法")
    page.locator("li.hit .hit-title a", has_text="暂行办法").first.click()
    banner = page.locator("#status-banner")
    banner.wait_for()
    assert banner.is_visible()
    assert "本文件已废止" in banner.inner_text()
    banner.locator("a").first.click()  # to the repealing document
    page.wait_for_url(f"**/doc/{server['ids']['yuanlin-2020-5.txt']}")
    assert page.locator("h1.doc-title").inner_text() == "青川市城市公园管理办法"
    page.go_back()
    shot(page, "document-repealed")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "document-repealed-phone")


def test_follow_an_interpretation_link(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server['base']}/doc/{server['ids']['yuanlin-2020-5.txt']}")
    section = page.locator('[data-section="interpretations"]')
    if section.count() == 0:
        pytest.skip("cluster linking does not link this interpretation yet (issue 3)")
    section.locator("a", has_text="政策解读").click()
    page.wait_for_url(f"**/doc/{server['ids']['yuanlin-jiedu.txt']}")
    assert "政策解读" in page.locator("h1.doc-title").inner_text()
    shot(page, "interpretation")


def test_batch_check(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(server["base"] + "/check")
    page.fill("#refs", "青园发(2016)2号\n青交规〔2022〕3号\n不存在的文件名称示例")
    page.locator('button[value="html"]').click()
    page.wait_for_selector(".check-table")
    rows = page.locator(".check-table tbody tr")
    assert rows.count() == 3
    assert "已废止" in rows.nth(0).inner_text()
    assert "有效" in rows.nth(1).inner_text()
    assert "未找到" in rows.nth(2).inner_text()
    shot(page, "check")
    with page.expect_download() as download_info:
        page.locator('.check-results button[value="csv"]').click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    content = Path(download.path()).read_text(encoding="utf-8-sig")
    assert content.splitlines()[0].startswith("序号,查询,匹配方式,")
    assert "已废止" in content


def test_log_in_and_change_a_status(page, server) -> None:  # type: ignore[no-untyped-def]
    doc_id = server["ids"]["hostile.txt"]
    page.goto(f"{server['base']}/doc/{doc_id}")
    assert page.locator("#status-form").count() == 0  # anonymous: no staff forms
    page.goto(server["base"] + "/login")
    page.fill('input[name="name"]', "editor")
    page.fill('input[name="password"]', PASSWORD)
    page.locator(".login-form button").click()
    page.wait_for_url("**/staff/")
    assert "editor" in page.locator(".nav").inner_text()
    shot(page, "staff")
    page.goto(f"{server['base']}/doc/{doc_id}")
    assert page.locator("#status-banner").count() == 0
    form = page.locator("#status-form")
    form.locator('select[name="validity"]').select_option("已废止")
    form.locator('input[name="date"]').fill("2024-01-01")
    form.locator('input[name="note"]').fill("浏览器测试")
    form.locator("button").click()
    page.wait_for_url(f"**/doc/{doc_id}")
    banner = page.locator("#status-banner")
    banner.wait_for()
    assert "本文件已废止" in banner.inner_text()
    assert "已将" in page.locator(".flash").inner_text()
    shot(page, "status-changed")
    with Gongkai(server["data"], readonly=True) as gk:
        assert any(h["actor"] == "editor" for h in gk.archive.history(doc_id))


def test_validity_question_and_why_this_rank(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(server["base"] + "/search?q=青川市城市公园管理暂行办法还有效吗")
    answer = page.locator("p.validity-answer")
    assert answer.is_visible()
    assert answer.inner_text().startswith("《青川市城市公园管理暂行办法》已")
    assert "废止" in answer.inner_text()
    first = page.locator("li.hit").first
    assert first.locator("details.explanation").count() == 0
    first.locator("p.why a", has_text="为什么排在这里").click()
    page.wait_for_url("**explain=1**")
    block = page.locator("li.hit").first.locator("details.explanation")
    assert block.is_visible()
    shown = block.inner_text()
    assert "匹配字段：标题" in shown and "未要求匹配的提问词：还有效吗" in shown
    shot(page, "search-explain")


def sign_in(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(server["base"] + "/login")
    page.fill('input[name="name"]', "editor")
    page.fill('input[name="password"]', PASSWORD)
    page.locator(".login-form button").click()
    page.wait_for_url("**/staff/")


def test_staff_form_by_doc_number(page, server) -> None:  # type: ignore[no-untyped-def]
    """Issue 13: the staff page's status form takes a 文号 in any bracket style, keeps the
    input when it names nothing, and says which document it changed."""
    sign_in(page, server)
    form = page.locator("#staff-status-form")
    form.locator('input[name="doc_id"]').fill("青信发(2099)1号")
    form.locator('select[name="validity"]').select_option("失效")
    form.locator('input[name="date"]').fill("2025-01-01")
    form.locator('input[name="note"]').fill("到期")
    form.locator("button").click()
    error = page.locator("#form-error")
    error.wait_for()
    assert "青信发(2099)1号" in error.inner_text()
    form = page.locator("#staff-status-form")
    assert form.locator('input[name="doc_id"]').input_value() == "青信发(2099)1号"
    assert form.locator('input[name="note"]').input_value() == "到期"
    assert form.locator('select[name="validity"]').input_value() == "失效"
    shot(page, "staff-form-not-found")
    form.locator('input[name="doc_id"]').fill("青信发(2023)1号")
    form.locator("button").click()
    doc_id = server["ids"]["hostile.txt"]
    page.wait_for_url(f"**/doc/{doc_id}")
    said = page.locator(".flash").inner_text()
    assert "（青信发〔2023〕1号）" in said and "失效" in said
    assert "本文件已失效" in page.locator("#status-banner").inner_text()
    shot(page, "staff-form-by-doc-number")


def test_proposal_notice_on_the_document_page(page, server) -> None:  # type: ignore[no-untyped-def]
    """Issue 13: staff see on a document's page that a clause may have repealed it (a
    proposal, not its status), and confirm it there."""
    doc_id = server["ids"]["jiaotong-2018-9.txt"]
    page.goto(f"{server['base']}/doc/{doc_id}")
    assert page.locator("#pending-notice").count() == 0  # anonymous: not shown
    sign_in(page, server)
    page.goto(f"{server['base']}/check")
    page.fill("#refs", "青交规〔2018〕9号")
    page.locator('button[value="html"]').click()
    pending = page.locator(".check-table .pending")
    pending.wait_for()
    assert "待确认：可能已被《青川市公共自行车停放管理办法》（青交规〔2022〕3号）废止" in (
        pending.inner_text()
    )
    shot(page, "check-pending")
    page.goto(f"{server['base']}/doc/{doc_id}")
    notice = page.locator("#pending-notice")
    assert (
        "可能已被《青川市公共自行车停放管理办法》（青交规〔2022〕3号）废止" in notice.inner_text()
    )
    assert page.locator("#status-banner").count() == 0 or (
        "已废止" not in page.locator("#status-banner").inner_text()
    )
    shot(page, "document-pending")
    notice.locator("button", has_text="确认").click()
    page.wait_for_url(f"**/doc/{doc_id}")
    page.locator("#status-banner").wait_for()
    assert "本文件已废止" in page.locator("#status-banner").inner_text()
    assert page.locator("#pending-notice").count() == 0


def test_typo_correction_on_the_page(page, server) -> None:  # type: ignore[no-untyped-def]
    """Issue 11: a query with a typo (管里 for 管理) that finds nothing shows the corrected
    query's results at once, says so, and links to the query as typed."""
    page.goto(server["base"] + "/search?q=自行车停放管里办法")
    note = page.locator("p.suggestion.corrected")
    assert note.is_visible()
    assert "以下是" in note.inner_text() and "停放管理办法" in note.inner_text()
    titles = page.locator("ol.hits li.hit .hit-title a").all_inner_texts()
    assert any("青川市公共自行车停放管理办法" in t for t in titles), titles
    shot(page, "search-corrected")
    page.locator("a.search-exact").click()
    page.wait_for_url("**exact=1**")
    assert page.locator("p.suggestion").count() == 0  # as typed: no correction offered
