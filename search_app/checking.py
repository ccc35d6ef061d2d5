"""The batch validity check behind ``/check`` and ``/api/v1/check``.

Each line is a 文号 (any bracket style, decree numbers included), 索引号, id or title. Lines are
matched by ``Gongkai.check`` (as ``gongkai check`` does) and reported by
:mod:`indexer.checkreport` (as ``gongkai check --csv`` is); a title matched only approximately
is reported with ``match = "title_similar"`` and its confidence, so a person knows to look twice.
"""

from __future__ import annotations

import re
from datetime import date

from archive.dates import parse_date
from archive.errors import InvalidInput
from archive.withdrawals import withdrawn_ids
from indexer.checkreport import CheckRow, rows, summary, to_csv

__all__ = ["MAX_LINES", "CheckRow", "check_date", "run_check", "split_refs", "summary", "to_csv"]

MAX_LINES = 1000
#: Longest reference (文号, 索引号, id or title) one line may hold; longer ones once made
#: SQLite's LIKE fail ("pattern too complex") and the page answer 500.
MAX_REF_CHARS = 500


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
    """Look up each reference and give the status of every match on ``as_of``: the rows of
    :mod:`indexer.checkreport`, the same as ``gongkai check --csv``."""
    check_refs(refs)
    results = gk.check(refs, as_of)
    hidden = withdrawn_ids(gk.archive)  # the public check never names a withdrawn document
    for result in results:
        kept = [(doc, status) for doc, status in result.matches if doc.id not in hidden]
        if len(kept) != len(result.matches):
            result.matches = kept
            if not kept:
                result.matched_by, result.confidence = "none", 0.0
    return rows(results)
