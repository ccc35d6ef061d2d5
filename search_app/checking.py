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
from indexer.checkreport import CheckRow, rows, summary, to_csv

__all__ = ["MAX_LINES", "CheckRow", "check_date", "run_check", "split_refs", "summary", "to_csv"]

MAX_LINES = 1000


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


def run_check(gk, refs: list[str], as_of: str) -> list[CheckRow]:
    """Look up each reference and give the status of every match on ``as_of``: the rows of
    :mod:`indexer.checkreport`, the same as ``gongkai check --csv``."""
    if len(refs) > MAX_LINES:
        raise ValueError(f"一次最多核查 {MAX_LINES} 条（got {len(refs)}）")
    return rows(gk.check(refs, as_of))
