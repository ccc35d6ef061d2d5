"""``gongkai`` starts fast: importing the CLI loads click and the small ``archive`` vocabulary
modules, never an engine, the segmenter, the web app or an extractor. Each check runs in a
fresh interpreter, since this test process has imported everything already."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "whoosh",
    "tantivy",
    "flask",
    "rjieba",
    "indexer.service",
    "indexer.pipeline",
    "archive.store",
    "tqdm",
    "waitress",
    "pdfminer",
    "docx",
    "selectolax",
)


def loaded_after(code: str) -> set[str]:
    """Top-level names of the heavy modules in ``sys.modules`` after running ``code``."""
    probe = (
        f"import sys\n{code}\n"
        f"import json; print(json.dumps(sorted(m for m in {list(HEAVY)!r} if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_import_cli_loads_no_heavy_module() -> None:
    assert loaded_after("import cli") == set()


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["search", "--help"]])
def test_cli_without_work_loads_no_heavy_module(args: list[str]) -> None:
    code = f"import cli\ntry:\n    cli.main({args!r})\nexcept SystemExit:\n    pass"
    assert loaded_after(code) == set()


def test_the_probe_sees_a_heavy_import() -> None:
    assert loaded_after("import indexer.searching") >= {"rjieba", "archive.store"}


def test_version_is_the_installed_one_without_importlib_metadata() -> None:
    from importlib.metadata import version

    from helpers import gongkai_executable

    done = subprocess.run(
        [str(gongkai_executable()), "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout == f"gongkai, version {version('gongkai')}\n"
    code = "import cli\ntry:\n    cli.main(['--version'])\nexcept SystemExit:\n    pass"
    probe = f"{code}\nimport sys; print('importlib.metadata' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "False"


def test_opening_a_data_directory_loads_no_segmenter_and_no_engine() -> None:
    """``show``, ``check``, ``status`` and ``history`` open a data directory and never
    segment text: Gongkai must not load rjieba, an engine or the import pipeline for them."""
    loaded = loaded_after("import indexer.service")
    assert "indexer.service" in loaded
    assert not loaded & {"rjieba", "whoosh", "tantivy", "indexer.pipeline"}
