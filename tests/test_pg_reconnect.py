"""PostgreSQL restarts under a running Gongkai. A web node answers 503 (a plain message, no
exception text) while the database is down and answers again once it is back, without being
restarted itself; an import stops with one line and exit code 5, having committed only whole
documents, and the same command run again completes it.

Each test runs its own PostgreSQL server (:mod:`private_postgres`), so that stopping it
disturbs no other test."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import (
    WEB,
    archived_ids,
    free_port,
    import_docs,
    run_process,
    start_serve,
    stop_serve,
)
from private_postgres import PrivateServer
from test_nodes import Client
from test_resume import FILES, assert_verified, make_corpus, start_import, wait_until_archived

from archive.backend import NEW_ENV, PREFIX_ENV

LEAKS = ("psycopg", "OperationalError", "Traceback", "server closed", "127.0.0.1")


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateServer]:
    """A running private server; every archive created in the test gets a schema in it."""
    pg = PrivateServer(free_port())
    try:
        pg.start()
        monkeypatch.setenv(NEW_ENV, pg.url)
        monkeypatch.setenv(PREFIX_ENV, "gkrestart")
        yield pg
    finally:
        pg.close()


def search(port: int, query: str) -> tuple[int, str]:
    return Client().request(port, "GET", f"/api/v1/search?q={query}")


def test_a_web_node_answers_503_while_the_database_is_down_then_recovers(
    server: PrivateServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    ids = import_docs(data, WEB)
    assert (data / "archive.url").exists()
    port = free_port()
    node = start_serve(data, port, workers=1)
    statuses: list[int] = []
    done = threading.Event()

    def keep_searching() -> None:  # a client searching all along, through the restart
        while not done.is_set():
            with contextlib.suppress(OSError):
                statuses.append(search(port, "公园")[0])
            time.sleep(0.05)

    client = threading.Thread(target=keep_searching)
    try:
        status, body = search(port, "公园")
        assert status == 200 and ids["yuanlin-2020-5.txt"] in body
        client.start()
        server.stop("fast")  # every session ended, as a restart does
        for query, path in (
            ("api", "/api/v1/search?q=自行车"),  # not answered before: nothing cached
            ("page", "/search?q=停放"),
            ("document", f"/api/v1/documents/{ids['jiaotong-2018-9.txt']}"),
        ):
            status, body = Client().request(port, "GET", path)
            assert status == 503, (query, status, body[:300])
            assert not any(leak in body for leak in LEAKS), body
            assert "稍后再试" in body
        status, body = search(port, "绿地")
        assert json.loads(body)["error"]["code"] == "database_unavailable"
        assert node.poll() is None  # the node itself keeps running

        server.start()
        status, body = search(port, "自行车")
        assert status == 200 and ids["jiaotong-2018-9.txt"] in body
        status, body = Client().request(
            port, "GET", f"/api/v1/documents/{ids['yuanlin-2020-5.txt']}"
        )
        assert status == 200
        time.sleep(0.5)
    finally:
        done.set()
        if client.is_alive():
            client.join(30)
        stop_serve(node)
    log = (data / f"serve-{port}.log").read_text(errors="replace")
    assert set(statuses) <= {200, 503}, (statuses, log[log.find("ERROR") :][:3000])
    assert 503 in statuses and statuses[-1] == 200, statuses


def test_an_import_stops_with_one_line_when_the_database_goes_and_resumes(
    server: PrivateServer, tmp_path: Path
) -> None:
    src, data = tmp_path / "src", tmp_path / "data"
    make_corpus(src)
    command = ["import", "-q", "--workers", "1", "--json", str(src)]
    proc = start_import(data, command, stderr=subprocess.PIPE)
    try:
        wait_until_archived(proc, data, 20)
        server.stop("immediate")  # as if the database server crashed
        _, stderr = proc.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    assert proc.returncode == 5, lines
    assert len(lines) == 1 and "archive database" in lines[0], "\n".join(lines)
    assert "Traceback" not in lines[0]

    server.start()
    kept = len(archived_ids(data))
    assert 20 < kept < FILES, kept
    again = run_process(data, *command, timeout=300)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["failed"] == 0
    assert summary["imported"] + summary["duplicate"] == FILES
    assert summary["duplicate"] == kept  # the committed documents were whole: none again
    assert len(archived_ids(data)) == FILES
    assert_verified(data, FILES)
