"""Cleanup decisions (规范性文件清理结果): one decision, a list of documents, one change per row.

A decision that repeals, declares invalid or keeps a batch of documents publishes them as lists
(附件：废止的规范性文件目录 / 宣布失效的规范性文件目录 / 继续有效的规范性文件目录) whose rows are
序号, 文件名称 and 文号, as text lines or as a table (the extractors turn a table row into one line
of cells). The linker's sentence rules cannot read such a list: a row is not a sentence with
废止 in it. So each row is read here and becomes:

* 废止 → a ``repeals`` relation from the decision;
* 宣布失效 → a staff-style status record 失效 from the decision (no relation type means 失效;
  a record keeps the decision as its basis, ``by_doc``);
* 继续有效 → no change (the row is shown in the decision's report).

A row is applied at once when its 文号 resolves to exactly one document through the one
look-up (:func:`indexer.lookup.by_doc_number`, every 文号 shape); when only its title names a
document, a 废止 row becomes a ``proposed`` relation for staff and a 宣布失效 row is reported
as 待确认 with its candidates. Applying is idempotent, so the decision can be applied again
(``gongkai relink``) when the documents it names arrive after it.

:func:`decision_report` says what a decision changed, row by row, for ``gongkai decision`` and
the decision's page; it is derived from the text and the archive's relations and records, so
it needs no table of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from archive import Archive, Document
from archive.relations import AUTO, CONFIRMED, PROPOSED, REJECTED, REPEALS, Relations
from archive.validity import statuses
from archive.vocab import EXPIRED, LINKER_ACTOR
from indexer.linking import Linker, LinkReport, effective_date
from indexer.lookup import by_doc_number, match
from indexer.normalize import looks_like_doc_number, normalize_doc_number

REPEAL, EXPIRE, KEEP = "repeal", "expire", "keep"
#: What each list does, in the decision's words.
ACTION_LABELS = {REPEAL: "废止", EXPIRE: "宣布失效", KEEP: "继续有效"}

APPLIED, PROPOSED_ROW, REJECTED_ROW, UNRESOLVED, KEPT = (
    "applied",
    "proposed",
    "rejected",
    "unresolved",
    "kept",
)
OUTCOME_LABELS = {
    APPLIED: "已生效",
    PROPOSED_ROW: "待确认",
    REJECTED_ROW: "已驳回",
    UNRESOLVED: "未找到",
    KEPT: "继续有效（无变化）",
}

#: A list's heading: 附件1：废止的规范性文件目录, 宣布失效的文件清单（12件）, 继续有效的…目录.
_HEADING_RE = re.compile(
    r"^(?:附\s*件\s*[0-9０-９一二三四五六七八九十]*\s*[:：]?\s*)?"
    r"(?P<what>[^。；;]{0,24}?)(?:的)?(?:规范性|政策性|行政规范性)?(?:文件)?(?:目录|清单|名单)"
    r"\s*(?:[（(][^）)]{0,12}[)）])?\s*$"
)
#: A row: its 序号, then the rest (title, 文号, perhaps more cells).
_ROW_RE = re.compile(
    r"^\s*(?P<n>\d{1,4})\s*[.、．]?\s+(?P<rest>\S.*)$|^\s*(?P<n2>\d{1,4})[.、．](?P<rest2>\S.*)$"
)
_CELL_SPLIT = re.compile(r"\s{2,}|\t|\s*[|｜]\s*")
_QUOTED_RE = re.compile(r"^《(?P<title>[^《》]+)》\s*(?:[（(](?P<number>[^（）()]*)[)）])?")
_NO_NUMBER = {"无", "—", "-", "--", "/", "／", "暂无"}
#: Longest list line taken for a heading.
_HEADING_MAX = 48


@dataclass
class DecisionRow:
    """One row of a decision's list."""

    n: int
    action: str  # repeal / expire / keep
    title: str
    doc_number: str = ""
    line: str = ""


def _action(what: str) -> str | None:
    if "继续有效" in what or "保留" in what:
        return KEEP
    if "失效" in what:
        return EXPIRE
    if "废止" in what:
        return REPEAL
    return None


def _split(rest: str) -> tuple[str, str]:
    """(title, 文号) of a row's text after its 序号."""
    rest = rest.strip()
    quoted = _QUOTED_RE.match(rest)
    if quoted:
        number = (quoted["number"] or "").strip()
        if not number:
            tail = _CELL_SPLIT.split(rest[quoted.end() :].strip())
            number = tail[0] if tail else ""
        return quoted["title"].strip(), number if looks_like_doc_number(number) else ""
    cells = [c.strip() for c in _CELL_SPLIT.split(rest) if c.strip()]
    if len(cells) == 1:
        cells = [c for c in re.split(r"\s+", rest) if c]
    for i, cell in enumerate(cells):
        bare = cell.strip("（）()")
        if i and looks_like_doc_number(bare):
            return " ".join(cells[:i]).strip("《》"), bare
    return (cells[0].strip("《》") if cells else ""), ""


