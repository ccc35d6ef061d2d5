"""The servers behind a data directory's index, for the operator: ``gongkai cluster status``,
and the lines ``stats`` and ``verify`` add when the engine runs on a cluster (Typesense).

The embedded engines (Whoosh, tantivy) have no servers: for them there is nothing to report,
and ``cluster status`` says so.
"""

from __future__ import annotations

from pathlib import Path

from archive.errors import InvalidInput
from indexer.config import read_config, write_config
from indexer.engines import SERVER_ENGINES
from indexer.engines.typesense_cluster import CONFIG_KEY, ClusterStatus, config_section
from indexer.indexing import Indexer


def set_cluster(
    data_dir: Path, nodes: str, api_key_file: str | None = None, phrases: str | None = None
) -> None:
    """Record where the cluster is (before ``reindex --engine typesense`` converts to it),
    and how its collection checks phrases (the next collection built)."""
    config = read_config(data_dir)
    section = config_section(nodes, api_key_file, phrases)
    before = config.get(CONFIG_KEY)
    if phrases is None and isinstance(before, dict) and before.get("phrases"):
        section["phrases"] = before["phrases"]  # kept unless given again
    write_config(data_dir, {**config, CONFIG_KEY: section})


def cluster_status(indexer: Indexer) -> ClusterStatus:
    """Each node of the data directory's cluster: up, role, document count, lag."""
    if indexer.engine_name not in SERVER_ENGINES:
        raise InvalidInput(f"the engine {indexer.engine_name} runs in this process, on no cluster")
    return indexer.engine.status()  # type: ignore[attr-defined]


def cluster_findings(indexer: Indexer) -> dict[str, object]:
    """What ``stats`` and ``verify`` add for a cluster: the leader, the nodes that do not
    answer and those behind (empty for an embedded engine)."""
    if indexer.engine_name not in SERVER_ENGINES:
        return {}
    status = cluster_status(indexer)
    return {
        "cluster_leader": status.leader or "none",
        "cluster_nodes_down": [f"{n.node}: {n.error}" for n in status.nodes if not n.up],
        "cluster_nodes_behind": [
            f"{n.node}: {n.lag} documents" for n in status.nodes if n.up and n.lag
        ],
    }
