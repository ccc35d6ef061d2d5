"""Validity over time: dated repeals, the amendment chain, header against relation, staff
records, proposed relations, history, and the derived validity the index and search use.

Every scenario imports real files into a real data directory; statuses are asked for on fixed
dates, so the tests do not depend on today (future dates are in 2099)."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from helpers import import_docs, load_doc, write_doc

from archive.clusters import BRIEF_PARTS, cluster_briefs
from archive.relations import Relations
from archive.validity import status_on
from indexer.engines.base import Filters
from indexer.service import Gongkai

#: Every test here runs on an SQLite and on a PostgreSQL archive.
pytestmark = pytest.mark.usefixtures("archive_backend")

OLD_RULE = "青测市停车场管理办法"


@pytest.fixture
def repeal_2020(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A (header: 有效) repealed by B with effect from 2020-07-01, 文号 cited exactly."""
    src = tmp_path / "src"
    a = write_doc(
        src,
        "a.txt",
        title=f"关于印发《{OLD_RULE}》的通知",
        number="青测规〔2016〕4号",
        issued="2016-05-10",
        validity="有效",
        body=f"{OLD_RULE}\n第一条 为规范停车场管理，制定本办法。\n"
        "第九条 本办法自2016年6月1日起施行。",
    )
    b = write_doc(
        src,
        "b.txt",
        title="关于印发《青测市机动车停放服务管理办法》的通知",
        number="青测规〔2020〕9号",
        issued="2020-05-20",
        validity="有效",
        body=(
            "青测市机动车停放服务管理办法\n第一条 为规范机动车停放服务，制定本办法。\n"
            f"第二十条 本办法自2020年7月1日起施行。《{OLD_RULE}》（青测规〔2016〕4号）同时废止。"
        ),
    )
    data = tmp_path / "data"
    return data, import_docs(data, a, b)


def test_repeal_takes_effect_on_its_date(repeal_2020) -> None:
    data, ids = repeal_2020
    with Gongkai(data, readonly=True) as gk:
        a = gk.archive.get(ids["a.txt"])
        before = gk.status(a, "2020-06-30")
        after = gk.status(a, "2020-07-01")
    assert before.validity == "有效" and before.in_force
    assert "2020-07-01" in before.note  # the coming repeal is announced
    assert after.validity == "已废止" and not after.in_force
    assert after.since == "2020-07-01"
    assert after.by == ids["b.txt"]
    assert after.source == "relation"


def test_conflicting_header_and_relation_shows_both(repeal_2020) -> None:
    data, ids = repeal_2020
    a = load_doc(data, ids["a.txt"])
    assert a.validity == "有效"  # the header, as published, is kept
    with Gongkai(data, readonly=True) as gk:
        status = gk.status(a, "2021-01-01")
    assert status.published == "有效"
    assert status.validity == "已废止"
    assert "原文标注“有效”" in status.note and "以关系为准" in status.note
    assert "青测规〔2020〕9号" in status.note  # names the repealing document


def test_header_saying_repealed_is_placed_in_time_by_the_relation(tmp_path: Path) -> None:
    """A header written after the repeal (已废止) does not make the document invalid on a date
    before the repeal took effect."""
    src = tmp_path / "src"
    a = write_doc(
        src,
        "a.txt",
        title="青测市夜市摊点管理规定",
        number="青测发〔2015〕2号",
        issued="2015-03-01",
        validity="已废止",
        body="第一条 为规范夜市摊点，制定本规定。",
    )
    b = write_doc(
        src,
        "b.txt",
        title="青测市街区经营管理规定",
        number="青测发〔2019〕6号",
        issued="2019-01-02",
        body="本规定自2019年2月1日起施行。《青测市夜市摊点管理规定》（青测发〔2015〕2号）同时废止。",
    )
    data = tmp_path / "data"
    ids = import_docs(data, a, b)
    with Gongkai(data, readonly=True) as gk:
        doc = gk.archive.get(ids["a.txt"])
        early, late = gk.status(doc, "2018-12-31"), gk.status(doc, "2019-02-01")
    assert early.validity == "有效"
    assert "原文标注“已废止”" in early.note
    assert late.validity == "已废止" and late.since == "2019-02-01"
    # No header/relation conflict once the repeal is in force: no "以关系为准" wording.
    assert "以关系为准" not in late.note


