"""Shared fixtures: the fixture corpus imported once per session into a real data directory,
and a private copy for tests that write. The plain helpers they use are in helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import CORPUS, Corpus, import_docs


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
