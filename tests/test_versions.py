"""Version chains without 文号 (same title and agency, ordered by date), manifest claims
(``supersedes`` / ``amends`` / ``repeals``), and the version list on the page, the API and
``show --json``.

The fictional regulation: 青测市城市绿化管理暂行办法 (2012), revised as 青测市城市绿化管理办法
(2016, citing the first) and corrected as 青测市城市绿化管理办法（2021年修正） (2021). The
agencies and 文号 are invented for these tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import cli_json, html, import_docs, texts, write_doc

from archive import Document
from archive.relations import CONFIRMED, MANIFEST, PROPOSED, SUPERSEDES, Relations
from indexer.engines.base import Filters
from indexer.pending import pending_for
from indexer.service import ENGINES, Gongkai, init_data_dir
from indexer.versioning import version_effective, version_key
from search_app import create_app

AGENCY = "青测市园林绿化局"

V1 = {
    "title": "青测市城市绿化管理暂行办法",
    "number": "青测园规〔2012〕1号",
    "issued": "2012-03-01",
    "validity": "有效",
    "agency": AGENCY,
    "body": (
        "第一条 为加强城市绿化管理，改善生态环境，制定本办法。\n"
        "第二条 本市城市规划区内的绿地规划、建设、保护和管理，适用本办法。\n"
        "第三条 任何单位和个人不得擅自占用城市绿地。\n"
        "第四条 本办法自2012年4月1日起施行。"
    ),
}
V2 = {
    "title": "青测市城市绿化管理办法",
    "number": "青测园规〔2016〕4号",
    "issued": "2016-05-10",
    "validity": "有效",
    "agency": AGENCY,
    "body": (
        "为适应城市绿化工作的新情况，市园林绿化局对《青测市城市绿化管理暂行办法》"
        "进行了修订，现予印发。\n"
        "第一条 为加强城市绿化管理，促进生态文明建设，制定本办法。\n"
        "第二条 本市行政区域内的绿地规划、建设、保护和管理，适用本办法。\n"
        "第三条 任何单位和个人不得擅自占用城市绿地，确需临时占用的，应当经批准。"
    ),
}
V3 = {
    "title": "青测市城市绿化管理办法（2021年修正）",
    "issued": "2021-09-01",
    "validity": "有效",
    "agency": AGENCY,
    "body": (
        "根据2021年8月20日市政府第十次常务会议决定修正。\n"
        "第一条 为加强城市绿化管理，促进生态文明建设，制定本办法。\n"
        "第二条 本市行政区域内的绿地规划、建设、保护和管理，适用本办法。\n"
        "第三条 古树名木实行统一管理，分别保护。"
    ),
}
#: The same title from another agency of the same city: a different regulation.
OTHER_AGENCY = {
    **V2,
    "title": "青测市城市绿化管理办法",
    "number": "青测建发〔2019〕8号",
    "issued": "2019-07-01",
    "agency": "青测市住房和城乡建设局",
    "body": "第一条 为规范建设项目配套绿化工程的修建和验收，制定本办法。\n第二条 ……",
}
#: The same title, agency not stated, nothing said about a revision: staff must decide.
WEAK = {
    "title": "青测市城市绿化管理办法",
    "issued": "2024-02-01",
    "validity": "有效",
    "agency": "",
    "body": "第一条 为加强城市绿化管理，制定本办法。\n第二条 本办法由市园林绿化局负责解释。",
}


def _write(folder: Path, name: str, doc: dict[str, str]) -> Path:
    return write_doc(folder, name, **doc)


def _supersedes(data: Path) -> dict[tuple[str, str], str]:
    """(newer id, older id) → state of every supersedes relation."""
    with Gongkai(data, readonly=True) as gk:
        rels = Relations(gk.archive)
        found = {}
        for state in (CONFIRMED, PROPOSED):
            for rel in rels.with_state(state):
                if rel.type == SUPERSEDES:
                    found[(rel.src, rel.dst)] = rel.state
        return found


def _validity(data: Path, doc_id: str) -> tuple[str, str]:
    with Gongkai(data, readonly=True) as gk:
        doc = gk.archive.get(doc_id)
        assert doc is not None
        status = gk.status(doc)
        return status.validity, status.current_version


def _indexed(data: Path, validity: str) -> set[str]:
    """Ids the engine's own validity field puts under ``validity`` today."""
    with Gongkai(data, readonly=True) as gk:
        assert gk.validity.index_answers(None)
        hits = gk.search("", filters=Filters(validity=[validity]), limit=50).hits
        return {h.id for h in hits}


