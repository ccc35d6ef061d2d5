"""Shared fixtures: the fixture corpus imported once per session into a real data directory,
and helpers that drive the real ``gongkai`` CLI through click's CliRunner."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import main
from indexer.service import Gongkai

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = FIXTURES / "corpus"


@dataclass
class Corpus:
    """A data directory holding the imported fixture corpus; ``ids`` maps file name → id."""

    data: Path
    ids: dict[str, str]

    def source(self, doc_id: str) -> str:
        return {v: k for k, v in self.ids.items()}[doc_id]


def import_corpus(data: Path, source: Path = CORPUS) -> dict[str, str]:
    """Import ``source`` into ``data`` with the library; returns file name → id."""
    with Gongkai(data) as gk:
        report = gk.import_paths([source])
    failed = [o for o in report.outcomes if o.status != "imported"]
    assert not failed, failed
    return {Path(o.path).name: o.id for o in report.outcomes}


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """The fixture corpus, imported once; tests using it must only read."""
    data = tmp_path_factory.mktemp("corpus-data")
    return Corpus(data, import_corpus(data))


@pytest.fixture
def fresh_corpus(tmp_path: Path) -> Corpus:
    """A private copy of the imported corpus, for tests that change the data directory."""
    data = tmp_path / "data"
    return Corpus(data, import_corpus(data))


def run_cli(data: Path, *args: str) -> Result:
    """Run ``gongkai --data <data> <args>`` in-process; stdout and stderr kept apart."""
    return CliRunner().invoke(main, ["--data", str(data), *args], catch_exceptions=False)


@pytest.fixture
def cli() -> Callable[..., Result]:
    return run_cli


def search_json(data: Path, *args: str) -> dict:
    """``gongkai search --json`` parsed; fails the test on a non-zero exit code."""
    result = run_cli(data, "search", "--json", *args)
    assert result.exit_code == 0, (result.exit_code, result.stderr)
    return json.loads(result.stdout)


def gongkai_executable() -> Path:
    """The installed console script of the venv that runs the tests."""
    candidate = Path(sys.executable).parent / "gongkai"
    if candidate.exists():
        return candidate
    found = shutil.which("gongkai")
    if not found:
        pytest.fail("the gongkai console script is not installed (pip install -e .)")
    return Path(found)
