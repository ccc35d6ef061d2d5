"""Where the Typesense engine's servers are, how it reaches them, and what each one says.

A Typesense cluster is a few servers that each hold every document (Raft: one leader takes
the writes, any node answers reads). A data directory names its nodes in ``gongkai.json``
(``"typesense": {"nodes": [...], "api_key_file": ...}``), never the API key itself: the key
is read from the environment (``GONGKAI_TYPESENSE_API_KEY``) or from the file the
configuration names, so it is never on a command line, in ``gongkai.json`` or in a log.
When the configuration names no nodes, ``GONGKAI_TYPESENSE_NODES`` (comma-separated) does.

Every request has a short timeout and is retried on the next node (the client's own
round-robin), so a dead node costs one timeout, and a cluster without quorum is an error
within seconds, never a hang: :class:`ClusterUnavailable` (exit code 5, HTTP 503).

:func:`cluster_status` asks each node on its own (``/health``, ``/debug``: its Raft state,
and its document count), for ``gongkai cluster status``, ``stats`` and ``verify``.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from archive.errors import BusyError, InvalidInput

CONFIG_KEY = "typesense"
KEY_ENV = "GONGKAI_TYPESENSE_API_KEY"
#: How a new collection checks quoted phrases: "exact" (the pairs and the runs of three of
#: consecutive terms) or "pairs" (pairs alone: a smaller, faster index, where a phrase of
#: three words or more may match its pairs found apart; see indexer.engines.typesense_query).
PHRASES = ("exact", "pairs")
NODES_ENV = "GONGKAI_TYPESENSE_NODES"
#: Seconds to wait for one node before trying the next.
CONNECT_TIMEOUT = 3.0
#: Retries of one request over the nodes, and the pause between rounds (seconds): together
#: long enough to outlast a leader election (about 7 s measured on loopback).
RETRIES = 6
RETRY_INTERVAL = 1.0
#: Raft states that Typesense's ``/debug`` reports.
_STATES = {1: "leader", 4: "follower", 2: "candidate", 3: "transferring", 0: "error"}


class ClusterUnavailable(BusyError):
    """No Typesense node answered (or the cluster has no leader for a write)."""


@dataclass(frozen=True)
class Node:
    host: str
    port: int
    protocol: str = "http"

    @property
    def url(self) -> str:
        return f"{self.protocol}://{self.host}:{self.port}"

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def parse_nodes(spec: str | list[str]) -> list[Node]:
    """``"127.0.0.1:8108,https://search2:443"`` (or a list of such) as nodes."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    nodes = []
    for raw in (s.strip() for s in items):
        if not raw:
            continue
        protocol, _, rest = raw.rpartition("://")
        host, sep, port = rest.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise InvalidInput(f"bad Typesense node {raw!r} (expected host:port)")
        nodes.append(Node(host, int(port), protocol or "http"))
    if not nodes:
        raise InvalidInput("no Typesense nodes given (--nodes host:port,host:port,…)")
    return nodes


@dataclass(frozen=True)
class Settings:
    """How to reach the cluster. ``api_key`` is held in memory only (``repr`` hides it)."""

    nodes: tuple[Node, ...]
    api_key: str = field(repr=False)
    runs: bool = True  # a new collection gets the runs of three (``phrases`` "exact")

    def client_config(self) -> dict[str, Any]:
        return {
            "nodes": [{"host": n.host, "port": n.port, "protocol": n.protocol} for n in self.nodes],
            "api_key": self.api_key,
            "connection_timeout_seconds": CONNECT_TIMEOUT,
            "num_retries": RETRIES,
            "retry_interval_seconds": RETRY_INTERVAL,
            "healthcheck_interval_seconds": 5,
        }


def checked_phrases(value: object, where: str = "phrases") -> str:
    """``value`` if it is one of :data:`PHRASES`; InvalidInput naming ``where`` if not."""
    if value not in PHRASES:
        raise InvalidInput(f"{where} must be one of {', '.join(PHRASES)}, not {value!r}")
    return str(value)


def config_section(
    nodes: str, api_key_file: str | None, phrases: str | None = None
) -> dict[str, object]:
    """What ``gongkai.json`` keeps of the engine's settings (never the key itself)."""
    section: dict[str, object] = {"nodes": [str(n) for n in parse_nodes(nodes)]}
    if phrases is not None:
        section["phrases"] = checked_phrases(phrases)
    if api_key_file:
        path = Path(api_key_file).expanduser().resolve()
        read_key_file(path)  # refuse a missing or empty file now, not at the first search
        section["api_key_file"] = str(path)
    elif not os.environ.get(KEY_ENV):
        raise InvalidInput(
            f"give the Typesense API key in a file (--api-key-file) or in ${KEY_ENV}"
        )
    return section