def test_a_revised_text_keeping_the_first_start_date_takes_effect_when_issued() -> None:
    revised = Document(
        title="青测市城市绿化管理办法（2021年修正）",
        text="第九条 本办法自2012年4月1日起施行。",
        date_issued="2021-09-01",
    )
    assert version_effective(revised) == "2021-09-01"
    new = Document(
        title="青测市城市绿化管理办法",
        text="本办法自2016年7月1日起施行。",
        date_issued="2016-05-10",
    )
    assert version_effective(new) == "2016-07-01"


def test_version_key_ignores_revision_trial_and_year_markers() -> None:
    base = "青测市城市绿化管理办法"
    for title in (
        "青测市城市绿化管理办法（2019年修订）",
        "青测市城市绿化管理办法(2018修正)",
        "青测市城市绿化管理暂行办法",
        "青测市城市绿化管理办法（试行）",
        "青测市城市绿化管理办法〔2020年第二次修正〕",
        "关于印发《青测市城市绿化管理办法》的通知",
        "青测市 城市绿化管理办法",
    ):
        assert version_key(title) == base, title
    assert version_key("青测市城市绿化管理办法实施细则") != base
    assert version_key("通知") == ""  # too short to chain by


@pytest.mark.parametrize("engine", ENGINES)
def test_revised_twice_in_one_run(tmp_path: Path, engine: str) -> None:
    data = tmp_path / "data"
    init_data_dir(data, engine)
    src = tmp_path / "src"
    for name, doc in (("v1.txt", V1), ("v2.txt", V2), ("v3.txt", V3)):
        _write(src, name, doc)
    ids = import_docs(data, src)
    v1, v2, v3 = ids["v1.txt"], ids["v2.txt"], ids["v3.txt"]
    assert _supersedes(data) == {(v2, v1): CONFIRMED, (v3, v2): CONFIRMED}
    assert _validity(data, v1) == ("已修改", v3)
    assert _validity(data, v2) == ("已修改", v3)
    assert _validity(data, v3)[0] == "有效"
    assert _indexed(data, "已修改") == {v1, v2}
    assert v3 in _indexed(data, "有效")
    with Gongkai(data, readonly=True) as gk:
        history = gk.archive.history(v1)
        [entry] = [h for h in history if h["action"] == "relation"]
        assert entry["detail"]["src"] == v2 and entry["detail"]["type"] == SUPERSEDES
        assert "发布机构相同" in Relations(gk.archive).find(v2, SUPERSEDES, v1).evidence  # type: ignore[union-attr]
        [change] = [h["detail"] for h in history if h["action"] == "validity"]
        assert (change["before"]["validity"], change["after"]["validity"]) == ("有效", "已修改")
        assert change["after"]["current_version"] == v3


