"""The tables of the 政府信息公开工作年度报告 (2021 national format) that the archive can fill.

Staff fill these tables by hand each year; the archive already knows two parts of them, and
every number it gives comes with the documents behind it, so that it can be checked:

- **section 二** (主动公开政府信息情况), for 规章 and 行政规范性文件 (document types ``rule`` and
  ``normative``, :mod:`indexer.doctypes`) of the chosen agencies:
  本年制发件数 — issued (发文日期, else 成文日期) in the year;
  本年废止件数 — ended (已废止 or 失效) on 31 December of the year and not on 31 December of the
  year before;
  现行有效件数 — in force (有效, 部分失效) on 31 December of the year.
  Status on a date is :class:`indexer.validity_view.ValidityView`'s, the one answer the search
  filters and badges give: a document repealed on 5 January of the next year is 现行有效 here.
- **section 三** (收到和处理政府信息公开申请情况), 本年度办理结果: the answers (kind
  ``request_answer``) of the agencies **dated in the year** (发文日期, the answer's date), by
  outcome (:mod:`archive.outcomes`). A request received in one year and answered in the next
  counts in the year of its answer. The outcome is read from the answer's text the first time
  a report counts it (:mod:`indexer.request_outcomes`), stored, and may be corrected by staff;
  an answer whose text matches no rule is listed as unread and counted nowhere.

What the archive cannot know — the applicants (自然人, 法人或其他组织), requests received and
carried over, 行政许可 / 处罚 numbers, 行政复议 and 行政诉讼 — are cells with no count
(``count`` None), left blank to be filled, never invented.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from archive import Archive, Document
from archive.catalogue import CatalogueFilter, catalogue_pages
from archive.csvfile import safe_cell
from archive.errors import InvalidInput
from archive.outcomes import OUTCOME_ROWS, Outcomes
from archive.vocab import EXPIRED, IN_FORCE, NORMATIVE, REPEALED, REQUEST_ANSWER, RULE
from indexer.request_outcomes import read_outcome
from indexer.validity_view import ValidityView

#: Section 二's two rows: (document type, row label).
TYPED_ROWS = ((RULE, "规章"), (NORMATIVE, "行政规范性文件"))
#: Statuses that count as 废止 in 本年废止件数.
ENDED = frozenset({REPEALED, EXPIRED})
#: Section 二's other rows (the format's 第二十条第（五）至（八）项): nothing the archive holds.
BLANK_SECTION_2 = (
    ("行政许可", "本年处理决定数量"),
    ("行政处罚", "本年处理决定数量"),
    ("行政强制", "本年处理决定数量"),
    ("行政事业性收费", "本年收费金额（单位：万元）"),
)
#: Section 三's applicant columns: the archive does not know who asked.
APPLICANT_COLUMNS = (
    "自然人",
    "法人或其他组织：商业企业",
    "法人或其他组织：科研机构",
    "法人或其他组织：社会公益组织",
    "法人或其他组织：法律服务机构",
    "法人或其他组织：其他",
)
BLANK_SECTION_3 = (
    "一、本年新收政府信息公开申请数量",
    "二、上年结转政府信息公开申请数量",
    "四、结转下年度继续办理",
)
BLANK_SECTION_4 = (
    ("行政复议", ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")),
    ("行政诉讼（未经复议直接起诉）", ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")),
    ("行政诉讼（复议后起诉）", ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")),
)
SECTION_TITLES = {
    "二": "主动公开政府信息情况",
    "三": "收到和处理政府信息公开申请情况",
    "四": "政府信息公开行政复议、行政诉讼情况",
}


@dataclass
class Cell:
    """One number of the report: where it stands, and the documents behind it."""

    section: str  # 二, 三, 四
    row: str
    column: str
    key: str  # stable: rule.issued, outcome.unable_not_held, blank.3.1.自然人 …
    count: int | None  # None: the archive cannot know; left blank to fill
    documents: list[dict[str, str]] = field(default_factory=list)  # id, title, date

    def to_dict(self) -> dict[str, object]:
        return {
            "section": self.section,
            "row": self.row,
            "column": self.column,
            "key": self.key,
            "count": self.count,
            "ids": [d["id"] for d in self.documents] if self.count is not None else None,
            "documents": self.documents if self.count is not None else None,
        }


@dataclass
class AnnualReport:
    year: int
    agencies: list[str]
    as_of: str  # YYYY-12-31
    cells: list[Cell]
    #: every answer counted in section 三: id, title, date, outcome ("" unread), origin, evidence
    answers: list[dict[str, str]]

    @property
    def unread(self) -> list[dict[str, str]]:
        """Answers of the year whose outcome no rule read and no one set."""
        return [a for a in self.answers if not a["outcome"]]

    def cell(self, key: str) -> Cell:
        for c in self.cells:
            if c.key == key:
                return c
        raise KeyError(key)

    def to_dict(self) -> dict[str, object]:
        return {
            "year": self.year,
            "agencies": self.agencies,
            "as_of": self.as_of,
            "cells": [c.to_dict() for c in self.cells],
            "answers": self.answers,
            "unread": [a["id"] for a in self.unread],
        }


def _brief(doc: Document | dict[str, object]) -> dict[str, str]:
    get = doc.get if isinstance(doc, dict) else lambda k, d="": getattr(doc, k, d)
    return {
        "id": str(get("id", "")),
        "title": str(get("title", "")),
        "date": str(get("date_issued", "") or get("date_written", "")),
    }


def _documents(archive: Archive, chosen: CatalogueFilter, *, text: bool = False) -> list[dict]:
    return [row for page in catalogue_pages(archive, chosen, text=text) for row in page]


def _section_2(
    archive: Archive, view: ValidityView, year: int, agencies: Sequence[str]
) -> list[Cell]:
    cells: list[Cell] = []
    end, before = f"{year}-12-31", f"{year - 1}-12-31"
    for doc_type, label in TYPED_ROWS:
        rows = _documents(archive, CatalogueFilter(agencies=agencies, doc_types=(doc_type,)))
        docs = [Document.from_row({**r, "text": ""}) for r in rows]
        at_end = view.statuses(docs, end)
        at_start = view.statuses(docs, before)
        issued = [d for d in docs if (d.date_issued or d.date_written)[:4] == str(year)]
        ended = [
            d
            for d in docs
            if at_end[d.id].validity in ENDED and at_start[d.id].validity not in ENDED
        ]
        valid = [d for d in docs if at_end[d.id].validity in IN_FORCE]
        for column, key, chosen in (
            ("本年制发件数", "issued", issued),
            ("本年废止件数", "repealed", ended),
            ("现行有效件数", "in_force", valid),
        ):
            briefs = sorted((_brief(d) for d in chosen), key=lambda b: (b["date"], b["id"]))
            cells.append(Cell("二", label, column, f"{doc_type}.{key}", len(briefs), briefs))
    for row, column in BLANK_SECTION_2:
        cells.append(Cell("二", row, column, f"blank.2.{row}", None))
    return cells


def _answers(
    archive: Archive, year: int, agencies: Sequence[str], record: Callable[[dict], object]
) -> list[dict[str, str]]:
    chosen = CatalogueFilter(
        agencies=agencies,
        kinds=(REQUEST_ANSWER,),
        date_from=f"{year}-01-01",
        date_to=f"{year}-12-31",
    )
    rows = _documents(archive, chosen, text=True)
    stored = Outcomes(archive).of(r["id"] for r in rows)
    found: dict[str, tuple[str, str]] = {}
    answers = []
    for r in rows:
        outcome = stored.get(r["id"])
        if outcome is not None:
            code, origin, evidence = outcome.outcome, outcome.origin, outcome.evidence
        else:
            read = read_outcome(str(r["text"]))
            code, evidence = read or ("", "")
            origin = "auto" if read else ""
            if read:
                found[r["id"]] = read
        answers.append({**_brief(r), "outcome": code, "origin": origin, "evidence": evidence})
    if found:
        record(found)
    return sorted(answers, key=lambda a: (a["date"], a["id"]))


def _section_3(answers: list[dict[str, str]]) -> list[Cell]:
    cells = [
        Cell("三", row, column, f"blank.3.{row}.{column}", None)
        for row in BLANK_SECTION_3[:2]
        for column in (*APPLICANT_COLUMNS, "总计")
    ]
    counted: list[dict[str, str]] = []
    for code, group, label in OUTCOME_ROWS:
        row = f"三、本年度办理结果：{group}" + ("" if group == label else f"：{label}")
        mine = [a for a in answers if a["outcome"] == code]
        counted += mine
        cells += [Cell("三", row, c, f"blank.3.{code}.{c}", None) for c in APPLICANT_COLUMNS]
        cells.append(Cell("三", row, "总计", f"outcome.{code}", len(mine), _plain(mine)))
    row = "三、本年度办理结果：总计"
    cells += [Cell("三", row, c, f"blank.3.total.{c}", None) for c in APPLICANT_COLUMNS]
    cells.append(Cell("三", row, "总计", "outcome.total", len(counted), _plain(counted)))
    cells += [
        Cell("三", BLANK_SECTION_3[2], c, f"blank.3.carried.{c}", None)
        for c in (*APPLICANT_COLUMNS, "总计")
    ]
    return cells


def _plain(answers: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    return [{"id": a["id"], "title": a["title"], "date": a["date"]} for a in answers]


def _section_4() -> list[Cell]:
    return [
        Cell("四", row, column, f"blank.4.{row}.{column}", None)
        for row, columns in BLANK_SECTION_4
        for column in columns
    ]


def annual_report(
    archive: Archive,
    year: int,
    agencies: Sequence[str] = (),
    *,
    view: ValidityView | None = None,
    record: Callable[[dict[str, tuple[str, str]]], object] | None = None,
) -> AnnualReport:
    """The report's tables for ``year`` and ``agencies`` (发布机构 exactly as archived; none:
    the whole archive). Outcomes read from answers for the first time are handed to ``record``
    (id → (outcome, evidence)) to be stored; by default they are stored in ``archive``."""
    if not 1900 <= year <= 2999:
        raise InvalidInput(f"year {year} is out of range")
    view = view or ValidityView(archive)
    store = record or Outcomes(archive).record_auto
    cells = _section_2(archive, view, year, agencies)
    answers = _answers(archive, year, agencies, store)
    cells += _section_3(answers) + _section_4()
    return AnnualReport(year, list(agencies), f"{year}-12-31", cells, answers)


# -- rendering ---------------------------------------------------------------------------------

TABLE_HEADER = ("section", "row", "column", "count", "ids")


def table_rows(report: AnnualReport) -> Iterable[list[object]]:
    """One row per cell: section, row, column, count ("" for blank), the ids behind it."""
    for c in report.cells:
        count: object = "" if c.count is None else c.count
        ids = " ".join(d["id"] for d in c.documents)
        yield [f"{c.section}、{SECTION_TITLES[c.section]}", c.row, c.column, count, ids]


def write_csv(report: AnnualReport, out: IO[str]) -> None:
    writer = csv.writer(out)
    writer.writerow(TABLE_HEADER)
    for row in table_rows(report):
        writer.writerow([safe_cell(v) for v in row])


def write_xlsx(report: AnnualReport, target: Path | IO[bytes]) -> None:
    """The report as a workbook: sheet 年度报告 (one row per cell, blank counts empty) and
    sheet 依据 (the documents behind each number)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    table = book.create_sheet("年度报告")
    table.append([f"{report.year}年政府信息公开工作年度报告", "、".join(report.agencies)])
    table.append(list(TABLE_HEADER))
    for row in table_rows(report):
        table.append([_text_cell(table, v) for v in row])
    basis = book.create_sheet("依据")
    basis.append(["key", "row", "column", "id", "title", "date"])
    for c in report.cells:
        for d in c.documents:
            basis.append([_text_cell(basis, v) for v in (c.key, c.row, c.column, *d.values())])
    book.save(target)


