"""`make demo DATA=…` and `make clean` delete a data directory only if the demo created it
(scripts/demo-data.sh and its marker file): a real archive named by mistake survives."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "demo-data.sh"
MARKER = ".gongkai-demo-data"


def make_lines(target: str, data: Path) -> list[str]:
    """The commands ``make TARGET DATA=data`` would run (``make -n``: nothing is run)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(
        ["make", "-n", "-W", "pyproject.toml", target, f"DATA={data}", "VENV=/nonexistent-venv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in out.splitlines() if str(data) in line]


def deletion_line(target: str, data: Path) -> str:
    """The recipe line of ``target`` that deletes or resets the data directory."""
    lines = make_lines(target, data)
    assert not [line for line in lines if line.startswith("rm ")], lines  # no bare rm -rf
    (line,) = [line for line in lines if "demo-data.sh" in line]
    return line


def run_line(line: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-c", line], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.parametrize("target", ["demo", "clean"])
def test_a_directory_the_demo_did_not_create_survives(tmp_path: Path, target: str) -> None:
    data = tmp_path / "real-archive"
    data.mkdir()
    (data / "archive.sqlite3").write_bytes(b"precious")
    result = run_line(deletion_line(target, data))
    assert result.returncode == 1
    assert "refusing to delete" in result.stderr and str(data) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (data / "archive.sqlite3").read_bytes() == b"precious"
    assert not (data / MARKER).exists()


def test_demo_creates_its_directory_with_the_marker_and_resets_it(tmp_path: Path) -> None:
    data = tmp_path / "demo-data"
    line = deletion_line("demo", data)
    assert run_line(line).returncode == 0
    assert (data / MARKER).is_file()
    (data / "archive.sqlite3").write_bytes(b"demo")
    assert run_line(line).returncode == 0  # the demo's own directory: emptied again
    assert sorted(p.name for p in data.iterdir()) == [MARKER]
    assert run_line(deletion_line("clean", data)).returncode == 0
    assert not data.exists()


def test_an_empty_directory_is_taken_over_and_a_file_or_link_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert subprocess.run([SCRIPT, "reset", str(empty)]).returncode == 0
    assert (empty / MARKER).is_file()
    real = tmp_path / "real"
    real.mkdir()
    (real / "keep.txt").write_text("x")
    link = tmp_path / "link"
    link.symlink_to(real)
    plain = tmp_path / "file"
    plain.write_text("x")
    for path in (link, plain):
        result = subprocess.run([SCRIPT, "remove", str(path)], capture_output=True, text=True)
        assert result.returncode == 1, path
    assert (real / "keep.txt").exists() and plain.exists() and link.is_symlink()
    assert subprocess.run([SCRIPT, "remove", str(tmp_path / "absent")]).returncode == 0
