"""Automatic linking at import: interpretations, request answers, repeal and amendment clauses,
in both import orders, and the relation table of the bundled examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import import_docs, write_doc

from archive import Document
from archive.relations import Relations
from indexer import linking
from indexer.linking import find_references, title_keys
from indexer.service import Gongkai

#: Every test here runs on an SQLite and on a PostgreSQL archive.
pytestmark = pytest.mark.usefixtures("archive_backend")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
RULE = "青测市养老服务补贴办法"


def _doc(title: str, text: str, kind: str = "notice", **kw: str) -> Document:
    return Document(title=title, text=text, id="self", kind=kind, **kw)


def test_title_keys_include_the_issued_title() -> None:
    keys = title_keys(_doc(f"关于印发《{RULE}》的通知", ""))
    assert keys == {f"关于印发{RULE}的通知", RULE}


def test_repeal_clause_with_number_and_date() -> None:
    refs = find_references(
        _doc(
            "关于印发《青测市新办法》的通知",
            "第九条 本办法自2021年7月1日起施行。《青测市旧办法》（青测规[2018]3号）同时废止。",
            date_issued="2021-06-10",
        )
    )
    [ref] = refs
    assert (ref.type, ref.title_key, ref.number_suffix) == (
        "repeals",
        "青测市旧办法",
        "〔2018〕3号",
    )
    assert ref.effective == "2021-07-01"
    assert "同时废止" in ref.evidence


def test_repeal_list_after_a_colon_and_clause_date() -> None:
    text = (
        "经清理，决定对下列文件予以废止：\n"
        "1.《青测市甲办法》（青测发〔2010〕1号）\n"
        "2.《青测市乙规定》（青测发〔2011〕2号）\n"
        "本决定自2019年1月1日起施行。\n"
        "另，《青测市丙意见》继续有效。"
    )
    refs = find_references(_doc("关于废止部分规范性文件的决定", text, date_issued="2018-12-01"))
    by_title = {r.title_key: r for r in refs}
    assert by_title["青测市甲办法"].type == "repeals"
    assert by_title["青测市乙规定"].type == "repeals"
    assert by_title["青测市乙规定"].effective == "2019-01-01"
    assert by_title["青测市丙意见"].type == "cites"


def test_amendment_decision_and_basis_citations() -> None:
    text = (
        "根据《中华人民共和国测试法》，决定对《青测市丁办法》（青测规〔2016〕2号）作如下修改：\n"
        "一、将第五条修改为……\n本决定自2019年7月1日起施行。"
    )
    refs = find_references(_doc("关于修改《青测市丁办法》的决定", text))
    types = {r.title_key: r.type for r in refs}
    assert types == {"中华人民共和国测试法": "cites", "青测市丁办法": "amends"}
    assert next(r for r in refs if r.type == "amends").effective == "2019-07-01"


def test_interpretation_titles() -> None:
    for title, subject in (
        (f"关于《{RULE}》的解读", RULE),
        (f"《{RULE}》政策解读", RULE),
        (f"市民政局负责人就《{RULE}》答记者问", RULE),
        ("关于青测市居家养老服务规范的解读", "青测市居家养老服务规范"),
    ):
        refs = find_references(_doc(title, "正文。", kind="interpretation"))
        assert [(r.type, r.title_key) for r in refs] == [("interprets", subject)], title


def test_answer_cites_basis_and_repealer_but_answers_about_subject() -> None:
    text = (
        "您申请公开的青测民规[2021]7号文件，已被《青测市新补贴办法》（青测民规〔2023〕1号）废止。"
        "根据《中华人民共和国政府信息公开条例》第三十六条的规定，现答复如下。"
    )
    refs = find_references(_doc("政府信息公开申请答复书", text, kind="request_answer"))
    kinds = {(r.title_key or r.number_suffix): r.type for r in refs}
    assert kinds == {
        "〔2021〕7号": "answers",
        "青测市新补贴办法": "cites",
        "中华人民共和国政府信息公开条例": "cites",
    }


def test_a_document_naming_itself_is_not_a_reference() -> None:
    text = f"{RULE}\n第一条 为做好补贴发放，制定本办法。《{RULE}》由市民政局负责解释。"
    assert find_references(_doc(f"关于印发《{RULE}》的通知", text)) == []


def _interpretation(src: Path) -> Path:
    return write_doc(
        src,
        "interp.txt",
        title=f"关于《{RULE}》的解读",
        issued="2021-09-02",
        body=f"近日，市民政局印发了《{RULE}》（青测民规〔2021〕7号）。现解读如下。",
    )


def _rule(src: Path) -> Path:
    return write_doc(
        src,
        "rule.txt",
        title=f"关于印发《{RULE}》的通知",
        number="青测民规〔2021〕7号",
        issued="2021-09-01",
        validity="有效",
        body=f"{RULE}\n第一条 为规范养老服务补贴发放，制定本办法。",
    )


def test_interpretation_imported_before_its_document(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = import_docs(data, _interpretation(tmp_path / "a"))
    with Gongkai(data, readonly=True) as gk:
        assert gk.relations(first["interp.txt"]) == []
    second = import_docs(data, _rule(tmp_path / "b"))  # a later, separate import run
    with Gongkai(data, readonly=True) as gk:
        rule = gk.archive.get(second["rule.txt"])
        [rel] = gk.relations(rule.id)
        cluster = gk.cluster(rule)
    assert (rel.src, rel.type, rel.state, rel.origin) == (
        first["interp.txt"],
        "interprets",
        "confirmed",
        "auto",
    )
    assert [d.id for d in cluster.interpretations] == [first["interp.txt"]]


def test_interpretation_imported_after_its_document(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ids = import_docs(data, _rule(tmp_path / "b"))
    ids |= import_docs(data, _interpretation(tmp_path / "a"))
    with Gongkai(data, readonly=True) as gk:
        rels = gk.relations(ids["rule.txt"])
    assert [(r.src, r.type) for r in rels] == [(ids["interp.txt"], "interprets")]


def test_request_answer_citing_a_number_in_another_bracket_style(tmp_path: Path) -> None:
    src = tmp_path / "src"
    answer = write_doc(
        src,
        "answer.txt",
        title="青测市民政局政府信息公开申请答复书",
        number="青测民依复〔2022〕15号",
        issued="2022-03-01",
        body=(
            "张某某：\n您申请获取青测民规（2021）7号文件的发放标准。经审查，该文件已主动公开。"
            "根据《中华人民共和国政府信息公开条例》第三十六条第（一）项的规定，告知如下。"
        ),
    )
    regulation = write_doc(
        src,
        "regulation.txt",
        title="中华人民共和国政府信息公开条例",
        issued="2019-04-03",
        body="第一条 为了保障公民依法获取政府信息，制定本条例。",
    )
    data = tmp_path / "data"
    ids = import_docs(data, answer, _rule(src), regulation)
    with Gongkai(data, readonly=True) as gk:
        rels = Relations(gk.archive).outgoing([ids["answer.txt"]])[ids["answer.txt"]]
        rule = gk.archive.get(ids["rule.txt"])
        cluster, status = gk.cluster(rule), gk.status(rule, "2022-06-01")
    assert {(r.dst, r.type, r.state) for r in rels} == {
        (ids["rule.txt"], "answers", "confirmed"),
        (ids["regulation.txt"], "cites", "confirmed"),
    }
    assert [d.id for d in cluster.answers] == [ids["answer.txt"]]
    assert status.validity == "有效"  # an answer never changes validity


def test_own_effective_date_is_taken_from_the_text(tmp_path: Path) -> None:
    path = write_doc(
        tmp_path / "src",
        "future.txt",
        title="青测市施工噪声管理规定",
        number="青测环发〔2025〕3号",
        issued="2025-11-01",
        validity="尚未生效",
        body="第一条 为控制施工噪声，制定本规定。\n第十条 本规定自2098年1月1日起施行。",
    )
    data = tmp_path / "data"
    ids = import_docs(data, path)
    with Gongkai(data, readonly=True) as gk:
        doc = gk.archive.get(ids["future.txt"])
        history = gk.history(doc.id)
        assert doc.date_effective == ""  # the published metadata stays as imported
        assert gk.status(doc, "2097-12-31").validity == "尚未生效"
        assert gk.status(doc, "2098-01-01").validity == "有效"
    assert any(e["action"] == "date_effective" for e in history)


# -- the bundled examples -----------------------------------------------------------------

#: README relation wording → the relation types that express it.
_README_TYPES = {
    "repeals": {"repeals", "supersedes"},
    "amends": {"amends"},
    "revises": {"supersedes"},
    "interprets": {"interprets"},
    "answers about": {"answers"},
    "cites": {"cites"},
    "partly supersedes": {"cites", "amends", "supersedes"},
}


def _readme_relations() -> list[tuple[str, str, str, bool]]:
    """(from file, relation, to file, by title only) from examples/README.md's table."""
    text = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    section = text.split("## Relations", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not re.match(r"^[\w-]+\.(txt|html|pdf|md)", cells[0]):
            continue
        src = cells[0].split()[0]
        title_only = "title only" in cells[1]
        relation = re.sub(r"\s*\(.*\)$", "", cells[1])
        for dst in re.findall(r"[\w-]+\.(?:txt|html|pdf|md)", cells[2]):
            rows.append((src, relation, dst, title_only))
    return rows


@pytest.mark.skipif(not (EXAMPLES / "README.md").exists(), reason="examples not written yet")
def test_examples_relations_are_found_by_the_linker(tmp_path: Path) -> None:
    files = sorted(p for p in EXAMPLES.iterdir() if p.is_file() and p.name != "README.md")
    data = tmp_path / "data"
    with Gongkai(data) as gk:
        report = gk.import_paths(files)
        assert not report.failed, report.failed
        ids = {Path(o.path).name: o.id for o in report.outcomes}
        names = {v: k for k, v in ids.items()}
        found: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for state in ("confirmed", "proposed"):
            for rel in Relations(gk.archive).with_state(state):
                found.setdefault((names[rel.src], names[rel.dst]), set()).add((rel.type, state))
    expected = _readme_relations()
    assert len(expected) >= 10
    missing = []
    for src, relation, dst, title_only in expected:
        want = _README_TYPES[relation]
        state = "proposed" if title_only else "confirmed"
        if not any(t in want and s == state for t, s in found.get((src, dst), set())):
            missing.append((src, relation, dst, state, sorted(found.get((src, dst), set()))))
    assert not missing, missing
    # The traps: a repeal without title or 文号, and self-citations, make no relation.
    assert (
        "interp-offcampus-training-qa.txt",
        "jiaoyu-2016-04-offcampus-training-standard.txt",
    ) not in found
    assert all(src != dst for src, dst in found)


def _relation_table(data: Path) -> list[tuple[str, ...]]:
    """Every relation and kept reference of a data directory, by source file, not by id."""
    with Gongkai(data, readonly=True) as gk:
        conn = gk.archive.conn
        name = {
            r["id"]: r["source_name"] for r in conn.execute("SELECT id, source_name FROM documents")
        }
        relations = [
            (name[r["src"]], name[r["dst"]], r["type"], r["effective"], r["state"], r["evidence"])
            for r in conn.execute("SELECT * FROM relations")
        ]
        refs = [
            (
                name[r["src"]],
                r["type"],
                r["title_key"],
                r["number_suffix"],
                r["effective"],
                r["evidence"],
            )
            for r in conn.execute("SELECT * FROM refs")
        ]
    return sorted(relations) + sorted(refs)


def test_references_found_by_import_workers_link_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With workers, each document's references are found in the worker that built it; the
    relations and kept references are exactly those of a serial import."""
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    with Gongkai(serial) as gk:
        assert not gk.import_paths([EXAMPLES]).failed
    found_here: list[str] = []
    real = linking.find_references

    def counting(doc: Document) -> list:
        found_here.append(doc.id)
        return real(doc)

    monkeypatch.setattr(linking, "find_references", counting)
    with Gongkai(parallel) as gk:
        report = gk.import_paths([EXAMPLES], workers=2)
        assert not report.failed and report.counts()["imported"] > 20
    assert not found_here  # none was searched for references in the importing process
    table = _relation_table(parallel)
    assert any(row[2] == "interprets" for row in table)
    assert table == _relation_table(serial)
