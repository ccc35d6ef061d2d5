"""Keeping the index in line with the archive: entries, sync, rebuild, verify.

The archive is the truth and the index is derived from it: every entry is built here from an
archived :class:`~archive.Document` and its status today (:func:`archive.validity.statuses`),
and each entry carries the document's revision, so that comparing the two by revision
(:meth:`Indexer.sync`, :meth:`Indexer.verify`) finds what is missing, stale or extra. A
withdrawn document (:mod:`archive.withdrawals`) is archived but never indexed: absent from
search on every engine, and not missing to ``verify``. The callers hold the write lock when
they change anything (see :class:`indexer.service.Gongkai`).
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from archive import Archive, Document
from archive.errors import IndexDamagedError
from archive.relations import Relations
from archive.timeline import timelines
from archive.validity import today
from archive.withdrawals import withdrawn_ids
from indexer.config import (
    ANALYZER_VERSION,
    CONFIG_NAME,
    analyzer_version,
    engine_name,
    index_dir,
    read_config,
    write_config,
)
from indexer.engines import ENGINES, check_engine, open_engine, remove_index, text_spec
from indexer.engines.base import READ_FAILURES, Engine, IndexDoc
from indexer.engines.spans import to_spans
from indexer.items import BATCH_DOCS, Prepared
from indexer.validity_view import VALIDITY_INDEXED_ON

if TYPE_CHECKING:
    from indexer.analysis import TermPositions

R = TypeVar("R")


log = logging.getLogger(__name__)


def engine_name_of(folder: str) -> str:
    """The engine of the index folder ``folder`` (``whoosh``, ``tantivy.new-12``, …)."""
    return folder.split(".", 1)[0]


def validity_at(timeline: list[tuple[str, str]], day: str) -> str:
    """The validity on ``day`` of a :func:`archive.timeline.timeline`."""
    found = timeline[0][1]
    for point, validity in timeline:
        if point > day:
            break
        found = validity
    return found


def index_doc(
    doc: Document,
    validity: str | None = None,
    prepared: Prepared | None = None,
    timeline: list[tuple[str, str]] | None = None,
) -> IndexDoc:
    """What the index holds for an archived document; ``validity`` is its derived status
    today (see :meth:`Indexer.entries`), else the published one, and ``timeline`` its status
    on every date (:func:`archive.timeline.timeline`, stored as spans). The segments an import
    worker ``prepared`` are handed on when they were cut from this title and text."""
    cut = prepared if prepared is not None and prepared.fits(doc.title, doc.text) else None
    return IndexDoc(
        id=doc.id,
        rev=doc.rev,
        title=doc.title,
        body=doc.text,
        doc_number=doc.doc_number_norm,
        index_number=doc.index_number_norm,
        agency=doc.agency,
        categories=doc.categories,
        kind=doc.kind,
        doc_type=doc.doc_type,
        validity=validity or doc.validity,
        date_issued=doc.date_issued,
        spans=to_spans(timeline) if timeline else (),
        title_terms=cut.title_terms if cut else None,
        body_terms=cut.body_terms if cut else None,
        engine_fields=cut.engine_fields if cut else None,
    )


def _batches(docs: Iterable[Document], size: int) -> Iterator[list[Document]]:
    batch: list[Document] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Indexer:
    """The index of one data directory and the operations that keep it equal to the archive.

    The engine is opened on first use, so that commands which never search (``show``,
    ``check``) never load an engine."""

    def __init__(self, archive: Archive, data_dir: Path, engine_name: str, *, readonly: bool):
        self.archive = archive
        self.data_dir = Path(data_dir)
        self.engine_name = engine_name
        #: The folder under ``index/`` of the live index (``gongkai.json``'s ``index_dir``).
        self.index_dir = index_dir(read_config(self.data_dir))
        self.readonly = readonly
        self._engine: Engine | None = None
        self._config_seen = self._config_stamp()

    @property
    def engine(self) -> Engine:
        self.follow()
        if self._engine is None:
            try:
                self._engine = open_engine(self.data_dir, self.engine_name, self.index_dir)
            except READ_FAILURES as exc:
                raise IndexDamagedError() from exc
        return self._engine

    def _config_stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.data_dir / CONFIG_NAME)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def follow(self) -> bool:
        """Notice that another process switched the live index (a reindex): ``gongkai.json``
        is replaced by every switch, so one ``stat`` per search tells; the engine is then
        opened on the new index. Returns whether it moved."""
        stamp = self._config_stamp()
        if stamp == self._config_seen:
            return False
        self._config_seen = stamp
        config = read_config(self.data_dir)
        live = (engine_name(config), index_dir(config))
        if live == (self.engine_name, self.index_dir):
            return False
        self.close()
        self.engine_name, self.index_dir = live
        return True

    def reading(self, read: Callable[[Engine], R]) -> R:
        """``read(engine)``, once more on the new index if the live one was switched under
        it (a reader that looked just before a reindex removed the old index)."""
        try:
            return read(self.engine)
        except IndexDamagedError:
            if not self.follow():
                raise
            return read(self.engine)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    # -- entries -----------------------------------------------------------------------------

    def entries(
        self, docs: Iterable[Document], prepared: dict[str, Prepared] | None = None
    ) -> list[IndexDoc]:
        """Index entries for ``docs``, each with its status on every date (its timeline) and
        so today; what the import workers prepared for ``docs`` is taken out of ``prepared``
        (see :func:`index_doc`)."""
        withdrawn = withdrawn_ids(self.archive)
        docs = [d for d in docs if d.id not in withdrawn]
        found = timelines(self.archive, docs)
        done = prepared if prepared is not None else {}
        day = today()
        return [
            index_doc(d, validity_at(found[d.id], day), done.pop(d.id, None), found[d.id])
            for d in docs
        ]

    # -- sync --------------------------------------------------------------------------------

    def sync(self) -> dict[str, int]:
        """Bring the index in line with the archive: add missing or stale, drop extra."""
        self.touch_due()
        return self.sync_to(self.engine)

    def sync_to(self, target: Engine) -> dict[str, int]:
        """Bring the index ``target`` in line with the archive (see :meth:`sync`)."""
        archived = self.indexable()
        indexed = target.revisions()
        stale = [i for i, rev in archived.items() if indexed.get(i) != rev]
        extra = [i for i in indexed if i not in archived]
        if extra:
            target.delete(extra)
        for start in range(0, len(stale), 200):
            docs = self.archive.get_many(stale[start : start + 200])
            target.add(self.entries(docs.values()))
        return {"indexed": len(stale), "removed": len(extra)}

    def indexable(self) -> dict[str, int]:
        """id → revision of every document the index should hold: all but the withdrawn."""
        withdrawn = withdrawn_ids(self.archive)
        return {i: rev for i, rev in self.archive.revisions().items() if i not in withdrawn}

    def _indexable_documents(self) -> Iterator[Document]:
        withdrawn = withdrawn_ids(self.archive)
        return (d for d in self.archive.iter_documents() if d.id not in withdrawn)

    def touch_due(self) -> None:
        """Bump documents whose derived validity changed with the calendar since the index
        last looked (a repeal taking effect, a 施行日期 reached), so that sync re-indexes them."""
        if self.readonly:
            return
        relations = Relations(self.archive)
        last, now = relations.meta(VALIDITY_INDEXED_ON), today()
        if last == now:
            return
        if last:
            relations.touch(relations.due_between(last, now))
        relations.set_meta(VALIDITY_INDEXED_ON, now)

    # -- rebuild -----------------------------------------------------------------------------

    def reindex(self, engine: str | None = None, *, workers: int = 1) -> int:
        """Rebuild the index from the archive, beside the live one, which keeps answering
        searches until the new one is complete: it is built in ``index/<engine>.new-<pid>``,
        renamed, and made live by one atomic replace of ``gongkai.json`` (``index_dir``); the
        old one is then removed. A reindex killed before the switch leaves the live index as it
        was, and the next reindex removes what it left. With another ``engine``, convert (the
        old engine's index is left on disk, unused, until removed by hand or the next
        reindex). With ``workers`` > 1, documents are segmented in that many processes and the
        index is written by one more (see :meth:`_rebuild_in_parallel`). The caller holds the
        write lock."""
        name = check_engine(engine) if engine is not None else self.engine_name
        self.follow()
        old = self.index_dir
        index_root = self.data_dir / "index"
        self._remove_leftovers(keep={old})
        building = f"{name}.new-{os.getpid()}"
        target = open_engine(self.data_dir, name, building)
        try:
            if workers > 1:
                count = self._rebuild_in_parallel(target, name, building, workers)
            else:
                count = 0
                for batch in _batches(self._indexable_documents(), BATCH_DOCS):
                    count += target.add(self.entries(batch))
        finally:
            target.close()
        live = f"{name}.{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}"
        os.replace(index_root / building, index_root / live)
        self.close()
        config = {
            **read_config(self.data_dir),
            "analyzer": ANALYZER_VERSION,
            "engine": name,
            "index_dir": live,
        }
        write_config(self.data_dir, config)  # the switch: readers follow from here
        self.engine_name, self.index_dir = name, live
        self._config_seen = self._config_stamp()
        if name == engine_name_of(old):
            remove_index(self.data_dir, old)
        if not self.readonly:
            Relations(self.archive).set_meta(VALIDITY_INDEXED_ON, today())
        self.refresh_vocabulary()
        return count

    def refresh_vocabulary(self) -> None:
        """Build and save the index's vocabulary now (:func:`indexer.vocabulary.refresh`), as
        a reindex and an import do at their end; a failure only leaves it to the next search."""
        from indexer.vocabulary import refresh

        try:
            refresh(self.archive, self.engine)
        except Exception:  # the next search builds it instead; the index is done
            log.exception("building the vocabulary failed")

    def _remove_leftovers(self, keep: set[str]) -> None:
        """Remove the indexes a killed reindex left (``*.new-*``, or renamed but never made
        live) and old ones of engines no longer live; ``keep`` and the other engine's index
        under its plain name (left by a conversion) stay. The caller holds the write lock, so
        no other reindex is running."""
        root = self.data_dir / "index"
        if not root.is_dir():
            return
        for path in root.iterdir():
            if path.name in keep or path.name in ENGINES:
                continue
            if engine_name_of(path.name) in ENGINES:
                remove_index(self.data_dir, path.name)

    def _rebuild_in_parallel(self, target: Engine, name: str, folder: str, workers: int) -> int:
        """Fill the empty index ``target`` (engine ``name``) from the archive: ``workers``
        processes segment titles and bodies (:func:`indexer.building.segment_chunk`), this
        process adds statuses, and a :class:`BackgroundWriter` writes the index (in
        ``index/<folder>``). If that
        writer fails, what it did not write is added here."""
        from indexer.building import segment_chunk
        from indexer.engines.background import BackgroundWriter
        from indexer.pipeline import WINDOW_ITEMS
        from indexer.workers import WorkerPool

        spec = text_spec(target)
        pool = WorkerPool(workers, segment_chunk, spec, preload=["indexer.building"])
        writer = BackgroundWriter(self.data_dir, name, folder)
        window: deque[tuple[Document, object]] = deque()
        batch: list[tuple[Document, tuple[TermPositions, TermPositions, Any]]] = []

        def flush() -> None:
            entries = self.entries(doc for doc, _ in batch)
            writer.add(
                [
                    replace(entry, title_terms=cut[0], body_terms=cut[1], engine_fields=cut[2])
                    for entry, (_, cut) in zip(entries, batch, strict=True)
                ]
            )
            batch.clear()

        def finish() -> None:
            doc, ticket = window.popleft()
            batch.append((doc, pool.result(ticket)))  # type: ignore[arg-type]
            if len(batch) >= BATCH_DOCS:
                flush()

        try:
            for doc in self._indexable_documents():
                window.append((doc, pool.submit((doc.title, doc.text), b"")))
                if len(window) > WINDOW_ITEMS * workers:
                    finish()
            while window:
                finish()
            if batch:
                flush()
        finally:
            pool.shutdown()
            complete = writer.close()
            target.refresh()
        if not complete:
            self.sync_to(target)
        return len(target.revisions())

    # -- verify ------------------------------------------------------------------------------

    def verify(self, *, quick: bool = False) -> dict[str, object]:
        """Compare archive and index, and check that what is stored is sound: every original
        re-hashed (unless ``quick``: only present), SQLite's integrity check, every row and
        history entry decoded, the index readable. Nothing is changed. Each problem names the
        documents it affects (``corrupt_originals``, ``bad_rows``; ``integrity_errors`` and
        ``index_errors`` as SQLite and the engine word them)."""
        integrity = self.archive.integrity_errors()
        bad = self.archive.bad_rows()
        try:
            archived = self.indexable()
            withdrawn = len(withdrawn_ids(self.archive))
        except Exception as exc:  # a damaged table: what the rest can still say is reported
            archived, integrity = {}, [*integrity, f"revisions cannot be read: {exc}"]
            withdrawn = 0
        index_errors: list[str] = []
        as_of_spans = False
        try:
            indexed = self.engine.revisions()
            as_of_spans = bool(self.engine.timeline)
        except Exception as exc:  # a deleted segment file, a truncated index
            indexed = {}
            cause = exc.__cause__ or exc  # the library's own words, for the operator
            index_errors.append(f"the index cannot be read: {type(cause).__name__}: {cause}")
            self.close()
        missing = sorted(i for i in archived if i not in indexed) if not index_errors else []
        stale = sorted(i for i, rev in archived.items() if i in indexed and indexed[i] != rev)
        extra = sorted(i for i in indexed if i not in archived)
        digests = self.archive.digests()
        store = self.archive.originals
        lost = sorted(i for i, digest in digests.items() if not store.exists(digest))
        corrupt = (
            []
            if quick
            else sorted(i for i, d in digests.items() if i not in lost and not store.intact(d))
        )
        built_with = analyzer_version(read_config(self.data_dir))
        # An empty index holds nothing the analyzer decided; the next import uses this one.
        reindex_needed = bool(indexed) and built_with != ANALYZER_VERSION
        problems = (missing, stale, extra, lost, corrupt, integrity, bad, index_errors)
        return {
            "ok": not (any(problems) or reindex_needed),
            "reindex_needed": reindex_needed,
            "analyzer": {"index": built_with, "current": ANALYZER_VERSION},
            # False: an index built before the validity spans; searches by status on another
            # date than today work, from the archive, and a reindex makes them fast.
            "as_of_spans": as_of_spans or not indexed,
            "documents": len(archived) + withdrawn,
            "indexed": len(indexed),
            "withdrawn": withdrawn,
            "missing_from_index": missing,
            "stale_in_index": stale,
            "extra_in_index": extra,
            "missing_originals": lost,
            "corrupt_originals": corrupt,
            "integrity_errors": integrity,
            "bad_rows": sorted(bad),
            "bad_row_reasons": bad,
            "index_errors": index_errors,
            "originals_checked": "present" if quick else "hashed",
        }

    def repair(self, report: dict[str, object]) -> dict[str, object]:
        """Mend what ``report`` (from :meth:`verify`) found that can be mended from the
        archive, and say what cannot: the index is synced, or rebuilt when it cannot be read;
        a lost or damaged original comes back only by importing the same file again (or from
        a backup); a damaged row or database page only from a backup. The caller holds the
        write lock."""
        repaired: dict[str, object] = {}
        if report["index_errors"]:
            repaired["reindexed"] = self.reindex()
        else:
            repaired.update(self.sync())
        unrepaired: list[str] = []
        for doc_id in [*report["missing_originals"], *report["corrupt_originals"]]:  # type: ignore[misc]
            unrepaired.append(
                f"{doc_id}: original file missing or damaged; import the same file again "
                "(or restore a backup) to put it back"
            )
        for doc_id in report["bad_rows"]:  # type: ignore[attr-defined]
            unrepaired.append(f"{doc_id}: archive row damaged; restore from a backup")
        if report["integrity_errors"]:
            unrepaired.append("the database file is damaged; restore from a backup")
        return {"repaired": repaired, "unrepaired": unrepaired}
