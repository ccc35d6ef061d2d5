"""The documents acting on some documents: those that repeal, amend or supersede them
(confirmed relations of :data:`~archive.vocab.VALIDITY_EFFECT` types) and those a staff status
record names. Found by the server from the documents' ids (a subquery), so that they are read
in the same round trip as the rest of the documents' facts (:func:`archive.validity.facts_of`),
not after it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from archive.chunks import in_chunks
from archive.chunks import marks as placeholders
from archive.reads import Read, Statement
from archive.relations import CONFIRMED, VALIDITY_EFFECT, Relations

#: The ids of the documents acting on the documents ``{marks}`` (given twice).
_ACTING = (
    "SELECT src FROM relations WHERE dst IN ({marks}) AND type IN ({types}) AND +state = ? "
    "UNION SELECT by_doc FROM status_changes WHERE doc_id IN ({marks}) AND by_doc != ''"
)


def _statements(relations: Relations, ids: Iterable[str], outer: str) -> list[Statement]:
    """``outer`` with ``{acting}`` replaced by the acting documents' subquery, per chunk."""
    if not relations.available:
        return []
    types = list(VALIDITY_EFFECT)
    found: list[Statement] = []
    for chunk, marks in in_chunks(list(dict.fromkeys(ids))):
        acting = _ACTING.format(marks=marks, types=placeholders(types))
        found.append((outer.format(acting=acting), (*chunk, *types, CONFIRMED, *chunk)))
    return found


def acting_read(relations: Relations, ids: Iterable[str], columns: Sequence[str]) -> Read[Any]:
    """The ``columns`` of the documents acting on ``ids``, each row with the 施行日期 found in
    the document's text beside them (``text_effective``: None when its text states none),
    one statement per chunk of ids."""
    picked = ", ".join(f"d.{c}" for c in columns)
    if relations.has_text_dates:
        outer = (
            f"SELECT {picked}, t.effective AS text_effective FROM documents d "
            "LEFT JOIN text_dates t ON t.doc_id = d.id WHERE d.id IN ({acting})"
        )
    else:
        outer = (
            f"SELECT {picked}, NULL AS text_effective FROM documents d WHERE d.id IN ({{acting}})"
        )
    return Read(_statements(relations, ids, outer), list)
