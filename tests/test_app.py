"""The web site through Flask's test client, against a real data directory (real SQLite and
Whoosh index) holding the web fixture corpus (tests/fixtures/web, our own fictional texts).
Pages are parsed (selectolax) and checked by element, attribute and text, never by regex."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers import (
    PASSWORD,
    WEB,
    attrs,
    csrf_token,
    history_rows,
    html,
    import_docs,
    login,
    one,
    search_json,
    texts,
    visible,
)
from selectolax.lexbor import LexborHTMLParser
from werkzeug.test import TestResponse

from indexer.service import Gongkai
from search_app import create_app
from search_app.auth import add_user

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE_TITLE = '关于<script>alert("gk")</script>网页转义测试的通知'


def make_data(path: Path) -> dict[str, str]:
    ids = import_docs(path, WEB)
    with Gongkai(path) as gk:
        add_user(gk.archive, "alice", PASSWORD)
    return ids


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A data directory shared by read-only tests."""
    data = tmp_path_factory.mktemp("web-data")
    return data, make_data(data)


@pytest.fixture(scope="module")
def app(site: tuple[Path, dict[str, str]]) -> Flask:
    return create_app({"DATA_DIR": site[0], "TESTING": True, "SECRET_KEY": "test"})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def ids(site: tuple[Path, dict[str, str]]) -> dict[str, str]:
    return site[1]


