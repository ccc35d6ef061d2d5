"""How many archive statements one public search request makes, on both archive back ends.

On PostgreSQL every statement is a round trip to the server, so a results page must cost a
small, fixed number of them however many hits it shows: per-hit look-ups (statuses,
relations, cluster briefs, withdrawals) are one statement per page, and the change stamps
the caches check (page cache, synonyms, vocabulary, validity) are read once per request.
The documents are fictional (青测市 and its 文号 are invented for these tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from helpers import import_docs

from archive import Archive
from archive.backend import traced
from archive.relations import Relations
from archive.validity import statuses
from archive.withdrawals import withdraw, withdrawn_ids
from search_app import create_app

pytestmark = pytest.mark.usefixtures("archive_backend")

#: Statements a search request may make (today on PostgreSQL: the change counter (also the
#: vocabulary's stamp), the top hits' rows without texts and the page's with them, up to
#: six for their statuses, the cluster briefs; the withdrawn ids only after a change;
#: SQLite also reads which tables there are, in process, three times).
BOUND = {"postgresql": 9, "sqlite": 12}


def write_docs(folder: Path, count: int) -> None:
    """``count`` rules of one invented city; every third repeals the one before it, so that
    pages show relations and cluster briefs too."""
    folder.mkdir()
    for i in range(1, count + 1):
        repeal = (
            f"《青测市第{i - 1}号绿化管理办法》（青测发〔2020〕{i - 1}号）同时废止。"
            if i % 3 == 0
            else ""
        )
        (folder / f"rule-{i}.txt").write_text(
            f"名称：青测市第{i}号绿化管理办法\n发布机构：青测市人民政府\n"
            f"文号：青测发〔2020〕{i}号\n发布日期：2020-03-{i % 27 + 1:02d}\n有效性：有效\n\n"
            f"第一条 为了加强青测市第{i}片区的绿化养护管理，制定本办法。\n"
            f"第二条 养护单位应当每月检查一次。本办法自发布之日起施行。{repeal}\n",
            encoding="utf-8",
        )


@pytest.fixture
def data(tmp_path: Path) -> Path:
    write_docs(tmp_path / "docs", 24)
    data = tmp_path / "data"
    import_docs(data, tmp_path / "docs")
    return data


def statements(data: Path, page_size: int, url: str) -> list[str]:
    """The archive statements of one request for ``url`` (after a first one warmed the
    thread's connection and caches), with ``page_size`` hits a page."""
    app = create_app({"DATA_DIR": data, "PAGE_SIZE": page_size, "PAGE_CACHE_SIZE": 0})
    client = app.test_client()
    assert client.get(url).status_code == 200
    gk = app.extensions["gongkai_local"].gk
    gk.rows.clear()  # the documents' rows read as on a first visit (see the test below)
    with traced(gk.archive.conn) as seen:
        response = client.get(url)
    assert response.status_code == 200
    hits = response.get_json()["hits"] if url.startswith("/api/") else None
    if hits is not None:
        assert len(hits) == page_size
    return seen


@pytest.mark.parametrize("path", ["/search?q=绿化", "/api/v1/search?q=绿化&facets=1&limit={n}"])
def test_statements_do_not_grow_with_the_hits_on_a_page(
    data: Path, path: str, archive_backend: str
) -> None:
    few = statements(data, 2, path.format(n=2))
    many = statements(data, 20, path.format(n=20))
    assert len(many) <= len(few), many
    assert 0 < len(many) <= BOUND[archive_backend], many


def test_the_change_counter_is_read_once_per_request(data: Path) -> None:
    seen = statements(data, 10, "/search?q=绿化")
    counter = [s for s in seen if "FROM changes" in s and "documents" not in s]
    assert len(counter) <= 1, counter


def test_a_write_after_the_import_adds_no_table_scan_to_each_search(
    data: Path, archive_backend: str
) -> None:
    """After the import's vocabulary was saved, a staff edit changes the archive: searches
    must not then count the documents on every request (on PostgreSQL a COUNT(*) reads every
    row: milliseconds at 20,000 documents, on each request until the vocabulary is renewed)."""
    with Archive.open(data) as archive:
        doc = next(archive.iter_documents())
        archive.set_kind(doc.id, "interpretation", actor="staff", why="测试")
    seen = statements(data, 10, "/search?q=绿化")
    assert len(seen) <= BOUND[archive_backend], seen
    if archive_backend == "postgresql":
        assert not [s for s in seen if "COUNT(" in s.upper()], seen


def test_withdrawn_ids_are_read_again_only_after_a_change(data: Path) -> None:
    """Every search asks which documents are withdrawn (its cluster briefs never name one);
    the answer is kept until the archive changes, and a withdrawal made by another
    connection (another web node) is seen at the next request."""
    app = create_app({"DATA_DIR": data, "PAGE_SIZE": 30, "PAGE_CACHE_SIZE": 0})
    client = app.test_client()
    url = "/api/v1/search?q=绿化&limit=30"
    first = [h["id"] for h in client.get(url).get_json()["hits"]]
    conn = app.extensions["gongkai_local"].gk.archive.conn
    with traced(conn) as seen:
        assert [h["id"] for h in client.get(url).get_json()["hits"]] == first
    assert not [s for s in seen if "FROM withdrawals" in s], seen
    with Archive.open(data) as archive:
        withdraw(archive, first[0], actor="staff", reason="测试撤回")
    with traced(conn) as seen:
        assert client.get(url).status_code == 200
    assert [s for s in seen if "FROM withdrawals" in s], seen
    assert first[0] in withdrawn_ids(app.extensions["gongkai_local"].gk.archive)


#: The search the caching tests repeat.
URL = "/api/v1/search?q=绿化&limit=10"


def _asked_twice(data: Path) -> tuple[FlaskClient, Any, list[dict[str, Any]], list[str]]:
    """A web app's client for ``data`` and its archive connection, the hits of :data:`URL`,
    and the statements of asking it a second time (which must answer the same hits)."""
    app = create_app({"DATA_DIR": data, "PAGE_SIZE": 10, "PAGE_CACHE_SIZE": 0})
    client = app.test_client()
    hits = client.get(URL).get_json()["hits"]
    conn = app.extensions["gongkai_local"].gk.archive.conn
    with traced(conn) as seen:
        assert client.get(URL).get_json()["hits"] == hits
    return client, conn, hits, seen


def test_statuses_are_remembered_until_the_archive_changes(data: Path) -> None:
    """A results page asks the status of the same documents again and again: asked once,
    kept until the archive changes; a staff record made through another connection (another
    web node) shows at the next request."""
    client, conn, hits, seen = _asked_twice(data)
    assert not [s for s in seen if "status_changes" in s or "text_expiry" in s], seen
    target = hits[0]["id"]
    assert hits[0]["validity"] == "有效"
    with Archive.open(data) as archive:
        Relations(archive).record_status(target, "失效", effective="2020-01-01", note="测试")
    with traced(conn) as seen:
        again = {h["id"]: h["validity"] for h in client.get(URL).get_json()["hits"]}
    assert again[target] == "失效" and [s for s in seen if "status_changes" in s]


def _reads_rows(statement: str) -> bool:
    return statement.startswith(("SELECT * FROM documents WHERE id", "SELECT id, rev, title"))


def test_document_rows_are_remembered_until_the_archive_changes(data: Path) -> None:
    """A results page reads its hits' rows (to re-rank them, then the page's texts): kept
    until the archive changes (:mod:`indexer.row_cache`); a title corrected through another
    connection (another web node) shows at the next request."""
    client, conn, hits, seen = _asked_twice(data)
    assert not [s for s in seen if _reads_rows(s)], seen
    target = hits[0]["id"]
    with Archive.open(data) as archive, archive.transaction():
        archive.conn.execute(
            "UPDATE documents SET title = ? WHERE id = ?", ("青测市绿化管理办法（更正）", target)
        )
    with traced(conn) as seen:
        again = {h["id"]: h["title"] for h in client.get(URL).get_json()["hits"]}
    assert again[target] == "青测市绿化管理办法（更正）"
    assert [s for s in seen if _reads_rows(s)], seen


@pytest.mark.parametrize("archive_backend", ["postgresql"], indirect=True)  # SQLite: no round trips
def test_a_first_visit_waits_for_postgresql_three_times(data: Path) -> None:
    """On PostgreSQL what a search costs is the times it waits for the server: a results
    page's statements go in three round trips (the change counter; the top hits' rows with
    the facts of their statuses, one pipeline; the page's texts and briefs, one pipeline),
    however many statements that is. Measured on a first visit of every hit (a search that
    found nothing set up the web app's caches)."""
    app = create_app({"DATA_DIR": data, "PAGE_SIZE": 10, "PAGE_CACHE_SIZE": 0})
    client = app.test_client()
    assert client.get("/api/v1/search?q=沙漠").get_json()["hits"] == []
    conn = app.extensions["gongkai_local"].gk.archive.conn
    before = conn.round_trips
    with traced(conn) as seen:
        assert len(client.get(URL).get_json()["hits"]) == 10
    waited = conn.round_trips - before
    assert [s for s in seen if "status_changes" in s] and [s for s in seen if _reads_rows(s)]
    assert waited <= 3 < len(seen), (waited, seen)


def test_statuses_read_with_their_rows_are_the_statuses_read_alone(data: Path) -> None:
    """A search reads its top hits' rows and the facts of their statuses together, before it
    knows their rows (which say, for one, whether the text's own 施行日期 counts): the
    statuses must be those worked out from the rows first, for every hit, on both
    archives, relations and staff records included."""
    with Archive.open(data) as archive:
        last = next(d for d in archive.iter_documents() if d.title == "青测市第24号绿化管理办法")
        Relations(archive).record_status(last.id, "失效", effective="2020-01-01", note="测试")
    app = create_app({"DATA_DIR": data, "PAGE_SIZE": 30, "PAGE_CACHE_SIZE": 0})
    hits = app.test_client().get("/api/v1/search?q=绿化&limit=30").get_json()["hits"]
    with Archive.open(data) as archive:
        alone = statuses(archive, archive.get_many([h["id"] for h in hits], text=False).values())
    assert len(hits) == 24
    assert {h["id"]: h["validity"] for h in hits} == {i: s.validity for i, s in alone.items()}
    assert {s.validity for s in alone.values()} == {"有效", "失效", "已废止"}
