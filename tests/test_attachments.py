"""Attachments (附件): a notice and its attachment files imported together stay linked, by file
name (``-附件1``), by a sibling ``<stem>附件`` folder, or by the notice's ``附件：`` lines; the
attachment is kind ``other`` unless it has a header of its own; ``show`` and the document page
list them; re-running links what an interrupted run left unlinked."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from helpers import cjk_pdf, cli_json, html, run_cli, texts

from archive import schema
from archive.relations import ATTACHMENT, Relations
from indexer.attachments import folder_parent, listed_attachments, name_key, parent_stems
from indexer.engines.base import Filters
from indexer.service import Gongkai
from search_app import create_app

TREES = "关于开展春季植树活动的通知"
BUS = "关于调整城区公交线路的通知"

NOTICE_TREES = f"""名  称: {TREES}
文  号: 林园绿〔2024〕2号
发布机构: 林园县绿化委员会
有效性: 有效

各乡镇、各单位：为改善人居环境，决定于三月开展春季植树活动，请按点位安排组织干部职工参加。

附件：1.植树点位安排表
      2.报名回执

林园县绿化委员会
2024年2月20日
"""

ATTACHMENT_ONE = """附件1

植树点位安排表

一号点位：城北河堤，栽植垂柳二百株。
二号点位：南山林场，栽植侧柏三百株。
"""

ATTACHMENT_TWO = """报名回执

单位名称：          参加人数：          联系人：
"""

NOTICE_BUS = f"""名  称: {BUS}
文  号: 林园交〔2024〕5号
有效性: 有效

各有关单位：自四月一日起，城区三路、五路公交线路调整走向，具体见附件。

附件：线路调整示意.pdf
"""

OWN_HEADER = f"""名  称: 关于植树活动安全事项的补充通知
文  号: 林园绿〔2024〕3号
有效性: 有效

