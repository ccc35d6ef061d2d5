"""A document's status on every date, as date ranges the engines filter on ("as of" searches).

A document's status is constant between the dates at which something happens to it (its own
施行日期, a repeal's effective date, a staff record, the end of its 有效期), so
:func:`archive.timeline.timeline` gives it as a few entries ``(from, validity)``. The index
holds them as :data:`SLOTS` spans per document — ``span{i}_from`` ≤ day < ``span{i}_to`` (day
numbers, :func:`day_number`) with ``span{i}_validity`` — and "valid on day D" becomes one
filter the engine applies: any span covering D with a wanted validity. No pass over the
archive, whatever the date; and since today is just another day, a repeal that takes effect at
midnight needs no refresh of the index.

A document with more changes than :data:`SLOTS` spans (rare), or with a date that is not a
plain YYYY-MM-DD, stores :data:`ASK` from the point where its spans stop being exact: a search
on such a day asks the archive about those few documents (found by the same filter, with
validity :data:`ASK`) — see :class:`indexer.validity_view.ValidityView`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

#: Spans stored per document.
SLOTS = 4
#: The day number of "since always" and of "for ever" (after 9999-12-31).
FIRST_DAY = 0
LAST_DAY = 4_000_000
#: The validity of a span whose status the archive must give (too many changes to store).
ASK = "ask"  # a word: Typesense drops punctuation from the strings it matches

#: One span: from day (inclusive), to day (exclusive), validity.
Span = tuple[int, int, str]


def day_number(value: str) -> int | None:
    """The day number of a YYYY-MM-DD date (its proleptic ordinal), or None for anything
    else: a day number must order like the date strings :mod:`archive.validity` compares."""
    if len(value) != 10:
        return None
    try:
        return date.fromisoformat(value).toordinal()
    except ValueError:
        return None


def to_spans(timeline: Sequence[tuple[str, str]]) -> tuple[Span, ...]:
    """The spans of a :func:`archive.timeline.timeline` (at most :data:`SLOTS`), the last one
    :data:`ASK` from where they stop being exact."""
    starts: list[int] = []
    for point, _ in timeline:
        day = FIRST_DAY if point == "" else day_number(point)
        if day is None:  # a date that does not order like a day: ask from the one before
            break
        starts.append(day)
    exact = len(starts)
    if exact == len(timeline) and exact <= SLOTS:
        ends = [*starts[1:], LAST_DAY]
        return tuple(
            (start, end, validity)
            for start, end, (_, validity) in zip(starts, ends, timeline, strict=True)
        )
    keep = min(exact, SLOTS) - 1  # the exact spans kept before the one that asks
    if keep <= 0:
        return ((FIRST_DAY, LAST_DAY, ASK),)
    spans = [(starts[i], starts[i + 1], timeline[i][1]) for i in range(keep)]
    spans.append((starts[keep], LAST_DAY, ASK))
    return tuple(spans)


def field_names(slot: int) -> tuple[str, str, str]:
    """The from, to and validity fields of span ``slot``."""
    return f"span{slot}_from", f"span{slot}_to", f"span{slot}_validity"


def stored_spans(spans: Sequence[Span]) -> tuple[Span, ...]:
    """What an engine stores for ``spans``: an entry made without a timeline (``()``) asks."""
    return tuple(spans) if spans else ((FIRST_DAY, LAST_DAY, ASK),)
