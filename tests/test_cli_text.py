"""What the CLI's commands hand to library functions instead of doing themselves: option
values read into filters and query lists, and reports rendered as the lines a terminal shows.
The commands' own output is checked end to end in test_cli.py; these pin the pieces."""

from __future__ import annotations

from archive.vocab import IN_FORCE
from indexer.checkreport import queries
from indexer.data_report import verify_lines
from indexer.search_report import filters_from_options, marked
from indexer.status_text import cluster_line, doc_type_text, relation_lines

NO_FILTERS = {
    "agency": (),
    "kind": (),
    "doc_type": (),
    "year": (),
    "category": (),
    "date_from": "",
    "date_to": "",
}


def test_valid_only_keeps_only_the_asked_validities_in_force() -> None:
    both = filters_from_options(True, None, validity=("有效", "已废止"), **NO_FILTERS)
    assert both.validity == ["有效"]
    alone = filters_from_options(True, None, validity=(), **NO_FILTERS)
    assert alone.validity == sorted(IN_FORCE)


def test_a_date_without_validities_means_in_force_then() -> None:
    dated = filters_from_options(False, "2020-01-01", validity=(), **NO_FILTERS)
    assert dated.validity == sorted(IN_FORCE)
    asked = filters_from_options(False, "2020-01-01", validity=("已废止",), **NO_FILTERS)
    assert asked.validity == ["已废止"]
    assert filters_from_options(False, None, validity=(), **NO_FILTERS).validity == []


def test_check_queries_skip_blank_lines_and_comments() -> None:
    lines = ["青园发〔2016〕2号\n", "\n", "  # 注释\n", "  某某办法 \n"]
    assert queries(["  甲 ", " "], lines) == ["甲", "青园发〔2016〕2号", "某某办法"]


def test_matches_are_marked_between_the_given_marks() -> None:
    assert marked("公园管理办法", [[0, 2]], ("[", "]")) == "[公园]管理办法"
    assert marked("公园管理办法", [], ("<", ">")) == "公园管理办法"


def test_relation_lines_say_when_there_are_none_and_show_note_and_evidence() -> None:
    assert relation_lines([], "no relations") == ["no relations"]
    assert relation_lines([]) == []
    row = {
        "id": 7,
        "state": "confirmed",
        "origin": "staff",
        "src_title": "新办法",
        "src": "a1",
        "type": "repeals",
        "effective": "2021-01-01",
        "dst_title": "旧办法",
        "dst": "b2",
        "note": "核对原文",
        "evidence": "",
    }
    assert relation_lines([row]) == [
        "#7 [confirmed/staff] 新办法 [a1] —repeals 自 2021-01-01→ 旧办法 [b2]",
        "    核对原文",
    ]


def test_cluster_line_counts_related_documents_and_names_the_current_version() -> None:
    assert cluster_line({}) == ""
    line = cluster_line({"interpretations": [{}, {}], "answers": [], "current_version": "c3"})
    assert line.endswith(" 2 · 现行版本 [c3]") and line.count("·") == 1


def test_doc_type_text_says_who_set_the_type() -> None:
    assert doc_type_text("", "staff") == ""
    assert doc_type_text("rule", "staff").endswith("（工作人员修改）")
    assert doc_type_text("rule", "inferred") == doc_type_text("rule", "")


def test_verify_lines_show_five_examples_of_each_problem() -> None:
    report = {"ok": False, "missing": [f"id{i}" for i in range(7)], "stale": [], "unrepaired": []}
    assert verify_lines(report) == ["problems found", "  missing: 7 (id0, id1, id2, id3, id4 …)"]
    assert verify_lines({"ok": True}) == ["ok"]
