"""One answer to "what is the status of these documents on this date", for every caller.

The status of a document on a date is defined once, by :mod:`archive.validity` (the published
有效性, relations, staff records and dates in the text). Everything that shows or filters by
status asks :class:`ValidityView`, so the CLI, the web page and the API never disagree:

- **badges, document pages and** ``check`` get :meth:`ValidityView.statuses` (the archive);
- **filters and the validity facet for today** read the index's ``validity`` field. That field is
  a copy of the archive's answer for today, made by :class:`indexer.indexing.Indexer` whenever a
  document's row, its relations or its staff records change, and refreshed for the calendar
  (a repeal that takes effect on a later day) at the first sync of each day. The copy is used
  only while it is exact: made today, or made on an earlier day with no status change falling
  due since (``Relations.due_between``);
- **any other date, or a copy that is not exact** (a server running past midnight with a dated
  repeal due and no sync yet) is a date-range filter the engine applies: every entry also holds
  the document's status on every date as spans (:mod:`indexer.engines.spans`, made with the
  ``validity`` copy from :func:`archive.timeline.timeline`), and the filter asks for a span
  covering the day with a wanted status. The few documents whose changes do not fit the spans
  are asked of the archive (found by the same filter), and the facet is one filtered count per
  status;
- on an index built before the spans (the engine's ``timeline`` is false), those dates are
  answered from the archive as before: each document's status on that date, grouped by
  validity (:func:`archive.validity.validity_groups`), remembered until the archive changes,
  and handed to the engine as a set of ids. ``gongkai verify`` says a reindex makes them fast.

Cost at 100,000 documents: the index path adds nothing to a search (one term filter, the
engine's own facet counts); the spans path a range filter per search (and, for the facet, one
count per status). The archive path works out every document's status once per date and
archive version (about 1–2 s at 100,000 on this machine's class of hardware), then costs a
set-of-ids filter per search.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from archive import Archive, Document
from archive.reads import Read
from archive.relations import Relations
from archive.validity import (
    ReadFacts,
    Status,
    facts_reads,
    ids_in,
    statuses,
    today,
    validity_groups,
)
from archive.vocab import VALIDITY
from indexer.engines.spans import ASK, day_number
from indexer.shared_statuses import shared_statuses

if TYPE_CHECKING:
    from indexer.engines.base import Engine, Filters
    from indexer.query import ParsedQuery

#: The archive's meta key holding the day the index's copy of "valid today" was made.
VALIDITY_INDEXED_ON = "validity_indexed_on"

#: Dates whose validity groups are remembered at once (per archive version).
_CACHED_DATES = 8
#: Statuses remembered at once (per archive version): a few MB.
_KNOWN = 20_000


class ValidityView:
    """Status on a date for the documents of one archive, and the index's copy of it."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        # as_of → (archive version, validity → ids)
        self._groups: dict[str, tuple[tuple[int, int], dict[str, frozenset[str]]]] = {}
        # (archive version, today) → whether the index's copy is exact today
        self._copy_exact: tuple[tuple[tuple[int, int], str], bool] | None = None
        # (engine, archive version, day) → validity of the documents the spans leave to ask
        self._asked: dict[tuple[int, tuple[int, int], int], dict[str, str]] = {}
        # (id, revision, day) → status, while the archive is at version ``_known_at``
        self._known: dict[tuple[str, int, str], Status] = {}
        self._known_at: tuple[int, int] | None = None

    # -- the archive's answer ---------------------------------------------------------------

    def statuses(
        self,
        docs: Iterable[Document],
        as_of: str | None = None,
        read_ahead: ReadFacts | None = None,
    ) -> dict[str, Status]:
        """Each document's status on ``as_of`` (default today), by id; remembered (by
        document revision and date) until the archive changes: results pages ask of the
        same documents again and again, and on PostgreSQL each ask is several round trips.
        Outside a transaction what is remembered is shared by every view of the same archive
        in the process (:class:`SharedStatuses`): a web process's threads each have a view.
        ``read_ahead``: the facts of those not remembered (:meth:`facts_ahead`)."""
        docs = list(docs)
        day = as_of or today()
        state = self._shared_state()
        if state is not None:
            shared = shared_statuses(self.archive)
            return shared.statuses(self.archive, state, docs, day, read_ahead)
        version = self.archive.version()
        if self._known_at != version or len(self._known) > _KNOWN:
            self._known.clear()
            self._known_at = version
        wanted = [d for d in docs if (d.id, d.rev, day) not in self._known]
        if wanted:
            revs = {d.id: d.rev for d in wanted}
            for doc_id, status in statuses(self.archive, wanted, day, read_ahead).items():
                self._known[(doc_id, revs[doc_id], day)] = status
        # copies (every field is a plain value): a caller may change what it is given
        return {d.id: replace(self._known[(d.id, d.rev, day)]) for d in docs}

    def facts_ahead(
        self, ids: list[str], as_of: str | None = None
    ) -> tuple[list[str], list[Read[Any]]]:
        """(which of ``ids`` have no status on ``as_of`` remembered, the reads of their
        facts): sent with the documents' rows (:func:`archive.reads.read_together`), their
        answers are the ``read_ahead`` of :meth:`statuses` (:class:`ReadFacts`), and on
        PostgreSQL a search's rows and statuses cost one round trip, not two. Inside a
        transaction, all of ``ids``."""
        day = as_of or today()
        state = self._shared_state()
        wanted = ids if state is None else shared_statuses(self.archive).unknown(state, ids, day)
        return wanted, facts_reads(Relations(self.archive), wanted) if wanted else []

    def _shared_state(self) -> tuple[int, str] | None:
        """The archive's change counter, under which statuses are shared by the views of a
        process; None inside a transaction (which may see its own writes) or for an archive
        without the counter: this view then keeps its own."""
        return None if self.archive.conn.in_transaction else self.archive.changes()

    def status(self, doc: Document, as_of: str | None = None) -> Status:
        return self.statuses([doc], as_of)[doc.id]

    def groups(self, as_of: str) -> dict[str, frozenset[str]]:
        """Every document's id under its status on ``as_of``, remembered until the archive
        changes."""
        version = self.archive.version()
        cached = self._groups.get(as_of)
        if cached is None or cached[0] != version:
            if len(self._groups) >= _CACHED_DATES:
                self._groups.clear()
            cached = (version, validity_groups(self.archive, as_of))
            self._groups[as_of] = cached
        return cached[1]

    # -- the index's copy --------------------------------------------------------------------

    def index_answers(self, as_of: str | None) -> bool:
        """Whether the index's ``validity`` field is exactly the status on ``as_of``."""
        day = today()
        if as_of and as_of != day:
            return False
        key = (self.archive.version(), day)
        if self._copy_exact is None or self._copy_exact[0] != key:
            relations = Relations(self.archive)
            made = relations.meta(VALIDITY_INDEXED_ON)
            exact = made == day or (
                bool(made) and made < day and not relations.due_between(made, day)
            )
            self._copy_exact = (key, exact)
        return self._copy_exact[1]

    # -- for the engine ----------------------------------------------------------------------

    def _on_spans(self, engine: Engine | None, as_of: str | None) -> int:
        """The day number to filter ``engine``'s spans on for ``as_of``, or 0 when the index
        has no spans (or the date is not a plain day)."""
        if engine is None or not getattr(engine, "timeline", False):
            return 0
        return day_number(as_of or today()) or 0

    def asked(self, engine: Engine, day: int, as_of: str) -> dict[str, str]:
        """The validity on ``as_of`` of the documents whose spans say :data:`ASK` on that
        ``day`` (too many changes to store), from the archive; few, and remembered."""
        key = (id(engine), self.archive.version(), day)
        found = self._asked.get(key)
        if found is None:
            from indexer.engines.base import Filters
            from indexer.query import parse

            where = Filters(validity=[ASK], validity_on=day)
            result = engine.search(parse(""), filters=where, sort="newest", limit=1000)
            if result.total > len(result.hits):
                result = engine.search(parse(""), filters=where, sort="newest", limit=result.total)
            docs = self.archive.get_many([h.id for h in result.hits]).values()
            found = {i: s.validity for i, s in statuses(self.archive, docs, as_of).items()}
            if len(self._asked) >= _CACHED_DATES:
                self._asked.clear()
            self._asked[key] = found
        return found

    def engine_filters(
        self, filters: Filters | None, as_of: str | None, engine: Engine | None = None
    ) -> Filters | None:
        """``filters`` as the engine should apply them on ``as_of``: the validity filter stays
        on the index field where the index answers, else becomes a date-range filter on the
        spans of ``engine`` (when its index has them), else a set of ids."""
        if filters is None or not filters.validity or self.index_answers(as_of):
            return filters
        day = self._on_spans(engine, as_of)
        if day and engine is not None:
            asked = self.asked(engine, day, as_of or today())
            wanted_values = set(filters.validity)
            also = frozenset(i for i, v in asked.items() if v in wanted_values)
            return replace(filters, validity_on=day, validity_also=also)
        wanted = ids_in(self.groups(as_of or today()), filters.validity)
        if filters.ids is not None:
            wanted = wanted & filters.ids
        return replace(filters, validity=[], ids=wanted)

    def facet(
        self,
        engine: Engine,
        parsed: ParsedQuery,
        filters: Filters | None,
        as_of: str | None,
        counted: Mapping[str, int],
    ) -> dict[str, int]:
        """The validity facet on ``as_of``: the engine's own counts (``counted``) where the
        index answers, else one count per status among the documents the query matches
        (``filters`` as :meth:`engine_filters` made them)."""
        if self.index_answers(as_of):
            return dict(counted)
        from indexer.engines.base import Filters

        counts: dict[str, int] = {}
        base = filters or Filters()
        day = self._on_spans(engine, as_of)
        if day:
            asked = self.asked(engine, day, as_of or today())
            if base.validity and base.validity_on:  # already filtered by status on that day
                values = list(dict.fromkeys(base.validity))
            else:
                values = list(dict.fromkeys([*VALIDITY, *counted, *asked.values()]))
            for validity in values:
                if validity == ASK:
                    continue
                also = frozenset(i for i, v in asked.items() if v == validity)
                one = replace(base, validity=[validity], validity_on=day, validity_also=also)
                total = engine.search(parsed, filters=one, limit=1).total
                if total:
                    counts[validity] = total
            return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        for validity, ids in self.groups(as_of or today()).items():
            wanted = ids if base.ids is None else ids & base.ids
            if wanted:
                total = engine.search(parsed, filters=replace(base, ids=wanted), limit=1).total
                if total:
                    counts[validity] = total
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
