"""Re-ranking the top of a result with what the archive knows and the engines do not.

Engines score words; people searching regulations want three more things, applied here over
the engines' first :data:`WINDOW` hits so that both engines behave alike:

* **an exact title first** — a hit whose title is the query (letters, digits and ideographs
  compared, folded) goes before every other;
* **the version in force before superseded ones** — among documents of one title, the one in
  force (not superseded, status in force on the search's date) leads; and a superseded hit whose
  current version (:attr:`archive.validity.Status.current_version`) is in the window with a
  score at least :data:`CLOSE` of its own is put after that version;
* **one title, one line** — documents repeated under the same title are grouped: the leading
  one stays, with ``same_title`` counting the others, which leave the page (``collapse``) or
  follow it directly.

Engine scores are kept as they were; only the order changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from archive.validity import Status
from indexer.analysis import bigram_chars
from indexer.engines.base import EngineHit
from indexer.query import ParsedQuery

#: How many engine hits are re-ranked (pages beyond it keep the engine's order).
WINDOW = 50
#: A current version this close in score to a superseded one goes before it.
CLOSE = 0.5


@dataclass
class Ranked:
    hit: EngineHit
    same_title: int = 0  # other documents of the same title grouped under this one


def title_key(text: str) -> str:
    """What makes two titles the same: folded letters, digits and ideographs."""
    return bigram_chars(text)


def query_title(parsed: ParsedQuery) -> str:
    """The title a query would be, or "" when it has exclusions or OR (not a title)."""
    if any(c.negated or len(c.options) != 1 for c in parsed.clauses):
        return ""
    return title_key("".join(w.text for m in parsed.positive for w in m.words))


def _leads(status: Status | None) -> bool:
    return status is not None and not status.current_version and status.in_force


def rerank(
    hits: Sequence[EngineHit],
    titles: Mapping[str, str],
    statuses: Mapping[str, Status],
    parsed: ParsedQuery,
    *,
    collapse: bool = True,
) -> list[Ranked]:
    """``hits`` (engine order) re-ranked; ``titles`` and ``statuses`` by id, for every hit."""
    groups: dict[str, list[EngineHit]] = {}
    for hit in hits:
        groups.setdefault(title_key(titles.get(hit.id, "")) or hit.id, []).append(hit)
    ordered: list[tuple[str, list[EngineHit]]] = []
    for key, members in groups.items():
        # The version in force leads its title; the rest keep their order behind it.
        members.sort(key=lambda h: not _leads(statuses.get(h.id)))
        ordered.append((key, members))
    # A superseded group leader goes after its current version when their scores are close.
    i, moves = 0, 0
    while i < len(ordered) and moves < len(ordered):
        leader = ordered[i][1][0]
        status = statuses.get(leader.id)
        current = status.current_version if status else ""
        j = next((k for k, (_, m) in enumerate(ordered) if m[0].id == current), -1)
        if j > i and ordered[j][1][0].score >= CLOSE * leader.score:
            ordered.insert(i, ordered.pop(j))
            moves += 1
        i += 1
    exact = query_title(parsed)
    if exact:
        ordered.sort(key=lambda item: item[0] != exact)  # stable: exact titles first
    ranked: list[Ranked] = []
    for _, members in ordered:
        ranked.append(Ranked(members[0], len(members) - 1))
        if not collapse:
            ranked.extend(Ranked(m) for m in members[1:])
    return ranked
