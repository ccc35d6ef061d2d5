"""The catalogue export (gongkai export, indexer/export.py): each format read back by a real
parser (csv, json, openpyxl), the filters, streaming, and the round trip through
``import --manifest`` onto the same archive (no change) and onto a fresh one (the same
catalogue)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from helpers import run_cli, write_doc
from openpyxl import load_workbook

from archive.catalogue import CatalogueFilter
from indexer.export import COLUMNS, catalogue
from indexer.service import Gongkai

#: The columns that are the archive's metadata (the rest is worked out: the status today).
METADATA = [c for c in COLUMNS if not c.startswith("status")]


@pytest.fixture
def originals(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    write_doc(
        folder, "a.txt", title="青测市岸线保护管理办法", number="青测府规〔2023〕1号",
        issued="2023-02-01", validity="现行有效", body="第一条 为了保护岸线，制定本办法。",
    )  # fmt: skip
    write_doc(
        folder, "b.txt", title="青测市河道采砂管理规定", number="青测府规〔2019〕4号",
        issued="2019-06-01", validity="已废止", body="第一条 为了规范采砂，制定本规定。",
    )  # fmt: skip
    write_doc(
        folder, "c.txt", title="关于做好汛期值班工作的通知", issued="2024-05-20",
        agency="青测市别的局", body="各单位要做好汛期值班。",
    )  # fmt: skip
    write_doc(
        folder, "d.txt", title="=1+1 测试标题的通知", issued="2024-07-01",
        body="一个以等号开头的标题，电子表格不得当作公式。",
    )  # fmt: skip
    return folder


@pytest.fixture
def data(tmp_path: Path, originals: Path) -> Path:
    data = tmp_path / "data"
    with Gongkai(data) as gk:
        assert gk.import_paths([originals]).counts()["imported"] == 4
    return data


def _export(data: Path, *args: str) -> str:
    result = run_cli(data, "export", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_jsonl_and_xlsx_hold_the_same_rows(data: Path, tmp_path: Path) -> None:
    rows = _csv_rows(_export(data, "--format", "csv"))
    assert len(rows) == 4 and list(rows[0]) == list(COLUMNS)
    by_title = {r["title"].lstrip("'"): r for r in rows}
    shore = by_title["青测市岸线保护管理办法"]
    assert shore["doc_number"] == "青测府规〔2023〕1号"
    assert shore["date_issued"] == "2023-02-01"
    assert shore["validity"] == "现行有效"  # as published
    assert shore["agency"] == "青测市测试局"
    assert shore["path"] == "a.txt"
    assert (shore["status"], shore["status_basis"]) == ("有效", "header")
    assert by_title["青测市河道采砂管理规定"]["status"] == "已废止"
    # A title that starts like a formula is guarded in CSV ('=1+1 …).
    assert by_title["=1+1 测试标题的通知"]["title"].startswith("'=")
    jsonl = [json.loads(line) for line in _export(data, "--format", "jsonl").splitlines()]
    assert [r["id"] for r in jsonl] == [r["id"] for r in rows]
    assert {r["title"] for r in jsonl} >= {"=1+1 测试标题的通知"}  # JSON is exact
    out = tmp_path / "cat.xlsx"
    assert f"exported 4 documents to {out}" in _export(data, "--format", "xlsx", "-o", str(out))
    book = load_workbook(out, read_only=True)
    sheet = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    assert list(sheet[0]) == list(COLUMNS)
    xlsx = [dict(zip(COLUMNS, ["" if v is None else v for v in r], strict=True)) for r in sheet[1:]]
    assert xlsx == jsonl  # text cells, never formulas: the same values as JSON
    assert run_cli(data, "export", "--format", "xlsx").exit_code == 2  # needs -o


def test_filters(data: Path) -> None:
    def ids(*args: str) -> set[str]:
        return {r["path"] for r in _csv_rows(_export(data, *args))}

    assert ids("--agency", "青测市别的局") == {"c.txt"}
    assert ids("--valid-only") == {"a.txt"}  # b is repealed; c and d say nothing (未知)
    assert ids("--from", "2024-01-01") == {"c.txt", "d.txt"}
    assert ids("--from", "2023-01-01", "--to", "2023-12-31") == {"a.txt"}
    assert ids("--kind", "interpretation") == set()
    assert run_cli(data, "export", "--from", "yesterday").exit_code == 2


def test_export_streams_a_page_at_a_time(data: Path) -> None:
    with Gongkai(data, readonly=True) as gk:
        pages: list[str] = []
        gk.archive.conn.set_trace_callback(
            lambda sql: pages.append(sql) if "FROM documents WHERE id >" in sql else None
        )
        rows = catalogue(gk.archive, CatalogueFilter(), batch=2)
        first = next(rows)
        assert first["id"] and len(pages) == 1  # one page read, not the archive
        assert len([first, *rows]) == 4 and len(pages) == 3  # two pages, then the empty one


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_round_trip_through_import_manifest(
    data: Path, originals: Path, tmp_path: Path, fmt: str
) -> None:
    manifest = originals / f"catalogue.{fmt}"
    _export(data, "--format", fmt, "-o", str(manifest))
    with Gongkai(data, readonly=True) as gk:
        before = list(gk.catalogue())
        stamp = (gk.archive.membership(), gk.archive.revisions())  # documents, last row, revs
    # Onto the same archive: every row is a document it already holds; nothing changes.
    with Gongkai(data) as gk:
        counts = gk.import_manifest(manifest).counts()
        assert counts == {
            "imported": 0,
            "duplicate": 4,
            "failed": 0,
            "skipped": 0,
            "updated": 0,
            "duplicate-text": 0,
        }
        # (the run itself is recorded, see `gongkai runs`; no document changed)
        assert (gk.archive.membership(), gk.archive.revisions()) == stamp
        assert list(gk.catalogue()) == before
    # Onto a fresh archive with the same files: the same catalogue, ids included.
    fresh = tmp_path / f"fresh-{fmt}"
    with Gongkai(fresh) as gk:
        assert gk.import_manifest(manifest).counts()["imported"] == 4
        again = list(gk.catalogue())
    strip = [{k: r[k] for k in METADATA} for r in before]
    assert [{k: r[k] for k in METADATA} for r in again] == strip
    assert [r["status"] for r in again] == [r["status"] for r in before]
