"""The 年度报告 tables (gongkai report annual, indexer/annual_report.py) on a small archive of our
own whose counts are known: regulations issued either side of 31 December, repealed either
side of it, answers with each kind of outcome, one carried over to the next year."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from helpers import cli_json, run_cli
from openpyxl import load_workbook

from archive.outcomes import OUTCOMES, Outcomes
from indexer.annual_report import annual_report
from indexer.service import Gongkai

AGENCY = "青测市测试局"
OTHER = "青测市别的局"


def _rule(doc_id: str, issued: str, *, doc_type: str = "规章", agency: str = AGENCY) -> dict:
    return {
        "id": doc_id,
        "title": f"青测市{doc_id}管理办法",
        "agency": agency,
        "date_issued": issued,
        "validity": "有效",
        "doc_type": doc_type,
        "body": f"第一条 为了规范{doc_id}事项，制定本办法。",
    }


def _answer(doc_id: str, answered: str, body: str) -> dict:
    return {
        "id": doc_id,
        "title": f"政府信息公开申请答复书（{doc_id}）",
        "agency": AGENCY,
        "date_issued": answered,
        "kind": "request_answer",
        "body": body,
    }


ROWS = [
    _rule("r1", "2023-03-01"),
    _rule("r2", "2024-12-31"),  # issued on the last day of the year: counts in 2024
    _rule("r3", "2025-01-01"),  # the first day of the next: not in 2024 at all
    _rule("r4", "2022-05-01"),  # repealed 2025-01-05: still 现行有效 on 2024-12-31
    _rule("r5", "2021-01-01"),  # repealed by r2 from 2024-06-30
    _rule("r6", "2020-01-01"),  # repealed 2023-12-31: ended before the year
    _rule("r7", "2024-02-02", agency=OTHER),
    _rule("n1", "2024-04-01", doc_type="规范性文件"),
    _rule("n2", "2024-02-01", doc_type="规范性文件"),  # 失效 from 2024-10-01
    _rule("n3", "2019-01-01", doc_type="规范性文件"),
    _rule("x1", "2024-03-03", doc_type="其他文件"),
    _answer("a1", "2024-03-01", "经审查，本机关决定予以公开，现将有关信息提供如下。"),
    _answer("a2", "2024-05-01", "经检索，本机关未检索到您申请的上述信息。"),
    _answer("a3", "2024-06-01", "您申请的信息属于国家秘密，根据规定，决定不予公开。"),
    _answer("a4", "2024-07-01", "您申请的信息中含有个人隐私，本机关决定部分公开。"),
    _answer("a5", "2024-08-01", "您的来信已收悉，谢谢。"),  # no rule reads it
    _answer("a7", "2024-09-01", "您申请的统计数据需要另行制作，本机关不予提供。"),
    # received in 2024, answered in 2025: counted in 2025
    _answer("a6", "2025-01-08", "本机关于2024年12月20日收到您的申请。经审查，决定予以公开。"),
]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS), "utf-8")
    data = tmp_path / "data"
    with Gongkai(data) as gk:
        assert gk.import_manifest(manifest).counts()["imported"] == len(ROWS)
        gk.set_status("r4", "已废止", date="2025-01-05", actor="t")
        gk.link("r2", "repeals", "r5", date="2024-06-30", actor="t")
        gk.set_status("r6", "已废止", date="2023-12-31", actor="t")
        gk.set_status("n2", "失效", date="2024-10-01", actor="t")
    return data


def _ids(report: dict, key: str) -> list[str]:
    (cell,) = [c for c in report["cells"] if c["key"] == key]
    assert cell["count"] == len(cell["ids"])
    return sorted(cell["ids"])


def test_section_two_counts_regulations_as_of_31_december(data: Path) -> None:
    report = cli_json(data, "report", "annual", "--year", "2024", "--agency", AGENCY, "--json")
    assert report["as_of"] == "2024-12-31"
    assert _ids(report, "rule.issued") == ["r2"]
    assert _ids(report, "rule.repealed") == ["r5"]
    assert _ids(report, "rule.in_force") == ["r1", "r2", "r4"]
    assert _ids(report, "normative.issued") == ["n1", "n2"]
    assert _ids(report, "normative.repealed") == ["n2"]
    assert _ids(report, "normative.in_force") == ["n1", "n3"]
    # The next year: r3 issued, r4 repealed, r2 still in force.
    later = cli_json(data, "report", "annual", "--year", "2025", "--agency", AGENCY, "--json")
    assert _ids(later, "rule.issued") == ["r3"]
    assert _ids(later, "rule.repealed") == ["r4"]
    assert _ids(later, "rule.in_force") == ["r1", "r2", "r3"]
    # Without --agency, every agency: r7 too.
    everyone = cli_json(data, "report", "annual", "--year", "2024", "--json")
    assert _ids(everyone, "rule.issued") == ["r2", "r7"]


def test_section_three_counts_answers_by_outcome_in_the_year_answered(data: Path) -> None:
    report = cli_json(data, "report", "annual", "--year", "2024", "--agency", AGENCY, "--json")
    assert _ids(report, "outcome.disclosed") == ["a1"]
    assert _ids(report, "outcome.unable_not_held") == ["a2"]
    assert _ids(report, "outcome.refused_secret") == ["a3"]
    assert _ids(report, "outcome.partly") == ["a4"]
    assert _ids(report, "outcome.unable_not_ready") == ["a7"]
    assert _ids(report, "outcome.total") == ["a1", "a2", "a3", "a4", "a7"]
    assert report["unread"] == ["a5"]  # listed, counted nowhere
    # a6, received in 2024, is answered (and counted) in 2025.
    assert "a6" not in [a["id"] for a in report["answers"]]
    assert not any("a6" in (c["ids"] or []) for c in report["cells"])
    later = cli_json(data, "report", "annual", "--year", "2025", "--agency", AGENCY, "--json")
    assert _ids(later, "outcome.disclosed") == ["a6"]
    # What the archive cannot know is blank, never a number.
    blanks = [c for c in report["cells"] if c["key"].startswith("blank.")]
    assert blanks and all(c["count"] is None and c["ids"] is None for c in blanks)
    assert {c["section"] for c in blanks} == {"二", "三", "四"}
    assert any(c["column"] == "自然人" for c in blanks)


def test_outcomes_are_stored_on_first_report_and_staff_corrections_win(data: Path) -> None:
    with Gongkai(data) as gk:
        assert Outcomes(gk.archive).of(["a1"]) == {}
    cli_json(data, "report", "annual", "--year", "2024", "--json")
    with Gongkai(data) as gk:
        stored = Outcomes(gk.archive).of(["a1", "a2", "a5"])
        assert {k: v.outcome for k, v in stored.items()} == {
            "a1": "disclosed",
            "a2": "unable_not_held",
        }
        assert stored["a1"].origin == "auto" and "予以公开" in stored["a1"].evidence
    # Staff set the unread one and correct a read one, by label or code.
    set_a5 = cli_json(data, "outcome", "a5", "不予处理", "--reason", "信访件", "--json")
    assert set_a5["outcome"] == "not_processed" and set_a5["origin"] == "staff"
    cli_json(data, "outcome", "a1", "partly", "--reason", "附件有删节", "--json")
    report = cli_json(data, "report", "annual", "--year", "2024", "--json")
    assert _ids(report, "outcome.not_processed") == ["a5"]
    assert _ids(report, "outcome.partly") == ["a1", "a4"]
    assert _ids(report, "outcome.disclosed") == []
    assert report["unread"] == []
    history = cli_json(data, "history", "a1", "--json")
    assert any(h["action"] == "outcome" and h["detail"]["why"] == "附件有删节" for h in history)
    # Refused: not an answer, unknown value, no reason.
    assert run_cli(data, "outcome", "r1", "予以公开", "--reason", "x").exit_code == 2
    assert run_cli(data, "outcome", "a1", "大概公开", "--reason", "x").exit_code == 2
    assert run_cli(data, "outcome", "a1", "予以公开").exit_code == 2
    assert run_cli(data, "outcome", "nope", "予以公开", "--reason", "x").exit_code == 4


def test_csv_and_xlsx_hold_the_same_numbers(data: Path, tmp_path: Path) -> None:
    out_csv, out_xlsx = tmp_path / "r.csv", tmp_path / "r.xlsx"
    result = run_cli(
        data, "report", "annual", "--year", "2024", "--agency", AGENCY,
        "--csv", str(out_csv), "--xlsx", str(out_xlsx),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "规章 / 本年制发件数: 1" in result.stdout
    assert "____" in result.stdout  # blanks shown as blanks
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text("utf-8-sig"))))
    by = {(r["row"], r["column"]): r for r in rows}
    assert by[("规章", "现行有效件数")]["count"] == "3"
    assert sorted(by[("规章", "现行有效件数")]["ids"].split()) == ["r1", "r2", "r4"]
    assert by[("行政许可", "本年处理决定数量")]["count"] == ""
    book = load_workbook(out_xlsx, read_only=True)
    sheet = list(book["年度报告"].iter_rows(values_only=True))
    header, body = sheet[1], sheet[2:]
    assert list(header) == ["section", "row", "column", "count", "ids"]
    assert len(body) == len(rows)
    xlsx_by = {(r[1], r[2]): r for r in body}
    assert xlsx_by[("规章", "现行有效件数")][3] == 3
    assert xlsx_by[("行政许可", "本年处理决定数量")][3] in (None, "")
    basis = list(book["依据"].iter_rows(values_only=True))
    assert ("rule.in_force", "r4") in {(r[0], r[3]) for r in basis}
    book.close()


def test_library_report_and_read_only_archive(data: Path) -> None:
    with Gongkai(data, readonly=True) as gk:
        report = gk.annual_report(2024, [AGENCY])  # reads outcomes without storing them
        assert report.cell("outcome.disclosed").count == 1
        assert Outcomes(gk.archive).of(["a1"]) == {}
        assert {c.key.split(".")[1] for c in report.cells if c.key.startswith("outcome.")} == {
            *OUTCOMES,
            "total",
        }
        with pytest.raises(Exception, match="year"):
            annual_report(gk.archive, 12, record=lambda found: None)


# -- the staff page ------------------------------------------------------------------------------


def test_staff_page_links_each_number_to_its_documents_and_corrects_outcomes(data: Path) -> None:
    from helpers import PASSWORD, csrf_token, html, login, one

    from search_app import create_app
    from search_app.auth import add_user

    with Gongkai(data) as gk:
        add_user(gk.archive, "alice", PASSWORD)
    app = create_app({"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "sw"})
    anonymous = app.test_client()
    url = f"/staff/report/annual?year=2024&agency={AGENCY}"
    assert anonymous.get(url).status_code == 302  # to the login page
    assert anonymous.get("/staff/report/annual.csv?year=2024").status_code == 302
    client = app.test_client()
    assert login(client).status_code == 302
    page = client.get(url)
    assert page.status_code == 200
    tree = html(page)
    count = one(tree, 'tr[data-key="rule.in_force"] a')
    assert count.text() == "3" and count.attributes["href"] == "#docs-rule.in_force"
    listed = one(tree, 'details[id="docs-rule.in_force"]')
    assert sorted(a.attributes["href"] for a in listed.css("a")) == [
        "/doc/r1",
        "/doc/r2",
        "/doc/r4",
    ]
    blank = one(tree, 'tr[data-key="blank.2.行政许可"]')
    assert "待填" in blank.text() and not blank.css("a")
    # Downloads, read back by real parsers.
    got = client.get(f"/staff/report/annual.csv?year=2024&agency={AGENCY}")
    rows = list(csv.DictReader(io.StringIO(got.get_data(as_text=True).lstrip("\ufeff"))))
    assert {(r["row"], r["column"]): r["count"] for r in rows}[("规章", "本年制发件数")] == "1"
    got = client.get(f"/staff/report/annual.xlsx?year=2024&agency={AGENCY}")
    assert got.status_code == 200
    book = load_workbook(io.BytesIO(got.data), read_only=True)
    assert book.sheetnames == ["年度报告", "依据"]
    book.close()
    assert client.get("/staff/report/annual.pdf?year=2024").status_code == 404
    assert client.get("/staff/report/annual?year=abc").status_code == 400
    # Correct an outcome: CSRF required, reason required, recorded under the account.
    form = {"doc_id": "a5", "outcome": "not_processed", "note": "信访件", "year": "2024"}
    assert client.post("/staff/report/outcome", data=form).status_code == 400  # no token
    form["csrf_token"] = csrf_token(page)
    assert client.post("/staff/report/outcome", data={**form, "note": ""}).status_code == 400
    assert client.post("/staff/report/outcome", data={**form, "outcome": "x"}).status_code == 400
    done = client.post("/staff/report/outcome", data={**form, "agency": AGENCY})
    assert done.status_code == 302 and done.headers["Location"].endswith("#answers")
    after = html(client.get(url))
    assert "工作人员修改" in one(after, 'tr[data-answer="a5"]').text()
    assert one(after, 'tr[data-key="outcome.not_processed"] a').text() == "1"
    with Gongkai(data, readonly=True) as gk:
        (entry,) = [h for h in gk.history("a5") if h["action"] == "outcome"]
        assert entry["actor"] == "alice"
    from indexer.history_view import readable

    with Gongkai(data, readonly=True) as gk:
        (line,) = [h for h in readable(gk.archive, gk.history("a5")) if "办理结果" in h.action]
        assert (line.before, line.after) == ("—", "不予处理") and "信访件" in line.what
    assert anonymous.post("/staff/report/outcome", data=form).status_code in (400, 401)
