"""Cleanup decisions (issue 13 item 9): lists of 废止 / 宣布失效 / 继续有效 documents become one
change per row, applied where the 文号 resolves and proposed where only a title names one."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import cli_json, header_text, html, import_docs, texts, write_doc

from indexer.decisions import parse_rows
from indexer.service import Gongkai

DECISION_BODY = """
为维护法制统一，市政府对现行规范性文件进行了清理，决定：对3件规范性文件予以废止，
对2件规范性文件宣布失效，4件继续有效。
本决定自公布之日起施行。

附件：1.废止的规范性文件目录
      2.宣布失效的规范性文件目录
      3.继续有效的规范性文件目录

附件1

废止的规范性文件目录

序号  文件名称  文号
1  关于加强测试河道保洁工作的通知  青测政发〔2011〕7号
2  青测市路灯维护办法  青测政办发[2012]15号
3  关于整顿测试集市秩序的意见  无

附件2

宣布失效的规范性文件目录（2件）

序号 | 文件名称 | 文号
1 | 关于开展第二次测试普查的通知 | 青测政发（2013）4号
2 | 关于做好测试防汛值守的通知 | 青测政发〔2099〕99号

附件3

继续有效的规范性文件目录

1.《青测市测试绿地保护规定》（青测政发〔2014〕2号）
"""


def _write_targets(folder: Path) -> None:
    write_doc(
        folder,
        "river.txt",
        title="关于加强测试河道保洁工作的通知",
        number="青测政发〔2011〕7号",
        issued="2011-03-01",
        validity="有效",
        body="各区县要落实河道保洁责任。",
    )
    write_doc(
        folder,
        "lamps.txt",
        title="青测市路灯维护办法",
        number="青测政办发〔2012〕15号",
        issued="2012-05-01",
        validity="有效",
        body="第一条 为做好路灯维护工作，制定本办法。",
    )
    write_doc(
        folder,
        "market.txt",
        title="关于整顿测试集市秩序的意见",
        issued="2010-08-01",
        validity="有效",
        body="集市管理应当有序。",
    )
    write_doc(
        folder,
        "census.txt",
        title="关于开展第二次测试普查的通知",
        number="青测政发〔2013〕4号",
        issued="2013-02-01",
        validity="有效",
        body="普查工作于年内完成。",
    )
    write_doc(
        folder,
        "green.txt",
        title="青测市测试绿地保护规定",
        number="青测政发〔2014〕2号",
        issued="2014-06-01",
        validity="有效",
        body="第一条 为保护绿地，制定本规定。",
    )


def _write_decision(folder: Path) -> Path:
    return write_doc(
        folder,
        "decision.txt",
        title="青测市人民政府关于废止和宣布失效一批规范性文件的决定",
        number="青测政发〔2020〕1号",
        issued="2020-06-30",
        body=DECISION_BODY,
    )


def test_rows_are_read_from_text_lines_and_table_rows() -> None:
    rows = parse_rows(DECISION_BODY)
    assert [(r.action, r.n, r.title, r.doc_number) for r in rows] == [
        ("repeal", 1, "关于加强测试河道保洁工作的通知", "青测政发〔2011〕7号"),
        ("repeal", 2, "青测市路灯维护办法", "青测政办发[2012]15号"),
        ("repeal", 3, "关于整顿测试集市秩序的意见", ""),
        ("expire", 1, "关于开展第二次测试普查的通知", "青测政发（2013）4号"),
        ("expire", 2, "关于做好测试防汛值守的通知", "青测政发〔2099〕99号"),
        ("keep", 1, "青测市测试绿地保护规定", "青测政发〔2014〕2号"),
    ]


def test_a_plain_notice_has_no_rows() -> None:
    text = "一、各单位要于2020年1月1日前报送材料。\n1  报送材料目录\n2  联系人名单"
    assert parse_rows(text) == []


def _by_title(data: Path) -> dict[str, str]:
    with Gongkai(data, readonly=True) as gk:
        return {row["title"]: row["id"] for row in gk.archive.fields(["id", "title"])}


@pytest.mark.parametrize("decision_first", [False, True])
def test_decision_applies_rows_at_import(tmp_path: Path, decision_first: bool) -> None:
    data = tmp_path / "data"
    targets, decisions = tmp_path / "targets", tmp_path / "decisions"
    _write_targets(targets)
    _write_decision(decisions)
    for folder in (decisions, targets) if decision_first else (targets, decisions):
        import_docs(data, folder)
    ids = _by_title(data)
    decision = ids["青测市人民政府关于废止和宣布失效一批规范性文件的决定"]
    report = cli_json(data, "decision", decision, "--json")
    rows = {(r["action"], r["n"]): r for r in report["rows"]}
    assert report["decision"]["id"] == decision
    assert report["effective"] == "2020-06-30"
    assert rows[("repeal", 1)]["outcome"] == "applied"
    assert rows[("repeal", 1)]["targets"][0]["validity"] == "已废止"
    assert rows[("repeal", 2)]["outcome"] == "applied"  # 文号 in another bracket style
    # only a title: proposed, the document stays valid until staff confirm
    assert rows[("repeal", 3)]["outcome"] == "proposed"
    assert rows[("repeal", 3)]["targets"][0]["validity"] == "有效"
    assert rows[("expire", 1)]["outcome"] == "applied"
    assert rows[("expire", 1)]["targets"][0]["validity"] == "失效"
    assert rows[("expire", 2)]["outcome"] == "unresolved"
    assert rows[("expire", 2)]["targets"] == []
    assert rows[("keep", 1)]["outcome"] == "kept"
    assert rows[("keep", 1)]["targets"][0]["validity"] == "有效"
    assert report["summary"] == {"applied": 3, "proposed": 1, "unresolved": 1, "kept": 1}
    check = cli_json(data, "check", "青测政发〔2011〕7号", "--json", exit_code=3)
    assert check[0]["matches"][0]["validity"] == "已废止"
    assert check[0]["matches"][0]["by"] == decision
    with Gongkai(data, readonly=True) as gk:
        proposals = gk.proposals()
    assert [(p.src, p.dst) for p in proposals] == [(decision, ids["关于整顿测试集市秩序的意见"])]


def test_applying_twice_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _write_targets(tmp_path / "t")
    _write_decision(tmp_path / "t")
    import_docs(data, tmp_path / "t")
    with Gongkai(data) as gk:
        records = gk.archive.conn.execute("SELECT COUNT(*) FROM status_changes").fetchone()[0]
        again = gk.relink()
        after = gk.archive.conn.execute("SELECT COUNT(*) FROM status_changes").fetchone()[0]
    assert records == after == 1
    assert again["added"] == 0


def test_decision_of_a_plain_document_is_empty(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _write_targets(tmp_path / "t")
    ids = import_docs(data, tmp_path / "t")
    report = cli_json(data, "decision", ids["river.txt"], "--json")
    assert report["is_decision"] is False and report["rows"] == []


def test_decision_page_shows_rows(tmp_path: Path) -> None:
    from search_app import create_app

    data = tmp_path / "data"
    _write_targets(tmp_path / "t")
    _write_decision(tmp_path / "t")
    ids = import_docs(data, tmp_path / "t")
    app = create_app({"DATA_DIR": data, "TESTING": True})
    page = app.test_client().get(f"/doc/{ids['decision.txt']}")
    assert page.status_code == 200
    tree = html(page)
    cells = texts(tree, "#decision-rows tbody td.outcome")
    assert cells == ["已生效", "已生效", "待确认", "已生效", "未找到", "继续有效（无变化）"]
    plain = app.test_client().get(f"/doc/{ids['river.txt']}")
    assert html(plain).css_first("#decision-rows") is None


def test_header_text_helper_is_used_for_decisions() -> None:
    text = header_text(title="决定", body=DECISION_BODY)
    assert len(parse_rows(text)) == 6
