"""新旧对照 (issue 16 item 2): a regulation of our own writing, revised twice
(tests/fixtures/versions/: 青测市社区图书室管理办法 of 2015, 2019 and 2023), compared by the
library, by ``gongkai diff`` (text, ``--json``, exit codes) and by ``/doc/<a>/compare/<b>``.

2015 → 2019: 第三条 reworded, 第五条 deleted, 第六条 renumbered 第五条, a new 第六条, the
施行 date changed. 2019 → 2023: the new 第六条 moved up to 第四条, 第四条 reworded (and so
renumbered 第五条), a 第七条 added, 第二章 renamed."""

from __future__ import annotations

import pytest
from helpers import FIXTURES, html, import_docs, run_cli, texts, write_doc

from indexer.versions_diff import (
    chinese_number,
    compare_texts,
    split_blocks,
    summary_line,
    word_diff,
    words_of,
)
from search_app import create_app

VERSIONS = FIXTURES / "versions"


def body(year: int) -> str:
    """A version's text without its header block."""
    return (VERSIONS / f"tushushi-{year}.txt").read_text(encoding="utf-8").split("\n\n", 1)[1]


def articles(comparison, change: str | None = None) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [
        (r.old_label, r.new_label)
        for r in comparison.rows
        if r.kind == "article" and (change is None or r.change == change)
    ]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("第一条", 1),
        ("第十条", 10),
        ("第十二条", 12),
        ("第二十条", 20),
        ("第一百零二条", 102),
        ("第一百一十条", 110),
        ("第一千零一条", 1001),
        ("第12条", 12),
        ("第１２条", 12),
    ],
)
def test_article_numbers_in_chinese_numerals(text: str, number: int) -> None:
    assert chinese_number(text) == number


def test_blocks_are_the_preamble_and_each_article_under_its_chapter() -> None:
    blocks = split_blocks(body(2015))
    assert blocks[0].kind == "preamble" and "第12号令公布" in blocks[0].text
    assert [b.label for b in blocks[1:]] == [f"第{n}条" for n in "一二三四五六七"]
    assert [b.number for b in blocks[1:]] == list(range(1, 8))
    assert blocks[3].text.count("\n") == 1  # 第三条 has two paragraphs, both kept
    assert [b.chapter for b in blocks[1:]] == ["第一章 总则"] * 3 + ["第二章 设立与运行"] * 3 + [
        "第三章 附则"
    ]
    assert all("第二章" not in b.text for b in blocks)  # headings are not article text


def test_first_revision_one_renumbered_one_deleted_one_added() -> None:
    found = compare_texts(body(2015), body(2019))
    assert found.summary | {} == {
        "modified": 2,
        "added": 1,
        "deleted": 1,
        "unchanged": 4,
        "renumbered": 1,
        "moved": 0,
        "old_articles": 7,
        "new_articles": 7,
        "preamble_changed": 1,
    }
    assert articles(found, "deleted") == [("第五条", "")]
    assert articles(found, "added") == [("", "第六条")]
    renumbered = [(r.old_label, r.new_label, r.change) for r in found.rows if r.renumbered]
    assert renumbered == [("第六条", "第五条", "same")]
    assert articles(found, "modified") == [("第三条", "第三条"), ("第七条", "第七条")]
    # The deleted article is shown where it stood: after 第四条, before the renumbered one.
    order = articles(found)
    assert order.index(("第五条", "")) == order.index(("第四条", "第四条")) + 1
    assert summary_line(found.summary).startswith("2 条修改，1 条新增，1 条删除，4 条未变")


def test_second_revision_moved_article_and_renamed_chapter() -> None:
    found = compare_texts(body(2019), body(2023))
    assert (found.summary["modified"], found.summary["added"], found.summary["deleted"]) == (
        2,
        1,
        0,
    )
    assert (found.summary["unchanged"], found.summary["renumbered"], found.summary["moved"]) == (
        5,
        4,
        1,
    )
    moved = [(r.old_label, r.new_label) for r in found.rows if r.moved]
    assert moved == [("第六条", "第四条")]
    chapters = [r for r in found.rows if r.kind == "chapter" and r.change != "same"]
    assert len(chapters) == 1  # 第二章 renamed, paired with itself, not deleted + added
    assert chapters[0].old == [["same", "第二章 设立"], ["del", "与运行"]]
    assert chapters[0].new == [["same", "第二章 设立"], ["ins", "和开放"]]


def test_changes_are_marked_on_whole_words() -> None:
    found = compare_texts(body(2015), body(2019))
    third = next(r for r in found.rows if r.new_label == "第三条")
    assert [p for p in third.new if p[0] == "ins"] == [["ins", "和旅游"], ["ins", "和旅游"]]
    assert all(p[0] != "del" for p in third.old)  # only inserted words
    last = next(r for r in found.rows if r.new_label == "第七条")
    assert ["del", "2015"] in last.old and ["ins", "2019"] in last.new
    # Each side joins back into its article's text.
    assert "".join(t for _op, t in third.new) == split_blocks(body(2019))[3].text
    left, right = word_diff(words_of("面积不少于四十平方米"), words_of("面积不少于六十平方米"))
    assert ["del", "四十"] in left and ["ins", "六十"] in right  # words, not characters


def test_a_text_without_articles_is_one_preamble() -> None:
    found = compare_texts(
        "关于做好防汛工作的通知\n各单位：请做好准备。",
        "关于做好防汛工作的通知\n各单位：请立即做好准备。",
    )
    assert [r.kind for r in found.rows] == ["preamble"]
    assert found.summary["modified"] == 0 and found.summary["preamble_changed"] == 1


# -- gongkai diff -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> dict:
    data = tmp_path_factory.mktemp("versions")
    ids = import_docs(data, VERSIONS)
    return {"data": data, "ids": {name.split("-")[1][:4]: i for name, i in ids.items()}}