def _text_cell(sheet: object, value: object) -> object:
    """A cell that is a number or plain text, never a formula (a title may start with =)."""
    if not isinstance(value, str) or not value.startswith("="):
        return value  # openpyxl writes other strings as text
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def render_text(report: AnnualReport) -> str:
    """The report for a terminal: each section's counts (blank cells as ____), then the
    answers no rule could read."""
    agencies = "、".join(report.agencies) or "全部发布机构"
    lines = [f"{report.year}年政府信息公开工作年度报告（{agencies}，截至 {report.as_of}）"]
    section = ""
    for c in report.cells:
        if c.section != section:
            section = c.section
            lines += ["", f"{section}、{SECTION_TITLES[section]}"]
        if c.count is None and c.column in APPLICANT_COLUMNS:
            continue  # shown once per section below, not per applicant column
        shown = "____（待填）" if c.count is None else str(c.count)
        lines.append(f"  {c.row} / {c.column}: {shown}")
    lines += ["", "（申请人情况各栏、行政复议和诉讼各栏无法从档案得出，请手工填写。）"]
    if report.unread:
        lines += [
            "",
            f"未能从答复正文读出办理结果的答复 {len(report.unread)} 件"
            "（gongkai outcome ID 结果 --reason …）：",
        ]
        lines += [f"  {a['id']}  {a['date']}  {a['title']}" for a in report.unread]
    return "\n".join(lines)


__all__ = [
    "AnnualReport",
    "Cell",
    "annual_report",
    "render_text",
    "table_rows",
    "write_csv",
    "write_xlsx",
]
