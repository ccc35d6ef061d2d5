"""The seam between Gongkai and a search engine: what an engine is given and what it answers.

An engine only ever sees :class:`IndexDoc` values built from the archive, and answers with ids
and scores; titles, snippets and highlights come from the archive text (``indexer.highlight``),
so every engine shows the same thing.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from archive.errors import GongkaiError, IndexDamagedError

if TYPE_CHECKING:  # importing the query parser loads the segmenter (rjieba, ~0.15 s)
    from indexer.query import ParsedQuery

log = logging.getLogger(__name__)
R = TypeVar("R")

FACET_FIELDS = ("agency", "category", "year", "validity", "kind", "doc_type")
#: The facets of many values, of which a results page shows only the most frequent: a
#: search's ``facet_top`` lets an engine leave out the rest (Typesense reads a stored
#: document for each value it names).
TOP_FACETS = ("agency", "category")
SORTS = ("relevance", "newest", "oldest")


@dataclass(frozen=True)
class IndexDoc:
    """One document as the index holds it. ``rev`` changes whenever the archive row does."""

    id: str
    rev: int
    title: str
    body: str
    doc_number: str = ""  # canonical 文号
    index_number: str = ""  # canonical 索引号
    agency: str = ""
    categories: tuple[str, ...] = ()
    kind: str = "notice"
    doc_type: str = ""  # 法律, 规章 … (archive.vocab.DOC_TYPES); "" not yet typed
    validity: str = "未知"
    date_issued: str = ""  # YYYY-MM-DD or ""
    #: The status on every date as spans (:mod:`indexer.engines.spans`); () asks the archive.
    spans: tuple[tuple[int, int, str], ...] = ()
    #: ``title`` and ``body`` already segmented (:func:`indexer.analysis.term_positions`,
    #: usually a packed :class:`~indexer.analysis.TermPositions` from an import worker), or
    #: None for the engine to segment them. Transient: never stored, not part of equality.
    title_terms: Mapping[str, list[int]] | None = field(default=None, compare=False, repr=False)
    body_terms: Mapping[str, list[int]] | None = field(default=None, compare=False, repr=False)
    #: What an import worker made of the terms for this engine
    #: (:func:`indexer.engines.prepare_text`), or None. Transient, as the terms are.
    engine_fields: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def year(self) -> int | None:
        return int(self.date_issued[:4]) if self.date_issued[:4].isdigit() else None


@dataclass
class Filters:
    """Restrictions that do not affect ranking. Each list means "any of these"."""

    agency: list[str] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    doc_type: list[str] = field(default_factory=list)
    validity: list[str] = field(default_factory=list)
    year: list[int] = field(default_factory=list)
    date_from: str = ""  # inclusive, YYYY-MM-DD
    date_to: str = ""  # inclusive, YYYY-MM-DD
    ids: frozenset[str] | None = None  # only these documents (e.g. valid on a given date)
    #: A day number (:func:`indexer.engines.spans.day_number`): ``validity`` is then the
    #: status on that day, read from the spans, and not the stored ``validity`` field; 0: the
    #: stored field. Only on an index whose engine says ``timeline``.
    validity_on: int = 0
    #: With ``validity_on``: documents that match the validity filter whatever their spans
    #: (those whose spans say :data:`~indexer.engines.spans.ASK` on that day, per the archive).
    validity_also: frozenset[str] = frozenset()

    def is_empty(self) -> bool:
        return not (
            self.agency
            or self.category
            or self.kind
            or self.doc_type
            or self.validity
            or self.year
            or self.date_from
            or self.date_to
            or self.ids is not None
        )


@dataclass(frozen=True)
class EngineHit:
    id: str
    score: float


@dataclass
class EngineResult:
    total: int
    hits: list[EngineHit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


class Engine(Protocol):
    """What every engine implements. Implementations live beside this module."""

    name: str

    @property
    def timeline(self) -> bool:
        """Whether the index holds validity spans (:mod:`indexer.engines.spans`): an index
        built before them answers ``validity_on`` filters only after a reindex."""
        ...

    def add(self, docs: Iterable[IndexDoc]) -> int:
        """Add or replace documents (by id); returns how many were written."""
        ...

    def delete(self, ids: Iterable[str]) -> int: ...

    def revisions(self) -> dict[str, int]:
        """Every indexed id with the archive revision it was indexed at."""
        ...

    def term_counts(self, field: str, min_count: int = 1) -> dict[str, int]:
        """Every term of text field ``field`` ("title" or "body") found in at least
        ``min_count`` documents, with its document frequency (for the vocabulary)."""
        ...

    def search(
        self,
        query: ParsedQuery,
        *,
        filters: Filters | None = None,
        sort: str = "relevance",
        limit: int = 10,
        offset: int = 0,
        facets: bool = False,
        facet_top: int | None = None,
    ) -> EngineResult:
        """The hits from ``offset`` to ``offset + limit`` and the total; with ``facets``,
        each facet's counts of values over every match. With ``facet_top``, the facets of
        :data:`TOP_FACETS` need hold only their ``facet_top`` most frequent values (at a tie,
        any of them); an engine may give all."""
        ...

    def clear(self) -> None:
        """Drop everything (before a rebuild)."""
        ...

    def refresh(self) -> None:
        """See at once what another process committed (searches see it soon anyway)."""
        ...

    def close(self) -> None: ...


#: What an engine library raises when its files are missing or damaged (Whoosh: OSError,
#: struct.error, EOFError; tantivy: ValueError or RuntimeError with the I/O error's text).
READ_FAILURES = (OSError, RuntimeError, ValueError, EOFError, KeyError, struct.error)


def reads_index(method: Callable[..., R]) -> Callable[..., R]:
    """Make an engine's reading method raise :class:`IndexDamagedError` (one clear message;
    the library's own error kept as the cause, for verify and the web log) when the index
    files cannot be read, instead of the library's FileNotFoundError or panic text."""

    @wraps(method)
    def wrapper(self: object, *args: object, **kwargs: object) -> R:
        try:
            return method(self, *args, **kwargs)
        except GongkaiError:
            raise
        except READ_FAILURES as exc:
            # Debug only: the CLI says it in one line, the web app logs the cause.
            log.debug("the index in %s cannot be read: %r", getattr(self, "path", "?"), exc)
            raise IndexDamagedError() from exc

    return wrapper
