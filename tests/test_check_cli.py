"""``gongkai check`` and the relation commands through the real CLI: exit codes 0/3/4/2,
``--json``/``--csv``, ``--file`` with 200 entries, status/link/unlink/relations/proposals/history.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from helpers import cli_json, import_docs, run_cli, write_doc


@pytest.fixture
def archive(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """Three documents: OLD repealed by NEW from 2020-07-01 (文号 cited exactly), and LAMP,
    whose repeal is only proposed (cited by title)."""
    src = tmp_path / "src"
    paths = [
        write_doc(
            src,
            "old.txt",
            title="关于印发《青测市停车场管理办法》的通知",
            number="青测规〔2016〕4号",
            issued="2016-05-10",
            validity="有效",
            body="青测市停车场管理办法\n第一条 为规范停车场管理，制定本办法。",
        ),
        write_doc(
            src,
            "new.txt",
            title="关于印发《青测市机动车停放服务管理办法》的通知",
            number="青测规〔2020〕9号",
            issued="2020-05-20",
            validity="有效",
            body="第二十条 本办法自2020年7月1日起施行。"
            "《青测市停车场管理办法》（青测规〔2016〕4号）同时废止。",
        ),
        write_doc(
            src,
            "lamp.txt",
            title="青测市路灯维护办法",
            number="青测发〔2012〕7号",
            issued="2012-06-01",
            validity="有效",
            body="第一条 为做好路灯维护，制定本办法。",
        ),
        write_doc(
            src,
            "lamp-repeal.txt",
            title="关于废止青测市路灯维护办法的通知",
            number="青测发〔2018〕1号",
            issued="2018-01-05",
            body="经研究，《青测市路灯维护办法》自2018年3月1日起废止。",
        ),
    ]
    data = tmp_path / "data"
    return data, import_docs(data, *paths)


def test_check_exit_codes(archive) -> None:
    data, _ = archive
    assert run_cli(data, "check", "青测规[2020]9号").exit_code == 0
    repealed = run_cli(data, "check", "青测规（2016）4号", "青测规〔2020〕9号")
    assert repealed.exit_code == 3
    assert "已废止" in repealed.stdout and "2020-07-01" in repealed.stdout
    assert run_cli(data, "check", "--as-of", "2020-06-30", "青测规(2016)4号").exit_code == 0
    missing = run_cli(data, "check", "青测规〔2016〕4号", "青测规〔2001〕1号")
    assert missing.exit_code == 4  # not found wins over not valid
    assert "not found" in missing.stdout
    bad_date = run_cli(data, "check", "--as-of", "yesterday", "青测规〔2016〕4号")
    assert bad_date.exit_code == 2 and bad_date.stderr.startswith("gongkai: error:")
    assert run_cli(data, "check").exit_code == 2


def test_check_json_and_csv(archive) -> None:
    data, ids = archive
    result = run_cli(data, "check", "--json", "--as-of", "2021-01-01", "青测规〔2016〕4号")
    [entry] = json.loads(result.stdout)
    assert entry["found"] is True and entry["valid"] is False
    assert entry["matched_by"] == "doc_number" and entry["confidence"] == 1.0
    [match] = entry["matches"]
    assert match["id"] == ids["old.txt"]
    assert (match["validity"], match["since"], match["by"]) == (
        "已废止",
        "2020-07-01",
        ids["new.txt"],
    )
    assert match["published"] == "有效" and "以关系为准" in match["note"]

    table = run_cli(data, "check", "--csv", "青测规〔2016〕4号", "没有这个文件的标题")
    assert table.stdout.startswith("\ufeff序号,查询,匹配方式")
    rows = list(csv.DictReader(io.StringIO(table.stdout.lstrip("\ufeff"))))
    assert [(r["序号"], r["匹配方式"], r["编号"]) for r in rows] == [
        ("1", "文号", ids["old.txt"]),
        ("2", "未找到", ""),
    ]
    # The basis is named as staff name it: title and 文号, never a hex id.
    assert rows[0]["有效性"] == "已废止"
    assert (
        rows[0]["依据文件"]
        == "《关于印发《青测市机动车停放服务管理办法》的通知》（青测规〔2020〕9号）"
    )
    assert ids["new.txt"] not in rows[0]["依据文件"]
    assert table.exit_code == 4


def test_check_by_title_reports_confidence(archive) -> None:
    data, ids = archive
    exact = cli_json(data, "check", "--json", "青测市路灯维护办法")[0]
    assert (exact["matched_by"], exact["confidence"]) == ("title", 1.0)
    inner = cli_json(data, "check", "--json", "青测市停车场管理办法", exit_code=3)[0]
    assert inner["matched_by"] == "title_similar" and 0 < inner["confidence"] < 1
    assert inner["matches"][0]["id"] == ids["old.txt"]


def test_check_file_with_200_entries(tmp_path: Path) -> None:
    src = tmp_path / "src"
    paths = [
        write_doc(
            src,
            f"d{i:03d}.txt",
            title=f"青测市第{i}号测试管理规定",
            number=f"青测批〔2019〕{i}号",
            issued="2019-02-01",
            validity="有效" if i % 10 else "失效",
            body=f"第一条 为测试第{i}项事务，制定本规定。",
        )
        for i in range(1, 101)
    ]
    data = tmp_path / "data"
    import_docs(data, *paths)
    styles = ("青测批〔2019〕{}号", "青测批[2019]{}号", "青测批（2019）{}号", "青测批(2019)第{}号")
    entries = [styles[i % 4].format(i % 100 + 1) for i in range(200)]
    listing = tmp_path / "list.txt"
    listing.write_text("# 待核查\n" + "\n".join(entries) + "\n\n", encoding="utf-8")
    started = time.perf_counter()
    result = run_cli(data, "check", "--file", str(listing), "--json")
    elapsed = time.perf_counter() - started
    checked = json.loads(result.stdout)
    assert len(checked) == 200
    assert all(c["found"] for c in checked)
    not_valid = [c["query"] for c in checked if not c["valid"]]
    assert len(not_valid) == 20  # numbers 10, 20 … 100, each listed twice
    assert result.exit_code == 3
    assert elapsed < 10, f"check of 200 entries took {elapsed:.1f}s"


def test_status_link_unlink_relations_proposals_history(archive) -> None:
    data, ids = archive
    old, new, lamp, lamp_repeal = (
        ids[n] for n in ("old.txt", "new.txt", "lamp.txt", "lamp-repeal.txt")
    )
    shown = cli_json(data, "status", old, "--json")
    assert shown["validity"] == "已废止"

    # The title-only repeal is proposed; confirming it applies it.
    proposals = cli_json(data, "proposals", "--json")
    [proposal] = proposals
    assert (proposal["src"], proposal["dst"], proposal["type"]) == (lamp_repeal, lamp, "repeals")
    assert cli_json(data, "status", lamp, "--json")["validity"] == "有效"
    confirmed = run_cli(data, "proposals", "confirm", str(proposal["id"]), "--note", "核对")
    assert confirmed.exit_code == 0
    assert cli_json(data, "status", lamp, "--json")["validity"] == "已废止"
    assert cli_json(data, "proposals", "--json") == []

    # Unlink (by SRC TYPE DST) and link again with another date.
    assert run_cli(data, "unlink", new, "repeals", old, "--note", "待复核").exit_code == 0
    assert cli_json(data, "status", old, "--json")["validity"] == "有效"
    linked = run_cli(
        data, "link", new, "repeals", "青测规〔2016〕4号", "--date", "2020-08-01", "--json"
    )
    assert json.loads(linked.stdout)["state"] == "confirmed"
    on_day = cli_json(data, "status", old, "--as-of", "2020-07-15", "--json")
    assert on_day["validity"] == "有效"

    # A staff status, then the relations and the history that record all of it.
    staff = run_cli(data, "status", lamp, "部分失效", "--date", "2019-01-01", "--note", "复核")
    assert staff.exit_code == 0 and "部分失效" in staff.stdout
    relations = cli_json(data, "relations", old, "--json")
    assert [(r["type"], r["state"]) for r in relations] == [("repeals", "confirmed")]
    history = cli_json(data, "history", old, "--json")
    changes = [e["detail"].get("change") for e in history if e["action"] == "relation"]
    assert changes == ["added", "rejected", "updated"]
    readable = run_cli(data, "history", lamp).stdout  # in words (issue 13), not raw JSON
    assert "工作人员记录有效性：记录为“部分失效”，自 2019-01-01 起；理由：复核" in readable

    # Errors: unknown document (4), bad validity or relation type (2).
    assert run_cli(data, "status", "nope", "--json").exit_code == 4
    assert run_cli(data, "status", old, "大概有效").exit_code == 2
    assert run_cli(data, "link", new, "replaces", old).exit_code == 2
    assert run_cli(data, "unlink", new, "cites", old).exit_code == 4
    assert run_cli(data, "proposals", "reject", "999").exit_code == 4


def test_search_as_of_and_show_carry_status_and_cluster(archive) -> None:
    data, ids = archive
    before = cli_json(data, "search", "停车场", "--as-of", "2020-06-30", "--json")
    after = cli_json(data, "search", "停车场", "--as-of", "2020-07-01", "--json")
    assert ids["old.txt"] in [h["id"] for h in before["hits"]]
    assert ids["old.txt"] not in [h["id"] for h in after["hits"]]
    hit = next(h for h in before["hits"] if h["id"] == ids["old.txt"])
    assert hit["status"]["validity"] == "有效" and hit["status"]["as_of"] == "2020-06-30"
    assert hit["cluster"] == {"repealed_by": [ids["new.txt"]]}
    shown = cli_json(data, "show", ids["old.txt"], "--json", "--no-text")
    assert shown["status"]["validity"] == "已废止"
    assert [d["id"] for d in shown["cluster"]["repealed_by"]] == [ids["new.txt"]]
    text = run_cli(data, "show", ids["old.txt"], "--no-text").stdout
    assert "已废止" in text and "被废止于" in text


def test_check_answers_in_staff_terms(archive) -> None:
    """The CLI, the JSON and the web table name the basis and match kind as staff do."""
    from helpers import html, texts

    from search_app import create_app

    data, ids = archive
    text = run_cli(data, "check", "--as-of", "2021-01-01", "青测规〔2016〕4号")
    assert (
        "依据 《关于印发《青测市机动车停放服务管理办法》的通知》（青测规〔2020〕9号）"
        in text.stdout
    )
    assert "（按文号）" in text.stdout and f"[{ids['new.txt']}]" not in text.stdout
    assert "自动识别" in text.stdout and "auto" not in text.stdout

    [entry] = cli_json(
        data, "check", "--json", "--as-of", "2021-01-01", "青测规〔2016〕4号", exit_code=3
    )
    [match] = entry["matches"]
    assert match["by"] == ids["new.txt"]  # the old key stays
    assert match["basis_doc_number"] == "青测规〔2020〕9号"
    assert match["basis_title"] == "关于印发《青测市机动车停放服务管理办法》的通知"

    app = create_app({"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "t"})
    refs = "青测规〔2016〕4号\n青测规(2016)4号\n没有这个文件的标题"
    page = app.test_client().get("/check", query_string={"refs": refs, "as_of": "2021-01-01"})
    tree = html(page)
    assert (
        texts(tree, "td .basis a")
        == ["《关于印发《青测市机动车停放服务管理办法》的通知》（青测规〔2020〕9号）"] * 2
    )
    assert texts(tree, "td.match") == ["文号", "文号", "—"]
    # Three queries: the summary counts queries, not rows.
    summary = texts(tree, "p.summary")[0]
    assert "共 3 条查询" in summary and "已废止 2 条" in summary and "未找到 1 条" in summary


def test_summary_counts_each_query_once() -> None:
    """A query matching two documents is one query in the summary, counted under a status in
    force if either is; a query matching none is 未找到."""
    from indexer.checkreport import CheckRow, summary

    report = [
        CheckRow("q1", "title_similar", "2024-01-01", id="a", validity="已废止", n=1),
        CheckRow("q1", "title_similar", "2024-01-01", id="b", validity="有效", n=1),
        CheckRow("q2", "doc_number", "2024-01-01", id="c", validity="已修改", n=2),
        CheckRow("q3", "none", "2024-01-01", n=3),
    ]
    assert summary(report) == {"有效": 1, "已修改": 1, "未找到": 1}