def test_repeal_with_future_effect(tmp_path: Path) -> None:
    src = tmp_path / "src"
    a = write_doc(
        src,
        "a.txt",
        title="青测市共享单车停放规范",
        number="青测规〔2021〕3号",
        issued="2021-03-01",
        validity="有效",
        body="第一条 为规范共享单车停放，制定本规范。",
    )
    b = write_doc(
        src,
        "b.txt",
        title="青测市非机动车停放管理办法",
        number="青测规〔2024〕8号",
        issued="2024-08-01",
        effective="2099-01-01",
        validity="尚未生效",
        body="本办法自2099年1月1日起施行。《青测市共享单车停放规范》（青测规〔2021〕3号）同时废止。",
    )
    data = tmp_path / "data"
    ids = import_docs(data, a, b)
    with Gongkai(data, readonly=True) as gk:
        old, new = gk.archive.get(ids["a.txt"]), gk.archive.get(ids["b.txt"])
        now_old, now_new = gk.status(old), gk.status(new)
        then_old, then_new = gk.status(old, "2099-01-01"), gk.status(new, "2099-01-01")
    assert now_old.validity == "有效"
    assert "2099-01-01" in now_old.note
    assert now_new.validity == "尚未生效"
    assert then_old.validity == "已废止" and then_old.by == ids["b.txt"]
    assert then_new.validity == "有效"


