"""``gongkai serve`` as people run it (issue 15): several gunicorn processes that all see a
change made elsewhere at once, and a graceful restart on HUP. A real server on a free
loopback port; the choice of server is also tested without starting one."""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import signal
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from helpers import WEB, free_port, import_docs, run_process, start_serve, stop_serve

from search_app import serving

pytestmark = pytest.mark.skipif(not serving.gunicorn_available(), reason="needs gunicorn")


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", quote(path, safe="/?&=%"))
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.fixture
def running(tmp_path: Path):
    data = tmp_path / "data"
    ids = import_docs(data, WEB)
    port = free_port()
    server = start_serve(data, port, workers=2)
    try:
        deadline = time.monotonic() + 30  # the master forks its workers one after the other
        while len(worker_pids(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        yield server, port, data, ids
    finally:
        stop_serve(server)


def worker_pids(master: int) -> set[int]:
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rfind(")") + 2 :].split()[1]) == master:
            children.add(int(stat.parent.name))
    return children


def test_every_worker_sees_a_change_made_elsewhere_at_once(running) -> None:
    server, port, data, ids = running
    doc = ids["yuanlin-2020-5.txt"]
    assert len(worker_pids(server.pid)) == 2
    path = f"/api/v1/documents/{doc}"
    for _ in range(12):  # warm both workers (and their caches)
        status, body = get(port, path)
        assert status == 200 and json.loads(body)["status"]["validity"] == "有效"
        assert get(port, "/search?q=公园&valid_only=1")[1].count(doc.encode()) > 0
    changed = run_process(data, "status", doc, "失效")
    assert changed.returncode == 0, changed.stderr
    for _ in range(12):
        status, body = get(port, path)
        assert json.loads(body)["status"]["validity"] == "失效"
        assert doc.encode() not in get(port, "/search?q=公园&valid_only=1")[1]


def test_hup_restarts_the_workers_and_the_site_answers_throughout(running) -> None:
    server, port, _data, _ids = running
    before = worker_pids(server.pid)
    os.kill(server.pid, signal.SIGHUP)
    deadline = time.monotonic() + 30
    answered = 0
    while time.monotonic() < deadline:
        # gunicorn's gthread worker may reset a connection it accepted as it stops (#3038)
        with contextlib.suppress(ConnectionResetError):
            answered += get(port, "/search?q=公园")[0] == 200
        now = worker_pids(server.pid)
        if len(now) == 2 and not now & before:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the workers were not replaced within 30 s")
    assert answered > 0
    for _ in range(6):
        assert get(port, "/")[0] == 200


def test_server_choice() -> None:
    assert serving.pick_server("auto") == "gunicorn"
    assert serving.pick_server("waitress") == "waitress"
    assert serving.default_workers() >= 1


def test_a_warmed_app_holds_no_open_handle_and_its_templates_are_compiled(tmp_path: Path) -> None:
    """What gunicorn's master builds before forking: the pages' templates compiled and the
    searched archive closed again, so no worker inherits a connection or an index reader."""
    from functools import partial

    from search_app import create_app

    data = tmp_path / "data"
    import_docs(data, WEB)
    app = serving.warmed(partial(create_app, {"DATA_DIR": data}))()
    assert getattr(app.extensions["gongkai_local"], "gk", None) is None
    cached = {key[1] for key in (app.jinja_env.cache or {})}
    assert {"home.html", "search.html", "document.html", "error.html"} <= cached
    with app.test_client() as client:  # and it still answers, opening what it needs
        assert client.get("/search?q=公园").status_code == 200


def test_waitress_queue_warnings_are_one_every_ten_seconds() -> None:
    """Under a burst waitress warns at every request; the log gets the first warning and then
    one every ten seconds, saying the deepest queue and how many warnings it stands for."""
    now = [100.0]
    quiet = serving.QueueWarnings(every=10.0, clock=lambda: now[0])
    logger = logging.getLogger("gongkai-test-queue")
    logger.propagate = False
    kept: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: kept.append(record.getMessage())  # type: ignore[method-assign]
    logger.addHandler(handler)
    logger.addFilter(quiet)
    for depth in [3, 7, 16, 9, 4]:
        logger.warning("Task queue depth is %d", depth)
        now[0] += 1.0
    assert kept == ["Task queue depth is 3"]
    now[0] += 5.0  # ten seconds after the first
    logger.warning("Task queue depth is %d", 5)
    assert kept[1:] == ["Task queue depth is 5 (deepest 16; 5 such warnings in 10 s)"]
    logger.warning("Task queue depth is %d", 2)
    assert len(kept) == 2