def parse_rows(text: str) -> list[DecisionRow]:
    """The rows of the 废止 / 宣布失效 / 继续有效 lists in ``text`` (empty if it has none)."""
    found: list[DecisionRow] = []
    action: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        heading = _HEADING_RE.match(line) if len(line) <= _HEADING_MAX else None
        if heading and "。" not in line:
            action = _action(heading["what"])
            continue
        if action is None:
            continue
        row = _ROW_RE.match(line)
        if not row:
            if re.match(r"^附\s*件", line):
                action = None  # the next attachment is not a list of ours
            continue
        rest = row["rest"] or row["rest2"]
        title, number = _split(rest)
        if len(title) < 4:
            continue
        found.append(DecisionRow(int(row["n"] or row["n2"]), action, title, number, line))
    return found


@dataclass
class Resolved:
    """Where a row points: the documents found, and whether by 文号."""

    docs: list[Document] = field(default_factory=list)
    by_number: bool = False
    matched_by: str = "none"
    confidence: float = 0.0


def resolve(archive: Archive, row: DecisionRow, decision_id: str) -> Resolved:
    """The documents a row names: by its 文号 (the one look-up), else by its title."""
    if row.doc_number:
        docs = [
            d
            for d in by_doc_number(archive, normalize_doc_number(row.doc_number))
            if d.id != decision_id
        ]
        if docs:
            return Resolved(docs, True, "doc_number", 1.0)
    docs, how, confidence = match(archive, row.title)
    docs = [d for d in docs if d.id != decision_id]
    return Resolved(docs, False, how if docs else "none", confidence if docs else 0.0)


def _row_note(decision: Document, row: DecisionRow) -> str:
    name = f"《{decision.title}》" + (f"（{decision.doc_number}）" if decision.doc_number else "")
    return f"{name}{ACTION_LABELS[row.action]}（目录第{row.n}项）"


def apply_decision(
    archive: Archive, decision: Document, *, actor: str = LINKER_ACTOR
) -> tuple[LinkReport, list[DecisionRow]]:
    """Apply the rows of ``decision`` (idempotent); returns what changed and the rows."""
    rows = parse_rows(decision.text)
    report = LinkReport()
    if not rows:
        return report, rows
    relations = Relations(archive)
    effective = effective_date(decision.text, decision)
    with relations.transaction():
        for row in rows:
            if row.action == KEEP:
                continue
            found = resolve(archive, row, decision.id)
            exact = found.by_number and len(found.docs) == 1
            if row.action == REPEAL:
                for target in found.docs:
                    rel, added = relations.add(
                        decision.id,
                        REPEALS,
                        target.id,
                        effective=effective,
                        origin=AUTO,
                        state=CONFIRMED if exact else PROPOSED,
                        evidence=row.line,
                        note="清理决定：" + ("文号一致" if exact else "按标题匹配，请核对"),
                        actor=actor,
                    )
                    if not added:
                        continue
                    report.added.append(rel.id)
                    if rel.state == CONFIRMED:
                        report.confirmed += 1
                        report.affected.add(target.id)
                    else:
                        report.proposed += 1
            elif row.action == EXPIRE and exact:
                target = found.docs[0]
                if _expired_by(relations, target.id, decision.id):
                    continue
                relations.record_status(
                    target.id,
                    EXPIRED,
                    effective=effective,
                    by_doc=decision.id,
                    note=_row_note(decision, row),
                    actor=actor,
                )
                report.confirmed += 1
                report.affected.add(target.id)
    if report.affected:
        relations.touch(report.affected)
    return report, rows


def _expired_by(relations: Relations, doc_id: str, decision_id: str) -> bool:
    records = relations.status_changes([doc_id]).get(doc_id, [])
    return any(r.by_doc == decision_id and r.validity == EXPIRED for r in records)


def apply_to_batch(linker: Linker, docs: list[Document], report: LinkReport) -> None:
    """A linker step (see :class:`indexer.linking.Linker`): apply the decisions among ``docs``,
    and the decisions already archived whose lists name one of ``docs`` by 文号."""
    archive = linker.archive
    decisions = {d.id: d for d in docs if parse_rows(d.text)}
    suffixes = linker.suffixes_of(docs)
    if suffixes:
        earlier = {r.src for r in linker.relations.refs_naming(number_suffixes=suffixes)}
        earlier -= {d.id for d in docs}
        for doc in archive.get_many(sorted(earlier)).values():
            if doc.id not in decisions and parse_rows(doc.text):
                decisions[doc.id] = doc
    for decision in decisions.values():
        part, _ = apply_decision(archive, decision, actor=linker.actor)
        report.added += part.added
        report.confirmed += part.confirmed
        report.proposed += part.proposed
        report.affected |= part.affected


