"""A data directory opened for use: the archive, the engine it is configured with, and the
operations the CLI and the web app share (import, search, look-up, reindex, verify).

Layout of a data directory::

    gongkai.json         configuration (engine)
    archive.sqlite3      the archive (source of truth)
    originals/           original files by sha256
    index/<engine>/      the search index (derived; rebuildable)
    write.lock           held by whoever writes (import, reindex, status changes)
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from archive import Archive, Document
from archive.validity import Cluster, Status, status_on
from indexer.engines.base import Engine, Filters, IndexDoc
from indexer.highlight import snippet, title_spans
from indexer.normalize import (
    looks_like_doc_number,
    looks_like_index_number,
    normalize_doc_number,
    normalize_index_number,
)
from indexer.pipeline import ImportReport, ProgressCallback, import_files, iter_files
from indexer.query import parse

ENGINES = ("whoosh",)
CONFIG_NAME = "gongkai.json"


class BusyError(RuntimeError):
    """Another process is writing to this data directory."""


class NotFoundError(LookupError):
    pass


@dataclass
class Hit:
    id: str
    title: str
    doc_number: str
    index_number: str
    agency: str
    date_issued: str
    validity: str
    kind: str
    source: str
    score: float
    snippet: str
    snippet_html: str
    title_html: str
    highlights: list[list[int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "doc_number": self.doc_number,
            "index_number": self.index_number,
            "agency": self.agency,
            "date_issued": self.date_issued,
            "validity": self.validity,
            "kind": self.kind,
            "source": self.source,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "highlights": self.highlights,
        }


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"total": self.total, "hits": [h.to_dict() for h in self.hits]}
        if self.facets:
            data["facets"] = self.facets
        return data


def index_doc(doc: Document) -> IndexDoc:
    """What the index holds for an archived document."""
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
        validity=doc.validity,
        date_issued=doc.date_issued,
    )


def read_config(data_dir: Path) -> dict[str, object]:
    path = data_dir / CONFIG_NAME
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return {"engine": "whoosh"}


def open_engine(data_dir: Path, name: str) -> Engine:
    if name == "whoosh":
        from indexer.engines.whoosh import WhooshEngine

        return WhooshEngine(data_dir / "index" / "whoosh")
    raise ValueError(f"unknown engine {name!r} (known: {', '.join(ENGINES)})")


class Gongkai:
    """One data directory. Use as a context manager, or call :meth:`close`."""

    def __init__(self, data_dir: Path | str, *, readonly: bool = False) -> None:
        self.data_dir = Path(data_dir)
        if readonly and not (self.data_dir / Archive.DB_NAME).exists():
            raise NotFoundError(
                f"no Gongkai archive in {self.data_dir} (run `gongkai import` first)"
            )
        self.readonly = readonly
        self.archive = Archive.open(self.data_dir, readonly=readonly)
        config = read_config(self.data_dir)
        if not readonly and not (self.data_dir / CONFIG_NAME).exists():
            (self.data_dir / CONFIG_NAME).write_text(json.dumps(config), encoding="utf-8")
        self.engine_name = str(config.get("engine", "whoosh"))
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = open_engine(self.data_dir, self.engine_name)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
        self.archive.close()

    def __enter__(self) -> Gongkai:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Exclusive right to write; a second writer is refused with :class:`BusyError`."""
        path = self.data_dir / "write.lock"
        handle = open(path, "a+")  # noqa: SIM115 - held for the duration of the block
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise BusyError(
                    f"{self.data_dir} is being written by {holder}; wait for it to finish"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
            yield
        finally:
            handle.close()

    def import_paths(
        self,
        paths: Iterable[Path],
        *,
        on_progress: ProgressCallback | None = None,
        max_bytes: int | None = None,
    ) -> ImportReport:
        """Import files and folders (see :func:`indexer.pipeline.iter_files`)."""
        return self.import_files(iter_files(paths), on_progress=on_progress, max_bytes=max_bytes)

    def import_files(
        self,
        files: Iterable[tuple[Path, str]],
        *,
        on_progress: ProgressCallback | None = None,
        max_bytes: int | None = None,
    ) -> ImportReport:
        """Import listed files (path, reason to skip or "")."""
        with self.write_lock():
            self.sync_index()  # finish what an interrupted run left unindexed

            def to_index(docs: list[Document]) -> None:
                self.engine.add(index_doc(d) for d in docs)

            kwargs = {"max_bytes": max_bytes} if max_bytes else {}
            return import_files(
                self.archive,
                files,
                on_committed=to_index,
                on_progress=on_progress,
                **kwargs,
            )

    def sync_index(self) -> dict[str, int]:
        """Bring the index in line with the archive: add missing or stale, drop extra."""
        archived = self.archive.revisions()
        indexed = self.engine.revisions()
        stale = [i for i, rev in archived.items() if indexed.get(i) != rev]
        extra = [i for i in indexed if i not in archived]
        if extra:
            self.engine.delete(extra)
        for start in range(0, len(stale), 200):
            docs = self.archive.get_many(stale[start : start + 200])
            self.engine.add(index_doc(d) for d in docs.values())
        return {"indexed": len(stale), "removed": len(extra)}

    def reindex(self) -> int:
        """Rebuild the index from the archive."""
        with self.write_lock():
            self.engine.clear()
            batch: list[Document] = []
            count = 0
            for doc in self.archive.iter_documents():
                batch.append(doc)
                if len(batch) >= 500:
                    count += self.engine.add(index_doc(d) for d in batch)
                    batch = []
            if batch:
                count += self.engine.add(index_doc(d) for d in batch)
            return count

    def verify(self) -> dict[str, object]:
        """Compare archive and index (and the original files); nothing is changed."""
        archived = self.archive.revisions()
        indexed = self.engine.revisions()
        missing = sorted(i for i in archived if i not in indexed)
        stale = sorted(i for i, rev in archived.items() if i in indexed and indexed[i] != rev)
        extra = sorted(i for i in indexed if i not in archived)
        rows = self.archive.conn.execute("SELECT id, sha256 FROM documents").fetchall()
        lost = sorted(r["id"] for r in rows if not self.archive.originals.exists(r["sha256"]))
        return {
            "ok": not (missing or stale or extra or lost),
            "documents": len(archived),
            "indexed": len(indexed),
            "missing_from_index": missing,
            "stale_in_index": stale,
            "extra_in_index": extra,
            "missing_originals": lost,
        }

    # -- reading ---------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        filters: Filters | None = None,
        sort: str = "relevance",
        limit: int = 10,
        offset: int = 0,
        facets: bool = False,
    ) -> SearchResult:
        """Search, then take titles and snippets from the archive. Raises QuerySyntaxError."""
        parsed = parse(query)
        result = self.engine.search(
            parsed, filters=filters, sort=sort, limit=limit, offset=offset, facets=facets
        )
        docs = self.archive.get_many([h.id for h in result.hits])
        hits = []
        for engine_hit in result.hits:
            doc = docs.get(engine_hit.id)
            if doc is None:  # index ahead of archive: never show what the archive lacks
                continue
            snip = snippet(doc.text, parsed)
            hits.append(
                Hit(
                    id=doc.id,
                    title=doc.title,
                    doc_number=doc.doc_number,
                    index_number=doc.index_number,
                    agency=doc.agency,
                    date_issued=doc.date_issued,
                    validity=doc.validity,
                    kind=doc.kind,
                    source=doc.source_name,
                    score=engine_hit.score,
                    snippet=snip.text,
                    snippet_html=str(snip.html()),
                    title_html=str(title_spans(doc.title, parsed).html()),
                    highlights=[[s, e] for s, e in snip.spans],
                )
            )
        return SearchResult(result.total, hits, result.facets)

    def status(self, doc: Document, as_of: str | None = None) -> Status:
        """Validity of ``doc`` on ``as_of`` (default today), with the reason."""
        return status_on(doc, as_of)

    def cluster(self, doc: Document) -> Cluster:
        """Interpretations, answered requests, versions and relations of ``doc``."""
        return Cluster(doc.id, versions=[doc])

    def lookup(self, ref: str) -> list[Document]:
        """Documents by id, 文号 (any bracket style), 索引号 or exact title."""
        ref = ref.strip()
        doc = self.archive.get(ref)
        if doc:
            return [doc]
        if looks_like_doc_number(ref):
            found = self.archive.find_by_doc_number(normalize_doc_number(ref))
            if found:
                return found
        if looks_like_index_number(ref):
            found = self.archive.find_by_index_number(normalize_index_number(ref))
            if found:
                return found
        return self.archive.find_by_title(ref)
