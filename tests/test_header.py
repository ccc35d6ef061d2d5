"""The header block, validity words, page chrome and titles of documents without a header."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.vocab import canonical_validity
from indexer.building import build_document
from indexer.header import first_title, infer_kind, parse_date, parse_header, strip_chrome

HEADER = """名  称: 青川市关于规范行政执法公示的通知
索 引 号：QC-SFJ-2023-0009
发布机构:青川市司法局
文　号：青司发〔2023〕9号
成文日期: 2023年4月3日
发布日期：2023-04-06
有效性： 现行有效

第一条 行政执法机关应当公示执法依据。
第二条 联系电话：12345。
"""


def test_labels_with_inner_spaces_and_both_colons() -> None:
    header = parse_header(HEADER)
    assert header.fields == {
        "title": "青川市关于规范行政执法公示的通知",
        "index_number": "QC-SFJ-2023-0009",
        "agency": "青川市司法局",
        "doc_number": "青司发〔2023〕9号",
        "date_written": "2023年4月3日",
        "date_issued": "2023-04-06",
        "validity": "现行有效",
    }
    assert header.body.strip().startswith("第一条")
    # a colon in the body is not metadata
    assert "联系电话：12345" in header.body


def test_two_pairs_in_one_table_row() -> None:
    header = parse_header("名称：某通知  索引号：A-B-C\n\n正文。")
    assert header.fields == {"title": "某通知", "index_number": "A-B-C"}


def test_missing_fields_are_absent_not_guessed() -> None:
    header = parse_header("名称：只有名称的文件\n\n正文第一段。")
    assert header.fields == {"title": "只有名称的文件"}
    doc = build_document(Path("x.txt"), "名称：只有名称的文件\n\n正文第一段。".encode())
    assert (doc.doc_number, doc.agency, doc.date_issued, doc.validity) == ("", "", "", "未知")


def test_no_header_keeps_all_text() -> None:
    text = "关于做好春节期间值班工作的安排\n各单位：请做好值班。"
    header = parse_header(text)
    assert header.fields == {}
    assert header.body == text


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("现行有效", "有效"),
        ("有效", "有效"),
        ("废止", "已废止"),
        ("已废止", "已废止"),
        ("已失效", "失效"),
        ("失效", "失效"),
        (" 部分 失效 ", "部分失效"),
        ("", "未知"),
    ],
)
def test_validity_synonyms(raw: str, canonical: str) -> None:
    assert canonical_validity(raw) == canonical


def test_unknown_validity_word_is_kept_for_review() -> None:
    assert canonical_validity("请咨询") is None
    doc = build_document(Path("x.txt"), "名称：某文件\n有效性：请咨询\n\n正文。".encode())
    assert doc.validity == "未知"
    assert doc.extra["validity_unrecognized"] == "请咨询"


@pytest.mark.parametrize(
    ("raw", "date"),
    [
        ("2019年1月5日", "2019-01-05"),
        ("2019-01-05", "2019-01-05"),
        ("2019.1.5", "2019-01-05"),
        ("2019年13月5日", ""),
        ("无", ""),
    ],
)
def test_parse_date(raw: str, date: str) -> None:
    assert parse_date(raw) == date


PAGE_TAIL = """
扫一扫在手机打开当前页
【打印本页】 【关闭窗口】
相关链接
国务院
青川市人民政府
网站地图
"""


def test_page_chrome_is_stripped() -> None:
    body = "一、加强组织领导。\n二、抓好工作落实。"
    assert strip_chrome(body + "\n" + PAGE_TAIL) == body


def test_a_sentence_mentioning_网站地图_is_kept() -> None:
    body = (
        "一、加强组织领导。\n"
        "网站地图应当在首页底部显示，并随栏目调整及时更新，方便公众查找各类政府信息。\n"
        "二、抓好工作落实。"
    )
    assert strip_chrome(body) == body


def test_chrome_stripped_in_imported_document() -> None:
    text = "名称：某通知\n发布机构：青川市政府办\n\n正文第一段。\n" + PAGE_TAIL
    doc = build_document(Path("a.txt"), text.encode())
    assert doc.text == "正文第一段。"


def test_title_from_first_line_or_heading() -> None:
    assert first_title("\n\n  # 图书馆开放时间调整公告\n\n正文") == "图书馆开放时间调整公告"
    assert first_title("\n关于调整值班安排的说明\n正文") == "关于调整值班安排的说明"
    md = build_document(Path("n.md"), "# 图书馆开放时间调整公告\n\n自下月起调整。".encode())
    assert md.title == "图书馆开放时间调整公告"
    assert md.kind == "notice"


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("《青川市绿地养护实施细则》政策解读", "interpretation"),
        ("关于公开预算执行情况申请的答复书", "request_answer"),
        ("关于做好防汛工作的通知", "notice"),
    ],
)
def test_kind_from_title(title: str, kind: str) -> None:
    assert infer_kind(title) == kind


def test_a_last_line_sentence_about_网站地图_is_kept() -> None:
    body = "一、加强组织领导。\n网站地图应当在首页底部显示，方便公众查找各类政府信息。"
    assert strip_chrome(body) == body


def test_txt_without_header_takes_its_first_line_as_title() -> None:
    text = "\n关于做好春节期间值班工作的安排\n各单位：请做好值班。\n"
    doc = build_document(Path("zhiban.txt"), text.encode("gbk"))
    assert doc.title == "关于做好春节期间值班工作的安排"
    assert doc.agency == "" and doc.doc_number == ""
    assert "请做好值班" in doc.text


def test_impossible_dates_are_not_dates() -> None:
    from indexer.header import parse_date

    assert parse_date("2021-02-30") == ""
    assert parse_date("2023年2月29日") == ""
    assert parse_date("2024年2月29日") == "2024-02-29"
