"""Which Typesense nodes the searches go to: those that answer and hold the collection with
(nearly) every document.

A node that comes back after a crash answers reads at once, while it is still loading its
copy (measured at 20,000 documents: 11,397 at first, all of them about 80 s later), and a
node that has not yet learnt of a new collection answers "not found". Sent there, a search
would count too few documents or fail. So each engine keeps a watcher: every
:data:`CHECK_INTERVAL` seconds a background thread asks each node for its document count
(:func:`indexer.engines.typesense_cluster.cluster_status`) and searches go to the nodes
within :data:`READ_LAG` documents of the fullest copy (a follower during an import is a
batch or two behind). The chosen nodes are each tried once; should they all fail, the search
is tried again on every node, with the usual retries (:meth:`ReadNodes.widen`), rather than
waiting for the next check: a lagging copy's answer is better than none.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from typing import Any

from indexer.engines.typesense_cluster import ClusterStatus, Node, Settings, cluster_status

logger = logging.getLogger(__name__)

#: Documents a node may hold fewer than the fullest copy and still be searched.
READ_LAG = 200
#: Seconds between two looks at the nodes.
CHECK_INTERVAL = 5.0


def readable(status: ClusterStatus, lag: int = READ_LAG) -> list[str]:
    """The nodes (``host:port``) that answer and hold the collection within ``lag``
    documents of the fullest copy."""
    return [
        n.node
        for n in status.nodes
        if n.up and n.documents is not None and not n.error and (n.lag or 0) <= lag
    ]


_shared: dict[tuple[object, ...], ReadNodes] = {}
_shared_lock = threading.Lock()


def shared(
    settings: Settings, collection: str, make_client: Callable[[dict[str, Any]], Any]
) -> ReadNodes:
    """The process's watcher of ``collection`` on these nodes: a web server opens an engine
    in each of its threads, and one look every few seconds serves them all. Each caller
    releases it (:meth:`ReadNodes.release`) when done; the last one stops its thread."""
    key = (settings.nodes, settings.api_key, collection)
    with _shared_lock:
        found = _shared.get(key)
        if found is None:
            found = _shared[key] = ReadNodes(settings, collection, make_client)
        found.users += 1
        return found


class ReadNodes:
    """The client searches use: over the readable nodes, or all of them until known."""

    users = 0  # engines holding it (see :func:`shared`)

    def __init__(
        self, settings: Settings, collection: str, make_client: Callable[[dict[str, Any]], Any]
    ) -> None:
        self._settings = settings
        self._collection = collection
        self._make = make_client
        self.everyone: Any = make_client(settings.client_config())  # every node, as configured
        self._current: tuple[tuple[Node, ...], Any] = (settings.nodes, self.everyone)
        self._checked = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def nodes(self) -> tuple[Node, ...]:
        """The nodes searches go to now."""
        return self._current[0]

    def client(self) -> tuple[Any, bool]:
        """(the client for the readable nodes, whether some node is left out)."""
        if len(self._settings.nodes) > 1:
            self._watch()
        nodes, client = self._current
        return client, len(nodes) < len(self._settings.nodes)

    def check(self) -> ClusterStatus:
        """Ask every node now and choose the readable ones (all of them when none is: a new
        collection, or no node answers, is then reported by the search itself)."""
        status = cluster_status(self._settings, self._collection)
        names = set(readable(status))
        chosen = tuple(n for n in self._settings.nodes if str(n) in names) or self._settings.nodes
        if chosen != self._current[0]:
            if chosen == self._settings.nodes:
                client = self.everyone
            else:
                config = dataclasses.replace(self._settings, nodes=chosen).client_config()
                client = self._make(
                    {**config, "num_retries": len(chosen), "retry_interval_seconds": 0.1}
                )
                logger.warning(
                    "Typesense: searching %s only (%s)",
                    ",".join(map(str, chosen)),
                    "; ".join(status.problems()) or "the others lag behind",
                )
            self._current = (chosen, client)
        return status

    def widen(self) -> Any:
        """Every node again, until the next check (the chosen ones all failed)."""
        self._current = (self._settings.nodes, self.everyone)
        return self.everyone

    def close(self) -> None:
        self._stop.set()

    def release(self) -> None:
        """One engine is done with it; the last one stops the thread."""
        with _shared_lock:
            self.users -= 1
            if self.users > 0:
                return
            for key, found in list(_shared.items()):
                if found is self:
                    del _shared[key]
        self.close()

    def _watch(self) -> None:
        """The first search looks at the nodes itself; a thread keeps looking (started again
        in a process forked after it, where the thread does not exist)."""
        if self._stop.is_set() or (self._thread is not None and self._thread.is_alive()):
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            if not self._checked:
                self._checked = True
                self._check_quietly()
            self._thread = threading.Thread(target=self._run, name="typesense-nodes", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(CHECK_INTERVAL):
            self._check_quietly()

    def _check_quietly(self) -> None:
        try:
            self.check()
        except Exception:  # a look that fails changes nothing; the next one tries again
            logger.debug("Typesense: looking at the nodes failed", exc_info=True)
