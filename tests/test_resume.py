"""kill -9 in the middle of `gongkai import`, then the same command again: it completes, nothing
is duplicated or half-imported, and `gongkai verify` finds archive and index in agreement."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from helpers import CLI_MODULE, ROOT, archived_ids, run_process, write_doc, write_notices

from archive import Archive

FILES = 300


def make_corpus(folder: Path) -> None:
    """Notices long enough that importing 300 takes a few seconds."""
    topics = ["农田水利", "城乡医保", "校舍安全", "森林防火", "道路养护", "食品抽检"]
    write_notices(folder, FILES, topics, series="测试发〔2020〕", clauses=59)


def start_import(data: Path, command: list[str], **popen: object) -> subprocess.Popen:
    """``gongkai import`` in a session of its own (its workers share its process group)."""
    options: dict[str, object] = {
        "cwd": ROOT,
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.DEVNULL,
        "start_new_session": True,
    }
    return subprocess.Popen([*CLI_MODULE, "--data", str(data), *command], **{**options, **popen})


def wait_until_archived(
    proc: subprocess.Popen, data: Path, more_than: int, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while len(archived_ids(data)) <= more_than:
        assert proc.poll() is None, "the import ended before it could be stopped"
        assert time.monotonic() < deadline, "the import made no progress"
        time.sleep(0.02)


def assert_verified(data: Path, documents: int) -> None:
    """`gongkai verify`: archive and index agree, and hold ``documents``."""
    check = run_process(data, "verify", "--json")
    assert check.returncode == 0, check.stdout + check.stderr
    report = json.loads(check.stdout)
    assert report["ok"] and report["documents"] == report["indexed"] == documents


@pytest.mark.usefixtures("archive_backend")
@pytest.mark.parametrize("workers", ["1", "2"])
def test_kill_9_then_rerun_completes(tmp_path: Path, workers: str) -> None:
    src, data = tmp_path / "src", tmp_path / "data"
    make_corpus(src)
    command = ["import", "-q", "--workers", workers, "--json", str(src)]
    proc = start_import(data, command)
    wait_until_archived(proc, data, 20)
    os.kill(proc.pid, signal.SIGKILL)  # the importer only: orphaned workers must not block
    proc.wait(timeout=10)
    killed_at = len(archived_ids(data))
    assert 20 < killed_at < FILES, killed_at

    try:
        result = run_process(data, *command)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # clean up any orphan left behind
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["failed"] == 0
    assert summary["imported"] + summary["duplicate"] == FILES
    assert summary["duplicate"] >= killed_at  # everything committed before the kill is kept
    assert len(archived_ids(data)) == FILES

    with Archive.open(data, readonly=True) as archive:
        rows = list(archive.fields(["doc_number", "text"]))
    assert len({r["doc_number"] for r in rows}) == len(rows) == FILES
    assert all(r["text"] for r in rows)
    assert_verified(data, FILES)


def test_kill_9_while_the_background_writer_indexes(tmp_path: Path) -> None:
    """Killed after its first full batch went to the background index writer: the writer ends
    with the importer, and the same command again completes with archive and index agreeing."""
    src, data = tmp_path / "src", tmp_path / "data"
    files = 1300  # more than two batches of 500
    for i in range(files):
        write_doc(
            src,
            f"r{i:04d}.txt",
            title=f"关于做好河道巡查工作的通知（第{i}号）",
            number=f"巡查发〔2023〕{i + 1}号",
            agency="",
            body=f"第一条 各单位应当做好第{i}号河道巡查工作。\n第二条 本通知自印发之日起施行。",
        )
    command = ["import", "-q", "--workers", "2", "--json", str(src)]
    proc = start_import(data, command)
    wait_until_archived(proc, data, 700, timeout=120)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    killed_at = len(archived_ids(data))
    assert killed_at < files, killed_at
    try:
        result = run_process(data, *command)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["imported"] + summary["duplicate"] == files
    assert summary["duplicate"] >= killed_at
    assert_verified(data, files)


def test_ctrl_c_stops_the_import_at_once_and_it_resumes(tmp_path: Path) -> None:
    """SIGINT to the whole process group (Ctrl-C in a terminal): the import ends within
    seconds with exit code 130 and one line on stderr, leaves no process behind, and the same
    command again completes it."""
    src, data = tmp_path / "src", tmp_path / "data"
    make_corpus(src)
    command = ["import", "-q", "--workers", "2", "--json", str(src)]
    proc = start_import(
        data,
        command,
        stderr=subprocess.PIPE,
        text=True,
        # a background job of a non-interactive shell starts with SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    wait_until_archived(proc, data, 20)
    os.killpg(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=20)
        gone = time.monotonic() + 5  # workers, fork server and index writer end too
        while not _group_gone(proc.pid):
            assert time.monotonic() < gone, "processes of the import outlived it"
            time.sleep(0.1)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == [
        "gongkai: error: interrupted; what was committed is kept (an import resumes when run again)"
    ]
    kept = len(archived_ids(data))
    assert 20 < kept < FILES
    result = run_process(data, *command)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["duplicate"] == kept
    assert_verified(data, FILES)


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False
