"""Import confinement (issue 12 item 7): only regular files are read, with a size cap applied
while reading; symbolic links that leave the imported folders and manifest paths that leave the
manifest's folder are refused unless asked for; one such file never stops the rest."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from indexer.items import FAILED, IMPORTED, SKIPPED
from indexer.reading import iter_files, read_limited
from indexer.service import Gongkai

NOTICE = "关于边界测试的通知\n\n各单位：请按时报送材料。\n"


def _by_name(report) -> dict[str, object]:
    return {Path(o.path).name: o for o in report.outcomes}


def test_a_fifo_is_skipped_not_waited_on(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.txt").write_text(NOTICE, encoding="utf-8")
    os.mkfifo(src / "pipe.txt")
    result: dict[str, object] = {}

    def run() -> None:
        with Gongkai(tmp_path / "data") as gk:
            result["report"] = gk.import_paths([src])

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "the import hangs on a FIFO"
    by_name = _by_name(result["report"])
    assert by_name["good.txt"].status == IMPORTED
    assert by_name["pipe.txt"].status == SKIPPED
    assert "not a regular file" in by_name["pipe.txt"].reason


def test_a_fifo_named_explicitly_fails_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(Exception, match="not a regular file"):
        read_limited(fifo, 1000)


def test_a_link_to_dev_zero_fails_alone(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.txt").write_text(NOTICE, encoding="utf-8")
    os.symlink("/dev/zero", src / "zero.txt")
    with Gongkai(tmp_path / "data") as gk:
        report = gk.import_files(iter_files([src], follow_symlinks=True))
    by_name = _by_name(report)
    assert by_name["good.txt"].status == IMPORTED
    assert by_name["zero.txt"].status in (FAILED, SKIPPED)
    assert "not a regular file" in by_name["zero.txt"].reason


def test_size_cap_holds_while_reading_a_file_that_lies_about_its_size(tmp_path: Path) -> None:
    # /proc files report size 0 and can be longer than any cap; the cap must hold as we read
    with pytest.raises(Exception, match="over the limit of 10"):
        read_limited(Path("/proc/self/maps"), 10)


def test_links_leaving_the_imported_folder_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "passwd.txt"
    secret.parent.mkdir()
    secret.write_text("关于机密内容的通知\n\n不应被导入。\n", encoding="utf-8")
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "inner.txt").write_text(NOTICE, encoding="utf-8")
    os.symlink(secret, src / "passwd.txt")
    os.symlink(src / "sub" / "inner.txt", src / "inside.txt")  # stays inside: fine
    files = dict(iter_files([src]))
    assert "leads outside" in files[src / "passwd.txt"]
    assert files[src / "inside.txt"] == ""
    followed = dict(iter_files([src], follow_symlinks=True))
    assert followed[src / "passwd.txt"] == ""


def test_cli_refuses_outside_links_unless_asked(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli import main

    secret = tmp_path / "outside.txt"
    secret.write_text("关于机密内容的通知\n\n不应被导入。\n", encoding="utf-8")
    src = tmp_path / "src"
    src.mkdir()
    os.symlink(secret, src / "passwd.txt")
    data = tmp_path / "data"
    result = CliRunner().invoke(main, ["--data", str(data), "import", str(src), "-q", "--json"])
    assert json.loads(result.output)["imported"] == 0
    result = CliRunner().invoke(
        main,
        ["--data", str(data), "import", str(src), "-q", "--json", "--follow-symlinks"],
    )
    assert json.loads(result.output)["imported"] == 1


def test_manifest_paths_are_confined_to_its_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text(NOTICE, encoding="utf-8")
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "in.txt").write_text("关于内部文件的通知\n\n内容。\n", encoding="utf-8")
    os.symlink(outside, folder / "link.txt")
    rows = [
        {"path": "in.txt"},
        {"path": "../outside.txt"},
        {"path": str(outside)},
        {"path": "link.txt"},
    ]
    manifest = folder / "m.jsonl"
    manifest.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    with Gongkai(tmp_path / "data") as gk:
        report = gk.import_manifest(manifest)
    statuses = [o.status for o in report.outcomes]
    assert statuses == [IMPORTED, FAILED, FAILED, FAILED]
    assert all("outside the manifest's folder" in o.reason for o in report.outcomes[1:])
    with Gongkai(tmp_path / "data2") as gk:
        report = gk.import_manifest(manifest, allow_outside=True)
    assert [o.status for o in report.outcomes] == [IMPORTED, IMPORTED, "duplicate", "duplicate"]
