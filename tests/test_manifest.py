"""Manifests: JSONL and CSV (UTF-8, Excel's UTF-8 with BOM, GB18030), inline bodies and files,
metadata overriding the header, unknown columns kept, bad rows reported by line, re-import
idempotent, and the shared local-regulations corpus importing as is."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import EXIT_FAILED, EXIT_USAGE, main
from indexer.manifest import ManifestError, read_rows
from indexer.service import Gongkai

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "local-regulations.jsonl"

HEADER_FILE = """名  称: 关于调整城乡居民医保缴费标准的通知
文  号: 北川医保〔2021〕4号
发布机构: 北川县医疗保障局
有效性: 有效

各乡镇人民政府：现将城乡居民医保缴费标准调整事项通知如下。
"""


def write_jsonl(path: Path, rows: list[object]) -> None:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def by_label(report) -> dict[str, object]:
    return {o.path: o for o in report.outcomes}


def test_jsonl_rows_good_and_bad(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "yibao.txt").write_text(HEADER_FILE, encoding="utf-8")
    manifest = tmp_path / "m.jsonl"
    write_jsonl(
        manifest,
        [
            {"id": "m-1", "title": "关于春耕备耕的通知", "agency": "南岭县农业局",
             "date_issued": "2022年3月1日", "validity": "现行有效", "region": "南岭",
             "history": ["2022年3月1日 印发"], "body": "各乡镇：请做好春耕备耕工作。"},
            {"path": "files/yibao.txt", "doc_number": "北川医保〔2021〕5号", "category": "医保"},
            "{not json",
            {"title": "日期不对", "date_issued": "2021-13-40", "body": "正文"},
            {"title": "有效性不对", "validity": "也许", "body": "正文"},
            {"title": "什么也没有"},
            {"title": "两样都有", "path": "files/yibao.txt", "body": "正文"},
            {"path": "files/missing.txt"},
            {"id": "m-1", "title": "重复编号", "body": "另一份不同的正文。"},
            ["a", "list"],
            "",
            {"title": "关于秋收的政策解读", "kind": "政策解读", "interprets": "南岭农〔2022〕1号",
             "body": "解读正文。"},
        ],
    )  # fmt: skip
    with Gongkai(tmp_path / "data") as gk:
        report = gk.import_manifest(manifest)
        out = by_label(report)
        assert out["m.jsonl:1"].status == "imported" and out["m.jsonl:1"].id == "m-1"
        assert out["m.jsonl:2"].status == "imported"
        assert out["m.jsonl:3"].status == "failed" and "not valid JSON" in out["m.jsonl:3"].reason
        assert "date_issued '2021-13-40' is not a date" in out["m.jsonl:4"].reason
        assert "validity '也许'" in out["m.jsonl:5"].reason
        assert out["m.jsonl:6"].reason.startswith("row has neither path nor body")
        assert out["m.jsonl:7"].reason == "give path or body, not both"
        assert out["m.jsonl:8"].status == "failed" and "no such file" in out["m.jsonl:8"].reason
        assert out["m.jsonl:9"].status == "failed" and "m-1" in out["m.jsonl:9"].reason
        assert out["m.jsonl:10"].reason == "not a JSON object"
        assert "m.jsonl:11" not in out  # blank line
        assert out["m.jsonl:12"].status == "imported"

        doc = gk.archive.get("m-1")
        assert doc.title == "关于春耕备耕的通知"
        assert doc.date_issued == "2022-03-01"
        assert doc.validity == "有效" and doc.validity_raw == "现行有效"
        assert doc.extra["region"] == "南岭"
        assert doc.extra["history"] == ["2022年3月1日 印发"]
        assert doc.extractor == "manifest:body"
        assert gk.archive.originals.read(doc.sha256) == "各乡镇：请做好春耕备耕工作。".encode()

        yibao = gk.archive.get(out["m.jsonl:2"].id)
        assert yibao.title == "关于调整城乡居民医保缴费标准的通知"  # from the header
        assert yibao.doc_number == "北川医保〔2021〕5号"  # the manifest overrides the header
        assert yibao.doc_number_norm == "北川医保〔2021〕5号"
        assert yibao.category == "医保"
        assert yibao.agency == "北川县医疗保障局"

        interp = gk.archive.get(out["m.jsonl:12"].id)
        assert interp.kind == "interpretation"
        assert interp.extra["interprets"] == "南岭农〔2022〕1号"

        assert gk.search("春耕备耕").total == 1
        again = gk.import_manifest(manifest).counts()
        assert again["imported"] == 0 and again["duplicate"] == 3
        assert gk.verify()["ok"]


def _csv_bytes(rows: list[list[str]], encoding: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_each_encoding(tmp_path: Path, encoding: str) -> None:
    rows = [
        ["Title", "agency", "doc_number", "validity", "body", "备注"],
        ["关于植树造林的通知", "西坡县林业局", "西林发[2020]9号", "已废止",
         "第一段。\n第二段，多行正文。", "纸质原件存档"],
        ["缺正文", "西坡县林业局", "", "有效", "", ""],
        ["关于护林防火的通知", "西坡县林业局", "", "失效", "护林防火正文。", ""],
    ]  # fmt: skip
    manifest = tmp_path / "list.csv"
    manifest.write_bytes(_csv_bytes(rows, encoding))
    with Gongkai(tmp_path / "data") as gk:
        out = by_label(gk.import_manifest(manifest))
        assert out["list.csv:2"].status == "imported"
        assert out["list.csv:4"].reason.startswith("row has neither path nor body")  # line 4
        assert out["list.csv:5"].status == "imported"
        doc = gk.archive.get(out["list.csv:2"].id)
        assert doc.title == "关于植树造林的通知"
        assert doc.doc_number_norm == "西林发〔2020〕9号"
        assert doc.validity == "已废止"
        assert doc.extra["备注"] == "纸质原件存档"
        assert doc.text == "第一段。\n第二段，多行正文。"


def test_unreadable_manifests(tmp_path: Path) -> None:
    bad = tmp_path / "m.xls"
    bad.write_bytes(b"PK\x03\x04")
    with pytest.raises(ManifestError, match="unknown manifest format"):
        list(read_rows(bad))
    broken = tmp_path / "m.xlsx"  # a workbook is read (gongkai export writes them), if it is one
    broken.write_bytes(b"PK\x03\x04")
    with pytest.raises(ManifestError, match="not a readable XLSX workbook"):
        list(read_rows(broken))
    empty = tmp_path / "m.csv"
    empty.write_bytes(b"")
    with pytest.raises(ManifestError, match="no header row"):
        list(read_rows(empty))
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(
        json.dumps({"title": "好", "body": "好"}, ensure_ascii=False).encode() + b"\n"
        + b'{"title": "\xff\xfe", "body": "x"}\n'
    )  # fmt: skip
    rows = list(read_rows(mixed))
    assert rows[0][1] == {"title": "好", "body": "好"}
    assert rows[1] == (2, "not valid utf-8 text")


def test_cli_manifest_usage(tmp_path: Path) -> None:
    runner = CliRunner()
    manifest = tmp_path / "m.jsonl"
    write_jsonl(manifest, [{"title": "关于测试的通知", "body": "测试正文。"}, "{bad"])
    data = ["--data", str(tmp_path / "data")]
    both = ["--data", str(tmp_path / "both"), "import", "--manifest", str(manifest), str(tmp_path)]
    result = runner.invoke(main, both)
    assert result.exit_code == 1  # files and a manifest together (issue 17); its bad row fails
    assert "m.jsonl:2" in result.output
    result = runner.invoke(main, [*data, "import"])
    assert result.exit_code == EXIT_USAGE
    other = tmp_path / "m.txt"
    other.write_text("x", encoding="utf-8")
    result = runner.invoke(main, [*data, "import", "--manifest", str(other)])
    assert result.exit_code == EXIT_USAGE and "unknown manifest format" in result.output
    result = runner.invoke(
        main, [*data, "import", "-q", "--workers", "1", "--json", "--manifest", str(manifest)]
    )
    assert result.exit_code == EXIT_FAILED
    summary = json.loads(result.stdout)
    assert summary["imported"] == 1
    assert summary["failures"][0]["path"] == "m.jsonl:2"


@pytest.mark.skipif(not SHARED.exists(), reason=f"shared corpus not found at {SHARED}")
def test_local_regulations_import_as_is(tmp_path: Path) -> None:
    sample = tmp_path / "local-regulations.jsonl"
    with SHARED.open("rb") as src:
        lines = [line for _, line in zip(range(150), src, strict=False)]
    sample.write_bytes(b"".join(lines))
    rows = [json.loads(line) for line in lines]
    with Gongkai(tmp_path / "data") as gk:
        report = gk.import_manifest(sample, workers=2)
        assert report.counts()["imported"] == len(rows), report.failed[:3]
        for row in rows[::37] + [r for r in rows if r["validity"] != "有效"][:5]:
            doc = gk.archive.get(row["id"])
            assert doc.title == row["title"]
            assert doc.agency == row["agency"]
            assert doc.date_issued == (row["date_issued"] or "")
            assert doc.date_effective == (row["date_effective"] or "")
            assert doc.validity == row["validity"]
            assert doc.kind == "notice"
            assert doc.extra["doc_type"] == row["doc_type"]
            assert doc.extra["region"] == row["region"]
            assert doc.extra["history"] == row["history"]
            assert doc.extra["source_path"] == row["source_path"]
            assert doc.text == row["body"].strip()
        again = gk.import_manifest(sample).counts()
        assert again["duplicate"] == len(rows)
        assert {key: n for key, n in again.items() if key != "duplicate"} == dict.fromkeys(
            again.keys() - {"duplicate"}, 0
        )
