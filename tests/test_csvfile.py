"""CSV output that a spreadsheet cannot run: the one writer (``archive.csvfile``), and a document
whose title starts with ``=`` checked through ``gongkai check --csv`` and the web's download."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from helpers import import_docs, run_cli, write_doc

from archive.csvfile import safe_cell, write_csv

FORMULA_TITLE = '=HYPERLINK("http://example.invalid","青测市窨井盖管理办法")'


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_that_starts_like_a_formula_is_escaped(start: str) -> None:
    assert safe_cell(start + "SUM(A1:A9)") == "'" + start + "SUM(A1:A9)"


@pytest.mark.parametrize("value", ["青测规〔2016〕4号", "a=b", "", 1.0, True, None])
def test_other_cells_are_left_alone(value: object) -> None:
    assert safe_cell(value) == value


def test_write_csv_columns_header_and_missing_cells() -> None:
    out = io.StringIO()
    rows = [{"a": "=1+1", "b": 2, "extra": "dropped"}, {"a": "x"}]
    write_csv(out, ["a", "b"], rows, header=["甲", "乙"])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["甲", "乙"],
        ["'=1+1", "2"],
        ["x", ""],
    ]


@pytest.fixture
def formula_doc(tmp_path: Path) -> tuple[Path, str]:
    """A data directory holding one document whose title is a spreadsheet formula."""
    path = write_doc(
        tmp_path / "src",
        "formula.txt",
        title=FORMULA_TITLE,
        number="青测规〔2024〕3号",
        issued="2024-03-01",
        validity="有效",
        body="第一条 为加强窨井盖管理，制定本办法。",
    )
    data = tmp_path / "data"
    return data, import_docs(data, path)["formula.txt"]


def test_cli_check_csv_escapes_a_formula_title(formula_doc: tuple[Path, str]) -> None:
    data, doc_id = formula_doc
    result = run_cli(data, "check", "--csv", "青测规〔2024〕3号")
    assert result.exit_code == 0, result.stderr
    [row] = list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert row["编号"] == doc_id
    assert row["名称"] == "'" + FORMULA_TITLE


def test_web_check_csv_escapes_a_formula_title(formula_doc: tuple[Path, str]) -> None:
    from search_app import create_app

    data, doc_id = formula_doc
    app = create_app({"DATA_DIR": data, "TESTING": True, "SECRET_KEY": "t"})
    refs = "青测规〔2024〕3号\n=1+1"
    response = app.test_client().get("/check", query_string={"refs": refs, "format": "csv"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert (rows[0]["编号"], rows[0]["名称"]) == (doc_id, "'" + FORMULA_TITLE)
    assert rows[1]["查询"] == "'=1+1"  # the query itself, as typed, is escaped too
