"""Caching that is never stale (issue 15): the archive's persistent change counter, ETag and
Last-Modified on public answers with 304s, and the page cache, compared with uncached answers
right after a staff change made through another app (another worker) and across midnight for
a dated repeal."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from helpers import PASSWORD, WEB, csrf_token, import_docs, login

import archive.validity
import search_app.checking
import search_app.params
from archive import Archive, schema
from archive.sessions import Sessions
from indexer.service import Gongkai
from search_app import create_app
from search_app.auth import add_user

#: Every test here runs on an SQLite and on a PostgreSQL archive.
pytestmark = pytest.mark.usefixtures("archive_backend")

# -- the counter ---------------------------------------------------------------------------


def test_every_table_a_reader_sees_bumps_the_counter(tmp_path: Path) -> None:
    with Archive.open(tmp_path) as archive:
        counted = schema.tables(archive.conn) - schema.UNCOUNTED - {"gongkai_schema"}
        if archive.dialect == "sqlite":
            master = archive.conn.execute("SELECT type, name, tbl_name FROM sqlite_master")
            triggers = {(r[2], r[1]) for r in master if r[0] == "trigger"}
            names = ["{table}_counts_insert", "{table}_counts_update", "{table}_counts_delete"]
        else:  # one row trigger per table, on insert, update and delete
            triggers = {
                (r[0], r[1])
                for r in archive.conn.execute(
                    "SELECT c.relname, t.tgname FROM pg_trigger t "
                    "JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE c.relnamespace = current_schema()::regnamespace "
                    "AND t.tgtype & 28 = 28"  # INSERT (4), DELETE (8) and UPDATE (16)
                )
            }
            names = ["{table}_counts_changes"]
    assert {"documents", "history", "relations", "status_changes", "meta"} <= counted
    for table in counted:
        for name in names:
            assert (table, name.format(table=table)) in triggers


def test_counter_moves_for_imports_and_staff_changes_not_for_sessions(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ids = import_docs(data, WEB)
    reader = Archive.open(data, readonly=True)  # another connection, as in another process
    after_import = reader.changes()
    assert after_import is not None and after_import[0] > 0
    with Gongkai(data) as gk:
        add_user(gk.archive, "alice", PASSWORD)
        Sessions(gk.archive).start("alice")
        assert reader.changes() == after_import  # accounts and sign-ins change nothing public
        gk.set_status(ids["yuanlin-2020-5.txt"], "失效", actor="wang")
    after_staff = reader.changes()
    assert after_staff is not None and after_staff[0] > after_import[0]
    assert after_staff[1] >= after_import[1]
    reader.close()


def test_an_archive_from_before_the_counter_gets_it_when_opened(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / Archive.DB_NAME, isolation_level=None)
    for script in schema.MIGRATIONS[:7]:
        for statement in schema._statements(script):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 7")
    conn.close()
    with Archive.open(tmp_path, readonly=True) as old:
        assert old.changes() is None  # nothing may be cached by it
    with Archive.open(tmp_path) as migrated:
        assert migrated.changes() is not None
        before = migrated.changes()
        migrated.conn.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
        assert migrated.changes()[0] == before[0] + 1  # type: ignore[index]


# -- validators and 304s -------------------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    data = tmp_path / "data"
    ids = import_docs(data, WEB)
    with Gongkai(data) as gk:
        add_user(gk.archive, "alice", PASSWORD)
    return data, ids


def app_for(data: Path, cache: int = 256) -> Flask:
    return create_app(
        {"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "c", "PAGE_CACHE_SIZE": cache}
    )


def public_urls(ids: dict[str, str]) -> list[str]:
    doc = ids["yuanlin-2020-5.txt"]
    return [
        "/",
        "/search?q=公园",
        "/search?q=公园&valid_only=1",
        "/search?q=管理办法&sort=newest",
        f"/doc/{doc}",
        "/api/v1/search?q=公园",
        "/api/v1/search?q=管理&valid_only=1",
        f"/api/v1/documents/{doc}",
        f"/api/v1/documents/{doc}/cluster",
        "/api/v1/check?ref=青园发〔2020〕5号&ref=青交规〔2022〕3号",
        "/api/v1/feed",
        "/feed.atom",
    ]


def test_public_answers_carry_validators_and_repeat_visits_get_304(site) -> None:
    data, ids = site
    client = app_for(data).test_client()
    for url in public_urls(ids):
        first = client.get(url)
        assert first.status_code == 200, url
        etag, modified = first.headers.get("ETag"), first.headers.get("Last-Modified")
        assert etag and modified, url
        assert first.headers["Cache-Control"] == "no-cache"
        again = client.get(url, headers={"If-None-Match": etag})
        assert (again.status_code, again.data) == (304, b""), url
        assert again.headers["ETag"] == etag
        assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
        old = "Mon, 01 Jan 2001 00:00:00 GMT"
        assert client.get(url, headers={"If-Modified-Since": old}).status_code == 200
        stale = client.get(url, headers={"If-None-Match": '"other"', "If-Modified-Since": modified})
        assert stale.status_code == 200, url  # If-None-Match decides when both are sent


def test_personal_and_staff_pages_get_no_validators(site) -> None:
    data, _ids = site
    app = app_for(data)
    anonymous = app.test_client()
    form = anonymous.get("/check")  # carries a CSRF token made for this visitor
    assert form.status_code == 200 and "ETag" not in form.headers
    staff = app.test_client()
    assert login(staff).status_code == 302
    for url in ("/search?q=公园", "/", "/staff/"):
        page = staff.get(url)
        assert page.status_code == 200 and "ETag" not in page.headers, url
    missing = anonymous.get("/doc/nosuchdocument")
    assert missing.status_code == 404 and "ETag" not in missing.headers


def _validity(body: bytes) -> str:
    """The status of the document an API answer is about (its versions carry their own)."""
    return str(json.loads(body)["status"]["validity"])


def answers(client, urls: list[str]) -> dict[str, tuple[int, bytes, str | None]]:
    found = {}
    for url in urls:
        response = client.get(url)
        found[url] = (response.status_code, response.data, response.headers.get("ETag"))
    return found


def test_cached_answers_equal_uncached_ones_right_after_a_staff_change_elsewhere(site) -> None:
    data, ids = site
    urls = public_urls(ids)
    cached_app = app_for(data)  # a worker with its page cache, warmed up
    cached = cached_app.test_client()
    before = answers(cached, urls)
    assert answers(cached, urls) == before  # served from the cache the second time
    assert len(cached_app.extensions["gongkai_pages"]) > 0
    staff_app = app_for(data)  # another worker takes the staff change
    staff = staff_app.test_client()
    login(staff)
    token = csrf_token(staff.get("/staff/"))
    doc = ids["yuanlin-2020-5.txt"]
    response = staff.post(
        "/staff/status", data={"csrf_token": token, "doc_id": doc, "validity": "失效"}
    )
    assert response.status_code == 302
    now_cached = answers(cached, urls)
    uncached = answers(app_for(data, cache=0).test_client(), urls)
    assert now_cached == uncached
    for url in urls:
        assert now_cached[url][2] != before[url][2], url  # every validator moved
    assert before["/search?q=公园&valid_only=1"][1] != now_cached["/search?q=公园&valid_only=1"][1]
    assert "失效".encode() in now_cached[f"/api/v1/documents/{doc}"][1]


class _Day:
    """The day the tests say it is."""

    value = date(2030, 1, 1)


class _FakeDate(date):
    """Stands in for ``datetime.date`` where the code asks for today."""

    @classmethod
    def today(cls) -> date:  # type: ignore[override]
        return _Day.value


def test_a_dated_repeal_flips_at_midnight_in_cached_answers(site, monkeypatch) -> None:
    data, ids = site
    doc = ids["yuanlin-2020-5.txt"]
    for module in (archive.validity, search_app.params, search_app.checking):
        monkeypatch.setattr(module, "date", _FakeDate)
    _Day.value = date(2030, 1, 1)
    with Gongkai(data) as gk:
        gk.set_status(doc, "已废止", date="2030-01-02", actor="wang")
    urls = [
        "/search?q=公园&valid_only=1",
        "/search?q=公园",
        f"/doc/{doc}",
        "/api/v1/search?q=公园&valid_only=1",
        f"/api/v1/documents/{doc}",
        "/api/v1/check?ref=青园发〔2020〕5号",
    ]
    cached = app_for(data).test_client()
    evening = answers(cached, urls)
    assert answers(cached, urls) == evening
    assert evening == answers(app_for(data, cache=0).test_client(), urls)
    assert _validity(evening[f"/api/v1/documents/{doc}"][1]) == "有效"
    _Day.value = date(2030, 1, 2)
    morning = answers(cached, urls)
    assert morning == answers(app_for(data, cache=0).test_client(), urls)
    for url in urls:
        assert morning[url][1] != evening[url][1], url
        assert morning[url][2] != evening[url][2], url
    assert _validity(morning[f"/api/v1/documents/{doc}"][1]) == "已废止"
