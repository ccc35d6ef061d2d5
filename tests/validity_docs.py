"""Fictional documents for the validity and linking tests (written for these tests; the
agency 青测市 and every 文号 are invented), and a helper that imports them for real."""

from __future__ import annotations

from pathlib import Path

from archive import Document
from indexer.service import Gongkai


def write_doc(
    folder: Path,
    name: str,
    *,
    title: str,
    body: str,
    number: str = "",
    issued: str = "",
    effective: str = "",
    validity: str = "",
    agency: str = "青测市测试局",
) -> Path:
    """A text file with the 政府信息公开 header block, as sites publish them."""
    lines = [f"名  称: {title}", f"发布机构: {agency}"]
    if number:
        lines.append(f"文  号: {number}")
    if issued:
        lines.append(f"发文日期: {issued}")
    if effective:
        lines.append(f"施行日期: {effective}")
    if validity:
        lines.append(f"有效性: {validity}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(lines) + "\n\n" + body.strip() + "\n", encoding="utf-8")
    return path


def import_docs(data: Path, *paths: Path) -> dict[str, str]:
    """Import ``paths`` into ``data`` (one import run); returns file name → id."""
    with Gongkai(data) as gk:
        report = gk.import_paths(list(paths))
    bad = [o for o in report.outcomes if o.status != "imported"]
    assert not bad, bad
    return {Path(o.path).name: o.id for o in report.outcomes}


def get(data: Path, doc_id: str) -> Document:
    with Gongkai(data, readonly=True) as gk:
        doc = gk.archive.get(doc_id)
    assert doc is not None
    return doc
