"""Following a document or a search (issue 16 item 3): Atom feeds read back with feedparser
and the JSON API, over the three versions of tests/fixtures/versions/ and an interpretation
written here. A feed must change when staff change a status (the library call staff pages
use), every entry must show the status today, and an unknown parameter is a 400."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
from helpers import FIXTURES, html, import_docs, write_doc

from indexer.service import Gongkai
from search_app import create_app

VERSIONS = FIXTURES / "versions"


@pytest.fixture
def site(tmp_path: Path) -> dict:
    """The versions (2023 supersedes 2019) and a confirmed interpretation of 2023."""
    folder = tmp_path / "extra"
    write_doc(
        folder,
        "jiedu.txt",
        title="社区图书室管理办法修正解读",
        agency="青测市文化和旅游局",
        issued="2023-09-25",
        validity="有效",
        body="一、修正的背景\n本次修正调整了社区图书室的面积标准，增加了电子图书借阅服务。",
    )
    data = tmp_path / "data"
    ids = import_docs(data, VERSIONS, folder)
    with Gongkai(data) as gk:
        gk.link(ids["tushushi-2023.txt"], "supersedes", ids["tushushi-2019.txt"])
        gk.link(ids["jiedu.txt"], "interprets", ids["tushushi-2023.txt"])
    client = create_app({"DATA_DIR": data, "TESTING": True}).test_client()
    return {"data": data, "ids": ids, "client": client}


def feed(client, url: str):  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    return parsed


def kinds(parsed) -> list[str]:  # type: ignore[no-untyped-def]
    return [entry.tags[0].term for entry in parsed.entries]


def test_document_feed_lists_versions_interpretations_and_arrival(site: dict) -> None:
    ids = site["ids"]
    current = feed(site["client"], f"/doc/{ids['tushushi-2023.txt']}/feed.atom")
    assert "青测市社区图书室管理办法" in current.feed.title
    assert kinds(current) == ["interpretation", "new"]  # newest first
    assert "解读" in current.entries[0].title and current.entries[0].link.endswith(ids["jiedu.txt"])
    assert all("（现为有效）" in e.title for e in current.entries)
    older = feed(site["client"], f"/doc/{ids['tushushi-2019.txt']}/feed.atom")
    assert kinds(older) == ["version", "new"]
    assert older.entries[0].link.endswith(ids["tushushi-2023.txt"])  # the new version
    assert all("现为已修改" in e.title for e in older.entries)


def test_feeds_change_when_staff_change_a_status(site: dict) -> None:
    ids, client = site["ids"], site["client"]
    doc_id = ids["tushushi-2023.txt"]
    before_doc = feed(client, f"/doc/{doc_id}/feed.atom")
    before_search = feed(client, "/search.atom?q=图书室")
    with Gongkai(site["data"]) as gk:
        gk.set_status(doc_id, "已废止", date="2024-01-01", note="市政府决定废止", actor="alice")
    after_doc = feed(client, f"/doc/{doc_id}/feed.atom")
    assert kinds(after_doc) == ["status", "interpretation", "new"]
    assert "有效 → 已废止" in after_doc.entries[0].title
    # Every entry, old ones included, shows the status today — not the one of its time.
    assert all("（现为已废止）" in e.title for e in after_doc.entries)
    same = {e.id: e.title for e in before_doc.entries}
    changed = [e for e in after_doc.entries if e.id in same and same[e.id] != e.title]
    assert len(changed) == 2
    after_search = feed(client, "/search.atom?q=图书室")
    assert len(after_search.entries) == len(before_search.entries) + 1
    top = after_search.entries[0]
    assert top.tags[0].term == "status" and top.link.endswith(doc_id)
    # Withdrawing the staff record makes it current again, and the feed says so.
    with Gongkai(site["data"]) as gk:
        gk.set_status(doc_id, "", note="撤销误录", actor="alice")
    again = feed(client, f"/doc/{doc_id}/feed.atom")
    assert kinds(again)[:2] == ["status", "status"]
    assert all("（现为有效）" in e.title for e in again.entries)


def test_search_feed_follows_matching_documents_only(site: dict) -> None:
    client = site["client"]
    all_versions = feed(client, "/search.atom?q=图书室")
    assert set(kinds(all_versions)) == {"new"}
    assert len(all_versions.entries) == 4  # three versions and the interpretation
    only_valid = feed(client, "/search.atom?q=图书室&validity=有效")
    assert {e.link.rsplit("/", 1)[1] for e in only_valid.entries} == {
        site["ids"]["tushushi-2023.txt"],
        site["ids"]["jiedu.txt"],
    }
    assert feed(client, "/search.atom?q=不存在的词语组合").entries == []
    assert feed(client, "/search.atom?q=图书室&since=2999-01-01").entries == []


def test_search_feed_sees_an_old_match_change_among_many_newer(
    site: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search is matched against the documents changed most recently, not its newest
    matches: the oldest version's repeal is in the feed even when only one document is
    followed and newer ones match."""
    from indexer import service

    monkeypatch.setattr(service, "FOLLOWED_MATCHES", 1)
    oldest = site["ids"]["tushushi-2015.txt"]
    with Gongkai(site["data"]) as gk:
        gk.set_status(oldest, "已废止", date="2024-01-01", note="决定废止", actor="alice")
        events = gk.search_events("图书室")
    assert [(e.kind, e.doc.id) for e in events] == [("status", oldest), ("new", oldest)]


