"""The importer and the web server as two accounts (issue 12, item 15).

Without a shared group the web server's account cannot read what the importer wrote
(originals 0600, web-secret.key 0600): ``gongkai serve`` must refuse to start with one clear
line and exit 8 rather than answer 500s, and an original that turns unreadable while serving
is a 503 page without paths. With ``gongkai init --group`` and the web account in the group,
the checks pass and originals are served, also those imported after the sharing.

The web account is the real unprivileged ``nobody`` (uid 65534): a forked child of the test
process drops to it with ``setgroups``/``setgid``/``setuid`` and runs the command or the app
in-process (the interpreter lives under /root, which ``nobody`` may not enter, so it cannot be
started again as ``nobody``; everything the child needs is imported before it forks). Those
tests need root and are skipped, with the reason, otherwise. The group is a free numeric gid,
so no account or group is created on the machine.
"""

from __future__ import annotations

# The child cannot import these after dropping to nobody: loaded here.
import encodings.idna
import encodings.unicode_escape  # noqa: F401
import grp
import json
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import import_docs, run_cli, write_doc

import search_app.access
from archive import Archive
from archive.errors import EXIT_ACCESS
from archive.originals import OriginalStore
from cli import main
from search_app import create_app

NOBODY = 65534
needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or not hasattr(os, "fork"),
    reason="needs root (to act as the unprivileged user nobody in a forked child)",
)


def free_gid() -> int:
    """A group id no group on this machine has (chgrp to it needs no /etc/group entry)."""
    gid = 54321
    while True:
        try:
            grp.getgrgid(gid)
        except KeyError:
            return gid
        gid += 1


def as_nobody(work: Callable[[], Any], groups: list[int] | None = None) -> Any:
    """``work()`` run in a forked child as ``nobody`` (in ``groups`` besides its own); its
    JSON-able result, or ``{"exception": "Type: message"}``."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read_end)
        try:
            os.setgroups(groups or [])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            result = work()
        except BaseException as exc:
            result = {"exception": f"{type(exc).__name__}: {exc}"}
        os.write(write_end, json.dumps(result).encode())
        os._exit(0)
    os.close(write_end)
    data = b""
    while chunk := os.read(read_end, 1 << 16):
        data += chunk
    os.close(read_end)
    os.waitpid(pid, 0)
    return json.loads(data)


def serve_check(data: Path) -> Callable[[], dict[str, Any]]:
    def work() -> dict[str, Any]:
        result = CliRunner().invoke(main, ["--data", str(data), "serve", "--check"])
        return {"code": result.exit_code, "stdout": result.stdout, "stderr": result.stderr}

    return work


def fetch_original(data: Path, doc_id: str) -> Callable[[], dict[str, Any]]:
    """GET /doc/<id>/original from a new app (its own connections, opened as the caller)."""

    def work() -> dict[str, Any]:
        app = create_app({"DATA_DIR": data, "SECRET_KEY": "test"})
        response = app.test_client().get(f"/doc/{doc_id}/original")
        local = app.extensions["gongkai_local"]
        for held in (getattr(local, "gk", None), getattr(local, "auth", None)):
            if held is not None:
                held.close()  # no connection left open: a writer's close removes -wal/-shm
        with Archive.open(data, readonly=True) as archive:
            immutable = archive.immutable
        return {
            "status": response.status_code,
            "body": response.get_data().decode("utf-8", "replace"),
            "immutable": immutable,
        }

    return work


@pytest.fixture
def umask() -> Iterator[None]:
    """A shared data directory sets this process's umask to 027; put it back afterwards."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


@pytest.fixture
def data(umask: None) -> Iterator[Path]:
    """A data directory holding two documents, in a folder ``nobody`` may enter (pytest's
    own tmp_path is under a 0700 folder)."""
    base = Path(tempfile.mkdtemp(prefix="gongkai-perm-"))
    base.chmod(0o755)
    folder = base / "src"
    write_doc(folder, "a.txt", title="青测市关于共享目录权限测试的通知", body="测试正文甲。")
    write_doc(folder, "b.txt", title="青测市关于服务账号读取权限的通知", body="测试正文乙。")
    data = base / "data"
    import_docs(data, folder)
    # Warm up as root: every module and codec the child needs is loaded before it forks.
    doc_id = next(iter(import_docs_ids(data)))
    fetch_original(data, doc_id)()
    serve_check(data)()
    yield data
    shutil.rmtree(base)


def import_docs_ids(data: Path) -> list[str]:
    with Archive.open(data, readonly=True) as archive:
        return sorted(doc.id for doc in archive.iter_documents())


