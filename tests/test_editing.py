"""Metadata after import (issue 17, items 1 and 2): a manifest applied to archived documents
updates them (and a second run changes nothing), ``gongkai edit``, ``gongkai withdraw`` on
both engines, ``--on-error skip|stop`` and the names a manifest may give a kind. Real files,
real data directories, the CLI in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import cli_json, run_cli

from archive.vocab import canonical_kind
from indexer.config import init_data_dir
from indexer.service import Gongkai

NOTICES = {
    "lvhua.txt": "关于做好冬季行道树防寒工作的通知\n各区园林绿化部门：\n"
    "入冬以后气温骤降，请做好行道树涂白、缠干和支撑加固工作。\n",
    "shuiwu.txt": "关于开展二次供水设施清洗消毒的通知\n各物业服务企业：\n"
    "请于本月底前完成水箱清洗消毒，并公示水质检测报告。\n",
    "jiaotong.txt": "关于调整早晚高峰潮汐车道通行时间的通告\n"
    "自下月起，滨江大道潮汐车道的通行时间调整为七时至九时。\n",
}


def write_notices(folder: Path, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in NOTICES.items():
        (folder / name).write_text(text, encoding=encoding)
    return folder


@pytest.fixture
def archived(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A data directory with the three notices imported without metadata; (data, folder,
    file name → id)."""
    data, folder = tmp_path / "data", write_notices(tmp_path / "files")
    report = cli_json(data, "import", "-q", "--json", str(folder))
    assert report["imported"] == 3
    with Gongkai(data, readonly=True) as gk:
        ids = {d.source_name: d.id for d in gk.archive.iter_documents()}
    return data, folder, ids


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding=encoding)
    return path


LVHUA_TITLE = "关于做好冬季行道树防寒工作的通知"
SHUIWU_TITLE = "关于开展二次供水设施清洗消毒的通知"
MANIFEST = [
    ["path", "title", "agency", "doc_number", "date_issued", "kind"],
    ["lvhua.txt", LVHUA_TITLE, "青川市园林局", "青园发〔2023〕11号", "2023-11-20", "规范性文件"],
    ["shuiwu.txt", SHUIWU_TITLE, "青川市水务局", "青水发〔2024〕2号", "2024-01-08", "notice"],
]


def verify_ok(data: Path) -> dict:
    report = cli_json(data, "verify", "--json")
    assert report["ok"], report
    return report


# -- a manifest applied after the files ----------------------------------------------------------


def test_manifest_after_import_updates_metadata_and_a_second_run_changes_nothing(
    archived: tuple[Path, Path, dict[str, str]],
) -> None:
    data, folder, ids = archived
    manifest = write_csv(folder / "清单.csv", MANIFEST)
    first = cli_json(
        data,
        "import",
        "-q",
        "--json",
        "--manifest",
        str(manifest),
        "--by",
        "王档案",
        "--reason",
        "补录",
    )
    assert (first["updated"], first["imported"], first["failed"]) == (2, 0, 0)
    assert first["duplicate"] == 0  # the existing keys are still there
    by_id = {u["id"]: u for u in first["updates"]}
    lvhua = by_id[ids["lvhua.txt"]]["changes"]
    assert lvhua["doc_number"] == {"before": "", "after": "青园发〔2023〕11号"}
    assert lvhua["agency"]["after"] == "青川市园林局"
    assert lvhua["doc_type"]["after"] == "normative"  # 规范性文件 as kind: the type as well

    again = cli_json(data, "import", "-q", "--json", "--manifest", str(manifest))
    assert (again["updated"], again["imported"], again["duplicate"]) == (0, 0, 2)

    # the index follows: the new 文号 and agency are searchable, and verify is ok
    found = cli_json(data, "search", "--json", "青园发〔2023〕11号")
    assert [h["id"] for h in found["hits"]] == [ids["lvhua.txt"]]
    assert found["hits"][0]["agency"] == "青川市园林局"
    verify_ok(data)
    history = cli_json(data, "history", "--json", ids["lvhua.txt"])
    edits = [h for h in history if h["action"] == "edit"]
    assert len(edits) == 1  # the second run recorded nothing
    assert edits[0]["actor"] == "王档案" and edits[0]["detail"]["why"] == "补录"
    assert edits[0]["detail"]["source"] == "清单.csv:2"
    assert edits[0]["detail"]["changes"]["date_issued"]["after"] == "2023-11-20"


