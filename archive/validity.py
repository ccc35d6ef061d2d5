"""Validity on a date: the status published in the header, weighed against dated relations and
staff records.

The rules, in order:

1. Before the document's own effective date (施行日期; else its issue date) it is 尚未生效.
2. Events change the status from a date: a confirmed relation that repeals (→ 已废止), amends or
   supersedes (→ 已修改) the document, from the relation's effective date (else the acting
   document's own date), and staff status records. On a date, the event that applies and is
   latest wins (ties: a staff record beats a relation). A staff record without a date applies
   on every date and ranks by the day it was recorded, so a later correction wins; a record with
   validity ``""`` withdraws the staff records before it. :attr:`Status.since` is when the
   status in force began — the first of the events in a row that gave it — so it is the same
   whichever later date is asked.
   The end of the document's own 有效期 (本规定有效期三年, found in its text or header and kept
   as an :class:`~archive.relations.Expiry`) is an event too: 失效 from the day after the
   period, unless the document had already ended (repealed, amended) before that day. A staff
   record made (or dated) later wins over it, like over a relation. When the header says 已废止
   or 已修改 and the period is over, the header stands: it says more than the period does.
3. With no event in force yet, the header's status holds, except that a header saying 已废止 /
   失效 / 已修改 (or nothing) for a document whose only recorded change lies in the future of
   that date is explained by that change: the document was 有效 until then.
4. When the header and the winner disagree, :attr:`Status.note` says both, which wins and why.

Proposed and rejected relations never change validity.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

from archive.acting import acting_read
from archive.document import Document
from archive.pgrows import row_dict
from archive.reads import Read, by_chunks, read, read_together
from archive.relations import (
    CONFIRMED,
    SUPERSEDES,
    TYPE_LABELS,
    VALIDITY_EFFECT,
    Expiry,
    Relation,
    Relations,
    StatusChange,
)
from archive.store import Archive
from archive.version_chains import later_versions_read
from archive.vocab import (
    AMENDED,
    EXPIRED,
    IN_FORCE,
    LINKER_ACTOR,
    NOT_YET,
    REPEALED,
    UNKNOWN,
    VALID,
    origin_label,
)

_ENDED = frozenset({"已废止", "失效", "已修改"})


@dataclass
class Status:
    """The status of one document on one date, and why."""

    doc_id: str
    as_of: str  # YYYY-MM-DD
    validity: str  # canonical value in effect on ``as_of``
    since: str = ""  # when that status began, if known
    by: str = ""  # id of the document that caused it (repealing / amending / superseding)
    current_version: str = ""  # id of the current version when this one is superseded
    published: str = ""  # validity as published on the original (header)
    #: "header", "relation", "staff" or "expiry" (the document's own 有效期 ended): which one
    #: decided ``validity``
    source: str = "header"
    note: str = ""  # when header and relations disagree: both, which wins and why
    expires: str = ""  # the first day its own 有效期 is over ("" if it states none)
    expiry: str = ""  # the clause that says so: 本文件第十条：有效期三年

    @property
    def in_force(self) -> bool:
        """Whether the document may be relied on, on ``as_of``."""
        return self.validity in IN_FORCE

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def today() -> str:
    return date.today().isoformat()


@dataclass(frozen=True)
class _Event:
    start: str  # "" = applies on every date
    rank: str
    tie: int  # 1 for staff records (beat relations on the same rank)
    seq: int
    validity: str
    source: str  # "relation", "staff" or "expiry"
    by: str
    what: str  # human description


def _winner(events: Iterable[_Event]) -> _Event:
    """The event that decides the status among those in force: the latest (ties: staff)."""
    return max(events, key=lambda e: (e.rank, e.tie, e.seq))


def _began(applicable: Sequence[_Event], validity: str) -> str:
    """The date the status ``validity`` began: the earliest event date from which, up to the
    date asked, every winner has given ``validity``.

    Not the winner's own date: a second amendment leaves the document 已修改 since the first,
    so asking on a date after the second must not move "since" to it (it did: 已修改 自
    2023-04-01 asked today, 自 2019-07-01 asked on 2020-06-30). "" when the status holds on
    every date (a staff record without a date)."""
    since = ""
    for start in sorted({e.start for e in applicable}, reverse=True):
        if _winner(e for e in applicable if e.start <= start).validity != validity:
            break
        since = start
    return since


def _label(doc_id: str, labels: Mapping[str, str]) -> str:
    return labels.get(doc_id) or doc_id


def doc_start(doc: Document) -> str:
    """The date a document takes effect: 施行日期, else its issue date ("" if unknown)."""
    return doc.date_effective or doc.date_issued


def _events(
    incoming: Iterable[Relation],
    changes: Sequence[StatusChange],
    dates: Mapping[str, str],
    labels: Mapping[str, str],
) -> list[_Event]:
    events = []
    for rel in incoming:
        if rel.state != CONFIRMED or rel.type not in VALIDITY_EFFECT:
            continue
        start = rel.effective or dates.get(rel.src, "")
        verb = TYPE_LABELS[rel.type]
        events.append(
            _Event(
                start=start,
                rank=start or rel.created_at[:10],
                tie=0,
                seq=rel.id,
                validity=VALIDITY_EFFECT[rel.type],
                source="relation",
                by=rel.src,
                what=f"被 {_label(rel.src, labels)} {verb}"
                + (f"（自 {start} 起）" if start else "（生效日期未知）")
                + f"（{origin_label(rel.origin, rel.state, rel.actor, LINKER_ACTOR)}）",
            )
        )
    # A record with validity "" withdraws every staff record before it.
    live: list[StatusChange] = []
    for change in changes:
        if change.validity == "":
            live = []
        else:
            live.append(change)
    for change in live:
        by = f"，依据 {_label(change.by_doc, labels)}" if change.by_doc else ""
        why = f"：{change.note}" if change.note else ""
        events.append(
            _Event(
                start=change.effective,
                rank=change.effective or change.created_at[:10],
                tie=1,
                seq=change.seq,
                validity=change.validity,
                source="staff",
                by=change.by_doc,
                what=f"工作人员 {change.actor} 于 {change.created_at[:10]} "
                f"记录为“{change.validity}”"
                + (f"（自 {change.effective} 起）" if change.effective else "")
                + by
                + why,
            )
        )
    return events


def _expiry_event(expiry: Expiry, others: Sequence[_Event]) -> _Event | None:
    """The end of the document's own 有效期 as an event, or None when the document had already
    ended before it (a repealed document does not later "expire")."""
    before = [e for e in others if e.start < expiry.expires]
    if before and _winner(before).validity not in IN_FORCE:
        return None
    why = "，".join(filter(None, (expiry.clause, expiry.basis)))
    return _Event(
        start=expiry.expires,
        rank=expiry.expires,
        tie=0,
        seq=0,
        validity=EXPIRED,
        source="expiry",
        by="",
        what=f"有效期届满，自 {expiry.expires} 起失效（{why}）",
    )


def status_on(
    doc: Document,
    as_of: str | None = None,
    *,
    incoming: Iterable[Relation] = (),
    changes: Sequence[StatusChange] = (),
    dates: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    current_version: str = "",
    expiry: Expiry | None = None,
) -> Status:
    """The status of ``doc`` on ``as_of`` (default today), from its header, the confirmed
    relations pointing at it (``incoming``) and staff records (``changes``).

    ``dates`` gives the effective date of acting documents (used when a relation has none);
    ``labels`` names documents in the note; ``current_version`` is the newest version on
    ``as_of`` when the document has been superseded (see :func:`statuses`); ``expiry`` is
    the end of its own 有效期, if it states one.
    """
    as_of = as_of or today()
    dates = dates or {}
    labels = labels or {}
    published = doc.validity or UNKNOWN
    status = Status(doc_id=doc.id, as_of=as_of, validity=published, published=published)
    status.current_version = current_version
    if expiry is not None:
        status.expires, status.expiry = expiry.expires, expiry.clause

    own_start = doc_start(doc)
    if own_start and as_of < own_start:
        status.validity, status.source = NOT_YET, "header"
        which = "施行" if doc.date_effective else "发布"
        status.note = f"{which}日期为 {own_start}，在 {as_of} 尚未生效"
        if published not in (NOT_YET, UNKNOWN, VALID):
            status.note += f"（原文标注“{published}”，指其后的状态）"
        return status

    events = _events(incoming, changes, dates, labels)
    ended = _expiry_event(expiry, events) if expiry is not None else None
    if ended is not None:
        events.append(ended)
    applicable = [e for e in events if e.start <= as_of]
    upcoming = sorted((e for e in events if e.start > as_of), key=lambda e: e.start)
    notes: list[str] = []
    if applicable:
        win = _winner(applicable)
        status.validity, status.since, status.by, status.source = (
            win.validity,
            _began(applicable, win.validity),
            win.by,
            win.source,
        )
        notes.append(win.what)
        if published != win.validity:
            if published == UNKNOWN:
                notes.append("原文未标注有效性")
            elif win.source == "expiry" and published in (REPEALED, AMENDED):
                # The header says more than the period does (repealed, amended): it stands.
                status.validity, status.since, status.source = published, "", "header"
                notes.append(f"原文标注“{published}”，以原文标注为准")
            elif win.source == "expiry":
                notes.append(
                    f"原文标注“{published}”，与有效期条款不一致；以有效期条款为准："
                    "有效期已届满，原文标注未反映这一变化（已过时）"
                )
            elif win.source == "relation":
                notes.append(
                    f"原文标注“{published}”，与已确认的关系不一致；以关系为准："
                    "关系有明确的日期和依据文件，原文标注未反映这一变化（已过时）"
                )
            else:
                notes.append(
                    f"原文标注“{published}”，与工作人员记录不一致；以工作人员记录为准："
                    "它是对原文标注的核对与更正"
                )
        losers = [e for e in applicable if e is not win and e.validity != win.validity]
        if losers:
            notes.append("另有较早记录：" + "；".join(e.what for e in losers))
    elif upcoming and (published in _ENDED or published == UNKNOWN):
        first = upcoming[0]
        status.validity, status.source = VALID, first.source
        if published == UNKNOWN:
            notes.append(f"原文未标注有效性；{first.what}，在此之前有效")
        else:
            notes.append(
                f"原文标注“{published}”，但{first.what}；在 {as_of} 仍有效"
                "（原文标注反映的是该日期之后的状态）"
            )
    else:
        status.source = "header"
        if published == NOT_YET and doc.date_effective and as_of >= doc.date_effective:
            status.validity = VALID
            status.since = own_start
            notes.append(f"原文标注“尚未生效”，施行日期 {own_start} 已到，按有效计")
        elif published == VALID and own_start:
            status.since = own_start
    if upcoming and status.validity in IN_FORCE:
        first = upcoming[0]
        notes.append(f"将于 {first.start} 起变为“{first.validity}”：{first.what}")
    if status.current_version and status.current_version != doc.id:
        notes.append(f"现行版本：{_label(status.current_version, labels)}")
    status.note = "；".join(dict.fromkeys(n for n in notes if n))
    return status


# -- loading from the archive ---------------------------------------------------------------


_BRIEF_COLUMNS = (
    "id",
    "title",
    "doc_number",
    "date_issued",
    "date_effective",
    "validity",
    "kind",
    "rev",
)
_BRIEF = ", ".join(_BRIEF_COLUMNS)


def _briefs(rows: Iterable[Any]) -> dict[str, Document]:
    """Rows of :data:`_BRIEF` columns (rows or dicts) as documents without their text, by id."""
    found: dict[str, Document] = {}
    for row in rows:
        values = row if isinstance(row, dict) else row_dict(row)
        found[values["id"]] = Document.from_row({**values, "text": ""})
    return found


def _brief_read(ids: Iterable[str]) -> Read[dict[str, Document]]:
    """Documents without their text (for dates and labels)."""
    return Read(by_chunks(f"SELECT {_BRIEF} FROM documents WHERE id IN ({{marks}})", ids), _briefs)


def _brief_docs(archive: Archive, ids: Iterable[str]) -> dict[str, Document]:
    return read(archive.conn, _brief_read(ids))


def _dated(docs: Iterable[Document], text_dates: Mapping[str, str]) -> list[Document]:
    """``docs``, with the 施行日期 their text states (``text_dates``) where the header gave
    none."""
    return [
        replace(d, date_effective=text_dates[d.id])
        if not d.date_effective and d.id in text_dates
        else d
        for d in docs
    ]


def _doc_label(doc: Document) -> str:
    return f"《{doc.title}》" + (f"（{doc.doc_number}）" if doc.doc_number else "")


def current_versions(
    relations: Relations,
    ids: Iterable[str],
    as_of: str,
    dates: dict[str, str],
    known: Mapping[str, list[Relation]] | None = None,
) -> dict[str, str]:
    """For each superseded id: the newest version in force on ``as_of`` (confirmed
    ``supersedes`` relations, followed forward). Ids not superseded on that date are absent.
    ``known``: the confirmed relations (of any types) pointing at some ids, already read;
    the others are read a step of the walk at a time."""
    known = known or {}
    result: dict[str, str] = {}
    frontier = {i: i for i in ids}  # start id → where its walk stands
    seen: dict[str, set[str]] = {i: {i} for i in ids}
    for _ in range(50):  # chains longer than this are a data error; stop rather than loop
        if not frontier:
            break
        standing = set(frontier.values())
        ask = standing - known.keys()
        newer = relations.incoming(ask, types=(SUPERSEDES,)) if ask else {}
        for doc_id in standing & known.keys():
            newer[doc_id] = [r for r in known[doc_id] if r.type == SUPERSEDES]
        unknown = {r.src for rels in newer.values() for r in rels if r.src not in dates}
        if unknown:
            for doc in _brief_docs(relations.archive, unknown).values():
                dates[doc.id] = doc_start(doc)
        nxt: dict[str, str] = {}
        for origin, at in frontier.items():
            steps = [
                r
                for r in newer.get(at, [])
                if (r.effective or dates.get(r.src, "")) <= as_of and r.src not in seen[origin]
            ]
            if not steps:
                continue
            step = max(steps, key=lambda r: (r.effective or dates.get(r.src, ""), r.id))
            seen[origin].add(step.src)
            result[origin] = step.src
            nxt[origin] = step.src
        frontier = nxt
    return result


@dataclass
class Facts:
    """What the status of many documents depends on, loaded with a handful of queries."""

    docs: list[Document]  # with the 施行日期 their text states
    incoming: dict[str, list[Relation]]
    changes: dict[str, list[StatusChange]]
    expiries: dict[str, Expiry]
    brief: dict[str, Document]  # the acting documents
    dates: dict[str, str]  # id → start, of ``docs`` and the acting documents
    #: the ``supersedes`` relations confirmed to the new versions among the acting documents,
    #: to theirs, and so on (:func:`current_versions` walks them), and those versions
    newer: dict[str, list[Relation]] = field(default_factory=dict)
    later: dict[str, Document] = field(default_factory=dict)


@dataclass(frozen=True)
class ReadFacts:
    """The answers of :func:`facts_reads` for ``ids``, read ahead (sent with the rows of
    the same documents, one round trip on PostgreSQL) for :func:`statuses`."""

    ids: frozenset[str]
    answers: list[Any]


def facts_reads(
    relations: Relations, ids: Iterable[str], undated: Iterable[str] | None = None
) -> list[Read[Any]]:
    """The reads :func:`facts_of` makes for the documents ``ids``, to send with others
    (:func:`archive.reads.read_together`); the dates stated in their texts are asked of
    ``undated`` only (default: of all, when which have a date is not known yet)."""
    ids = list(ids)
    return [
        relations.text_dates_read(ids if undated is None else undated),
        relations.by_end_read("dst", ids, types=tuple(VALIDITY_EFFECT)),
        relations.status_changes_read(ids),
        relations.expiries_read(ids),
        acting_read(relations, ids, _BRIEF_COLUMNS),
        later_versions_read(relations, ids, _BRIEF_COLUMNS),
    ]


def facts_of(
    archive: Archive,
    relations: Relations,
    docs: Iterable[Document],
    read_ahead: ReadFacts | None = None,
) -> Facts:
    """In one round trip on PostgreSQL (:func:`archive.reads.read_together`): what is known
    of ``docs``, the documents acting on them (found by the server: :mod:`archive.acting`)
    and the chains of versions after them (:mod:`archive.version_chains`). ``read_ahead``:
    those answers, already read for at least ``docs``."""
    docs = list(docs)
    if read_ahead is not None and read_ahead.ids.issuperset(d.id for d in docs):
        answers = read_ahead.answers
    else:
        ids = [d.id for d in docs]
        undated = [d.id for d in docs if not d.date_effective]
        answers = read_together(archive.conn, facts_reads(relations, ids, undated))
    text_dates, incoming, changes, expiries, acting, (chains, later_rows) = answers
    docs = _dated(docs, text_dates)
    versions = {r.src for rels in incoming.values() for r in rels if r.type == SUPERSEDES}
    later = _briefs(later_rows.values())
    newer = {i: chains.get(i, []) for i in versions | later.keys()}
    their_dates = {r["id"]: r["text_effective"] for r in acting if r["text_effective"]}
    brief = {d.id: d for d in _dated(_briefs(acting).values(), their_dates)}
    dates = {i: doc_start(d) for i, d in later.items()}
    dates.update({i: doc_start(d) for i, d in brief.items()})
    dates.update({d.id: doc_start(d) for d in docs})
    return Facts(docs, incoming, changes, expiries, brief, dates, newer, later)


def statuses(
    archive: Archive,
    docs: Iterable[Document],
    as_of: str | None = None,
    read_ahead: ReadFacts | None = None,
) -> dict[str, Status]:
    """The status of many documents on one date, with a handful of queries (none of the
    six :func:`facts_of` makes when ``read_ahead`` holds their answers for ``docs``)."""
    as_of = as_of or today()
    relations = Relations(archive)
    facts = facts_of(archive, relations, docs, read_ahead)
    docs, incoming, changes, expiries = facts.docs, facts.incoming, facts.changes, facts.expiries
    brief, dates = facts.brief, facts.dates
    superseded = [d.id for d in docs if any(r.type == SUPERSEDES for r in incoming.get(d.id, []))]
    known = {**facts.newer, **{d.id: incoming.get(d.id, []) for d in docs}}
    versions = current_versions(relations, superseded, as_of, dates, known)
    labels = {i: _doc_label(d) for i, d in {**facts.later, **brief}.items()}
    missing = set(versions.values()) - set(labels)
    labels.update({i: _doc_label(d) for i, d in _brief_docs(archive, missing).items()})
    return {
        d.id: status_on(
            d,
            as_of,
            incoming=incoming.get(d.id, []),
            changes=changes.get(d.id, []),
            dates=dates,
            labels=labels,
            current_version=versions.get(d.id, ""),
            expiry=expiries.get(d.id),
        )
        for d in docs
    }


def ids_in(groups: Mapping[str, frozenset[str]], values: Iterable[str]) -> frozenset[str]:
    """The ids of :func:`validity_groups` under any of ``values``."""
    return frozenset().union(*(groups.get(v, frozenset()) for v in set(values)))


def validity_groups(archive: Archive, as_of: str | None = None) -> dict[str, frozenset[str]]:
    """Every document's id under its validity on ``as_of`` (default today)."""
    found: dict[str, set[str]] = {}
    last = ""
    while True:
        rows = archive.conn.execute(
            f"SELECT {_BRIEF} FROM documents WHERE id > ? ORDER BY id LIMIT 2000", (last,)
        ).fetchall()
        if not rows:
            break
        for doc_id, status in statuses(archive, _briefs(rows).values(), as_of).items():
            found.setdefault(status.validity, set()).add(doc_id)
        last = rows[-1]["id"]
    return {validity: frozenset(ids) for validity, ids in found.items()}
