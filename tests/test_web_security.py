"""The web site answers hostile input with a 400 and a clear message, never a 500, a leak or
a stored bad value (issue 12, items 3-6 and 9): staff dates validated like the CLI's, security
headers on every response, originals labelled with their real charset, absolute URLs from the
configured base URL, bounded bodies and queries, XML that stays XML, and document ids that
work at their own page."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers import PASSWORD, WEB, csrf_token, history_rows, import_docs, login

from archive import Archive
from indexer.manifest import row_meta
from indexer.query import MAX_CLAUSES, MAX_QUERY_CHARS, QuerySyntaxError, parse
from indexer.service import Gongkai
from search_app import create_app
from search_app.auth import add_user

ATOM = "{http://www.w3.org/2005/Atom}"
BAD_DATES = ["yesterday", "2019-13-45", "2019-02-30", "<b>x</b>", "0000-00-00"]


@pytest.fixture(scope="module")
def template_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("security-template")
    folder = tmp_path_factory.mktemp("security-files")
    (folder / "gbk-notice.txt").write_bytes(
        "青川市关于公园夜间开放的通知\n\n各区：公园夜间开放至二十二时。\n".encode("gbk")
    )
    manifest = folder / "hostile.jsonl"
    row = {
        "id": "control-chars",
        "title": "关于控制\x07字符\x1b标题的通知\ufffe",
        "body": "正文含有\x0b垂直制表符与\x1f分隔符。",
    }
    manifest.write_text(json.dumps(row, ensure_ascii=False), encoding="utf-8")
    import_docs(data, WEB, folder / "gbk-notice.txt")
    with Gongkai(data) as gk:
        assert gk.import_manifest(manifest).counts().get("imported") == 1
        add_user(gk.archive, "alice", PASSWORD)
    return data


@pytest.fixture
def data(template_data: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(template_data, target)
    return target


@pytest.fixture
def app(data: Path) -> Flask:
    return create_app({"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "w"})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def ids(data: Path) -> dict[str, str]:
    with Archive.open(data, readonly=True) as archive:
        rows = archive.conn.execute("SELECT source_name, id FROM documents")
        return {r["source_name"]: r["id"] for r in rows}


def staff(app: Flask) -> tuple[FlaskClient, str]:
    client = app.test_client()
    assert login(client).status_code == 302
    return client, csrf_token(client.get("/staff/"))


def status_rows(data: Path) -> list[tuple]:
    with Archive.open(data, readonly=True) as archive:
        return [tuple(r) for r in archive.conn.execute("SELECT * FROM status_changes")]


# -- item 3: staff dates and notes ---------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_DATES)
def test_staff_status_refuses_a_bad_date_and_stores_nothing(
    app: Flask, data: Path, bad: str
) -> None:
    client, token = staff(app)
    doc = ids(data)["jiaotong-2022-3.txt"]
    before = (history_rows(data), status_rows(data))
    response = client.post(
        "/staff/status",
        data={"csrf_token": token, "doc_id": doc, "validity": "已废止", "date": bad},
    )
    assert response.status_code == 400
    assert "日期无效" in response.get_data(as_text=True)
    assert (history_rows(data), status_rows(data)) == before


@pytest.mark.parametrize("bad", BAD_DATES)
def test_staff_link_refuses_a_bad_date_and_stores_nothing(app: Flask, data: Path, bad: str) -> None:
    client, token = staff(app)
    found = ids(data)
    before = history_rows(data)
    response = client.post(
        "/staff/link",
        data={
            "csrf_token": token,
            "src": found["yuanlin-2020-5.txt"],
            "type": "repeals",
            "dst": found["yuanlin-2016-2.txt"],
            "date": bad,
        },
    )
    assert response.status_code == 400
    assert history_rows(data) == before


def test_staff_dates_are_read_like_the_cli(app: Flask, data: Path) -> None:
    client, token = staff(app)
    doc = ids(data)["jiaotong-2022-3.txt"]
    response = client.post(
        "/staff/status",
        data={"csrf_token": token, "doc_id": doc, "validity": "已废止", "date": "2024年1月5日"},
    )
    assert response.status_code == 302
    assert [row[3] for row in status_rows(data)] == ["2024-01-05"]


def test_staff_note_length_is_limited(app: Flask, data: Path) -> None:
    client, token = staff(app)
    doc = ids(data)["jiaotong-2022-3.txt"]
    form = {"csrf_token": token, "doc_id": doc, "validity": "已废止", "date": "2024-01-01"}
    assert client.post("/staff/status", data={**form, "note": "注" * 2001}).status_code == 400
    assert status_rows(data) == []
    assert client.post("/staff/status", data={**form, "note": "注" * 2000}).status_code == 302


# -- item 5: 400s, never 500s --------------------------------------------------------------


@pytest.mark.parametrize("back", ["/doc/x\r\nSet-Cookie: a=b", "/staff/\nX: y", "/\x00"])
def test_staff_back_with_control_characters_is_refused_before_the_write(
    app: Flask, data: Path, back: str
) -> None:
    client, token = staff(app)
    doc = ids(data)["jiaotong-2022-3.txt"]
    response = client.post(
        "/staff/status",
        data={
            "csrf_token": token,
            "doc_id": doc,
            "validity": "已废止",
            "date": "2024-01-01",
            "back": back,
        },
    )
    assert response.status_code == 400
    assert status_rows(data) == []


def test_login_next_with_crlf_is_a_400(client: FlaskClient) -> None:
    token = csrf_token(client.get("/login"))
    response = client.post(
        "/login",
        data={
            "name": "alice",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/staff/\r\nX-Evil: 1",
        },
    )
    assert response.status_code == 400
    assert "X-Evil" not in response.headers


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/search?year=%C2%B9%C2%B2%C2%B3%C2%B4", "year"),  # ¹²³⁴
        ("/api/v1/search?year=%D9%A1%D9%A2%D9%A3%D9%A4", "year"),  # Arabic-Indic ١٢٣٤
        ("/api/v1/search?q=" + "%E5%85%AC " * 70, "q"),
    ],
)
def test_api_bad_parameters_are_400(client: FlaskClient, url: str, param: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert response.get_json()["error"]["param"] == param


def test_search_page_unicode_digit_year_is_400(client: FlaskClient) -> None:
    assert client.get("/search?q=公园&year=¹²³⁴").status_code == 400


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ("[" * 100_000 + "]" * 100_000, "body"),
        ('{"refs": [' + "[" * 100_000 + "]" * 100_000 + "]}", "body"),
        ('{"refs": ["\\ud800"]}', "refs"),
        (json.dumps({"refs": ["国" * 20_000]}), "refs"),
        (json.dumps({"refs": ["a\u0000b"]}), "refs"),
    ],
)
def test_api_check_hostile_bodies_are_400(client: FlaskClient, body: str, param: str) -> None:
    response = client.post(
        "/api/v1/check", data=body.encode("utf-8"), content_type="application/json"
    )
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["param"] == param and error["message"]


def test_check_page_long_reference_is_an_error_not_a_500(client: FlaskClient) -> None:
    token = csrf_token(client.get("/check"))
    response = client.post("/check", data={"refs": "国" * 20_000, "csrf_token": token})
    assert response.status_code == 400
    assert "过长" in response.get_data(as_text=True)


def test_bodies_are_bounded(client: FlaskClient) -> None:
    big = json.dumps({"refs": ["x" * 100] * 20_000})  # about 2 MB
    response = client.post("/api/v1/check", data=big, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_server_errors_carry_no_exception_text(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app({"DATA_DIR": data, "SECRET_KEY": "w"})  # not TESTING: the real handler

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError(f"database at {data}/archive.sqlite3 is on fire")

    monkeypatch.setattr("search_app.views.feed.newest", broken)
    monkeypatch.setattr("search_app.api.newest", broken)
    for url in ("/api/v1/feed", "/feed.atom"):
        response = app.test_client().get(url)
        assert response.status_code == 500
        body = response.get_data(as_text=True)
        assert str(data) not in body and "RuntimeError" not in body and "fire" not in body


def test_query_cost_is_capped() -> None:
    words = [chr(0x4E00 + i) for i in range(MAX_CLAUSES + 1)]
    with pytest.raises(QuerySyntaxError, match="最多 64 个"):
        parse(" ".join(words))
    with pytest.raises(QuerySyntaxError, match="最多 64 个"):
        parse(" OR ".join(words[:40]) + " " + " ".join(words[40:]))
    assert len(parse(" ".join(words[:MAX_CLAUSES])).clauses) == MAX_CLAUSES  # at the limit
    with pytest.raises(QuerySyntaxError, match="过长"):
        parse("公" * (MAX_QUERY_CHARS + 1))


def test_query_with_a_lone_surrogate_is_a_syntax_error() -> None:
    """Found by the fuzz test: the segmenter cannot encode one and crashed."""
    with pytest.raises(QuerySyntaxError, match="无效字符"):
        parse("公开 \ud800")


# -- item 4: headers, charsets, base URL ---------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/", "/search?q=公园", "/login", "/feed.atom", "/api/v1/search?q=公园", "/nope"]
)
def test_security_headers_on_every_response(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_script_style_or_handlers() -> None:
    from helpers import html

    templates = Path(__file__).resolve().parents[1] / "search_app" / "templates"
    for path in templates.rglob("*.html"):
        tree = html(path.read_text(encoding="utf-8"))
        assert not tree.css('script:not([src]):not([type="application/ld+json"])'), path
        assert not tree.css("style"), path
        for node in tree.css("*"):
            names = set(node.attributes)
            assert "style" not in names, path
            assert not {n for n in names if n.startswith("on")}, path


def test_originals_say_their_real_charset_once(client: FlaskClient, data: Path) -> None:
    found = ids(data)
    gbk = client.get(f"/doc/{found['gbk-notice.txt']}/original")
    assert gbk.headers["Content-Type"] == "text/plain; charset=gb18030"
    utf8 = client.get(f"/doc/{found['jiaotong-2022-3.txt']}/original")
    assert utf8.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert gbk.data.decode("gb18030").startswith("青川市关于公园夜间开放")


def test_absolute_urls_come_from_the_base_url_not_the_host_header(data: Path) -> None:
    app = create_app(
        {"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "w", "BASE_URL": "https://gk.example"}
    )
    client = app.test_client()
    evil = {"HTTP_HOST": "evil.example"}
    api = client.get("/api/v1/feed?limit=3", environ_base=evil).get_json()
    for doc in api["documents"]:
        assert doc["url"].startswith("https://gk.example/doc/")
        assert doc["api_url"].startswith("https://gk.example/api/v1/documents/")
    feed = client.get("/feed.atom", environ_base=evil).get_data(as_text=True)
    assert "evil.example" not in feed and "https://gk.example/doc/" in feed
    root = ET.fromstring(feed)
    assert root.find(f"{ATOM}id").text == "https://gk.example/feed.atom"


# -- item 6: XML ---------------------------------------------------------------------------


def test_feed_stays_valid_xml_with_control_characters_in_a_document(
    client: FlaskClient,
) -> None:
    response = client.get("/feed.atom")
    assert response.status_code == 200
    root = ET.fromstring(response.data)  # raises on a forbidden character
    titles = [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
    assert "关于控制字符标题的通知\ufffd" in titles


def test_manifest_refuses_nul_in_any_value() -> None:
    with pytest.raises(ValueError, match="NUL"):
        row_meta({"title": "标题\x00", "path": "a.txt"})
    with pytest.raises(ValueError, match="NUL"):
        row_meta({"title": "标题", "topics": ["a", "b\x00"]})


# -- item 9: document ids ------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["../../evil", "a/b?c#d", "<script>", "x" * 5000, "-lead", ".hidden", "a..b", "空格 id"]
)
def test_manifest_ids_outside_the_alphabet_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a valid document id"):
        row_meta({"id": bad, "title": "标题"})


def test_every_listed_id_works_at_its_page(tmp_path: Path) -> None:
    data = tmp_path / "data"
    folder = tmp_path / "files"
    folder.mkdir()
    rows = []
    for i, doc_id in enumerate(["GZ-2024.001_a", "a" * 64, "9"]):
        rows.append({"id": doc_id, "title": f"编号测试文件{i}", "body": f"编号测试正文{i}。"})
    rows.append({"id": "a/b", "title": "坏编号", "body": "坏编号正文。"})
    manifest = folder / "manifest.jsonl"
    manifest.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    with Gongkai(data) as gk:
        report = gk.import_manifest(manifest)
    failed = [o for o in report.outcomes if o.status == "failed"]
    assert len(failed) == 1 and "not a valid document id" in json.dumps(failed[0].to_dict())
    client = create_app({"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "w"}).test_client()
    listed = client.get("/api/v1/search?q=编号测试&limit=10").get_json()
    assert sorted(h["id"] for h in listed["hits"]) == sorted(["GZ-2024.001_a", "a" * 64, "9"])
    for hit in listed["hits"]:
        assert client.get(f"/doc/{hit['id']}").status_code == 200
        assert client.get(f"/api/v1/documents/{hit['id']}").status_code == 200