def test_dry_run_shows_the_changes_field_by_field_and_writes_nothing(
    archived: tuple[Path, Path, dict[str, str]],
) -> None:
    data, folder, ids = archived
    manifest = write_csv(folder / "m.csv", MANIFEST)
    result = run_cli(data, "import", "-q", "--dry-run", "--manifest", str(manifest))
    assert result.exit_code == 0, result.stderr
    assert "would update 2" in result.stdout
    assert "doc_number: '' → '青水发〔2024〕2号'" in result.stdout
    dry = cli_json(data, "import", "-q", "--dry-run", "--json", "--manifest", str(manifest))
    assert dry["updated"] == 2 and dry["dry_run"] is True
    with Gongkai(data, readonly=True) as gk:
        assert gk.archive.get(ids["shuiwu.txt"]).doc_number == ""
        assert [h["action"] for h in gk.archive.history(ids["shuiwu.txt"])] == ["import"]


def test_a_gb18030_manifest_of_metadata_only_rows_matches_by_doc_number_id_and_sha256(
    archived: tuple[Path, Path, dict[str, str]],
) -> None:
    data, folder, ids = archived
    import hashlib

    digest = hashlib.sha256((folder / "jiaotong.txt").read_bytes()).hexdigest()
    cli_json(data, "edit", ids["lvhua.txt"], "文号=青园发〔2023〕11号", "--json")
    rows = [
        ["文号", "doc_number", "agency", "category", "id", "sha256"],
    ]
    # a Chinese column name is extra metadata; the row finds its document by 文号 (doc_number)
    manifest = folder / "gbk.csv"
    manifest.write_bytes(
        (
            "doc_number,agency,category,id,sha256\n"
            "青园发[2023]11号,青川市园林绿化局,城乡建设,,\n"
            f",青川市水务局,,{ids['shuiwu.txt']},\n"
            f",青川市交通运输局,交通,,{digest}\n"
            "青园发〔2099〕1号,某局,,,\n"
        ).encode("gb18030")
    )
    assert rows  # (the header above is written by hand, in GB18030)
    report = cli_json(data, "import", "-q", "--json", "--manifest", str(manifest), exit_code=1)
    assert report["updated"] == 3 and report["failed"] == 1
    (failure,) = report["failures"]
    assert failure["path"] == "gbk.csv:5" and "no archived document matches" in failure["reason"]
    with Gongkai(data, readonly=True) as gk:
        assert gk.archive.get(ids["lvhua.txt"]).agency == "青川市园林绿化局"
        assert gk.archive.get(ids["shuiwu.txt"]).agency == "青川市水务局"
        assert gk.archive.get(ids["jiaotong.txt"]).category == "交通"
    verify_ok(data)


def test_files_and_a_manifest_in_one_command(tmp_path: Path) -> None:
    folder = write_notices(tmp_path / "files")
    manifest = write_csv(folder / "m.csv", MANIFEST)
    data = tmp_path / "data"
    report = cli_json(
        data, "import", "-q", "--json", str(folder / "jiaotong.txt"), "--manifest", str(manifest)
    )
    assert (report["imported"], report["updated"], report["failed"]) == (3, 0, 0)
    again = cli_json(data, "import", "-q", "--json", str(folder), "--manifest", str(manifest))
    assert (again["imported"], again["updated"]) == (0, 0)


# -- manifest errors -------------------------------------------------------------------------------


