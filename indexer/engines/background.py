"""Index writing in a process of its own, so that a large import indexes one batch while it
commits the next.

The importing process is the archive's only writer and does the work that must stay in order
(the duplicate check, the SQLite commit, linking); the engine's writing (building postings,
merging segments) depends on none of it once a batch is committed. :class:`BackgroundWriter`
hands committed batches to a child process that opens the same engine and adds them, with at
most :data:`IN_FLIGHT` batches queued so memory stays bounded. If the child fails or dies,
nothing is lost: the archive holds every document, and the caller brings the index in line
from it (``Gongkai.sync_index``), as after any interrupted import.

The child comes from a fork server, not from forking the importer, so it never holds the
importer's files (among them the flock on ``write.lock``); it exits when its pipe closes, which
happens when the importer ends or is killed.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
from multiprocessing.connection import Connection
from pathlib import Path

from indexer.engines.base import IndexDoc

log = logging.getLogger(__name__)

#: Batches sent but not yet written; the importer waits when this many are queued.
IN_FLIGHT = 2


class BackgroundWriter:
    """Adds batches of :class:`IndexDoc` to the engine ``engine_name`` of ``data_dir`` in a
    child process. Use :meth:`add` per batch, then :meth:`close`, which waits for the last
    batch and says whether every batch was written."""

    def __init__(self, data_dir: Path, engine_name: str, folder: str | None = None) -> None:
        context = multiprocessing.get_context("forkserver")
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(
            target=_serve,
            args=(child_conn, str(data_dir), engine_name, folder),
            name="gongkai-index-writer",
            daemon=True,
        )
        self._process.start()
        child_conn.close()
        self._outstanding = 0
        self.written = 0
        #: Why the writer stopped early ("" while it works); the caller then syncs the index.
        self.failure = ""

    def add(self, docs: list[IndexDoc]) -> None:
        """Queue ``docs`` for writing (after a failure, they are left for the caller's sync)."""
        if self.failure:
            return
        while self._outstanding >= IN_FLIGHT and not self.failure:
            self._receive()
        if self.failure:
            return
        try:
            self._conn.send(docs)
        except (OSError, ValueError) as exc:
            self._fail(f"the index writer is gone ({exc})")
            return
        self._outstanding += 1

    def close(self) -> bool:
        """Wait for everything queued, stop the child; True if every batch was written."""
        while self._outstanding and not self.failure:
            self._receive()
        with contextlib.suppress(OSError, ValueError):  # already gone
            self._conn.send(None)
        self._conn.close()
        self._process.join(timeout=60)
        if self._process.is_alive():  # pragma: no cover - a writer stuck in native code
            self._process.kill()
            self._process.join()
        return not self.failure

    def _receive(self) -> None:
        try:
            kind, value = self._conn.recv()
        except (EOFError, OSError) as exc:
            self._fail(f"the index writer ended unexpectedly ({type(exc).__name__})")
            return
        self._outstanding -= 1
        if kind == "ok":
            self.written += int(value)
        else:
            self._fail(str(value))

    def _fail(self, reason: str) -> None:
        log.error("background indexing stopped: %s", reason)
        self.failure = reason
        self._outstanding = 0


def _serve(conn: Connection, data_dir: str, engine_name: str, folder: str | None) -> None:
    """In the child: add each batch received, answer ("ok", count) or ("error", reason)."""
    from indexer.engines import open_engine

    # Ctrl-C in a terminal reaches the whole process group: the importer stops and closes
    # this pipe, and this process ends after the batch in hand, not in the middle of it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    engine = open_engine(Path(data_dir), engine_name, folder)
    try:
        while True:
            try:
                docs = conn.recv()
            except (EOFError, OSError):  # the importer is gone
                return
            if docs is None:
                return
            try:
                conn.send(("ok", engine.add(docs)))
            except Exception as exc:  # reported to the importer, which syncs from the archive
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
                return
    finally:
        engine.close()
