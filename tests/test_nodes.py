"""Several web nodes, one truth: two `gongkai serve` processes on different ports over one
PostgreSQL archive and one index. A staff change made through one is seen through the other
at once (caches keyed on the archive's change counter, which lives in the database); a
session started on one node is valid on the other and failed sign-ins count on both (kept
in the database, not in a process); and when one node is killed, a client searching
through the other sees nothing of it."""

from __future__ import annotations

import http.client
import http.cookies
import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import postgres
import pytest
from helpers import (
    PASSWORD,
    WEB,
    csrf_token,
    free_port,
    import_docs,
    start_serve,
    stop_serve,
)

from indexer.service import Gongkai
from search_app.auth import add_user


class Client:
    """A browser, reduced: one cookie jar, any node."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(
        self, port: int, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, quote(path, safe="/?&=%"), body=body, headers=headers)
            response = conn.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in http.cookies.SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            conn.close()


@pytest.fixture(scope="module")
def nodes(
    tmp_path_factory: pytest.TempPathFactory, postgres_schemas: None
) -> Iterator[tuple[int, int, dict[str, str], list[subprocess.Popen[bytes]]]]:
    """Two nodes over one new PostgreSQL archive, shared by this module's tests (started
    once: the last test kills node a)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        postgres.use(monkeypatch)  # the data directory's archive is a new PostgreSQL schema
        data = tmp_path_factory.mktemp("nodes") / "data"
        ids = import_docs(data, WEB)
        assert (data / "archive.url").exists() and not (data / "archive.sqlite3").exists()
        with Gongkai(data) as gk:
            add_user(gk.archive, "alice", PASSWORD)
        ports = free_port(), free_port()
        started = [start_serve(data, port, workers=1) for port in ports]
        try:
            yield ports[0], ports[1], ids, started
        finally:
            for node in started:
                stop_serve(node)


def validity(port: int, doc: str) -> str:
    status, body = Client().request(port, "GET", f"/api/v1/documents/{doc}")
    assert status == 200
    return str(json.loads(body)["status"]["validity"])


def sign_in(client: Client, port: int) -> None:
    token = csrf_token(client.request(port, "GET", "/login")[1])
    form = {"name": "alice", "password": PASSWORD, "csrf_token": token}
    assert client.request(port, "POST", "/login", form)[0] == 302


def test_a_change_through_one_node_is_seen_through_the_other_at_once(nodes) -> None:
    a, b, ids, _ = nodes
    doc = ids["yuanlin-2020-5.txt"]
    for _ in range(3):  # both nodes have answered (and cached) the page and the search
        for port in (a, b):
            assert validity(port, doc) == "有效"
            assert doc in Client().request(port, "GET", "/search?q=公园&valid_only=1")[1]
    staff = Client()
    sign_in(staff, a)  # signed in through node a …
    token = csrf_token(staff.request(b, "GET", "/staff/")[1])  # … a session node b knows
    form = {"doc_id": doc, "validity": "失效", "csrf_token": token}
    assert staff.request(b, "POST", "/staff/status", form)[0] == 302  # changed through b
    for port in (a, b):  # seen through both at once: no waiting, no expiry
        assert validity(port, doc) == "失效"
        assert doc not in Client().request(port, "GET", "/search?q=公园&valid_only=1")[1]


def test_failed_sign_ins_count_on_every_node(nodes) -> None:
    a, b, _ids, _ = nodes
    client = Client()  # (after the staff test, which signs alice in)
    for attempt in range(5):  # LOGIN_FAILURES_PER_PAIR, spread over both nodes
        port = (a, b)[attempt % 2]
        token = csrf_token(client.request(port, "GET", "/login")[1])
        form = {"name": "alice", "password": "wrong", "csrf_token": token}
        assert client.request(port, "POST", "/login", form)[0] == 401
    for port in (a, b):
        token = csrf_token(client.request(port, "GET", "/login")[1])
        form = {"name": "alice", "password": PASSWORD, "csrf_token": token}
        assert client.request(port, "POST", "/login", form)[0] == 429


# Last: it kills node a.
def test_searching_through_one_node_goes_on_when_the_other_is_killed(nodes) -> None:
    a, b, _ids, started = nodes
    answers: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def keep_searching() -> None:
        queries = ["公园", "通知", "管理", "办法"]
        while not done.is_set():
            try:
                path = f"/search?q={queries[len(answers) % len(queries)]}"
                answers.append(Client().request(b, "GET", path)[0])
            except OSError as exc:
                errors.append(exc)

    searcher = threading.Thread(target=keep_searching)
    searcher.start()
    try:
        time.sleep(1)
        before = len(answers)
        stop_serve(started[0], signal.SIGKILL)  # node a dies outright, its connections cut
        time.sleep(2)
    finally:
        done.set()
        searcher.join(30)
    assert not errors
    assert len(answers) > before > 0  # b answered before and after
    assert set(answers) == {200}
    with pytest.raises(OSError):
        Client().request(a, "GET", "/")