@pytest.fixture
def fresh(tmp_path: Path) -> tuple[Flask, Path, dict[str, str]]:
    """A private data directory and app, for tests that write."""
    data = tmp_path / "data"
    ids = make_data(data)
    return create_app({"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "t2"}), data, ids


def signed_in(app: Flask) -> tuple[FlaskClient, str]:
    """A client signed in as alice, and the CSRF token of the staff page."""
    client = app.test_client()
    assert login(client).status_code == 302
    return client, csrf_token(client.get("/staff/"))


def page(client: FlaskClient, url: str) -> LexborHTMLParser:
    """GET ``url`` (which must answer 200) and parse it."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return html(response)


def hit_titles(results: TestResponse | LexborHTMLParser) -> list[str]:
    """Titles of the hits on a results page, highlight marks and all."""
    tree = results if isinstance(results, LexborHTMLParser) else html(results)
    return texts(tree, "li.hit .hit-title a")


def total(tree: LexborHTMLParser) -> int:
    """The result count a results page states (共 N 条结果)."""
    return int(one(tree, ".result-bar .total strong").text())


def facet(tree: LexborHTMLParser, name: str) -> dict[str, tuple[str, int]]:
    """A facet of a results page: value label → (link, count)."""
    section = one(tree, f'section.facet[data-facet="{name}"]')
    values = {}
    for item in section.css("li"):
        link = one(item, "a")
        label = link.text().replace("✔", "").strip()
        values[label] = (link.attributes["href"] or "", int(one(item, ".count").text()))
    return values


# -- app factory --------------------------------------------------------------------------


def test_create_app_needs_a_data_dir(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="DATA_DIR"):
        create_app({})
    with pytest.raises(LookupError, match="gongkai import"):
        create_app({"DATA_DIR": tmp_path / "empty"})


# -- search -------------------------------------------------------------------------------


def test_home_lists_newest_documents(client: FlaskClient) -> None:
    tree = page(client, "/")
    assert "最新发布" in texts(tree, "h2")
    titles = hit_titles(tree)
    # the newest fixture (2023-04-03) comes before an older one (2016-01-12)
    assert titles.index(HOSTILE_TITLE) < titles.index("青川市城市公园管理暂行办法")


def test_results_show_title_number_agency_date_badge_and_marked_snippet(
    client: FlaskClient,
) -> None:
    tree = page(client, "/search?q=公园开放时间")
    [hit] = [
        h for h in tree.css("li.hit") if texts(h, ".hit-title a") == ["青川市城市公园管理办法"]
    ]
    assert texts(hit, ".hit-meta .wenhao") == ["青园发〔2020〕5号"]
    assert "青川市园林局" in texts(hit, ".hit-meta span")
    assert attrs(hit, ".hit-meta time", "datetime") == ["2020-03-10"]
    assert texts(hit, ".hit-title .badge.badge-valid") == ["有效"]
    snippets = tree.css("p.snippet")
    assert snippets and all(s.css("mark") for s in snippets)
    assert {"公园", "开放时间"} & set(texts(tree, "mark"))


def test_hostile_text_is_escaped_in_results_and_document(
    client: FlaskClient, ids: dict[str, str]
) -> None:
    tree = page(client, "/search?q=网页转义")
    assert hit_titles(tree) == [HOSTILE_TITLE]  # the markup is shown as text
    assert not [s for s in texts(tree, "script") if "alert" in s]
    assert not tree.css("img")
    # the only markup inside titles and snippets is <mark>
    for block in tree.css("li.hit .hit-title a, p.snippet"):
        assert {n.tag for n in block.traverse()} - {block.tag} <= {"mark"}
    doc = page(client, f"/doc/{ids['hostile.txt']}")
    # The JSON-LD data block holds the title as escaped JSON, never as markup or script.
    assert not [s for s in texts(doc, "script:not([type='application/ld+json'])") if "alert" in s]
    json_ld = json.loads(one(doc, "script[type='application/ld+json']").text())
    assert json_ld["name"] == HOSTILE_TITLE
    assert not doc.css("img")
    body = one(doc, ".doc-text").text()
    assert "<img src=x onerror=alert(1)>" in body
    assert '<script>alert("body")</script>' in body
    assert '"引号" & 符号' in body
    assert one(doc, "h1.doc-title").text() == HOSTILE_TITLE


def test_facets_have_counts_and_combine(client: FlaskClient) -> None:
    tree = page(client, "/search?q=公共自行车 OR 公园")
    named = attrs(tree, "section.facet", "data-facet")
    assert set(named) == {"agency", "category", "year", "validity", "kind", "doc_type"}
    link, count = facet(tree, "agency")["青川市交通运输局"]
    assert count == 2
    narrowed = page(client, link)
    assert total(narrowed) == 2
    valid_link, _ = facet(narrowed, "validity")["有效"]
    assert "agency=" in valid_link and "validity=" in valid_link  # facets combine
    both = page(client, valid_link)
    assert total(both) == 1
    assert hit_titles(both) == ["青川市公共自行车停放管理办法"]


def test_sort_newest_and_oldest(client: FlaskClient) -> None:
    def dates(sort: str) -> list[str]:
        return attrs(page(client, f"/search?q=公园&sort={sort}"), "li.hit time", "datetime")

    newest, oldest = dates("newest"), dates("oldest")
    assert len(newest) >= 3
    assert newest == sorted(newest, reverse=True)
    assert oldest == sorted(oldest)


def test_pagination(site: tuple[Path, dict[str, str]]) -> None:
    app = create_app({"DATA_DIR": site[0], "TESTING": True, "SECRET_KEY": "x", "PAGE_SIZE": 2})
    client = app.test_client()
    first = page(client, "/search?sort=newest")
    second = page(client, "/search?sort=newest&page=2")
    links = [attrs(p, "li.hit .hit-title a", "href") for p in (first, second)]
    assert len(links[0]) == 2 and len(links[1]) == 2
    assert all(re.fullmatch(r"/doc/\w+", link) for link in links[0] + links[1])
    assert not set(links[0]) & set(links[1])
    assert first.css('.pager a[rel="next"]') and second.css('.pager a[rel="prev"]')
    assert client.get("/search?page=0").status_code == 400


def test_valid_only_switch(client: FlaskClient) -> None:
    everything = hit_titles(client.get("/search?q=公共自行车"))
    assert "青川市公共自行车停放管理规定" in everything  # 失效
    valid = page(client, "/search?q=公共自行车&valid_only=1")
    assert hit_titles(valid) == ["青川市公共自行车停放管理办法"]
    assert one(valid, ".switch a.toggle.on").text().strip() == "✔ 只看现行有效"


def test_advanced_form_title_only_phrase_wenhao_dates_agency(client: FlaskClient) -> None:
    # 盲道 is in bodies only: title-only finds nothing, full text finds both
    assert total(page(client, "/search?q=盲道&title_only=1")) == 0
    assert total(page(client, "/search?q=盲道")) == 2
    assert total(page(client, "/search?phrase=消防通道")) == 1
    wenhao = hit_titles(client.get("/search?wenhao=青交规(2018)9号"))
    assert "青川市公共自行车停放管理规定" in wenhao
    dated = attrs(page(client, "/search?q=公园&from=2020-01-01&to=2020-12-31"), "time", "datetime")
    assert "2020-03-10" in dated and all(d.startswith("2020-") for d in dated)
    assert total(page(client, "/search?agency=青川市信息中心")) == 1


def test_empty_results_suggest_dropping_a_filter_and_checking_the_number(
    client: FlaskClient,
) -> None:
    tree = page(client, "/search?q=盲道&agency=青川市园林局")
    assert "没有找到" in one(tree, ".empty").text()
    assert "去掉条件“青川市园林局”" in texts(tree, ".empty li a")
    tree = page(client, "/search?wenhao=青园发(2099)5号")
    assert "检查文号写法" in one(tree, ".empty").text()
    assert texts(tree, ".empty code") == ["青园发〔2099〕5号"]


def test_bad_query_shows_the_error(client: FlaskClient) -> None:
    response = client.get('/search?q="公园')
    assert response.status_code == 400
    assert "引号不配对" in one(html(response), "p.error").text()
    response = client.get("/search?q=公园&year=20x0")
    assert response.status_code == 400 and "year" in one(html(response), "p.error").text()


# -- documents ----------------------------------------------------------------------------


def test_document_page_metadata_as_published(client: FlaskClient, ids: dict[str, str]) -> None:
    tree = page(client, f"/doc/{ids['yuanlin-2020-5.txt']}")
    labels = texts(tree, ".meta-table th")
    assert labels == [
        "名称",
        "索引号",
        "发布机构",
        "文号",
        "主题分类",
        "文件类型",  # issue 14 item 4
        "成文日期",
        "发文日期",
        "有效性",
    ]
    values = texts(tree, ".meta-table td")
    for value in ("QC-YLJ-2020-0005", "青园发〔2020〕5号", "城乡建设", "2020-03-02", "2020-03-10"):
        assert value in values
    assert not tree.css("#status-banner")
    paragraphs = texts(tree, ".doc-text p")
    assert len([p for p in paragraphs if p.startswith("第")]) == 4  # paragraphs kept


def test_repealed_and_expired_documents_carry_a_banner(
    client: FlaskClient, ids: dict[str, str]
) -> None:
    banner = one(page(client, f"/doc/{ids['yuanlin-2016-2.txt']}"), "#status-banner")
    assert "本文件已废止" in banner.text()
    # the repeal clause of the 2020 measures names the 2016 文号: linked, with its date
    assert "2020年3月10日" in banner.text()  # in words, for the public
    assert f"/doc/{ids['yuanlin-2020-5.txt']}" in attrs(banner, "a", "href")
    banner = one(page(client, f"/doc/{ids['jiaotong-2018-9.txt']}"), "#status-banner")
    assert "本文件已失效" in banner.text()


def test_document_not_found_and_bad_date(client: FlaskClient, ids: dict[str, str]) -> None:
    assert client.get("/doc/nosuchid").status_code == 404
    assert client.get(f"/doc/{ids['hostile.txt']}?as_of=yesterday").status_code == 400


def test_original_download(client: FlaskClient, ids: dict[str, str]) -> None:
    response = client.get(f"/doc/{ids['yuanlin-2020-5.txt']}/original")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert "yuanlin-2020-5.txt" in response.headers["Content-Disposition"]
    assert response.data == (WEB / "yuanlin-2020-5.txt").read_bytes()


def test_permanent_url_by_doc_number_any_bracket_style(
    client: FlaskClient, ids: dict[str, str]
) -> None:
    for number in ("青园发〔2020〕5号", "青园发(2020)5号", "青园发[2020]5号", "青园发（2020）5号"):
        response = client.get(f"/wenhao/{number}")
        assert response.status_code == 302, number
        assert response.headers["Location"].endswith(f"/doc/{ids['yuanlin-2020-5.txt']}")
    assert client.get("/wenhao/青园发〔2099〕1号").status_code == 404


def test_cluster_links_interpretation_when_available(
    client: FlaskClient, ids: dict[str, str]
) -> None:
    tree = page(client, f"/doc/{ids['yuanlin-2020-5.txt']}")
    with Gongkai(client.application.config["DATA_DIR"], readonly=True) as gk:
        cluster = gk.cluster(gk.archive.get(ids["yuanlin-2020-5.txt"]))
    if not cluster.interpretations:
        pytest.skip("cluster linking (issue 3) does not link interpretations yet")
    section = one(tree, '[data-section="interpretations"]')
    assert f"/doc/{ids['yuanlin-jiedu.txt']}" in attrs(section, "a", "href")


# -- check --------------------------------------------------------------------------------


def test_check_page_get_and_post(client: FlaskClient, ids: dict[str, str]) -> None:
    refs = "青园发(2016)2号\n青川市城市公园管理办法\n青园发〔2099〕9号\n"
    response = client.get("/check", query_string={"refs": refs})
    rows = [r.text() for r in html(response).css(".check-table tbody tr")]
    assert len(rows) == 3
    assert "已废止" in rows[0] and "有效" in rows[1] and "未找到" in rows[2]
    token = csrf_token(client.get("/check"))
    posted = client.post("/check", data={"refs": refs, "csrf_token": token, "format": "html"})
    assert posted.status_code == 200
    assert one(html(posted), ".check-results h2").text().startswith("核查结果")
    # without the token the form is refused
    assert client.post("/check", data={"refs": refs}).status_code == 400


def test_check_csv_download(client: FlaskClient) -> None:
    token = csrf_token(client.get("/check"))
    response = client.post(
        "/check",
        data={
            "refs": "青交规〔2018〕9号\n青交规〔2022〕3号",
            "as_of": "2024-01-01",
            "format": "csv",
            "csrf_token": token,
        },
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["序号"], r["匹配方式"], r["有效性"]) for r in rows] == [
        ("1", "文号", "失效"),
        ("2", "文号", "有效"),
    ]
    assert all(r["核查日期"] == "2024-01-01" for r in rows)


def test_check_bad_date(client: FlaskClient) -> None:
    response = client.get("/check", query_string={"refs": "x", "as_of": "2024-13-01"})
    assert response.status_code == 400 and "YYYY-MM-DD" in one(html(response), "p.error").text()


# -- feed ---------------------------------------------------------------------------------


def test_atom_feed_newest_first_and_filters(client: FlaskClient) -> None:
    response = client.get("/feed.atom")
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    titles = [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
    assert len(titles) == 7
    published = [e.findtext(f"{ATOM}published") for e in root.iter(f"{ATOM}entry")]
    assert published == sorted(published, reverse=True)
    assert (
        titles[0] == '关于<script>alert("gk")</script>网页转义测试的通知'
    )  # XML-escaped, parsed back
    only = ET.fromstring(client.get("/feed.atom?agency=青川市交通运输局").data)
    assert len(list(only.iter(f"{ATOM}entry"))) == 2
    kind = ET.fromstring(client.get("/feed.atom?kind=interpretation").data)
    assert [e.findtext(f"{ATOM}title") for e in kind.iter(f"{ATOM}entry")] == [
        "《青川市城市公园管理办法》政策解读"
    ]
    assert client.get("/feed.atom?kind=bogus").status_code == 400


# -- login, CSRF, staff -------------------------------------------------------------------


def test_login_and_logout(client: FlaskClient) -> None:
    assert login(client, password="wrong password").status_code == 401
    response = login(client)
    assert response.status_code == 302
    staff = html(client.get("/staff/", follow_redirects=True))
    assert "退出（alice）" in texts(staff, ".nav button")
    token = csrf_token(client.get("/"))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/staff/").status_code == 302  # back to the login page


def test_failed_logins_are_throttled_per_account(
    fresh: tuple[Flask, Path, dict[str, str]],
) -> None:
    client = fresh[0].test_client()
    for _ in range(3):  # successful sign-ins never count
        assert login(client).status_code == 302
    for _ in range(5):
        assert login(client, password="guess guess").status_code == 401
    refused = login(client)  # even the right password, until the window has passed
    assert refused.status_code == 429
    assert "登录失败次数过多" in visible(refused) and int(refused.headers["Retry-After"]) > 0
    assert login(client, "bob", "whatever1").status_code == 401  # another account: still asked


def test_failed_logins_are_throttled_per_address(
    fresh: tuple[Flask, Path, dict[str, str]],
) -> None:
    client = fresh[0].test_client()
    for n in range(20):  # twenty names, so no (account, address) limit is reached
        assert login(client, f"user{n}", "guess guess").status_code == 401
    assert login(client).status_code == 429
    # The counts are in the archive database: another server process sees them too.
    other = create_app({"DATA_DIR": fresh[1], "TESTING": True, "SECRET_KEY": "y"})
    assert login(other.test_client()).status_code == 429


def test_login_without_csrf_token_is_refused(client: FlaskClient) -> None:
    response = client.post("/login", data={"name": "alice", "password": PASSWORD})
    assert response.status_code == 400 and "CSRF" in visible(response)


def test_login_next_is_only_a_local_path(client: FlaskClient) -> None:
    token = csrf_token(client.get("/login"))
    response = client.post(
        "/login",
        data={
            "name": "alice",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "https://evil.example/",
        },
    )
    assert response.headers["Location"] == "/staff/"


#: Every route that changes anything, with a body that would be accepted from staff.
WRITE_ROUTES = {
    "staff.upload": ("/staff/import", {"files": None}),
    "staff.set_status": ("/staff/status", {"doc_id": "ID", "validity": "已废止"}),
    "staff.link": ("/staff/link", {"src": "ID", "type": "cites", "dst": "ID"}),
    "staff.unlink": ("/staff/unlink", {"src": "ID", "type": "cites", "dst": "ID", "note": "x"}),
    "staff.decide": ("/staff/proposals/1/confirm", {}),
    "staff.synonyms": ("/staff/synonyms", {"action": "add", "terms": "查档|查阅档案"}),
    "staff.set_doc_type": ("/staff/type", {"doc_id": "ID", "doc_type": "rule", "note": "x"}),
    "editing.edit": ("/staff/doc/ID/edit", {"title": "改过的标题", "note": "x"}),
    "editing.withdraw": ("/staff/doc/ID/withdraw", {"action": "withdraw", "note": "x"}),
    "report.set_outcome": (
        "/staff/report/outcome",
        {"doc_id": "ID", "outcome": "disclosed", "note": "x", "year": "2024"},
    ),
}


def test_write_route_list_is_complete(app: Flask) -> None:
    """Every login-protected POST route is in WRITE_ROUTES, so each one is tested below."""
    protected = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods
        and getattr(app.view_functions[rule.endpoint], "login_required", False)
    }
    assert protected == set(WRITE_ROUTES)


@pytest.mark.parametrize("endpoint", sorted(WRITE_ROUTES))
def test_write_route_refuses_anonymous(
    endpoint: str, fresh: tuple[Flask, Path, dict[str, str]]
) -> None:
    app, data, ids = fresh
    client = app.test_client()
    path, form = WRITE_ROUTES[endpoint]
    path = path.replace("ID", ids["hostile.txt"])
    form = {k: (ids["hostile.txt"] if v == "ID" else v) for k, v in form.items()}
    if "files" in form:
        form["files"] = (io.BytesIO("名称：匿名上传\n\n正文".encode()), "anon.txt")
    form["csrf_token"] = csrf_token(client.get("/check"))  # even with a valid token
    before = history_rows(data)
    response = client.post(path, data=form, content_type="multipart/form-data")
    assert response.status_code in (401, 403)
    assert history_rows(data) == before
    with Gongkai(data, readonly=True) as gk:
        assert gk.archive.count() == len(ids)


def test_staff_get_page_redirects_anonymous_to_login(client: FlaskClient) -> None:
    response = client.get("/staff/")
    assert response.status_code == 302 and "/login?next=/staff/" in response.headers["Location"]


def test_staff_post_without_csrf_is_refused(fresh: tuple[Flask, Path, dict[str, str]]) -> None:
    app, data, _ = fresh
    client = app.test_client()
    login(client)
    before = history_rows(data)
    response = client.post(
        "/staff/import",
        data={"files": (io.BytesIO(b"x"), "a.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert history_rows(data) == before


def test_staff_upload_imports_with_the_cli_pipeline_and_records_the_account(
    fresh: tuple[Flask, Path, dict[str, str]],
) -> None:
    app, data, _ = fresh
    client, token = signed_in(app)
    new = (
        "名  称: 青川市湖区游船安全管理规定\n文  号: 青园发〔2024〕7号\n有效性: 有效\n\n"
        "游船应当配备救生衣。\n"
    )
    response = client.post(
        "/staff/import",
        data={
            "csrf_token": token,
            "files": [
                (io.BytesIO(new.encode()), "游船规定.txt"),
                (io.BytesIO((WEB / "hostile.txt").read_bytes()), "again.txt"),
                (io.BytesIO(b"%PDF-1.4 broken"), "broken.pdf"),
            ],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    shown = visible(response)
    assert "导入 1 件，重复 1 件，失败 1 件" in shown
    assert "游船规定.txt" in shown
    assert hit_titles(client.get("/search?q=游船")) == ["青川市湖区游船安全管理规定"]
    with Gongkai(data, readonly=True) as gk:
        doc = gk.lookup("青园发(2024)7号")[0]
        assert doc.source_name == "游船规定.txt"
        actions = [(h["actor"], h["action"]) for h in gk.archive.history(doc.id)]
    assert ("alice", "import") in actions  # in the same transaction as the document


def test_staff_upload_when_busy_changes_nothing(
    fresh: tuple[Flask, Path, dict[str, str]],
) -> None:
    app, data, ids = fresh
    client, token = signed_in(app)
    with Gongkai(data) as holder, holder.write_lock():
        response = client.post(
            "/staff/import",
            data={"csrf_token": token, "files": (io.BytesIO("名称：忙\n\n正文".encode()), "b.txt")},
            content_type="multipart/form-data",
        )
    assert response.status_code == 503
    assert "另一个写入操作正在进行" in visible(response)
    with Gongkai(data, readonly=True) as gk:
        assert gk.archive.count() == len(ids)


def test_staff_status_change_records_the_account(
    fresh: tuple[Flask, Path, dict[str, str]],
) -> None:
    app, data, ids = fresh
    client, token = signed_in(app)
    doc_id = ids["jiaotong-2022-3.txt"]
    response = client.post(
        "/staff/status",
        data={
            "csrf_token": token,
            "doc_id": doc_id,
            "validity": "已废止",
            "date": "2024-01-01",
            "note": "测试",
        },
    )
    with Gongkai(data) as gk:
        if not callable(getattr(gk, "set_status", None)):
            assert response.status_code == 501  # said plainly, nothing changed
            assert all(h["action"] == "import" for h in gk.archive.history(doc_id))
            pytest.skip("Gongkai.set_status (issue 3) is not available yet")
        assert response.status_code == 302
        assert gk.status(gk.archive.get(doc_id), "2024-06-01").validity == "已废止"
        assert any(h["actor"] == "alice" for h in gk.archive.history(doc_id))


def test_staff_confirms_a_proposed_relation(fresh: tuple[Flask, Path, dict[str, str]]) -> None:
    app, data, ids = fresh
    client, token = signed_in(app)
    # 2022 measures repeal the 2018 rules by title only: proposed, not applied
    proposals = one(page(client, "/staff/"), "#proposals")
    assert "青川市公共自行车停放管理规定" in proposals.text()
    [confirm] = [a for a in attrs(proposals, "form", "action") if a.endswith("/confirm")]
    assert re.fullmatch(r"/staff/proposals/\d+/confirm", confirm)
    old = ids["jiaotong-2018-9.txt"]
    assert client.post(confirm, data={"csrf_token": token}).status_code == 302
    with Gongkai(data, readonly=True) as gk:
        assert not gk.proposals()
        status = gk.status(gk.archive.get(old), "2023-01-01")
        assert status.validity == "已废止" and status.by == ids["jiaotong-2022-3.txt"]
        assert any(h["actor"] == "alice" for h in gk.archive.history(old))
    assert client.post("/staff/proposals/999/reject", data={"csrf_token": token}).status_code == 400


def test_staff_link_records_the_account(fresh: tuple[Flask, Path, dict[str, str]]) -> None:
    app, data, ids = fresh
    client, token = signed_in(app)
    src, dst = ids["yuanlin-dafu.txt"], ids["jiaotong-2022-3.txt"]
    response = client.post(
        "/staff/link", data={"csrf_token": token, "src": src, "type": "cites", "dst": dst}
    )
    assert response.status_code == 302
    with Gongkai(data, readonly=True) as gk:
        cluster = gk.cluster(gk.archive.get(src))
        assert dst in [d.id for d in cluster.cites]
    bad = client.post(
        "/staff/link", data={"csrf_token": token, "src": src, "type": "likes", "dst": dst}
    )
    assert bad.status_code == 400
    offered = attrs(page(client, "/staff/"), 'select[name="type"] option', "value")
    assert "attachment" in offered  # every relation type is offered, 附件 included
    attached = client.post(
        "/staff/link", data={"csrf_token": token, "src": dst, "type": "attachment", "dst": src}
    )
    assert attached.status_code == 302
    with Gongkai(data, readonly=True) as gk:
        cluster = gk.cluster(gk.archive.get(src))
        assert dst in [d.id for d in cluster.attachments]


def test_staff_unlinks_and_withdraws_a_status_from_the_document_page(
    fresh: tuple[Flask, Path, dict[str, str]],
) -> None:
    app, data, ids = fresh
    client, _ = signed_in(app)
    src, dst = ids["yuanlin-dafu.txt"], ids["jiaotong-2022-3.txt"]
    response = client.get(f"/doc/{src}")
    doc = html(response)
    assert "attachment" in attrs(doc, '#unlink-form select[name="type"] option', "value")
    assert any("撤销工作人员记录" in t for t in texts(doc, "#status-form option"))
    token = csrf_token(response)
    form = {"csrf_token": token, "src": src, "type": "repeals", "dst": dst}
    assert client.post("/staff/link", data=form).status_code == 302
    with Gongkai(data, readonly=True) as gk:
        assert gk.status(gk.archive.get(dst)).validity == "已废止"
    missing = client.post("/staff/unlink", data={**form, "type": "cites", "note": "无"})
    assert missing.status_code == 404
    done = client.post("/staff/unlink", data={**form, "note": "文号引用错误"})
    assert done.status_code == 302
    with Gongkai(data, readonly=True) as gk:
        assert gk.status(gk.archive.get(dst)).validity == "有效"
        trail = gk.history(dst)
    rejected = [e for e in trail if e["detail"].get("change") == "rejected"]
    assert rejected and rejected[-1]["actor"] == "alice"
    assert rejected[-1]["detail"]["why"] == "文号引用错误"

    with Gongkai(data, readonly=True) as gk:
        published = gk.status(gk.archive.get(src)).validity  # its header names none: 未知
    status = {"csrf_token": token, "doc_id": src, "validity": "失效", "note": "到期"}
    assert client.post("/staff/status", data=status).status_code == 302
    with Gongkai(data, readonly=True) as gk:
        assert gk.status(gk.archive.get(src)).validity == "失效"
    withdrawn = client.post("/staff/status", data={**status, "validity": ""})
    assert withdrawn.status_code == 302
    with Gongkai(data, readonly=True) as gk:
        assert gk.status(gk.archive.get(src)).validity == published  # derived again
    assert "已撤销" in visible(client.get(f"/doc/{src}"))


# -- JSON API -----------------------------------------------------------------------------


def test_api_search_has_the_cli_fields_plus_facets(
    client: FlaskClient, site: tuple[Path, dict[str, str]]
) -> None:
    api = client.get("/api/v1/search?q=公园&sort=newest&limit=3").get_json()
    cli = search_json(site[0], "公园", "--sort", "newest", "--limit", "3")
    assert api["total"] == cli["total"]
    assert [h["id"] for h in api["hits"]] == [h["id"] for h in cli["hits"]]
    assert set(api["hits"][0]) == set(cli["hits"][0])
    assert set(api["facets"]) == {"agency", "category", "year", "validity", "kind", "doc_type"}
    assert api["facets"]["agency"]["青川市园林局"] >= 3
    filtered = client.get("/api/v1/search?q=公共自行车&valid_only=1").get_json()
    assert [h["validity"] for h in filtered["hits"]] == ["有效"]


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ('/api/v1/search?q="公园', 400, "bad_query"),
        ("/api/v1/search?q=a&sort=best", 400, "bad_parameter"),
        ("/api/v1/search?q=a&limit=0", 400, "bad_parameter"),
        ("/api/v1/search?q=a&year=twenty", 400, "bad_parameter"),
        ("/api/v1/search?q=a&validity=valid", 400, "bad_parameter"),
        ("/api/v1/search?q=a&from=2020-02-30", 400, "bad_parameter"),
        ("/api/v1/documents/nosuch", 404, "not_found"),
        ("/api/v1/documents/nosuch/cluster", 404, "not_found"),
        ("/api/v1/wenhao/青园发〔2099〕1号", 404, "not_found"),
        ("/api/v1/check", 400, "bad_parameter"),
        ("/api/v1/feed?limit=1000", 400, "bad_parameter"),
        ("/api/v1/no/such/route", 404, "not_found"),
    ],
)
def test_api_errors(client: FlaskClient, url: str, status: int, code: str) -> None:
    response = client.get(url)
    assert response.status_code == status
    body = response.get_json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_api_method_not_allowed_and_bad_post_body(client: FlaskClient) -> None:
    response = client.post("/api/v1/search")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    response = client.post("/api/v1/check", data="not json", content_type="text/plain")
    assert response.status_code == 400
    assert response.get_json()["error"]["param"] == "body"
    response = client.post("/api/v1/check", json={"refs": "not a list"})
    assert response.get_json()["error"]["param"] == "refs"


def test_api_document_by_id_and_by_doc_number(client: FlaskClient, ids: dict[str, str]) -> None:
    doc_id = ids["yuanlin-2016-2.txt"]
    doc = client.get(f"/api/v1/documents/{doc_id}").get_json()
    assert doc["title"] == "青川市城市公园管理暂行办法"
    assert doc["status"]["validity"] == "已废止"
    assert "第二条" in doc["text"]
    assert doc["original_url"].endswith(f"/doc/{doc_id}/original")
    assert "text" not in client.get(f"/api/v1/documents/{doc_id}?text=0").get_json()
    by_number = client.get("/api/v1/wenhao/青园发(2016)2号").get_json()
    assert by_number["doc_number"] == "青园发〔2016〕2号"
    assert [d["id"] for d in by_number["documents"]] == [doc_id]


def test_api_cluster(client: FlaskClient, ids: dict[str, str]) -> None:
    doc_id = ids["yuanlin-2020-5.txt"]
    data = client.get(f"/api/v1/documents/{doc_id}/cluster").get_json()
    assert data["doc_id"] == doc_id
    for key in ("interpretations", "answers", "versions", "repealed_by", "cites"):
        assert isinstance(data[key], list)


def test_api_check_get_and_post(client: FlaskClient, ids: dict[str, str]) -> None:
    got = client.get("/api/v1/check?ref=青交规(2018)9号&ref=nothing-like-this").get_json()
    assert got["results"][0]["validity"] == "失效"
    assert got["results"][0]["id"] == ids["jiaotong-2018-9.txt"]
    assert got["not_found"] == ["nothing-like-this"]
    posted = client.post(
        "/api/v1/check", json={"refs": ["QC-JTJ-2022-0003"], "as_of": "2023-01-01"}
    ).get_json()
    assert posted["as_of"] == "2023-01-01"
    assert posted["results"][0]["match"] == "index_number"
    assert posted["results"][0]["validity"] == "有效"


def test_api_feed(client: FlaskClient) -> None:
    data = client.get("/api/v1/feed?limit=2").get_json()
    assert [d["date_issued"] for d in data["documents"]] == ["2023-04-03", "2022-02-15"]
    only = client.get("/api/v1/feed?kind=request_answer").get_json()
    assert [d["title"] for d in only["documents"]] == ["关于公园开放时间信息公开申请的答复书"]


def test_openapi_document_matches_the_routes(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = {
        (path, method.upper())
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    registered = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1") :])
        registered |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == registered
    for path, item in spec["paths"].items():
        for operation in item.values():
            for param in operation.get("parameters", []):
                if param["in"] == "path":
                    assert "{" + param["name"] + "}" in path
    json.dumps(spec)  # serialisable


def test_staff_recent_actions_read_as_staff_say_them(client: FlaskClient, site) -> None:
    """The recent-actions list: local time, the action in words, the document by title."""
    from archive.dates import local_time
    from archive.vocab import ACTION_LABELS

    data, _ids = site
    assert login(client).status_code == 302
    table = one(html(client.get("/staff/")), "section:last-of-type table")
    first = [td.text(strip=True) for td in table.css("tbody tr")[0].css("td")]
    with Gongkai(data, readonly=True) as gk:
        [latest] = gk.archive.recent_history(1)
        doc = gk.archive.get(str(latest["doc_id"]))
    assert doc is not None
    assert first[0] == local_time(str(latest["at"]))
    assert len(first[0]) == len("2024-01-01 08:00")
    assert first[2] == ACTION_LABELS[str(latest["action"])]
    assert first[2] != latest["action"]
    assert first[3].startswith(doc.title)
    assert doc.id not in first[3]