def test_cli_diff_by_wenhao_prints_the_changes(versions: dict) -> None:
    result = run_cli(versions["data"], "diff", "青测府令第12号", "青测府令第31号")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "2 条修改，1 条新增，1 条删除，4 条未变" in out
    assert "【第五条】删除" in out and "【第六条】新增" in out
    assert "【第六条 → 第五条】内容未变" in out
    assert "市文化{+和旅游+}行政部门" in out
    assert "[-2015-]" in out and "{+2019+}" in out
    assert "未变：第一条、第二条、第四条" in out


def test_cli_diff_json_keys(versions: dict) -> None:
    result = run_cli(
        versions["data"], "diff", versions["ids"]["2019"], versions["ids"]["2023"], "--json"
    )
    assert result.exit_code == 0, result.stderr
    import json

    data = json.loads(result.stdout)
    assert set(data) == {"old", "new", "summary", "summary_text", "rows"}
    assert set(data["old"]) == {"id", "title", "doc_number", "date_issued", "validity"}
    assert (
        data["old"]["doc_number"] == "青测府令第31号" and data["new"]["date_issued"] == "2023-09-20"
    )
    assert {"modified", "added", "deleted", "unchanged", "renumbered", "moved"} <= set(
        data["summary"]
    )
    row = next(r for r in data["rows"] if r["moved"])
    assert set(row) == {
        "kind",
        "change",
        "old_label",
        "new_label",
        "renumbered",
        "moved",
        "similarity",
        "old",
        "new",
    }
    assert (row["old_label"], row["new_label"]) == ("第六条", "第四条")


@pytest.mark.parametrize(
    ("refs", "code", "words"),
    [
        (("青测府令第12号", "青测府令第99号"), 4, "no document matches"),
        (("青测市社区图书室管理办法", "青测府令第45号"), 2, "matches 3 documents"),
    ],
)
def test_cli_diff_exit_codes(versions: dict, refs: tuple[str, str], code: int, words: str) -> None:
    result = run_cli(versions["data"], "diff", *refs)
    assert result.exit_code == code
    assert result.stdout == ""
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1


# -- the page -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(versions: dict):  # type: ignore[no-untyped-def]
    return create_app({"DATA_DIR": versions["data"], "TESTING": True}).test_client()


def test_compare_page_side_by_side(client, versions: dict) -> None:  # type: ignore[no-untyped-def]
    ids = versions["ids"]
    page = client.get(f"/doc/{ids['2015']}/compare/{ids['2019']}")
    assert page.status_code == 200
    tree = html(page)
    assert texts(tree, "#compare-summary span")[:4] == [
        "2 条修改",
        "1 条新增",
        "1 条删除",
        "4 条未变",
    ]
    deleted = tree.css_first(".compare-row.change-deleted")
    assert (
        "每周开放时间" in deleted.css_first(".old del").text()
        and deleted.css_first(".new ins") is None
    )
    third = next(r for r in tree.css(".compare-row.change-modified") if "第三条" in r.text())
    assert texts(third, ".new ins") == ["和旅游", "和旅游"]
    assert tree.css_first('link[href$="compare.css"]') is not None


def test_compare_page_escapes_text_and_404s(client, versions: dict, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert client.get(f"/doc/{versions['ids']['2015']}/compare/0000000000").status_code == 404
    folder = tmp_path / "hostile"
    for year, tail in ((2020, "<b>旧</b>"), (2021, "<script>alert(1)</script>")):
        write_doc(
            folder,
            f"h{year}.txt",
            title="青测市测试规定",
            number=f"青测规〔{year}〕1号",
            body=f"第一条　本规定适用于测试。{tail}\n\n第二条　本规定自发布之日起施行。",
        )
    data = tmp_path / "data"
    ids = import_docs(data, folder)
    hostile = create_app({"DATA_DIR": data, "TESTING": True}).test_client()
    page = hostile.get(f"/doc/{ids['h2020.txt']}/compare/{ids['h2021.txt']}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "<script>alert" not in body and "<b>旧" not in body
    assert "&lt;" in body
    assert texts(html(page), ".compare-row .new ins") == ["script", "alert(1)", "script"]


def test_superseded_version_links_to_the_current_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from indexer.service import Gongkai

    data = tmp_path / "data"
    ids = import_docs(data, VERSIONS)
    old, new = ids["tushushi-2019.txt"], ids["tushushi-2023.txt"]
    with Gongkai(data) as gk:
        gk.link(new, "supersedes", old)
    client = create_app({"DATA_DIR": data, "TESTING": True}).test_client()
    link = html(client.get(f"/doc/{old}")).css_first("#compare-current")
    assert link is not None and link.attributes["href"] == f"/doc/{old}/compare/{new}"
    assert html(client.get(f"/doc/{new}")).css_first("#compare-current") is None


def test_articles_without_a_space_and_markdown_headings() -> None:
    head = "# 青测市河道保洁规定\n\n## 第一章  总则\n\n第一条为了保持河道清洁，制定本规定。\n\n"
    old = head + "第二条本规定所称河道，是指本市的河流。"
    new = (
        head
        + "第二条本规定所称河道，是指本市的河流和湖泊。\n\n第一百零二条本规定自公布之日起施行。"
    )
    blocks = split_blocks(new)
    assert [(b.label, b.number, b.chapter) for b in blocks[1:]] == [
        ("第一条", 1, "第一章 总则"),
        ("第二条", 2, "第一章 总则"),
        ("第一百零二条", 102, "第一章 总则"),
    ]
    found = compare_texts(old, new)
    assert (found.summary["modified"], found.summary["added"], found.summary["unchanged"]) == (
        1,
        1,
        1,
    )
