"""A full disk fails the import cleanly (issue 12 item 14): the group being written is rolled
back and reported failed, the originals it wrote are removed, the run stops with the summary
and exit 1 (not exit 6 without one), and what was committed before is intact and verified.

Tested for real on a 3 MB tmpfs when the tests may mount one (as root), and with the error
injected into a group commit everywhere."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from helpers import CLI_MODULE, ROOT, run_cli, write_notices

from archive import Archive
from indexer.service import Gongkai


def _unreferenced_originals(data: Path) -> set[str]:
    with Gongkai(data, readonly=True) as gk:
        named = set(gk.archive.digests().values())
    stored = {p.name for p in (data / "originals").rglob("*") if p.is_file()}
    return stored - named


@pytest.fixture
def small_disk(tmp_path: Path):
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_an_import_onto_a_full_disk_stops_with_a_summary(tmp_path: Path, small_disk: Path) -> None:
    src, data = tmp_path / "src", small_disk / "data"
    write_notices(src, 400, ["河道保洁", "燃气安全"], series="满盘发〔2023〕", clauses=60)
    done = subprocess.run(
        [*CLI_MODULE, "--data", str(data), "import", "-q", "--json", str(src)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, (done.returncode, done.stderr)
    summary = json.loads(done.stdout)
    assert "disk full" in summary["stopped"], summary
    assert summary["failed"] >= 1 and summary["imported"] < 400
    assert "Traceback" not in done.stderr and "disk full" in done.stderr
    assert not _unreferenced_originals(data)
    assert not list((data / "originals").rglob(".tmp-*"))
    with Gongkai(data, readonly=True) as gk:
        assert gk.archive.count() == summary["imported"]


def test_a_disk_full_group_commit_is_rolled_back_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, data = tmp_path / "src", tmp_path / "data"
    write_notices(src, 30, ["河道保洁", "燃气安全"], series="注满发〔2023〕", clauses=5)
    first = run_cli(data, "import", "-q", "--json", str(src / "n0000.txt"))
    assert first.exit_code == 0, first.stderr

    real_commit = Archive.commit_group

    def full(self: Archive) -> None:
        # The group's rows are written; committing them is what finds the disk full.
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Archive, "commit_group", full)
    result = run_cli(data, "import", "-q", "--json", str(src))
    monkeypatch.setattr(Archive, "commit_group", real_commit)
    assert result.exit_code == 1, (result.exit_code, result.stderr)
    summary = json.loads(result.stdout)
    assert "disk full" in summary["stopped"]
    assert summary["imported"] == 0 and summary["failed"] >= 1
    assert all("disk full" in f["reason"] for f in summary["failures"])
    assert "gongkai: import stopped: disk full" in result.stderr
    assert not _unreferenced_originals(data)  # the failed group's originals are gone

    again = run_cli(data, "import", "-q", "--json", str(src))  # room again: it resumes
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["imported"] == 29
    assert json.loads(run_cli(data, "verify", "--json").stdout)["ok"]
