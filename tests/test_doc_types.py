"""Document types (issue 14 item 4): 法律, 行政法规, 地方性法规, 规章, 规范性文件, 其他文件 and the
three answering kinds, inferred at import (indexer/doctypes.py), given by a manifest, corrected
by staff (CLI and web form, recorded in the history, kept across re-inference), filled in for
rows archived before types existed (migration 8 + reindex/retype), and indexed as a facet and
filter on both engines.

tests/fixtures/doctypes/ holds fictional documents about river banks (岸线), one per clue: a
decree number (主席令, 国务院令, 市政府令), a 人大常委会公告, a 规范性文件 number, a 主题分类 or
文种 field, a decree number standing in the first lines of the text, and a decree number only
cited in a sentence (which must not count)."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from helpers import FIXTURES, PASSWORD, cli_json, csrf_token, html, import_docs, login, run_cli

from archive import Archive, Document
from archive.schema import MIGRATIONS
from archive.vocab import DOC_TYPES, canonical_doc_type
from indexer.building import build_document
from indexer.config import ANALYZER_VERSION, read_config, write_config
from indexer.doctypes import infer_doc_type
from indexer.engines.base import Filters
from indexer.service import ENGINES, Gongkai, init_data_dir
from search_app import create_app
from search_app.auth import add_user

DOCTYPES = FIXTURES / "doctypes"
EXPECTED = {
    "law-anxian.txt": "law",
    "regulation-anxian.txt": "admin_regulation",
    "local-anxian.txt": "local_regulation",
    "rule-anxian.txt": "rule",
    "decree-in-text-anxian.txt": "rule",
    "genre-anxian.txt": "rule",
    "normative-anxian.txt": "normative",
    "category-anxian.txt": "normative",
    "other-anxian.txt": "other",
    "cites-decree-anxian.txt": "other",
    "interp-anxian.txt": "interpretation",
}
ROOT = Path(__file__).resolve().parent.parent
SHARED = next(
    (
        p / "corpus" / "local-regulations.jsonl"
        for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared")
        if (p / "corpus" / "local-regulations.jsonl").exists()
    ),
    ROOT.parent / "shared" / "corpus" / "local-regulations.jsonl",
)


# -- inference ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED.items()))
def test_each_clue_gives_its_type(name: str, expected: str) -> None:
    path = DOCTYPES / name
    doc = build_document(path, path.read_bytes())
    assert (doc.doc_type, doc.doc_type_origin) == (expected, "auto")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"title": "河道管理条例", "agency": "国务院"}, "admin_regulation"),
        (
            {"title": "某某条例", "doc_number": "中华人民共和国国务院令 第 656 号"},
            "admin_regulation",
        ),
        ({"title": "某省河道管理条例"}, "local_regulation"),
        ({"title": "某市养犬管理规定", "agency": "某市人民代表大会常务委员会"}, "local_regulation"),
        ({"title": "某某办法", "doc_number": "交通运输部令2019年第3号"}, "rule"),
        ({"title": "某某办法", "doc_number": "财政部令（第9号）"}, "rule"),
        ({"title": "某某规定", "doc_number": "国务院国有资产监督管理委员会令第12号"}, "rule"),
        ({"title": "关于印发某办法的通知", "doc_number": "沪府规〔2020〕3号"}, "normative"),
        ({"title": "中华人民共和国某某法", "agency": ""}, "law"),
        ({"title": "关于某事的决定", "agency": "全国人民代表大会常务委员会"}, "law"),
        ({"title": "某区公共服务办法", "agency": "某区民政局"}, "normative"),
        ({"title": "关于召开会议的通知", "agency": "某区民政局"}, "other"),
        ({"title": "中国共产党某某工作条例"}, "other"),
        ({"title": "对第12号建议的答复", "kind": "proposal_reply"}, "proposal_reply"),
        ({"title": "某某答复书", "kind": "request_answer"}, "request_answer"),
        ({"title": "某某", "category": "政府规章"}, "rule"),
    ],
)
def test_inference_rules(fields: dict[str, str], expected: str) -> None:
    assert infer_doc_type(Document(text="", **fields)) == expected  # type: ignore[arg-type]


def test_a_decree_number_cited_in_a_sentence_is_not_the_documents_own() -> None:
    text = "根据《某某条例》（国务院令第492号）的规定，现通知如下。"
    assert infer_doc_type(Document(title="关于某事的通知", agency="某局", text=text)) == "other"
    head = "某市人民政府令\n第7号\n《某办法》已经市政府常务会议通过，现予公布。"
    assert infer_doc_type(Document(title="某办法", agency="某市人民政府", text=head)) == "rule"


def test_chinese_names_and_codes() -> None:
    assert canonical_doc_type("地方性法规") == "local_regulation"
    assert canonical_doc_type("部门规章") == canonical_doc_type("规章") == "rule"
    assert canonical_doc_type(" 规范性文件 ") == "normative"
    assert canonical_doc_type("rule") == "rule"
    assert canonical_doc_type("通知") is None  # a 文种, not a type


@pytest.mark.skipif(not SHARED.exists(), reason=f"shared corpus not found at {SHARED}")
def test_local_regulations_are_recognised_without_being_told() -> None:
    """The shared corpus of 1,911 local regulations, with its doc_type column ignored."""
    found: Counter[str] = Counter()
    with SHARED.open(encoding="utf-8") as rows:
        for line in rows:
            row = json.loads(line)
            doc = Document(
                title=row["title"],
                agency=row["agency"] or "",
                doc_number=row["doc_number"] or "",
                text=row["body"],
            )
            found[infer_doc_type(doc)] += 1
    assert found["local_regulation"] / sum(found.values()) > 0.995, found


# -- both engines ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def typed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, str]]]:
    found = {}
    for name in ENGINES:
        data = tmp_path_factory.mktemp(f"doctypes-{name}")
        init_data_dir(data, name)
        found[name] = (data, import_docs(data, DOCTYPES))
    return found


def test_facet_counts_match_the_archive_on_both_engines(typed) -> None:  # type: ignore[no-untyped-def]
    facets = {}
    for name, (data, ids) in typed.items():
        with Gongkai(data, readonly=True) as gk:
            facets[name] = gk.search("岸线", limit=50, facets=True).facets["doc_type"]
        assert facets[name] == dict(Counter(EXPECTED[n] for n in ids)), name
    assert facets["whoosh"] == facets["tantivy"]


@pytest.mark.parametrize("doc_type", ["rule", "normative", "law", "local_regulation"])
def test_filter_by_type_on_both_engines(typed, doc_type: str) -> None:  # type: ignore[no-untyped-def]
    found = {}
    for name, (data, ids) in typed.items():
        with Gongkai(data, readonly=True) as gk:
            result = gk.search("", filters=Filters(doc_type=[doc_type]), limit=50)
        by_id = {v: k for k, v in ids.items()}
        found[name] = sorted(by_id[h.id] for h in result.hits)
        assert all(h.doc_type == doc_type for h in result.hits)
    assert found["whoosh"] == found["tantivy"]
    assert found["whoosh"] == sorted(n for n, t in EXPECTED.items() if t == doc_type)


def test_cli_filter_accepts_chinese_names_and_json_carries_the_type(typed) -> None:  # type: ignore[no-untyped-def]
    for data, _ in typed.values():
        result = cli_json(data, "search", "岸线", "--doc-type", "规章", "--facets", "--json")
        assert {h["doc_type"] for h in result["hits"]} == {"rule"}
        assert result["total"] == 3
        assert result["facets"]["doc_type"] == {"rule": 3}
        bad = run_cli(data, "search", "岸线", "--doc-type", "通知")
        assert bad.exit_code == 2


# -- staff correction ----------------------------------------------------------------------------


@pytest.fixture
def fresh_typed(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    data = tmp_path / "data"
    return data, import_docs(data, DOCTYPES)


def test_staff_correction_is_recorded_and_survives_reinference(fresh_typed) -> None:  # type: ignore[no-untyped-def]
    data, ids = fresh_typed
    doc_id = ids["other-anxian.txt"]
    done = cli_json(data, "type", doc_id, "规范性文件", "--reason", "经合法性审查登记", "--json")
    assert done == {"id": doc_id, "doc_type": "normative", "doc_type_origin": "staff"}
    history = cli_json(data, "history", doc_id, "--json")
    entry = [h for h in history if h["action"] == "doc_type"][-1]
    assert entry["detail"] == {
        "before": "other",
        "after": "normative",
        "origin": "staff",
        "why": "经合法性审查登记",
    }
    assert "改为“规范性文件”" in run_cli(data, "history", doc_id).output
    # The index follows at once, and re-inference keeps what staff decided.
    hits = cli_json(data, "search", "清洁月", "--doc-type", "normative", "--json")["hits"]
    assert [h["id"] for h in hits] == [doc_id]
    report = cli_json(data, "retype", "--json")
    assert report["changed"] == 0
    assert cli_json(data, "show", doc_id, "--no-text", "--json")["doc_type"] == "normative"
    # auto hands it back to inference.
    back = cli_json(data, "type", doc_id, "auto", "--reason", "撤销", "--json")
    assert back["doc_type"] == "other" and back["doc_type_origin"] == "auto"
    assert run_cli(data, "type", doc_id, "通知", "--reason", "x").exit_code == 2
    assert run_cli(data, "type", doc_id, "规章").exit_code == 2  # --reason is required


def test_manifest_column_sets_the_type(tmp_path: Path) -> None:
    manifest = tmp_path / "m.jsonl"
    rows = [
        {"id": "m1", "title": "某市岸线办法", "doc_type": "地方性法规", "body": "第一条 岸线。"},
        {"id": "m2", "title": "某市岸线细则", "doc_type": "部门规章", "body": "第一条 岸线细则。"},
        {"id": "m3", "title": "关于岸线的通知", "doc_type": "通知类", "body": "岸线通知。"},
    ]
    manifest.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    data = tmp_path / "data"
    with Gongkai(data) as gk:
        assert gk.import_manifest(manifest).counts()["imported"] == 3
        got = {i: gk.archive.get(i) for i in ("m1", "m2", "m3")}
        assert (got["m1"].doc_type, got["m1"].doc_type_origin) == ("local_regulation", "manifest")
        assert (got["m2"].doc_type, got["m2"].doc_type_origin) == ("rule", "manifest")
        assert (got["m3"].doc_type, got["m3"].doc_type_origin) == ("other", "auto")
        assert got["m3"].extra["doc_type"] == "通知类"  # kept as given
        gk.retype()
        assert gk.archive.get("m1").doc_type == "local_regulation"


# -- archives from before document types --------------------------------------------------------


def test_an_old_archive_is_migrated_and_typed_by_the_reindex(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ids = import_docs(data, DOCTYPES)
    # Make it look like an archive of schema 7 whose index was built by analyzer 2: drop the
    # columns again (SQLite ≥ 3.35) and forget the types.
    # Later migrations (the change counter, version keys, copies, request outcomes) are undone
    # too: the archive goes back to just before the migration that added document types.
    before = next(i for i, m in enumerate(MIGRATIONS) if "ADD COLUMN doc_type " in m)
    conn = sqlite3.connect(data / Archive.DB_NAME)
    triggers = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        if "_counts_" in r[0]
    ]
    conn.executescript(
        "".join(f'DROP TRIGGER "{name}";' for name in triggers) + "DROP TABLE IF EXISTS changes;"
        "DROP TABLE IF EXISTS version_keys; DROP TABLE IF EXISTS manifest_claims;"
        # … and the copies and provenance tables (migration 11)
        "DROP TABLE IF EXISTS text_fingerprints; DROP TABLE IF EXISTS text_buckets;"
        "DROP TABLE IF EXISTS copies; DROP TABLE IF EXISTS runs; DROP TABLE IF EXISTS run_items;"
        "DROP TABLE IF EXISTS request_outcomes;"
        "DROP INDEX documents_doc_type;"
        "ALTER TABLE documents DROP COLUMN doc_type;"
        "ALTER TABLE documents DROP COLUMN doc_type_origin;"
        f"PRAGMA user_version = {before};"
    )
    conn.close()
    write_config(data, {**read_config(data), "analyzer": "2"})
    with Gongkai(data) as gk:  # opening it migrates it
        assert gk.archive.get(ids["interp-anxian.txt"]).doc_type == "interpretation"
        assert gk.archive.get(ids["rule-anxian.txt"]).doc_type == ""
        report = gk.verify()
        assert report["reindex_needed"] and not report["ok"]
        gk.reindex()
        assert {gk.archive.get(i).doc_type for i in ids.values()} <= set(DOC_TYPES)
        assert gk.archive.get(ids["rule-anxian.txt"]).doc_type == "rule"
        assert gk.verify()["ok"]
        assert read_config(data)["analyzer"] == ANALYZER_VERSION
        rules = gk.search("", filters=Filters(doc_type=["rule"]), limit=20)
        assert rules.total == 3


# -- the web site and the API ---------------------------------------------------------------------


@pytest.fixture
def web(fresh_typed):  # type: ignore[no-untyped-def]
    data, ids = fresh_typed
    with Gongkai(data) as gk:
        add_user(gk.archive, "alice", PASSWORD)
    return create_app({"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "dt"}), ids


def test_results_page_has_a_type_facet_and_labels(web) -> None:  # type: ignore[no-untyped-def]
    app, _ = web
    client = app.test_client()
    tree = html(client.get("/search?q=岸线"))
    facet = tree.css_first('[data-facet="doc_type"]')
    assert facet is not None
    assert facet.css_first("h2").text() == "文件类型"
    labels = [a.text(deep=True).strip() for a in facet.css("a")]
    assert labels[:4] == ["法律", "行政法规", "地方性法规", "规章"]  # in the order of the list
    assert "规范性文件" in labels and "政策解读" in labels
    hit_labels = {n.text().strip() for n in tree.css("li.hit .doc-type")}
    assert {"规章", "法律", "其他文件"} <= hit_labels
    chosen = html(client.get("/search?q=岸线&doc_type=规章"))
    assert {n.text().strip() for n in chosen.css("li.hit .doc-type")} == {"规章"}
    assert client.get("/search?q=岸线&doc_type=通知").status_code == 400


def test_api_returns_and_filters_by_type(web) -> None:  # type: ignore[no-untyped-def]
    app, ids = web
    client = app.test_client()
    data = client.get("/api/v1/search?q=岸线&doc_type=law&facets=1").get_json()
    assert [h["id"] for h in data["hits"]] == [ids["law-anxian.txt"]]
    assert data["hits"][0]["doc_type"] == "law"
    assert data["facets"]["doc_type"] == {"law": 1}
    doc = client.get(f"/api/v1/documents/{ids['local-anxian.txt']}").get_json()
    assert doc["doc_type"] == "local_regulation"


def test_document_page_label_and_staff_form(web) -> None:  # type: ignore[no-untyped-def]
    app, ids = web
    doc_id = ids["other-anxian.txt"]
    public = app.test_client()
    tree = html(public.get(f"/doc/{doc_id}"))
    assert tree.css_first("td.doc-type").text().strip() == "其他文件"
    assert tree.css_first("#type-form") is None  # staff only
    client = app.test_client()
    assert login(client).status_code == 302
    page = client.get(f"/doc/{doc_id}")
    assert html(page).css_first("#type-form") is not None
    form = {"doc_id": doc_id, "doc_type": "normative", "note": "已登记", "back": f"/doc/{doc_id}"}
    refused = client.post("/staff/type", data=form)
    assert refused.status_code in (400, 403)  # no CSRF token
    token = csrf_token(page)
    assert (
        client.post("/staff/type", data={**form, "note": "", "csrf_token": token}).status_code
        == 400
    )
    assert (
        client.post(
            "/staff/type", data={**form, "doc_type": "通知", "csrf_token": token}
        ).status_code
        == 400
    )
    done = client.post("/staff/type", data={**form, "csrf_token": token})
    assert done.status_code == 302
    with Gongkai(app.config["DATA_DIR"], readonly=True) as gk:
        doc = gk.archive.get(doc_id)
        assert (doc.doc_type, doc.doc_type_origin) == ("normative", "staff")
        assert gk.history(doc_id)[-1]["actor"] == "alice"
    shown = html(client.get(f"/doc/{doc_id}"))
    assert "规范性文件" in shown.css_first("td.doc-type").text()
    assert "（工作人员修改）" in shown.css_first("td.doc-type").text()
    assert "工作人员" not in html(public.get(f"/doc/{doc_id}")).css_first("td.doc-type").text()
