"""Shared fixtures: the fixture corpus imported once per session into a real data directory,
and a private copy for tests that write. The plain helpers they use are in helpers.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import postgres
import pytest
from helpers import CORPUS, Corpus, import_docs

from archive.backend import NEW_ENV, redacted


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line at the end of the run when the PostgreSQL half of the tests was skipped."""
    skipped = [
        r
        for r in terminalreporter.stats.get("skipped", [])
        if "PostgreSQL tests skipped" in str(r.longrepr)
    ]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} PostgreSQL tests SKIPPED: no server at {redacted(postgres.URL)} "
            f"({postgres.problem()}) "
            "(set GONGKAI_TEST_POSTGRES; GONGKAI_REQUIRE_POSTGRES=1 makes this a failure)",
            yellow=True,
            bold=True,
        )


@pytest.fixture(scope="session")
def postgres_schemas() -> Iterator[None]:
    """Drops, at the end of the run, the schemas its PostgreSQL archives were created in."""
    yield
    if postgres.problem() is None:
        postgres.drop(postgres.schemas())


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_backend(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Runs a test twice: with SQLite archives, and with PostgreSQL archives (every archive
    the test creates, in-process or in a child process, gets a fresh schema). Use it in a
    module with ``pytestmark = pytest.mark.usefixtures("archive_backend")``."""
    if request.param == "postgresql":
        request.getfixturevalue("postgres_schemas")
        postgres.use(monkeypatch)
    else:
        monkeypatch.delenv(NEW_ENV, raising=False)
    yield request.param


@pytest.fixture(scope="session")
def _corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Corpus]:
    return {}


@pytest.fixture
def corpus(
    request: pytest.FixtureRequest,
    _corpora: dict[str, Corpus],
    tmp_path_factory: pytest.TempPathFactory,
) -> Corpus:
    """The fixture corpus, imported once per archive backend; tests using it must only read."""
    backend = "sqlite"
    if "archive_backend" in request.fixturenames:
        backend = request.getfixturevalue("archive_backend")
    if backend not in _corpora:
        data = tmp_path_factory.mktemp(f"corpus-data-{backend}")
        _corpora[backend] = Corpus(data, import_docs(data, CORPUS))
    return _corpora[backend]


@pytest.fixture
def fresh_corpus(tmp_path: Path) -> Corpus:
    """A private copy of the imported corpus, for tests that change the data directory."""
    data = tmp_path / "data"
    return Corpus(data, import_docs(data, CORPUS))
