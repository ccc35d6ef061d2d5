"""Replies to 人大代表建议 and 政协委员提案 (issue 13 item 10): a kind of their own, detected on
import, linked to the documents they cite (``answers``), a 建议提案答复 section and a facet."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import html, import_docs, texts, write_doc

from archive.vocab import KIND_LABELS, PROPOSAL_REPLY, REQUEST_ANSWER
from indexer.config import init_data_dir
from indexer.engines.base import Filters
from indexer.header import infer_kind
from indexer.service import Gongkai

#: Every test here runs on an SQLite and on a PostgreSQL archive.
pytestmark = pytest.mark.usefixtures("archive_backend")


@pytest.mark.parametrize(
    "title",
    [
        "对市十六届人大一次会议第12号建议的答复",
        "关于加快测试公园建设的建议的答复",
        "关于完善测试社区养老服务的提案的答复",
        "对政协青测市委员会十届三次会议第45号提案的答复",
        "关于市人大代表王某某所提建议办理结果的函",
    ],
)
def test_titles_of_replies_are_their_own_kind(title: str) -> None:
    assert infer_kind(title) == PROPOSAL_REPLY


@pytest.mark.parametrize(
    "title",
    ["关于张某某政府信息公开申请的答复", "关于征求测试规划意见建议的通知", "测试办法政策解读"],
)
def test_other_titles_are_not(title: str) -> None:
    assert infer_kind(title) != PROPOSAL_REPLY


def _write(folder: Path) -> None:
    write_doc(
        folder,
        "rule.txt",
        title="青测市测试公园管理办法",
        number="青测政发〔2018〕6号",
        issued="2018-04-01",
        validity="有效",
        body="第一条 为加强测试公园管理，制定本办法。",
    )
    write_doc(
        folder,
        "reply.txt",
        title="对市十六届人大一次会议第12号建议的答复",
        issued="2021-07-01",
        body="王某某代表：\n您提出的关于增加测试公园开放时间的建议收悉。"
        "《青测市测试公园管理办法》（青测政发〔2018〕6号）规定的开放时间，我局已研究延长。\n感谢您的建议。",
    )
    (folder / "reply2.txt").write_text(
        "名  称: 关于测试公园增设座椅的答复\n提案编号: 第88号\n发文日期: 2021-08-01\n\n"
        "李某某委员：\n您的提案收悉。青测政发〔2018〕6号已规定座椅配置，我局将抓紧落实。\n",
        encoding="utf-8",
    )
    write_doc(
        folder,
        "answer.txt",
        title="关于张某某政府信息公开申请的答复",
        issued="2021-09-01",
        body="张某某：\n您申请公开的《青测市测试公园管理办法》已主动公开。",
    )


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_replies_are_linked_shown_and_faceted(tmp_path: Path, engine: str) -> None:
    data = tmp_path / "data"
    init_data_dir(data, engine)
    _write(tmp_path / "docs")
    ids = import_docs(data, tmp_path / "docs")
    with Gongkai(data) as gk:
        reply = gk.archive.get(ids["reply.txt"])
        reply2 = gk.archive.get(ids["reply2.txt"])
        assert reply is not None and reply2 is not None
        assert reply.kind == reply2.kind == PROPOSAL_REPLY
        assert reply2.extra["proposal_number"] == "第88号"
        rule = gk.archive.get(ids["rule.txt"])
        assert rule is not None
        cluster = gk.cluster(rule)
        assert {d.id for d in cluster.proposal_replies} == {reply.id, reply2.id}
        assert [d.id for d in cluster.answers] == [ids["answer.txt"]]
        assert [d.id for d in gk.cluster(reply).answers_about] == [rule.id]
        found = gk.search("测试公园", facets=True)
        assert found.facets["kind"][PROPOSAL_REPLY] == 2
        assert found.facets["kind"][REQUEST_ANSWER] == 1
        only = gk.search("测试公园", filters=Filters(kind=[PROPOSAL_REPLY]))
        assert {h.id for h in only.hits} == {reply.id, reply2.id}

    from search_app import create_app

    client = create_app({"DATA_DIR": data, "TESTING": True}).test_client()
    page = html(client.get(f"/doc/{ids['rule.txt']}"))
    section = page.css_first('[data-section="proposal_replies"]')
    assert section is not None
    assert texts(section, "h3") == [KIND_LABELS[PROPOSAL_REPLY]]
    assert len(section.css("li")) == 2
    api = client.get(f"/api/v1/documents/{ids['rule.txt']}/cluster").get_json()
    assert {d["id"] for d in api["proposal_replies"]} == {reply.id, reply2.id}
    assert [d["id"] for d in api["answers"]] == [ids["answer.txt"]]
    search = html(client.get("/search?q=测试公园"))
    assert "建议提案答复" in search.text()
