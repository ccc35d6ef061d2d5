"""Following a document or a search: what happened to it, newest first, as feed entries.

People cite a regulation for years; they need to hear when it is repealed, amended or
replaced by a new version, and when an interpretation or an answer about it appears. The
archive's history already records each of those as it happens (relations, derived validity
changes, imports), so an event here is one history entry said in words — nothing new is
stored. Two rules:

- an event names what happened then (有效 → 已废止), but every event also carries the
  document's status **today** (:class:`~indexer.validity_view.ValidityView`), so an old entry
  never tells a reader that a document is 失效 after staff have since said 已废止;
- a search is followed through its matching documents: their arrival (import, upload) and
  their status changes.

The Atom feeds (``/doc/<id>/feed.atom``, ``/search.atom``) and the JSON API
(``/api/v1/documents/<id>/events``, ``/api/v1/search/events``) both read :func:`events_for`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from archive import Archive, Document
from archive.events import latest_history
from archive.relations import CONFIRMED
from archive.validity import Status
from archive.vocab import AMENDS, ANSWERS, INTERPRETS, REPEALS, SUPERSEDES
from indexer.validity_view import ValidityView

NEW, STATUS = "new", "status"
#: A relation naming the followed document (as ``dst``) → the kind of event it is.
RELATION_EVENTS = {
    INTERPRETS: "interpretation",
    ANSWERS: "answer",
    SUPERSEDES: "version",
    AMENDS: "amendment",
    REPEALS: "repeal",
}
KIND_LABELS = {
    NEW: "新收录",
    STATUS: "有效性变化",
    "interpretation": "新的解读",
    "answer": "新的答复",
    "version": "新版本",
    "amendment": "被修改",
    "repeal": "被废止",
}
#: The history actions events are made of.
ACTIONS = ("import", "upload", "validity", "relation")
#: Events of a search: the matching documents' arrival and status changes only.
SEARCH_KINDS = frozenset({NEW, STATUS})


@dataclass
class Event:
    seq: int  # the history entry's number: a stable id
    at: str  # when, ISO 8601 UTC
    kind: str  # a key of KIND_LABELS
    what: str  # what happened, in words, as it was then
    doc: Document  # the document followed (or matching the search)
    status: Status  # its status today
    related: Document | None = None  # the interpretation, answer, new version, repealer …

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    def to_dict(self) -> dict[str, object]:
        def brief(doc: Document | None) -> dict[str, object] | None:
            if doc is None:
                return None
            fields = ("id", "title", "doc_number", "date_issued", "agency", "kind")
            return {name: getattr(doc, name) for name in fields}

        return {
            "seq": self.seq,
            "at": self.at,
            "kind": self.kind,
            "kind_label": self.kind_label,
            "what": self.what,
            "doc": brief(self.doc),
            "current_validity": self.status.validity,
            "status": self.status.to_dict(),
            "related": brief(self.related),
        }


def _name(doc: Document | None, fallback: str) -> str:
    if doc is None:
        return fallback
    return f"《{doc.title.strip('《》')}》" + (f"（{doc.doc_number}）" if doc.doc_number else "")


def _classify(entry: Mapping[str, Any]) -> tuple[str, str] | None:
    """(kind, related id) of a history entry that is an event, else None."""
    action = entry.get("action")
    detail: Mapping[str, Any] = entry.get("detail") or {}
    if action in ("import", "upload"):
        return NEW, ""
    if action == "validity":
        before, after = detail.get("before") or {}, detail.get("after") or {}
        if before.get("validity") == after.get("validity"):
            return None  # only the reason or date changed
        return STATUS, str(after.get("by") or "")
    if action == "relation" and detail.get("dst") == entry.get("doc_id"):
        kind = RELATION_EVENTS.get(str(detail.get("type")))
        before, after = detail.get("before") or {}, detail.get("after") or {}
        if kind and after.get("state") == CONFIRMED and before.get("state") != CONFIRMED:
            return kind, str(detail.get("src") or "")
    return None


def _what(kind: str, entry: Mapping[str, Any], doc: Document, related: Document | None) -> str:
    detail: Mapping[str, Any] = entry.get("detail") or {}
    if kind == NEW:
        return f"收录{_name(doc, doc.id)}"
    if kind == STATUS:
        before, after = detail.get("before") or {}, detail.get("after") or {}
        words = (
            f"{_name(doc, doc.id)}有效性：{before.get('validity') or '—'} → {after.get('validity')}"
        )
        if after.get("since"):
            words += f"（自 {after['since']}）"
        if related is not None:
            words += f"，依据{_name(related, '')}"
        return words
    verb = {
        "interpretation": "解读",
        "answer": "答复",
        "version": "成为新版本，取代",
        "amendment": "修改",
        "repeal": "废止",
    }[kind]
    return f"{_name(related, str(detail.get('src')))}{verb}{_name(doc, doc.id)}"


def events_for(
    archive: Archive,
    validity: ValidityView,
    ids: Iterable[str],
    *,
    kinds: Iterable[str] = KIND_LABELS,
    since: str = "",
    limit: int = 50,
) -> list[Event]:
    """The newest ``limit`` events of the documents ``ids`` (of ``kinds``, on or after
    ``since``, YYYY-MM-DD), newest first, each with its document's status today."""
    wanted = set(kinds)
    found: list[tuple[Mapping[str, Any], str, str]] = []
    # Some entries are not events (a proposal, a changed reason): read more than asked.
    for entry in latest_history(archive, ids, actions=ACTIONS, since=since, limit=limit * 4):
        classified = _classify(entry)
        if classified and classified[0] in wanted:
            found.append((entry, *classified))
        if len(found) == limit:
            break
    mentioned = {str(e["doc_id"]) for e, _k, _r in found} | {r for _e, _k, r in found if r}
    docs = archive.get_many(sorted(mentioned))
    followed = [
        docs[i] for i in dict.fromkeys(str(e["doc_id"]) for e, _k, _r in found) if i in docs
    ]
    today = validity.statuses(followed)
    events = []
    for row, kind, related_id in found:
        doc = docs.get(str(row["doc_id"]))
        if doc is None:
            continue
        related = docs.get(related_id) if related_id else None
        events.append(
            Event(
                seq=int(row["seq"]),
                at=str(row["at"]),
                kind=kind,
                what=_what(kind, row, doc, related),
                doc=doc,
                status=today[doc.id],
                related=related,
            )
        )
    return events
