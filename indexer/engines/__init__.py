"""The engines Gongkai can search with, by name, and the one factory that opens them.

Only this module knows which classes implement :class:`~indexer.engines.base.Engine`; the
data directory's configuration, the CLI's ``--engine`` choices, the background index writer and
``reindex --engine`` all ask here. Engine modules are imported only when one is opened, so that
naming or listing engines costs nothing at start-up.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.errors import InvalidInput

if TYPE_CHECKING:
    from indexer.engines.base import Engine

#: Engine names, in the order the CLI lists them; the first is the default.
ENGINES = ("whoosh", "tantivy", "typesense")
#: Engines whose index lives on servers, not in the index folder (which only names it).
SERVER_ENGINES = ("typesense",)
DEFAULT_ENGINE = ENGINES[0]


def check_engine(name: str) -> str:
    """``name`` if it is a known engine; :class:`InvalidInput` naming the known ones if not."""
    if name not in ENGINES:
        raise InvalidInput(f"unknown engine {name!r} (known: {', '.join(ENGINES)})")
    return name


def index_path(data_dir: Path, name: str, folder: str | None = None) -> Path:
    """Where engine ``name`` keeps the index of ``data_dir``: ``index/<folder>``, by default
    ``index/<name>`` (the data directory's configuration names the live folder: see
    :func:`indexer.config.live_index_path`)."""
    check_engine(name)
    folder = folder or name
    if "/" in folder or folder in (".", ".."):
        raise InvalidInput(f"bad index folder name {folder!r}")
    return Path(data_dir) / "index" / folder


def open_engine(data_dir: Path, name: str, folder: str | None = None) -> Engine:
    """Open (creating if needed) the index of engine ``name`` in ``data_dir`` (in
    ``index/<folder>``, by default ``index/<name>``)."""
    path = index_path(data_dir, name, folder)
    if name == "whoosh":
        from indexer.engines.whoosh import WhooshEngine

        return WhooshEngine(path)
    if name == "typesense":
        from indexer.engines.typesense import TypesenseEngine
        from indexer.engines.typesense_cluster import read_settings

        return TypesenseEngine(path, read_settings(Path(data_dir)))
    from indexer.engines.tantivy import TantivyEngine

    return TantivyEngine(path)


#: What an import worker can prepare for an engine besides the segmenting (see
#: :func:`prepare_text`): a Typesense collection's term fields, with or without the runs.
TEXT_SPECS = ("typesense-exact", "typesense-pairs")


def text_spec(engine: Engine) -> str:
    """What import workers should prepare for ``engine`` (:data:`TEXT_SPECS`), "" when
    nothing: Whoosh and tantivy take the segmented terms as they are, while a Typesense
    document's hashing costs ten times the segmenting and is better spread over the
    workers than left to the one process that writes the index."""
    if engine.name != "typesense":
        return ""
    from indexer.engines.typesense import TypesenseEngine

    if not isinstance(engine, TypesenseEngine):
        return ""
    return TEXT_SPECS[0] if engine.runs_expected else TEXT_SPECS[1]


def prepare_text(
    spec: str, title: Mapping[str, list[int]], body: Mapping[str, list[int]]
) -> dict[str, Any] | None:
    """In an import worker: the engine's fields made of a document's segmented title and
    body, for ``spec`` (:func:`text_spec`); None for no spec. The engine uses them only if
    they suit its index (a collection made without runs ignores fields made with them)."""
    if spec not in TEXT_SPECS:
        return None
    from indexer.engines.typesense_documents import text_fields

    return text_fields(title, body, runs=spec == TEXT_SPECS[0])


def remove_index(data_dir: Path, folder: str) -> None:
    """Remove the index in ``index/<folder>``: its files, and for a server engine its
    collection on the servers first (a server that does not answer leaves it there)."""
    path = Path(data_dir) / "index" / folder
    name = folder.split(".", 1)[0]
    if name in SERVER_ENGINES and path.is_dir():
        from archive.errors import GongkaiError

        try:
            engine = open_engine(data_dir, name, folder)
            engine.drop()  # type: ignore[attr-defined]
        except GongkaiError:
            pass  # left on the cluster: harmless, and `gongkai cluster status` shows it
    shutil.rmtree(path, ignore_errors=True)
