"""新旧对照 of two archived documents: what ``gongkai diff`` prints and the web page shows.

:mod:`indexer.versions_diff` compares texts; this names the two documents (title, 文号, date,
status today) around its rows, gives ``--json`` its stable keys and writes the plain text a
terminal shows: only what changed, deletions as ``[-…-]`` and insertions as ``{+…+}`` (the
wdiff convention), unchanged articles named in one line.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive import Document
from indexer.versions_diff import (
    ADDED,
    ARTICLE,
    CHAPTER,
    DELETED,
    PREAMBLE,
    SAME,
    Comparison,
    Row,
    compare_texts,
    summary_line,
)


@dataclass
class DiffReport:
    old: Document
    new: Document
    old_validity: str  # the status today, as the archive judges it
    new_validity: str
    comparison: Comparison

    def to_dict(self) -> dict[str, object]:
        return {
            "old": _side(self.old, self.old_validity),
            "new": _side(self.new, self.new_validity),
            "summary": self.comparison.summary,
            "summary_text": summary_line(self.comparison.summary),
            "rows": [r.to_dict() for r in self.comparison.rows],
        }


def _side(doc: Document, validity: str) -> dict[str, object]:
    return {
        "id": doc.id,
        "title": doc.title,
        "doc_number": doc.doc_number,
        "date_issued": doc.date_issued,
        "validity": validity,
    }


def compare_documents(
    old: Document, new: Document, validity: dict[str, str] | None = None
) -> DiffReport:
    """``old`` and ``new`` aligned article by article; ``validity`` maps id → status today."""
    validity = validity or {}
    return DiffReport(
        old,
        new,
        validity.get(old.id, old.validity),
        validity.get(new.id, new.validity),
        compare_texts(old.text, new.text),
    )


def _marked(pieces: list[list[str]]) -> str:
    out = []
    for op, text in pieces:
        if op == "del":
            out.append(f"[-{text}-]")
        elif op == "ins":
            out.append(f"{{+{text}+}}")
        else:
            out.append(text)
    return "".join(out)


def row_label(row: Row) -> str:
    """第五条, 第五条 → 第六条 (renumbered), or 题注 for the text before the first article."""
    if row.kind == PREAMBLE:
        return "题注"
    if row.old_label and row.new_label and row.old_label != row.new_label:
        return f"{row.old_label} → {row.new_label}"
    return row.new_label or row.old_label


def row_note(row: Row) -> str:
    """What happened to the row, in words: 修改, 新增, 删除, 未变, 移动位置 …"""
    if row.change == ADDED:
        return "新增"
    if row.change == DELETED:
        return "删除"
    notes = ["修改" if row.change != SAME else ("内容未变" if row.renumbered else "未变")]
    if row.moved:
        notes.append("移动位置")
    return "，".join(notes)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.split("\n"))


def render_text(report: DiffReport) -> str:
    """The report for a terminal: the two documents, the summary, then each change."""

    def name(doc: Document, validity: str) -> str:
        number = f"（{doc.doc_number}）" if doc.doc_number else ""
        return f"《{doc.title}》{number} {doc.date_issued or '—'} {validity} [{doc.id}]"

    lines = [
        f"旧：{name(report.old, report.old_validity)}",
        f"新：{name(report.new, report.new_validity)}",
        summary_line(report.comparison.summary),
    ]
    unchanged: list[str] = []
    for row in report.comparison.rows:
        if row.kind == CHAPTER:
            if row.change != SAME:
                lines += ["", f"== {_marked(row.old)} ⇒ {_marked(row.new)} =="]
            continue
        if row.change == SAME and not row.renumbered:
            if row.kind == ARTICLE:
                unchanged.append(row.new_label)
            continue
        lines += ["", f"【{row_label(row)}】{row_note(row)}"]
        if row.change == SAME:
            continue
        if row.old:
            lines.append(_indent("旧：" + _marked(row.old)))
        if row.new:
            lines.append(_indent("新：" + _marked(row.new)))
    if unchanged:
        lines += ["", "未变：" + "、".join(unchanged)]
    return "\n".join(lines)