@pytest.mark.parametrize("engine", ENGINES)
def test_versions_out_of_order_in_separate_runs(tmp_path: Path, engine: str) -> None:
    data = tmp_path / "data"
    init_data_dir(data, engine)
    v3 = import_docs(data, _write(tmp_path / "a", "v3.txt", V3))["v3.txt"]
    v1 = import_docs(data, _write(tmp_path / "b", "v1.txt", V1))["v1.txt"]
    # The newest came first: the older one arriving later is chained to it at once.
    assert _supersedes(data) == {(v3, v1): CONFIRMED}
    assert _validity(data, v1) == ("已修改", v3)
    assert _indexed(data, "已修改") == {v1}
    v2 = import_docs(data, _write(tmp_path / "c", "v2.txt", V2))["v2.txt"]
    # The middle version slots in between, in both directions.
    found = _supersedes(data)
    assert found[(v2, v1)] == CONFIRMED and found[(v3, v2)] == CONFIRMED
    assert _validity(data, v2) == ("已修改", v3)
    assert _validity(data, v1) == ("已修改", v3)
    assert _indexed(data, "已修改") == {v1, v2}
    assert _indexed(data, "有效") == {v3}


def test_same_title_from_another_agency_is_not_chained(tmp_path: Path) -> None:
    data = tmp_path / "data"
    src = tmp_path / "src"
    _write(src, "v2.txt", V2)
    _write(src, "other.txt", OTHER_AGENCY)
    ids = import_docs(data, src)
    assert _supersedes(data) == {}
    assert _validity(data, ids["v2.txt"])[0] == "有效"
    assert _validity(data, ids["other.txt"])[0] == "有效"