@needs_root
def test_without_a_group_serve_refuses_with_one_line_and_an_original_is_a_503(data: Path):
    result = as_nobody(serve_check(data))
    assert result["code"] == EXIT_ACCESS
    lines = result["stderr"].strip().splitlines()
    assert len(lines) == 1
    assert "nobody (uid 65534)" in lines[0]
    assert "cannot read what the site needs" in lines[0]
    assert "gongkai init --group" in lines[0]
    assert "Traceback" not in result["stderr"]

    doc_id = import_docs_ids(data)[0]
    page = as_nobody(fetch_original(data, doc_id))
    assert page["status"] == 503
    assert "没有读取权限" in page["body"]
    assert str(data) not in page["body"] and "Permission" not in page["body"]


@needs_root
def test_init_group_lets_the_web_account_read_originals_old_and_new(data: Path):
    gid = free_gid()
    shared = run_cli(data, "init", "--group", str(gid), "--json")
    assert shared.exit_code == 0, shared.stderr
    assert json.loads(shared.stdout)["group"] == str(gid)
    for path in [data, *data.rglob("*")]:
        mode = path.stat().st_mode
        assert path.stat().st_gid == gid, path
        assert not mode & 0o007, path  # nothing for others
        if path.is_dir():
            assert mode & stat.S_ISGID and mode & 0o050 == 0o050, path
        else:
            assert mode & 0o040, path

    # Written after the sharing (by the writer, umask 027): group-readable, setgid folders.
    new = data.parent / "later"
    write_doc(new, "c.txt", title="青测市关于共享之后导入文件的通知", body="测试正文丙。")
    before = set(import_docs_ids(data))
    import_docs(data, new)
    (added,) = set(import_docs_ids(data)) - before
    with Archive.open(data, readonly=True) as archive:
        original = archive.originals.path(archive.get(added).sha256)
    assert stat.S_IMODE(original.stat().st_mode) == 0o640
    assert original.stat().st_gid == gid
    assert original.parent.stat().st_mode & stat.S_ISGID
    assert stat.S_IMODE((data / "archive.sqlite3").stat().st_mode) == 0o640
    create_app({"DATA_DIR": data})  # creates web-secret.key in the shared directory
    assert stat.S_IMODE((data / "web-secret.key").stat().st_mode) == 0o640

    assert not Path(f"{data / 'archive.sqlite3'}-wal").exists()  # the writer closed cleanly
    result = as_nobody(serve_check(data), [gid])
    assert result["code"] == 0, result
    page = as_nobody(fetch_original(data, added), [gid])
    assert page["status"] == 200
    assert "共享之后导入文件" in page["body"]
    # nobody may not create -wal/-shm in the 2750 folder: it read the database as immutable
    assert page["immutable"] is True

    # nobody in no group is still refused.
    refused = as_nobody(serve_check(data))
    assert refused["code"] == EXIT_ACCESS, refused


@needs_root
def test_a_reader_opened_immutable_reopens_once_a_writer_starts(data: Path):
    gid = free_gid()
    assert run_cli(data, "init", "--group", str(gid)).exit_code == 0
    Archive.open(data).close()  # as the importer leaves it: the last writer removes -wal/-shm
    assert not Path(f"{data / 'archive.sqlite3'}-wal").exists()

    def work() -> list[bool]:
        archive = Archive.open(data, readonly=True)
        seen = [archive.immutable, archive.outdated()]
        os.write(ready_w, b"1")
        os.read(go_r, 1)  # the writer (root) has opened the database meanwhile
        seen.append(archive.outdated())
        return seen

    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    results: list[Any] = []
    child = threading.Thread(target=lambda: results.append(as_nobody(work, [gid])))
    child.start()
    os.read(ready_r, 1)
    writer = Archive.open(data)
    os.write(go_w, b"1")
    child.join()
    writer.close()
    assert results == [[True, False, True]]


def test_originals_are_private_unless_their_folder_is_setgid(tmp_path: Path, umask: None):
    private = OriginalStore(tmp_path / "private")
    digest = private.put(b"private bytes")
    assert stat.S_IMODE(private.path(digest).stat().st_mode) == 0o600

    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o2750)
    shared = OriginalStore(folder)
    digest = shared.put(b"shared bytes")
    assert stat.S_IMODE(shared.path(digest).stat().st_mode) == 0o640
    assert shared.path(digest).parent.stat().st_mode & stat.S_ISGID


def test_init_with_an_unknown_group_is_a_usage_error_and_changes_nothing(tmp_path: Path):
    result = run_cli(tmp_path / "data", "init", "--group", "no-such-group-gongkai")
    assert result.exit_code == 2
    assert "no group named 'no-such-group-gongkai'" in result.stderr
    assert not (tmp_path / "data").exists()


def test_serve_check_passes_for_the_owner_and_names_the_data_directory(data: Path):
    result = run_cli(data, "serve", "--check")
    assert result.exit_code == 0, result.stderr
    assert search_app.access.unreadable(data) == []