各乡镇：植树活动中务必注意用火安全。这份文件随{TREES}一并印发。
"""

UNRELATED = "植树活动的说明\n\n本说明不是附件，只是同一文件夹里的另一份材料。\n"


def write_tree(root: Path) -> dict[str, Path]:
    """A notice with an attachment by name, one in a sibling folder (also listed in its text),
    one by name that has its own header; a second notice naming a PDF in its text; and a file
    that merely looks related."""
    root.mkdir(parents=True)
    files = {
        "trees": root / f"{TREES}.txt",
        "one": root / f"{TREES}-附件1.txt",
        "two": root / f"{TREES}附件" / "报名回执.txt",
        "own": root / f"{TREES}_附件3.txt",
        "bus": root / f"{BUS}.txt",
        "map": root / "线路调整示意.pdf",
        "unrelated": root / f"{TREES}_附件说明.txt",
    }
    files["two"].parent.mkdir()
    for key, text in (
        ("trees", NOTICE_TREES),
        ("one", ATTACHMENT_ONE),
        ("two", ATTACHMENT_TWO),
        ("own", OWN_HEADER),
        ("bus", NOTICE_BUS),
        ("unrelated", UNRELATED),
    ):
        files[key].write_text(text, encoding="utf-8")
    files["map"].write_bytes(
        cjk_pdf(["线路调整示意", "三路：火车站—城北—林场。", "五路：城南—县医院。"])
    )
    return files


def test_name_conventions() -> None:
    assert parent_stems("通知-附件1") == ["通知"]
    assert parent_stems("通知_附件2-申请表") == ["通知"]
    assert parent_stems("通知 附件3") == ["通知"]
    assert parent_stems("关于印发附件管理办法的通知") == []
    assert parent_stems("通知_附件说明") == []
    assert parent_stems("附件1") == []  # no stem: an attachment, but of nothing by name
    assert parent_stems("关于-附件-办法-附件2") == ["关于-附件-办法", "关于"]  # longest first
    assert folder_parent(Path("x/通知附件")) == "通知"
    assert folder_parent(Path("x/通知_attachments")) == "通知"
    assert folder_parent(Path("x/附件")) == ""
    assert folder_parent(Path("x/材料")) == ""
    text = "正文。\n\n附件：1.《申请表》\n   2.汇总表；\n3、名单\n\n某某局\n附件：示意图.pdf\n"
    assert listed_attachments(text) == ["《申请表》", "汇总表", "名单", "示意图.pdf"]
    assert listed_attachments("附件1：办理流程\n") == ["办理流程"]
    assert listed_attachments("见附件。\n附件1\n") == []
    assert name_key("附件1-申请表.docx") == name_key("《申请表》") == "申请表"


def test_import_links_attachments(tmp_path: Path) -> None:
    files = write_tree(tmp_path / "in")
    data = tmp_path / "data"
    result = run_cli(data, "import", "-q", "--json", "--report", str(tmp_path / "r.jsonl"),
                     str(tmp_path / "in"))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["attachments"] == 4
    report = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    ids = {key: next(r["id"] for r in report if r["path"] == str(p)) for key, p in files.items()}

    with Gongkai(data, readonly=True) as gk:
        trees = gk.cluster(gk.archive.get(ids["trees"]))
        assert [d.id for d in trees.attachments] == [ids["one"], ids["own"], ids["two"]]
        bus = gk.cluster(gk.archive.get(ids["bus"]))
        assert [d.id for d in bus.attachments] == [ids["map"]]
        for key, notice in (("one", "trees"), ("two", "trees"), ("map", "bus")):
            doc = gk.archive.get(ids[key])
            assert [d.id for d in gk.cluster(doc).attachment_of] == [ids[notice]]
            assert doc.kind == "other", key
        assert gk.archive.get(ids["own"]).kind == "notice"  # its own header says so
        assert gk.archive.get(ids["trees"]).kind == "notice"
        unrelated = gk.archive.get(ids["unrelated"])
        assert gk.cluster(unrelated).attachment_of == [] and unrelated.kind == "notice"
        rels = Relations(gk.archive).incoming([ids["trees"]], types=(ATTACHMENT,))
        evidence = {r.src: r.evidence for r in rels[ids["trees"]]}
        assert evidence[ids["one"]].startswith("文件名")
        assert evidence[ids["two"]].startswith("附件文件夹")
        # the kind change is in the PDF's history and reached the index
        assert any(h["action"] == "kind" for h in gk.history(ids["map"]))
        hits = gk.search("线路调整示意", filters=Filters(kind=["other"])).hits
        assert ids["map"] in [h.id for h in hits]

    shown = cli_json(data, "show", ids["trees"], "--json", "--no-text")
    assert [d["id"] for d in shown["cluster"]["attachments"]] == [
        ids["one"],
        ids["own"],
        ids["two"],
    ]
    text = run_cli(data, "show", ids["map"], "--no-text").stdout
    assert "所属文件" in text and BUS in text

    app = create_app({"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "test"})
    notice = html(app.test_client().get(f"/doc/{ids['trees']}"))
    listed = texts(notice, '[data-section="attachments"] li a')
    assert "植树点位安排表" in listed and "报名回执" in listed
    attachment = html(app.test_client().get(f"/doc/{ids['one']}"))
    assert texts(attachment, '[data-section="attachment_of"] li a') == [TREES]

    # importing the same folder again changes nothing
    again = cli_json(data, "import", "-q", "--json", str(tmp_path / "in"))
    assert again["attachments"] == 0 and again["duplicate"] == len(files)


def test_rerun_links_what_separate_runs_left(tmp_path: Path) -> None:
    """Notice and attachment archived by different runs (as after a kill): importing them
    together again links them."""
    files = write_tree(tmp_path / "in")
    data = tmp_path / "data"
    with Gongkai(data) as gk:
        first = gk.import_paths([files["one"]])
        second = gk.import_paths([files["trees"]])
        assert first.attachments == second.attachments == []
        both = gk.import_paths([files["trees"], files["one"]])
        pair = (first.outcomes[0].id, second.outcomes[0].id)
        assert both.attachments == [pair]


def test_migration_keeps_relations(tmp_path: Path) -> None:
    """An archive at schema 4 with relations is rebuilt to allow ``attachment``, rows kept."""
    db = tmp_path / "archive.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    for script in schema.MIGRATIONS[:4]:
        for statement in schema._statements(script):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 4")
    stamp = "2024-01-01T00:00:00+00:00"
    for doc_id in ("a", "b"):
        conn.execute(
            "INSERT INTO documents (id, title, sha256, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (doc_id, doc_id, doc_id * 64, stamp, stamp),
        )
    conn.execute(
        "INSERT INTO relations (id, src, dst, type, created_at, updated_at) "
        "VALUES (7, 'a', 'b', 'repeals', ?, ?)",
        (stamp, stamp),
    )
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO relations (src, dst, type, created_at, updated_at) "
            "VALUES ('a', 'b', 'attachment', ?, ?)",
            (stamp, stamp),
        )
    conn.close()
    with Gongkai(tmp_path) as gk:
        relations = Relations(gk.archive)
        assert relations.get(7).type == "repeals"
        rel, _ = relations.add("b", ATTACHMENT, "a", actor="test")
        assert rel.id == 8
        with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
            gk.archive.conn.execute("DELETE FROM relations")
