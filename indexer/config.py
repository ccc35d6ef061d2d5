"""A data directory's configuration (``gongkai.json``) and its creation.

Layout of a data directory::

    gongkai.json         configuration (engine, analyzer: the analyzer version of the index,
                         index_dir: the folder under index/ that holds the live index,
                         group: the group the web server reads through, if shared)
    archive.sqlite3      the archive (source of truth)
    originals/           original files by sha256
    index/<index_dir>/   the search index (derived; rebuildable); index/<engine>/ when
                         gongkai.json names none (every index before a reindex moved it)
    write.lock           held by whoever writes (import, reindex, status changes)

A reindex builds the new index in ``index/<engine>.new-<pid>/`` beside the live one, renames
it and then switches ``index_dir`` with one atomic replace of ``gongkai.json``: readers follow
the switch (:class:`indexer.indexing.Indexer` notices the file changed), and a reindex killed
before the switch leaves the live index untouched.

``gongkai init --group NAME`` shares the directory with the web server's account through
group NAME (:mod:`archive.sharing`): the tree is handed to the group, folders are setgid, and
every writer that opens the directory (:func:`apply_sharing`) creates group-readable files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from archive import Archive, backend
from archive.errors import ConflictError, InvalidInput
from archive.sharing import apply_shared_umask, group_id, share_tree
from indexer.engines import DEFAULT_ENGINE, check_engine

CONFIG_NAME = "gongkai.json"

#: What an index built by this version's analyzer (:mod:`indexer.analysis`,
#: :mod:`indexer.normalize`) holds; an index built by another needs a reindex (``gongkai
#: verify`` says so). Bump it whenever the same text would be indexed differently.
#: 1: the first; 2: traditional characters fold to simplified; 3: the document type
#: (``doc_type``) field and facet (the reindex also types documents archived before it).
ANALYZER_VERSION = "3"
#: The version of an index whose data directory recorded none (built before the marker).
UNRECORDED_ANALYZER = "1"


class EngineChangeError(ConflictError):
    """The engine of a data directory that holds documents changes only by a reindex."""


def read_config(data_dir: Path) -> dict[str, object]:
    """The configuration of ``data_dir``; the defaults when it has none yet."""
    path = Path(data_dir) / CONFIG_NAME
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return {"engine": DEFAULT_ENGINE, "analyzer": ANALYZER_VERSION}


def analyzer_version(config: dict[str, object]) -> str:
    """The analyzer version the data directory's index was built with (see
    :data:`ANALYZER_VERSION`)."""
    return str(config.get("analyzer", UNRECORDED_ANALYZER))


def engine_name(config: dict[str, object]) -> str:
    return str(config.get("engine", DEFAULT_ENGINE))


def index_dir(config: dict[str, object]) -> str:
    """The folder under ``index/`` holding the live index (see the module docstring)."""
    return str(config.get("index_dir") or engine_name(config))


def live_index_path(data_dir: Path) -> Path:
    """Where the live index of ``data_dir`` is."""
    return Path(data_dir) / "index" / index_dir(read_config(data_dir))


def write_config(data_dir: Path, config: dict[str, object]) -> None:
    """Replace the data directory's configuration atomically."""
    tmp = Path(data_dir) / (CONFIG_NAME + ".tmp")
    tmp.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, Path(data_dir) / CONFIG_NAME)


def ensure_config(data_dir: Path) -> dict[str, object]:
    """The configuration of ``data_dir``, written with the defaults if it has none."""
    config = read_config(data_dir)
    if not (Path(data_dir) / CONFIG_NAME).exists():
        (Path(data_dir) / CONFIG_NAME).write_text(json.dumps(config), encoding="utf-8")
    return config


def shared_group(config: dict[str, object]) -> str | None:
    """The group the data directory is shared with (``gongkai init --group``), if any."""
    group = config.get("group")
    return str(group) if group else None


def apply_sharing(config: dict[str, object]) -> None:
    """Before writing into a shared data directory: from now on this process creates files
    its group may read (umask 027). A private directory keeps the process's umask."""
    if shared_group(config):
        apply_shared_umask()


def init_data_dir(
    data_dir: Path | str,
    engine: str = DEFAULT_ENGINE,
    *,
    group: str | None = None,
    nodes: str | None = None,
    api_key_file: str | None = None,
    archive_url: str | None = None,
    phrases: str | None = None,
) -> dict[str, object]:
    """Create (or confirm) a data directory using ``engine``; returns its configuration.

    A directory whose archive already holds documents keeps its engine: converting is
    ``Gongkai.reindex(engine=...)``, which builds the new index before switching. With
    ``group``, the directory is shared with that group (see the module docstring); one
    shared before stays shared when ``group`` is not given. ``nodes`` (``host:port,…``) and
    ``api_key_file`` say where a server engine's cluster is and where its key is read from
    (:mod:`indexer.engines.typesense_cluster`; the key itself is never written here), and
    ``phrases`` ("exact" or "pairs") how its collection checks quoted phrases. With
    ``archive_url`` (a ``postgresql://`` URL), the archive lives in that database
    (:func:`use_postgresql`).
    """
    check_engine(engine)
    cluster: dict[str, object] | None = None
    if nodes:
        from indexer.engines.typesense_cluster import config_section

        cluster = config_section(nodes, api_key_file, phrases)
    elif phrases is not None:  # the nodes and key from the environment
        from indexer.engines.typesense_cluster import checked_phrases

        if engine != "typesense":
            raise InvalidInput("phrases (exact or pairs) is a setting of the typesense engine")
        cluster = {"phrases": checked_phrases(phrases)}
    gid = group_id(group) if group else None  # an unknown group is refused before anything
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    if archive_url is not None:
        use_postgresql(data_dir, archive_url)
    config = read_config(data_dir)
    if engine_name(config) != engine and Archive.present(data_dir):
        with Archive.open(data_dir, readonly=True) as archive:
            documents = archive.count()
        if documents:
            raise EngineChangeError(
                f"{data_dir} holds {documents} documents indexed with {config.get('engine')}; "
                f"convert it with `gongkai reindex --engine {engine}`"
            )
    if engine_name(config) != engine:
        config.pop("index_dir", None)  # the other engine's index is not this one's
    config = {**config, "engine": engine}
    if cluster is not None:
        config["typesense"] = cluster
    if group:
        config["group"] = group
    apply_sharing(config)
    write_config(data_dir, config)
    if gid is not None:
        share_tree(data_dir, gid)
        # A tantivy reader opens this empty lock file for writing (indexer.engines.tantivy).
        lock = live_index_path(data_dir) / ".tantivy-meta.lock"
        if lock.exists():
            os.chmod(lock, 0o660)
    return config


def use_postgresql(data_dir: Path, url: str) -> str:
    """Make ``data_dir``'s archive the PostgreSQL database ``url`` (its password is never
    stored: see :mod:`archive.backend`), creating the schema there; returns the URL as
    stored. A data directory whose archive is SQLite is moved with `gongkai migrate`."""
    if (data_dir / Archive.DB_NAME).exists():
        raise ConflictError(
            f"{data_dir} has an SQLite archive; copy it with `gongkai migrate --to URL`"
        )
    previous = backend.stored_url(data_dir)
    stored = backend.store_url(data_dir, url)
    try:
        Archive.open(data_dir).close()  # connects and creates the schema
    except BaseException:
        if previous is None:
            (data_dir / backend.URL_FILE).unlink(missing_ok=True)
        else:
            backend.store_url(data_dir, previous)
        raise
    return stored