def read_key_file(path: Path) -> str:
    try:
        key = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise InvalidInput(
            f"cannot read the Typesense API key file {path}: {exc.strerror}"
        ) from None
    if not key:
        raise InvalidInput(f"the Typesense API key file {path} is empty")
    return key


def read_settings(data_dir: Path) -> Settings:
    """The cluster settings of ``data_dir`` (its ``gongkai.json``; the environment)."""
    try:
        config = json.loads((Path(data_dir) / "gongkai.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    section = config.get(CONFIG_KEY) or {}
    spec = section.get("nodes") or os.environ.get(NODES_ENV, "")
    if not spec:
        raise InvalidInput(
            f"{data_dir} names no Typesense nodes: run `gongkai init --engine typesense "
            f"--nodes host:port,…` (or set ${NODES_ENV})"
        )
    key = os.environ.get(KEY_ENV, "")
    if not key and section.get("api_key_file"):
        key = read_key_file(Path(section["api_key_file"]))
    if not key:
        raise InvalidInput(f"no Typesense API key: set ${KEY_ENV} or `init --api-key-file`")
    phrases = checked_phrases(
        section.get("phrases") or "exact", f"{data_dir}/gongkai.json: typesense phrases"
    )
    return Settings(tuple(parse_nodes(spec)), key, runs=phrases == "exact")


# -- each node on its own -----------------------------------------------------------------


@dataclass
class NodeStatus:
    node: str
    up: bool
    role: str = ""  # leader, follower, candidate … ("" when down)
    documents: int | None = None  # in this engine's collection, as this node holds it
    lag: int | None = None  # documents behind the node holding the most
    error: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _get(node: Node, path: str, key: str, timeout: float) -> Any:
    request = urllib.request.Request(node.url + path, headers={"X-TYPESENSE-API-KEY": key})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


def node_status(node: Node, key: str, collection: str | None, timeout: float = 2.0) -> NodeStatus:
    """What ``node`` says of itself: up or not, its Raft role, its copy's document count."""
    try:
        debug = _get(node, "/debug", key, timeout)
        status = NodeStatus(str(node), True, _STATES.get(int(debug.get("state", 0)), "?"))
        if collection:
            try:
                info = _get(node, f"/collections/{collection}", key, timeout)
                status.documents = int(info.get("num_documents", 0))
            except urllib.error.HTTPError as exc:
                status.error = "no such collection" if exc.code == 404 else f"HTTP {exc.code}"
        return status
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return NodeStatus(str(node), False, error=str(reason)[:200])


@dataclass
class ClusterStatus:
    nodes: list[NodeStatus]
    collection: str | None

    @property
    def leader(self) -> str | None:
        return next((n.node for n in self.nodes if n.role == "leader"), None)

    @property
    def quorum(self) -> bool:
        """Whether a majority of nodes is up and one of them leads (writes possible)."""
        up = sum(n.up for n in self.nodes)
        return self.leader is not None and up * 2 > len(self.nodes)

    def to_dict(self) -> dict[str, object]:
        return {
            "collection": self.collection,
            "leader": self.leader,
            "quorum": self.quorum,
            "nodes_up": sum(n.up for n in self.nodes),
            "nodes": [n.to_dict() for n in self.nodes],
        }

    def problems(self) -> list[str]:
        """One line for each thing an operator must know (a node down, no leader)."""
        lines = [
            f"Typesense node {n.node} does not answer: {n.error}" for n in self.nodes if not n.up
        ]
        if not self.leader:
            lines.append(
                "the Typesense cluster has no leader: "
                "writes are refused until a majority of nodes is up"
            )
        lines += [
            f"Typesense node {n.node} is {n.lag} documents behind"
            for n in self.nodes
            if n.up and n.lag
        ]
        return lines

    def render(self) -> str:
        rows = [f"collection: {self.collection or '-'}", f"leader: {self.leader or 'none'}"]
        for n in self.nodes:
            state = n.role if n.up else "DOWN"
            docs = "-" if n.documents is None else str(n.documents)
            lag = "" if not n.lag else f", {n.lag} behind"
            err = f" ({n.error})" if n.error else ""
            rows.append(f"  {n.node:<22} {state:<10} {docs:>8} documents{lag}{err}")
        return "\n".join(rows)


def cluster_status(settings: Settings, collection: str | None) -> ClusterStatus:
    statuses = [node_status(n, settings.api_key, collection) for n in settings.nodes]
    counts = [s.documents for s in statuses if s.documents is not None]
    top = max(counts, default=None)
    for s in statuses:
        if s.documents is not None and top is not None:
            s.lag = top - s.documents
    return ClusterStatus(statuses, collection)