def _chain(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    title = "青测市网络预约出租汽车管理办法"
    src = tmp_path / "src"
    v1 = write_doc(
        src,
        "v1.txt",
        title=title,
        number="青测规〔2015〕3号",
        issued="2015-03-01",
        validity="有效",
        body="第一条 为规范网约车经营，制定本办法。\n第三十条 本办法自2015年4月1日起施行。",
    )
    v2 = write_doc(
        src,
        "v2.txt",
        title=title,
        number="青测规〔2019〕5号",
        issued="2019-02-01",
        validity="有效",
        body=(
            "第一条 为规范网约车经营，制定本办法。\n"
            f"第三十二条 本办法自2019年3月1日起施行。2015年3月1日印发的《{title}》"
            "（青测规〔2015〕3号）同时废止。"
        ),
    )
    v3 = write_doc(
        src,
        "v3.txt",
        title=title,
        number="青测规〔2022〕2号",
        issued="2022-05-01",
        validity="有效",
        body=(
            "第一条 为规范网约车经营，制定本办法。\n"
            f"第三十五条 本办法自2022年6月1日起施行。《{title}》（青测规〔2019〕5号）同时废止。"
        ),
    )
    data = tmp_path / "data"
    return data, import_docs(data, v1, v2, v3)


def test_amendment_chain_of_three_versions(tmp_path: Path) -> None:
    data, ids = _chain(tmp_path)
    v1, v2, v3 = ids["v1.txt"], ids["v2.txt"], ids["v3.txt"]
    with Gongkai(data, readonly=True) as gk:
        docs = {i: gk.archive.get(i) for i in (v1, v2, v3)}
        rels = Relations(gk.archive).incoming([v1, v2])
        assert {(r.src, r.type, r.state) for r in rels[v1]} == {(v2, "supersedes", "confirmed")}
        assert {(r.src, r.type, r.state) for r in rels[v2]} == {(v3, "supersedes", "confirmed")}

        assert gk.status(docs[v1], "2019-02-28").validity == "有效"
        s2020 = gk.status(docs[v1], "2020-01-01")
        assert (s2020.validity, s2020.since, s2020.by) == ("已修改", "2019-03-01", v2)
        assert s2020.current_version == v2
        s2023 = gk.status(docs[v1], "2023-01-01")
        assert s2023.validity == "已修改" and s2023.current_version == v3
        assert gk.status(docs[v2], "2023-01-01").current_version == v3
        assert gk.status(docs[v3], "2023-01-01").validity == "有效"
        assert gk.status(docs[v3], "2023-01-01").current_version == ""
        versions = [d.id for d in gk.cluster(docs[v2]).versions]
    assert versions == [v1, v2, v3]


def test_cluster_briefs_are_the_cluster_as_ids(tmp_path: Path) -> None:
    """The batched brief of search hits names what :func:`cluster_of` lists, in its order:
    confirmed interpretations, answers, repeals and amendments pointing at each document."""
    data, ids = _chain(tmp_path)
    v1, v2, v3 = ids["v1.txt"], ids["v2.txt"], ids["v3.txt"]
    with Gongkai(data) as gk:
        gk.link(v3, "interprets", v1, actor="t")
        gk.link(v2, "interprets", v1, actor="t")
        gk.link(v2, "answers", v1, actor="t")
        gk.link(v3, "repeals", v1, actor="t")
        gk.link(v2, "amends", v1, actor="t")
        gk.link(v3, "amends", v2, actor="t")
        gk.link(v3, "cites", v1, actor="t")
        gk.unlink(v2, "answers", v1, actor="t")  # rejected: not in the brief
        briefs = cluster_briefs(gk.archive, [v1, v2, v3])
        for doc_id in (v1, v2, v3):
            cluster = gk.cluster(gk.archive.get(doc_id))
            expected = {
                name: [d.id for d in getattr(cluster, name)]
                for name, _ in BRIEF_PARTS
                if getattr(cluster, name)
            }
            assert briefs[doc_id] == expected
            assert gk.cluster_brief(gk.archive.get(doc_id)) == {
                **expected,
                **({"current_version": v3} if doc_id != v3 else {}),
            }
    assert briefs[v1] == {"interpretations": [v3, v2], "repealed_by": [v3], "amended_by": [v2]}
    assert briefs[v2] == {"amended_by": [v3]} and briefs[v3] == {}


def test_proposed_relation_changes_nothing_until_confirmed(tmp_path: Path) -> None:
    """A repeal clause naming only the title is proposed; confirming applies it, rejecting
    withdraws it, and a later relink does not propose it again."""
    src = tmp_path / "src"
    a = write_doc(
        src,
        "a.txt",
        title="关于印发《青测市路灯维护办法》的通知",
        number="青测发〔2012〕7号",
        issued="2012-06-01",
        validity="有效",
        body="青测市路灯维护办法\n第一条 为做好路灯维护，制定本办法。",
    )
    b = write_doc(
        src,
        "b.txt",
        title="关于废止《青测市路灯维护办法》的通知",
        number="青测发〔2018〕1号",
        issued="2018-01-05",
        body="经研究，决定：《青测市路灯维护办法》自2018年3月1日起废止。",
    )
    data = tmp_path / "data"
    ids = import_docs(data, a, b)
    with Gongkai(data) as gk:
        doc = gk.archive.get(ids["a.txt"])
        [proposal] = gk.proposals()
        assert (proposal.src, proposal.type, proposal.dst) == (ids["b.txt"], "repeals", doc.id)
        assert proposal.effective == "2018-03-01"
        assert gk.status(doc, "2019-01-01").validity == "有效"

        gk.set_relation_state(proposal.id, "confirmed", note="核对原文", actor="li")
        assert gk.status(doc, "2019-01-01").validity == "已废止"
        assert gk.status(doc, "2018-02-28").validity == "有效"

        gk.set_relation_state(proposal.id, "rejected", note="误判", actor="li")
        assert gk.status(doc, "2019-01-01").validity == "有效"
        gk.relink()
        assert gk.proposals() == []
        states = {r.state for r in gk.relations(doc.id)}
    assert states == {"rejected"}


def test_staff_status_wins_and_can_be_withdrawn(repeal_2020) -> None:
    data, ids = repeal_2020
    a = ids["a.txt"]
    with Gongkai(data) as gk:
        status = gk.set_status(a, "部分失效", note="第三条仍适用", actor="wang")
        assert status.validity == "部分失效" and status.source == "staff"
        assert "以工作人员记录为准" in status.note or "wang" in status.note
        dated = gk.set_status(a, "失效", date="2099-06-01", actor="wang")
        assert dated.validity == "部分失效"  # the dated record is not in force yet
        assert gk.status(gk.archive.get(a), "2099-06-01").validity == "失效"
        cleared = gk.set_status(a, "", note="撤回", actor="wang")
        assert cleared.validity == "已废止" and cleared.source == "relation"
        with pytest.raises(ValueError, match="unknown validity"):
            gk.set_status(a, "大概有效")


def test_history_trail_is_complete_and_append_only(repeal_2020) -> None:
    data, ids = repeal_2020
    a, b = ids["a.txt"], ids["b.txt"]
    with Gongkai(data) as gk:
        [rel] = [r for r in gk.relations(a) if r.type == "repeals"]
        gk.unlink(b, "repeals", a, note="文号引用错误", actor="zhao")
        gk.link(b, "repeals", a, date="2020-08-01", note="复核后恢复", actor="zhao")
        gk.set_status(a, "已废止", date="2020-08-01", by=b, note="以复核为准", actor="qian")
        trail = gk.history(a)
        conn = gk.archive.conn
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("UPDATE history SET actor = 'x' WHERE doc_id = ?", (a,))
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("DELETE FROM relations WHERE id = ?", (rel.id,))
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("DELETE FROM status_changes")
    actions = [(e["action"], e["detail"].get("change")) for e in trail]
    assert actions[0] == ("import", None)
    assert ("relation", "added") in actions  # by the linker at import
    assert ("relation", "rejected") in actions and ("relation", "updated") in actions
    assert ("status", None) in actions
    rejected = next(e for e in trail if e["detail"].get("change") == "rejected")
    assert rejected["actor"] == "zhao" and rejected["detail"]["why"] == "文号引用错误"
    assert rejected["detail"]["before"]["state"] == "confirmed"
    assert rejected["detail"]["after"]["state"] == "rejected"
    validity = [e["detail"] for e in trail if e["action"] == "validity"]
    assert {"validity": "已废止"}.items() <= validity[0]["before"].items()
    assert validity[0]["after"]["validity"] == "有效"
    restored = next(e for e in trail if e["detail"].get("change") == "updated")
    assert restored["detail"]["after"]["effective"] == "2020-08-01"


def test_index_holds_derived_validity_and_search_as_of(repeal_2020) -> None:
    data, ids = repeal_2020
    a = ids["a.txt"]
    with Gongkai(data, readonly=True) as gk:
        repealed = gk.search("停车场", filters=Filters(validity=["已废止"]), limit=50)
        assert a in [h.id for h in repealed.hits]
        hit = next(h for h in repealed.hits if h.id == a)
        assert hit.validity == "已废止" and hit.status is not None
        assert hit.status.by == ids["b.txt"]
        in_force = Filters(validity=["有效", "部分失效"])
        on_eve = gk.search("停车场", filters=in_force, as_of="2020-06-30", limit=50)
        on_day = gk.search("停车场", filters=in_force, as_of="2020-07-01", limit=50)
    assert a in [h.id for h in on_eve.hits]
    assert next(h for h in on_eve.hits if h.id == a).validity == "有效"
    assert a not in [h.id for h in on_day.hits]


def test_validity_facet_counts_statuses_on_the_date_asked(repeal_2020) -> None:
    data, ids = repeal_2020
    with Gongkai(data, readonly=True) as gk:
        now = gk.search("停车场", facets=True, limit=50)
        eve = gk.search("停车场", facets=True, as_of="2020-06-30", limit=50)
        valid_on_eve = gk.search(
            "停车场", filters=Filters(validity=["有效"]), facets=True, as_of="2020-06-30"
        )
    assert now.total == eve.total == len(eve.hits)
    # each facet counts the hits by their status on the date asked (each hit carries it)
    assert now.facets["validity"] == dict(Counter(h.validity for h in now.hits))
    assert eve.facets["validity"] == dict(Counter(h.validity for h in eve.hits))
    assert now.facets["validity"].get("已废止") == 1  # a.txt, repealed on 2020-07-01
    assert "已废止" not in eve.facets["validity"]  # the day before, it was in force
    a_on_eve = next(h for h in eve.hits if h.id == ids["a.txt"])
    assert a_on_eve.validity == "有效"
    assert valid_on_eve.facets["validity"] == {"有效": valid_on_eve.total}


def test_relation_change_reindexes_the_target(repeal_2020) -> None:
    data, ids = repeal_2020
    a, b = ids["a.txt"], ids["b.txt"]
    with Gongkai(data) as gk:
        rev = gk.archive.get(a).rev
        gk.unlink(b, "repeals", a, actor="t")
        assert gk.archive.get(a).rev > rev
        assert gk.verify()["ok"]
        found = gk.search("停车场", filters=Filters(validity=["有效"]), limit=50)
    assert a in [h.id for h in found.hits]


def test_status_on_without_relations_follows_header_and_dates() -> None:
    from archive import Document

    doc = Document(
        title="t",
        text="",
        id="x",
        validity="尚未生效",
        date_issued="2020-01-01",
        date_effective="2020-03-01",
    )
    assert status_on(doc, "2020-02-01").validity == "尚未生效"
    late = status_on(doc, "2020-03-01")
    assert late.validity == "有效" and "施行日期" in late.note
    expired = Document(title="t", text="", id="y", validity="失效", date_issued="2019-01-01")
    assert status_on(expired, "2024-01-01").validity == "失效"
    assert status_on(expired, "2018-12-31").validity == "尚未生效"


def test_an_undated_repeal_acts_from_the_date_the_repealing_text_states(tmp_path: Path) -> None:
    """A relation made without a date acts from the acting document's start: the 施行日期
    its text states when its header gives none (not the date it was issued)."""
    from archive import Archive, Document
    from archive.validity import statuses

    with Archive.open(tmp_path / "data") as archive:
        old = Document(title="旧规定", text="旧规定", date_issued="2015-01-01", validity="有效")
        new = Document(title="青测市新规定", text="新规定", date_issued="2019-01-01")
        old_id = archive.add(old, b"old").id
        new_id = archive.add(new, b"new").id
        relations = Relations(archive)
        relations.fill_effective(new_id, "2019-06-01", evidence="自2019年6月1日起施行", actor="t")
        relations.add(new_id, "repeals", old_id, actor="t")
        doc = archive.get(old_id)
        before = statuses(archive, [doc], "2019-05-31")[old_id]
        after = statuses(archive, [doc], "2019-06-01")[old_id]
    assert before.validity == "有效" and before.in_force
    assert after.validity == "已废止" and after.since == "2019-06-01" and after.by == new_id