def test_weak_evidence_becomes_a_staff_proposal(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ids = import_docs(data, _write(tmp_path / "a", "v2.txt", V2))
    ids |= import_docs(data, _write(tmp_path / "b", "weak.txt", WEAK))
    v2, weak = ids["v2.txt"], ids["weak.txt"]
    assert _supersedes(data) == {(weak, v2): PROPOSED}
    assert _validity(data, v2)[0] == "有效"  # a proposal changes nothing until confirmed
    with Gongkai(data) as gk:
        [pending] = pending_for(gk.archive, [v2])[v2]
        assert pending.by == weak and "替代" in pending.text
        [proposal] = [p for p in gk.proposals() if p.type == SUPERSEDES]
        gk.set_relation_state(proposal.id, CONFIRMED, actor="staff", note="核对无误")
    assert _validity(data, v2) == ("已修改", weak)
    assert _indexed(data, "已修改") == {v2}


def _manifest(path: Path, rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


#: A renamed regulation: nothing in the titles or texts ties the two together.
OLD_ROW = {
    "id": "qc-ldbz-2015",
    "title": "青测市劳动保障监察实施办法",
    "agency": "青测市人力资源和社会保障局",
    "doc_number": "青测人社规〔2015〕2号",
    "date_issued": "2015-04-01",
    "validity": "有效",
    "body": "第一条 为实施劳动保障监察，制定本办法。\n第二条 用人单位应当遵守劳动保障法律。",
}
NEW_ROW = {
    "id": "qc-ldbz-2022",
    "title": "青测市劳动保障监察条例实施细则",
    "agency": "青测市人力资源和社会保障局",
    "doc_number": "青测人社规〔2022〕6号",
    "date_issued": "2022-10-01",
    "validity": "有效",
    "body": "第一条 为实施劳动保障监察条例，制定本细则。\n第二条 监察机构应当公开举报电话。",
}


def test_manifest_supersedes_in_one_run(tmp_path: Path) -> None:
    data = tmp_path / "data"
    manifest = _manifest(
        tmp_path / "m" / "rows.jsonl",
        [{**NEW_ROW, "supersedes": "青测人社规[2015]2号"}, OLD_ROW],  # newer row first
    )
    with Gongkai(data) as gk:
        report = gk.import_manifest(manifest)
        assert [o.status for o in report.outcomes] == ["imported", "imported"]
        rel = Relations(gk.archive).find("qc-ldbz-2022", SUPERSEDES, "qc-ldbz-2015")
        assert rel is not None and (rel.origin, rel.state) == (MANIFEST, CONFIRMED)
    assert _validity(data, "qc-ldbz-2015") == ("已修改", "qc-ldbz-2022")
    assert _indexed(data, "已修改") == {"qc-ldbz-2015"}


def test_manifest_claim_waits_for_a_target_imported_later(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = _manifest(
        tmp_path / "m1" / "rows.jsonl",
        [{**NEW_ROW, "repeals": OLD_ROW["title"], "supersedes": "青测人社规〔2009〕1号"}],
    )
    second = _manifest(tmp_path / "m2" / "rows.jsonl", [OLD_ROW])
    with Gongkai(data) as gk:
        gk.import_manifest(first)
        assert Relations(gk.archive).of("qc-ldbz-2022") == []
        gk.import_manifest(second)
        rel = Relations(gk.archive).find("qc-ldbz-2022", "repeals", "qc-ldbz-2015")
        assert rel is not None and (rel.origin, rel.state) == (MANIFEST, CONFIRMED)
    assert _validity(data, "qc-ldbz-2015")[0] == "已废止"
    assert _indexed(data, "已废止") == {"qc-ldbz-2015"}
    with Gongkai(data, readonly=True) as gk:
        history = gk.archive.history("qc-ldbz-2015")
    changes = [h["detail"] for h in history if h["action"] == "validity"]
    assert [(c["before"]["validity"], c["after"]["validity"]) for c in changes] == [
        ("有效", "已废止")
    ]


# -- the version list: page, API, show --json --------------------------------------------------


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("versions")
    src = root / "src"
    for name, doc in (("v1.txt", V1), ("v2.txt", V2), ("v3.txt", V3)):
        _write(src, name, doc)
    data = root / "data"
    return data, import_docs(data, src)


def test_document_page_lists_every_version(three: tuple[Path, dict[str, str]]) -> None:
    data, ids = three
    v1, v2, v3 = ids["v1.txt"], ids["v2.txt"], ids["v3.txt"]
    app = create_app({"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "test"})
    page = html(app.test_client().get(f"/doc/{v2}"))
    rows = page.css("#versions tr.version")
    assert [r.attributes["data-id"] for r in rows] == [v1, v2, v3]
    assert [texts(r, ".badge")[0] for r in rows] == ["已修改", "已修改", "有效"]
    current = page.css("#versions tr.current")
    assert [r.attributes["data-id"] for r in current] == [v3]
    assert texts(current[0], ".current-mark") == ["现行版本"]
    links = [a.attributes["href"] for a in page.css("#versions a.compare-link")]
    assert links == [f"/doc/{v2}/compare/{v1}", f"/doc/{v2}/compare/{v3}"]
    assert "本文件" in texts(page, "#versions tr.this td")[0]
    assert [texts(r, "td")[2] for r in rows] == ["2012-03-01", "2016-05-10", "2021-09-01"]


def test_api_and_show_json_carry_the_versions(three: tuple[Path, dict[str, str]]) -> None:
    data, ids = three
    v1, v3 = ids["v1.txt"], ids["v3.txt"]
    app = create_app({"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "test"})
    answer = app.test_client().get(f"/api/v1/documents/{v1}?text=0").get_json()
    shown = cli_json(data, "show", v1, "--no-text", "--json")
    for versions in (answer["versions"], shown["versions"]):
        assert [v["id"] for v in versions] == [v1, ids["v2.txt"], v3]
        assert [v["current"] for v in versions] == [False, False, True]
        assert [v["this"] for v in versions] == [True, False, False]
        assert versions[0]["compare"] == ""
        assert versions[2]["compare"] == f"/doc/{v1}/compare/{v3}"
        assert versions[2]["validity"] == "有效" and versions[0]["validity"] == "已修改"
    assert "cluster" in shown and "status" in shown  # keys added, none renamed


def test_a_document_without_versions_has_an_empty_list(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ids = import_docs(data, _write(tmp_path / "a", "v2.txt", V2))
    assert cli_json(data, "show", ids["v2.txt"], "--json")["versions"] == []
