"""The public site's words and marks (issue 14): the plain status sentence, Markdown headings
as headings, snippets without ``#`` marks — the helpers, without a browser."""

from __future__ import annotations

from types import SimpleNamespace

from archive.validity import Status
from search_app.filters import cn_date, paragraphs, plain_status, strip_marks


def doc(title: str, number: str = "", doc_id: str = "abc") -> SimpleNamespace:
    return SimpleNamespace(id=doc_id, title=title, doc_number=number)


def test_repealed_reads_as_one_sentence_with_date_document_and_number() -> None:
    status = Status("d1", "2024-01-01", "已废止", since="2021-07-01", by="x")
    by = doc("青川市示例管理办法", "青示规〔2021〕5号")
    assert str(plain_status(status, by)) == (
        "本文件已于2021年7月1日被《青川市示例管理办法》（青示规〔2021〕5号）废止。"
    )


def test_names_become_links_and_are_escaped() -> None:
    status = Status("d1", "2024-01-01", "已修改", since="2022-03-01", by="x", current_version="y")
    by, current = doc("<修改决定>", doc_id="x"), doc("新版本", doc_id="y")
    html = str(plain_status(status, by, current, link=lambda d: f"/doc/{d.id}"))
    assert '被<a href="/doc/x">《&lt;修改决定&gt;》</a>修改。' in html
    assert '现行版本为<a href="/doc/y">《新版本》</a>。' in html


def test_other_statuses_and_no_reasoning() -> None:
    note = "原文标注“有效”，与已确认的关系不一致；以关系为准"
    assert str(plain_status(Status("d", "2024-01-01", "失效", since="2020-01-02", note=note))) == (
        "本文件已于2020年1月2日失效。"
    )
    assert "2030年1月1日起施行" in plain_status(
        Status("d", "2024-01-01", "尚未生效"), start="2030-01-01"
    )
    assert str(plain_status(Status("d", "2024-01-01", "有效"))) == "本文件现行有效。"
    assert "未标注" in plain_status(Status("d", "2024-01-01", "未知"))


def test_cn_date() -> None:
    assert cn_date("2021-07-01") == "2021年7月1日"
    assert cn_date("") == ""
    assert cn_date("2021") == "2021"


def test_markdown_headings_only_for_markdown() -> None:
    text = "# 标题\n\n## 第一章 总则\n正文第一段\n####### 七个井号不是标题"
    html = str(paragraphs(text, markdown=True))
    assert '<h2 class="md-heading">标题</h2>' in html
    assert '<h3 class="md-heading">第一章 总则</h3>' in html
    assert "<p>正文第一段</p>" in html
    assert "<p>####### 七个井号不是标题</p>" in html
    assert "<p>## 第一章 总则</p>" in str(paragraphs(text))


def test_snippet_marks_are_stripped_and_highlights_follow() -> None:
    text, spans = strip_marks("…## 浇水 正文 ### 除草", [[4, 6], [14, 16]])
    assert text == "…浇水 正文 除草"
    assert [text[s:e] for s, e in spans] == ["浇水", "除草"]
    assert strip_marks("C#语言 a#b", [[0, 2]]) == ("C#语言 a#b", [(0, 2)])
