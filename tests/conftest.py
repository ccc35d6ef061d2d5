"""Shared fixtures: the fixture corpus imported once per session into a real data directory,
and a private copy for tests that write. The plain helpers they use are in helpers.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import CORPUS, Corpus, import_docs

#: Set (to the reason) when the session's Typesense server could not start.
TYPESENSE_MISSING = "GONGKAI_TEST_TYPESENSE_MISSING"


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """The fixture corpus, imported once; tests using it must only read."""
    data = tmp_path_factory.mktemp("corpus-data")
    return Corpus(data, import_docs(data, CORPUS))


@pytest.fixture
def fresh_corpus(tmp_path: Path) -> Corpus:
    """A private copy of the imported corpus, for tests that change the data directory."""
    data = tmp_path / "data"
    return Corpus(data, import_docs(data, CORPUS))


# -- a Typesense server, for the tests that run on every engine ----------------------------


def _needs_typesense(item: pytest.Item) -> bool:
    """Parametrized on the typesense engine, or in a module that loops over every engine."""
    module = getattr(item, "module", None)
    return "typesense" in item.nodeid or "typesense" in getattr(module, "ENGINES", ())


_SERVER = pytest.StashKey["object"]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """One Typesense server for the session, started once the tests are collected and only
    when one runs on the typesense engine; the library finds it through
    GONGKAI_TYPESENSE_NODES and GONGKAI_TYPESENSE_API_KEY. Each data directory gets a
    collection of its own. When it cannot start, the typesense runs are skipped before any of
    their fixtures is set up (failed under GONGKAI_REQUIRE_TYPESENSE=1). It is stopped in
    :func:`pytest_sessionfinish`, whatever the tests did."""
    if session.config.option.collectonly or not any(map(_needs_typesense, session.items)):
        return
    from typesense_servers import API_KEY, Node

    tmp = session.config._tmp_path_factory  # type: ignore[attr-defined]
    node: Node | None = None
    problem = ""
    try:
        node = Node(tmp.mktemp("typesense"))
        session.config.stash[_SERVER] = node
        node.start()
        if not node.wait_healthy(60):
            problem = "the server did not become healthy"
    except (ImportError, OSError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    if problem:
        if os.environ.get("GONGKAI_REQUIRE_TYPESENSE") == "1":
            raise pytest.UsageError(
                f"Typesense cannot start ({problem}) and GONGKAI_REQUIRE_TYPESENSE=1"
            )
        os.environ[TYPESENSE_MISSING] = problem
        return
    assert node is not None
    os.environ["GONGKAI_TYPESENSE_NODES"] = node.address
    os.environ["GONGKAI_TYPESENSE_API_KEY"] = API_KEY


def pytest_sessionfinish(session: pytest.Session) -> None:
    node = session.config.stash.get(_SERVER, None)
    if node is not None:
        node.stop()  # type: ignore[attr-defined]


def pytest_runtest_setup(item: pytest.Item) -> None:
    problem = os.environ.get(TYPESENSE_MISSING)
    if problem and _needs_typesense(item):
        pytest.skip(f"no Typesense server ({problem}); set GONGKAI_REQUIRE_TYPESENSE=1 to fail")


#: Tests that do not pass on Typesense yet (issue 18, left undone): an order decided by
#: small differences of BM25 (the Typesense engine's scoring is close to tantivy's, not equal).
TYPESENSE_GAPS = ("test_matching.py::test_exact_title_first",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "[typesense" in item.nodeid and any(gap in item.nodeid for gap in TYPESENSE_GAPS):
            item.add_marker(pytest.mark.xfail(reason="not yet on Typesense (issue 18)"))