BAD_ROW = [
    ["path", "title", "kind"],
    ["lvhua.txt", "关于做好冬季行道树防寒工作的通知", "regulation"],
    ["shuiwu.txt", "关于开展二次供水设施清洗消毒的通知", "法规汇编"],
    ["jiaotong.txt", "关于调整早晚高峰潮汐车道通行时间的通告", "rule"],
]


def test_on_error_skip_applies_the_good_rows_and_reports_the_bad_one(tmp_path: Path) -> None:
    folder = write_notices(tmp_path / "files")
    manifest = write_csv(folder / "m.csv", BAD_ROW)
    data = tmp_path / "data"
    result = run_cli(data, "import", "-q", "--on-error", "skip", "--manifest", str(manifest))
    assert result.exit_code == 1
    assert "imported 2" in result.stdout
    (line,) = [ln for ln in result.stderr.splitlines() if "FAILED" in ln]
    assert "m.csv:3" in line and "'法规汇编'" in line
    assert "notice (文件)" in line and "proposal_reply" in line  # the allowed values, said


def test_on_error_stop_applies_nothing_and_exits_2(tmp_path: Path) -> None:
    folder = write_notices(tmp_path / "files")
    manifest = write_csv(folder / "m.csv", BAD_ROW)
    data = tmp_path / "data"
    result = run_cli(data, "import", "-q", "--on-error", "stop", "--manifest", str(manifest))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "m.csv:3" in result.stderr
    assert "nothing applied" in result.stderr
    assert (
        not (data / "archive.sqlite3").exists()
        or cli_json(data, "stats", "--json")["documents"] == 0
    )


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("规章", "notice"),
        ("regulation", "notice"),
        ("Rule", "notice"),
        ("规范性文件", "notice"),
        ("normative", "notice"),
        ("通知", "notice"),
        ("政策解读", "interpretation"),
        ("interpretation", "interpretation"),
        ("依申请公开答复", "request_answer"),
        ("建议提案办理结果", "proposal_reply"),
        ("proposal reply", "proposal_reply"),
        ("其他", "other"),
        ("法规汇编", None),
    ],
)
def test_kind_names(name: str, kind: str | None) -> None:
    assert canonical_kind(name) == kind


# -- gongkai edit ---------------------------------------------------------------------------------


def test_edit_validates_records_and_reindexes(archived: tuple[Path, Path, dict[str, str]]) -> None:
    data, _, ids = archived
    doc_id = ids["jiaotong.txt"]
    bad = run_cli(data, "edit", doc_id, "发布日期=2024-02-30")
    assert bad.exit_code == 2 and "not a date" in bad.stderr
    unknown = run_cli(data, "edit", doc_id, "colour=red")
    assert unknown.exit_code == 2 and "文号" in unknown.stderr
    dry = cli_json(data, "edit", doc_id, "agency=青川市交通运输局", "--dry-run", "--json")
    assert dry["changes"] == {"agency": {"before": "", "after": "青川市交通运输局"}}
    assert dry["dry_run"] is True
    assert (
        cli_json(data, "search", "--json", "潮汐车道", "--agency", "青川市交通运输局")["total"] == 0
    )
    done = cli_json(
        data,
        "edit", doc_id, "agency=青川市交通运输局", "kind=政策解读", "validity=失效",
        "--reason", "核对原件", "--by", "李四", "--json",
    )  # fmt: skip
    assert set(done["changes"]) == {"agency", "kind", "doc_type", "status"}
    assert done["changes"]["status"]["after"] == "失效"
    hits = cli_json(data, "search", "--json", "潮汐车道", "--agency", "青川市交通运输局")["hits"]
    assert [h["id"] for h in hits] == [doc_id] and hits[0]["kind"] == "interpretation"
    verify_ok(data)
    actions = [(h["action"], h["actor"]) for h in cli_json(data, "history", "--json", doc_id)]
    assert ("edit", "李四") in actions and ("status", "李四") in actions
    text = run_cli(data, "history", doc_id).stdout
    assert "发布机构 （空） → “青川市交通运输局”" in text and "核对原件" in text
    unchanged = cli_json(data, "edit", doc_id, "agency=青川市交通运输局", "--json")
    assert unchanged["changed"] is False


