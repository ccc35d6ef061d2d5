"""`gongkai import --dry-run`: everything is read, extracted and checked, the summary says what
would be imported, what is a duplicate and what would fail, and nothing at all is written."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import archived_ids, cli_json, run_cli

NOTICE = """名  称: 关于做好{topic}工作的通知
文  号: 试运行发〔2023〕{n}号
有效性: 有效

各有关单位：为做好{topic}工作，现将有关事项通知如下。一、提高认识。二、落实责任。
"""


def make_files(folder: Path) -> dict[str, Path]:
    """Three good notices, a byte-for-byte copy of one, an empty file, binary junk as .txt."""
    folder.mkdir(parents=True)
    files = {}
    for n, topic in enumerate(["冬季供暖", "汛期值守", "校园安全"], start=1):
        files[topic] = folder / f"notice{n}.txt"
        files[topic].write_text(NOTICE.format(topic=topic, n=n), encoding="utf-8")
    files["copy"] = folder / "notice1-copy.txt"
    files["copy"].write_bytes(files["冬季供暖"].read_bytes())
    files["empty"] = folder / "empty.txt"
    files["empty"].write_bytes(b"")
    files["junk"] = folder / "junk.txt"
    files["junk"].write_bytes(bytes(range(256)) * 40)
    return files


def snapshot(data: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``data`` with its size and modification time (ns)."""
    return {
        str(p.relative_to(data)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(data.rglob("*"))
    }


def test_dry_run_without_data_dir_creates_nothing(tmp_path: Path) -> None:
    files = make_files(tmp_path / "in")
    data = tmp_path / "data"
    report = tmp_path / "report.jsonl"
    result = run_cli(
        data, "import", "--dry-run", "--json", "-q", "--report", str(report), str(tmp_path / "in")
    )
    assert result.exit_code == 1, result.output  # empty and junk would fail
    summary = json.loads(result.stdout)
    assert summary["dry_run"] is True
    assert (summary["imported"], summary["duplicate"], summary["failed"]) == (3, 1, 2)
    failed = {Path(f["path"]).name for f in summary["failures"]}
    assert failed == {"empty.txt", "junk.txt"}
    assert not data.exists()
    lines = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    by_name = {Path(line["path"]).name: line for line in lines}
    assert len(lines) == 6
    assert by_name["notice2.txt"]["status"] == "imported"
    assert by_name["notice2.txt"]["title"] == "关于做好汛期值守工作的通知"
    assert by_name["notice2.txt"]["id"] == ""  # nothing was given an id
    # the copy sorts before notice1.txt, so notice1.txt is the duplicate of it within the run
    assert by_name["notice1.txt"]["status"] == "duplicate"
    assert "notice1-copy.txt" in by_name["notice1.txt"]["reason"]

    text = run_cli(data, "import", "--dry-run", "-q", str(files["校园安全"]))
    assert text.exit_code == 0
    assert "would import 1, duplicate 0, would fail 0" in text.stdout
    assert not data.exists()


def test_dry_run_leaves_existing_data_dir_unchanged(tmp_path: Path) -> None:
    files = make_files(tmp_path / "in")
    data = tmp_path / "data"
    first = run_cli(data, "import", "-q", "--json", str(files["冬季供暖"]))
    assert first.exit_code == 0, first.output
    existing_id = cli_json(data, "search", "冬季供暖", "--json")["hits"][0]["id"]
    before, count = snapshot(data), len(archived_ids(data, immutable=True))
    assert count == 1

    result = run_cli(data, "import", "--dry-run", "--json", "-q", str(tmp_path / "in"))
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert (summary["imported"], summary["duplicate"], summary["failed"]) == (2, 2, 2)
    assert snapshot(data) == before
    assert len(archived_ids(data, immutable=True)) == count

    # the would-be duplicates of the archived file name it by id
    report = tmp_path / "r.jsonl"
    run_cli(data, "import", "--dry-run", "-q", "--report", str(report), str(tmp_path / "in"))
    dups = [
        json.loads(line)
        for line in report.read_text(encoding="utf-8").splitlines()
        if json.loads(line)["status"] == "duplicate"
    ]
    assert {d["id"] for d in dups} == {existing_id}
    assert snapshot(data) == before

    # a real run then does what the dry run said
    real = run_cli(data, "import", "--json", "-q", str(tmp_path / "in"))
    real_summary = json.loads(real.stdout)
    assert {k: real_summary[k] for k in ("imported", "duplicate", "failed")} == {
        k: summary[k] for k in ("imported", "duplicate", "failed")
    }
    assert len(archived_ids(data, immutable=True)) == 3


def test_dry_run_manifest(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "a.txt").write_text(NOTICE.format(topic="春耕", n=7), encoding="utf-8")
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(
        "\n".join(
            json.dumps(row, ensure_ascii=False)
            for row in [
                {"id": "x-1", "title": "关于秋收的通知", "body": "各乡镇：做好秋收。"},
                {"path": "files/a.txt", "category": "农业"},
                {"id": "x-1", "title": "同一编号", "body": "另一份正文。"},
                {"title": "坏日期", "date_issued": "2021-13-40", "body": "正文"},
                {"path": "files/none.txt"},
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    data = tmp_path / "data"
    result = run_cli(data, "import", "--dry-run", "--json", "-q", "--manifest", str(manifest))
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert (summary["imported"], summary["failed"]) == (2, 3)
    reasons = {f["path"]: f["reason"] for f in summary["failures"]}
    assert "x-1" in reasons["m.jsonl:3"]
    assert "not a date" in reasons["m.jsonl:4"]
    assert "no such file" in reasons["m.jsonl:5"]
    assert not data.exists()

    # with the archive holding x-1, the first row would fail too
    real = run_cli(data, "import", "-q", "--json", "--manifest", str(manifest))
    assert json.loads(real.stdout)["imported"] == 2
    before = snapshot(data)
    again = cli_json(
        data, "import", "--dry-run", "--json", "-q", "--manifest", str(manifest), exit_code=1
    )
    assert (again["imported"], again["duplicate"], again["failed"]) == (0, 2, 3)
    assert snapshot(data) == before
