"""What a batch check says to staff: rows in 文号 and titles, a summary per query, one CSV.

``gongkai check --csv``, the /check page, its CSV download and ``/api/v1/check`` all turn the
results of :func:`indexer.lookup.check` into rows here, so the CLI and the web cannot drift
apart again (they did: English headers and no BOM in one, counts of rows rather than queries
in the other, hex ids where a person needs a 文号 and a title).

A query gives one row per document it matched, or one row saying it matched none; every row
carries its query's number (序号), so a spreadsheet can group them and the summary counts
queries, not rows.

It imports no web code, so the CLI can use it without loading Flask.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TextIO

from archive import Document
from archive.csvfile import write_csv
from archive.vocab import IN_FORCE, MATCH_LABELS
from indexer.lookup import CheckResult

#: (row attribute, Chinese header) of the CSV, in order.
CSV_COLUMNS = (
    ("n", "序号"),
    ("query", "查询"),
    ("match_label", "匹配方式"),
    ("confidence", "可信度"),
    ("title", "名称"),
    ("doc_number", "文号"),
    ("agency", "发布机构"),
    ("as_of", "核查日期"),
    ("validity", "有效性"),
    ("since", "起始日期"),
    ("basis", "依据文件"),
    ("current", "现行版本"),
    ("note", "说明"),
    ("id", "编号"),
    ("pending", "待确认"),
)

#: The summary's word for a query that matched nothing.
NOT_FOUND = "未找到"


def document_label(doc: Document | None, fallback: str = "") -> str:
    """A document as staff name it: 《title》（文号）, or ``fallback`` when it is unknown."""
    if doc is None:
        return fallback
    label = f"《{doc.title.strip('《》')}》" if doc.title else doc.id
    return label + (f"（{doc.doc_number}）" if doc.doc_number else "")


@dataclass
class CheckRow:
    """One line of a check report: a query and one document it matched (or none)."""

    query: str
    match: str  # id / doc_number / index_number / title / title_similar / title_fuzzy / none
    as_of: str
    id: str = ""
    title: str = ""
    doc_number: str = ""
    agency: str = ""
    validity: str = ""
    since: str = ""
    by: str = ""
    by_title: str = ""
    current_version: str = ""
    note: str = ""
    confidence: float = 1.0
    n: int = 0
    match_label: str = ""
    basis: str = ""  # the document the status rests on, as 《title》（文号）
    basis_title: str = ""
    basis_doc_number: str = ""
    current: str = ""  # the version in force, as 《title》（文号）
    current_version_title: str = ""
    current_version_doc_number: str = ""
    #: Proposals that would change the status, as staff read them (待确认：可能已被…废止),
    #: and their relation ids (to confirm on /staff or with ``gongkai proposals confirm``).
    pending: str = ""
    pending_relations: list[int] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.id)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def rows(results: Iterable[CheckResult]) -> list[CheckRow]:
    """The report rows of ``results``, in query order."""
    out: list[CheckRow] = []
    for n, result in enumerate(results, 1):
        label = MATCH_LABELS.get(result.matched_by, result.matched_by)
        if not result.matches:
            out.append(
                CheckRow(
                    result.query,
                    "none",
                    result.as_of,
                    n=n,
                    match_label=label,
                    confidence=0.0,
                    note="未找到匹配的文件",
                )
            )
            continue
        for doc, status in result.matches:
            note = status.note
            if result.matched_by in ("title_similar", "title_fuzzy"):
                note = f"{label}，可信度 {result.confidence:.0%}。{note}".strip()
            basis = result.refs.get(status.by) if status.by else None
            current = result.refs.get(status.current_version) if status.current_version else None
            pending = result.pending.get(doc.id, [])
            out.append(
                CheckRow(
                    result.query,
                    result.matched_by,
                    result.as_of,
                    id=doc.id,
                    title=doc.title,
                    doc_number=doc.doc_number,
                    agency=doc.agency,
                    validity=status.validity,
                    since=status.since,
                    by=status.by,
                    by_title=basis.title if basis else "",
                    current_version=status.current_version,
                    note=note,
                    confidence=result.confidence,
                    n=n,
                    match_label=label,
                    basis=document_label(basis, status.by),
                    basis_title=basis.title if basis else "",
                    basis_doc_number=basis.doc_number if basis else "",
                    current=document_label(current, status.current_version),
                    current_version_title=current.title if current else "",
                    current_version_doc_number=current.doc_number if current else "",
                    pending="；".join(p.text for p in pending),
                    pending_relations=[p.relation for p in pending],
                )
            )
    return out


def summary(report: Iterable[CheckRow]) -> dict[str, int]:
    """How many queries came out how: each query counted once, under 未找到 when it matched
    nothing, else the status of its first match in force (or of its first match)."""
    per_query: dict[int, list[CheckRow]] = {}
    for row in report:
        per_query.setdefault(row.n, []).append(row)
    counts: dict[str, int] = {}
    for matches in per_query.values():
        found = [r for r in matches if r.found]
        if not found:
            key = NOT_FOUND
        else:
            key = next((r.validity for r in found if r.validity in IN_FORCE), found[0].validity)
        counts[key] = counts.get(key, 0) + 1
    return counts


def write(out: TextIO, report: Iterable[CheckRow]) -> None:
    """The report as CSV on ``out``: a BOM (so spreadsheet programs read UTF-8), Chinese
    headers, formula-like cells escaped by :func:`archive.csvfile.write_csv`."""
    out.write("\ufeff")
    write_csv(
        out,
        [name for name, _ in CSV_COLUMNS],
        (row.to_dict() for row in report),
        header=[label for _, label in CSV_COLUMNS],
    )


def to_csv(report: Iterable[CheckRow]) -> str:
    """:func:`write` into a string."""
    buffer = io.StringIO()
    write(buffer, report)
    return buffer.getvalue()


def check_lines(results: Iterable[CheckResult]) -> list[str]:
    """``gongkai check`` as plain text: a mark and the match per query (✓ in force, ✗ not,
    ? not found), then each matched document with its status, basis and pending proposals."""
    lines = []
    for result in results:
        mark = "✓" if result.valid else ("?" if not result.found else "✗")
        if not result.found:
            lines.append(f"{mark} {result.query}: 未找到 / not found")
            continue
        how = "按" + MATCH_LABELS.get(result.matched_by, result.matched_by)
        if result.confidence < 1:
            how += f"，可信度 {result.confidence:.0%}"
        lines.append(f"{mark} {result.query}  （{how}）")
        for doc, status in result.matches:
            line = f"    {status.validity}"
            if status.since:
                line += f" 自 {status.since}"
            line += f"  {doc.title}"
            if doc.doc_number:
                line += f"（{doc.doc_number}）"
            line += f" [{doc.id}]"
            if status.by:
                line += f"  依据 {document_label(result.refs.get(status.by), status.by)}"
            if status.current_version:
                current = result.refs.get(status.current_version)
                line += f"  现行版本 {document_label(current, status.current_version)}"
            lines.append(line)
            if status.note:
                lines.append(f"      {status.note}")
            lines += [
                f"      {pending.text}（gongkai proposals confirm {pending.relation}）"
                for pending in result.pending.get(doc.id, [])
            ]
    return lines


def queries(args: Iterable[str], lines: Iterable[str]) -> list[str]:
    """The queries of ``gongkai check``: its arguments, then the lines of ``--file`` (blank
    lines and ``#`` comments skipped), each stripped."""
    found = [q.strip() for q in args if q.strip()]
    return found + [
        line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")
    ]
