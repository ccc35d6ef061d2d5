"""The staff forms to correct a document's metadata and to withdraw (撤回) or restore it
(issue 17, item 1), and what the public sees of a withdrawn document: 410 on its pages and in
the API, nothing in search, the feed, 文号 links or the check; staff still see it. Flask's test
client on a private data directory per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers import PASSWORD, WEB, csrf_token, html, import_docs, login, one, visible

from indexer.service import Gongkai
from search_app import create_app
from search_app.auth import add_user

PARK = "yuanlin-2020-5.txt"  # 青川市城市公园管理办法, 青园发〔2020〕5号


@pytest.fixture
def site(tmp_path: Path) -> tuple[Flask, Path, str]:
    data = tmp_path / "data"
    ids = import_docs(data, WEB)
    with Gongkai(data) as gk:
        add_user(gk.archive, "alice", PASSWORD)
    app = create_app({"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "ed"})
    return app, data, ids[PARK]


def signed_in(app: Flask) -> tuple[FlaskClient, str]:
    client = app.test_client()
    assert login(client).status_code == 302
    return client, csrf_token(client.get("/staff/"))


def search_ids(client: FlaskClient, query: str) -> list[str]:
    data = client.get("/api/v1/search", query_string={"q": query}).get_json()
    return [h["id"] for h in data["hits"]]


def test_the_edit_form_changes_the_fields_that_differ_and_records_who_and_why(
    site: tuple[Flask, Path, str],
) -> None:
    app, data, doc_id = site
    client, token = signed_in(app)
    page = html(client.get(f"/doc/{doc_id}"))
    form = one(page, "#edit-form")
    assert form.attributes["action"] == f"/staff/doc/{doc_id}/edit"
    fields = {n.attributes["name"]: n.attributes.get("value") or "" for n in form.css("input")}
    fields.update(
        csrf_token=token, title="青川市城市公园管理规定", category="园林绿化", kind="notice",
        note="依原件更正标题",
    )  # fmt: skip
    response = client.post(f"/staff/doc/{doc_id}/edit", data=fields)
    assert response.status_code == 302 and response.headers["Location"] == f"/doc/{doc_id}"
    with Gongkai(data, readonly=True) as gk:
        doc = gk.archive.get(doc_id)
        assert (doc.title, doc.category, doc.doc_number) == (
            "青川市城市公园管理规定",
            "园林绿化",
            "青园发〔2020〕5号",  # unchanged fields stay as they were
        )
        (edit,) = [h for h in gk.archive.history(doc_id) if h["action"] == "edit"]
        assert edit["actor"] == "alice" and edit["detail"]["why"] == "依原件更正标题"
        assert set(edit["detail"]["changes"]) == {"title", "category"}
        assert gk.verify()["ok"]
    assert doc_id in search_ids(client, "管理规定")
    shown = visible(client.get(f"/doc/{doc_id}"))
    assert "依原件更正标题" in shown  # the history section, in words


def test_edit_form_refuses_a_bad_date_and_a_missing_reason(site: tuple[Flask, Path, str]) -> None:
    app, data, doc_id = site
    client, token = signed_in(app)
    bad = {"csrf_token": token, "date_issued": "2020-02-30", "note": "x"}
    assert client.post(f"/staff/doc/{doc_id}/edit", data=bad).status_code == 400
    no_reason = {"csrf_token": token, "title": "新标题"}
    assert client.post(f"/staff/doc/{doc_id}/edit", data=no_reason).status_code == 400
    with Gongkai(data, readonly=True) as gk:
        assert gk.archive.get(doc_id).title == "青川市城市公园管理办法"
        assert {"edit", "withdraw"}.isdisjoint(h["action"] for h in gk.archive.history(doc_id))


@pytest.mark.parametrize("path", ["edit", "withdraw"])
def test_the_forms_need_a_csrf_token_and_a_signed_in_account(
    site: tuple[Flask, Path, str], path: str
) -> None:
    app, data, doc_id = site
    client, token = signed_in(app)
    form = {"title": "被篡改的标题", "note": "x"}
    assert client.post(f"/staff/doc/{doc_id}/{path}", data=form).status_code == 400
    forged = {**form, "csrf_token": token[::-1]}
    assert client.post(f"/staff/doc/{doc_id}/{path}", data=forged).status_code == 400
    anonymous = app.test_client()
    anonymous_token = csrf_token(anonymous.get("/login"))
    refused = anonymous.post(
        f"/staff/doc/{doc_id}/{path}", data={**form, "csrf_token": anonymous_token}
    )
    assert refused.status_code == 401
    with Gongkai(data, readonly=True) as gk:
        assert gk.archive.get(doc_id).title == "青川市城市公园管理办法"
        assert gk.withdrawal(doc_id) is None
        assert {"edit", "withdraw"}.isdisjoint(h["action"] for h in gk.archive.history(doc_id))


def test_a_withdrawn_document_is_gone_for_the_public_and_kept_for_staff(
    site: tuple[Flask, Path, str],
) -> None:
    app, data, doc_id = site
    staff, token = signed_in(app)
    public = app.test_client()
    assert doc_id in search_ids(public, "城市公园")
    no_reason = {"csrf_token": token, "action": "withdraw"}
    assert staff.post(f"/staff/doc/{doc_id}/withdraw", data=no_reason).status_code == 400
    form = {"csrf_token": token, "action": "withdraw", "note": "含未脱敏个人信息"}
    assert staff.post(f"/staff/doc/{doc_id}/withdraw", data=form).status_code == 302

    page = public.get(f"/doc/{doc_id}")
    assert page.status_code == 410
    said = visible(page)
    assert "已撤回" in said and "个人信息" not in said and "公园管理办法" not in said
    assert public.get(f"/doc/{doc_id}/original").status_code == 410
    assert public.get(f"/api/v1/documents/{doc_id}").status_code == 410
    assert public.get(f"/api/v1/documents/{doc_id}/cluster").status_code == 410
    assert doc_id not in search_ids(public, "城市公园")
    hits = public.get("/api/v1/search", query_string={"q": "公园"}).get_json()["hits"]
    assert hits and all(doc_id not in str(h.get("cluster")) for h in hits)  # not linked either
    assert public.get("/wenhao/青园发〔2020〕5号").status_code == 404
    assert public.get("/api/v1/wenhao/青园发〔2020〕5号").status_code == 404
    checked = public.get("/api/v1/check", query_string={"ref": "青园发〔2020〕5号"}).get_json()
    assert doc_id not in str(checked)
    assert doc_id not in public.get("/feed.atom").get_data(as_text=True)
    results = public.get("/search", query_string={"q": "城市公园"}).get_data(as_text=True)
    assert f"/doc/{doc_id}" not in results  # neither a hit nor a link from another hit

    shown = staff.get(f"/doc/{doc_id}")
    assert shown.status_code == 200
    banner = one(html(shown), "#withdrawn-banner").text()
    assert "含未脱敏个人信息" in banner and "alice" in banner
    listed = html(staff.get("/staff/doc/withdrawn"))
    assert "含未脱敏个人信息" in one(listed, "#withdrawn-list").text()
    assert public.get("/staff/doc/withdrawn").status_code == 302  # to the sign-in page
    with Gongkai(data) as gk:
        assert gk.verify()["ok"]

    restore = {"csrf_token": token, "action": "restore", "note": "已脱敏"}
    assert staff.post(f"/staff/doc/{doc_id}/withdraw", data=restore).status_code == 302
    assert public.get(f"/doc/{doc_id}").status_code == 200
    assert doc_id in search_ids(public, "城市公园")
    with Gongkai(data) as gk:
        actions = [(h["action"], h["actor"]) for h in gk.archive.history(doc_id)]
        assert actions[-2:] == [("withdraw", "alice"), ("restore", "alice")]
        assert gk.verify()["ok"]
