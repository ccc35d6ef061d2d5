"""Staff pages as staff use them (issue 13): forms that take 文号, 索引号 and titles like the
CLI and say which document they acted on; pending proposals where decisions are made; each
document's history in words. Flask's test client on a private data directory per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers import PASSWORD, WEB, csrf_token, html, import_docs, login, one, visible

from indexer.service import Gongkai
from search_app import create_app
from search_app.auth import add_user


@pytest.fixture
def fresh(tmp_path: Path) -> tuple[Flask, Path, dict[str, str]]:
    data = tmp_path / "data"
    ids = import_docs(data, WEB)
    with Gongkai(data) as gk:
        add_user(gk.archive, "alice", PASSWORD)
    return create_app({"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "sw"}), data, ids


def signed_in(app: Flask) -> tuple[FlaskClient, str]:
    client = app.test_client()
    assert login(client).status_code == 302
    return client, csrf_token(client.get("/staff/"))


def flashes(client: FlaskClient, url: str) -> str:
    return " ".join(n.text() for n in html(client.get(url)).css(".flash"))


# -- item 3: forms take 文号, 索引号 and titles -------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    [
        "青交规〔2022〕3号",
        "青交规[2022]3号",
        "青交规 2022 3号",
        "QC-JTJ-2022-0003",
        "青川市公共自行车停放管理办法",
    ],
)
def test_status_form_takes_what_the_cli_takes_and_names_the_document(
    fresh: tuple[Flask, Path, dict[str, str]], ref: str
) -> None:
    app, data, ids = fresh
    client, token = signed_in(app)
    form = {"csrf_token": token, "doc_id": ref, "validity": "失效", "date": "2024-01-01"}
    response = client.post("/staff/status", data=form)
    assert response.status_code == 302
    doc_id = ids["jiaotong-2022-3.txt"]
    assert response.headers["Location"] == f"/doc/{doc_id}"
    said = flashes(client, f"/doc/{doc_id}")
    assert "《青川市公共自行车停放管理办法》（青交规〔2022〕3号）" in said and "失效" in said
    with Gongkai(data, readonly=True) as gk:
        assert gk.status(gk.archive.get(doc_id), "2024-06-01").validity == "失效"


def test_status_form_basis_by_doc_number_is_stored_as_the_document(
    fresh: tuple[Flask, Path, dict[str, str]],
) -> None:
    app, data, ids = fresh
    client, token = signed_in(app)
    form = {
        "csrf_token": token,
        "doc_id": "青园发〔2016〕2号",
        "validity": "已废止",
        "date": "2020-03-10",
        "by": "青园发[2020]5号",
    }
    assert client.post("/staff/status", data=form).status_code == 302
    with Gongkai(data, readonly=True) as gk:
        status = gk.status(gk.archive.get(ids["yuanlin-2016-2.txt"]))
    assert status.by == ids["yuanlin-2020-5.txt"]


def test_a_form_that_names_no_document_says_so_and_keeps_the_input(
    fresh: tuple[Flask, Path, dict[str, str]],
) -> None:
    app, data, ids = fresh
    client, token = signed_in(app)
    form = {
        "csrf_token": token,
        "doc_id": "青交规〔2099〕7号",
        "validity": "已废止",
        "date": "2024-02-03",
        "note": "核对后填写",
    }
    response = client.post("/staff/status", data=form)
    assert response.status_code == 404
    page = html(response)
    assert "青交规〔2099〕7号" in one(page, "#form-error").text()
    kept = one(page, "#staff-status-form")
    assert one(kept, 'input[name="doc_id"]').attributes["value"] == "青交规〔2099〕7号"
    assert one(kept, 'input[name="date"]').attributes["value"] == "2024-02-03"
    assert one(kept, 'input[name="note"]').attributes["value"] == "核对后填写"
    assert one(kept, "option[selected]").text() == "已废止"
    with Gongkai(data, readonly=True) as gk:
        assert not any(h["action"] == "status" for d in ids.values() for h in gk.history(d))


def test_link_and_unlink_by_doc_number_and_title(
    fresh: tuple[Flask, Path, dict[str, str]],
) -> None:
    app, data, ids = fresh
    client, token = signed_in(app)
    form = {
        "csrf_token": token,
        "src": "关于公园开放时间信息公开申请的答复书",
        "type": "cites",
        "dst": "青交规〔2022〕3号",
    }
    response = client.post("/staff/link", data=form)
    assert response.status_code == 302
    src, dst = ids["yuanlin-dafu.txt"], ids["jiaotong-2022-3.txt"]
    said = flashes(client, f"/doc/{src}")
    assert "《关于公园开放时间信息公开申请的答复书》" in said
    assert "《青川市公共自行车停放管理办法》（青交规〔2022〕3号）" in said
    with Gongkai(data, readonly=True) as gk:
        assert dst in [d.id for d in gk.cluster(gk.archive.get(src)).cites]

    wrong = client.post("/staff/unlink", data={**form, "dst": "青交规〔2022〕9号", "note": "错"})
    assert wrong.status_code == 404
    kept = one(html(wrong), "#staff-unlink-form")
    assert one(kept, 'input[name="dst"]').attributes["value"] == "青交规〔2022〕9号"
    assert one(kept, 'input[name="note"]').attributes["value"] == "错"
    assert one(kept, "option[selected]").attributes["value"] == "cites"

    done = client.post("/staff/unlink", data={**form, "note": "引用有误"})
    assert done.status_code == 302
    with Gongkai(data, readonly=True) as gk:
        assert dst not in [d.id for d in gk.cluster(gk.archive.get(src)).cites]


def test_a_reference_to_several_documents_lists_them(
    fresh: tuple[Flask, Path, dict[str, str]], tmp_path: Path
) -> None:
    app, data, ids = fresh
    twin = tmp_path / "twin"
    twin.mkdir()
    text = (WEB / "yuanlin-2020-5.txt").read_text(encoding="utf-8")
    (twin / "twin.txt").write_text(
        text.replace("QC-YLJ-2020-0005", "QC-YLJ-2020-0099").replace("第一条", "附：第一条"),
        encoding="utf-8",
    )
    with Gongkai(data) as gk:
        gk.import_paths([twin])
    client, token = signed_in(app)
    form = {"csrf_token": token, "src": "青园发〔2020〕5号", "type": "cites", "dst": "x"}
    response = client.post("/staff/link", data=form)
    assert response.status_code == 400
    said = one(html(response), "#form-error").text()
    assert "对应 2 件文件" in said and ids["yuanlin-2020-5.txt"] in said
    assert "请填写其中一件的编号" in visible(response)


# -- item 5: pending proposals where decisions are made -----------------------------------

# In the web fixtures, the 2022 measures repeal the 2018 rules by title only: a proposal.
NOTICE = (
    "待确认：可能已被《青川市公共自行车停放管理办法》（青交规〔2022〕3号）废止（自 2022-03-01 起）"
)


def test_check_shows_a_pending_proposal_beside_the_status_not_as_it(
    fresh: tuple[Flask, Path, dict[str, str]],
) -> None:
    from helpers import cli_json, run_cli

    app, data, ids = fresh
    [result] = cli_json(data, "check", "--json", "青交规〔2018〕9号", exit_code=3)
    [match] = result["matches"]
    assert match["validity"] == "失效"  # as published; the proposal changes nothing
    [pending] = match["pending"]
    assert pending["text"] == NOTICE
    assert (pending["by"], pending["validity"]) == (ids["jiaotong-2022-3.txt"], "已废止")
    [other] = cli_json(data, "check", "--json", "青交规〔2022〕3号")
    assert other["matches"][0]["pending"] == []

    text = run_cli(data, "check", "青交规〔2018〕9号").output
    assert f"{NOTICE}（gongkai proposals confirm {pending['relation']}）" in text
    table = run_cli(data, "check", "--csv", "青交规〔2018〕9号").output.lstrip("\ufeff")
    header, row = table.splitlines()[:2]
    assert header.endswith(",编号,待确认") and row.endswith(NOTICE)

    client = app.test_client()
    api = client.get("/api/v1/check?ref=青交规〔2018〕9号").get_json()
    assert api["results"][0]["pending"] == NOTICE
    assert api["results"][0]["pending_relations"] == [pending["relation"]]
    public = html(client.get("/check?refs=青交规〔2018〕9号"))
    assert one(public, ".check-table .pending").text().strip() == NOTICE
    assert not public.css(".check-table .pending a")  # confirming is for staff
    login(client)
    staff = html(client.get("/check?refs=青交规〔2018〕9号"))
    link = one(staff, ".check-table .pending a").attributes["href"]
    assert link == f"/staff/#proposal-{pending['relation']}"
    assert one(html(client.get("/staff/")), f"#proposal-{pending['relation']}")


def test_document_page_shows_staff_the_proposal_and_confirms_it(
    fresh: tuple[Flask, Path, dict[str, str]],
) -> None:
    app, data, ids = fresh
    old = ids["jiaotong-2018-9.txt"]
    anonymous = html(app.test_client().get(f"/doc/{old}"))
    assert not anonymous.css("#pending-notice")
    client, _ = signed_in(app)
    response = client.get(f"/doc/{old}")
    notice = one(html(response), "#pending-notice")
    assert NOTICE in notice.text()
    confirm = [a for a in (f.attributes["action"] for f in notice.css("form")) if "confirm" in a]
    done = client.post(confirm[0], data={"csrf_token": csrf_token(response), "back": f"/doc/{old}"})
    assert (done.status_code, done.headers["Location"]) == (302, f"/doc/{old}")
    after = html(client.get(f"/doc/{old}"))
    assert not after.css("#pending-notice")
    assert "本文件已废止" in one(after, "#status-banner").text()
    with Gongkai(data, readonly=True) as gk:
        assert gk.status(gk.archive.get(old)).validity == "已废止"


# -- item 7: history in words ----------------------------------------------------------------


def test_document_page_history_reads_as_staff_say_it(
    fresh: tuple[Flask, Path, dict[str, str]],
) -> None:
    from archive.dates import local_time

    app, data, ids = fresh
    doc_id = ids["jiaotong-2022-3.txt"]
    assert not html(app.test_client().get(f"/doc/{doc_id}")).css("#history")  # staff only
    client, token = signed_in(app)
    form = {
        "csrf_token": token,
        "doc_id": doc_id,
        "validity": "已废止",
        "date": "2024-01-01",
        "by": "青园发〔2020〕5号",
        "note": "核对原文",
    }
    assert client.post("/staff/status", data=form).status_code == 302
    section = one(html(client.get(f"/doc/{doc_id}")), "#history")
    rows = [[td.text().strip() for td in tr.css("td")] for tr in section.css("tbody tr")]
    with Gongkai(data, readonly=True) as gk:
        raw = gk.history(doc_id)
    assert len(rows) == len(raw)
    assert rows[0][2] == "导入" and rows[0][0] == local_time(str(raw[0]["at"]))
    staff = [r for r in rows if r[1] == "alice"]
    assert [r[2] for r in staff] == ["工作人员记录有效性", "有效性变化"]
    recorded, changed = staff
    assert recorded[3] == (
        "记录为“已废止”，自 2024-01-01 起，依据《青川市城市公园管理办法》（青园发〔2020〕5号）"
        "；理由：核对原文"
    )
    assert changed[4] == (
        "有效，自 2022-03-01 → 已废止，自 2024-01-01，"
        "依据《青川市城市公园管理办法》（青园发〔2020〕5号）"
    )
    assert not any(doc_id in " ".join(r) for r in rows)  # documents by name, not by id
    assert all("T" not in r[0] for r in rows)  # local time, not the stored UTC stamp


def test_cli_history_is_readable_and_json_is_kept(
    fresh: tuple[Flask, Path, dict[str, str]],
) -> None:
    from helpers import cli_json, run_cli

    _, data, ids = fresh
    old = ids["jiaotong-2018-9.txt"]
    with Gongkai(data) as gk:
        [proposal] = gk.proposals()
        gk.set_relation_state(proposal.id, "confirmed", note="已核对", actor="bob")
    lines = run_cli(data, "history", "青交规〔2018〕9号").output.splitlines()
    assert any(
        "bob  关联：确认关联：《青川市公共自行车停放管理办法》（青交规〔2022〕3号） 废止 "
        "《青川市公共自行车停放管理规定》（青交规〔2018〕9号）；理由：已核对（待确认 → 已确认）"
        in line
        for line in lines
    ), lines
    # The old rule's 有效期三年 ended on 2021-06-01 (失效 since then) before the repeal.
    assert any(
        "bob  有效性变化：有效性随之改变（失效，自 2021-06-01 → 已废止，自 2022-03-01" in x
        for x in lines
    )
    assert "{" not in "\n".join(lines)  # no raw JSON
    entries = cli_json(data, "history", "--json", old)
    assert {"seq", "doc_id", "at", "actor", "action", "detail"} <= set(entries[0])
    assert (
        entries[-1]["action"] == "validity"
        and entries[-1]["detail"]["after"]["validity"] == "已废止"
    )
