"""Changing an archived document's metadata after import, whole or not at all.

A manifest applied to documents already archived, ``gongkai edit`` and the staff form all end
here: the changed columns and a new revision (so the index re-indexes the document), and one
``edit`` history entry with each field's value before and after, who and why, in the same
transaction. The text and the original file are never changed: they are what was published.
"""

from __future__ import annotations

import json

from archive.errors import InvalidInput, NotFoundError
from archive.store import Archive, now

#: Columns an edit may change (the ``*_norm`` ones follow their field; ``extra`` is JSON).
EDITABLE = (
    "title",
    "agency",
    "doc_number",
    "doc_number_norm",
    "index_number",
    "index_number_norm",
    "category",
    "date_written",
    "date_issued",
    "date_effective",
    "validity",
    "validity_raw",
    "kind",
    "doc_type",
    "doc_type_origin",
    "extra",
)


def update_document(
    archive: Archive,
    doc_id: str,
    values: dict[str, object],
    *,
    expected_rev: int,
    actor: str,
    detail: dict[str, object],
) -> int:
    """Set ``values`` (column → value) on ``doc_id`` as a new revision and log ``detail``
    under the action ``edit``; returns the new revision. :class:`InvalidInput` for a column
    that may not be edited; :class:`NotFoundError` when the document is gone, and
    :class:`InvalidInput` when it changed since it was read at ``expected_rev`` (read again
    and retry)."""
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown or not values:
        raise InvalidInput(f"cannot edit: {', '.join(unknown) or '(nothing)'}")
    row = {k: json.dumps(v, ensure_ascii=False) if k == "extra" else v for k, v in values.items()}
    assignments = ", ".join(f"{column} = ?" for column in row)
    with archive.transaction():
        current = archive.conn.execute(
            "SELECT rev FROM documents WHERE id = ?", (doc_id,)
        ).fetchone()
        if current is None:
            raise NotFoundError(f"no document with id {doc_id}")
        if current["rev"] != expected_rev:
            raise InvalidInput(f"document {doc_id} changed meanwhile; read it again")
        archive.conn.execute(
            f"UPDATE documents SET {assignments}, rev = rev + 1, updated_at = ? WHERE id = ?",
            [*row.values(), now(), doc_id],
        )
        archive.log(doc_id, actor, "edit", detail)
    return expected_rev + 1