@dataclass
class RowReport:
    """What a decision's row did."""

    row: DecisionRow
    outcome: str
    targets: list[Document] = field(default_factory=list)
    matched_by: str = "none"
    confidence: float = 0.0
    relation_ids: list[int] = field(default_factory=list)
    validity: dict[str, str] = field(default_factory=dict)  # target id → status today

    def to_dict(self) -> dict[str, object]:
        return {
            "n": self.row.n,
            "action": self.row.action,
            "action_label": ACTION_LABELS[self.row.action],
            "title": self.row.title,
            "doc_number": self.row.doc_number,
            "outcome": self.outcome,
            "outcome_label": OUTCOME_LABELS[self.outcome],
            "matched_by": self.matched_by,
            "confidence": self.confidence,
            "relation_ids": self.relation_ids,
            "targets": [
                {
                    "id": d.id,
                    "title": d.title,
                    "doc_number": d.doc_number,
                    "validity": self.validity.get(d.id, ""),
                }
                for d in self.targets
            ],
        }


@dataclass
class DecisionReport:
    """What one cleanup decision changed."""

    decision: Document
    effective: str
    rows: list[RowReport]

    @property
    def is_decision(self) -> bool:
        return bool(self.rows)

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.outcome] = counts.get(row.outcome, 0) + 1
        return counts

    def to_dict(self) -> dict[str, object]:
        d = self.decision
        return {
            "decision": {
                "id": d.id,
                "title": d.title,
                "doc_number": d.doc_number,
                "date_issued": d.date_issued,
            },
            "is_decision": self.is_decision,
            "effective": self.effective,
            "rows": [r.to_dict() for r in self.rows],
            "summary": self.summary(),
        }

    def to_text(self) -> str:
        """The report as ``gongkai decision`` prints it: the decision, then a line per row
        with what became of the documents it names, then the counts."""
        report: dict[str, Any] = self.to_dict()
        head = report["decision"]
        number = f"（{head['doc_number']}）" if head["doc_number"] else ""
        lines = [f"《{head['title']}》{number}  生效日期: {report['effective'] or '—'}"]
        if not report["rows"]:
            return "\n".join([*lines, "本文件没有废止、宣布失效或继续有效的文件目录。"])
        for row in report["rows"]:
            number = f"（{row['doc_number']}）" if row["doc_number"] else ""
            lines.append(f"{row['action_label']} {row['n']:>3}. {row['title']}{number}")
            targets = "；".join(
                f"《{t['title']}》{'（' + t['doc_number'] + '）' if t['doc_number'] else ''}"
                f" 现为{t['validity']} [{t['id']}]"
                for t in row["targets"]
            )
            lines.append(f"      {row['outcome_label']}" + (f"：{targets}" if targets else ""))
        shown = ", ".join(f"{k} {v}" for k, v in report["summary"].items())
        return "\n".join([*lines, f"summary: {shown}"])


def decision_report(
    archive: Archive, decision: Document, as_of: str | None = None
) -> DecisionReport:
    """Row by row, what ``decision`` changed: applied, proposed, rejected, unresolved or kept."""
    rows = parse_rows(decision.text)
    if not rows:
        return DecisionReport(decision, "", [])
    relations = Relations(archive)
    outgoing = {
        rel.dst: rel
        for rel in relations.of(decision.id)
        if rel.src == decision.id and rel.type == REPEALS
    }
    reports: list[RowReport] = []
    for row in rows:
        found = resolve(archive, row, decision.id)
        report = RowReport(row, UNRESOLVED, found.docs, found.matched_by, found.confidence)
        if row.action == KEEP:
            report.outcome = KEPT if found.docs else UNRESOLVED
        elif row.action == REPEAL:
            states = []
            for target in found.docs:
                found_rel = outgoing.get(target.id)
                if found_rel:
                    report.relation_ids.append(found_rel.id)
                    states.append(found_rel.state)
            if CONFIRMED in states:
                report.outcome = APPLIED
            elif PROPOSED in states:
                report.outcome = PROPOSED_ROW
            elif REJECTED in states:
                report.outcome = REJECTED_ROW
            elif found.docs:
                report.outcome = PROPOSED_ROW  # named, waiting for a relink or for staff
        elif row.action == EXPIRE and found.docs:
            applied = any(_expired_by(relations, t.id, decision.id) for t in found.docs)
            report.outcome = APPLIED if applied else PROPOSED_ROW
        reports.append(report)
    targets = _unique(t for r in reports for t in r.targets)
    found_status = statuses(archive, targets, as_of)
    for report in reports:
        report.validity = {t.id: found_status[t.id].validity for t in report.targets}
    return DecisionReport(decision, effective_date(decision.text, decision), reports)


def _unique(docs: Iterable[Document]) -> list[Document]:
    seen: dict[str, Document] = {}
    for doc in docs:
        seen.setdefault(doc.id, doc)
    return list(seen.values())