# -- withdrawal -----------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_withdrawn_documents_leave_search_on_both_engines_and_come_back(
    tmp_path: Path, engine: str
) -> None:
    data = tmp_path / "data"
    init_data_dir(data, engine)
    folder = write_notices(tmp_path / "files")
    cli_json(data, "import", "-q", "--json", str(folder))
    (hit,) = cli_json(data, "search", "--json", "行道树")["hits"]
    refused = run_cli(data, "withdraw", hit["id"])
    assert refused.exit_code == 2 and "--reason" in refused.stderr
    done = cli_json(data, "withdraw", hit["id"], "--reason", "误发", "--json")
    assert done["withdrawn"] is True and done["withdrawal"]["reason"] == "误发"
    assert cli_json(data, "search", "--json", "行道树")["total"] == 0
    report = verify_ok(data)
    assert (report["documents"], report["indexed"], report["withdrawn"]) == (3, 2, 1)
    # kept in the archive and its history
    shown = cli_json(data, "show", "--json", hit["id"])
    assert shown["id"] == hit["id"] and shown["withdrawn"]["reason"] == "误发"
    assert "已撤回" in run_cli(data, "show", hit["id"]).stdout
    cli_json(data, "reindex", "--json")  # a rebuild leaves it out too
    assert cli_json(data, "search", "--json", "行道树")["total"] == 0
    verify_ok(data)
    assert run_cli(data, "withdraw", hit["id"], "--reason", "again").exit_code == 2
    back = cli_json(data, "restore-withdrawn", hit["id"], "--json")
    assert back["withdrawn"] is False
    assert cli_json(data, "show", "--json", hit["id"])["withdrawn"] is None
    assert [h["id"] for h in cli_json(data, "search", "--json", "行道树")["hits"]] == [hit["id"]]
    verify_ok(data)
    cli_json(data, "withdraw", hit["id"], "--reason", "再次撤回", "--json")
    cli_json(data, "withdraw", hit["id"], "--undo", "--json")
    actions = [h["action"] for h in cli_json(data, "history", "--json", hit["id"])]
    assert actions == ["import", "withdraw", "restore", "withdraw", "restore"]


def test_a_manifest_row_for_a_withdrawn_document_still_updates_it(
    archived: tuple[Path, Path, dict[str, str]],
) -> None:
    data, folder, ids = archived
    cli_json(data, "withdraw", ids["lvhua.txt"], "--reason", "待核", "--json")
    manifest = write_csv(folder / "m.csv", MANIFEST)
    report = cli_json(data, "import", "-q", "--json", "--manifest", str(manifest))
    assert report["updated"] == 2
    assert cli_json(data, "search", "--json", "青园发〔2023〕11号")["total"] == 0
    verify_ok(data)
    lines = [
        json.dumps(h, ensure_ascii=False)
        for h in cli_json(data, "history", "--json", ids["lvhua.txt"])
    ]
    assert any('"edit"' in line for line in lines)


def test_on_error_stop_refuses_a_row_matching_no_archived_document(
    archived: tuple[Path, Path, dict[str, str]],
) -> None:
    data, folder, ids = archived
    rows = [["doc_number", "agency", "id"], ["", "青川市水务局", ids["shuiwu.txt"]]]
    rows.append(["青园发〔2099〕1号", "某局", ""])
    manifest = write_csv(folder / "m.csv", rows)
    args = ("import", "-q", "--manifest", str(manifest), "--on-error", "stop")
    result = run_cli(data, *args)
    assert result.exit_code == 2 and "m.csv:3" in result.stderr
    with Gongkai(data, readonly=True) as gk:
        assert gk.archive.get(ids["shuiwu.txt"]).agency == ""  # the good row: not applied
    assert "m.csv:3" in run_cli(data, *args, "--dry-run").stderr
    skipped = run_cli(data, *args[:-1], "skip")
    assert skipped.exit_code == 1 and "updated 1" in skipped.stdout
