"""``gongkai stats`` and ``gongkai verify`` reports as plain text.

Both reports are dictionaries (their ``--json`` is the dictionary itself, with stable keys);
these functions give the lines a person reads, so that :mod:`cli` only prints them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def stats_lines(data: Mapping[str, Any]) -> list[str]:
    """Counts by validity, kind, type, agency and year; a cluster's nodes; the last run."""
    from indexer.provenance import run_line

    lines = [f"documents: {data['documents']}  (engine: {data['engine']})"]
    for key in ("by_validity", "by_kind", "by_doc_type", "by_agency", "by_year"):
        shown = ", ".join(f"{k or '-'} {v}" for k, v in data[key].items())
        lines.append(f"{key[3:]}: {shown}")
    if "cluster_leader" in data:
        lines.append(f"cluster leader: {data['cluster_leader']}")
        lines += [f"  node down: {line}" for line in data["cluster_nodes_down"]]
        lines += [f"  node behind: {line}" for line in data["cluster_nodes_behind"]]
    if data["last_run"]:
        lines.append(f"last import run: {run_line(data['last_run'])}")
    return lines


def verify_lines(report: Mapping[str, Any]) -> list[str]:
    """ok or problems found, then each kind of problem with up to five examples."""
    lines = ["ok" if report["ok"] else "problems found"]
    for key, value in report.items():
        if key == "unrepaired":
            lines += [f"  cannot repair: {line}" for line in value]
        elif isinstance(value, list) and value:
            more = " …" if len(value) > 5 else ""
            lines.append(f"  {key}: {len(value)} ({', '.join(value[:5])}{more})")
    if report.get("reindex_needed"):
        built = report["analyzer"]
        lines.append(
            f"  reindex_needed: the index was built by analyzer {built['index']}, "
            f"this version uses {built['current']}; run `gongkai reindex`"
        )
    if report.get("as_of_spans") is False:
        lines.append(
            "  note: the index has no validity spans; `gongkai reindex` makes searches "
            "by status on a past date (--as-of) fast"
        )
    return lines
