"""Plain text of statuses, relations and related-document counts, as ``gongkai`` prints them
(``status``, ``show``, ``link``/``unlink``/``relations``/``proposals`` and each search hit).

The web pages have their own templates; these are the terminal's wording, kept out of
:mod:`cli` so that its commands only parse, call and print.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from archive.vocab import CLUSTER_LABELS, doc_type_label


def status_lines(status: Any) -> list[str]:
    """A :class:`archive.validity.Status` as one line (and its note on a second)."""
    line = f"状态（{status.as_of}）: {status.validity}"
    if status.since:
        line += f"，自 {status.since}"
    if status.by:
        line += f"，依据 [{status.by}]"
    if status.current_version:
        line += f"，现行版本 [{status.current_version}]"
    lines = [line + f"  （来源: {status.source}）"]
    if status.note:
        lines.append(f"说明: {status.note}")
    return lines


def relation_lines(rows: list[dict[str, object]], empty: str = "") -> list[str]:
    """Relation rows (``Gongkai.relation_rows``), two lines each; ``empty`` when none."""
    lines = [empty] if not rows and empty else []
    for row in rows:
        date = f" 自 {row['effective']}" if row["effective"] else ""
        lines.append(
            f"#{row['id']} [{row['state']}/{row['origin']}] "
            f"{row['src_title']} [{row['src']}] —{row['type']}{date}→ "
            f"{row['dst_title']} [{row['dst']}]"
        )
        detail = " · ".join(str(row[k]) for k in ("note", "evidence") if row[k])
        if detail:
            lines.append(f"    {detail}")
    return lines


def cluster_line(cluster: Mapping[str, object]) -> str:
    """解读 2 · 废止 1 · 现行版本 […]: a hit's related documents, counted ("" if none)."""
    parts = []
    for name in ("interpretations", "answers", "repealed_by", "amended_by"):
        items = cluster.get(name) or []
        if items:
            parts.append(f"{CLUSTER_LABELS[name]} {len(items)}")  # type: ignore[arg-type]
    if cluster.get("current_version"):
        parts.append(f"现行版本 [{cluster['current_version']}]")
    return " · ".join(parts)


def doc_type_text(doc_type: str, origin: str) -> str:
    """规章, or 规章（工作人员修改） when staff set it ("" for no type)."""
    extra = {"staff": "（工作人员修改）", "manifest": "（导入清单）"}.get(origin, "")
    return doc_type_label(doc_type) + extra if doc_type else ""
