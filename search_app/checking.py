"""The batch validity check behind ``/check`` and ``/api/v1/check``.

Each line is a 文号 (any bracket style), 索引号, id or title. Lines are matched by
``Gongkai.check`` (as ``gongkai check`` does); a title matched only approximately is reported
with ``match = "title_similar"`` and its confidence, so a person knows to look twice.
"""

from __future__ import annotations

import io
import re
from dataclasses import asdict, dataclass
from datetime import date

from archive.csvfile import write_csv
from archive.dates import parse_date
from archive.errors import InvalidInput

MAX_LINES = 1000
#: Longest reference (文号, 索引号, id or title) one line may hold; longer ones once made
#: SQLite's LIKE fail ("pattern too complex") and the page answer 500.
MAX_REF_CHARS = 500
CSV_COLUMNS = (
    ("query", "查询"),
    ("match", "匹配方式"),
    ("id", "编号"),
    ("title", "名称"),
    ("doc_number", "文号"),
    ("agency", "发布机构"),
    ("as_of", "核查日期"),
    ("validity", "有效性"),
    ("since", "起始日期"),
    ("by", "依据文件"),
    ("current_version", "现行版本"),
    ("note", "说明"),
)


@dataclass
class CheckRow:
    query: str
    match: str  # id / doc_number / index_number / title / title_similar / none
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

    @property
    def found(self) -> bool:
        return bool(self.id)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def split_refs(text: str) -> list[str]:
    """One reference per line (blank lines and surrounding spaces dropped, order kept)."""
    return [line.strip() for line in re.split(r"[\r\n]+", text or "") if line.strip()]


def check_date(value: str | None) -> str:
    """``value`` as YYYY-MM-DD (today if empty); ValueError with a readable message if bad."""
    if not value or not value.strip():
        return date.today().isoformat()
    try:
        return parse_date(value)
    except InvalidInput:
        raise ValueError(f"日期必须是 YYYY-MM-DD 格式（got {value!r}）") from None


def check_refs(refs: list[str]) -> None:
    """ValueError, with a message for a person, when ``refs`` cannot be looked up: too many,
    one too long, or text that is not Unicode (a lone surrogate from JSON)."""
    if len(refs) > MAX_LINES:
        raise ValueError(f"一次最多核查 {MAX_LINES} 条（got {len(refs)}）")
    for number, ref in enumerate(refs, start=1):
        if len(ref) > MAX_REF_CHARS:
            raise ValueError(f"第 {number} 条过长：最多 {MAX_REF_CHARS} 个字符（got {len(ref)}）")
        try:
            ref.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"第 {number} 条含有无效字符（lone surrogate）") from None
        if "\x00" in ref:
            raise ValueError(f"第 {number} 条含有 NUL 字符")


def run_check(gk, refs: list[str], as_of: str) -> list[CheckRow]:
    """Look up each reference and give the status of every match on ``as_of``.

    The matching is ``Gongkai.check``, the same as ``gongkai check``.
    """
    check_refs(refs)
    rows: list[CheckRow] = []
    results = gk.check(refs, as_of)
    wanted = {s.by for r in results for _, s in r.matches if s.by}
    titles = {i: d.title for i, d in gk.archive.get_many(sorted(wanted)).items()}
    for result in results:
        if not result.matches:
            rows.append(CheckRow(result.query, "none", as_of, note="未找到匹配的文件"))
            continue
        for doc, status in result.matches:
            note = status.note
            if result.matched_by == "title_similar":
                note = f"名称近似（可信度 {result.confidence:.0%}），请核对。{note}".strip()
            rows.append(
                CheckRow(
                    result.query,
                    result.matched_by,
                    as_of,
                    id=doc.id,
                    title=doc.title,
                    doc_number=doc.doc_number,
                    agency=doc.agency,
                    validity=status.validity,
                    since=status.since,
                    by=status.by,
                    by_title=titles.get(status.by, ""),
                    current_version=status.current_version,
                    note=note,
                    confidence=result.confidence,
                )
            )
    return rows


def to_csv(rows: list[CheckRow]) -> str:
    """CSV with Chinese column names and a BOM, so spreadsheet programs read it as UTF-8."""
    out = io.StringIO()
    write_csv(
        out,
        [name for name, _ in CSV_COLUMNS],
        (row.to_dict() for row in rows),
        header=[label for _, label in CSV_COLUMNS],
    )
    return "\ufeff" + out.getvalue()