@pytest.mark.parametrize(
    "url",
    [
        "/search.atom?q=图书室&bogus=1",
        "/search.atom?q=图书室&page=2",
        "/search.atom?q=图书室&since=昨天",
        "/feed.atom?q=就业",
        "DOC/feed.atom?limit=5",
        "/api/v1/search/events?q=图书室&sort=newest",
        "/api/v1/search/events?q=图书室&limit=1000",
        "/api/v1/documents/DOC/events?bogus=1",
        "/api/v1/documents/DOC/events?since=2020-13-45",
    ],
)
def test_unknown_or_bad_parameters_are_errors(site: dict, url: str) -> None:
    url = url.replace("DOC", site["ids"]["tushushi-2023.txt"])
    if url.endswith("/feed.atom?limit=5"):
        url = "/doc/" + url
    response = site["client"].get(url)
    assert response.status_code == 400
    names = list(parse_qs(urlsplit(url).query))
    name = names[-1]  # the one that is wrong comes last
    text = response.get_data(as_text=True)
    assert name in text
    if url.startswith("/api/"):
        assert response.get_json()["error"]["param"] == name


def test_api_events(site: dict) -> None:
    ids, client = site["ids"], site["client"]
    data = client.get(f"/api/v1/documents/{ids['tushushi-2019.txt']}/events").get_json()
    assert data["doc_id"] == ids["tushushi-2019.txt"]
    first = data["events"][0]
    assert {"seq", "at", "kind", "kind_label", "what", "doc", "current_validity", "status"} <= set(
        first
    )
    assert (first["kind"], first["current_validity"]) == ("version", "已修改")
    assert first["related"]["id"] == ids["tushushi-2023.txt"]
    assert client.get(f"/api/v1/documents/{ids['tushushi-2019.txt']}/events?limit=1").get_json()[
        "events"
    ] == [first]
    found = client.get("/api/v1/search/events?q=图书室&since=2000-01-01&kind=notice").get_json()
    assert found["query"] == "图书室" and {e["kind"] for e in found["events"]} == {"new"}
    assert client.get("/api/v1/documents/0000000000/events").status_code == 404
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/documents/{doc_id}/events", "/search/events"} <= set(paths)
    names = {p["name"] for p in paths["/search/events"]["get"]["parameters"]}
    assert {"q", "validity", "since", "limit"} <= names and "sort" not in names


def test_pages_link_their_feeds(site: dict) -> None:
    ids, client = site["ids"], site["client"]
    page = html(client.get(f"/doc/{ids['tushushi-2023.txt']}"))
    feed_url = f"/doc/{ids['tushushi-2023.txt']}/feed.atom"
    assert page.css_first("#follow-document").attributes["href"] == feed_url
    alternates = [n.attributes["href"] for n in page.css('link[type="application/atom+xml"]')]
    assert feed_url in alternates
    results = html(client.get("/search?q=图书室&validity=有效&page=1&sort=newest"))
    href = results.css_first("#follow-search").attributes["href"]
    assert urlsplit(href).path == "/search.atom"
    assert parse_qs(urlsplit(href).query) == {"q": ["图书室"], "validity": ["有效"]}
    assert href in [n.attributes["href"] for n in results.css('link[rel="alternate"]')]
    assert feed(client, href).entries  # the link works
