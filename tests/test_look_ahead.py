"""A manifest's rows are looked up in the archive many at a time (:mod:`archive.known`), not
one by one: the answers must stay those of asking each row in turn — bytes archived before
the run, bytes and ids first seen earlier in the same run (in the same look-ahead chunk or
an earlier one), on both back ends."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from indexer import editing
from indexer.service import Gongkai

pytestmark = pytest.mark.usefixtures("archive_backend")

BODY_A = "各乡镇：请于五月底前完成灌渠清淤，并将进度报县水务局。"
BODY_B = "各学校：新学期开学前须完成校舍安全排查，发现隐患立即整改。"
BODY_C = "各林场：进入防火期后严禁野外用火，巡护人员每日上报巡查记录。"
BODY_D = "各街道：冬季供暖期间请加强独居老人走访，确保室温达标。"


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


def row(doc_id: str, title: str, body: str) -> dict[str, object]:
    meta: dict[str, object] = {"title": title, "agency": "青石县人民政府", "body": body}
    if doc_id:
        meta["id"] = doc_id
    return meta


@pytest.mark.parametrize("look_ahead", [2, 100])
def test_rows_looked_up_ahead_answer_as_if_asked_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, look_ahead: int
) -> None:
    monkeypatch.setattr(editing, "LOOK_AHEAD", look_ahead)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    write_jsonl(first, [row("la-1", "关于灌渠清淤的通知", BODY_A), row("", "校舍排查", BODY_B)])
    write_jsonl(
        second,
        [
            row("la-1", "关于灌渠清淤的通知", BODY_A),  # archived before: nothing changes
            row("la-3", "关于森林防火的通知", BODY_C),  # new
            row("", "森林防火（转载）", BODY_C),  # the bytes of the row before
            row("la-1", "另一份用了旧编号", BODY_D),  # an id archived before
            row("la-4", "关于冬季走访的通知", BODY_D + "请各街道落实。"),  # new
            row("la-4", "又一份用了新编号", BODY_D + "另附名单。"),  # the id of the row before
            row("", "校舍排查（转载）", BODY_B),  # bytes archived before, other metadata
        ],
    )
    with Gongkai(tmp_path / "data") as gk:
        gk.import_manifest(first)
        b_id = next(d for d in gk.archive.digests() if d != "la-1")
        report = gk.import_manifest(second)
        out = [(o.status, o.id) for o in report.outcomes]
        assert out[0] == ("duplicate", "la-1")
        assert out[1] == ("imported", "la-3")
        assert out[2] == ("updated", "la-3")  # matched by the bytes just archived
        assert out[3][0] == "failed" and "la-1" in report.outcomes[3].reason
        assert out[4] == ("imported", "la-4")
        assert out[5][0] == "failed" and "la-4" in report.outcomes[5].reason
        assert out[6] == ("updated", b_id)
        assert set(gk.archive.digests()) == {"la-1", b_id, "la-3", "la-4"}
        assert gk.verify()["ok"]


@pytest.mark.parametrize("ahead", [2, 100])
def test_plain_files_read_ahead_answer_as_if_asked_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: int, archive_backend: str
) -> None:
    """Plain files (no manifest) are read and looked up ahead on PostgreSQL: the same
    outcomes, and no question per file (three round trips each before)."""
    from archive.backend import traced
    from indexer import read_ahead

    monkeypatch.setattr(read_ahead, "AHEAD_ITEMS", ahead)
    before, folder = tmp_path / "before", tmp_path / "files"
    before.mkdir()
    folder.mkdir()
    (before / "b.txt").write_text(f"名称：校舍排查\n\n{BODY_B}", "utf-8")
    for name, body in [
        ("1.txt", f"名称：灌渠清淤\n\n{BODY_A}"),
        ("2.txt", f"名称：校舍排查\n\n{BODY_B}"),  # archived before
        ("3.txt", f"名称：灌渠清淤\n\n{BODY_A}"),  # the bytes of 1.txt, in this run
        ("4.txt", f"名称：森林防火\n\n{BODY_C}"),
        ("5.txt", f"名称：冬季走访\n\n{BODY_D}"),
        ("6.txt", f"名称：森林防火\n\n{BODY_C}"),  # the bytes of 4.txt, in this run
    ]:
        (folder / name).write_text(body, "utf-8")
    with Gongkai(tmp_path / "data") as gk:
        gk.import_paths([before])
        with traced(gk.archive.conn) as seen:
            report = gk.import_paths([folder])
        out = {Path(o.path).name: (o.status, o.id) for o in report.outcomes}
        assert [out[n][0] for n in sorted(out)] == [
            "imported", "duplicate", "duplicate", "imported", "imported", "duplicate",
        ]  # fmt: skip
        assert out["3.txt"][1] == out["1.txt"][1] and out["6.txt"][1] == out["4.txt"][1]
        assert len(gk.archive.digests()) == 4
        assert gk.verify()["ok"]
    one_by_one = [s for s in seen if re.search(r"FROM (documents|copies) WHERE sha256 = ", s)]
    if archive_backend == "postgresql":  # only files of the same run asked again
        assert len(one_by_one) <= 2 * 2, one_by_one
    else:  # SQLite asks each file as before
        assert len(one_by_one) >= 6, one_by_one
