"""A document's status on every date, as a few dated entries: its timeline.

The status defined by :func:`archive.validity.status_on` changes only on a date when something
happens to the document — its own start (施行日期, else issue date), a relation's or a staff
record's effective date (or the acting document's date), the end of its 有效期 — so asking
``status_on`` on each of those dates gives the status on every date, exactly, by the one
definition. The index stores it as date ranges (:mod:`indexer.engines.spans`), so that a search
by status on any date is a filter the engine applies rather than a pass over the archive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from archive.document import Document
from archive.relations import Expiry, Relation, Relations, StatusChange
from archive.store import Archive
from archive.validity import doc_start, facts_of, status_on

#: A date before every date a document or relation holds: the status "since always".
BEFORE_ALL = "0000-01-01"


def timeline(
    doc: Document,
    *,
    incoming: Iterable[Relation] = (),
    changes: Sequence[StatusChange] = (),
    dates: Mapping[str, str] | None = None,
    expiry: Expiry | None = None,
) -> list[tuple[str, str]]:
    """``doc``'s status on every date, as ``[(from, validity), …]``: ``validity`` holds from
    ``from`` (inclusive; ``""`` for the first, "since always") until the next entry's date.

    The status only changes on a date when something happens then (the document's own start,
    a relation's or staff record's effective date, the end of its 有效期), so it is
    :func:`status_on` asked on each of those dates — the one definition of status, exact by
    construction (a date that is not an event's changes nothing: asking more dates than
    needed only merges). Consecutive entries differ in validity."""
    incoming, dates = list(incoming), dates or {}
    points = {doc_start(doc), *(c.effective for c in changes)}
    points |= {r.effective or dates.get(r.src, "") for r in incoming}
    if expiry is not None:
        points.add(expiry.expires)
    found: list[tuple[str, str]] = []
    for point in ["", *sorted(p for p in points if p)]:
        validity = status_on(
            doc,
            point or BEFORE_ALL,
            incoming=incoming,
            changes=changes,
            dates=dates,
            expiry=expiry,
        ).validity
        if not found or found[-1][1] != validity:
            found.append((point, validity))
    return found


def timelines(archive: Archive, docs: Iterable[Document]) -> dict[str, list[tuple[str, str]]]:
    """:func:`timeline` of many documents, with a handful of queries."""
    facts = facts_of(archive, Relations(archive), docs)
    return {
        d.id: timeline(
            d,
            incoming=facts.incoming.get(d.id, []),
            changes=facts.changes.get(d.id, []),
            dates=facts.dates,
            expiry=facts.expiries.get(d.id),
        )
        for d in facts.docs
    }
