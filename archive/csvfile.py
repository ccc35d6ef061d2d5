"""CSV that is safe to open in a spreadsheet: one writer for every CSV Gongkai produces.

Titles, notes and queries come from published documents and from whoever typed them, and a
spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return before one) as a formula ("CSV injection"). Every such text cell is written with a
leading ``'``, which spreadsheets show as plain text. ``gongkai check --csv`` and the web's
check download used to be two writers and only one did this; both now call :func:`write_csv`.

It imports nothing but the standard library, so the CLI can use it without loading the web app.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import TextIO

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """``value`` as a spreadsheet will show it: text starting like a formula gets a ``'``.

    Numbers, booleans and ``None`` are left for the csv module to write as it does."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(
    out: TextIO,
    columns: Sequence[str],
    rows: Iterable[Mapping[str, object]],
    *,
    header: Sequence[str] | None = None,
) -> None:
    """Write ``rows`` to ``out``: the ``columns`` of each (missing ones empty, others ignored),
    under ``header`` (default: the column names), every cell through :func:`safe_cell`."""
    writer = csv.writer(out)
    writer.writerow(header if header is not None else columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(name, "")) for name in columns])
