"""Independent reads sent together (archive/reads.py): the same answers as asked one by one,
on both databases; on PostgreSQL one round trip for all of them, counted by a relay between
the archive and the server (tests/turn_counter.py), so a results page's statuses cost one
round trip where they cost six, and more for each step of a chain of versions."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import postgres
import pytest
from flask.testing import FlaskClient
from helpers import import_docs
from test_round_trips import write_docs
from turn_counter import TurnCounter, url_through
from werkzeug.test import TestResponse

from archive import Archive, Document, backend
from archive.clusters import cluster_of
from archive.reads import read, read_together
from archive.relations import Relations
from archive.text_facts import Expiry
from archive.validity import facts_of, statuses
from archive.version_chains import versions_of_read
from search_app import create_app


@contextmanager
def _relayed(data: Path, to: Path) -> Iterator[TurnCounter]:
    """A relay to the test server, and ``to`` a data directory whose archive is ``data``'s,
    reached through it (only its URL is written there)."""
    server = urlsplit(postgres.URL)
    with TurnCounter(server.hostname or "localhost", server.port or 5432) as relay:
        backend.store_url(to, url_through(backend.stored_url(data) or "", relay.port))
        yield relay


def _archive(data: Path) -> tuple[Archive, dict[str, str]]:
    """A document with a date only its text states, one repealed, one with a staff record
    naming the document that acted, one with an end to its 有效期, one superseded by a new
    version (e2), and the law that acted."""
    archive = Archive.open(data)
    ids = {}
    dates = {"a": "", "b": "2019-01-01", "c": "2019-02-01", "d": "2019-03-01",
             "e": "2019-04-01", "e2": "2020-04-01", "law": "2021-01-01"}  # fmt: skip
    for name, date in dates.items():
        doc = Document(title=f"关于{name}的通知", text=f"{name}的正文", date_issued=date)
        ids[name] = archive.add(doc, f"{name}-original".encode()).id
    relations = Relations(archive)
    relations.fill_effective(ids["a"], "2018-05-01", evidence="自2018年5月1日起施行", actor="t")
    relations.add(ids["law"], "repeals", ids["b"], effective="2021-06-01", actor="t")
    relations.record_status(ids["c"], "失效", effective="2022-01-01", by_doc=ids["law"], actor="t")
    relations.set_expiry(ids["d"], Expiry(ids["d"], "2024-03-01", "有效期五年"), "t")
    relations.add(ids["e2"], "supersedes", ids["e"], actor="t")
    return archive, ids


@pytest.mark.usefixtures("archive_backend")
def test_reads_sent_together_answer_as_each_asked_alone(tmp_path: Path) -> None:
    archive, ids = _archive(tmp_path / "data")
    relations = Relations(archive)
    every = list(ids.values())
    together = read_together(
        archive.conn,
        [
            relations.text_dates_read(every),
            relations.by_end_read("dst", every, types=("repeals",)),
            relations.status_changes_read(every),
            relations.expiries_read([]),  # (no statement: answered all the same)
            relations.expiries_read(every),
        ],
    )
    assert together == [
        relations.text_dates(every),
        relations.incoming(every, types=("repeals",)),
        relations.status_changes(every),
        {},
        relations.expiries(every),
    ]
    assert together[0] == {ids["a"]: "2018-05-01"}
    assert [r.src for r in together[1][ids["b"]]] == [ids["law"]]
    assert [c.validity for c in together[2][ids["c"]]] == ["失效"]
    assert together[4][ids["d"]].expires == "2024-03-01"
    docs = archive.get_many(every).values()
    found = statuses(archive, docs, "2023-01-01")  # (no 有效性 published: 未知 unless …)
    assert {name: found[i].validity for name, i in ids.items()} == {
        "a": "未知", "b": "已废止", "c": "失效", "d": "有效", "e": "已修改", "e2": "未知",
        "law": "未知",
    }  # fmt: skip
    assert found[ids["e"]].current_version == ids["e2"]
    assert statuses(archive, docs, "2024-03-01")[ids["d"]].validity == "失效"
    archive.close()


@pytest.mark.usefixtures("archive_backend")
def test_a_pages_facts_are_six_statements(tmp_path: Path) -> None:
    """Every kind of fact present (a text date, a repeal, a staff record, an end of 有效期, a
    later version): the documents acting on the page's documents come with their text dates,
    and the chains of versions with their documents, so six statements in all."""
    archive, ids = _archive(tmp_path / "data")
    relations = Relations(archive)
    relations.text_dates([])  # (the first statements read the schema's tables)
    docs = [replace(d, date_effective="") for d in archive.get_many(list(ids.values())).values()]
    with backend.traced(archive.conn) as seen:
        facts = facts_of(archive, relations, docs)
    assert len([s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]) == 6, seen
    assert set(facts.brief) == {ids["law"], ids["e2"]} and set(facts.later) == {ids["e2"]}
    assert facts.newer == {ids["e2"]: []}  # (nothing supersedes e2 in turn)
    assert facts.dates[ids["a"]] == "2018-05-01"  # the date its text states
    archive.close()


@pytest.mark.usefixtures("postgres_schemas")
def test_a_pages_facts_are_one_round_trip_on_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    postgres.use(monkeypatch)  # (SQLite has no round trips: it reads in the process)
    data = tmp_path / "data"
    archive, ids = _archive(data)
    docs = list(archive.get_many(list(ids.values())).values())
    with _relayed(data, tmp_path / "relayed") as relay:
        reader = Archive.open(tmp_path / "relayed", readonly=True)
        relations = Relations(reader)
        relations.text_dates([])  # (the first statements read the schema's tables)
        before = relay.turns
        facts = facts_of(reader, relations, docs)
        assert relay.turns - before == 1  # the documents' facts, the acting ones', versions
        assert set(facts.brief) == {ids["law"], ids["e2"]}
        before = relay.turns
        found = statuses(reader, docs, "2023-01-01")  # following e to its newest version too
        assert relay.turns - before == 1
        assert found[ids["e"]].current_version == ids["e2"]
        before = relay.turns
        one_by_one = [
            relations.text_dates([ids["a"]]),
            relations.incoming([ids["b"]]),
            relations.status_changes([ids["c"]]),
            relations.expiries([ids["d"]]),
        ]
        assert relay.turns - before == 4  # the relay counts every round trip
        assert all(one_by_one)
        reader.close()
    archive.close()


#: Round trips of a first visit's results page on PostgreSQL: the change counter, the top
#: hits' rows, their statuses, the page's texts with its cluster briefs; and, once after each
#: change to the archive, the day the index's validity was made. (Before: 11.)
PAGE_TURNS = 5


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, postgres_schemas: None) -> Site:
    """24 rules of one invented city, every third repealing the one before it, in a
    PostgreSQL archive (imported once for the tests that count a request's round trips)."""
    with pytest.MonkeyPatch.context() as patch:
        postgres.use(patch)
        docs = tmp_path_factory.mktemp("turns") / "docs"
        write_docs(docs, 24)
        data = docs.parent / "data"
        return Site(data, import_docs(data, docs))


@dataclass
class Site:
    data: Path
    ids: dict[str, str]  # file name → id


def _round_trips(
    site: Site,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ask: Callable[[FlaskClient], TestResponse],
    **config: object,
) -> tuple[int, TestResponse]:
    """The round trips of one request ``ask`` makes of the web app over a copy of ``site``'s
    data directory whose archive is reached through a relay, after a first request (the home
    page: the thread's connection and its caches), and its response."""
    postgres.use(monkeypatch)
    data = tmp_path / "data"
    shutil.copytree(site.data, data)
    with _relayed(site.data, data) as relay:
        client = create_app({"DATA_DIR": data, **config}).test_client()
        assert client.get("/").status_code == 200
        before = relay.turns
        response = ask(client)
        assert response.status_code == 200
        return relay.turns - before, response


@pytest.mark.parametrize("path", ["/search?q=绿化", "/api/v1/search?q=绿化&limit=20"])
def test_a_results_page_is_a_few_round_trips_on_postgresql(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    config = {"PAGE_SIZE": 20, "PAGE_CACHE_SIZE": 0}
    turns, response = _round_trips(site, tmp_path, monkeypatch, lambda c: c.get(path), **config)
    assert turns <= PAGE_TURNS
    if path.startswith("/api/"):
        hits = response.get_json()["hits"]
        assert len(hits) == 20 and any(h["cluster"].get("repealed_by") for h in hits)


def _chain(archive: Archive, length: int) -> list[str]:
    """``length`` versions of one rule, each superseding the one before."""
    ids = []
    for n in range(length):
        doc = Document(title="青测市养护办法", text=f"第{n}版", date_issued=f"201{n}-01-01")
        ids.append(archive.add(doc, f"v{n}".encode()).id)
        if n:
            Relations(archive).add(ids[n], "supersedes", ids[n - 1], actor="t")
    return ids


@pytest.mark.usefixtures("archive_backend")
def test_a_chain_of_versions_is_followed_to_its_end_and_a_cycle_ends_the_walk(
    tmp_path: Path,
) -> None:
    with Archive.open(tmp_path / "data") as archive:
        ids = _chain(archive, 5)
        docs = archive.get_many(ids)
        found = statuses(archive, [docs[ids[0]], docs[ids[2]]], "2020-01-01")
        assert found[ids[0]].current_version == found[ids[2]].current_version == ids[4]
        assert read(archive.conn, versions_of_read(Relations(archive), ids[2])) == set(ids)
        assert [d.id for d in cluster_of(archive, docs[ids[3]]).versions] == ids
        Relations(archive).add(ids[0], "supersedes", ids[4], actor="t")  # a data error
        facts = facts_of(archive, Relations(archive), [docs[ids[1]]])
        assert set(facts.later) == set(ids)  # every version (round to itself), each once
        assert statuses(archive, [docs[ids[1]]], "2020-01-01")[ids[1]].validity == "已修改"
        assert read(archive.conn, versions_of_read(Relations(archive), ids[4])) == set(ids)


@pytest.mark.usefixtures("postgres_schemas")
def test_a_chain_of_versions_costs_no_round_trip_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    postgres.use(monkeypatch)
    data = tmp_path / "data"
    with Archive.open(data) as archive:
        ids = _chain(archive, 6)
        first = archive.get_many(ids[:1])
    relayed = tmp_path / "relayed"
    with _relayed(data, relayed) as relay, Archive.open(relayed, readonly=True) as reader:
        Relations(reader).text_dates([])
        before = relay.turns
        found = statuses(reader, first.values(), "2020-01-01")
        assert relay.turns - before == 1  # the facts, the acting version and the rest
        assert found[ids[0]].current_version == ids[5]


#: Round trips of a batch check on PostgreSQL, however many references: the change counter;
#: every reference looked up at once; the statuses; the documents they name; the proposals
#: pending on the matches, and their documents. (Before: 181 for these 20 references.)
CHECK_TURNS = 6


def test_a_batch_check_is_a_few_round_trips_on_postgresql(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refs = [f"青测发[2020]{i}号" for i in range(1, 21)]
    turns, response = _round_trips(
        site, tmp_path, monkeypatch, lambda c: c.post("/api/v1/check", json={"refs": refs})
    )
    assert turns <= CHECK_TURNS
    results = response.get_json()["results"]
    assert [r["match"] for r in results] == ["doc_number"] * 20  # (a row per match)
    repealed = [i for i in range(1, 21) if (i + 1) % 3 == 0]  # by the rule after them
    assert [i for i, r in enumerate(results, 1) if r["validity"] == "已废止"] == (repealed)


#: Round trips of a document page on PostgreSQL: the change counter, the document, whether it
#: is withdrawn, its relations, its versions (one statement however many), their rows, the
#: statuses of all of them together, a cleanup decision naming it. (Before: 20.)
DOC_TURNS = 8


def test_a_document_page_is_a_few_round_trips_on_postgresql(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"/doc/{site.ids['rule-2.txt']}"
    turns, response = _round_trips(site, tmp_path, monkeypatch, lambda c: c.get(url))
    assert turns <= DOC_TURNS
    page = response.get_data(as_text=True)
    assert "已废止" in page and "青测市第3号绿化管理办法" in page  # repealed, and by which
